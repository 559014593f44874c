/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  RFM analysis: recency, frequency and monetary value per customer,
 *	  scores 1-5 by quintiles, the three-digit code and the 11 named
 *	  segments (marketiq.rfm_report), and the composable pieces
 *	  (marketiq.rfm_score, marketiq.rfm_segment).
 *
 * Measures, as of a date: recency = whole days from the day of the last
 * order to as_of's day (calendar days in the session's TimeZone, so that a
 * daylight-saving change does not make 23-hour days), frequency = number of
 * orders, monetary = total amount (NULL amounts count as 0).
 *
 * Scores.  For N customers, a customer's score on a measure is
 *	   1 + floor(5 * W / N),
 * where W is the number of customers strictly worse on that measure (a
 * longer recency, fewer orders, less money).  This is the quintile of the
 * customer's rank with ties resolved in the customer's favour: equal values
 * always get equal scores, whatever the order of the rows (ntile() splits
 * ties arbitrarily), and with all-distinct values it gives the usual five
 * groups of N/5.  Heavily tied measures (most customers with one order)
 * skip scores: everyone with one order has F = 1, and the next value starts
 * where its rank falls.  Equivalently, with the quantile edges
 *	   e_k = percentile_disc(k / 5) WITHIN GROUP (ORDER BY value)	(k = 1..4)
 * the score is 1 + #{k : value > e_k} (for recency, ordered descending and
 * counting value < e_k): that is rfm_score(value, edges, reverse), the
 * composable form, which scores new customers against stored edges.
 *
 * Segments.  FM = round((F + M) / 2) (halves round up) and R place a
 * customer on a 5 x 5 grid; every cell belongs to exactly one segment:
 *
 *	   R = 5:  FM 1 New Customers,  2-3 Potential Loyalist, 4-5 Champions
 *	   R = 4:  FM 1 Promising,      2-3 Potential Loyalist, 4-5 Loyal Customers
 *	   R = 3:  FM 1-2 About To Sleep, 3 Need Attention,     4-5 Loyal Customers
 *	   R = 2:  FM 1-2 Hibernating,  3-4 At Risk,            5 Can't Lose Them
 *	   R = 1:  FM 1 Lost, 2 Hibernating, 3-4 At Risk,       5 Can't Lose Them
 *
 * rfm_report gathers (customer, recency, frequency, monetary) with one
 * GROUP BY query streamed into arrays, sorts each measure once and reads W
 * off the sorted order: about 47 bytes per customer plus the ids, checked
 * against marketiq.max_model_bytes (256MB: about 5 million customers).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "marketiq.h"
#include "mq_check.h"
#include "mq_clv.h"
#include "mq_util.h"

/* segment names, and the segment of each (R, FM) cell, R and FM from 1 */
enum
{
	SEG_CHAMPIONS,
	SEG_LOYAL,
	SEG_POTENTIAL,
	SEG_NEW,
	SEG_PROMISING,
	SEG_ATTENTION,
	SEG_SLEEP,
	SEG_RISK,
	SEG_CANTLOSE,
	SEG_HIBERNATING,
	SEG_LOST
};

static const char *const segment_names[] = {
	"Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
	"Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost"
};

static const int segment_grid[5][5] = {
	/* R = 1 */ {SEG_LOST, SEG_HIBERNATING, SEG_RISK, SEG_RISK, SEG_CANTLOSE},
	/* R = 2 */ {SEG_HIBERNATING, SEG_HIBERNATING, SEG_RISK, SEG_RISK, SEG_CANTLOSE},
	/* R = 3 */ {SEG_SLEEP, SEG_SLEEP, SEG_ATTENTION, SEG_LOYAL, SEG_LOYAL},
	/* R = 4 */ {SEG_PROMISING, SEG_POTENTIAL, SEG_POTENTIAL, SEG_LOYAL, SEG_LOYAL},
	/* R = 5 */ {SEG_NEW, SEG_POTENTIAL, SEG_POTENTIAL, SEG_CHAMPIONS, SEG_CHAMPIONS},
};

/* The segment name of scores r, f, m (each 1..5). */
static const char *
segment_of(int r, int f, int m)
{
	int			fm = (f + m + 1) / 2;

	return segment_names[segment_grid[r - 1][fm - 1]];
}

/* Validate a score argument. */
static int
score_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	int32		v = PG_GETARG_INT32(argno);

	mq_check_int_range(v, what, 1, 5);
	return v;
}

PG_FUNCTION_INFO_V1(mq_rfm_segment);

/* rfm_segment(r, f, m) -> text */
Datum
mq_rfm_segment(PG_FUNCTION_ARGS)
{
	int			r = score_arg(fcinfo, 0, "r"),
				f = score_arg(fcinfo, 1, "f"),
				m = score_arg(fcinfo, 2, "m");

	PG_RETURN_TEXT_P(cstring_to_text(segment_of(r, f, m)));
}

PG_FUNCTION_INFO_V1(mq_rfm_score);

/* rfm_score(value, edges, reverse) -> 1 + number of edges the value beats */
Datum
mq_rfm_score(PG_FUNCTION_ARGS)
{
	double		v = PG_GETARG_FLOAT8(0);
	int			n,
				i,
				score = 1;
	const double *e = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(1), "edges", MQ_ALLOW_EMPTY, &n);
	bool		reverse = PG_GETARG_BOOL(2);

	mq_check_finite(v, "value");
	for (i = 0; i < n; i++)
		if (reverse ? v < e[i] : v > e[i])
			score++;
	PG_RETURN_INT32(score);
}

/* ---------------------------------------------------------- rfm_report */

/* memory per customer: gathering (offset, 3 measures) and scoring (3 scores, a sort item) */
#define RFM_BYTES_GATHER (4 + 3 * 8)
#define RFM_BYTES_SCORE (3 + 16)

/* customers gathered from the query */
typedef struct RfmData
{
	MemoryContext cxt;			/* where the arrays live */
	int64		n,
				cap;
	StringInfoData names;		/* customer ids, back to back */
	uint32	   *name_off;		/* n + 1 offsets into names (at most 1GB) */
	double	   *recency;		/* whole days */
	double	   *frequency;		/* orders (exact in a double) */
	double	   *monetary;		/* total amount */
} RfmData;

/* Gather one customer: (customer text, days since the last order, orders, total). */
static void
rfm_row(Datum *values, bool *nulls, void *arg)
{
	RfmData    *d = (RfmData *) arg;
	MemoryContext old = MemoryContextSwitchTo(d->cxt);
	text	   *t = DatumGetTextPP(values[0]);

	if (d->n == d->cap)
	{
		/* the arrays at twice the size: offset and 3 measures per customer, and the ids */
		Size		need = (Size) d->cap * 2 * RFM_BYTES_GATHER + d->names.len;

		if (need > (Size) mq_max_model_bytes)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("rfm_report would need about %zu bytes for more than " INT64_FORMAT
							" customers, more than marketiq.max_model_bytes (%d)",
							need, d->n, mq_max_model_bytes),
					 errhint("Raise marketiq.max_model_bytes, or score in plain SQL with rfm_score "
							 "and percentile_disc edges, which needs no memory of its own.")));
		d->cap *= 2;
		d->name_off = repalloc_huge(d->name_off, sizeof(uint32) * (d->cap + 1));
		d->recency = repalloc_huge(d->recency, sizeof(double) * d->cap);
		d->frequency = repalloc_huge(d->frequency, sizeof(double) * d->cap);
		d->monetary = repalloc_huge(d->monetary, sizeof(double) * d->cap);
	}
	appendBinaryStringInfo(&d->names, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	d->name_off[d->n + 1] = d->names.len;
	d->recency[d->n] = DatumGetInt32(values[1]);
	d->frequency[d->n] = (double) DatumGetInt64(values[2]);
	d->monetary[d->n] = nulls[3] ? 0.0 : DatumGetFloat8(values[3]);
	d->n++;
	MemoryContextSwitchTo(old);
}

/* a measure's value and the customer it belongs to, for sorting */
typedef struct RankItem
{
	double		v;
	int64		i;
} RankItem;

/* qsort comparator: by value */
static int
cmp_item(const void *a, const void *b)
{
	double		x = ((const RankItem *) a)->v,
				y = ((const RankItem *) b)->v;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Scores of one measure: sort the (value, customer) pairs once, then walk
 * them; every customer of a run of equal values has the same W, the number
 * of customers before the run (higher is better) or after it (lower is
 * better, recency).  O(n log n) for the sort, O(n) for the scores.
 */
static void
measure_scores(const double *val, int64 n, bool lower_is_better, uint8 *score)
{
	RankItem   *it = palloc_extended(sizeof(RankItem) * n, MCXT_ALLOC_HUGE);
	int64		i,
				j;

	for (i = 0; i < n; i++)
	{
		it[i].v = val[i];
		it[i].i = i;
	}
	qsort(it, n, sizeof(RankItem), cmp_item);
	for (i = 0; i < n; i = j)
	{
		int64		w;

		for (j = i + 1; j < n && it[j].v == it[i].v; j++)
			;
		/* customers i .. j-1 share the value: i below it, n - j above */
		w = lower_is_better ? n - j : i;
		for (int64 q = i; q < j; q++)
			score[it[q].i] = (uint8) (1 + (5 * (int128) w) / n);
		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(it);
}

PG_FUNCTION_INFO_V1(mq_rfm_report);

/*
 * rfm_report(orders regclass, customer_col, ts_col, amount_col, as_of)
 *	 -> TABLE(customer, recency, frequency, monetary, r, f, m, rfm, segment)
 */
Datum
mq_rfm_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			rel;
	char	   *cust,
			   *ts,
			   *amount;
	Datum		as_of;
	RfmData		d;
	StringInfoData sql;
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	uint8	   *rs,
			   *fs,
			   *ms;
	int64		i;
	MemoryContext tmp,
				old;
	Datum		codes[125],
				segments[125];

	mq_check_not_null(PG_ARGISNULL(0), "orders");
	mq_check_not_null(PG_ARGISNULL(1), "customer_col");
	mq_check_not_null(PG_ARGISNULL(2), "ts_col");
	mq_check_not_null(PG_ARGISNULL(3), "amount_col");
	mq_check_not_null(PG_ARGISNULL(4), "as_of");
	rel = PG_GETARG_OID(0);
	cust = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(1)), "customer_col", NULL, NULL);
	ts = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(2)), "ts_col", mq_time_types,
					"a timestamp or a date");
	amount = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(3)), "amount_col",
						mq_number_types, "a number");
	as_of = PG_GETARG_DATUM(4);
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(as_of)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"as_of\" must be a finite timestamp")));

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT %s::text, $1::date - max(%s)::date, count(*), sum(%s::float8) "
					 "FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s <= $1 GROUP BY %s",
					 cust, ts, amount, mq_rel_name(rel), cust, ts, ts, cust);

	InitMaterializedSRF(fcinfo, 0);
	memset(&d, 0, sizeof(d));
	d.cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq rfm_report", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(d.cxt);
	d.cap = 1024;
	initStringInfo(&d.names);
	d.name_off = palloc(sizeof(uint32) * (d.cap + 1));
	d.name_off[0] = 0;
	d.recency = palloc(sizeof(double) * d.cap);
	d.frequency = palloc(sizeof(double) * d.cap);
	d.monetary = palloc(sizeof(double) * d.cap);
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mq_spi_stream(sql.data, 1, argtypes, &as_of, NULL, rfm_row, &d);
	SPI_finish();
	if (d.n == 0)
		return (Datum) 0;

	/* the three scores of every customer */
	if ((Size) d.n * (RFM_BYTES_GATHER + RFM_BYTES_SCORE) + d.names.len > (Size) mq_max_model_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rfm_report would need about %zu bytes to score " INT64_FORMAT
						" customers, more than marketiq.max_model_bytes (%d)",
						(Size) d.n * (RFM_BYTES_GATHER + RFM_BYTES_SCORE) + d.names.len, d.n,
						mq_max_model_bytes),
				 errhint("Raise marketiq.max_model_bytes, or score in plain SQL with rfm_score "
						 "and percentile_disc edges, which needs no memory of its own.")));
	old = MemoryContextSwitchTo(d.cxt);
	rs = palloc_extended(d.n, MCXT_ALLOC_HUGE);
	fs = palloc_extended(d.n, MCXT_ALLOC_HUGE);
	ms = palloc_extended(d.n, MCXT_ALLOC_HUGE);
	measure_scores(d.recency, d.n, true, rs);
	measure_scores(d.frequency, d.n, false, fs);
	measure_scores(d.monetary, d.n, false, ms);
	MemoryContextSwitchTo(old);

	/* the 125 codes and the 11 segment names, as text, once */
	for (i = 0; i < 125; i++)
	{
		char		code[4];

		code[0] = '1' + i / 25;
		code[1] = '1' + (i / 5) % 5;
		code[2] = '1' + i % 5;
		code[3] = '\0';
		codes[i] = PointerGetDatum(cstring_to_text(code));
		segments[i] = PointerGetDatum(cstring_to_text(segment_of(1 + i / 25, 1 + (i / 5) % 5, 1 + i % 5)));
	}
	tmp = AllocSetContextCreate(CurrentMemoryContext, "marketiq rfm row", ALLOCSET_SMALL_SIZES);
	for (i = 0; i < d.n; i++)
	{
		Datum		v[9];
		bool		nulls[9] = {0};
		int			r,
					f,
					m,
					c;

		if ((i & 1023) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(tmp);
		}
		old = MemoryContextSwitchTo(tmp);
		r = rs[i];
		f = fs[i];
		m = ms[i];
		c = (r - 1) * 25 + (f - 1) * 5 + (m - 1);
		v[0] = PointerGetDatum(cstring_to_text_with_len(d.names.data + d.name_off[i],
														d.name_off[i + 1] - d.name_off[i]));
		v[1] = Int32GetDatum((int32) d.recency[i]);
		v[2] = Int64GetDatum((int64) d.frequency[i]);
		v[3] = Float8GetDatum(d.monetary[i]);
		v[4] = Int32GetDatum(r);
		v[5] = Int32GetDatum(f);
		v[6] = Int32GetDatum(m);
		v[7] = codes[c];
		v[8] = segments[c];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		MemoryContextSwitchTo(old);
	}
	MemoryContextDelete(tmp);
	MemoryContextDelete(d.cxt);
	return (Datum) 0;
}
