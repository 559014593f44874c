/*-------------------------------------------------------------------------
 *
 * itemcf_model.c
 *	  The marketiq.itemcf model value and the item_cf aggregates that build
 *	  it from baskets (one row per user: the user's items, and optionally
 *	  their ratings), plus the small readers summary() and item_stats().
 *
 * What is counted.  For each basket (user u with items I_u and ratings
 * r_ui, every rating 1 for implicit data) the aggregate adds, per item i,
 * one user, r_ui and r_ui^2; and per pair of items i < j of the basket, one
 * common user and (for rated data) x = r_ui, y = r_uj, x^2, y^2, xy and the
 * same for x' = x - mean_u, y' = y - mean_u, where mean_u is the mean of
 * the basket's ratings.  All of it is a sum over baskets, so partial states
 * combine by addition (parallel query, Citus), and every similarity measure
 * of the readers is a function of these sums.  Implicit models keep only
 * the pair counts (their other sums are implied: x = y = 1, x' = y' = 0).
 *
 * A repeated item inside one basket is an error: its rating would be
 * ambiguous (summed weights, or two ratings of one item?), so the analyst
 * says which by aggregating first (array_agg(DISTINCT item), or sum/avg per
 * (user, item)).
 *
 * How pairs are counted.  A basket of b items has b(b-1)/2 pairs, and with
 * thousands of items nearly every pair lands on a different cache line of a
 * hash table.  Instead, each occurrence is appended to a buffer as the
 * 64-bit key (i << 32) | j (state ids, i < j); when the buffer holds as many
 * occurrences as there are distinct pairs so far (at least 2^20), it is
 * sorted by an LSD radix sort over the bits the ids use and merged, in one
 * backward pass that groups equal keys, into the sorted main run of
 * distinct pairs and their sums.  Appending is a store, sorting and merging
 * stream through memory, and the buffer never holds more than
 * max(2^20, distinct pairs) occurrences, so the state is bounded by the
 * distinct pairs: about 16 bytes per pair for implicit data (key and count)
 * and 96 for rated data, plus the buffer (8 or 40 bytes per occurrence) --
 * checked against marketiq.max_model_bytes before every allocation.
 *
 * The flat value lists items in byte order and the pairs as a CSR over the
 * upper triangle in that order, so equal models print equally whatever the
 * plan or the order of the baskets.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_itemcf.h"
#include "mq_model.h"

static const MqSectSpec itemcf_sects[IC_NSECT] = {
	{"rated", MQ_INT64},
	{"baskets", MQ_INT64},
	{"skipped_baskets", MQ_INT64},
	{"interactions", MQ_INT64},
	{"items", MQ_TEXT_ARR},
	{"item_users", MQ_INT64_ARR},
	{"item_sum", MQ_FLOAT8_ARR},
	{"item_sumsq", MQ_FLOAT8_ARR},
	{"pair_start", MQ_INT64_ARR},
	{"pair_item", MQ_INT32_ARR},
	{"pair_users", MQ_INT64_ARR},
	{"pair_sum_x", MQ_FLOAT8_ARR},
	{"pair_sum_y", MQ_FLOAT8_ARR},
	{"pair_sum_xx", MQ_FLOAT8_ARR},
	{"pair_sum_yy", MQ_FLOAT8_ARR},
	{"pair_sum_xy", MQ_FLOAT8_ARR},
	{"pair_sum_xc", MQ_FLOAT8_ARR},
	{"pair_sum_yc", MQ_FLOAT8_ARR},
	{"pair_sum_xxc", MQ_FLOAT8_ARR},
	{"pair_sum_yyc", MQ_FLOAT8_ARR},
	{"pair_sum_xyc", MQ_FLOAT8_ARR},
};

static void itemcf_check(const MqKind *kind, const MqModel *m);
static void itemcf_init(MqState *s);
static void itemcf_merge(MqState *s, const MqModel *m);
static MqModel *itemcf_flatten(MqState *s);

const MqKind mq_itemcf_kind = {
	.name = "itemcf",
	.id = 40,
	.format = 1,
	.nsect = IC_NSECT,
	.sects = itemcf_sects,
	.check = itemcf_check,
	.state_size = sizeof(IcfState),
	.init = itemcf_init,
	.merge = itemcf_merge,
	.flatten = itemcf_flatten,
};

MQ_MODEL_TYPE_IO(itemcf, &mq_itemcf_kind)

/* the buffer is merged once it holds this many bytes, or as many as the main run */
#define ICF_MIN_BUFFER_BYTES ((Size) 32 << 20)
/* the dense block holds at most this many bytes, and starts after this many occurrences */
#define ICF_DENSE_BYTES ((Size) 16 << 20)
#define ICF_DENSE_AFTER ((Size) 1 << 20)
/* float8s per buffered occurrence of rated data: x, y, x', y' */
#define ICF_OCC_VALS 4

/* ------------------------------------------------------------- validation */

/* Semantic checks of a flat itemcf value. */
static void
itemcf_check(const MqKind *kind, const MqModel *m)
{
	int64		rated = mq_get_int64(m, IC_RATED);
	int64		baskets = mq_get_int64(m, IC_BASKETS);
	int64		interactions = mq_get_int64(m, IC_INTERACTIONS);
	int			nitems = mq_get_text_count(m, IC_ITEMS);
	int			nu,
				nsx,
				nsxx,
				nstart,
				npairs,
				npu,
				i,
				s;
	const int64 *users = mq_get_int64s(m, IC_ITEM_USERS, &nu);
	const double *sx = mq_get_float8s(m, IC_ITEM_SUM, &nsx);
	const double *sxx = mq_get_float8s(m, IC_ITEM_SUMSQ, &nsxx);
	const int64 *start = mq_get_int64s(m, IC_PAIR_START, &nstart);
	const int32 *pitem = mq_get_int32s(m, IC_PAIR_ITEM, &npairs);
	const int64 *pusers = mq_get_int64s(m, IC_PAIR_USERS, &npu);
	const char *prev = NULL;
	int			prevlen = 0;
	int64		total = 0;

	if (rated != 0 && rated != 1)
		mq_model_corrupt(kind, "\"rated\" must be 0 or 1.");
	if (baskets < 0 || mq_get_int64(m, IC_SKIPPED) < 0 || interactions < 0)
		mq_model_corrupt(kind, "The basket and interaction counts must not be negative.");
	if (nu != nitems || nsx != nitems || nsxx != nitems || nstart != nitems + 1)
		mq_model_corrupt(kind, "Sections \"item_users\", \"item_sum\", \"item_sumsq\" and \"pair_start\" must have %d, %d, %d and %d elements.",
						 nitems, nitems, nitems, nitems + 1);
	if (npu != npairs)
		mq_model_corrupt(kind, "Sections \"pair_item\" and \"pair_users\" have %d and %d elements.",
						 npairs, npu);
	for (i = 0; i < nitems; i++)
	{
		int			len;
		const char *name = mq_get_text_elem(m, IC_ITEMS, i, &len);

		if (prev && mq_strcmp_bytes(prev, prevlen, name, len) >= 0)
			mq_model_corrupt(kind, "Item %d is not in byte order after item %d, or repeats it.", i + 1, i);
		prev = name;
		prevlen = len;
		if (users[i] < 1 || users[i] > baskets)
			mq_model_corrupt(kind, "Item %d has " INT64_FORMAT " users, not between 1 and the " INT64_FORMAT " baskets.",
							 i + 1, users[i], baskets);
		total += users[i];
		if (!isfinite(sx[i]) || !isfinite(sxx[i]) || sxx[i] < 0 ||
			(!rated && (sx[i] != (double) users[i] || sxx[i] != (double) users[i])))
			mq_model_corrupt(kind, "Item %d has invalid rating sums.", i + 1);
	}
	if (total != interactions)
		mq_model_corrupt(kind, "\"interactions\" is " INT64_FORMAT " but the item users add up to " INT64_FORMAT ".",
						 interactions, total);
	if (start[0] != 0 || start[nitems] != npairs)
		mq_model_corrupt(kind, "\"pair_start\" must run from 0 to the %d pairs.", npairs);
	for (i = 0; i < nitems; i++)
	{
		int64		p;

		if (start[i + 1] < start[i])
			mq_model_corrupt(kind, "\"pair_start\" decreases at item %d.", i + 2);
		for (p = start[i]; p < start[i + 1]; p++)
		{
			int32		j = pitem[p];

			if (j <= i || j >= nitems || (p > start[i] && j <= pitem[p - 1]))
				mq_model_corrupt(kind, "Pair %lld has an invalid second item.", (long long) p + 1);
			if (pusers[p] < 1 || pusers[p] > Min(users[i], users[j]))
				mq_model_corrupt(kind, "Pair %lld has " INT64_FORMAT " common users, not between 1 and the users of either item.",
								 (long long) p + 1, pusers[p]);
		}
	}
	for (s = 0; s < IC_NSTATS; s++)
	{
		int			n;
		const double *v = mq_get_float8s(m, IC_PAIR_SX + s, &n);

		if (n != (rated ? npairs : 0))
			mq_model_corrupt(kind, "Section \"%s\" must have %d elements.",
							 kind->sects[IC_PAIR_SX + s].name, rated ? npairs : 0);
		for (i = 0; i < n; i++)
			if (!isfinite(v[i]))
				mq_model_corrupt(kind, "Section \"%s\" has a non-finite element.",
								 kind->sects[IC_PAIR_SX + s].name);
	}
}

/* ------------------------------------------------------------------ state */

/* Empty state. */
static void
itemcf_init(MqState *st)
{
	IcfState   *s = (IcfState *) st;

	s->rated = -1;
	s->width = 1;
	mq_dict_init(&s->items);
}

/* Create a standalone state outside an aggregate. */
IcfState *
mq_icf_state_create(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "marketiq itemcf state",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	IcfState   *s = palloc0(sizeof(IcfState));

	s->hdr.kind = &mq_itemcf_kind;
	s->hdr.cxt = cxt;
	itemcf_init(&s->hdr);
	MemoryContextSwitchTo(old);
	return s;
}

/* Approximate bytes a state would hold with the given capacities. */
static Size
icf_bytes(const IcfState *s, Size capmain, Size capbuf)
{
	Size		perocc = sizeof(uint64) + (s->rated == 1 ? ICF_OCC_VALS * sizeof(double) : 0);
	Size		dense = (Size) s->dense_h * (s->dense_h - 1) / 2 * s->width * sizeof(double) +
		(Size) s->dense_h * sizeof(int64);

	return dense + mq_dict_bytes(&s->items) + (Size) s->icap * (3 * sizeof(double) + sizeof(int64)) +
		capmain * (sizeof(uint64) + sizeof(double) * s->width) +
		capbuf * (perocc + sizeof(uint64) + sizeof(uint32));	/* + sorting scratch */
}

/* Fix implicit or rated for a state (at its first basket or merge), or check it matches. */
static void
icf_set_rated(IcfState *s, bool rated)
{
	if (s->rated < 0)
	{
		s->rated = rated ? 1 : 0;
		s->width = rated ? IC_RATED_WIDTH : 1;
		return;
	}
	if (s->rated != (rated ? 1 : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine an implicit itemcf model with a rated one"),
				 errhint("Every row of one item_cf aggregate must pass ratings, or none must.")));
}

/* Intern an item name, growing the per-item arrays. */
int32
mq_icf_intern(IcfState *s, const char *name, int len)
{
	int32		id = mq_dict_intern(&s->items, name, len);

	if (id >= s->icap)
	{
		int			cap = Max(64, s->icap * 2);
		MemoryContext old = MemoryContextSwitchTo(s->hdr.cxt);

		mq_check_state_size(icf_bytes(s, s->capmain, s->capbuf) +
							(Size) (cap - s->icap) * (3 * sizeof(double) + sizeof(int64)),
							&mq_itemcf_kind, "items");
		if (s->icap == 0)
		{
			s->n = palloc0(sizeof(double) * cap);
			s->sx = palloc0(sizeof(double) * cap);
			s->sxx = palloc0(sizeof(double) * cap);
			s->stamp = palloc0(sizeof(int64) * cap);
		}
		else
		{
			s->n = repalloc_huge(s->n, sizeof(double) * cap);
			s->sx = repalloc_huge(s->sx, sizeof(double) * cap);
			s->sxx = repalloc_huge(s->sxx, sizeof(double) * cap);
			s->stamp = repalloc_huge(s->stamp, sizeof(int64) * cap);
			memset(s->n + s->icap, 0, sizeof(double) * (cap - s->icap));
			memset(s->sx + s->icap, 0, sizeof(double) * (cap - s->icap));
			memset(s->sxx + s->icap, 0, sizeof(double) * (cap - s->icap));
			memset(s->stamp + s->icap, 0, sizeof(int64) * (cap - s->icap));
		}
		s->icap = cap;
		MemoryContextSwitchTo(old);
	}
	return id;
}

/* ----------------------------------------------------------- radix sorting */

/* Bits needed for ids below n (at least 1). */
static int
id_bits(int n)
{
	int			b = 1;

	while (b < 31 && ((int64) 1 << b) < n)
		b++;
	return b;
}

/*
 * Sort 64-bit keys ascending by their bits [lo, lo + nbits) (the others are
 * equal or do not matter), permuting perm along (if not NULL).  An LSD
 * radix sort: digits of at most 11 bits, all histograms from one pass,
 * digits on which every key agrees skipped.  Already sorted input costs one
 * comparison pass.  Callers pack pair keys so that the bits that vary are
 * contiguous: 2 x 14 bits for 10,000 items is three passes.
 */
static void
radix_sort(uint64 *keys, uint32 *perm, Size n, int lo, int nbits, uint64 *tk, uint32 *tp)
{
	int			shifts[8],
				widths[8],
				ndig,
				d;
	Size	   *count;
	uint64	   *src,
			   *dst;
	uint32	   *psrc,
			   *pdst;
	Size		t;
	int			w;

	for (t = 1; t < n; t++)
		if (keys[t] < keys[t - 1])
			break;
	if (t >= n)
		return;
	ndig = (nbits + 10) / 11;
	w = (nbits + ndig - 1) / ndig;
	for (d = 0; d < ndig; d++)
	{
		shifts[d] = lo + d * w;
		widths[d] = Min(w, nbits - d * w);
	}
	count = palloc0(sizeof(Size) * ndig * ((Size) 1 << w));
	for (t = 0; t < n; t++)
	{
		uint64		k = keys[t];

		for (d = 0; d < ndig; d++)
			count[((Size) d << w) + ((k >> shifts[d]) & (((uint64) 1 << widths[d]) - 1))]++;
	}
	src = keys;
	dst = tk;
	psrc = perm;
	pdst = tp;
	for (d = 0; d < ndig; d++)
	{
		Size	   *c = count + ((Size) d << w);
		uint64		mask = ((uint64) 1 << widths[d]) - 1;
		int			sh = shifts[d];
		Size		sum = 0;
		Size		b;

		if (c[(src[0] >> sh) & mask] == n)
			continue;			/* every key has this digit */
		for (b = 0; b <= mask; b++)
		{
			Size		cnt = c[b];

			c[b] = sum;
			sum += cnt;
		}
		if (perm)
			for (t = 0; t < n; t++)
			{
				Size		pos = c[(src[t] >> sh) & mask]++;

				dst[pos] = src[t];
				pdst[pos] = psrc[t];
			}
		else
			for (t = 0; t < n; t++)
				dst[c[(src[t] >> sh) & mask]++] = src[t];
		{
			uint64	   *x = src;
			uint32	   *y = psrc;

			src = dst;
			dst = x;
			psrc = pdst;
			pdst = y;
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (src != keys)
	{
		memcpy(keys, src, sizeof(uint64) * n);
		if (perm)
			memcpy(perm, psrc, sizeof(uint32) * n);
	}
	pfree(count);
}

/*
 * Sort pair keys (i << 32) | j, with i, j below 2^bits: packed into
 * (i << bits) | j for the sort (the varying bits contiguous), unpacked after.
 */
static void
sort_pairs(uint64 *keys, uint32 *perm, Size n, int bits, uint64 *tk, uint32 *tp)
{
	Size		t;
	uint64		mask = ((uint64) 1 << bits) - 1;

	if (bits >= 32)
	{
		radix_sort(keys, perm, n, 0, 64, tk, tp);
		return;
	}
	for (t = 0; t < n; t++)
		keys[t] = ((keys[t] >> 32) << bits) | (keys[t] & 0xffffffff);
	radix_sort(keys, perm, n, 0, 2 * bits, tk, tp);
	for (t = 0; t < n; t++)
		keys[t] = ((keys[t] >> bits) << 32) | (keys[t] & mask);
}

/*
 * Sorting scratch for n entries (keys and a permutation), kept in the state
 * between merges: fresh memory costs page faults on every use.
 */
static void
icf_scratch(IcfState *s, Size n, bool perm)
{
	Size		cap;

	if (n <= s->scap && (!perm || s->sperm != NULL))
		return;
	cap = Max(n, s->scap + s->scap / 2);
	mq_check_state_size(icf_bytes(s, s->capmain, s->capbuf) + cap * (sizeof(uint64) + sizeof(uint32)),
						&mq_itemcf_kind, "item pairs");
	if (s->skeys)
		pfree(s->skeys);
	if (s->sperm)
		pfree(s->sperm);
	s->skeys = MemoryContextAllocHuge(s->hdr.cxt, sizeof(uint64) * cap);
	/* a permutation only for the sorts that need one (rated data, combining) */
	s->sperm = perm ? MemoryContextAllocHuge(s->hdr.cxt, sizeof(uint32) * cap) : NULL;
	s->scap = cap;
}

/* -------------------------------------------------------- merging into main */

/*
 * A sorted source of pair entries to merge into the main run: raw
 * occurrences (vw 0: implicit, one user each; vw ICF_OCC_VALS: rated x, y,
 * x', y') or aggregated rows of the state's width (vw = width).  Entry t's
 * values are at vals[perm[t] * vw] (perm NULL: t).
 */
typedef struct PairSrc
{
	const uint64 *keys;			/* sorted keys (may repeat) */
	Size		n;				/* entries */
	const uint32 *perm;			/* where each entry's values are */
	const double *vals;			/* the values */
	int			vw;				/* values per entry (see above) */
} PairSrc;

/* Add source entries [t0, t1] (one key) into a row of the state's width. */
static inline void
add_entries(const IcfState *s, double *row, const PairSrc *src, Size t0, Size t1)
{
	Size		t;
	int			w;

	if (src->vw == 0)
	{
		row[0] += (double) (t1 - t0 + 1);
		return;
	}
	for (t = t0; t <= t1; t++)
	{
		const double *v = src->vals + (Size) (src->perm ? src->perm[t] : t) * src->vw;

		if (src->vw == ICF_OCC_VALS)
		{
			double		x = v[0],
						y = v[1],
						xc = v[2],
						yc = v[3];

			row[0] += 1;
			row[1] += x;
			row[2] += y;
			row[3] += x * x;
			row[4] += y * y;
			row[5] += x * y;
			row[6] += xc;
			row[7] += yc;
			row[8] += xc * xc;
			row[9] += yc * yc;
			row[10] += xc * yc;
		}
		else
			for (w = 0; w < s->width; w++)
				row[w] += v[w];
	}
}

/*
 * Merge a sorted source into the main run: count the keys that are new
 * (one forward pass), grow main to hold them, then merge backwards in place
 * so that nothing is copied twice.
 */
static void
merge_src(IcfState *s, const PairSrc *src)
{
	Size		a,
				t,
				nnew = 0,
				dst;
	int			width = s->width;
	int64		b;

	if (src->n == 0)
		return;
	/* how many distinct source keys are not in main */
	a = 0;
	for (t = 0; t < src->n; t++)
	{
		uint64		k = src->keys[t];

		if (t > 0 && k == src->keys[t - 1])
			continue;
		while (a < s->nmain && s->mkeys[a] < k)
			a++;
		if (a >= s->nmain || s->mkeys[a] != k)
			nnew++;
	}
	if (s->nmain + nnew > s->capmain)
	{
		Size		cap = Max(s->nmain + nnew, s->capmain + s->capmain / 2);
		MemoryContext old = MemoryContextSwitchTo(s->hdr.cxt);

		mq_check_state_size(icf_bytes(s, cap, s->capbuf), &mq_itemcf_kind, "item pairs");
		if (s->mkeys == NULL)
		{
			s->mkeys = MemoryContextAllocHuge(s->hdr.cxt, sizeof(uint64) * cap);
			s->mvals = MemoryContextAllocHuge(s->hdr.cxt, sizeof(double) * width * cap);
		}
		else
		{
			s->mkeys = repalloc_huge(s->mkeys, sizeof(uint64) * cap);
			s->mvals = repalloc_huge(s->mvals, sizeof(double) * width * cap);
		}
		s->capmain = cap;
		MemoryContextSwitchTo(old);
	}
	/* backwards: main entry a - 1, source entry b, destination dst - 1 */
	a = s->nmain;
	dst = s->nmain + nnew;
	b = (int64) src->n - 1;
	if (width == 1 && src->vw == 0)
	{
		/* implicit occurrences: the hot case, without per-entry calls */
		uint64	   *mk = s->mkeys;
		double	   *mv = s->mvals;
		const uint64 *sk = src->keys;

		while (b >= 0)
		{
			uint64		k = sk[b];
			int64		b0 = b;
			double		v;

			while (b0 > 0 && sk[b0 - 1] == k)
				b0--;
			while (a > 0 && mk[a - 1] > k)
			{
				a--;
				dst--;
				mk[dst] = mk[a];
				mv[dst] = mv[a];
			}
			v = 0;
			if (a > 0 && mk[a - 1] == k)
				v = mv[--a];
			dst--;
			mk[dst] = k;
			mv[dst] = v + (double) (b - b0 + 1);
			b = b0 - 1;
		}
	}
	while (b >= 0)
	{
		uint64		k = src->keys[b];
		int64		b0 = b;
		double	   *row;

		while (b0 > 0 && src->keys[b0 - 1] == k)
			b0--;
		while (a > 0 && s->mkeys[a - 1] > k)
		{
			a--;
			dst--;
			s->mkeys[dst] = s->mkeys[a];
			memcpy(s->mvals + dst * width, s->mvals + a * width, sizeof(double) * width);
		}
		dst--;
		row = s->mvals + dst * width;
		if (a > 0 && s->mkeys[a - 1] == k)
		{
			a--;
			if (dst != a)
				memcpy(row, s->mvals + a * width, sizeof(double) * width);
		}
		else
			memset(row, 0, sizeof(double) * width);
		s->mkeys[dst] = k;
		add_entries(s, row, src, (Size) b0, (Size) b);
		b = b0 - 1;
		if ((b & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	Assert(dst == a);
	s->nmain += nnew;
}

/* Sort the buffered occurrences and merge them into the main run. */
static void
icf_compact(IcfState *s)
{
	PairSrc		src;
	uint32	   *perm = NULL;
	Size		t;

	if (s->nbuf == 0)
		return;
	if (s->rated == 1)
	{
		perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * s->nbuf);
		for (t = 0; t < s->nbuf; t++)
			perm[t] = (uint32) t;
	}
	icf_scratch(s, s->nbuf, perm != NULL);
	sort_pairs(s->bkeys, perm, s->nbuf, id_bits(s->items.n), s->skeys, s->sperm);
	src.keys = s->bkeys;
	src.n = s->nbuf;
	src.perm = perm;
	src.vals = s->bvals;
	src.vw = s->rated == 1 ? ICF_OCC_VALS : 0;
	merge_src(s, &src);
	s->nbuf = 0;
	if (perm)
		pfree(perm);
}

/* Make room for `need` more occurrences: merge a full buffer or grow it. */
static void
icf_reserve(IcfState *s, Size need)
{
	Size		cap;
	MemoryContext old;
	int			vw = s->rated == 1 ? ICF_OCC_VALS : 0;

	if (s->nbuf + need <= s->capbuf)
		return;
	if (s->nbuf > 0 &&
		s->nbuf * (sizeof(uint64) + vw * sizeof(double)) >=
		Max(ICF_MIN_BUFFER_BYTES, s->nmain * (sizeof(uint64) + s->width * sizeof(double))))
	{
		MemoryContext o2 = MemoryContextSwitchTo(s->hdr.cxt);

		icf_compact(s);
		MemoryContextSwitchTo(o2);
		if (need <= s->capbuf)
			return;
	}
	cap = Max(s->nbuf + need, Max((Size) 1024, s->capbuf * 2));
	if (cap > ((Size) 1 << 16))
	{
		/* a state that grows: go straight to the size at which the buffer is merged */
		Size		perocc = sizeof(uint64) + vw * sizeof(double);

		cap = Max(cap, Max(ICF_MIN_BUFFER_BYTES, s->nmain * (sizeof(uint64) + s->width * sizeof(double))) / perocc + 1);
	}
	mq_check_state_size(icf_bytes(s, s->capmain, cap), &mq_itemcf_kind, "item pairs");
	old = MemoryContextSwitchTo(s->hdr.cxt);
	if (s->bkeys == NULL)
	{
		s->bkeys = MemoryContextAllocHuge(s->hdr.cxt, sizeof(uint64) * cap);
		if (vw)
			s->bvals = MemoryContextAllocHuge(s->hdr.cxt, sizeof(double) * vw * cap);
	}
	else
	{
		s->bkeys = repalloc_huge(s->bkeys, sizeof(uint64) * cap);
		if (vw)
			s->bvals = repalloc_huge(s->bvals, sizeof(double) * vw * cap);
	}
	s->capbuf = cap;
	MemoryContextSwitchTo(old);
}

/* ------------------------------------------------------------ dense block */

/* a basket entry, for sorting large baskets */
typedef struct BasketEntry
{
	int32		id;				/* item id */
	double		r;				/* its rating */
} BasketEntry;

/* Order basket entries by id. */
static int
entry_cmp(const void *x, const void *y)
{
	int32		a = ((const BasketEntry *) x)->id,
				b = ((const BasketEntry *) y)->id;

	return (a > b) - (a < b);
}

/* Sort a basket's ids (and ratings along) ascending. */
static void
sort_basket(int32 *ids, double *r, int m)
{
	BasketEntry *e = palloc(sizeof(BasketEntry) * m);
	int			i;

	for (i = 0; i < m; i++)
	{
		e[i].id = ids[i];
		e[i].r = r[i];
	}
	qsort(e, m, sizeof(BasketEntry), entry_cmp);
	for (i = 0; i < m; i++)
	{
		ids[i] = e[i].id;
		r[i] = e[i].r;
	}
	pfree(e);
}

/*
 * Start counting pairs of the items seen so far (the first ones to appear,
 * which in skewed data are mostly the popular ones) in a dense triangular
 * block: up to 2,048 items for implicit data (2M cells, 16 MB), 512 for
 * rated data.  Most pair occurrences then cost one increment of a cached
 * cell instead of a trip through the buffer and the sort.  Started only
 * after 2^20 occurrences, so small aggregates (one model per group) never
 * pay for it, and only when it fits well within marketiq.max_model_bytes.
 */
static void
icf_start_dense(IcfState *s)
{
	int			h = 64,
				i;
	Size		cells;
	MemoryContext old;

	while (h < s->items.n && (Size) (2 * h) * (2 * h - 1) / 2 * s->width * sizeof(double) <= ICF_DENSE_BYTES)
		h *= 2;
	h = Min(h, Max(s->items.n, 2));
	cells = (Size) h * (h - 1) / 2;
	if (icf_bytes(s, s->capmain, s->capbuf) + cells * s->width * sizeof(double) >
		(Size) mq_max_model_bytes / 2)
	{
		s->occurrences = 0;		/* try again later (never, if the state keeps growing) */
		return;
	}
	old = MemoryContextSwitchTo(s->hdr.cxt);
	s->dense = MemoryContextAllocHuge(s->hdr.cxt, sizeof(double) * s->width * Max(cells, 1));
	memset(s->dense, 0, sizeof(double) * s->width * Max(cells, 1));
	s->dense_row = palloc(sizeof(int64) * h);
	for (i = 0; i < h; i++)
		s->dense_row[i] = (int64) i * (h - 1) - (int64) i * (i - 1) / 2 - i - 1;
	s->dense_h = h;
	MemoryContextSwitchTo(old);
}

/* Move the dense block's counts into the main run and clear it. */
static void
icf_fold_dense(IcfState *s)
{
	int			h = s->dense_h,
				i,
				j,
				width = s->width;
	Size		n = 0,
				cells = (Size) h * (h - 1) / 2,
				t;
	uint64	   *keys;
	double	   *rows;
	PairSrc		src;

	if (h == 0)
		return;
	for (t = 0; t < cells; t++)
		if (s->dense[t * width] != 0)
			n++;
	if (n > 0)
	{
		keys = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * n);
		rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * width * n);
		n = 0;
		for (i = 0; i < h - 1; i++)
			for (j = i + 1; j < h; j++)
			{
				const double *cell = s->dense + (Size) (s->dense_row[i] + j) * width;

				if (cell[0] == 0)
					continue;
				keys[n] = ((uint64) i << 32) | (uint64) j;
				memcpy(rows + n * width, cell, sizeof(double) * width);
				n++;
			}
		src.keys = keys;
		src.n = n;
		src.perm = NULL;
		src.vals = rows;
		src.vw = width;
		merge_src(s, &src);
		pfree(keys);
		pfree(rows);
	}
	memset(s->dense, 0, sizeof(double) * width * cells);
}

/* ------------------------------------------------------------ adding baskets */

/* Add one basket given as state item ids. */
void
mq_icf_add_basket_ids(IcfState *s, int n, const int32 *ids, const double *ratings, bool dedupe)
{
	int64		serial = s->baskets + 1;
	int			m = 0,
				a,
				c,
				h;
	double		mean = 0;
	Size		pairs;
	bool		rated = ratings != NULL;

	icf_set_rated(s, rated);
	if (n > s->bcap)
	{
		int			cap = Max(64, n);

		if (s->bids)
		{
			pfree(s->bids);
			pfree(s->brat);
		}
		s->bids = MemoryContextAlloc(s->hdr.cxt, sizeof(int32) * cap);
		s->brat = MemoryContextAlloc(s->hdr.cxt, sizeof(double) * cap);
		s->bcap = cap;
	}
	for (a = 0; a < n; a++)
	{
		int32		id = ids[a];
		double		r;
		int			c;

		if (s->stamp[id] == serial)
		{
			if (dedupe)
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item \"%s\" appears more than once in a basket", s->items.strs[id]),
					 errhint("Give each item once per basket: array_agg(DISTINCT item), or sum or average its weights or ratings per user and item first.")));
		}
		s->stamp[id] = serial;
		r = rated ? ratings[a] : 1.0;
		mean += r;
		/* keep the basket sorted by id (insertion; large baskets are sorted below) */
		c = m;
		if (m < 64)
			for (; c > 0 && s->bids[c - 1] > id; c--)
			{
				s->bids[c] = s->bids[c - 1];
				s->brat[c] = s->brat[c - 1];
			}
		s->bids[c] = id;
		s->brat[c] = r;
		m++;
	}
	if (m >= 64)
		sort_basket(s->bids, s->brat, m);
	mean /= m;
	for (a = 0; a < m; a++)
	{
		int32		id = s->bids[a];
		double		r = s->brat[a];

		s->n[id] += 1;
		s->sx[id] += r;
		s->sxx[id] += r * r;
	}
	s->interactions += m;
	s->baskets++;
	if (m < 2)
		return;
	/* the basket's pairs are distinct: more of them than fit is an error right away */
	pairs = (Size) m * (m - 1) / 2;
	mq_check_state_size(Max(pairs, s->nmain) * (sizeof(uint64) + sizeof(double) * s->width),
						&mq_itemcf_kind, "item pairs");
	s->occurrences += pairs;
	/* ids below dense_h are a prefix of the sorted basket: their pairs are counted in place */
	for (h = 0; h < m && s->bids[h] < s->dense_h; h++)
		;
	for (a = 0; a < h - 1; a++)
	{
		double	   *row = s->dense + (Size) (s->dense_row[s->bids[a]]) * s->width;

		if (!rated)
			for (c = a + 1; c < h; c++)
				row[s->bids[c]] += 1;
		else
		{
			double		x = s->brat[a],
						xc = x - mean;

			for (c = a + 1; c < h; c++)
			{
				double	   *v = row + (Size) s->bids[c] * IC_RATED_WIDTH;
				double		y = s->brat[c],
							yc = y - mean;

				v[0] += 1;
				v[1] += x;
				v[2] += y;
				v[3] += x * x;
				v[4] += y * y;
				v[5] += x * y;
				v[6] += xc;
				v[7] += yc;
				v[8] += xc * xc;
				v[9] += yc * yc;
				v[10] += xc * yc;
			}
		}
	}
	/* the other pairs go to the buffer, lower id first */
	for (a = 0; a < m - 1; a++)
	{
		uint64		ia = (uint64) s->bids[a];
		int			c0 = Max(a + 1, h);
		uint64	   *k;

		if (c0 >= m)
			continue;
		icf_reserve(s, (Size) (m - c0));
		k = s->bkeys + s->nbuf;
		if (!rated)
		{
			for (c = c0; c < m; c++)
				*k++ = (ia << 32) | (uint64) s->bids[c];
		}
		else
		{
			double	   *v = s->bvals + s->nbuf * ICF_OCC_VALS;
			double		ra = s->brat[a];

			for (c = c0; c < m; c++)
			{
				*k++ = (ia << 32) | (uint64) s->bids[c];
				v[0] = ra;
				v[1] = s->brat[c];
				v[2] = ra - mean;
				v[3] = s->brat[c] - mean;
				v += ICF_OCC_VALS;
			}
		}
		s->nbuf += m - c0;
		if (m > 1000)
			CHECK_FOR_INTERRUPTS();
	}
	if (s->dense_h == 0 && s->occurrences >= ICF_DENSE_AFTER)
		icf_start_dense(s);
}

/* Add one basket of item names. */
void
mq_icf_add_basket(IcfState *s, int n, char **strs, const int *lens, const double *ratings,
				  bool dedupe)
{
	int32	   *ids = palloc(sizeof(int32) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		ids[i] = mq_icf_intern(s, strs[i], lens[i]);
	mq_icf_add_basket_ids(s, n, ids, ratings, dedupe);
	pfree(ids);
}

/* ------------------------------------------------------- merge and flatten */

/* Add a flat value into a state (combine; expanding a flat value). */
static void
itemcf_merge(MqState *st, const MqModel *m)
{
	IcfState   *s = (IcfState *) st;
	int			nitems = mq_get_text_count(m, IC_ITEMS);
	int			n,
				npairs,
				i,
				w;
	const int64 *users = mq_get_int64s(m, IC_ITEM_USERS, &n);
	const double *sx = mq_get_float8s(m, IC_ITEM_SUM, &n);
	const double *sxx = mq_get_float8s(m, IC_ITEM_SUMSQ, &n);
	const int64 *start = mq_get_int64s(m, IC_PAIR_START, &n);
	const int32 *pitem = mq_get_int32s(m, IC_PAIR_ITEM, &npairs);
	const int64 *pusers = mq_get_int64s(m, IC_PAIR_USERS, &n);
	const double *ps[IC_NSTATS];
	int32	   *map;
	uint64	   *keys;
	uint32	   *perm;
	double	   *rows;
	PairSrc		src;
	int			width;

	if (mq_get_int64(m, IC_BASKETS) == 0 && nitems == 0)
	{
		s->skipped += mq_get_int64(m, IC_SKIPPED);
		return;
	}
	icf_set_rated(s, mq_get_int64(m, IC_RATED) != 0);
	width = s->width;
	for (w = 0; w < IC_NSTATS; w++)
		ps[w] = mq_get_float8s(m, IC_PAIR_SX + w, &n);
	map = palloc(sizeof(int32) * Max(nitems, 1));
	for (i = 0; i < nitems; i++)
	{
		int			len;
		const char *name = mq_get_text_elem(m, IC_ITEMS, i, &len);
		int32		id = mq_icf_intern(s, name, len);

		map[i] = id;
		s->n[id] += (double) users[i];
		s->sx[id] += sx[i];
		s->sxx[id] += sxx[i];
	}
	s->baskets += mq_get_int64(m, IC_BASKETS);
	s->skipped += mq_get_int64(m, IC_SKIPPED);
	s->interactions += mq_get_int64(m, IC_INTERACTIONS);
	if (npairs == 0)
	{
		pfree(map);
		return;
	}
	mq_check_state_size(icf_bytes(s, s->nmain + npairs, s->capbuf) +
						(Size) npairs * (sizeof(uint64) + sizeof(uint32) + sizeof(double) * width),
						&mq_itemcf_kind, "item pairs");
	keys = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * npairs);
	perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * npairs);
	rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * width * npairs);
	for (i = 0; i < nitems; i++)
	{
		int64		p;
		uint64		a = (uint64) map[i];

		for (p = start[i]; p < start[i + 1]; p++)
		{
			uint64		b = (uint64) map[pitem[p]];
			double	   *row = rows + (Size) p * width;
			bool		swap = a > b;

			keys[p] = swap ? (b << 32) | a : (a << 32) | b;
			perm[p] = (uint32) p;
			row[0] = (double) pusers[p];
			if (width > 1)
			{
				/* x <-> y when the state orders the pair the other way */
				row[1] = ps[swap ? 1 : 0][p];
				row[2] = ps[swap ? 0 : 1][p];
				row[3] = ps[swap ? 3 : 2][p];
				row[4] = ps[swap ? 2 : 3][p];
				row[5] = ps[4][p];
				row[6] = ps[swap ? 6 : 5][p];
				row[7] = ps[swap ? 5 : 6][p];
				row[8] = ps[swap ? 8 : 7][p];
				row[9] = ps[swap ? 7 : 8][p];
				row[10] = ps[9][p];
			}
		}
	}
	icf_scratch(s, npairs, true);
	sort_pairs(keys, perm, npairs, id_bits(s->items.n), s->skeys, s->sperm);
	src.keys = keys;
	src.n = npairs;
	src.perm = perm;
	src.vals = rows;
	src.vw = width;
	merge_src(s, &src);
	pfree(keys);
	pfree(perm);
	pfree(rows);
	pfree(map);
}

/*
 * Canonical flat form: items in byte order, pairs (i < j in that order) as a
 * CSR sorted by (i, j).  Merges the buffer into the main run first (which
 * changes the state's layout, not its content).
 */
static MqModel *
itemcf_flatten(MqState *st)
{
	IcfState   *s = (IcfState *) st;
	int			nitems = s->items.n,
				i,
				w,
				bits;
	Size		np,
				t;
	int32	   *order,
			   *rank;
	const char **names;
	int		   *lens;
	int64	   *users,
			   *start,
			   *pusers;
	double	   *isx,
			   *isxx,
			   *stats[IC_NSTATS];
	int32	   *pitem;
	uint64	   *keys;
	uint32	   *perm;
	bool		rated = s->rated == 1;
	MqBuilder  *b = mq_build_begin(&mq_itemcf_kind);

	icf_fold_dense(s);
	icf_compact(s);
	np = s->nmain;
	order = mq_dict_sorted(&s->items);
	rank = palloc(sizeof(int32) * Max(nitems, 1));
	names = palloc(sizeof(char *) * Max(nitems, 1));
	lens = palloc(sizeof(int) * Max(nitems, 1));
	users = palloc(sizeof(int64) * Max(nitems, 1));
	isx = palloc(sizeof(double) * Max(nitems, 1));
	isxx = palloc(sizeof(double) * Max(nitems, 1));
	start = palloc0(sizeof(int64) * (nitems + 1));
	for (i = 0; i < nitems; i++)
	{
		int32		id = order[i];

		rank[id] = i;
		names[i] = s->items.strs[id];
		lens[i] = s->items.lens[id];
		users[i] = (int64) s->n[id];
		isx[i] = s->sx[id];
		isxx[i] = s->sxx[id];
	}
	/* re-key the pairs by rank and sort them (in the empty buffer, if it is large enough) */
	if (s->capbuf >= np && s->bkeys != NULL)
		keys = s->bkeys;
	else
		keys = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * Max(np, 1));
	pitem = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * Max(np, 1));
	pusers = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(np, 1));
	for (w = 0; w < IC_NSTATS; w++)
		stats[w] = rated ? MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * Max(np, 1)) : NULL;
	bits = id_bits(nitems);
	for (t = 0; t < np && !rated && bits <= 16; t++)
		if (s->mvals[t] >= 4294967296.0)
			break;
	if (!rated && bits <= 16 && t >= np)
	{
		/*
		 * Implicit counts below 2^32 with at most 2^16 items: sort
		 * (ri, rj, count) packed in one word, so the output is written
		 * sequentially without gathering through a permutation.
		 */
		uint64		mask = ((uint64) 1 << bits) - 1;

		perm = NULL;
		for (t = 0; t < np; t++)
		{
			uint64		ri = (uint64) rank[s->mkeys[t] >> 32];
			uint64		rj = (uint64) rank[s->mkeys[t] & 0xffffffff];
			uint64		pk = ri < rj ? (ri << bits) | rj : (rj << bits) | ri;

			keys[t] = (pk << 32) | (uint64) s->mvals[t];
		}
		icf_scratch(s, np, false);
		radix_sort(keys, NULL, np, 32, 2 * bits, s->skeys, s->sperm);
		for (t = 0; t < np; t++)
		{
			uint64		k = keys[t];

			start[(k >> (32 + bits)) + 1]++;
			pitem[t] = (int32) ((k >> 32) & mask);
			pusers[t] = (int64) (k & 0xffffffff);
		}
	}
	else
	{
		perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * Max(np, 1));
		for (t = 0; t < np; t++)
		{
			uint64		ri = (uint64) rank[s->mkeys[t] >> 32];
			uint64		rj = (uint64) rank[s->mkeys[t] & 0xffffffff];

			keys[t] = ri < rj ? (ri << 32) | rj : (rj << 32) | ri;
			perm[t] = (uint32) t;
		}
		icf_scratch(s, np, true);
		sort_pairs(keys, perm, np, bits, s->skeys, s->sperm);
		for (t = 0; t < np; t++)
		{
			const double *row = s->mvals + (Size) perm[t] * s->width;
			uint64		ok = s->mkeys[perm[t]];
			bool		swap = rank[ok >> 32] > rank[ok & 0xffffffff];

			start[(keys[t] >> 32) + 1]++;
			pitem[t] = (int32) (keys[t] & 0xffffffff);
			pusers[t] = (int64) row[0];
			if (rated)
			{
				stats[0][t] = row[swap ? 2 : 1];
				stats[1][t] = row[swap ? 1 : 2];
				stats[2][t] = row[swap ? 4 : 3];
				stats[3][t] = row[swap ? 3 : 4];
				stats[4][t] = row[5];
				stats[5][t] = row[swap ? 7 : 6];
				stats[6][t] = row[swap ? 6 : 7];
				stats[7][t] = row[swap ? 9 : 8];
				stats[8][t] = row[swap ? 8 : 9];
				stats[9][t] = row[10];
			}
		}
	}
	for (i = 0; i < nitems; i++)
		start[i + 1] += start[i];
	if (np > PG_INT32_MAX)
		mq_check_state_size(MaxAllocSize + (Size) 1, &mq_itemcf_kind, "item pairs");
	mq_put_int64(b, IC_RATED, rated ? 1 : 0);
	mq_put_int64(b, IC_BASKETS, s->baskets);
	mq_put_int64(b, IC_SKIPPED, s->skipped);
	mq_put_int64(b, IC_INTERACTIONS, s->interactions);
	mq_put_texts(b, IC_ITEMS, names, lens, nitems);
	mq_put_int64s(b, IC_ITEM_USERS, users, nitems);
	mq_put_float8s(b, IC_ITEM_SUM, isx, nitems);
	mq_put_float8s(b, IC_ITEM_SUMSQ, isxx, nitems);
	mq_put_int64s(b, IC_PAIR_START, start, nitems + 1);
	mq_put_int32s(b, IC_PAIR_ITEM, pitem, (int) np);
	mq_put_int64s(b, IC_PAIR_USERS, pusers, (int) np);
	for (w = 0; w < IC_NSTATS; w++)
		mq_put_float8s(b, IC_PAIR_SX + w, stats[w], rated ? (int) np : 0);
	{
		MqModel    *res = mq_build_finish(b);

		if (keys != s->bkeys)
			pfree(keys);
		if (perm)
			pfree(perm);
		pfree(pitem);
		pfree(pusers);
		for (w = 0; w < IC_NSTATS; w++)
			if (stats[w])
				pfree(stats[w]);
		pfree(order);
		pfree(rank);
		pfree(names);
		pfree(lens);
		pfree(users);
		pfree(isx);
		pfree(isxx);
		pfree(start);
		return res;
	}
}

/* -------------------------------------------------------------- aggregate */

PG_FUNCTION_INFO_V1(mq_itemcf_trans);

/*
 * item_cf(items text[] [, ratings float8[]]) transition.  A NULL or empty
 * basket is skipped and counted; NULL elements, NaN/Inf ratings, arrays of
 * different lengths and repeated items are errors.
 */
Datum
mq_itemcf_trans(PG_FUNCTION_ARGS)
{
	MqState    *st = mq_state_arg(fcinfo, 0, &mq_itemcf_kind);
	IcfState   *s = (IcfState *) st;
	bool		rated = PG_NARGS() > 2;
	int			n = 0,
				nr;
	char	  **strs = NULL;
	int		   *lens = NULL;
	const double *ratings = NULL;

	if (!PG_ARGISNULL(1))
		mq_check_text_array(PG_GETARG_ARRAYTYPE_P(1), "items", MQ_ALLOW_EMPTY, &n, &strs, &lens);
	if (rated)
	{
		if (!PG_ARGISNULL(1))
		{
			mq_check_not_null(PG_ARGISNULL(2), "ratings");
			ratings = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(2), "ratings", MQ_ALLOW_EMPTY, &nr);
			mq_check_same_length(n, "items", nr, "ratings");
		}
		if (s->rated < 0)
			icf_set_rated(s, true);
	}
	else if (s->rated < 0)
		icf_set_rated(s, false);
	if (n == 0)
		s->skipped++;
	else
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);
		int32	   *ids = palloc(sizeof(int32) * n);
		int			i;

		for (i = 0; i < n; i++)
			ids[i] = mq_icf_intern(s, strs[i], lens[i]);
		mq_icf_add_basket_ids(s, n, ids, rated ? ratings : NULL, false);
		pfree(ids);
		MemoryContextSwitchTo(old);
	}
	return mq_state_return(st);
}

PG_FUNCTION_INFO_V1(mq_itemcf_combine);

/* item_cf combine. */
Datum
mq_itemcf_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_itemcf_kind);
}

PG_FUNCTION_INFO_V1(mq_itemcf_final);

/* item_cf final: the flat model; NULL when no basket had an item. */
Datum
mq_itemcf_final(PG_FUNCTION_ARGS)
{
	MqState    *s;
	const MqModel *m;
	MqModel    *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, &mq_itemcf_kind);
	if (((IcfState *) s)->baskets == 0)
		PG_RETURN_NULL();
	if (s->flat == NULL)
	{
		/*
		 * Lay the model out straight in the result's memory (a large model
		 * copied once less); flattening changes the state's layout, not its
		 * content, so a window aggregate can call this again.
		 */
		PG_RETURN_POINTER(itemcf_flatten(s));
	}
	m = s->flat;
	copy = MemoryContextAllocHuge(CurrentMemoryContext, VARSIZE(m));
	memcpy(copy, m, VARSIZE(m));
	PG_RETURN_POINTER(copy);
}

/* ---------------------------------------------------------------- readers */

PG_FUNCTION_INFO_V1(mq_itemcf_summary);

/* summary(itemcf): one row describing the model. */
Datum
mq_itemcf_summary(PG_FUNCTION_ARGS)
{
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_itemcf_kind);
	TupleDesc	tupdesc;
	Datum		v[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	int			npairs;
	int			nitems = mq_get_text_count(m, IC_ITEMS);

	mq_get_int32s(m, IC_PAIR_ITEM, &npairs);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = BoolGetDatum(mq_get_int64(m, IC_RATED) != 0);
	v[1] = Int64GetDatum(mq_get_int64(m, IC_BASKETS));
	v[2] = Int64GetDatum(mq_get_int64(m, IC_SKIPPED));
	v[3] = Int64GetDatum(mq_get_int64(m, IC_INTERACTIONS));
	v[4] = Int32GetDatum(nitems);
	v[5] = Int64GetDatum((int64) npairs);
	v[6] = Float8GetDatum(nitems > 1 ? 2.0 * npairs / ((double) nitems * (nitems - 1)) : 0.0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

PG_FUNCTION_INFO_V1(mq_itemcf_item_stats);

/* item_stats(itemcf): per item, its users, mean rating and share of baskets. */
Datum
mq_itemcf_item_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_itemcf_kind);
	int			nitems = mq_get_text_count(m, IC_ITEMS),
				n,
				i;
	const int64 *users = mq_get_int64s(m, IC_ITEM_USERS, &n);
	const double *sx = mq_get_float8s(m, IC_ITEM_SUM, &n);
	const int64 *start = mq_get_int64s(m, IC_PAIR_START, &n);
	const int32 *pitem = mq_get_int32s(m, IC_PAIR_ITEM, &n);
	double		baskets = (double) mq_get_int64(m, IC_BASKETS);
	int64	   *deg = palloc0(sizeof(int64) * Max(nitems, 1));

	/* neighbours of each item: pairs on either side */
	for (i = 0; i < nitems; i++)
	{
		int64		p;

		deg[i] += start[i + 1] - start[i];
		for (p = start[i]; p < start[i + 1]; p++)
			deg[pitem[p]]++;
	}
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nitems; i++)
	{
		Datum		v[5];
		bool		nulls[5] = {false, false, false, false, false};
		int			len;
		const char *name = mq_get_text_elem(m, IC_ITEMS, i, &len);

		v[0] = PointerGetDatum(cstring_to_text_with_len(name, len));
		v[1] = Int64GetDatum(users[i]);
		v[2] = Float8GetDatum(users[i] / baskets);
		v[3] = Float8GetDatum(sx[i] / users[i]);
		v[4] = Int64GetDatum(deg[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	pfree(deg);
	return (Datum) 0;
}
