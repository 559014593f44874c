/*-------------------------------------------------------------------------
 *
 * fit.c
 *	  Fitting a response curve to (spend, outcome) points, and evaluating
 *	  it: the value, the marginal return and the concavity test.
 *
 * The points are copied and sorted by (spend, outcome) first, so a fit
 * never depends on the order the rows arrived in (serial and parallel plans
 * give the same bits).
 *
 * power:  outcome = a * spend^b.  Ordinary least squares of ln(outcome) on
 *	  ln(spend) over the points with spend > 0 and outcome > 0 (the others
 *	  have no logarithm), in closed form with centred sums: b = Sxy / Sxx,
 *	  ln a = mean(ln y) - b mean(ln x).  Exact; R^2 is that of the log-log
 *	  regression.
 *
 * log and hill:  nonlinear least squares on the original scale over every
 *	  point (a point at zero spend is predicted as zero), with GSL's
 *	  trust-region solver (gsl_multifit_nlinear, Levenberg-Marquardt, More
 *	  scaling, QR) and an analytic Jacobian.  See the essay above nls_fit.
 *
 * Estimates outside the concave range (b outside (0, 1], a negative slope,
 * an S-shaped hill with s > 1) are returned as they are, with a WARNING and
 * a hint: the fit describes the data; allocate_budget refuses such curves.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_budget.h"
#include "mq_check.h"
#include "mq_gsl.h"
#include "mq_util.h"

const char *const mq_curve_form_names[] = {"power", "log", "hill", NULL};
const int	mq_curve_nparams[MQ_CURVE_NFORMS] = {2, 2, 3};

/* iteration limit of the nonlinear fits */
#define NLS_MAXITER 500

/* a fitted log c or hill k beyond this many times the largest spend: no saturation in the data */
#define FAR_BEYOND_DATA 1000.0

/*
 * The fit stops (not converged) once log's c or hill's k leaves [1e-4, 1e4]
 * times the largest spend, or hill's s leaves [1e-3, 1e3]: there the data
 * no longer determine the parameters (a curve that never saturates over the
 * data runs c or k off to infinity, ever more slowly) and further iterations
 * only chase it.
 */
#define SHAPE_LIMIT 9.210340371976184	/* ln 1e4 */
#define LOG_S_LIMIT 6.907755278982137	/* ln 1e3 */

/* One point. */
typedef struct Pt
{
	double		s;				/* spend */
	double		o;				/* outcome */
} Pt;

/* Order points by spend, then outcome. */
static int
pt_cmp(const void *a, const void *b)
{
	const Pt   *x = a;
	const Pt   *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	return 0;
}

/* The points as a sorted array (palloc'd, possibly huge). */
static Pt *
sorted_points(const double *spend, const double *outcome, int64 n)
{
	Pt		   *p = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(Pt) * Max(n, 1));
	int64		i;

	for (i = 0; i < n; i++)
	{
		p[i].s = spend[i];
		p[i].o = outcome[i];
	}
	qsort(p, n, sizeof(Pt), pt_cmp);
	return p;
}

/* ---------------------------------------------------------------- errors */

/* Validate one spend or outcome value. */
void
mq_points_check(double v, const char *what)
{
	mq_check_finite(v, what);
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be negative", what),
				 errdetail("It is %g.", v)));
}

/* Append a point. */
void
mq_points_add(MqPoints *pts, double spend, double outcome)
{
	if (pts->n == pts->cap)
	{
		int64		cap = Max(pts->cap * 2, 64);

		/*
		 * Grow by doubling, but not past what marketiq.max_model_bytes allows
		 * (the caller checks the points against it) nor what one array can hold.
		 */
		cap = Min(cap, Max(pts->n + 1, (int64) mq_max_model_bytes / (int64) (2 * sizeof(double))));
		cap = Min(cap, (int64) (MaxAllocSize / sizeof(double)));
		if (cap <= pts->n)
			mq_check_state_size(MaxAllocSize + (Size) 1, &mq_response_kind, "points");
		if (pts->spend == NULL)
		{
			pts->spend = palloc(sizeof(double) * cap);
			pts->outcome = palloc(sizeof(double) * cap);
		}
		else
		{
			pts->spend = repalloc(pts->spend, sizeof(double) * cap);
			pts->outcome = repalloc(pts->outcome, sizeof(double) * cap);
		}
		pts->cap = cap;
	}
	pts->spend[pts->n] = spend;
	pts->outcome[pts->n] = outcome;
	pts->n++;
}

/* ERROR: too few usable points. */
static void
too_few_points(MqCurveForm form, int64 used, int64 n)
{
	if (form == MQ_CURVE_POWER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a power response curve needs at least 3 points with spend > 0 and outcome > 0"),
				 errdetail("It has " INT64_FORMAT " of " INT64_FORMAT " points.", used, n),
				 errhint("The power form is fitted on log-log scale, where zero has no logarithm: aggregate more periods, or use form 'log' or 'hill', which use points at zero too.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("a %s response curve needs at least 3 points", mq_curve_form_names[form]),
			 errdetail("It has " INT64_FORMAT ".", n),
			 errhint("Aggregate more periods (rows with a NULL spend or outcome are skipped).")));
}

/* ERROR: every point has the same spend. */
static void
same_spend(double s)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("a response curve cannot be fitted to points that all have the same spend"),
			 errdetail("Every point used has spend %g.", s),
			 errhint("A curve needs periods with different spend levels to show how the outcome changes with spend.")));
}

/* ------------------------------------------------------------------ power */

/*
 * Closed-form least squares on log-log scale.  Sums are taken of logarithms
 * shifted by those of the first point used (so equal values give exactly
 * zero deviations), then centred.
 */
static void
fit_power(const Pt *p, int64 n, MqCurve *c)
{
	int64		m = 0,
				i;
	double		u0 = 0,
				v0 = 0,
				mu = 0,
				mv = 0,
				sxx = 0,
				sxy = 0,
				syy = 0,
				sse = 0,
				smin = 0,
				smax = 0,
				b,
				lna;

	for (i = 0; i < n; i++)
	{
		if (p[i].s <= 0 || p[i].o <= 0)
			continue;
		if (m == 0)
		{
			smin = p[i].s;
			u0 = log(p[i].s);
			v0 = log(p[i].o);
		}
		smax = p[i].s;
		mu += log(p[i].s) - u0;
		mv += log(p[i].o) - v0;
		m++;
	}
	if (m < 3)
		too_few_points(MQ_CURVE_POWER, m, n);
	if (smin == smax)
		same_spend(smin);
	mu /= m;
	mv /= m;
	for (i = 0; i < n; i++)
	{
		double		u,
					v;

		if (p[i].s <= 0 || p[i].o <= 0)
			continue;
		u = (log(p[i].s) - u0) - mu;
		v = (log(p[i].o) - v0) - mv;
		sxx += u * u;
		sxy += u * v;
		syy += v * v;
	}
	if (sxx <= 0)
		same_spend(smin);
	b = sxy / sxx;
	/* ln y = ln a + b ln x through the means: ln a = (v0 + mv) - b (u0 + mu) */
	lna = (v0 + mv) - b * (u0 + mu);
	for (i = 0; i < n; i++)
	{
		double		r;

		if (p[i].s <= 0 || p[i].o <= 0)
			continue;
		r = ((log(p[i].o) - v0) - mv) - b * ((log(p[i].s) - u0) - mu);
		sse += r * r;
	}
	c->p[0] = exp(lna);
	c->p[1] = b;
	c->p[2] = 0;
	c->n = m;
	c->r2 = syy > 0 ? 1.0 - sse / syy : get_float8_nan();
	c->converged = true;
	c->iterations = 0;
	c->spend_min = smin;
	c->spend_max = smax;
}

/* ---------------------------------------------------- nonlinear least squares */

/* What the residual and Jacobian callbacks see. */
typedef struct NlsData
{
	MqCurveForm form;			/* MQ_CURVE_LOG or MQ_CURVE_HILL */
	size_t		n;				/* points */
	const double *x;			/* spend / largest spend, in [0, 1] */
	const double *lx;			/* ln x (-inf at zero spend) */
	const double *y;			/* outcome / largest outcome, in [0, 1] */
} NlsData;

/* 1 / (1 + e^-u) and its derivative, without overflow. */
static inline void
sigmoid(double u, double *h, double *dh)
{
	double		e = exp(-fabs(u));	/* in (0, 1] */

	*h = u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
	*dh = e / ((1.0 + e) * (1.0 + e));
}

/*
 * Bounds on the log-scale parameters inside the callbacks, so that no trial
 * step of the solver produces an infinity (GSL would stop with an error):
 * far outside anything a fit reaches.
 */
#define LOGPAR_MAX 700.0
#define LOG_S_MAX 50.0

/* The log form's curve and gradient at scaled x: A ln(1 + x e^-g). */
static inline void
log_eval(double A, double g, double x, double *f, double *dA, double *dg)
{
	double		q = x * exp(-Max(-LOGPAR_MAX, Min(LOGPAR_MAX, g)));

	*dA = log1p(q);
	*f = A * *dA;
	*dg = -A * q / (1.0 + q);
}

/* The hill form's curve and gradient at scaled x (ln x = lx): T / (1 + (e^kap / x)^s), s = e^sig. */
static inline void
hill_eval(double T, double kap, double sig, double x, double lx, double *f,
		  double *dT, double *dkap, double *dsig)
{
	double		s = exp(Max(-LOG_S_MAX, Min(LOG_S_MAX, sig)));
	double		h,
				dh,
				d;

	if (x <= 0)
	{
		*f = *dT = *dkap = *dsig = 0;
		return;
	}
	d = lx - kap;
	sigmoid(s * d, &h, &dh);
	*f = T * h;
	*dT = h;
	*dkap = -T * dh * s;
	*dsig = T * dh * d * s;
}

/* Residuals f_i(theta) - y_i. */
static int
nls_f(const gsl_vector *theta, void *arg, gsl_vector *r)
{
	const NlsData *d = arg;
	size_t		i;

	for (i = 0; i < d->n; i++)
	{
		double		f,
					g1,
					g2,
					g3;

		if (d->form == MQ_CURVE_LOG)
			log_eval(gsl_vector_get(theta, 0), gsl_vector_get(theta, 1), d->x[i], &f, &g1, &g2);
		else
			hill_eval(gsl_vector_get(theta, 0), gsl_vector_get(theta, 1), gsl_vector_get(theta, 2),
					  d->x[i], d->lx[i], &f, &g1, &g2, &g3);
		if (!isfinite(f))
			return GSL_EBADFUNC;
		gsl_vector_set(r, i, f - d->y[i]);
	}
	return GSL_SUCCESS;
}

/* Jacobian of the residuals. */
static int
nls_df(const gsl_vector *theta, void *arg, gsl_matrix *J)
{
	const NlsData *d = arg;
	size_t		i;

	for (i = 0; i < d->n; i++)
	{
		double		f,
					g1,
					g2,
					g3;

		if (d->form == MQ_CURVE_LOG)
		{
			log_eval(gsl_vector_get(theta, 0), gsl_vector_get(theta, 1), d->x[i], &f, &g1, &g2);
			gsl_matrix_set(J, i, 0, g1);
			gsl_matrix_set(J, i, 1, g2);
		}
		else
		{
			hill_eval(gsl_vector_get(theta, 0), gsl_vector_get(theta, 1), gsl_vector_get(theta, 2),
					  d->x[i], d->lx[i], &f, &g1, &g2, &g3);
			gsl_matrix_set(J, i, 0, g1);
			gsl_matrix_set(J, i, 1, g2);
			gsl_matrix_set(J, i, 2, g3);
		}
		if (!isfinite(g1) || !isfinite(g2) || !isfinite(g3))
			return GSL_EBADFUNC;
	}
	return GSL_SUCCESS;
}

/* mq_gsl_guard destructor of a solver workspace. */
static void
nls_workspace_free(void *w)
{
	gsl_multifit_nlinear_free((gsl_multifit_nlinear_workspace *) w);
}

/*
 * Starting values: the linear amplitude is profiled out.  For a fixed shape
 * (log: c; hill: k and s) the curve is amplitude * g(x), and the best
 * amplitude is sum(y g) / sum(g^2), with residual sum of squares
 * sum(y^2) - sum(y g)^2 / sum(g^2).  A grid of shapes on the scaled data
 * (spends divided by the largest) is searched and the best one starts the
 * solver:
 *	  log:	c = 2^j, j = -12..8 (1/4096 to 256 times the largest spend);
 *	  hill: k = 2^j, j = -8..4, times s in {0.3, 0.5, 0.7, 1, 1.5, 2.5}.
 * Ties keep the first grid point, so the start is deterministic.
 */
static void
nls_start(const NlsData *d, double *theta)
{
	static const double s_grid[] = {0.3, 0.5, 0.7, 1.0, 1.5, 2.5};
	double		best = get_float8_infinity();
	int			j,
				k;
	size_t		i;

	for (j = (d->form == MQ_CURVE_LOG ? -12 : -8); j <= (d->form == MQ_CURVE_LOG ? 8 : 4); j++)
	{
		double		lshape = j * M_LN2;

		for (k = 0; k < (d->form == MQ_CURVE_LOG ? 1 : (int) lengthof(s_grid)); k++)
		{
			double		sig = d->form == MQ_CURVE_LOG ? 0 : log(s_grid[k]);
			double		syg = 0,
						sgg = 0,
						syy = 0,
						sse;

			for (i = 0; i < d->n; i++)
			{
				double		g,
							u1,
							u2,
							u3;

				if (d->form == MQ_CURVE_LOG)
					log_eval(1.0, lshape, d->x[i], &g, &u1, &u2);
				else
					hill_eval(1.0, lshape, sig, d->x[i], d->lx[i], &g, &u1, &u2, &u3);
				syg += d->y[i] * g;
				sgg += g * g;
				syy += d->y[i] * d->y[i];
			}
			if (sgg <= 0)
				continue;
			sse = syy - syg * syg / sgg;
			if (sse < best)
			{
				best = sse;
				theta[0] = syg / sgg;
				theta[1] = lshape;
				theta[2] = sig;
			}
		}
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Nonlinear least squares for the log and hill forms.
 *
 * Scaling.  Spends are divided by the largest spend X and outcomes by the
 * largest outcome Y, so every scaled value lies in [0, 1] and the solver's
 * tolerances mean the same thing whatever the currency; the estimates are
 * scaled back at the end (a and top by Y, c and k by X).
 *
 * Parametrisation (how the bounds are kept).  The log form is fitted as
 * A ln(1 + x e^-g): c = e^g is positive by construction, so ln(1 + x/c) is
 * defined for every spend, and the amplitude A is free.  The hill form is
 * fitted as T / (1 + e^(-s (ln x - kap))) with s = e^sig: k = e^kap and
 * s are positive by construction (the curve is defined and increasing in
 * spend for T > 0), the amplitude T is free.  The concavity bound s <= 1 is
 * deliberately NOT imposed: an S-shaped estimate (s > 1) says something
 * true about the data, so it is returned unclamped with a WARNING, and
 * allocate_budget refuses it.  Writing the hill curve through the logistic
 * function of s (ln x - ln k) keeps it finite for any spend and parameters.
 *
 * Solver.  gsl_multifit_nlinear's trust-region method with the
 * Levenberg-Marquardt subproblem, More's scaling and a QR solver, from the
 * profiled grid start (nls_start), with an analytic Jacobian, iterated here
 * (not with GSL's driver) so every status is checked and the loop can be
 * cancelled.  Convergence: GSL's step test (relative step below 1e-12) or
 * its gradient test (scaled gradient below 1e-12).  The solver reports "no
 * progress" when no trial step lowers the cost any more, which happens at
 * the minimum to machine precision: the fit counts as converged then if the
 * scaled gradient test passes at 1e-6.  After NLS_MAXITER iterations, no
 * progress away from a minimum, or a shape parameter leaving the data's
 * scale (SHAPE_LIMIT, LOG_S_LIMIT: the data no longer determine it), the
 * last iterate is returned with converged = false and a WARNING saying why
 * (the reason is returned; *shape_stop says it was the shape).  Every other
 * status is an ERROR.
 */
static const char *
nls_fit(MqCurveForm form, const Pt *p, int64 n, MqCurve *c, bool *shape_stop)
{
	size_t		np = mq_curve_nparams[form],
				i;
	double	   *x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *lx = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *y = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double		X = p[n - 1].s,
				Y = 0,
				theta0[3] = {0, 0, 0},
				ybar = 0,
				sse = 0,
				sst = 0;
	int64		ndistinct = 0,
				iter;
	NlsData		d;
	gsl_multifit_nlinear_fdf fdf;
	gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
	gsl_multifit_nlinear_workspace *w;
	gsl_vector_view th0;
	const gsl_vector *th;
	int			status = GSL_CONTINUE,
				info;
	bool		converged = false;
	const char *stopped = NULL;

	if (n < 3)
		too_few_points(form, n, n);
	if (p[0].s == X)
		same_spend(X);
	for (i = 0; i < (size_t) n; i++)
	{
		Y = Max(Y, p[i].o);
		if (p[i].s > 0 && (i == 0 || p[i].s != p[i - 1].s))
			ndistinct++;
	}
	if (ndistinct < (int64) np)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a %s response curve needs at least %d different positive spend levels",
						mq_curve_form_names[form], (int) np),
				 errdetail("It has " INT64_FORMAT ".", ndistinct),
				 errhint("Use form 'power', or aggregate periods with more varied spend.")));
	if (Y <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a response curve cannot be fitted to points whose outcome is zero everywhere"),
				 errhint("Leave the channel out, or give it a fixed budget.")));
	for (i = 0; i < (size_t) n; i++)
	{
		x[i] = p[i].s / X;
		lx[i] = x[i] > 0 ? log(x[i]) : -get_float8_infinity();
		y[i] = p[i].o / Y;
	}
	d.form = form;
	d.n = n;
	d.x = x;
	d.lx = lx;
	d.y = y;
	nls_start(&d, theta0);

	fdf.f = nls_f;
	fdf.df = nls_df;
	fdf.fvv = NULL;
	fdf.n = n;
	fdf.p = np;
	fdf.params = &d;
	params.trs = gsl_multifit_nlinear_trs_lm;
	params.scale = gsl_multifit_nlinear_scale_more;
	params.solver = gsl_multifit_nlinear_solver_qr;
	w = mq_gsl_guard(gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, n, np),
					 nls_workspace_free);
	th0 = gsl_vector_view_array(theta0, np);
	mq_gsl_check(gsl_multifit_nlinear_init(&th0.vector, &fdf, w), "response curve fit (start)");
	for (iter = 0; iter < NLS_MAXITER; iter++)
	{
		CHECK_FOR_INTERRUPTS();
		status = gsl_multifit_nlinear_iterate(w);
		if (status == GSL_ENOPROG)
		{
			converged = gsl_multifit_nlinear_test(0.0, 1e-6, 0.0, &info, w) == GSL_SUCCESS;
			if (!converged)
				stopped = "no step lowered the sum of squares any more, away from a minimum";
			break;
		}
		mq_gsl_check(status, "response curve fit");
		status = gsl_multifit_nlinear_test(1e-12, 1e-12, 0.0, &info, w);
		if (status == GSL_SUCCESS)
		{
			converged = true;
			break;
		}
		if (status != GSL_CONTINUE)
			mq_gsl_check(status, "response curve fit (convergence test)");
		th = gsl_multifit_nlinear_position(w);
		if (fabs(gsl_vector_get(th, 1)) > SHAPE_LIMIT)
		{
			*shape_stop = true;
			stopped = psprintf("%s ran %s, where the data no longer determine it%s",
							   form == MQ_CURVE_LOG ? "c" : "k",
							   gsl_vector_get(th, 1) > 0 ? "beyond 10000 times the largest spend" :
							   "below 1/10000 of the largest spend",
							   gsl_vector_get(th, 1) > 0 ? " (the data show no saturation)" : "");
			break;
		}
		if (form == MQ_CURVE_HILL && fabs(gsl_vector_get(th, 2)) > LOG_S_LIMIT)
		{
			stopped = psprintf("s ran %s, where the data no longer determine it",
							   gsl_vector_get(th, 2) > 0 ? "above 1000" : "below 0.001");
			break;
		}
	}
	if (!converged && stopped == NULL)
		stopped = psprintf("it reached the limit of %d iterations", NLS_MAXITER);
	th = gsl_multifit_nlinear_position(w);
	c->iterations = (int64) gsl_multifit_nlinear_niter(w);
	c->converged = converged;
	if (form == MQ_CURVE_LOG)
	{
		c->p[0] = gsl_vector_get(th, 0) * Y;
		c->p[1] = exp(gsl_vector_get(th, 1)) * X;
		c->p[2] = 0;
	}
	else
	{
		c->p[0] = gsl_vector_get(th, 0) * Y;
		c->p[1] = exp(gsl_vector_get(th, 1)) * X;
		c->p[2] = exp(gsl_vector_get(th, 2));
	}
	mq_progress("response curve (%s): %s after " INT64_FORMAT " iterations",
				mq_curve_form_names[form], converged ? "converged" : "stopped", c->iterations);
	if (!isfinite(c->p[0]) || !isfinite(c->p[1]) || !isfinite(c->p[2]) || c->p[1] <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the %s response curve fit diverged", mq_curve_form_names[form]),
				 errdetail("The last estimates are %g, %g and %g.", c->p[0], c->p[1], c->p[2]),
				 errhint("Use form 'power', which has a closed-form fit.")));
	for (i = 0; i < (size_t) n; i++)
		ybar += p[i].o;
	ybar /= n;
	for (i = 0; i < (size_t) n; i++)
	{
		double		r = p[i].o - mq_curve_value(c, p[i].s);

		sse += r * r;
		sst += (p[i].o - ybar) * (p[i].o - ybar);
	}
	c->n = n;
	c->r2 = sst > 0 ? 1.0 - sse / sst : get_float8_nan();
	c->spend_min = p[0].s;
	c->spend_max = X;
	return converged ? NULL : stopped;
}

/* ------------------------------------------------------------------- fit */

/* Fit a curve of `form` to the points. */
void
mq_curve_fit(MqCurveForm form, const double *spend, const double *outcome, int64 n, MqCurve *c)
{
	Pt		   *p;
	const char *why,
			   *stopped = NULL;
	bool		shape_stop = false;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq curve fit",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	/*
	 * Everything the fit allocates (the sorted copy, the scaled data, the GSL
	 * workspace through mq_gsl_guard) lives in its own context, freed below,
	 * so fitting many curves in one call holds one fit's memory at a time.
	 */
	memset(c, 0, sizeof(MqCurve));
	c->form = form;
	c->rows = n;
	p = sorted_points(spend, outcome, n);
	if (form == MQ_CURVE_POWER)
		fit_power(p, n, c);
	else
	{
		stopped = nls_fit(form, p, n, c, &shape_stop);
		if (stopped)
			stopped = MemoryContextStrdup(old, stopped);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);

	if (!c->converged)
		ereport(WARNING,
				(errmsg("the %s response curve fit did not converge", mq_curve_form_names[form]),
				 errdetail("The fit stopped because %s; the estimates are those of the last iteration.", stopped),
				 errhint("The data may not support this form: check curve_params(...), or try form 'power', which has a closed-form fit.")));
	if (!mq_curve_concave(c, &why))
		ereport(WARNING,
				(errmsg("the fitted %s response curve is not concave: %s", mq_curve_form_names[form], why),
				 errdetail("The estimate is returned as it is; allocate_budget refuses curves that are not concave."),
				 errhint("Check the data (a narrow spend range, outliers, a trend over time that spend does not explain), or try another form.")));
	else if ((form == MQ_CURVE_LOG || form == MQ_CURVE_HILL) && !shape_stop &&
			 c->p[1] > FAR_BEYOND_DATA * c->spend_max)
		ereport(WARNING,
				(errmsg("the fitted %s response curve shows no saturation within the data", mq_curve_form_names[form]),
				 errdetail("%s = %g is more than %g times the largest spend (%g), so the curve is nearly %s over the data and its parameters are poorly determined.",
						   form == MQ_CURVE_LOG ? "c" : "k", c->p[1], FAR_BEYOND_DATA, c->spend_max,
						   form == MQ_CURVE_LOG ? "linear" : "a power curve"),
				 errhint("Try form 'power'.")));
}

/* -------------------------------------------------------------- evaluation */

/* f(x). */
double
mq_curve_value(const MqCurve *c, double x)
{
	switch (c->form)
	{
		case MQ_CURVE_POWER:
			if (c->p[0] == 0)
				return 0;
			return c->p[0] * pow(x, c->p[1]);
		case MQ_CURVE_LOG:
			return c->p[0] * log1p(x / c->p[1]);
		case MQ_CURVE_HILL:
			{
				double		h,
							dh;

				if (x <= 0 || c->p[0] == 0)
					return 0;
				sigmoid(c->p[2] * (log(x) - log(c->p[1])), &h, &dh);
				return c->p[0] * h;
			}
	}
	return get_float8_nan();
}

/* f'(x). */
double
mq_curve_marginal(const MqCurve *c, double x)
{
	switch (c->form)
	{
		case MQ_CURVE_POWER:
			if (c->p[0] == 0 || c->p[1] == 0)
				return 0;
			if (x == 0 && fabs(c->p[1] - 1.0) <= MQ_CURVE_B_ROUNDING)
				return c->p[0] * c->p[1];	/* linear */
			return c->p[0] * c->p[1] * pow(x, c->p[1] - 1);
		case MQ_CURVE_LOG:
			return c->p[0] / (c->p[1] + x);
		case MQ_CURVE_HILL:
			{
				double		top = c->p[0],
							k = c->p[1],
							s = c->p[2],
							h,
							dh;

				if (top == 0)
					return 0;
				if (x <= 0)
				{
					if (s < 1)
						return top > 0 ? get_float8_infinity() : -get_float8_infinity();
					return s == 1 ? top / k : 0;
				}
				sigmoid(s * (log(x) - log(k)), &h, &dh);
				return top * s * dh / x;
			}
	}
	return get_float8_nan();
}

/* Is the curve concave and non-decreasing on [0, inf)? */
bool
mq_curve_concave(const MqCurve *c, const char **why)
{
	switch (c->form)
	{
		case MQ_CURVE_POWER:
			if (c->p[0] < 0)
			{
				*why = psprintf("a = %g is negative", c->p[0]);
				return false;
			}
			if (c->p[0] > 0 && !(c->p[1] > 0 && c->p[1] <= 1.0 + MQ_CURVE_B_ROUNDING))
			{
				*why = psprintf("b = %g is outside (0, 1] (%s)", c->p[1],
								c->p[1] > 1 ? "increasing returns" : "the outcome does not grow with spend");
				return false;
			}
			return true;
		case MQ_CURVE_LOG:
			if (c->p[0] < 0)
			{
				*why = psprintf("a = %g is negative (the outcome falls as spend grows)", c->p[0]);
				return false;
			}
			return true;
		case MQ_CURVE_HILL:
			if (c->p[0] < 0)
			{
				*why = psprintf("top = %g is negative (the outcome falls as spend grows)", c->p[0]);
				return false;
			}
			if (c->p[0] > 0 && c->p[2] > 1)
			{
				*why = psprintf("s = %g is above 1 (an S-shaped curve: returns first grow, then diminish)", c->p[2]);
				return false;
			}
			return true;
	}
	*why = "unknown form";
	return false;
}
