/*-------------------------------------------------------------------------
 *
 * gammagamma.c
 *	  The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013,
 *	  "The Gamma-Gamma model of monetary value"; Fader, Hardie & Lee 2005,
 *	  "RFM and CLV"): the gamma_gamma_fit aggregate, the
 *	  marketiq.gammagamma type and expected_spend.
 *
 * Story: the value of each of a customer's transactions is
 * Gamma(p, nu); across customers nu ~ Gamma(q, gamma).  A customer with x
 * repeat transactions of mean value zbar then has the density
 *   f(zbar) = G(px+q) / (G(px) G(q)) gamma^q zbar^(px-1) x^(px)
 *             / (gamma + x zbar)^(px+q),
 * and her expected spend per transaction, given what we saw, is
 *   E[Z | x, zbar] = (p gamma + p x zbar) / (p x + q - 1),
 * a weighted mean of the population mean p gamma / (q - 1) and her own
 * mean.  The model assumes spend is independent of the purchase process.
 *
 * Unlike the transaction models, the likelihood has no compact sufficient
 * statistic (zbar enters through ln(gamma + x zbar)), so the state keeps
 * the distinct (x, zbar) pairs with counts -- one entry per repeat customer
 * at worst, guarded by marketiq.max_model_bytes -- and merges them by
 * addition.  Customers without repeat purchases carry no information about
 * spend and are only counted.  The fit is BFGS on log(p, q, gamma) with the
 * analytic gradient, terms of x alone computed once per distinct x.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_sf_psi.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_clv.h"

/*
 * Sections.  n, skipped, penalizer and fitted have the indexes of the
 * transaction models (CS_N .. CS_FITTED), so clv_fitted_arg serves both.
 */
enum
{
	GG_N,						/* int64: customers with repeat purchases in the fit */
	GG_SKIPPED,					/* int64: rows skipped because an input was NULL */
	GG_PENALIZER,				/* float8: L2 penalizer (-1: not known yet) */
	GG_FITTED,					/* int64: 1 fitted model, 0 state */
	GG_P,						/* float8: p */
	GG_Q,						/* float8: q */
	GG_GAMMA,					/* float8: gamma */
	GG_LL,						/* float8: log-likelihood at the estimate */
	GG_ITER,					/* int64: optimiser iterations */
	GG_CONVERGED,				/* int64: 1 when the optimiser met its tolerance */
	GG_NOREPEAT,				/* int64: rows with frequency 0 (not used by the fit) */
	GG_X,						/* float8[]: per cell, frequency */
	GG_Z,						/* float8[]: per cell, mean repeat spend */
	GG_COUNT,					/* int64[]: per cell, customers */
	GG_NSECT
};

StaticAssertDecl((int) GG_FITTED == (int) CS_FITTED, "fitted flags at the same index");

static const MqSectSpec gg_sects[GG_NSECT] = {
	{"n", MQ_INT64},
	{"skipped", MQ_INT64},
	{"penalizer", MQ_FLOAT8},
	{"fitted", MQ_INT64},
	{"p", MQ_FLOAT8},
	{"q", MQ_FLOAT8},
	{"gamma", MQ_FLOAT8},
	{"log_likelihood", MQ_FLOAT8},
	{"iterations", MQ_INT64},
	{"converged", MQ_INT64},
	{"no_repeat", MQ_INT64},
	{"x", MQ_FLOAT8_ARR},
	{"monetary", MQ_FLOAT8_ARR},
	{"count", MQ_INT64_ARR},
};

/* In-memory state: distinct (x, zbar) cells with counts. */
typedef struct GgState
{
	MqState		hdr;			/* expanded-object header, first */
	int64		n;				/* customers with x > 0 */
	int64		skipped;		/* rows with a NULL input */
	int64		no_repeat;		/* rows with x = 0 */
	double		penalizer;		/* -1 until the first row sets it */
	MqAccum		cells;			/* key: bits of (x, zbar); value: customers */
} GgState;

static void gg_init(MqState *s);
static void gg_merge(MqState *s, const MqModel *m);
static MqModel *gg_flatten(MqState *s);
static void gg_check(const MqKind *kind, const MqModel *m);

const MqKind clv_gg_kind = {
	.name = "gammagamma",
	.id = CLV_KIND_GAMMAGAMMA,
	.format = 1,
	.nsect = GG_NSECT,
	.sects = gg_sects,
	.check = gg_check,
	.state_size = sizeof(GgState),
	.init = gg_init,
	.merge = gg_merge,
	.flatten = gg_flatten,
};

MQ_MODEL_TYPE_IO(gammagamma, &clv_gg_kind)

static const char *const gg_names[3] = {"p", "q", "gamma"};

/* Validate a monetary value given the frequency. */
static void
gg_check_monetary(double x, double z)
{
	mq_check_finite(z, "monetary");
	if (z < 0 || (x > 0 && z == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"monetary\" must be positive for customers with repeat purchases"),
				 errdetail("Frequency is %.15g and monetary is %.15g.", x, z),
				 errhint("Monetary is the mean value of the repeat purchases; the Gamma-Gamma model "
						 "describes positive spend, so leave out refunds and zero-value orders.")));
}

/* Add count customers to the cell (x, zbar). */
static void
gg_add(GgState *g, double x, double z, double count)
{
	double		v[2];
	int32		key[4];
	int			e;

	v[0] = x + 0.0;
	v[1] = z + 0.0;
	memcpy(key, v, sizeof(v));
	e = mq_accum_upsert(&g->cells, key);
	MQ_ACCUM_VALS(&g->cells, e)[0] += count;
}

/* Empty state. */
static void
gg_init(MqState *s)
{
	GgState    *g = (GgState *) s;

	g->penalizer = -1;
	mq_accum_init(&g->cells, 4, 1);
}

/* Add a flat state into a state. */
static void
gg_merge(MqState *s, const MqModel *m)
{
	GgState    *g = (GgState *) s;
	int			k,
				i;
	const double *x,
			   *z;
	const int64 *cnt;

	if (mq_get_int64(m, GG_FITTED) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a fitted gammagamma model cannot be combined with aggregate states"),
				 errhint("Fit the model again from the customer summaries.")));
	g->n += mq_get_int64(m, GG_N);
	g->skipped += mq_get_int64(m, GG_SKIPPED);
	g->no_repeat += mq_get_int64(m, GG_NOREPEAT);
	clv_merge_penalizer(&g->penalizer, mq_get_float8(m, GG_PENALIZER), s->kind->name);
	x = mq_get_float8s(m, GG_X, &k);
	z = mq_get_float8s(m, GG_Z, &k);
	cnt = mq_get_int64s(m, GG_COUNT, &k);
	for (i = 0; i < k; i++)
		gg_add(g, x[i], z[i], (double) cnt[i]);
	mq_check_state_size(mq_accum_bytes(&g->cells), s->kind, "(frequency, monetary) cells");
}

/* qsort context: keys of the cells being sorted */
static const double *gg_sort_keys;

/* Compare two cells by (x, zbar). */
static int
gg_cmp(const void *a, const void *b)
{
	const double *ka = gg_sort_keys + 2 * (Size) *(const int *) a;
	const double *kb = gg_sort_keys + 2 * (Size) *(const int *) b;

	if (ka[0] != kb[0])
		return ka[0] < kb[0] ? -1 : 1;
	if (ka[1] != kb[1])
		return ka[1] < kb[1] ? -1 : 1;
	return 0;
}

/* Sorted cells: x, zbar, counts (palloc'd); returns the number of cells. */
static int
gg_sorted(GgState *g, double **xo, double **zo, double **wo)
{
	int			k = g->cells.n,
				i;
	double	   *keys = palloc(sizeof(double) * 2 * Max(k, 1));
	int		   *order = palloc(sizeof(int) * Max(k, 1));
	double	   *x = palloc(sizeof(double) * Max(k, 1));
	double	   *z = palloc(sizeof(double) * Max(k, 1));
	double	   *w = palloc(sizeof(double) * Max(k, 1));

	for (i = 0; i < k; i++)
	{
		memcpy(keys + 2 * (Size) i, MQ_ACCUM_KEY(&g->cells, i), sizeof(double) * 2);
		order[i] = i;
	}
	gg_sort_keys = keys;
	qsort(order, k, sizeof(int), gg_cmp);
	for (i = 0; i < k; i++)
	{
		x[i] = keys[2 * (Size) order[i]];
		z[i] = keys[2 * (Size) order[i] + 1];
		w[i] = MQ_ACCUM_VALS(&g->cells, order[i])[0];
	}
	*xo = x;
	*zo = z;
	*wo = w;
	return k;
}

/* Build a flat value: a state (par NULL: cells) or a fitted model (no cells). */
static MqModel *
gg_build(GgState *g, const double *par, double ll, int iter, bool converged)
{
	MqBuilder  *b = mq_build_begin(&clv_gg_kind);
	double	   *x = NULL,
			   *z = NULL,
			   *w = NULL;
	int64	   *cnt = NULL;
	int			k = 0,
				i;

	if (par == NULL)
	{
		k = gg_sorted(g, &x, &z, &w);
		cnt = palloc(sizeof(int64) * Max(k, 1));
		for (i = 0; i < k; i++)
			cnt[i] = (int64) w[i];
	}
	mq_put_int64(b, GG_N, g->n);
	mq_put_int64(b, GG_SKIPPED, g->skipped);
	mq_put_float8(b, GG_PENALIZER, par ? Max(g->penalizer, 0) : g->penalizer);
	mq_put_int64(b, GG_FITTED, par ? 1 : 0);
	for (i = 0; i < 3; i++)
		mq_put_float8(b, GG_P + i, par ? par[i] : get_float8_nan());
	mq_put_float8(b, GG_LL, par ? ll : get_float8_nan());
	mq_put_int64(b, GG_ITER, iter);
	mq_put_int64(b, GG_CONVERGED, converged ? 1 : 0);
	mq_put_int64(b, GG_NOREPEAT, g->no_repeat);
	mq_put_float8s(b, GG_X, x, k);
	mq_put_float8s(b, GG_Z, z, k);
	mq_put_int64s(b, GG_COUNT, cnt, k);
	return mq_build_finish(b);
}

/* Flat form of a state. */
static MqModel *
gg_flatten(MqState *s)
{
	return gg_build((GgState *) s, NULL, 0, 0, false);
}

/* Semantic checks of a value from outside. */
static void
gg_check(const MqKind *kind, const MqModel *m)
{
	int			k,
				k2,
				k3,
				i;
	const double *x = mq_get_float8s(m, GG_X, &k);
	const double *z = mq_get_float8s(m, GG_Z, &k2);
	const int64 *cnt = mq_get_int64s(m, GG_COUNT, &k3);
	int64		n = mq_get_int64(m, GG_N),
				fitted = mq_get_int64(m, GG_FITTED),
				total = 0;
	double		pen = mq_get_float8(m, GG_PENALIZER);

	if (k != k2 || k != k3)
		mq_model_corrupt(kind, "Sections \"x\", \"monetary\" and \"count\" have %d, %d and %d elements.",
						 k, k2, k3);
	if (n < 0 || mq_get_int64(m, GG_SKIPPED) < 0 || mq_get_int64(m, GG_NOREPEAT) < 0 ||
		mq_get_int64(m, GG_ITER) < 0)
		mq_model_corrupt(kind, "Counts must not be negative.");
	if (!(pen == -1 || (pen >= 0 && isfinite(pen))))
		mq_model_corrupt(kind, "\"penalizer\" must be -1 (not set) or a finite number >= 0.");
	if ((fitted != 0 && fitted != 1) ||
		(mq_get_int64(m, GG_CONVERGED) != 0 && mq_get_int64(m, GG_CONVERGED) != 1))
		mq_model_corrupt(kind, "\"fitted\" and \"converged\" must be 0 or 1.");
	if (fitted)
	{
		if (k != 0 || n < 1 || pen < 0)
			mq_model_corrupt(kind, "A fitted model has no cells, n >= 1 and a penalizer >= 0.");
		for (i = GG_P; i <= GG_GAMMA; i++)
			if (!(mq_get_float8(m, i) > 0 && isfinite(mq_get_float8(m, i))))
				mq_model_corrupt(kind, "Parameter \"%s\" must be a positive finite number.",
								 kind->sects[i].name);
		if (!isfinite(mq_get_float8(m, GG_LL)))
			mq_model_corrupt(kind, "\"log_likelihood\" must be finite.");
		return;
	}
	for (i = GG_P; i <= GG_LL; i++)
		if (!isnan(mq_get_float8(m, i)))
			mq_model_corrupt(kind, "An aggregate state (fitted = 0) has NaN parameters.");
	for (i = 0; i < k; i++)
	{
		if (!(isfinite(x[i]) && x[i] >= 1 && x[i] == floor(x[i]) && isfinite(z[i]) && z[i] > 0))
			mq_model_corrupt(kind, "Cell %d (x %g, monetary %g) is not a repeat customer's summary.",
							 i + 1, x[i], z[i]);
		if (cnt[i] < 1 || cnt[i] > PG_INT64_MAX - total)
			mq_model_corrupt(kind, "Count " INT64_FORMAT " of cell %d is out of range.", cnt[i], i + 1);
		total += cnt[i];
	}
	if (total != n)
		mq_model_corrupt(kind, "\"n\" is " INT64_FORMAT " but the cell counts add up to " INT64_FORMAT ".",
						 n, total);
}

/* ------------------------------------------------------------------ fit */

/* Cells grouped by x, and the penalty. */
typedef struct GgData
{
	int			k;				/* cells */
	double	   *x,
			   *z,
			   *w,
			   *lnz;			/* per cell; lnz = ln(zbar) */
	int			ng;				/* distinct x */
	int		   *gstart;			/* group g: cells gstart[g] .. gstart[g+1]-1 */
	double	   *gw;				/* customers in group g */
	double	   *gwlnz;			/* sum of w ln(zbar) in group g */
	double		total;			/* customers */
	double		penalizer;
} GgData;

/* Mean negative log-likelihood (+ penalty) at theta = log(p, q, gamma), and its gradient. */
static double
gg_eval(const double *theta, double *grad, GgData *d, double *ll_out)
{
	double		p = exp(theta[0]),
				q = exp(theta[1]),
				gm = exp(theta[2]);
	double		lngm = theta[2];
	double		ll = 0,
				g[3] = {0, 0, 0};
	double		lgq,
				psiq = 0;
	int			gi,
				i;

	if (!(isfinite(p) && isfinite(q) && isfinite(gm) && p > 0 && q > 0 && gm > 0))
		return get_float8_infinity();
	lgq = lgamma(q);
	if (grad)
		psiq = gsl_sf_psi(q);
	for (gi = 0; gi < d->ng; gi++)
	{
		int			lo = d->gstart[gi],
					hi = d->gstart[gi + 1];
		double		x = d->x[lo],
					px = p * x,
					lnx = log(x),
					gw = d->gw[gi];
		double		s_l = 0,
					s_inv = 0;

		for (i = lo; i < hi; i++)
		{
			double		u = gm + x * d->z[i];

			s_l += d->w[i] * log(u);
			if (grad)
				s_inv += d->w[i] / u;
		}
		ll += gw * (lgamma(px + q) - lgamma(px) - lgq + q * lngm + px * lnx) +
			(px - 1) * d->gwlnz[gi] - (px + q) * s_l;
		if (grad)
		{
			double		psipxq = gsl_sf_psi(px + q);

			g[0] += x * (gw * (psipxq - gsl_sf_psi(px) + lnx) + d->gwlnz[gi] - s_l);
			g[1] += gw * (psipxq - psiq + lngm) - s_l;
			g[2] += gw * q / gm - (px + q) * s_inv;
		}
	}
	if (ll_out)
		*ll_out = ll;
	if (grad)
	{
		double		par[3] = {p, q, gm};

		for (i = 0; i < 3; i++)
			grad[i] = par[i] * (-g[i] / d->total + 2 * d->penalizer * par[i]);
	}
	return -ll / d->total + d->penalizer * (p * p + q * q + gm * gm);
}

/* ClvObjective wrapper. */
static double
gg_objective(const double *theta, double *grad, void *arg)
{
	return gg_eval(theta, grad, (GgData *) arg, NULL);
}

/* Fit Gamma-Gamma to a state; the fitted flat model. */
static MqModel *
gg_fit(GgState *g)
{
	GgData		d;
	double		theta[3],
				par[3],
				scale[3],
				ll,
				mean = 0;
	int			i,
				ng = 0;
	ClvFitResult res;

	d.k = gg_sorted(g, &d.x, &d.z, &d.w);
	d.penalizer = Max(g->penalizer, 0);
	d.lnz = palloc(sizeof(double) * Max(d.k, 1));
	d.gstart = palloc(sizeof(int) * (d.k + 1));
	d.gw = palloc(sizeof(double) * Max(d.k, 1));
	d.gwlnz = palloc(sizeof(double) * Max(d.k, 1));
	d.total = 0;
	for (i = 0; i < d.k; i++)
	{
		d.lnz[i] = log(d.z[i]);
		if (i == 0 || d.x[i] != d.x[i - 1])
		{
			d.gstart[ng] = i;
			d.gw[ng] = 0;
			d.gwlnz[ng] = 0;
			ng++;
		}
		d.gw[ng - 1] += d.w[i];
		d.gwlnz[ng - 1] += d.w[i] * d.lnz[i];
		d.total += d.w[i];
		mean += d.w[i] * d.z[i];
	}
	d.gstart[ng] = d.k;
	d.ng = ng;
	mean /= d.total;
	/* start: p = 1, q = 2 (a finite mean), gamma matching the mean spend p gamma / (q - 1) */
	theta[0] = 0;
	theta[1] = log(2.0);
	theta[2] = log(mean);
	scale[0] = scale[1] = 1;
	scale[2] = mean;			/* gamma is in money units: the mean spend */
	clv_minimize(3, theta, gg_objective, &d, "gammagamma fit", scale, &res);
	for (i = 0; i < 3; i++)
		par[i] = exp(theta[i]);
	gg_eval(theta, NULL, &d, &ll);
	if (!(par[0] > 0 && isfinite(par[0]) && par[1] > 0 && isfinite(par[1]) &&
		  par[2] > 0 && isfinite(par[2]) && isfinite(ll)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("gammagamma fit diverged"),
				 errdetail("Last estimate: p = %g, q = %g, gamma = %g.", par[0], par[1], par[2]),
				 errhint("Every customer may have the same mean spend; try a small penalizer.")));
	clv_warn_not_converged("gammagamma fit", &res, gg_names, par, 3);
	return gg_build(g, par, ll, res.iterations, res.converged);
}

/* Transition body: (state, frequency, monetary [, penalizer]). */
static Datum
gg_trans(FunctionCallInfo fcinfo, bool has_penalizer)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &clv_gg_kind);
	GgState    *g = (GgState *) s;
	double		pen = 0,
				x,
				z;
	MemoryContext old;

	if (has_penalizer)
	{
		mq_check_not_null(PG_ARGISNULL(3), "penalizer");
		pen = PG_GETARG_FLOAT8(3);
		mq_check_range(pen, "penalizer", 0, true, get_float8_infinity(), false);
	}
	clv_merge_penalizer(&g->penalizer, pen, clv_gg_kind.name);
	if (PG_ARGISNULL(1))
	{
		g->skipped++;
		return mq_state_return(s);
	}
	x = PG_GETARG_FLOAT8(1);
	clv_check_frequency(x);
	if (x == 0)
	{
		if (!PG_ARGISNULL(2))
			gg_check_monetary(x, PG_GETARG_FLOAT8(2));
		g->no_repeat++;
		return mq_state_return(s);
	}
	if (PG_ARGISNULL(2))
	{
		g->skipped++;
		return mq_state_return(s);
	}
	z = PG_GETARG_FLOAT8(2);
	gg_check_monetary(x, z);
	old = MemoryContextSwitchTo(s->cxt);
	gg_add(g, x, z, 1);
	MemoryContextSwitchTo(old);
	g->n++;
	mq_check_state_size(mq_accum_bytes(&g->cells), &clv_gg_kind, "(frequency, monetary) cells");
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_gg_trans);

/* gamma_gamma_fit(frequency, monetary) transition. */
Datum
mq_gg_trans(PG_FUNCTION_ARGS)
{
	return gg_trans(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mq_gg_trans_pen);

/* gamma_gamma_fit(frequency, monetary, penalizer) transition. */
Datum
mq_gg_trans_pen(PG_FUNCTION_ARGS)
{
	return gg_trans(fcinfo, true);
}

PG_FUNCTION_INFO_V1(mq_gg_combine);

/* gamma_gamma_fit combine. */
Datum
mq_gg_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &clv_gg_kind);
}

PG_FUNCTION_INFO_V1(mq_gg_final);

/* gamma_gamma_fit final: the fitted model; NULL without any row; an error without repeat customers. */
Datum
mq_gg_final(PG_FUNCTION_ARGS)
{
	GgState    *g;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	g = (GgState *) mq_state_view(fcinfo, 0, &clv_gg_kind);
	if (g->n == 0 && g->no_repeat == 0)
		PG_RETURN_NULL();
	if (g->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gammagamma fit needs at least one customer with a repeat purchase"),
				 errdetail("All " INT64_FORMAT " customers have frequency 0: their spend per repeat "
						   "purchase is unknown.", g->no_repeat)));
	PG_RETURN_POINTER(gg_fit(g));
}

/* -------------------------------------------------------------- readers */

/* E[Z | x, zbar] (Fader & Hardie 2013, eq. 5). */
double
clv_gg_expected_spend(const double *par, double x, double zbar)
{
	double		p = par[0],
				q = par[1],
				gm = par[2];
	double		den = p * x + q - 1;

	if (!(den > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the expected spend is infinite under this gammagamma model"),
				 errdetail("p x + q - 1 = %g is not positive (q = %g).", den, q),
				 errhint("Under a fit with q <= 1 spend is so heavy-tailed that its mean does not exist: "
						 "look for outliers among the monetary values.")));
	return (p * gm + p * x * zbar) / den;
}

/* The parameters of a fitted Gamma-Gamma model argument. */
static void
gg_params_arg(FunctionCallInfo fcinfo, int argno, double *par)
{
	const MqModel *m = clv_fitted_arg(fcinfo, argno, &clv_gg_kind);

	par[0] = mq_get_float8(m, GG_P);
	par[1] = mq_get_float8(m, GG_Q);
	par[2] = mq_get_float8(m, GG_GAMMA);
}

/* The checked Gamma-Gamma parameters of argument argno (for the CLV function). */
void
clv_gg_params(FunctionCallInfo fcinfo, int argno, double *par)
{
	gg_params_arg(fcinfo, argno, par);
}

/* Validate (frequency, monetary) for the readers. */
void
clv_gg_check_input(double x, double z)
{
	clv_check_frequency(x);
	gg_check_monetary(x, z);
}

PG_FUNCTION_INFO_V1(mq_gg_params);

/* params(gammagamma) -> (p, q, gamma, log_likelihood, customers, penalizer, iterations, converged) */
Datum
mq_gg_params(PG_FUNCTION_ARGS)
{
	const MqModel *m = clv_fitted_arg(fcinfo, 0, &clv_gg_kind);
	TupleDesc	tupdesc;
	Datum		v[8];
	bool		nulls[8] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = Float8GetDatum(mq_get_float8(m, GG_P));
	v[1] = Float8GetDatum(mq_get_float8(m, GG_Q));
	v[2] = Float8GetDatum(mq_get_float8(m, GG_GAMMA));
	v[3] = Float8GetDatum(mq_get_float8(m, GG_LL));
	v[4] = Int64GetDatum(mq_get_int64(m, GG_N));
	v[5] = Float8GetDatum(mq_get_float8(m, GG_PENALIZER));
	v[6] = Int32GetDatum((int32) Min(mq_get_int64(m, GG_ITER), PG_INT32_MAX));
	v[7] = BoolGetDatum(mq_get_int64(m, GG_CONVERGED) != 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

PG_FUNCTION_INFO_V1(mq_gg_expected_spend);

/* expected_spend(gammagamma, frequency, monetary) */
Datum
mq_gg_expected_spend(PG_FUNCTION_ARGS)
{
	double		par[3];
	double		x = PG_GETARG_FLOAT8(1),
				z = PG_GETARG_FLOAT8(2);

	gg_params_arg(fcinfo, 0, par);
	clv_gg_check_input(x, z);
	PG_RETURN_FLOAT8(clv_gg_expected_spend(par, x, z));
}

PG_FUNCTION_INFO_V1(mq_gg_expected_spend_new);

/* expected_spend(gammagamma): the population mean spend per transaction, p gamma / (q - 1) */
Datum
mq_gg_expected_spend_new(PG_FUNCTION_ARGS)
{
	double		par[3];

	gg_params_arg(fcinfo, 0, par);
	PG_RETURN_FLOAT8(clv_gg_expected_spend(par, 0, 0));
}
