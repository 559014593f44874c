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
static const uint64 head_mask[9] = {
	0, UINT64CONST(0xff00000000000000), UINT64CONST(0xffff000000000000),
	UINT64CONST(0xffffff0000000000), UINT64CONST(0xffffffff00000000),
	UINT64CONST(0xffffffffff000000), UINT64CONST(0xffffffffffff0000),
	UINT64CONST(0xffffffffffffff00), ~UINT64CONST(0)
};
#else
static const uint64 head_mask[9] = {
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

/* The channel ids of a path, interned through cache into dict. */
int
mq_path_read(Datum d, const char *what, MqChanCache *cache, MqDict *dict,
			 int32 **buf, int *cap, MemoryContext cxt)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *content;		/* the array's bytes after its varlena header */
	const char *base;			/* virtual start of the array: offsets count from here */
	int32	   *out;
	int32		ndim,
				dataoffset,
				nitems,
				i;
	Size		size,
				off,
				end;			/* virtual offset of the array's end */

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
	base = content - VARHDRSZ;
	if (size < sizeof(ArrayType) - VARHDRSZ)
		elog(ERROR, "array \"%s\" is truncated", what);
	memcpy(&ndim, base + offsetof(ArrayType, ndim), sizeof(int32));
	memcpy(&dataoffset, base + offsetof(ArrayType, dataoffset), sizeof(int32));
	if (ndim != 1)
		path_error(d, what);	/* empty, or several dimensions */
	memcpy(&nitems, base + sizeof(ArrayType), sizeof(int32));
	if (nitems <= 0)
		path_error(d, what);
	off = ARR_OVERHEAD_NONULLS(1);
	if (dataoffset != 0)
	{
		/* a NULL bitmap: error if there are NULLs, else read the aligned copy */
		ArrayType  *arr = DatumGetArrayTypeP(d);

		if (array_contains_nulls(arr))
			path_error(d, what);
		base = (const char *) arr;
		size = VARSIZE(arr) - VARHDRSZ;
		off = ARR_DATA_OFFSET(arr);
	}
	if (nitems > *cap)
	{
		int			newcap = Max(64, nitems);

		if (*buf)
			pfree(*buf);
		*buf = MemoryContextAlloc(cxt, sizeof(int32) * newcap);
		*cap = newcap;
	}
	end = size + VARHDRSZ;
	out = *buf;
	for (i = 0; i < nitems; i++)
	{
		const char *p = base + off;
		int			len;
		Size		adv;
		int32		id;

		if (VARATT_IS_1B(p))
		{
			adv = VARSIZE_1B(p);
			len = adv - VARHDRSZ_SHORT;
			p += VARHDRSZ_SHORT;
		}
		else
		{
			uint32		hdr;

			memcpy(&hdr, p, sizeof(uint32));
			if (!VARATT_IS_4B_U((struct varlena *) &hdr))
				elog(ERROR, "array \"%s\" has a compressed element", what);
			adv = VARSIZE_4B((struct varlena *) &hdr);
			len = adv - VARHDRSZ;
			p += VARHDRSZ;
		}
		if (adv < 1 || off + adv > end)
			elog(ERROR, "array \"%s\" is corrupt", what);
		if ((Size) (p - base) + Max(len, 8) <= end)
		{
			/*
			 * Branch-free key words: 8 bytes can be read from the name's start
			 * without leaving the array, so load them and mask off what is
			 * not the name; the tail is the last 8 bytes when longer than 8.
			 */
			int			l8 = Min(len, 8);
			uint64		head = mq_load64(p) & head_mask[l8];
			uint64		tail = mq_load64(p + Max(len, 8) - 8) & -(uint64) (len > 8);

			id = mq_chan_lookup(cache, dict, p, len, head, tail);
		}
		else
			id = mq_chan_intern(cache, dict, p, len);
		out[i] = id;
		off = TYPEALIGN(sizeof(int32), off + adv);
	}
	return nitems;
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
