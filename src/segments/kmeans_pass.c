/*-------------------------------------------------------------------------
 *
 * kmeans_pass.c
 *	  The two pass aggregates of the k-means driver: marketiq.kmeans_scan
 *	  (first pass: moments of the features, the first k-means++ centre and
 *	  the silhouette sample) and marketiq.kmeans_step (one Lloyd pass, and
 *	  optionally one k-means++ draw).
 *
 * Both follow DESIGN.md's second multi-pass option: the driver
 * (kmeans.c) runs one SELECT of an aggregate per pass over the caller's
 * relation, and the aggregate's state holds only what the pass needs, never
 * rows, so a pass runs in parallel (and on Citus shards) like any aggregate.
 * States are model-style values (real types with lossless JSON text I/O),
 * expanded in memory while a pass runs, and combine exactly: counts add,
 * sums add, moments merge by Chan's formula, and every "best row" choice
 * (first centre, sample, farthest points, k-means++ draw) is the minimum of
 * a total order on (key, feature values), so it does not depend on the order
 * in which rows or partial states arrive.
 *
 * kmeans_scan(features, seed, sample_size): rows used and skipped (a NULL
 * array or element), per-feature mean and centred sum of squares (Welford
 * per row, Chan when merging), the row whose hash in draw 1 is smallest
 * (the first k-means++ centre: a uniform choice among distinct feature
 * vectors), and the sample_size rows whose hashes in draw 0 are smallest
 * (the silhouette sample).
 *
 * kmeans_step(features, centroids, center, scale [, draw_seed]): each row
 * is standardised, z = (x - center) / scale, and assigned to its nearest
 * centroid (squared Euclidean distance, ties to the lowest cluster); the
 * state adds up, per cluster, the rows, the sum of their z (the new
 * centroid is sum / count) and their squared distances (the inertia), and
 * keeps the min(2k, 256) points farthest from their centroid (to re-seed
 * empty clusters).  With draw_seed, it also makes one k-means++ draw: each
 * row with a positive squared distance D2 to the nearest centroid gets the
 * key -ln(u) / D2, u uniform from the row's hash in stream draw_seed, and
 * the row with the smallest key is kept.  That key is an exponential
 * variable of rate D2, and the smallest of independent exponentials is row
 * i's with probability D2_i / sum D2: exactly k-means++'s D^2 weighting,
 * made in one combinable pass (the exponential race, or Efraimidis and
 * Spirakis's weighted sampling).
 *
 * The nearest-centroid search keeps the centroids transposed (feature-major)
 * so that the k running distances of a row are independent sums the
 * compiler can vectorise; each distance still adds its d terms in feature
 * order, so it is the same number as the plain loop.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_model.h"
#include "mq_segments.h"

/* the farthest points a step state keeps: enough to re-seed every empty cluster twice over */
#define FAR_CAP(k) Min(2 * (k), 256)

/* lexicographic order of two vectors: -1, 0, 1 */
static int
vec_cmp(const double *a, const double *b, int d)
{
	int			j;

	for (j = 0; j < d; j++)
	{
		if (a[j] < b[j])
			return -1;
		if (a[j] > b[j])
			return 1;
	}
	return 0;
}

/* ======================================================== kmeans_scan */

enum
{
	SC_SEED,					/* int64: the seed of the draws */
	SC_SAMPLE_CAP,				/* int64: sample size asked for */
	SC_D,						/* int64: features (0 until a row is seen) */
	SC_N,						/* int64: rows used */
	SC_SKIPPED,					/* int64: rows skipped (NULL array or element) */
	SC_MEAN,					/* float8[d]: means */
	SC_M2,						/* float8[d]: centred sums of squares */
	SC_FIRST_HASH,				/* int64: hash (as uint64 bits) of the first-centre row in draw 1 */
	SC_FIRST,					/* float8[d] (empty when no row): that row */
	SC_SAMPLE_HASH,				/* int64[m]: hashes of the sample rows in draw 0, ascending */
	SC_SAMPLE,					/* float8[m * d]: the sample rows */
	SC_NSECT
};

static const MqSectSpec scan_sects[SC_NSECT] = {
	{"seed", MQ_INT64},
	{"sample_size", MQ_INT64},
	{"d", MQ_INT64},
	{"n", MQ_INT64},
	{"rows_skipped", MQ_INT64},
	{"mean", MQ_FLOAT8_ARR},
	{"m2", MQ_FLOAT8_ARR},
	{"first_hash", MQ_INT64},
	{"first", MQ_FLOAT8_ARR},
	{"sample_hash", MQ_INT64_ARR},
	{"sample", MQ_FLOAT8_ARR},
};

/* In-memory state of kmeans_scan. */
typedef struct ScanState
{
	MqState		hdr;			/* expanded-object header, first */
	bool		configured;		/* seed and sample_cap known */
	int64		seed;			/* seed of the draws */
	int			cap;			/* sample size asked for */
	uint64		first_stream;	/* stream of draw 1 */
	uint64		sample_stream;	/* stream of draw 0 */
	int			d;				/* features (0: none seen) */
	int64		n;				/* rows used */
	int64		skipped;		/* rows skipped */
	double	   *mean;			/* d */
	double	   *m2;				/* d */
	bool		has_first;		/* a first-centre row is held */
	uint64		first_hash;		/* its hash */
	double	   *first;			/* d: the row */
	int			m;				/* sample rows held */
	uint64	   *shash;			/* cap: max-heap on (hash, row) */
	double	   *srows;			/* cap * d */
	double	   *x;				/* d: scratch row */
} ScanState;

static void scan_check(const MqKind *kind, const MqModel *m);
static void scan_init(MqState *s);
static void scan_merge(MqState *s, const MqModel *m);
static MqModel *scan_flatten(MqState *s);

const MqKind seg_kmeans_scan_kind = {
	.name = "kmeans_scan",
	.id = SEG_KIND_KMEANS_SCAN,
	.format = 1,
	.nsect = SC_NSECT,
	.sects = scan_sects,
	.check = scan_check,
	.state_size = sizeof(ScanState),
	.init = scan_init,
	.merge = scan_merge,
	.flatten = scan_flatten,
};

MQ_MODEL_TYPE_IO(kmeans_scan, &seg_kmeans_scan_kind)

/* Semantic checks of a scan value from outside. */
static void
scan_check(const MqKind *kind, const MqModel *m)
{
	int64		cap = mq_get_int64(m, SC_SAMPLE_CAP);
	int64		d = mq_get_int64(m, SC_D);
	int64		n = mq_get_int64(m, SC_N);
	int			nm,
				n2,
				nf,
				nh,
				ns,
				i;
	const double *mean = mq_get_float8s(m, SC_MEAN, &nm);
	const double *m2 = mq_get_float8s(m, SC_M2, &n2);
	const double *first = mq_get_float8s(m, SC_FIRST, &nf);
	const int64 *hs = mq_get_int64s(m, SC_SAMPLE_HASH, &nh);
	const double *rows = mq_get_float8s(m, SC_SAMPLE, &ns);

	if (cap < 0 || cap > 1000000)
		mq_model_corrupt(kind, "\"sample_size\" is " INT64_FORMAT ", outside 0 to 1000000.", cap);
	if (d < 0 || d > SEG_MAX_FEATURES)
		mq_model_corrupt(kind, "\"d\" is " INT64_FORMAT ", outside 0 to %d.", d, SEG_MAX_FEATURES);
	if (n < 0 || mq_get_int64(m, SC_SKIPPED) < 0)
		mq_model_corrupt(kind, "Row counts must not be negative.");
	if ((d == 0) != (n == 0))
		mq_model_corrupt(kind, "\"d\" must be 0 exactly when no row was used.");
	if (nm != d || n2 != d || nf != (n > 0 ? d : 0))
		mq_model_corrupt(kind, "Sections \"mean\", \"m2\" and \"first\" must have d elements.");
	if (nh > cap || nh > n || (int64) ns != (int64) nh * d)
		mq_model_corrupt(kind, "The sample has %d hashes and %d values for d = " INT64_FORMAT " and sample_size " INT64_FORMAT ".",
						 nh, ns, d, cap);
	for (i = 0; i < d; i++)
		if (!isfinite(mean[i]) || !isfinite(m2[i]) || m2[i] < 0 || !isfinite(first[i]))
			mq_model_corrupt(kind, "Feature %d has a non-finite mean or first row, or a negative sum of squares.", i + 1);
	for (i = 0; i < ns; i++)
		if (!isfinite(rows[i]))
			mq_model_corrupt(kind, "Sample value %d is not finite.", i + 1);
	for (i = 1; i < nh; i++)
		if ((uint64) hs[i - 1] > (uint64) hs[i])
			mq_model_corrupt(kind, "Sample hashes must be ascending.");
}

/* Empty scan state. */
static void
scan_init(MqState *s)
{
	((ScanState *) s)->configured = false;
}

/* Fix the seed and sample size of a scan state. */
static void
scan_configure(ScanState *st, int64 seed, int cap)
{
	st->seed = seed;
	st->cap = cap;
	st->first_stream = seg_stream(seed, 1);
	st->sample_stream = seg_stream(seed, SEG_DRAW_SAMPLE);
	st->configured = true;
}

/* Error unless a scan state has this seed and sample size. */
static void
scan_check_same(ScanState *st, int64 seed, int64 cap)
{
	if (seed != st->seed || cap != st->cap)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"seed\" and \"sample_size\" must be the same in every row")));
}

/* Allocate the per-feature arrays once d is known (in s->cxt). */
static void
scan_set_d(ScanState *st, int d)
{
	MemoryContext old = MemoryContextSwitchTo(st->hdr.cxt);

	mq_check_state_size(sizeof(double) * ((Size) st->cap + 4) * d, &seg_kmeans_scan_kind, "sample");
	st->d = d;
	st->mean = palloc0(sizeof(double) * d);
	st->m2 = palloc0(sizeof(double) * d);
	st->first = palloc(sizeof(double) * d);
	st->x = palloc(sizeof(double) * d);
	st->shash = palloc(sizeof(uint64) * Max(st->cap, 1));
	st->srows = palloc(sizeof(double) * Max(st->cap, 1) * d);
	MemoryContextSwitchTo(old);
}

/* (h1, x1) before (h2, x2) in the sample's order? */
static inline bool
sample_before(uint64 h1, const double *x1, uint64 h2, const double *x2, int d)
{
	if (h1 != h2)
		return h1 < h2;
	return vec_cmp(x1, x2, d) < 0;
}

/* swap heap entries a and b */
static void
sample_swap(ScanState *st, int a, int b)
{
	uint64		h = st->shash[a];
	int			j;

	st->shash[a] = st->shash[b];
	st->shash[b] = h;
	for (j = 0; j < st->d; j++)
	{
		double		t = st->srows[(Size) a * st->d + j];

		st->srows[(Size) a * st->d + j] = st->srows[(Size) b * st->d + j];
		st->srows[(Size) b * st->d + j] = t;
	}
}

/* Offer a row to the sample (a max-heap of the cap smallest (hash, row)). */
static void
sample_offer(ScanState *st, uint64 h, const double *x)
{
	int			d = st->d,
				i;

	if (st->cap == 0)
		return;
	if (st->m < st->cap)
	{
		/* append and sift up */
		i = st->m++;
		st->shash[i] = h;
		memcpy(st->srows + (Size) i * d, x, sizeof(double) * d);
		while (i > 0)
		{
			int			p = (i - 1) / 2;

			if (!sample_before(st->shash[p], st->srows + (Size) p * d, st->shash[i], st->srows + (Size) i * d, d))
				break;
			sample_swap(st, p, i);
			i = p;
		}
		return;
	}
	/* full: replace the root (the largest) if the row comes before it, and sift down */
	if (!sample_before(h, x, st->shash[0], st->srows, d))
		return;
	st->shash[0] = h;
	memcpy(st->srows, x, sizeof(double) * d);
	i = 0;
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					big = i;

		if (l < st->m && sample_before(st->shash[big], st->srows + (Size) big * d, st->shash[l], st->srows + (Size) l * d, d))
			big = l;
		if (r < st->m && sample_before(st->shash[big], st->srows + (Size) big * d, st->shash[r], st->srows + (Size) r * d, d))
			big = r;
		if (big == i)
			break;
		sample_swap(st, i, big);
		i = big;
	}
}

/* Offer a row as the first centre (the smallest (hash, row) in draw 1). */
static void
first_offer(ScanState *st, uint64 h, const double *x)
{
	if (!st->has_first || sample_before(h, x, st->first_hash, st->first, st->d))
	{
		st->first_hash = h;
		memcpy(st->first, x, sizeof(double) * st->d);
		st->has_first = true;
	}
}

/* Add a flat partial scan state. */
static void
scan_merge(MqState *s, const MqModel *m)
{
	ScanState  *st = (ScanState *) s;
	int64		seed = mq_get_int64(m, SC_SEED);
	int64		cap = mq_get_int64(m, SC_SAMPLE_CAP);
	int			d = (int) mq_get_int64(m, SC_D);
	int64		n = mq_get_int64(m, SC_N);
	int			cnt,
				nh,
				i,
				j;

	if (!st->configured)
		scan_configure(st, seed, (int) cap);
	else
		scan_check_same(st, seed, cap);
	st->skipped += mq_get_int64(m, SC_SKIPPED);
	if (n == 0)
		return;
	if (st->d == 0)
		scan_set_d(st, d);
	else if (d != st->d)
		seg_length_error("features", d, st->d, "earlier rows have");
	{
		const double *mean = mq_get_float8s(m, SC_MEAN, &cnt);
		const double *m2 = mq_get_float8s(m, SC_M2, &cnt);
		double		na = (double) st->n,
					nb = (double) n,
					nt = na + nb;

		/* Chan, Golub and LeVeque's pairwise update */
		for (j = 0; j < d; j++)
		{
			double		delta = mean[j] - st->mean[j];

			st->mean[j] += delta * (nb / nt);
			st->m2[j] += m2[j] + delta * delta * (na * nb / nt);
		}
		st->n += n;
	}
	first_offer(st, (uint64) mq_get_int64(m, SC_FIRST_HASH), mq_get_float8s(m, SC_FIRST, &cnt));
	{
		const int64 *hs = mq_get_int64s(m, SC_SAMPLE_HASH, &nh);
		const double *rows = mq_get_float8s(m, SC_SAMPLE, &cnt);

		for (i = 0; i < nh; i++)
			sample_offer(st, (uint64) hs[i], rows + (Size) i * d);
	}
}

/* qsort_arg comparator of sample entry indexes by (hash, row) */
static int
sample_idx_cmp(const void *a, const void *b, void *arg)
{
	ScanState  *st = (ScanState *) arg;
	int			i = *(const int *) a,
				k = *(const int *) b;

	if (st->shash[i] != st->shash[k])
		return st->shash[i] < st->shash[k] ? -1 : 1;
	return vec_cmp(st->srows + (Size) i * st->d, st->srows + (Size) k * st->d, st->d);
}

/* Flat form of a scan state (sample sorted, so equal states print equally). */
static MqModel *
scan_flatten(MqState *s)
{
	ScanState  *st = (ScanState *) s;
	MqBuilder  *b = mq_build_begin(&seg_kmeans_scan_kind);
	int			d = st->d,
				m = st->m,
				i;
	int		   *idx = palloc(sizeof(int) * Max(m, 1));
	int64	   *hs = palloc(sizeof(int64) * Max(m, 1));
	double	   *rows = palloc(sizeof(double) * Max(m, 1) * Max(d, 1));

	if (!st->configured)
		elog(ERROR, "marketiq kmeans_scan state flattened before its first row");
	for (i = 0; i < m; i++)
		idx[i] = i;
	qsort_arg(idx, m, sizeof(int), sample_idx_cmp, st);
	for (i = 0; i < m; i++)
	{
		hs[i] = (int64) st->shash[idx[i]];
		memcpy(rows + (Size) i * d, st->srows + (Size) idx[i] * d, sizeof(double) * d);
	}
	mq_put_int64(b, SC_SEED, st->seed);
	mq_put_int64(b, SC_SAMPLE_CAP, st->cap);
	mq_put_int64(b, SC_D, d);
	mq_put_int64(b, SC_N, st->n);
	mq_put_int64(b, SC_SKIPPED, st->skipped);
	mq_put_float8s(b, SC_MEAN, st->mean, d);
	mq_put_float8s(b, SC_M2, st->m2, d);
	mq_put_int64(b, SC_FIRST_HASH, (int64) st->first_hash);
	mq_put_float8s(b, SC_FIRST, st->first, st->n > 0 ? d : 0);
	mq_put_int64s(b, SC_SAMPLE_HASH, hs, m);
	mq_put_float8s(b, SC_SAMPLE, rows, m * d);
	return mq_build_finish(b);
}

PG_FUNCTION_INFO_V1(mq_kmeans_scan_trans);

/* kmeans_scan(features, seed, sample_size) transition. */
Datum
mq_kmeans_scan_trans(PG_FUNCTION_ARGS)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &seg_kmeans_scan_kind);
	ScanState  *st = (ScanState *) s;
	int			n,
				j;
	double	   *x;
	double		inv;

	mq_check_not_null(PG_ARGISNULL(2), "seed");
	mq_check_not_null(PG_ARGISNULL(3), "sample_size");
	if (!st->configured)
	{
		mq_check_int_range(PG_GETARG_INT32(3), "sample_size", 0, 1000000);
		scan_configure(st, PG_GETARG_INT64(2), PG_GETARG_INT32(3));
	}
	else
		scan_check_same(st, PG_GETARG_INT64(2), PG_GETARG_INT32(3));
	if (PG_ARGISNULL(1))
	{
		st->skipped++;
		return mq_state_return(s);
	}
	if (st->d == 0)
	{
		/* the first row fixes d */
		double		probe[SEG_MAX_FEATURES];

		n = seg_read_features(PG_GETARG_DATUM(1), probe, SEG_MAX_FEATURES, "features");
		if (n < 0)
		{
			st->skipped++;
			return mq_state_return(s);
		}
		if (n > SEG_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array \"features\" has %d elements, more than the %d features k-means accepts",
							n, SEG_MAX_FEATURES)));
		scan_set_d(st, n);
		memcpy(st->x, probe, sizeof(double) * n);
	}
	else
	{
		n = seg_read_features(PG_GETARG_DATUM(1), st->x, st->d, "features");
		if (n < 0)
		{
			st->skipped++;
			return mq_state_return(s);
		}
		if (n != st->d)
			seg_length_error("features", n, st->d, "earlier rows have");
	}
	x = st->x;
	st->n++;
	inv = 1.0 / (double) st->n;
	for (j = 0; j < st->d; j++)
	{
		double		delta = x[j] - st->mean[j];

		st->mean[j] += delta * inv;
		st->m2[j] += delta * (x[j] - st->mean[j]);
	}
	first_offer(st, seg_row_hash(st->first_stream, x, st->d), x);
	if (st->cap > 0)
	{
		uint64		h = seg_row_hash(st->sample_stream, x, st->d);

		/* most rows lose against a full sample's largest hash: test that first */
		if (st->m < st->cap || h <= st->shash[0])
			sample_offer(st, h, x);
	}
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_kmeans_scan_combine);
/* kmeans_scan combine. */
Datum
mq_kmeans_scan_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &seg_kmeans_scan_kind);
}

/* final of a pass aggregate: the flat state itself (copied out of the state) */
static Datum
pass_final(FunctionCallInfo fcinfo, const MqKind *kind)
{
	MqState    *s;
	const MqModel *m;
	MqModel    *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = mq_state_view(fcinfo, 0, kind);
	m = mq_state_flat(s);
	copy = palloc(VARSIZE(m));
	memcpy(copy, m, VARSIZE(m));
	PG_RETURN_POINTER(copy);
}

PG_FUNCTION_INFO_V1(mq_kmeans_scan_final);
/* kmeans_scan final. */
Datum
mq_kmeans_scan_final(PG_FUNCTION_ARGS)
{
	return pass_final(fcinfo, &seg_kmeans_scan_kind);
}

/* ======================================================== kmeans_step */

enum
{
	ST_K,						/* int64: centroids */
	ST_D,						/* int64: features */
	ST_CENTROIDS,				/* float8[k * d]: the centroids of this pass, row-major */
	ST_CENTER,					/* float8[d]: subtracted from each feature */
	ST_SCALE,					/* float8[d]: then divided by */
	ST_DRAW,					/* int64: 1 when the pass makes a k-means++ draw */
	ST_DRAW_SEED,				/* int64: the draw's stream */
	ST_N,						/* int64: rows used */
	ST_SKIPPED,					/* int64: rows skipped (NULL array or element) */
	ST_COUNTS,					/* int64[k]: rows nearest to each centroid */
	ST_SUMS,					/* float8[k * d]: sums of their standardised features */
	ST_INERTIA,					/* float8[k]: sums of their squared distances */
	ST_FAR_DIST,				/* float8[f]: squared distances of the farthest points, descending */
	ST_FAR_CLUSTER,				/* int64[f]: their clusters (1-based) */
	ST_FAR_Z,					/* float8[f * d]: their standardised features */
	ST_POSITIVE,				/* int64: rows at a positive distance from every centroid (draws) */
	ST_PICK_KEY,				/* float8: key of the drawn row (Infinity: none) */
	ST_PICK_Z,					/* float8[d or 0]: the drawn row, standardised */
	ST_NSECT
};

static const MqSectSpec step_sects[ST_NSECT] = {
	{"k", MQ_INT64},
	{"d", MQ_INT64},
	{"centroids", MQ_FLOAT8_ARR},
	{"center", MQ_FLOAT8_ARR},
	{"scale", MQ_FLOAT8_ARR},
	{"draw", MQ_INT64},
	{"draw_seed", MQ_INT64},
	{"n", MQ_INT64},
	{"rows_skipped", MQ_INT64},
	{"counts", MQ_INT64_ARR},
	{"sums", MQ_FLOAT8_ARR},
	{"inertia", MQ_FLOAT8_ARR},
	{"far_dist", MQ_FLOAT8_ARR},
	{"far_cluster", MQ_INT64_ARR},
	{"far_z", MQ_FLOAT8_ARR},
	{"positive", MQ_INT64},
	{"pick_key", MQ_FLOAT8},
	{"pick_z", MQ_FLOAT8_ARR},
};

/* In-memory state of kmeans_step. */
typedef struct StepState
{
	MqState		hdr;			/* expanded-object header, first */
	bool		configured;		/* k, d, centroids, standardisation and draw known */
	int			k;				/* centroids */
	int			d;				/* features */
	double	   *cent;			/* k * d, row-major */
	double	   *cent_t;			/* d * k: the same, transposed (feature-major) */
	double	   *center;			/* d */
	double	   *scale;			/* d */
	bool		draw;			/* make a k-means++ draw */
	uint64		draw_seed;		/* its stream */
	bool		stable_args;	/* centroids, center, scale (and draw_seed) are constants or parameters */
	int64		n;				/* rows used */
	int64		skipped;		/* rows skipped */
	int64	   *counts;			/* k */
	double	   *sums;			/* k * d */
	double	   *inertia;		/* k */
	int			fcap;			/* farthest points kept at most */
	int			fn;				/* farthest points held */
	double	   *fdist;			/* fcap: min-heap on "farness" (root: the least far) */
	int64	   *fcl;			/* fcap: clusters, 0-based */
	double	   *fz;				/* fcap * d */
	int64		positive;		/* rows with a positive distance (draws) */
	double		pick_key;		/* key of the drawn row */
	double	   *pick_z;			/* d: the drawn row */
	double	   *x;				/* d scratch: the row */
	double	   *z;				/* d scratch: standardised */
	double	   *acc;			/* k scratch: distances */
} StepState;

static void step_check(const MqKind *kind, const MqModel *m);
static void step_init(MqState *s);
static void step_merge(MqState *s, const MqModel *m);
static MqModel *step_flatten(MqState *s);

const MqKind seg_kmeans_step_kind = {
	.name = "kmeans_step",
	.id = SEG_KIND_KMEANS_STEP,
	.format = 1,
	.nsect = ST_NSECT,
	.sects = step_sects,
	.check = step_check,
	.state_size = sizeof(StepState),
	.init = step_init,
	.merge = step_merge,
	.flatten = step_flatten,
};

MQ_MODEL_TYPE_IO(kmeans_step, &seg_kmeans_step_kind)

/* Semantic checks of a step value from outside. */
static void
step_check(const MqKind *kind, const MqModel *m)
{
	int64		k = mq_get_int64(m, ST_K);
	int64		d = mq_get_int64(m, ST_D);
	int64		draw = mq_get_int64(m, ST_DRAW);
	int64		n = mq_get_int64(m, ST_N);
	int			nc,
				nce,
				nsc,
				ncnt,
				nsum,
				nin,
				nfd,
				nfc,
				nfz,
				npz,
				i;
	const double *cent = mq_get_float8s(m, ST_CENTROIDS, &nc);
	const double *center = mq_get_float8s(m, ST_CENTER, &nce);
	const double *scale = mq_get_float8s(m, ST_SCALE, &nsc);
	const int64 *counts = mq_get_int64s(m, ST_COUNTS, &ncnt);
	const double *sums = mq_get_float8s(m, ST_SUMS, &nsum);
	const double *inertia = mq_get_float8s(m, ST_INERTIA, &nin);
	const double *fd = mq_get_float8s(m, ST_FAR_DIST, &nfd);
	const int64 *fc = mq_get_int64s(m, ST_FAR_CLUSTER, &nfc);
	const double *fz = mq_get_float8s(m, ST_FAR_Z, &nfz);
	const double *pz = mq_get_float8s(m, ST_PICK_Z, &npz);
	double		key = mq_get_float8(m, ST_PICK_KEY);
	int64		total = 0;

	if (k < 1 || k > SEG_MAX_K)
		mq_model_corrupt(kind, "\"k\" is " INT64_FORMAT ", outside 1 to %d.", k, SEG_MAX_K);
	if (d < 1 || d > SEG_MAX_FEATURES)
		mq_model_corrupt(kind, "\"d\" is " INT64_FORMAT ", outside 1 to %d.", d, SEG_MAX_FEATURES);
	if (draw != 0 && draw != 1)
		mq_model_corrupt(kind, "\"draw\" must be 0 or 1.");
	if (nc != k * d || nce != d || nsc != d || ncnt != k || nsum != k * d || nin != k)
		mq_model_corrupt(kind, "Section lengths do not match k = " INT64_FORMAT " and d = " INT64_FORMAT ".", k, d);
	if (nfd > FAR_CAP(k) || nfc != nfd || (int64) nfz != (int64) nfd * d)
		mq_model_corrupt(kind, "The farthest points have %d distances, %d clusters and %d values.", nfd, nfc, nfz);
	if (n < 0 || mq_get_int64(m, ST_SKIPPED) < 0 || mq_get_int64(m, ST_POSITIVE) < 0 ||
		mq_get_int64(m, ST_POSITIVE) > n)
		mq_model_corrupt(kind, "Row counts must not be negative.");
	for (i = 0; i < nc; i++)
		if (!isfinite(cent[i]) || !isfinite(sums[i]))
			mq_model_corrupt(kind, "Centroid or sum value %d is not finite.", i + 1);
	for (i = 0; i < d; i++)
		if (!isfinite(center[i]) || !isfinite(scale[i]) || !(scale[i] > 0))
			mq_model_corrupt(kind, "\"center\" and \"scale\" must be finite, and \"scale\" positive.");
	for (i = 0; i < k; i++)
	{
		if (counts[i] < 0 || !(inertia[i] >= 0) || !isfinite(inertia[i]))
			mq_model_corrupt(kind, "Cluster %d has a negative count or inertia.", i + 1);
		total += counts[i];
	}
	if (total != n)
		mq_model_corrupt(kind, "The cluster counts add up to " INT64_FORMAT ", not n = " INT64_FORMAT ".", total, n);
	for (i = 0; i < nfd; i++)
		if (!(fd[i] > 0) || !isfinite(fd[i]) || fc[i] < 1 || fc[i] > k)
			mq_model_corrupt(kind, "Farthest point %d has a bad distance or cluster.", i + 1);
	for (i = 0; i < nfz; i++)
		if (!isfinite(fz[i]))
			mq_model_corrupt(kind, "Farthest point values must be finite.");
	if (isinf(key) && key > 0)
	{
		if (npz != 0)
			mq_model_corrupt(kind, "\"pick_z\" must be empty without a drawn row.");
	}
	else if (!(key >= 0) || !isfinite(key) || npz != d || draw == 0)
		mq_model_corrupt(kind, "A drawn row needs a finite key >= 0, d values and \"draw\" = 1.");
	for (i = 0; i < npz; i++)
		if (!isfinite(pz[i]))
			mq_model_corrupt(kind, "\"pick_z\" must be finite.");
}

/* Empty step state. */
static void
step_init(MqState *s)
{
	((StepState *) s)->configured = false;
}

/* Fix k, d, centroids (row-major), standardisation and draw of a step state. */
static void
step_configure(StepState *st, int k, int d, const double *cent, const double *center,
			   const double *scale, bool draw, uint64 draw_seed)
{
	MemoryContext old = MemoryContextSwitchTo(st->hdr.cxt);
	int			c,
				j;

	st->k = k;
	st->d = d;
	st->fcap = FAR_CAP(k);
	mq_check_state_size(sizeof(double) * ((Size) k * d * 3 + (Size) st->fcap * (d + 2) + 4 * d + 3 * k),
						&seg_kmeans_step_kind, "centroids");
	st->cent = palloc(sizeof(double) * k * d);
	memcpy(st->cent, cent, sizeof(double) * k * d);
	st->cent_t = palloc(sizeof(double) * k * d);
	for (c = 0; c < k; c++)
		for (j = 0; j < d; j++)
			st->cent_t[(Size) j * k + c] = cent[(Size) c * d + j];
	st->center = palloc(sizeof(double) * d);
	memcpy(st->center, center, sizeof(double) * d);
	st->scale = palloc(sizeof(double) * d);
	memcpy(st->scale, scale, sizeof(double) * d);
	st->draw = draw;
	st->draw_seed = draw_seed;
	st->counts = palloc0(sizeof(int64) * k);
	st->sums = palloc0(sizeof(double) * k * d);
	st->inertia = palloc0(sizeof(double) * k);
	st->fn = 0;
	st->fdist = palloc(sizeof(double) * st->fcap);
	st->fcl = palloc(sizeof(int64) * st->fcap);
	st->fz = palloc(sizeof(double) * st->fcap * d);
	st->pick_key = get_float8_infinity();
	st->pick_z = palloc(sizeof(double) * d);
	st->x = palloc(sizeof(double) * d);
	st->z = palloc(sizeof(double) * d);
	st->acc = palloc(sizeof(double) * k);
	st->configured = true;
	MemoryContextSwitchTo(old);
}

/* Error unless a state's configuration matches. */
static void
step_check_same(StepState *st, int k, int d, const double *cent, const double *center,
				const double *scale, bool draw, uint64 draw_seed)
{
	if (k != st->k || d != st->d || memcmp(cent, st->cent, sizeof(double) * k * d) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"centroids\" must be the same in every row")));
	if (memcmp(center, st->center, sizeof(double) * d) != 0 ||
		memcmp(scale, st->scale, sizeof(double) * d) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"center\" and \"scale\" must be the same in every row")));
	if (draw != st->draw || draw_seed != st->draw_seed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"draw_seed\" must be the same in every row")));
}

/*
 * Is far point (d1, z1, c1) farther than (d2, z2, c2)?  Larger distance
 * first, then the lexicographically smaller point, then the lower cluster:
 * a total order, so the kept set does not depend on row order.
 */
static inline bool
far_before(double d1, const double *z1, int64 c1, double d2, const double *z2, int64 c2, int d)
{
	int			r;

	if (d1 != d2)
		return d1 > d2;
	r = vec_cmp(z1, z2, d);
	if (r != 0)
		return r < 0;
	return c1 < c2;
}

/* swap far entries a and b */
static void
far_swap(StepState *st, int a, int b)
{
	double		t = st->fdist[a];
	int64		c = st->fcl[a];
	int			j;

	st->fdist[a] = st->fdist[b];
	st->fdist[b] = t;
	st->fcl[a] = st->fcl[b];
	st->fcl[b] = c;
	for (j = 0; j < st->d; j++)
	{
		t = st->fz[(Size) a * st->d + j];
		st->fz[(Size) a * st->d + j] = st->fz[(Size) b * st->d + j];
		st->fz[(Size) b * st->d + j] = t;
	}
}

/* entry a is farther than entry b */
#define FAR_ENTRY_BEFORE(st, a, b) \
	far_before((st)->fdist[a], (st)->fz + (Size) (a) * (st)->d, (st)->fcl[a], \
			   (st)->fdist[b], (st)->fz + (Size) (b) * (st)->d, (st)->fcl[b], (st)->d)

/* Offer a point at squared distance dist > 0 from its cluster c (0-based). */
static void
far_offer(StepState *st, double dist, const double *z, int64 c)
{
	int			d = st->d,
				i;

	if (st->fn < st->fcap)
	{
		i = st->fn++;
		st->fdist[i] = dist;
		st->fcl[i] = c;
		memcpy(st->fz + (Size) i * d, z, sizeof(double) * d);
		/* sift up: the root is the least far */
		while (i > 0)
		{
			int			p = (i - 1) / 2;

			if (!FAR_ENTRY_BEFORE(st, p, i))
				break;
			far_swap(st, p, i);
			i = p;
		}
		return;
	}
	if (!far_before(dist, z, c, st->fdist[0], st->fz, st->fcl[0], d))
		return;
	st->fdist[0] = dist;
	st->fcl[0] = c;
	memcpy(st->fz, z, sizeof(double) * d);
	i = 0;
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					least = i;

		if (l < st->fn && FAR_ENTRY_BEFORE(st, least, l))
			least = l;
		if (r < st->fn && FAR_ENTRY_BEFORE(st, least, r))
			least = r;
		if (least == i)
			break;
		far_swap(st, i, least);
		i = least;
	}
}

/* Offer a drawn row (key, z): the smallest key wins, ties to the smaller point. */
static inline void
pick_offer(StepState *st, double key, const double *z)
{
	if (key < st->pick_key ||
		(key == st->pick_key && vec_cmp(z, st->pick_z, st->d) < 0))
	{
		st->pick_key = key;
		memcpy(st->pick_z, z, sizeof(double) * st->d);
	}
}

/* Add a flat partial step state. */
static void
step_merge(MqState *s, const MqModel *m)
{
	StepState  *st = (StepState *) s;
	int			k = (int) mq_get_int64(m, ST_K);
	int			d = (int) mq_get_int64(m, ST_D);
	int			cnt,
				nf,
				i;
	const double *cent = mq_get_float8s(m, ST_CENTROIDS, &cnt);
	const double *center = mq_get_float8s(m, ST_CENTER, &cnt);
	const double *scale = mq_get_float8s(m, ST_SCALE, &cnt);
	bool		draw = mq_get_int64(m, ST_DRAW) != 0;
	uint64		draw_seed = (uint64) mq_get_int64(m, ST_DRAW_SEED);
	const int64 *counts = mq_get_int64s(m, ST_COUNTS, &cnt);
	const double *sums = mq_get_float8s(m, ST_SUMS, &cnt);
	const double *inertia = mq_get_float8s(m, ST_INERTIA, &cnt);
	const double *fd = mq_get_float8s(m, ST_FAR_DIST, &nf);
	const int64 *fc = mq_get_int64s(m, ST_FAR_CLUSTER, &cnt);
	const double *fz = mq_get_float8s(m, ST_FAR_Z, &cnt);
	int			npz;
	const double *pz = mq_get_float8s(m, ST_PICK_Z, &npz);

	if (!st->configured)
		step_configure(st, k, d, cent, center, scale, draw, draw_seed);
	else
		step_check_same(st, k, d, cent, center, scale, draw, draw_seed);
	st->n += mq_get_int64(m, ST_N);
	st->skipped += mq_get_int64(m, ST_SKIPPED);
	st->positive += mq_get_int64(m, ST_POSITIVE);
	for (i = 0; i < k; i++)
	{
		st->counts[i] += counts[i];
		st->inertia[i] += inertia[i];
	}
	for (i = 0; i < k * d; i++)
		st->sums[i] += sums[i];
	for (i = 0; i < nf; i++)
		far_offer(st, fd[i], fz + (Size) i * d, fc[i] - 1);
	if (npz == d)
		pick_offer(st, mq_get_float8(m, ST_PICK_KEY), pz);
}

/* qsort_arg comparator: far entry indexes, farthest first */
static int
far_idx_cmp(const void *a, const void *b, void *arg)
{
	StepState  *st = (StepState *) arg;
	int			i = *(const int *) a,
				k = *(const int *) b;

	if (FAR_ENTRY_BEFORE(st, i, k))
		return -1;
	if (FAR_ENTRY_BEFORE(st, k, i))
		return 1;
	return 0;
}

/* Flat form of a step state (farthest points sorted, farthest first). */
static MqModel *
step_flatten(MqState *s)
{
	StepState  *st = (StepState *) s;
	MqBuilder  *b = mq_build_begin(&seg_kmeans_step_kind);
	int			d = st->d,
				fn = st->fn,
				i;
	int		   *idx;
	double	   *fd,
			   *fz;
	int64	   *fc;

	if (!st->configured)
		elog(ERROR, "marketiq kmeans_step state flattened before its first row");
	idx = palloc(sizeof(int) * Max(fn, 1));
	fd = palloc(sizeof(double) * Max(fn, 1));
	fc = palloc(sizeof(int64) * Max(fn, 1));
	fz = palloc(sizeof(double) * Max(fn, 1) * d);
	for (i = 0; i < fn; i++)
		idx[i] = i;
	qsort_arg(idx, fn, sizeof(int), far_idx_cmp, st);
	for (i = 0; i < fn; i++)
	{
		fd[i] = st->fdist[idx[i]];
		fc[i] = st->fcl[idx[i]] + 1;
		memcpy(fz + (Size) i * d, st->fz + (Size) idx[i] * d, sizeof(double) * d);
	}
	mq_put_int64(b, ST_K, st->k);
	mq_put_int64(b, ST_D, d);
	mq_put_float8s(b, ST_CENTROIDS, st->cent, st->k * d);
	mq_put_float8s(b, ST_CENTER, st->center, d);
	mq_put_float8s(b, ST_SCALE, st->scale, d);
	mq_put_int64(b, ST_DRAW, st->draw ? 1 : 0);
	mq_put_int64(b, ST_DRAW_SEED, (int64) st->draw_seed);
	mq_put_int64(b, ST_N, st->n);
	mq_put_int64(b, ST_SKIPPED, st->skipped);
	mq_put_int64s(b, ST_COUNTS, st->counts, st->k);
	mq_put_float8s(b, ST_SUMS, st->sums, st->k * d);
	mq_put_float8s(b, ST_INERTIA, st->inertia, st->k);
	mq_put_float8s(b, ST_FAR_DIST, fd, fn);
	mq_put_int64s(b, ST_FAR_CLUSTER, fc, fn);
	mq_put_float8s(b, ST_FAR_Z, fz, fn * d);
	mq_put_int64(b, ST_POSITIVE, st->positive);
	mq_put_float8(b, ST_PICK_KEY, st->pick_key);
	mq_put_float8s(b, ST_PICK_Z, st->pick_z, isinf(st->pick_key) ? 0 : d);
	return mq_build_finish(b);
}

/* Does a float8[] argument hold exactly these n values, in the given shape (ncols 0: 1-D)? */
static inline bool
same_array(ArrayType *a, int nrows, int ncols, const double *v)
{
	int			n = ncols > 0 ? nrows * ncols : nrows;

	if (ARR_HASNULL(a) || ARR_NDIM(a) != (ncols > 0 ? 2 : 1) || ARR_DIMS(a)[0] != nrows ||
		(ncols > 0 && ARR_DIMS(a)[1] != ncols))
		return false;
	return memcmp(ARR_DATA_PTR(a), v, sizeof(double) * n) == 0;
}

/*
 * Are the aggregate's centroids, center, scale (and draw_seed) arguments
 * constants or query parameters, which hold one value for the whole pass?
 * (The driver passes parameters.)  Then later rows need no comparison.
 */
static bool
step_stable_args(FunctionCallInfo fcinfo, bool draw)
{
	Aggref	   *ar = AggGetAggref(fcinfo);
	ListCell   *lc;
	int			i = 0;

	if (ar == NULL || list_length(ar->args) != (draw ? 5 : 4))
		return false;
	foreach(lc, ar->args)
	{
		Expr	   *e = ((TargetEntry *) lfirst(lc))->expr;

		if (i++ == 0)
			continue;			/* the features change, of course */
		if (!(IsA(e, Const) || (IsA(e, Param) && ((Param *) e)->paramkind == PARAM_EXTERN)))
			return false;
	}
	return true;
}

/* Configure a step state from the transition's arguments, or check them against it. */
static void
step_args(FunctionCallInfo fcinfo, StepState *st, bool draw)
{
	ArrayType  *ac,
			   *ace,
			   *asc;
	const double *cent,
			   *center,
			   *scale;
	int			k,
				d,
				nce,
				nsc,
				j;
	uint64		draw_seed = 0;

	/* constants and query parameters cannot change from row to row: nothing to check again */
	if (st->configured && st->stable_args)
		return;
	mq_check_not_null(PG_ARGISNULL(2), "centroids");
	mq_check_not_null(PG_ARGISNULL(3), "center");
	mq_check_not_null(PG_ARGISNULL(4), "scale");
	if (draw)
	{
		mq_check_not_null(PG_ARGISNULL(5), "draw_seed");
		draw_seed = (uint64) PG_GETARG_INT64(5);
	}
	ac = PG_GETARG_ARRAYTYPE_P(2);
	ace = PG_GETARG_ARRAYTYPE_P(3);
	asc = PG_GETARG_ARRAYTYPE_P(4);
	/* every row passes the same values (the driver's parameters): a quick comparison */
	if (st->configured && draw == st->draw && draw_seed == st->draw_seed &&
		same_array(ac, st->k, st->d, st->cent) && same_array(ace, st->d, 0, st->center) &&
		same_array(asc, st->d, 0, st->scale))
		return;
	cent = mq_check_float8_matrix(ac, "centroids", &k, &d);
	center = mq_check_float8_array(ace, "center", 0, &nce);
	scale = mq_check_float8_array(asc, "scale", 0, &nsc);
	if (k < 1 || k > SEG_MAX_K || d < 1 || d > SEG_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"centroids\" must have 1 to %d rows and 1 to %d columns", SEG_MAX_K, SEG_MAX_FEATURES),
				 errdetail("It is %d x %d.", k, d)));
	mq_check_same_length(nce, "center", d, "centroids rows");
	mq_check_same_length(nsc, "scale", d, "centroids rows");
	for (j = 0; j < d; j++)
		if (!(scale[j] > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("array \"scale\" must contain positive values"),
					 errdetail("Element %d is %g.", j + 1, scale[j])));
	if (!st->configured)
	{
		step_configure(st, k, d, cent, center, scale, draw, draw_seed);
		st->stable_args = step_stable_args(fcinfo, draw);
	}
	else
		step_check_same(st, k, d, cent, center, scale, draw, draw_seed);
}

/* kmeans_step transition (with or without a draw). */
static Datum
step_trans(FunctionCallInfo fcinfo, bool draw)
{
	MqState    *s = mq_state_arg(fcinfo, 0, &seg_kmeans_step_kind);
	StepState  *st = (StepState *) s;
	int			k,
				d,
				n,
				c,
				j,
				best;
	double	   *z,
			   *acc,
				bestd;

	step_args(fcinfo, st, draw);
	if (PG_ARGISNULL(1))
	{
		st->skipped++;
		return mq_state_return(s);
	}
	k = st->k;
	d = st->d;
	n = seg_read_features(PG_GETARG_DATUM(1), st->x, d, "features");
	if (n < 0)
	{
		st->skipped++;
		return mq_state_return(s);
	}
	if (n != d)
		seg_length_error("features", n, d, "the centroids have");

	/* standardise, then the k squared distances, feature by feature */
	z = st->z;
	acc = st->acc;
	for (j = 0; j < d; j++)
		z[j] = (st->x[j] - st->center[j]) / st->scale[j];
	for (c = 0; c < k; c++)
		acc[c] = 0.0;
	for (j = 0; j < d; j++)
	{
		const double *ct = st->cent_t + (Size) j * k;
		double		zj = z[j];

		for (c = 0; c < k; c++)
		{
			double		t = zj - ct[c];

			acc[c] += t * t;
		}
	}
	best = 0;
	bestd = acc[0];
	for (c = 1; c < k; c++)
		if (acc[c] < bestd)
		{
			bestd = acc[c];
			best = c;
		}

	st->n++;
	st->counts[best]++;
	st->inertia[best] += bestd;
	{
		double	   *sum = st->sums + (Size) best * d;

		for (j = 0; j < d; j++)
			sum[j] += z[j];
	}
	if (bestd > 0 && (st->fn < st->fcap || bestd >= st->fdist[0]))
		far_offer(st, bestd, z, best);
	if (st->draw && bestd > 0)
	{
		double		key = -log(seg_u01(seg_row_hash(st->draw_seed, st->x, d))) / bestd;

		st->positive++;
		pick_offer(st, key, z);
	}
	return mq_state_return(s);
}

PG_FUNCTION_INFO_V1(mq_kmeans_step_trans);
/* kmeans_step(features, centroids, center, scale) transition: one Lloyd pass. */
Datum
mq_kmeans_step_trans(PG_FUNCTION_ARGS)
{
	return step_trans(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mq_kmeans_step_draw_trans);
/* kmeans_step(features, centroids, center, scale, draw_seed) transition: a pass with a k-means++ draw. */
Datum
mq_kmeans_step_draw_trans(PG_FUNCTION_ARGS)
{
	return step_trans(fcinfo, true);
}

PG_FUNCTION_INFO_V1(mq_kmeans_step_combine);
/* kmeans_step combine. */
Datum
mq_kmeans_step_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &seg_kmeans_step_kind);
}

PG_FUNCTION_INFO_V1(mq_kmeans_step_final);
/* kmeans_step final. */
Datum
mq_kmeans_step_final(PG_FUNCTION_ARGS)
{
	return pass_final(fcinfo, &seg_kmeans_step_kind);
}
