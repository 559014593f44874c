/*-------------------------------------------------------------------------
 *
 * custsum.c
 *	  marketiq.customer_summary(ts, amount, as_of, unit): the aggregate that
 *	  turns one customer's orders into the standard (frequency, recency, T,
 *	  monetary) summary; clv_summary runs it with GROUP BY customer.
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
 *	  is left out, as the Gamma-Gamma model expects), 0 without repeats;
 *	  NULL amounts count as 0.
 *
 * Everything but the number of distinct days is a running minimum, maximum
 * or sum; the amount of the first day is kept as the sum over the smallest
 * day seen so far.  Distinct days need the days themselves: the state
 * appends every order's day (inline for the first eight, the common case,
 * so most customers cost one allocation) and the final function sorts them
 * and counts the distinct ones -- O(n log n) per customer, whatever the
 * order of the rows.  This is one GROUP BY customer pass, much cheaper than
 * grouping by (customer, day) first.  The state is `internal`, with
 * combine, serialise and deserialise functions, so GROUP BY customer
 * queries can aggregate in parallel; it is a per-customer helper, not a
 * model.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "mq_check.h"
#include "mq_clv.h"

#define INLINE_DAYS 8

/* One customer's orders so far. */
typedef struct CustSum
{
	int32		n;				/* orders (days appended) */
	int32		cap;			/* capacity of days */
	int32	   *days;			/* the days of the orders (inline or palloc'd) */
	int32		first;			/* smallest day */
	int32		last;			/* largest day */
	double		first_amount;	/* total amount on the smallest day */
	double		total;			/* total amount */
	TimestampTz as_of;			/* orders after it are left out */
	int32		as_of_day;		/* as_of as a date */
	double		unit;			/* days per time unit */
	int32		inline_days[INLINE_DAYS];
} CustSum;

/* The number of days of a unit name. */
static double
unit_days(text *unit)
{
	static const char *const units[] = {"day", "week", "month", NULL};
	static const double days[] = {1.0, 7.0, 365.25 / 12.0};

	return days[mq_check_choice(text_to_cstring(unit), "unit", units)];
}

/* A new state in the aggregate context. */
static CustSum *
custsum_new(MemoryContext aggcxt, TimestampTz as_of, int32 as_of_day, double unit)
{
	CustSum    *s = MemoryContextAllocZero(aggcxt, sizeof(CustSum));

	s->cap = INLINE_DAYS;
	s->days = s->inline_days;
	s->as_of = as_of;
	s->as_of_day = as_of_day;
	s->unit = unit;
	return s;
}

/* Make room for `more` days. */
static void
custsum_reserve(CustSum *s, MemoryContext aggcxt, int32 more)
{
	int64		cap = s->cap;
	int32	   *d;

	if (s->n + (int64) more <= s->cap)
		return;
	while (cap < s->n + (int64) more)
		cap *= 2;
	if (cap * sizeof(int32) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a customer has more than %d orders", (int) (MaxAllocSize / sizeof(int32) / 2))));
	d = MemoryContextAlloc(aggcxt, sizeof(int32) * cap);
	memcpy(d, s->days, sizeof(int32) * s->n);
	if (s->days != s->inline_days)
		pfree(s->days);
	s->days = d;
	s->cap = (int32) cap;
}

/* Fold in the first day and total of some orders (first day `first` worth `first_amount`). */
static void
custsum_fold(CustSum *s, int32 first, int32 last, double first_amount, double total)
{
	if (s->n == 0 || first < s->first)
	{
		s->first = first;
		s->first_amount = first_amount;
	}
	else if (first == s->first)
		s->first_amount += first_amount;
	if (s->n == 0 || last > s->last)
		s->last = last;
	s->total += total;
}

/* Append one order's day and amount. */
static void
custsum_add(CustSum *s, MemoryContext aggcxt, int32 day, double amount)
{
	custsum_reserve(s, aggcxt, 1);
	custsum_fold(s, day, day, amount, amount);
	s->days[s->n++] = day;
}

/* the aggregate context, or an ERROR outside an aggregate */
static MemoryContext
agg_context(FunctionCallInfo fcinfo)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("customer_summary state function called in a non-aggregate context")));
	return cxt;
}

PG_FUNCTION_INFO_V1(mq_custsum_trans);

/* customer_summary(ts, amount, as_of, unit) transition. */
Datum
mq_custsum_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo);
	CustSum    *s = PG_ARGISNULL(0) ? NULL : (CustSum *) PG_GETARG_POINTER(0);
	TimestampTz ts,
				as_of;
	double		amount = 0;

	if (s == NULL)
	{
		mq_check_not_null(PG_ARGISNULL(3), "as_of");
		mq_check_not_null(PG_ARGISNULL(4), "unit");
		as_of = PG_GETARG_TIMESTAMPTZ(3);
		if (TIMESTAMP_NOT_FINITE(as_of))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"as_of\" must be a finite timestamp")));
		s = custsum_new(aggcxt, as_of,
						DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(as_of))),
						unit_days(PG_GETARG_TEXT_PP(4)));
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (ts > s->as_of)
		PG_RETURN_POINTER(s);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("order times must be finite")));
	if (!PG_ARGISNULL(2))
	{
		amount = PG_GETARG_FLOAT8(2);
		mq_check_finite(amount, "amount");
	}
	custsum_add(s, aggcxt,
				DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(ts))),
				amount);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(mq_custsum_combine);

/* customer_summary combine: the days of both, the earlier first day, the later last day. */
Datum
mq_custsum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo);
	CustSum    *a = PG_ARGISNULL(0) ? NULL : (CustSum *) PG_GETARG_POINTER(0);
	CustSum    *b = PG_ARGISNULL(1) ? NULL : (CustSum *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = custsum_new(aggcxt, b->as_of, b->as_of_day, b->unit);
	if (b->n > 0)
	{
		custsum_reserve(a, aggcxt, b->n);
		custsum_fold(a, b->first, b->last, b->first_amount, b->total);
		memcpy(a->days + a->n, b->days, sizeof(int32) * b->n);
		a->n += b->n;
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(mq_custsum_serialize);

/* customer_summary serialise: the state as bytea. */
Datum
mq_custsum_serialize(PG_FUNCTION_ARGS)
{
	CustSum    *s = (CustSum *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	agg_context(fcinfo);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, s->n);
	pq_sendint32(&buf, s->first);
	pq_sendint32(&buf, s->last);
	pq_sendfloat8(&buf, s->first_amount);
	pq_sendfloat8(&buf, s->total);
	pq_sendint64(&buf, s->as_of);
	pq_sendint32(&buf, s->as_of_day);
	pq_sendfloat8(&buf, s->unit);
	for (i = 0; i < s->n; i++)
		pq_sendint32(&buf, s->days[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(mq_custsum_deserialize);

/* customer_summary deserialise. */
Datum
mq_custsum_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo);
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CustSum    *s;
	int32		n,
				i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (Size) n * 4 != (Size) buf.len - 48)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid customer_summary state")));
	s = custsum_new(aggcxt, 0, 0, 1);
	s->first = pq_getmsgint(&buf, 4);
	s->last = pq_getmsgint(&buf, 4);
	s->first_amount = pq_getmsgfloat8(&buf);
	s->total = pq_getmsgfloat8(&buf);
	s->as_of = pq_getmsgint64(&buf);
	s->as_of_day = pq_getmsgint(&buf, 4);
	s->unit = pq_getmsgfloat8(&buf);
	if (n > s->cap)
	{
		s->days = MemoryContextAlloc(aggcxt, sizeof(int32) * n);
		s->cap = n;
	}
	for (i = 0; i < n; i++)
		s->days[i] = pq_getmsgint(&buf, 4);
	s->n = n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

/* qsort comparator for days */
static int
cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * The summary of a state: distinct days counted on a sorted copy (the state
 * is left as it is: window aggregates call the final function repeatedly).
 */
static void
custsum_values(const void *state, int32 *frequency, double *recency, double *T,
				   double *monetary)
{
	const CustSum *s = state;
	int32	   *d = palloc(sizeof(int32) * s->n);
	int32		distinct = 0,
				i;

	memcpy(d, s->days, sizeof(int32) * s->n);
	qsort(d, s->n, sizeof(int32), cmp_int32);
	for (i = 0; i < s->n; i++)
		if (i == 0 || d[i] != d[i - 1])
			distinct++;
	pfree(d);
	*frequency = distinct - 1;
	*recency = (s->last - s->first) / s->unit;
	*T = (s->as_of_day - s->first) / s->unit;
	*monetary = distinct > 1 ? (s->total - s->first_amount) / (distinct - 1) : 0.0;
}

PG_FUNCTION_INFO_V1(mq_custsum_final);

/* customer_summary final: (frequency, recency, t, monetary), NULL without orders. */
Datum
mq_custsum_final(PG_FUNCTION_ARGS)
{
	CustSum    *s;
	TupleDesc	tupdesc;
	Datum		v[4];
	bool		nulls[4] = {false, false, false, false};
	int32		x;
	double		rec,
				T,
				mon;

	agg_context(fcinfo);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (CustSum *) PG_GETARG_POINTER(0);
	if (s->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	custsum_values(s, &x, &rec, &T, &mon);
	v[0] = Int32GetDatum(x);
	v[1] = Float8GetDatum(rec);
	v[2] = Float8GetDatum(T);
	v[3] = Float8GetDatum(mon);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}
