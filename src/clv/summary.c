/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  marketiq.clv_summary: the standard per-customer summary (frequency,
 *	  recency, T, monetary) of an orders table, the input of the BG/NBD and
 *	  Gamma-Gamma fits.
 *
 * It runs marketiq.customer_summary (custsum.c, where the conventions are
 * described) over the relation with GROUP BY customer, and the rows stream
 * straight into the result (mq_spi_stream in src/core/util.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "mq_check.h"
#include "mq_clv.h"
#include "mq_util.h"

/* what each streamed row needs */
typedef struct SummaryCtx
{
	ReturnSetInfo *rsinfo;
	bool		has_amount;		/* monetary is NULL without an amount column */
} SummaryCtx;

/* One customer: (customer, frequency, recency, t, monetary). */
static void
summary_row(Datum *values, bool *nulls, void *arg)
{
	SummaryCtx *c = (SummaryCtx *) arg;

	if (!c->has_amount)
		nulls[4] = true;
	tuplestore_putvalues(c->rsinfo->setResult, c->rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(mq_clv_summary);

/*
 * clv_summary(orders regclass, customer_col, ts_col, amount_col, as_of, unit)
 *	 -> TABLE(customer text, frequency int, recency float8, t float8, monetary float8)
 */
Datum
mq_clv_summary(PG_FUNCTION_ARGS)
{
	static const char *const units[] = {"day", "week", "month", NULL};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			rel;
	char	   *cust,
			   *ts,
			   *amount = NULL;
	Datum		args[2];
	SummaryCtx	ctx;
	StringInfoData sql;
	Oid			argtypes[2] = {TIMESTAMPTZOID, TEXTOID};

	mq_check_not_null(PG_ARGISNULL(0), "orders");
	mq_check_not_null(PG_ARGISNULL(1), "customer_col");
	mq_check_not_null(PG_ARGISNULL(2), "ts_col");
	mq_check_not_null(PG_ARGISNULL(4), "as_of");
	mq_check_not_null(PG_ARGISNULL(5), "unit");
	rel = PG_GETARG_OID(0);
	cust = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(1)), "customer_col", NULL, NULL);
	ts = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(2)), "ts_col", mq_time_types,
					"a timestamp or a date");
	if (!PG_ARGISNULL(3))
		amount = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(3)), "amount_col",
							mq_number_types, "a number");
	args[0] = PG_GETARG_DATUM(4);
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(args[0])))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"as_of\" must be a finite timestamp")));
	mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(5)), "unit", units);
	args[1] = PG_GETARG_DATUM(5);
	ctx.has_amount = amount != NULL;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT c::text, (s).frequency, (s).recency, (s).t, (s).monetary "
					 "FROM (SELECT %s AS c, marketiq.customer_summary(%s::timestamptz, %s::float8, $1, $2) AS s "
					 "FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s <= $1 GROUP BY 1) q",
					 cust, ts, amount ? amount : "NULL", mq_rel_name(rel), cust, ts, ts);

	InitMaterializedSRF(fcinfo, 0);
	ctx.rsinfo = rsinfo;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mq_spi_stream(sql.data, 2, argtypes, args, NULL, summary_row, &ctx);
	SPI_finish();
	return (Datum) 0;
}
