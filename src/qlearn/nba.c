/*-------------------------------------------------------------------------
 *
 * nba.c
 *	  marketiq.next_best_action(): the exact Q table of an event log, with
 *	  each user's transitions built from the events themselves.
 *
 * An event is a row (user, time, state, action, reward): in this state we
 * did this, and this is what it earned.  A user's events in time order are
 * a chain of transitions: the next state of an event is the state of that
 * user's next event, and the last event is terminal.  An event without an
 * action (a NULL action: the customer's current state, say, awaiting a
 * decision) ends the previous event's transition with its state but starts
 * none of its own.  The function runs one query through SPI,
 *
 *	  SELECT user, state::text, action::text, coalesce(reward::float8, 0)
 *	  FROM rel WHERE user, ts, state are not NULL
 *	  ORDER BY user, ts, state::text COLLATE "C", action::text COLLATE "C", reward
 *
 * with a DestReceiver of its own: each row closes the previous event of the
 * same user (its next state is this row's state) or, on a new user, closes
 * the last one as terminal.  Ties in time are broken by state, action (NULL
 * last) and reward, in byte order, so the result never depends on the
 * physical order of the table.  The transitions feed the same table qlearn
 * builds, which is then solved exactly (solve.c).  Memory: the distinct
 * (state, action, next state) triples, never the rows.
 *
 * The SQL is built only from the relation's quoted, schema-qualified name
 * and the columns' quoted names (mq_rel_name, mq_rel_column), and runs with
 * the caller's privileges.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "mq_check.h"
#include "mq_model.h"
#include "mq_qlearn.h"
#include "mq_util.h"

/* The receiver that turns ordered events into transitions. */
typedef struct EventReceiver
{
	DestReceiver pub;			/* callbacks, first */
	QTab	   *t;				/* where transitions are counted */
	bool		user_byval;		/* user column passed by value */
	int16		user_len;		/* its typlen */
	FmgrInfo	user_eq;		/* its equality (by-reference types) */
	Oid			user_coll;		/* its collation */
	bool		have_user;		/* a user is current */
	Datum		user;			/* that user (copied into cxt) */
	bool		pending;		/* an event of that user waits for its next state */
	int32		state;			/* its state id */
	int32		action;			/* its action id */
	double		reward;			/* its reward */
	int64		events;			/* rows read */
	int64		users;			/* distinct users */
	MemoryContext cxt;			/* the receiver's memory */
} EventReceiver;

/* Intern a text datum (detoasting a copy if need be) as a state or action. */
static int32
intern_text(QTab *t, Datum d, bool is_state)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	struct varlena *copy = v;
	int32		id;

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		copy = pg_detoast_datum_packed(v);
	id = is_state ? qtab_state(t, VARDATA_ANY(copy), VARSIZE_ANY_EXHDR(copy)) :
		qtab_action(t, VARDATA_ANY(copy), VARSIZE_ANY_EXHDR(copy));
	if (copy != v)
		pfree(copy);
	return id;
}

/* Is d the pending event's user? */
static inline bool
same_user(EventReceiver *er, Datum d)
{
	if (er->user_byval)
		return d == er->user;
	return DatumGetBool(FunctionCall2Coll(&er->user_eq, er->user_coll, d, er->user));
}

/* Receive one event: (user, state, action or NULL, reward), in (user, time, ...) order. */
static bool
er_receive(TupleTableSlot *slot, DestReceiver *self)
{
	EventReceiver *er = (EventReceiver *) self;
	Datum		user;
	int32		state;
	bool		has_action;
	double		reward;

	slot_getallattrs(slot);
	user = slot->tts_values[0];
	state = intern_text(er->t, slot->tts_values[1], true);
	has_action = !slot->tts_isnull[2];
	reward = DatumGetFloat8(slot->tts_values[3]);
	if (has_action && !isfinite(reward))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("rewards must be finite numbers"),
				 errdetail("An event has reward %g.", reward)));
	if (er->have_user && same_user(er, user))
	{
		if (er->pending)
			qtab_add_transition(er->t, er->state, er->action, state, er->reward);
	}
	else
	{
		MemoryContext old;

		if (er->pending)
			qtab_add_transition(er->t, er->state, er->action, -1, er->reward);
		old = MemoryContextSwitchTo(er->cxt);
		if (!er->user_byval && er->have_user)
			pfree(DatumGetPointer(er->user));
		er->user = datumCopy(user, er->user_byval, er->user_len);
		MemoryContextSwitchTo(old);
		er->have_user = true;
		er->users++;
	}
	/* an event with an action waits for its next state; one without starts nothing */
	er->pending = has_action;
	if (has_action)
	{
		er->state = state;
		er->action = intern_text(er->t, slot->tts_values[2], false);
		er->reward = reward;
	}
	er->events++;
	if ((er->events & 0xffff) == 0)
		qtab_check_size(er->t);
	return true;
}

/* Receiver start-up: nothing to do. */
static void
er_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* Receiver shut-down: nothing to do (the caller closes the last event). */
static void
er_shutdown(DestReceiver *self)
{
}

/* Receiver destruction: nothing to do (memory goes with its context). */
static void
er_destroy(DestReceiver *self)
{
}

PG_FUNCTION_INFO_V1(mq_next_best_action);

/*
 * next_best_action(events regclass, user_col, ts_col, state_col, action_col,
 * reward_col, gamma) -> TABLE(state, action, q, visits, is_best).
 */
Datum
mq_next_best_action(PG_FUNCTION_ARGS)
{
	static const Oid reward_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID,
	INT8OID, InvalidOid};
	static const char *const argnames[] = {"events", "user_col", "ts_col", "state_col",
	"action_col", "reward_col", "gamma"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid,
				user_type,
				ts_type,
				reward_type;
	char	   *rel,
			   *user,
			   *ts,
			   *state,
			   *action,
			   *reward,
			   *sql;
	double		gamma;
	int			i,
				rc;
	MemoryContext cxt,
				old;
	EventReceiver *er;
	TypeCacheEntry *tc;
	SPIExecuteOptions opts;
	QCanon		c;
	QSolution	sol;

	for (i = 0; i < 7; i++)
		mq_check_not_null(PG_ARGISNULL(i), argnames[i]);
	gamma = PG_GETARG_FLOAT8(6);
	mq_q_check_gamma(gamma);
	relid = PG_GETARG_OID(0);
	rel = mq_rel_name(relid);
	user = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(1)), "user_col", &user_type);
	ts = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(2)), "ts_col", &ts_type);
	state = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(3)), "state_col", NULL);
	action = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(4)), "action_col", NULL);
	reward = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(5)), "reward_col", &reward_type);
	mq_check_column_type(reward_type, reward_types, NameStr(*PG_GETARG_NAME(5)), "reward_col",
						 "a number");
	tc = lookup_type_cache(ts_type, TYPECACHE_LT_OPR);
	if (!OidIsValid(tc->lt_opr))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" (argument \"ts_col\") must have a sortable type",
						NameStr(*PG_GETARG_NAME(2))),
				 errdetail("Its type %s has no ordering.", format_type_be(ts_type)),
				 errhint("Use a timestamp, a date or a sequence number.")));
	sql = psprintf("SELECT %s, %s::text, %s::text, coalesce(%s::float8, 0) FROM %s "
				   "WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s IS NOT NULL "
				   "ORDER BY %s, %s, %s::text COLLATE \"C\", %s::text COLLATE \"C\", 4",
				   user, state, action, reward, rel,
				   user, ts, state, user, ts, state, action);

	InitMaterializedSRF(fcinfo, 0);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq next_best_action",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	er = palloc0(sizeof(EventReceiver));
	er->pub.receiveSlot = er_receive;
	er->pub.rStartup = er_startup;
	er->pub.rShutdown = er_shutdown;
	er->pub.rDestroy = er_destroy;
	er->pub.mydest = DestTuplestore;
	er->cxt = cxt;
	er->t = palloc(sizeof(QTab));
	qtab_init(er->t, QM_EXACT);
	er->t->gamma = gamma;
	get_typlenbyval(user_type, &er->user_len, &er->user_byval);
	{
		Oid			typ;
		int32		typmod;

		get_atttypetypmodcoll(relid, get_attnum(relid, NameStr(*PG_GETARG_NAME(1))),
							  &typ, &typmod, &er->user_coll);
	}
	if (!er->user_byval)
	{
		TypeCacheEntry *utc = lookup_type_cache(user_type, TYPECACHE_EQ_OPR_FINFO);

		if (!OidIsValid(utc->eq_opr_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("the user column's type %s has no equality operator",
							format_type_be(user_type))));
		fmgr_info_copy(&er->user_eq, &utc->eq_opr_finfo, cxt);
	}
	MemoryContextSwitchTo(old);

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = &er->pub;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_extended(sql, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "event query failed: %s", SPI_result_code_string(rc));
	SPI_finish();
	if (er->pending)
		qtab_add_transition(er->t, er->state, er->action, -1, er->reward);
	qtab_check_size(er->t);
	mq_progress("next_best_action: %lld events, %lld users, %d states, %d actions",
				(long long) er->events, (long long) er->users, er->t->states.n, er->t->actions.n);

	/* solve, then one row per (state, action) */
	old = MemoryContextSwitchTo(cxt);
	qtab_canon(er->t, &c);
	qcanon_index(&c);
	qcanon_solve(&c, QS_AUTO, &sol);
	MemoryContextSwitchTo(old);
	for (i = 0; i < c.nstates; i++)
	{
		int			best = qcanon_greedy(&c, sol.q, i),
					p;

		for (p = c.pstart[i]; p < c.pstart[i + 1]; p++)
		{
			Datum		v[5];
			bool		nulls[5] = {false, false, false, false, false};
			int			a = c.paction[p];

			v[0] = PointerGetDatum(cstring_to_text_with_len(c.snames[i], c.slens[i]));
			v[1] = PointerGetDatum(cstring_to_text_with_len(c.anames[a], c.alens[a]));
			v[2] = Float8GetDatum(sol.q[p]);
			v[3] = Int64GetDatum(c.visits[p]);
			v[4] = BoolGetDatum(p == best);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
	}
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
