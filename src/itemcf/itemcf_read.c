/*-------------------------------------------------------------------------
 *
 * itemcf_read.c
 *	  Reading marketiq.itemcf models: similarity measures, neighbour lists,
 *	  and the readers similar_items, item_similarities, recommend and
 *	  predict_rating, with a per-query cache of the decoded model.
 *
 * Decoding.  The flat value stores each co-occurring pair once (i < j).  A
 * reader needs every neighbour of an item, so the model is decoded into a
 * symmetric adjacency (CSR, neighbours in increasing id, which is byte order
 * of the names, so ties by name are ties by id) plus a dictionary from names
 * to ids.  That is O(pairs), far more than one call of a reader costs
 * otherwise, so the decoded model is cached in fn_extra and reused while the
 * same model keeps coming: readers run once per row in a LATERAL join over
 * all users.  The model datum is identified without reading it whole:
 *	 - a value stored out of line (TOAST) by its toast pointer (relation and
 *	   value id), which is exact and costs nothing;
 *	 - a small in-line value (at most 64 kB) by its bytes, compared with a
 *	   copy;
 *	 - a large value in memory (computed in the query: a CTE, a subquery) by
 *	   its address and size plus a hash of 1,024 words sampled across it.
 * Top-k neighbour lists (for recommend) are memoised per item in the cache
 * for the current (similarity, k, min_support, shrinkage).
 *
 * Similarities are computed from the sufficient statistics of a pair (see
 * mq_icf_sim for the exact formulas).  A variance computed from sums
 * (sum x^2 - (sum x)^2 / n) of ratings that are constant over the common
 * users comes out as zero or as a rounding residue; residues below
 * 16 n eps sum x^2 count as zero, so such a similarity is 0 as defined.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "mq_check.h"
#include "mq_hash.h"
#include "mq_itemcf.h"
#include "mq_model.h"

const char *const mq_icf_measures[] = {"cosine", "jaccard", "pearson", "adjusted_cosine", "msd", NULL};

/* models decoded by readers in this backend (the cache test reads it) */
static int64 icf_decodes = 0;

/* raw datums up to this size are identified by their bytes */
#define ICF_SMALL_DATUM 65536
/* words sampled for the fingerprint of a large in-memory datum */
#define ICF_SAMPLE_WORDS 1024

/* ------------------------------------------------------------- parameters */

/* Read and validate the similarity arguments. */
void
mq_icf_params(IcfParams *prm, const char *similarity, int64 min_support, double shrinkage)
{
	prm->measure = (IcfMeasure) mq_check_choice(similarity, "similarity", mq_icf_measures);
	mq_check_int_range(min_support, "min_support", 1, PG_INT32_MAX);
	mq_check_range(shrinkage, "shrinkage", 0, true, INFINITY, false);
	prm->min_support = min_support;
	prm->shrinkage = shrinkage;
}

/* ---------------------------------------------------------------- decoding */

/* Decode a flat model into m (allocations in CurrentMemoryContext). */
void
mq_icf_decode(IcfModel *m, const MqModel *flat)
{
	int			n,
				i,
				s;
	int64		p,
			   *cursor;

	m->flat = flat;
	m->nitems = mq_get_text_count(flat, IC_ITEMS);
	m->rated = mq_get_int64(flat, IC_RATED) != 0;
	m->n = mq_get_int64s(flat, IC_ITEM_USERS, &n);
	m->sx = mq_get_float8s(flat, IC_ITEM_SUM, &n);
	m->sxx = mq_get_float8s(flat, IC_ITEM_SUMSQ, &n);
	m->pstart = mq_get_int64s(flat, IC_PAIR_START, &n);
	m->pitem = mq_get_int32s(flat, IC_PAIR_ITEM, &n);
	m->npairs = n;
	m->pusers = mq_get_int64s(flat, IC_PAIR_USERS, &n);
	for (s = 0; s < IC_NSTATS; s++)
		m->ps[s] = m->rated ? mq_get_float8s(flat, IC_PAIR_SX + s, &n) : NULL;
	mq_dict_init(&m->dict);
	for (i = 0; i < m->nitems; i++)
	{
		int			len;
		const char *name = mq_get_text_elem(flat, IC_ITEMS, i, &len);

		mq_dict_intern(&m->dict, name, len);
	}
	/* symmetric adjacency: rows in increasing i make every list increasing */
	m->adj_start = palloc0(sizeof(int64) * (m->nitems + 1));
	for (i = 0; i < m->nitems; i++)
		for (p = m->pstart[i]; p < m->pstart[i + 1]; p++)
		{
			m->adj_start[i + 1]++;
			m->adj_start[m->pitem[p] + 1]++;
		}
	for (i = 0; i < m->nitems; i++)
		m->adj_start[i + 1] += m->adj_start[i];
	m->adj_item = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * Max(2 * m->npairs, 1));
	m->adj_pair = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * Max(2 * m->npairs, 1));
	cursor = palloc(sizeof(int64) * Max(m->nitems, 1));
	memcpy(cursor, m->adj_start, sizeof(int64) * m->nitems);
	for (i = 0; i < m->nitems; i++)
	{
		for (p = m->pstart[i]; p < m->pstart[i + 1]; p++)
		{
			int32		j = m->pitem[p];

			m->adj_item[cursor[i]] = j;
			m->adj_pair[cursor[i]++] = (int32) p;
			m->adj_item[cursor[j]] = i;
			m->adj_pair[cursor[j]++] = (int32) p;
		}
		CHECK_FOR_INTERRUPTS();
	}
	pfree(cursor);
}

/* Allocate the scoring scratch of a cache (CurrentMemoryContext). */
static void
cache_scratch(IcfCache *c)
{
	int			n = Max(c->m.nitems, 1);

	c->score = palloc0(sizeof(double) * n);
	c->stamp = palloc0(sizeof(int64) * n);
	c->seen = palloc0(sizeof(int64) * n);
	c->touched = palloc(sizeof(int32) * n);
	c->callno = 0;
	c->memo_valid = false;
	c->memo = NULL;
	c->memo_cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq itemcf neighbours",
										ALLOCSET_DEFAULT_SIZES);
}

/* A cache around a flat value (recommendations()), in CurrentMemoryContext. */
IcfCache *
mq_icf_cache_for(const MqModel *flat)
{
	IcfCache   *c = palloc0(sizeof(IcfCache));

	c->cxt = CurrentMemoryContext;
	mq_icf_decode(&c->m, flat);
	cache_scratch(c);
	return c;
}

/* A hash of the words sampled across a large datum, and of its two ends. */
static uint64
fingerprint(const char *p, Size size)
{
	uint64		h = hash_bytes_extended((const unsigned char *) p, Min(size, 1024), 0);
	Size		step = size / ICF_SAMPLE_WORDS;
	Size		off;
	uint64		words[64];
	int			nw = 0;

	h ^= hash_bytes_extended((const unsigned char *) p + size - Min(size, 1024), Min(size, 1024), 1);
	for (off = 0; off + sizeof(uint64) <= size && step > 0; off += step)
	{
		memcpy(&words[nw++], p + off, sizeof(uint64));
		if (nw == 64)
		{
			h = hash_combine64(h, hash_bytes_extended((const unsigned char *) words, sizeof(words), h));
			nw = 0;
		}
	}
	if (nw > 0)
		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) words, sizeof(uint64) * nw, h));
	return h;
}

/* The cache for the model argument argno, decoding it if it is not the cached one. */
IcfCache *
mq_icf_cache(FunctionCallInfo fcinfo, int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	IcfCache   *c = (IcfCache *) fcinfo->flinfo->fn_extra;
	int			keykind;
	Oid			rel = InvalidOid,
				val = InvalidOid;
	Size		size = 0;
	uint64		fp = 0;
	MemoryContext cxt,
				old;
	const MqModel *src;
	MqModel    *flat;

	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		struct varatt_external ext;

		VARATT_EXTERNAL_GET_POINTER(ext, v);
		keykind = 1;
		rel = ext.va_toastrelid;
		val = ext.va_valueid;
		size = ext.va_rawsize;
	}
	else if (VARATT_IS_EXTERNAL(v))
	{
		/* an expanded or indirect datum: identified by the object's address */
		keykind = 3;
		size = VARSIZE_EXTERNAL(v);
		fp = (uint64) (uintptr_t) DatumGetPointer(d);
	}
	else
	{
		size = VARSIZE_ANY(v);
		if (size <= ICF_SMALL_DATUM)
			keykind = 2;
		else
		{
			keykind = 3;
			fp = fingerprint((const char *) v, size);
		}
	}
	if (c != NULL && c->keykind == keykind && c->rawsize == size)
	{
		switch (keykind)
		{
			case 1:
				if (c->toastrelid == rel && c->valueid == val)
					return c;
				break;
			case 2:
				if (memcmp(c->rawcopy, v, size) == 0)
					return c;
				break;
			default:
				if (c->addr == (const void *) v && c->fingerprint == fp)
					return c;
				break;
		}
	}
	/* a model we have not decoded: replace the cache */
	if (c != NULL)
		MemoryContextDelete(c->cxt);
	fcinfo->flinfo->fn_extra = NULL;
	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "marketiq itemcf cache",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(IcfCache));
	c->cxt = cxt;
	c->keykind = keykind;
	c->toastrelid = rel;
	c->valueid = val;
	c->rawsize = size;
	c->addr = (const void *) v;
	c->fingerprint = fp;
	if (keykind == 2)
	{
		c->rawcopy = palloc(size);
		memcpy(c->rawcopy, v, size);
	}
	src = mq_model_fetch(d, &mq_itemcf_kind);
	flat = MemoryContextAllocHuge(cxt, VARSIZE(src));
	memcpy(flat, src, VARSIZE(src));
	if ((const void *) src != (const void *) v)
		pfree((void *) src);
	mq_icf_decode(&c->m, flat);
	cache_scratch(c);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = c;
	icf_decodes++;
	return c;
}

PG_FUNCTION_INFO_V1(mq_itemcf_decodes);

/* _itemcf_decodes(): models decoded by readers in this backend so far. */
Datum
mq_itemcf_decodes(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(icf_decodes);
}

/* ------------------------------------------------------------- similarity */

/* Is a variance computed from sums only a rounding residue of zero? */
static inline bool
zero_variance(double var, double c, double sumsq)
{
	return var <= 16.0 * c * DBL_EPSILON * sumsq;
}

/*
 * Similarity of items i and j (pair p), exactly as defined in the README:
 *	 cosine           sum_u x y / (|x| |y|), norms over all users of each item
 *	                  (implicit: n_ij / sqrt(n_i n_j));
 *	 jaccard          n_ij / (n_i + n_j - n_ij);
 *	 pearson          covariance / product of standard deviations over the
 *	                  common users, each item centred by its mean over them;
 *	 adjusted_cosine  sum x' y' / sqrt(sum x'^2 sum y'^2) over the common
 *	                  users, x' = x - the user's mean rating;
 *	 msd              1 / (1 + mean over common users of (x - y)^2);
 * 0 with fewer than min_support common users or a zero denominator, then
 * times n_ij / (n_ij + shrinkage).
 */
double
mq_icf_sim(const IcfModel *m, int32 i, int32 j, int32 p, const IcfParams *prm)
{
	double		c = (double) m->pusers[p];
	double		sim;

	if (m->pusers[p] < prm->min_support)
		return 0.0;
	switch (prm->measure)
	{
		case ICF_COSINE:
			if (!m->rated)
				sim = c / sqrt((double) m->n[i] * (double) m->n[j]);
			else
			{
				double		den = sqrt(m->sxx[i]) * sqrt(m->sxx[j]);

				sim = den > 0 ? m->ps[4][p] / den : 0.0;
			}
			break;
		case ICF_JACCARD:
			sim = c / ((double) m->n[i] + (double) m->n[j] - c);
			break;
		case ICF_PEARSON:
			if (!m->rated)
				return 0.0;
			{
				double		sx = m->ps[0][p],
							sy = m->ps[1][p],
							vx = m->ps[2][p] - sx * sx / c,
							vy = m->ps[3][p] - sy * sy / c,
							cov = m->ps[4][p] - sx * sy / c;

				if (zero_variance(vx, c, m->ps[2][p]) || zero_variance(vy, c, m->ps[3][p]))
					return 0.0;
				sim = cov / sqrt(vx * vy);
			}
			break;
		case ICF_ADJUSTED_COSINE:
			if (!m->rated)
				return 0.0;
			{
				double		vx = m->ps[7][p],
							vy = m->ps[8][p];

				if (zero_variance(vx, c, m->ps[2][p]) || zero_variance(vy, c, m->ps[3][p]))
					return 0.0;
				sim = m->ps[9][p] / sqrt(vx * vy);
			}
			break;
		default:				/* ICF_MSD */
			if (!m->rated)
				sim = 1.0;
			else
			{
				double		msd = (m->ps[2][p] + m->ps[3][p] - 2.0 * m->ps[4][p]) / c;

				sim = 1.0 / (1.0 + Max(msd, 0.0));
			}
			break;
	}
	if (prm->shrinkage > 0)
		sim *= c / (c + prm->shrinkage);
	return sim;
}

/* Pair index of items i and j, or -1 if they never co-occur. */
static int32
find_pair(const IcfModel *m, int32 i, int32 j)
{
	int64		lo = m->adj_start[i],
				hi = m->adj_start[i + 1] - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int32		x = m->adj_item[mid];

		if (x == j)
			return m->adj_pair[mid];
		if (x < j)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* ---------------------------------------------------------------- top k */

/* a candidate neighbour (or recommendation) */
typedef struct Cand
{
	double		sim;			/* similarity or score */
	int32		item;			/* item id (= byte-order rank of its name) */
	int32		pair;			/* pair index, or an index into the caller's arrays */
} Cand;

/* Does a rank before b: higher value, then lower id (byte order of names)? */
static inline bool
cand_before(const Cand *a, const Cand *b)
{
	return a->sim > b->sim || (a->sim == b->sim && a->item < b->item);
}

/* qsort comparator: best first. */
static int
cand_cmp(const void *x, const void *y)
{
	const Cand *a = x,
			   *b = y;

	if (cand_before(a, b))
		return -1;
	if (cand_before(b, a))
		return 1;
	return 0;
}

/*
 * Keep the k best candidates in a heap whose root is the worst kept one:
 * O(log k) per candidate that enters, O(1) per one that does not.
 */
static void
heap_offer(Cand *h, int *n, int k, const Cand *c)
{
	int			i;

	if (*n < k)
	{
		i = (*n)++;
		while (i > 0)
		{
			int			parent = (i - 1) / 2;

			if (!cand_before(&h[parent], c))
				break;
			h[i] = h[parent];
			i = parent;
		}
		h[i] = *c;
		return;
	}
	if (!cand_before(c, &h[0]))
		return;
	i = 0;
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					worst = -1;

		if (l >= k)
			break;
		worst = l;
		if (r < k && cand_before(&h[l], &h[r]))
			worst = r;
		if (!cand_before(c, &h[worst]))
			break;
		h[i] = h[worst];
		i = worst;
	}
	h[i] = *c;
}

/* The k best positive-similarity neighbours of item i, sorted, into a new IcfNeighbors. */
static IcfNeighbors *
topk_compute(const IcfModel *m, int32 i, int k, const IcfParams *prm)
{
	int64		a = m->adj_start[i],
				b = m->adj_start[i + 1],
				t;
	int			cap = (int) Min((int64) k, b - a),
				n = 0,
				x;
	Cand	   *h = palloc(sizeof(Cand) * Max(cap, 1));
	IcfNeighbors *nb = palloc(sizeof(IcfNeighbors));

	for (t = a; t < b; t++)
	{
		Cand		c;

		c.item = m->adj_item[t];
		c.pair = m->adj_pair[t];
		c.sim = mq_icf_sim(m, i, c.item, c.pair, prm);
		if (c.sim > 0)
			heap_offer(h, &n, cap, &c);
	}
	qsort(h, n, sizeof(Cand), cand_cmp);
	nb->n = n;
	nb->item = palloc(sizeof(int32) * Max(n, 1));
	nb->sim = palloc(sizeof(double) * Max(n, 1));
	nb->pair = palloc(sizeof(int32) * Max(n, 1));
	for (x = 0; x < n; x++)
	{
		nb->item[x] = h[x].item;
		nb->sim[x] = h[x].sim;
		nb->pair[x] = h[x].pair;
	}
	pfree(h);
	return nb;
}

/* The k best neighbours of item i, memoised in the cache for these params and k. */
const IcfNeighbors *
mq_icf_topk(IcfCache *c, int32 i, int k, const IcfParams *prm)
{
	MemoryContext old;

	if (!c->memo_valid || c->memo_k != k || c->memo_params.measure != prm->measure ||
		c->memo_params.min_support != prm->min_support ||
		c->memo_params.shrinkage != prm->shrinkage)
	{
		MemoryContextReset(c->memo_cxt);
		c->memo = MemoryContextAllocZero(c->memo_cxt, sizeof(IcfNeighbors *) * Max(c->m.nitems, 1));
		c->memo_params = *prm;
		c->memo_k = k;
		c->memo_valid = true;
	}
	if (c->memo[i] == NULL)
	{
		old = MemoryContextSwitchTo(c->memo_cxt);
		c->memo[i] = topk_compute(&c->m, i, k, prm);
		MemoryContextSwitchTo(old);
	}
	return c->memo[i];
}

/* ------------------------------------------------------------- recommending */

/* Score items for one user (see mq_itemcf.h); returns the number of results. */
int
mq_icf_recommend(IcfCache *c, const int32 *ids, const double *w, int nu, int n, int k,
				 const IcfParams *prm, bool exclude_seen, int32 *out_ids, double *out_scores)
{
	int64		call = ++c->callno;
	int			ntouched = 0,
				u,
				x,
				nh = 0;
	Cand	   *h;

	for (u = 0; u < nu; u++)
		c->seen[ids[u]] = call;
	for (u = 0; u < nu; u++)
	{
		const IcfNeighbors *nb = mq_icf_topk(c, ids[u], k, prm);
		double		wj = w ? w[u] : 1.0;

		for (x = 0; x < nb->n; x++)
		{
			int32		i = nb->item[x];

			if (c->stamp[i] != call)
			{
				c->stamp[i] = call;
				c->score[i] = 0;
				c->touched[ntouched++] = i;
			}
			c->score[i] += wj * nb->sim[x];
		}
	}
	h = palloc(sizeof(Cand) * Max(Min(n, ntouched), 1));
	for (x = 0; x < ntouched; x++)
	{
		Cand		cand;
		int32		i = c->touched[x];

		if (!(c->score[i] > 0) || (exclude_seen && c->seen[i] == call))
			continue;
		cand.sim = c->score[i];
		cand.item = i;
		cand.pair = 0;
		heap_offer(h, &nh, Min(n, ntouched), &cand);
	}
	qsort(h, nh, sizeof(Cand), cand_cmp);
	for (x = 0; x < nh; x++)
	{
		out_ids[x] = h[x].item;
		out_scores[x] = h[x].sim;
	}
	pfree(h);
	return nh;
}

/* ------------------------------------------------------------------ readers */

/* An item name as a text datum. */
static Datum
item_text(const IcfModel *m, int32 i)
{
	return PointerGetDatum(cstring_to_text_with_len(m->dict.strs[i], m->dict.lens[i]));
}

PG_FUNCTION_INFO_V1(mq_itemcf_similar_items);

/* similar_items(model, item, k, similarity, min_support, shrinkage) */
Datum
mq_itemcf_similar_items(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *item = PG_GETARG_TEXT_PP(1);
	int32		k = PG_GETARG_INT32(2);
	IcfParams	prm;
	IcfCache   *c;
	int32		id;

	mq_check_int_range(k, "k", 1, PG_INT32_MAX);
	mq_icf_params(&prm, text_to_cstring(PG_GETARG_TEXT_PP(3)), PG_GETARG_INT32(4), PG_GETARG_FLOAT8(5));
	InitMaterializedSRF(fcinfo, 0);
	c = mq_icf_cache(fcinfo, 0);
	id = mq_dict_find(&c->m.dict, VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));
	if (id >= 0)
	{
		IcfNeighbors *nb = topk_compute(&c->m, id, k, &prm);
		int			x;

		for (x = 0; x < nb->n; x++)
		{
			Datum		v[3];
			bool		nulls[3] = {false, false, false};

			v[0] = item_text(&c->m, nb->item[x]);
			v[1] = Float8GetDatum(nb->sim[x]);
			v[2] = Int64GetDatum(c->m.pusers[nb->pair[x]]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_itemcf_item_similarities);

/* item_similarities(model, k, similarity, min_support, shrinkage) */
Datum
mq_itemcf_item_similarities(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		k = PG_GETARG_INT32(1);
	IcfParams	prm;
	IcfCache   *c;
	int32		i;
	MemoryContext tmp,
				old;

	mq_check_int_range(k, "k", 1, PG_INT32_MAX);
	mq_icf_params(&prm, text_to_cstring(PG_GETARG_TEXT_PP(2)), PG_GETARG_INT32(3), PG_GETARG_FLOAT8(4));
	InitMaterializedSRF(fcinfo, 0);
	c = mq_icf_cache(fcinfo, 0);
	tmp = AllocSetContextCreate(CurrentMemoryContext, "marketiq itemcf rows", ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < c->m.nitems; i++)
	{
		IcfNeighbors *nb;
		int			x;
		Datum		name;

		old = MemoryContextSwitchTo(tmp);
		nb = topk_compute(&c->m, i, k, &prm);
		name = item_text(&c->m, i);
		for (x = 0; x < nb->n; x++)
		{
			Datum		v[4];
			bool		nulls[4] = {false, false, false, false};

			v[0] = name;
			v[1] = item_text(&c->m, nb->item[x]);
			v[2] = Float8GetDatum(nb->sim[x]);
			v[3] = Int64GetDatum(c->m.pusers[nb->pair[x]]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(tmp);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(tmp);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_itemcf_recommend);

/*
 * recommend(model, items, weights, n, k, similarity, exclude_seen,
 * min_support, shrinkage): item-kNN scores for one user.  A NULL model or
 * NULL items give no rows; unknown items are ignored; a repeated item counts
 * once per occurrence (its weights add up).
 */
Datum
mq_itemcf_recommend(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const names[] = {"n", "k", "similarity", "exclude_seen", "min_support", "shrinkage"};
	IcfParams	prm;
	IcfCache   *c;
	int32		n,
				k;
	bool		exclude_seen;
	int			nu = 0,
				nw = 0,
				u,
				m = 0,
				nres,
				x;
	char	  **strs;
	int		   *lens;
	const double *w = NULL;
	int32	   *ids,
			   *out_ids;
	double	   *ws,
			   *out_scores;

	for (x = 0; x < 6; x++)
		mq_check_not_null(PG_ARGISNULL(3 + x), names[x]);
	n = PG_GETARG_INT32(3);
	k = PG_GETARG_INT32(4);
	exclude_seen = PG_GETARG_BOOL(6);
	mq_check_int_range(n, "n", 1, PG_INT32_MAX);
	mq_check_int_range(k, "k", 1, PG_INT32_MAX);
	mq_icf_params(&prm, text_to_cstring(PG_GETARG_TEXT_PP(5)), PG_GETARG_INT32(7), PG_GETARG_FLOAT8(8));
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(1), "items", MQ_ALLOW_EMPTY, &nu, &strs, &lens);
	if (!PG_ARGISNULL(2))
	{
		w = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(2), "weights", MQ_ALLOW_EMPTY, &nw);
		mq_check_same_length(nu, "items", nw, "weights");
	}
	c = mq_icf_cache(fcinfo, 0);
	ids = palloc(sizeof(int32) * Max(nu, 1));
	ws = palloc(sizeof(double) * Max(nu, 1));
	for (u = 0; u < nu; u++)
	{
		int32		id = mq_dict_find(&c->m.dict, strs[u], lens[u]);

		if (id < 0)
			continue;
		ids[m] = id;
		ws[m] = w ? w[u] : 1.0;
		m++;
	}
	n = Min(n, Max(c->m.nitems, 1));
	out_ids = palloc(sizeof(int32) * n);
	out_scores = palloc(sizeof(double) * n);
	nres = mq_icf_recommend(c, ids, ws, m, n, k, &prm, exclude_seen, out_ids, out_scores);
	for (x = 0; x < nres; x++)
	{
		Datum		v[2];
		bool		nulls[2] = {false, false};

		v[0] = item_text(&c->m, out_ids[x]);
		v[1] = Float8GetDatum(out_scores[x]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_itemcf_predict_rating);

/*
 * predict_rating(model, items, ratings, item, k, similarity, min_k,
 * min_support): Surprise's item-based KNNWithMeans.
 */
Datum
mq_itemcf_predict_rating(PG_FUNCTION_ARGS)
{
	text	   *item = PG_GETARG_TEXT_PP(3);
	int32		k = PG_GETARG_INT32(4);
	int32		min_k = PG_GETARG_INT32(6);
	IcfParams	prm;
	IcfCache   *c;
	const IcfModel *m;
	int			nu,
				nr,
				u,
				nc = 0,
				x;
	char	  **strs;
	int		   *lens;
	const double *r;
	int32		target;
	int64		call;
	Cand	   *cands;
	double		mu,
				sum_sim = 0,
				sum_dev = 0;

	mq_check_int_range(k, "k", 1, PG_INT32_MAX);
	mq_check_int_range(min_k, "min_k", 1, k);
	mq_icf_params(&prm, text_to_cstring(PG_GETARG_TEXT_PP(5)), PG_GETARG_INT32(7), 0.0);
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(1), "items", MQ_ALLOW_EMPTY, &nu, &strs, &lens);
	r = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(2), "ratings", MQ_ALLOW_EMPTY, &nr);
	mq_check_same_length(nu, "items", nr, "ratings");
	c = mq_icf_cache(fcinfo, 0);
	m = &c->m;
	target = mq_dict_find(&m->dict, VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));
	if (target < 0)
		PG_RETURN_NULL();
	mu = m->sx[target] / (double) m->n[target];
	call = ++c->callno;
	cands = palloc(sizeof(Cand) * Max(nu, 1));
	for (u = 0; u < nu; u++)
	{
		int32		j = mq_dict_find(&m->dict, strs[u], lens[u]);
		int32		p;
		Cand		cand;

		if (j < 0 || j == target)
			continue;
		if (c->seen[j] == call)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("item \"%s\" appears more than once in \"items\"", m->dict.strs[j]),
					 errhint("Give each rated item once.")));
		c->seen[j] = call;
		p = find_pair(m, target, j);
		if (p < 0)
			continue;
		cand.sim = mq_icf_sim(m, target, j, p, &prm);
		if (!(cand.sim > 0))
			continue;
		cand.item = j;
		cand.pair = u;
		cands[nc++] = cand;
	}
	qsort(cands, nc, sizeof(Cand), cand_cmp);
	nc = Min(nc, k);
	if (nc < min_k)
		PG_RETURN_FLOAT8(mu);
	for (x = 0; x < nc; x++)
	{
		int32		j = cands[x].item;

		sum_sim += cands[x].sim;
		sum_dev += cands[x].sim * (r[cands[x].pair] - m->sx[j] / (double) m->n[j]);
	}
	PG_RETURN_FLOAT8(mu + sum_dev / sum_sim);
}
