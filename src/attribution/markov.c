/*-------------------------------------------------------------------------
 *
 * markov.c
 *	  The marketiq.markov model value, the markov_model aggregate that
 *	  builds it from paths, and its readers.
 *
 * The aggregate counts transitions.  A path c1 > c2 > ... > cn made by
 * `conversions` converting and `nulls` non-converting journeys adds
 * conversions + nulls to every transition (start) -> c1 -> ... -> cn, then
 * `conversions` (with the path's conversion value) to cn -> (conversion) and
 * `nulls` to cn -> (null).  In a chain of order k the state is the last k
 * channels (fewer at the start of a path), so a transition is stored as the
 * k ids of its from-state plus the next symbol.  Consecutive repeats of a
 * channel collapse into one touch unless asked otherwise.
 *
 * The state is the model type itself (an expanded object while the
 * aggregate runs, see mq_model.h).  Order-1 chains over at most
 * MQ_MARKOV_DENSE_CHANNELS channels -- the common case -- count in a dense
 * (channels + 1) x (channels + 2) matrix, one array increment per touch;
 * other chains use a hash table keyed by the k + 1 symbols.  The flat form
 * lists channels in byte order and transitions sorted by key, so equal
 * models print equally whatever the plan.
 *
 * The final function solves the chain exactly (markov_solve.c) and stores
 * P(conversion), the expected value per journey and every channel's
 * removal effects in the model, so readers are instant; a model whose
 * results are absent (a hand-written value) is solved when read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "mq_attribution.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_model.h"

static const MqSectSpec markov_sects[MK_NSECT] = {
	{"order", MQ_INT64},
	{"collapse_repeats", MQ_INT64},
	{"paths", MQ_INT64},
	{"conversions", MQ_FLOAT8},
	{"nulls", MQ_FLOAT8},
	{"value", MQ_FLOAT8},
	{"channels", MQ_TEXT_ARR},
	{"keys", MQ_INT32_ARR},
	{"counts", MQ_FLOAT8_ARR},
	{"values", MQ_FLOAT8_ARR},
	{"p_conversion", MQ_FLOAT8},
	{"expected_value", MQ_FLOAT8},
	{"removal_effects", MQ_FLOAT8_ARR},
	{"value_removal_effects", MQ_FLOAT8_ARR},
};

static void markov_check(const MqKind *kind, const MqModel *m);
static void markov_init(MqState *s);
static void markov_merge(MqState *s, const MqModel *m);
static MqModel *markov_flatten(MqState *s);

const MqKind mq_markov_kind = {
	.name = "markov",
	.id = 10,
	.format = 1,
	.nsect = MK_NSECT,
	.sects = markov_sects,
	.check = markov_check,
	.state_size = sizeof(MqMarkovState),
	.init = markov_init,
	.merge = markov_merge,
	.flatten = markov_flatten,
};

MQ_MODEL_TYPE_IO(markov, &mq_markov_kind)

/* ------------------------------------------------------------- validation */

/* Is x a finite number >= 0? */
static inline bool
nonneg(double x)
{
	return isfinite(x) && x >= 0;
}

/* Semantic checks of a flat markov value. */
static void
markov_check(const MqKind *kind, const MqModel *m)
{
	int64		order = mq_get_int64(m, MK_ORDER);
	int64		collapse = mq_get_int64(m, MK_COLLAPSE);
	int			nch = mq_get_text_count(m, MK_CHANNELS);
	int			nkeys,
				ncounts,
				nvalues,
				nre,
				nvre,
				i,
				j;
	const int32 *keys = mq_get_int32s(m, MK_KEYS, &nkeys);
	const double *counts = mq_get_float8s(m, MK_COUNTS, &ncounts);
	const double *values = mq_get_float8s(m, MK_VALUES, &nvalues);
	const char *prev = NULL;
	int			prevlen = 0;

	mq_get_float8s(m, MK_REMOVAL, &nre);
	mq_get_float8s(m, MK_VALUE_REMOVAL, &nvre);
	if (order < 0 || order > MQ_MARKOV_MAX_ORDER || (order == 0 && ncounts > 0))
		mq_model_corrupt(kind, "\"order\" is " INT64_FORMAT ".", order);
	if (collapse != 0 && collapse != 1)
		mq_model_corrupt(kind, "\"collapse_repeats\" must be 0 or 1.");
	if (mq_get_int64(m, MK_PATHS) < 0 || !nonneg(mq_get_float8(m, MK_CONVERSIONS)) ||
		!nonneg(mq_get_float8(m, MK_NULLS)) || !nonneg(mq_get_float8(m, MK_VALUE)))
		mq_model_corrupt(kind, "The totals must be non-negative numbers.");
	if (ncounts != nvalues || (Size) nkeys != (Size) ncounts * (order + 1))
		mq_model_corrupt(kind, "Sections \"keys\", \"counts\" and \"values\" have %d, %d and %d elements for order " INT64_FORMAT ".",
						 nkeys, ncounts, nvalues, order);
	if ((nre != 0 && nre != nch) || nvre != nre)
		mq_model_corrupt(kind, "Sections \"removal_effects\" and \"value_removal_effects\" must be empty or have one element per channel.");
	for (i = 0; i < nch; i++)
	{
		int			len;
		const char *s = mq_get_text_elem(m, MK_CHANNELS, i, &len);

		if (prev && mq_strcmp_bytes(prev, prevlen, s, len) >= 0)
			mq_model_corrupt(kind, "Channel %d is not in byte order after channel %d, or repeats it.", i + 1, i);
		prev = s;
		prevlen = len;
	}
	for (i = 0; i < ncounts; i++)
	{
		const int32 *k = keys + (Size) i * (order + 1);
		int32		next = k[order];
		bool		padding = true;

		for (j = 0; j < order; j++)
		{
			if (k[j] == MQ_MK_NONE && padding)
				continue;
			padding = false;
			if (k[j] < 0 || k[j] >= nch)
				mq_model_corrupt(kind, "Transition %d has an invalid from-state.", i + 1);
		}
		if (next >= nch || next < MQ_MK_NULL || next == MQ_MK_NONE)
			mq_model_corrupt(kind, "Transition %d has an invalid next state.", i + 1);
		if (!nonneg(counts[i]) || !nonneg(values[i]) || (values[i] != 0 && next != MQ_MK_CONV))
			mq_model_corrupt(kind, "Transition %d has an invalid count or value.", i + 1);
		if (i > 0)
		{
			const int32 *p = k - (order + 1);

			for (j = 0; j <= order && p[j] == k[j]; j++)
				;
			if (j > order || p[j] > k[j])
				mq_model_corrupt(kind, "Transition %d is not in key order after transition %d, or repeats it.", i + 1, i);
		}
	}
}

/* ------------------------------------------------------------------ state */

/* Empty state (order not known until the first row). */
static void
markov_init(MqState *s)
{
	MqMarkovState *t = (MqMarkovState *) s;

	mq_dict_init(&t->channels);
	t->collapse = true;
}

/* Fix the order and repeat handling, or check they match the state's. */
void
mq_markov_set_params(MqMarkovState *s, int order, bool collapse)
{
	if (s->order == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(s->hdr.cxt);

		s->order = order;
		s->collapse = collapse;
		if (order == 1 && s->channels.n <= MQ_MARKOV_DENSE_CHANNELS)
		{
			s->dense_dim = 16;
			while (s->dense_dim < s->channels.n)
				s->dense_dim *= 2;
			s->dense = palloc0(sizeof(double) * 2 * (s->dense_dim + 1) * (s->dense_dim + 2));
		}
		else
			mq_accum_init(&s->trans, order + 1, 2);
		MemoryContextSwitchTo(old);
		return;
	}
	if (s->order != order)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine Markov chains of order %d and %d", s->order, order),
				 errhint("Every row of one markov_model aggregate must pass the same \"order\".")));
	if (s->collapse != collapse)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine Markov chains built with and without collapsed repeats"),
				 errhint("Every row of one markov_model aggregate must pass the same \"collapse_repeats\".")));
}

/* index of a dense cell's count (the value follows it) */
static inline Size
dense_cell(const MqMarkovState *s, int from, int next)
{
	/* from: -1 start or a channel id; next: a channel id, MQ_MK_CONV or MQ_MK_NULL */
	int			col = next >= 0 ? next : (next == MQ_MK_CONV ? s->dense_dim : s->dense_dim + 1);

	return 2 * ((Size) (from + 1) * (s->dense_dim + 2) + col);
}

/* Move the dense counts into the hash table (too many channels for a dense matrix). */
static void
markov_spill_dense(MqMarkovState *s)
{
	int			f,
				c;

	mq_accum_init(&s->trans, 2, 2);
	for (f = -1; f < s->dense_dim; f++)
		for (c = MQ_MK_NULL; c < s->dense_dim; c++)
		{
			double	   *cell;
			int32		key[2];
			double	   *v;
			int			e;

			if (c == MQ_MK_NONE)
				continue;
			cell = s->dense + dense_cell(s, f, c);
			if (cell[0] == 0 && cell[1] == 0)
				continue;
			key[0] = f;
			key[1] = c;
			e = mq_accum_upsert(&s->trans, key);
			v = MQ_ACCUM_VALS(&s->trans, e);	/* after the upsert, which may move vals */
			v[0] += cell[0];
			v[1] += cell[1];
		}
	pfree(s->dense);
	s->dense = NULL;
	s->dense_dim = 0;
}

/*
 * Make room in the dense matrix for `want` channel ids, or move to the hash
 * table when that is more than MQ_MARKOV_DENSE_CHANNELS.
 */
static void
markov_grow_dense(MqMarkovState *s, int want)
{
	int			dim = s->dense_dim,
				f,
				c;
	double	   *old = s->dense;
	int			olddim = s->dense_dim;

	if (want <= dim)
		return;
	if (want > MQ_MARKOV_DENSE_CHANNELS)
	{
		markov_spill_dense(s);
		return;
	}
	while (dim < want)
		dim *= 2;
	dim = Min(dim, MQ_MARKOV_DENSE_CHANNELS);
	s->dense_dim = dim;
	s->dense = palloc0(sizeof(double) * 2 * (dim + 1) * (dim + 2));
	for (f = -1; f < olddim; f++)
		for (c = MQ_MK_NULL; c < olddim; c++)
		{
			int			oc;

			if (c == MQ_MK_NONE)
				continue;
			oc = c >= 0 ? c : (c == MQ_MK_CONV ? olddim : olddim + 1);
			memcpy(s->dense + dense_cell(s, f, c),
				   old + 2 * ((Size) (f + 1) * (olddim + 2) + oc), sizeof(double) * 2);
		}
	pfree(old);
}

/* Make room for every interned channel in the dense matrix (or leave it). */
static void
markov_fit_dense(MqMarkovState *s)
{
	markov_grow_dense(s, s->channels.n);
}

/* Add count and value to one transition. */
static inline void
markov_count(MqMarkovState *s, const int32 *from, int32 next, double count, double value)
{
	if (s->dense)
	{
		double	   *cell = s->dense + dense_cell(s, from[0], next);

		cell[0] += count;
		cell[1] += value;
	}
	else
	{
		int32		key[MQ_MARKOV_MAX_ORDER + 1];
		double	   *v;
		int			e;

		memcpy(key, from, sizeof(int32) * s->order);
		key[s->order] = next;
		e = mq_accum_upsert(&s->trans, key);
		v = MQ_ACCUM_VALS(&s->trans, e);	/* after the upsert, which may move vals */
		v[0] += count;
		v[1] += value;
	}
}

/*
 * Order 1 with a dense matrix that has room for every id the open path can
 * add: read the channel ids and count the transitions in the same loop.
 */
static void
markov_dense_walk(MqMarkovState *s, MqPath *it, double conversions, double nulls, double value)
{
	int			dim = s->dense_dim,
				i;
	Size		stride = 2 * (Size) (dim + 2);
	double	   *dense = s->dense;
	double	   *row = dense;	/* (start) */
	double		total = conversions + nulls;
	int32		prev = -1;
	bool		collapse = s->collapse;

	for (i = 0; i < it->n; i++)
	{
		int32		id = mq_path_next(it, s->cache, &s->channels);

		/* a collapsed repeat adds nothing and stays in the same row */
		row[2 * id] += (id == prev && collapse) ? 0.0 : total;
		row = dense + (id + 1) * stride;
		prev = id;
	}
	row[2 * dim] += conversions;
	row[2 * dim + 1] += value;
	row[2 * (dim + 1)] += nulls;
	s->paths++;
	s->conversions += conversions;
	s->nulls += nulls;
	s->value += value;
}

/* Add one path's journeys to the transition counts. */
void
mq_markov_add_path(MqMarkovState *s, const int32 *ids, int n,
				   double conversions, double nulls, double value)
{
	int32		from[MQ_MARKOV_MAX_ORDER];
	int			k = s->order,
				i,
				j;
	double		total = conversions + nulls;

	Assert(k >= 1 && n >= 1);
	if (s->dense && unlikely(s->channels.n > s->dense_dim))
		markov_fit_dense(s);
	if (s->dense)
	{
		/* the hot loop of order 1: one row pointer, two adds per touch */
		int			dim = s->dense_dim;
		Size		stride = 2 * (Size) (dim + 2);
		double	   *row = s->dense;	/* (start) */
		int32		prev = -1;

		bool		collapse = s->collapse;

		for (i = 0; i < n; i++)
		{
			int32		id = ids[i];

			/* a collapsed repeat adds nothing and stays in the same row */
			row[2 * id] += (id == prev && collapse) ? 0.0 : total;
			row = s->dense + (id + 1) * stride;
			prev = id;
		}
		row[2 * dim] += conversions;
		row[2 * dim + 1] += value;
		row[2 * (dim + 1)] += nulls;
	}
	else
	{
		for (j = 0; j < k; j++)
			from[j] = MQ_MK_NONE;
		for (i = 0; i < n; i++)
		{
			if (s->collapse && i > 0 && ids[i] == ids[i - 1])
				continue;
			markov_count(s, from, ids[i], total, 0);
			for (j = 0; j < k - 1; j++)
				from[j] = from[j + 1];
			from[k - 1] = ids[i];
		}
		if (conversions > 0 || value > 0)
			markov_count(s, from, MQ_MK_CONV, conversions, value);
		if (nulls > 0)
			markov_count(s, from, MQ_MK_NULL, nulls, 0);
	}
	s->paths++;
	s->conversions += conversions;
	s->nulls += nulls;
	s->value += value;
}

/* Add a flat value into a state (combine; expanding a flat value). */
static void
markov_merge(MqState *st, const MqModel *m)
{
	MqMarkovState *s = (MqMarkovState *) st;
	int			order = (int) mq_get_int64(m, MK_ORDER);
	int			nch = mq_get_text_count(m, MK_CHANNELS);
	int			n,
				i,
				j;
	const int32 *keys = mq_get_int32s(m, MK_KEYS, &n);
	const double *counts = mq_get_float8s(m, MK_COUNTS, &n);
	const double *values = mq_get_float8s(m, MK_VALUES, &n);
	int32	   *map = palloc(sizeof(int32) * Max(nch, 1));

	if (order == 0)
		return;					/* an empty state */
	for (i = 0; i < nch; i++)
	{
		int			len;
		const char *name = mq_get_text_elem(m, MK_CHANNELS, i, &len);

		map[i] = mq_dict_intern(&s->channels, name, len);
	}
	mq_markov_set_params(s, order, mq_get_int64(m, MK_COLLAPSE) != 0);
	if (s->dense)
		markov_fit_dense(s);
	for (i = 0; i < n; i++)
	{
		const int32 *k = keys + (Size) i * (order + 1);
		int32		from[MQ_MARKOV_MAX_ORDER];
		int32		next = k[order];

		for (j = 0; j < order; j++)
			from[j] = k[j] >= 0 ? map[k[j]] : k[j];
		markov_count(s, from, next >= 0 ? map[next] : next, counts[i], values[i]);
	}
	s->paths += mq_get_int64(m, MK_PATHS);
	s->conversions += mq_get_float8(m, MK_CONVERSIONS);
	s->nulls += mq_get_float8(m, MK_NULLS);
	s->value += mq_get_float8(m, MK_VALUE);
	pfree(map);
}

/* sort context for flattening: keys of width kw */
typedef struct KeySort
{
	const int32 *keys;
	int			kw;
} KeySort;

/* Order transitions by key, lexicographically. */
static int
key_cmp(const void *a, const void *b, void *arg)
{
	const KeySort *ks = arg;
	const int32 *x = ks->keys + (Size) (*(const int32 *) a) * ks->kw;
	const int32 *y = ks->keys + (Size) (*(const int32 *) b) * ks->kw;
	int			i;

	for (i = 0; i < ks->kw; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Canonical flat form: channels in byte order, transitions sorted by key; no solution. */
static MqModel *
markov_flatten(MqState *st)
{
	MqMarkovState *s = (MqMarkovState *) st;
	int			nch = s->channels.n,
				kw = s->order + 1,
				n = 0,
				cap,
				i,
				j;
	int32	   *order = mq_dict_sorted(&s->channels);
	int32	   *rank = palloc(sizeof(int32) * Max(nch, 1));
	const char **names = palloc(sizeof(char *) * Max(nch, 1));
	int		   *lens = palloc(sizeof(int) * Max(nch, 1));
	int32	   *keys,
			   *sorted_keys,
			   *idx;
	double	   *counts,
			   *values,
			   *sorted_counts,
			   *sorted_values;
	KeySort		ks;
	MqBuilder  *b = mq_build_begin(&mq_markov_kind);

	for (i = 0; i < nch; i++)
	{
		rank[order[i]] = i;
		names[i] = s->channels.strs[order[i]];
		lens[i] = s->channels.lens[order[i]];
	}

	/* gather the transitions with ids renumbered in name order */
	if (s->order == 0)
		cap = 0;
	else if (s->dense)
		cap = (s->dense_dim + 1) * (s->dense_dim + 2);
	else
		cap = s->trans.n;
	keys = palloc(sizeof(int32) * Max((Size) cap * kw, 1));
	counts = palloc(sizeof(double) * Max(cap, 1));
	values = palloc(sizeof(double) * Max(cap, 1));
	if (s->order > 0 && s->dense)
	{
		int			f,
					c;

		for (f = -1; f < s->dense_dim; f++)
			for (c = MQ_MK_NULL; c < s->dense_dim; c++)
			{
				const double *cell;

				if (c == MQ_MK_NONE)
					continue;
				cell = s->dense + dense_cell(s, f, c);
				if (cell[0] == 0 && cell[1] == 0)
					continue;
				keys[2 * n] = f >= 0 ? rank[f] : f;
				keys[2 * n + 1] = c >= 0 ? rank[c] : c;
				counts[n] = cell[0];
				values[n] = cell[1];
				n++;
			}
	}
	else if (s->order > 0)
	{
		for (i = 0; i < s->trans.n; i++)
		{
			const int32 *k = MQ_ACCUM_KEY(&s->trans, i);
			const double *v = MQ_ACCUM_VALS(&s->trans, i);

			for (j = 0; j < kw; j++)
				keys[(Size) n * kw + j] = k[j] >= 0 ? rank[k[j]] : k[j];
			counts[n] = v[0];
			values[n] = v[1];
			n++;
		}
	}

	idx = palloc(sizeof(int32) * Max(n, 1));
	for (i = 0; i < n; i++)
		idx[i] = i;
	ks.keys = keys;
	ks.kw = kw;
	qsort_arg(idx, n, sizeof(int32), key_cmp, &ks);
	sorted_keys = palloc(sizeof(int32) * Max((Size) n * kw, 1));
	sorted_counts = palloc(sizeof(double) * Max(n, 1));
	sorted_values = palloc(sizeof(double) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		memcpy(sorted_keys + (Size) i * kw, keys + (Size) idx[i] * kw, sizeof(int32) * kw);
		sorted_counts[i] = counts[idx[i]];
		sorted_values[i] = values[idx[i]];
	}

	mq_put_int64(b, MK_ORDER, s->order);
	mq_put_int64(b, MK_COLLAPSE, s->collapse ? 1 : 0);
	mq_put_int64(b, MK_PATHS, s->paths);
	mq_put_float8(b, MK_CONVERSIONS, s->conversions);
	mq_put_float8(b, MK_NULLS, s->nulls);
	mq_put_float8(b, MK_VALUE, s->value);
	mq_put_texts(b, MK_CHANNELS, names, lens, nch);
	mq_put_int32s(b, MK_KEYS, sorted_keys, n * kw);
	mq_put_float8s(b, MK_COUNTS, sorted_counts, n);
	mq_put_float8s(b, MK_VALUES, sorted_values, n);
	mq_put_float8(b, MK_P_CONV, get_float8_nan());
	mq_put_float8(b, MK_EXP_VALUE, get_float8_nan());
	mq_put_float8s(b, MK_REMOVAL, NULL, 0);
	mq_put_float8s(b, MK_VALUE_REMOVAL, NULL, 0);
	return mq_build_finish(b);
}

/* Bytes a state holds, for the size guard. */
static Size
markov_state_bytes(const MqMarkovState *s)
{
	Size		b = mq_dict_bytes(&s->channels);

	if (s->dense)
		b += sizeof(double) * 2 * (s->dense_dim + 1) * (s->dense_dim + 2);
	else if (s->order > 0)
		b += mq_accum_bytes(&s->trans);
	return b;
}

/* A copy of flat value m with the solution filled in. */
static MqModel *
markov_with_solution(const MqModel *m, const MqMarkovSolution *sol)
{
	MqBuilder  *b = mq_build_begin(&mq_markov_kind);
	int			nch = mq_get_text_count(m, MK_CHANNELS),
				n,
				i;
	const char **names = palloc(sizeof(char *) * Max(nch, 1));
	int		   *lens = palloc(sizeof(int) * Max(nch, 1));
	const int32 *keys;
	const double *v;

	for (i = 0; i < nch; i++)
		names[i] = mq_get_text_elem(m, MK_CHANNELS, i, &lens[i]);
	mq_put_int64(b, MK_ORDER, mq_get_int64(m, MK_ORDER));
	mq_put_int64(b, MK_COLLAPSE, mq_get_int64(m, MK_COLLAPSE));
	mq_put_int64(b, MK_PATHS, mq_get_int64(m, MK_PATHS));
	mq_put_float8(b, MK_CONVERSIONS, mq_get_float8(m, MK_CONVERSIONS));
	mq_put_float8(b, MK_NULLS, mq_get_float8(m, MK_NULLS));
	mq_put_float8(b, MK_VALUE, mq_get_float8(m, MK_VALUE));
	mq_put_texts(b, MK_CHANNELS, names, lens, nch);
	keys = mq_get_int32s(m, MK_KEYS, &n);
	mq_put_int32s(b, MK_KEYS, keys, n);
	v = mq_get_float8s(m, MK_COUNTS, &n);
	mq_put_float8s(b, MK_COUNTS, v, n);
	v = mq_get_float8s(m, MK_VALUES, &n);
	mq_put_float8s(b, MK_VALUES, v, n);
	mq_put_float8(b, MK_P_CONV, sol->p_conv);
	mq_put_float8(b, MK_EXP_VALUE, sol->value);
	mq_put_float8s(b, MK_REMOVAL, sol->removal, nch);
	mq_put_float8s(b, MK_VALUE_REMOVAL, sol->value_removal, nch);
	return mq_build_finish(b);
}

/* The finished model of a state: its flat form plus the exact solution. */
MqModel *
mq_markov_finish(MqMarkovState *s)
{
	const MqModel *flat = markov_flatten(&s->hdr);
	MqMarkovSolution sol;

	mq_markov_solve(flat, false, &sol);
	return markov_with_solution(flat, &sol);
}

/* ------------------------------------------------------------- aggregate */

/* ERROR for a negative count argument. */
void
mq_attr_count_error(const char *what, int64 v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" must not be negative", what),
			 errdetail("It is " INT64_FORMAT ".", v)));
}

/* ERROR for a bad conversion value argument. */
void
mq_attr_value_error(double v, double conversions)
{
	mq_check_finite(v, "value");
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"value\" must not be negative"),
				 errdetail("It is %g.", v)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("a path without conversions cannot carry a conversion value"),
			 errdetail("\"value\" is %g and \"conversions\" is 0.", v)));
}

PG_FUNCTION_INFO_V1(mq_markov_trans);

/*
 * markov_model(path text[], conversions bigint, nulls bigint [, value float8
 * [, "order" int [, collapse_repeats boolean]]]) transition.  Rows with a NULL
 * path, or no journeys, are skipped.
 */
Datum
mq_markov_trans(PG_FUNCTION_ARGS)
{
	MqMarkovState *s = (MqMarkovState *) mq_state_arg(fcinfo, 0, &mq_markov_kind);
	double		conversions,
				nulls,
				value;
	int			order = 1,
				n;
	bool		collapse = true;
	MemoryContext old;
	MqPath		it;

	if (PG_NARGS() > 5)
	{
		mq_check_not_null(PG_ARGISNULL(5), "order");
		order = PG_GETARG_INT32(5);
		mq_check_int_range(order, "order", 1, MQ_MARKOV_MAX_ORDER);
	}
	if (PG_NARGS() > 6)
	{
		mq_check_not_null(PG_ARGISNULL(6), "collapse_repeats");
		collapse = PG_GETARG_BOOL(6);
	}
	conversions = mq_attr_count_arg(fcinfo, 2, "conversions");
	nulls = mq_attr_count_arg(fcinfo, 3, "nulls");
	value = mq_attr_value_arg(fcinfo, 4, conversions);
	if (PG_ARGISNULL(1) || conversions + nulls == 0)
		return mq_state_return(&s->hdr);

	/* the path is opened (detoasted if need be) in the per-row context */
	mq_path_open(&it, PG_GETARG_DATUM(1), "path");
	old = MemoryContextSwitchTo(s->hdr.cxt);
	if (unlikely(s->cache == NULL))
	{
		s->cache = palloc(sizeof(MqChanCache));
		mq_chan_cache_init(s->cache);
	}
	if (unlikely(s->order != order || s->collapse != collapse))
		mq_markov_set_params(s, order, collapse);
	if (s->dense && s->channels.n + it.n <= MQ_MARKOV_DENSE_CHANNELS)
	{
		/*
		 * The common case: order 1, few channels.  Count while reading, once
		 * the dense matrix has room for every id this path could add.
		 */
		if (unlikely(s->channels.n + it.n > s->dense_dim))
			markov_grow_dense(s, s->channels.n + it.n);
		markov_dense_walk(s, &it, conversions, nulls, value);
	}
	else
	{
		n = mq_path_ids(&it, s->cache, &s->channels, &s->scratch, &s->scratch_cap, s->hdr.cxt);
		mq_markov_add_path(s, s->scratch, n, conversions, nulls, value);
	}
	MemoryContextSwitchTo(old);
	/* check the size only when something grew */
	if (unlikely(s->channels.n + (s->dense ? 0 : s->trans.n) != s->size_checked_at))
	{
		s->size_checked_at = s->channels.n + (s->dense ? 0 : s->trans.n);
		mq_check_state_size(markov_state_bytes(s), &mq_markov_kind, "transitions");
	}
	return mq_state_return(&s->hdr);
}

PG_FUNCTION_INFO_V1(mq_markov_combine);

/* markov_model combine. */
Datum
mq_markov_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_markov_kind);
}

PG_FUNCTION_INFO_V1(mq_markov_final);

/* markov_model final: the solved model, or NULL without journeys. */
Datum
mq_markov_final(PG_FUNCTION_ARGS)
{
	MqMarkovState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (MqMarkovState *) mq_state_view(fcinfo, 0, &mq_markov_kind);
	if (s->paths == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(mq_markov_finish(s));
}

/* --------------------------------------------------------------- readers */

/* The model's solution: stored by the aggregate, or computed now for a hand-made value. */
static void
markov_solution(const MqModel *m, MqMarkovSolution *sol)
{
	int			nre,
				nch = mq_get_text_count(m, MK_CHANNELS);
	const double *re = mq_get_float8s(m, MK_REMOVAL, &nre);

	if (nre == nch && nch > 0)
	{
		sol->p_conv = mq_get_float8(m, MK_P_CONV);
		sol->value = mq_get_float8(m, MK_EXP_VALUE);
		sol->removal = (double *) re;
		sol->value_removal = (double *) mq_get_float8s(m, MK_VALUE_REMOVAL, &nre);
		sol->method = NULL;
		sol->iterations = 0;
		return;
	}
	mq_markov_solve(m, false, sol);
}

PG_FUNCTION_INFO_V1(mq_markov_conversion_probability);

/* conversion_probability(m): P(conversion) of a journey from (start). */
Datum
mq_markov_conversion_probability(PG_FUNCTION_ARGS)
{
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_markov_kind);
	MqMarkovSolution sol;

	markov_solution(m, &sol);
	PG_RETURN_FLOAT8(sol.p_conv);
}

/*
 * Emit removal-effect rows.  value_rows: the value game (channel,
 * removal_effect, share, value); else the conversion rows (channel,
 * removal_effect, share, conversions, value).
 */
static void
markov_removal_rows(FunctionCallInfo fcinfo, const MqMarkovSolution *sol, const MqModel *m,
					const double *re, bool value_rows)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			nch = mq_get_text_count(m, MK_CHANNELS),
				i;
	double		sum = 0,
				vsum = 0;
	double		conv = mq_get_float8(m, MK_CONVERSIONS),
				value = mq_get_float8(m, MK_VALUE);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nch; i++)
	{
		sum += re[i];
		vsum += sol->value_removal[i];
	}
	for (i = 0; i < nch; i++)
	{
		Datum		v[5];
		bool		nulls[5] = {false, false, false, false, false};
		int			len;
		const char *name = mq_get_text_elem(m, MK_CHANNELS, i, &len);
		double		share = sum > 0 ? re[i] / sum : 0;
		double		vshare = vsum > 0 ? sol->value_removal[i] / vsum : 0;

		v[0] = PointerGetDatum(cstring_to_text_with_len(name, len));
		v[1] = Float8GetDatum(re[i]);
		v[2] = Float8GetDatum(share);
		if (value_rows)
			v[3] = Float8GetDatum(vshare * value);
		else
		{
			v[3] = Float8GetDatum(share * conv);
			v[4] = Float8GetDatum(vshare * value);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
}

PG_FUNCTION_INFO_V1(mq_markov_removal_effects);

/*
 * removal_effects(m) -> TABLE(channel, removal_effect, share, conversions,
 * value): conversions are shared out by removal effect, value by value
 * removal effect.
 */
Datum
mq_markov_removal_effects(PG_FUNCTION_ARGS)
{
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_markov_kind);
	MqMarkovSolution sol;

	markov_solution(m, &sol);
	markov_removal_rows(fcinfo, &sol, m, sol.removal, false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_markov_value_removal_effects);

/* value_removal_effects(m) -> TABLE(channel, removal_effect, share, value). */
Datum
mq_markov_value_removal_effects(PG_FUNCTION_ARGS)
{
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_markov_kind);
	MqMarkovSolution sol;

	markov_solution(m, &sol);
	markov_removal_rows(fcinfo, &sol, m, sol.value_removal, true);
	return (Datum) 0;
}

/* Append the name of a state (k symbols, oldest first) to buf. */
static void
append_state_name(StringInfo buf, const MqModel *m, const int32 *sym, int k)
{
	int			j;
	bool		any = false;

	for (j = 0; j < k; j++)
	{
		int			len;
		const char *name;

		if (sym[j] == MQ_MK_NONE)
			continue;
		name = mq_get_text_elem(m, MK_CHANNELS, sym[j], &len);
		if (any)
			appendStringInfoString(buf, " > ");
		appendBinaryStringInfo(buf, name, len);
		any = true;
	}
	if (!any)
		appendStringInfoString(buf, "(start)");
}

PG_FUNCTION_INFO_V1(mq_markov_transitions);

/*
 * transitions(m) -> TABLE(from_state, to_state, count, probability): the
 * transition matrix, one row per observed transition.  A state of an order-k
 * chain is named by its channels joined with " > ".
 */
Datum
mq_markov_transitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_markov_kind);
	int			k = (int) mq_get_int64(m, MK_ORDER),
				n,
				i,
				start;
	const int32 *keys = mq_get_int32s(m, MK_KEYS, &n);
	const double *counts = mq_get_float8s(m, MK_COUNTS, &n);
	StringInfoData from,
				to;

	InitMaterializedSRF(fcinfo, 0);
	initStringInfo(&from);
	initStringInfo(&to);
	/* transitions of one from-state are consecutive (sorted keys) */
	for (start = 0; start < n;)
	{
		const int32 *fk = keys + (Size) start * (k + 1);
		int			end = start;
		double		out = 0;

		while (end < n && memcmp(keys + (Size) end * (k + 1), fk, sizeof(int32) * k) == 0)
			out += counts[end++];
		resetStringInfo(&from);
		append_state_name(&from, m, fk, k);
		for (i = start; i < end; i++)
		{
			const int32 *key = keys + (Size) i * (k + 1);
			Datum		v[4];
			bool		nulls[4] = {false, false, false, false};

			resetStringInfo(&to);
			if (key[k] == MQ_MK_CONV)
				appendStringInfoString(&to, "(conversion)");
			else if (key[k] == MQ_MK_NULL)
				appendStringInfoString(&to, "(null)");
			else
				append_state_name(&to, m, key + 1, k);
			v[0] = PointerGetDatum(cstring_to_text_with_len(from.data, from.len));
			v[1] = PointerGetDatum(cstring_to_text_with_len(to.data, to.len));
			v[2] = Float8GetDatum(counts[i]);
			v[3] = Float8GetDatum(out > 0 ? counts[i] / out : 0);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
		start = end;
	}
	return (Datum) 0;
}
