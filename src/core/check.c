/*-------------------------------------------------------------------------
 *
 * check.c
 *	  Argument validators: one errcode and one wording per kind of bad input.
 *
 * Errcodes used throughout marketiq:
 *	  NULL where a value is required ....... ERRCODE_NULL_VALUE_NOT_ALLOWED
 *	  array not 1-D, empty ................. ERRCODE_INVALID_PARAMETER_VALUE
 *	  arrays of different lengths .......... ERRCODE_ARRAY_SUBSCRIPT_ERROR
 *	  NaN or infinity ...................... ERRCODE_DATA_EXCEPTION
 *	  scalar out of range, unknown option .. ERRCODE_INVALID_PARAMETER_VALUE
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "mq_check.h"

/* Common shape checks of an array argument: 1-D (or empty), no NULLs. */
static int
check_array_shape(ArrayType *a, const char *what, int flags)
{
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"%s\" must be one-dimensional", what),
				 errdetail("It has %d dimensions.", ARR_NDIM(a))));
	if (n == 0 && !(flags & MQ_ALLOW_EMPTY))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"%s\" must not be empty", what)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array \"%s\" must not contain NULL elements", what)));
	return n;
}

/* ERROR for element i (0-based) of array `what`, which is NaN or infinite. */
static void
nonfinite_error(const char *what, int i, double x)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("array \"%s\" must not contain NaN or infinite values", what),
			 errdetail("Element %d is %s.", i + 1,
					   isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity"))));
}

/* Validate a float8[] argument; returns its elements. */
const double *
mq_check_float8_array(ArrayType *a, const char *what, int flags, int *n)
{
	const double *v;
	int			i;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "array \"%s\" is not float8[]", what);
	*n = check_array_shape(a, what, flags);
	v = (const double *) ARR_DATA_PTR(a);
	if (!(flags & MQ_ALLOW_NONFINITE))
	{
		for (i = 0; i < *n; i++)
			if (!isfinite(v[i]))
				nonfinite_error(what, i, v[i]);
	}
	return v;
}

/* Validate a real[] argument; returns its elements. */
const float4 *
mq_check_float4_array(ArrayType *a, const char *what, int flags, int *n)
{
	const float4 *v;
	int			i;

	if (ARR_ELEMTYPE(a) != FLOAT4OID)
		elog(ERROR, "array \"%s\" is not real[]", what);
	*n = check_array_shape(a, what, flags);
	v = (const float4 *) ARR_DATA_PTR(a);
	if (!(flags & MQ_ALLOW_NONFINITE))
	{
		for (i = 0; i < *n; i++)
			if (!isfinite(v[i]))
				nonfinite_error(what, i, v[i]);
	}
	return v;
}

/* Validate a 2-D float8[] argument; returns its elements, row-major. */
const double *
mq_check_float8_matrix(ArrayType *a, const char *what, int *rows, int *cols)
{
	const double *v;
	int			n;
	int			i;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "array \"%s\" is not float8[]", what);
	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"%s\" must be two-dimensional", what),
				 errdetail("It has %d dimensions.", ARR_NDIM(a))));
	*rows = ARR_DIMS(a)[0];
	*cols = ARR_DIMS(a)[1];
	n = ArrayGetNItems(2, ARR_DIMS(a));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array \"%s\" must not contain NULL elements", what)));
	v = (const double *) ARR_DATA_PTR(a);
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("array \"%s\" must not contain NaN or infinite values", what)));
	return v;
}

/* Validate a text[] argument; returns element pointers and lengths. */
void
mq_check_text_array(ArrayType *a, const char *what, int flags,
					int *n, char ***strs, int **lens)
{
	char	   *p;
	int			i;

	if (ARR_ELEMTYPE(a) != TEXTOID && ARR_ELEMTYPE(a) != VARCHAROID &&
		ARR_ELEMTYPE(a) != NAMEOID)
		elog(ERROR, "array \"%s\" is not text[]", what);
	*n = check_array_shape(a, what, flags);
	*strs = palloc(sizeof(char *) * Max(*n, 1));
	*lens = palloc(sizeof(int) * Max(*n, 1));
	p = ARR_DATA_PTR(a);
	for (i = 0; i < *n; i++)
	{
		if (ARR_ELEMTYPE(a) == NAMEOID)
		{
			(*strs)[i] = p;
			(*lens)[i] = strlen(p);
			p += NAMEDATALEN;
		}
		else
		{
			(*strs)[i] = VARDATA_ANY(p);
			(*lens)[i] = VARSIZE_ANY_EXHDR(p);
			p = att_addlength_pointer(p, -1, p);
			p = (char *) att_align_nominal(p, TYPALIGN_INT);
		}
	}
}

/* Validate a timestamptz[] argument; returns its elements. */
const int64 *
mq_check_timestamptz_array(ArrayType *a, const char *what, int flags, int *n)
{
	const int64 *v;
	int			i;

	if (ARR_ELEMTYPE(a) != TIMESTAMPTZOID && ARR_ELEMTYPE(a) != TIMESTAMPOID)
		elog(ERROR, "array \"%s\" is not timestamptz[]", what);
	*n = check_array_shape(a, what, flags);
	v = (const int64 *) ARR_DATA_PTR(a);
	for (i = 0; i < *n; i++)
		if (TIMESTAMP_NOT_FINITE(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("array \"%s\" must not contain infinite timestamps", what),
					 errdetail("Element %d is infinite.", i + 1)));
	return v;
}

/* Error unless two arrays have the same number of elements. */
void
mq_check_same_length(int n1, const char *what1, int n2, const char *what2)
{
	if (n1 != n2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("arrays \"%s\" and \"%s\" must have the same length", what1, what2),
				 errdetail("\"%s\" has %d elements and \"%s\" has %d.", what1, n1, what2, n2)));
}

/* Error unless v is finite. */
void
mq_check_finite(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("\"%s\" must be a finite number", what),
				 errdetail("It is %s.", isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))));
}

/* Format one bound of a range for a message. */
static void
append_bound(StringInfo buf, double v)
{
	if (isinf(v))
		appendStringInfoString(buf, v > 0 ? "infinity" : "-infinity");
	else
		appendStringInfo(buf, "%.15g", v);
}

/* Error unless v lies in the given range. */
void
mq_check_range(double v, const char *what, double lo, bool lo_inclusive,
			   double hi, bool hi_inclusive)
{
	StringInfoData buf;

	mq_check_finite(v, what);
	if ((lo_inclusive ? v >= lo : v > lo) && (hi_inclusive ? v <= hi : v < hi))
		return;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, lo_inclusive ? '[' : '(');
	append_bound(&buf, lo);
	appendStringInfoString(&buf, ", ");
	append_bound(&buf, hi);
	appendStringInfoChar(&buf, hi_inclusive ? ']' : ')');
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" must be in %s", what, buf.data),
			 errdetail("It is %.15g.", v)));
}

/* Error unless lo <= v <= hi. */
void
mq_check_int_range(int64 v, const char *what, int64 lo, int64 hi)
{
	if (v < lo || v > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be between " INT64_FORMAT " and " INT64_FORMAT, what, lo, hi),
				 errdetail("It is " INT64_FORMAT ".", v)));
}

/* Error for a NULL argument that has no default. */
void
mq_check_not_null(bool isnull, const char *what)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("\"%s\" must not be NULL", what)));
}

/* Error for an unknown option name; returns its index among the choices. */
int
mq_check_choice(const char *name, const char *what, const char *const *choices)
{
	StringInfoData buf;
	int			i;

	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(name, choices[i]) == 0)
			return i;
	initStringInfo(&buf);
	for (i = 0; choices[i] != NULL; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", choices[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown %s \"%s\"", what, name),
			 errhint("Use one of: %s.", buf.data)));
	return -1;					/* keep compiler quiet */
}
