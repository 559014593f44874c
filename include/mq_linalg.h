/*-------------------------------------------------------------------------
 *
 * mq_linalg.h
 *	  Thin, safe wrappers over BLAS and LAPACK (OpenBLAS) for the dense
 *	  linear algebra marketiq needs.
 *
 * Conventions: matrices are column-major (LAPACK's order) with leading
 * dimension equal to their row count; symmetric matrices are stored whole
 * (p x p) and only the upper triangle is read unless a function says
 * otherwise.  All workspace is palloc'd, so an ERROR leaks nothing.  Sizes are
 * int because Debian's OpenBLAS uses 32-bit LAPACK integers; every wrapper
 * checks that p * p fits.  A LAPACK argument error (info < 0) is a bug and is
 * reported with elog; numerical outcomes (info > 0) are returned to the
 * caller, who knows what they mean for its model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_LINALG_H
#define MQ_LINALG_H

/* the largest dimension of a dense matrix we factorise (p*p doubles must stay far below 1 GB) */
#define MQ_MAX_DENSE_DIM 10000

/*
 * Gram-matrix accumulator: sums w * x x' over rows x of width p, buffering
 * rows into blocks and adding each full block with one BLAS dsyrk call.
 * The caller owns `sum` (p x p, column-major, upper triangle accumulated) so
 * that it can live inside a model state.
 */
typedef struct MqGram
{
	int			p;				/* row width */
	int			block;			/* rows per buffered block */
	int			nbuf;			/* rows currently buffered */
	double	   *buf;			/* block x p buffered rows, each already scaled by sqrt(w) */
	double	   *sum;			/* p x p accumulated sum (caller's storage) */
} MqGram;

extern void mq_gram_init(MqGram *g, int p, int block, double *sum);
extern void mq_gram_add(MqGram *g, const double *x, double w);
extern void mq_gram_flush(MqGram *g);

/* c (p x p, upper) += alpha * rows' rows for `nrows` row-major rows of width p */
extern void mq_syrk_rows(double *c, int p, const double *rows, int nrows, double alpha);

/* copy the upper triangle of a p x p matrix into its lower triangle */
extern void mq_symmetrize(double *a, int p);

/* Cholesky a = R'R in place (upper); returns 0, or k > 0 when the leading minor k is not positive definite */
extern int	mq_cholesky(double *a, int p);

/* solve a x = b given the Cholesky factor from mq_cholesky; b is p x nrhs, overwritten by x */
extern void mq_cholesky_solve(const double *r, int p, double *b, int nrhs);

/* inverse of a from its Cholesky factor, in place, full (both triangles) */
extern void mq_cholesky_inverse(double *r, int p);

/* eigenvalues (ascending) of symmetric a into w; a is destroyed (holds eigenvectors if vectors) */
extern int	mq_sym_eigen(double *a, int p, double *w, bool vectors);

/* 2-norm condition number of a symmetric positive semi-definite matrix (Inf if singular) */
extern double mq_sym_condition(const double *a, int p);

/* solve the general square system a x = b by LU; returns 0 or k > 0 when a is singular */
extern int	mq_solve(double *a, int n, double *b, int nrhs);

/*
 * Minimum-norm least squares min ||x b - y|| by SVD (dgelsd): x is n x p,
 * column-major, destroyed; y has max(n, p) elements and receives b in its
 * first p; singular values go to sv (min(n, p)); rcond as in LAPACK (< 0:
 * machine precision).  Returns the effective rank.
 */
extern int	mq_lstsq(double *x, int n, int p, double *y, double rcond, double *sv);

#endif							/* MQ_LINALG_H */
