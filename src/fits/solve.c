/*-------------------------------------------------------------------------
 *
 * solve.c
 *	  Weighted least squares from moments, with collinear columns detected
 *	  and dropped, and the condition number of the design.
 *
 * The normal equations.  With an intercept, the slopes solve C b = c_t,
 * where C is the centred cross-product matrix of the features and c_t their
 * centred cross-products with the target; the intercept is then
 * mean(t) - mean(x)'b, and its variance factor 1/W + m' C^-1 m.  Without
 * one, the uncentred matrix C + W m m' takes C's place (rebuilt from the
 * moments, so it is no worse than accumulating it directly).
 *
 * Scaling and collinearity.  The matrix is scaled to unit diagonal (a
 * correlation matrix with an intercept), so the pivots of its Cholesky
 * factorisation, taken column by column in the order of x, are exactly
 * 1 - R^2 of each column regressed on the columns before it (weighted,
 * and centred with an intercept).  A column whose pivot falls below
 * FIT_COLLINEAR_TOL (a variance inflation above 1e10) carries no
 * information the earlier columns do not, so it is dropped, as R's lm does
 * with its pivoted QR: its coefficient is reported as missing and the model
 * is fitted on the others.  A column of constant value is dropped the same
 * way when there is an intercept (it is collinear with it).  The common case
 * (nothing collinear) costs one LAPACK dpotrf; only when that shows a small
 * pivot does a plain in-order factorisation find which columns to drop.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "mq_fits.h"
#include "mq_linalg.h"

/*
 * In-order Cholesky of the r x r unit-diagonal matrix s (column-major,
 * upper) that skips columns whose pivot is below the tolerance; marks them
 * in drop[].
 */
static void
find_collinear(const double *s, int r, bool *drop)
{
	double	   *f = palloc0(sizeof(double) * r * r);
	int			i,
				j,
				l;

	for (j = 0; j < r; j++)
	{
		double		d = s[j + (Size) j * r];

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < j; i++)
		{
			double		v;

			if (drop[i])
				continue;
			v = s[i + (Size) j * r];
			for (l = 0; l < i; l++)
				if (!drop[l])
					v -= f[l + (Size) i * r] * f[l + (Size) j * r];
			v /= f[i + (Size) i * r];
			f[i + (Size) j * r] = v;
			d -= v * v;
		}
		if (!(d >= FIT_COLLINEAR_TOL))
		{
			drop[j] = true;
			for (i = 0; i < j; i++)
				f[i + (Size) j * r] = 0.0;
		}
		else
			f[j + (Size) j * r] = sqrt(d);
	}
	pfree(f);
}

/*
 * The kept columns (not aliased) of the p x p matrix a, scaled to unit
 * diagonal, in a new r x r matrix; keep[] and sd[] get their indexes and
 * square-root diagonals, *r their number (NULL when none).
 */
static double *
scaled_kept(const double *a, int p, const bool *aliased, int *keep, double *sd, int *r)
{
	double	   *s;
	int			i,
				j,
				n = 0;

	for (j = 0; j < p; j++)
		if (!aliased[j])
			keep[n++] = j;
	*r = n;
	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		sd[i] = sqrt(a[keep[i] + (Size) keep[i] * p]);
	s = palloc(sizeof(double) * n * n);
	for (j = 0; j < n; j++)
		for (i = 0; i <= j; i++)
			s[i + (Size) j * n] = a[keep[i] + (Size) keep[j] * p] / (sd[i] * sd[j]);
	return s;
}

/* Find the constant and collinear columns of a (see the file header) and mark them in aliased[]. */
static void
detect_aliased(const FitProblem *fp, const double *a, bool *aliased, int *keep, double *sd)
{
	int			p = fp->p,
				r,
				j;
	double	   *s,
			   *copy;
	bool		small_pivot = false;

	/* constant columns: no variance (with an intercept) or all zero */
	for (j = 0; j < p; j++)
	{
		double		d = a[j + (Size) j * p];

		aliased[j] = fp->intercept ?
			!(d > 1e-14 * fp->w * fp->mean[j] * fp->mean[j]) :
			!(d > 0.0);
	}
	/* collinear columns: a small pivot of the in-order Cholesky factorisation */
	s = scaled_kept(a, p, aliased, keep, sd, &r);
	if (r > 0)
	{
		copy = palloc(sizeof(double) * r * r);
		memcpy(copy, s, sizeof(double) * r * r);
		if (mq_cholesky(s, r) == 0)
		{
			for (j = 0; j < r; j++)
				if (!(s[j + (Size) j * r] * s[j + (Size) j * r] >= FIT_COLLINEAR_TOL))
					small_pivot = true;
		}
		else
			small_pivot = true;
		if (small_pivot)
		{
			bool	   *drop = palloc0(sizeof(bool) * r);

			find_collinear(copy, r, drop);
			for (j = 0; j < r; j++)
				if (drop[j])
					aliased[keep[j]] = true;
			pfree(drop);
		}
		pfree(copy);
		pfree(s);
	}
	/* n rows determine at most n coefficients: drop the later columns, as R does */
	if (fp->nrows > 0)
	{
		int64		room = fp->nrows - (fp->intercept ? 1 : 0);

		r = 0;
		for (j = 0; j < p; j++)
			if (!aliased[j] && ++r > room)
				aliased[j] = true;
	}
}

/* Solve the weighted least-squares problem fp (see mq_fits.h). */
int
fit_solve(const FitProblem *fp, bool detect, bool *aliased, double *coef, double *covdiag)
{
	int			p = fp->p;
	int			off = fp->intercept ? 1 : 0;
	int		   *keep = palloc(sizeof(int) * Max(p, 1));
	double	   *a = palloc(sizeof(double) * Max((Size) p * p, 1));
	double	   *rhs = palloc(sizeof(double) * Max(p, 1));
	double	   *sd = palloc(sizeof(double) * Max(p, 1));
	double	   *s;
	int			r,
				i,
				j;

	/* the normal-equation matrix of the slopes and its right-hand side */
	for (j = 0; j < p; j++)
	{
		for (i = 0; i <= j; i++)
		{
			double		v = fp->c[i + (Size) j * p];

			if (!fp->intercept)
				v += fp->w * fp->mean[i] * fp->mean[j];
			a[i + (Size) j * p] = v;
		}
		rhs[j] = fp->ct[j] + (fp->intercept ? 0.0 : fp->w * fp->mean[j] * fp->mt);
	}
	if (detect)
		detect_aliased(fp, a, aliased, keep, sd);
	s = scaled_kept(a, p, aliased, keep, sd, &r);
	if (r > 0 && mq_cholesky(s, r) != 0)
		return -1;

	/* coefficients and the diagonal of the inverse */
	for (j = 0; j < p; j++)
	{
		coef[off + j] = fit_nan();
		covdiag[off + j] = fit_nan();
	}
	if (r > 0)
	{
		double	   *b = palloc(sizeof(double) * r);

		for (i = 0; i < r; i++)
			b[i] = rhs[keep[i]] / sd[i];
		mq_cholesky_solve(s, r, b, 1);
		mq_cholesky_inverse(s, r);	/* s is now the full inverse of the scaled matrix */
		for (i = 0; i < r; i++)
		{
			coef[off + keep[i]] = b[i] / sd[i];
			covdiag[off + keep[i]] = s[i + (Size) i * r] / (sd[i] * sd[i]);
		}
		if (fp->intercept)
		{
			double		b0 = fp->mt,
						v0 = 1.0 / fp->w;

			for (i = 0; i < r; i++)
			{
				double		mi = fp->mean[keep[i]] / sd[i];

				b0 -= fp->mean[keep[i]] * coef[off + keep[i]];
				for (j = 0; j < r; j++)
					v0 += mi * s[i + (Size) j * r] * fp->mean[keep[j]] / sd[j];
			}
			coef[0] = b0;
			covdiag[0] = v0;
		}
		pfree(b);
	}
	else if (fp->intercept)
	{
		coef[0] = fp->mt;
		covdiag[0] = 1.0 / fp->w;
	}
	return r + off;
}

/* Condition number of the weighted design matrix from its moments. */
double
fit_condition(int p, bool intercept, double w, const double *mean, const double *c)
{
	int			k = p + (intercept ? 1 : 0);
	int			rows = intercept ? k : p + 1;
	double	   *rc = palloc(sizeof(double) * Max((Size) p * p, 1));
	double	   *m = palloc0(sizeof(double) * (Size) rows * k);
	double	   *y = palloc0(sizeof(double) * Max(rows, k));
	double	   *sv = palloc(sizeof(double) * k);
	double		sw = sqrt(w);
	int			i,
				j,
				off = intercept ? 1 : 0;

	if (!(w > 0.0))
		return get_float8_nan();

	/*
	 * The design X (rows scaled by sqrt(w)) has the same singular values as
	 * any M with M'M = X'X.  With an intercept, M = [sqrt(W), sqrt(W) m';
	 * 0, R] where R'R = C; without, M = [R; sqrt(W) m'].  Taking singular
	 * values of M does not square the condition number the way the
	 * eigenvalues of X'X would.
	 */
	memcpy(rc, c, sizeof(double) * p * p);
	if (mq_cholesky(rc, p) != 0)
	{
		/* C is singular: so is X with an intercept; without, a constant column can be fine */
		double	   *g;
		double		cond;

		if (intercept)
			return get_float8_infinity();
		g = palloc0(sizeof(double) * k * k);
		for (j = 0; j < p; j++)
			for (i = 0; i <= j; i++)
				g[i + (Size) j * k] = c[i + (Size) j * p] + w * mean[i] * mean[j];
		cond = mq_sym_condition(g, k);
		return isinf(cond) || isnan(cond) ? cond : sqrt(cond);
	}
	if (intercept)
	{
		m[0] = sw;
		for (j = 0; j < p; j++)
			m[0 + (Size) (j + 1) * rows] = sw * mean[j];
	}
	for (j = 0; j < p; j++)
	{
		for (i = 0; i <= j; i++)
			m[(i + off) + (Size) (j + off) * rows] = rc[i + (Size) j * p];
		if (!intercept)
			m[p + (Size) j * rows] = sw * mean[j];
	}
	mq_lstsq(m, rows, k, y, -1.0, sv);
	if (!(sv[k - 1] > 0.0))
		return get_float8_infinity();
	return sv[0] / sv[k - 1];
}
