/*-------------------------------------------------------------------------
 *
 * mq_hash.h
 *	  The two hash structures aggregate states are built from.
 *
 * MqDict interns strings (channel, item, state names) as dense int32 ids in
 * order of first appearance.  MqAccum maps a fixed-width key of int32s (ids,
 * or the bits of doubles) to a fixed-width row of float8 sums, the shape of
 * every count table marketiq keeps (transitions, co-occurring pairs,
 * (frequency, recency, T) cells).  Both use open addressing with linear
 * probing over a power-of-two table, grow by doubling, keep their entries in
 * insertion order in plain arrays (so flattening is a copy or a sort), and
 * allocate in the memory context current when they were initialised, which
 * for states is the state's context.
 *
 * Entry order depends on the input order; flatten in a canonical order
 * (mq_dict_sorted, mq_accum_sorted) so that equal models print equally
 * whatever the plan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_HASH_H
#define MQ_HASH_H

#include "postgres.h"

typedef struct MqDict
{
	MemoryContext cxt;			/* where everything is allocated */
	int			n;				/* number of strings */
	int			cap;			/* allocated slots in strs/lens/hashes */
	char	  **strs;			/* by id: NUL-terminated copies */
	int		   *lens;			/* by id: byte lengths */
	uint32	   *hashes;			/* by id: hash values */
	int32	   *table;			/* open-addressing table of ids, -1 = empty */
	uint32		mask;			/* table size - 1 */
	Size		bytes;			/* string bytes held (for size checks) */
} MqDict;

extern void mq_dict_init(MqDict *d);
/* id of the string, or -1 */
extern int32 mq_dict_find(const MqDict *d, const char *s, int len);
/* id of the string, added if new */
extern int32 mq_dict_intern(MqDict *d, const char *s, int len);
/* ids sorted by their strings in byte order (palloc'd in CurrentMemoryContext) */
extern int32 *mq_dict_sorted(const MqDict *d);
/* approximate memory held, for mq_check_state_size */
extern Size mq_dict_bytes(const MqDict *d);

/* byte order of two strings: memcmp, then the shorter first */
extern int	mq_strcmp_bytes(const char *a, int alen, const char *b, int blen);

typedef struct MqAccum
{
	MemoryContext cxt;			/* where everything is allocated */
	int			kw;				/* key width, in int32s */
	int			vw;				/* value width, in float8s */
	int			n;				/* entries */
	int			cap;			/* allocated entries in keys/vals */
	int32	   *keys;			/* n * kw key words, insertion order */
	double	   *vals;			/* n * vw sums, insertion order */
	int32	   *table;			/* open-addressing table of entry indexes, -1 = empty */
	uint32		mask;			/* table size - 1 */
} MqAccum;

extern void mq_accum_init(MqAccum *a, int kw, int vw);
/* index of the key's entry, or -1 */
extern int	mq_accum_find(const MqAccum *a, const int32 *key);
/* index of the key's entry, added (values zero) if new */
extern int	mq_accum_upsert(MqAccum *a, const int32 *key);
/* the value row of the key's entry, added (values zero) if new; valid until the next upsert */
extern double *mq_accum_row(MqAccum *a, const int32 *key);
/*
 * The value row / key of entry i, valid until the next upsert.  Never write
 * MQ_ACCUM_VALS(a, mq_accum_upsert(a, key)): the compiler may read a->vals
 * before the upsert reallocates it.  Use mq_accum_row() for that.
 */
#define MQ_ACCUM_VALS(a, i) ((a)->vals + (Size) (i) * (a)->vw)
#define MQ_ACCUM_KEY(a, i)	((a)->keys + (Size) (i) * (a)->kw)
/* entry indexes sorted by key (signed int32 words, lexicographic) */
extern int32 *mq_accum_sorted(const MqAccum *a);
/* approximate memory held, for mq_check_state_size */
extern Size mq_accum_bytes(const MqAccum *a);

#endif							/* MQ_HASH_H */
