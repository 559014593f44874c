/*-------------------------------------------------------------------------
 *
 * state.c
 *	  Aggregate transition states as expanded objects.
 *
 * A model-building aggregate declares its state type as the model type
 * itself (a varlena with text I/O, so parallel query and Citus can ship
 * partial states), but its transition function works on an in-memory form:
 * an expanded object whose memory context is a child of the aggregate
 * context (shared by all its states: see below).  nodeAgg adopts a read-write expanded object that lives under
 * its aggregate context without copying it (ExecAggTransReparent), so the
 * same object is updated in place row after row; it is flattened, through
 * the kind's `flatten` callback, only when PostgreSQL needs the bytes
 * (passing a partial state to the leader, storing, printing).  The flat form
 * is cached until the next change.
 *
 * Final functions receive a read-only pointer to the object: they must not
 * change it, because a window aggregate may call them again on the same
 * state.
 *
 * One context for all the states of an aggregate context.  PostgreSQL 15's
 * hash aggregation measures the memory of its aggregate context, children
 * included, every time it adds a group; with a context per state that walk
 * grows with the number of groups, and GROUP BY over N groups costs O(N^2)
 * (62% of the time at 20,000 groups in a profile).  So the states built in
 * an aggregate context share one child context of it, "marketiq states":
 * nodeAgg still adopts them in place (their context's parent is the
 * aggregate context), hash aggregation still counts their memory (one
 * child), and they all go when PostgreSQL resets the aggregate context (end
 * of a group, a spilled batch, a window frame restart).  This is safe only
 * because a transition or combine function given its own read-write state
 * always returns that same state: nodeAgg deletes an expanded transition
 * value (deleting its context) only when the function returns a different
 * one.  States read outside an aggregate (mq_state_view) keep a context of
 * their own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "mq_model.h"

static Size state_get_flat_size(ExpandedObjectHeader *eohptr);
static void state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods mq_state_methods = {
	state_get_flat_size,
	state_flatten_into
};

/* Is datum d one of our expanded states? */
static bool
is_our_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &mq_state_methods;
}

/* Flat size (computing and caching the flat form). */
static Size
state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	MqState    *s = (MqState *) eohptr;

	if (s->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		s->flat = s->kind->flatten(s);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(s->flat);
}

/* Copy the cached flat form out. */
static void
state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	MqState    *s = (MqState *) eohptr;

	Assert(s->flat != NULL && allocated_size == VARSIZE(s->flat));
	memcpy(result, s->flat, allocated_size);
}

/* The name of the shared states context. */
#define STATES_CXT_NAME "marketiq states"

/* What a transition function remembers of its shared states context. */
typedef struct StatesCache
{
	MemoryContext aggcxt;		/* the aggregate context it belongs to */
	MemoryContext states;		/* its "marketiq states" child; NULL once deleted */
} StatesCache;

/* Reset callback of a shared states context: forget it. */
static void
states_cxt_gone(void *arg)
{
	((StatesCache *) arg)->states = NULL;
}

/*
 * The "marketiq states" child of aggregate context aggcxt, created when
 * missing.  Remembered in fn_extra (the executor allocates it in the query
 * context, which outlives the aggregate contexts under it); a callback
 * forgets it when PostgreSQL deletes it.  Otherwise looked up among the
 * children (a query with grouping sets has one aggregate context per set).
 */
static MemoryContext
shared_states_cxt(FunctionCallInfo fcinfo, MemoryContext aggcxt)
{
	StatesCache *cache = (StatesCache *) fcinfo->flinfo->fn_extra;
	MemoryContext c;
	MemoryContextCallback *cb;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(StatesCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->states != NULL && cache->aggcxt == aggcxt)
		return cache->states;
	for (c = aggcxt->firstchild; c != NULL; c = c->nextchild)
		if (strcmp(c->name, STATES_CXT_NAME) == 0)
			break;
	if (c == NULL)
		c = AllocSetContextCreate(aggcxt, STATES_CXT_NAME, ALLOCSET_DEFAULT_SIZES);
	if (cache->states != NULL)
		return c;				/* another set's context: leave the cache alone */
	cb = MemoryContextAlloc(c, sizeof(MemoryContextCallback));
	cb->func = states_cxt_gone;
	cb->arg = cache;
	MemoryContextRegisterResetCallback(c, cb);
	cache->aggcxt = aggcxt;
	cache->states = c;
	return c;
}

/*
 * A new, empty state: in context `shared` (a "marketiq states" context) if
 * given, else in a context of its own under `parent`.
 */
static MqState *
state_new(const MqKind *kind, MemoryContext parent, MemoryContext shared)
{
	MemoryContext cxt;
	MqState    *s;

	if (kind->state_size < sizeof(MqState) || kind->init == NULL ||
		kind->merge == NULL || kind->flatten == NULL)
		elog(ERROR, "marketiq %s is not an aggregate state kind", kind->name);
	cxt = shared ? shared : AllocSetContextCreate(parent, "marketiq state", ALLOCSET_START_SMALL_SIZES);
	s = MemoryContextAllocZero(cxt, kind->state_size);
	EOH_init_header(&s->eoh, &mq_state_methods, cxt);
	s->kind = kind;
	s->cxt = cxt;
	s->flat = NULL;
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		kind->init(s);
		MemoryContextSwitchTo(old);
	}
	return s;
}

/* Merge a flat value into a state, allocating in the state's context. */
static void
state_merge(MqState *s, const MqModel *m)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);

	s->kind->merge(s, m);
	MemoryContextSwitchTo(old);
	if (s->flat)
	{
		pfree(s->flat);
		s->flat = NULL;
	}
}

/* The flat form of any datum of this kind (expanded or not). */
static const MqModel *
datum_flat(Datum d, const MqKind *kind)
{
	if (is_our_expanded(d))
	{
		MqState    *o = (MqState *) DatumGetEOHP(d);

		if (o->kind != kind)
			elog(ERROR, "marketiq state of kind %s where %s was expected", o->kind->name, kind->name);
		return mq_state_flat(o);
	}
	return mq_model_fetch(d, kind);
}

/* The transition state in argno, ready to modify. */
MqState *
mq_state_arg(FunctionCallInfo fcinfo, int argno, const MqKind *kind)
{
	MemoryContext aggcxt;
	Datum		d;
	MqState    *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("marketiq %s state function called in a non-aggregate context", kind->name)));
	if (PG_ARGISNULL(argno))
		return state_new(kind, aggcxt, shared_states_cxt(fcinfo, aggcxt));
	d = PG_GETARG_DATUM(argno);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) && is_our_expanded(d))
	{
		s = (MqState *) DatumGetEOHP(d);
		if (s->kind != kind)
			elog(ERROR, "marketiq state of kind %s where %s was expected", s->kind->name, kind->name);
		return s;
	}
	/* a flat (or read-only) value: copy it into a new state we own */
	s = state_new(kind, aggcxt, shared_states_cxt(fcinfo, aggcxt));
	state_merge(s, datum_flat(d, kind));
	return s;
}

/* Return a state from a transition or combine function. */
Datum
mq_state_return(MqState *s)
{
	if (s->flat)
	{
		pfree(s->flat);
		s->flat = NULL;
	}
	return EOHPGetRWDatum(&s->eoh);
}

/* A state or model argument to read, without modifying it. */
MqState *
mq_state_view(FunctionCallInfo fcinfo, int argno, const MqKind *kind)
{
	Datum		d = PG_GETARG_DATUM(argno);
	MqState    *s;

	if (is_our_expanded(d))
	{
		s = (MqState *) DatumGetEOHP(d);
		if (s->kind != kind)
			elog(ERROR, "marketiq state of kind %s where %s was expected", s->kind->name, kind->name);
		return s;
	}
	s = state_new(kind, CurrentMemoryContext, NULL);
	state_merge(s, mq_model_fetch(d, kind));
	return s;
}

/* The flat form of a state, cached until the state changes. */
const MqModel *
mq_state_flat(MqState *s)
{
	state_get_flat_size(&s->eoh);
	return s->flat;
}

/* The combine function body shared by every kind. */
Datum
mq_state_combine(FunctionCallInfo fcinfo, const MqKind *kind)
{
	MqState    *s;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	s = mq_state_arg(fcinfo, 0, kind);
	if (!PG_ARGISNULL(1))
		state_merge(s, datum_flat(PG_GETARG_DATUM(1), kind));
	return mq_state_return(s);
}
