/*-------------------------------------------------------------------------
 *
 * irls.c
 *	  Logistic regression by Newton's method (IRLS), over any source of
 *	  passes: the distinct rows the aggregate kept in memory, or one SQL
 *	  aggregate pass per iteration (logreg_train).
 *
 * One pass at coefficients beta computes, for every row with prior weight
 * w, linear predictor eta = x'beta and fitted probability mu:
 *	  the log-likelihood  sum w [y log mu + (1 - y) log(1 - mu)],
 *	  the score           g = sum w (y - mu) (1, x),
 *	  the information     H = sum w mu (1 - mu) (1, x)(1, x)',
 * the last kept as weighted moments of x (moments.c: weight w mu (1 - mu)),
 * so that H is never formed uncentred.  Newton's step solves H d = g, which
 * is the least-squares problem of solve.c with target mean g0 / V and
 * centred cross-products g_x - m g0 (V the total weight, m the mean): the
 * same code, and the same detection of collinear features, as linreg.
 * Every quantity is a sum over rows, so a pass is a combinable aggregate.
 *
 * The loop (the same whichever way passes are made, so the aggregate and the
 * driver find the same coefficients):
 *	  beta = 0; pass; collinear features found and fixed from this pass
 *	  (at beta = 0 every weight is w / 4, so H is the design's own X'WX);
 *	  repeat: beta += d; pass; if the deviance went up, halve the step (at
 *	  most 10 times); stop when |dev - dev_old| / (|dev| + 0.1) < tol (R's
 *	  glm criterion) or after max_iter steps.
 * Standard errors are sqrt(diag(H^-1)) at the final beta.
 *
 * Separation.  When a combination of features predicts some outcomes
 * perfectly the likelihood has no maximum: Newton keeps moving the
 * coefficients towards infinity while the deviance creeps to a limit, so
 * the deviance criterion is eventually met with meaningless estimates.  Two
 * signs are checked after the loop: the prior weight of rows whose fitted
 * probability is within 1e-6 of their outcome, and the root-mean-square
 * change of eta in the last step (near 0 at a true maximum, where Newton
 * converges quadratically; of order 1 when coefficients run away).  All rows
 * perfectly fitted is complete separation; some rows, with the coefficients
 * still moving (or no convergence), quasi-complete separation.  Both are
 * reported with a WARNING and in the model (fit_stats.separation), and such
 * a fit does not count as converged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "mq_fits.h"
#include "mq_model.h"
#include "mq_util.h"

/* a fitted probability this close to the observed outcome counts as perfectly predicted */
#define EXTREME_PROB 1e-6
/* the RMS change of eta in the last step above which coefficients are still running away */
#define MOVING_ETA 1e-3

/* Start a pass. */
void
logreg_pass_init(LogregPass *ps, int p)
{
	memset(ps, 0, sizeof(LogregPass));
	fit_moments_init(&ps->mom, p);
	ps->gx = palloc0(sizeof(double) * Max(p, 1));
}

/* Add a row (or a cell of identical rows: weight w1 with y true, w0 with y false). */
void
logreg_pass_add(LogregPass *ps, const double *x, const double *beta, bool intercept,
				double w1, double w0)
{
	int			p = ps->mom.q,
				j;
	const double *b = beta + (intercept ? 1 : 0);
	double		eta = intercept ? beta[0] : 0.0;
	double		e,
				l,
				mu,
				mu1,
				log_mu,
				log_mu1,
				r,
				wt;

	for (j = 0; j < p; j++)
		eta += b[j] * x[j];
	/* mu and 1 - mu and their logs, without cancellation or overflow */
	if (eta == 0.0)
	{
		/* every row of the first pass (beta = 0): mu = 1/2 */
		e = 1.0;
		l = M_LN2;
	}
	else
	{
		e = exp(-fabs(eta));
		l = log1p(e);
	}
	if (eta >= 0.0)
	{
		mu = 1.0 / (1.0 + e);
		mu1 = e / (1.0 + e);
		log_mu = -l;
		log_mu1 = -eta - l;
	}
	else
	{
		mu = e / (1.0 + e);
		mu1 = 1.0 / (1.0 + e);
		log_mu = eta - l;
		log_mu1 = -l;
	}
	if (w1 > 0.0)
		ps->loglik += w1 * log_mu;
	if (w0 > 0.0)
		ps->loglik += w0 * log_mu1;
	r = w1 * mu1 - w0 * mu;
	ps->g0 += r;
	for (j = 0; j < p; j++)
		ps->gx[j] += r * x[j];
	wt = (w1 + w0) * (mu * mu1);
	if (wt > 0.0)
		fit_moments_add(&ps->mom, x, wt);
	if ((w0 == 0.0 && mu1 < EXTREME_PROB) || (w1 == 0.0 && mu < EXTREME_PROB))
		ps->extreme_w += w1 + w0;
	ps->sum_w += w1 + w0;
	ps->sum_w1 += w1;
}

/*
 * Newton's step at a pass: d (k) solves H d = g; covdiag (k) gets diag(H^-1).
 * Returns the rank, or -1 when H is singular on the kept features.
 */
static int
newton_step(const LogregPass *ps, bool intercept, bool detect, bool *aliased,
			double *d, double *covdiag)
{
	int			p = ps->mom.q,
				j;
	double	   *ct = palloc(sizeof(double) * Max(p, 1));
	FitProblem	fp;
	int			r;

	if (!(ps->mom.w > 0.0))
		return -1;
	for (j = 0; j < p; j++)
		ct[j] = ps->gx[j] - ps->mom.mean[j] * ps->g0;
	fp.p = p;
	fp.intercept = intercept;
	fp.w = ps->mom.w;
	fp.mean = ps->mom.mean;
	fp.c = ps->mom.m2;
	fp.ct = ct;
	fp.mt = ps->g0 / ps->mom.w;
	fp.nrows = ps->n;
	r = fit_solve(&fp, detect, aliased, d, covdiag);
	pfree(ct);
	return r;
}

/* Run one pass at beta in a fresh context; returns its deviance. */
static double
run_pass(LogregPassFn pass, void *ctx, MemoryContext passcxt, const double *beta, LogregPass *ps)
{
	MemoryContext old;

	MemoryContextReset(passcxt);
	old = MemoryContextSwitchTo(passcxt);
	pass(ctx, beta, ps);
	fit_moments_flush(&ps->mom);
	MemoryContextSwitchTo(old);
	return -2.0 * ps->loglik;
}

/* Fit a logistic regression from passes over the data; NULL when no row is usable. */
MqModel *
logreg_fit(int p, bool intercept, LogregPassFn pass, void *ctx, int max_iter, double tol)
{
	int			off = intercept ? 1 : 0,
				k = p + off,
				j,
				iter = 0,
				rank,
				sep;
	MemoryContext passcxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq logreg pass",
												  ALLOCSET_DEFAULT_SIZES);
	double	   *beta = palloc0(sizeof(double) * k);
	double	   *prev = palloc(sizeof(double) * k);
	double	   *d = palloc(sizeof(double) * k);
	double	   *last = palloc0(sizeof(double) * k);
	double	   *covdiag = palloc(sizeof(double) * k);
	double	   *se = palloc(sizeof(double) * k);
	double	   *dmean = palloc(sizeof(double) * p);
	double	   *dc = palloc(sizeof(double) * p * p);
	bool	   *aliased = palloc0(sizeof(bool) * p);
	bool		converged = false,
				stuck = false;
	double		dev,
				dev_new,
				cond,
				rms;
	int64		n,
				skipped;
	LogregPass	ps;
	MqBuilder  *b;

	/* pass 0 at beta = 0: the design, its collinear columns and condition number */
	dev = run_pass(pass, ctx, passcxt, beta, &ps);
	n = ps.n;
	skipped = ps.skipped;
	if (n == 0 || !(ps.sum_w > 0.0))
	{
		MemoryContextDelete(passcxt);
		return NULL;
	}
	memcpy(dmean, ps.mom.mean, sizeof(double) * p);
	for (j = 0; j < p * p; j++)
		dc[j] = ps.mom.m2[j] * 4.0; /* every weight was w / 4 */
	rank = newton_step(&ps, intercept, true, aliased, d, covdiag);
	if (rank < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("logreg: the information matrix could not be factorised"),
				 errhint("Rescale the features to similar magnitudes.")));
	fit_warn_dropped("logreg", aliased, p, intercept);
	/* a design with dropped columns is singular */
	cond = rank < k ? get_float8_infinity() : fit_condition(p, intercept, ps.sum_w, dmean, dc);
	mq_progress("logreg: %lld rows, deviance at zero coefficients %.10g", (long long) n, dev);

	while (iter < max_iter)
	{
		int			halvings = 0;
		double		crit;

		CHECK_FOR_INTERRUPTS();
		memcpy(prev, beta, sizeof(double) * k);
		for (j = 0; j < k; j++)
			if (!isnan(d[j]))
				beta[j] += d[j];
		dev_new = run_pass(pass, ctx, passcxt, beta, &ps);
		while (!(dev_new <= dev + 1e-9 * (fabs(dev) + 0.1)) && halvings < 10)
		{
			for (j = 0; j < k; j++)
				beta[j] = (prev[j] + beta[j]) / 2.0;
			dev_new = run_pass(pass, ctx, passcxt, beta, &ps);
			halvings++;
			mq_progress("logreg: step halved (%d), deviance %.10g", halvings, dev_new);
		}
		if (!(dev_new <= dev + 1e-9 * (fabs(dev) + 0.1)))
		{
			/* no step decreases the deviance: stay where we were */
			memcpy(beta, prev, sizeof(double) * k);
			dev = run_pass(pass, ctx, passcxt, beta, &ps);
			stuck = true;
			break;
		}
		iter++;
		for (j = 0; j < k; j++)
			last[j] = beta[j] - prev[j];
		crit = fabs(dev_new - dev) / (fabs(dev_new) + 0.1);
		dev = dev_new;
		if (crit < tol)
		{
			mq_progress("logreg: iteration %d, deviance %.10g: converged", iter, dev);
			converged = true;
			break;
		}
		mq_progress("logreg: iteration %d, deviance %.10g, relative change %.2g", iter, dev, crit);
		if (newton_step(&ps, intercept, false, aliased, d, covdiag) < 0)
		{
			stuck = true;
			break;
		}
	}

	/* standard errors at the final coefficients */
	if (newton_step(&ps, intercept, false, aliased, d, covdiag) < 0)
		for (j = 0; j < k; j++)
			covdiag[j] = fit_nan();
	for (j = 0; j < k; j++)
	{
		se[j] = sqrt(covdiag[j]);
		if (j >= off && aliased[j - off])
			beta[j] = fit_nan();
	}

	/* how far eta moved in the last step (root mean square over rows) */
	{
		double		a0 = intercept ? last[0] : 0.0,
					quad = 0.0;
		int			i;

		for (j = 0; j < p; j++)
		{
			a0 += dmean[j] * last[off + j];
			for (i = 0; i < p; i++)
				quad += last[off + i] * dc[Min(i, j) + (Size) Max(i, j) * p] * last[off + j];
		}
		rms = sqrt(a0 * a0 + Max(quad, 0.0) / ps.sum_w);
	}
	if (ps.extreme_w >= ps.sum_w * (1.0 - 1e-9))
		sep = LOGREG_SEP_COMPLETE;
	else if (ps.extreme_w > 0.0 && (rms > MOVING_ETA || !converged))
		sep = LOGREG_SEP_QUASI;
	else
		sep = LOGREG_SEP_NONE;

	if (sep == LOGREG_SEP_COMPLETE)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("logreg: complete separation: the features predict every outcome perfectly"),
				 ps.sum_w1 == 0.0 || ps.sum_w1 >= ps.sum_w ?
				 errdetail("y is %s in every row, so there is nothing to predict; the coefficients grow without bound and are not estimates.",
						   ps.sum_w1 == 0.0 ? "false" : "true") :
				 errdetail("Maximum-likelihood estimates do not exist; the coefficients grow without bound and are not estimates."),
				 errhint("Remove the feature(s) that determine the outcome, merge rare categories, or add data.")));
	else if (sep == LOGREG_SEP_QUASI)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("logreg: quasi-complete separation: some outcomes are predicted perfectly"),
				 errdetail("Rows with weight %g of %g have fitted probabilities within %g of their outcome while the coefficients keep growing; estimates and standard errors of the features involved are not meaningful.",
						   ps.extreme_w, ps.sum_w, EXTREME_PROB),
				 errhint("Look for a feature that is (almost) always zero or non-zero in one outcome class; remove it, merge categories, or add data.")));
	else if (!converged)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg_plural("logreg: did not converge after %d iteration",
							   "logreg: did not converge after %d iterations", iter, iter),
				 stuck ? errdetail("No Newton step decreased the deviance further.") :
				 errdetail("The relative change of the deviance stayed above %g.", tol),
				 errhint("Rescale features with very different magnitudes or remove collinear ones; marketiq.logreg_train accepts max_iterations.")));

	b = mq_build_begin(&mq_logreg_kind);
	mq_put_int64(b, LG_P, p);
	mq_put_int64(b, LG_INTERCEPT, off);
	mq_put_int64(b, LG_N, n);
	mq_put_int64(b, LG_SKIPPED, skipped);
	mq_put_float8(b, LG_SUM_W, ps.sum_w);
	mq_put_float8(b, LG_SUM_W1, ps.sum_w1);
	mq_put_float8s(b, LG_CELL_X, NULL, 0);
	mq_put_float8s(b, LG_CELL_W1, NULL, 0);
	mq_put_float8s(b, LG_CELL_W0, NULL, 0);
	mq_put_int64(b, LG_FITTED, 1);
	mq_put_float8s(b, LG_COEF, beta, k);
	mq_put_float8s(b, LG_STD_ERR, se, k);
	mq_put_int64(b, LG_RANK, rank);
	mq_put_float8(b, LG_LOGLIK, ps.loglik);
	mq_put_int64(b, LG_ITERATIONS, iter);
	mq_put_int64(b, LG_CONVERGED, converged && sep == LOGREG_SEP_NONE ? 1 : 0);
	mq_put_int64(b, LG_SEPARATION, sep);
	mq_put_float8(b, LG_COND, cond);
	{
		MqModel    *m = mq_build_finish(b);

		MemoryContextDelete(passcxt);
		return m;
	}
}
