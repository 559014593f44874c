/*-------------------------------------------------------------------------
 *
 * funnel.c
 *	  Conversion funnels: how many users reach each of an ordered list of
 *	  stages, the step and cumulative conversion rates, and the bottleneck.
 *
 * A user reaches step 1 with any event of the first stage, and step k when
 * an event of stage k follows (at the same time or later) a moment at which
 * she had reached step k - 1, no more than max_gap after it (when a gap is
 * given).  Her depth is the deepest step she reaches; users at step k are
 * those with depth >= k, so the counts never increase along the funnel.
 * Events of other stages are ignored, as are stages out of order.
 *
 * Depth in one pass over the user's events sorted by (time, stage order):
 * reach[k] holds the latest time at which step k was reached.  The latest
 * one is the best one for what follows -- any later event is at least as
 * close to it -- so an event of stage k at time t extends the funnel iff
 * reach[k-1] is set and t <= reach[k-1] + max_gap; then reach[k] = t.
 * Sorting equal times by stage order lets steps logged in the same instant
 * (a page view and an add-to-cart in the same second) count in order.
 * Choosing the earliest match instead would be wrong with a gap: stage 1 at
 * days 0 and 10 and stage 2 at day 12 with a 5-day limit reach step 2.
 *
 * The step rate of step k is users(k) / users(k-1), the cumulative rate is
 * users(k) / users(1) (the product of the step rates), and the bottleneck
 * is the step with the lowest step rate (the first one on ties).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "mq_check.h"
#include "mq_clv.h"
#include "mq_hash.h"
#include "mq_util.h"

/* the most stages a funnel may have */
#define FUNNEL_MAX_STAGES 1000

/* one event of a user: time and stage index */
typedef struct FunnelEvent
{
	TimestampTz ts;
	int			stage;
} FunnelEvent;

/* the stages and the gap */
typedef struct Funnel
{
	int			k;				/* stages */
	MqDict		stages;			/* name -> index (first appearance order = funnel order) */
	Interval   *gap;			/* NULL: no limit */
	bool		gap_simple;		/* gap has no month or day part: add microseconds */
	TimestampTz *reach;			/* k: latest time each step was reached */
	bool	   *reached;		/* k */
} Funnel;

/* Set up a funnel from a text[] of stage names and an optional gap. */
static void
funnel_init(Funnel *f, ArrayType *stages, Interval *gap)
{
	int			n,
				i;
	char	  **strs;
	int		   *lens;

	mq_check_text_array(stages, "stages", 0, &n, &strs, &lens);
	if (n > FUNNEL_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a funnel has at most %d stages", FUNNEL_MAX_STAGES),
				 errdetail("\"stages\" has %d.", n)));
	mq_dict_init(&f->stages);
	for (i = 0; i < n; i++)
	{
		if (mq_dict_find(&f->stages, strs[i], lens[i]) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%.*s\" appears twice in \"stages\"", lens[i], strs[i]),
					 errhint("A funnel is an ordered list of distinct stages.")));
		mq_dict_intern(&f->stages, strs[i], lens[i]);
	}
	f->k = n;
	f->gap = gap;
	if (gap)
	{
		if (gap->month < 0 || gap->day < 0 || gap->time < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"max_gap\" must not be negative")));
		f->gap_simple = gap->month == 0 && gap->day == 0;
	}
	f->reach = palloc(sizeof(TimestampTz) * n);
	f->reached = palloc(sizeof(bool) * n);
}

/* Is t within the gap after `from`? */
static bool
within_gap(Funnel *f, TimestampTz from, TimestampTz t)
{
	if (f->gap == NULL)
		return true;
	if (f->gap_simple)
		return t - from <= f->gap->time;
	return t <= DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														TimestampTzGetDatum(from),
														PointerGetDatum(f->gap)));
}

/* Order events by time, then stage. */
static int
event_cmp(const void *a, const void *b)
{
	const FunnelEvent *x = a,
			   *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->stage - y->stage;
}

/* The depth (0..k) of a user's events (sorted here in place). */
static int
funnel_depth(Funnel *f, FunnelEvent *ev, int n)
{
	int			i,
				depth = 0;

	qsort(ev, n, sizeof(FunnelEvent), event_cmp);
	memset(f->reached, 0, sizeof(bool) * f->k);
	for (i = 0; i < n; i++)
	{
		int			s = ev[i].stage;

		if (s == 0 || (f->reached[s - 1] && within_gap(f, f->reach[s - 1], ev[i].ts)))
		{
			f->reach[s] = ev[i].ts;
			f->reached[s] = true;
			depth = Max(depth, s + 1);
		}
	}
	return depth;
}

/* Emit the funnel table from users per step. */
static void
funnel_emit(FunctionCallInfo fcinfo, const char *const *names, const int *lens, const int64 *users, int k)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i,
				bottleneck = -1;
	double		worst = 0;

	for (i = 1; i < k; i++)
	{
		double		rate;

		if (users[i - 1] == 0)
			continue;
		rate = (double) users[i] / users[i - 1];
		if (bottleneck < 0 || rate < worst)
		{
			bottleneck = i;
			worst = rate;
		}
	}
	for (i = 0; i < k; i++)
	{
		Datum		v[7];
		bool		nulls[7] = {0};

		v[0] = Int32GetDatum(i + 1);
		v[1] = PointerGetDatum(cstring_to_text_with_len(names[i], lens[i]));
		v[2] = Int64GetDatum(users[i]);
		if (i == 0 || users[i - 1] == 0)
			nulls[3] = true;
		else
			v[3] = Float8GetDatum((double) users[i] / users[i - 1]);
		if (users[0] == 0)
			nulls[4] = true;
		else
			v[4] = Float8GetDatum((double) users[i] / users[0]);
		if (i == 0)
			nulls[5] = true;
		else
			v[5] = Int64GetDatum(users[i - 1] - users[i]);
		v[6] = BoolGetDatum(i == bottleneck);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
}

PG_FUNCTION_INFO_V1(mq_funnel_depth);

/* funnel_depth(ts timestamptz[], stage text[], stages text[], max_gap interval) -> int */
Datum
mq_funnel_depth(PG_FUNCTION_ARGS)
{
	Funnel		f;
	int			n,
				ns,
				i,
				m = 0;
	const int64 *ts;
	char	  **strs;
	int		   *lens;
	FunnelEvent *ev;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	funnel_init(&f, PG_GETARG_ARRAYTYPE_P(2), PG_ARGISNULL(3) ? NULL : PG_GETARG_INTERVAL_P(3));
	ts = mq_check_timestamptz_array(PG_GETARG_ARRAYTYPE_P(0), "ts", MQ_ALLOW_EMPTY, &n);
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(1), "stage", MQ_ALLOW_EMPTY, &ns, &strs, &lens);
	mq_check_same_length(n, "ts", ns, "stage");
	ev = palloc(sizeof(FunnelEvent) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		int32		s = mq_dict_find(&f.stages, strs[i], lens[i]);

		if (s < 0)
			continue;
		ev[m].ts = ts[i];
		ev[m].stage = s;
		m++;
	}
	PG_RETURN_INT32(funnel_depth(&f, ev, m));
}

PG_FUNCTION_INFO_V1(mq_funnel_rates);

/*
 * funnel_rates(stages text[], users bigint[])
 *	 -> TABLE(step, stage, users, step_rate, cumulative_rate, drop_off, bottleneck)
 */
Datum
mq_funnel_rates(PG_FUNCTION_ARGS)
{
	Funnel		f;
	int			n,
				i;
	ArrayType  *ua;
	Datum	   *ud;
	bool	   *unulls;
	int64	   *users;

	mq_check_not_null(PG_ARGISNULL(0), "stages");
	mq_check_not_null(PG_ARGISNULL(1), "users");
	funnel_init(&f, PG_GETARG_ARRAYTYPE_P(0), NULL);
	ua = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(ua) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"users\" must be one-dimensional")));
	deconstruct_array(ua, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ud, &unulls, &n);
	mq_check_same_length(f.k, "stages", n, "users");
	users = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (unulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array \"users\" must not contain NULL elements")));
		users[i] = DatumGetInt64(ud[i]);
		if (users[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("array \"users\" must not contain negative counts"),
					 errdetail("Element %d is " INT64_FORMAT ".", i + 1, users[i])));
	}
	InitMaterializedSRF(fcinfo, 0);
	funnel_emit(fcinfo, (const char *const *) f.stages.strs, f.stages.lens, users, f.k);
	return (Datum) 0;
}

/* the table-level funnel's streaming state */
typedef struct FunnelScan
{
	Funnel		f;
	MemoryContext cxt;			/* persistent across rows */
	StringInfoData user;		/* current user */
	bool		have_user;
	FunnelEvent *ev;			/* current user's events */
	int			nev,
				cap;
	int64	   *depths;			/* k + 1: users by depth */
} FunnelScan;

/* Close the current user: count her depth. */
static void
scan_flush(FunnelScan *s)
{
	if (s->have_user)
		s->depths[funnel_depth(&s->f, s->ev, s->nev)]++;
	s->nev = 0;
}

/* Stream callback: (user text, ts, stage text), ordered by user. */
static void
funnel_row(Datum *values, bool *nulls, void *arg)
{
	FunnelScan *s = (FunnelScan *) arg;
	text	   *u = DatumGetTextPP(values[0]);
	text	   *st = DatumGetTextPP(values[2]);
	int			ulen = VARSIZE_ANY_EXHDR(u);
	int32		stage;
	MemoryContext old;

	if (!s->have_user || ulen != s->user.len || memcmp(VARDATA_ANY(u), s->user.data, ulen) != 0)
	{
		scan_flush(s);
		old = MemoryContextSwitchTo(s->cxt);
		resetStringInfo(&s->user);
		appendBinaryStringInfo(&s->user, VARDATA_ANY(u), ulen);
		MemoryContextSwitchTo(old);
		s->have_user = true;
	}
	stage = mq_dict_find(&s->f.stages, VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st));
	if (stage < 0)
		return;
	if (s->nev == s->cap)
	{
		if (s->cap >= (int) (MaxAllocSize / sizeof(FunnelEvent) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a user has more than %d funnel events", s->cap)));
		s->cap *= 2;
		s->ev = repalloc(s->ev, sizeof(FunnelEvent) * s->cap);
	}
	s->ev[s->nev].ts = DatumGetTimestampTz(values[1]);
	s->ev[s->nev].stage = stage;
	s->nev++;
}

PG_FUNCTION_INFO_V1(mq_funnel);

/*
 * funnel(events regclass, user_col, ts_col, stage_col, stages text[], max_gap interval)
 *	 -> TABLE(step, stage, users, step_rate, cumulative_rate, drop_off, bottleneck)
 */
Datum
mq_funnel(PG_FUNCTION_ARGS)
{
	Oid			rel;
	char	   *ucol,
			   *tcol,
			   *scol;
	FunnelScan	s;
	StringInfoData sql;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	int64	   *users;
	int			i;
	static const char *const argnames[] = {"events", "user_col", "ts_col", "stage_col", "stages"};

	for (i = 0; i < 5; i++)
		mq_check_not_null(PG_ARGISNULL(i), argnames[i]);
	rel = PG_GETARG_OID(0);
	ucol = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(1)), "user_col", NULL, NULL);
	tcol = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(2)), "ts_col", mq_time_types,
					  "a timestamp or a date");
	scol = mq_rel_typed_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(3)), "stage_col", NULL, NULL);
	memset(&s, 0, sizeof(s));
	s.cxt = CurrentMemoryContext;
	funnel_init(&s.f, PG_GETARG_ARRAYTYPE_P(4), PG_ARGISNULL(5) ? NULL : PG_GETARG_INTERVAL_P(5));
	initStringInfo(&s.user);
	s.cap = 64;
	s.ev = palloc(sizeof(FunnelEvent) * s.cap);
	s.depths = palloc0(sizeof(int64) * (s.f.k + 1));
	args[0] = PG_GETARG_DATUM(4);

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT %s::text COLLATE \"C\", %s::timestamptz, %s::text FROM %s "
					 "WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s::text = ANY ($1) ORDER BY 1, 2",
					 ucol, tcol, scol, mq_rel_name(rel), ucol, tcol, scol);
	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mq_spi_stream(sql.data, 1, argtypes, args, NULL, funnel_row, &s);
	SPI_finish();
	scan_flush(&s);

	users = palloc(sizeof(int64) * s.f.k);
	for (i = s.f.k - 1; i >= 0; i--)
		users[i] = s.depths[i + 1] + (i + 1 < s.f.k ? users[i + 1] : 0);
	funnel_emit(fcinfo, (const char *const *) s.f.stages.strs, s.f.stages.lens, users, s.f.k);
	return (Datum) 0;
}
