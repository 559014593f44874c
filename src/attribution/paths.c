/*-------------------------------------------------------------------------
 *
 * paths.c
 *	  Reading a path (a text[] of channel names) into channel ids, fast.
 *
 * The path aggregates (markov_model, shapley_model) read every element of
 * every path, and on a pre-aggregated paths table that is nearly all the
 * work there is, so this loop is written for speed:
 *
 *	- No copy of the array.  A small array stored in a table has a 1-byte
 *	  varlena header, and the usual PG_GETARG_ARRAYTYPE_P copies it into an
 *	  aligned buffer before anything can be read.  The array's layout is the
 *	  same bytes shifted by 3, and its element offsets were aligned relative
 *	  to the array's start, so we read the header fields with unaligned
 *	  loads and walk the elements by offset from a virtual array start.
 *	  Only toasted (compressed, out-of-line) or expanded arrays are
 *	  detoasted first.
 *	- Channel names go through the direct-mapped MqChanCache in front of the
 *	  dictionary (mq_attribution.h): a few loads and compares per element.
 *
 * Bad input (more than one dimension, NULL elements, an empty path) is
 * reported by the shared validator, with the usual wording.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "mq_attribution.h"
#include "mq_check.h"

/* head_mask[l]: the bytes of a loaded word that come from its first l bytes in memory */
#ifdef WORDS_BIGENDIAN
const uint64 mq_head_mask[9] = {
	0, UINT64CONST(0xff00000000000000), UINT64CONST(0xffff000000000000),
	UINT64CONST(0xffffff0000000000), UINT64CONST(0xffffffff00000000),
	UINT64CONST(0xffffffffff000000), UINT64CONST(0xffffffffffff0000),
	UINT64CONST(0xffffffffffffff00), ~UINT64CONST(0)
};
#else
const uint64 mq_head_mask[9] = {
	0, 0xff, 0xffff, 0xffffff, 0xffffffff, UINT64CONST(0xffffffffff),
	UINT64CONST(0xffffffffffff), UINT64CONST(0xffffffffffffff), ~UINT64CONST(0)
};
#endif

/* Empty every slot of a channel cache. */
void
mq_chan_cache_init(MqChanCache *c)
{
	int			i;

	for (i = 0; i < MQ_CHAN_CACHE_SLOTS; i++)
		c->slot[i].id = -1;
}

/* Names longer than 16 bytes, and cache misses. */
int32
mq_chan_lookup_slow(MqChanCache *c, MqDict *d, const char *s, int len, uint64 head, uint64 tail)
{
	MqChanCacheSlot *e = mq_chan_slot(c, len, head, tail);

	/* names of up to 16 bytes get here only on a miss */
	if (len > 16 && e->id >= 0 && e->len == len && e->head == head && e->tail == tail &&
		memcmp(d->strs[e->id] + 8, s + 8, len - 16) == 0)
		return e->id;
	e->id = mq_dict_intern(d, s, len);
	e->len = len;
	e->head = head;
	e->tail = tail;
	return e->id;
}

/* Report what is wrong with a path array through the shared validator (does not return). */
static void pg_attribute_noreturn()
path_error(Datum d, const char *what)
{
	int			n;
	char	  **strs;
	int		   *lens;

	mq_check_text_array(DatumGetArrayTypeP(d), what, 0, &n, &strs, &lens);
	elog(ERROR, "array \"%s\" could not be read", what);
}

/* Open a path (text[] datum) for reading its elements; see mq_attribution.h. */
void
mq_path_open(MqPath *it, Datum d, const char *what)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *content;		/* the array's bytes after its varlena header */
	int32		ndim,
				dataoffset,
				nitems;
	Size		size;

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		v = pg_detoast_datum(v);	/* compressed, out of line or expanded */
	if (VARATT_IS_SHORT(v))
	{
		content = VARDATA_SHORT(v);
		size = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;
	}
	else
	{
		content = VARDATA(v);
		size = VARSIZE(v) - VARHDRSZ;
	}
	it->what = what;
	it->base = content - VARHDRSZ;
	if (size < sizeof(ArrayType) - VARHDRSZ)
		elog(ERROR, "array \"%s\" is truncated", what);
	memcpy(&ndim, it->base + offsetof(ArrayType, ndim), sizeof(int32));
	memcpy(&dataoffset, it->base + offsetof(ArrayType, dataoffset), sizeof(int32));
	if (ndim != 1)
		path_error(d, what);	/* empty, or several dimensions */
	memcpy(&nitems, it->base + sizeof(ArrayType), sizeof(int32));
	if (nitems <= 0)
		path_error(d, what);
	it->off = ARR_OVERHEAD_NONULLS(1);
	if (dataoffset != 0)
	{
		/* a NULL bitmap: error if there are NULLs, else read the aligned copy */
		ArrayType  *arr = DatumGetArrayTypeP(d);

		if (array_contains_nulls(arr))
			path_error(d, what);
		it->base = (const char *) arr;
		size = VARSIZE(arr) - VARHDRSZ;
		it->off = ARR_DATA_OFFSET(arr);
	}
	it->end = size + VARHDRSZ;
	it->n = nitems;
}

/* ERROR for an array whose elements do not fit it. */
void
mq_path_corrupt(const MqPath *it)
{
	elog(ERROR, "array \"%s\" is corrupt", it->what);
}

/* The channel ids of an open path, interned through cache into dict. */
int
mq_path_ids(MqPath *it, MqChanCache *cache, MqDict *dict, int32 **buf, int *cap,
			MemoryContext cxt)
{
	int32	   *out;
	int			i;

	if (it->n > *cap)
	{
		int			newcap = Max(64, it->n);

		if (*buf)
			pfree(*buf);
		*buf = MemoryContextAlloc(cxt, sizeof(int32) * newcap);
		*cap = newcap;
	}
	out = *buf;
	for (i = 0; i < it->n; i++)
		out[i] = mq_path_next(it, cache, dict);
	return it->n;
}

/* A standalone state of a kind (see mq_attribution.h). */
MqState *
mq_attr_state_create(const MqKind *kind, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "marketiq attribution state",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	MqState    *s = palloc0(kind->state_size);

	s->kind = kind;
	s->cxt = cxt;
	s->flat = NULL;
	kind->init(s);
	MemoryContextSwitchTo(old);
	return s;
}
