/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  Dense linear algebra through OpenBLAS (BLAS and LAPACK).
 *
 * We call the Fortran entry points directly (Debian's OpenBLAS exports the
 * whole of LAPACK; lapacke is a separate package we do not need) and pass the
 * hidden string-length arguments gfortran expects.  Every workspace query is
 * answered with palloc'd memory, so nothing leaks on ERROR.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "mq_linalg.h"

/* Fortran BLAS/LAPACK entry points (character arguments carry a hidden length) */
extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
				   const double *alpha, const double *a, const int *lda,
				   const double *beta, double *c, const int *ldc, size_t, size_t);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
					const int *lda, double *b, const int *ldb, int *info, size_t);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
					double *w, double *work, const int *lwork, int *iwork, const int *liwork,
					int *info, size_t, size_t);
extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
				   double *b, const int *ldb, int *info);
extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda,
					double *b, const int *ldb, double *s, const double *rcond, int *rank,
					double *work, const int *lwork, int *iwork, int *info);

/* Error unless p is a dimension we factorise. */
static void
check_dim(int p)
{
	if (p < 1 || p > MQ_MAX_DENSE_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("matrix dimension %d is out of range", p),
				 errdetail("Dense matrices may have from 1 to %d rows and columns.",
						   MQ_MAX_DENSE_DIM)));
}

/* Report a LAPACK argument error, which can only be a bug of ours. */
static void
check_info(int info, const char *routine)
{
	if (info < 0)
		elog(ERROR, "LAPACK %s: argument %d had an illegal value", routine, -info);
}

/* Set up a Gram accumulator over caller-owned storage (zeroed here). */
void
mq_gram_init(MqGram *g, int p, int block, double *sum)
{
	check_dim(p);
	g->p = p;
	g->block = Max(block, 1);
	g->nbuf = 0;
	g->buf = palloc(sizeof(double) * g->block * p);
	g->sum = sum;
	memset(sum, 0, sizeof(double) * p * p);
}

/* Add w * x x' (w >= 0). */
void
mq_gram_add(MqGram *g, const double *x, double w)
{
	double	   *row = g->buf + (Size) g->nbuf * g->p;
	double		s = (w == 1.0) ? 1.0 : sqrt(w);
	int			j;

	if (s == 1.0)
		memcpy(row, x, sizeof(double) * g->p);
	else
		for (j = 0; j < g->p; j++)
			row[j] = s * x[j];
	if (++g->nbuf == g->block)
		mq_gram_flush(g);
}

/* Add the buffered rows to the sum. */
void
mq_gram_flush(MqGram *g)
{
	if (g->nbuf > 0)
		mq_syrk_rows(g->sum, g->p, g->buf, g->nbuf, 1.0);
	g->nbuf = 0;
}

/* c += alpha * rows' rows for nrows row-major rows of width p (upper triangle). */
void
mq_syrk_rows(double *c, int p, const double *rows, int nrows, double alpha)
{
	const double one = 1.0;

	if (nrows <= 0)
		return;
	/* row-major nrows x p is column-major p x nrows = A; rows' rows = A A' */
	dsyrk_("U", "N", &p, &nrows, &alpha, rows, &p, &one, c, &p, 1, 1);
}

/* Copy the upper triangle into the lower one. */
void
mq_symmetrize(double *a, int p)
{
	int			i,
				j;

	for (j = 0; j < p; j++)
		for (i = j + 1; i < p; i++)
			a[i + (Size) j * p] = a[j + (Size) i * p];
}

/* Cholesky factorisation in place (upper); 0 or the failing minor. */
int
mq_cholesky(double *a, int p)
{
	int			info;

	check_dim(p);
	dpotrf_("U", &p, a, &p, &info, 1);
	check_info(info, "dpotrf");
	return info;
}

/* Solve with a Cholesky factor. */
void
mq_cholesky_solve(const double *r, int p, double *b, int nrhs)
{
	int			info;

	check_dim(p);
	dpotrs_("U", &p, &nrhs, r, &p, b, &p, &info, 1);
	check_info(info, "dpotrs");
}

/* Inverse from a Cholesky factor, full matrix. */
void
mq_cholesky_inverse(double *r, int p)
{
	int			info;

	check_dim(p);
	dpotri_("U", &p, r, &p, &info, 1);
	check_info(info, "dpotri");
	if (info > 0)
		elog(ERROR, "LAPACK dpotri: factor is singular at %d", info);
	mq_symmetrize(r, p);
}

/* Eigenvalues (ascending) of a symmetric matrix. */
int
mq_sym_eigen(double *a, int p, double *w, bool vectors)
{
	int			info;
	int			lwork = -1,
				liwork = -1,
				iwq;
	double		wq;
	double	   *work;
	int		   *iwork;
	const char *jobz = vectors ? "V" : "N";

	check_dim(p);
	dsyevd_(jobz, "U", &p, a, &p, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
	check_info(info, "dsyevd");
	lwork = (int) wq;
	liwork = iwq;
	work = palloc(sizeof(double) * Max(lwork, 1));
	iwork = palloc(sizeof(int) * Max(liwork, 1));
	dsyevd_(jobz, "U", &p, a, &p, w, work, &lwork, iwork, &liwork, &info, 1, 1);
	check_info(info, "dsyevd");
	pfree(work);
	pfree(iwork);
	return info;
}

/* 2-norm condition number of a symmetric positive semi-definite matrix. */
double
mq_sym_condition(const double *a, int p)
{
	double	   *copy = palloc(sizeof(double) * p * p);
	double	   *w = palloc(sizeof(double) * p);
	double		cond;

	memcpy(copy, a, sizeof(double) * p * p);
	if (mq_sym_eigen(copy, p, w, false) != 0)
		cond = get_float8_nan();
	else if (w[0] <= 0.0 || w[p - 1] <= 0.0)
		cond = get_float8_infinity();
	else
		cond = w[p - 1] / w[0];
	pfree(copy);
	pfree(w);
	return cond;
}

/* Solve a general square system by LU with partial pivoting. */
int
mq_solve(double *a, int n, double *b, int nrhs)
{
	int		   *ipiv;
	int			info;

	check_dim(n);
	ipiv = palloc(sizeof(int) * n);
	dgesv_(&n, &nrhs, a, &n, ipiv, b, &n, &info);
	check_info(info, "dgesv");
	pfree(ipiv);
	return info;
}

/* Minimum-norm least squares by SVD; returns the rank. */
int
mq_lstsq(double *x, int n, int p, double *y, double rcond, double *sv)
{
	int			one = 1;
	int			ldb = Max(n, p);
	int			rank,
				info,
				lwork = -1,
				iwq;
	double		wq;
	double	   *work;
	int		   *iwork;

	check_dim(p);
	if (n < 1)
		elog(ERROR, "least squares needs at least one row");
	dgelsd_(&n, &p, &one, x, &n, y, &ldb, sv, &rcond, &rank, &wq, &lwork, &iwq, &info);
	check_info(info, "dgelsd");
	lwork = (int) wq;
	work = palloc(sizeof(double) * Max(lwork, 1));
	iwork = palloc(sizeof(int) * Max(iwq, 1));
	dgelsd_(&n, &p, &one, x, &n, y, &ldb, sv, &rcond, &rank, work, &lwork, iwork, &info);
	check_info(info, "dgelsd");
	if (info > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("singular value decomposition did not converge")));
	pfree(work);
	pfree(iwork);
	return rank;
}
