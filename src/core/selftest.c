/*-------------------------------------------------------------------------
 *
 * selftest.c
 *	  Internal SQL functions that test the numerical core and the model-value
 *	  machinery through SQL (sql/core_*.sql).
 *
 * They are not part of the analyst-facing API (their names start with an
 * underscore) but are kept installed: they are how the regression suite
 * checks the BLAS/LAPACK/GSL wrappers against hand-checked values and
 * exercises every section type of the model-value I/O through the internal
 * `marketiq._testmodel` type and its aggregate `marketiq._test_accum`, built
 * exactly as the real model aggregates are.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_vector.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_gsl.h"
#include "mq_hash.h"
#include "mq_linalg.h"
#include "mq_model.h"
#include "mq_util.h"

/* ------------------------------------------------------------ array helpers */

/* A p x p float8[][] from a column-major matrix. */
static ArrayType *
float8_matrix(const double *a, int p)
{
	Datum	   *d = palloc(sizeof(Datum) * p * p);
	int			dims[2] = {p, p};
	int			lbs[2] = {1, 1};
	int			i,
				j;

	for (i = 0; i < p; i++)
		for (j = 0; j < p; j++)
			d[i * p + j] = Float8GetDatum(a[i + j * p]);
	return construct_md_array(d, NULL, 2, dims, lbs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* A square matrix argument, copied into column-major order. */
static double *
square_arg(ArrayType *arr, const char *what, int *p)
{
	int			rows,
				cols,
				i,
				j;
	const double *v = mq_check_float8_matrix(arr, what, &rows, &cols);
	double	   *a;

	if (rows != cols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("matrix \"%s\" must be square", what),
				 errdetail("It is %d x %d.", rows, cols)));
	a = palloc(sizeof(double) * rows * cols);
	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			a[i + j * rows] = v[i * cols + j];
	*p = rows;
	return a;
}

/* ---------------------------------------------------------- linear algebra */

PG_FUNCTION_INFO_V1(mq_test_gram);

/* _gram(x float8[][], block int): x'x accumulated through MqGram in blocks of `block` rows. */
Datum
mq_test_gram(PG_FUNCTION_ARGS)
{
	int			n,
				p,
				i;
	const double *x = mq_check_float8_matrix(PG_GETARG_ARRAYTYPE_P(0), "x", &n, &p);
	int			block = PG_GETARG_INT32(1);
	double	   *sum = palloc(sizeof(double) * p * p);
	MqGram		g;

	mq_check_int_range(block, "block", 1, 1000000);
	mq_gram_init(&g, p, block, sum);
	for (i = 0; i < n; i++)
		mq_gram_add(&g, x + (Size) i * p, 1.0);
	mq_gram_flush(&g);
	mq_symmetrize(sum, p);
	PG_RETURN_ARRAYTYPE_P(float8_matrix(sum, p));
}

PG_FUNCTION_INFO_V1(mq_test_cholesky_solve);

/* _cholesky_solve(a float8[][], b float8[]): solve a x = b for symmetric positive definite a. */
Datum
mq_test_cholesky_solve(PG_FUNCTION_ARGS)
{
	int			p,
				nb,
				info;
	double	   *a = square_arg(PG_GETARG_ARRAYTYPE_P(0), "a", &p);
	const double *bv = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(1), "b", 0, &nb);
	double	   *b = palloc(sizeof(double) * nb);

	mq_check_same_length(p, "a", nb, "b");
	memcpy(b, bv, sizeof(double) * nb);
	info = mq_cholesky(a, p);
	if (info > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("matrix \"a\" is not positive definite"),
				 errdetail("The leading minor of order %d is not positive.", info)));
	mq_cholesky_solve(a, p, b, 1);
	PG_RETURN_ARRAYTYPE_P(mq_float8_array(b, p));
}

PG_FUNCTION_INFO_V1(mq_test_inverse);

/* _spd_inverse(a float8[][]): inverse of a symmetric positive definite matrix by Cholesky. */
Datum
mq_test_inverse(PG_FUNCTION_ARGS)
{
	int			p;
	double	   *a = square_arg(PG_GETARG_ARRAYTYPE_P(0), "a", &p);

	if (mq_cholesky(a, p) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("matrix \"a\" is not positive definite")));
	mq_cholesky_inverse(a, p);
	PG_RETURN_ARRAYTYPE_P(float8_matrix(a, p));
}

PG_FUNCTION_INFO_V1(mq_test_solve);

/* _solve(a float8[][], b float8[]): solve a general square system by LU. */
Datum
mq_test_solve(PG_FUNCTION_ARGS)
{
	int			p,
				nb;
	double	   *a = square_arg(PG_GETARG_ARRAYTYPE_P(0), "a", &p);
	const double *bv = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(1), "b", 0, &nb);
	double	   *b = palloc(sizeof(double) * nb);

	mq_check_same_length(p, "a", nb, "b");
	memcpy(b, bv, sizeof(double) * nb);
	if (mq_solve(a, p, b, 1) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("matrix \"a\" is singular")));
	PG_RETURN_ARRAYTYPE_P(mq_float8_array(b, p));
}

PG_FUNCTION_INFO_V1(mq_test_eigenvalues);

/* _eigenvalues(a float8[][]): eigenvalues of a symmetric matrix, ascending. */
Datum
mq_test_eigenvalues(PG_FUNCTION_ARGS)
{
	int			p;
	double	   *a = square_arg(PG_GETARG_ARRAYTYPE_P(0), "a", &p);
	double	   *w = palloc(sizeof(double) * p);

	if (mq_sym_eigen(a, p, w, false) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("eigenvalue computation did not converge")));
	PG_RETURN_ARRAYTYPE_P(mq_float8_array(w, p));
}

PG_FUNCTION_INFO_V1(mq_test_condition);

/* _condition(a float8[][]): 2-norm condition number of a symmetric PSD matrix. */
Datum
mq_test_condition(PG_FUNCTION_ARGS)
{
	int			p;
	double	   *a = square_arg(PG_GETARG_ARRAYTYPE_P(0), "a", &p);

	PG_RETURN_FLOAT8(mq_sym_condition(a, p));
}

PG_FUNCTION_INFO_V1(mq_test_lstsq);

/* _lstsq(x float8[][], y float8[]) -> (coef float8[], rank int): minimum-norm least squares. */
Datum
mq_test_lstsq(PG_FUNCTION_ARGS)
{
	int			n,
				p,
				ny,
				i,
				j,
				rank;
	const double *xv = mq_check_float8_matrix(PG_GETARG_ARRAYTYPE_P(0), "x", &n, &p);
	const double *yv = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(1), "y", 0, &ny);
	double	   *x = palloc(sizeof(double) * n * p);
	double	   *y = palloc0(sizeof(double) * Max(n, p));
	double	   *sv = palloc(sizeof(double) * Min(n, p));
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	mq_check_same_length(n, "x", ny, "y");
	for (i = 0; i < n; i++)
		for (j = 0; j < p; j++)
			x[i + (Size) j * n] = xv[(Size) i * p + j];
	memcpy(y, yv, sizeof(double) * n);
	rank = mq_lstsq(x, n, p, y, -1.0, sv);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = PointerGetDatum(mq_float8_array(y, p));
	values[1] = Int32GetDatum(rank);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* --------------------------------------------------------------------- GSL */

PG_FUNCTION_INFO_V1(mq_test_special);

/* _special(fn text, a, b, c, x): the checked special functions and p-values by name. */
Datum
mq_test_special(PG_FUNCTION_ARGS)
{
	static const char *const fns[] = {"lngamma", "lnbeta", "hyperg_2f1", "psi",
	"pvalue_t", "pvalue_z", "pvalue_f", "pvalue_chisq", NULL};
	char	   *fn = text_to_cstring(PG_GETARG_TEXT_PP(0));
	double		a = PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1);
	double		b = PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2);
	double		c = PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3);
	double		x = PG_ARGISNULL(4) ? 0 : PG_GETARG_FLOAT8(4);

	switch (mq_check_choice(fn, "special function", fns))
	{
		case 0:
			PG_RETURN_FLOAT8(mq_sf_lngamma(a));
		case 1:
			PG_RETURN_FLOAT8(mq_sf_lnbeta(a, b));
		case 2:
			PG_RETURN_FLOAT8(mq_sf_hyperg_2F1(a, b, c, x));
		case 3:
			PG_RETURN_FLOAT8(mq_sf_psi(a));
		case 4:
			PG_RETURN_FLOAT8(mq_pvalue_t(a, b));
		case 5:
			PG_RETURN_FLOAT8(mq_pvalue_z(a));
		case 6:
			PG_RETURN_FLOAT8(mq_pvalue_f(a, b, c));
		default:
			PG_RETURN_FLOAT8(mq_pvalue_chisq(a, b));
	}
}

/* live GSL vectors allocated by _gsl_guard_test */
static int	guard_live = 0;

/* Destructor counting what it frees. */
static void
counted_vector_free(void *v)
{
	gsl_vector_free((gsl_vector *) v);
	guard_live--;
}

PG_FUNCTION_INFO_V1(mq_test_gsl_guard);

/*
 * _gsl_guard_test(fail boolean): allocates a GSL vector under mq_gsl_guard,
 * then raises an ERROR if asked; returns the number of guarded vectors still
 * alive afterwards as seen from inside the call (1).  _gsl_guard_live()
 * shows that the ERROR path freed it too (0).
 */
Datum
mq_test_gsl_guard(PG_FUNCTION_ARGS)
{
	gsl_vector *v = mq_gsl_guard(gsl_vector_alloc(1000), counted_vector_free);

	guard_live++;
	gsl_vector_set_all(v, 1.0);
	if (PG_GETARG_BOOL(0))
		ereport(ERROR,
				(errcode(ERRCODE_RAISE_EXCEPTION),
				 errmsg("failing on purpose with a GSL vector allocated")));
	PG_RETURN_INT32(guard_live);
}

PG_FUNCTION_INFO_V1(mq_test_gsl_live);

/* _gsl_guard_live(): guarded GSL vectors not yet freed. */
Datum
mq_test_gsl_live(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(guard_live);
}

/* ----------------------------------------------------- the _testmodel kind */

/* Sections of marketiq._testmodel: one of every section type. */
enum
{
	TM_N,						/* int64: rows aggregated */
	TM_SCORE,					/* float8: sum of values */
	TM_LABEL,					/* text */
	TM_IDS,						/* int32[]: per entry, its index into names */
	TM_COUNTS,					/* int64[]: per entry, rows */
	TM_VALUES,					/* float8[]: per entry, sum of values */
	TM_NAMES,					/* text[]: entry names */
	TM_NSECT
};

static const MqSectSpec testmodel_sects[TM_NSECT] = {
	{"n", MQ_INT64},
	{"score", MQ_FLOAT8},
	{"label", MQ_TEXT},
	{"ids", MQ_INT32_ARR},
	{"counts", MQ_INT64_ARR},
	{"values", MQ_FLOAT8_ARR},
	{"names", MQ_TEXT_ARR},
};

/* In-memory state of _test_accum: names -> (count, sum). */
typedef struct TestState
{
	MqState		hdr;			/* expanded-object header, first */
	int64		n;				/* rows with a non-NULL key */
	double		score;			/* sum of all values */
	MqDict		names;			/* key -> id */
	MqAccum		sums;			/* id -> (count, sum) */
} TestState;

/* Semantic checks: parallel arrays, ids in range, counts non-negative, n consistent. */
static void
testmodel_check(const MqKind *kind, const MqModel *m)
{
	int			nids,
				ncounts,
				nvalues,
				nnames,
				i;
	const int32 *ids = mq_get_int32s(m, TM_IDS, &nids);
	const int64 *counts = mq_get_int64s(m, TM_COUNTS, &ncounts);
	int64		total = 0;

	mq_get_float8s(m, TM_VALUES, &nvalues);
	nnames = mq_get_text_count(m, TM_NAMES);
	if (nids != ncounts || nids != nvalues)
		mq_model_corrupt(kind, "Sections \"ids\", \"counts\" and \"values\" have %d, %d and %d elements.",
						 nids, ncounts, nvalues);
	for (i = 0; i < nids; i++)
	{
		if (ids[i] < 0 || ids[i] >= nnames)
			mq_model_corrupt(kind, "Id %d of entry %d is not the index of one of the %d names.",
							 ids[i], i + 1, nnames);
		if (counts[i] < 0 || counts[i] > PG_INT64_MAX - total)
			mq_model_corrupt(kind, "Count " INT64_FORMAT " of entry %d is out of range.",
							 counts[i], i + 1);
		total += counts[i];
	}
	if (mq_get_int64(m, TM_N) != total)
		mq_model_corrupt(kind, "\"n\" is " INT64_FORMAT " but the counts add up to " INT64_FORMAT ".",
						 mq_get_int64(m, TM_N), total);
}

static void testmodel_init(MqState *s);
static void testmodel_merge(MqState *s, const MqModel *m);
static MqModel *testmodel_flatten(MqState *s);

static const MqKind testmodel_kind = {
	.name = "_testmodel",
	.id = 1,
	.format = 1,
	.nsect = TM_NSECT,
	.sects = testmodel_sects,
	.check = testmodel_check,
	.state_size = sizeof(TestState),
	.init = testmodel_init,
	.merge = testmodel_merge,
	.flatten = testmodel_flatten,
};

MQ_MODEL_TYPE_IO(testmodel, &testmodel_kind)

/* Empty state. */
static void
testmodel_init(MqState *s)
{
	TestState  *t = (TestState *) s;

	mq_dict_init(&t->names);
	mq_accum_init(&t->sums, 1, 2);
}

/* Add one key's count and sum. */
static void
test_add(TestState *t, const char *key, int len, int64 count, double sum)
{
	int32		id = mq_dict_intern(&t->names, key, len);
	double	   *v = mq_accum_row(&t->sums, &id);

	v[0] += count;
	v[1] += sum;
}

/* Add a flat value into a state. */
static void
testmodel_merge(MqState *s, const MqModel *m)
{
	TestState  *t = (TestState *) s;
	int			n,
				i,
				len;
	const int32 *ids = mq_get_int32s(m, TM_IDS, &n);
	const int64 *counts = mq_get_int64s(m, TM_COUNTS, &n);
	const double *values = mq_get_float8s(m, TM_VALUES, &n);

	t->n += mq_get_int64(m, TM_N);
	t->score += mq_get_float8(m, TM_SCORE);
	for (i = 0; i < n; i++)
	{
		const char *key = mq_get_text_elem(m, TM_NAMES, ids[i], &len);

		test_add(t, key, len, counts[i], values[i]);
	}
}

/* Canonical flat form: names sorted in byte order. */
static MqModel *
testmodel_flatten(MqState *s)
{
	TestState  *t = (TestState *) s;
	int			k = t->names.n,
				i;
	int32	   *order = mq_dict_sorted(&t->names);
	int32	   *ids = palloc(sizeof(int32) * Max(k, 1));
	int64	   *counts = palloc(sizeof(int64) * Max(k, 1));
	double	   *values = palloc(sizeof(double) * Max(k, 1));
	const char **names = palloc(sizeof(char *) * Max(k, 1));
	int		   *lens = palloc(sizeof(int) * Max(k, 1));
	MqBuilder  *b = mq_build_begin(&testmodel_kind);

	for (i = 0; i < k; i++)
	{
		int32		id = order[i];
		int			e = mq_accum_find(&t->sums, &id);

		ids[i] = i;
		counts[i] = (int64) MQ_ACCUM_VALS(&t->sums, e)[0];
		values[i] = MQ_ACCUM_VALS(&t->sums, e)[1];
		names[i] = t->names.strs[id];
		lens[i] = t->names.lens[id];
	}
	mq_put_int64(b, TM_N, t->n);
	mq_put_float8(b, TM_SCORE, t->score);
	mq_put_text(b, TM_LABEL, "state", 5);
	mq_put_int32s(b, TM_IDS, ids, k);
	mq_put_int64s(b, TM_COUNTS, counts, k);
	mq_put_float8s(b, TM_VALUES, values, k);
	mq_put_texts(b, TM_NAMES, names, lens, k);
	return mq_build_finish(b);
}

PG_FUNCTION_INFO_V1(mq_test_accum_trans);

/* _test_accum(key text, value float8) transition: NULL keys are skipped. */
Datum
mq_test_accum_trans(PG_FUNCTION_ARGS)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &testmodel_kind);
	TestState  *t = (TestState *) s;

	if (!PG_ARGISNULL(1))
	{
		text	   *key = PG_GETARG_TEXT_PP(1);
		double		v = PG_ARGISNULL(2) ? 0.0 : PG_GETARG_FLOAT8(2);
		MemoryContext old;

		mq_check_finite(v, "value");
		old = MemoryContextSwitchTo(s->cxt);
		test_add(t, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), 1, v);
		MemoryContextSwitchTo(old);
		t->n++;
		t->score += v;
		mq_check_state_size(mq_dict_bytes(&t->names) + mq_accum_bytes(&t->sums),
							&testmodel_kind, "keys");
	}
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_test_accum_combine);

/* _test_accum combine. */
Datum
mq_test_accum_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &testmodel_kind);
}

PG_FUNCTION_INFO_V1(mq_test_accum_final);

/* _test_accum final: the flat value (NULL when no row had a key). */
Datum
mq_test_accum_final(PG_FUNCTION_ARGS)
{
	MqState    *s;
	const MqModel *m;
	MqModel    *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &testmodel_kind);
	if (((TestState *) s)->n == 0)
		PG_RETURN_NULL();
	m = mq_state_flat(s);
	copy = palloc(VARSIZE(m));
	memcpy(copy, m, VARSIZE(m));
	PG_RETURN_POINTER(copy);
}

PG_FUNCTION_INFO_V1(mq_test_entries);

/* _testmodel_entries(m): the entries as rows (name, count, sum). */
Datum
mq_test_entries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &testmodel_kind);
	int			n,
				i;
	const int32 *ids = mq_get_int32s(m, TM_IDS, &n);
	const int64 *counts = mq_get_int64s(m, TM_COUNTS, &n);
	const double *values = mq_get_float8s(m, TM_VALUES, &n);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		v[3];
		bool		nulls[3] = {false, false, false};

		v[0] = CStringGetTextDatum(mq_get_text_elem(m, TM_NAMES, ids[i], NULL));
		v[1] = Int64GetDatum(counts[i]);
		v[2] = Float8GetDatum(values[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
