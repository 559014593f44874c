/*-------------------------------------------------------------------------
 *
 * mq_segments.h
 *	  Segments and monitoring (src/segments): k-means customer segmentation
 *	  and KPI anomaly detection -- what the files of the module share.
 *
 * features.c   reading a float8[] feature vector without copying it, and
 *              the seeded generator of k-means++ and of the silhouette
 *              sample: a hash of (seed, draw, feature values), the same on
 *              every machine and for every plan;
 * kmeans_pass.c  the two combinable pass aggregates of the k-means driver
 *              (marketiq.kmeans_scan: moments, first centre, sample;
 *              marketiq.kmeans_step: one Lloyd pass, optionally a k-means++
 *              draw);
 * kmeans.c     the marketiq.kmeans model, its driver and readers;
 * robust.c     sorted windows, median and MAD (median/mad aggregates,
 *              mad_score);
 * anomalies.c  detect_anomalies.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_SEGMENTS_H
#define MQ_SEGMENTS_H

#include "postgres.h"
#include "fmgr.h"

/* model kind ids of this module (60 to 69) */
#define SEG_KIND_KMEANS_SCAN	60
#define SEG_KIND_KMEANS_STEP	61
#define SEG_KIND_KMEANS			62

/* the widest feature vector and the largest k */
#define SEG_MAX_FEATURES	1000
#define SEG_MAX_K			10000

/* rows of the silhouette sample */
#define SEG_SILHOUETTE_SAMPLE 2000

/* ------------------------------------------------- features.c: hashing */

/* the splitmix64 finaliser: a bijective 64-bit mix */
static inline uint64
seg_mix64(uint64 z)
{
	z += UINT64CONST(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* the stream of draw j under seed: mix64(mix64(seed) + j) */
static inline uint64
seg_stream(int64 seed, uint64 j)
{
	return seg_mix64(seg_mix64((uint64) seed) + j);
}

/* draw numbers: 0 is the silhouette sample, j >= 1 picks k-means++ centre j */
#define SEG_DRAW_SAMPLE 0

/* hash of a feature vector in a stream: h = stream; h = mix64(h ^ bits(x_j)) for each j */
extern uint64 seg_row_hash(uint64 stream, const double *x, int d);

/* a uniform number in (0, 1) from a hash: ((h >> 11) + 0.5) / 2^53 */
static inline double
seg_u01(uint64 h)
{
	return ((double) (h >> 11) + 0.5) / 9007199254740992.0;
}

/* ------------------------------------------------- features.c: reading */

/*
 * Read the feature vector in datum d (a float8[]) into out[cap]: returns its
 * length, or -1 when it contains a NULL element (the row is skipped).
 * ERROR (with the shared validators' wording, naming `what`) when it is not
 * one-dimensional, is empty, is longer than cap, or holds NaN or infinity.
 */
extern int	seg_read_features(Datum d, double *out, int cap, const char *what);

/* ERROR for a feature vector of the wrong length: "... but <whose> <want> features" */
extern void seg_length_error(const char *what, int got, int want, const char *whose) pg_attribute_noreturn();

/* ------------------------------------------------------------- robust.c */

/*
 * A sorted multiset of doubles (a sliding window): insert and remove by
 * binary search and memmove, median in O(1), MAD in O(n / 2).
 */
typedef struct SegWin
{
	int			n;				/* values held */
	int			cap;			/* capacity */
	double	   *v;				/* n values, ascending */
} SegWin;

extern void seg_win_init(SegWin *w, int cap);
extern void seg_win_insert(SegWin *w, double x);
/* remove one value equal to x (ERROR if absent: a bug) */
extern void seg_win_remove(SegWin *w, double x);
/* median of the held values (n > 0): the middle one, or the mean of the two middle ones */
extern double seg_win_median(const SegWin *w);
/* median absolute deviation from m (raw, unscaled) */
extern double seg_win_mad(const SegWin *w, double m);
/* mean absolute deviation from m */
extern double seg_win_meanad(const SegWin *w, double m);

/* the consistency constant of the MAD for the normal distribution */
#define SEG_MAD_NORMAL 1.4826
/* sqrt(pi / 2): the same for the mean absolute deviation */
#define SEG_MEANAD_NORMAL 1.2533141373155002

/*
 * The robust scale of a window around its median m: 1.4826 * MAD, or when
 * the MAD is 0, 1.2533 * the mean absolute deviation from m; 0 only when
 * every value equals m.
 */
extern double seg_win_scale(const SegWin *w, double m);

/* The score of x against (expected, scale): (x - expected) / scale; 0 or +-Infinity when scale is 0. */
extern double seg_score(double x, double expected, double scale);

#endif							/* MQ_SEGMENTS_H */
