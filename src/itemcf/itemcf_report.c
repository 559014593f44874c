/*-------------------------------------------------------------------------
 *
 * itemcf_report.c
 *	  marketiq.recommendations(): top-n item-kNN recommendations for every
 *	  user of an interactions table, building the model once.
 *
 * One query reads the table,
 *
 *	  SELECT user::text, item::text [, rating::float8] FROM rel
 *	  WHERE user, item [, rating] are not NULL
 *
 * through SPI with a DestReceiver of our own, so each row goes straight
 * into C arrays (user id, item id, rating) with no tuple copies and no
 * ORDER BY or GROUP BY in the query.  Users and items are interned on the
 * way.  A counting sort by user then lays out the baskets, which feed the
 * same state the item_cf aggregate builds; the state is flattened (items in
 * byte order) and decoded once, and every user is scored from the same
 * memoised top-k neighbour lists that recommend() uses, so both give the
 * same answer.  Without a rating column a user's repeated item counts once
 * (repeat purchases); with one, a repeated (user, item) is an error, as in
 * item_cf.  The rows kept in memory (16 bytes per interaction) are checked
 * against marketiq.max_model_bytes like the model.
 *
 * The SQL text is built only from the relation's quoted, schema-qualified
 * name and the columns' quoted names (mq_rel_name, mq_rel_column), and runs
 * with the caller's privileges.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "mq_check.h"
#include "mq_hash.h"
#include "mq_itemcf.h"
#include "mq_model.h"
#include "mq_util.h"

/* The receiver that collects the interactions. */
typedef struct IcfReader
{
	DestReceiver pub;			/* receiver callbacks, first */
	bool		rated;			/* a rating column is read */
	IcfState   *state;			/* interns the items */
	MqDict		users;			/* user name -> id */
	Size		n;				/* rows */
	Size		cap;			/* allocated rows */
	int32	   *uid;			/* per row: user id */
	int32	   *iid;			/* per row: state item id */
	double	   *r;				/* per row: rating (rated) */
	MemoryContext cxt;			/* all of the above */
} IcfReader;

/* A text datum's bytes, detoasting into *copy if needed (free it after). */
static inline const char *
text_bytes(Datum d, int *len, struct varlena **copy)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	*copy = NULL;
	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
	{
		*copy = pg_detoast_datum_packed(v);
		v = *copy;
	}
	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

/* Receive one interaction row (user, item [, rating]). */
static bool
reader_receive(TupleTableSlot *slot, DestReceiver *self)
{
	IcfReader  *rd = (IcfReader *) self;
	MemoryContext old = MemoryContextSwitchTo(rd->cxt);
	struct varlena *copy;
	const char *s;
	int			len;
	Size		i;

	slot_getallattrs(slot);
	if (rd->n == rd->cap)
	{
		Size		cap = rd->cap * 2;

		mq_check_state_size(cap * (2 * sizeof(int32) + (rd->rated ? sizeof(double) : 0)),
							&mq_itemcf_kind, "interactions");
		rd->uid = repalloc_huge(rd->uid, sizeof(int32) * cap);
		rd->iid = repalloc_huge(rd->iid, sizeof(int32) * cap);
		if (rd->rated)
			rd->r = repalloc_huge(rd->r, sizeof(double) * cap);
		rd->cap = cap;
	}
	i = rd->n++;
	s = text_bytes(slot->tts_values[0], &len, &copy);
	rd->uid[i] = mq_dict_intern(&rd->users, s, len);
	if (copy)
		pfree(copy);
	s = text_bytes(slot->tts_values[1], &len, &copy);
	MemoryContextSwitchTo(rd->state->hdr.cxt);
	rd->iid[i] = mq_icf_intern(rd->state, s, len);
	MemoryContextSwitchTo(rd->cxt);
	if (copy)
		pfree(copy);
	if (rd->rated)
	{
		double		r = DatumGetFloat8(slot->tts_values[2]);

		if (!isfinite(r))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("ratings must not be NaN or infinite"),
					 errdetail("A row of user \"%s\" has rating %g.", rd->users.strs[rd->uid[i]], r)));
		rd->r[i] = r;
	}
	MemoryContextSwitchTo(old);
	return true;
}

/* Receiver start-up: nothing to do. */
static void
reader_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* Receiver shut-down: nothing to do. */
static void
reader_shutdown(DestReceiver *self)
{
}

/* Receiver destruction: nothing to do (everything lives in its context). */
static void
reader_destroy(DestReceiver *self)
{
}

PG_FUNCTION_INFO_V1(mq_itemcf_recommendations);

/*
 * recommendations(interactions, user_col, item_col, rating_col, n, k,
 * similarity, exclude_seen, min_support, shrinkage)
 */
Datum
mq_itemcf_recommendations(PG_FUNCTION_ARGS)
{
	static const Oid rating_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID, InvalidOid};
	static const char *const argnames[] = {"interactions", "user_col", "item_col", "rating_col",
	"n", "k", "similarity", "exclude_seen", "min_support", "shrinkage"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	char	   *rel,
			   *ucol,
			   *icol,
			   *rcol = NULL,
			   *sql;
	int32		n,
				k;
	bool		exclude_seen;
	IcfParams	prm;
	MemoryContext work,
				old,
				rowcxt;
	IcfReader  *rd;
	SPIExecuteOptions opts;
	int			rc,
				x,
				nusers,
				nitems;
	Size		t,
				ninter;
	Size	   *ustart;
	int32	   *bitems,
			   *rank,
			   *out_ids;
	double	   *brat = NULL,
			   *out_scores;
	int64	   *stamp;
	MqModel    *flat;
	IcfCache   *c;
	Datum	   *item_datums;

	for (x = 0; x < 10; x++)
		if (x != 3)
			mq_check_not_null(PG_ARGISNULL(x), argnames[x]);
	relid = PG_GETARG_OID(0);
	n = PG_GETARG_INT32(4);
	k = PG_GETARG_INT32(5);
	exclude_seen = PG_GETARG_BOOL(7);
	mq_check_int_range(n, "n", 1, PG_INT32_MAX);
	mq_check_int_range(k, "k", 1, PG_INT32_MAX);
	mq_icf_params(&prm, text_to_cstring(PG_GETARG_TEXT_PP(6)), PG_GETARG_INT32(8), PG_GETARG_FLOAT8(9));
	rel = mq_rel_name(relid);
	ucol = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(1)), "user_col", NULL);
	icol = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(2)), "item_col", NULL);
	if (!PG_ARGISNULL(3))
	{
		Oid			rtype;

		rcol = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(3)), "rating_col", &rtype);
		mq_check_column_type(rtype, rating_types, NameStr(*PG_GETARG_NAME(3)), "rating_col", "a number");
	}
	if (rcol)
		sql = psprintf("SELECT %s::text, %s::text, %s::float8 FROM %s "
					   "WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s IS NOT NULL",
					   ucol, icol, rcol, rel, ucol, icol, rcol);
	else
		sql = psprintf("SELECT %s::text, %s::text FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL",
					   ucol, icol, rel, ucol, icol);

	InitMaterializedSRF(fcinfo, 0);
	work = AllocSetContextCreate(CurrentMemoryContext, "marketiq recommendations",
								 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);

	/* 1. read the interactions */
	rd = palloc0(sizeof(IcfReader));
	rd->pub.receiveSlot = reader_receive;
	rd->pub.rStartup = reader_startup;
	rd->pub.rShutdown = reader_shutdown;
	rd->pub.rDestroy = reader_destroy;
	rd->pub.mydest = DestTuplestore;
	rd->rated = rcol != NULL;
	rd->cxt = work;
	rd->state = mq_icf_state_create(work);
	mq_dict_init(&rd->users);
	rd->cap = 1024;
	rd->uid = palloc(sizeof(int32) * rd->cap);
	rd->iid = palloc(sizeof(int32) * rd->cap);
	if (rd->rated)
		rd->r = palloc(sizeof(double) * rd->cap);
	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = &rd->pub;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_extended(sql, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "interactions query failed: %s", SPI_result_code_string(rc));
	SPI_finish();
	MemoryContextSwitchTo(work);
	nusers = rd->users.n;
	ninter = rd->n;
	mq_progress("recommendations: %zu interactions, %d users, %d items", ninter, nusers,
				rd->state->items.n);
	if (ninter == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(work);
		return (Datum) 0;
	}

	/* 2. baskets: a counting sort of the rows by user */
	ustart = palloc0(sizeof(Size) * (nusers + 1));
	for (t = 0; t < ninter; t++)
		ustart[rd->uid[t] + 1]++;
	for (x = 0; x < nusers; x++)
		ustart[x + 1] += ustart[x];
	bitems = MemoryContextAllocHuge(work, sizeof(int32) * ninter);
	if (rd->rated)
		brat = MemoryContextAllocHuge(work, sizeof(double) * ninter);
	{
		Size	   *cur = palloc(sizeof(Size) * Max(nusers, 1));

		memcpy(cur, ustart, sizeof(Size) * nusers);
		for (t = 0; t < ninter; t++)
		{
			Size		pos = cur[rd->uid[t]]++;

			bitems[pos] = rd->iid[t];
			if (rd->rated)
				brat[pos] = rd->r[t];
		}
		pfree(cur);
	}
	pfree(rd->uid);
	pfree(rd->iid);
	if (rd->rated)
		pfree(rd->r);

	/* 3. the model: the same state as item_cf, flattened and decoded once */
	for (x = 0; x < nusers; x++)
	{
		Size		a = ustart[x];

		MemoryContextSwitchTo(rd->state->hdr.cxt);
		mq_icf_add_basket_ids(rd->state, (int) (ustart[x + 1] - a), bitems + a,
							  rd->rated ? brat + a : NULL, !rd->rated);
		MemoryContextSwitchTo(work);
		if ((x & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(rd->state->hdr.cxt);
	flat = mq_itemcf_kind.flatten(&rd->state->hdr);
	MemoryContextSwitchTo(work);
	c = mq_icf_cache_for(flat);
	nitems = c->m.nitems;
	mq_progress("recommendations: model of %d items and " INT64_FORMAT " pairs built", nitems, c->m.npairs);

	/* state item id -> model id (byte-order rank) */
	rank = palloc(sizeof(int32) * Max(nitems, 1));
	for (x = 0; x < nitems; x++)
		rank[x] = mq_dict_find(&c->m.dict, rd->state->items.strs[x], rd->state->items.lens[x]);
	/* the state's pair buffers are no longer needed */
	stamp = palloc0(sizeof(int64) * Max(nitems, 1));
	item_datums = palloc0(sizeof(Datum) * Max(nitems, 1));
	n = Min(n, Max(nitems, 1));
	out_ids = palloc(sizeof(int32) * n);
	out_scores = palloc(sizeof(double) * n);
	rowcxt = AllocSetContextCreate(work, "marketiq recommendation rows", ALLOCSET_DEFAULT_SIZES);

	/* 4. score every user */
	for (x = 0; x < nusers; x++)
	{
		Size		a = ustart[x],
					b = ustart[x + 1],
					j;
		int			m = 0,
					nres,
					r;
		int32	   *ids = bitems + a;
		double	   *ws = rd->rated ? brat + a : NULL;
		Datum		user;

		/* model ids, each item once (implicit repeats were counted once) */
		for (j = a; j < b; j++)
		{
			int32		id = rank[bitems[j]];

			if (stamp[id] == x + 1)
				continue;
			stamp[id] = x + 1;
			ids[m] = id;
			if (ws)
				ws[m] = brat[j];
			m++;
		}
		nres = mq_icf_recommend(c, ids, ws, m, n, k, &prm, exclude_seen, out_ids, out_scores);
		if (nres == 0)
			continue;
		MemoryContextSwitchTo(rowcxt);
		user = PointerGetDatum(cstring_to_text_with_len(rd->users.strs[x], rd->users.lens[x]));
		for (r = 0; r < nres; r++)
		{
			Datum		v[4];
			bool		nulls[4] = {false, false, false, false};
			int32		i = out_ids[r];

			if (item_datums[i] == (Datum) 0)
			{
				MemoryContextSwitchTo(work);
				item_datums[i] = PointerGetDatum(cstring_to_text_with_len(c->m.dict.strs[i], c->m.dict.lens[i]));
				MemoryContextSwitchTo(rowcxt);
			}
			v[0] = user;
			v[1] = item_datums[i];
			v[2] = Float8GetDatum(out_scores[r]);
			v[3] = Int32GetDatum(r + 1);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
		MemoryContextSwitchTo(work);
		MemoryContextReset(rowcxt);
		if ((x & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return (Datum) 0;
}
