/*-------------------------------------------------------------------------
 *
 * bgnbd.c
 *	  The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005,
 *	  "Counting your customers the easy way", Marketing Science 24(2)):
 *	  the bgnbd_fit aggregate, the marketiq.bgnbd type and its readers.
 *
 * Story: while alive, a customer buys as a Poisson process with rate
 * lambda; after each purchase she drops out for good with probability p.
 * Across customers lambda ~ Gamma(r, alpha) (shape r, rate alpha) and
 * p ~ Beta(a, b).  A customer is summarised by (x, t_x, T) (mq_clv.h).
 *
 * Fit: the aggregate compresses customers into distinct (x, t_x, T) cells
 * with counts (cells.c), and the final function maximises the likelihood
 * (FHL 2005, eq. 6) over the cells with BFGS on log-parameters and the
 * analytic gradient (mle.c).  Everything that depends on x alone --
 * lnGamma(r + x), the beta functions and their digammas -- is computed once
 * per distinct x (cells are sorted by x), so an evaluation costs two logs
 * and one exp per cell.  The objective is the mean negative log-likelihood
 * plus penalizer * (r^2 + alpha^2 + a^2 + b^2), the L2 penalty of the
 * lifetimes package; the log-likelihood stored in the model is the plain
 * (unpenalised) one at the estimate.
 *
 * Predictions (FHL 2005, eqs. 7, 8, 9, 10): expected purchases of a new
 * customer in (0, t], P(X(t) = x), P(alive | x, t_x, T) and the conditional
 * expectation E[Y(t) | x, t_x, T] of purchases in (T, T + t].
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_clv.h"
#include "mq_gsl.h"

static const MqSectSpec bgnbd_sects[CS_NSECT] = {
	{"n", MQ_INT64},
	{"skipped", MQ_INT64},
	{"penalizer", MQ_FLOAT8},
	{"fitted", MQ_INT64},
	{"r", MQ_FLOAT8},
	{"alpha", MQ_FLOAT8},
	{"a", MQ_FLOAT8},
	{"b", MQ_FLOAT8},
	{"log_likelihood", MQ_FLOAT8},
	{"iterations", MQ_INT64},
	{"converged", MQ_INT64},
	{"x", MQ_FLOAT8_ARR},
	{"tx", MQ_FLOAT8_ARR},
	{"t", MQ_FLOAT8_ARR},
	{"count", MQ_INT64_ARR},
};

const MqKind clv_bgnbd_kind = {
	.name = "bgnbd",
	.id = CLV_KIND_BGNBD,
	.format = 1,
	.nsect = CS_NSECT,
	.sects = bgnbd_sects,
	.check = clv_cells_check,
	.state_size = sizeof(ClvCells),
	.init = clv_cells_init,
	.merge = clv_cells_merge,
	.flatten = clv_cells_flatten,
};

MQ_MODEL_TYPE_IO(bgnbd, &clv_bgnbd_kind)

static const char *const bgnbd_names[4] = {"r", "alpha", "a", "b"};

/* ------------------------------------------------------------------ fit */

/* The cells, grouped by x, and what the objective needs. */
typedef struct BgData
{
	ClvCellArrays c;			/* cells sorted by (x, t_x, T) */
	int			ng;				/* distinct x values */
	int		   *gstart;			/* group g is cells gstart[g] .. gstart[g+1]-1 */
	double	   *gw;				/* customers in group g */
	int			nv;				/* distinct values among all t_x and T */
	double	   *v;				/* those values, ascending */
	int		   *ti,				/* per cell: index of its T in v */
			   *txi;			/* per cell: index of its t_x in v */
	double	   *lv,				/* per evaluation: ln(alpha + v) */
			   *iv;				/* per evaluation: 1 / (alpha + v) */
	double		penalizer;
} BgData;

/*
 * Mean negative log-likelihood (+ penalty) at theta = log(r, alpha, a, b)
 * and its gradient with respect to theta; *ll (if not NULL) gets the plain
 * log-likelihood.  The per-customer log-likelihood (FHL 2005, eq. 6) is
 *   lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
 *   + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]
 * and the last term is a log-sum-exp of L1 and L2 with weights w1, w2
 * (w1 + w2 = 1) that reappear in its derivatives.  Real data have few
 * distinct ages (T and t_x come in whole days), so ln(alpha + age) and its
 * reciprocal are computed once per distinct age, and a cell costs one exp
 * and one log.
 */
static double
bg_eval(const double *theta, double *grad, BgData *d, double *ll_out)
{
	double		r = exp(theta[0]),
				alpha = exp(theta[1]),
				a = exp(theta[2]),
				b = exp(theta[3]);
	double		lnalpha = theta[1];
	double		ll = 0,
				g[4] = {0, 0, 0, 0};
	double		lgr,
				psir,
				lbab,
				psiab,
				psib;
	int			gi,
				i;

	if (!(isfinite(r) && isfinite(alpha) && isfinite(a) && isfinite(b) &&
		  r > 0 && alpha > 0 && a > 0 && b > 0))
		return get_float8_infinity();
	for (i = 0; i < d->nv; i++)
	{
		d->lv[i] = log(alpha + d->v[i]);
		d->iv[i] = 1.0 / (alpha + d->v[i]);
	}
	lgr = lgamma(r);
	lbab = lgamma(a) + lgamma(b) - lgamma(a + b);
	if (grad)
	{
		psir = gsl_sf_psi(r);
		psiab = gsl_sf_psi(a + b);
		psib = gsl_sf_psi(b);
	}
	else
		psir = psiab = psib = 0;
	for (gi = 0; gi < d->ng; gi++)
	{
		int			lo = d->gstart[gi],
					hi = d->gstart[gi + 1];
		double		x = d->c.x[lo];
		double		rx = r + x;
		double		A,
					lc = 0,
					s_ll = 0,
					s_r = 0,
					s_al = 0,
					s_w2 = 0,
					s_w2b = 0;

		/* terms of x alone */
		A = lgamma(rx) - lgr + r * lnalpha +
			(lgamma(a) + lgamma(b + x) - lgamma(a + b + x)) - lbab;
		if (x > 0)
			lc = log(a) - log(b + x - 1);
		for (i = lo; i < hi; i++)
		{
			double		w = d->c.w[i];
			int			jT = d->ti[i];
			double		lT = d->lv[jT];
			double		L1 = -rx * lT;

			if (x > 0)
			{
				int			jx = d->txi[i];
				double		ltx = d->lv[jx];
				double		L2 = lc - rx * ltx;
				double		diff = L2 - L1;
				double		e,
							w1,
							w2;

				/* log(e^L1 + e^L2) and the weights, with one exp */
				if (diff > 0)
				{
					e = exp(-diff);
					s_ll += w * (L2 + log(1.0 + e));
					w2 = 1.0 / (1.0 + e);
					w1 = e * w2;
				}
				else
				{
					e = exp(diff);
					s_ll += w * (L1 + log(1.0 + e));
					w1 = 1.0 / (1.0 + e);
					w2 = e * w1;
				}
				if (grad)
				{
					s_r += w * (w1 * lT + w2 * ltx);
					s_al += w * rx * (w1 * d->iv[jT] + w2 * d->iv[jx]);
					s_w2 += w * w2;
				}
			}
			else
			{
				s_ll += w * L1;
				if (grad)
				{
					s_r += w * lT;
					s_al += w * rx * d->iv[jT];
				}
			}
		}
		ll += d->gw[gi] * A + s_ll;
		if (grad)
		{
			double		gw = d->gw[gi];
			double		psiabx = gsl_sf_psi(a + b + x);

			g[0] += gw * (gsl_sf_psi(rx) - psir + lnalpha) - s_r;
			g[1] += gw * r / alpha - s_al;
			g[2] += gw * (psiab - psiabx) + s_w2 / a;
			if (x > 0)
				s_w2b = s_w2 / (b + x - 1);
			g[3] += gw * (gsl_sf_psi(b + x) - psiabx - psib + psiab) - s_w2b;
		}
	}
	if (ll_out)
		*ll_out = ll;
	if (grad)
	{
		double		p[4] = {r, alpha, a, b};

		for (i = 0; i < 4; i++)
			grad[i] = p[i] * (-g[i] / d->c.total + 2 * d->penalizer * p[i]);
	}
	return -ll / d->c.total + d->penalizer * (r * r + alpha * alpha + a * a + b * b);
}

/* ClvObjective wrapper. */
static double
bg_objective(const double *theta, double *grad, void *arg)
{
	return bg_eval(theta, grad, (BgData *) arg, NULL);
}

/* qsort comparator for doubles */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Index of value x in the sorted distinct values v[0..n). */
static int
value_index(const double *v, int n, double x)
{
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(v[lo] == x);
	return lo;
}

/* Group the sorted cells by x, and index their ages among the distinct ones. */
static void
bg_prepare(BgData *d)
{
	int			i,
				ng = 0,
				nv = 0;
	int			k = d->c.k;

	d->gstart = palloc(sizeof(int) * (k + 1));
	d->gw = palloc(sizeof(double) * Max(k, 1));
	for (i = 0; i < k; i++)
	{
		if (i == 0 || d->c.x[i] != d->c.x[i - 1])
		{
			d->gstart[ng] = i;
			d->gw[ng] = 0;
			ng++;
		}
		d->gw[ng - 1] += d->c.w[i];
	}
	d->gstart[ng] = k;
	d->ng = ng;

	d->v = palloc(sizeof(double) * Max(2 * k, 1));
	for (i = 0; i < k; i++)
	{
		d->v[2 * i] = d->c.T[i];
		d->v[2 * i + 1] = d->c.tx[i];
	}
	qsort(d->v, 2 * k, sizeof(double), cmp_double);
	for (i = 0; i < 2 * k; i++)
		if (i == 0 || d->v[i] != d->v[nv - 1])
			d->v[nv++] = d->v[i];
	d->nv = nv;
	d->ti = palloc(sizeof(int) * Max(k, 1));
	d->txi = palloc(sizeof(int) * Max(k, 1));
	for (i = 0; i < k; i++)
	{
		d->ti[i] = value_index(d->v, nv, d->c.T[i]);
		d->txi[i] = value_index(d->v, nv, d->c.tx[i]);
	}
	d->lv = palloc(sizeof(double) * Max(nv, 1));
	d->iv = palloc(sizeof(double) * Max(nv, 1));
}

/* Fit BG/NBD to a state's cells; the fitted flat model. */
static MqModel *
bg_fit(ClvCells *cells)
{
	BgData		d;
	double		theta[4],
				par[4],
				scale[4],
				sx = 0,
				sT = 0,
				ll;
	int			i;
	ClvFitResult res;

	clv_cells_arrays(cells, &d.c);
	d.penalizer = Max(cells->penalizer, 0);
	bg_prepare(&d);
	for (i = 0; i < d.c.k; i++)
	{
		sx += d.c.w[i] * d.c.x[i];
		sT += d.c.w[i] * d.c.T[i];
	}
	if (sx == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bgnbd fit needs at least one customer with a repeat purchase"),
				 errdetail("All " INT64_FORMAT " customers have frequency 0: the purchase rate and "
						   "the drop-out probability cannot be estimated.", cells->n)));
	/* start: r = a = b = 1 and alpha matching the mean purchase rate r / alpha */
	theta[0] = 0;
	theta[1] = log(Max(sT / sx, 1e-6));
	theta[2] = 0;
	theta[3] = 0;
	scale[0] = scale[2] = scale[3] = 1;
	scale[1] = Max(sT / d.c.total, 1e-6);	/* alpha is a time: the mean age */
	clv_minimize(4, theta, bg_objective, &d, "bgnbd fit", scale, &res);
	for (i = 0; i < 4; i++)
		par[i] = exp(theta[i]);
	bg_eval(theta, NULL, &d, &ll);
	for (i = 0; i < 4; i++)
		if (!(par[i] > 0 && isfinite(par[i])) || !isfinite(ll))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bgnbd fit diverged"),
					 errdetail("Last estimate: r = %g, alpha = %g, a = %g, b = %g.",
							   par[0], par[1], par[2], par[3]),
					 errhint("The summaries may not fit the model (for example every customer "
							 "bought at the same rate and none dropped out); try a small penalizer.")));
	clv_warn_not_converged("bgnbd fit", &res, bgnbd_names, par, 4);
	return clv_cells_fitted(&clv_bgnbd_kind, cells, par, ll, res.iterations, res.converged);
}

PG_FUNCTION_INFO_V1(mq_bgnbd_trans);

/* bgnbd_fit(frequency, recency, t) transition. */
Datum
mq_bgnbd_trans(PG_FUNCTION_ARGS)
{
	return clv_cells_trans(fcinfo, &clv_bgnbd_kind, false);
}

PG_FUNCTION_INFO_V1(mq_bgnbd_trans_pen);

/* bgnbd_fit(frequency, recency, t, penalizer) transition. */
Datum
mq_bgnbd_trans_pen(PG_FUNCTION_ARGS)
{
	return clv_cells_trans(fcinfo, &clv_bgnbd_kind, true);
}

PG_FUNCTION_INFO_V1(mq_bgnbd_combine);

/* bgnbd_fit combine: cell counts add up. */
Datum
mq_bgnbd_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &clv_bgnbd_kind);
}

PG_FUNCTION_INFO_V1(mq_bgnbd_final);

/* bgnbd_fit final: the fitted model, NULL when no customer was seen. */
Datum
mq_bgnbd_final(PG_FUNCTION_ARGS)
{
	MqState    *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &clv_bgnbd_kind);
	if (((ClvCells *) s)->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(bg_fit((ClvCells *) s));
}

/* -------------------------------------------------------------- readers */

/* a fitted model's parameters */
static void
bg_params_arg(FunctionCallInfo fcinfo, double *par)
{
	clv_model_params(clv_fitted_arg(fcinfo, 0, &clv_bgnbd_kind), par);
}

/* Validate a horizon argument. */
static double
horizon_arg(FunctionCallInfo fcinfo, int argno)
{
	double		t = PG_GETARG_FLOAT8(argno);

	mq_check_range(t, "horizon", 0, true, get_float8_infinity(), false);
	return t;
}

/*
 * The formulas for E[X(t)] and E[Y(t)] divide by a - 1, and their brackets
 * vanish with it: the singularity at a = 1 is removable.  Within 1e-7 of it
 * they are evaluated at a = 1 -+ 2e-7 and averaged, which is exact to
 * second order in the offset and loses about 9 of 16 digits to the
 * cancellation (a relative error near 1e-9).
 */
#define NEAR_ONE(a) (fabs((a) - 1) < 1e-7)
#define ONE_OFFSET 2e-7

/* E[X(t)] for a new customer (FHL 2005, eq. 9), a != 1. */
static double
bg_unconditional_at(double r, double alpha, double a, double b, double t)
{
	double		f = exp(r * log(alpha / (alpha + t)) +
						clv_log_hyp2f1(r, b, a + b - 1, t / (alpha + t)));

	return (a + b - 1) / (a - 1) * (1 - f);
}

/* E[X(t)] for a new customer. */
static double
bg_unconditional(const double *par, double t)
{
	if (t == 0)
		return 0;
	if (NEAR_ONE(par[2]))
		return (bg_unconditional_at(par[0], par[1], 1 - ONE_OFFSET, par[3], t) +
				bg_unconditional_at(par[0], par[1], 1 + ONE_OFFSET, par[3], t)) / 2;
	return bg_unconditional_at(par[0], par[1], par[2], par[3], t);
}

/* P(alive | x, t_x, T) (FHL 2005, eq. 10, in the form of the 2008 note). */
static double
bg_prob_alive(const double *par, double x, double tx, double T)
{
	double		r = par[0],
				alpha = par[1],
				a = par[2],
				b = par[3];

	if (x == 0)
		return 1.0;
	return 1.0 / (1.0 + exp(log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx))));
}

/* The bracket of E[Y(t) | x, t_x, T] divided by (a - 1), a != 1. */
static double
bg_conditional_at(double r, double alpha, double a, double b, double x, double T, double t)
{
	double		f = exp((r + x) * (log(alpha + T) - log(alpha + T + t)) +
						clv_log_hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)));

	return (a + b + x - 1) / (a - 1) * (1 - f);
}

/* E[Y(t) | x, t_x, T]: purchases in (T, T + t] (FHL 2005, eq. 10). */
double
clv_bgnbd_conditional(const double *par, double x, double tx, double T, double t)
{
	double		e;

	if (t == 0)
		return 0;
	if (NEAR_ONE(par[2]))
		e = (bg_conditional_at(par[0], par[1], 1 - ONE_OFFSET, par[3], x, T, t) +
			 bg_conditional_at(par[0], par[1], 1 + ONE_OFFSET, par[3], x, T, t)) / 2;
	else
		e = bg_conditional_at(par[0], par[1], par[2], par[3], x, T, t);
	return e * bg_prob_alive(par, x, tx, T);
}

/* P(X(t) = n) for a new customer (FHL 2005, eq. 8). */
static double
bg_pmf(const double *par, double n, double t)
{
	double		r = par[0],
				alpha = par[1],
				a = par[2],
				b = par[3];
	double		lbab = mq_sf_lnbeta(a, b);
	double		p1,
				p2 = 0;

	if (t == 0)
		return n == 0 ? 1.0 : 0.0;
	p1 = exp(mq_sf_lnbeta(a, b + n) - lbab + lgamma(r + n) - lgamma(r) - lgamma(n + 1) +
			 r * log(alpha / (alpha + t)) + n * log(t / (alpha + t)));
	if (n > 0)
	{
		gsl_sf_result res;
		int			status;

		/* 1 - sum_{j<n} NBD(j) = P(NBD >= n) = I_{t/(alpha+t)}(n, r) */
		status = gsl_sf_beta_inc_e(n, r, t / (alpha + t), &res);
		mq_gsl_check(status, "incomplete beta function");
		p2 = exp(mq_sf_lnbeta(a + 1, b + n - 1) - lbab) * res.val;
	}
	return p1 + p2;
}

PG_FUNCTION_INFO_V1(mq_bgnbd_params);

/* params(bgnbd) -> (r, alpha, a, b, log_likelihood, customers, penalizer, iterations, converged) */
Datum
mq_bgnbd_params(PG_FUNCTION_ARGS)
{
	return clv_params_row(fcinfo, &clv_bgnbd_kind);
}

PG_FUNCTION_INFO_V1(mq_bgnbd_expected);

/* expected_purchases(bgnbd, horizon, frequency, recency, t) */
Datum
mq_bgnbd_expected(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		t = horizon_arg(fcinfo, 1);
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);

	bg_params_arg(fcinfo, par);
	clv_check_summary(x, tx, T);
	PG_RETURN_FLOAT8(clv_bgnbd_conditional(par, x, tx, T, t));
}

PG_FUNCTION_INFO_V1(mq_bgnbd_expected_new);

/* expected_purchases(bgnbd, horizon): a new customer */
Datum
mq_bgnbd_expected_new(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		t = horizon_arg(fcinfo, 1);

	bg_params_arg(fcinfo, par);
	PG_RETURN_FLOAT8(bg_unconditional(par, t));
}

PG_FUNCTION_INFO_V1(mq_bgnbd_prob_alive);

/* prob_alive(bgnbd, frequency, recency, t) */
Datum
mq_bgnbd_prob_alive(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	bg_params_arg(fcinfo, par);
	clv_check_summary(x, tx, T);
	PG_RETURN_FLOAT8(bg_prob_alive(par, x, tx, T));
}

PG_FUNCTION_INFO_V1(mq_bgnbd_pmf);

/* purchase_probability(bgnbd, purchases, horizon): P(X(t) = n) for a new customer */
Datum
mq_bgnbd_pmf(PG_FUNCTION_ARGS)
{
	double		par[4];
	int32		n = PG_GETARG_INT32(1);
	double		t = horizon_arg(fcinfo, 2);

	mq_check_int_range(n, "purchases", 0, 100000000);
	bg_params_arg(fcinfo, par);
	PG_RETURN_FLOAT8(bg_pmf(par, n, t));
}
