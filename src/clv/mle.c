/*-------------------------------------------------------------------------
 *
 * mle.c
 *	  Maximum-likelihood driver shared by the customer-value fits, and a
 *	  robust Gauss hypergeometric function for their predictions.
 *
 * Every fit minimises the mean negative log-likelihood per customer (plus
 * the optional L2 penalty, as the lifetimes package does) over the logs of
 * its positive parameters, so the search is unconstrained.  BFGS (GSL's
 * vector_bfgs2) with analytic gradients converges in a few dozen
 * iterations on real data; when its line search stalls away from a
 * stationary point (a flat or badly scaled start), the Nelder-Mead simplex
 * (nmsimplex2) moves to a better point and BFGS runs again from there.
 * Convergence means a gradient norm below CLV_GTOL on the per-customer
 * scale; otherwise the caller warns and records converged = false with the
 * last estimate.  All GSL objects are freed by the memory-context guard.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_hyperg.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "mq_clv.h"
#include "mq_gsl.h"
#include "mq_linalg.h"
#include "mq_util.h"

/* gradient norm (per customer, log-parameter scale) that counts as converged */
#define CLV_GTOL 1e-7
/* iteration limits */
#define CLV_BFGS_MAXITER 1000
#define CLV_SIMPLEX_MAXITER 2000
/* |log(parameter / its scale)| beyond which an estimate is at the edge: ln(1e6) */
#define CLV_EDGE 13.815510557964274

/* what the GSL callbacks need */
typedef struct MleArg
{
	ClvObjective fn;
	void	   *arg;
	int			k;
	/* the last point evaluated, with its value and gradient */
	bool		cached;
	double		cx[8],
				cf,
				cg[8];
} MleArg;

/*
 * The objective and gradient at v, through a one-point cache: GSL's line
 * search asks for the value and the gradient at the same trial points in
 * separate calls, and the gradient costs little more than the value once
 * the per-cell terms are computed, so every evaluation computes both.
 */
static double
mle_eval(MleArg *m, const double *v, double *g)
{
	int			i;

	if (!m->cached || memcmp(v, m->cx, sizeof(double) * m->k) != 0)
	{
		memcpy(m->cx, v, sizeof(double) * m->k);
		m->cf = m->fn(v, m->cg, m->arg);
		if (!isfinite(m->cf))
		{
			m->cf = GSL_POSINF;
			for (i = 0; i < m->k; i++)
				m->cg[i] = 0;
		}
		m->cached = true;
	}
	if (g)
		memcpy(g, m->cg, sizeof(double) * m->k);
	return m->cf;
}

/* GSL objective: value only. */
static double
mle_f(const gsl_vector *v, void *params)
{
	return mle_eval((MleArg *) params, v->data, NULL);
}

/* GSL objective: value and gradient. */
static void
mle_fdf(const gsl_vector *v, void *params, double *f, gsl_vector *g)
{
	*f = mle_eval((MleArg *) params, v->data, g->data);
}

/* GSL objective: gradient only. */
static void
mle_df(const gsl_vector *v, void *params, gsl_vector *g)
{
	double		f;

	mle_fdf(v, params, &f, g);
}

/* Euclidean norm of the gradient at theta. */
static double
grad_norm(MleArg *m, const double *theta, double *value)
{
	double		g[8];
	double		s = 0;
	int			i;

	*value = mle_eval(m, theta, g);
	for (i = 0; i < m->k; i++)
		s += g[i] * g[i];
	return isfinite(*value) ? sqrt(s) : get_float8_infinity();
}

/* BFGS from theta; theta gets the end point.  Returns the iterations used. */
static int
run_bfgs(MleArg *m, double *theta, const char *what)
{
	gsl_multimin_function_fdf fdf;
	gsl_multimin_fdfminimizer *s;
	gsl_vector *x0;
	int			iter = 0,
				status,
				i;

	fdf.n = m->k;
	fdf.f = mle_f;
	fdf.df = mle_df;
	fdf.fdf = mle_fdf;
	fdf.params = m;
	x0 = mq_gsl_guard(gsl_vector_alloc(m->k), (void (*) (void *)) gsl_vector_free);
	for (i = 0; i < m->k; i++)
		gsl_vector_set(x0, i, theta[i]);
	s = mq_gsl_guard(gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, m->k),
					 (void (*) (void *)) gsl_multimin_fdfminimizer_free);
	status = gsl_multimin_fdfminimizer_set(s, &fdf, x0, 0.1, 0.1);
	if (status != GSL_SUCCESS || !isfinite(s->f))
		return 0;
	while (iter < CLV_BFGS_MAXITER)
	{
		CHECK_FOR_INTERRUPTS();
		iter++;
		status = gsl_multimin_fdfminimizer_iterate(s);
		if (status != GSL_SUCCESS)
			break;				/* no progress possible: the caller judges the point */
		if (gsl_multimin_test_gradient(s->gradient, CLV_GTOL) == GSL_SUCCESS)
			break;
		if ((iter % 10) == 0)
			mq_progress("%s: BFGS iteration %d, objective %.12g", what, iter, s->f);
	}
	for (i = 0; i < m->k; i++)
		theta[i] = gsl_vector_get(s->x, i);
	return iter;
}

/* Nelder-Mead simplex from theta; theta gets the end point.  Returns the iterations used. */
static int
run_simplex(MleArg *m, double *theta, const char *what)
{
	gsl_multimin_function f;
	gsl_multimin_fminimizer *s;
	gsl_vector *x0,
			   *step;
	int			iter = 0,
				i;

	f.n = m->k;
	f.f = mle_f;
	f.params = m;
	x0 = mq_gsl_guard(gsl_vector_alloc(m->k), (void (*) (void *)) gsl_vector_free);
	step = mq_gsl_guard(gsl_vector_alloc(m->k), (void (*) (void *)) gsl_vector_free);
	for (i = 0; i < m->k; i++)
		gsl_vector_set(x0, i, theta[i]);
	gsl_vector_set_all(step, 0.5);
	s = mq_gsl_guard(gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, m->k),
					 (void (*) (void *)) gsl_multimin_fminimizer_free);
	if (gsl_multimin_fminimizer_set(s, &f, x0, step) != GSL_SUCCESS)
		return 0;
	while (iter < CLV_SIMPLEX_MAXITER)
	{
		CHECK_FOR_INTERRUPTS();
		iter++;
		if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS)
			break;
		if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-6) == GSL_SUCCESS)
			break;
		if ((iter % 100) == 0)
			mq_progress("%s: simplex iteration %d, objective %.12g", what, iter, s->fval);
	}
	for (i = 0; i < m->k; i++)
		theta[i] = gsl_vector_get(s->x, i);
	return iter;
}

/* Hessian of the objective at theta (k x k, symmetric) by central differences of the gradient. */
static bool
hessian(MleArg *m, const double *theta, double *h)
{
	int			k = m->k,
				i,
				j;
	double		gp[8],
				gm[8],
				t[8];
	const double step = 1e-5;

	memcpy(t, theta, sizeof(double) * k);
	for (i = 0; i < k; i++)
	{
		t[i] = theta[i] + step;
		m->fn(t, gp, m->arg);
		t[i] = theta[i] - step;
		m->fn(t, gm, m->arg);
		t[i] = theta[i];
		for (j = 0; j < k; j++)
			h[i + j * k] = (gp[j] - gm[j]) / (2 * step);
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < i; j++)
			h[j + i * k] = h[i + j * k] = (h[i + j * k] + h[j + i * k]) / 2;
	for (i = 0; i < k * k; i++)
		if (!isfinite(h[i]))
			return false;
	return true;
}

/*
 * Newton steps from the BFGS point: with the Hessian from differences of
 * the analytic gradient they converge fast, so the estimate ends at the
 * optimum to rounding error rather than at BFGS's tolerance (which makes
 * results independent of the path the optimiser took).  The Hessian is
 * computed once, at the starting point, and kept for every step (close to
 * the optimum it hardly changes) and for the identification check; h gets
 * it (false when it could not be computed).  A step is kept only if it
 * lowers the objective or the gradient norm.
 */
static bool
newton_polish(MleArg *m, double *theta, double *h)
{
	int			k = m->k,
				it,
				i;
	double		r[64];

	if (!hessian(m, theta, h))
		return false;
	memcpy(r, h, sizeof(double) * k * k);
	if (mq_cholesky(r, k) != 0)
		return true;
	for (it = 0; it < 6; it++)
	{
		double		g[8],
					d[8],
					t[8],
					g2[8];
		double		f0 = mle_eval(m, theta, g),
					gn = 0,
					f1,
					gn1 = 0;

		for (i = 0; i < k; i++)
			gn += g[i] * g[i];
		if (!isfinite(f0) || gn < 1e-30)
			break;
		for (i = 0; i < k; i++)
			d[i] = -g[i];
		mq_cholesky_solve(r, k, d, 1);
		for (i = 0; i < k; i++)
			t[i] = theta[i] + d[i];
		f1 = mle_eval(m, t, g2);
		for (i = 0; i < k; i++)
			gn1 += g2[i] * g2[i];
		if (!isfinite(f1) || !(f1 < f0 || (f1 <= f0 + 1e-15 * fabs(f0) && gn1 < gn)))
			break;
		memcpy(theta, t, sizeof(double) * k);
	}
	return true;
}

/*
 * Is the optimum a proper one?  The Hessian h of the objective there must
 * be clearly positive definite: an eigenvalue below 1e-6 of the largest
 * means the likelihood is flat along some direction -- the data do not
 * identify the model (two customers, or no sign of drop-out) and a gradient
 * test alone would call any point on the ridge "converged".  (Proper fits
 * have ratios of 1e-4 to 1e-1: CDNOW's BG/NBD 6e-3, Gamma-Gamma 1e-3,
 * Pareto/NBD 2e-3.)  Returns the parameter that weighs most in the
 * flattest direction, or -1.
 */
static int
flat_direction(int k, double *h)
{
	int			i,
				worst = 0;
	double		w[8],
				v;

	if (mq_sym_eigen(h, k, w, true) != 0)
		return 0;
	/* ascending eigenvalues; the eigenvector of w[0] is column 0 of h */
	mq_progress("Hessian eigenvalues from %g to %g (ratio %g)", w[0], w[k - 1], w[0] / w[k - 1]);
	if (w[0] > 1e-6 * Max(fabs(w[k - 1]), 1e-300))
		return -1;
	v = 0;
	for (i = 0; i < k; i++)
		if (fabs(h[i]) > v)
		{
			v = fabs(h[i]);
			worst = i;
		}
	return worst;
}

/* Minimise fn from theta. */
void
clv_minimize(int k, double *theta, ClvObjective fn, void *arg, const char *what,
			 const double *scale, ClvFitResult *res)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq fit",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	MleArg		m;
	double		start[8],
				value,
				h[64];
	bool		have_h = false;
	int			i;

	Assert(k <= 8);
	m.fn = fn;
	m.arg = arg;
	m.k = k;
	m.cached = false;
	memcpy(start, theta, sizeof(double) * k);
	res->iterations = run_bfgs(&m, theta, what);
	res->gradnorm = grad_norm(&m, theta, &value);
	if (res->gradnorm < CLV_GTOL * 100)
	{
		have_h = newton_polish(&m, theta, h);
		res->gradnorm = grad_norm(&m, theta, &value);
	}
	else
	{
		/* BFGS stalled: restart it from where the simplex gets to */
		double		alt[8],
					h2[64],
					v2,
					g2;
		bool		have_h2;

		mq_progress("%s: BFGS stopped at gradient norm %g; trying the simplex", what, res->gradnorm);
		memcpy(alt, isfinite(value) ? theta : start, sizeof(double) * k);
		res->iterations += run_simplex(&m, alt, what);
		res->iterations += run_bfgs(&m, alt, what);
		have_h2 = newton_polish(&m, alt, h2);
		g2 = grad_norm(&m, alt, &v2);
		if (isfinite(v2) && (!isfinite(value) || v2 < value || g2 < res->gradnorm))
		{
			memcpy(theta, alt, sizeof(double) * k);
			memcpy(h, h2, sizeof(h));
			have_h = have_h2;
			res->gradnorm = g2;
			value = v2;
		}
	}
	res->value = value;
	res->converged = isfinite(value) && res->gradnorm < CLV_GTOL * 100;
	res->boundary = -1;
	for (i = 0; i < k; i++)
	{
		if (!isfinite(theta[i]))
			res->converged = false;
		else if (fabs(theta[i] - log(scale[i])) > CLV_EDGE && res->boundary < 0)
		{
			res->boundary = i;
			res->converged = false;
		}
	}
	if (res->converged)
		res->boundary = have_h ? flat_direction(k, h) : 0;
	if (res->boundary >= 0)
		res->converged = false;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	mq_progress("%s: %d iterations, objective %.12g, gradient norm %g%s", what, res->iterations,
				res->value, res->gradnorm, res->converged ? "" : " (not converged)");
}

/* Warn with the last estimate when a fit did not converge. */
void
clv_warn_not_converged(const char *what, const ClvFitResult *res,
					   const char *const *names, const double *par, int k)
{
	StringInfoData buf;
	int			i;

	if (res->converged)
		return;
	initStringInfo(&buf);
	for (i = 0; i < k; i++)
		appendStringInfo(&buf, "%s%s = %.6g", i ? ", " : "", names[i], par[i]);
	if (res->boundary >= 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s did not converge: the data do not identify the model", what),
				 errdetail("The likelihood is flat along a direction led by \"%s\".  Last estimate "
						   "after %d iterations: %s.", names[res->boundary], res->iterations, buf.data),
				 errhint("Too few customers, or no sign of the behaviour a parameter describes (for "
						 "example no drop-out).  The model is kept with \"converged\" false.")));
	else
		ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("%s did not converge", what),
			 errdetail("Last estimate after %d iterations: %s (gradient norm %.3g).",
					   res->iterations, buf.data, res->gradnorm),
			 errhint("The model is kept with \"converged\" false.  Check the summaries (time unit, "
					 "enough repeat purchases), or add a small penalizer.")));
}

/*
 * log 2F1(a, b; c; z), the Gauss hypergeometric function, for 0 <= z < 1,
 * the case the BG/NBD expressions need (Pareto/NBD integrates instead).
 *
 * With a, b, c > 0 the power series sum_n (a)_n (b)_n / ((c)_n n!) z^n has
 * positive terms, so summing it loses no precision.  The ratio of
 * consecutive terms, q_n = z (a + n)(b + n) / ((c + n)(n + 1)), tends to z,
 * from above when a + b > c + 1 and from below otherwise, so once q_n < 1
 * every later ratio is at most max(q_n, z) and the tail after a term t is at
 * most t q / (1 - q): the sum stops when that bound is below 1e-16 of the
 * sum.  Terms can grow past the range of a double before they shrink (large
 * a and b, z near 1: a customer with hundreds of purchases over a long
 * horizon), so the sum is kept as scale * exp(logscale) and rescaled as it
 * grows, and the logarithm is returned.  The series is used while it takes
 * fewer than 200000 terms (z up to about 0.9998); beyond that, and for
 * parameters outside the positive case, GSL's transformations take over
 * with their status checked.
 */
double
clv_log_hyp2f1(double a, double b, double c, double z)
{
	double		term = 1.0,
				sum = 1.0,
				logscale = 0.0;
	int			n;

	if (z == 0)
		return 0.0;
	if (z > 0 && z < 0.9998 && a > 0 && b > 0 && c > 0)
	{
		for (n = 0; n < 200000; n++)
		{
			double		q = z * (a + n) * (b + n) / ((c + n) * (n + 1.0));

			term *= q;
			sum += term;
			if (sum > 1e250)
			{
				sum *= 1e-250;
				term *= 1e-250;
				logscale += 250 * M_LN10;
			}
			q = Max(q, z);
			if (q < 1 && term * q / (1 - q) < sum * 1e-16)
				return log(sum) + logscale;
		}
	}
	{
		double		v = mq_sf_hyperg_2F1(a, b, c, z);

		if (!(v > 0) || !isfinite(v))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("hypergeometric function 2F1(%g, %g; %g; %g) is out of range", a, b, c, z),
					 errhint("The horizon is very long compared with the customer's age, or the "
							 "model's parameters are extreme.")));
		return log(v);
	}
}
