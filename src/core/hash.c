/*-------------------------------------------------------------------------
 *
 * hash.c
 *	  String dictionaries and fixed-width count tables for aggregate states.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "mq_hash.h"

#define INITIAL_SLOTS 64

/* Allocate a table of `slots` empty (-1) slots. */
static int32 *
new_table(MemoryContext cxt, uint32 slots)
{
	int32	   *t = MemoryContextAllocHuge(cxt, sizeof(int32) * (Size) slots);

	memset(t, 0xff, sizeof(int32) * (Size) slots);
	return t;
}

/* Grow a table of entries to twice its size when it is half full. */
static uint32
grow_if_needed(MemoryContext cxt, int32 **table, uint32 mask, int n,
			   uint32 (*hash_of) (const void *ctx, int i), const void *ctx)
{
	uint32		slots = mask + 1;
	int32	   *t;
	int			i;

	if ((uint32) n * 2 < slots)
		return mask;
	if (slots > (uint32) 1 << 30)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct keys in a marketiq state")));
	slots *= 2;
	mask = slots - 1;
	t = new_table(cxt, slots);
	for (i = 0; i < n; i++)
	{
		uint32		h = hash_of(ctx, i) & mask;

		while (t[h] >= 0)
			h = (h + 1) & mask;
		t[h] = i;
	}
	pfree(*table);
	*table = t;
	return mask;
}

/* ------------------------------------------------------------------ MqDict */

void
mq_dict_init(MqDict *d)
{
	d->cxt = CurrentMemoryContext;
	d->n = 0;
	d->cap = 16;
	d->strs = palloc(sizeof(char *) * d->cap);
	d->lens = palloc(sizeof(int) * d->cap);
	d->hashes = palloc(sizeof(uint32) * d->cap);
	d->mask = INITIAL_SLOTS - 1;
	d->table = new_table(d->cxt, INITIAL_SLOTS);
	d->bytes = 0;
}

int
mq_strcmp_bytes(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

int32
mq_dict_find(const MqDict *d, const char *s, int len)
{
	uint32		h = hash_bytes((const unsigned char *) s, len);
	uint32		i = h & d->mask;

	for (;; i = (i + 1) & d->mask)
	{
		int32		id = d->table[i];

		if (id < 0)
			return -1;
		if (d->hashes[id] == h && d->lens[id] == len && memcmp(d->strs[id], s, len) == 0)
			return id;
	}
}

static uint32
dict_hash_of(const void *ctx, int i)
{
	return ((const MqDict *) ctx)->hashes[i];
}

int32
mq_dict_intern(MqDict *d, const char *s, int len)
{
	uint32		h = hash_bytes((const unsigned char *) s, len);
	uint32		i = h & d->mask;
	int32		id;
	char	   *copy;

	for (;; i = (i + 1) & d->mask)
	{
		id = d->table[i];
		if (id < 0)
			break;
		if (d->hashes[id] == h && d->lens[id] == len && memcmp(d->strs[id], s, len) == 0)
			return id;
	}
	if (d->n == d->cap)
	{
		if (d->cap >= PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct names in a marketiq state")));
		d->cap *= 2;
		d->strs = repalloc_huge(d->strs, sizeof(char *) * (Size) d->cap);
		d->lens = repalloc_huge(d->lens, sizeof(int) * (Size) d->cap);
		d->hashes = repalloc_huge(d->hashes, sizeof(uint32) * (Size) d->cap);
	}
	copy = MemoryContextAlloc(d->cxt, len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	id = d->n++;
	d->strs[id] = copy;
	d->lens[id] = len;
	d->hashes[id] = h;
	d->bytes += len + 1;
	d->table[i] = id;
	d->mask = grow_if_needed(d->cxt, &d->table, d->mask, d->n, dict_hash_of, d);
	return id;
}

static int
dict_cmp(const void *a, const void *b, void *arg)
{
	const MqDict *d = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return mq_strcmp_bytes(d->strs[x], d->lens[x], d->strs[y], d->lens[y]);
}

int32 *
mq_dict_sorted(const MqDict *d)
{
	int32	   *order = palloc(sizeof(int32) * Max(d->n, 1));
	int			i;

	for (i = 0; i < d->n; i++)
		order[i] = i;
	qsort_arg(order, d->n, sizeof(int32), dict_cmp, (void *) d);
	return order;
}

Size
mq_dict_bytes(const MqDict *d)
{
	return d->bytes + (Size) d->cap * (sizeof(char *) + sizeof(int) + sizeof(uint32) + 16) +
		sizeof(int32) * ((Size) d->mask + 1);
}

/* ----------------------------------------------------------------- MqAccum */

void
mq_accum_init(MqAccum *a, int kw, int vw)
{
	Assert(kw >= 1 && vw >= 0);
	a->cxt = CurrentMemoryContext;
	a->kw = kw;
	a->vw = vw;
	a->n = 0;
	a->cap = 16;
	a->keys = palloc(sizeof(int32) * kw * a->cap);
	a->vals = palloc(sizeof(double) * Max(vw, 1) * a->cap);
	a->mask = INITIAL_SLOTS - 1;
	a->table = new_table(a->cxt, INITIAL_SLOTS);
}

static inline uint32
key_hash(const int32 *key, int kw)
{
	return hash_bytes((const unsigned char *) key, sizeof(int32) * kw);
}

int
mq_accum_find(const MqAccum *a, const int32 *key)
{
	uint32		i = key_hash(key, a->kw) & a->mask;

	for (;; i = (i + 1) & a->mask)
	{
		int32		e = a->table[i];

		if (e < 0)
			return -1;
		if (memcmp(MQ_ACCUM_KEY(a, e), key, sizeof(int32) * a->kw) == 0)
			return e;
	}
}

static uint32
accum_hash_of(const void *ctx, int i)
{
	const MqAccum *a = ctx;

	return key_hash(MQ_ACCUM_KEY(a, i), a->kw);
}

int
mq_accum_upsert(MqAccum *a, const int32 *key)
{
	uint32		i = key_hash(key, a->kw) & a->mask;
	int32		e;

	for (;; i = (i + 1) & a->mask)
	{
		e = a->table[i];
		if (e < 0)
			break;
		if (memcmp(MQ_ACCUM_KEY(a, e), key, sizeof(int32) * a->kw) == 0)
			return e;
	}
	if (a->n == a->cap)
	{
		if (a->cap >= PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct keys in a marketiq state")));
		a->cap *= 2;
		a->keys = repalloc_huge(a->keys, sizeof(int32) * a->kw * (Size) a->cap);
		a->vals = repalloc_huge(a->vals, sizeof(double) * Max(a->vw, 1) * (Size) a->cap);
	}
	e = a->n++;
	memcpy(MQ_ACCUM_KEY(a, e), key, sizeof(int32) * a->kw);
	if (a->vw > 0)
		memset(MQ_ACCUM_VALS(a, e), 0, sizeof(double) * a->vw);
	a->table[i] = e;
	a->mask = grow_if_needed(a->cxt, &a->table, a->mask, a->n, accum_hash_of, a);
	return e;
}

double *
mq_accum_row(MqAccum *a, const int32 *key)
{
	int			e = mq_accum_upsert(a, key);

	return MQ_ACCUM_VALS(a, e);
}

static int
accum_cmp(const void *x, const void *y, void *arg)
{
	const MqAccum *acc = arg;
	const int32 *a = MQ_ACCUM_KEY(acc, *(const int32 *) x);
	const int32 *b = MQ_ACCUM_KEY(acc, *(const int32 *) y);
	int			k;

	for (k = 0; k < acc->kw; k++)
		if (a[k] != b[k])
			return a[k] < b[k] ? -1 : 1;
	return 0;
}

int32 *
mq_accum_sorted(const MqAccum *a)
{
	int32	   *order = palloc(sizeof(int32) * Max(a->n, 1));
	int			i;

	for (i = 0; i < a->n; i++)
		order[i] = i;
	qsort_arg(order, a->n, sizeof(int32), accum_cmp, (void *) a);
	return order;
}

Size
mq_accum_bytes(const MqAccum *a)
{
	return (Size) a->cap * (sizeof(int32) * a->kw + sizeof(double) * a->vw) +
		sizeof(int32) * ((Size) a->mask + 1);
}
