/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  marketiq.clv_summary: the standard per-customer summary (frequency,
 *	  recency, T, monetary) of an orders table, the input of the BG/NBD,
 *	  Pareto/NBD and Gamma-Gamma fits.
 *
 * Conventions (those of Fader, Hardie & Lee's CDNOW analyses and of the
 * lifetimes package with daily data):
 *	- orders with ts <= as_of count; a customer's purchases on one calendar
 *	  day (in the session's TimeZone) are one purchase whose value is their
 *	  sum, so that frequency counts purchase occasions;
 *	- frequency = purchase days - 1 (repeat purchases);
 *	- recency = days from the first to the last purchase day, and
 *	  T = days from the first purchase day to as_of's day, both divided by
 *	  the unit (day 1, week 7, month 365.25 / 12 = 30.4375 days);
 *	- monetary = mean value of the repeat purchase days (the first purchase
 *	  is left out, as the Gamma-Gamma model expects), 0 without repeats.
 *
 * PostgreSQL does the grouping (by customer and day, then by customer) and
 * the rows stream straight into the result (spi.c): memory stays constant.
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
	double		unit;			/* days per time unit */
	bool		has_amount;		/* monetary is NULL without an amount column */
} SummaryCtx;

/* One customer: (customer, purchase days, first-to-last days, first-to-as_of days, total, first day's total). */
static void
summary_row(Datum *values, bool *nulls, void *arg)
{
	SummaryCtx *c = (SummaryCtx *) arg;
	Datum		out[5];
	bool		onull[5] = {false, false, false, false, false};
	int64		days = DatumGetInt64(values[1]);
	int32		rec = DatumGetInt32(values[2]);
	int32		age = DatumGetInt32(values[3]);
	int64		x = days - 1;

	out[0] = values[0];
	if (x > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("customer has more than %d repeat purchase days", PG_INT32_MAX)));
	out[1] = Int32GetDatum((int32) x);
	out[2] = Float8GetDatum(rec / c->unit);
	out[3] = Float8GetDatum(age / c->unit);
	if (!c->has_amount)
		onull[4] = true;
	else if (x == 0)
		out[4] = Float8GetDatum(0.0);
	else
		out[4] = Float8GetDatum((DatumGetFloat8(values[4]) - DatumGetFloat8(values[5])) / (double) x);
	tuplestore_putvalues(c->rsinfo->setResult, c->rsinfo->setDesc, out, onull);
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
	static const double unit_days[] = {1.0, 7.0, 365.25 / 12.0};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			rel;
	char	   *cust,
			   *ts,
			   *amount = NULL;
	Datum		as_of;
	SummaryCtx	ctx;
	StringInfoData sql;
	Oid			argtypes[1] = {TIMESTAMPTZOID};

	mq_check_not_null(PG_ARGISNULL(0), "orders");
	mq_check_not_null(PG_ARGISNULL(1), "customer_col");
	mq_check_not_null(PG_ARGISNULL(2), "ts_col");
	mq_check_not_null(PG_ARGISNULL(4), "as_of");
	mq_check_not_null(PG_ARGISNULL(5), "unit");
	rel = PG_GETARG_OID(0);
	cust = clv_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(1)), "customer_col", NULL, NULL);
	ts = clv_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(2)), "ts_col", clv_time_types,
					"a timestamp or a date");
	if (!PG_ARGISNULL(3))
		amount = clv_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(3)), "amount_col",
							clv_number_types, "a number");
	as_of = PG_GETARG_DATUM(4);
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(as_of)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"as_of\" must be a finite timestamp")));
	ctx.unit = unit_days[mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(5)), "unit", units)];
	ctx.has_amount = amount != NULL;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT c::text, count(*), max(d) - min(d), $1::date - min(d), sum(v), "
					 "(min(ARRAY[(d - DATE '2000-01-01')::float8, v]))[2] "
					 "FROM (SELECT %s AS c, %s::date AS d, sum(coalesce(%s::float8, 0)) AS v "
					 "FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s <= $1 "
					 "GROUP BY 1, 2) s GROUP BY c",
					 cust, ts, amount ? amount : "0", mq_rel_name(rel), cust, ts, ts);

	InitMaterializedSRF(fcinfo, 0);
	ctx.rsinfo = rsinfo;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	clv_spi_stream(sql.data, 1, argtypes, &as_of, NULL, summary_row, &ctx);
	SPI_finish();
	return (Datum) 0;
}
