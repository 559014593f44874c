/*-------------------------------------------------------------------------
 *
 * solve.c
 *	  The exact solution of a logged (empirical) MDP: Q* of the Bellman
 *	  optimality equations, with a proven error bound.
 *
 * The equations.  For every pair (s, a) logged n(s, a) times,
 *
 *	  Q(s, a) = R(s, a) + gamma * sum_s' P(s' | s, a) V(s'),
 *	  V(s')   = max over the actions a' logged in s' of Q(s', a')
 *
 * with R the mean logged reward, P(s' | s, a) = n(s, a, s') / n(s, a) (a
 * terminal transition counts in n(s, a) but leads nowhere), and V = 0 for a
 * state in which no action was ever logged.  With gamma < 1 the right-hand
 * side is a contraction and Q* is its unique fixed point -- the point
 * Q-learning with experience replay converges to on these logs.
 *
 * Policy iteration with exact linear solves.  Start from the policy that is
 * greedy for the immediate reward.  Evaluate it exactly: its values solve the
 * linear system (I - gamma P_pi) V = R_pi over the states that have actions.
 * Then make the policy greedy for the Q values of V; repeat until no state
 * changes its action.  Policy iteration needs few iterations (typically 3 to
 * 10, independent of gamma), and each evaluation is a linear solve, so the
 * cost does not grow like 1 / (1 - gamma) as value iteration's does.  The
 * linear solves:
 *
 *	- up to DENSE_MAX states: LU with partial pivoting (LAPACK dgesv).  The
 *	  matrix is strictly diagonally dominant by rows (the diagonal exceeds the
 *	  rest of its row by at least 1 - gamma), so the solve is backward stable
 *	  and accurate to about cond * eps with cond <= (1 + gamma) / (1 - gamma).
 *	- larger: restarted GMRES(30) on the sparse matrix, warm-started from the
 *	  previous evaluation.  The spectrum of I - gamma P_pi lies in the disc of
 *	  radius gamma around 1, and the few eigenvalues of P_pi near the unit
 *	  circle (customers who stay in a state) are what Krylov methods remove
 *	  first, so it converges in tens of iterations where value iteration
 *	  needs log(eps) / log(gamma) sweeps.  If a restart fails to halve the
 *	  residual, Gauss-Seidel sweeps (a gamma-contraction, so convergence is
 *	  guaranteed) finish the solve.
 *
 * A policy changes only where another action is better by more than the
 * evaluation's rounding (TAU), so rounding cannot make it cycle and the
 * iteration stops.
 *
 * Proof of accuracy.  For any V, ||V - V*|| <= ||T V - V|| / (1 - gamma)
 * (sup norms, T the Bellman operator), and Q - Q* = gamma P (V - V*), so
 *
 *	  max |Q - Q*| <= gamma ||T V - V|| / (1 - gamma).
 *
 * After policy iteration the residual ||T V - V|| is computed and the bound
 * stored in the model (error_bound).  While the bound exceeds 1e-13 max |Q|
 * (one tenth of the promised 1e-12 relative accuracy), value-iteration
 * sweeps V <- T V shrink it by gamma each; they stop early if rounding
 * keeps the residual from decreasing (possible only for gamma very close to
 * 1).  The bound covers the solution of the equations in exact arithmetic
 * given the computed residual; the final evaluation of Q adds rounding of a
 * few units in the last place.  A float8 V is itself off by half an ulp, so
 * the residual cannot drop below about eps |V| and the provable accuracy is
 * about eps / (1 - gamma) relative: 1e-12 holds up to gamma = 0.999; closer
 * to 1 the stored bound says what was proven.
 *
 * Everything is palloc'd; long loops check for interrupts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "mq_linalg.h"
#include "mq_qlearn.h"
#include "mq_util.h"

#define DENSE_MAX 600			/* "auto": dense LU up to this many states with actions */
#define DENSE_LIMIT 4000		/* "dense" on request: at most this many (128 MB, ~40 GFLOP) */
#define GMRES_M 30				/* Krylov subspace size per restart */
#define GMRES_RESTARTS 200		/* restarts before Gauss-Seidel takes over */
#define PI_MAX_ITERATIONS 1000	/* policy iterations (never reached in practice) */
#define GS_MAX_SWEEPS 1000000	/* Gauss-Seidel sweeps per evaluation */
#define POLISH_MAX_SWEEPS 100000	/* value-iteration sweeps after policy iteration */
#define TARGET 1e-13			/* error bound sought, relative to max |Q| */

/* The MDP over the states that have actions ("active" states), ready to iterate. */
typedef struct Mdp
{
	int			nact;			/* active states */
	int			np;				/* pairs */
	double		gamma;
	int32	   *pfirst;			/* nact + 1: pairs of active state k are [pfirst[k], pfirst[k+1]) */
	double	   *r;				/* per pair: mean reward */
	int32	   *tfirst;			/* np + 1: non-terminal transitions of pair p */
	int32	   *tto;			/* per transition: active index of the next state */
	double	   *tprob;			/* per transition: probability */
	double		rmax;			/* max |r| */
} Mdp;

/* Build the iteration form of a canonical exact table (c indexed). */
static void
mdp_build(const QCanon *c, Mdp *m)
{
	int32	   *act = palloc(sizeof(int32) * Max(c->nstates, 1));
	int			s,
				p,
				t,
				k = 0,
				nt = 0;

	m->gamma = c->gamma;
	m->np = c->npairs;
	for (s = 0; s < c->nstates; s++)
		act[s] = c->pstart[s + 1] > c->pstart[s] ? k++ : -1;
	m->nact = k;
	m->pfirst = palloc(sizeof(int32) * (k + 1));
	for (s = 0; s < c->nstates; s++)
		if (act[s] >= 0)
			m->pfirst[act[s]] = c->pstart[s];
	m->pfirst[k] = c->npairs;
	m->r = palloc(sizeof(double) * Max(c->npairs, 1));
	m->tfirst = palloc(sizeof(int32) * (c->npairs + 1));
	m->tto = palloc(sizeof(int32) * Max(c->ntrans, 1));
	m->tprob = palloc(sizeof(double) * Max(c->ntrans, 1));
	m->rmax = 0;
	for (p = 0; p < c->npairs; p++)
	{
		double		n = (double) c->visits[p];

		m->r[p] = c->preward[p] / n;
		m->rmax = Max(m->rmax, fabs(m->r[p]));
		m->tfirst[p] = nt;
		for (t = c->tstart[p]; t < c->tstart[p + 1]; t++)
		{
			int			next = c->tnext[t];

			/* terminal transitions and states without actions are worth 0 */
			if (next < 0 || act[next] < 0)
				continue;
			m->tto[nt] = act[next];
			m->tprob[nt] = (double) c->tcount[t] / n;
			nt++;
		}
	}
	m->tfirst[c->npairs] = nt;
	pfree(act);
}

/* Q of pair p under values v. */
static inline double
pair_q(const Mdp *m, int p, const double *v)
{
	double		sum = 0;
	int			t;

	for (t = m->tfirst[p]; t < m->tfirst[p + 1]; t++)
		sum += m->tprob[t] * v[m->tto[t]];
	return m->r[p] + m->gamma * sum;
}

/* Q of every pair under v; returns max |Q|. */
static double
all_q(const Mdp *m, const double *v, double *q)
{
	double		qmax = 0;
	int			p;

	for (p = 0; p < m->np; p++)
	{
		q[p] = pair_q(m, p, v);
		qmax = Max(qmax, fabs(q[p]));
		if ((p & 0x3fff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return qmax;
}

/* The greedy pair of active state k under q (ties: the smallest action name, i.e. the first). */
static inline int
greedy(const Mdp *m, int k, const double *q)
{
	int			best = m->pfirst[k],
				p;

	for (p = best + 1; p < m->pfirst[k + 1]; p++)
		if (q[p] > q[best])
			best = p;
	return best;
}

/* max |v| */
static double
vmax(const double *v, int n)
{
	double		x = 0;
	int			i;

	for (i = 0; i < n; i++)
		x = Max(x, fabs(v[i]));
	return x;
}

/* ---------------------------------------------------- policy evaluation */

/* Solve (I - gamma P_pi) v = r_pi by dense LU. */
static void
eval_dense(const Mdp *m, const int32 *pi, double *v)
{
	int			n = m->nact,
				k,
				t;
	double	   *a = palloc0(sizeof(double) * (Size) n * n);

	for (k = 0; k < n; k++)
	{
		int			p = pi[k];

		a[k + (Size) k * n] += 1;
		for (t = m->tfirst[p]; t < m->tfirst[p + 1]; t++)
			a[k + (Size) m->tto[t] * n] -= m->gamma * m->tprob[t];
		v[k] = m->r[p];
	}
	if (mq_solve(a, n, v, 1) != 0)
		elog(ERROR, "policy evaluation: singular system (cannot happen for gamma < 1)");
	pfree(a);
}

/* w = (I - gamma P_pi) x */
static void
matvec(const Mdp *m, const int32 *pi, const double *x, double *w)
{
	int			k,
				t;

	for (k = 0; k < m->nact; k++)
	{
		int			p = pi[k];
		double		sum = 0;

		for (t = m->tfirst[p]; t < m->tfirst[p + 1]; t++)
			sum += m->tprob[t] * x[m->tto[t]];
		w[k] = x[k] - m->gamma * sum;
	}
}

/*
 * Gauss-Seidel sweeps v_k <- r + gamma P_pi v (newest values), until the
 * proven remaining error gamma delta / (1 - gamma) is below 1e-15 max |v| or
 * rounding stops the progress.
 */
static int
eval_gauss_seidel(const Mdp *m, const int32 *pi, double *v)
{
	int			sweep,
				k;
	double		prev = get_float8_infinity();

	for (sweep = 1; sweep <= GS_MAX_SWEEPS; sweep++)
	{
		double		delta = 0,
					big = 0;

		for (k = 0; k < m->nact; k++)
		{
			double		x = pair_q(m, pi[k], v);

			delta = Max(delta, fabs(x - v[k]));
			big = Max(big, fabs(x));
			v[k] = x;
		}
		CHECK_FOR_INTERRUPTS();
		if (m->gamma * delta <= 1e-15 * (1 - m->gamma) * big || delta == 0)
			return sweep;
		/* at the rounding floor the change stops shrinking */
		if (delta <= 16 * DBL_EPSILON * big && delta >= prev)
			return sweep;
		prev = delta;
	}
	return GS_MAX_SWEEPS;
}

/* Euclidean norm */
static double
norm2(const double *x, int n)
{
	double		s = 0;
	int			i;

	for (i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

/*
 * Restarted GMRES(GMRES_M) for (I - gamma P_pi) v = r_pi from the initial
 * guess in v.  Returns the final residual's sup norm; *stalled is set when
 * a restart failed to halve it before reaching tol.
 */
static double
eval_gmres(const Mdp *m, const int32 *pi, double *v, double tol, bool *stalled)
{
	int			n = m->nact,
				mm = Min(GMRES_M, n),
				restart,
				i,
				j,
				k;
	double	   *basis = MemoryContextAllocHuge(CurrentMemoryContext,
											   sizeof(double) * (Size) n * (mm + 1));
	double	   *h = palloc0(sizeof(double) * (mm + 1) * mm);
	double	   *cs = palloc(sizeof(double) * mm);
	double	   *sn = palloc(sizeof(double) * mm);
	double	   *g = palloc(sizeof(double) * (mm + 1));
	double	   *y = palloc(sizeof(double) * mm);
	double	   *b = palloc(sizeof(double) * n);
	double	   *r = palloc(sizeof(double) * n);
	double	   *w = palloc(sizeof(double) * n);
	double		res = get_float8_infinity(),
				prev = get_float8_infinity();

#define H(i_, j_) h[(i_) + (Size) (j_) * (mm + 1)]
#define BASIS(i_) (basis + (Size) (i_) * n)

	*stalled = false;
	for (k = 0; k < n; k++)
		b[k] = m->r[pi[k]];
	for (restart = 0; restart < GMRES_RESTARTS; restart++)
	{
		double		beta;
		int			used = 0;

		matvec(m, pi, v, w);
		res = 0;
		for (k = 0; k < n; k++)
		{
			r[k] = b[k] - w[k];
			res = Max(res, fabs(r[k]));
		}
		if (res <= tol)
			break;
		if (res > 0.5 * prev)
		{
			*stalled = true;
			break;
		}
		prev = res;
		beta = norm2(r, n);
		for (k = 0; k < n; k++)
			BASIS(0)[k] = r[k] / beta;
		memset(g, 0, sizeof(double) * (mm + 1));
		g[0] = beta;
		for (j = 0; j < mm; j++)
		{
			double		hn,
						denom;

			CHECK_FOR_INTERRUPTS();
			matvec(m, pi, BASIS(j), w);
			/* modified Gram-Schmidt */
			for (i = 0; i <= j; i++)
			{
				double		d = 0;
				const double *bi = BASIS(i);

				for (k = 0; k < n; k++)
					d += w[k] * bi[k];
				H(i, j) = d;
				for (k = 0; k < n; k++)
					w[k] -= d * bi[k];
			}
			hn = norm2(w, n);
			H(j + 1, j) = hn;
			/* previous rotations, then a new one that zeroes H(j + 1, j) */
			for (i = 0; i < j; i++)
			{
				double		a1 = H(i, j),
							a2 = H(i + 1, j);

				H(i, j) = cs[i] * a1 + sn[i] * a2;
				H(i + 1, j) = -sn[i] * a1 + cs[i] * a2;
			}
			denom = hypot(H(j, j), H(j + 1, j));
			if (denom == 0)
				break;			/* cannot happen: the matrix is non-singular */
			cs[j] = H(j, j) / denom;
			sn[j] = H(j + 1, j) / denom;
			H(j, j) = denom;
			H(j + 1, j) = 0;
			g[j + 1] = -sn[j] * g[j];
			g[j] = cs[j] * g[j];
			used = j + 1;
			if (fabs(g[j + 1]) <= tol || hn == 0)
				break;
			for (k = 0; k < n; k++)
				BASIS(j + 1)[k] = w[k] / hn;
		}
		/* y = H^-1 g (upper triangular), v += basis y */
		for (i = used - 1; i >= 0; i--)
		{
			double		s = g[i];

			for (j = i + 1; j < used; j++)
				s -= H(i, j) * y[j];
			y[i] = s / H(i, i);
		}
		for (i = 0; i < used; i++)
		{
			const double *bi = BASIS(i);

			for (k = 0; k < n; k++)
				v[k] += y[i] * bi[k];
		}
	}
#undef H
#undef BASIS
	if (restart == GMRES_RESTARTS)
		*stalled = true;
	mq_progress("qlearn: GMRES %d restarts, residual %g (tolerance %g)%s", restart, res, tol,
				*stalled ? ", stalled" : "");
	pfree(basis);
	pfree(h);
	pfree(cs);
	pfree(sn);
	pfree(g);
	pfree(y);
	pfree(b);
	pfree(r);
	pfree(w);
	return res;
}

/* ---------------------------------------------------------------- solve */

/* Solve a canonical exact table (qcanon_index done); Q and the proof go into sol. */
void
qcanon_solve(const QCanon *c, QSolver how, QSolution *sol)
{
	Mdp			m;
	double	   *v,
			   *vn,
			   *q;
	int32	   *pi;
	int			k,
				it = 0,
				polish = 0;
	bool		used_gs = false,
				used_gmres = false,
				used_dense = false;
	double		gamma = c->gamma,
				qmax,
				res,
				bound,
				prev_res;
	StringInfoData desc;

	if (c->method != QM_EXACT)
		elog(ERROR, "only exact Q tables are solved");
	sol->q = palloc(sizeof(double) * Max(c->npairs, 1));
	sol->iterations = 0;
	sol->error_bound = 0;
	sol->solver = "none (no pairs)";
	if (c->npairs == 0)
		return;
	mdp_build(c, &m);
	v = palloc0(sizeof(double) * m.nact);
	vn = palloc(sizeof(double) * m.nact);
	q = sol->q;
	pi = palloc(sizeof(int32) * m.nact);
	if (how == QS_AUTO)
		how = m.nact <= DENSE_MAX ? QS_DENSE : QS_GMRES;
	if (how == QS_DENSE && m.nact > DENSE_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the dense solver handles at most %d states with actions", DENSE_LIMIT),
				 errdetail("This table has %d.", m.nact),
				 errhint("Use the solver \"auto\" or \"gmres\".")));

	if (how != QS_VALUE_ITERATION)
	{
		/* policy iteration from the policy greedy for the immediate reward */
		for (k = 0; k < m.nact; k++)
			pi[k] = greedy(&m, k, m.r);
		for (it = 1; it <= PI_MAX_ITERATIONS; it++)
		{
			int			changed = 0;
			double		scale,
						tau;

			if (how == QS_DENSE)
			{
				eval_dense(&m, pi, v);
				used_dense = true;
			}
			else if (how == QS_GMRES)
			{
				bool		stalled;
				double		tol = Max(1e-15 * (1 - gamma), 8 * DBL_EPSILON) *
					Max(vmax(v, m.nact), m.rmax);
				double		r = eval_gmres(&m, pi, v, tol, &stalled);

				used_gmres = true;
				if (stalled && r > 1e3 * tol)
				{
					eval_gauss_seidel(&m, pi, v);
					used_gs = true;
				}
			}
			else
			{
				eval_gauss_seidel(&m, pi, v);
				used_gs = true;
			}
			all_q(&m, v, q);
			scale = Max(m.rmax, vmax(v, m.nact));
			/* improvements below the evaluation's rounding are not trusted */
			tau = 32 * DBL_EPSILON * scale / (1 - gamma);
			for (k = 0; k < m.nact; k++)
			{
				int			b = greedy(&m, k, q);

				if (q[b] > q[pi[k]] + tau)
				{
					pi[k] = b;
					changed++;
				}
			}
			mq_progress("qlearn: policy iteration %d, %d states changed their action", it, changed);
			if (changed == 0)
				break;
		}
		if (it > PI_MAX_ITERATIONS)
			it = PI_MAX_ITERATIONS;
	}

	/* the proof, and value-iteration sweeps while it is not tight enough */
	prev_res = get_float8_infinity();
	for (;;)
	{
		qmax = all_q(&m, v, q);
		res = 0;
		for (k = 0; k < m.nact; k++)
		{
			vn[k] = q[greedy(&m, k, q)];
			res = Max(res, fabs(vn[k] - v[k]));
		}
		bound = gamma * res / (1 - gamma);
		if (bound <= TARGET * qmax || res == 0)
			break;
		if (polish >= (how == QS_VALUE_ITERATION ? POLISH_MAX_SWEEPS * 10 : POLISH_MAX_SWEEPS))
			break;
		/* rounding floor: the residual no longer shrinks */
		if (res >= prev_res && res <= 64 * DBL_EPSILON * Max(qmax, m.rmax))
			break;
		prev_res = res;
		memcpy(v, vn, sizeof(double) * m.nact);
		polish++;
		CHECK_FOR_INTERRUPTS();
	}

	initStringInfo(&desc);
	if (how == QS_VALUE_ITERATION)
		appendStringInfo(&desc, "value iteration");
	else
	{
		appendStringInfo(&desc, "policy iteration (%s%s%s)",
						 used_dense ? "dense LU" : "",
						 used_gmres ? "GMRES" : "",
						 used_gs ? (used_gmres ? ", Gauss-Seidel" : "Gauss-Seidel") : "");
		if (polish > 0)
			appendStringInfo(&desc, " + %d value iteration sweeps", polish);
	}
	sol->solver = desc.data;
	sol->iterations = how == QS_VALUE_ITERATION ? polish : it;
	sol->error_bound = bound;
	mq_progress("qlearn: %s, %d states with actions, %d pairs, error bound %g",
				desc.data, m.nact, m.np, bound);
	pfree(v);
	pfree(vn);
	pfree(pi);
}
