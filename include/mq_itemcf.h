/*-------------------------------------------------------------------------
 *
 * mq_itemcf.h
 *	  Item-based collaborative filtering: the marketiq.itemcf model value,
 *	  the item_cf aggregate state that builds it, and the decoded form the
 *	  readers work on.
 *
 * A model holds, per item, the number of baskets (users) that contain it and
 * the sum and sum of squares of its ratings, and per co-occurring item pair
 * the sufficient statistics over their common users: the count, and for
 * rated models the sums of x, y, x^2, y^2, xy and of the same for ratings
 * centred by each user's mean.  Every similarity measure is a function of
 * these, so the measure is chosen when reading (itemcf_sim.c).
 *
 * Files: itemcf_model.c (kind, state, aggregate), itemcf_read.c (decoded
 * model, cache, similarity, readers), itemcf_report.c (recommendations()).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_ITEMCF_H
#define MQ_ITEMCF_H

#include "postgres.h"
#include "fmgr.h"

#include "mq_hash.h"
#include "mq_model.h"

/* Sections of marketiq.itemcf, in order. */
enum
{
	IC_RATED,					/* int64: 1 if built from ratings, 0 if implicit */
	IC_BASKETS,					/* int64: non-empty baskets aggregated */
	IC_SKIPPED,					/* int64: NULL or empty baskets skipped */
	IC_INTERACTIONS,			/* int64: (basket, item) entries, = sum of item_users */
	IC_ITEMS,					/* text[]: item names in byte order */
	IC_ITEM_USERS,				/* int64[]: per item, baskets containing it */
	IC_ITEM_SUM,				/* float8[]: per item, sum of its ratings */
	IC_ITEM_SUMSQ,				/* float8[]: per item, sum of its squared ratings */
	IC_PAIR_START,				/* int64[items + 1]: pairs (i, j > i) of item i are
								 * [start[i], start[i + 1]) */
	IC_PAIR_ITEM,				/* int32[]: j of each pair, increasing within i */
	IC_PAIR_USERS,				/* int64[]: common users of each pair */
	IC_PAIR_SX,					/* float8[]: sum of x (ratings of i) over common users */
	IC_PAIR_SY,					/* float8[]: sum of y (ratings of j) */
	IC_PAIR_SXX,				/* float8[]: sum of x^2 */
	IC_PAIR_SYY,				/* float8[]: sum of y^2 */
	IC_PAIR_SXY,				/* float8[]: sum of x y */
	IC_PAIR_SXC,				/* float8[]: sum of x' = x - user mean */
	IC_PAIR_SYC,				/* float8[]: sum of y' */
	IC_PAIR_SXXC,				/* float8[]: sum of x'^2 */
	IC_PAIR_SYYC,				/* float8[]: sum of y'^2 */
	IC_PAIR_SXYC,				/* float8[]: sum of x' y' */
	IC_NSECT
};

/* the rated pair statistics, in section order (IC_PAIR_SX .. IC_PAIR_SXYC) */
#define IC_NSTATS 10
/* values kept per pair in a state: the count, then the IC_NSTATS sums when rated */
#define IC_RATED_WIDTH (1 + IC_NSTATS)

extern const MqKind mq_itemcf_kind;

/*
 * The aggregate state.  Items are interned in order of first appearance;
 * a pair is the 64-bit key (i << 32) | j with i < j (state ids).  Pairs live
 * in a sorted "main" run (keys and value rows of `width` float8s) and a
 * buffer of raw pair occurrences that is sorted (radix) and merged into the
 * main run when it fills up: appending an occurrence is a store, and the
 * merge streams through memory, where a hash table would miss the cache on
 * nearly every pair.
 */
typedef struct IcfState
{
	MqState		hdr;			/* expanded-object header, first */
	int			rated;			/* -1 unknown (empty), 0 implicit, 1 rated */
	int			width;			/* float8s per pair: 1 or IC_RATED_WIDTH */
	int64		baskets;		/* non-empty baskets */
	int64		skipped;		/* NULL or empty baskets */
	int64		interactions;	/* basket entries */
	MqDict		items;			/* name -> state id */
	int			icap;			/* allocated entries of the per-item arrays */
	double	   *n;				/* per item: baskets */
	double	   *sx;				/* per item: sum of ratings */
	double	   *sxx;			/* per item: sum of squared ratings */
	int64	   *stamp;			/* per item: last basket that had it (duplicates) */
	/* sorted main run */
	Size		nmain;			/* pairs */
	Size		capmain;		/* allocated pairs */
	uint64	   *mkeys;			/* keys, increasing */
	double	   *mvals;			/* nmain * width */
	/* raw occurrences not yet merged */
	Size		nbuf;			/* occurrences */
	Size		capbuf;			/* allocated occurrences */
	uint64	   *bkeys;			/* their keys */
	double	   *bvals;			/* rated: x, y, x', y' per occurrence (x of the lower id) */
	/* dense block: pairs of items with ids below dense_h, counted in place */
	int			dense_h;		/* items it covers (0: none yet) */
	double	   *dense;			/* cells (i < j < dense_h) of `width` float8s, row by row */
	int64	   *dense_row;		/* cell (i, j) is dense_row[i] + j */
	Size		occurrences;	/* pair occurrences added by baskets so far */
	/* sorting scratch, kept between merges */
	Size		scap;			/* allocated entries */
	uint64	   *skeys;			/* keys */
	uint32	   *sperm;			/* permutation */
	/* per-basket scratch */
	int			bcap;			/* allocated entries */
	int32	   *bids;			/* item ids of the basket */
	double	   *brat;			/* ratings of the basket */
} IcfState;

/* Create a standalone state (outside an aggregate) in a new child of parent. */
extern IcfState *mq_icf_state_create(MemoryContext parent);

/*
 * Add one basket: n item names (strs/lens) with ratings (NULL: implicit,
 * every rating 1).  dedupe: a repeated item counts once (recommendations()
 * without a rating column) instead of being an error.
 */
extern void mq_icf_add_basket(IcfState *s, int n, char **strs, const int *lens,
							  const double *ratings, bool dedupe);

/* Add one basket given as state item ids (already interned) and ratings (NULL: implicit). */
extern void mq_icf_add_basket_ids(IcfState *s, int n, const int32 *ids, const double *ratings,
								  bool dedupe);

/* Intern an item name in the state (growing the per-item arrays). */
extern int32 mq_icf_intern(IcfState *s, const char *name, int len);

/* ---- decoded models (readers) ---- */

/* similarity measures, in the order of mq_icf_measures */
typedef enum IcfMeasure
{
	ICF_COSINE,
	ICF_JACCARD,
	ICF_PEARSON,
	ICF_ADJUSTED_COSINE,
	ICF_MSD
} IcfMeasure;

extern const char *const mq_icf_measures[];

/* How a similarity is read from a model. */
typedef struct IcfParams
{
	IcfMeasure	measure;		/* which formula */
	int64		min_support;	/* pairs with fewer common users: 0 */
	double		shrinkage;		/* lambda: sim * n / (n + lambda) */
} IcfParams;

/* A model decoded for reading: views into the flat value plus a symmetric adjacency. */
typedef struct IcfModel
{
	const MqModel *flat;		/* the detoasted value (owned by the cache) */
	int			nitems;			/* items */
	int64		npairs;			/* pairs (i < j) */
	bool		rated;			/* built from ratings */
	const int64 *n;				/* per item: users */
	const double *sx;			/* per item: sum of ratings */
	const double *sxx;			/* per item: sum of squared ratings */
	const int64 *pstart;		/* CSR of the pairs (i < j) */
	const int32 *pitem;			/* j of each pair */
	const int64 *pusers;		/* common users of each pair */
	const double *ps[IC_NSTATS];	/* rated pair statistics (NULL when implicit) */
	MqDict		dict;			/* name -> id (ids are byte-order ranks) */
	int64	   *adj_start;		/* per item: its neighbours are adj_*[start[i], start[i+1]) */
	int32	   *adj_item;		/* neighbour ids, increasing */
	int32	   *adj_pair;		/* the pair index of each neighbour */
} IcfModel;

/* A neighbour list: the k best neighbours of one item under some params. */
typedef struct IcfNeighbors
{
	int			n;				/* entries */
	int32	   *item;			/* neighbour ids, best first */
	double	   *sim;			/* their similarities (> 0) */
	int32	   *pair;			/* their pair indexes */
} IcfNeighbors;

/* Reader cache kept in fn_extra: the decoded model and per-params neighbour lists. */
typedef struct IcfCache
{
	MemoryContext cxt;			/* owns everything here */
	/* identity of the model datum that was decoded */
	int			keykind;		/* 0 none, 1 toast pointer, 2 small copy, 3 large in-memory */
	Oid			toastrelid;		/* keykind 1 */
	Oid			valueid;		/* keykind 1 */
	Size		rawsize;		/* size of the raw datum (1, 2, 3) */
	const void *addr;			/* keykind 3: its address */
	uint64		fingerprint;	/* keykind 3: a hash of sampled words */
	char	   *rawcopy;		/* keykind 2: copy of the raw datum */
	IcfModel	m;				/* the decoded model */
	/* memoised top-k neighbour lists */
	bool		memo_valid;		/* memo_params/memo_k describe the lists */
	IcfParams	memo_params;	/* params of the lists */
	int			memo_k;			/* k of the lists */
	MemoryContext memo_cxt;		/* their memory */
	IcfNeighbors **memo;		/* per item, NULL until computed */
	/* scratch for scoring */
	double	   *score;			/* per item */
	int64	   *stamp;			/* per item: call that touched it */
	int64	   *seen;			/* per item: call in which the user had it */
	int64		callno;			/* calls so far */
	int32	   *touched;		/* items touched by this call */
} IcfCache;

/* The cache for the model in argument argno of this call (decoding it if new). */
extern IcfCache *mq_icf_cache(FunctionCallInfo fcinfo, int argno);

/* Decode a flat model into m (allocations in CurrentMemoryContext). */
extern void mq_icf_decode(IcfModel *m, const MqModel *flat);

/* A cache around an already decoded flat value (recommendations()); in CurrentMemoryContext. */
extern IcfCache *mq_icf_cache_for(const MqModel *flat);

/* Similarity of items i and j, pair index p, under params. */
extern double mq_icf_sim(const IcfModel *m, int32 i, int32 j, int32 p, const IcfParams *prm);

/* The k best neighbours of item i (memoised in the cache for these params and k). */
extern const IcfNeighbors *mq_icf_topk(IcfCache *c, int32 i, int k, const IcfParams *prm);

/* Read and validate the (similarity, min_support, shrinkage) arguments. */
extern void mq_icf_params(IcfParams *prm, const char *similarity, int64 min_support,
						  double shrinkage);

/*
 * Score items for a user: ids[nu] with weights w (NULL = 1), item-kNN with
 * k neighbours; writes up to n results best first into out_ids/out_scores
 * and returns their number.
 */
extern int	mq_icf_recommend(IcfCache *c, const int32 *ids, const double *w, int nu,
							 int n, int k, const IcfParams *prm, bool exclude_seen,
							 int32 *out_ids, double *out_scores);

#endif							/* MQ_ITEMCF_H */
