/*-------------------------------------------------------------------------
 *
 * logreg_train.c
 *	  Logistic regression over a relation by one aggregate pass per Newton
 *	  iteration: the marketiq.logreg_step type and aggregate, and the driver
 *	  marketiq.logreg_train(source, y, x, ...).
 *
 * The aggregate marketiq.logreg keeps the distinct rows in memory; this
 * driver needs no memory per row, so it scales to any table size.  Each
 * Newton iteration is one SELECT over the source relation of the step
 * aggregate marketiq.logreg_step(y, x, beta, weight, intercept), whose state
 * holds, for the coefficients beta it is given, everything one iteration
 * needs (irls.c): the log-likelihood, the score, and the information matrix
 * as weighted moments of x (p (p + 3) / 2 + a few numbers).  States combine
 * by exact merges, so the pass runs under parallel query (and Citus) like
 * any aggregate.  The driver feeds the passes to the same Newton loop as the
 * in-memory aggregate, so both return the same model.
 *
 * The query is built only from catalog names: the relation through
 * mq_rel_name and each column through mq_rel_column (quoted identifiers of
 * columns that exist), so x names columns, not expressions; a view over the
 * source provides computed features.  It runs through SPI with the caller's
 * privileges, read-only in the caller's snapshot, so every pass sees the
 * same rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_fits.h"
#include "mq_model.h"
#include "mq_util.h"

/* Sections of marketiq.logreg_step. */
enum
{
	ST_P,						/* int64: number of features */
	ST_INTERCEPT,				/* int64: 1 with an intercept, 0 without */
	ST_BETA,					/* float8[k]: the coefficients this pass is at */
	ST_N,						/* int64: rows used */
	ST_SKIPPED,					/* int64: rows skipped for NULLs */
	ST_SUM_W,					/* float8: total prior weight */
	ST_SUM_W1,					/* float8: prior weight of rows with y true */
	ST_LOGLIK,					/* float8: log-likelihood at beta */
	ST_EXTREME_W,				/* float8: weight of rows fitted within 1e-6 of their outcome */
	ST_V,						/* float8: sum of w mu (1 - mu) */
	ST_MEAN,					/* float8[p]: mean of x, weighted by w mu (1 - mu) */
	ST_COMOMENTS,				/* float8[]: centred cross-products of x, same weights, packed upper */
	ST_G0,						/* float8: score of the intercept */
	ST_GX,						/* float8[p]: score of the slopes */
	ST_NSECT
};

static const MqSectSpec step_sects[ST_NSECT] = {
	{"p", MQ_INT64},
	{"intercept", MQ_INT64},
	{"beta", MQ_FLOAT8_ARR},
	{"n", MQ_INT64},
	{"rows_skipped", MQ_INT64},
	{"sum_w", MQ_FLOAT8},
	{"sum_w_true", MQ_FLOAT8},
	{"log_likelihood", MQ_FLOAT8},
	{"extreme_w", MQ_FLOAT8},
	{"info_w", MQ_FLOAT8},
	{"info_mean", MQ_FLOAT8_ARR},
	{"info_comoments", MQ_FLOAT8_ARR},
	{"score0", MQ_FLOAT8},
	{"score", MQ_FLOAT8_ARR},
};

/* In-memory state of the step aggregate. */
typedef struct StepState
{
	MqState		hdr;			/* expanded-object header, first */
	bool		configured;		/* p, intercept and beta known */
	int			p;				/* features */
	bool		intercept;		/* with an intercept */
	double	   *beta;			/* k coefficients of this pass */
	LogregPass	pass;			/* the sums (irls.c) */
} StepState;

static void step_check(const MqKind *kind, const MqModel *m);
static void step_init(MqState *s);
static void step_merge(MqState *s, const MqModel *m);
static MqModel *step_flatten(MqState *s);

static const MqKind step_kind = {
	.name = "logreg_step",
	.id = 22,
	.format = 1,
	.nsect = ST_NSECT,
	.sects = step_sects,
	.check = step_check,
	.state_size = sizeof(StepState),
	.init = step_init,
	.merge = step_merge,
	.flatten = step_flatten,
};

MQ_MODEL_TYPE_IO(logreg_step, &step_kind)

/* Semantic checks of a value from outside. */
static void
step_check(const MqKind *kind, const MqModel *m)
{
	int64		p = mq_get_int64(m, ST_P);
	int64		intercept = mq_get_int64(m, ST_INTERCEPT);
	int			nb,
				nm,
				nc,
				ng,
				i;
	const double *beta = mq_get_float8s(m, ST_BETA, &nb);
	const double *mean = mq_get_float8s(m, ST_MEAN, &nm);
	const double *com = mq_get_float8s(m, ST_COMOMENTS, &nc);
	const double *gx = mq_get_float8s(m, ST_GX, &ng);
	if (p < 1 || p > FIT_MAX_FEATURES)
		mq_model_corrupt(kind, "\"p\" is " INT64_FORMAT ", outside 1 to %d.", p, FIT_MAX_FEATURES);
	if (intercept != 0 && intercept != 1)
		mq_model_corrupt(kind, "\"intercept\" must be 0 or 1.");
	if (nb != p + intercept || nm != p || ng != p || nc != (int64) FIT_PACKED_LEN(p))
		mq_model_corrupt(kind, "Sections \"beta\", \"info_mean\", \"info_comoments\" and \"score\" have %d, %d, %d and %d elements for p = " INT64_FORMAT ".",
						 nb, nm, nc, ng, p);
	if (mq_get_int64(m, ST_N) < 0 || mq_get_int64(m, ST_SKIPPED) < 0)
		mq_model_corrupt(kind, "Row counts must not be negative.");
	if (!(mq_get_float8(m, ST_SUM_W) >= 0.0) || !(mq_get_float8(m, ST_SUM_W1) >= 0.0) ||
		!(mq_get_float8(m, ST_V) >= 0.0) || !(mq_get_float8(m, ST_EXTREME_W) >= 0.0))
		mq_model_corrupt(kind, "Weights must be >= 0.");
	for (i = 0; i < nb; i++)
		if (!isfinite(beta[i]))
			mq_model_corrupt(kind, "Coefficient %d of \"beta\" is not finite.", i + 1);
	for (i = 0; i < nm; i++)
		if (!isfinite(mean[i]) || !isfinite(gx[i]))
			mq_model_corrupt(kind, "Mean or score %d is not finite.", i + 1);
	for (i = 0; i < nc; i++)
		if (!isfinite(com[i]))
			mq_model_corrupt(kind, "Cross-product %d is not finite.", i + 1);
}

/* Empty state. */
static void
step_init(MqState *s)
{
	((StepState *) s)->configured = false;
}

/* Fix p, intercept and beta of a state (allocating in s->cxt). */
static void
step_configure(StepState *st, int p, bool intercept, const double *beta)
{
	MemoryContext old = MemoryContextSwitchTo(st->hdr.cxt);
	int			k = p + (intercept ? 1 : 0);

	mq_check_state_size(fit_moments_bytes(p), &step_kind, "moments");
	st->p = p;
	st->intercept = intercept;
	st->beta = palloc(sizeof(double) * k);
	memcpy(st->beta, beta, sizeof(double) * k);
	logreg_pass_init(&st->pass, p);
	st->configured = true;
	MemoryContextSwitchTo(old);
}

/* Error unless a state's configuration matches (p, intercept, beta). */
static void
step_check_same(StepState *st, int k, bool intercept, const double *beta)
{
	if (intercept != st->intercept)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"intercept\" must be the same in every row")));
	if (k != st->p + (st->intercept ? 1 : 0) ||
		memcmp(beta, st->beta, sizeof(double) * k) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"beta\" must be the same in every row")));
}

/* Add a flat partial state. */
static void
step_merge(MqState *s, const MqModel *m)
{
	StepState  *st = (StepState *) s;
	int			p = (int) mq_get_int64(m, ST_P);
	bool		intercept = mq_get_int64(m, ST_INTERCEPT) != 0;
	int			nb,
				n,
				j;
	const double *beta = mq_get_float8s(m, ST_BETA, &nb);
	const double *gx = mq_get_float8s(m, ST_GX, &n);
	LogregPass *ps = &st->pass;

	if (!st->configured)
		step_configure(st, p, intercept, beta);
	else
		step_check_same(st, nb, intercept, beta);
	ps->n += mq_get_int64(m, ST_N);
	ps->skipped += mq_get_int64(m, ST_SKIPPED);
	ps->sum_w += mq_get_float8(m, ST_SUM_W);
	ps->sum_w1 += mq_get_float8(m, ST_SUM_W1);
	ps->loglik += mq_get_float8(m, ST_LOGLIK);
	ps->extreme_w += mq_get_float8(m, ST_EXTREME_W);
	ps->g0 += mq_get_float8(m, ST_G0);
	for (j = 0; j < p; j++)
		ps->gx[j] += gx[j];
	fit_moments_merge(&ps->mom, mq_get_float8(m, ST_V), mq_get_float8s(m, ST_MEAN, &n),
					  mq_get_float8s(m, ST_COMOMENTS, &n));
}

/* Flat form (folding the buffered rows in first). */
static MqModel *
step_flatten(MqState *s)
{
	StepState  *st = (StepState *) s;
	LogregPass *ps = &st->pass;
	MqBuilder  *b = mq_build_begin(&step_kind);
	double	   *packed;

	if (!st->configured)
		elog(ERROR, "marketiq logreg_step state flattened before its first row");
	fit_moments_flush(&ps->mom);
	packed = palloc(sizeof(double) * FIT_PACKED_LEN(st->p));
	fit_pack_upper(ps->mom.m2, st->p, packed);
	mq_put_int64(b, ST_P, st->p);
	mq_put_int64(b, ST_INTERCEPT, st->intercept ? 1 : 0);
	mq_put_float8s(b, ST_BETA, st->beta, st->p + (st->intercept ? 1 : 0));
	mq_put_int64(b, ST_N, ps->n);
	mq_put_int64(b, ST_SKIPPED, ps->skipped);
	mq_put_float8(b, ST_SUM_W, ps->sum_w);
	mq_put_float8(b, ST_SUM_W1, ps->sum_w1);
	mq_put_float8(b, ST_LOGLIK, ps->loglik);
	mq_put_float8(b, ST_EXTREME_W, ps->extreme_w);
	mq_put_float8(b, ST_V, ps->mom.w);
	mq_put_float8s(b, ST_MEAN, ps->mom.mean, st->p);
	mq_put_float8s(b, ST_COMOMENTS, packed, (int) FIT_PACKED_LEN(st->p));
	mq_put_float8(b, ST_G0, ps->g0);
	mq_put_float8s(b, ST_GX, ps->gx, st->p);
	return mq_build_finish(b);
}

PG_FUNCTION_INFO_V1(mq_logreg_step_trans);

/* logreg_step(y, x, beta, weight, intercept) transition. */
Datum
mq_logreg_step_trans(PG_FUNCTION_ARGS)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &step_kind);
	StepState  *st = (StepState *) s;
	ArrayType  *ba,
			   *xa;
	bool		intercept;
	double		w = 1.0;
	const double *x;
	int			nx;

	mq_check_not_null(PG_ARGISNULL(3), "beta");
	mq_check_not_null(PG_ARGISNULL(5), "intercept");
	ba = PG_GETARG_ARRAYTYPE_P(3);
	intercept = PG_GETARG_BOOL(5);
	if (!st->configured)
	{
		int			nb;
		const double *beta = mq_check_float8_array(ba, "beta", 0, &nb);
		int			p = nb - (intercept ? 1 : 0);

		if (p < 1 || p > FIT_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("array \"beta\" must have one coefficient per feature%s",
							intercept ? ", after the intercept" : ""),
					 errdetail("It has %d elements.", nb)));
		step_configure(st, p, intercept, beta);
	}
	else if (ARR_NDIM(ba) != 1 || ARR_HASNULL(ba))
		step_check_same(st, -1, intercept, st->beta);
	else
		step_check_same(st, ArrayGetNItems(1, ARR_DIMS(ba)), intercept,
						(const double *) ARR_DATA_PTR(ba));

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(4))
	{
		st->pass.skipped++;
		return mq_state_return(s);
	}
	xa = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_HASNULL(xa) && array_contains_nulls(xa))
	{
		st->pass.skipped++;
		return mq_state_return(s);
	}
	w = PG_GETARG_FLOAT8(4);
	mq_check_range(w, "weight", 0.0, true, get_float8_infinity(), false);
	if (w == 0.0)
		return mq_state_return(s);
	x = mq_check_float8_array(xa, "x", 0, &nx);
	if (nx != st->p)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array \"x\" has %d elements but \"beta\" has coefficients for %d features",
						nx, st->p)));
	st->pass.n++;
	if (PG_GETARG_BOOL(1))
		logreg_pass_add(&st->pass, x, st->beta, st->intercept, w, 0.0);
	else
		logreg_pass_add(&st->pass, x, st->beta, st->intercept, 0.0, w);
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_logreg_step_combine);
/* logreg_step combine. */
Datum
mq_logreg_step_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &step_kind);
}

PG_FUNCTION_INFO_V1(mq_logreg_step_final);
/* logreg_step final: the flat state itself. */
Datum
mq_logreg_step_final(PG_FUNCTION_ARGS)
{
	MqState    *s;
	const MqModel *m;
	MqModel    *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &step_kind);
	m = mq_state_flat(s);
	copy = palloc(VARSIZE(m));
	memcpy(copy, m, VARSIZE(m));
	PG_RETURN_POINTER(copy);
}

/* ------------------------------------------------------------------ driver */

/* What a pass of the driver needs. */
typedef struct TrainCtx
{
	SPIPlanPtr	plan;			/* the pass query, $1 = beta, $2 = intercept */
	int			p;				/* features */
	bool		intercept;		/* with an intercept */
	int			passes;			/* passes made */
	int64		n;				/* rows of the first pass */
	const char *relname;		/* for messages */
} TrainCtx;

/* One pass: run the step aggregate over the relation at beta (a LogregPassFn). */
static void
sql_pass(void *arg, const double *beta, LogregPass *ps)
{
	TrainCtx   *t = (TrainCtx *) arg;
	MemoryContext mine = CurrentMemoryContext;
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int			ret,
				n,
				j;
	bool		isnull;
	Datum		d;

	values[0] = PointerGetDatum(mq_float8_array(beta, t->p + (t->intercept ? 1 : 0)));
	values[1] = BoolGetDatum(t->intercept);
	ret = SPI_execute_plan(t->plan, values, nulls, true, 0);
	MemoryContextSwitchTo(mine);	/* SPI leaves us in its own context */
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "logreg_train pass returned %d (" UINT64_FORMAT " rows)", ret, SPI_processed);
	t->passes++;
	logreg_pass_init(ps, t->p);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		const MqModel *m = mq_model_fetch(d, &step_kind);
		const double *gx = mq_get_float8s(m, ST_GX, &n);

		ps->n = mq_get_int64(m, ST_N);
		ps->skipped = mq_get_int64(m, ST_SKIPPED);
		ps->sum_w = mq_get_float8(m, ST_SUM_W);
		ps->sum_w1 = mq_get_float8(m, ST_SUM_W1);
		ps->loglik = mq_get_float8(m, ST_LOGLIK);
		ps->extreme_w = mq_get_float8(m, ST_EXTREME_W);
		ps->g0 = mq_get_float8(m, ST_G0);
		for (j = 0; j < t->p; j++)
			ps->gx[j] = gx[j];
		fit_moments_merge(&ps->mom, mq_get_float8(m, ST_V), mq_get_float8s(m, ST_MEAN, &n),
						  mq_get_float8s(m, ST_COMOMENTS, &n));
	}
	SPI_freetuptable(SPI_tuptable);
	if (t->passes == 1)
		t->n = ps->n;
	else if (ps->n != t->n)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the rows of %s changed during logreg_train", t->relname),
				 errdetail("Pass 1 used %lld rows, pass %d used %lld.",
						   (long long) t->n, t->passes, (long long) ps->n),
				 errhint("Train from a table or materialized view rather than a volatile view.")));
	mq_progress("logreg_train: pass %d over %s done", t->passes, t->relname);
}

/* The SQL expression of feature column `name` as float8, after checking it exists and is numeric. */
static char *
feature_expr(Oid relid, const char *name, const char *argname, bool allow_bool)
{
	static const Oid numeric_types[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID,
	NUMERICOID, BOOLOID, InvalidOid};
	static const Oid numeric_only[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID,
	NUMERICOID, InvalidOid};
	Oid			typid;
	char	   *col = mq_rel_column(relid, name, argname, &typid);

	mq_check_column_type(typid, allow_bool ? numeric_types : numeric_only, name, argname,
						 allow_bool ? "numeric or boolean" : "numeric");
	if (typid == BOOLOID)
		return psprintf("(%s)::int4::float8", col);
	return psprintf("(%s)::float8", col);
}

PG_FUNCTION_INFO_V1(mq_logreg_train);

/*
 * logreg_train(source, y, x, weight, intercept, max_iterations, tolerance):
 * the logistic regression of boolean column y on the numeric columns x of a
 * relation, one step-aggregate pass per Newton iteration.
 */
Datum
mq_logreg_train(PG_FUNCTION_ARGS)
{
	static const Oid bool_only[] = {BOOLOID, InvalidOid};
	Oid			relid;
	char	   *yname,
			   *ycol,
			   *wexpr;
	char	  **xs;
	int		   *xlens;
	int			nx,
				j,
				max_iter;
	bool		intercept;
	double		tol;
	Oid			ytyp;
	StringInfoData q;
	TrainCtx	t;
	Oid			argtypes[2] = {FLOAT8ARRAYOID, BOOLOID};
	MemoryContext callercxt = CurrentMemoryContext;
	MqModel    *m;

	mq_check_not_null(PG_ARGISNULL(0), "source");
	mq_check_not_null(PG_ARGISNULL(1), "y");
	mq_check_not_null(PG_ARGISNULL(2), "x");
	mq_check_not_null(PG_ARGISNULL(4), "intercept");
	mq_check_not_null(PG_ARGISNULL(5), "max_iterations");
	mq_check_not_null(PG_ARGISNULL(6), "tolerance");
	relid = PG_GETARG_OID(0);
	yname = text_to_cstring(PG_GETARG_TEXT_PP(1));
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(2), "x", 0, &nx, &xs, &xlens);
	intercept = PG_GETARG_BOOL(4);
	max_iter = PG_GETARG_INT32(5);
	tol = PG_GETARG_FLOAT8(6);
	mq_check_int_range(max_iter, "max_iterations", 1, 10000);
	mq_check_range(tol, "tolerance", 0.0, false, 1.0, false);
	if (nx > FIT_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array \"x\" has %d elements, more than the %d features a regression accepts",
						nx, FIT_MAX_FEATURES)));

	/* the pass query, from catalog names only */
	ycol = mq_rel_column(relid, yname, "y", &ytyp);
	mq_check_column_type(ytyp, bool_only, yname, "y", "boolean");
	wexpr = PG_ARGISNULL(3) ? "1::float8" :
		feature_expr(relid, text_to_cstring(PG_GETARG_TEXT_PP(3)), "weight", false);
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT marketiq.logreg_step(%s, ARRAY[", ycol);
	for (j = 0; j < nx; j++)
		appendStringInfo(&q, "%s%s", j > 0 ? ", " : "",
						 feature_expr(relid, pnstrdup(xs[j], xlens[j]), "x", true));
	appendStringInfo(&q, "]::float8[], $1, %s, $2) FROM %s", wexpr, mq_rel_name(relid));

	t.p = nx;
	t.intercept = intercept;
	t.passes = 0;
	t.n = 0;
	t.relname = mq_rel_name(relid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	t.plan = SPI_prepare_cursor(q.data, 2, argtypes, CURSOR_OPT_PARALLEL_OK);
	if (t.plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s", q.data,
			 SPI_result_code_string(SPI_result));
	MemoryContextSwitchTo(callercxt);
	m = logreg_fit(nx, intercept, sql_pass, &t, max_iter, tol);
	SPI_finish();
	MemoryContextSwitchTo(callercxt);
	if (m == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(m);
}
