/*-------------------------------------------------------------------------
 *
 * mq_fits.h
 *	  Linear and logistic regression (src/fits): the pieces the three files
 *	  of the module share.
 *
 * moments.c   FitMoments, a weighted accumulator of means and centred
 *             cross-products (the sufficient statistics of a least-squares
 *             fit), added to in BLAS blocks and merged exactly across
 *             parallel states;
 * solve.c     the normal-equation solver on those moments, with collinear
 *             columns detected and dropped, and the design's condition number;
 * irls.c      the Newton/IRLS loop of logistic regression, run either over
 *             the distinct rows an aggregate kept in memory (logreg.c) or one
 *             SQL pass per iteration (logreg_train.c), and the model value
 *             both produce;
 * linreg.c, logreg.c, logreg_train.c: the SQL types, aggregates and readers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_FITS_H
#define MQ_FITS_H

#include "postgres.h"

#include "mq_model.h"

/* the widest x array a fit accepts */
#define FIT_MAX_FEATURES 1000

/* a slope whose column keeps less than this share of its variance after the earlier columns is dropped */
#define FIT_COLLINEAR_TOL 1e-10

/* ------------------------------------------------------------- moments.c */

/*
 * Weighted moments of vectors v of width q: the sum of weights W, the
 * weighted mean m and the centred cross-products C = sum w (v - m)(v - m)'.
 * Rows are buffered, shifted by the running mean, and folded in per block
 * (BLAS dsyrk, then the exact pairwise update of Chan, Golub and LeVeque);
 * the buffer starts small and doubles, so a state of a small GROUP BY group
 * stays small.  All memory comes from the context current at init.
 */
typedef struct FitMoments
{
	int			q;				/* vector width */
	double		w;				/* sum of weights folded in */
	double	   *mean;			/* q weighted means */
	double	   *m2;				/* q x q centred cross-products, column-major, upper triangle */
	int			cap;			/* rows the buffer holds now */
	int			nbuf;			/* rows buffered, not yet folded in */
	double	   *buf;			/* cap x q buffered rows, row-major: sqrt(w) (v - shift) */
	double	   *sbuf;			/* their sqrt(w) */
	double	   *shift;			/* q: what buffered rows are shifted by (the mean, or the first row) */
	double	   *bsum;			/* q: sum of w (v - shift) over the buffered rows */
	double		bw;				/* sum of w over the buffered rows */
	double	   *delta;			/* q scratch */
} FitMoments;

extern void fit_moments_init(FitMoments *m, int q);
/* buffer one row v with weight w > 0 */
extern void fit_moments_add(FitMoments *m, const double *v, double w);
/* fold the buffered rows in */
extern void fit_moments_flush(FitMoments *m);
/* fold in moments given as (w, mean, packed upper triangle of the cross-products) */
extern void fit_moments_merge(FitMoments *m, double w, const double *mean, const double *packed);
/* number of doubles in the packed upper triangle of a q x q matrix */
#define FIT_PACKED_LEN(q) ((Size) (q) * ((q) + 1) / 2)
/* packed upper triangle (column by column) of a column-major q x q matrix, and back */
extern void fit_pack_upper(const double *a, int q, double *packed);
extern void fit_unpack_upper(const double *packed, int q, double *a);
/* bytes a FitMoments of width q holds at most (for size checks) */
extern Size fit_moments_bytes(int q);

/* --------------------------------------------------------------- solve.c */

/*
 * A weighted least-squares problem given by moments: regress a target t on
 * p slopes x (plus an intercept when `intercept`) with total weight w, x
 * means mean[p], x centred cross-products c (p x p, upper), centred cross
 * products of x with t ct[p], and t's mean mt.  (Newton's step of logistic
 * regression has this form too: see irls.c.)
 */
typedef struct FitProblem
{
	int			p;				/* slopes */
	bool		intercept;		/* fit an intercept */
	double		w;				/* total weight */
	const double *mean;			/* p means of x */
	const double *c;			/* p x p centred cross-products of x, upper */
	const double *ct;			/* p centred cross-products of x and t */
	double		mt;				/* mean of t */
	int64		nrows;			/* rows behind the moments: at most nrows coefficients are estimable */
} FitProblem;

/*
 * Solve it.  aliased[p] marks slopes left out: with `detect`, it is set here
 * (constant columns and columns collinear with earlier ones); otherwise it
 * is taken as given; with `detect`, columns beyond the first nrows
 * coefficients are dropped too (n rows cannot determine more).  coef[k] gets the coefficients (intercept first when
 * present; NaN for left-out slopes) and covdiag[k] the diagonal of the
 * inverse of the normal-equation matrix (NaN for left-out slopes).  Returns
 * the number of coefficients estimated, or -1 when the matrix of the kept
 * columns is not positive definite (only possible without `detect`).
 */
extern int	fit_solve(const FitProblem *fp, bool detect, bool *aliased,
					  double *coef, double *covdiag);

/*
 * 2-norm condition number of the weighted design matrix (with its column of
 * ones when `intercept`) from its moments, as statsmodels' condition_number:
 * the ratio of its largest to smallest singular value, computed from a
 * triangular factor without squaring; Infinity when it is singular.
 */
extern double fit_condition(int p, bool intercept, double w, const double *mean, const double *c);

/* NaN */
extern double fit_nan(void);

/* columns.c: features as separate arguments (VARIADIC "any"); -1 when one is NULL */
extern int	fit_columns_arg(FunctionCallInfo fcinfo, int first, double *x);

/* linreg.c, shared with logreg: */
/* WARNING listing the features a fit dropped as constant or collinear (none: nothing) */
extern void fit_warn_dropped(const char *model, const bool *aliased, int p, bool intercept);
/* the x argument of predict, validated and checked against the model's p features */
extern const double *fit_predict_x(FunctionCallInfo fcinfo, int argno, int p);

/* ---------------------------------------------------------------- irls.c */

/* What one pass over the data at coefficients beta returns. */
typedef struct LogregPass
{
	int64		n;				/* rows used (positive weight, no NULLs) */
	int64		skipped;		/* rows skipped for a NULL */
	double		sum_w;			/* total prior weight */
	double		sum_w1;			/* prior weight of rows with y true */
	double		loglik;			/* log-likelihood at beta */
	double		extreme_w;		/* prior weight of rows whose fitted probability is within 1e-8 of y */
	FitMoments	mom;			/* moments of x, weighted by w * mu (1 - mu) */
	double		g0;				/* sum w (y - mu): score of the intercept */
	double	   *gx;				/* p: sum w (y - mu) x: score of the slopes */
} LogregPass;

/* start a pass (allocating in CurrentMemoryContext) */
extern void logreg_pass_init(LogregPass *ps, int p);
/* add a row or a cell of identical rows: x, prior weight with y true (w1) and false (w0) */
extern void logreg_pass_add(LogregPass *ps, const double *x, const double *beta, bool intercept,
							double w1, double w0);

/* A pass over the data at beta, filling *out (initialised by the callee). */
typedef void (*LogregPassFn) (void *ctx, const double *beta, LogregPass *out);

/* The model value a logistic fit produces. */
extern struct MqModel *logreg_fit(int p, bool intercept, LogregPassFn pass, void *ctx,
								  int max_iter, double tol);

extern const MqKind mq_linreg_kind;
extern const MqKind mq_logreg_kind;

/* sections of marketiq.logreg (logreg.c) */
enum
{
	LG_P,						/* int64: number of features (x length); 0 = not seen yet */
	LG_INTERCEPT,				/* int64: 1 with an intercept, 0 without */
	LG_N,						/* int64: rows used */
	LG_SKIPPED,					/* int64: rows skipped for a NULL y, x, x element or weight */
	LG_SUM_W,					/* float8: total weight */
	LG_SUM_W1,					/* float8: weight of rows with y true */
	LG_CELL_X,					/* float8[]: state: distinct x vectors, row-major (cells x p) */
	LG_CELL_W1,					/* float8[]: state: per cell, weight of rows with y true */
	LG_CELL_W0,					/* float8[]: state: per cell, weight of rows with y false */
	LG_FITTED,					/* int64: 1 for a fitted model, 0 for an aggregate state */
	LG_COEF,					/* float8[k]: fitted: coefficients, intercept first; NaN = dropped */
	LG_STD_ERR,					/* float8[k]: fitted: standard errors */
	LG_RANK,					/* int64: fitted: coefficients estimated */
	LG_LOGLIK,					/* float8: fitted: log-likelihood */
	LG_ITERATIONS,				/* int64: fitted: Newton iterations */
	LG_CONVERGED,				/* int64: fitted: 1 when the deviance converged and no separation */
	LG_SEPARATION,				/* int64: fitted: 0 none, 1 quasi-complete, 2 complete */
	LG_COND,					/* float8: fitted: condition number of the design */
	LG_NSECT
};

#define LOGREG_SEP_NONE 0
#define LOGREG_SEP_QUASI 1
#define LOGREG_SEP_COMPLETE 2

#endif							/* MQ_FITS_H */
