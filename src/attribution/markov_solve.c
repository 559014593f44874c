/*-------------------------------------------------------------------------
 *
 * markov_solve.c
 *	  Exact removal effects of a Markov attribution chain, and the Monte
 *	  Carlo estimate the popular packages use (for the benchmark).
 *
 * The chain.  The transient states are (start) and the observed
 * from-states (the last k channels of a journey so far); (conversion) and
 * (null) absorb.  With Q the transient-to-transient transition
 * probabilities and r(s) = P(s -> conversion), the probability of
 * converting from each state solves
 *
 *		p = Q p + r,	  i.e. (I - Q) p = r,
 *
 * and P(conversion) = p(start).  The value game is the same system with
 * r_v(s) = P(s -> conversion) * mean value of the conversions leaving s,
 * whose solution v(start) is the expected conversion value of a journey.
 *
 * Removing channel c sends every transition into a state containing c to
 * (null): the removed chain's p_c solves the same system restricted to the
 * states without c (p_c = 0 on the others).  The removal effect is
 * 1 - p_c(start) / p(start), and likewise for value.
 *
 * Three exact solvers, chosen by the size of the state space:
 *
 *	1. Order 1, at most DENSE_INVERSE_MAX states: one LU factorisation gives
 *	   N = (I - Q)^-1 (N[s, t] = expected visits to t from s).  The
 *	   probability of ever reaching state c from start is N[start, c] /
 *	   N[c, c], and after the first visit the chain converts with p(c), so
 *	   P(conversion while avoiding c) = p(start) - N[start, c] / N[c, c] *
 *	   p(c): every removal effect from the one inverse, computed as the
 *	   ratio N[start, c] / N[c, c] * p(c) / p(start) without cancellation.
 *
 *	2. Any order, at most DENSE_RESTRICTED_MAX states: one dense LU solve of
 *	   the restricted system per channel (two right-hand sides: conversions
 *	   and value).  Its cost grows as n^3 per channel, so beyond a couple of
 *	   hundred states the iterative solver is far cheaper (measured: 7,621
 *	   states of an order-3 chain over 20 channels solve in 0.3 s by
 *	   Gauss-Seidel; dense LU would need ~10^13 flops).
 *
 *	3. Larger state spaces (higher orders over many channels): Gauss-Seidel
 *	   on the sparse matrix, one solve per channel.  Q is non-negative with
 *	   spectral radius < 1 (every state of an observed journey reaches an
 *	   absorbing state), so the iteration from 0 increases monotonically to
 *	   the solution; states are swept longest tuple first, because values
 *	   flow backwards along journeys.  It stops when the estimated remaining
 *	   error delta * rho / (1 - rho) (delta the last change, rho the observed
 *	   contraction per sweep) is below 1e-13 relative to the solution's size
 *	   -- 1e-12 with a safety factor.
 *
 * All work memory is palloc'd; LU goes through mq_solve (LAPACK dgesv).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "mq_attribution.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_linalg.h"
#include "mq_model.h"
#include "mq_util.h"

#define DENSE_INVERSE_MAX 2000
#define DENSE_RESTRICTED_MAX 200
#define GS_TOLERANCE 1e-13
#define GS_MAX_SWEEPS 200000

/* A chain ready to solve. */
typedef struct MkChain
{
	int			nch;			/* channels */
	int			order;			/* symbols per state */
	int			n;				/* transient states; 0 is (start) */
	MqAccum		states;			/* tuple -> state index */
	int		   *rowptr;			/* CSR rows (n + 1) of the transient transitions */
	int		   *col;			/* target state */
	double	   *prob;			/* transition probability */
	double	   *diag;			/* per state: P(s -> s) (kept out of the CSR) */
	double	   *r;				/* per state: P(s -> conversion) */
	double	   *rv;				/* per state: P(s -> conversion) * mean conversion value */
	double	   *rnull;			/* per state: P(s -> null) */
	int		   *channel_state;	/* order 1: state of channel c, or -1 */
} MkChain;

/* Does state s contain channel c? */
static inline bool
state_has(const MkChain *ch, int s, int32 c)
{
	const int32 *t = MQ_ACCUM_KEY(&ch->states, s);
	int			j;

	for (j = 0; j < ch->order; j++)
		if (t[j] == c)
			return true;
	return false;
}

/* Build the transient chain of a flat markov value. */
static void
chain_build(const MqModel *m, MkChain *ch)
{
	int			k = (int) mq_get_int64(m, MK_ORDER),
				nt,
				i,
				j;
	const int32 *keys = mq_get_int32s(m, MK_KEYS, &nt);
	const double *counts = mq_get_float8s(m, MK_COUNTS, &nt);
	const double *values = mq_get_float8s(m, MK_VALUES, &nt);
	int32		tuple[MQ_MARKOV_MAX_ORDER];
	int		   *from = palloc(sizeof(int) * Max(nt, 1));
	int		   *to = palloc(sizeof(int) * Max(nt, 1));
	double	   *out;
	int		   *fill;

	ch->nch = mq_get_text_count(m, MK_CHANNELS);
	ch->order = Max(k, 1);
	mq_accum_init(&ch->states, ch->order, 0);
	for (j = 0; j < ch->order; j++)
		tuple[j] = MQ_MK_NONE;
	mq_accum_upsert(&ch->states, tuple);	/* (start) is state 0 */
	for (i = 0; i < nt; i++)
	{
		const int32 *key = keys + (Size) i * (k + 1);
		int32		next = key[k];

		from[i] = mq_accum_upsert(&ch->states, key);
		if (next >= 0)
		{
			for (j = 0; j < k - 1; j++)
				tuple[j] = key[j + 1];
			tuple[k - 1] = next;
			to[i] = mq_accum_upsert(&ch->states, tuple);
		}
		else
			to[i] = next;		/* MQ_MK_CONV or MQ_MK_NULL */
	}
	ch->n = ch->states.n;
	out = palloc0(sizeof(double) * ch->n);
	ch->rowptr = palloc0(sizeof(int) * (ch->n + 1));
	ch->diag = palloc0(sizeof(double) * ch->n);
	ch->r = palloc0(sizeof(double) * ch->n);
	ch->rv = palloc0(sizeof(double) * ch->n);
	ch->rnull = palloc0(sizeof(double) * ch->n);
	for (i = 0; i < nt; i++)
	{
		out[from[i]] += counts[i];
		if (to[i] >= 0 && to[i] != from[i] && counts[i] > 0)
			ch->rowptr[from[i] + 1]++;
	}
	for (i = 0; i < ch->n; i++)
		ch->rowptr[i + 1] += ch->rowptr[i];
	ch->col = palloc(sizeof(int) * Max(ch->rowptr[ch->n], 1));
	ch->prob = palloc(sizeof(double) * Max(ch->rowptr[ch->n], 1));
	fill = palloc(sizeof(int) * ch->n);
	memcpy(fill, ch->rowptr, sizeof(int) * ch->n);
	for (i = 0; i < nt; i++)
	{
		int			f = from[i];
		double		pr;

		if (counts[i] <= 0 || out[f] <= 0)
			continue;
		pr = counts[i] / out[f];
		if (to[i] == MQ_MK_CONV)
		{
			ch->r[f] += pr;
			ch->rv[f] += values[i] / out[f];
		}
		else if (to[i] == MQ_MK_NULL)
			ch->rnull[f] += pr;
		else if (to[i] == f)
			ch->diag[f] += pr;
		else
		{
			ch->col[fill[f]] = to[i];
			ch->prob[fill[f]] = pr;
			fill[f]++;
		}
	}
	ch->channel_state = NULL;
	if (ch->order == 1)
	{
		ch->channel_state = palloc(sizeof(int) * Max(ch->nch, 1));
		for (i = 0; i < ch->nch; i++)
		{
			int32		c = i;

			ch->channel_state[i] = mq_accum_find(&ch->states, &c);
		}
	}
	pfree(from);
	pfree(to);
	pfree(out);
	pfree(fill);
}

/* ERROR for a chain whose system is singular (cannot come from journeys). */
static void pg_attribute_noreturn()
singular_chain(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the Markov chain has states from which no journey ends"),
			 errdetail("The absorbing-chain system (I - Q) p = r is singular."),
			 errhint("Every state must lead to (conversion) or (null); a chain built by markov_model from paths always does.")));
}

/* Dense I - Q over the states with keep[s] (all if keep is NULL); pos gets their positions. */
static double *
dense_system(const MkChain *ch, const bool *keep, int *pos, int *m_out)
{
	int			m = 0,
				s,
				e;
	double	   *a;

	for (s = 0; s < ch->n; s++)
		pos[s] = (keep == NULL || keep[s]) ? m++ : -1;
	a = palloc0(sizeof(double) * (Size) m * m);
	for (s = 0; s < ch->n; s++)
	{
		int			i = pos[s];

		if (i < 0)
			continue;
		a[i + (Size) i * m] = 1.0 - ch->diag[s];
		for (e = ch->rowptr[s]; e < ch->rowptr[s + 1]; e++)
		{
			int			j = pos[ch->col[e]];

			if (j >= 0)
				a[i + (Size) j * m] -= ch->prob[e];
		}
	}
	*m_out = m;
	return a;
}

/* Solve (I - Q) [p v] = [r rv] over the states not containing channel c (c < 0: all); returns p(start), v(start). */
static void
dense_restricted(const MkChain *ch, int32 c, double *p0, double *v0)
{
	int		   *pos = palloc(sizeof(int) * ch->n);
	bool	   *keep = palloc(sizeof(bool) * ch->n);
	int			m,
				s;
	double	   *a,
			   *b;

	for (s = 0; s < ch->n; s++)
		keep[s] = c < 0 || !state_has(ch, s, c);
	a = dense_system(ch, keep, pos, &m);
	b = palloc(sizeof(double) * 2 * m);
	for (s = 0; s < ch->n; s++)
		if (pos[s] >= 0)
		{
			b[pos[s]] = ch->r[s];
			b[m + pos[s]] = ch->rv[s];
		}
	if (mq_solve(a, m, b, 2) > 0)
		singular_chain();
	*p0 = b[0];
	*v0 = b[m];
	pfree(a);
	pfree(b);
	pfree(pos);
	pfree(keep);
}

/*
 * Gauss-Seidel solve of p = Q p + r and v = Q v + rv with the states
 * containing channel c (c < 0: none) held at 0.  sweep lists the states in
 * update order.  Returns the sweeps used; p and v receive the solution.
 */
static int
gauss_seidel(const MkChain *ch, const int *sweep, int32 c, double *p, double *v)
{
	bool	   *off = palloc(sizeof(bool) * ch->n);
	double		prev_delta = 0;
	int			it,
				s;

	for (s = 0; s < ch->n; s++)
	{
		off[s] = c >= 0 && state_has(ch, s, c);
		p[s] = 0;
		v[s] = 0;
	}
	for (it = 1; it <= GS_MAX_SWEEPS; it++)
	{
		double		dp = 0,
					dv = 0,
					pmax = 0,
					vmax = 0,
					delta,
					rho;
		int			i;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < ch->n; i++)
		{
			int			t = sweep[i],
						e;
			double		sp,
						sv,
						d;

			if (off[t])
				continue;
			sp = ch->r[t];
			sv = ch->rv[t];
			for (e = ch->rowptr[t]; e < ch->rowptr[t + 1]; e++)
			{
				int			u = ch->col[e];

				sp += ch->prob[e] * p[u];
				sv += ch->prob[e] * v[u];
			}
			d = 1.0 - ch->diag[t];
			if (d <= 0)
				singular_chain();
			sp /= d;
			sv /= d;
			dp = Max(dp, fabs(sp - p[t]));
			dv = Max(dv, fabs(sv - v[t]));
			p[t] = sp;
			v[t] = sv;
			pmax = Max(pmax, sp);
			vmax = Max(vmax, sv);
		}
		delta = Max(pmax > 0 ? dp / pmax : 0, vmax > 0 ? dv / vmax : 0);
		if (delta == 0 || !isfinite(delta))
		{
			if (!isfinite(delta))
				singular_chain();
			break;
		}
		rho = it > 1 && prev_delta > 0 ? delta / prev_delta : 1;
		if (delta <= GS_TOLERANCE * 1e-2 || (rho < 1 && delta * rho / (1 - rho) <= GS_TOLERANCE))
			break;
		prev_delta = delta;
	}
	if (it > GS_MAX_SWEEPS)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the Markov chain solve did not converge in %d sweeps", GS_MAX_SWEEPS),
				 errdetail("Journeys in this chain are extremely long on average."),
				 errhint("Collapse repeated touches, shorten the lookback, or lower the order.")));
	pfree(off);
	return Min(it, GS_MAX_SWEEPS);
}

/* Number of channels in a state tuple (its depth along a journey). */
static int
state_depth(const MkChain *ch, int s)
{
	const int32 *t = MQ_ACCUM_KEY(&ch->states, s);
	int			j,
				d = 0;

	for (j = 0; j < ch->order; j++)
		d += t[j] != MQ_MK_NONE;
	return d;
}

/* removal effect = 1 - removed / full, 0 when nothing converts */
static inline double
removal_effect(double full, double removed)
{
	if (!(full > 0))
		return 0;
	return Max(0.0, 1.0 - removed / full);
}

/* Solve a flat markov value exactly. */
void
mq_markov_solve(const MqModel *m, bool iterative, MqMarkovSolution *sol)
{
	mq_markov_solve_with(m, iterative ? MQ_MK_SOLVER_ITERATIVE : MQ_MK_SOLVER_AUTO, sol);
}

/* Solve a flat markov value exactly with the given solver. */
void
mq_markov_solve_with(const MqModel *m, MqMarkovSolver solver, MqMarkovSolution *sol)
{
	MkChain		ch;
	int			c;

	chain_build(m, &ch);
	sol->removal = palloc0(sizeof(double) * Max(ch.nch, 1));
	sol->value_removal = palloc0(sizeof(double) * Max(ch.nch, 1));
	sol->iterations = 0;

	if (solver == MQ_MK_SOLVER_AUTO && ch.order == 1 && ch.n <= DENSE_INVERSE_MAX)
	{
		int		   *pos = palloc(sizeof(int) * ch.n);
		int			n,
					i,
					j;
		double	   *a = dense_system(&ch, NULL, pos, &n);
		double	   *inv = palloc0(sizeof(double) * (Size) n * n);
		double	   *p = palloc0(sizeof(double) * n);
		double	   *v = palloc0(sizeof(double) * n);

		sol->method = "dense inverse";
		for (i = 0; i < n; i++)
			inv[i + (Size) i * n] = 1.0;
		if (mq_solve(a, n, inv, n) > 0)
			singular_chain();
		for (j = 0; j < n; j++)
			for (i = 0; i < n; i++)
			{
				p[i] += inv[i + (Size) j * n] * ch.r[j];
				v[i] += inv[i + (Size) j * n] * ch.rv[j];
			}
		sol->p_conv = p[0];
		sol->value = v[0];
		for (c = 0; c < ch.nch; c++)
		{
			int			sc = ch.channel_state[c];
			double		h;

			if (sc < 0)
				continue;
			h = inv[0 + (Size) sc * n] / inv[sc + (Size) sc * n];	/* P(ever reach c) */
			sol->removal[c] = p[0] > 0 ? Min(1.0, h * p[sc] / p[0]) : 0;
			sol->value_removal[c] = v[0] > 0 ? Min(1.0, h * v[sc] / v[0]) : 0;
		}
	}
	else if (solver == MQ_MK_SOLVER_DENSE ||
			 (solver == MQ_MK_SOLVER_AUTO && ch.n <= DENSE_RESTRICTED_MAX))
	{
		sol->method = "dense per channel";
		dense_restricted(&ch, -1, &sol->p_conv, &sol->value);
		for (c = 0; c < ch.nch; c++)
		{
			double		pc,
						vc;

			CHECK_FOR_INTERRUPTS();
			dense_restricted(&ch, c, &pc, &vc);
			sol->removal[c] = removal_effect(sol->p_conv, pc);
			sol->value_removal[c] = removal_effect(sol->value, vc);
		}
	}
	else
	{
		int		   *sweep = palloc(sizeof(int) * ch.n);
		double	   *p = palloc(sizeof(double) * ch.n);
		double	   *v = palloc(sizeof(double) * ch.n);
		int			i,
					d,
					k = 0;

		sol->method = "gauss-seidel";
		/* longest tuples first: values flow backwards along journeys */
		for (d = ch.order; d >= 0; d--)
			for (i = ch.n - 1; i >= 0; i--)
				if (state_depth(&ch, i) == d)
					sweep[k++] = i;
		sol->iterations += gauss_seidel(&ch, sweep, -1, p, v);
		sol->p_conv = p[0];
		sol->value = v[0];
		for (c = 0; c < ch.nch; c++)
		{
			sol->iterations += gauss_seidel(&ch, sweep, c, p, v);
			sol->removal[c] = removal_effect(sol->p_conv, p[0]);
			sol->value_removal[c] = removal_effect(sol->value, v[0]);
		}
		mq_progress("markov solve: %d states, %d Gauss-Seidel sweeps in all", ch.n, sol->iterations);
	}
}

PG_FUNCTION_INFO_V1(mq_markov_solve_info);

/* the solvers _markov_solve accepts */
static const char *const solver_names[] = {"auto", "dense", "iterative", NULL};

/*
 * _markov_solve(m, solver text) -> TABLE(channel, removal_effect,
 * value_removal_effect, p_conversion, expected_value, method, iterations):
 * internal, for tests and benchmarks: solve the chain again, with the
 * solver the size picks (auto), dense LU per channel, or Gauss-Seidel.
 */
Datum
mq_markov_solve_info(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_markov_kind);
	MqMarkovSolution sol;
	int			i,
				nch = mq_get_text_count(m, MK_CHANNELS);

	mq_markov_solve_with(m, (MqMarkovSolver) mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(1)),
															 "Markov solver", solver_names), &sol);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nch; i++)
	{
		Datum		v[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};
		int			len;
		const char *name = mq_get_text_elem(m, MK_CHANNELS, i, &len);

		v[0] = PointerGetDatum(cstring_to_text_with_len(name, len));
		v[1] = Float8GetDatum(sol.removal[i]);
		v[2] = Float8GetDatum(sol.value_removal[i]);
		v[3] = Float8GetDatum(sol.p_conv);
		v[4] = Float8GetDatum(sol.value);
		v[5] = PointerGetDatum(cstring_to_text(sol.method));
		v[6] = Int32GetDatum(sol.iterations);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_markov_simulate);

/*
 * _markov_simulate(m, walks bigint, seed bigint) -> TABLE(channel,
 * removal_effect, share, p_conversion): the Monte Carlo estimate of the
 * removal effects that ChannelAttribution-style packages compute, for the
 * benchmark that measures their error against the exact solution.  Each
 * walk starts at (start) and follows the transition probabilities until it
 * is absorbed; the removal effect of c is estimated as the share of
 * converting walks that visited c (the removed chain converts exactly the
 * walks that never enter a state with c, with the same random numbers).
 */
Datum
mq_markov_simulate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_markov_kind);
	int64		walks = PG_GETARG_INT64(1);
	pg_prng_state rng;
	MkChain		ch;
	int64		w,
				conv = 0;
	int64	   *stamp;
	double	   *visited_conv;
	int32	   *visited;
	int			nvisited,
				i;
	double		sum = 0;

	mq_check_int_range(walks, "walks", 1, INT64CONST(1000000000));
	pg_prng_seed(&rng, (uint64) PG_GETARG_INT64(2));
	chain_build(m, &ch);
	stamp = palloc(sizeof(int64) * Max(ch.nch, 1));
	visited_conv = palloc0(sizeof(double) * Max(ch.nch, 1));
	visited = palloc(sizeof(int32) * Max(ch.nch, 1));
	for (i = 0; i < ch.nch; i++)
		stamp[i] = -1;
	for (w = 0; w < walks; w++)
	{
		int			s = 0,
					steps;

		if ((w & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		nvisited = 0;
		for (steps = 0; steps < 1000000; steps++)
		{
			double		u = pg_prng_double(&rng);
			int			e,
						next = -1;

			/* the newest channel of the state is the one just touched */
			if (s != 0)
			{
				int32		c = MQ_ACCUM_KEY(&ch.states, s)[ch.order - 1];

				if (stamp[c] != w)
				{
					stamp[c] = w;
					visited[nvisited++] = c;
				}
			}
			for (e = ch.rowptr[s]; e < ch.rowptr[s + 1]; e++)
			{
				u -= ch.prob[e];
				if (u < 0)
				{
					next = ch.col[e];
					break;
				}
			}
			if (next < 0 && (u -= ch.diag[s]) < 0)
				next = s;
			if (next >= 0)
			{
				s = next;
				continue;
			}
			if (u < ch.r[s])
			{
				conv++;
				for (i = 0; i < nvisited; i++)
					visited_conv[visited[i]] += 1;
			}
			break;
		}
	}
	for (i = 0; i < ch.nch; i++)
		sum += visited_conv[i];
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < ch.nch; i++)
	{
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};
		int			len;
		const char *name = mq_get_text_elem(m, MK_CHANNELS, i, &len);

		v[0] = PointerGetDatum(cstring_to_text_with_len(name, len));
		v[1] = Float8GetDatum(conv > 0 ? visited_conv[i] / conv : 0);
		v[2] = Float8GetDatum(sum > 0 ? visited_conv[i] / sum : 0);
		v[3] = Float8GetDatum((double) conv / walks);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
