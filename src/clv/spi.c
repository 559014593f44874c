/*-------------------------------------------------------------------------
 *
 * spi.c
 *	  Streaming query results into C for the table-level reports
 *	  (clv_summary, rfm_report, roi_report, funnel).
 *
 * The reports run one query over the caller's relation and reduce its rows
 * in C.  SPI_execute would first materialise every row in a tuple table
 * (a million customers: hundreds of megabytes), and a cursor would make
 * the planner optimise for the first 10% of the rows; instead the query is
 * prepared as a normal (parallel-capable) plan and executed with a
 * DestReceiver of our own that hands each row to a callback, in a
 * per-row memory context that is reset after every row.  The query text is
 * built only from mq_rel_name()/mq_rel_column() (quoted catalog names) and
 * values travel as parameters; it runs with the caller's privileges.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "tcop/dest.h"
#include "utils/memutils.h"

#include "mq_clv.h"
#include "mq_util.h"

/* numeric column types accepted as amounts, costs and values */
const Oid	clv_number_types[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, NUMERICOID, InvalidOid};

/* column types accepted as timestamps */
const Oid	clv_time_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID, InvalidOid};

/* Our receiver: the callback, its argument and the per-row context. */
typedef struct ClvReceiver
{
	DestReceiver pub;			/* must be first */
	ClvRowFn	fn;
	void	   *arg;
	MemoryContext rowcxt;
} ClvReceiver;

/* Hand one row to the callback in the per-row context. */
static bool
clv_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ClvReceiver *r = (ClvReceiver *) self;
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
clv_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* Nothing to do at shutdown. */
static void
clv_shutdown(DestReceiver *self)
{
}

/* The receiver lives in the caller's memory: nothing to destroy. */
static void
clv_destroy(DestReceiver *self)
{
}

/* Run a read-only query and stream its rows to fn. */
void
clv_spi_stream(const char *sql, int nargs, const Oid *types, const Datum *values,
			   const bool *nulls, ClvRowFn fn, void *arg)
{
	SPIPlanPtr	plan;
	SPIExecuteOptions opts;
	ParamListInfo params = NULL;
	ClvReceiver rcv;
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
	rcv.pub.receiveSlot = clv_receive;
	rcv.pub.rStartup = clv_startup;
	rcv.pub.rShutdown = clv_shutdown;
	rcv.pub.rDestroy = clv_destroy;
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
clv_column(Oid relid, const char *colname, const char *argname, const Oid *ok,
		   const char *expected)
{
	Oid			typid;
	char	   *q = mq_rel_column(relid, colname, argname, &typid);

	if (ok)
		mq_check_column_type(typid, ok, colname, argname, expected);
	return q;
}
