/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  K-means customer segmentation: the marketiq.kmeans model, the driver
 *	  marketiq.kmeans(source, features, k, ...) that fits it over a
 *	  relation, marketiq.kmeans_elbow for choosing k, and the readers
 *	  centroids, assign_cluster and kmeans_stats.
 *
 * The driver follows DESIGN.md's second multi-pass option, like
 * logreg_train: one SELECT of a combinable pass aggregate (kmeans_pass.c)
 * over the caller's relation per pass, built only from mq_rel_name and
 * mq_rel_column, run through SPI with the caller's privileges, read-only in
 * the caller's snapshot (so every pass sees the same rows), and in parallel
 * where the planner chooses to.  Memory does not grow with the table: the
 * passes hold sums per cluster, and the driver holds the centroids and a
 * 2,000-row sample.
 *
 * The algorithm, in the order of the passes:
 *
 *	1. kmeans_scan: rows, per-feature mean and population standard
 *	   deviation, the first k-means++ centre and the silhouette sample.
 *	   With `standardize`, every feature is mapped to z = (x - mean) / sd (a
 *	   feature with sd 0 is only centred, as scikit-learn's StandardScaler
 *	   does, with a warning); the algorithm runs on z, and the model keeps
 *	   mean and sd so that assign_cluster maps new rows the same way.
 *	   Without it, z = x.
 *	2. Initial centroids: the given `init` (k x d, in z units), or
 *	   k-means++: the first centre is the distinct feature vector with the
 *	   smallest hash in draw 1; centre j + 1 is drawn with probability
 *	   proportional to the squared distance to the nearest of the first j
 *	   (one kmeans_step pass with a draw each; see kmeans_pass.c).  The
 *	   draws come from our own generator (features.c), so a seed gives the
 *	   same centres on every machine and under every plan.
 *	3. Lloyd iterations: one kmeans_step pass assigns every row to its
 *	   nearest centroid (ties to the lowest cluster) and sums them; each new
 *	   centroid is the mean of its rows.  A cluster that received no row is
 *	   re-seeded, as scikit-learn does, with the point farthest from its own
 *	   centroid in that pass, which leaves its old cluster (points whose
 *	   cluster would become empty, or that equal a point already used, are
 *	   passed over; clusters are served in number order).  The loop stops
 *	   when no centroid moved more than `tol` (Euclidean, in z units), or
 *	   after max_iter iterations (a warning).
 *	4. A last pass with the final centroids gives each cluster's size and
 *	   inertia (skipped when the last iteration moved nothing: its pass
 *	   already had them), so the reported sizes are exactly what
 *	   assign_cluster gives on the same rows.
 *	5. The silhouette on the sample (below).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "mq_check.h"
#include "mq_model.h"
#include "mq_segments.h"
#include "mq_util.h"

extern const MqKind seg_kmeans_scan_kind;
extern const MqKind seg_kmeans_step_kind;

/* sections of a kmeans_scan value (kmeans_pass.c) */
enum
{
	SC_SEED, SC_SAMPLE_CAP, SC_D, SC_N, SC_SKIPPED, SC_MEAN, SC_M2, SC_FIRST_HASH, SC_FIRST,
	SC_SAMPLE_HASH, SC_SAMPLE
};

/* sections of a kmeans_step value (kmeans_pass.c) */
enum
{
	ST_K, ST_D, ST_CENTROIDS, ST_CENTER, ST_SCALE, ST_DRAW, ST_DRAW_SEED, ST_N, ST_SKIPPED,
	ST_COUNTS, ST_SUMS, ST_INERTIA, ST_FAR_DIST, ST_FAR_CLUSTER, ST_FAR_Z, ST_POSITIVE,
	ST_PICK_KEY, ST_PICK_Z
};

/* ============================================================ the model */

enum
{
	KM_K,						/* int64: clusters */
	KM_D,						/* int64: features */
	KM_FEATURES,				/* text: the features column it was trained on */
	KM_STANDARDIZE,				/* int64: 1 when features are standardised */
	KM_INIT,					/* text: "k-means++" or "given" */
	KM_SEED,					/* int64: seed of the draws */
	KM_MAX_ITER,				/* int64: iteration limit */
	KM_TOL,						/* float8: convergence tolerance */
	KM_N,						/* int64: rows used */
	KM_SKIPPED,					/* int64: rows skipped (NULL array or element) */
	KM_ITERATIONS,				/* int64: Lloyd iterations made */
	KM_CONVERGED,				/* int64: 1 when the last one moved no centroid more than tol */
	KM_RESEEDS,					/* int64: empty clusters re-seeded */
	KM_MEAN,					/* float8[d]: feature means */
	KM_SD,						/* float8[d]: feature population standard deviations */
	KM_CENTROIDS,				/* float8[k * d]: centroids in z units, row-major */
	KM_SIZE,					/* int64[k]: rows nearest to each centroid */
	KM_INERTIA,					/* float8[k]: their squared distances, summed (z units) */
	KM_SILHOUETTE,				/* float8: mean silhouette of the sample (NaN: undefined) */
	KM_SILHOUETTE_N,			/* int64: sample rows */
	KM_NSECT
};

static const MqSectSpec km_sects[KM_NSECT] = {
	{"k", MQ_INT64},
	{"d", MQ_INT64},
	{"features", MQ_TEXT},
	{"standardize", MQ_INT64},
	{"init", MQ_TEXT},
	{"seed", MQ_INT64},
	{"max_iter", MQ_INT64},
	{"tol", MQ_FLOAT8},
	{"n", MQ_INT64},
	{"rows_skipped", MQ_INT64},
	{"iterations", MQ_INT64},
	{"converged", MQ_INT64},
	{"reseeds", MQ_INT64},
	{"mean", MQ_FLOAT8_ARR},
	{"sd", MQ_FLOAT8_ARR},
	{"centroids", MQ_FLOAT8_ARR},
	{"size", MQ_INT64_ARR},
	{"inertia", MQ_FLOAT8_ARR},
	{"silhouette", MQ_FLOAT8},
	{"silhouette_sample", MQ_INT64},
};

static void km_check(const MqKind *kind, const MqModel *m);

static const MqKind km_kind = {
	.name = "kmeans",
	.id = SEG_KIND_KMEANS,
	.format = 1,
	.nsect = KM_NSECT,
	.sects = km_sects,
	.check = km_check,
};

MQ_MODEL_TYPE_IO(kmeans, &km_kind)

/* Semantic checks of a kmeans value from outside. */
static void
km_check(const MqKind *kind, const MqModel *m)
{
	int64		k = mq_get_int64(m, KM_K);
	int64		d = mq_get_int64(m, KM_D);
	int64		n = mq_get_int64(m, KM_N);
	const char *init = mq_get_text(m, KM_INIT);
	int			nm,
				nsd,
				nc,
				ns,
				ni,
				i;
	const double *mean = mq_get_float8s(m, KM_MEAN, &nm);
	const double *sd = mq_get_float8s(m, KM_SD, &nsd);
	const double *cent = mq_get_float8s(m, KM_CENTROIDS, &nc);
	const int64 *size = mq_get_int64s(m, KM_SIZE, &ns);
	const double *inertia = mq_get_float8s(m, KM_INERTIA, &ni);
	double		sil = mq_get_float8(m, KM_SILHOUETTE);
	int64		total = 0;

	if (k < 1 || k > SEG_MAX_K)
		mq_model_corrupt(kind, "\"k\" is " INT64_FORMAT ", outside 1 to %d.", k, SEG_MAX_K);
	if (d < 1 || d > SEG_MAX_FEATURES)
		mq_model_corrupt(kind, "\"d\" is " INT64_FORMAT ", outside 1 to %d.", d, SEG_MAX_FEATURES);
	if (nm != d || nsd != d || nc != k * d || ns != k || ni != k)
		mq_model_corrupt(kind, "Section lengths do not match k = " INT64_FORMAT " and d = " INT64_FORMAT ".", k, d);
	if (mq_get_int64(m, KM_STANDARDIZE) != 0 && mq_get_int64(m, KM_STANDARDIZE) != 1)
		mq_model_corrupt(kind, "\"standardize\" must be 0 or 1.");
	if (mq_get_int64(m, KM_CONVERGED) != 0 && mq_get_int64(m, KM_CONVERGED) != 1)
		mq_model_corrupt(kind, "\"converged\" must be 0 or 1.");
	if (strcmp(init, "k-means++") != 0 && strcmp(init, "given") != 0)
		mq_model_corrupt(kind, "\"init\" must be \"k-means++\" or \"given\".");
	if (n < k || mq_get_int64(m, KM_SKIPPED) < 0 || mq_get_int64(m, KM_ITERATIONS) < 0 ||
		mq_get_int64(m, KM_RESEEDS) < 0 || mq_get_int64(m, KM_MAX_ITER) < 1 ||
		mq_get_int64(m, KM_SILHOUETTE_N) < 0 || mq_get_int64(m, KM_SILHOUETTE_N) > n)
		mq_model_corrupt(kind, "Counts are out of range (n must be at least k).");
	if (!(mq_get_float8(m, KM_TOL) >= 0) || !isfinite(mq_get_float8(m, KM_TOL)))
		mq_model_corrupt(kind, "\"tol\" must be finite and >= 0.");
	for (i = 0; i < d; i++)
		if (!isfinite(mean[i]) || !isfinite(sd[i]) || sd[i] < 0)
			mq_model_corrupt(kind, "Feature %d has a non-finite mean or a bad standard deviation.", i + 1);
	for (i = 0; i < nc; i++)
		if (!isfinite(cent[i]))
			mq_model_corrupt(kind, "Centroid value %d is not finite.", i + 1);
	for (i = 0; i < k; i++)
	{
		if (size[i] < 0 || !(inertia[i] >= 0) || !isfinite(inertia[i]))
			mq_model_corrupt(kind, "Cluster %d has a negative size or a bad inertia.", i + 1);
		total += size[i];
	}
	if (total != n)
		mq_model_corrupt(kind, "Cluster sizes add up to " INT64_FORMAT ", not n = " INT64_FORMAT ".", total, n);
	if (!isnan(sil) && !(sil >= -1 && sil <= 1))
		mq_model_corrupt(kind, "\"silhouette\" must be in [-1, 1] or NaN.");
}

/* The standardisation of a model: z = (x - center) / scale. */
static void
km_transform(const MqModel *m, double *center, double *scale)
{
	int			d,
				j;
	const double *mean = mq_get_float8s(m, KM_MEAN, &d);
	const double *sd = mq_get_float8s(m, KM_SD, &d);
	bool		standardize = mq_get_int64(m, KM_STANDARDIZE) != 0;

	for (j = 0; j < d; j++)
	{
		center[j] = standardize ? mean[j] : 0.0;
		scale[j] = standardize && sd[j] > 0 ? sd[j] : 1.0;
	}
}

/* Index of the centroid nearest to z (squared Euclidean; ties to the lowest); *dist gets the distance. */
static int
km_nearest(const double *z, const double *cent, int k, int d, double *dist)
{
	int			c,
				j,
				best = 0;
	double		bestd = 0;

	for (c = 0; c < k; c++)
	{
		const double *cc = cent + (Size) c * d;
		double		s = 0;

		for (j = 0; j < d; j++)
		{
			double		t = z[j] - cc[j];

			s += t * t;
		}
		if (c == 0 || s < bestd)
		{
			bestd = s;
			best = c;
		}
	}
	if (dist)
		*dist = bestd;
	return best;
}

/* ============================================================ the driver */

/* What the driver keeps across passes. */
typedef struct KmDriver
{
	const char *relname;		/* quoted relation name, for messages */
	const char *colname;		/* the features column, as given */
	SPIPlanPtr	scan_plan;		/* $1 seed, $2 sample size */
	SPIPlanPtr	step_plan;		/* $1 centroids, $2 center, $3 scale */
	SPIPlanPtr	draw_plan;		/* the same and $4 draw seed */
	MemoryContext cxt;			/* where results live */
	int64		seed;			/* seed of the draws */
	bool		standardize;	/* standardise the features */
	int			passes;			/* passes made */
	const char *phase;			/* what the current pass does, for the error context */
	/* from the scan */
	int			d;				/* features */
	int64		n;				/* rows used */
	int64		skipped;		/* rows skipped */
	double	   *mean;			/* d */
	double	   *sd;				/* d: population standard deviations */
	double	   *center;			/* d: subtracted */
	double	   *scale;			/* d: divided by */
	double	   *first;			/* d: first k-means++ centre, original units */
	int			m;				/* sample rows */
	double	   *sample;			/* m * d, original units */
} KmDriver;

/* The result of one kmeans_step pass, copied out of SPI memory. */
typedef struct KmPass
{
	int64		n;				/* rows used */
	int64	   *counts;			/* k */
	double	   *sums;			/* k * d */
	double	   *inertia;		/* k */
	int			fn;				/* farthest points */
	double	   *fdist;			/* fn, descending */
	int		   *fcl;			/* fn, 0-based clusters */
	double	   *fz;				/* fn * d */
	int64		positive;		/* rows at a positive distance (draws) */
	bool		picked;			/* a row was drawn */
	double	   *pick;			/* d: the drawn row, z units */
} KmPass;

/* One fit's outcome. */
typedef struct KmFit
{
	int			k;				/* clusters */
	double	   *cent;			/* k * d, z units */
	int64	   *size;			/* k */
	double	   *inertia;		/* k */
	int			iterations;		/* Lloyd iterations */
	bool		converged;		/* stopped by tol */
	int			reseeds;		/* empty clusters re-seeded */
	double		silhouette;		/* NaN when undefined */
	int			sil_n;			/* sample rows used */
} KmFit;

/* Error context: which pass of which relation. */
static void
km_error_context(void *arg)
{
	KmDriver   *drv = (KmDriver *) arg;

	if (drv->phase)
		errcontext("marketiq k-means pass %d (%s) over %s, features column \"%s\"",
				   drv->passes + 1, drv->phase, drv->relname, drv->colname);
}

/* Prepare the three pass queries from catalog names only. */
static void
km_prepare(KmDriver *drv, Oid relid, const char *features)
{
	Oid			typid;
	char	   *col = mq_rel_column(relid, features, "features", &typid);
	char	   *rel = mq_rel_name(relid);
	Oid			scan_types[2] = {INT8OID, INT4OID};
	Oid			step_types[4] = {FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, INT8OID};
	MemoryContext old;
	char	   *q;

	if (getBaseType(typid) != FLOAT8ARRAYOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" (argument \"features\") must be float8[], not %s",
						features, format_type_be(typid)),
				 errhint("Put the features in a view, e.g. SELECT id, ARRAY[recency, frequency, monetary]::float8[] AS features FROM ...")));
	drv->relname = rel;
	drv->colname = features;
	old = CurrentMemoryContext;
	q = psprintf("SELECT marketiq.kmeans_scan(%s, $1, $2) FROM %s", col, rel);
	drv->scan_plan = SPI_prepare_cursor(q, 2, scan_types, CURSOR_OPT_PARALLEL_OK);
	if (drv->scan_plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s", q, SPI_result_code_string(SPI_result));
	q = psprintf("SELECT marketiq.kmeans_step(%s, $1, $2, $3) FROM %s", col, rel);
	drv->step_plan = SPI_prepare_cursor(q, 3, step_types, CURSOR_OPT_PARALLEL_OK);
	if (drv->step_plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s", q, SPI_result_code_string(SPI_result));
	q = psprintf("SELECT marketiq.kmeans_step(%s, $1, $2, $3, $4) FROM %s", col, rel);
	drv->draw_plan = SPI_prepare_cursor(q, 4, step_types, CURSOR_OPT_PARALLEL_OK);
	if (drv->draw_plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s", q, SPI_result_code_string(SPI_result));
	MemoryContextSwitchTo(old);
}

/* Run a pass plan; returns its one value (NULL when the aggregate saw no row), in SPI memory. */
static Datum
km_run(KmDriver *drv, SPIPlanPtr plan, Datum *values, const char *phase, bool *isnull)
{
	MemoryContext mine = CurrentMemoryContext;
	int			ret;
	Datum		d;

	drv->phase = phase;
	ret = SPI_execute_plan(plan, values, NULL, true, 0);
	MemoryContextSwitchTo(mine);	/* SPI leaves us in its own context */
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "k-means pass returned %d (" UINT64_FORMAT " rows)", ret, SPI_processed);
	drv->passes++;
	drv->phase = NULL;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	return d;
}

/* The first pass: moments, first centre, sample. */
static void
km_scan(KmDriver *drv)
{
	Datum		values[2];
	bool		isnull;
	Datum		v;
	const MqModel *m;
	int			cnt,
				j;
	MemoryContext old;

	values[0] = Int64GetDatum(drv->seed);
	values[1] = Int32GetDatum(SEG_SILHOUETTE_SAMPLE);
	v = km_run(drv, drv->scan_plan, values, "scan", &isnull);
	drv->n = 0;
	drv->d = 0;
	drv->skipped = 0;
	if (isnull)
	{
		SPI_freetuptable(SPI_tuptable);
		return;
	}
	m = mq_model_fetch(v, &seg_kmeans_scan_kind);
	old = MemoryContextSwitchTo(drv->cxt);
	drv->n = mq_get_int64(m, SC_N);
	drv->skipped = mq_get_int64(m, SC_SKIPPED);
	drv->d = (int) mq_get_int64(m, SC_D);
	if (drv->n > 0)
	{
		int			d = drv->d;
		const double *mean = mq_get_float8s(m, SC_MEAN, &cnt);
		const double *m2 = mq_get_float8s(m, SC_M2, &cnt);
		const double *rows;

		drv->mean = palloc(sizeof(double) * d);
		drv->sd = palloc(sizeof(double) * d);
		drv->center = palloc(sizeof(double) * d);
		drv->scale = palloc(sizeof(double) * d);
		drv->first = palloc(sizeof(double) * d);
		memcpy(drv->mean, mean, sizeof(double) * d);
		memcpy(drv->first, mq_get_float8s(m, SC_FIRST, &cnt), sizeof(double) * d);
		for (j = 0; j < d; j++)
		{
			drv->sd[j] = sqrt(m2[j] / (double) drv->n);
			drv->center[j] = drv->standardize ? mean[j] : 0.0;
			drv->scale[j] = drv->standardize && drv->sd[j] > 0 ? drv->sd[j] : 1.0;
		}
		rows = mq_get_float8s(m, SC_SAMPLE, &cnt);
		drv->m = cnt / d;
		drv->sample = palloc(sizeof(double) * Max(cnt, 1));
		memcpy(drv->sample, rows, sizeof(double) * cnt);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	mq_progress("kmeans: scan of %s done: " INT64_FORMAT " rows, %d features", drv->relname, drv->n, drv->d);
}

/* A k x d float8[] (2-D) of row-major values. */
static ArrayType *
km_matrix(const double *v, int rows, int cols)
{
	Datum	   *e = palloc(sizeof(Datum) * rows * cols);
	int			dims[2] = {rows, cols};
	int			lbs[2] = {1, 1};
	int			i;

	for (i = 0; i < rows * cols; i++)
		e[i] = Float8GetDatum(v[i]);
	return construct_md_array(e, NULL, 2, dims, lbs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* One kmeans_step pass with centroids cent (k x d); with draw, a k-means++ draw in stream draw_seed. */
static void
km_pass(KmDriver *drv, const double *cent, int k, bool draw, uint64 draw_seed, const char *phase,
		KmPass *out)
{
	int			d = drv->d,
				cnt,
				i;
	Datum		values[4];
	bool		isnull;
	Datum		v;
	const MqModel *m;

	values[0] = PointerGetDatum(km_matrix(cent, k, d));
	values[1] = PointerGetDatum(mq_float8_array(drv->center, d));
	values[2] = PointerGetDatum(mq_float8_array(drv->scale, d));
	values[3] = Int64GetDatum((int64) draw_seed);
	v = km_run(drv, draw ? drv->draw_plan : drv->step_plan, values, phase, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the rows of %s changed during k-means", drv->relname),
				 errdetail("The first pass used " INT64_FORMAT " rows, pass %d none.", drv->n, drv->passes),
				 errhint("Cluster a table or materialized view rather than a volatile view.")));
	m = mq_model_fetch(v, &seg_kmeans_step_kind);
	out->n = mq_get_int64(m, ST_N);
	if (out->n != drv->n)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the rows of %s changed during k-means", drv->relname),
				 errdetail("The first pass used " INT64_FORMAT " rows, pass %d used " INT64_FORMAT ".",
						   drv->n, drv->passes, out->n),
				 errhint("Cluster a table or materialized view rather than a volatile view.")));
	out->counts = palloc(sizeof(int64) * k);
	memcpy(out->counts, mq_get_int64s(m, ST_COUNTS, &cnt), sizeof(int64) * k);
	out->sums = palloc(sizeof(double) * k * d);
	memcpy(out->sums, mq_get_float8s(m, ST_SUMS, &cnt), sizeof(double) * k * d);
	out->inertia = palloc(sizeof(double) * k);
	memcpy(out->inertia, mq_get_float8s(m, ST_INERTIA, &cnt), sizeof(double) * k);
	{
		const double *fd = mq_get_float8s(m, ST_FAR_DIST, &out->fn);
		const int64 *fc = mq_get_int64s(m, ST_FAR_CLUSTER, &cnt);
		const double *fz = mq_get_float8s(m, ST_FAR_Z, &cnt);

		out->fdist = palloc(sizeof(double) * Max(out->fn, 1));
		out->fcl = palloc(sizeof(int) * Max(out->fn, 1));
		out->fz = palloc(sizeof(double) * Max(out->fn, 1) * d);
		memcpy(out->fdist, fd, sizeof(double) * out->fn);
		memcpy(out->fz, fz, sizeof(double) * out->fn * d);
		for (i = 0; i < out->fn; i++)
			out->fcl[i] = (int) fc[i] - 1;
	}
	out->positive = mq_get_int64(m, ST_POSITIVE);
	{
		const double *pz = mq_get_float8s(m, ST_PICK_Z, &cnt);

		out->picked = cnt == d;
		out->pick = palloc(sizeof(double) * d);
		if (out->picked)
			memcpy(out->pick, pz, sizeof(double) * d);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* k-means++ centres into cent (k x d, z units). */
static void
km_plusplus(KmDriver *drv, int k, double *cent)
{
	int			d = drv->d,
				j,
				c;
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "marketiq kmeans++", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;

	for (j = 0; j < d; j++)
		cent[j] = (drv->first[j] - drv->center[j]) / drv->scale[j];
	for (c = 1; c < k; c++)
	{
		KmPass		p;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(tmp);
		km_pass(drv, cent, c, true, seg_stream(drv->seed, (uint64) c + 1), "k-means++ draw", &p);
		if (!p.picked)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k-means++ cannot place %d centres: %s has only %d distinct feature vectors",
							k, drv->relname, c),
					 errhint("Use a smaller k.")));
		memcpy(cent + (Size) c * d, p.pick, sizeof(double) * d);
		MemoryContextSwitchTo(old);
		MemoryContextReset(tmp);
		mq_progress("kmeans: k-means++ centre %d of %d drawn", c + 1, k);
	}
	MemoryContextDelete(tmp);
}

/* Bit-identical vectors? */
static inline bool
km_same_vec(const double *a, const double *b, int d)
{
	return memcmp(a, b, sizeof(double) * d) == 0;
}

/*
 * The Lloyd update: new centroids from a pass's sums, re-seeding empty
 * clusters with the farthest points (moved out of their clusters).  Returns
 * the largest centroid move; *reseeded counts re-seeds, *empty clusters
 * left empty.
 */
static double
km_update(const KmPass *p, const double *cent, int k, int d, double *next, int *reseeded, int *empty)
{
	int64	   *cnt = palloc(sizeof(int64) * k);
	double	   *sums = palloc(sizeof(double) * k * d);
	int		   *used = palloc(sizeof(int) * Max(p->fn, 1));
	int			nused = 0,
				cand = 0,
				c,
				j,
				u;
	double		maxshift = 0;

	memcpy(cnt, p->counts, sizeof(int64) * k);
	memcpy(sums, p->sums, sizeof(double) * k * d);
	*reseeded = 0;
	*empty = 0;
	for (c = 0; c < k; c++)
	{
		bool		done = false;

		if (cnt[c] > 0)
			continue;
		while (!done && cand < p->fn)
		{
			int			i = cand++;
			int			donor = p->fcl[i];
			const double *z = p->fz + (Size) i * d;
			bool		dup = false;

			if (cnt[donor] <= 1)
				continue;		/* would empty its own cluster */
			for (u = 0; u < nused && !dup; u++)
				dup = km_same_vec(z, p->fz + (Size) used[u] * d, d);
			if (dup)
				continue;
			for (j = 0; j < d; j++)
			{
				sums[(Size) donor * d + j] -= z[j];
				sums[(Size) c * d + j] = z[j];
			}
			cnt[donor]--;
			cnt[c] = 1;
			used[nused++] = i;
			(*reseeded)++;
			done = true;
		}
		if (!done)
			(*empty)++;
	}
	for (c = 0; c < k; c++)
	{
		double		shift = 0;

		for (j = 0; j < d; j++)
		{
			double		v = cnt[c] > 0 ? sums[(Size) c * d + j] / (double) cnt[c] : cent[(Size) c * d + j];
			double		t = v - cent[(Size) c * d + j];

			next[(Size) c * d + j] = v;
			shift += t * t;
		}
		shift = sqrt(shift);
		if (shift > maxshift)
			maxshift = shift;
	}
	pfree(cnt);
	pfree(sums);
	pfree(used);
	return maxshift;
}

/* Mean silhouette of the sample under centroids cent; NaN when undefined. */
static double
km_silhouette(KmDriver *drv, const double *cent, int k, int *used)
{
	int			m = drv->m,
				d = drv->d,
				i,
				j,
				c,
				nlabels = 0;
	double	   *z = palloc(sizeof(double) * Max(m, 1) * d);
	int		   *lab = palloc(sizeof(int) * Max(m, 1));
	int64	   *nl = palloc0(sizeof(int64) * k);
	double	   *acc = palloc(sizeof(double) * k);
	double		total = 0;

	*used = m;
	for (i = 0; i < m; i++)
	{
		for (j = 0; j < d; j++)
			z[(Size) i * d + j] = (drv->sample[(Size) i * d + j] - drv->center[j]) / drv->scale[j];
		lab[i] = km_nearest(z + (Size) i * d, cent, k, d, NULL);
		if (nl[lab[i]]++ == 0)
			nlabels++;
	}
	/* undefined (as in scikit-learn) unless 2 <= clusters present <= sample rows - 1 */
	if (nlabels < 2 || nlabels > m - 1)
		return get_float8_nan();
	for (i = 0; i < m; i++)
	{
		const double *zi = z + (Size) i * d;
		double		a,
					b = get_float8_infinity(),
					s;

		CHECK_FOR_INTERRUPTS();
		for (c = 0; c < k; c++)
			acc[c] = 0;
		for (j = 0; j < m; j++)
		{
			const double *zj = z + (Size) j * d;
			double		s2 = 0;
			int			f;

			if (j == i)
				continue;
			for (f = 0; f < d; f++)
			{
				double		t = zi[f] - zj[f];

				s2 += t * t;
			}
			acc[lab[j]] += sqrt(s2);
		}
		if (nl[lab[i]] <= 1)
			continue;			/* a point alone in its cluster scores 0 */
		a = acc[lab[i]] / (double) (nl[lab[i]] - 1);
		for (c = 0; c < k; c++)
			if (c != lab[i] && nl[c] > 0 && acc[c] / (double) nl[c] < b)
				b = acc[c] / (double) nl[c];
		s = Max(a, b) > 0 ? (b - a) / Max(a, b) : 0.0;
		total += s;
	}
	pfree(z);
	pfree(lab);
	pfree(nl);
	pfree(acc);
	return total / (double) m;
}

/* Fit k clusters: init (k x d, z units) or NULL for k-means++. */
static void
km_fit(KmDriver *drv, int k, const double *init, int max_iter, double tol, KmFit *fit)
{
	int			d = drv->d,
				it,
				reseeded = 0,
				empty = 0;
	double	   *cent = palloc(sizeof(double) * k * d);
	double	   *next = palloc(sizeof(double) * k * d);
	double		shift = get_float8_infinity();
	KmPass		last;
	bool		have_last = false;
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "marketiq kmeans iteration", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;

	fit->k = k;
	fit->reseeds = 0;
	fit->converged = false;
	if (init)
		memcpy(cent, init, sizeof(double) * k * d);
	else
		km_plusplus(drv, k, cent);

	for (it = 1; it <= max_iter; it++)
	{
		KmPass		p;
		double	   *t;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(tmp);
		have_last = false;
		old = MemoryContextSwitchTo(tmp);
		km_pass(drv, cent, k, false, 0, "Lloyd iteration", &p);
		MemoryContextSwitchTo(old);
		shift = km_update(&p, cent, k, d, next, &reseeded, &empty);
		fit->reseeds += reseeded;
		t = cent;
		cent = next;
		next = t;
		fit->iterations = it;
		{
			double		total = 0;
			int			c;

			for (c = 0; c < k; c++)
				total += p.inertia[c];
			mq_progress("kmeans: k = %d, iteration %d: inertia %.10g, largest centroid move %.3g%s",
						k, it, total, shift,
						reseeded > 0 ? psprintf(", %d empty clusters re-seeded", reseeded) : "");
		}
		if (shift <= tol)
		{
			fit->converged = true;
			last = p;
			have_last = (shift == 0 && reseeded == 0);
			break;
		}
	}
	if (!fit->converged)
		fit->iterations = max_iter;

	/* sizes and inertia under the final centroids */
	fit->size = palloc(sizeof(int64) * k);
	fit->inertia = palloc(sizeof(double) * k);
	if (!have_last)
	{
		MemoryContextReset(tmp);
		old = MemoryContextSwitchTo(tmp);
		km_pass(drv, cent, k, false, 0, "final assignment", &last);
		MemoryContextSwitchTo(old);
	}
	memcpy(fit->size, last.counts, sizeof(int64) * k);
	memcpy(fit->inertia, last.inertia, sizeof(double) * k);
	MemoryContextDelete(tmp);
	fit->cent = cent;

	if (!fit->converged)
		ereport(WARNING,
				(errmsg("k-means with k = %d did not converge in %d iterations", k, max_iter),
				 errdetail("The largest centroid move in the last iteration was %g (tol is %g).", shift, tol),
				 errhint("Raise max_iter, or tol.")));
	{
		int			c,
					nempty = 0;

		for (c = 0; c < k; c++)
			nempty += fit->size[c] == 0;
		if (nempty > 0)
			ereport(WARNING,
					(errmsg("k-means with k = %d ends with %d empty clusters", k, nempty),
					 errdetail("No point was left to re-seed them with (repeated points)."),
					 errhint("Use a smaller k.")));
	}
	fit->silhouette = km_silhouette(drv, cent, k, &fit->sil_n);
}

/* Start a driver over relation relid's column features (within SPI). */
static void
km_start(KmDriver *drv, Oid relid, const char *features, int64 seed, bool standardize)
{
	memset(drv, 0, sizeof(*drv));
	drv->cxt = CurrentMemoryContext;
	drv->seed = seed;
	drv->standardize = standardize;
	km_prepare(drv, relid, features);
	km_scan(drv);
	if (drv->n > 0 && standardize)
	{
		int			j;

		for (j = 0; j < drv->d; j++)
			if (drv->sd[j] == 0)
				ereport(WARNING,
						(errmsg("feature %d of \"%s\" is constant: it is centred but not scaled", j + 1, features),
						 errdetail("Its standard deviation is 0, so it plays no part in the clustering."),
						 errhint("Leave it out of the features.")));
	}
}

/* The common argument checks of kmeans and kmeans_elbow. */
static void
km_check_args(int max_iter, double tol)
{
	mq_check_int_range(max_iter, "max_iter", 1, 1000000);
	mq_check_finite(tol, "tol");
	mq_check_range(tol, "tol", 0.0, true, get_float8_infinity(), false);
}

/* Error unless k fits the rows. */
static void
km_check_k(KmDriver *drv, int k)
{
	if (k > drv->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) is larger than the number of rows of %s (" INT64_FORMAT ")",
						k, drv->relname, drv->n),
				 drv->skipped > 0 ? errdetail(INT64_FORMAT " rows were skipped for NULL features.", drv->skipped) : 0,
				 errhint("Use a smaller k.")));
}

/* The model value of a fit. */
static MqModel *
km_model(KmDriver *drv, KmFit *fit, bool given, int max_iter, double tol)
{
	MqBuilder  *b = mq_build_begin(&km_kind);

	mq_put_int64(b, KM_K, fit->k);
	mq_put_int64(b, KM_D, drv->d);
	mq_put_text(b, KM_FEATURES, drv->colname, strlen(drv->colname));
	mq_put_int64(b, KM_STANDARDIZE, drv->standardize ? 1 : 0);
	mq_put_text(b, KM_INIT, given ? "given" : "k-means++", given ? 5 : 9);
	mq_put_int64(b, KM_SEED, drv->seed);
	mq_put_int64(b, KM_MAX_ITER, max_iter);
	mq_put_float8(b, KM_TOL, tol);
	mq_put_int64(b, KM_N, drv->n);
	mq_put_int64(b, KM_SKIPPED, drv->skipped);
	mq_put_int64(b, KM_ITERATIONS, fit->iterations);
	mq_put_int64(b, KM_CONVERGED, fit->converged ? 1 : 0);
	mq_put_int64(b, KM_RESEEDS, fit->reseeds);
	mq_put_float8s(b, KM_MEAN, drv->mean, drv->d);
	mq_put_float8s(b, KM_SD, drv->sd, drv->d);
	mq_put_float8s(b, KM_CENTROIDS, fit->cent, fit->k * drv->d);
	mq_put_int64s(b, KM_SIZE, fit->size, fit->k);
	mq_put_float8s(b, KM_INERTIA, fit->inertia, fit->k);
	mq_put_float8(b, KM_SILHOUETTE, fit->silhouette);
	mq_put_int64(b, KM_SILHOUETTE_N, fit->sil_n);
	return mq_build_finish(b);
}

PG_FUNCTION_INFO_V1(mq_kmeans);

/*
 * kmeans(source, features, k, max_iter, tol, seed, standardize, init): k-means
 * of the float8[] column `features` of a relation.
 */
Datum
mq_kmeans(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *features;
	int			k,
				max_iter;
	double		tol;
	int64		seed;
	bool		standardize;
	const double *init = NULL;
	int			irows = 0,
				icols = 0;
	KmDriver	drv;
	KmFit		fit;
	MqModel    *m;
	MemoryContext callercxt = CurrentMemoryContext;
	ErrorContextCallback errcb;

	mq_check_not_null(PG_ARGISNULL(0), "source");
	mq_check_not_null(PG_ARGISNULL(1), "features");
	mq_check_not_null(PG_ARGISNULL(2), "k");
	mq_check_not_null(PG_ARGISNULL(3), "max_iter");
	mq_check_not_null(PG_ARGISNULL(4), "tol");
	mq_check_not_null(PG_ARGISNULL(5), "seed");
	mq_check_not_null(PG_ARGISNULL(6), "standardize");
	relid = PG_GETARG_OID(0);
	features = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	k = PG_GETARG_INT32(2);
	max_iter = PG_GETARG_INT32(3);
	tol = PG_GETARG_FLOAT8(4);
	seed = PG_GETARG_INT64(5);
	standardize = PG_GETARG_BOOL(6);
	mq_check_int_range(k, "k", 1, SEG_MAX_K);
	km_check_args(max_iter, tol);
	if (!PG_ARGISNULL(7))
	{
		init = mq_check_float8_matrix(PG_GETARG_ARRAYTYPE_P(7), "init", &irows, &icols);
		if (irows != k)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("array \"init\" must have k = %d rows, one centroid per cluster", k),
					 errdetail("It has %d.", irows)));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(callercxt);
	errcb.callback = km_error_context;
	errcb.arg = &drv;
	errcb.previous = error_context_stack;
	drv.phase = NULL;
	error_context_stack = &errcb;
	km_start(&drv, relid, features, seed, standardize);
	if (drv.n == 0)
	{
		error_context_stack = errcb.previous;
		SPI_finish();
		MemoryContextSwitchTo(callercxt);
		PG_RETURN_NULL();
	}
	km_check_k(&drv, k);
	if (init && icols != drv.d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array \"init\" must have one column per feature (%d)", drv.d),
				 errdetail("It has %d.", icols)));
	km_fit(&drv, k, init, max_iter, tol, &fit);
	m = km_model(&drv, &fit, init != NULL, max_iter, tol);
	error_context_stack = errcb.previous;
	SPI_finish();
	MemoryContextSwitchTo(callercxt);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(mq_kmeans_elbow);

/*
 * kmeans_elbow(source, features, k_min, k_max, max_iter, tol, seed,
 * standardize): total inertia and silhouette for each k, for choosing k.
 */
Datum
mq_kmeans_elbow(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	char	   *features;
	int			kmin,
				kmax,
				max_iter,
				k;
	double		tol;
	KmDriver	drv;
	MemoryContext callercxt;
	ErrorContextCallback errcb;

	InitMaterializedSRF(fcinfo, 0);
	callercxt = CurrentMemoryContext;
	mq_check_not_null(PG_ARGISNULL(0), "source");
	mq_check_not_null(PG_ARGISNULL(1), "features");
	mq_check_not_null(PG_ARGISNULL(2), "k_min");
	mq_check_not_null(PG_ARGISNULL(3), "k_max");
	mq_check_not_null(PG_ARGISNULL(4), "max_iter");
	mq_check_not_null(PG_ARGISNULL(5), "tol");
	mq_check_not_null(PG_ARGISNULL(6), "seed");
	mq_check_not_null(PG_ARGISNULL(7), "standardize");
	relid = PG_GETARG_OID(0);
	features = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	kmin = PG_GETARG_INT32(2);
	kmax = PG_GETARG_INT32(3);
	max_iter = PG_GETARG_INT32(4);
	tol = PG_GETARG_FLOAT8(5);
	mq_check_int_range(kmin, "k_min", 1, SEG_MAX_K);
	mq_check_int_range(kmax, "k_max", kmin, SEG_MAX_K);
	km_check_args(max_iter, tol);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(callercxt);
	errcb.callback = km_error_context;
	errcb.arg = &drv;
	errcb.previous = error_context_stack;
	drv.phase = NULL;
	error_context_stack = &errcb;
	km_start(&drv, relid, features, PG_GETARG_INT64(6), PG_GETARG_BOOL(7));
	if (drv.n > 0)
		km_check_k(&drv, kmax);
	for (k = kmin; drv.n > 0 && k <= kmax; k++)
	{
		KmFit		fit;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		double		total = 0;
		int			c;
		MemoryContext tmp = AllocSetContextCreate(callercxt, "marketiq kmeans_elbow", ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(tmp);

		km_fit(&drv, k, NULL, max_iter, tol, &fit);
		for (c = 0; c < k; c++)
			total += fit.inertia[c];
		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(total);
		values[2] = Float8GetDatum(fit.silhouette);
		nulls[2] = isnan(fit.silhouette);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(tmp);
	}
	error_context_stack = errcb.previous;
	SPI_finish();
	MemoryContextSwitchTo(callercxt);
	return (Datum) 0;
}

/* ============================================================ readers */

PG_FUNCTION_INFO_V1(mq_kmeans_centroids);

/* centroids(model) -> TABLE(cluster, size, centroid (original units), inertia) */
Datum
mq_kmeans_centroids(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m;
	int			k,
				d,
				cnt,
				c,
				j;
	const double *cent;
	const int64 *size;
	const double *inertia;
	double	   *center,
			   *scale,
			   *x;

	InitMaterializedSRF(fcinfo, 0);
	m = PG_GETARG_MQMODEL(0, &km_kind);
	k = (int) mq_get_int64(m, KM_K);
	d = (int) mq_get_int64(m, KM_D);
	cent = mq_get_float8s(m, KM_CENTROIDS, &cnt);
	size = mq_get_int64s(m, KM_SIZE, &cnt);
	inertia = mq_get_float8s(m, KM_INERTIA, &cnt);
	center = palloc(sizeof(double) * d);
	scale = palloc(sizeof(double) * d);
	x = palloc(sizeof(double) * d);
	km_transform(m, center, scale);
	for (c = 0; c < k; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		for (j = 0; j < d; j++)
			x[j] = cent[(Size) c * d + j] * scale[j] + center[j];
		values[0] = Int32GetDatum(c + 1);
		values[1] = Int64GetDatum(size[c]);
		values[2] = PointerGetDatum(mq_float8_array(x, d));
		values[3] = Float8GetDatum(inertia[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* A decoded model that assign_cluster keeps across calls (fn_extra). */
typedef struct AssignCache
{
	char	   *key;			/* the model datum's bytes (a toast pointer when out of line) */
	Size		keylen;
	int			k;				/* clusters */
	int			d;				/* features */
	double	   *cent;			/* k * d, z units */
	double	   *center;			/* d */
	double	   *scale;			/* d */
	double	   *z;				/* d scratch */
} AssignCache;

/* The decoded model of argument 0, from the cache when the datum is the same. */
static AssignCache *
assign_model(FunctionCallInfo fcinfo)
{
	AssignCache *ac = (AssignCache *) fcinfo->flinfo->fn_extra;
	struct varlena *raw = (struct varlena *) PG_GETARG_POINTER(0);
	Size		keylen = VARATT_IS_EXTERNAL_EXPANDED(raw) ? 0 : VARSIZE_ANY(raw);
	const MqModel *m;
	MemoryContext old;
	int			cnt;

	if (ac && keylen > 0 && ac->keylen == keylen && memcmp(ac->key, raw, keylen) == 0)
		return ac;
	m = PG_GETARG_MQMODEL(0, &km_kind);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (ac)
	{
		if (ac->key)
			pfree(ac->key);
		pfree(ac->cent);
		pfree(ac->center);
		pfree(ac->scale);
		pfree(ac->z);
	}
	else
		ac = palloc0(sizeof(AssignCache));
	ac->k = (int) mq_get_int64(m, KM_K);
	ac->d = (int) mq_get_int64(m, KM_D);
	ac->cent = palloc(sizeof(double) * ac->k * ac->d);
	memcpy(ac->cent, mq_get_float8s(m, KM_CENTROIDS, &cnt), sizeof(double) * ac->k * ac->d);
	ac->center = palloc(sizeof(double) * ac->d);
	ac->scale = palloc(sizeof(double) * ac->d);
	ac->z = palloc(sizeof(double) * ac->d);
	km_transform(m, ac->center, ac->scale);
	ac->keylen = keylen;
	ac->key = NULL;
	if (keylen > 0)
	{
		ac->key = palloc(keylen);
		memcpy(ac->key, raw, keylen);
	}
	fcinfo->flinfo->fn_extra = ac;
	MemoryContextSwitchTo(old);
	return ac;
}

PG_FUNCTION_INFO_V1(mq_kmeans_assign);

/* assign_cluster(model, x) -> the nearest cluster (1..k; ties to the lowest); NULL for NULL elements */
Datum
mq_kmeans_assign(PG_FUNCTION_ARGS)
{
	AssignCache *ac = assign_model(fcinfo);
	ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(1);
	const double *x;
	int			n,
				j;

	if (ARR_HASNULL(xa) && array_contains_nulls(xa))
		PG_RETURN_NULL();
	x = mq_check_float8_array(xa, "x", 0, &n);
	if (n != ac->d)
		seg_length_error("x", n, ac->d, "the model has");
	for (j = 0; j < ac->d; j++)
		ac->z[j] = (x[j] - ac->center[j]) / ac->scale[j];
	PG_RETURN_INT32(km_nearest(ac->z, ac->cent, ac->k, ac->d, NULL) + 1);
}

PG_FUNCTION_INFO_V1(mq_kmeans_stats);

/* kmeans_stats(model) -> one row: k, features, rows, iterations, converged, inertia, silhouette, ... */
Datum
mq_kmeans_stats(PG_FUNCTION_ARGS)
{
	const MqModel *m = PG_GETARG_MQMODEL(0, &km_kind);
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13];
	int			k = (int) mq_get_int64(m, KM_K),
				cnt,
				c;
	const double *inertia = mq_get_float8s(m, KM_INERTIA, &cnt);
	double		total = 0,
				sil = mq_get_float8(m, KM_SILHOUETTE);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "kmeans_stats must return a row type");
	for (c = 0; c < k; c++)
		total += inertia[c];
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(k);
	values[1] = Int32GetDatum((int32) mq_get_int64(m, KM_D));
	values[2] = Int64GetDatum(mq_get_int64(m, KM_N));
	values[3] = Int64GetDatum(mq_get_int64(m, KM_SKIPPED));
	values[4] = Int32GetDatum((int32) mq_get_int64(m, KM_ITERATIONS));
	values[5] = BoolGetDatum(mq_get_int64(m, KM_CONVERGED) != 0);
	values[6] = Float8GetDatum(total);
	values[7] = Float8GetDatum(sil);
	nulls[7] = isnan(sil);
	values[8] = Int32GetDatum((int32) mq_get_int64(m, KM_SILHOUETTE_N));
	values[9] = Int32GetDatum((int32) mq_get_int64(m, KM_RESEEDS));
	values[10] = BoolGetDatum(mq_get_int64(m, KM_STANDARDIZE) != 0);
	values[11] = CStringGetTextDatum(mq_get_text(m, KM_INIT));
	values[12] = Int64GetDatum(mq_get_int64(m, KM_SEED));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
