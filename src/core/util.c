/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Result arrays, safe relation and column names for table-level
 *	  functions, and progress messages.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <gsl/gsl_version.h>

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "marketiq.h"
#include "mq_util.h"

bool		mq_progress_enabled = false;

/* Report one step of long work. */
void
mq_progress(const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ereport(mq_progress_enabled ? NOTICE : DEBUG1,
			(errmsg_internal("marketiq: %s", buf)));
}

/* A 1-D float8[]. */
ArrayType *
mq_float8_array(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return construct_array(d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* A 1-D int8[]. */
ArrayType *
mq_int8_array(const int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* A 1-D text[]. */
ArrayType *
mq_text_array(const char *const *strs, const int *lens, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = PointerGetDatum(cstring_to_text_with_len(strs[i], lens ? lens[i] : (int) strlen(strs[i])));
	return construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* Quoted, schema-qualified relation name. */
char *
mq_rel_name(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

/* Check a column exists; returns it quoted. */
char *
mq_rel_column(Oid relid, const char *colname, const char *argname, Oid *typid)
{
	HeapTuple	tup;
	Form_pg_attribute att;

	if (colname == NULL || colname[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must name a column", argname)));
	tup = SearchSysCacheAttName(relid, colname);
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" (argument \"%s\") does not exist in %s",
						colname, argname, mq_rel_name(relid)),
				 errhint("Column names are matched exactly, as quoted identifiers: check the case.")));
	att = (Form_pg_attribute) GETSTRUCT(tup);
	if (att->attnum <= 0)
	{
		ReleaseSysCache(tup);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" (argument \"%s\") is a system column", colname, argname)));
	}
	if (typid)
		*typid = att->atttypid;
	ReleaseSysCache(tup);
	return pstrdup(quote_identifier(colname));
}

/* Check a column's type against a list. */
void
mq_check_column_type(Oid typid, const Oid *ok, const char *colname,
					 const char *argname, const char *expected)
{
	int			i;

	for (i = 0; OidIsValid(ok[i]); i++)
		if (typid == ok[i])
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" (argument \"%s\") must be %s, not %s",
					colname, argname, expected, format_type_be(typid))));
}

/* OpenBLAS exports this; no header needed for one prototype */
extern char *openblas_get_config(void);

PG_FUNCTION_INFO_V1(mq_version);

/* marketiq.version(): the library's version and the numerical libraries it runs on. */
Datum
mq_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("marketiq %s (%s; GSL %s)", MARKETIQ_VERSION,
											  openblas_get_config(), gsl_version)));
}
