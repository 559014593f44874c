/*-------------------------------------------------------------------------
 *
 * mq_clv.h
 *	  Customer value (src/clv): declarations shared by the files of the
 *	  module -- the cell tables that BG/NBD and Pareto/NBD states are built
 *	  from, the maximum-likelihood driver, the transaction-model formulas
 *	  that the CLV function reuses, and streaming SPI for the table-level
 *	  reports.
 *
 * A customer is summarised, in the standard form of the buy-till-you-die
 * literature, by (frequency x, recency t_x, age T): x repeat purchases, the
 * last of them at time t_x after the first purchase, observed for T time
 * units since the first purchase.  The time unit is whatever the caller
 * chose (marketiq.clv_summary offers day, week and month); every parameter
 * with a time dimension (alpha, beta) and every horizon is in that unit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_CLV_H
#define MQ_CLV_H

#include "postgres.h"
#include "fmgr.h"
#include "executor/tuptable.h"

#include "mq_hash.h"
#include "mq_model.h"
#include "mq_util.h"

/* model kind ids of this module (30 to 39) */
#define CLV_KIND_BGNBD		30
#define CLV_KIND_PARETONBD	31
#define CLV_KIND_GAMMAGAMMA 32

/* ---- cell tables: states of the transaction-model aggregates (cells.c) ---- */

/*
 * Sections of a transaction model (bgnbd, paretonbd).  Both kinds share the
 * layout; only the names of the four parameters differ.  A value is either
 * a state (fitted = 0: the cells, parameters NaN) or a fitted model
 * (fitted = 1: the parameters, no cells).
 */
enum
{
	CS_N,						/* int64: customers (rows) in the cells */
	CS_SKIPPED,					/* int64: rows skipped because an input was NULL */
	CS_PENALIZER,				/* float8: L2 penalizer (-1: not known yet, no row seen) */
	CS_FITTED,					/* int64: 1 for a fitted model, 0 for a state */
	CS_P1,						/* float8: r */
	CS_P2,						/* float8: alpha */
	CS_P3,						/* float8: a (bgnbd) or s (paretonbd) */
	CS_P4,						/* float8: b (bgnbd) or beta (paretonbd) */
	CS_LL,						/* float8: log-likelihood at the estimate */
	CS_ITER,					/* int64: optimiser iterations */
	CS_CONVERGED,				/* int64: 1 when the optimiser met its tolerance */
	CS_X,						/* float8[]: per cell, frequency */
	CS_TX,						/* float8[]: per cell, recency */
	CS_T,						/* float8[]: per cell, age T */
	CS_COUNT,					/* int64[]: per cell, customers */
	CS_NSECT
};

/* In-memory state: distinct (x, t_x, T) cells with their customer counts. */
typedef struct ClvCells
{
	MqState		hdr;			/* expanded-object header, first */
	int64		n;				/* customers added */
	int64		skipped;		/* rows with a NULL input */
	double		penalizer;		/* -1 until the first row sets it */
	MqAccum		cells;			/* key: bits of (x, t_x, T); value: customers */
} ClvCells;

/* The cells of a state as plain arrays, sorted by (x, t_x, T). */
typedef struct ClvCellArrays
{
	int			k;				/* number of cells */
	double	   *x;				/* frequency */
	double	   *tx;				/* recency */
	double	   *T;				/* age */
	double	   *w;				/* customers in the cell */
	double		total;			/* sum of w */
} ClvCellArrays;

extern void clv_cells_init(MqState *s);
extern void clv_cells_merge(MqState *s, const MqModel *m);
extern MqModel *clv_cells_flatten(MqState *s);
extern void clv_cells_check(const MqKind *kind, const MqModel *m);
/* combine a row's or a partial state's penalizer into *have (first wins, others must equal it) */
extern void clv_merge_penalizer(double *have, double pen, const char *kindname);
/* the shared transition body: (state, frequency, recency, t [, penalizer]) */
extern Datum clv_cells_trans(FunctionCallInfo fcinfo, const MqKind *kind, bool has_penalizer);
/* sorted copies of a state's cells, palloc'd in CurrentMemoryContext */
extern void clv_cells_arrays(ClvCells *c, ClvCellArrays *out);
/* the flat fitted model */
extern MqModel *clv_cells_fitted(const MqKind *kind, const ClvCells *c, const double *par,
								 double ll, int iterations, bool converged);
/* a fitted model argument: ERROR for a state that was never fitted */
extern const MqModel *clv_fitted_arg(FunctionCallInfo fcinfo, int argno, const MqKind *kind);
/* params() of a fitted transaction model (argument 0) as its row */
extern Datum clv_params_row(FunctionCallInfo fcinfo, const MqKind *kind);

/*
 * Validate one customer summary (x, t_x, T), or only a frequency: ERROR
 * with the offending values when it is not a possible summary.
 */
extern void clv_check_summary(double x, double tx, double T);
extern void clv_check_frequency(double x);

/* ---- maximum likelihood (mle.c) ---- */

/*
 * Objective to minimise over unconstrained theta[k] (log-parameters): its
 * value, and its gradient in grad[k] when grad is not NULL.  Return a
 * non-finite value for points outside the domain.
 */
typedef double (*ClvObjective) (const double *theta, double *grad, void *arg);

typedef struct ClvFitResult
{
	int			iterations;		/* optimiser iterations */
	bool		converged;		/* gradient norm below the tolerance */
	double		value;			/* objective at the estimate */
	double		gradnorm;		/* Euclidean norm of the gradient there */
	int			boundary;		/* a parameter that ran off to 0 or infinity, or -1 */
} ClvFitResult;

/*
 * Minimise fn from theta (k <= 8 parameters), BFGS with analytic gradients
 * (GSL vector_bfgs2), falling back to the simplex method when BFGS cannot
 * make progress.  theta receives the best point found.  scale[i] is the
 * natural size of parameter i (1 for a dimensionless one, the data's time
 * scale for alpha): an estimate beyond 1e6 times or below 1e-6 times it is
 * at the edge of the parameter space (the likelihood keeps rising towards
 * 0 or infinity), which counts as not converged.
 */
extern void clv_minimize(int k, double *theta, ClvObjective fn, void *arg,
						 const char *what, const double *scale, ClvFitResult *res);

/* Warn (with the last estimate) when a fit did not converge. */
extern void clv_warn_not_converged(const char *what, const ClvFitResult *res,
								   const char *const *names, const double *par, int k);

/* log of the Gauss hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 (series, else GSL, checked) */
extern double clv_log_hyp2f1(double a, double b, double c, double z);

/* ---- transaction-model formulas (bgnbd.c, paretonbd.c) for the CLV function ---- */

/* E[purchases in (T, T + t]] of a customer (x, t_x, T) under BG/NBD parameters par[4]. */
extern double clv_bgnbd_conditional(const double *par, double x, double tx, double T, double t);
/* the same under Pareto/NBD parameters par[4] (r, alpha, s, beta) */
extern double clv_pnbd_conditional(const double *par, double x, double tx, double T, double t);
/* the parameters of a fitted model value */
extern void clv_model_params(const MqModel *m, double *par);

/* Gamma-Gamma (gammagamma.c): expected spend per transaction of a customer */
extern double clv_gg_expected_spend(const double *par, double x, double zbar);
/* (p, q, gamma) of the fitted model in argument argno */
extern void clv_gg_params(FunctionCallInfo fcinfo, int argno, double *par);
/* validate a (frequency, monetary) pair */
extern void clv_gg_check_input(double x, double z);

extern const MqKind clv_bgnbd_kind;
extern const MqKind clv_pnbd_kind;
extern const MqKind clv_gg_kind;

#endif							/* MQ_CLV_H */
