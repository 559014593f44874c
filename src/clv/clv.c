/*-------------------------------------------------------------------------
 *
 * clv.c
 *	  Customer lifetime value: a transaction model (BG/NBD or Pareto/NBD)
 *	  for how many purchases a customer will make, times the Gamma-Gamma
 *	  expected spend per purchase, discounted over a horizon.
 *
 * The horizon is cut into steps (default one time unit); the purchases
 * expected in step k, E[Y(t_k)] - E[Y(t_(k-1))], are discounted by
 * (1 + discount_rate)^k, the scheme of the lifetimes package (which uses
 * monthly steps and a monthly rate).  Without discounting the sum
 * telescopes to E[Y(horizon)] and one evaluation suffices.  Spend and
 * purchases are assumed independent, as the Gamma-Gamma model requires.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_clv.h"

/* largest number of discounting steps */
#define CLV_MAX_STEPS 100000

typedef double (*ClvConditional) (const double *par, double x, double tx, double T, double t);

/* Discounted expected purchases over the horizon. */
static double
discounted_purchases(ClvConditional cond, const double *par, double x, double tx, double T,
					 double horizon, double rate, double step)
{
	double		steps,
				prev = 0,
				sum = 0;
	int			k,
				K;

	if (rate == 0)
		return cond(par, x, tx, T, horizon);
	steps = ceil(horizon / step - 1e-9);
	if (steps > CLV_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"horizon\" / \"step\" must be at most %d", CLV_MAX_STEPS),
				 errdetail("The horizon %g in steps of %g makes %.0f discounting steps.", horizon, step, steps),
				 errhint("Use a longer step (for example 4 weeks with a 4-weekly rate).")));
	K = (int) steps;
	for (k = 1; k <= K; k++)
	{
		double		e = cond(par, x, tx, T, Min(k * step, horizon));

		sum += (e - prev) / pow(1 + rate, k);
		prev = e;
		if ((k & 63) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return sum;
}

/* The shared body: clv(model, gammagamma, frequency, recency, t, monetary, horizon, rate, step). */
static Datum
clv_body(FunctionCallInfo fcinfo, const MqKind *kind, ClvConditional cond)
{
	double		par[4],
				gg[3];
	double		x,
				tx,
				T,
				z,
				horizon,
				rate,
				step;
	int			i;

	for (i = 0; i < 9; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	x = PG_GETARG_FLOAT8(2);
	tx = PG_GETARG_FLOAT8(3);
	T = PG_GETARG_FLOAT8(4);
	z = PG_GETARG_FLOAT8(5);
	horizon = PG_GETARG_FLOAT8(6);
	rate = PG_GETARG_FLOAT8(7);
	step = PG_GETARG_FLOAT8(8);
	clv_model_params(clv_fitted_arg(fcinfo, 0, kind), par);
	clv_gg_params(fcinfo, 1, gg);
	clv_check_summary(x, tx, T);
	clv_gg_check_input(x, z);
	mq_check_range(horizon, "horizon", 0, true, get_float8_infinity(), false);
	mq_check_range(rate, "discount_rate", 0, true, get_float8_infinity(), false);
	mq_check_range(step, "step", 0, false, get_float8_infinity(), false);
	PG_RETURN_FLOAT8(clv_gg_expected_spend(gg, x, z) *
					 discounted_purchases(cond, par, x, tx, T, horizon, rate, step));
}

PG_FUNCTION_INFO_V1(mq_clv_bgnbd);

/* clv(bgnbd, gammagamma, frequency, recency, t, monetary, horizon, discount_rate, step) */
Datum
mq_clv_bgnbd(PG_FUNCTION_ARGS)
{
	return clv_body(fcinfo, &clv_bgnbd_kind, clv_bgnbd_conditional);
}

PG_FUNCTION_INFO_V1(mq_clv_pnbd);

/* clv(paretonbd, gammagamma, frequency, recency, t, monetary, horizon, discount_rate, step) */
Datum
mq_clv_pnbd(PG_FUNCTION_ARGS)
{
	return clv_body(fcinfo, &clv_pnbd_kind, clv_pnbd_conditional);
}
