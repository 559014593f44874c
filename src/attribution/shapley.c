/*-------------------------------------------------------------------------
 *
 * shapley.c
 *	  The marketiq.shapley model value, the shapley_model aggregate that
 *	  builds it from paths, and shapley_values.
 *
 * Data-driven Shapley attribution treats the channels as players of a
 * coalition game whose worth v(S) is read off the journeys whose set of
 * channels lies within S.  The order and repetition of touches do not
 * matter, so the aggregate keeps one entry per distinct channel set with its
 * conversions, non-conversions and value: a state that grows with the
 * distinct sets, not with the journeys.
 *
 * The count game (Zhao et al. 2018, and the widely used Python packages):
 * v(S) = conversions of the journeys whose channel set A is a subset of S.
 * It is a sum over the distinct sets A of w_A * u_A, where u_A(S) = 1 when
 * A is within S: the unanimity game of A, whose Shapley value gives 1/|A|
 * to each member of A and nothing to anyone else.  Shapley values are
 * linear in the game, so
 *
 *		phi_i = sum over sets A containing i of conversions(A) / |A|,
 *
 * exactly, in one pass over the distinct sets: no enumeration of
 * coalitions, any number of channels.  The value game is the same with the
 * value in place of the conversions.  (So the count game credits each
 * converting journey equally to its distinct channels.)
 *
 * The conversion-rate game: v(S) = conversions / journeys of the journeys
 * within S (0 when there are none).  A ratio is not a sum of unanimity
 * games, so it needs v at every coalition.  We scatter each set's counts to
 * its bitmask and take subset sums with the zeta transform (for each
 * channel, add every coalition without it into the same coalition with it:
 * n 2^(n-1) additions give every sum over subsets), then
 *
 *		phi_i = sum over S without i of |S|! (n-|S|-1)! / n! (v(S + i) - v(S)),
 *
 * another n 2^(n-1) terms.  Memory is two float8 arrays of 2^n, so this
 * handles up to MQ_SHAPLEY_MAX_RATE_CHANNELS (24) channels (256 MB) within
 * marketiq.max_model_bytes; time is about a second at 24.  Its credits are
 * the Shapley values scaled so that they add up to the total conversions
 * (and the value game's to the total value).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"

#include "mq_attribution.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_model.h"

static const MqSectSpec shapley_sects[SH_NSECT] = {
	{"paths", MQ_INT64},
	{"conversions", MQ_FLOAT8},
	{"nulls", MQ_FLOAT8},
	{"value", MQ_FLOAT8},
	{"channels", MQ_TEXT_ARR},
	{"set_sizes", MQ_INT32_ARR},
	{"members", MQ_INT32_ARR},
	{"set_conversions", MQ_FLOAT8_ARR},
	{"set_nulls", MQ_FLOAT8_ARR},
	{"set_values", MQ_FLOAT8_ARR},
};

static void shapley_check(const MqKind *kind, const MqModel *m);
static void shapley_init(MqState *s);
static void shapley_merge(MqState *s, const MqModel *m);
static MqModel *shapley_flatten(MqState *s);

const MqKind mq_shapley_kind = {
	.name = "shapley",
	.id = 11,
	.format = 1,
	.nsect = SH_NSECT,
	.sects = shapley_sects,
	.check = shapley_check,
	.state_size = sizeof(MqShapleyState),
	.init = shapley_init,
	.merge = shapley_merge,
	.flatten = shapley_flatten,
};

MQ_MODEL_TYPE_IO(shapley, &mq_shapley_kind)

/* Order two sets (sorted id lists) lexicographically, a prefix first. */
static int
set_cmp(const int32 *a, int na, const int32 *b, int nb)
{
	int			i;

	for (i = 0; i < na && i < nb; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return (na > nb) - (na < nb);
}

/* Semantic checks of a flat shapley value. */
static void
shapley_check(const MqKind *kind, const MqModel *m)
{
	int			nch = mq_get_text_count(m, SH_CHANNELS),
				nsets,
				nmem,
				n1,
				n2,
				n3,
				i,
				j;
	const int32 *sizes = mq_get_int32s(m, SH_SET_SIZES, &nsets);
	const int32 *mem = mq_get_int32s(m, SH_MEMBERS, &nmem);
	const double *conv = mq_get_float8s(m, SH_SET_CONVERSIONS, &n1);
	const double *nulls = mq_get_float8s(m, SH_SET_NULLS, &n2);
	const double *vals = mq_get_float8s(m, SH_SET_VALUES, &n3);
	const char *prev = NULL;
	int			prevlen = 0;
	Size		off = 0,
				prevoff = 0;

	if (n1 != nsets || n2 != nsets || n3 != nsets)
		mq_model_corrupt(kind, "Sections \"set_sizes\", \"set_conversions\", \"set_nulls\" and \"set_values\" have %d, %d, %d and %d elements.",
						 nsets, n1, n2, n3);
	if (mq_get_int64(m, SH_PATHS) < 0 ||
		!(mq_get_float8(m, SH_CONVERSIONS) >= 0) || !isfinite(mq_get_float8(m, SH_CONVERSIONS)) ||
		!(mq_get_float8(m, SH_NULLS) >= 0) || !isfinite(mq_get_float8(m, SH_NULLS)) ||
		!(mq_get_float8(m, SH_VALUE) >= 0) || !isfinite(mq_get_float8(m, SH_VALUE)))
		mq_model_corrupt(kind, "The totals must be non-negative numbers.");
	for (i = 0; i < nch; i++)
	{
		int			len;
		const char *s = mq_get_text_elem(m, SH_CHANNELS, i, &len);

		if (prev && mq_strcmp_bytes(prev, prevlen, s, len) >= 0)
			mq_model_corrupt(kind, "Channel %d is not in byte order after channel %d, or repeats it.", i + 1, i);
		prev = s;
		prevlen = len;
	}
	for (i = 0; i < nsets; i++)
	{
		if (sizes[i] < 1 || sizes[i] > nch || off + sizes[i] > (Size) nmem)
			mq_model_corrupt(kind, "Set %d has an invalid size.", i + 1);
		for (j = 0; j < sizes[i]; j++)
		{
			int32		c = mem[off + j];

			if (c < 0 || c >= nch || (j > 0 && c <= mem[off + j - 1]))
				mq_model_corrupt(kind, "Set %d must list distinct channel indexes in ascending order.", i + 1);
		}
		if (!(conv[i] >= 0) || !isfinite(conv[i]) || !(nulls[i] >= 0) || !isfinite(nulls[i]) ||
			!(vals[i] >= 0) || !isfinite(vals[i]))
			mq_model_corrupt(kind, "Set %d has an invalid count or value.", i + 1);
		if (i > 0 && set_cmp(mem + prevoff, sizes[i - 1], mem + off, sizes[i]) >= 0)
			mq_model_corrupt(kind, "Set %d is not in order after set %d, or repeats it.", i + 1, i);
		prevoff = off;
		off += sizes[i];
	}
	if (off != (Size) nmem)
		mq_model_corrupt(kind, "Section \"members\" has %d elements but the sets use %zu.", nmem, off);
}

/* ------------------------------------------------------------------ state */

#define SET_INITIAL_SLOTS 64

/* Empty state. */
static void
shapley_init(MqState *st)
{
	MqShapleyState *s = (MqShapleyState *) st;

	mq_dict_init(&s->channels);
	s->cap = 16;
	s->set_off = palloc(sizeof(int32) * (s->cap + 1));
	s->set_off[0] = 0;
	s->members_cap = 64;
	s->members = palloc(sizeof(int32) * s->members_cap);
	s->sums = palloc(sizeof(double) * 3 * s->cap);
	s->hashes = palloc(sizeof(uint32) * s->cap);
	s->mask = SET_INITIAL_SLOTS - 1;
	s->table = palloc(sizeof(int32) * SET_INITIAL_SLOTS);
	memset(s->table, 0xff, sizeof(int32) * SET_INITIAL_SLOTS);
}

/* Double the open-addressing table. */
static void
set_table_grow(MqShapleyState *s)
{
	uint32		slots = (s->mask + 1) * 2;
	int32	   *t;
	int			i;

	if (slots > ((uint32) 1 << 30))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct channel sets in a marketiq shapley state")));
	t = MemoryContextAllocHuge(s->hdr.cxt, sizeof(int32) * (Size) slots);
	memset(t, 0xff, sizeof(int32) * (Size) slots);
	for (i = 0; i < s->nsets; i++)
	{
		uint32		h = s->hashes[i] & (slots - 1);

		while (t[h] >= 0)
			h = (h + 1) & (slots - 1);
		t[h] = i;
	}
	pfree(s->table);
	s->table = t;
	s->mask = slots - 1;
}

/* Add counts to the set of k sorted ids (k >= 1). */
static void
shapley_add_set(MqShapleyState *s, const int32 *set, int k,
				double conversions, double nulls, double value)
{
	uint32		h = hash_bytes((const unsigned char *) set, sizeof(int32) * k);
	uint32		i = h & s->mask;
	int32		e;
	double	   *sum;

	for (;; i = (i + 1) & s->mask)
	{
		e = s->table[i];
		if (e < 0)
			break;
		if (s->hashes[e] == h && s->set_off[e + 1] - s->set_off[e] == k &&
			memcmp(s->members + s->set_off[e], set, sizeof(int32) * k) == 0)
			break;
	}
	if (e < 0)
	{
		/* a new set */
		if (s->nsets == s->cap)
		{
			if (s->cap >= PG_INT32_MAX / 4)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many distinct channel sets in a marketiq shapley state")));
			s->cap *= 2;
			s->set_off = repalloc_huge(s->set_off, sizeof(int32) * ((Size) s->cap + 1));
			s->sums = repalloc_huge(s->sums, sizeof(double) * 3 * (Size) s->cap);
			s->hashes = repalloc_huge(s->hashes, sizeof(uint32) * (Size) s->cap);
		}
		if ((Size) s->set_off[s->nsets] + k > s->members_cap)
		{
			while ((Size) s->set_off[s->nsets] + k > s->members_cap)
				s->members_cap *= 2;
			if (s->members_cap > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many channel set members in a marketiq shapley state")));
			s->members = repalloc_huge(s->members, sizeof(int32) * s->members_cap);
		}
		e = s->nsets++;
		memcpy(s->members + s->set_off[e], set, sizeof(int32) * k);
		s->set_off[e + 1] = s->set_off[e] + k;
		s->hashes[e] = h;
		memset(s->sums + 3 * (Size) e, 0, sizeof(double) * 3);
		s->table[i] = e;
		if ((uint32) s->nsets * 2 >= s->mask + 1)
			set_table_grow(s);
	}
	sum = s->sums + 3 * (Size) e;
	sum[0] += conversions;
	sum[1] += nulls;
	sum[2] += value;
}

/* Add a journey: its distinct channels, sorted, form the set. */
void
mq_shapley_add_path(MqShapleyState *s, int32 *ids, int n,
					double conversions, double nulls, double value)
{
	int			k = 0,
				i,
				j;

	if (s->seen_cap < s->channels.n)
	{
		int			cap = Max(64, s->channels.n * 2);
		bool	   *seen = palloc0(sizeof(bool) * cap);

		if (s->seen)
			pfree(s->seen);
		s->seen = seen;
		s->seen_cap = cap;
	}
	/* keep the distinct ids in place, then sort them (sets are short) */
	for (i = 0; i < n; i++)
		if (!s->seen[ids[i]])
		{
			s->seen[ids[i]] = true;
			ids[k++] = ids[i];
		}
	for (i = 0; i < k; i++)
		s->seen[ids[i]] = false;
	for (i = 1; i < k; i++)
	{
		int32		x = ids[i];

		for (j = i - 1; j >= 0 && ids[j] > x; j--)
			ids[j + 1] = ids[j];
		ids[j + 1] = x;
	}
	shapley_add_set(s, ids, k, conversions, nulls, value);
	s->paths++;
	s->conversions += conversions;
	s->nulls += nulls;
	s->value += value;
}

/* Add a flat value into a state. */
static void
shapley_merge(MqState *st, const MqModel *m)
{
	MqShapleyState *s = (MqShapleyState *) st;
	int			nch = mq_get_text_count(m, SH_CHANNELS),
				nsets,
				nmem,
				i,
				j;
	const int32 *sizes = mq_get_int32s(m, SH_SET_SIZES, &nsets);
	const int32 *mem = mq_get_int32s(m, SH_MEMBERS, &nmem);
	const double *conv = mq_get_float8s(m, SH_SET_CONVERSIONS, &nsets);
	const double *nulls = mq_get_float8s(m, SH_SET_NULLS, &nsets);
	const double *vals = mq_get_float8s(m, SH_SET_VALUES, &nsets);
	int32	   *map = palloc(sizeof(int32) * Max(nch, 1));
	int32	   *set = palloc(sizeof(int32) * Max(nch, 1));
	Size		off = 0;

	for (i = 0; i < nch; i++)
	{
		int			len;
		const char *name = mq_get_text_elem(m, SH_CHANNELS, i, &len);

		map[i] = mq_dict_intern(&s->channels, name, len);
	}
	for (i = 0; i < nsets; i++)
	{
		for (j = 0; j < sizes[i]; j++)
			set[j] = map[mem[off + j]];
		off += sizes[i];
		/* the state's ids may order differently: sort */
		{
			int			a,
						b;

			for (a = 1; a < sizes[i]; a++)
			{
				int32		x = set[a];

				for (b = a - 1; b >= 0 && set[b] > x; b--)
					set[b + 1] = set[b];
				set[b + 1] = x;
			}
		}
		shapley_add_set(s, set, sizes[i], conv[i], nulls[i], vals[i]);
	}
	s->paths += mq_get_int64(m, SH_PATHS);
	s->conversions += mq_get_float8(m, SH_CONVERSIONS);
	s->nulls += mq_get_float8(m, SH_NULLS);
	s->value += mq_get_float8(m, SH_VALUE);
	pfree(map);
	pfree(set);
}

/* sort context for flattening */
typedef struct SetSort
{
	const int32 *off;			/* per set: start in mem */
	const int32 *size;			/* per set: size */
	const int32 *mem;			/* renumbered, sorted members */
} SetSort;

/* Order sets for the canonical form. */
static int
set_sort_cmp(const void *a, const void *b, void *arg)
{
	const SetSort *ss = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return set_cmp(ss->mem + ss->off[x], ss->size[x], ss->mem + ss->off[y], ss->size[y]);
}

/* Canonical flat form: channels in byte order, sets renumbered and sorted. */
static MqModel *
shapley_flatten(MqState *st)
{
	MqShapleyState *s = (MqShapleyState *) st;
	int			nch = s->channels.n,
				n = s->nsets,
				i,
				j;
	int32	   *order = mq_dict_sorted(&s->channels);
	int32	   *rank = palloc(sizeof(int32) * Max(nch, 1));
	const char **names = palloc(sizeof(char *) * Max(nch, 1));
	int		   *lens = palloc(sizeof(int) * Max(nch, 1));
	Size		nmem = n > 0 ? (Size) s->set_off[n] : 0;
	int32	   *mem = palloc(sizeof(int32) * Max(nmem, 1));
	int32	   *size = palloc(sizeof(int32) * Max(n, 1));
	int32	   *idx = palloc(sizeof(int32) * Max(n, 1));
	int32	   *out_mem = palloc(sizeof(int32) * Max(nmem, 1));
	int32	   *out_size = palloc(sizeof(int32) * Max(n, 1));
	double	   *conv = palloc(sizeof(double) * Max(n, 1));
	double	   *nulls = palloc(sizeof(double) * Max(n, 1));
	double	   *vals = palloc(sizeof(double) * Max(n, 1));
	SetSort		ss;
	Size		o = 0;
	MqBuilder  *b = mq_build_begin(&mq_shapley_kind);

	for (i = 0; i < nch; i++)
	{
		rank[order[i]] = i;
		names[i] = s->channels.strs[order[i]];
		lens[i] = s->channels.lens[order[i]];
	}
	for (i = 0; i < n; i++)
	{
		int32	   *m = mem + s->set_off[i];
		int			a,
					c;

		size[i] = s->set_off[i + 1] - s->set_off[i];
		for (j = 0; j < size[i]; j++)
			m[j] = rank[s->members[s->set_off[i] + j]];
		for (a = 1; a < size[i]; a++)
		{
			int32		x = m[a];

			for (c = a - 1; c >= 0 && m[c] > x; c--)
				m[c + 1] = m[c];
			m[c + 1] = x;
		}
		idx[i] = i;
	}
	ss.off = s->set_off;
	ss.size = size;
	ss.mem = mem;
	qsort_arg(idx, n, sizeof(int32), set_sort_cmp, &ss);
	for (i = 0; i < n; i++)
	{
		int32		e = idx[i];

		memcpy(out_mem + o, mem + s->set_off[e], sizeof(int32) * size[e]);
		o += size[e];
		out_size[i] = size[e];
		conv[i] = s->sums[3 * (Size) e];
		nulls[i] = s->sums[3 * (Size) e + 1];
		vals[i] = s->sums[3 * (Size) e + 2];
	}
	mq_put_int64(b, SH_PATHS, s->paths);
	mq_put_float8(b, SH_CONVERSIONS, s->conversions);
	mq_put_float8(b, SH_NULLS, s->nulls);
	mq_put_float8(b, SH_VALUE, s->value);
	mq_put_texts(b, SH_CHANNELS, names, lens, nch);
	mq_put_int32s(b, SH_SET_SIZES, out_size, n);
	mq_put_int32s(b, SH_MEMBERS, out_mem, (int) nmem);
	mq_put_float8s(b, SH_SET_CONVERSIONS, conv, n);
	mq_put_float8s(b, SH_SET_NULLS, nulls, n);
	mq_put_float8s(b, SH_SET_VALUES, vals, n);
	return mq_build_finish(b);
}

/* Bytes a state holds, for the size guard. */
static Size
shapley_state_bytes(const MqShapleyState *s)
{
	return mq_dict_bytes(&s->channels) + s->members_cap * sizeof(int32) +
		(Size) s->cap * (sizeof(int32) + 3 * sizeof(double) + sizeof(uint32)) +
		((Size) s->mask + 1) * sizeof(int32);
}

/* ------------------------------------------------------------- aggregate */

PG_FUNCTION_INFO_V1(mq_shapley_trans);

/*
 * shapley_model(path text[], conversions bigint, nulls bigint [, value
 * float8]) transition.  Rows with a NULL path, or no journeys, are skipped.
 */
Datum
mq_shapley_trans(PG_FUNCTION_ARGS)
{
	MqShapleyState *s = (MqShapleyState *) mq_state_arg(fcinfo, 0, &mq_shapley_kind);
	double		conversions = mq_attr_count_arg(fcinfo, 2, "conversions");
	double		nulls = mq_attr_count_arg(fcinfo, 3, "nulls");
	double		value = mq_attr_value_arg(fcinfo, 4, conversions);
	MemoryContext old;
	MqPath		it;
	int			n;

	if (PG_ARGISNULL(1) || conversions + nulls == 0)
		return mq_state_return(&s->hdr);
	/* the path is opened (detoasted if need be) in the per-row context */
	mq_path_open(&it, PG_GETARG_DATUM(1), "path");
	old = MemoryContextSwitchTo(s->hdr.cxt);
	if (s->cache == NULL)
	{
		s->cache = palloc(sizeof(MqChanCache));
		mq_chan_cache_init(s->cache);
	}
	n = mq_path_ids(&it, s->cache, &s->channels, &s->scratch, &s->scratch_cap, s->hdr.cxt);
	mq_shapley_add_path(s, s->scratch, n, conversions, nulls, value);
	MemoryContextSwitchTo(old);
	mq_check_state_size(shapley_state_bytes(s), &mq_shapley_kind, "channel sets");
	return mq_state_return(&s->hdr);
}

PG_FUNCTION_INFO_V1(mq_shapley_combine);

/* shapley_model combine. */
Datum
mq_shapley_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_shapley_kind);
}

PG_FUNCTION_INFO_V1(mq_shapley_final);

/* shapley_model final: the model, or NULL without journeys. */
Datum
mq_shapley_final(PG_FUNCTION_ARGS)
{
	MqShapleyState *s;
	const MqModel *m;
	MqModel    *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (MqShapleyState *) mq_state_view(fcinfo, 0, &mq_shapley_kind);
	if (s->paths == 0)
		PG_RETURN_NULL();
	m = mq_state_flat(&s->hdr);
	copy = palloc(VARSIZE(m));
	memcpy(copy, m, VARSIZE(m));
	PG_RETURN_POINTER(copy);
}

/* ------------------------------------------------------------ computing */

/* Shapley values of the rate game by subset sums (see the file header). */
static void
shapley_rate(const MqModel *m, MqShapleyResult *r)
{
	int			nch = mq_get_text_count(m, SH_CHANNELS),
				nsets,
				nmem,
				i,
				game;
	const int32 *sizes = mq_get_int32s(m, SH_SET_SIZES, &nsets);
	const int32 *mem = mq_get_int32s(m, SH_MEMBERS, &nmem);
	const double *conv = mq_get_float8s(m, SH_SET_CONVERSIONS, &nsets);
	const double *nulls = mq_get_float8s(m, SH_SET_NULLS, &nsets);
	const double *vals = mq_get_float8s(m, SH_SET_VALUES, &nsets);
	uint32		full,
				S;
	uint32	   *mask;
	double	   *num,
			   *den,
			   *w;
	Size		off = 0;

	if (nch > MQ_SHAPLEY_MAX_RATE_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the conversion-rate Shapley game handles at most %d channels", MQ_SHAPLEY_MAX_RATE_CHANNELS),
				 errdetail("The model has %d channels; the game is evaluated at all 2^%d coalitions.", nch, nch),
				 errhint("Use the count game (game => 'count' here, model \"shapley\" in attribution_report), which handles any number of channels, or group rare channels together.")));
	full = ((uint32) 1 << nch) - 1;
	mq_check_state_size(sizeof(double) * 2 * ((Size) full + 1), &mq_shapley_kind, "coalitions");
	num = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((Size) full + 1));
	den = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((Size) full + 1));
	mask = palloc(sizeof(uint32) * Max(nsets, 1));
	for (i = 0; i < nsets; i++)
	{
		int			j;

		mask[i] = 0;
		for (j = 0; j < sizes[i]; j++)
			mask[i] |= (uint32) 1 << mem[off + j];
		off += sizes[i];
	}
	/* w[s] = s! (n - s - 1)! / n!, by the recurrence w[s + 1] = w[s] (s + 1) / (n - s - 1) */
	w = palloc(sizeof(double) * Max(nch, 1));
	w[0] = 1.0 / nch;
	for (i = 0; i + 1 < nch; i++)
		w[i + 1] = w[i] * (i + 1) / (nch - i - 1);

	memset(den, 0, sizeof(double) * ((Size) full + 1));
	for (i = 0; i < nsets; i++)
		den[mask[i]] += conv[i] + nulls[i];
	for (i = 0; i < nch; i++)
	{
		uint32		bit = (uint32) 1 << i;

		CHECK_FOR_INTERRUPTS();
		for (S = 0; S <= full; S++)
			if (S & bit)
				den[S] += den[S ^ bit];
	}
	for (game = 0; game < 2; game++)
	{
		double	   *phi = game == 0 ? r->phi : r->phi_value;

		memset(num, 0, sizeof(double) * ((Size) full + 1));
		for (i = 0; i < nsets; i++)
			num[mask[i]] += game == 0 ? conv[i] : vals[i];
		for (i = 0; i < nch; i++)
		{
			uint32		bit = (uint32) 1 << i;

			CHECK_FOR_INTERRUPTS();
			for (S = 0; S <= full; S++)
				if (S & bit)
					num[S] += num[S ^ bit];
		}
		for (S = 0; S <= full; S++)
			num[S] = den[S] > 0 ? num[S] / den[S] : 0;
		for (i = 0; i < nch; i++)
		{
			uint32		bit = (uint32) 1 << i;
			double		acc = 0;

			CHECK_FOR_INTERRUPTS();
			for (S = 0; S <= full; S++)
				if (!(S & bit))
					acc += w[pg_popcount32(S)] * (num[S | bit] - num[S]);
			phi[i] = acc;
		}
	}
	pfree(num);
	pfree(den);
}

/* Shapley values and credits of a flat shapley value under a game. */
void
mq_shapley_compute(const MqModel *m, MqShapleyGame game, MqShapleyResult *r)
{
	int			nch = mq_get_text_count(m, SH_CHANNELS),
				i;
	double		sum = 0,
				vsum = 0,
				conv_total = mq_get_float8(m, SH_CONVERSIONS),
				value_total = mq_get_float8(m, SH_VALUE);

	r->phi = palloc0(sizeof(double) * Max(nch, 1));
	r->phi_value = palloc0(sizeof(double) * Max(nch, 1));
	r->conversions = palloc0(sizeof(double) * Max(nch, 1));
	r->value = palloc0(sizeof(double) * Max(nch, 1));
	r->share = palloc0(sizeof(double) * Max(nch, 1));
	if (nch == 0)
		return;
	if (game == MQ_SHAPLEY_COUNT)
	{
		int			nsets,
					nmem,
					j;
		const int32 *sizes = mq_get_int32s(m, SH_SET_SIZES, &nsets);
		const int32 *mem = mq_get_int32s(m, SH_MEMBERS, &nmem);
		const double *conv = mq_get_float8s(m, SH_SET_CONVERSIONS, &nsets);
		const double *vals = mq_get_float8s(m, SH_SET_VALUES, &nsets);
		Size		off = 0;

		/* the closed form: each set's worth split equally among its members */
		for (i = 0; i < nsets; i++)
		{
			for (j = 0; j < sizes[i]; j++)
			{
				r->phi[mem[off + j]] += conv[i] / sizes[i];
				r->phi_value[mem[off + j]] += vals[i] / sizes[i];
			}
			off += sizes[i];
		}
	}
	else
		shapley_rate(m, r);
	for (i = 0; i < nch; i++)
	{
		sum += r->phi[i];
		vsum += r->phi_value[i];
	}
	for (i = 0; i < nch; i++)
	{
		r->share[i] = sum != 0 ? r->phi[i] / sum : 0;
		r->conversions[i] = sum != 0 ? r->phi[i] / sum * conv_total : 0;
		r->value[i] = vsum != 0 ? r->phi_value[i] / vsum * value_total : 0;
	}
}

/* the games shapley_values accepts */
static const char *const shapley_games[] = {"count", "rate", NULL};

PG_FUNCTION_INFO_V1(mq_shapley_values);

/*
 * shapley_values(m, game text DEFAULT 'count') -> TABLE(channel,
 * shapley_value, share, conversions, value).
 */
Datum
mq_shapley_values(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_shapley_kind);
	MqShapleyGame game = (MqShapleyGame) mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(1)),
														 "Shapley game", shapley_games);
	MqShapleyResult r;
	int			nch = mq_get_text_count(m, SH_CHANNELS),
				i;

	mq_shapley_compute(m, game, &r);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nch; i++)
	{
		Datum		v[5];
		bool		nulls[5] = {false, false, false, false, false};
		int			len;
		const char *name = mq_get_text_elem(m, SH_CHANNELS, i, &len);

		v[0] = PointerGetDatum(cstring_to_text_with_len(name, len));
		v[1] = Float8GetDatum(r.phi[i]);
		v[2] = Float8GetDatum(r.share[i]);
		v[3] = Float8GetDatum(r.conversions[i]);
		v[4] = Float8GetDatum(r.value[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
