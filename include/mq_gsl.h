/*-------------------------------------------------------------------------
 *
 * mq_gsl.h
 *	  Using GSL safely inside a backend.
 *
 * GSL's default error handler calls abort(), which would take the server
 * down: mq_numeric_init turns it off, so every GSL call returns a status
 * that must be checked.  mq_gsl_check turns a failing status into an ERROR.
 * GSL allocates with malloc; an ERROR longjmps past any free(), so objects a
 * GSL call allocates must be registered with mq_gsl_guard, which frees them
 * when the current memory context is reset or deleted (also on ERROR).  The
 * special-function wrappers raise an ERROR on domain errors and overflow and
 * return 0 on underflow.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_GSL_H
#define MQ_GSL_H

/* ERROR unless status is GSL_SUCCESS; `what` names the computation for the message */
extern void mq_gsl_check(int status, const char *what);

/*
 * Free `obj` with `free_fn` when CurrentMemoryContext is reset or deleted.
 * Returns obj.  Call it right after the allocation, before anything can fail.
 * Freeing the object earlier by hand is a bug: let the context do it.
 */
extern void *mq_gsl_guard(void *obj, void (*free_fn) (void *));

/* special functions with checked status */
extern double mq_sf_lngamma(double x);
extern double mq_sf_lnbeta(double a, double b);
extern double mq_sf_hyperg_2F1(double a, double b, double c, double x);
extern double mq_sf_psi(double x);

/* distributions: upper tails for p-values */
extern double mq_pvalue_t(double t, double df);		/* two-sided, Student t */
extern double mq_pvalue_z(double z);				/* two-sided, standard normal */
extern double mq_pvalue_f(double f, double df1, double df2); /* upper tail, F */
extern double mq_pvalue_chisq(double x, double df);	/* upper tail, chi-square */

#endif							/* MQ_GSL_H */
