/*-------------------------------------------------------------------------
 *
 * mq_budget.h
 *	  Budget allocation: response curves (marketiq.response, fitted by the
 *	  response_curve aggregates) and the exact optimiser that splits a
 *	  budget between channels under per-channel bounds.
 *
 * A response curve f(spend) says how much outcome (conversions, revenue)
 * a channel returns for a period's spend.  Three concave forms, all zero at
 * zero spend:
 *	  power	 f = a * spend^b						(0 < b <= 1)
 *	  log	 f = a * ln(1 + spend / c)				(a > 0, c > 0)
 *	  hill	 f = top * spend^s / (k^s + spend^s)	(top > 0, k > 0, 0 < s <= 1)
 *
 * The aggregate keeps the (spend, outcome) points (16 bytes each) and the
 * final function fits them (fit.c); curve.c has the type, the aggregate
 * and the readers; allocate.c the optimiser; plan.c the table-level
 * budget_plan.  Everything below works on MqCurve, the decoded form.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_BUDGET_H
#define MQ_BUDGET_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "mq_model.h"

/* The forms, in the order of their names in mq_curve_form_names. */
typedef enum MqCurveForm
{
	MQ_CURVE_POWER = 0,
	MQ_CURVE_LOG = 1,
	MQ_CURVE_HILL = 2
} MqCurveForm;

#define MQ_CURVE_NFORMS 3

/* "power", "log", "hill", NULL (for mq_check_choice) */
extern const char *const mq_curve_form_names[];

/*
 * A power exponent b within this of 1 counts as 1 (a linear curve): a fit of
 * exactly linear data gives 1 up to rounding, possibly just above.
 */
#define MQ_CURVE_B_ROUNDING 1e-12

/* number of parameters of each form */
extern const int mq_curve_nparams[MQ_CURVE_NFORMS];

/* A fitted response curve. */
typedef struct MqCurve
{
	MqCurveForm form;			/* which formula */
	double		p[3];			/* power: a, b; log: a, c; hill: top, k, s */
	int64		rows;			/* points the aggregate received */
	int64		n;				/* points the fit used */
	double		r2;				/* R^2 on the scale of the fit (NaN if undefined) */
	bool		converged;		/* the fit converged (always true for power) */
	int64		iterations;		/* iterations of the nonlinear fit (0 for power) */
	double		spend_min;		/* smallest spend among the points used */
	double		spend_max;		/* largest spend among the points used */
} MqCurve;

/* Sections of a marketiq.response value. */
enum
{
	RC_FORM,					/* text: form name, "" for an empty state */
	RC_ROWS,					/* int64: points received */
	RC_SPEND,					/* float8[]: kept spends (a state); empty once fitted */
	RC_OUTCOME,					/* float8[]: kept outcomes, parallel to spend */
	RC_PARAMS,					/* float8[]: fitted parameters; empty in a state */
	RC_N,						/* int64: points used by the fit */
	RC_R2,						/* float8: R^2 of the fit */
	RC_CONVERGED,				/* int64: 1 if the fit converged */
	RC_ITERATIONS,				/* int64: iterations of the fit */
	RC_SPEND_MIN,				/* float8: spend range of the points used */
	RC_SPEND_MAX,
	RC_NSECT
};

extern const MqKind mq_response_kind;

/* ---- points (the aggregate's state, and budget_plan's per-channel buffers) ---- */

typedef struct MqPoints
{
	double	   *spend;			/* spends, in arrival order */
	double	   *outcome;		/* outcomes, parallel */
	int64		n;				/* points held */
	int64		cap;			/* allocated slots */
} MqPoints;

/* Validate one spend or outcome value (`what`): finite, non-negative.  ERROR otherwise. */
extern void mq_points_check(double v, const char *what);

/* Append a point, growing in CurrentMemoryContext (the caller checks the size). */
extern void mq_points_add(MqPoints *pts, double spend, double outcome);

/* Bytes held by a points buffer, for mq_check_state_size. */
static inline Size
mq_points_bytes(const MqPoints *pts)
{
	return (Size) pts->cap * 2 * sizeof(double);
}

/* ---- fitting (fit.c) ---- */

/*
 * Fit a curve of `form` to n points (not modified; copied and sorted first,
 * so the fit does not depend on their order).  ERROR on too few or
 * degenerate points; WARNING when the estimate is not concave or the
 * nonlinear fit did not converge.  c->rows is set to n.
 */
extern void mq_curve_fit(MqCurveForm form, const double *spend, const double *outcome,
						 int64 n, MqCurve *c);

/* f(x) and f'(x) for x >= 0. */
extern double mq_curve_value(const MqCurve *c, double x);
extern double mq_curve_marginal(const MqCurve *c, double x);

/* Is the curve concave and non-decreasing on [0, inf)?  If not, *why gets a reason. */
extern bool mq_curve_concave(const MqCurve *c, const char **why);

/* ---- model values (curve.c) ---- */

/* The flat value of a fitted curve. */
extern MqModel *mq_curve_model(const MqCurve *c);

/* Decode a value: a fitted one is read, a state (kept points) is fitted now. */
extern void mq_curve_decode(const MqModel *m, MqCurve *c);

/* The form named by a string of len bytes; ERROR naming the choices if unknown. */
extern MqCurveForm mq_curve_form_parse(const char *name, int len);

/* ---- allocation (allocate.c) ---- */

/*
 * Maximise sum f_c(x_c) subject to sum x_c = budget, lo_c <= x_c <= hi_c
 * (hi may be +inf).  Curves must be concave (checked; ERROR naming the
 * channel otherwise), bounds feasible (checked by the caller).  x gets the
 * spends.
 */
extern void mq_allocate(int nch, const MqCurve *curves, const char *const *names,
						double budget, const double *lo, const double *hi, double *x);

/* WARNING naming the channels whose planned spend lies beyond their curve's data. */
extern void mq_warn_extrapolation(int nch, const char *const *names, const MqCurve *curves,
								  const double *x);

/*
 * Validate a budget and optional bound arrays for nch channels (NULL arrays:
 * 0 and +inf) and return the bounds in *lo and *hi (palloc'd).  `names`
 * lists the channels for error details.
 */
extern void mq_budget_bounds(int nch, const char *const *names, double budget,
							 ArrayType *min_spend, ArrayType *max_spend,
							 double **lo, double **hi);

#endif							/* MQ_BUDGET_H */
