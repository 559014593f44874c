/*-------------------------------------------------------------------------
 *
 * cells.c
 *	  The compressed state of the transaction-model aggregates (bgnbd_fit,
 *	  paretonbd_fit): distinct (frequency, recency, T) cells with counts.
 *
 * The BG/NBD and Pareto/NBD likelihoods depend on a customer only through
 * the summary (x, t_x, T), so customers with equal summaries contribute the
 * same term and a state needs only the distinct summaries ("cells") and how
 * many customers fall in each.  Summaries come from calendar data, so real
 * tables have far fewer cells than customers (CDNOW: 2,357 customers, about
 * 1,400 cells; the bench: 1M customers, about 120,000 cells), and the fit
 * iterates over cells, not rows.  Partial states merge by adding counts cell
 * by cell, which is exact (the counts are integers), so parallel and serial
 * plans produce identical cell tables; the flat form lists the cells sorted
 * by (x, t_x, T), so identical tables give identical bytes and identical fits.
 *
 * The same type holds a state (fitted = 0: cells, parameters NaN) or a
 * fitted model (fitted = 1: parameters, no cells), as the model-value
 * machinery expects of an aggregate whose state type is its result type;
 * the final function turns the one into the other.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_clv.h"

/* Validate a frequency: a finite whole number >= 0. */
void
clv_check_frequency(double x)
{
	mq_check_finite(x, "frequency");
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"frequency\" must be a whole number >= 0"),
				 errdetail("It is %.15g.", x),
				 errhint("Frequency is the number of repeat purchases (purchases after the first).")));
}

/* Validate one customer summary (x, t_x, T). */
void
clv_check_summary(double x, double tx, double T)
{
	clv_check_frequency(x);
	mq_check_range(tx, "recency", 0, true, get_float8_infinity(), false);
	mq_check_range(T, "t", 0, true, get_float8_infinity(), false);
	if (tx > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"recency\" must not exceed \"t\""),
				 errdetail("Recency is %.15g and t is %.15g.", tx, T),
				 errhint("Recency is the age at the last purchase and t the age at the end of the "
						 "observation window, both counted from the first purchase.")));
	if (x == 0 && tx > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"recency\" must be 0 when \"frequency\" is 0"),
				 errdetail("Recency is %.15g.", tx),
				 errhint("Recency is the time from the first to the last purchase: 0 for a customer "
						 "without repeat purchases.")));
	if (x > 0 && tx == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"recency\" must be positive when \"frequency\" is positive"),
				 errdetail("Frequency is %.15g and recency is 0.", x),
				 errhint("Purchases made at the same time as the first one are not repeat purchases: "
						 "combine them (marketiq.clv_summary counts at most one purchase per day).")));
}

/* The key of a cell: the bits of (x, t_x, T), -0 folded into +0. */
static void
cell_key(int32 *key, double x, double tx, double T)
{
	double		v[3];

	v[0] = x + 0.0;
	v[1] = tx + 0.0;
	v[2] = T + 0.0;
	memcpy(key, v, sizeof(v));
}

/* Add `count` customers to the cell (x, t_x, T); allocates in the state's context. */
static void
cells_add(ClvCells *c, double x, double tx, double T, double count)
{
	int32		key[6];
	int			e;

	cell_key(key, x, tx, T);
	e = mq_accum_upsert(&c->cells, key);
	MQ_ACCUM_VALS(&c->cells, e)[0] += count;
}

/*
 * Combine a penalizer pen (negative: none given) into a state's *have (negative
 * until one is seen): the first one seen wins, others must equal it.
 */
void
clv_merge_penalizer(double *have, double pen, const char *kindname)
{
	if (pen < 0)
		return;
	if (*have < 0)
		*have = pen;
	else if (*have != pen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"penalizer\" must be the same for every row of a %s fit", kindname),
				 errdetail("Found %.15g and %.15g.", *have, pen)));
}

/* Empty state. */
void
clv_cells_init(MqState *s)
{
	ClvCells   *c = (ClvCells *) s;

	c->penalizer = -1;
	mq_accum_init(&c->cells, 6, 1);
}

/* Add a flat state's cells into a state (combine). */
void
clv_cells_merge(MqState *s, const MqModel *m)
{
	ClvCells   *c = (ClvCells *) s;
	int			k,
				i;
	const double *x,
			   *tx,
			   *T;
	const int64 *cnt;

	if (mq_get_int64(m, CS_FITTED) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a fitted %s model cannot be combined with aggregate states", s->kind->name),
				 errhint("Fit the model again from the customer summaries.")));
	c->n += mq_get_int64(m, CS_N);
	c->skipped += mq_get_int64(m, CS_SKIPPED);
	clv_merge_penalizer(&c->penalizer, mq_get_float8(m, CS_PENALIZER), s->kind->name);
	x = mq_get_float8s(m, CS_X, &k);
	tx = mq_get_float8s(m, CS_TX, &k);
	T = mq_get_float8s(m, CS_T, &k);
	cnt = mq_get_int64s(m, CS_COUNT, &k);
	for (i = 0; i < k; i++)
		cells_add(c, x[i], tx[i], T[i], (double) cnt[i]);
	mq_check_state_size(mq_accum_bytes(&c->cells), s->kind, "(frequency, recency, T) cells");
}

/* qsort context for sorting cell indexes by (x, t_x, T) */
static const double *sort_keys;

/* Compare two cells by (x, t_x, T). */
static int
cell_cmp(const void *a, const void *b)
{
	const double *ka = sort_keys + 3 * (Size) *(const int *) a;
	const double *kb = sort_keys + 3 * (Size) *(const int *) b;
	int			i;

	for (i = 0; i < 3; i++)
	{
		if (ka[i] < kb[i])
			return -1;
		if (ka[i] > kb[i])
			return 1;
	}
	return 0;
}

/* Sorted copies of the cells (palloc'd in CurrentMemoryContext). */
void
clv_cells_arrays(ClvCells *c, ClvCellArrays *out)
{
	int			k = c->cells.n,
				i;
	double	   *keys = palloc(sizeof(double) * 3 * Max(k, 1));
	int		   *order = palloc(sizeof(int) * Max(k, 1));

	for (i = 0; i < k; i++)
	{
		memcpy(keys + 3 * (Size) i, MQ_ACCUM_KEY(&c->cells, i), sizeof(double) * 3);
		order[i] = i;
	}
	sort_keys = keys;
	qsort(order, k, sizeof(int), cell_cmp);
	out->k = k;
	out->x = palloc(sizeof(double) * Max(k, 1));
	out->tx = palloc(sizeof(double) * Max(k, 1));
	out->T = palloc(sizeof(double) * Max(k, 1));
	out->w = palloc(sizeof(double) * Max(k, 1));
	out->total = 0;
	for (i = 0; i < k; i++)
	{
		const double *kk = keys + 3 * (Size) order[i];

		out->x[i] = kk[0];
		out->tx[i] = kk[1];
		out->T[i] = kk[2];
		out->w[i] = MQ_ACCUM_VALS(&c->cells, order[i])[0];
		out->total += out->w[i];
	}
	pfree(keys);
	pfree(order);
}

/* Flat form of a state: the cells sorted by (x, t_x, T), parameters NaN. */
MqModel *
clv_cells_flatten(MqState *s)
{
	ClvCells   *c = (ClvCells *) s;
	ClvCellArrays a;
	int64	   *cnt;
	int			i;
	MqBuilder  *b = mq_build_begin(s->kind);

	clv_cells_arrays(c, &a);
	cnt = palloc(sizeof(int64) * Max(a.k, 1));
	for (i = 0; i < a.k; i++)
		cnt[i] = (int64) a.w[i];
	mq_put_int64(b, CS_N, c->n);
	mq_put_int64(b, CS_SKIPPED, c->skipped);
	mq_put_float8(b, CS_PENALIZER, c->penalizer);
	mq_put_int64(b, CS_FITTED, 0);
	for (i = CS_P1; i <= CS_LL; i++)
		mq_put_float8(b, i, get_float8_nan());
	mq_put_int64(b, CS_ITER, 0);
	mq_put_int64(b, CS_CONVERGED, 0);
	mq_put_float8s(b, CS_X, a.x, a.k);
	mq_put_float8s(b, CS_TX, a.tx, a.k);
	mq_put_float8s(b, CS_T, a.T, a.k);
	mq_put_int64s(b, CS_COUNT, cnt, a.k);
	return mq_build_finish(b);
}

/* The flat fitted model: parameters and fit statistics, no cells. */
MqModel *
clv_cells_fitted(const MqKind *kind, const ClvCells *c, const double *par,
				 double ll, int iterations, bool converged)
{
	MqBuilder  *b = mq_build_begin(kind);
	int			i;

	mq_put_int64(b, CS_N, c->n);
	mq_put_int64(b, CS_SKIPPED, c->skipped);
	mq_put_float8(b, CS_PENALIZER, Max(c->penalizer, 0));
	mq_put_int64(b, CS_FITTED, 1);
	for (i = 0; i < 4; i++)
		mq_put_float8(b, CS_P1 + i, par[i]);
	mq_put_float8(b, CS_LL, ll);
	mq_put_int64(b, CS_ITER, iterations);
	mq_put_int64(b, CS_CONVERGED, converged ? 1 : 0);
	mq_put_float8s(b, CS_X, NULL, 0);
	mq_put_float8s(b, CS_TX, NULL, 0);
	mq_put_float8s(b, CS_T, NULL, 0);
	mq_put_int64s(b, CS_COUNT, NULL, 0);
	return mq_build_finish(b);
}

/* Semantic checks of a state or fitted model that comes from outside. */
void
clv_cells_check(const MqKind *kind, const MqModel *m)
{
	int			k,
				k2,
				k3,
				k4,
				i;
	const double *x = mq_get_float8s(m, CS_X, &k);
	const double *tx = mq_get_float8s(m, CS_TX, &k2);
	const double *T = mq_get_float8s(m, CS_T, &k3);
	const int64 *cnt = mq_get_int64s(m, CS_COUNT, &k4);
	int64		n = mq_get_int64(m, CS_N),
				fitted = mq_get_int64(m, CS_FITTED),
				total = 0;
	double		pen = mq_get_float8(m, CS_PENALIZER);

	if (k != k2 || k != k3 || k != k4)
		mq_model_corrupt(kind, "Sections \"x\", \"tx\", \"t\" and \"count\" have %d, %d, %d and %d elements.",
						 k, k2, k3, k4);
	if (n < 0 || mq_get_int64(m, CS_SKIPPED) < 0)
		mq_model_corrupt(kind, "\"n\" and \"skipped\" must not be negative.");
	if (!(pen == -1 || (pen >= 0 && isfinite(pen))))
		mq_model_corrupt(kind, "\"penalizer\" must be -1 (not set) or a finite number >= 0.");
	if (fitted != 0 && fitted != 1)
		mq_model_corrupt(kind, "\"fitted\" must be 0 or 1.");
	if (mq_get_int64(m, CS_CONVERGED) != 0 && mq_get_int64(m, CS_CONVERGED) != 1)
		mq_model_corrupt(kind, "\"converged\" must be 0 or 1.");
	if (mq_get_int64(m, CS_ITER) < 0)
		mq_model_corrupt(kind, "\"iterations\" must not be negative.");
	if (fitted)
	{
		if (k != 0)
			mq_model_corrupt(kind, "A fitted model has no cells.");
		if (n < 1 || pen < 0)
			mq_model_corrupt(kind, "A fitted model has n >= 1 and a penalizer >= 0.");
		for (i = CS_P1; i <= CS_P4; i++)
		{
			double		p = mq_get_float8(m, i);

			if (!(p > 0 && isfinite(p)))
				mq_model_corrupt(kind, "Parameter \"%s\" must be a positive finite number.",
								 kind->sects[i].name);
		}
		if (!isfinite(mq_get_float8(m, CS_LL)))
			mq_model_corrupt(kind, "\"log_likelihood\" must be finite.");
		return;
	}
	for (i = CS_P1; i <= CS_LL; i++)
		if (!isnan(mq_get_float8(m, i)))
			mq_model_corrupt(kind, "An aggregate state (fitted = 0) has NaN parameters.");
	for (i = 0; i < k; i++)
	{
		if (!(isfinite(x[i]) && x[i] >= 0 && x[i] == floor(x[i]) &&
			  isfinite(tx[i]) && isfinite(T[i]) && tx[i] >= 0 && tx[i] <= T[i] &&
			  (x[i] == 0) == (tx[i] == 0)))
			mq_model_corrupt(kind, "Cell %d (x %g, tx %g, t %g) is not a possible customer summary.",
							 i + 1, x[i], tx[i], T[i]);
		if (cnt[i] < 1 || cnt[i] > PG_INT64_MAX - total)
			mq_model_corrupt(kind, "Count " INT64_FORMAT " of cell %d is out of range.", cnt[i], i + 1);
		total += cnt[i];
	}
	if (total != n)
		mq_model_corrupt(kind, "\"n\" is " INT64_FORMAT " but the cell counts add up to " INT64_FORMAT ".",
						 n, total);
}

/* Transition: add one customer summary (NULLs skipped and counted). */
Datum
clv_cells_trans(FunctionCallInfo fcinfo, const MqKind *kind, bool has_penalizer)
{
	MqState    *s = mq_state_arg(fcinfo, 0, kind);
	ClvCells   *c = (ClvCells *) s;
	double		pen = 0;
	double		x,
				tx,
				T;
	MemoryContext old;

	if (has_penalizer)
	{
		mq_check_not_null(PG_ARGISNULL(4), "penalizer");
		pen = PG_GETARG_FLOAT8(4);
		mq_check_range(pen, "penalizer", 0, true, get_float8_infinity(), false);
	}
	clv_merge_penalizer(&c->penalizer, pen, kind->name);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		c->skipped++;
		return mq_state_return(s);
	}
	x = PG_GETARG_FLOAT8(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	clv_check_summary(x, tx, T);
	old = MemoryContextSwitchTo(s->cxt);
	cells_add(c, x, tx, T, 1);
	MemoryContextSwitchTo(old);
	c->n++;
	mq_check_state_size(mq_accum_bytes(&c->cells), kind, "(frequency, recency, T) cells");
	return mq_state_return(s);
}

/* A fitted model argument. */
const MqModel *
clv_fitted_arg(FunctionCallInfo fcinfo, int argno, const MqKind *kind)
{
	const MqModel *m = PG_GETARG_MQMODEL(argno, kind);

	if (mq_get_int64(m, CS_FITTED) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this marketiq %s value is an aggregate state, not a fitted model", kind->name),
				 errhint("Models come from the %s_fit aggregate.", kind->name)));
	return m;
}

/*
 * params() of a fitted transaction model (BG/NBD, Pareto/NBD): the row (four
 * parameters, log_likelihood, customers, penalizer, iterations, converged).
 */
Datum
clv_params_row(FunctionCallInfo fcinfo, const MqKind *kind)
{
	const MqModel *m = clv_fitted_arg(fcinfo, 0, kind);
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

/* The four parameters of a fitted transaction model. */
void
clv_model_params(const MqModel *m, double *par)
{
	int			i;

	for (i = 0; i < 4; i++)
		par[i] = mq_get_float8(m, CS_P1 + i);
}
