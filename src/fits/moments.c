/*-------------------------------------------------------------------------
 *
 * moments.c
 *	  Weighted means and centred cross-products, accumulated in BLAS blocks
 *	  and merged exactly: the sufficient statistics of every fit in src/fits.
 *
 * Why centred moments rather than X'X.  The textbook way to fit least
 * squares from one pass is to accumulate X'X and X'y and solve the normal
 * equations.  In double precision that loses about log10(cond(X)^2) digits,
 * and with an intercept the raw X'X of columns with large means (years,
 * balances in currency units) is far worse conditioned than the data: for
 * the Longley data cond(X'X) passes 1e19 and the coefficients have no
 * correct digit left.  Centring removes the means from the problem; what is
 * left is the conditioning of the centred, scaled design, which is what the
 * data really have.  But centring needs the means first, and a one-pass
 * aggregate (or a parallel worker) does not have them.
 *
 * The algorithm.  Rows are buffered in a block, stored already shifted by
 * the running mean m (by the first row for the very first block) and scaled
 * by sqrt(w), while the block's weight W_b and its shifted sum are summed on
 * the way (one pass over the row, which is all the per-row cost).  When the
 * block is full, one BLAS dsyrk adds the shifted cross-products S_b to C,
 * and with d = (block mean - m) the exact pairwise update of Chan, Golub and
 * LeVeque (1979), which for a shift equal to the running mean reduces to
 *
 *	  C += S_b - (W_b^2 / (W + W_b)) d d';   m += d W_b / (W + W_b);   W += W_b,
 *
 * merges the block in.  Because the shift is the mean of everything before,
 * the terms that cancel are no larger than the result (rows sorted by a
 * feature lose nothing); the first block, shifted by its first row, is
 * centred exactly on its own mean before its dsyrk.  The general form of
 * the same update merges two partial states (the combine function), so a
 * parallel plan computes the same statistic with the additions grouped
 * differently, i.e. equal to rounding.  For the ten-ish columns of a
 * regression the block work is far below the cost of producing the row.
 *
 * The buffer starts at a few rows and doubles up to FIT_BLOCK, so that a
 * GROUP BY with many small groups does not pay a full block per group.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/float.h"

#include "mq_fits.h"
#include "mq_linalg.h"

/* rows per block once the buffer is fully grown */
#define FIT_BLOCK 256
/* rows the buffer starts with */
#define FIT_BLOCK_START 4

/* NaN (for values that are undefined). */
double
fit_nan(void)
{
	return get_float8_nan();
}

/* An empty accumulator of width q, allocated in CurrentMemoryContext. */
void
fit_moments_init(FitMoments *m, int q)
{
	int			q1 = Max(q, 1);

	m->q = q;
	m->w = 0.0;
	m->mean = palloc0(sizeof(double) * q1);
	m->m2 = palloc0(sizeof(double) * Max((Size) q * q, 1));
	m->cap = FIT_BLOCK_START;
	m->nbuf = 0;
	m->buf = palloc(sizeof(double) * m->cap * q1);
	m->sbuf = palloc(sizeof(double) * m->cap);
	m->shift = palloc0(sizeof(double) * q1);
	m->bsum = palloc0(sizeof(double) * q1);
	m->bw = 0.0;
	m->delta = palloc(sizeof(double) * q1);
}

/* Upper bound of the bytes an accumulator of width q holds. */
Size
fit_moments_bytes(int q)
{
	return sizeof(double) * ((Size) q * q + (Size) (FIT_BLOCK + 5) * q + FIT_BLOCK);
}

/* Rank-one update of the upper triangle: a += f d d'. */
static void
upper_rank1(double *a, int q, double f, const double *d)
{
	int			i,
				j;

	for (j = 0; j < q; j++)
	{
		double		fd = f * d[j];
		double	   *col = a + (Size) j * q;

		for (i = 0; i <= j; i++)
			col[i] += fd * d[i];
	}
}

/* Buffer one row (shifted and scaled; see the header comment). */
void
fit_moments_add(FitMoments *m, const double *v, double w)
{
	int			q = m->q,
				j;
	double	   *row;
	double	   *shift = m->shift;
	double	   *bsum = m->bsum;

	if (m->nbuf == m->cap)
	{
		if (m->cap < FIT_BLOCK)
		{
			m->cap *= 2;
			m->buf = repalloc(m->buf, sizeof(double) * m->cap * Max(q, 1));
			m->sbuf = repalloc(m->sbuf, sizeof(double) * m->cap);
		}
		else
			fit_moments_flush(m);
	}
	if (m->w == 0.0 && m->nbuf == 0)
		memcpy(shift, v, sizeof(double) * q);	/* the first row shifts the first block */
	row = m->buf + (Size) m->nbuf * q;
	if (w == 1.0)
	{
		for (j = 0; j < q; j++)
		{
			double		d = v[j] - shift[j];

			row[j] = d;
			bsum[j] += d;
		}
		m->sbuf[m->nbuf] = 1.0;
	}
	else
	{
		double		s = sqrt(w);

		for (j = 0; j < q; j++)
		{
			double		d = v[j] - shift[j];

			row[j] = s * d;
			bsum[j] += w * d;
		}
		m->sbuf[m->nbuf] = s;
	}
	m->bw += w;
	m->nbuf++;
}

/* Fold the buffered block in: dsyrk of the shifted rows, then the pairwise update. */
void
fit_moments_flush(FitMoments *m)
{
	int			q = m->q,
				nb = m->nbuf,
				i,
				j;
	double		wb = m->bw,
				wt = m->w + wb;
	double	   *d = m->delta;

	if (nb == 0)
		return;
	for (j = 0; j < q; j++)
		d[j] = m->bsum[j] / wb;
	if (m->w == 0.0)
	{
		/* the first block: centre it on its own mean, exactly */
		for (i = 0; i < nb; i++)
		{
			double	   *row = m->buf + (Size) i * q;
			double		s = m->sbuf[i];

			for (j = 0; j < q; j++)
				row[j] -= s * d[j];
		}
		if (q > 0)
			mq_syrk_rows(m->m2, q, m->buf, nb, 1.0);
	}
	else if (q > 0)
	{
		mq_syrk_rows(m->m2, q, m->buf, nb, 1.0);
		upper_rank1(m->m2, q, -(wb * wb / wt), d);
	}
	for (j = 0; j < q; j++)
	{
		m->mean[j] = m->shift[j] + d[j] * (wb / wt);
		m->shift[j] = m->mean[j];
		m->bsum[j] = 0.0;
	}
	m->w = wt;
	m->bw = 0.0;
	m->nbuf = 0;
}

/* Fold in another accumulator's flat moments (w, mean, packed cross-products). */
void
fit_moments_merge(FitMoments *m, double w, const double *mean, const double *packed)
{
	int			q = m->q,
				i,
				j;
	const double *src = packed;

	if (!(w > 0.0))
		return;
	fit_moments_flush(m);
	for (j = 0; j < q; j++)
	{
		double	   *col = m->m2 + (Size) j * q;

		for (i = 0; i <= j; i++)
			col[i] += *src++;
	}
	if (m->w == 0.0)
		memcpy(m->mean, mean, sizeof(double) * q);
	else
	{
		double		wt = m->w + w;

		for (j = 0; j < q; j++)
			m->delta[j] = mean[j] - m->mean[j];
		upper_rank1(m->m2, q, m->w * w / wt, m->delta);
		for (j = 0; j < q; j++)
			m->mean[j] += m->delta[j] * (w / wt);
	}
	m->w += w;
	memcpy(m->shift, m->mean, sizeof(double) * q);
}

/* Packed upper triangle of a column-major q x q matrix. */
void
fit_pack_upper(const double *a, int q, double *packed)
{
	int			i,
				j;

	for (j = 0; j < q; j++)
		for (i = 0; i <= j; i++)
			*packed++ = a[i + (Size) j * q];
}

/* Full symmetric column-major matrix from a packed upper triangle. */
void
fit_unpack_upper(const double *packed, int q, double *a)
{
	int			i,
				j;

	for (j = 0; j < q; j++)
		for (i = 0; i <= j; i++)
		{
			a[i + (Size) j * q] = *packed;
			a[j + (Size) i * q] = *packed;
			packed++;
		}
}
