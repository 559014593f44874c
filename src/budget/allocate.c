/*-------------------------------------------------------------------------
 *
 * allocate.c
 *	  The budget optimiser: split a budget between channels so that the sum
 *	  of their response curves is largest, under per-channel bounds, and the
 *	  SQL function allocate_budget.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

#include "mq_budget.h"
#include "mq_check.h"
#include "mq_model.h"

/* relative precision of the multiplier */
#define LAMBDA_RTOL 1e-10

/* A channel as the optimiser sees it. */
typedef struct Chan
{
	const MqCurve *c;			/* its curve */
	bool		linear;			/* constant marginal return (b = 1, or a zero curve) */
	double		slope;			/* that constant, for a linear channel */
	double		lo;				/* lower bound */
	double		hi;				/* upper bound (may be +inf) */
} Chan;

/* 1 / (1 + e^-u), without overflow. */
static inline double
logistic(double u)
{
	double		e = exp(-fabs(u));

	return u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/*
 * The spend x > 0 at which a hill curve with s < 1 has marginal return
 * lambda.  In t = ln x, g(t) = ln f'(e^t) - ln lambda
 *	  = ln(top s) + u - t - 2 ln(1 + e^u) - ln lambda,	u = s (t - ln k),
 * is smooth, strictly decreasing (g' = s - 1 - 2 s logistic(u) < s - 1 < 0)
 * and concave, so Newton's method from t = ln k converges (monotonically
 * once it is right of the root); a bracket of the signs seen so far guards
 * against rounding.
 */
static double
hill_inverse(const MqCurve *c, double lambda)
{
	double		top = c->p[0],
				lk = log(c->p[1]),
				s = c->p[2],
				target = log(lambda) - log(top * s),
				t = lk,
				tl = -get_float8_infinity(),
				tr = get_float8_infinity();
	int			i;

	for (i = 0; i < 200; i++)
	{
		double		u = s * (t - lk),
					softplus = u > 0 ? u + log1p(exp(-u)) : log1p(exp(u)),
					g = u - t - 2.0 * softplus - target,
					dg = s - 1.0 - 2.0 * s * logistic(u),
					tn;

		if (g > 0)
			tl = t;
		else if (g < 0)
			tr = t;
		else
			break;
		tn = t - g / dg;
		if ((tn <= tl || tn >= tr) && isfinite(tl) && isfinite(tr))
			tn = 0.5 * (tl + tr);
		if (fabs(tn - t) <= 1e-15 * Max(1.0, fabs(t)))
		{
			t = tn;
			break;
		}
		t = tn;
	}
	return exp(t);
}

/* The spend of a channel with a strictly concave curve at multiplier lambda, within its bounds. */
static double
curved_spend(const Chan *ch, double lambda)
{
	const MqCurve *c = ch->c;
	double		x = 0;

	if (lambda <= 0)
		return ch->hi;
	if (isinf(lambda))
		return ch->lo;
	switch (c->form)
	{
		case MQ_CURVE_POWER:
			/* a b x^(b - 1) = lambda */
			x = exp((log(c->p[0] * c->p[1]) - log(lambda)) / (1.0 - c->p[1]));
			break;
		case MQ_CURVE_LOG:
			/* a / (c + x) = lambda */
			x = c->p[0] / lambda - c->p[1];
			break;
		case MQ_CURVE_HILL:
			/* with s = 1: top k / (k + x)^2 = lambda */
			if (c->p[2] == 1)
				x = sqrt(c->p[0] * c->p[1] / lambda) - c->p[1];
			else
				x = hill_inverse(c, lambda);
			break;
	}
	if (!(x > ch->lo))
		return ch->lo;
	return Min(x, ch->hi);
}

/*
 * How the spend of a curved channel at x moves with the multiplier, up to
 * a common factor: -dx/dlambda * lambda = x / e(x), where e is the
 * elasticity of the marginal return (-d ln f' / d ln x).
 */
static double
curved_weight(const Chan *ch, double x)
{
	const MqCurve *c = ch->c;

	switch (c->form)
	{
		case MQ_CURVE_POWER:
			return x / (1.0 - c->p[1]);
		case MQ_CURVE_LOG:
			return c->p[1] + x;
		case MQ_CURVE_HILL:
			{
				double		s = c->p[2];

				return x / (1.0 - s + 2.0 * s * logistic(s * (log(x) - log(c->p[1]))));
			}
	}
	return 0;
}

/* Total spend at multiplier lambda: curved channels at their optimum, linear ones fixed at `fixed`. */
static double
total_at(const Chan *ch, int n, double lambda, double fixed, double *x)
{
	double		sum = fixed;
	int			i;

	for (i = 0; i < n; i++)
		if (!ch[i].linear)
		{
			double		xi = curved_spend(&ch[i], lambda);

			if (x)
				x[i] = xi;
			sum += xi;
		}
	return sum;
}

/* Sum of the spends. */
static double
sum_of(const double *x, int n)
{
	double		s = 0;
	int			i;

	for (i = 0; i < n; i++)
		s += x[i];
	return s;
}

/*
 * Put what rounding left between the spends and the budget on the channels
 * with room, in order: those flagged in `first` (may be NULL), then any.
 */
static void
absorb_rest(const Chan *ch, int n, double budget, const bool *first, double *x)
{
	int			pass,
				i;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
		{
			double		r = budget - sum_of(x, n);
			double		room;

			if (r == 0)
				return;
			if (pass == 0 && (first == NULL || !first[i]))
				continue;
			room = r > 0 ? ch[i].hi - x[i] : x[i] - ch[i].lo;
			if (room <= 0)
				continue;
			x[i] += r > 0 ? Min(r, room) : -Min(-r, room);
		}
}

/* Descending order of doubles. */
static int
desc_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x > y ? -1 : (x < y ? 1 : 0);
}

/*
 * Maximise sum_c f_c(x_c) subject to sum_c x_c = budget and lo_c <= x_c <= hi_c.
 *
 * With concave curves the Karush-Kuhn-Tucker conditions are necessary and
 * sufficient: there is a multiplier lambda (the marginal return of the last
 * unit of budget) such that every channel strictly inside its bounds has
 * f_c'(x_c) = lambda, a channel at its lower bound has f_c'(lo_c) <=
 * lambda, and one at its upper bound f_c'(hi_c) >= lambda.  For a strictly
 * concave curve that fixes x_c(lambda) = clamp((f_c')^-1(lambda), lo_c,
 * hi_c), in closed form for power, log and hill with s = 1 and by Newton's
 * method for hill with s < 1 (hill_inverse).  The total spend S(lambda) is
 * continuous and non-increasing in lambda, so the lambda with S(lambda) =
 * budget is found by bisection.
 *
 * A linear curve (power with b = 1, or any zero curve) has the constant
 * marginal return `slope`: at lambda below it the channel takes its upper
 * bound, above it its lower bound, and at lambda = slope anything between.
 * So S jumps at each distinct slope.  The slopes are visited from the
 * largest down: at slope a, S just above a (channels of slope a at their
 * lower bounds) and just below a (at their upper bounds) bracket the
 * budget, or the optimum lies between a and the previous slope.  In the
 * first case lambda = a exactly: the curved channels take x_c(a), channels
 * of larger slope their upper bounds, smaller their lower bounds, and the
 * channels of slope a share the rest, filled to their upper bounds in the
 * order given -- so linear channels are filled best first.  In the second
 * case the linear channels are fixed and lambda is bisected between the two
 * slopes (doubling or halving from a start to find a finite bracket when
 * the interval is open), geometrically, until the bracket is within
 * LAMBDA_RTOL = 1e-10 relative; the last step interpolates S linearly.
 *
 * Finally, rounding leaves the spends a few ulps off the budget: the
 * difference is shared among the curved channels strictly inside their
 * bounds in proportion to how their spends move with lambda (a Newton step
 * on lambda, which keeps their marginal returns equal to first order), and
 * any remainder goes to a channel with room.
 */
void
mq_allocate(int nch, const MqCurve *curves, const char *const *names,
			double budget, const double *lo, const double *hi, double *x)
{
	Chan	   *ch = palloc(sizeof(Chan) * nch);
	double	   *slopes = palloc(sizeof(double) * nch);
	bool	   *tied = palloc0(sizeof(bool) * nch);
	double		sumlo = 0,
				sumhi = 0,
				L = 0,
				R = get_float8_infinity(),
				fixed = 0,
				lam_lo,
				lam_hi,
				lam0 = 0,
				s_lo,
				s_hi,
				lambda;
	int			nslopes = 0,
				ncurved = 0,
				i,
				j,
				it;

	for (i = 0; i < nch; i++)
	{
		const MqCurve *c = &curves[i];
		const char *why;

		if (!mq_curve_concave(c, &why))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the response curve of channel \"%s\" is not concave: %s", names[i], why),
					 errdetail("allocate_budget needs concave, non-decreasing curves: power with 0 < b <= 1, log with a >= 0, hill with top >= 0 and s <= 1."),
					 errhint("Fit the channel with another form, or leave it out and give it a fixed budget.")));
		ch[i].c = c;
		ch[i].lo = lo[i];
		ch[i].hi = hi[i];
		ch[i].linear = true;
		if (c->p[0] == 0)
			ch[i].slope = 0;
		else if (c->form == MQ_CURVE_POWER && fabs(c->p[1] - 1.0) <= MQ_CURVE_B_ROUNDING)
			ch[i].slope = c->p[0] * c->p[1];
		else
		{
			ch[i].linear = false;
			ncurved++;
		}
		if (ch[i].linear)
			slopes[nslopes++] = ch[i].slope;
		sumlo += lo[i];
		sumhi += hi[i];
	}
	if (budget <= sumlo || budget >= sumhi)
	{
		for (i = 0; i < nch; i++)
			x[i] = budget <= sumlo ? lo[i] : hi[i];
		return;
	}

	/* the distinct linear slopes, largest first */
	qsort(slopes, nslopes, sizeof(double), desc_cmp);
	for (i = 0, j = 0; i < nslopes; i++)
		if (j == 0 || slopes[i] != slopes[j - 1])
			slopes[j++] = slopes[i];
	nslopes = j;

	for (j = 0; j < nslopes; j++)
	{
		double		a = slopes[j],
					curved = total_at(ch, nch, a, 0, NULL),
					above = curved,
					below = curved;

		for (i = 0; i < nch; i++)
		{
			if (!ch[i].linear)
				continue;
			above += ch[i].slope > a ? ch[i].hi : ch[i].lo;
			below += ch[i].slope >= a ? ch[i].hi : ch[i].lo;
		}
		if (budget < above)
		{
			/* the optimum lies above slope a */
			L = a;
			R = j > 0 ? slopes[j - 1] : get_float8_infinity();
			break;
		}
		if (budget <= below)
		{
			/* lambda = a: the channels of slope a share what the others leave */
			double		rest = budget - above;

			total_at(ch, nch, a, 0, x);
			for (i = 0; i < nch; i++)
			{
				if (!ch[i].linear)
					continue;
				if (ch[i].slope != a)
					x[i] = ch[i].slope > a ? ch[i].hi : ch[i].lo;
				else
				{
					double		add = Min(rest, ch[i].hi - ch[i].lo);

					x[i] = ch[i].lo + Max(add, 0);
					rest -= Max(add, 0);
					tied[i] = true;
				}
			}
			absorb_rest(ch, nch, budget, tied, x);
			return;
		}
	}
	if (j == nslopes)
	{
		L = 0;
		R = nslopes > 0 ? slopes[nslopes - 1] : get_float8_infinity();
	}

	/* lambda in (L, R): linear channels are fixed */
	for (i = 0; i < nch; i++)
		if (ch[i].linear)
		{
			x[i] = ch[i].slope >= R ? ch[i].hi : ch[i].lo;
			fixed += x[i];
		}
	Assert(ncurved > 0);

	/* a start: the geometric mean of the marginal returns at an even split */
	for (i = 0, j = 0; i < nch; i++)
		if (!ch[i].linear)
		{
			double		m = mq_curve_marginal(ch[i].c, Max(ch[i].lo, Min(ch[i].hi, budget / nch)));

			if (isfinite(m) && m > 0)
			{
				lam0 += log(m);
				j++;
			}
		}
	lam0 = j > 0 ? exp(lam0 / j) : 1.0;
	if (!(lam0 > 0 && isfinite(lam0)))
		lam0 = 1.0;

	/* a finite bracket [lam_lo, lam_hi] with S(lam_lo) >= budget >= S(lam_hi) */
	if (isfinite(R))
		lam_hi = R;
	else
	{
		lam_hi = Max(lam0, L * 2);
		for (it = 0; it < 2200 && total_at(ch, nch, lam_hi, fixed, NULL) > budget &&
			 lam_hi < DBL_MAX / 4; it++)
			lam_hi *= 2;
	}
	if (L > 0)
		lam_lo = L;
	else
	{
		lam_lo = Min(lam0, lam_hi / 2);
		for (it = 0; it < 2200 && total_at(ch, nch, lam_lo, fixed, NULL) < budget &&
			 lam_lo > DBL_MIN * 4; it++)
			lam_lo /= 2;
	}

	/* bisection on ln lambda */
	for (it = 0; it < 1000 && lam_hi > lam_lo * (1.0 + LAMBDA_RTOL); it++)
	{
		double		mid = sqrt(lam_lo) * sqrt(lam_hi);

		if (!(mid > lam_lo && mid < lam_hi))
			break;
		if (total_at(ch, nch, mid, fixed, NULL) >= budget)
			lam_lo = mid;
		else
			lam_hi = mid;
		CHECK_FOR_INTERRUPTS();
	}
	s_lo = total_at(ch, nch, lam_lo, fixed, NULL);
	s_hi = total_at(ch, nch, lam_hi, fixed, NULL);
	lambda = lam_lo;
	if (s_lo > s_hi && isfinite(s_lo))
		lambda = lam_lo + (s_lo - budget) / (s_lo - s_hi) * (lam_hi - lam_lo);
	total_at(ch, nch, lambda, fixed, x);

	/* share the rounding difference among the interior curved channels */
	for (it = 0; it < 8; it++)
	{
		double		r = budget - sum_of(x, nch),
					W = 0;

		if (r == 0)
			break;
		for (i = 0; i < nch; i++)
			if (!ch[i].linear && x[i] > ch[i].lo && x[i] < ch[i].hi)
				W += curved_weight(&ch[i], x[i]);
		if (!(W > 0 && isfinite(W)))
			break;
		for (i = 0; i < nch; i++)
			if (!ch[i].linear && x[i] > ch[i].lo && x[i] < ch[i].hi)
			{
				double		xi = x[i] + r * curved_weight(&ch[i], x[i]) / W;

				x[i] = Max(ch[i].lo, Min(ch[i].hi, xi));
			}
	}
	absorb_rest(ch, nch, budget, NULL, x);
}

/* ------------------------------------------------------------ SQL surface */

/*
 * WARNING when the plan puts channels outside the spends their curve was
 * fitted on (above the largest, or between zero and the smallest): the
 * curve is extrapolated there.  Zero spend itself is not extrapolation:
 * every form is zero at zero.
 */
void
mq_warn_extrapolation(int nch, const char *const *names, const MqCurve *curves, const double *x)
{
	StringInfoData buf;
	int			i,
				count = 0;

	initStringInfo(&buf);
	for (i = 0; i < nch; i++)
	{
		/* a relative margin keeps a plan at exactly the end of the data quiet */
		if (!(x[i] > curves[i].spend_max * (1 + 1e-9)) &&
			!(x[i] > 0 && x[i] < curves[i].spend_min * (1 - 1e-9)))
			continue;
		if (count < 5)
			appendStringInfo(&buf, "%s%s: %g (fitted on %g to %g)", count > 0 ? "; " : "",
							 names[i], x[i], curves[i].spend_min, curves[i].spend_max);
		count++;
	}
	if (count > 5)
		appendStringInfo(&buf, "; and %d more", count - 5);
	if (count > 0)
		ereport(WARNING,
				(errmsg("the plan extrapolates the response curves of %d channel%s outside the spends they were fitted on",
						count, count > 1 ? "s" : ""),
				 errdetail("%s.", buf.data),
				 errhint("A curve says little about spends it has not seen: bound channels with min_spend and max_spend (for example at their smallest and largest spends) to stay within the data.")));
	pfree(buf.data);
}

/* Validate the budget and the bounds. */
void
mq_budget_bounds(int nch, const char *const *names, double budget,
				 ArrayType *min_spend, ArrayType *max_spend, double **lo, double **hi)
{
	double	   *l = palloc(sizeof(double) * nch);
	double	   *h = palloc(sizeof(double) * nch);
	double		sumlo = 0,
				sumhi = 0;
	int			i,
				n;

	mq_check_finite(budget, "budget");
	if (budget <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"budget\" must be positive"),
				 errdetail("It is %g.", budget)));
	for (i = 0; i < nch; i++)
	{
		l[i] = 0;
		h[i] = get_float8_infinity();
	}
	if (min_spend != NULL)
	{
		const double *v = mq_check_float8_array(min_spend, "min_spend", 0, &n);

		mq_check_same_length(nch, "channels", n, "min_spend");
		for (i = 0; i < nch; i++)
		{
			if (v[i] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"min_spend\" must not be negative"),
						 errdetail("It is %g for channel \"%s\".", v[i], names[i])));
			l[i] = v[i];
		}
	}
	if (max_spend != NULL)
	{
		const double *v = mq_check_float8_array(max_spend, "max_spend", MQ_ALLOW_NONFINITE, &n);

		mq_check_same_length(nch, "channels", n, "max_spend");
		for (i = 0; i < nch; i++)
		{
			if (isnan(v[i]) || v[i] == -get_float8_infinity())
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("array \"max_spend\" must not contain NaN or -Infinity"),
						 errdetail("It is %s for channel \"%s\".", isnan(v[i]) ? "NaN" : "-Infinity", names[i]),
						 errhint("'Infinity' means no upper bound.")));
			h[i] = v[i];
		}
	}
	for (i = 0; i < nch; i++)
	{
		if (h[i] < l[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"max_spend\" of channel \"%s\" is below its \"min_spend\"", names[i]),
					 errdetail("max_spend is %g, min_spend %g.", h[i], l[i])));
		sumlo += l[i];
		sumhi += h[i];
	}
	if (sumlo > budget)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the budget cannot cover the minimum spends"),
				 errdetail("The minimum spends add up to %g, the budget is %g.", sumlo, budget),
				 errhint("Raise the budget or lower min_spend.")));
	if (sumhi < budget)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the budget is more than the maximum spends allow"),
				 errdetail("The maximum spends add up to %g, the budget is %g.", sumhi, budget),
				 errhint("Lower the budget or raise max_spend ('Infinity', or a NULL max_spend, means no upper bound).")));
	*lo = l;
	*hi = h;
}

/* Error context: which channel's curve is being read. */
static void
channel_context(void *arg)
{
	errcontext("response curve of channel \"%s\"", (const char *) arg);
}

PG_FUNCTION_INFO_V1(mq_allocate_budget);

/*
 * allocate_budget(channels text[], curves response[], budget float8,
 * min_spend float8[] DEFAULT NULL, max_spend float8[] DEFAULT NULL)
 * -> TABLE(channel, spend, expected_outcome, marginal_return), in the order
 * of the channels.
 */
Datum
mq_allocate_budget(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *curves_arr;
	char	  **strs;
	int		   *lens;
	char	  **names;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				ncurves,
				i,
				j;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	MqCurve    *curves;
	double	   *lo,
			   *hi,
			   *x;

	mq_check_not_null(PG_ARGISNULL(0), "channels");
	mq_check_not_null(PG_ARGISNULL(1), "curves");
	mq_check_not_null(PG_ARGISNULL(2), "budget");
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(0), "channels", 0, &n, &strs, &lens);
	curves_arr = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(curves_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"curves\" must be one-dimensional"),
				 errdetail("It has %d dimensions.", ARR_NDIM(curves_arr))));
	get_typlenbyvalalign(ARR_ELEMTYPE(curves_arr), &typlen, &typbyval, &typalign);
	deconstruct_array(curves_arr, ARR_ELEMTYPE(curves_arr), typlen, typbyval, typalign,
					  &elems, &nulls, &ncurves);
	if (ncurves == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array \"curves\" must not be empty")));
	for (i = 0; i < ncurves; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array \"curves\" must not contain NULL elements"),
					 errdetail("Element %d is NULL.", i + 1)));
	mq_check_same_length(n, "channels", ncurves, "curves");

	names = palloc(sizeof(char *) * n);
	for (i = 0; i < n; i++)
	{
		names[i] = pnstrdup(strs[i], lens[i]);
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("channel \"%s\" appears more than once in \"channels\"", names[i])));
	}
	curves = palloc(sizeof(MqCurve) * n);
	for (i = 0; i < n; i++)
	{
		ErrorContextCallback cb;

		cb.callback = channel_context;
		cb.arg = names[i];
		cb.previous = error_context_stack;
		error_context_stack = &cb;
		mq_curve_decode(mq_model_fetch(elems[i], &mq_response_kind), &curves[i]);
		error_context_stack = cb.previous;
	}
	mq_budget_bounds(n, (const char *const *) names, PG_GETARG_FLOAT8(2),
					 PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3),
					 PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4), &lo, &hi);
	x = palloc(sizeof(double) * n);
	mq_allocate(n, curves, (const char *const *) names, PG_GETARG_FLOAT8(2), lo, hi, x);
	mq_warn_extrapolation(n, (const char *const *) names, curves, x);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		v[4];
		bool		isnull[4] = {false, false, false, false};

		v[0] = PointerGetDatum(cstring_to_text(names[i]));
		v[1] = Float8GetDatum(x[i]);
		v[2] = Float8GetDatum(mq_curve_value(&curves[i], x[i]));
		v[3] = Float8GetDatum(mq_curve_marginal(&curves[i], x[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, isnull);
	}
	return (Datum) 0;
}
