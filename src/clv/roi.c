/*-------------------------------------------------------------------------
 *
 * roi.c
 *	  Return on marketing spend per channel: ROI, ROAS, cost per
 *	  conversion, from a spend table and the value an attribution model
 *	  credited to each channel.
 *
 *	  roi  = (value - cost) / cost		 return per unit of cost, net
 *	  roas = value / cost				 revenue per unit of cost, gross
 *	  cost_per_conversion = cost / conversions
 *
 * Each is NULL where its denominator is 0 (a channel without spend, such
 * as organic search, has no ROI; one without conversions has no cost per
 * conversion) rather than an error, so a report over all channels works.
 * Credited values come as plain rows or arrays -- the output of any
 * attribution model, from marketiq or elsewhere -- so this file does not
 * depend on the attribution code: channel_roi takes aligned arrays, and
 * roi_report joins a spend relation with a credit relation by channel
 * (full outer join: a channel on one side only still gets a row).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_clv.h"
#include "mq_hash.h"
#include "mq_util.h"

/* Validate a cost: finite, >= 0. */
static void
check_cost(double cost)
{
	mq_check_range(cost, "cost", 0, true, get_float8_infinity(), false);
}

PG_FUNCTION_INFO_V1(mq_roi);

/* roi(value, cost) = (value - cost) / cost; NULL for cost 0 */
Datum
mq_roi(PG_FUNCTION_ARGS)
{
	double		value = PG_GETARG_FLOAT8(0),
				cost = PG_GETARG_FLOAT8(1);

	mq_check_finite(value, "value");
	check_cost(cost);
	if (cost == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((value - cost) / cost);
}

PG_FUNCTION_INFO_V1(mq_roas);

/* roas(value, cost) = value / cost; NULL for cost 0 */
Datum
mq_roas(PG_FUNCTION_ARGS)
{
	double		value = PG_GETARG_FLOAT8(0),
				cost = PG_GETARG_FLOAT8(1);

	mq_check_finite(value, "value");
	check_cost(cost);
	if (cost == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value / cost);
}

PG_FUNCTION_INFO_V1(mq_cost_per_conversion);

/* cost_per_conversion(cost, conversions); NULL for 0 conversions */
Datum
mq_cost_per_conversion(PG_FUNCTION_ARGS)
{
	double		cost = PG_GETARG_FLOAT8(0),
				conv = PG_GETARG_FLOAT8(1);

	check_cost(cost);
	mq_check_range(conv, "conversions", 0, true, get_float8_infinity(), false);
	if (conv == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(cost / conv);
}

/* per-channel totals */
typedef struct RoiData
{
	MemoryContext cxt;
	MqDict		channels;
	MqAccum		sums;			/* channel id -> (cost, value, conversions) */
	bool		has_conv;		/* conversions known */
} RoiData;

/* Add amounts to a channel. */
static void
roi_add(RoiData *d, const char *ch, int len, double cost, double value, double conv)
{
	MemoryContext old = MemoryContextSwitchTo(d->cxt);
	int32		id = mq_dict_intern(&d->channels, ch, len);
	double	   *v = MQ_ACCUM_VALS(&d->sums, mq_accum_upsert(&d->sums, &id));

	v[0] += cost;
	v[1] += value;
	v[2] += conv;
	MemoryContextSwitchTo(old);
}

/* Initialise the totals in the current context. */
static void
roi_init(RoiData *d)
{
	d->cxt = CurrentMemoryContext;
	mq_dict_init(&d->channels);
	mq_accum_init(&d->sums, 1, 3);
}

/* Emit one row per channel, sorted by name. */
static void
roi_emit(FunctionCallInfo fcinfo, RoiData *d)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32	   *order = mq_dict_sorted(&d->channels);
	int			i;

	for (i = 0; i < d->channels.n; i++)
	{
		int32		id = order[i];
		const double *v = MQ_ACCUM_VALS(&d->sums, mq_accum_find(&d->sums, &id));
		double		cost = v[0],
					value = v[1],
					conv = v[2];
		Datum		out[8];
		bool		nulls[8] = {0};

		if (cost < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the cost of channel \"%s\" is negative", d->channels.strs[id]),
					 errdetail("Its costs add up to %g.", cost)));
		out[0] = PointerGetDatum(cstring_to_text_with_len(d->channels.strs[id], d->channels.lens[id]));
		out[1] = Float8GetDatum(cost);
		out[2] = Float8GetDatum(value);
		out[3] = Float8GetDatum(conv);
		nulls[3] = !d->has_conv;
		out[4] = Float8GetDatum(value - cost);
		out[5] = Float8GetDatum((value - cost) / cost);
		nulls[5] = cost == 0;
		out[6] = Float8GetDatum(value / cost);
		nulls[6] = cost == 0;
		out[7] = Float8GetDatum(cost / conv);
		nulls[7] = !d->has_conv || conv == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, nulls);
	}
}

PG_FUNCTION_INFO_V1(mq_channel_roi);

/*
 * channel_roi(channel text[], cost float8[], value float8[], conversions float8[])
 *	 -> TABLE(channel, cost, value, conversions, profit, roi, roas, cost_per_conversion)
 * Repeated channel names are added up.
 */
Datum
mq_channel_roi(PG_FUNCTION_ARGS)
{
	int			n,
				nc,
				nv,
				nconv = 0,
				i;
	char	  **strs;
	int		   *lens;
	const double *cost,
			   *value,
			   *conv = NULL;
	RoiData		d;

	mq_check_not_null(PG_ARGISNULL(0), "channel");
	mq_check_not_null(PG_ARGISNULL(1), "cost");
	mq_check_not_null(PG_ARGISNULL(2), "value");
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(0), "channel", MQ_ALLOW_EMPTY, &n, &strs, &lens);
	cost = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(1), "cost", MQ_ALLOW_EMPTY, &nc);
	value = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(2), "value", MQ_ALLOW_EMPTY, &nv);
	mq_check_same_length(n, "channel", nc, "cost");
	mq_check_same_length(n, "channel", nv, "value");
	if (!PG_ARGISNULL(3))
	{
		conv = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(3), "conversions", MQ_ALLOW_EMPTY, &nconv);
		mq_check_same_length(n, "channel", nconv, "conversions");
	}
	InitMaterializedSRF(fcinfo, 0);
	roi_init(&d);
	d.has_conv = conv != NULL;
	for (i = 0; i < n; i++)
	{
		check_cost(cost[i]);
		if (conv)
			mq_check_range(conv[i], "conversions", 0, true, get_float8_infinity(), false);
		roi_add(&d, strs[i], lens[i], cost[i], value[i], conv ? conv[i] : 0);
	}
	roi_emit(fcinfo, &d);
	return (Datum) 0;
}

/* Stream callback: (channel, total cost, smallest cost) rows of the spend query. */
static void
roi_spend_row(Datum *values, bool *nulls, void *arg)
{
	text	   *ch = DatumGetTextPP(values[0]);

	if (!nulls[2])
		check_cost(DatumGetFloat8(values[2]));
	roi_add((RoiData *) arg, VARDATA_ANY(ch), VARSIZE_ANY_EXHDR(ch),
			nulls[1] ? 0 : DatumGetFloat8(values[1]), 0, 0);
}

/* Stream callback: (channel, value, conversions) rows of the credit query. */
static void
roi_credit_row(Datum *values, bool *nulls, void *arg)
{
	text	   *ch = DatumGetTextPP(values[0]);
	double		value = nulls[1] ? 0 : DatumGetFloat8(values[1]),
				conv = nulls[2] ? 0 : DatumGetFloat8(values[2]);

	mq_check_finite(value, "value");
	mq_check_range(conv, "conversions", 0, true, get_float8_infinity(), false);
	roi_add((RoiData *) arg, VARDATA_ANY(ch), VARSIZE_ANY_EXHDR(ch), 0, value, conv);
}

PG_FUNCTION_INFO_V1(mq_roi_report);

/*
 * roi_report(spend regclass, credit regclass, spend_channel_col, cost_col,
 *			  credit_channel_col, value_col, conversions_col)
 *	 -> TABLE(channel, cost, value, conversions, profit, roi, roas, cost_per_conversion)
 */
Datum
mq_roi_report(PG_FUNCTION_ARGS)
{
	Oid			spend,
				credit;
	char	   *sch,
			   *cost,
			   *cch,
			   *value,
			   *conv = NULL;
	StringInfoData sql;
	RoiData		d;
	int			i;
	static const char *const argnames[] = {"spend", "credit", "spend_channel_col", "cost_col",
	"credit_channel_col", "value_col"};

	for (i = 0; i < 6; i++)
		mq_check_not_null(PG_ARGISNULL(i), argnames[i]);
	spend = PG_GETARG_OID(0);
	credit = PG_GETARG_OID(1);
	sch = mq_rel_typed_column(spend, text_to_cstring(PG_GETARG_TEXT_PP(2)), "spend_channel_col", NULL, NULL);
	cost = mq_rel_typed_column(spend, text_to_cstring(PG_GETARG_TEXT_PP(3)), "cost_col", mq_number_types, "a number");
	cch = mq_rel_typed_column(credit, text_to_cstring(PG_GETARG_TEXT_PP(4)), "credit_channel_col", NULL, NULL);
	value = mq_rel_typed_column(credit, text_to_cstring(PG_GETARG_TEXT_PP(5)), "value_col", mq_number_types, "a number");
	if (!PG_ARGISNULL(6))
		conv = mq_rel_typed_column(credit, text_to_cstring(PG_GETARG_TEXT_PP(6)), "conversions_col",
						  mq_number_types, "a number");

	InitMaterializedSRF(fcinfo, 0);
	roi_init(&d);
	d.has_conv = conv != NULL;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s::text, sum(%s::float8), min(%s::float8) FROM %s WHERE %s IS NOT NULL GROUP BY 1",
					 sch, cost, cost, mq_rel_name(spend), sch);
	mq_spi_stream(sql.data, 0, NULL, NULL, NULL, roi_spend_row, &d);
	resetStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s::text, sum(%s::float8), sum(%s::float8) FROM %s WHERE %s IS NOT NULL GROUP BY 1",
					 cch, value, conv ? conv : "0", mq_rel_name(credit), cch);
	mq_spi_stream(sql.data, 0, NULL, NULL, NULL, roi_credit_row, &d);
	SPI_finish();
	roi_emit(fcinfo, &d);
	return (Datum) 0;
}
