/*-------------------------------------------------------------------------
 *
 * anomalies.c
 *	  KPI anomaly detection: marketiq.detect_anomalies(series, ts_col,
 *	  value_col, group_col, method, window_size, season, threshold).
 *
 * One query reads (group as text, time as timestamptz, value as float8) of
 * every row with a value, built only from mq_rel_name/mq_rel_column and run
 * through SPI with the caller's privileges.  Its rows stream into C through
 * a DestReceiver of our own (no SPI tuple table) and are collected per
 * group, 16 bytes a row, in memory checked against marketiq.max_model_bytes:
 * no ORDER BY, so PostgreSQL never sorts the table.  Each group's rows are
 * then put in time order (ties by value) -- usually already the case,
 * which is checked first -- and scanned once, oldest first, so that each
 * row is judged only against rows before it (no look-ahead):
 *
 *	mad       expected = median of the window_size rows just before it,
 *	          scale = 1.4826 MAD of those rows (robust.c: a sorted window
 *	          that each row enters and the oldest leaves, O(window_size) per
 *	          row);
 *	seasonal  the same over the window_size earlier rows of the same phase:
 *	          the rows season, 2 season, ..., window_size season steps back
 *	          (one sorted window per phase);
 *	ewma      expected = m(t-1) and scale = sqrt(v(t-1)), from the recursion
 *	          over the group's values x(1), x(2), ...:
 *	              m(1) = x(1), v(1) = 0;
 *	              m(t) = m(t-1) + a (x(t) - m(t-1)),
 *	              v(t) = (1 - a) (v(t-1) + a (x(t) - m(t-1))^2),
 *	          a = 2 / (window_size + 1): the exponentially weighted mean and
 *	          (biased) variance of pandas' ewm(alpha = a, adjust = False).
 *
 * Steps are rows, not calendar time: gaps are ignored.  expected is NULL
 * until window_size earlier rows exist (window_size x season for
 * seasonal); then score = (value - expected) / scale, lower/upper =
 * expected -+ threshold scale, is_anomaly = |score| > threshold, direction
 * 'up' above upper, 'down' below lower.  Zero scales: see robust.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_segments.h"
#include "mq_util.h"

/* the largest window_size and season */
#define AN_MAX_WINDOW 100000
/* the largest window_size x season */
#define AN_MAX_SEASONAL_SPAN 10000000

/* One observation. */
typedef struct AnRow
{
	int64		ts;				/* timestamptz */
	double		v;				/* value */
} AnRow;

/*
 * A segment of a group's rows.  A group's rows are a list of segments, each
 * as large as the group so far (up to AN_SEG_MAX rows), so appending never
 * copies and memory is touched once: page faults are what large memory
 * costs most on a virtual machine.
 */
typedef struct AnSeg
{
	struct AnSeg *next;			/* the next segment */
	int32		n;				/* rows held */
	int32		cap;			/* rows it can hold */
	AnRow		rows[FLEXIBLE_ARRAY_MEMBER];
} AnSeg;

/* a segment of 2^k bytes holds 2^(k-4) - 1 rows: no rounding waste in an AllocSet */
#define AN_SEG_MIN 15
#define AN_SEG_MAX 4095

/* The observations of one group. */
typedef struct AnGroup
{
	AnSeg	   *head;			/* first segment */
	AnSeg	   *tail;			/* last segment */
	int64		n;				/* rows */
} AnGroup;

/* Everything the receiver fills. */
typedef struct AnData
{
	MemoryContext cxt;			/* where the rows live */
	MqDict		keys;			/* group keys (ids index groups[]) */
	AnGroup    *groups;			/* by key id */
	int			gcap;			/* allocated groups[] */
	AnGroup		nullgroup;		/* rows whose group is NULL (or all rows without group_col) */
	int32		last_id;		/* group of the previous row (-1: the NULL group, -2: none) */
	Size		bytes;			/* memory held, for the size check */
	int64		rows;			/* rows kept */
	MemoryContext rowcxt;		/* per-row scratch (detoasted group keys) */
	Oid			gtype;			/* type of the group column (from the query) */
	int16		typlen;			/* its length (-1 varlena, -2 cstring) */
	bool		typbyval;		/* passed by value */
} AnData;

/* Our receiver. */
typedef struct AnReceiver
{
	DestReceiver pub;			/* must be first */
	AnData	   *data;
} AnReceiver;

/* ERROR when the collected rows pass marketiq.max_model_bytes. */
static void
an_check_size(AnData *a)
{
	if (a->bytes > (Size) mq_max_model_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("detect_anomalies needs more than marketiq.max_model_bytes (%d) to hold the series",
						mq_max_model_bytes),
				 errdetail("It keeps 16 bytes per row (and the group names) while it scores them."),
				 errhint("Restrict the series to the period you need (a view with a WHERE clause: "
						 "each row needs only window_size earlier rows, window_size x season for seasonal), "
						 "or raise marketiq.max_model_bytes (at most 1GB).")));
}

/* Append a row to a group. */
static inline void
an_append(AnData *a, AnGroup *g, int64 ts, double v)
{
	AnSeg	   *seg = g->tail;

	if (seg == NULL || seg->n >= seg->cap)
	{
		int32		cap = AN_SEG_MIN;

		while (cap < g->n && cap < AN_SEG_MAX)
			cap = cap * 2 + 1;
		a->bytes += offsetof(AnSeg, rows) + sizeof(AnRow) * cap;
		an_check_size(a);
		seg = MemoryContextAlloc(a->cxt, offsetof(AnSeg, rows) + sizeof(AnRow) * cap);
		seg->next = NULL;
		seg->n = 0;
		seg->cap = cap;
		if (g->tail)
			g->tail->next = seg;
		else
			g->head = seg;
		g->tail = seg;
	}
	seg->rows[seg->n].ts = ts;
	seg->rows[seg->n].v = v;
	seg->n++;
	g->n++;
	a->rows++;
}

/* Receive one row: (group text or NULL, ts, value). */
static bool
an_receive(TupleTableSlot *slot, DestReceiver *self)
{
	AnData	   *a = ((AnReceiver *) self)->data;
	AnGroup    *g;
	double		v;

	slot_getallattrs(slot);
	if (slot->tts_isnull[1] || slot->tts_isnull[2])
		return true;			/* no time (or no value): no place in the series */
	v = DatumGetFloat8(slot->tts_values[2]);
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("detect_anomalies needs finite values"),
				 errdetail("A row has %g.", v)));
	if (slot->tts_isnull[0])
	{
		g = &a->nullgroup;
		a->last_id = -1;
	}
	else
	{
		/* the group's identity is the bytes of its value, in its own type (no text cast per row) */
		Datum		gd = slot->tts_values[0];
		char		buf[sizeof(Datum)];
		const char *s;
		int			len;
		int32		id;

		if (a->typbyval)
		{
			memcpy(buf, &gd, sizeof(Datum));
			s = buf;
			len = sizeof(Datum);
		}
		else if (a->typlen > 0)
		{
			s = DatumGetPointer(gd);
			len = a->typlen;
		}
		else if (a->typlen == -1)
		{
			MemoryContext rowold = MemoryContextSwitchTo(a->rowcxt);
			struct varlena *vl = PG_DETOAST_DATUM_PACKED(gd);

			MemoryContextSwitchTo(rowold);
			s = VARDATA_ANY(vl);
			len = VARSIZE_ANY_EXHDR(vl);
		}
		else
		{
			s = DatumGetCString(gd);
			len = strlen(s);
		}

		/* rows of one group usually come together: compare with the last group first */
		if (a->last_id >= 0 && a->keys.lens[a->last_id] == len &&
			memcmp(a->keys.strs[a->last_id], s, len) == 0)
			id = a->last_id;
		else
		{
			MemoryContext old = MemoryContextSwitchTo(a->cxt);

			id = mq_dict_intern(&a->keys, s, len);
			if (id >= a->gcap)
			{
				int			ncap = Max(64, a->gcap * 2);

				a->groups = a->groups ? repalloc(a->groups, sizeof(AnGroup) * ncap)
					: palloc(sizeof(AnGroup) * ncap);
				memset(a->groups + a->gcap, 0, sizeof(AnGroup) * (ncap - a->gcap));
				a->bytes += sizeof(AnGroup) * (ncap - a->gcap);
				a->gcap = ncap;
			}
			a->bytes += len + 16;
			MemoryContextSwitchTo(old);
			an_check_size(a);
			a->last_id = id;
		}
		g = &a->groups[id];
		if (a->typlen == -1)
			MemoryContextReset(a->rowcxt);
	}
	an_append(a, g, DatumGetInt64(slot->tts_values[1]), v);
	return true;
}

/* Start-up: learn the group column's type. */
static void
an_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	AnData	   *a = ((AnReceiver *) self)->data;

	a->gtype = TupleDescAttr(typeinfo, 0)->atttypid;
	get_typlenbyval(a->gtype, &a->typlen, &a->typbyval);
	if (a->typbyval && a->typlen > (int16) sizeof(Datum))
		elog(ERROR, "group column passed by value with length %d", a->typlen);
}

/* The text form of group id's value (its type's output function). */
static text *
an_group_text(AnData *a, int32 id)
{
	const char *s = a->keys.strs[id];
	int			len = a->keys.lens[id];
	Datum		d;
	Oid			typoutput;
	bool		isvarlena;

	if (a->gtype == TEXTOID)
		return cstring_to_text_with_len(s, len);
	if (a->typbyval)
		memcpy(&d, s, sizeof(Datum));
	else if (a->typlen > 0)
	{
		char	   *copy = palloc(len);	/* aligned */

		memcpy(copy, s, len);
		d = PointerGetDatum(copy);
	}
	else if (a->typlen == -1)
	{
		struct varlena *vl = palloc(len + VARHDRSZ);

		SET_VARSIZE(vl, len + VARHDRSZ);
		memcpy(VARDATA(vl), s, len);
		d = PointerGetDatum(vl);
	}
	else
		d = CStringGetDatum(pnstrdup(s, len));
	getTypeOutputInfo(a->gtype, &typoutput, &isvarlena);
	return cstring_to_text(OidOutputFunctionCall(typoutput, d));
}

/* qsort_arg comparator: groups by the bytes of their text form */
static int
an_key_cmp(const void *x, const void *y, void *arg)
{
	text	  **keys = (text **) arg;
	text	   *a = keys[*(const int32 *) x],
			   *b = keys[*(const int32 *) y];

	return mq_strcmp_bytes(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
}

/* Nothing to do at shutdown. */
static void
an_shutdown(DestReceiver *self)
{
}

/* The receiver lives in the caller's memory: nothing to destroy. */
static void
an_destroy(DestReceiver *self)
{
}

/* Run the query and collect its rows into a. */
static void
an_collect(const char *sql, AnData *a)
{
	SPIPlanPtr	plan;
	SPIExecuteOptions opts;
	AnReceiver	rcv;
	int			rc;

	plan = SPI_prepare_cursor(sql, 0, NULL, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	memset(&rcv, 0, sizeof(rcv));
	rcv.pub.receiveSlot = an_receive;
	rcv.pub.rStartup = an_startup;
	rcv.pub.rShutdown = an_shutdown;
	rcv.pub.rDestroy = an_destroy;
	rcv.pub.mydest = DestNone;
	rcv.data = a;
	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = (DestReceiver *) &rcv;
	rc = SPI_execute_plan_extended(plan, &opts);
	/* SPI reports a SELECT whose rows went to a DestNone-tagged receiver as a utility */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute_plan_extended failed: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
}

/* qsort comparator: time, then value */
static int
an_row_cmp(const void *a, const void *b)
{
	const AnRow *x = (const AnRow *) a,
			   *y = (const AnRow *) b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->v < y->v ? -1 : (x->v > y->v ? 1 : 0);
}

/*
 * A group's rows in (time, value) order, in the scratch array *buf (grown
 * as needed, reused from group to group); sorted only when they are not in
 * order already.
 */
static AnRow *
an_gather(AnGroup *g, AnRow **buf, int64 *bufcap)
{
	AnRow	   *r;
	AnSeg	   *seg;
	int64		i = 0;

	if (g->n > *bufcap)
	{
		*bufcap = Max(g->n, *bufcap * 2);
		*buf = *buf ? repalloc_huge(*buf, sizeof(AnRow) * *bufcap)
			: MemoryContextAllocHuge(CurrentMemoryContext, sizeof(AnRow) * *bufcap);
	}
	r = *buf;
	for (seg = g->head; seg; seg = seg->next)
	{
		memcpy(r + i, seg->rows, sizeof(AnRow) * seg->n);
		i += seg->n;
	}
	for (i = 1; i < g->n; i++)
		if (an_row_cmp(&r[i - 1], &r[i]) > 0)
		{
			qsort(r, g->n, sizeof(AnRow), an_row_cmp);
			break;
		}
	return r;
}

/* The scoring parameters, and the output. */
typedef struct AnScorer
{
	int			method;			/* 0 mad, 1 seasonal, 2 ewma */
	int			w;				/* window_size */
	int			season;			/* season (seasonal) */
	double		threshold;		/* threshold */
	SegWin	   *wins;			/* mad: 1, seasonal: season windows of w + 1 */
	Tuplestorestate *ts;		/* output */
	TupleDesc	desc;
	Datum		up;				/* 'up' and 'down' */
	Datum		down;
} AnScorer;

enum
{
	AN_MAD,
	AN_SEASONAL,
	AN_EWMA
};

/* Score n rows of a group (in time order) and emit them with group key `key` (NULL: none). */
static void
an_score(AnScorer *sc, const AnRow *r, int64 n, text *key)
{
	int64		i;
	int			nwin = sc->method == AN_SEASONAL ? sc->season : 1;
	int			step = sc->method == AN_SEASONAL ? sc->season : 1;
	int64		full = (int64) sc->w * step;	/* earlier rows needed */
	double		alpha = 2.0 / (sc->w + 1.0),
				mu = 0,
				var = 0;
	Datum		values[9];
	bool		nulls[9];
	int			p;

	for (p = 0; p < nwin; p++)
		sc->wins[p].n = 0;
	values[0] = PointerGetDatum(key);
	for (i = 0; i < n; i++)
	{
		double		x = r[i].v,
					expected = 0,
					scale = 0;
		bool		have = i >= full;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (sc->method == AN_EWMA)
		{
			if (have)
			{
				expected = mu;
				scale = sqrt(var);
			}
			if (i == 0)
				mu = x;
			else
			{
				double		delta = x - mu;

				mu = mu + alpha * delta;
				var = (1 - alpha) * (var + alpha * delta * delta);
			}
		}
		else
		{
			SegWin	   *win = &sc->wins[i % nwin];

			if (have)
			{
				expected = seg_win_median(win);
				scale = seg_win_scale(win, expected);
			}
			seg_win_insert(win, x);
			if (i - full >= 0)
				seg_win_remove(win, r[i - full].v);
		}

		memset(nulls, 0, sizeof(nulls));
		nulls[0] = key == NULL;
		values[1] = Int64GetDatum(r[i].ts);
		values[2] = Float8GetDatum(x);
		if (have)
		{
			double		score = seg_score(x, expected, scale);
			double		lower = expected - sc->threshold * scale,
						upper = expected + sc->threshold * scale;

			values[3] = Float8GetDatum(expected);
			values[4] = Float8GetDatum(lower);
			values[5] = Float8GetDatum(upper);
			values[6] = Float8GetDatum(score);
			values[7] = BoolGetDatum(fabs(score) > sc->threshold);
			if (x > upper)
				values[8] = sc->up;
			else if (x < lower)
				values[8] = sc->down;
			else
				nulls[8] = true;
		}
		else
		{
			nulls[3] = nulls[4] = nulls[5] = nulls[6] = nulls[8] = true;
			values[7] = BoolGetDatum(false);
		}
		tuplestore_putvalues(sc->ts, sc->desc, values, nulls);
	}
}

/*
 * InitMaterializedSRF, with the result rows in a generation memory context
 * of their own (a child of the query's context): the rows are never freed
 * one by one, and a generation context stores each at its size instead of
 * rounding it up to a power of two, so a row of the result takes about 100
 * bytes instead of 144.  On a large result, touching fresh memory is most
 * of the cost.
 */
static void
an_materialize(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext rowscxt,
				old;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "detect_anomalies must return a row type");
	rowscxt = GenerationContextCreate(rsinfo->econtext->ecxt_per_query_memory,
									  "marketiq detect_anomalies result", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(rowscxt);
	rsinfo->setDesc = CreateTupleDescCopy(desc);
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	MemoryContextSwitchTo(old);
}

PG_FUNCTION_INFO_V1(mq_detect_anomalies);

/*
 * detect_anomalies(series, ts_col, value_col, group_col, method, window_size,
 * season, threshold): one scored row per row of the series with a value.
 */
Datum
mq_detect_anomalies(PG_FUNCTION_ARGS)
{
	static const char *const methods[] = {"mad", "seasonal", "ewma", NULL};
	static const Oid time_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID, InvalidOid};
	static const Oid number_types[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, NUMERICOID, InvalidOid};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid,
				typid;
	char	   *tscol,
			   *valcol,
			   *grpcol = NULL,
			   *sql;
	int			method,
				w,
				season = 0,
				i,
				nwin;
	double		threshold;
	AnData		a;
	AnScorer	sc;
	MemoryContext callercxt;
	int32	   *order;
	text	  **keys;
	AnRow	   *buf = NULL;
	int64		bufcap = 0;

	an_materialize(fcinfo);
	callercxt = CurrentMemoryContext;
	mq_check_not_null(PG_ARGISNULL(0), "series");
	mq_check_not_null(PG_ARGISNULL(1), "ts_col");
	mq_check_not_null(PG_ARGISNULL(2), "value_col");
	mq_check_not_null(PG_ARGISNULL(4), "method");
	mq_check_not_null(PG_ARGISNULL(5), "window_size");
	mq_check_not_null(PG_ARGISNULL(7), "threshold");
	relid = PG_GETARG_OID(0);
	method = mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(4)), "method", methods);
	w = PG_GETARG_INT32(5);
	mq_check_int_range(w, "window_size", 3, AN_MAX_WINDOW);
	threshold = PG_GETARG_FLOAT8(7);
	mq_check_finite(threshold, "threshold");
	mq_check_range(threshold, "threshold", 0.0, false, get_float8_infinity(), false);
	if (!PG_ARGISNULL(6))
	{
		season = PG_GETARG_INT32(6);
		mq_check_int_range(season, "season", 2, AN_MAX_WINDOW);
		if (method != AN_SEASONAL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"season\" applies only to method 'seasonal'"),
					 errhint("Use method => 'seasonal', or leave season NULL.")));
		if ((int64) season * w > AN_MAX_SEASONAL_SPAN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window_size x season must be at most %d", AN_MAX_SEASONAL_SPAN),
					 errdetail("It is %lld.", (long long) season * w)));
	}
	else if (method == AN_SEASONAL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("method 'seasonal' needs a \"season\""),
				 errhint("Give the length of the cycle in rows, e.g. season => 7 for daily data with a weekly cycle.")));

	tscol = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(1)), "ts_col", &typid);
	mq_check_column_type(typid, time_types, NameStr(*PG_GETARG_NAME(1)), "ts_col",
						 "timestamptz, timestamp or date");
	valcol = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(2)), "value_col", &typid);
	mq_check_column_type(typid, number_types, NameStr(*PG_GETARG_NAME(2)), "value_col", "a number");
	if (!PG_ARGISNULL(3))
		grpcol = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(3)), "group_col", NULL);
	sql = psprintf("SELECT %s, (%s)::timestamptz, (%s)::float8 FROM %s WHERE %s IS NOT NULL",
				   grpcol ? grpcol : "NULL::text", tscol, valcol, mq_rel_name(relid), valcol);

	/* collect */
	memset(&a, 0, sizeof(a));
	a.cxt = AllocSetContextCreate(callercxt, "marketiq detect_anomalies", ALLOCSET_DEFAULT_SIZES);
	a.last_id = -2;
	a.rowcxt = AllocSetContextCreate(a.cxt, "marketiq detect_anomalies row", ALLOCSET_SMALL_SIZES);
	{
		MemoryContext old = MemoryContextSwitchTo(a.cxt);

		mq_dict_init(&a.keys);
		MemoryContextSwitchTo(old);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	an_collect(sql, &a);
	SPI_finish();
	MemoryContextSwitchTo(callercxt);

	/* score, group by group (in key order, the NULL group last) */
	sc.method = method;
	sc.w = w;
	sc.season = season;
	sc.threshold = threshold;
	sc.ts = rsinfo->setResult;
	sc.desc = rsinfo->setDesc;
	sc.up = CStringGetTextDatum("up");
	sc.down = CStringGetTextDatum("down");
	nwin = method == AN_SEASONAL ? season : 1;
	sc.wins = palloc(sizeof(SegWin) * nwin);
	if (method != AN_EWMA)
		for (i = 0; i < nwin; i++)
			seg_win_init(&sc.wins[i], w + 1);
	keys = palloc(sizeof(text *) * Max(a.keys.n, 1));
	order = palloc(sizeof(int32) * Max(a.keys.n, 1));
	for (i = 0; i < a.keys.n; i++)
	{
		keys[i] = an_group_text(&a, i);
		order[i] = i;
	}
	qsort_arg(order, a.keys.n, sizeof(int32), an_key_cmp, keys);
	for (i = 0; i < a.keys.n; i++)
	{
		AnGroup    *g = &a.groups[order[i]];

		an_score(&sc, an_gather(g, &buf, &bufcap), g->n, keys[order[i]]);
	}
	if (a.nullgroup.n > 0)
		an_score(&sc, an_gather(&a.nullgroup, &buf, &bufcap), a.nullgroup.n, NULL);
	MemoryContextDelete(a.cxt);
	return (Datum) 0;
}
