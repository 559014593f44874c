/*-------------------------------------------------------------------------
 *
 * mq_attribution.h
 *	  Attribution models shared by the per-journey function, the model
 *	  aggregates (marketiq.markov, marketiq.shapley) and the table-level
 *	  report, which builds journeys itself and feeds the same code.
 *
 * Channels are interned as dense int32 ids (MqDict) by whoever reads them;
 * everything below works on ids.  A journey is an array of channel ids in
 * time order (with the touch times when a model needs them), plus whether
 * it converted and its value.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_ATTRIBUTION_H
#define MQ_ATTRIBUTION_H

#include "postgres.h"

#include <float.h>

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/array.h"

#include "mq_hash.h"
#include "mq_model.h"

/* ---------------------------------------------------------- channel cache */

/*
 * A direct-mapped cache in front of a channel dictionary (MqDict).  Paths
 * repeat a handful of channel names millions of times; hashing each with
 * hash_bytes and comparing it in the dictionary costs more than everything
 * else an aggregate does per touch.  The cache slot is chosen from the
 * name's length and its first and last 8 bytes (two loads and a multiply),
 * and a hit compares those words, so names of up to 16 bytes never reach
 * memcmp.  A miss falls back to the dictionary and refills the slot.
 */
#define MQ_CHAN_CACHE_SLOTS 512	/* 2^9: the shift in mq_chan_intern */

typedef struct MqChanCacheSlot
{
	int32		id;				/* dictionary id, -1 = empty */
	int32		len;			/* byte length */
	uint64		head;			/* first up to 8 bytes, zero-padded */
	uint64		tail;			/* last up to 8 bytes, zero-padded */
} MqChanCacheSlot;

typedef struct MqChanCache
{
	MqChanCacheSlot slot[MQ_CHAN_CACHE_SLOTS];
} MqChanCache;

/* Empty every slot. */
extern void mq_chan_cache_init(MqChanCache *c);

/* 8 and 4 bytes from p, unaligned (constant-size memcpy compiles to one load) */
static inline uint64
mq_load64(const char *p)
{
	uint64		v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32
mq_load32(const char *p)
{
	uint32		v;

	memcpy(&v, p, 4);
	return v;
}

/* the slot of a name's key words */
static inline MqChanCacheSlot *
mq_chan_slot(MqChanCache *c, int len, uint64 head, uint64 tail)
{
	return &c->slot[((((head + (uint64) len) * UINT64CONST(0x9E3779B97F4A7C15)) ^ tail) *
					 UINT64CONST(0xFF51AFD7ED558CCD)) >> (64 - 9)];
}

/* The rest of a lookup: names longer than 16 bytes, and misses (interns and fills the slot). */
extern int32 mq_chan_lookup_slow(MqChanCache *c, MqDict *d, const char *s, int len,
								 uint64 head, uint64 tail);

/* Look a name up by its key words; only hits of names up to 16 bytes stay inline. */
static inline int32
mq_chan_lookup(MqChanCache *c, MqDict *d, const char *s, int len, uint64 head, uint64 tail)
{
	MqChanCacheSlot *e = mq_chan_slot(c, len, head, tail);

	if (likely(e->id >= 0 && ((e->len ^ len) | (e->head ^ head) | (e->tail ^ tail)) == 0 && len <= 16))
		return e->id;
	return mq_chan_lookup_slow(c, d, s, len, head, tail);
}

/*
 * The id of channel name s (len bytes) in d, interning it if new (allocates
 * in d's context).  The key words that, with the length, determine a name
 * of up to 16 bytes: its first 8 bytes (zero-padded) and, when longer than
 * 8, its last 8 (overlapping when shorter than 16).  mq_path_next computes
 * the same words with masked loads.
 */
static inline int32
mq_chan_intern(MqChanCache *c, MqDict *d, const char *s, int len)
{
	uint64		head = 0,
				tail = 0;

	memcpy(&head, s, Min(len, 8));
	if (len > 8)
		tail = mq_load64(s + len - 8);
	return mq_chan_lookup(c, d, s, len, head, tail);
}

/*
 * Reading a path (a text[] datum) element by element, without copying it.
 * A small array stored in a table has a 1-byte varlena header and the
 * usual PG_GETARG_ARRAYTYPE_P would copy it into an aligned buffer; its
 * layout is the same bytes shifted by 3, and element offsets were aligned
 * relative to the array's start, so mq_path_open reads the header with
 * unaligned loads and the elements are walked by offset from a virtual
 * array start.  Only toasted (compressed, out-of-line, expanded) arrays and
 * arrays with a NULL bitmap are detoasted.  ERROR on an empty path, NULL
 * elements or more than one dimension, with the shared validators' wording.
 */
typedef struct MqPath
{
	const char *base;			/* virtual start of the array: offsets count from here */
	Size		off;			/* offset of the next element */
	Size		end;			/* offset of the array's end */
	int			n;				/* elements */
	const char *what;			/* argument name, for messages */
} MqPath;

/* mq_head_mask[l]: the bits of a loaded word that come from its first l bytes in memory */
extern const uint64 mq_head_mask[9];

/* Open a path for reading; a toasted array is detoasted in CurrentMemoryContext. */
extern void mq_path_open(MqPath *it, Datum d, const char *what);
extern void mq_path_corrupt(const MqPath *it) pg_attribute_noreturn();

/* The channel id of the next element of an open path (call it n times). */
static inline int32
mq_path_next(MqPath *it, MqChanCache *cache, MqDict *dict)
{
	const char *p = it->base + it->off;
	int			len;
	Size		adv;
	int32		id;

	if (likely(VARATT_IS_1B(p)))
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
			mq_path_corrupt(it);	/* elements are never compressed */
		adv = VARSIZE_4B((struct varlena *) &hdr);
		len = adv - VARHDRSZ;
		p += VARHDRSZ;
	}
	if (unlikely(adv < 1 || it->off + adv > it->end))
		mq_path_corrupt(it);
	if (likely((Size) (p - it->base) + Max(len, 8) <= it->end))
	{
		/*
		 * Branch-free key words: 8 bytes can be read from the name's start
		 * without leaving the array, so load them and mask off what is not
		 * the name; the tail is the last 8 bytes when longer than 8.
		 */
		uint64		head = mq_load64(p) & mq_head_mask[Min(len, 8)];
		uint64		tail = mq_load64(p + Max(len, 8) - 8) & -(uint64) (len > 8);

		id = mq_chan_lookup(cache, dict, p, len, head, tail);
	}
	else
		id = mq_chan_intern(cache, dict, p, len);
	it->off = TYPEALIGN(sizeof(int32), it->off + adv);
	return id;
}

/*
 * The channel ids of an open path into *buf (grown in cxt, *cap elements);
 * returns their number.  Open the path in a short-lived context (a toasted
 * array is detoasted there); interning allocates in the dictionary's own.
 */
extern int	mq_path_ids(MqPath *it, MqChanCache *cache, MqDict *dict, int32 **buf, int *cap,
						MemoryContext cxt);

/* ------------------------------------------------------------ model names */

/* Every model attribution_report knows; the heuristics come first. */
typedef enum MqAttrModel
{
	MQ_AM_FIRST_TOUCH,
	MQ_AM_LAST_TOUCH,
	MQ_AM_LINEAR,
	MQ_AM_TIME_DECAY,
	MQ_AM_U_SHAPE,
	MQ_AM_J_SHAPE,
	MQ_AM_INVERSE_J,
	MQ_AM_W_SHAPE,
	MQ_AM_POSITION,
	MQ_AM_LAST_NON_DIRECT,
	MQ_AM_PARTICIPATION,
	MQ_AM_NHEURISTIC,			/* count of the per-journey (heuristic) models */
	MQ_AM_MARKOV = MQ_AM_NHEURISTIC,
	MQ_AM_SHAPLEY,
	MQ_AM_SHAPLEY_RATE,
	MQ_AM_NMODELS
} MqAttrModel;

/* SQL names, indexed by MqAttrModel, NULL-terminated (for mq_check_choice) */
extern const char *const mq_attr_model_names[];

/* the heuristic models' names only, NULL-terminated (attribute()) */
extern const char *const mq_attr_heuristic_names[];

/* Parameters of the heuristic models. */
typedef struct MqAttrParams
{
	double		half_life;		/* time decay half-life, microseconds (> 0) */
	double		first_w;		/* position model: first-touch weight */
	double		middle_w;		/* position model: weight shared by the middle touches */
	double		last_w;			/* position model: last-touch weight */
	int32		skip_id;		/* last non-direct: channel id skipped, -1 for none */
	bool	   *seen;			/* scratch, one flag per channel id, all false between calls */
} MqAttrParams;

/*
 * Credit weights w[0..n-1] of the touches of one converting journey under a
 * heuristic model: they sum to 1, except for participation, which gives 1 to
 * the first touch of every distinct channel.  ts (microseconds, non-
 * decreasing) and conv_ts are read only by time decay.  n >= 1.
 */
extern void mq_attr_weights(MqAttrModel model, const MqAttrParams *p, const int32 *ch,
							const int64 *ts, int64 conv_ts, int n, double *w);

/* Check position weights (each in [0, 1], sum 1) and store them into p. */
extern void mq_attr_check_weights(MqAttrParams *p, double first_w, double middle_w, double last_w);

extern void mq_attr_count_error(const char *what, int64 v) pg_attribute_noreturn();
extern void mq_attr_value_error(double v, double conversions) pg_attribute_noreturn();

/* A count argument of a path aggregate: NULL is 0, negative an ERROR. */
static inline double
mq_attr_count_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	int64		v;

	if (argno >= PG_NARGS() || PG_ARGISNULL(argno))
		return 0;
	v = PG_GETARG_INT64(argno);
	if (unlikely(v < 0))
		mq_attr_count_error(what, v);
	return (double) v;
}

/* A path's conversion value argument: NULL is 0; finite, >= 0, and 0 without conversions. */
static inline double
mq_attr_value_arg(FunctionCallInfo fcinfo, int argno, double conversions)
{
	double		v;

	if (argno >= PG_NARGS() || PG_ARGISNULL(argno))
		return 0;
	v = PG_GETARG_FLOAT8(argno);
	/* finite and >= 0 (NaN fails both comparisons), and 0 without conversions */
	if (unlikely(!(v >= 0 && v <= DBL_MAX) || (v > 0 && conversions == 0)))
		mq_attr_value_error(v, conversions);
	return v;
}

/* An interval as microseconds (months of 30 days, days of 24 hours), for half-lives and lookbacks. */
extern double mq_interval_usecs(const Interval *iv);

/*
 * A state of a kind (markov, shapley) outside any aggregate, for the
 * table-level report: a zeroed struct in a new child context of parent,
 * initialised by the kind.  It is never used as an expanded datum.
 */
extern MqState *mq_attr_state_create(const MqKind *kind, MemoryContext parent);

/* ------------------------------------------------------------------ Markov */

/* symbols in transition keys besides channel ids (>= 0) */
#define MQ_MK_NONE		(-1)	/* padding of a from-state shorter than the order */
#define MQ_MK_CONV		(-2)	/* next symbol: (conversion) */
#define MQ_MK_NULL		(-3)	/* next symbol: (null) */

#define MQ_MARKOV_MAX_ORDER 10
/* order-1 chains over at most this many channels count transitions in a dense matrix */
#define MQ_MARKOV_DENSE_CHANNELS 256

/*
 * In-memory Markov state: the channel dictionary and the transition counts.
 * A transition key is the from-state (the last `order` channel ids, oldest
 * first, left-padded with MQ_MK_NONE; all padding = (start)) followed by the
 * next symbol (a channel id, MQ_MK_CONV or MQ_MK_NULL); its values are the
 * count of journeys that made it and the conversion value they carried.
 */
typedef struct MqMarkovState
{
	MqState		hdr;			/* expanded-object header, first */
	int			order;			/* chain order; 0 until the first row sets it */
	bool		collapse;		/* consecutive repeats of a channel collapsed */
	int64		paths;			/* rows (distinct paths) added */
	double		conversions;	/* total conversions */
	double		nulls;			/* total non-conversions */
	double		value;			/* total conversion value */
	MqDict		channels;		/* channel name -> id */
	/* order 1 with few channels: dense counts, row = from (0 start, 1+id), col = next */
	double	   *dense;			/* dense_cap_rows x dense_stride pairs (count, value), or NULL */
	int			dense_dim;		/* channels the dense matrix has room for */
	/* otherwise: key (order + 1 int32) -> (count, value) */
	MqAccum		trans;
	int32	   *scratch;		/* ids of the current path */
	int			scratch_cap;	/* allocated ids */
	MqChanCache *cache;			/* channel name cache (aggregate rows), or NULL */
	int			size_checked_at;	/* channels + entries when the size was last checked */
} MqMarkovState;

extern const MqKind mq_markov_kind;

/* Start (or check) the state's order and collapse setting. */
extern void mq_markov_set_params(MqMarkovState *s, int order, bool collapse);

/*
 * Add a path of n channel ids (already interned in s->channels) made by
 * `conversions` converting and `nulls` non-converting journeys that carried
 * `value` in total.  The caller runs it in s->hdr.cxt.
 */
extern void mq_markov_add_path(MqMarkovState *s, const int32 *ids, int n,
							   double conversions, double nulls, double value);

/*
 * Solve a flat markov model exactly: P(conversion), expected value per
 * journey and each channel's conversion and value removal effects (arrays of
 * the model's channel count, palloc'd).  iterative forces the sparse
 * Gauss-Seidel solver (tests compare it with the dense one).
 */
typedef struct MqMarkovSolution
{
	double		p_conv;			/* P(conversion) from (start) */
	double		value;			/* expected conversion value per journey */
	double	   *removal;		/* conversion removal effect per channel */
	double	   *value_removal;	/* value removal effect per channel */
	const char *method;			/* "dense inverse", "dense per channel", "gauss-seidel" */
	int			iterations;		/* Gauss-Seidel sweeps, summed over channels (0 if dense) */
} MqMarkovSolution;

extern void mq_markov_solve(const MqModel *m, bool iterative, MqMarkovSolution *sol);

/* solver choice for mq_markov_solve_with */
typedef enum MqMarkovSolver
{
	MQ_MK_SOLVER_AUTO,			/* by size: dense inverse, dense per channel, Gauss-Seidel */
	MQ_MK_SOLVER_DENSE,			/* dense LU per channel, whatever the size */
	MQ_MK_SOLVER_ITERATIVE		/* Gauss-Seidel, whatever the size */
} MqMarkovSolver;

extern void mq_markov_solve_with(const MqModel *m, MqMarkovSolver solver, MqMarkovSolution *sol);

/* sections of a flat markov value */
enum
{
	MK_ORDER,					/* int64: chain order */
	MK_COLLAPSE,				/* int64: 1 if consecutive repeats were collapsed */
	MK_PATHS,					/* int64: rows aggregated */
	MK_CONVERSIONS,				/* float8: total conversions */
	MK_NULLS,					/* float8: total non-conversions */
	MK_VALUE,					/* float8: total conversion value */
	MK_CHANNELS,				/* text[]: channel names, byte order */
	MK_KEYS,					/* int32[]: (order + 1) per transition */
	MK_COUNTS,					/* float8[]: per transition, journeys */
	MK_VALUES,					/* float8[]: per transition, conversion value */
	MK_P_CONV,					/* float8: P(conversion) (final value; NaN in states) */
	MK_EXP_VALUE,				/* float8: expected value per journey (final; NaN in states) */
	MK_REMOVAL,					/* float8[]: per channel, conversion removal effect (final; empty in states) */
	MK_VALUE_REMOVAL,			/* float8[]: per channel, value removal effect (final; empty in states) */
	MK_NSECT
};

/* A finished model (state plus solution) from a state: what markov_model returns. */
extern MqModel *mq_markov_finish(MqMarkovState *s);

/* ----------------------------------------------------------------- Shapley */

/*
 * In-memory Shapley state: journeys grouped by their set of channels.  A
 * set is stored as its sorted channel ids; the sums per set are
 * conversions, non-conversions and conversion value.
 */
typedef struct MqShapleyState
{
	MqState		hdr;			/* expanded-object header, first */
	int64		paths;			/* rows added */
	double		conversions;	/* total conversions */
	double		nulls;			/* total non-conversions */
	double		value;			/* total conversion value */
	MqDict		channels;		/* channel name -> id */
	int			nsets;			/* distinct sets */
	int			cap;			/* allocated sets */
	int32	   *set_off;		/* cap + 1 offsets into members */
	int32	   *members;		/* sorted ids of every set, concatenated */
	Size		members_cap;	/* allocated members */
	double	   *sums;			/* 3 per set: conversions, nulls, value */
	uint32	   *hashes;			/* per set */
	int32	   *table;			/* open addressing: set index or -1 */
	uint32		mask;			/* table size - 1 */
	int32	   *scratch;		/* ids of the current path */
	int			scratch_cap;	/* allocated ids */
	bool	   *seen;			/* per channel id, all false between rows */
	int			seen_cap;		/* allocated flags */
	MqChanCache *cache;			/* channel name cache (aggregate rows), or NULL */
} MqShapleyState;

extern const MqKind mq_shapley_kind;

/* Add a journey's channels (n ids, repeats allowed) with its counts; runs in s->hdr.cxt. */
extern void mq_shapley_add_path(MqShapleyState *s, int32 *ids, int n,
								double conversions, double nulls, double value);

/* sections of a flat shapley value */
enum
{
	SH_PATHS,					/* int64: rows aggregated */
	SH_CONVERSIONS,				/* float8: total conversions */
	SH_NULLS,					/* float8: total non-conversions */
	SH_VALUE,					/* float8: total conversion value */
	SH_CHANNELS,				/* text[]: channel names, byte order */
	SH_SET_SIZES,				/* int32[]: channels per set */
	SH_MEMBERS,					/* int32[]: the sets' channel indexes, ascending within a set */
	SH_SET_CONVERSIONS,			/* float8[]: per set */
	SH_SET_NULLS,				/* float8[]: per set */
	SH_SET_VALUES,				/* float8[]: per set */
	SH_NSECT
};

/* the coalition games shapley_values knows */
typedef enum MqShapleyGame
{
	MQ_SHAPLEY_COUNT,			/* v(S) = conversions (value) of journeys within S */
	MQ_SHAPLEY_RATE				/* v(S) = conversion rate (value per journey) of journeys within S */
} MqShapleyGame;

/* Shapley values of a flat shapley value, per channel (palloc'd arrays). */
typedef struct MqShapleyResult
{
	double	   *phi;			/* Shapley value of the conversion game */
	double	   *phi_value;		/* Shapley value of the value game */
	double	   *conversions;	/* conversions credited: phi's shares of the total */
	double	   *value;			/* value credited: phi_value's shares of the total */
	double	   *share;			/* phi / sum(phi) */
} MqShapleyResult;

/* the rate game enumerates 2^n coalitions */
#define MQ_SHAPLEY_MAX_RATE_CHANNELS 24

extern void mq_shapley_compute(const MqModel *m, MqShapleyGame game, MqShapleyResult *r);

#endif							/* MQ_ATTRIBUTION_H */
