/*-------------------------------------------------------------------------
 *
 * logreg.c
 *	  Logistic regression: the marketiq.logreg type, the
 *	  marketiq.logreg(y, x [, weight] [, intercept]) aggregate and its
 *	  readers (coefficients, fit_stats, predict, odds_ratios,
 *	  confidence_intervals).
 *
 * Newton's method needs several passes over the data, and an aggregate sees
 * its rows once, so the aggregate keeps the rows, compressed: its state is
 * a hash table of distinct x vectors ("cells"), each with the total weight
 * of its rows with y true and with y false.  Features that are counts,
 * flags or categories (channel exposures, segments) collapse to few cells,
 * and the fit then costs nothing per original row.  When the rows turn out
 * to be mostly distinct (continuous features), the state stops hashing after
 * 16,384 cells and appends the later rows as they come: 8 (p + 1) bytes
 * each.  The state's
 * size is checked against marketiq.max_model_bytes, past which the error's
 * hint points to marketiq.logreg_train, which makes one SQL pass per
 * iteration instead and needs no memory per row (logreg_train.c).  Two
 * states combine by adding their cells.  The final function runs the
 * Newton loop of irls.c over the cells.
 *
 * A value of the type is an aggregate state ("fitted": 0, cells set) or a
 * fitted model ("fitted": 1: coefficients, standard errors, log-likelihood,
 * iterations, separation); readers accept only the latter.  Statistics
 * follow R's glm and statsmodels' Logit: z tests, deviances (the null model
 * has the intercept alone, or probability 1/2 without an intercept, as in
 * glm), AIC = -2 LL + 2 rank, McFadden's pseudo R^2 and the likelihood-ratio
 * test of all slopes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "marketiq.h"
#include "mq_check.h"
#include "mq_fits.h"
#include "mq_gsl.h"
#include "mq_hash.h"
#include "mq_model.h"

static const MqSectSpec logreg_sects[LG_NSECT] = {
	{"p", MQ_INT64},
	{"intercept", MQ_INT64},
	{"n", MQ_INT64},
	{"rows_skipped", MQ_INT64},
	{"sum_w", MQ_FLOAT8},
	{"sum_w_true", MQ_FLOAT8},
	{"cell_x", MQ_FLOAT8_ARR},
	{"cell_w_true", MQ_FLOAT8_ARR},
	{"cell_w_false", MQ_FLOAT8_ARR},
	{"fitted", MQ_INT64},
	{"coef", MQ_FLOAT8_ARR},
	{"std_err", MQ_FLOAT8_ARR},
	{"rank", MQ_INT64},
	{"log_likelihood", MQ_FLOAT8},
	{"iterations", MQ_INT64},
	{"converged", MQ_INT64},
	{"separation", MQ_INT64},
	{"condition_number", MQ_FLOAT8},
};

/* rows per chunk of kept rows */
#define CHUNK_ROWS 8192
/* distinct rows in the hash table after which it may give way to plain appending */
#define PROBE_CELLS 16384

/* In-memory aggregate state. */
typedef struct LogregState
{
	MqState		hdr;			/* expanded-object header, first */
	int			p;				/* features; 0 until the first complete row */
	int			intercept;		/* 1, 0, or -1 before the first row */
	int64		n;				/* rows used */
	int64		skipped;		/* rows skipped for NULLs */
	double		sum_w;			/* total weight */
	double		sum_w1;			/* weight of rows with y true */
	MqAccum		cells;			/* key: the x doubles' bits; values: (weight y true, weight y false) */
	int64		hashed;			/* rows (or merged cells) that went through the hash table */
	bool		append;			/* rows are mostly distinct: keep them as they come */
	int			nchunks;		/* chunks of appended rows */
	int			maxchunks;		/* allocated chunk pointers */
	int			fill;			/* rows in the last chunk */
	double	  **chunks;			/* each CHUNK_ROWS rows of (x[p], w): w > 0 for y true, w < 0 for y false */
	double	   *key;			/* p scratch: a normalised x */
} LogregState;

static void logreg_check(const MqKind *kind, const MqModel *m);
static void logreg_init(MqState *s);
static void logreg_merge(MqState *s, const MqModel *m);
static MqModel *logreg_flatten(MqState *s);

const MqKind mq_logreg_kind = {
	.name = "logreg",
	.id = 21,
	.format = 1,
	.nsect = LG_NSECT,
	.sects = logreg_sects,
	.check = logreg_check,
	.state_size = sizeof(LogregState),
	.init = logreg_init,
	.merge = logreg_merge,
	.flatten = logreg_flatten,
};

MQ_MODEL_TYPE_IO(logreg, &mq_logreg_kind)

/* Semantic checks of a value from outside. */
static void
logreg_check(const MqKind *kind, const MqModel *m)
{
	int64		p = mq_get_int64(m, LG_P);
	int64		intercept = mq_get_int64(m, LG_INTERCEPT);
	int64		fitted = mq_get_int64(m, LG_FITTED);
	int			nx,
				n1,
				n0,
				ncoef,
				nse,
				i;
	const double *cx = mq_get_float8s(m, LG_CELL_X, &nx);
	const double *w1 = mq_get_float8s(m, LG_CELL_W1, &n1);
	const double *w0 = mq_get_float8s(m, LG_CELL_W0, &n0);
	const double *coef = mq_get_float8s(m, LG_COEF, &ncoef);

	mq_get_float8s(m, LG_STD_ERR, &nse);
	if (p < 0 || p > FIT_MAX_FEATURES)
		mq_model_corrupt(kind, "\"p\" is " INT64_FORMAT ", outside 0 to %d.", p, FIT_MAX_FEATURES);
	if (intercept != 0 && intercept != 1)
		mq_model_corrupt(kind, "\"intercept\" must be 0 or 1.");
	if (fitted != 0 && fitted != 1)
		mq_model_corrupt(kind, "\"fitted\" must be 0 or 1.");
	if (mq_get_int64(m, LG_N) < 0 || mq_get_int64(m, LG_SKIPPED) < 0)
		mq_model_corrupt(kind, "Row counts must not be negative.");
	if (!(mq_get_float8(m, LG_SUM_W) >= 0.0) || !isfinite(mq_get_float8(m, LG_SUM_W)) ||
		!(mq_get_float8(m, LG_SUM_W1) >= 0.0) ||
		mq_get_float8(m, LG_SUM_W1) > mq_get_float8(m, LG_SUM_W))
		mq_model_corrupt(kind, "\"sum_w\" and \"sum_w_true\" must be finite with 0 <= sum_w_true <= sum_w.");
	if (fitted)
	{
		int64		k = p + intercept;
		int64		rank = mq_get_int64(m, LG_RANK);

		if (p < 1 || mq_get_int64(m, LG_N) < 1)
			mq_model_corrupt(kind, "A fitted model needs p >= 1 and n >= 1.");
		if (ncoef != k || nse != k || nx != 0 || n1 != 0 || n0 != 0)
			mq_model_corrupt(kind, "A fitted model has " INT64_FORMAT " coefficients and standard errors and no cells.", k);
		if (rank < 0 || rank > k)
			mq_model_corrupt(kind, "\"rank\" is " INT64_FORMAT ", outside 0 to " INT64_FORMAT ".", rank, k);
		if (mq_get_int64(m, LG_ITERATIONS) < 0 ||
			(mq_get_int64(m, LG_CONVERGED) != 0 && mq_get_int64(m, LG_CONVERGED) != 1) ||
			mq_get_int64(m, LG_SEPARATION) < LOGREG_SEP_NONE ||
			mq_get_int64(m, LG_SEPARATION) > LOGREG_SEP_COMPLETE)
			mq_model_corrupt(kind, "\"iterations\", \"converged\" or \"separation\" is out of range.");
		for (i = 0; i < ncoef; i++)
			if (isinf(coef[i]))
				mq_model_corrupt(kind, "Coefficient %d is infinite.", i + 1);
	}
	else
	{
		if (ncoef != 0 || nse != 0)
			mq_model_corrupt(kind, "An aggregate state has no coefficients.");
		if (n1 != n0 || (int64) nx != (int64) n1 * p || (p == 0 && n1 != 0))
			mq_model_corrupt(kind, "Sections \"cell_x\", \"cell_w_true\" and \"cell_w_false\" have %d, %d and %d elements for p = " INT64_FORMAT ".",
							 nx, n1, n0, p);
		for (i = 0; i < nx; i++)
			if (!isfinite(cx[i]))
				mq_model_corrupt(kind, "Cell value %d is not finite.", i + 1);
		for (i = 0; i < n1; i++)
			if (!(w1[i] >= 0.0) || !(w0[i] >= 0.0) || !isfinite(w1[i]) || !isfinite(w0[i]))
				mq_model_corrupt(kind, "Cell weights must be finite and >= 0 (cell %d).", i + 1);
	}
}

/* Empty state. */
static void
logreg_init(MqState *s)
{
	LogregState *st = (LogregState *) s;

	st->p = 0;
	st->intercept = -1;
}

/* Set the number of features (allocating the cell table in s->cxt). */
static void
logreg_set_p(LogregState *st, int p)
{
	MemoryContext old = MemoryContextSwitchTo(st->hdr.cxt);

	st->p = p;
	mq_accum_init(&st->cells, 2 * p, 2);
	st->key = palloc(sizeof(double) * p);
	MemoryContextSwitchTo(old);
}

/*
 * Error when the kept rows would pass marketiq.max_model_bytes: the message
 * of mq_check_state_size, with a hint that names the driver.
 */
static void
logreg_check_size(Size bytes)
{
	if (bytes > (Size) mq_max_model_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("marketiq logreg model would need %zu bytes for its kept rows, more than marketiq.max_model_bytes (%d)",
						bytes, mq_max_model_bytes),
				 errhint("Use marketiq.logreg_train, which makes one pass per iteration and keeps no rows; or filter, sample, fit one model per group, or raise marketiq.max_model_bytes (at most 1GB).")));
	mq_check_state_size(bytes, &mq_logreg_kind, "kept rows");
}

/* Bytes the kept rows take, for the size check. */
static Size
logreg_bytes(const LogregState *st)
{
	return mq_accum_bytes(&st->cells) +
		(Size) st->nchunks * CHUNK_ROWS * (st->p + 1) * sizeof(double) +
		(Size) st->maxchunks * sizeof(double *);
}

/*
 * Add weight w1 (y true) and w0 (y false) at x.  Rows go into the hash table
 * of distinct x while that pays (counts, flags and categories collapse to
 * few cells); once it holds PROBE_CELLS cells and at least half the rows so
 * far were new, the features are evidently continuous, and later rows are
 * appended as they come, which costs a copy instead of a hash probe and its
 * table.  A cell may then appear more than once: each is just a group of
 * rows, so the fit is the same.
 */
static void
logreg_add_cell(LogregState *st, const double *x, double w1, double w0)
{
	int			j;
	double	   *v;

	if (!st->append)
	{
		int			before = st->cells.n,
					e;
		MemoryContext old;

		for (j = 0; j < st->p; j++)
			st->key[j] = x[j] + 0.0;	/* -0 and 0 are one cell */
		old = MemoryContextSwitchTo(st->hdr.cxt);
		e = mq_accum_upsert(&st->cells, (const int32 *) st->key);
		MemoryContextSwitchTo(old);
		v = MQ_ACCUM_VALS(&st->cells, e);
		v[0] += w1;
		v[1] += w0;
		st->hashed++;
		if (st->cells.n != before)
		{
			logreg_check_size(logreg_bytes(st));
			if (st->cells.n >= PROBE_CELLS && (int64) st->cells.n * 2 > st->hashed)
				st->append = true;
		}
		return;
	}
	if (w1 > 0.0 && w0 > 0.0)
	{
		/* a merged cell with both outcomes: two rows */
		logreg_add_cell(st, x, w1, 0.0);
		logreg_add_cell(st, x, 0.0, w0);
		return;
	}
	if (st->nchunks == 0 || st->fill == CHUNK_ROWS)
	{
		MemoryContext old = MemoryContextSwitchTo(st->hdr.cxt);

		if (st->nchunks == st->maxchunks)
		{
			st->maxchunks = Max(16, st->maxchunks * 2);
			st->chunks = st->chunks == NULL ?
				palloc(sizeof(double *) * st->maxchunks) :
				repalloc(st->chunks, sizeof(double *) * st->maxchunks);
		}
		logreg_check_size(logreg_bytes(st) + (Size) CHUNK_ROWS * (st->p + 1) * sizeof(double));
		st->chunks[st->nchunks++] = palloc(sizeof(double) * CHUNK_ROWS * (st->p + 1));
		st->fill = 0;
		MemoryContextSwitchTo(old);
	}
	v = st->chunks[st->nchunks - 1] + (Size) st->fill++ * (st->p + 1);
	memcpy(v, x, sizeof(double) * st->p);
	v[st->p] = w1 > 0.0 ? w1 : -w0;
}

/* Number of kept cells (hashed and appended). */
static int64
logreg_ncells(const LogregState *st)
{
	if (st->p == 0)
		return 0;
	return st->cells.n + (st->nchunks == 0 ? 0 : (int64) (st->nchunks - 1) * CHUNK_ROWS + st->fill);
}

/* The i-th appended row (x, then the signed weight: > 0 for y true, < 0 for y false). */
static inline const double *
appended_row(const LogregState *st, int64 i)
{
	return st->chunks[i / CHUNK_ROWS] + (Size) (i % CHUNK_ROWS) * (st->p + 1);
}

/* Error unless the width of x is the state's. */
static void
check_width(int have, int got)
{
	if (have != got)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array \"x\" must have the same length in every row"),
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
logreg_merge(MqState *s, const MqModel *m)
{
	LogregState *st = (LogregState *) s;
	int			p = (int) mq_get_int64(m, LG_P);
	int			nc,
				i;
	const double *cx;
	const double *w1;
	const double *w0;

	if (mq_get_int64(m, LG_FITTED))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a fitted marketiq logreg model cannot be merged into an aggregate state")));
	check_intercept(st->intercept, (int) mq_get_int64(m, LG_INTERCEPT));
	st->intercept = (int) mq_get_int64(m, LG_INTERCEPT);
	st->n += mq_get_int64(m, LG_N);
	st->skipped += mq_get_int64(m, LG_SKIPPED);
	st->sum_w += mq_get_float8(m, LG_SUM_W);
	st->sum_w1 += mq_get_float8(m, LG_SUM_W1);
	if (p == 0)
		return;
	if (st->p == 0)
		logreg_set_p(st, p);
	else
		check_width(st->p, p);
	cx = mq_get_float8s(m, LG_CELL_X, &nc);
	w1 = mq_get_float8s(m, LG_CELL_W1, &nc);
	w0 = mq_get_float8s(m, LG_CELL_W0, &nc);
	for (i = 0; i < nc; i++)
	{
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		logreg_add_cell(st, cx + (Size) i * p, w1[i], w0[i]);
	}
}

/* Flat form of a state: hashed cells in the order of their keys, then the appended rows. */
static MqModel *
logreg_flatten(MqState *s)
{
	LogregState *st = (LogregState *) s;
	MqBuilder  *b = mq_build_begin(&mq_logreg_kind);
	int64		nc64 = logreg_ncells(st);
	int			nc,
				nh = st->p > 0 ? st->cells.n : 0,
				i;
	double	   *cx = NULL,
			   *w1 = NULL,
			   *w0 = NULL;

	if (nc64 * Max(st->p, 1) > PG_INT32_MAX)
		mq_check_state_size(MaxAllocSize + (Size) 1, &mq_logreg_kind, "kept rows");
	nc = (int) nc64;
	if (nc > 0)
	{
		int32	   *order = mq_accum_sorted(&st->cells);

		cx = palloc_extended(sizeof(double) * (Size) nc * st->p, MCXT_ALLOC_HUGE);
		w1 = palloc_extended(sizeof(double) * nc, MCXT_ALLOC_HUGE);
		w0 = palloc_extended(sizeof(double) * nc, MCXT_ALLOC_HUGE);
		for (i = 0; i < nh; i++)
		{
			memcpy(cx + (Size) i * st->p, MQ_ACCUM_KEY(&st->cells, order[i]), sizeof(double) * st->p);
			w1[i] = MQ_ACCUM_VALS(&st->cells, order[i])[0];
			w0[i] = MQ_ACCUM_VALS(&st->cells, order[i])[1];
		}
		for (i = nh; i < nc; i++)
		{
			const double *r = appended_row(st, i - nh);

			memcpy(cx + (Size) i * st->p, r, sizeof(double) * st->p);
			w1[i] = Max(r[st->p], 0.0);
			w0[i] = Max(-r[st->p], 0.0);
		}
		pfree(order);
	}
	mq_put_int64(b, LG_P, st->p);
	mq_put_int64(b, LG_INTERCEPT, Max(st->intercept, 0));
	mq_put_int64(b, LG_N, st->n);
	mq_put_int64(b, LG_SKIPPED, st->skipped);
	mq_put_float8(b, LG_SUM_W, st->sum_w);
	mq_put_float8(b, LG_SUM_W1, st->sum_w1);
	mq_put_float8s(b, LG_CELL_X, cx, nc * st->p);
	mq_put_float8s(b, LG_CELL_W1, w1, nc);
	mq_put_float8s(b, LG_CELL_W0, w0, nc);
	mq_put_int64(b, LG_FITTED, 0);
	mq_put_float8s(b, LG_COEF, NULL, 0);
	mq_put_float8s(b, LG_STD_ERR, NULL, 0);
	mq_put_int64(b, LG_RANK, 0);
	mq_put_float8(b, LG_LOGLIK, 0.0);
	mq_put_int64(b, LG_ITERATIONS, 0);
	mq_put_int64(b, LG_CONVERGED, 0);
	mq_put_int64(b, LG_SEPARATION, 0);
	mq_put_float8(b, LG_COND, 0.0);
	return mq_build_finish(b);
}

/*
 * Transition, shared by the five signatures: argument 1 is y, x is the
 * float8[] argument 2 or (columns) the separate arguments from 2 on, warg
 * the weight (0: none), iarg the intercept flag (0: true).
 */
static Datum
logreg_trans_common(FunctionCallInfo fcinfo, bool columns, int warg, int iarg)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &mq_logreg_kind);
	LogregState *st = (LogregState *) s;
	int			intercept = 1;
	double		w = 1.0;
	const double *x;
	int			nx;
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
	if (st->p != nx)
	{
		if (st->p != 0)
			check_width(st->p, nx);
		if (nx > FIT_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array \"x\" has %d elements, more than the %d features a regression accepts",
							nx, FIT_MAX_FEATURES)));
		logreg_set_p(st, nx);
	}
	if (PG_GETARG_BOOL(1))
	{
		logreg_add_cell(st, x, w, 0.0);
		st->sum_w1 += w;
	}
	else
		logreg_add_cell(st, x, 0.0, w);
	st->sum_w += w;
	st->n++;
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_logreg_trans);
/* logreg(y, x) transition. */
Datum
mq_logreg_trans(PG_FUNCTION_ARGS)
{
	return logreg_trans_common(fcinfo, false, 0, 0);
}

PG_FUNCTION_INFO_V1(mq_logreg_trans_w);
/* logreg(y, x, weight) transition. */
Datum
mq_logreg_trans_w(PG_FUNCTION_ARGS)
{
	return logreg_trans_common(fcinfo, false, 3, 0);
}

PG_FUNCTION_INFO_V1(mq_logreg_trans_i);
/* logreg(y, x, intercept) transition. */
Datum
mq_logreg_trans_i(PG_FUNCTION_ARGS)
{
	return logreg_trans_common(fcinfo, false, 0, 3);
}

PG_FUNCTION_INFO_V1(mq_logreg_trans_wi);
/* logreg(y, x, weight, intercept) transition. */
Datum
mq_logreg_trans_wi(PG_FUNCTION_ARGS)
{
	return logreg_trans_common(fcinfo, false, 3, 4);
}

PG_FUNCTION_INFO_V1(mq_logreg_trans_cols);
/* logreg_columns(y, VARIADIC x "any") transition. */
Datum
mq_logreg_trans_cols(PG_FUNCTION_ARGS)
{
	return logreg_trans_common(fcinfo, true, 0, 0);
}

PG_FUNCTION_INFO_V1(mq_logreg_combine);
/* logreg combine. */
Datum
mq_logreg_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_logreg_kind);
}

/* A pass over the cells of a state (the LogregPassFn of the aggregate). */
static void
cells_pass(void *ctx, const double *beta, LogregPass *ps)
{
	LogregState *st = (LogregState *) ctx;
	bool		intercept = st->intercept == 1;
	int64		napp = logreg_ncells(st) - st->cells.n,
				i;

	logreg_pass_init(ps, st->p);
	ps->n = st->n;
	ps->skipped = st->skipped;
	for (i = 0; i < st->cells.n; i++)
	{
		const double *v = MQ_ACCUM_VALS(&st->cells, i);

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		logreg_pass_add(ps, (const double *) MQ_ACCUM_KEY(&st->cells, i), beta, intercept, v[0], v[1]);
	}
	for (i = 0; i < napp; i++)
	{
		const double *r = appended_row(st, i);

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		logreg_pass_add(ps, r, beta, intercept, Max(r[st->p], 0.0), Max(-r[st->p], 0.0));
	}
}

PG_FUNCTION_INFO_V1(mq_logreg_final);
/* logreg final: the fitted model, NULL when no row was usable. */
Datum
mq_logreg_final(PG_FUNCTION_ARGS)
{
	MqState    *s;
	LogregState *st;
	MqModel    *m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &mq_logreg_kind);
	st = (LogregState *) s;
	if (st->n == 0 || st->p == 0)
		PG_RETURN_NULL();
	m = logreg_fit(st->p, st->intercept == 1, cells_pass, st, 100, 1e-10);
	if (m == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(m);
}

/* ------------------------------------------------------------------ readers */

/* A logreg model argument that must be fitted. */
static const MqModel *
fitted_arg(FunctionCallInfo fcinfo, int argno)
{
	const MqModel *m = PG_GETARG_MQMODEL(argno, &mq_logreg_kind);

	if (!mq_get_int64(m, LG_FITTED))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this marketiq logreg value is an aggregate state, not a fitted model"),
				 errhint("Use the result of the marketiq.logreg aggregate or of marketiq.logreg_train.")));
	return m;
}

/* Datum of a float8, or NULL when it is NaN. */
static inline Datum
nan_null(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

/* The two-sided normal quantile of a confidence level, checked. */
static double
level_quantile(FunctionCallInfo fcinfo, int argno)
{
	double		level = PG_GETARG_FLOAT8(argno);

	mq_check_range(level, "level", 0.0, false, 1.0, false);
	return gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - level) / 2.0);
}

PG_FUNCTION_INFO_V1(mq_logreg_coefficients);
/* coefficients(logreg): term, coef, std_err, z, p-value. */
Datum
mq_logreg_coefficients(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = fitted_arg(fcinfo, 0);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LG_COEF, &k);
	const double *se = mq_get_float8s(m, LG_STD_ERR, &k);
	int			off = (int) mq_get_int64(m, LG_INTERCEPT);

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < k; j++)
	{
		Datum		v[5];
		bool		nulls[5];
		double		z = coef[j] / se[j];

		v[0] = Int32GetDatum(j + 1 - off);
		nulls[0] = false;
		v[1] = nan_null(coef[j], &nulls[1]);
		v[2] = nan_null(se[j], &nulls[2]);
		v[3] = nan_null(z, &nulls[3]);
		v[4] = nan_null(mq_pvalue_z(z), &nulls[4]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_logreg_odds_ratios);
/* odds_ratios(logreg, level): exp(coef) with Wald confidence limits and p-values. */
Datum
mq_logreg_odds_ratios(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = fitted_arg(fcinfo, 0);
	double		zq = level_quantile(fcinfo, 1);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LG_COEF, &k);
	const double *se = mq_get_float8s(m, LG_STD_ERR, &k);
	int			off = (int) mq_get_int64(m, LG_INTERCEPT);

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < k; j++)
	{
		Datum		v[5];
		bool		nulls[5];

		v[0] = Int32GetDatum(j + 1 - off);
		nulls[0] = false;
		v[1] = nan_null(exp(coef[j]), &nulls[1]);
		v[2] = nan_null(exp(coef[j] - zq * se[j]), &nulls[2]);
		v[3] = nan_null(exp(coef[j] + zq * se[j]), &nulls[3]);
		v[4] = nan_null(mq_pvalue_z(coef[j] / se[j]), &nulls[4]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_logreg_confint);
/* confidence_intervals(logreg, level): Wald (normal) intervals of the coefficients. */
Datum
mq_logreg_confint(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = fitted_arg(fcinfo, 0);
	double		zq = level_quantile(fcinfo, 1);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LG_COEF, &k);
	const double *se = mq_get_float8s(m, LG_STD_ERR, &k);
	int			off = (int) mq_get_int64(m, LG_INTERCEPT);

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < k; j++)
	{
		Datum		v[4];
		bool		nulls[4];

		v[0] = Int32GetDatum(j + 1 - off);
		nulls[0] = false;
		v[1] = nan_null(coef[j], &nulls[1]);
		v[2] = nan_null(coef[j] - zq * se[j], &nulls[2]);
		v[3] = nan_null(coef[j] + zq * se[j], &nulls[3]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_logreg_fit_stats);
/* fit_stats(logreg): one row of goodness-of-fit statistics and convergence facts. */
Datum
mq_logreg_fit_stats(PG_FUNCTION_ARGS)
{
	static const char *const sep_names[] = {"none", "quasi-complete", "complete"};
	const MqModel *m = fitted_arg(fcinfo, 0);
	TupleDesc	tupdesc;
	Datum		v[17];
	bool		nulls[17];
	int64		n = mq_get_int64(m, LG_N);
	int			intercept = (int) mq_get_int64(m, LG_INTERCEPT);
	int			k = (int) mq_get_int64(m, LG_P) + intercept;
	int			rank = (int) mq_get_int64(m, LG_RANK);
	double		dn = (double) n;
	double		w = mq_get_float8(m, LG_SUM_W);
	double		w1 = mq_get_float8(m, LG_SUM_W1);
	double		ll = mq_get_float8(m, LG_LOGLIK);
	double		ll0;
	double		llr;
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* the null model: the intercept alone (the share of y true), or probability 1/2 */
	if (intercept)
	{
		double		pbar = w1 / w;

		ll0 = (w1 > 0.0 ? w1 * log(pbar) : 0.0) + (w - w1 > 0.0 ? (w - w1) * log1p(-pbar) : 0.0);
	}
	else
		ll0 = -w * M_LN2;
	llr = 2.0 * (ll - ll0);
	memset(nulls, 0, sizeof(nulls));
	v[i++] = Int64GetDatum(n);
	v[i++] = Int64GetDatum(mq_get_int64(m, LG_SKIPPED));
	v[i++] = Int32GetDatum(k);
	v[i++] = Int32GetDatum(rank);
	v[i++] = Int64GetDatum(n - rank);
	v[i] = nan_null(ll, &nulls[i]);
	i++;
	v[i] = nan_null(-2.0 * ll0, &nulls[i]);
	i++;
	v[i] = nan_null(-2.0 * ll, &nulls[i]);
	i++;
	v[i] = nan_null(-2.0 * ll + 2.0 * rank, &nulls[i]);
	i++;
	v[i] = nan_null(-2.0 * ll + rank * log(dn), &nulls[i]);
	i++;
	v[i] = nan_null(ll0 < 0.0 ? 1.0 - ll / ll0 : fit_nan(), &nulls[i]);
	i++;
	v[i] = nan_null(llr, &nulls[i]);
	i++;
	v[i] = nan_null(mq_pvalue_chisq(Max(llr, 0.0), rank - intercept), &nulls[i]);
	i++;
	v[i++] = Int32GetDatum((int) mq_get_int64(m, LG_ITERATIONS));
	v[i++] = BoolGetDatum(mq_get_int64(m, LG_CONVERGED) != 0);
	v[i++] = CStringGetTextDatum(sep_names[mq_get_int64(m, LG_SEPARATION)]);
	v[i] = nan_null(mq_get_float8(m, LG_COND), &nulls[i]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

PG_FUNCTION_INFO_V1(mq_logreg_predict);
/* predict(logreg, x): the fitted probability that y is true; dropped terms contribute nothing. */
Datum
mq_logreg_predict(PG_FUNCTION_ARGS)
{
	const MqModel *m = fitted_arg(fcinfo, 0);
	int			p = (int) mq_get_int64(m, LG_P);
	int			off = (int) mq_get_int64(m, LG_INTERCEPT);
	const double *x = fit_predict_x(fcinfo, 1, p);
	int			k,
				j;
	const double *coef = mq_get_float8s(m, LG_COEF, &k);
	double		eta = off ? coef[0] : 0.0;

	for (j = 0; j < p; j++)
		if (!isnan(coef[off + j]))
			eta += coef[off + j] * x[j];
	if (isnan(eta))
		PG_RETURN_FLOAT8(eta);
	PG_RETURN_FLOAT8(eta >= 0.0 ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta)));
}
