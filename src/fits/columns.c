/*-------------------------------------------------------------------------
 *
 * columns.c
 *	  Features given as separate arguments: the VARIADIC "any" forms
 *	  marketiq.linreg_columns(y, x1, x2, ...) and logreg_columns.
 *
 * The array forms take x as float8[], which the caller usually builds per
 * row with ARRAY[a, b, c]; PostgreSQL then allocates and fills an array for
 * every row, which on a scan of a table already in memory costs about as
 * much as aggregating the ten columns with sum().  Passing the features as
 * separate arguments of type "any" skips that: the transition function reads
 * each argument by its type, which is looked up once per query and cached.
 * (These cannot be overloads of linreg and logreg: a VARIADIC "any"
 * signature would make calls such as linreg(y, ARRAY[1.5, 2]) ambiguous.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "mq_check.h"
#include "mq_fits.h"

/* The argument types of one call site, cached in fn_extra. */
typedef struct ColumnTypes
{
	int			nargs;			/* arguments of the call */
	bool		variadic;		/* the caller passed VARIADIC array */
	bool		all_float8;		/* every feature is float8 (the fast path) */
	Oid			types[FLEXIBLE_ARRAY_MEMBER];	/* argument types */
} ColumnTypes;

/* The cached argument types, checked on first use. */
static ColumnTypes *
column_types(FunctionCallInfo fcinfo, int first)
{
	ColumnTypes *ct = (ColumnTypes *) fcinfo->flinfo->fn_extra;
	int			i;

	if (ct != NULL && ct->nargs == PG_NARGS())
		return ct;
	ct = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
							offsetof(ColumnTypes, types) + sizeof(Oid) * PG_NARGS());
	ct->nargs = PG_NARGS();
	ct->variadic = get_fn_expr_variadic(fcinfo->flinfo);
	ct->all_float8 = !ct->variadic;
	for (i = first; i < PG_NARGS(); i++)
	{
		Oid			t = get_fn_expr_argtype(fcinfo->flinfo, i);

		if (ct->variadic)
		{
			if (t != FLOAT8ARRAYOID)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("a VARIADIC array of features must be float8[], not %s",
								format_type_be(t))));
		}
		else if (t != FLOAT8OID && t != FLOAT4OID && t != INT2OID && t != INT4OID &&
				 t != INT8OID && t != NUMERICOID && t != BOOLOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature %d must be a number or a boolean, not %s",
							i - first + 1, format_type_be(t)),
					 errhint("Cast it to float8.")));
		ct->types[i] = t;
		if (t != FLOAT8OID)
			ct->all_float8 = false;
	}
	fcinfo->flinfo->fn_extra = ct;
	return ct;
}

/*
 * The features from argument `first` on, as float8 in x (room for
 * FUNC_MAX_ARGS, or FIT_MAX_FEATURES with VARIADIC array); returns their
 * number, or -1 when one of them is NULL.  Non-finite values are an ERROR.
 */
int
fit_columns_arg(FunctionCallInfo fcinfo, int first, double *x)
{
	ColumnTypes *ct = column_types(fcinfo, first);
	int			i,
				n = 0;

	if (ct->variadic)
	{
		ArrayType  *a;
		const double *v;

		if (PG_ARGISNULL(first))
			return -1;
		a = PG_GETARG_ARRAYTYPE_P(first);
		if (ARR_HASNULL(a) && array_contains_nulls(a))
			return -1;
		v = mq_check_float8_array(a, "x", 0, &n);
		if (n > FIT_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array \"x\" has %d elements, more than the %d features a regression accepts",
							n, FIT_MAX_FEATURES)));
		memcpy(x, v, sizeof(double) * n);
		return n;
	}
	if (ct->all_float8)
	{
		for (i = first; i < ct->nargs; i++)
		{
			double		v;

			if (PG_ARGISNULL(i))
				return -1;
			v = PG_GETARG_FLOAT8(i);
			if (!isfinite(v))
				break;			/* reported below */
			x[n++] = v;
		}
		if (i == ct->nargs)
			return n;
		n = 0;
	}
	for (i = first; i < ct->nargs; i++)
	{
		Datum		d;
		double		v;

		if (PG_ARGISNULL(i))
			return -1;
		d = PG_GETARG_DATUM(i);
		switch (ct->types[i])
		{
			case FLOAT8OID:
				v = DatumGetFloat8(d);
				break;
			case FLOAT4OID:
				v = DatumGetFloat4(d);
				break;
			case INT2OID:
				v = DatumGetInt16(d);
				break;
			case INT4OID:
				v = DatumGetInt32(d);
				break;
			case INT8OID:
				v = (double) DatumGetInt64(d);
				break;
			case BOOLOID:
				v = DatumGetBool(d) ? 1.0 : 0.0;
				break;
			default:
				v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
				break;
		}
		if (!isfinite(v))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature %d must be a finite number", n + 1),
					 errdetail("It is %s.", isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))));
		x[n++] = v;
	}
	return n;
}
