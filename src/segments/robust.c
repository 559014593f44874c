/*-------------------------------------------------------------------------
 *
 * robust.c
 *	  Robust location and scale: the sorted sliding window behind
 *	  detect_anomalies, the median and mad aggregates (usable as window
 *	  aggregates), and mad_score.
 *
 * A window of w values is kept sorted (SegWin): a new value goes in by
 * binary search and memmove, an old one leaves the same way, so moving the
 * window one row costs O(w) memory moves and no sort.  The median is then
 * the middle element (or the mean of the two middle ones), and the median
 * absolute deviation needs no second sort either: the deviations of the
 * values below the median, read from the median outwards, increase, and so
 * do those of the values above it, so the middle of the deviations is found
 * by merging those two increasing runs from the median outwards, n / 2 + 1
 * steps.  Deviations are computed as m - v and v - m, which equal numpy's
 * |v - m| bit for bit.
 *
 * The aggregates.  In an ordinary (and parallel) aggregation median and mad
 * keep their values in a float8[] (array_append as the transition, array_cat
 * to combine partial states: a real type, so Citus can ship it), and the
 * final function sorts a copy.  As window aggregates over a moving frame
 * (ROWS BETWEEN n PRECEDING AND 1 PRECEDING) PostgreSQL uses their
 * moving-aggregate form instead: a SegWin that each row enters and leaves,
 * so a frame of w rows costs O(w) per row rather than a sort.
 *
 * Scale and score.  The robust scale of a window around its median m is
 * 1.4826 MAD (the standard deviation, for normal data).  When more than half
 * of the values are equal the MAD is 0; the scale then falls back to
 * sqrt(pi/2) times the mean absolute deviation from m (also the standard
 * deviation for normal data), which is 0 only when every value equals m.
 * With a zero scale a value equal to m scores 0 and any other value scores
 * +-Infinity: after a perfectly flat history, any change is news.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "mq_check.h"
#include "mq_segments.h"

/* ---------------------------------------------------------------- SegWin */

/* An empty window of capacity cap (palloc'd in CurrentMemoryContext). */
void
seg_win_init(SegWin *w, int cap)
{
	w->n = 0;
	w->cap = Max(cap, 1);
	w->v = palloc(sizeof(double) * w->cap);
}

/* Index of the first value >= x. */
static inline int
win_lower(const SegWin *w, double x)
{
	int			lo = 0,
				hi = w->n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (w->v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert x (the window must have room). */
void
seg_win_insert(SegWin *w, double x)
{
	int			i = win_lower(w, x);

	if (w->n >= w->cap)
		elog(ERROR, "marketiq window of %d values is full", w->cap);
	memmove(w->v + i + 1, w->v + i, sizeof(double) * (w->n - i));
	w->v[i] = x;
	w->n++;
}

/* Remove one value equal to x. */
void
seg_win_remove(SegWin *w, double x)
{
	int			i = win_lower(w, x);

	if (i >= w->n || w->v[i] != x)
		elog(ERROR, "marketiq window does not hold the value %g it should remove", x);
	memmove(w->v + i, w->v + i + 1, sizeof(double) * (w->n - i - 1));
	w->n--;
}

/* The mean of two values, without overflowing. */
static inline double
mid2(double a, double b)
{
	double		s = a + b;

	return isfinite(s) ? s / 2 : a / 2 + b / 2;
}

/* Median of a sorted window (n > 0). */
double
seg_win_median(const SegWin *w)
{
	int			n = w->n;

	return (n % 2) ? w->v[n / 2] : mid2(w->v[n / 2 - 1], w->v[n / 2]);
}

/* Median absolute deviation from m, by merging the deviations below and above m outwards. */
double
seg_win_mad(const SegWin *w, double m)
{
	int			n = w->n,
				i,
				j,
				t;
	int			want_lo = (n - 1) / 2,
				want_hi = n / 2;
	double		lo = 0,
				dev = 0;

	j = win_lower(w, m);
	i = j - 1;
	for (t = 0; t <= want_hi; t++)
	{
		if (i >= 0 && (j >= n || m - w->v[i] <= w->v[j] - m))
			dev = m - w->v[i--];
		else
			dev = w->v[j++] - m;
		if (t == want_lo)
			lo = dev;
	}
	return want_lo == want_hi ? dev : mid2(lo, dev);
}

/* Mean absolute deviation from m. */
double
seg_win_meanad(const SegWin *w, double m)
{
	double		s = 0;
	int			i;

	for (i = 0; i < w->n; i++)
		s += fabs(w->v[i] - m);
	return s / w->n;
}

/* The robust scale around the median m: 1.4826 MAD, else 1.2533 mean absolute deviation. */
double
seg_win_scale(const SegWin *w, double m)
{
	double		mad = seg_win_mad(w, m);

	if (mad > 0)
		return SEG_MAD_NORMAL * mad;
	return SEG_MEANAD_NORMAL * seg_win_meanad(w, m);
}

/* (x - expected) / scale; with a zero scale 0 for x = expected, else +-Infinity. */
double
seg_score(double x, double expected, double scale)
{
	if (scale > 0)
		return (x - expected) / scale;
	if (x == expected)
		return 0.0;
	return x > expected ? get_float8_infinity() : -get_float8_infinity();
}

/* float8 comparator for qsort */
static int
cmp_float8(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* A sorted window of the non-NULL values of an array (NaN/infinity: error). */
static void
win_from_array(ArrayType *a, const char *what, bool allow_nulls, SegWin *w)
{
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	const double *v = (const double *) ARR_DATA_PTR(a);
	bits8	   *bitmap = ARR_NULLBITMAP(a);
	int			bit = 1,
				i;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "array \"%s\" is not float8[]", what);
	if (!allow_nulls)
	{
		(void) mq_check_float8_array(a, what, MQ_ALLOW_EMPTY, &n);
		bitmap = NULL;
	}
	seg_win_init(w, n);
	for (i = 0; i < n; i++)
	{
		if (bitmap == NULL || (*bitmap & bit))
		{
			double		x = *v++;

			if (!isfinite(x))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("median and mad need finite values"),
						 errdetail("A row has %g.", x)));
			w->v[w->n++] = x;
		}
		if (bitmap)
		{
			bit <<= 1;
			if (bit == 0x100)
			{
				bitmap++;
				bit = 1;
			}
		}
	}
	qsort(w->v, w->n, sizeof(double), cmp_float8);
}

/* ---------------------------------------------------- median, mad: plain */

/* median/mad final over the float8[] state (NULL elements are the NULL rows, skipped) */
static Datum
robust_final(FunctionCallInfo fcinfo, bool mad)
{
	SegWin		w;
	double		m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	win_from_array(PG_GETARG_ARRAYTYPE_P(0), mad ? "mad" : "median", true, &w);
	if (w.n == 0)
		PG_RETURN_NULL();
	m = seg_win_median(&w);
	PG_RETURN_FLOAT8(mad ? seg_win_mad(&w, m) : m);
}

PG_FUNCTION_INFO_V1(mq_median_final);
/* median final function */
Datum
mq_median_final(PG_FUNCTION_ARGS)
{
	return robust_final(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mq_mad_final);
/* mad final function */
Datum
mq_mad_final(PG_FUNCTION_ARGS)
{
	return robust_final(fcinfo, true);
}

/* --------------------------------------------------- median, mad: moving */

/* The moving state in argument 0, created in the aggregate context if NULL. */
static SegWin *
moving_state(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;
	SegWin	   *w;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("marketiq median/mad state function called in a non-aggregate context")));
	if (!PG_ARGISNULL(0))
		return (SegWin *) PG_GETARG_POINTER(0);
	w = MemoryContextAlloc(aggcxt, sizeof(SegWin));
	w->n = 0;
	w->cap = 16;
	w->v = MemoryContextAlloc(aggcxt, sizeof(double) * w->cap);
	return w;
}

PG_FUNCTION_INFO_V1(mq_robust_madd);
/* moving transition: a row enters the frame (NULLs are ignored) */
Datum
mq_robust_madd(PG_FUNCTION_ARGS)
{
	SegWin	   *w = moving_state(fcinfo);
	double		x;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(w);
	x = PG_GETARG_FLOAT8(1);
	if (!isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("median and mad need finite values"),
				 errdetail("A row has %g.", x)));
	if (w->n >= w->cap)
	{
		if (w->cap >= (int) (MaxAllocSize / sizeof(double) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows in a median or mad window frame")));
		w->cap *= 2;
		w->v = repalloc(w->v, sizeof(double) * w->cap);
	}
	seg_win_insert(w, x);
	PG_RETURN_POINTER(w);
}

PG_FUNCTION_INFO_V1(mq_robust_mremove);
/* moving inverse transition: a row leaves the frame */
Datum
mq_robust_mremove(PG_FUNCTION_ARGS)
{
	SegWin	   *w = moving_state(fcinfo);

	if (!PG_ARGISNULL(1))
		seg_win_remove(w, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(w);
}

PG_FUNCTION_INFO_V1(mq_median_mfinal);
/* moving final of median */
Datum
mq_median_mfinal(PG_FUNCTION_ARGS)
{
	SegWin	   *w = PG_ARGISNULL(0) ? NULL : (SegWin *) PG_GETARG_POINTER(0);

	if (w == NULL || w->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(seg_win_median(w));
}

PG_FUNCTION_INFO_V1(mq_mad_mfinal);
/* moving final of mad */
Datum
mq_mad_mfinal(PG_FUNCTION_ARGS)
{
	SegWin	   *w = PG_ARGISNULL(0) ? NULL : (SegWin *) PG_GETARG_POINTER(0);

	if (w == NULL || w->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(seg_win_mad(w, seg_win_median(w)));
}

/* ------------------------------------------------------------- mad_score */

PG_FUNCTION_INFO_V1(mq_mad_score);
/* mad_score(history, value): (value - median) / robust scale of the history; NULL for an empty history */
Datum
mq_mad_score(PG_FUNCTION_ARGS)
{
	SegWin		w;
	double		x = PG_GETARG_FLOAT8(1);
	double		m;

	mq_check_finite(x, "value");
	win_from_array(PG_GETARG_ARRAYTYPE_P(0), "history", false, &w);
	if (w.n == 0)
		PG_RETURN_NULL();
	m = seg_win_median(&w);
	PG_RETURN_FLOAT8(seg_score(x, m, seg_win_scale(&w, m)));
}
