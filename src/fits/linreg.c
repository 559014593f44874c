/*-------------------------------------------------------------------------
 *
 * linreg.c
 *	  Ordinary and weighted least squares: the marketiq.linreg type, the
 *	  marketiq.linreg(y, x [, weight] [, intercept]) aggregate and its
 *	  readers (coefficients, fit_stats, predict, confidence_intervals).
 *
 * The aggregate's state is the sufficient statistic of a least-squares fit:
 * the weighted means and centred cross-products of (x, y) (moments.c), so it
 * has a fixed size, (p + 1)(p + 2)/2 + p + 1 numbers, whatever the number of
 * rows, and two states combine exactly.  The final function solves the
 * normal equations (solve.c), dropping collinear columns with a warning,
 * and stores a compact fitted model: coefficients, standard errors and the
 * few sums every statistic of the fit is computed from (residual and total
 * sum of squares, rank, weights).  A value of the type is therefore either
 * an aggregate state ("fitted": 0, moments set) or a fitted model
 * ("fitted": 1, coefficients set); readers accept only the latter.
 *
 * Statistics follow statsmodels' OLS/WLS (and R's lm): t tests on n - rank
 * degrees of freedom, R^2 centred with an intercept and uncentred without,
 * the F test of all slopes, the Gaussian log-likelihood with the weights'
 * log-determinant, AIC = -2 LL + 2 rank, BIC = -2 LL + rank log n.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_fits.h"
#include "mq_gsl.h"
#include "mq_linalg.h"
#include "mq_model.h"

/* Sections of marketiq.linreg. */
enum
{
	LR_P,						/* int64: number of features (x length); 0 = not seen yet */
	LR_INTERCEPT,				/* int64: 1 with an intercept, 0 without */
	LR_N,						/* int64: rows used */
	LR_SKIPPED,					/* int64: rows skipped for a NULL y, x, x element or weight */
	LR_SUM_W,					/* float8: sum of weights */
	LR_SUM_LOG_W,				/* float8: sum of log weights (Gaussian log-likelihood) */
	LR_MEAN,					/* float8[p + 1]: state: weighted means of x and y */
	LR_COMOMENTS,				/* float8[]: state: centred cross-products of (x, y), packed upper */
	LR_FITTED,					/* int64: 1 for a fitted model, 0 for an aggregate state */
	LR_COEF,					/* float8[k]: fitted: coefficients, intercept first; NaN = dropped */
	LR_STD_ERR,					/* float8[k]: fitted: standard errors */
	LR_RANK,					/* int64: fitted: coefficients estimated */
	LR_RSS,						/* float8: fitted: (weighted) residual sum of squares */
	LR_TSS,						/* float8: fitted: total sum of squares (centred with an intercept) */
	LR_COND,					/* float8: fitted: condition number of the design */
	LR_NSECT
};

static const MqSectSpec linreg_sects[LR_NSECT] = {
	{"p", MQ_INT64},
	{"intercept", MQ_INT64},
	{"n", MQ_INT64},
	{"rows_skipped", MQ_INT64},
	{"sum_w", MQ_FLOAT8},
	{"sum_log_w", MQ_FLOAT8},
	{"mean", MQ_FLOAT8_ARR},
	{"comoments", MQ_FLOAT8_ARR},
	{"fitted", MQ_INT64},
	{"coef", MQ_FLOAT8_ARR},
	{"std_err", MQ_FLOAT8_ARR},
	{"rank", MQ_INT64},
	{"rss", MQ_FLOAT8},
	{"tss", MQ_FLOAT8},
	{"condition_number", MQ_FLOAT8},
};

/* In-memory aggregate state. */
typedef struct LinregState
{
	MqState		hdr;			/* expanded-object header, first */
	int			p;				/* features; 0 until the first complete row */
	int			intercept;		/* 1, 0, or -1 before the first row */
	int64		n;				/* rows used */
	int64		skipped;		/* rows skipped for NULLs */
	double		sum_log_w;		/* sum of log weights */
	FitMoments	mom;			/* moments of (x, y); valid once p > 0 */
	double	   *row;			/* p + 1 scratch */
} LinregState;

static void linreg_check(const MqKind *kind, const MqModel *m);
static void linreg_init(MqState *s);
static void linreg_merge(MqState *s, const MqModel *m);
static MqModel *linreg_flatten(MqState *s);

const MqKind mq_linreg_kind = {
	.name = "linreg",
	.id = 20,
	.format = 1,
	.nsect = LR_NSECT,
	.sects = linreg_sects,
	.check = linreg_check,
	.state_size = sizeof(LinregState),
	.init = linreg_init,
	.merge = linreg_merge,
	.flatten = linreg_flatten,
};

MQ_MODEL_TYPE_IO(linreg, &mq_linreg_kind)

/* Semantic checks of a value from outside. */
static void
linreg_check(const MqKind *kind, const MqModel *m)
{
	int64		p = mq_get_int64(m, LR_P);
	int64		intercept = mq_get_int64(m, LR_INTERCEPT);
	int64		fitted = mq_get_int64(m, LR_FITTED);
	int			nmean,
				ncom,
				ncoef,
				nse,
				i;
	const double *coef;
	const double *mean = mq_get_float8s(m, LR_MEAN, &nmean);
	const double *com = mq_get_float8s(m, LR_COMOMENTS, &ncom);
	coef = mq_get_float8s(m, LR_COEF, &ncoef);
	mq_get_float8s(m, LR_STD_ERR, &nse);
	if (p < 0 || p > FIT_MAX_FEATURES)
		mq_model_corrupt(kind, "\"p\" is " INT64_FORMAT ", outside 0 to %d.", p, FIT_MAX_FEATURES);
	if (intercept != 0 && intercept != 1)
		mq_model_corrupt(kind, "\"intercept\" must be 0 or 1.");
	if (fitted != 0 && fitted != 1)
		mq_model_corrupt(kind, "\"fitted\" must be 0 or 1.");
	if (mq_get_int64(m, LR_N) < 0 || mq_get_int64(m, LR_SKIPPED) < 0)
		mq_model_corrupt(kind, "Row counts must not be negative.");
	if (!(mq_get_float8(m, LR_SUM_W) >= 0.0) || !isfinite(mq_get_float8(m, LR_SUM_W)))
		mq_model_corrupt(kind, "\"sum_w\" must be a finite number >= 0.");
	if (fitted)
	{
		int64		k = p + intercept;
		int64		rank = mq_get_int64(m, LR_RANK);

		if (p < 1 || mq_get_int64(m, LR_N) < 1)
			mq_model_corrupt(kind, "A fitted model needs p >= 1 and n >= 1.");
		if (ncoef != k || nse != k || nmean != 0 || ncom != 0)
			mq_model_corrupt(kind, "A fitted model has " INT64_FORMAT " coefficients and standard errors and no moments.", k);
		if (rank < 0 || rank > k)
			mq_model_corrupt(kind, "\"rank\" is " INT64_FORMAT ", outside 0 to " INT64_FORMAT ".", rank, k);
		for (i = 0; i < ncoef; i++)
			if (isinf(coef[i]))
				mq_model_corrupt(kind, "Coefficient %d is infinite.", i + 1);
	}
	else
	{
		int64		q = p + 1;

		if (ncoef != 0 || nse != 0)
			mq_model_corrupt(kind, "An aggregate state has no coefficients.");
		if (p == 0 ? (nmean != 0 || ncom != 0) :
			(nmean != q || ncom != (int64) FIT_PACKED_LEN(q)))
			mq_model_corrupt(kind, "Sections \"mean\" and \"comoments\" have %d and %d elements for p = " INT64_FORMAT ".",
							 nmean, ncom, p);
		for (i = 0; i < nmean; i++)
			if (!isfinite(mean[i]))
				mq_model_corrupt(kind, "Mean %d is not finite.", i + 1);
		for (i = 0; i < ncom; i++)
			if (!isfinite(com[i]))
				mq_model_corrupt(kind, "Cross-product %d is not finite.", i + 1);
		for (i = 0; i < q && p > 0; i++)
			if (com[(Size) i * (i + 1) / 2 + i] < 0.0)
				mq_model_corrupt(kind, "The sum of squares of column %d is negative.", i + 1);
		if (!isfinite(mq_get_float8(m, LR_SUM_LOG_W)))
			mq_model_corrupt(kind, "\"sum_log_w\" is not finite.");
	}
}

/* Empty state. */
static void
linreg_init(MqState *s)
{
	LinregState *st = (LinregState *) s;

	st->p = 0;
	st->intercept = -1;
}

/* Set the number of features of a state (allocating its moments in s->cxt). */
static void
linreg_set_p(LinregState *st, int p)
{
	MemoryContext old = MemoryContextSwitchTo(st->hdr.cxt);

	mq_check_state_size(fit_moments_bytes(p + 1), &mq_linreg_kind, "moments");
	st->p = p;
	fit_moments_init(&st->mom, p + 1);
	st->row = palloc(sizeof(double) * (p + 1));
	MemoryContextSwitchTo(old);
}

/* Error unless the width of x is the state's. */
static void
check_width(int have, int got, const char *what)
{
	if (have != got)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array \"%s\" must have the same length in every row", what),
				 errdetail("Earlier rows have %d, this one has %d.", have, got)));
}

/* Error unless the intercept setting agrees with the state's. */
static void
check_intercept(int have, int got)
{
	if (have >= 0 && have != got)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"intercept\" must be the same in every row")));
}

/* Add a flat value (a partial state) into the state. */
static void
linreg_merge(MqState *s, const MqModel *m)
{
	LinregState *st = (LinregState *) s;
	int			p = (int) mq_get_int64(m, LR_P);
	int			n;

	if (mq_get_int64(m, LR_FITTED))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a fitted marketiq linreg model cannot be merged into an aggregate state")));
	check_intercept(st->intercept, (int) mq_get_int64(m, LR_INTERCEPT));
	st->intercept = (int) mq_get_int64(m, LR_INTERCEPT);
	st->n += mq_get_int64(m, LR_N);
	st->skipped += mq_get_int64(m, LR_SKIPPED);
	st->sum_log_w += mq_get_float8(m, LR_SUM_LOG_W);
	if (p == 0)
		return;
	if (st->p == 0)
		linreg_set_p(st, p);
	else
		check_width(st->p, p, "x");
	fit_moments_merge(&st->mom, mq_get_float8(m, LR_SUM_W), mq_get_float8s(m, LR_MEAN, &n),
					  mq_get_float8s(m, LR_COMOMENTS, &n));
}

/* Flat form of a state (folding the buffered rows in first). */
static MqModel *
linreg_flatten(MqState *s)
{
	LinregState *st = (LinregState *) s;
	MqBuilder  *b = mq_build_begin(&mq_linreg_kind);
	int			q = st->p + 1;
	double	   *packed = NULL;

	if (st->p > 0)
	{
		fit_moments_flush(&st->mom);
		packed = palloc(sizeof(double) * FIT_PACKED_LEN(q));
		fit_pack_upper(st->mom.m2, q, packed);
	}
	mq_put_int64(b, LR_P, st->p);
	mq_put_int64(b, LR_INTERCEPT, Max(st->intercept, 0));
	mq_put_int64(b, LR_N, st->n);
	mq_put_int64(b, LR_SKIPPED, st->skipped);
	mq_put_float8(b, LR_SUM_W, st->p > 0 ? st->mom.w : 0.0);
	mq_put_float8(b, LR_SUM_LOG_W, st->sum_log_w);
	mq_put_float8s(b, LR_MEAN, st->p > 0 ? st->mom.mean : NULL, st->p > 0 ? q : 0);
	mq_put_float8s(b, LR_COMOMENTS, packed, st->p > 0 ? (int) FIT_PACKED_LEN(q) : 0);
	mq_put_int64(b, LR_FITTED, 0);
	mq_put_float8s(b, LR_COEF, NULL, 0);
	mq_put_float8s(b, LR_STD_ERR, NULL, 0);
	mq_put_int64(b, LR_RANK, 0);
	mq_put_float8(b, LR_RSS, 0.0);
	mq_put_float8(b, LR_TSS, 0.0);
	mq_put_float8(b, LR_COND, 0.0);
	return mq_build_finish(b);
}

/*
 * Transition, shared by the five signatures: argument 1 is y, x is the
 * float8[] argument 2 or (columns) the separate arguments from 2 on, warg
 * the weight (0: none), iarg the intercept flag (0: true).
 */
static Datum
linreg_trans_common(FunctionCallInfo fcinfo, bool columns, int warg, int iarg)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &mq_linreg_kind);
	LinregState *st = (LinregState *) s;
	int			intercept = 1;
	double		w = 1.0,
				y;
	const double *x;
	int			nx,
				j;
	double		cols[FIT_MAX_FEATURES];	/* FUNC_MAX_ARGS or a VARIADIC array */

	if (iarg > 0)
	{
		mq_check_not_null(PG_ARGISNULL(iarg), "intercept");
		intercept = PG_GETARG_BOOL(iarg) ? 1 : 0;
	}
	if (st->intercept != intercept)
	{
		check_intercept(st->intercept, intercept);
		st->intercept = intercept;
	}
	if (PG_ARGISNULL(1) || (warg > 0 && PG_ARGISNULL(warg)))
	{
		st->skipped++;
		return mq_state_return(s);
	}
	if (columns)
	{
		nx = fit_columns_arg(fcinfo, 2, cols);
		x = cols;
	}
	else if (PG_ARGISNULL(2))
		nx = -1;
	else
	{
		ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(2);

		if (ARR_HASNULL(xa) && array_contains_nulls(xa))
			nx = -1;
		else
			x = mq_check_float8_array(xa, "x", 0, &nx);
	}
	if (nx < 0)
	{
		st->skipped++;			/* a NULL feature */
		return mq_state_return(s);
	}
	if (warg > 0)
	{
		w = PG_GETARG_FLOAT8(warg);
		mq_check_range(w, "weight", 0.0, true, get_float8_infinity(), false);
		if (w == 0.0)
			return mq_state_return(s);	/* a zero weight leaves the row out */
	}
	y = PG_GETARG_FLOAT8(1);
	mq_check_finite(y, "y");
	if (st->p != nx)
	{
		if (st->p != 0)
			check_width(st->p, nx, "x");
		if (nx > FIT_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array \"x\" has %d elements, more than the %d features a regression accepts",
							nx, FIT_MAX_FEATURES)));
		linreg_set_p(st, nx);
	}
	for (j = 0; j < nx; j++)
		st->row[j] = x[j];
	st->row[nx] = y;
	fit_moments_add(&st->mom, st->row, w);
	st->n++;
	if (w != 1.0)
		st->sum_log_w += log(w);
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_linreg_trans);
/* linreg(y, x) transition. */
Datum
mq_linreg_trans(PG_FUNCTION_ARGS)
{
	return linreg_trans_common(fcinfo, false, 0, 0);
}

PG_FUNCTION_INFO_V1(mq_linreg_trans_w);
/* linreg(y, x, weight) transition. */
Datum
mq_linreg_trans_w(PG_FUNCTION_ARGS)
{
	return linreg_trans_common(fcinfo, false, 3, 0);
}

PG_FUNCTION_INFO_V1(mq_linreg_trans_i);
/* linreg(y, x, intercept) transition. */
Datum
mq_linreg_trans_i(PG_FUNCTION_ARGS)
{
	return linreg_trans_common(fcinfo, false, 0, 3);
}

PG_FUNCTION_INFO_V1(mq_linreg_trans_wi);
/* linreg(y, x, weight, intercept) transition. */
Datum
mq_linreg_trans_wi(PG_FUNCTION_ARGS)
{
	return linreg_trans_common(fcinfo, false, 3, 4);
}

PG_FUNCTION_INFO_V1(mq_linreg_trans_cols);
/* linreg_columns(y, VARIADIC x "any") transition. */
Datum
mq_linreg_trans_cols(PG_FUNCTION_ARGS)
{
	return linreg_trans_common(fcinfo, true, 0, 0);
}

PG_FUNCTION_INFO_V1(mq_linreg_combine);
/* linreg combine. */
Datum
mq_linreg_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_linreg_kind);
}

/* A comma-separated list of the dropped terms, for messages. */
static char *
dropped_terms(const bool *aliased, int p)
{
	StringInfoData buf;
	int			j;

	initStringInfo(&buf);
	for (j = 0; j < p; j++)
		if (aliased[j])
			appendStringInfo(&buf, "%sx[%d]", buf.len > 0 ? ", " : "", j + 1);
	return buf.data;
}

/* Warn about the dropped collinear or constant columns of a fit. */
void
fit_warn_dropped(const char *model, const bool *aliased, int p, bool intercept)
{
	int			j,
				nd = 0;

	for (j = 0; j < p; j++)
		nd += aliased[j] ? 1 : 0;
	if (nd == 0)
		return;
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("%s: the design is rank deficient; %d of %d features dropped", model, nd, p),
			 errdetail("Dropped: %s (constant%s, a linear combination of earlier features, or more than the rows can determine). Their coefficients are NULL.",
					   dropped_terms(aliased, p),
					   intercept ? " and so collinear with the intercept" : ""),
			 errhint("Remove redundant features (for example one dummy of each categorical variable) or add rows.")));
}

/* Fit a state: the fitted model value. */
static MqModel *
linreg_fit(LinregState *st)
{
	int			p = st->p,
				q = p + 1,
				k = p + st->intercept,
				off = st->intercept,
				i,
				j,
				rank;
	bool		intercept = st->intercept == 1;
	FitMoments *mo = &st->mom;
	double	   *c = palloc(sizeof(double) * p * p);
	double	   *ct = palloc(sizeof(double) * p);
	double	   *coef = palloc(sizeof(double) * k);
	double	   *covdiag = palloc(sizeof(double) * k);
	double	   *se = palloc(sizeof(double) * k);
	bool	   *aliased = palloc0(sizeof(bool) * p);
	double		w = mo->w,
				my = mo->mean[p],
				cyy = mo->m2[p + (Size) p * q],
				rss,
				tss,
				sigma2;
	int64		df;
	FitProblem	fp;
	MqBuilder  *b;

	for (j = 0; j < p; j++)
	{
		for (i = 0; i < p; i++)
			c[i + (Size) j * p] = mo->m2[i + (Size) j * q];
		ct[j] = mo->m2[j + (Size) p * q];
	}
	fp.p = p;
	fp.intercept = intercept;
	fp.w = w;
	fp.mean = mo->mean;
	fp.c = c;
	fp.ct = ct;
	fp.mt = my;
	fp.nrows = st->n;
	rank = fit_solve(&fp, true, aliased, coef, covdiag);
	if (rank < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("linreg: the normal equations could not be solved"),
				 errhint("Rescale the features to similar magnitudes.")));
	fit_warn_dropped("linreg", aliased, p, intercept);

	/* residual and total sums of squares */
	tss = intercept ? cyy : cyy + w * my * my;
	rss = tss;
	for (j = 0; j < p; j++)
		if (!aliased[j])
			rss -= coef[off + j] * (ct[j] + (intercept ? 0.0 : w * mo->mean[j] * my));
	if (rss < 0.0)
		rss = 0.0;
	if (intercept && !(cyy > 1e-14 * w * my * my))
	{
		tss = 0.0;
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("linreg: y is constant"),
				 errdetail("Every row has y = %g: R-squared and the F test are undefined.", my)));
	}
	df = st->n - rank;
	if (df <= 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("linreg: no residual degrees of freedom"),
				 errdetail("Rows: %lld; coefficients estimated: %d. The fit is exact and standard errors are undefined.",
						   (long long) st->n, rank),
				 errhint("Add rows or remove features.")));
	sigma2 = df > 0 ? rss / (double) df : fit_nan();
	for (j = 0; j < k; j++)
		se[j] = sqrt(sigma2 * covdiag[j]);

	b = mq_build_begin(&mq_linreg_kind);
	mq_put_int64(b, LR_P, p);
	mq_put_int64(b, LR_INTERCEPT, st->intercept);
	mq_put_int64(b, LR_N, st->n);
	mq_put_int64(b, LR_SKIPPED, st->skipped);
	mq_put_float8(b, LR_SUM_W, w);
	mq_put_float8(b, LR_SUM_LOG_W, st->sum_log_w);
	mq_put_float8s(b, LR_MEAN, NULL, 0);
	mq_put_float8s(b, LR_COMOMENTS, NULL, 0);
	mq_put_int64(b, LR_FITTED, 1);
	mq_put_float8s(b, LR_COEF, coef, k);
	mq_put_float8s(b, LR_STD_ERR, se, k);
	mq_put_int64(b, LR_RANK, rank);
	mq_put_float8(b, LR_RSS, rss);
	mq_put_float8(b, LR_TSS, tss);
	/* a design with dropped columns is singular */
	mq_put_float8(b, LR_COND, rank < k ? get_float8_infinity() : fit_condition(p, intercept, w, mo->mean, c));
	return mq_build_finish(b);
}

PG_FUNCTION_INFO_V1(mq_linreg_final);
/* linreg final: the fitted model, NULL when no row was usable. */
Datum
mq_linreg_final(PG_FUNCTION_ARGS)
{
	MqState    *s;
	LinregState *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &mq_linreg_kind);
	st = (LinregState *) s;
	if (st->n == 0 || st->p == 0)
		PG_RETURN_NULL();
	/* folding the buffered rows in changes the representation, not the content */
	fit_moments_flush(&st->mom);
	PG_RETURN_POINTER(linreg_fit(st));
}

/* ------------------------------------------------------------------ readers */

/* A linreg model argument that must be fitted. */
static const MqModel *
fitted_arg(FunctionCallInfo fcinfo, int argno)
{
	const MqModel *m = PG_GETARG_MQMODEL(argno, &mq_linreg_kind);

	if (!mq_get_int64(m, LR_FITTED))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this marketiq linreg value is an aggregate state, not a fitted model"),
				 errhint("Use the result of the marketiq.linreg aggregate.")));
	return m;
}

/* Datum of a float8, or NULL when it is NaN. */
static inline Datum
nan_null(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

PG_FUNCTION_INFO_V1(mq_linreg_coefficients);
/* coefficients(linreg): term, coef, std_err, t, p-value. */
Datum
mq_linreg_coefficients(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = fitted_arg(fcinfo, 0);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LR_COEF, &k);
	const double *se = mq_get_float8s(m, LR_STD_ERR, &k);
	int			off = (int) mq_get_int64(m, LR_INTERCEPT);
	double		df = (double) (mq_get_int64(m, LR_N) - mq_get_int64(m, LR_RANK));

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < k; j++)
	{
		Datum		v[5];
		bool		nulls[5];
		double		t = coef[j] / se[j];

		v[0] = Int32GetDatum(j + 1 - off);
		nulls[0] = false;
		v[1] = nan_null(coef[j], &nulls[1]);
		v[2] = nan_null(se[j], &nulls[2]);
		v[3] = nan_null(t, &nulls[3]);
		v[4] = nan_null(mq_pvalue_t(t, df), &nulls[4]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_linreg_fit_stats);
/* fit_stats(linreg): one row of goodness-of-fit statistics. */
Datum
mq_linreg_fit_stats(PG_FUNCTION_ARGS)
{
	const MqModel *m = fitted_arg(fcinfo, 0);
	TupleDesc	tupdesc;
	Datum		v[15];
	bool		nulls[15];
	int64		n = mq_get_int64(m, LR_N);
	int			intercept = (int) mq_get_int64(m, LR_INTERCEPT);
	int			k = (int) mq_get_int64(m, LR_P) + intercept;
	int			rank = (int) mq_get_int64(m, LR_RANK);
	double		rss = mq_get_float8(m, LR_RSS);
	double		tss = mq_get_float8(m, LR_TSS);
	double		dn = (double) n;
	double		df_model = rank - intercept;
	double		df_resid = dn - rank;
	double		r2 = tss > 0.0 ? 1.0 - rss / tss : fit_nan();
	double		adj = df_resid > 0 ? 1.0 - (dn - intercept) / df_resid * (1.0 - r2) : fit_nan();
	double		f = (df_model > 0 && df_resid > 0) ?
		((tss - rss) / df_model) / (rss / df_resid) : fit_nan();
	double		llf = -dn / 2.0 * (log(2.0 * M_PI) + log(rss / dn) + 1.0) +
		0.5 * mq_get_float8(m, LR_SUM_LOG_W);
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (isnan(r2) || tss <= 0.0)
		f = fit_nan();
	memset(nulls, 0, sizeof(nulls));
	v[0] = Int64GetDatum(n);
	v[1] = Int64GetDatum(mq_get_int64(m, LR_SKIPPED));
	v[2] = Int32GetDatum(k);
	v[3] = Int32GetDatum(rank);
	v[4] = Int32GetDatum((int) df_model);
	v[5] = Int64GetDatum(n - rank);
	i = 6;
	v[i] = nan_null(r2, &nulls[i]);
	i++;
	v[i] = nan_null(adj, &nulls[i]);
	i++;
	v[i] = nan_null(f, &nulls[i]);
	i++;
	v[i] = nan_null(isnan(f) ? f : mq_pvalue_f(f, df_model, df_resid), &nulls[i]);
	i++;
	v[i] = nan_null(df_resid > 0 ? sqrt(rss / df_resid) : fit_nan(), &nulls[i]);
	i++;
	v[i] = nan_null(llf, &nulls[i]);
	i++;
	v[i] = nan_null(-2.0 * llf + 2.0 * rank, &nulls[i]);
	i++;
	v[i] = nan_null(-2.0 * llf + rank * log(dn), &nulls[i]);
	i++;
	v[i] = nan_null(mq_get_float8(m, LR_COND), &nulls[i]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

/* The x argument of predict: validated and checked against the model's width. */
const double *
fit_predict_x(FunctionCallInfo fcinfo, int argno, int p)
{
	int			nx;
	const double *x = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(argno), "x", 0, &nx);

	if (nx != p)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array \"x\" has %d elements but the model has %d features", nx, p)));
	return x;
}

PG_FUNCTION_INFO_V1(mq_linreg_predict);
/* predict(linreg, x): the fitted value; dropped terms contribute nothing. */
Datum
mq_linreg_predict(PG_FUNCTION_ARGS)
{
	const MqModel *m = fitted_arg(fcinfo, 0);
	int			p = (int) mq_get_int64(m, LR_P);
	int			off = (int) mq_get_int64(m, LR_INTERCEPT);
	const double *x = fit_predict_x(fcinfo, 1, p);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LR_COEF, &k);
	double		yhat = off ? coef[0] : 0.0;

	for (j = 0; j < p; j++)
		if (!isnan(coef[off + j]))
			yhat += coef[off + j] * x[j];
	PG_RETURN_FLOAT8(yhat);
}

PG_FUNCTION_INFO_V1(mq_linreg_confint);
/* confidence_intervals(linreg, level): t intervals of the coefficients. */
Datum
mq_linreg_confint(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = fitted_arg(fcinfo, 0);
	double		level = PG_GETARG_FLOAT8(1);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LR_COEF, &k);
	const double *se = mq_get_float8s(m, LR_STD_ERR, &k);
	int			off = (int) mq_get_int64(m, LR_INTERCEPT);
	double		df = (double) (mq_get_int64(m, LR_N) - mq_get_int64(m, LR_RANK));
	double		tq;

	mq_check_range(level, "level", 0.0, false, 1.0, false);
	tq = df > 0 ? gsl_cdf_tdist_Pinv(1.0 - (1.0 - level) / 2.0, df) : fit_nan();
	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < k; j++)
	{
		Datum		v[4];
		bool		nulls[4];

		v[0] = Int32GetDatum(j + 1 - off);
		nulls[0] = false;
		v[1] = nan_null(coef[j], &nulls[1]);
		v[2] = nan_null(coef[j] - tq * se[j], &nulls[2]);
		v[3] = nan_null(coef[j] + tq * se[j], &nulls[3]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
