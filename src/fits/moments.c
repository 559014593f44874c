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
 * The algorithm.  Rows are buffered in a block.  When the block is full its
 * own weighted mean m_b is computed, the rows are centred on it and scaled by
 * sqrt(w), and one BLAS dsyrk adds their cross-products C_b to C.  The block
 * is then merged with what came before by the exact pairwise update
 * (Chan, Golub and LeVeque, 1979):
 *
 *	  d = m_b - m;   C += C_b + (W W_b / (W + W_b)) d d';
 *	  m += d W_b / (W + W_b);   W += W_b.
 *
 * The same update merges two partial states (the combine function), so a
 * parallel plan computes the same statistic with a different grouping of
 * the additions, i.e. equal to rounding.  Cost per row: one copy into the
 * buffer; per block: two passes over it and a dsyrk, which for the ten-ish
 * columns of a regression is far below the cost of producing the row.
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
	m->q = q;
	m->w = 0.0;
	m->mean = palloc0(sizeof(double) * Max(q, 1));
	m->m2 = palloc0(sizeof(double) * Max((Size) q * q, 1));
	m->cap = FIT_BLOCK_START;
	m->nbuf = 0;
	m->buf = palloc(sizeof(double) * m->cap * Max(q, 1));
	m->wbuf = palloc(sizeof(double) * m->cap);
	m->delta = palloc(sizeof(double) * 2 * Max(q, 1));
}

/* Upper bound of the bytes an accumulator of width q holds. */
Size
fit_moments_bytes(int q)
{
	return sizeof(double) * ((Size) q * q + (Size) (FIT_BLOCK + 3) * q + FIT_BLOCK);
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

/* Merge moments (wb, mb, with cross-products already added to m2) into (w, mean). */
static void
merge_mean(FitMoments *m, double wb, const double *mb)
{
	int			j;
	double		wt,
				f;

	if (m->w == 0.0)
	{
		memcpy(m->mean, mb, sizeof(double) * m->q);
		m->w = wb;
		return;
	}
	wt = m->w + wb;
	f = m->w * wb / wt;
	for (j = 0; j < m->q; j++)
		m->delta[j] = mb[j] - m->mean[j];
	upper_rank1(m->m2, m->q, f, m->delta);
	for (j = 0; j < m->q; j++)
		m->mean[j] += m->delta[j] * (wb / wt);
	m->w = wt;
}

/* Buffer one row. */
void
fit_moments_add(FitMoments *m, const double *v, double w)
{
	if (m->nbuf == m->cap)
	{
		if (m->cap < FIT_BLOCK)
		{
			m->cap *= 2;
			m->buf = repalloc(m->buf, sizeof(double) * m->cap * Max(m->q, 1));
			m->wbuf = repalloc(m->wbuf, sizeof(double) * m->cap);
		}
		else
			fit_moments_flush(m);
	}
	memcpy(m->buf + (Size) m->nbuf * m->q, v, sizeof(double) * m->q);
	m->wbuf[m->nbuf++] = w;
}

/* Fold the buffered block in: block mean, dsyrk of the centred rows, pairwise update. */
void
fit_moments_flush(FitMoments *m)
{
	int			q = m->q,
				nb = m->nbuf,
				i,
				j;
	double		wb = 0.0;
	double	   *mb = m->delta + q;	/* second half of the scratch */

	if (nb == 0)
		return;
	m->nbuf = 0;
	if (q == 0)
	{
		for (i = 0; i < nb; i++)
			m->w += m->wbuf[i];
		return;
	}
	memset(mb, 0, sizeof(double) * q);
	for (i = 0; i < nb; i++)
	{
		const double *row = m->buf + (Size) i * q;
		double		w = m->wbuf[i];

		wb += w;
		for (j = 0; j < q; j++)
			mb[j] += w * row[j];
	}
	for (j = 0; j < q; j++)
		mb[j] /= wb;
	for (i = 0; i < nb; i++)
	{
		double	   *row = m->buf + (Size) i * q;
		double		w = m->wbuf[i];

		if (w == 1.0)
			for (j = 0; j < q; j++)
				row[j] -= mb[j];
		else
		{
			double		s = sqrt(w);

			for (j = 0; j < q; j++)
				row[j] = s * (row[j] - mb[j]);
		}
	}
	mq_syrk_rows(m->m2, q, m->buf, nb, 1.0);
	merge_mean(m, wb, mb);
}

/* Fold in another accumulator's flat moments. */
void
fit_moments_merge(FitMoments *m, double w, const double *mean, const double *packed)
{
	int			q = m->q,
				i,
				j;
	const double *src = packed;

	if (w <= 0.0)
		return;
	fit_moments_flush(m);
	for (j = 0; j < q; j++)
	{
		double	   *col = m->m2 + (Size) j * q;

		for (i = 0; i <= j; i++)
			col[i] += *src++;
	}
	merge_mean(m, w, mean);
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
