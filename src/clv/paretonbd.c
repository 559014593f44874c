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
 * model and related expressions", eqs. 18-19), written with its integral:
 *   L = G(r+x) alpha^r beta^s / G(r) * [ e^l1 + s J ],
 *   l1 = -(r+x) ln(alpha+T) - s ln(beta+T)		(alive at T)
 *   J  = int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau	(died at tau)
 * The note's closed form for s J uses the Gauss hypergeometric function at
 * |alpha-beta| / (max(alpha, beta) + t), whose series crawls, and whose
 * library evaluation fails, as that argument nears 1 -- which happens
 * whenever beta >> alpha (little heterogeneity in lifetimes, as in the demo
 * data) and during the search.  The integral has no such trouble.  Its
 * integrand is e^-g with g(tau) = (r+x) ln(alpha+tau) + (s+1) ln(beta+tau);
 * in u = ln(m + tau), m = min(alpha, beta), g + u grows by at most
 * K = (r+x)(m+T)/(alpha+T) + (s+1)(m+T)/(beta+T) + 1 per unit of u (its
 * derivative grows with tau), so cutting [t_x, T] into pieces of width 2/K
 * in u (at most a factor e^2 of change per piece, the integrand analytic
 * within pi of the real axis) makes 8-point Gauss-Legendre exact to
 * rounding on each; pieces stop once the integrand has fallen by e^-45.
 * The derivatives of J with respect to the four parameters are integrals
 * of the same kind over the same nodes, so the gradient is analytic too.
 * Everything is scaled by e^g(t_x) and combined in logarithms.  The tests
 * check the result against the closed form evaluated by mpmath.
 *
 * Predictions (same note): P(alive | x, t_x, T) (eq. 21), E[Y(t) | x, t_x,
 * T] (eq. 22) and E[X(t)] of a new customer (eq. 17).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_sf_psi.h>

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

/* 8-point Gauss-Legendre nodes and weights on [-1, 1] */
static const double gl_x[8] = {
	-0.96028985649753618, -0.79666647741362673, -0.52553240991632899, -0.18343464249564978,
	0.18343464249564978, 0.52553240991632899, 0.79666647741362673, 0.96028985649753618
};
static const double gl_w[8] = {
	0.10122853629037669, 0.22238103445337434, 0.31370664587788705, 0.36268378337836177,
	0.36268378337836177, 0.31370664587788705, 0.22238103445337434, 0.10122853629037669
};

/* the most pieces a lifetime integral is cut into */
#define PN_MAX_PIECES 4096

/*
 * One customer's log-bracket ln[e^l1 + s J] (see the header comment) and,
 * if d is not NULL, its derivatives with respect to (r, alpha, s, beta);
 * *alive (if not NULL) gets P(alive) = e^l1 / (e^l1 + s J).
 */
static double
pn_cell(const double *par, double x, double tx, double T, double *d, double *alive)
{
	double		r = par[0],
				alpha = par[1],
				s = par[2],
				beta = par[3];
	double		rx = r + x,
				s1 = s + 1;
	double		laT = log(alpha + T),
				lbT = log(beta + T);
	double		l1 = -rx * laT - s * lbT;
	double		J = 0,
				Jr = 0,
				Ja = 0,
				Js = 0,
				Jb = 0;
	double		g0 = rx * log(alpha + tx) + s1 * log(beta + tx);
	double		M,
				lsJ,
				e1,
				e2,
				P1,
				P2,
				lnB;

	if (T > tx)
	{
		double		m = Min(alpha, beta);
		double		u0 = log(m + tx),
					u1 = log(m + T);
		/* d(g + u)/du = rx (m+tau)/(alpha+tau) + s1 (m+tau)/(beta+tau) + 1 grows with tau */
		double		K = rx * (m + T) / (alpha + T) + s1 * (m + T) / (beta + T) + 1;
		int			pieces = (int) Min(ceil((u1 - u0) * K / 2), PN_MAX_PIECES);
		double		h = (u1 - u0) / Max(pieces, 1);
		int			p,
					i;

		for (p = 0; p < Max(pieces, 1); p++)
		{
			double		lo = u0 + p * h,
						mid = lo + h / 2;
			double		piece = 0;

			for (i = 0; i < 8; i++)
			{
				double		u = mid + gl_x[i] * h / 2;
				double		tau = exp(u) - m;
				double		la = log(alpha + tau),
							lb = log(beta + tau);
				double		f = gl_w[i] * h / 2 * exp(g0 - rx * la - s1 * lb + u);

				piece += f;
				if (d)
				{
					Jr -= la * f;
					Ja -= rx * f / (alpha + tau);
					Js -= lb * f;
					Jb -= s1 * f / (beta + tau);
				}
			}
			J += piece;
			/* the integrand only falls: stop when what is left cannot matter */
			if (p + 1 < pieces)
			{
				double		tnext = exp(lo + h) - m;

				if (rx * log(alpha + tnext) + s1 * log(beta + tnext) - g0 > 45)
					break;
			}
		}
	}
	lsJ = J > 0 ? log(s) - g0 + log(J) : -get_float8_infinity();
	M = Max(l1, lsJ);
	e1 = exp(l1 - M);
	e2 = exp(lsJ - M);
	lnB = M + log(e1 + e2);
	P1 = e1 / (e1 + e2);
	P2 = e2 / (e1 + e2);
	if (alive)
		*alive = P1;
	if (d)
	{
		d[0] = -P1 * laT + (J > 0 ? P2 * Jr / J : 0);
		d[1] = -P1 * rx / (alpha + T) + (J > 0 ? P2 * Ja / J : 0);
		d[2] = -P1 * lbT + (J > 0 ? P2 * (1 / s + Js / J) : 0);
		d[3] = -P1 * s / (beta + T) + (J > 0 ? P2 * Jb / J : 0);
	}
	return lnB;
}

/* ------------------------------------------------------------------ fit */

/* the sorted cells and the penalty */
typedef struct PnData
{
	ClvCellArrays c;
	double		penalizer;
} PnData;

/*
 * Mean negative log-likelihood (+ penalty) at theta = log(r, alpha, s,
 * beta) and its gradient; *ll (if not NULL) gets the plain log-likelihood.
 * Per customer: lnG(r+x) - lnG(r) + r ln(alpha) + s ln(beta) + the
 * log-bracket of pn_cell.
 */
static double
pn_eval(const double *theta, double *grad, PnData *d, double *ll_out)
{
	double		par[4],
				g[4] = {0, 0, 0, 0};
	double		ll = 0,
				lgr,
				psir = 0,
				prevx = -1,
				A = 0,
				dA = 0;
	int			i,
				j;

	for (i = 0; i < 4; i++)
	{
		par[i] = exp(theta[i]);
		if (!(par[i] > 0 && isfinite(par[i])))
			return get_float8_infinity();
	}
	lgr = lgamma(par[0]);
	if (grad)
		psir = gsl_sf_psi(par[0]);
	for (i = 0; i < d->c.k; i++)
	{
		double		w = d->c.w[i],
					dc[4];

		if (d->c.x[i] != prevx)
		{
			prevx = d->c.x[i];
			A = lgamma(par[0] + prevx) - lgr + par[0] * theta[1] + par[2] * theta[3];
			if (grad)
				dA = gsl_sf_psi(par[0] + prevx) - psir + theta[1];
		}
		ll += w * (A + pn_cell(par, d->c.x[i], d->c.tx[i], d->c.T[i], grad ? dc : NULL, NULL));
		if (grad)
		{
			g[0] += w * (dA + dc[0]);
			g[1] += w * (par[0] / par[1] + dc[1]);
			g[2] += w * (theta[3] + dc[2]);
			g[3] += w * (par[2] / par[3] + dc[3]);
		}
		if ((i & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
	}
	if (ll_out)
		*ll_out = ll;
	if (!isfinite(ll))
		return get_float8_infinity();
	if (grad)
		for (j = 0; j < 4; j++)
			grad[j] = par[j] * (-g[j] / d->c.total + 2 * d->penalizer * par[j]);
	return -ll / d->c.total +
		d->penalizer * (par[0] * par[0] + par[1] * par[1] + par[2] * par[2] + par[3] * par[3]);
}

/* ClvObjective wrapper. */
static double
pn_objective(const double *theta, double *grad, void *arg)
{
	return pn_eval(theta, grad, (PnData *) arg, NULL);
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
	pn_eval(theta, NULL, &d, &ll);
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

/* P(alive | x, t_x, T) = e^l1 / (e^l1 + s J) (eq. 21 in integral form). */
static double
pn_prob_alive(const double *par, double x, double tx, double T)
{
	double		alive;

	pn_cell(par, x, tx, T, NULL, &alive);
	return alive;
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
	return clv_params_row(fcinfo, &clv_pnbd_kind);
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
