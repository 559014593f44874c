/*-------------------------------------------------------------------------
 *
 * gslutil.c
 *	  GSL inside a backend: status checks, cleanup of malloc'd objects on
 *	  ERROR, checked special functions and p-values.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_psi.h>

#include "utils/float.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_gsl.h"

/* OpenBLAS exports this; no header is needed for one prototype */
extern void openblas_set_num_threads(int num_threads);

/* Process-wide set-up of the numerical libraries, from _PG_init. */
void
mq_numeric_init(void)
{
	/* GSL must return statuses, never abort() the backend */
	gsl_set_error_handler_off();
	/* OpenBLAS threads inside a forked server process have hung other extensions */
	openblas_set_num_threads(1);
}

/* ERROR unless status is success. */
void
mq_gsl_check(int status, const char *what)
{
	if (status == GSL_SUCCESS)
		return;
	ereport(ERROR,
			(errcode(status == GSL_EDOM ? ERRCODE_INVALID_PARAMETER_VALUE :
					 ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s failed: %s", what, gsl_strerror(status))));
}

/* What mq_gsl_guard registers: an object and its destructor. */
typedef struct GslGuard
{
	MemoryContextCallback cb;	/* must be first: registered with the context */
	void	   *obj;			/* the malloc'd GSL object */
	void		(*free_fn) (void *);	/* its destructor */
} GslGuard;

/* Context reset callback: free the guarded object. */
static void
gsl_guard_free(void *arg)
{
	GslGuard   *g = (GslGuard *) arg;

	if (g->obj != NULL)
		g->free_fn(g->obj);
	g->obj = NULL;
}

/* Free obj with free_fn when CurrentMemoryContext goes away. */
void *
mq_gsl_guard(void *obj, void (*free_fn) (void *))
{
	GslGuard   *g;

	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory in a GSL allocation")));
	g = MemoryContextAllocZero(CurrentMemoryContext, sizeof(GslGuard));
	g->obj = obj;
	g->free_fn = free_fn;
	g->cb.func = gsl_guard_free;
	g->cb.arg = g;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &g->cb);
	return obj;
}

/* Unwrap a special-function result: underflow is 0, anything else failing is an ERROR. */
static double
sf_result(int status, gsl_sf_result *r, const char *what)
{
	if (status == GSL_EUNDRFLW)
		return 0.0;
	mq_gsl_check(status, what);
	return r->val;
}

/* log Gamma(x) for x > 0 (and for non-integer negative x, log|Gamma(x)|). */
double
mq_sf_lngamma(double x)
{
	gsl_sf_result r;

	return sf_result(gsl_sf_lngamma_e(x, &r), &r, "log-gamma");
}

/* log Beta(a, b), a, b > 0. */
double
mq_sf_lnbeta(double a, double b)
{
	gsl_sf_result r;

	return sf_result(gsl_sf_lnbeta_e(a, b, &r), &r, "log-beta");
}

/* Gauss hypergeometric 2F1(a, b; c; x), |x| < 1. */
double
mq_sf_hyperg_2F1(double a, double b, double c, double x)
{
	gsl_sf_result r;

	return sf_result(gsl_sf_hyperg_2F1_e(a, b, c, x, &r), &r, "hypergeometric 2F1");
}

/* digamma psi(x). */
double
mq_sf_psi(double x)
{
	gsl_sf_result r;

	return sf_result(gsl_sf_psi_e(x, &r), &r, "digamma");
}

/* Two-sided p-value of a Student t statistic. */
double
mq_pvalue_t(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return get_float8_nan();
	return 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
}

/* Two-sided p-value of a standard normal statistic. */
double
mq_pvalue_z(double z)
{
	if (isnan(z))
		return get_float8_nan();
	return 2.0 * gsl_cdf_ugaussian_Q(fabs(z));
}

/* Upper-tail p-value of an F statistic. */
double
mq_pvalue_f(double f, double df1, double df2)
{
	if (isnan(f) || !(df1 > 0) || !(df2 > 0))
		return get_float8_nan();
	return gsl_cdf_fdist_Q(f, df1, df2);
}

/* Upper-tail p-value of a chi-square statistic. */
double
mq_pvalue_chisq(double x, double df)
{
	if (isnan(x) || !(df > 0))
		return get_float8_nan();
	return gsl_cdf_chisq_Q(x, df);
}
