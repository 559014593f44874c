/*-------------------------------------------------------------------------
 *
 * report.c
 *	  Table-level attribution: marketiq.journeys() and
 *	  marketiq.attribution_report(), which build journeys from a touchpoint
 *	  table themselves.
 *
 * Journey building in one pass.  Both functions run a single query,
 *
 *	  SELECT user, ts, channel::text, converted, value FROM rel
 *	  WHERE user, ts, channel are not NULL ORDER BY user, ts
 *
 * through SPI with a DestReceiver of our own, so the executor hands each
 * row to us as it is produced: no tuple copies, no SPI tuple table, no
 * cursor round trips, constant memory whatever the table's size.  With an
 * index on (user, ts) the order comes from an index scan; otherwise
 * PostgreSQL sorts (spilling to disk past work_mem).  The receiver buffers
 * one user's touches; when the user changes it
 *
 *	1. breaks ties in ts deterministically: non-converting touches first,
 *	   then by channel name, then by value (a sort of the user's touches,
 *	   only when there are ties or the rows are not in time order, e.g.
 *	   after DST folds of a timestamp column);
 *	2. cuts the touches into journeys: each conversion closes a journey
 *	   that starts after the previous conversion, keeping only touches no
 *	   older than `lookback` before the conversion; touches after the last
 *	   conversion form a non-converting journey, trimmed to `lookback`
 *	   before its last touch (so that converting and non-converting paths
 *	   are measured over the same window);
 *	3. hands each journey to a consumer: journeys() writes it out as a row;
 *	   the report feeds every requested model at once -- the heuristics'
 *	   credit per channel, the Markov chain's transition counts and the
 *	   Shapley channel-set counts (the same states the aggregates build) --
 *	   and solves them at the end.
 *
 * Channel names are interned once (through the same cache the aggregates
 * use), so every model works on small integer ids.
 *
 * The SQL text is built only from the relation's quoted, schema-qualified
 * name and the columns' quoted names (mq_rel_name, mq_rel_column), and runs
 * with the caller's privileges.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "mq_attribution.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_model.h"
#include "mq_util.h"

struct JourneyBuilder;

/* What to do with each journey: touches [start, end) of the user buffer. */
typedef void (*JourneyFn) (struct JourneyBuilder *jb, int start, int end,
						   bool converted, double value);

/* The state of the one-pass journey builder. */
typedef struct JourneyBuilder
{
	DestReceiver pub;			/* receiver callbacks, first */
	/* settings */
	double		lookback;		/* microseconds; < 0: no limit */
	bool		user_byval;		/* user column type passed by value */
	int16		user_len;		/* its typlen */
	FmgrInfo	user_eq;		/* its equality function (by-reference types) */
	Oid			user_coll;		/* the column's collation */
	Oid			user_out;		/* its output function (journeys()) */
	/* the current user and its touches, in arrival order */
	bool		have_user;		/* a user is buffered */
	Datum		user;			/* its value (copied into cxt for by-reference types) */
	int			n;				/* touches buffered */
	int			cap;			/* allocated touches */
	int64	   *ts;				/* touch times */
	int32	   *ch;				/* channel ids */
	bool	   *conv;			/* converting touch? */
	double	   *val;			/* value of a converting touch (NULL = 0) */
	int		   *perm;			/* sorting scratch */
	/* channels */
	MqDict		dict;			/* name -> id */
	MqChanCache cache;			/* fast lookups */
	/* the consumer */
	JourneyFn	journey;		/* called for each journey */
	void	   *arg;			/* its state */
	int			journey_no;		/* journeys of the current user so far */
	/* counts */
	int64		touchpoints;	/* rows read */
	int64		users;			/* distinct users */
	int64		journeys;		/* journeys built */
	MemoryContext cxt;			/* everything above lives here */
} JourneyBuilder;

/* ---------------------------------------------------------------- building */

/* Does touch a come before touch b (ts, then non-converting first, channel name, value)? */
static bool
touch_before(const JourneyBuilder *jb, int a, int b)
{
	int			c;

	if (jb->ts[a] != jb->ts[b])
		return jb->ts[a] < jb->ts[b];
	if (jb->conv[a] != jb->conv[b])
		return !jb->conv[a];
	if (jb->ch[a] != jb->ch[b])
	{
		c = mq_strcmp_bytes(jb->dict.strs[jb->ch[a]], jb->dict.lens[jb->ch[a]],
							jb->dict.strs[jb->ch[b]], jb->dict.lens[jb->ch[b]]);
		return c < 0;
	}
	return jb->val[a] < jb->val[b];
}

/* qsort comparator over touch indexes */
static int
touch_cmp(const void *x, const void *y, void *arg)
{
	const JourneyBuilder *jb = arg;
	int			a = *(const int *) x,
				b = *(const int *) y;

	if (touch_before(jb, a, b))
		return -1;
	if (touch_before(jb, b, a))
		return 1;
	return 0;
}

/* Put the buffered touches in the deterministic order. */
static void
order_touches(JourneyBuilder *jb)
{
	int			n = jb->n,
				i;
	bool		sorted = true,
				ties = false;

	for (i = 1; i < n; i++)
	{
		if (jb->ts[i] < jb->ts[i - 1])
			sorted = false;
		else if (jb->ts[i] == jb->ts[i - 1])
			ties = true;
	}
	if (sorted && !ties)
		return;
	/* ties or rows out of time order: sort a permutation, then apply it */
	{
		int64	   *ts = palloc(sizeof(int64) * n);
		int32	   *ch = palloc(sizeof(int32) * n);
		bool	   *conv = palloc(sizeof(bool) * n);
		double	   *val = palloc(sizeof(double) * n);

		for (i = 0; i < n; i++)
			jb->perm[i] = i;
		qsort_arg(jb->perm, n, sizeof(int), touch_cmp, jb);
		for (i = 0; i < n; i++)
		{
			ts[i] = jb->ts[jb->perm[i]];
			ch[i] = jb->ch[jb->perm[i]];
			conv[i] = jb->conv[jb->perm[i]];
			val[i] = jb->val[jb->perm[i]];
		}
		memcpy(jb->ts, ts, sizeof(int64) * n);
		memcpy(jb->ch, ch, sizeof(int32) * n);
		memcpy(jb->conv, conv, sizeof(bool) * n);
		memcpy(jb->val, val, sizeof(double) * n);
		pfree(ts);
		pfree(ch);
		pfree(conv);
		pfree(val);
	}
}

/* First touch in [start, end) no older than lookback before time t. */
static inline int
window_start(const JourneyBuilder *jb, int start, int end, int64 t)
{
	if (jb->lookback < 0)
		return start;
	while (start < end && (double) (t - jb->ts[start]) > jb->lookback)
		start++;
	return start;
}

/* Cut the buffered user's touches into journeys and hand them over. */
static void
flush_user(JourneyBuilder *jb)
{
	int			start = 0,
				i;

	if (!jb->have_user || jb->n == 0)
		return;
	order_touches(jb);
	jb->journey_no = 0;
	for (i = 0; i < jb->n; i++)
	{
		if (jb->conv[i])
		{
			int			s = window_start(jb, start, i + 1, jb->ts[i]);

			jb->journey_no++;
			jb->journeys++;
			jb->journey(jb, s, i + 1, true, jb->val[i]);
			start = i + 1;
		}
	}
	if (start < jb->n)
	{
		int			s = window_start(jb, start, jb->n, jb->ts[jb->n - 1]);

		jb->journey_no++;
		jb->journeys++;
		jb->journey(jb, s, jb->n, false, 0);
	}
	jb->n = 0;
}

/* Is d the buffered user? */
static inline bool
same_user(JourneyBuilder *jb, Datum d)
{
	if (jb->user_byval)
		return d == jb->user;
	return DatumGetBool(FunctionCall2Coll(&jb->user_eq, jb->user_coll, d, jb->user));
}

/* Receive one touchpoint row: (user, ts, channel, converted, value). */
static bool
jb_receive(TupleTableSlot *slot, DestReceiver *self)
{
	JourneyBuilder *jb = (JourneyBuilder *) self;
	Datum		user,
				chd;
	struct varlena *chv;
	double		value;
	int			i;

	slot_getallattrs(slot);
	user = slot->tts_values[0];
	if (!jb->have_user || !same_user(jb, user))
	{
		MemoryContext old;

		flush_user(jb);
		old = MemoryContextSwitchTo(jb->cxt);
		if (!jb->user_byval && jb->have_user)
			pfree(DatumGetPointer(jb->user));
		jb->user = datumCopy(user, jb->user_byval, jb->user_len);
		MemoryContextSwitchTo(old);
		jb->have_user = true;
		jb->users++;
	}
	if (jb->n == jb->cap)
	{
		jb->cap *= 2;
		jb->ts = repalloc_huge(jb->ts, sizeof(int64) * jb->cap);
		jb->ch = repalloc_huge(jb->ch, sizeof(int32) * jb->cap);
		jb->conv = repalloc_huge(jb->conv, sizeof(bool) * jb->cap);
		jb->val = repalloc_huge(jb->val, sizeof(double) * jb->cap);
		jb->perm = repalloc_huge(jb->perm, sizeof(int) * jb->cap);
	}
	i = jb->n++;
	jb->ts[i] = DatumGetTimestampTz(slot->tts_values[1]);
	if (TIMESTAMP_NOT_FINITE(jb->ts[i]))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("touchpoint times must be finite"),
				 errdetail("A row has time %s.", jb->ts[i] < 0 ? "-infinity" : "infinity")));
	chd = slot->tts_values[2];
	chv = (struct varlena *) DatumGetPointer(chd);
	if (unlikely(VARATT_IS_EXTENDED(chv) && !VARATT_IS_SHORT(chv)))
	{
		/* a toasted channel name: intern a detoasted copy, then free it */
		struct varlena *copy = pg_detoast_datum_packed(chv);

		jb->ch[i] = mq_chan_intern(&jb->cache, &jb->dict, VARDATA_ANY(copy), VARSIZE_ANY_EXHDR(copy));
		if (copy != chv)
			pfree(copy);
	}
	else
		jb->ch[i] = mq_chan_intern(&jb->cache, &jb->dict, VARDATA_ANY(chv), VARSIZE_ANY_EXHDR(chv));
	jb->conv[i] = DatumGetBool(slot->tts_values[3]);
	value = 0;
	if (jb->conv[i])
	{
		/* the value of a non-converting touch is ignored */
		value = DatumGetFloat8(slot->tts_values[4]);
		if (!isfinite(value) || value < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("conversion values must be finite and non-negative"),
					 errdetail("A converting touchpoint has value %g.", value)));
	}
	jb->val[i] = value;
	jb->touchpoints++;
	return true;
}

/* Receiver start-up: nothing to do (the builder is set up by builder_create). */
static void
jb_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* Receiver shut-down: nothing to do (builder_run flushes the last user). */
static void
jb_shutdown(DestReceiver *self)
{
}

/* Receiver destruction: nothing to do (the builder lives in its own context). */
static void
jb_destroy(DestReceiver *self)
{
}

/* The validated arguments shared by journeys() and attribution_report(). */
typedef struct TouchSource
{
	char	   *sql;			/* the ordered query */
	Oid			user_type;		/* type of the user column */
	Oid			user_coll;		/* its collation */
	double		lookback;		/* microseconds, < 0 for none */
} TouchSource;

/* Validate the table and column arguments (0..6) and build the query. */
static void
touch_source(FunctionCallInfo fcinfo, TouchSource *src)
{
	static const Oid ts_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID, InvalidOid};
	static const Oid conv_types[] = {BOOLOID, INT2OID, INT4OID, INT8OID, InvalidOid};
	static const Oid value_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID, InvalidOid};
	Oid			relid,
				ts_type,
				conv_type,
				value_type,
				chan_type;
	char	   *rel,
			   *user,
			   *ts,
			   *chan,
			   *conv,
			   *tsexpr,
			   *convexpr,
			   *valexpr;
	const char *argnames[] = {"touchpoints", "user_col", "ts_col", "channel_col", "conversion_col"};
	int			i;

	for (i = 0; i < 5; i++)
		mq_check_not_null(PG_ARGISNULL(i), argnames[i]);
	relid = PG_GETARG_OID(0);
	rel = mq_rel_name(relid);
	user = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(1)), "user_col", &src->user_type);
	ts = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(2)), "ts_col", &ts_type);
	chan = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(3)), "channel_col", &chan_type);
	conv = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(4)), "conversion_col", &conv_type);
	mq_check_column_type(ts_type, ts_types, NameStr(*PG_GETARG_NAME(2)), "ts_col",
						 "timestamptz, timestamp or date");
	mq_check_column_type(conv_type, conv_types, NameStr(*PG_GETARG_NAME(4)), "conversion_col",
						 "boolean or an integer (non-zero: converted)");
	{
		Oid			typ;
		int32		typmod;

		get_atttypetypmodcoll(relid, get_attnum(relid, NameStr(*PG_GETARG_NAME(1))),
							  &typ, &typmod, &src->user_coll);
	}
	tsexpr = ts_type == TIMESTAMPTZOID ? ts : psprintf("%s::timestamptz", ts);
	convexpr = conv_type == BOOLOID ? psprintf("coalesce(%s, false)", conv) :
		psprintf("coalesce(%s <> 0, false)", conv);
	if (PG_ARGISNULL(5))
		valexpr = "0::float8";
	else
	{
		char	   *val = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(5)), "value_col", &value_type);

		mq_check_column_type(value_type, value_types, NameStr(*PG_GETARG_NAME(5)), "value_col", "a number");
		valexpr = psprintf("coalesce(%s::float8, 0)", val);
	}
	src->lookback = -1;
	if (!PG_ARGISNULL(6))
	{
		src->lookback = mq_interval_usecs(PG_GETARG_INTERVAL_P(6));
		if (!(src->lookback > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"lookback\" must be a positive interval"),
					 errhint("Pass NULL for no limit.")));
	}
	src->sql = psprintf("SELECT %s, %s, %s::text, %s, %s FROM %s "
						"WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s IS NOT NULL "
						"ORDER BY %s, %s",
						user, tsexpr, chan, convexpr, valexpr, rel,
						user, ts, chan, user, ts);
}

/* Set up a builder for a source, in a new context under CurrentMemoryContext. */
static JourneyBuilder *
builder_create(const TouchSource *src, JourneyFn fn, void *arg)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq journeys",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	JourneyBuilder *jb = palloc0(sizeof(JourneyBuilder));
	bool		byval;
	int16		len;
	bool		isvarlena;

	jb->pub.receiveSlot = jb_receive;
	jb->pub.rStartup = jb_startup;
	jb->pub.rShutdown = jb_shutdown;
	jb->pub.rDestroy = jb_destroy;
	jb->pub.mydest = DestTuplestore;
	jb->cxt = cxt;
	jb->lookback = src->lookback;
	get_typlenbyval(src->user_type, &len, &byval);
	jb->user_byval = byval;
	jb->user_len = len;
	jb->user_coll = src->user_coll;
	if (!byval)
	{
		TypeCacheEntry *tc = lookup_type_cache(src->user_type, TYPECACHE_EQ_OPR_FINFO);

		if (!OidIsValid(tc->eq_opr_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("the user column's type %s has no equality operator",
							format_type_be(src->user_type))));
		fmgr_info_copy(&jb->user_eq, &tc->eq_opr_finfo, cxt);
	}
	getTypeOutputInfo(src->user_type, &jb->user_out, &isvarlena);
	jb->cap = 256;
	jb->ts = palloc(sizeof(int64) * jb->cap);
	jb->ch = palloc(sizeof(int32) * jb->cap);
	jb->conv = palloc(sizeof(bool) * jb->cap);
	jb->val = palloc(sizeof(double) * jb->cap);
	jb->perm = palloc(sizeof(int) * jb->cap);
	mq_dict_init(&jb->dict);
	mq_chan_cache_init(&jb->cache);
	jb->journey = fn;
	jb->arg = arg;
	MemoryContextSwitchTo(old);
	return jb;
}

/* Run the source query through the builder. */
static void
builder_run(JourneyBuilder *jb, const TouchSource *src)
{
	SPIExecuteOptions opts;
	int			rc;

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = &jb->pub;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_extended(src->sql, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "touchpoint query failed: %s", SPI_result_code_string(rc));
	flush_user(jb);
	SPI_finish();
	mq_progress("journeys: %lld touchpoints, %lld users, %lld journeys, %d channels",
				(long long) jb->touchpoints, (long long) jb->users,
				(long long) jb->journeys, jb->dict.n);
}

/* ---------------------------------------------------------------- journeys() */

/* journeys() consumer state */
typedef struct JourneyRows
{
	ReturnSetInfo *rsinfo;		/* where the rows go */
	MemoryContext tmp;			/* per-row memory */
} JourneyRows;

/* Write one journey as a row. */
static void
journey_row(JourneyBuilder *jb, int start, int end, bool converted, double value)
{
	JourneyRows *jr = jb->arg;
	int			n = end - start,
				i;
	Datum		v[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	Datum	   *chans,
			   *times;
	MemoryContext old;

	old = MemoryContextSwitchTo(jr->tmp);
	chans = palloc(sizeof(Datum) * Max(n, 1));
	times = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		int32		c = jb->ch[start + i];

		chans[i] = PointerGetDatum(cstring_to_text_with_len(jb->dict.strs[c], jb->dict.lens[c]));
		times[i] = TimestampTzGetDatum(jb->ts[start + i]);
	}
	v[0] = PointerGetDatum(cstring_to_text(OidOutputFunctionCall(jb->user_out, jb->user)));
	v[1] = Int32GetDatum(jb->journey_no);
	v[2] = PointerGetDatum(construct_array(chans, n, TEXTOID, -1, false, TYPALIGN_INT));
	v[3] = PointerGetDatum(construct_array(times, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (converted)
	{
		v[4] = TimestampTzGetDatum(jb->ts[end - 1]);
		v[6] = Float8GetDatum(value);
	}
	else
	{
		nulls[4] = true;
		nulls[6] = true;
	}
	v[5] = BoolGetDatum(converted);
	tuplestore_putvalues(jr->rsinfo->setResult, jr->rsinfo->setDesc, v, nulls);
	MemoryContextSwitchTo(old);
	MemoryContextReset(jr->tmp);
}

PG_FUNCTION_INFO_V1(mq_journeys);

/*
 * journeys(touchpoints, user_col, ts_col, channel_col, conversion_col,
 * value_col, lookback) -> TABLE(user_id text, journey int, channels text[],
 * touch_ts timestamptz[], conversion_ts timestamptz, converted boolean,
 * value float8): the journeys attribution_report builds, one row each.
 */
Datum
mq_journeys(PG_FUNCTION_ARGS)
{
	TouchSource src;
	JourneyRows jr;
	JourneyBuilder *jb;

	touch_source(fcinfo, &src);
	InitMaterializedSRF(fcinfo, 0);
	memset(&jr, 0, sizeof(jr));
	jr.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	jr.tmp = AllocSetContextCreate(CurrentMemoryContext, "marketiq journey row",
								   ALLOCSET_DEFAULT_SIZES);
	jb = builder_create(&src, journey_row, &jr);
	builder_run(jb, &src);
	MemoryContextDelete(jr.tmp);
	MemoryContextDelete(jb->cxt);
	return (Datum) 0;
}

/* --------------------------------------------------------- attribution_report */

/* attribution_report consumer state: every requested model at once */
typedef struct ReportAcc
{
	int			nmodels;		/* requested models */
	MqAttrModel models[MQ_AM_NMODELS];	/* in the order asked */
	bool		want[MQ_AM_NMODELS];	/* requested? */
	bool		any_heuristic;	/* some heuristic requested */
	MqAttrParams params;		/* heuristic parameters */
	char	   *skip_name;		/* last non-direct: the skipped channel's name, or NULL */
	int			skip_len;
	int			nch;			/* channels seen so far (synced into the states) */
	int			cap;			/* channels the per-channel arrays hold */
	double	   *credit[MQ_AM_NHEURISTIC];	/* per model: (conversions, value) per channel */
	double	   *w;				/* weights scratch */
	int			wcap;
	int32	   *ids;			/* channel ids scratch (Shapley sorts in place) */
	MqMarkovState *markov;		/* transition counts, or NULL */
	int			markov_order;
	bool		collapse;
	MqShapleyState *shapley;	/* channel-set counts, or NULL */
	double		conversions;	/* converting journeys */
	double		value;			/* their value */
	MemoryContext cxt;			/* where the arrays live */
} ReportAcc;

/* Make room for the builder's channels in the accumulators and the model states. */
static void
report_sync_channels(JourneyBuilder *jb, ReportAcc *acc)
{
	int			i,
				m;

	if (acc->nch == jb->dict.n)
		return;
	if (jb->dict.n > acc->cap)
	{
		int			cap = Max(32, jb->dict.n * 2);

		for (m = 0; m < MQ_AM_NHEURISTIC; m++)
		{
			double	   *c;

			if (!acc->want[m])
				continue;
			c = MemoryContextAllocZero(acc->cxt, sizeof(double) * 2 * cap);
			if (acc->credit[m])
			{
				memcpy(c, acc->credit[m], sizeof(double) * 2 * acc->cap);
				pfree(acc->credit[m]);
			}
			acc->credit[m] = c;
		}
		if (acc->params.seen)
			pfree(acc->params.seen);
		acc->params.seen = MemoryContextAllocZero(acc->cxt, sizeof(bool) * cap);
		acc->cap = cap;
	}
	/* the states intern the names in the same order, so their ids are the builder's */
	for (i = acc->nch; i < jb->dict.n; i++)
	{
		const char *name = jb->dict.strs[i];
		int			len = jb->dict.lens[i];

		if (acc->markov)
		{
			MemoryContext old = MemoryContextSwitchTo(acc->markov->hdr.cxt);

			if (mq_dict_intern(&acc->markov->channels, name, len) != i)
				elog(ERROR, "channel ids out of step in attribution_report");
			MemoryContextSwitchTo(old);
		}
		if (acc->shapley)
		{
			MemoryContext old = MemoryContextSwitchTo(acc->shapley->hdr.cxt);

			if (mq_dict_intern(&acc->shapley->channels, name, len) != i)
				elog(ERROR, "channel ids out of step in attribution_report");
			MemoryContextSwitchTo(old);
		}
		if (acc->skip_name && len == acc->skip_len && memcmp(name, acc->skip_name, len) == 0)
			acc->params.skip_id = i;
	}
	acc->nch = jb->dict.n;
}

/* Feed one journey to every requested model. */
static void
report_journey(JourneyBuilder *jb, int start, int end, bool converted, double value)
{
	ReportAcc  *acc = jb->arg;
	int			n = end - start,
				k,
				i;
	const int32 *ch = jb->ch + start;

	if (n == 0)
		return;					/* every touch fell outside the lookback window */
	report_sync_channels(jb, acc);
	if (n > acc->wcap)
	{
		acc->wcap = Max(64, n * 2);
		if (acc->w)
		{
			pfree(acc->w);
			pfree(acc->ids);
		}
		acc->w = MemoryContextAlloc(acc->cxt, sizeof(double) * acc->wcap);
		acc->ids = MemoryContextAlloc(acc->cxt, sizeof(int32) * acc->wcap);
	}
	if (converted)
	{
		acc->conversions += 1;
		acc->value += value;
		if (acc->any_heuristic)
			for (k = 0; k < acc->nmodels; k++)
			{
				MqAttrModel m = acc->models[k];
				double	   *credit = acc->credit[m];

				if (m >= MQ_AM_NHEURISTIC)
					continue;
				mq_attr_weights(m, &acc->params, ch, jb->ts + start, jb->ts[end - 1], n, acc->w);
				for (i = 0; i < n; i++)
				{
					credit[2 * ch[i]] += acc->w[i];
					credit[2 * ch[i] + 1] += acc->w[i] * value;
				}
			}
	}
	if (acc->markov)
	{
		MemoryContext old = MemoryContextSwitchTo(acc->markov->hdr.cxt);

		mq_markov_add_path(acc->markov, ch, n, converted ? 1 : 0, converted ? 0 : 1, value);
		MemoryContextSwitchTo(old);
	}
	if (acc->shapley)
	{
		MemoryContext old = MemoryContextSwitchTo(acc->shapley->hdr.cxt);

		memcpy(acc->ids, ch, sizeof(int32) * n);
		mq_shapley_add_path(acc->shapley, acc->ids, n, converted ? 1 : 0, converted ? 0 : 1, value);
		MemoryContextSwitchTo(old);
	}
	/* the model states grow with distinct transitions and channel sets: keep them bounded */
	if ((jb->journeys & 4095) == 0)
	{
		if (acc->markov)
			mq_check_state_size(MemoryContextMemAllocated(acc->markov->hdr.cxt, true),
								&mq_markov_kind, "transitions");
		if (acc->shapley)
			mq_check_state_size(MemoryContextMemAllocated(acc->shapley->hdr.cxt, true),
								&mq_shapley_kind, "channel sets");
	}
}

/* Name order of channel ids, for output. */
static int
name_cmp(const void *a, const void *b, void *arg)
{
	const MqDict *d = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return mq_strcmp_bytes(d->strs[x], d->lens[x], d->strs[y], d->lens[y]);
}

/* Emit one report row. */
static void
report_row(ReturnSetInfo *rsinfo, MqAttrModel model, const char *channel, int len,
		   double conversions, double value, double share)
{
	Datum		v[5];
	bool		nulls[5] = {false, false, false, false, false};

	v[0] = CStringGetTextDatum(mq_attr_model_names[model]);
	v[1] = PointerGetDatum(cstring_to_text_with_len(channel, len));
	v[2] = Float8GetDatum(conversions);
	v[3] = Float8GetDatum(value);
	v[4] = Float8GetDatum(share);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
}

PG_FUNCTION_INFO_V1(mq_attribution_report);

/*
 * attribution_report(touchpoints regclass, user_col, ts_col, channel_col,
 * conversion_col, value_col name, lookback interval, models text[],
 * half_life interval, first_weight, middle_weight, last_weight float8,
 * skip_channel text, markov_order int, collapse_repeats boolean)
 * -> TABLE(model, channel, conversions, value, share).
 */
Datum
mq_attribution_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TouchSource src;
	ReportAcc	acc;
	JourneyBuilder *jb;
	MemoryContext cxt;
	int			k,
				i;
	int32	   *order;

	touch_source(fcinfo, &src);
	memset(&acc, 0, sizeof(acc));

	/* models: NULL = all of them */
	if (PG_ARGISNULL(7))
	{
		for (k = 0; k < MQ_AM_NMODELS; k++)
			acc.models[acc.nmodels++] = k;
	}
	else
	{
		int			n;
		char	  **strs;
		int		   *lens;

		mq_check_text_array(PG_GETARG_ARRAYTYPE_P(7), "models", 0, &n, &strs, &lens);
		for (k = 0; k < n; k++)
		{
			MqAttrModel m = mq_check_choice(pnstrdup(strs[k], lens[k]), "attribution model",
											mq_attr_model_names);

			if (acc.want[m])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("model \"%s\" is listed twice in \"models\"", mq_attr_model_names[m])));
			acc.want[m] = true;
			acc.models[acc.nmodels++] = m;
		}
	}
	for (k = 0; k < acc.nmodels; k++)
	{
		acc.want[acc.models[k]] = true;
		if (acc.models[k] < MQ_AM_NHEURISTIC)
			acc.any_heuristic = true;
	}

	/* knobs: validated whatever the models, so a bad value is never silently ignored */
	mq_check_not_null(PG_ARGISNULL(8), "half_life");
	acc.params.half_life = mq_interval_usecs(PG_GETARG_INTERVAL_P(8));
	if (!(acc.params.half_life > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"half_life\" must be a positive interval")));
	mq_check_not_null(PG_ARGISNULL(9), "first_weight");
	mq_check_not_null(PG_ARGISNULL(10), "middle_weight");
	mq_check_not_null(PG_ARGISNULL(11), "last_weight");
	mq_attr_check_weights(&acc.params, PG_GETARG_FLOAT8(9), PG_GETARG_FLOAT8(10), PG_GETARG_FLOAT8(11));
	acc.params.skip_id = -1;
	if (!PG_ARGISNULL(12))
	{
		text	   *t = PG_GETARG_TEXT_PP(12);

		acc.skip_name = VARDATA_ANY(t);
		acc.skip_len = VARSIZE_ANY_EXHDR(t);
	}
	mq_check_not_null(PG_ARGISNULL(13), "markov_order");
	acc.markov_order = PG_GETARG_INT32(13);
	mq_check_int_range(acc.markov_order, "markov_order", 1, MQ_MARKOV_MAX_ORDER);
	mq_check_not_null(PG_ARGISNULL(14), "collapse_repeats");
	acc.collapse = PG_GETARG_BOOL(14);

	InitMaterializedSRF(fcinfo, 0);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq attribution report",
								ALLOCSET_DEFAULT_SIZES);
	acc.cxt = cxt;
	if (acc.want[MQ_AM_MARKOV])
	{
		acc.markov = (MqMarkovState *) mq_attr_state_create(&mq_markov_kind, cxt);
		mq_markov_set_params(acc.markov, acc.markov_order, acc.collapse);
	}
	if (acc.want[MQ_AM_SHAPLEY] || acc.want[MQ_AM_SHAPLEY_RATE])
		acc.shapley = (MqShapleyState *) mq_attr_state_create(&mq_shapley_kind, cxt);

	jb = builder_create(&src, report_journey, &acc);
	builder_run(jb, &src);
	report_sync_channels(jb, &acc);

	/* output: models in the order asked, channels by name */
	order = palloc(sizeof(int32) * Max(acc.nch, 1));
	for (i = 0; i < acc.nch; i++)
		order[i] = i;
	qsort_arg(order, acc.nch, sizeof(int32), name_cmp, &jb->dict);
	for (k = 0; k < acc.nmodels; k++)
	{
		MqAttrModel m = acc.models[k];

		if (m < MQ_AM_NHEURISTIC)
		{
			double		sum = 0;

			for (i = 0; i < acc.nch; i++)
				sum += acc.credit[m][2 * i];
			for (i = 0; i < acc.nch; i++)
			{
				int32		c = order[i];

				report_row(rsinfo, m, jb->dict.strs[c], jb->dict.lens[c],
						   acc.credit[m][2 * c], acc.credit[m][2 * c + 1],
						   sum > 0 ? acc.credit[m][2 * c] / sum : 0);
			}
		}
		else if (m == MQ_AM_MARKOV)
		{
			const MqModel *flat = mq_markov_kind.flatten(&acc.markov->hdr);
			MqMarkovSolution sol;
			double		sum = 0,
						vsum = 0;

			/* the flat form lists channels in name order: the same order as ours */
			mq_markov_solve(flat, false, &sol);
			for (i = 0; i < acc.nch; i++)
			{
				sum += sol.removal[i];
				vsum += sol.value_removal[i];
			}
			for (i = 0; i < acc.nch; i++)
			{
				int32		c = order[i];
				double		share = sum > 0 ? sol.removal[i] / sum : 0;

				report_row(rsinfo, m, jb->dict.strs[c], jb->dict.lens[c],
						   share * acc.conversions,
						   vsum > 0 ? sol.value_removal[i] / vsum * acc.value : 0, share);
			}
		}
		else
		{
			const MqModel *flat = mq_shapley_kind.flatten(&acc.shapley->hdr);
			MqShapleyResult r;

			mq_shapley_compute(flat, m == MQ_AM_SHAPLEY ? MQ_SHAPLEY_COUNT : MQ_SHAPLEY_RATE, &r);
			for (i = 0; i < acc.nch; i++)
			{
				int32		c = order[i];

				report_row(rsinfo, m, jb->dict.strs[c], jb->dict.lens[c],
						   r.conversions[i], r.value[i], r.share[i]);
			}
		}
	}
	MemoryContextDelete(jb->cxt);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
