/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Result arrays, safe relation and column names for table-level
 *	  functions, streaming their queries into C, and progress messages.
 *
 * Streaming: a table-level report runs one query over the caller's relation
 * and reduces its rows in C.  SPI_execute would first materialise every row
 * in a tuple table, and a cursor would make the planner optimise for the
 * first rows; mq_spi_stream prepares a normal (parallel-capable) plan and
 * executes it with a DestReceiver of our own that hands each row to a
 * callback, in a per-row memory context reset after every row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <gsl/gsl_version.h>

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "tcop/dest.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
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

/* ---------------------------------------------------- streaming SPI queries */

/* numeric column types accepted as amounts, costs and values */
const Oid	mq_number_types[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, NUMERICOID, InvalidOid};

/* column types accepted as timestamps */
const Oid	mq_time_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID, InvalidOid};

/* Our receiver: the callback, its argument and the per-row context. */
typedef struct MqStreamReceiver
{
	DestReceiver pub;			/* must be first */
	MqRowFn	fn;
	void	   *arg;
	MemoryContext rowcxt;
} MqStreamReceiver;

/* Hand one row to the callback in the per-row context. */
static bool
stream_receive(TupleTableSlot *slot, DestReceiver *self)
{
	MqStreamReceiver *r = (MqStreamReceiver *) self;
	MemoryContext old;

	slot_getallattrs(slot);
	old = MemoryContextSwitchTo(r->rowcxt);
	r->fn(slot->tts_values, slot->tts_isnull, r->arg);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->rowcxt);
	return true;
}

/* Nothing to do at start-up. */
static void
stream_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* Nothing to do at shutdown. */
static void
stream_shutdown(DestReceiver *self)
{
}

/* The receiver lives in the caller's memory: nothing to destroy. */
static void
stream_destroy(DestReceiver *self)
{
}

/* Run a read-only query and stream its rows to fn. */
void
mq_spi_stream(const char *sql, int nargs, const Oid *types, const Datum *values,
			   const bool *nulls, MqRowFn fn, void *arg)
{
	SPIPlanPtr	plan;
	SPIExecuteOptions opts;
	ParamListInfo params = NULL;
	MqStreamReceiver rcv;
	int			i,
				rc;

	plan = SPI_prepare_cursor(sql, nargs, (Oid *) types, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (nargs > 0)
	{
		params = makeParamList(nargs);
		for (i = 0; i < nargs; i++)
		{
			params->params[i].value = values[i];
			params->params[i].isnull = nulls ? nulls[i] : false;
			params->params[i].pflags = PARAM_FLAG_CONST;
			params->params[i].ptype = types[i];
		}
	}
	memset(&rcv, 0, sizeof(rcv));
	rcv.pub.receiveSlot = stream_receive;
	rcv.pub.rStartup = stream_startup;
	rcv.pub.rShutdown = stream_shutdown;
	rcv.pub.rDestroy = stream_destroy;
	rcv.pub.mydest = DestNone;
	rcv.fn = fn;
	rcv.arg = arg;
	rcv.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq report row",
									   ALLOCSET_SMALL_SIZES);
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.dest = (DestReceiver *) &rcv;
	rc = SPI_execute_plan_extended(plan, &opts);
	/* SPI reports a SELECT whose rows went to a DestNone-tagged receiver as a utility */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute_plan_extended failed: %s", SPI_result_code_string(rc));
	MemoryContextDelete(rcv.rowcxt);
	SPI_freeplan(plan);
}

/* A relation's column, quoted, checked to exist and to have one of the types ok. */
char *
mq_rel_typed_column(Oid relid, const char *colname, const char *argname, const Oid *ok,
		   const char *expected)
{
	Oid			typid;
	char	   *q = mq_rel_column(relid, colname, argname, &typid);

	if (ok)
		mq_check_column_type(typid, ok, colname, argname, expected);
	return q;
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
