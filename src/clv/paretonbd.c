/*-------------------------------------------------------------------------
 *
 * paretonbd.c
 *	  The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), the
 *	  original "buy till you die" model: the paretonbd_fit aggregate, the
 *	  marketiq.paretonbd type and its readers.
 *
 * Story: while alive, a customer buys as a Poisson process with rate
 * lambda, and her lifetime is exponential with rate mu -- she may leave at
 * any moment, not only after a purchase as in BG/NBD.  Across customers
 * lambda ~ Gamma(r, alpha) and mu ~ Gamma(s, beta).
 *
 * Likelihood (Fader & Hardie 2005, "A note on deriving the Pareto/NBD
 * model and related expressions", eq. 19):
 *   L = G(r+x) alpha^r beta^s / G(r)
 *	   * [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ],
 *   A0 = F(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+t_x)) / (alpha+t_x)^(r+s+x)
 *	    - F(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+T)) / (alpha+T)^(r+s+x)
 * when alpha >= beta (F the Gauss hypergeometric function), and the same
 * with (beta, r+x) in place of (alpha, s+1) otherwise, so that the
 * argument always lies in [0, 1) and every parameter of F is positive: the
 * series of clv_log_hyp2f1 then sums positive terms.  Everything is kept in
 * logarithms and combined relative to the largest term.
 *
 * The state is the same (x, t_x, T) cell table as BG/NBD's (cells.c).  The
 * gradient of F with respect to its parameters has no convenient closed
 * form, so the fit uses central differences of the log-likelihood (step
 * 1e-5 on the log-parameters: truncation and rounding errors near 1e-10),
 * which costs nine likelihood evaluations per gradient -- fine for the few
 * thousand cells of real data, slower than BG/NBD on very large ones.
 *
 * Predictions (same note): P(alive | x, t_x, T) (eq. 21), E[Y(t) | x, t_x,
 * T] (eq. 22) and E[X(t)] of a new customer (eq. 17).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_clv.h"

static const MqSectSpec pnbd_sects[CS_NSECT] = {
	{"n", MQ_INT64},
	{"skipped", MQ_INT64},
	{"penalizer", MQ_FLOAT8},
	{"fitted", MQ_INT64},
	{"r", MQ_FLOAT8},
	{"alpha", MQ_FLOAT8},
	{"s", MQ_FLOAT8},
	{"beta", MQ_FLOAT8},
	{"log_likelihood", MQ_FLOAT8},
	{"iterations", MQ_INT64},
	{"converged", MQ_INT64},
	{"x", MQ_FLOAT8_ARR},
	{"tx", MQ_FLOAT8_ARR},
	{"t", MQ_FLOAT8_ARR},
	{"count", MQ_INT64_ARR},
};

const MqKind clv_pnbd_kind = {
	.name = "paretonbd",
	.id = CLV_KIND_PARETONBD,
	.format = 1,
	.nsect = CS_NSECT,
	.sects = pnbd_sects,
	.check = clv_cells_check,
	.state_size = sizeof(ClvCells),
	.init = clv_cells_init,
	.merge = clv_cells_merge,
	.flatten = clv_cells_flatten,
};

MQ_MODEL_TYPE_IO(paretonbd, &clv_pnbd_kind)

static const char *const pnbd_names[4] = {"r", "alpha", "s", "beta"};

/*
 * The three log-terms of a customer's likelihood: l1 = ln[(alpha+T)^-(r+x)
 * (beta+T)^-s], l2 and l3 the logs of A0's two terms; and c = s/(r+s+x).
 * The bracket of L is e^l1 + c (e^l2 - e^l3).
 */
static void
pn_terms(const double *par, double x, double tx, double T,
		 double *l1, double *l2, double *l3, double *c)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		rsx = r + s + x;
	double		m,
				b2,
				d;

	if (alpha >= beta)
	{
		m = alpha;
		b2 = s + 1;
		d = alpha - beta;
	}
	else
	{
		m = beta;
		b2 = r + x;
		d = beta - alpha;
	}
	*l1 = -(r + x) * log(alpha + T) - s * log(beta + T);
	*l2 = clv_log_hyp2f1(rsx, b2, rsx + 1, d / (m + tx)) - rsx * log(m + tx);
	*l3 = tx == T ? *l2 : clv_log_hyp2f1(rsx, b2, rsx + 1, d / (m + T)) - rsx * log(m + T);
	*c = s / rsx;
}

/*
 * ln of the bracket e^l1 + c (e^l2 - e^l3), computed relative to the
 * largest term; the difference is written e^l2 (1 - e^(l3 - l2)) with
 * expm1, exact when t_x is close to T (l3 close to l2).
 */
static double
pn_log_bracket(double l1, double l2, double l3, double c)
{
	double		M = Max(l1, l2);
	double		v = exp(l1 - M) - c * exp(l2 - M) * expm1(l3 - l2);

	return v > 0 ? M + log(v) : -get_float8_infinity();
}

/* ------------------------------------------------------------------ fit */

/* the sorted cells and the penalty */
typedef struct PnData
{
	ClvCellArrays c;
	double		penalizer;
} PnData;

/* Mean negative log-likelihood (+ penalty) at theta = log(r, alpha, s, beta); *ll the plain LL. */
static double
pn_value(const double *theta, PnData *d, double *ll_out)
{
	double		par[4];
	double		ll = 0,
				lgr,
				lrab;
	double		prevx = -1,
				A = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		par[i] = exp(theta[i]);
		if (!(par[i] > 0 && isfinite(par[i])))
			return get_float8_infinity();
	}
	lgr = lgamma(par[0]);
	lrab = par[0] * theta[1] + par[2] * theta[3];
	for (i = 0; i < d->c.k; i++)
	{
		double		l1,
					l2,
					l3,
					c;

		if (d->c.x[i] != prevx)
		{
			prevx = d->c.x[i];
			A = lgamma(par[0] + prevx) - lgr + lrab;
		}
		pn_terms(par, d->c.x[i], d->c.tx[i], d->c.T[i], &l1, &l2, &l3, &c);
		ll += d->c.w[i] * (A + pn_log_bracket(l1, l2, l3, c));
		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
	}
	if (ll_out)
		*ll_out = ll;
	if (!isfinite(ll))
		return get_float8_infinity();
	return -ll / d->c.total +
		d->penalizer * (par[0] * par[0] + par[1] * par[1] + par[2] * par[2] + par[3] * par[3]);
}

/* ClvObjective: the value, and the gradient by central differences. */
static double
pn_objective(const double *theta, double *grad, void *arg)
{
	PnData	   *d = (PnData *) arg;
	double		f = pn_value(theta, d, NULL);
	int			i;

	if (grad && isfinite(f))
	{
		double		t[4];
		const double h = 1e-5;

		memcpy(t, theta, sizeof(t));
		for (i = 0; i < 4; i++)
		{
			double		fp,
						fm;

			t[i] = theta[i] + h;
			fp = pn_value(t, d, NULL);
			t[i] = theta[i] - h;
			fm = pn_value(t, d, NULL);
			t[i] = theta[i];
			grad[i] = (fp - fm) / (2 * h);
		}
	}
	return f;
}

/* Fit Pareto/NBD to a state's cells; the fitted flat model. */
static MqModel *
pn_fit(ClvCells *cells)
{
	PnData		d;
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
	for (i = 0; i < d.c.k; i++)
	{
		sx += d.c.w[i] * d.c.x[i];
		sT += d.c.w[i] * d.c.T[i];
	}
	if (sx == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("paretonbd fit needs at least one customer with a repeat purchase"),
				 errdetail("All " INT64_FORMAT " customers have frequency 0: the purchase rate and "
						   "the lifetimes cannot be estimated.", cells->n)));
	/* start: r = s = 1, alpha matching the mean purchase rate, beta the mean age */
	theta[0] = 0;
	theta[1] = log(Max(sT / sx, 1e-6));
	theta[2] = 0;
	theta[3] = log(Max(sT / d.c.total, 1e-6));
	scale[0] = scale[2] = 1;
	scale[1] = scale[3] = Max(sT / d.c.total, 1e-6);
	clv_minimize(4, theta, pn_objective, &d, "paretonbd fit", scale, &res);
	for (i = 0; i < 4; i++)
		par[i] = exp(theta[i]);
	pn_value(theta, &d, &ll);
	for (i = 0; i < 4; i++)
		if (!(par[i] > 0 && isfinite(par[i])) || !isfinite(ll))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("paretonbd fit diverged"),
					 errdetail("Last estimate: r = %g, alpha = %g, s = %g, beta = %g.",
							   par[0], par[1], par[2], par[3]),
					 errhint("Try a small penalizer.")));
	clv_warn_not_converged("paretonbd fit", &res, pnbd_names, par, 4);
	return clv_cells_fitted(&clv_pnbd_kind, cells, par, ll, res.iterations, res.converged);
}

PG_FUNCTION_INFO_V1(mq_pnbd_trans);

/* paretonbd_fit(frequency, recency, t) transition. */
Datum
mq_pnbd_trans(PG_FUNCTION_ARGS)
{
	return clv_cells_trans(fcinfo, &clv_pnbd_kind, false);
}

PG_FUNCTION_INFO_V1(mq_pnbd_trans_pen);

/* paretonbd_fit(frequency, recency, t, penalizer) transition. */
Datum
mq_pnbd_trans_pen(PG_FUNCTION_ARGS)
{
	return clv_cells_trans(fcinfo, &clv_pnbd_kind, true);
}

PG_FUNCTION_INFO_V1(mq_pnbd_combine);

/* paretonbd_fit combine: cell counts add up. */
Datum
mq_pnbd_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &clv_pnbd_kind);
}

PG_FUNCTION_INFO_V1(mq_pnbd_final);

/* paretonbd_fit final: the fitted model, NULL when no customer was seen. */
Datum
mq_pnbd_final(PG_FUNCTION_ARGS)
{
	MqState    *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &clv_pnbd_kind);
	if (((ClvCells *) s)->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(pn_fit((ClvCells *) s));
}

/* -------------------------------------------------------------- readers */

/*
 * P(alive | x, t_x, T) = 1 / (1 + c (e^l2 - e^l3) / e^l1) (eq. 21), with
 * the ratio taken in logarithms so that a long-silent customer gets 0
 * rather than an overflow.
 */
static double
pn_prob_alive(const double *par, double x, double tx, double T)
{
	double		l1,
				l2,
				l3,
				c;

	pn_terms(par, x, tx, T, &l1, &l2, &l3, &c);
	return 1.0 / (1.0 + exp(log(c) + (l2 - l1) + log(-expm1(l3 - l2))));
}

/* (1 - q^(s-1)) / (s - 1) with q in (0, 1], stable through s = 1 (where it is -ln q). */
static double
power_ratio(double q, double s)
{
	double		lq = log(q);

	if (fabs(s - 1) < 1e-12)
		return -lq;
	return -expm1((s - 1) * lq) / (s - 1);
}

/* E[Y(t) | x, t_x, T] (eq. 22). */
double
clv_pnbd_conditional(const double *par, double x, double tx, double T, double t)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];

	if (t == 0)
		return 0;
	return (r + x) * (beta + T) / (alpha + T) * power_ratio((beta + T) / (beta + T + t), s) *
		pn_prob_alive(par, x, tx, T);
}

/* E[X(t)] of a new customer (eq. 17). */
static double
pn_unconditional(const double *par, double t)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];

	if (t == 0)
		return 0;
	return r * beta / alpha * power_ratio(beta / (beta + t), s);
}

/* a fitted model's parameters */
static void
pn_params_arg(FunctionCallInfo fcinfo, double *par)
{
	clv_model_params(clv_fitted_arg(fcinfo, 0, &clv_pnbd_kind), par);
}

/* Validate a horizon argument. */
static double
horizon_arg(FunctionCallInfo fcinfo, int argno)
{
	double		t = PG_GETARG_FLOAT8(argno);

	mq_check_range(t, "horizon", 0, true, get_float8_infinity(), false);
	return t;
}

PG_FUNCTION_INFO_V1(mq_pnbd_params);

/* params(paretonbd) -> (r, alpha, s, beta, log_likelihood, customers, penalizer, iterations, converged) */
Datum
mq_pnbd_params(PG_FUNCTION_ARGS)
{
	const MqModel *m = clv_fitted_arg(fcinfo, 0, &clv_pnbd_kind);
	TupleDesc	tupdesc;
	Datum		v[9];
	bool		nulls[9] = {0};
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (i = 0; i < 4; i++)
		v[i] = Float8GetDatum(mq_get_float8(m, CS_P1 + i));
	v[4] = Float8GetDatum(mq_get_float8(m, CS_LL));
	v[5] = Int64GetDatum(mq_get_int64(m, CS_N));
	v[6] = Float8GetDatum(mq_get_float8(m, CS_PENALIZER));
	v[7] = Int32GetDatum((int32) Min(mq_get_int64(m, CS_ITER), PG_INT32_MAX));
	v[8] = BoolGetDatum(mq_get_int64(m, CS_CONVERGED) != 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

PG_FUNCTION_INFO_V1(mq_pnbd_expected);

/* expected_purchases(paretonbd, horizon, frequency, recency, t) */
Datum
mq_pnbd_expected(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		t = horizon_arg(fcinfo, 1);
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);

	pn_params_arg(fcinfo, par);
	clv_check_summary(x, tx, T);
	PG_RETURN_FLOAT8(clv_pnbd_conditional(par, x, tx, T, t));
}

PG_FUNCTION_INFO_V1(mq_pnbd_expected_new);

/* expected_purchases(paretonbd, horizon): a new customer */
Datum
mq_pnbd_expected_new(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		t = horizon_arg(fcinfo, 1);

	pn_params_arg(fcinfo, par);
	PG_RETURN_FLOAT8(pn_unconditional(par, t));
}

PG_FUNCTION_INFO_V1(mq_pnbd_prob_alive);

/* prob_alive(paretonbd, frequency, recency, t) */
Datum
mq_pnbd_prob_alive(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	pn_params_arg(fcinfo, par);
	clv_check_summary(x, tx, T);
	PG_RETURN_FLOAT8(pn_prob_alive(par, x, tx, T));
}
