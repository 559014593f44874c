/*-------------------------------------------------------------------------
 *
 * queue.c
 *	  Embedding columns: a real[] column kept equal to the embedding of a
 *	  text column by a trigger, a queue and the background worker.
 *
 * The parts:
 *
 *	  marketiq.embedding_columns   one row per embedding column: the table, the
 *	      provider, dims, batch size, the owner (the role that called
 *	      embed_column) and the last error and success.  The text and
 *	      embedding columns themselves are named by the column's trigger
 *	      (below), so renaming a column, or a pg_dump and restore, keeps
 *	      everything consistent.
 *	  marketiq.embedding_queue     one row per table row whose embedding is
 *	      due: the column id, the row's primary key (text[] of the key
 *	      columns' text forms), attempts, the next attempt, failed, the last
 *	      error, and the claim of the processor working on it.
 *	  marketiq.embedding_errors    every failed batch: time, table, keys,
 *	      attempt, message (the last 1,000 per column).
 *	  trigger marketiq_embed_<id>  BEFORE INSERT OR UPDATE OF <text>,
 *	      <embedding>, <key columns> OR DELETE, FOR EACH ROW, in C.  Its
 *	      column list (pg_trigger.tgattr) starts with the text column and the
 *	      embedding column.  When a row is inserted or its text changes (byte
 *	      for byte; also when its key changes) it sets the embedding to NULL
 *	      and queues the key (an upsert that resets attempts and failure); a
 *	      NULL text is never queued and its embedding is NULL; a deleted row
 *	      leaves the queue.  An AFTER TRUNCATE trigger empties the column's
 *	      queue.  Queue writes run with the registry owner's rights
 *	      (mq_elevate), so any role that may write the table may queue.
 *
 * Processing a batch (process_column, in a "marketiq embed" job worker
 * connected as the column's owner, so every statement on the user's table
 * has exactly the owner's rights; queue bookkeeping through mq_elevate):
 *
 *	  T1  claim up to batch_size due rows (FOR UPDATE SKIP LOCKED, then
 *	      claimed_by = this processor's token), read their texts; commit.
 *	      The claim is committed before the (possibly slow) embedding, so no
 *	      lock is held while a service answers: a user who updates a queued
 *	      row's text never waits for the network.
 *	  T2  embed the texts (builtin in memory; openai: one HTTP request).
 *	  T3  lock the rows of the batch that are still there, FOR UPDATE SKIP
 *	      LOCKED (never waiting: a row a user is writing is left for later),
 *	      then lock the queue rows still claimed by us; write a vector only
 *	      where the text under the lock is byte for byte the text embedded
 *	      (no stale write after a newer update), delete those queue rows,
 *	      release the claims of the others; commit.
 *	  A failure records an attempt (or, for a connection that cannot be
 *	  made, pauses the column without counting one) with a jittered
 *	  exponential backoff and releases the claims.
 *
 * Exactly once: a vector is written and its queue row deleted in the same
 * transaction, so a crash anywhere loses nothing (the claim of a dead
 * processor is released by the worker when it starts, or expires) and never
 * writes twice (T3 writes only rows whose queue entry is still claimed by
 * this processor).  Lock order is table row, then queue row, as in the
 * trigger, and T3 never waits for a table row, so processors and users
 * cannot deadlock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "mq_check.h"
#include "mq_embed.h"
#include "mq_registry.h"
#include "mq_util.h"

/* providers, as embedding_columns.provider names them */
#define PROVIDER_BUILTIN 0
#define PROVIDER_OPENAI 1
static const char *const provider_names[] = {"builtin", "openai", NULL};

/* errors kept per column in embedding_errors */
#define ERRORS_KEPT 1000

/* what the database worker's jobs may do per start */
#define WORKER_JOB_ROWS 50000
#define WORKER_JOB_SECONDS 10

/* ------------------------------------------------------------ keys */

/* A table's primary key: its columns and how to print their values. */
typedef struct KeyInfo
{
	int			npk;			/* key columns */
	AttrNumber	att[INDEX_MAX_KEYS];	/* their attribute numbers, in key order */
	Oid			typ[INDEX_MAX_KEYS];	/* their types */
	FmgrInfo	out[INDEX_MAX_KEYS];	/* their output functions */
	bool		pin;			/* a type whose text form depends on settings */
} KeyInfo;

/* Is a key type's text form independent of DateStyle, IntervalStyle and extra_float_digits? */
static bool
key_type_is_stable(Oid typ)
{
	switch (typ)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case UUIDOID:
		case NUMERICOID:
		case OIDOID:
		case BOOLOID:
		case CHAROID:
		case BYTEAOID:			/* its input reads both bytea_output forms */
			return true;
	}
	return false;
}

/* The primary key of rel (index column order), output functions in cxt; false if none. */
static bool
primary_key(Relation rel, KeyInfo *ki, MemoryContext cxt)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	HeapTuple	tup;
	Form_pg_index idx;
	int			i;

	if (!OidIsValid(pk))
		return false;
	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for index %u", pk);
	idx = (Form_pg_index) GETSTRUCT(tup);
	ki->npk = idx->indnkeyatts;
	ki->pin = false;
	for (i = 0; i < ki->npk; i++)
	{
		Oid			outfn;
		bool		varlena;

		ki->att[i] = idx->indkey.values[i];
		ki->typ[i] = TupleDescAttr(RelationGetDescr(rel), ki->att[i] - 1)->atttypid;
		getTypeOutputInfo(ki->typ[i], &outfn, &varlena);
		fmgr_info_cxt(outfn, &ki->out[i], cxt);
		if (!key_type_is_stable(ki->typ[i]))
			ki->pin = true;
	}
	ReleaseSysCache(tup);
	return true;
}

/*
 * The queue key of key values: text[] of their text forms.  Types whose text
 * form depends on settings are printed with DateStyle ISO, IntervalStyle
 * postgres and extra_float_digits 1, forms any session reads back exactly.
 */
static Datum
make_key(KeyInfo *ki, const Datum *values)
{
	Datum		elems[INDEX_MAX_KEYS];
	int			nest = -1;
	int			i;

	if (ki->pin)
	{
		nest = NewGUCNestLevel();
		(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("extra_float_digits", "1", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}
	for (i = 0; i < ki->npk; i++)
		elems[i] = CStringGetTextDatum(OutputFunctionCall(&ki->out[i], values[i]));
	if (ki->pin)
		AtEOXact_GUC(true, nest);
	return PointerGetDatum(construct_array(elems, ki->npk, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The queue key of a tuple. */
static Datum
tuple_key(KeyInfo *ki, HeapTuple tup, TupleDesc desc)
{
	Datum		values[INDEX_MAX_KEYS];
	int			i;

	for (i = 0; i < ki->npk; i++)
	{
		bool		isnull;

		values[i] = heap_getattr(tup, ki->att[i], desc, &isnull);
		if (isnull)
			elog(ERROR, "primary key column is NULL");
	}
	return make_key(ki, values);
}

/* ------------------------------------------------------------ small helpers */

/* Start a transaction in a worker (workers set their own statement time, see worker.c). */
static void
start_xact(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
}

/*
 * Run SQL with arguments as the current user; ERROR unless it returns `expect`.
 * The processor passes read_only = false even for reads: SPI then takes a new
 * snapshot for the statement, where a read-only statement would reuse the
 * step's first snapshot and miss rows committed since (a queue row claimed
 * with a newer snapshot whose table row the older one cannot see).
 */
static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, bool read_only, int expect)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0);

	if (ret != expect)
		elog(ERROR, "marketiq embedding statement failed (%s): %s", SPI_result_code_string(ret), sql);
}

/* The same with the registry owner's rights and a pinned search_path. */
static void
spi_exec_elevated(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, bool read_only, int expect)
{
	MqElevation e;

	mq_elevate(&e);
	spi_exec(sql, nargs, types, values, nulls, read_only, expect);
	mq_unelevate(&e);
}

/* A text[] Datum of n C strings. */
static Datum
text_array(char **strs, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(strs[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* May a role open a session? (false for a role that no longer exists) */
static bool
role_can_login(Oid role)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		return false;
	ok = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	return ok;
}

/* A role's name for messages (its OID if it was dropped). */
static const char *
role_name(Oid role)
{
	const char *n = GetUserNameFromId(role, true);

	return n ? n : psprintf("with OID %u", role);
}

/* Error unless a role may open a session (embedding jobs connect as the column's owner). */
static void
check_can_login(Oid role)
{
	if (!role_can_login(role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("role %s cannot own an embedding column: it cannot log in",
						GetUserNameFromId(role, false)),
				 errdetail("Embeddings are computed in a background worker connected as the column's owner."),
				 errhint("Call embed_column as a role with LOGIN, or ALTER ROLE %s LOGIN.",
						 quote_identifier(GetUserNameFromId(role, false)))));
}

/* ------------------------------------------------------------ the trigger */

/* What the trigger keeps for the rows of one statement (fn_extra). */
typedef struct TrigCache
{
	Oid			relid;			/* the table */
	int			column_id;		/* the embedding column */
	AttrNumber	textatt;		/* text column */
	AttrNumber	embatt;			/* embedding column */
	Bitmapset  *pkatts;			/* primary key columns (offset by FirstLowInvalidHeapAttributeNumber) */
	bool		ready;			/* validated, and ki filled */
	KeyInfo		ki;				/* primary key */
} TrigCache;

/* statements the trigger runs, prepared once per backend */
static SPIPlanPtr plan_validate = NULL;
static SPIPlanPtr plan_upsert = NULL;
static SPIPlanPtr plan_dequeue = NULL;
static SPIPlanPtr plan_truncate = NULL;

/* Prepare and keep a trigger statement (as the registry owner). */
static SPIPlanPtr
trigger_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	if (*slot == NULL)
	{
		MqElevation e;
		SPIPlanPtr	p;

		mq_elevate(&e);
		p = SPI_prepare(sql, nargs, types);
		mq_unelevate(&e);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*slot = p;
	}
	return *slot;
}

/* Run a prepared trigger statement as the registry owner. */
static void
trigger_exec(SPIPlanPtr plan, Datum *values, int expect)
{
	MqElevation e;
	int			ret;

	mq_elevate(&e);
	ret = SPI_execute_plan(plan, values, NULL, false, 0);
	mq_unelevate(&e);
	if (ret != expect)
		elog(ERROR, "marketiq embedding queue statement failed: %s", SPI_result_code_string(ret));
}

/* Check that column_id is the embedding column of relid (someone may attach the trigger by hand). */
static void
validate_trigger(int column_id, Oid relid)
{
	Oid			types[2] = {INT4OID, OIDOID};
	Datum		values[2] = {Int32GetDatum(column_id), ObjectIdGetDatum(relid)};
	SPIPlanPtr	p = trigger_plan(&plan_validate,
								 "SELECT 1 FROM marketiq.embedding_columns WHERE id = $1 AND tbl OPERATOR(pg_catalog.=) $2::pg_catalog.regclass",
								 2, types);

	trigger_exec(p, values, SPI_OK_SELECT);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("trigger of marketiq embedding column %d does not belong to table %s",
						column_id, mq_rel_name(relid)),
				 errhint("Embedding triggers are created by marketiq.embed_column(); drop this one.")));
}

/* Queue a key (or re-queue it: a new text deserves fresh attempts). */
static void
enqueue(int column_id, Datum key)
{
	Oid			types[2] = {INT4OID, TEXTARRAYOID};
	Datum		values[2] = {Int32GetDatum(column_id), key};
	SPIPlanPtr	p = trigger_plan(&plan_upsert,
								 "INSERT INTO marketiq.embedding_queue AS q (column_id, key, enqueued_at, next_attempt_at) "
								 "VALUES ($1, $2, pg_catalog.now(), pg_catalog.now()) "
								 "ON CONFLICT (column_id, key) DO UPDATE SET enqueued_at = excluded.enqueued_at, "
								 "next_attempt_at = excluded.next_attempt_at, attempts = 0, failed = false, last_error = NULL",
								 2, types);

	trigger_exec(p, values, SPI_OK_INSERT);
}

/* Remove a key from the queue. */
static void
dequeue(int column_id, Datum key)
{
	Oid			types[2] = {INT4OID, TEXTARRAYOID};
	Datum		values[2] = {Int32GetDatum(column_id), key};
	SPIPlanPtr	p = trigger_plan(&plan_dequeue,
								 "DELETE FROM marketiq.embedding_queue WHERE column_id = $1 AND key OPERATOR(pg_catalog.=) $2",
								 2, types);

	trigger_exec(p, values, SPI_OK_DELETE);
}

/* Do two tuples have the same value (byte for byte) in a column? */
static bool
same_value(HeapTuple a, HeapTuple b, TupleDesc desc, AttrNumber att)
{
	Form_pg_attribute f = TupleDescAttr(desc, att - 1);
	bool		na,
				nb;
	Datum		va = heap_getattr(a, att, desc, &na);
	Datum		vb = heap_getattr(b, att, desc, &nb);

	if (na || nb)
		return na && nb;
	return datum_image_eq(va, vb, f->attbyval, f->attlen);
}

/* The tuple with its embedding set to NULL (or the tuple itself if it already is). */
static HeapTuple
without_embedding(HeapTuple tup, TupleDesc desc, AttrNumber embatt)
{
	int			cols[1] = {embatt};
	Datum		vals[1] = {(Datum) 0};
	bool		nulls[1] = {true};

	if (heap_attisnull(tup, embatt, desc))
		return tup;
	return heap_modify_tuple_by_cols(tup, desc, 1, cols, vals, nulls);
}

/* Before the first queue write of a statement: validate the trigger, learn the key. */
static void
trigger_ready(TrigCache *tc, Relation rel, MemoryContext cxt)
{
	if (tc->ready)
		return;
	validate_trigger(tc->column_id, tc->relid);
	if (!primary_key(rel, &tc->ki, cxt))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has an embedding column but no primary key any more", mq_rel_name(tc->relid)),
				 errhint("Add the primary key back, or drop the embedding column with marketiq.drop_embedding_column().")));
	tc->ready = true;
}

PG_FUNCTION_INFO_V1(mq_embed_trigger);

/* The trigger of an embedding column (see the top of this file). */
Datum
mq_embed_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	Trigger    *tg;
	Relation	rel;
	TupleDesc	desc;
	TrigCache  *tc;
	int			column_id;
	HeapTuple	result = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("marketiq._embed_trigger() must be called as a trigger")));
	td = (TriggerData *) fcinfo->context;
	tg = td->tg_trigger;
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	if (tg->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("marketiq._embed_trigger() needs the embedding column id as its argument")));
	column_id = pg_strtoint32(tg->tgargs[0]);

	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		Oid			types[1] = {INT4OID};
		Datum		values[1] = {Int32GetDatum(column_id)};
		SPIPlanPtr	p;

		SPI_connect();
		validate_trigger(column_id, RelationGetRelid(rel));
		p = trigger_plan(&plan_truncate, "DELETE FROM marketiq.embedding_queue WHERE column_id = $1", 1, types);
		trigger_exec(p, values, SPI_OK_DELETE);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BEFORE(td->tg_event) || tg->tgnattr < 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("marketiq._embed_trigger() must fire BEFORE, FOR EACH ROW, on a column list")));

	tc = (TrigCache *) fcinfo->flinfo->fn_extra;
	if (tc == NULL || tc->relid != RelationGetRelid(rel) || tc->column_id != column_id)
	{
		tc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TrigCache));
		tc->relid = RelationGetRelid(rel);
		tc->column_id = column_id;
		tc->textatt = tg->tgattr[0];
		tc->embatt = tg->tgattr[1];
		{
			MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

			tc->pkatts = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
			MemoryContextSwitchTo(old);
		}
		fcinfo->flinfo->fn_extra = tc;
	}

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		HeapTuple	oldtup = td->tg_trigtuple;
		HeapTuple	newtup = td->tg_newtuple;
		bool		text_changed = !same_value(oldtup, newtup, desc, tc->textatt);
		bool		key_changed = false;
		int			m = -1;

		while (!key_changed && (m = bms_next_member(tc->pkatts, m)) >= 0)
			key_changed = !same_value(oldtup, newtup, desc, m + FirstLowInvalidHeapAttributeNumber);
		/* the usual case, our own write-back among them: nothing to do */
		if (!text_changed && !key_changed)
			return PointerGetDatum(newtup);
		SPI_connect();
		trigger_ready(tc, rel, fcinfo->flinfo->fn_mcxt);
		result = newtup;
		if (text_changed)
			result = without_embedding(newtup, desc, tc->embatt);
		if (key_changed || (text_changed && heap_attisnull(newtup, tc->textatt, desc)))
			dequeue(column_id, tuple_key(&tc->ki, oldtup, desc));
		if (!heap_attisnull(newtup, tc->textatt, desc))
			enqueue(column_id, tuple_key(&tc->ki, newtup, desc));
		SPI_finish();
		return PointerGetDatum(result);
	}

	SPI_connect();
	trigger_ready(tc, rel, fcinfo->flinfo->fn_mcxt);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		HeapTuple	tup = td->tg_trigtuple;

		result = without_embedding(tup, desc, tc->embatt);
		if (!heap_attisnull(tup, tc->textatt, desc))
			enqueue(column_id, tuple_key(&tc->ki, tup, desc));
	}
	else
	{
		result = td->tg_trigtuple;
		dequeue(column_id, tuple_key(&tc->ki, result, desc));
	}
	SPI_finish();
	return PointerGetDatum(result);
}

/* ------------------------------------------------------------ embed_column */

/* Queue the rows of a table that have a text (backfill), as the caller; returns how many. */
static int64
backfill(int column_id, Oid relid, const char *textcol, KeyInfo *ki)
{
	StringInfoData sql;
	Portal		cur;
	int64		total = 0;
	int			i;
	char	  **lits = palloc(sizeof(char *) * 10000);
	MemoryContext chunk = AllocSetContextCreate(CurrentMemoryContext, "marketiq backfill",
												ALLOCSET_DEFAULT_SIZES);
	FmgrInfo	arrout;

	fmgr_info(F_ARRAY_OUT, &arrout);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (i = 0; i < ki->npk; i++)
		appendStringInfo(&sql, "%s%s", i ? ", " : "",
						 quote_identifier(get_attname(relid, ki->att[i], false)));
	appendStringInfo(&sql, " FROM %s WHERE %s IS NOT NULL", mq_rel_name(relid), textcol);
	cur = SPI_cursor_open_with_args(NULL, sql.data, 0, NULL, NULL, NULL, true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		uint64		r;
		MemoryContext old;

		SPI_cursor_fetch(cur, true, 10000);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(chunk);
		for (r = 0; r < SPI_processed; r++)
		{
			Datum		values[INDEX_MAX_KEYS];

			for (i = 0; i < ki->npk; i++)
			{
				bool		isnull;

				values[i] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, i + 1, &isnull);
			}
			lits[r] = OutputFunctionCall(&arrout, make_key(ki, values));
		}
		{
			Oid			types[2] = {INT4OID, TEXTARRAYOID};
			Datum		vals[2] = {Int32GetDatum(column_id), text_array(lits, (int) SPI_processed)};
			uint64		n = SPI_processed;

			spi_exec_elevated("INSERT INTO marketiq.embedding_queue (column_id, key, enqueued_at, next_attempt_at) "
							  "SELECT $1, u.lit::pg_catalog.text[], pg_catalog.now(), pg_catalog.now() "
							  "FROM pg_catalog.unnest($2) u(lit) ON CONFLICT DO NOTHING",
							  2, types, vals, NULL, false, SPI_OK_INSERT);
			total += n;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(chunk);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cur);
	MemoryContextDelete(chunk);
	return total;
}

PG_FUNCTION_INFO_V1(mq_embed_column);

/* embed_column(tbl, text_col, embedding_col, provider, dims, batch_size) -> rows queued */
Datum
mq_embed_column(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *text_col;
	char	   *emb_col;
	int			provider;
	int			dims = 0;
	int			batch_size;
	Oid			texttype;
	char	   *textq;
	Relation	rel;
	KeyInfo		ki;
	char		relkind;
	int			column_id;
	StringInfoData sql;
	int			i;
	int64		queued;
	static const Oid text_types[] = {TEXTOID, VARCHAROID, BPCHAROID, InvalidOid};

	mq_check_not_null(PG_ARGISNULL(0), "tbl");
	mq_check_not_null(PG_ARGISNULL(1), "text_col");
	mq_check_not_null(PG_ARGISNULL(3), "provider");
	mq_check_not_null(PG_ARGISNULL(5), "batch_size");
	relid = PG_GETARG_OID(0);
	text_col = NameStr(*PG_GETARG_NAME(1));
	provider = mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(3)), "provider", provider_names);
	if (!PG_ARGISNULL(4))
	{
		dims = PG_GETARG_INT32(4);
		mq_check_int_range(dims, "dims", 1, MQ_EMBED_MAX_DIMS);
	}
	else if (provider == PROVIDER_BUILTIN)
		dims = MQ_EMBED_DEFAULT_DIMS;
	batch_size = PG_GETARG_INT32(5);
	mq_check_int_range(batch_size, "batch_size", 1, 2048);

	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not an ordinary table", mq_rel_name(relid)),
				 errhint(relkind == RELKIND_PARTITIONED_TABLE ?
						 "Partitioned tables are not supported: embed a column of each partition." :
						 "Embedding columns live in tables with a primary key.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	textq = mq_rel_column(relid, text_col, "text_col", &texttype);
	mq_check_column_type(texttype, text_types, text_col, "text_col", "text, varchar or char");
	if (PG_ARGISNULL(2))
		emb_col = psprintf("%s_embedding", text_col);
	else
		emb_col = pstrdup(NameStr(*PG_GETARG_NAME(2)));
	if (strlen(emb_col) >= NAMEDATALEN || emb_col[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("embedding column name \"%s\" must have 1 to %d bytes", emb_col, NAMEDATALEN - 1),
				 errhint("Name it with the embedding_col argument.")));
	if (SearchSysCacheExistsAttName(relid, emb_col))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("column \"%s\" already exists in %s", emb_col, mq_rel_name(relid)),
				 errhint("Choose another name with the embedding_col argument, or drop the column first.")));
	check_can_login(GetUserId());

	rel = table_open(relid, AccessShareLock);
	if (!primary_key(rel, &ki, CurrentMemoryContext))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				 errmsg("table %s has no primary key", mq_rel_name(relid)),
				 errdetail("The embedding queue identifies rows by their primary key."),
				 errhint("Add one: ALTER TABLE %s ADD PRIMARY KEY (...).", mq_rel_name(relid))));
	table_close(rel, AccessShareLock);

	SPI_connect();
	{
		Oid			types[5] = {OIDOID, TEXTOID, INT4OID, INT4OID, OIDOID};
		Datum		values[5] = {ObjectIdGetDatum(relid), CStringGetTextDatum(provider_names[provider]),
			Int32GetDatum(dims), Int32GetDatum(batch_size), ObjectIdGetDatum(GetUserId())};
		char		nulls[5] = {' ', ' ', dims ? ' ' : 'n', ' ', ' '};
		bool		isnull;

		spi_exec_elevated("INSERT INTO marketiq.embedding_columns (tbl, provider, dims, model_dims, batch_size, owner, created_at) "
						  "VALUES ($1::pg_catalog.regclass, $2, $3, CASE WHEN $2 = 'builtin' THEN $3 END, $4, "
						  "$5::pg_catalog.regrole, pg_catalog.now()) RETURNING id",
						  5, types, values, nulls, false, SPI_OK_INSERT_RETURNING);
		column_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}

	/* the column and the triggers, as the caller (the table's owner) */
	initStringInfo(&sql);
	appendStringInfo(&sql, "ALTER TABLE %s ADD COLUMN %s real[]", mq_rel_name(relid), quote_identifier(emb_col));
	spi_exec(sql.data, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
	resetStringInfo(&sql);
	appendStringInfo(&sql, "COMMENT ON COLUMN %s.%s IS %s", mq_rel_name(relid), quote_identifier(emb_col),
					 quote_literal_cstr(psprintf("embedding of %s (%s, %s), kept in sync by marketiq (embedding column %d)",
												 text_col, provider_names[provider],
												 dims ? psprintf("%d dimensions", dims) : "the model's dimensions",
												 column_id)));
	spi_exec(sql.data, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
	resetStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TRIGGER %s BEFORE INSERT OR UPDATE OF %s, %s",
					 quote_identifier(psprintf("marketiq_embed_%d", column_id)), textq, quote_identifier(emb_col));
	for (i = 0; i < ki.npk; i++)
	{
		char	   *k = get_attname(relid, ki.att[i], false);

		if (strcmp(k, text_col) != 0)
			appendStringInfo(&sql, ", %s", quote_identifier(k));
	}
	appendStringInfo(&sql, " OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION marketiq._embed_trigger('%d')",
					 mq_rel_name(relid), column_id);
	spi_exec(sql.data, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
	resetStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TRIGGER %s AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION marketiq._embed_trigger('%d')",
					 quote_identifier(psprintf("marketiq_embed_%d_truncate", column_id)), mq_rel_name(relid), column_id);
	spi_exec(sql.data, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);

	queued = backfill(column_id, relid, textq, &ki);
	SPI_finish();
	PG_RETURN_INT64(queued);
}

/* ------------------------------------------------------------ the processor */

/* An embedding column, resolved for processing. */
typedef struct Column
{
	int			id;
	Oid			relid;
	char	   *relname;		/* quoted, qualified */
	char	   *textcol;		/* quoted */
	char	   *embcol;			/* quoted */
	char	   *embname;		/* as named */
	int			provider;
	int			dims;			/* requested (0: the model's own) */
	int			model_dims;		/* fixed by the first vectors (0: not yet) */
	char	   *model;			/* model of the first vectors (NULL: not yet, or builtin) */
	int			batch_size;
	int			connect_failures;
	bool		paused;			/* waiting after connection failures or a Retry-After */
	char	   *sql_read;		/* texts of a batch */
	char	   *sql_lock;		/* lock the rows of a batch, with ctid and text */
	char	   *sql_exists;		/* which rows of a batch exist */
	char	   *sql_write;		/* write one vector by ctid */
} Column;

/* A row of a batch. */
typedef enum RowState
{
	ROW_PENDING,				/* claimed, not done */
	ROW_EMBEDDED,				/* vector (or NULL) ready */
	ROW_GONE,					/* the row was deleted, or its text is NULL */
	ROW_TOO_LONG				/* builtin: the text is over the limit */
} RowState;

typedef struct BatchRow
{
	char	   *lit;			/* key as a text[] literal */
	int			attempts;		/* attempts so far */
	char	   *text;			/* text embedded */
	int			len;
	RowState	state;
	float4	   *vec;			/* the vector, NULL for none */
} BatchRow;

/* One batch in flight. */
typedef struct Batch
{
	Column	   *col;
	int64		token;			/* our claim */
	int			n;
	BatchRow   *rows;
	int			vdims;			/* length of the vectors */
	/* outcome of embedding */
	MqHttpOutcome outcome;
	char	   *message;
	double		retry_after;
} Batch;

/* What a job has done so far. */
typedef struct JobState
{
	MqEmbedJobShared *job;
	int64		token;
	int64		rows;
	TimestampTz deadline;		/* 0: none */
	MqBuiltinScratch *scratch;
} JobState;

/* Build the join of a batch's key literals ($1, text[]) with the table. */
static void
append_key_join(StringInfo s, Relation rel, KeyInfo *ki)
{
	int			i;

	appendStringInfo(s, " FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY u(lit, i) JOIN %s t ON ",
					 mq_rel_name(RelationGetRelid(rel)));
	for (i = 0; i < ki->npk; i++)
		appendStringInfo(s, "%st.%s = (u.lit::pg_catalog.text[])[%d]::%s", i ? " AND " : "",
						 quote_identifier(get_attname(RelationGetRelid(rel), ki->att[i], false)),
						 i + 1, format_type_be_qualified(ki->typ[i]));
}

/*
 * Resolve an embedding column (as the owner): its registration, its trigger's
 * columns and the table's key.  NULL if it is gone (a dropped table or trigger).
 */
static Column *
resolve_column(int id, MemoryContext cxt)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(id)};
	Column	   *c;
	HeapTuple	tup;
	bool		isnull;
	Relation	rel;
	KeyInfo		ki;
	AttrNumber	textatt,
				embatt;
	StringInfoData s;
	MemoryContext old;

	spi_exec_elevated("SELECT c.tbl::pg_catalog.oid, c.provider, coalesce(c.dims, 0), coalesce(c.model_dims, 0), c.model, "
					  "c.batch_size, c.connect_failures, coalesce(c.paused_until > pg_catalog.now(), false), "
					  "t.tgattr[0], t.tgattr[1] "
					  "FROM marketiq.embedding_columns c JOIN pg_catalog.pg_trigger t ON t.tgrelid = c.tbl "
					  " AND t.tgname OPERATOR(pg_catalog.=) ('marketiq_embed_' OPERATOR(pg_catalog.||) c.id) "
					  "WHERE c.id = $1 AND t.tgattr[1] IS NOT NULL",
					  1, types, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed != 1)
		return NULL;
	tup = SPI_tuptable->vals[0];

	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(Column));
	c->id = id;
	c->relid = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
	c->provider = mq_check_choice(SPI_getvalue(tup, SPI_tuptable->tupdesc, 2), "provider", provider_names);
	c->dims = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
	c->model_dims = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 4, &isnull));
	c->model = SPI_getvalue(tup, SPI_tuptable->tupdesc, 5);
	c->batch_size = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 6, &isnull));
	c->connect_failures = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 7, &isnull));
	c->paused = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 8, &isnull));
	textatt = DatumGetInt16(SPI_getbinval(tup, SPI_tuptable->tupdesc, 9, &isnull));
	embatt = DatumGetInt16(SPI_getbinval(tup, SPI_tuptable->tupdesc, 10, &isnull));

	/* the trigger names the columns */
	c->relname = mq_rel_name(c->relid);
	c->textcol = pstrdup(quote_identifier(get_attname(c->relid, textatt, false)));
	c->embname = get_attname(c->relid, embatt, false);
	c->embcol = pstrdup(quote_identifier(c->embname));

	rel = table_open(c->relid, AccessShareLock);
	if (!primary_key(rel, &ki, cxt))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has no primary key any more", c->relname),
				 errhint("Add it back, or drop the embedding column with marketiq.drop_embedding_column().")));

	initStringInfo(&s);
	appendStringInfo(&s, "SELECT u.i, t.%s::pg_catalog.text", c->textcol);
	append_key_join(&s, rel, &ki);
	c->sql_read = pstrdup(s.data);

	resetStringInfo(&s);
	appendStringInfo(&s, "SELECT u.i, t.ctid, t.%s::pg_catalog.text", c->textcol);
	append_key_join(&s, rel, &ki);
	appendStringInfoString(&s, " FOR UPDATE OF t SKIP LOCKED");
	c->sql_lock = pstrdup(s.data);

	resetStringInfo(&s);
	appendStringInfoString(&s, "SELECT u.i");
	append_key_join(&s, rel, &ki);
	c->sql_exists = pstrdup(s.data);

	c->sql_write = psprintf("UPDATE %s SET %s = $1 WHERE ctid OPERATOR(pg_catalog.=) $2", c->relname, c->embcol);
	table_close(rel, AccessShareLock);
	MemoryContextSwitchTo(old);
	return c;
}

/* The key literals of a batch's rows in a state (all rows if state < 0), as a text[] Datum; sets *n. */
static Datum
batch_keys(Batch *b, int state, bool *which, int *n)
{
	char	  **lits = palloc(sizeof(char *) * Max(b->n, 1));
	int			i;

	*n = 0;
	for (i = 0; i < b->n; i++)
		if ((state < 0 || (int) b->rows[i].state == state) && (which == NULL || which[i]))
			lits[(*n)++] = b->rows[i].lit;
	return text_array(lits, *n);
}

/* Seconds a claim stays valid: after this a claim is taken to be abandoned. */
static int
claim_lease_seconds(void)
{
	return Max(600, 3 * (mq_openai_timeout / 1000 + 1));
}

/* T1: claim up to `want` due rows and read their texts (the caller runs this in a transaction). */
static void
claim_batch(Batch *b, int want, MemoryContext cxt)
{
	Column	   *c = b->col;
	Oid			types[4] = {INT4OID, INT8OID, INT4OID, INT4OID};
	Datum		values[4] = {Int32GetDatum(c->id), Int64GetDatum(b->token), Int32GetDatum(want),
		Int32GetDatum(claim_lease_seconds())};
	uint64		i;
	MemoryContext old;

	spi_exec_elevated("UPDATE marketiq.embedding_queue q SET claimed_by = $2, claimed_at = pg_catalog.now() "
					  "FROM (SELECT column_id, key FROM marketiq.embedding_queue "
					  "      WHERE column_id = $1 AND NOT failed AND next_attempt_at <= pg_catalog.now() "
					  "        AND (claimed_by IS NULL OR claimed_at < pg_catalog.now() - pg_catalog.make_interval(secs => $4)) "
					  "      ORDER BY next_attempt_at, enqueued_at LIMIT $3 FOR UPDATE SKIP LOCKED) d "
					  "WHERE q.column_id = d.column_id AND q.key OPERATOR(pg_catalog.=) d.key "
					  "RETURNING q.key::pg_catalog.text, q.attempts",
					  4, types, values, NULL, false, SPI_OK_UPDATE_RETURNING);
	old = MemoryContextSwitchTo(cxt);
	b->n = (int) SPI_processed;
	b->rows = palloc0(sizeof(BatchRow) * Max(b->n, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		b->rows[i].lit = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		b->rows[i].attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		b->rows[i].state = ROW_GONE;	/* until its text is read */
	}
	MemoryContextSwitchTo(old);
	if (b->n == 0)
		return;

	/* the texts, as the owner */
	{
		Oid			t1[1] = {TEXTARRAYOID};
		int			nk;
		Datum		v1[1] = {batch_keys(b, -1, NULL, &nk)};

		spi_exec(c->sql_read, 1, t1, v1, NULL, false, SPI_OK_SELECT);
		old = MemoryContextSwitchTo(cxt);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			int64		k = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)) - 1;
			Datum		t = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

			if (k < 0 || k >= b->n || isnull)
				continue;
			t = PointerGetDatum(PG_DETOAST_DATUM_COPY(t));
			b->rows[k].text = VARDATA_ANY(DatumGetPointer(t));
			b->rows[k].len = VARSIZE_ANY_EXHDR(DatumGetPointer(t));
			b->rows[k].state = ROW_PENDING;
		}
		MemoryContextSwitchTo(old);
	}
}

/* Is a text empty or only whitespace (never sent to a service)? */
static bool
blank_text(const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
		if (!(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
			return false;
	return true;
}

/* T2: embed the pending rows of a batch; sets b->outcome. */
static void
embed_batch(JobState *js, Batch *b, MemoryContext cxt)
{
	Column	   *c = b->col;
	int			i;

	b->outcome = MQ_HTTP_OK;
	if (c->provider == PROVIDER_BUILTIN)
	{
		b->vdims = c->dims;
		for (i = 0; i < b->n; i++)
		{
			BatchRow   *r = &b->rows[i];

			if (r->state != ROW_PENDING)
				continue;
			if (r->len > MQ_EMBED_MAX_TEXT_BYTES)
			{
				r->state = ROW_TOO_LONG;
				continue;
			}
			r->vec = MemoryContextAlloc(cxt, sizeof(float4) * c->dims);
			if (mq_builtin_embed(js->scratch, r->text, r->len, c->dims, r->vec) == 0)
				r->vec = NULL;
			r->state = ROW_EMBEDDED;
		}
		return;
	}

	/* openai: one request for the rows with a text that is not blank */
	{
		const char **texts = palloc(sizeof(char *) * b->n);
		int		   *lens = palloc(sizeof(int) * b->n);
		int		   *at = palloc(sizeof(int) * b->n);
		int			m = 0;
		MqHttpResult res;
		int			want = c->dims ? c->dims : c->model_dims;

		for (i = 0; i < b->n; i++)
		{
			BatchRow   *r = &b->rows[i];

			if (r->state != ROW_PENDING)
				continue;
			if (blank_text(r->text, r->len))
			{
				r->vec = NULL;
				r->state = ROW_EMBEDDED;
				continue;
			}
			texts[m] = r->text;
			lens[m] = r->len;
			at[m++] = i;
		}
		if (m == 0)
			return;
		if (c->model && strcmp(c->model, mq_openai_model) != 0)
		{
			b->outcome = MQ_HTTP_FAIL;
			b->message = psprintf("the column was embedded with model \"%s\" but marketiq.openai_model is \"%s\": "
								  "vectors of two models cannot be mixed (set the model back, or drop and re-create the column)",
								  c->model, mq_openai_model);
			return;
		}
		mq_openai_embed(texts, lens, m, c->dims, &res);
		b->outcome = res.outcome;
		b->message = res.message;
		b->retry_after = res.retry_after;
		if (res.outcome != MQ_HTTP_OK)
			return;
		if (want > 0 && res.dims != want)
		{
			b->outcome = MQ_HTTP_FAIL;
			b->message = psprintf("the service returned vectors of %d dimensions; the column's have %d", res.dims, want);
			return;
		}
		b->vdims = res.dims;
		for (i = 0; i < m; i++)
		{
			b->rows[at[i]].vec = res.vectors[i];
			b->rows[at[i]].state = ROW_EMBEDDED;
		}
	}
}

/*
 * Add a row to embedding_errors for the rows with these keys (text[] of key
 * literals; shown as one value each, or as an array for keys of several
 * columns); attempt 0 means no attempt (NULL).  Keeps the last ERRORS_KEPT.
 */
static void
log_error(Column *c, Datum keys, int attempt, const char *msg)
{
	Oid			t5[5] = {INT4OID, TEXTARRAYOID, INT4OID, TEXTOID, TEXTOID};
	Datum		v5[5] = {Int32GetDatum(c->id), keys, Int32GetDatum(attempt), CStringGetTextDatum(msg),
		CStringGetTextDatum(c->embname)};
	char		n5[5] = {' ', ' ', attempt > 0 ? ' ' : 'n', ' ', ' '};

	spi_exec_elevated("INSERT INTO marketiq.embedding_errors (column_id, \"time\", tbl, embedding_col, keys, attempt, message, owner) "
					  "SELECT c.id, pg_catalog.clock_timestamp(), c.tbl, $5, "
					  "(SELECT pg_catalog.array_agg(CASE WHEN pg_catalog.cardinality(k.k) = 1 THEN k.k[1] ELSE k.k::pg_catalog.text END ORDER BY k.i) "
					  " FROM pg_catalog.unnest($2) WITH ORDINALITY u(lit, i), LATERAL (SELECT u.lit::pg_catalog.text[] AS k, u.i) k), "
					  "$3, $4, c.owner FROM marketiq.embedding_columns c WHERE c.id = $1",
					  5, t5, v5, n5, false, SPI_OK_INSERT);
	spi_exec_elevated("DELETE FROM marketiq.embedding_errors WHERE column_id = $1 AND id <= "
					  "(SELECT id FROM marketiq.embedding_errors WHERE column_id = $1 ORDER BY id DESC OFFSET " CppAsString2(ERRORS_KEPT) " LIMIT 1)",
					  1, t5, v5, NULL, false, SPI_OK_DELETE);
}

/* Record a failed batch: an attempt with backoff (or a pause without one), an error row, released claims. */
static void
record_failure(Batch *b, MqHttpOutcome outcome, const char *message, double retry_after)
{
	Column	   *c = b->col;
	int			nk;
	Datum		keys = batch_keys(b, -1, NULL, &nk);
	int			maxatt = 0;
	int			i;
	char	   *msg = pstrdup(message ? message : "unknown error");

	for (i = 0; i < b->n; i++)
		maxatt = Max(maxatt, b->rows[i].attempts);

	if (outcome == MQ_HTTP_CONNECT)
	{
		/* not an attempt: the rows stay pending; the column waits with the capped backoff */
		double		wait = Max(mq_embed_backoff(c->connect_failures + 1), retry_after);
		Oid			t3[3] = {INT4OID, INT8OID, TEXTARRAYOID};
		Datum		v3[3] = {Int32GetDatum(c->id), Int64GetDatum(b->token), keys};
		Oid			t4[4] = {INT4OID, TEXTOID, FLOAT8OID, BOOLOID};
		Datum		v4[4] = {Int32GetDatum(c->id), CStringGetTextDatum(msg), Float8GetDatum(wait), BoolGetDatum(true)};

		spi_exec_elevated("UPDATE marketiq.embedding_queue q SET claimed_by = NULL, claimed_at = NULL "
						  "FROM pg_catalog.unnest($3) u(lit) WHERE q.column_id = $1 "
						  "AND q.key OPERATOR(pg_catalog.=) u.lit::pg_catalog.text[] AND q.claimed_by = $2",
						  3, t3, v3, NULL, false, SPI_OK_UPDATE);
		spi_exec_elevated("UPDATE marketiq.embedding_columns SET last_error = $2, last_error_at = pg_catalog.now(), "
						  "connect_failures = connect_failures + CASE WHEN $4 THEN 1 ELSE 0 END, "
						  "paused_until = pg_catalog.now() + pg_catalog.make_interval(secs => $3) WHERE id = $1",
						  4, t4, v4, NULL, false, SPI_OK_UPDATE);
		maxatt = -1;			/* no attempt */
	}
	else
	{
		double		wait = Max(mq_embed_backoff(maxatt + 1), retry_after);
		Oid			t6[6] = {INT4OID, INT8OID, TEXTARRAYOID, INT4OID, FLOAT8OID, TEXTOID};
		Datum		v6[6] = {Int32GetDatum(c->id), Int64GetDatum(b->token), keys,
			Int32GetDatum(mq_embedding_max_attempts), Float8GetDatum(wait), CStringGetTextDatum(msg)};
		Oid			t3[3] = {INT4OID, TEXTOID, FLOAT8OID};
		Datum		v3[3] = {Int32GetDatum(c->id), CStringGetTextDatum(msg), Float8GetDatum(retry_after)};

		spi_exec_elevated("UPDATE marketiq.embedding_queue q SET attempts = q.attempts + 1, "
						  "failed = q.attempts + 1 >= $4, "
						  "next_attempt_at = pg_catalog.now() + pg_catalog.make_interval(secs => $5), "
						  "last_error = $6, claimed_by = NULL, claimed_at = NULL "
						  "FROM pg_catalog.unnest($3) u(lit) WHERE q.column_id = $1 "
						  "AND q.key OPERATOR(pg_catalog.=) u.lit::pg_catalog.text[] AND q.claimed_by = $2",
						  6, t6, v6, NULL, false, SPI_OK_UPDATE);
		/* a Retry-After concerns the whole service: the column waits too */
		spi_exec_elevated("UPDATE marketiq.embedding_columns SET last_error = $2, last_error_at = pg_catalog.now(), "
						  "paused_until = CASE WHEN $3 > 0 THEN pg_catalog.now() + pg_catalog.make_interval(secs => $3) END "
						  "WHERE id = $1",
						  3, t3, v3, NULL, false, SPI_OK_UPDATE);
	}

	log_error(c, keys, maxatt < 0 ? 0 : maxatt + 1, msg);
}

/* T3: write the vectors of rows whose text is unchanged, finish their queue rows; returns rows written. */
static int
write_batch(Batch *b)
{
	Column	   *c = b->col;
	bool	   *locked = palloc0(sizeof(bool) * b->n);
	bool	   *ours = palloc0(sizeof(bool) * b->n);
	bool	   *exists = palloc0(sizeof(bool) * b->n);
	ItemPointerData *ctid = palloc0(sizeof(ItemPointerData) * b->n);
	bool	   *fresh = palloc0(sizeof(bool) * b->n);
	bool	   *finish = palloc0(sizeof(bool) * b->n);
	bool	   *release = palloc0(sizeof(bool) * b->n);
	bool	   *toolong = palloc0(sizeof(bool) * b->n);
	Oid			t1[1] = {TEXTARRAYOID};
	int			nk;
	Datum		v1[1] = {batch_keys(b, -1, NULL, &nk)};
	uint64		i;
	int			written = 0;
	SPIPlanPtr	wplan;

	/* the column must still be there (drop_embedding_column locks it first) */
	{
		Oid			t[1] = {INT4OID};
		Datum		v[1] = {Int32GetDatum(c->id)};

		spi_exec_elevated("SELECT 1 FROM marketiq.embedding_columns WHERE id = $1 FOR SHARE", 1, t, v, NULL, false, SPI_OK_SELECT);
		if (SPI_processed != 1)
			return 0;
	}

	/* table rows first (the trigger's order), never waiting for one */
	spi_exec(c->sql_lock, 1, t1, v1, NULL, false, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)) - 1;
		ItemPointer tid = (ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		Datum		t = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull);
		BatchRow   *r;

		if (k < 0 || k >= b->n)
			continue;
		r = &b->rows[k];
		locked[k] = exists[k] = true;
		ctid[k] = *tid;
		if (!isnull && r->text != NULL)
		{
			text	   *cur = DatumGetTextPP(t);

			fresh[k] = VARSIZE_ANY_EXHDR(cur) == r->len && memcmp(VARDATA_ANY(cur), r->text, r->len) == 0;
		}
	}
	/* rows not locked: gone, or being written by someone else */
	spi_exec(c->sql_exists, 1, t1, v1, NULL, false, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)) - 1;

		if (k >= 0 && k < b->n)
			exists[k] = true;
	}

	/* then our queue rows */
	{
		Oid			t3[3] = {INT4OID, TEXTARRAYOID, INT8OID};
		Datum		v3[3] = {Int32GetDatum(c->id), v1[0], Int64GetDatum(b->token)};

		spi_exec_elevated("SELECT u.i FROM pg_catalog.unnest($2) WITH ORDINALITY u(lit, i) "
						  "JOIN marketiq.embedding_queue q ON q.column_id = $1 AND q.key OPERATOR(pg_catalog.=) u.lit::pg_catalog.text[] "
						  "WHERE q.claimed_by = $3 FOR UPDATE OF q",
						  3, t3, v3, NULL, false, SPI_OK_SELECT);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			int64		k = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)) - 1;

			if (k >= 0 && k < b->n)
				ours[k] = true;
		}
	}

	/* decide, and write */
	wplan = SPI_prepare(c->sql_write, 2, (Oid[]) {FLOAT4ARRAYOID, TIDOID});
	if (wplan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	for (i = 0; i < (uint64) b->n; i++)
	{
		BatchRow   *r = &b->rows[i];

		if (!ours[i])
			continue;			/* our claim was released or taken over: not ours to write */
		if (!exists[i] || (locked[i] && r->text == NULL))
		{
			finish[i] = true;	/* the row is gone, or its text is NULL (the trigger cleared it) */
			continue;
		}
		if (!locked[i] || !fresh[i])
		{
			release[i] = true;	/* locked by someone else, or its text changed: later */
			continue;
		}
		if (r->state == ROW_TOO_LONG)
		{
			toolong[i] = true;
			continue;
		}
		if (r->state != ROW_EMBEDDED)
		{
			release[i] = true;
			continue;
		}
		if (r->vec != NULL)
		{
			ArrayType  *a;
			Datum		d[2];
			char		n[2] = {' ', ' '};
			Size		bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float4) * (Size) b->vdims;

			a = palloc(bytes);
			SET_VARSIZE(a, bytes);
			a->ndim = 1;
			a->dataoffset = 0;
			a->elemtype = FLOAT4OID;
			ARR_DIMS(a)[0] = b->vdims;
			ARR_LBOUND(a)[0] = 1;
			memcpy(ARR_DATA_PTR(a), r->vec, sizeof(float4) * b->vdims);
			d[0] = PointerGetDatum(a);
			d[1] = PointerGetDatum(&ctid[i]);
			if (SPI_execute_plan(wplan, d, n, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not write an embedding");
			pfree(a);
		}
		/* a NULL vector (featureless text) is already NULL: the trigger cleared it */
		finish[i] = true;
		written++;
	}
	SPI_freeplan(wplan);

	/* finish, release, fail */
	{
		Oid			t4[4] = {INT4OID, INT8OID, TEXTARRAYOID, TEXTOID};
		Datum		v4[4];
		int			nf;

		v4[0] = Int32GetDatum(c->id);
		v4[1] = Int64GetDatum(b->token);
		v4[2] = batch_keys(b, -1, finish, &nf);
		if (nf > 0)
			spi_exec_elevated("DELETE FROM marketiq.embedding_queue q USING pg_catalog.unnest($3) u(lit) "
							  "WHERE q.column_id = $1 AND q.key OPERATOR(pg_catalog.=) u.lit::pg_catalog.text[] AND q.claimed_by = $2",
							  3, t4, v4, NULL, false, SPI_OK_DELETE);
		v4[2] = batch_keys(b, -1, release, &nf);
		if (nf > 0)
			spi_exec_elevated("UPDATE marketiq.embedding_queue q SET claimed_by = NULL, claimed_at = NULL "
							  "FROM pg_catalog.unnest($3) u(lit) "
							  "WHERE q.column_id = $1 AND q.key OPERATOR(pg_catalog.=) u.lit::pg_catalog.text[] AND q.claimed_by = $2",
							  3, t4, v4, NULL, false, SPI_OK_UPDATE);
		v4[2] = batch_keys(b, -1, toolong, &nf);
		if (nf > 0)
		{
			v4[3] = CStringGetTextDatum(psprintf("text too long for the builtin embedder (more than %d bytes)",
												 MQ_EMBED_MAX_TEXT_BYTES));
			spi_exec_elevated("UPDATE marketiq.embedding_queue q SET attempts = q.attempts + 1, failed = true, "
							  "last_error = $4, claimed_by = NULL, claimed_at = NULL FROM pg_catalog.unnest($3) u(lit) "
							  "WHERE q.column_id = $1 AND q.key OPERATOR(pg_catalog.=) u.lit::pg_catalog.text[] AND q.claimed_by = $2",
							  4, t4, v4, NULL, false, SPI_OK_UPDATE);
			{
				int			att = 0;

				for (i = 0; i < (uint64) b->n; i++)
					if (toolong[i])
						att = Max(att, b->rows[i].attempts + 1);
				log_error(c, v4[2], att, TextDatumGetCString(v4[3]));
			}
			{
				Oid			t2[2] = {INT4OID, TEXTOID};
				Datum		v2[2] = {v4[0], v4[3]};

				spi_exec_elevated("UPDATE marketiq.embedding_columns SET last_error = $2, last_error_at = pg_catalog.now() WHERE id = $1",
								  2, t2, v2, NULL, false, SPI_OK_UPDATE);
			}
		}
	}
	{
		Oid			t3[3] = {INT4OID, INT4OID, TEXTOID};
		Datum		v3[3] = {Int32GetDatum(c->id), Int32GetDatum(b->vdims),
			CStringGetTextDatum(c->provider == PROVIDER_OPENAI ? mq_openai_model : "")};
		char		n3[3] = {' ', b->vdims > 0 ? ' ' : 'n', c->provider == PROVIDER_OPENAI ? ' ' : 'n'};

		spi_exec_elevated("UPDATE marketiq.embedding_columns SET last_success = pg_catalog.now(), connect_failures = 0, "
						  "paused_until = NULL, model_dims = coalesce(model_dims, $2), model = coalesce(model, $3) WHERE id = $1",
						  3, t3, v3, n3, false, SPI_OK_UPDATE);
		if (b->vdims > 0)
			c->model_dims = b->vdims;
		if (c->provider == PROVIDER_OPENAI && c->model == NULL)
			c->model = MemoryContextStrdup(GetMemoryChunkContext(c), mq_openai_model);
	}
	return written;
}

/* How a step in its own transaction ended. */
typedef void (*StepFn) (void *arg);

/*
 * Run fn(arg) in a transaction of its own with SPI and a snapshot; on ERROR,
 * roll back and return the error (copied into cxt).
 */
static ErrorData *
run_step(StepFn fn, void *arg, MemoryContext cxt)
{
	ErrorData  *edata = NULL;

	start_xact();
	PG_TRY();
	{
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		fn(arg);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return edata;
}

/* Arguments of the steps. */
typedef struct StepArgs
{
	JobState   *js;
	Batch	   *b;
	int			id;
	int			want;
	MemoryContext cxt;
	Column	   *col;			/* resolve: result */
	int			written;		/* write: result */
	MqHttpOutcome outcome;		/* failure: what to record */
	const char *message;
	double		retry_after;
	List	   *ids;			/* list: result */
} StepArgs;

static void
step_resolve(void *arg)
{
	StepArgs   *a = arg;

	a->col = resolve_column(a->id, a->cxt);
}

static void
step_claim(void *arg)
{
	StepArgs   *a = arg;

	claim_batch(a->b, a->want, a->cxt);
}

static void
step_embed(void *arg)
{
	StepArgs   *a = arg;
	MemoryContext old = MemoryContextSwitchTo(a->cxt);

	/* vectors and libcurl objects live in the batch context, not the transaction's */
	embed_batch(a->js, a->b, a->cxt);
	MemoryContextSwitchTo(old);
}

static void
step_write(void *arg)
{
	StepArgs   *a = arg;

	a->written = write_batch(a->b);
}

static void
step_fail(void *arg)
{
	StepArgs   *a = arg;

	record_failure(a->b, a->outcome, a->message, a->retry_after);
}

/* Record an error that is not about a batch (the column cannot be processed at all). */
static void
step_column_error(void *arg)
{
	StepArgs   *a = arg;
	Oid			t[2] = {INT4OID, TEXTOID};
	Datum		v[2] = {Int32GetDatum(a->id), CStringGetTextDatum(a->message)};

	spi_exec_elevated("UPDATE marketiq.embedding_columns SET last_error = $2, last_error_at = pg_catalog.now() WHERE id = $1",
					  2, t, v, NULL, false, SPI_OK_UPDATE);
}

/* The owner's embedding columns with due rows. */
static void
step_list(void *arg)
{
	StepArgs   *a = arg;
	Oid			t[1] = {OIDOID};
	Datum		v[1] = {ObjectIdGetDatum(a->js->job->owner)};
	uint64		i;

	spi_exec_elevated("SELECT c.id FROM marketiq.embedding_columns c WHERE c.owner = $1::pg_catalog.regrole "
					  "AND (c.paused_until IS NULL OR c.paused_until <= pg_catalog.now()) "
					  "AND EXISTS (SELECT 1 FROM marketiq.embedding_queue q WHERE q.column_id = c.id AND NOT q.failed "
					  "AND q.next_attempt_at <= pg_catalog.now()) ORDER BY c.id",
					  1, t, v, NULL, false, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(a->cxt);

		a->ids = lappend_int(a->ids, DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));
		MemoryContextSwitchTo(old);
	}
}

/* Note an error in the job's outcome. */
static void
job_error(JobState *js, const char *what, const char *message)
{
	js->job->errors++;
	if (js->job->message[0] == '\0')
		snprintf(js->job->message, sizeof(js->job->message), "%s: %s", what, message);
}

/* Has the job reached one of its limits? */
static bool
job_limit_reached(JobState *js)
{
	if (js->job->max_rows > 0 && js->rows >= js->job->max_rows)
		return true;
	if (js->deadline != 0 && GetCurrentTimestamp() >= js->deadline)
		return true;
	return false;
}

/* Process the due rows of one column until none are left, a batch fails, or a limit is reached. */
static void
process_column(JobState *js, int id, MemoryContext jobcxt)
{
	MemoryContext colcxt = AllocSetContextCreate(jobcxt, "marketiq embedding column", ALLOCSET_DEFAULT_SIZES);
	MemoryContext batchcxt = AllocSetContextCreate(colcxt, "marketiq embedding batch", ALLOCSET_DEFAULT_SIZES);
	StepArgs	a;
	ErrorData  *e;
	Column	   *c;

	memset(&a, 0, sizeof(a));
	a.js = js;
	a.id = id;
	a.cxt = colcxt;
	MemoryContextSwitchTo(colcxt);
	e = run_step(step_resolve, &a, colcxt);
	if (e != NULL)
	{
		a.message = e->message;
		(void) run_step(step_column_error, &a, colcxt);
		job_error(js, psprintf("embedding column %d", id), e->message);
		goto done;
	}
	c = a.col;
	if (c == NULL || c->paused)
		goto done;
	pgstat_report_activity(STATE_RUNNING, psprintf("marketiq: embedding %s.%s", c->relname, c->textcol));

	for (;;)
	{
		Batch		b;
		int			want = c->batch_size;

		CHECK_FOR_INTERRUPTS();
		if (job_limit_reached(js))
		{
			js->job->more = true;
			break;
		}
		if (js->job->max_rows > 0)
			want = (int) Min((int64) want, js->job->max_rows - js->rows);
		MemoryContextReset(batchcxt);
		MemoryContextSwitchTo(batchcxt);
		memset(&b, 0, sizeof(b));
		b.col = c;
		b.token = js->token;
		a.b = &b;
		a.want = want;
		a.cxt = batchcxt;

		/* T1 */
		e = run_step(step_claim, &a, batchcxt);
		if (e != NULL)
		{
			a.id = c->id;
			a.message = e->message;
			(void) run_step(step_column_error, &a, batchcxt);
			job_error(js, c->relname, e->message);
			break;
		}
		if (b.n == 0)
			break;

		/* T2 (in a transaction that holds no locks, for the key file and clean-up on ERROR) */
		e = run_step(step_embed, &a, batchcxt);
		if (e != NULL)
		{
			b.outcome = MQ_HTTP_FAIL;
			b.message = e->message;
		}
		if (b.outcome != MQ_HTTP_OK)
		{
			a.outcome = b.outcome;
			a.message = b.message;
			a.retry_after = b.retry_after;
			e = run_step(step_fail, &a, batchcxt);
			job_error(js, c->relname, b.message ? b.message : "embedding failed");
			if (e != NULL)
				job_error(js, c->relname, e->message);
			break;				/* do not hammer a failing service: this column waits */
		}

		/* T3 */
		e = run_step(step_write, &a, batchcxt);
		if (e != NULL)
		{
			a.outcome = MQ_HTTP_FAIL;
			a.message = e->message;
			a.retry_after = 0;
			(void) run_step(step_fail, &a, batchcxt);
			job_error(js, c->relname, e->message);
			break;
		}
		js->rows += a.written;
		js->job->rows = js->rows;
	}
done:
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(jobcxt);
	MemoryContextDelete(colcxt);
}

/* A job: every column of the owner, until done or a limit. */
static void
process_owner(MqEmbedJobShared *job)
{
	MemoryContext jobcxt = CurrentMemoryContext;
	JobState	js;
	StepArgs	a;
	ErrorData  *e;
	ListCell   *lc;

	memset(&js, 0, sizeof(js));
	js.job = job;
	js.scratch = mq_builtin_scratch(jobcxt);
	if (job->max_seconds > 0)
		js.deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), job->max_seconds * 1000);

	/* a token to claim rows with: unique for ever */
	{
		start_xact();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		spi_exec_elevated("SELECT pg_catalog.nextval('marketiq.embedding_claim_seq')", 0, NULL, NULL, NULL, false, SPI_OK_SELECT);
		{
			bool		isnull;

			js.token = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		MemoryContextSwitchTo(jobcxt);
	}

	memset(&a, 0, sizeof(a));
	a.js = &js;
	a.cxt = jobcxt;
	e = run_step(step_list, &a, jobcxt);
	if (e != NULL)
	{
		job_error(&js, "listing embedding columns", e->message);
		return;
	}
	foreach(lc, a.ids)
	{
		if (job_limit_reached(&js))
		{
			job->more = true;
			break;
		}
		process_column(&js, lfirst_int(lc), jobcxt);
	}
	job->rows = js.rows;
}

/* Apply the settings the caller passed (they were set legitimately in its session). */
static void
apply_settings(MqEmbedSettings *s)
{
	char		buf[32];

	if (!s->valid)
		return;
	(void) set_config_option("marketiq.openai_base_url", s->base_url, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	(void) set_config_option("marketiq.openai_model", s->model, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	(void) set_config_option("marketiq.openai_api_key_file", s->api_key_file, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	snprintf(buf, sizeof(buf), "%d", s->connect_timeout);
	(void) set_config_option("marketiq.openai_connect_timeout", buf, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	snprintf(buf, sizeof(buf), "%d", s->timeout);
	(void) set_config_option("marketiq.openai_timeout", buf, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	snprintf(buf, sizeof(buf), "%d", s->max_backoff);
	(void) set_config_option("marketiq.embedding_max_backoff", buf, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	snprintf(buf, sizeof(buf), "%d", s->max_attempts);
	(void) set_config_option("marketiq.embedding_max_attempts", buf, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
}

/* Entry point of an embedding job worker. */
void
mq_embed_job_main(Datum arg)
{
	dsm_segment *seg = mq_bgworker_attach(arg, "marketiq embed");
	MqEmbedJobShared *job = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(job->dboid, job->owner, 0);
	CurrentMemoryContext = AllocSetContextCreate(TopMemoryContext, "marketiq embed job", ALLOCSET_DEFAULT_SIZES);
	apply_settings(&job->settings);
	process_owner(job);
	job->done = true;
	dsm_detach(seg);
	proc_exit(0);
}

/* Run an embedding job as `owner` and wait for it. */
bool
mq_run_embed_job(Oid owner, int64 max_rows, int max_seconds, bool pass_settings, MqEmbedJobShared *out)
{
	dsm_segment *seg;
	MqEmbedJobShared *job;
	BackgroundWorkerHandle *handle;

	seg = dsm_create(sizeof(MqEmbedJobShared), 0);
	job = dsm_segment_address(seg);
	memset(job, 0, sizeof(MqEmbedJobShared));
	job->dboid = MyDatabaseId;
	job->owner = owner;
	job->max_rows = max_rows;
	job->max_seconds = max_seconds;
	if (pass_settings)
	{
		MqEmbedSettings *s = &job->settings;

		s->valid = true;
		strlcpy(s->base_url, mq_openai_base_url ? mq_openai_base_url : "", sizeof(s->base_url));
		strlcpy(s->model, mq_openai_model ? mq_openai_model : "", sizeof(s->model));
		strlcpy(s->api_key_file, mq_openai_api_key_file ? mq_openai_api_key_file : "", sizeof(s->api_key_file));
		s->connect_timeout = mq_openai_connect_timeout;
		s->timeout = mq_openai_timeout;
		s->max_backoff = mq_embedding_max_backoff;
		s->max_attempts = mq_embedding_max_attempts;
	}

	handle = mq_start_bgworker("mq_embed_job_main", "marketiq embed", "marketiq embed",
							   UInt32GetDatum(dsm_segment_handle(seg)), NULL);
	if (handle == NULL)
	{
		dsm_detach(seg);
		return false;
	}
	/* if the caller is cancelled, the job stops too (its claims are released later) */
	mq_wait_bgworker(handle, "embedding worker");
	memcpy(out, job, sizeof(MqEmbedJobShared));
	dsm_detach(seg);
	return true;
}

/*
 * Forget the registrations whose table or trigger is gone (DROP TABLE, DROP
 * COLUMN ... CASCADE), with their queue and errors.  Run elevated.
 */
static void
cleanup_orphans(void)
{
	if (SPI_execute("WITH gone AS (SELECT c.id FROM marketiq.embedding_columns c WHERE NOT EXISTS "
					" (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.tbl "
					"  AND t.tgname OPERATOR(pg_catalog.=) ('marketiq_embed_' OPERATOR(pg_catalog.||) c.id))), "
					"q AS (DELETE FROM marketiq.embedding_queue WHERE column_id IN (SELECT id FROM gone)), "
					"r AS (DELETE FROM marketiq.embedding_errors WHERE column_id IN (SELECT id FROM gone)) "
					"DELETE FROM marketiq.embedding_columns WHERE id IN (SELECT id FROM gone)",
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not clean up embedding columns");
}

/* ------------------------------------------------------------ process_embeddings */

PG_FUNCTION_INFO_V1(mq_process_embeddings);

/* process_embeddings(max_rows) -> rows embedded */
Datum
mq_process_embeddings(PG_FUNCTION_ARGS)
{
	int64		max_rows = 0;
	int64		total = 0;
	List	   *owners = NIL;
	ListCell   *lc;
	uint64		i;

	if (!PG_ARGISNULL(0))
	{
		max_rows = PG_GETARG_INT32(0);
		mq_check_int_range(max_rows, "max_rows", 1, PG_INT32_MAX);
	}

	SPI_connect();
	{
		MqElevation e;

		mq_elevate(&e);
		cleanup_orphans();
		mq_unelevate(&e);
	}
	/* the owners of the columns the caller can see (row level security) with due rows */
	spi_exec("SELECT c.owner::pg_catalog.oid FROM marketiq.embedding_columns c "
			 "WHERE (c.paused_until IS NULL OR c.paused_until <= pg_catalog.now()) "
			 "AND EXISTS (SELECT 1 FROM marketiq.embedding_queue q WHERE q.column_id = c.id AND NOT q.failed "
			 "AND q.next_attempt_at <= pg_catalog.now()) GROUP BY 1 ORDER BY 1",
			 0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(CurTransactionContext);

		owners = lappend_oid(owners, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();

	foreach(lc, owners)
	{
		Oid			owner = lfirst_oid(lc);
		MqEmbedJobShared out;

		if (max_rows > 0 && total >= max_rows)
			break;
		if (!role_can_login(owner))
		{
			ereport(WARNING,
					(errmsg("the embedding columns of role %s are skipped: it cannot log in",
							role_name(owner)),
					 errdetail("Embeddings are computed in a background worker connected as the column's owner."),
					 errhint("ALTER ROLE %s LOGIN.", quote_identifier(role_name(owner)))));
			continue;
		}
		if (!mq_run_embed_job(owner, max_rows > 0 ? max_rows - total : 0, 0, true, &out))
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("could not start a marketiq embedding worker"),
					 errhint("Raise max_worker_processes: each run takes a background worker slot.")));
		if (!out.done)
			ereport(WARNING,
					(errmsg("the embedding worker of role %s exited without a result", role_name(owner)),
					 errhint("See the server log.")));
		else if (out.errors > 0)
			ereport(WARNING,
					(errmsg("embedding failed for %d batch%s of role %s: %s", out.errors, out.errors == 1 ? "" : "es",
							role_name(owner), out.message),
					 errhint("See marketiq.embedding_status and marketiq.embedding_errors.")));
		total += out.rows;
	}
	PG_RETURN_INT32((int32) Min(total, (int64) PG_INT32_MAX));
}

/* ------------------------------------------------------------ the database worker's pass */

/* Does the database have this version's embedding tables? (an older extension version has not) */
static bool
embedding_tables_exist(void)
{
	Oid			nsp = get_namespace_oid("marketiq", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("embedding_columns", nsp)) &&
		OidIsValid(get_relname_relid("embedding_claim_seq", nsp));
}

/* One pass of the database worker over the embedding columns. */
bool
mq_embed_worker_pass(bool first)
{
	List	   *owners = NIL;
	List	   *nologin = NIL;
	ListCell   *lc;
	bool		more = false;
	MemoryContext cxt = CurrentMemoryContext;

	start_xact();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "marketiq: looking for due embeddings");
	if (embedding_tables_exist())
	{
		MqElevation e;
		uint64		i;

		mq_elevate(&e);
		if (first)
		{
			/*
			 * After a start (a crash, a restart, or a new worker) release every
			 * claim: a live processor whose claim is released notices it when it
			 * writes and leaves the row to others, so this is always safe.
			 */
			if (SPI_execute("UPDATE marketiq.embedding_queue SET claimed_by = NULL, claimed_at = NULL "
							"WHERE claimed_by IS NOT NULL", false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not release embedding claims");
			if (SPI_processed > 0)
				ereport(LOG,
						(errmsg("marketiq worker: released the claims on %lu queued embeddings",
								(unsigned long) SPI_processed)));
		}
		cleanup_orphans();
		if (SPI_execute("SELECT c.owner::pg_catalog.oid, r.rolcanlogin FROM marketiq.embedding_columns c "
						"JOIN pg_catalog.pg_authid r ON r.oid = c.owner "
						"WHERE (c.paused_until IS NULL OR c.paused_until <= pg_catalog.now()) "
						"AND EXISTS (SELECT 1 FROM marketiq.embedding_queue q WHERE q.column_id = c.id AND NOT q.failed "
						"AND q.next_attempt_at <= pg_catalog.now()) GROUP BY 1, 2 ORDER BY 1",
						true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read marketiq.embedding_columns");
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Oid			o = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			bool		login = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			MemoryContext old = MemoryContextSwitchTo(cxt);

			if (login)
				owners = lappend_oid(owners, o);
			else
				nologin = lappend_oid(nologin, o);
			MemoryContextSwitchTo(old);
		}
		foreach(lc, nologin)
		{
			Oid			t[2] = {OIDOID, TEXTOID};
			Datum		v[2] = {ObjectIdGetDatum(lfirst_oid(lc)),
				CStringGetTextDatum(psprintf("the owner %s cannot log in: embeddings are computed in a worker connected as the owner",
											 role_name(lfirst_oid(lc))))};

			if (SPI_execute_with_args("UPDATE marketiq.embedding_columns SET last_error = $2, last_error_at = pg_catalog.now() "
									  "WHERE owner = $1::pg_catalog.regrole AND last_error IS DISTINCT FROM $2",
									  2, t, v, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not update marketiq.embedding_columns");
		}
		mq_unelevate(&e);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);

	foreach(lc, owners)
	{
		MqEmbedJobShared out;
		bool		started;

		CHECK_FOR_INTERRUPTS();
		start_xact();			/* for the DSM resource owner */
		started = mq_run_embed_job(lfirst_oid(lc), WORKER_JOB_ROWS, WORKER_JOB_SECONDS, false, &out);
		CommitTransactionCommand();
		MemoryContextSwitchTo(cxt);
		if (!started)
		{
			ereport(LOG,
					(errmsg("marketiq worker: could not start an embedding worker"),
					 errhint("Raise max_worker_processes.")));
			break;
		}
		if (!out.done)
			ereport(LOG,
					(errmsg("marketiq worker: the embedding worker of role %u exited without a result", lfirst_oid(lc))));
		else
		{
			if (out.errors > 0)
				ereport(LOG,
						(errmsg("marketiq worker: embedding failed for %d batches: %s", out.errors, out.message)));
			if (out.more)
				more = true;
		}
	}
	pgstat_report_activity(STATE_IDLE, NULL);
	return more;
}

/* ------------------------------------------------------------ management */

PG_FUNCTION_INFO_V1(mq_embedded_count);

/* _embedded_count(tbl, col) -> rows with a vector, counted as the caller; NULL without the right to read them */
Datum
mq_embedded_count(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *col = NameStr(*PG_GETARG_NAME(1));
	AttrNumber	att;
	int64		n;
	bool		isnull;
	char	   *sql;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		PG_RETURN_NULL();
	att = get_attnum(relid, col);
	if (att == InvalidAttrNumber)
		PG_RETURN_NULL();
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck(relid, att, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		PG_RETURN_NULL();
	sql = psprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL", mq_rel_name(relid), quote_identifier(col));
	SPI_connect();
	spi_exec(sql, 0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(mq_retry_embeddings);

/* retry_embeddings(tbl) -> rows made due again */
Datum
mq_retry_embeddings(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1];
	char		nulls[1] = {' '};
	Datum		ids;
	int64		n;
	bool		isnull;

	if (PG_ARGISNULL(0))
	{
		values[0] = (Datum) 0;
		nulls[0] = 'n';
	}
	else
		values[0] = PG_GETARG_DATUM(0);
	SPI_connect();
	/* the columns the caller can see (row level security) */
	spi_exec("SELECT pg_catalog.array_agg(id) FROM marketiq.embedding_columns "
			 "WHERE $1 IS NULL OR tbl OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			 1, types, values, nulls, true, SPI_OK_SELECT);
	ids = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
	{
		if (!PG_ARGISNULL(0))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("table %s has no embedding column", mq_rel_name(PG_GETARG_OID(0))),
					 errhint("Embedding columns are visible to the members of their owner's role; list yours with SELECT * FROM marketiq.embedding_status.")));
		SPI_finish();
		PG_RETURN_INT64(0);
	}
	ids = PointerGetDatum(PG_DETOAST_DATUM_COPY(ids));
	{
		Oid			t[1] = {INT4ARRAYOID};
		Datum		v[1] = {ids};

		spi_exec_elevated("WITH r AS (UPDATE marketiq.embedding_queue SET failed = false, attempts = 0, "
						  "next_attempt_at = pg_catalog.now(), last_error = NULL "
						  "WHERE column_id OPERATOR(pg_catalog.=) ANY ($1) AND (failed OR next_attempt_at > pg_catalog.now()) RETURNING 1) "
						  "SELECT count(*) FROM r",
						  1, t, v, NULL, false, SPI_OK_SELECT);
		n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		spi_exec_elevated("UPDATE marketiq.embedding_columns SET connect_failures = 0, paused_until = NULL "
						  "WHERE id OPERATOR(pg_catalog.=) ANY ($1)",
						  1, t, v, NULL, false, SPI_OK_UPDATE);
	}
	SPI_finish();
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(mq_drop_embedding_column);

/* drop_embedding_column(tbl, embedding_col) */
Datum
mq_drop_embedding_column(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *emb;
	int			id;
	bool		isnull;
	char	   *sql;

	mq_check_not_null(PG_ARGISNULL(0), "tbl");
	mq_check_not_null(PG_ARGISNULL(1), "embedding_col");
	relid = PG_GETARG_OID(0);
	emb = NameStr(*PG_GETARG_NAME(1));
	SPI_connect();
	{
		Oid			types[2] = {OIDOID, NAMEOID};
		Datum		values[2] = {ObjectIdGetDatum(relid), PG_GETARG_DATUM(1)};

		/* as the caller: row level security decides which columns it may see */
		spi_exec("SELECT c.id FROM marketiq.embedding_columns c "
				 "JOIN pg_catalog.pg_trigger t ON t.tgrelid = c.tbl "
				 " AND t.tgname OPERATOR(pg_catalog.=) ('marketiq_embed_' OPERATOR(pg_catalog.||) c.id) "
				 "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.tbl AND a.attnum = t.tgattr[1] "
				 "WHERE c.tbl OPERATOR(pg_catalog.=) $1::pg_catalog.regclass AND a.attname OPERATOR(pg_catalog.=) $2",
				 2, types, values, NULL, true, SPI_OK_SELECT);
	}
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s has no embedding column \"%s\"", mq_rel_name(relid), emb),
				 errhint("List them with SELECT * FROM marketiq.embedding_status.")));
	id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	{
		Oid			types[1] = {INT4OID};
		Datum		values[1] = {Int32GetDatum(id)};

		/* a batch being written holds the registration FOR SHARE: wait for it */
		spi_exec_elevated("SELECT 1 FROM marketiq.embedding_columns WHERE id = $1 FOR UPDATE",
						  1, types, values, NULL, false, SPI_OK_SELECT);
		sql = psprintf("DROP TRIGGER %s ON %s", quote_identifier(psprintf("marketiq_embed_%d", id)), mq_rel_name(relid));
		spi_exec(sql, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
		sql = psprintf("DROP TRIGGER IF EXISTS %s ON %s", quote_identifier(psprintf("marketiq_embed_%d_truncate", id)),
					   mq_rel_name(relid));
		spi_exec(sql, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
		sql = psprintf("ALTER TABLE %s DROP COLUMN %s", mq_rel_name(relid), quote_identifier(emb));
		spi_exec(sql, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
		spi_exec_elevated("DELETE FROM marketiq.embedding_queue WHERE column_id = $1", 1, types, values, NULL, false, SPI_OK_DELETE);
		spi_exec_elevated("DELETE FROM marketiq.embedding_errors WHERE column_id = $1", 1, types, values, NULL, false, SPI_OK_DELETE);
		spi_exec_elevated("DELETE FROM marketiq.embedding_columns WHERE id = $1", 1, types, values, NULL, false, SPI_OK_DELETE);
	}
	SPI_finish();
	PG_RETURN_VOID();
}
