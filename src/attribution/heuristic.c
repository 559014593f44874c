/*-------------------------------------------------------------------------
 *
 * heuristic.c
 *	  The rule-based attribution models and marketiq.attribute(), which
 *	  applies one of them to one journey (for LATERAL use).
 *
 * Every heuristic is a rule that splits one conversion over the touches of
 * its journey: mq_attr_weights computes the per-touch weights (summing to
 * 1, except participation), and both attribute() and the table-level report
 * multiply them by the conversion count and value and add them up per
 * channel.  The rules:
 *
 *	  first / last touch     all credit to the first (last) touch
 *	  linear                 1/n to each touch
 *	  time decay             proportional to 2^(-(t_conversion - t_touch) / half_life)
 *	  position (U, J, inverse J, custom)
 *	                         first weight to the first touch, last weight to the
 *	                         last, the middle weight shared equally by the touches
 *	                         in between; a two-touch journey splits first:last
 *	                         renormalised (U: 50/50), a one-touch journey gets all
 *	  W-shape                30% first, 30% the middle key touch (touch ceil(n/2)),
 *	                         30% last, 10% shared by the others; fewer than four
 *	                         touches split equally
 *	  last non-direct        the last touch whose channel is not the skipped one
 *	                         (default "direct"), or the last touch if all are
 *	  participation          1 to each distinct channel of the journey
 *
 * Time decay is computed relative to the newest touch so that long journeys
 * never underflow: the weights are 2^-(d_i - d_min) with d_i the age in
 * half-lives, then normalised.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "mq_attribution.h"
#include "mq_check.h"
#include "mq_hash.h"

/* SQL names of every model, in MqAttrModel order */
const char *const mq_attr_model_names[] = {
	"first_touch", "last_touch", "linear", "time_decay",
	"u_shape", "j_shape", "inverse_j", "w_shape", "position",
	"last_non_direct", "participation",
	"markov", "shapley", "shapley_rate",
	NULL
};

/* the heuristics only */
const char *const mq_attr_heuristic_names[] = {
	"first_touch", "last_touch", "linear", "time_decay",
	"u_shape", "j_shape", "inverse_j", "w_shape", "position",
	"last_non_direct", "participation",
	NULL
};

/* An interval's length in microseconds, as extract(epoch) counts it. */
double
mq_interval_usecs(const Interval *iv)
{
	return (double) iv->time + (double) iv->day * USECS_PER_DAY +
		(double) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

/* Validate position weights and store them. */
void
mq_attr_check_weights(MqAttrParams *p, double first_w, double middle_w, double last_w)
{
	double		sum;

	mq_check_range(first_w, "first_weight", 0, true, 1, true);
	mq_check_range(middle_w, "middle_weight", 0, true, 1, true);
	mq_check_range(last_w, "last_weight", 0, true, 1, true);
	sum = first_w + middle_w + last_w;
	if (fabs(sum - 1.0) > 1e-9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("position weights must add up to 1"),
				 errdetail("first_weight + middle_weight + last_weight = %.15g.", sum),
				 errhint("For example 0.4, 0.2, 0.4 (U-shape) or 0.2, 0.2, 0.6 (J-shape).")));
	p->first_w = first_w;
	p->middle_w = middle_w;
	p->last_w = last_w;
}

/* Position-based weights: first, middle (shared), last; renormalised for two touches. */
static void
position_weights(double fw, double mw, double lw, int n, double *w)
{
	int			i;

	if (n == 1)
	{
		w[0] = 1.0;
		return;
	}
	if (n == 2)
	{
		double		s = fw + lw;

		w[0] = s > 0 ? fw / s : 0.5;
		w[1] = s > 0 ? lw / s : 0.5;
		return;
	}
	w[0] = fw;
	w[n - 1] = lw;
	for (i = 1; i < n - 1; i++)
		w[i] = mw / (n - 2);
}

/* Credit weights of one journey's touches under a heuristic model. */
void
mq_attr_weights(MqAttrModel model, const MqAttrParams *p, const int32 *ch,
				const int64 *ts, int64 conv_ts, int n, double *w)
{
	int			i;

	Assert(n >= 1);
	switch (model)
	{
		case MQ_AM_FIRST_TOUCH:
		case MQ_AM_LAST_TOUCH:
			for (i = 0; i < n; i++)
				w[i] = 0;
			w[model == MQ_AM_FIRST_TOUCH ? 0 : n - 1] = 1.0;
			break;
		case MQ_AM_LINEAR:
			for (i = 0; i < n; i++)
				w[i] = 1.0 / n;
			break;
		case MQ_AM_TIME_DECAY:
			{
				double		dmin = (double) (conv_ts - ts[n - 1]) / p->half_life;
				double		sum = 0;

				/* ts is non-decreasing, so the last touch is the newest */
				for (i = 0; i < n; i++)
				{
					w[i] = exp2(-((double) (conv_ts - ts[i]) / p->half_life - dmin));
					sum += w[i];
				}
				for (i = 0; i < n; i++)
					w[i] /= sum;
				break;
			}
		case MQ_AM_U_SHAPE:
			position_weights(0.4, 0.2, 0.4, n, w);
			break;
		case MQ_AM_J_SHAPE:
			position_weights(0.2, 0.2, 0.6, n, w);
			break;
		case MQ_AM_INVERSE_J:
			position_weights(0.6, 0.2, 0.2, n, w);
			break;
		case MQ_AM_POSITION:
			position_weights(p->first_w, p->middle_w, p->last_w, n, w);
			break;
		case MQ_AM_W_SHAPE:
			if (n < 4)
			{
				for (i = 0; i < n; i++)
					w[i] = 1.0 / n;
			}
			else
			{
				int			mid = (n - 1) / 2;	/* touch ceil(n/2), 1-based */

				for (i = 0; i < n; i++)
					w[i] = 0.1 / (n - 3);
				w[0] = w[mid] = w[n - 1] = 0.3;
			}
			break;
		case MQ_AM_LAST_NON_DIRECT:
			{
				int			k = n - 1;

				for (i = n - 1; i >= 0; i--)
					if (ch[i] != p->skip_id)
					{
						k = i;
						break;
					}
				for (i = 0; i < n; i++)
					w[i] = 0;
				w[k] = 1.0;
				break;
			}
		case MQ_AM_PARTICIPATION:
			for (i = 0; i < n; i++)
			{
				w[i] = p->seen[ch[i]] ? 0.0 : 1.0;
				p->seen[ch[i]] = true;
			}
			for (i = 0; i < n; i++)
				p->seen[ch[i]] = false;
			break;
		default:
			elog(ERROR, "attribution model %d is not a heuristic", (int) model);
	}
}

PG_FUNCTION_INFO_V1(mq_attribute);

/*
 * attribute(channels text[], model text, touch_ts timestamptz[], conversion_ts
 * timestamptz, value float8, half_life interval, first_weight, middle_weight,
 * last_weight float8, skip_channel text) -> TABLE(channel text, credit float8):
 * the credit of each distinct channel of one journey (order of first touch).
 */
Datum
mq_attribute(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MqAttrModel model;
	MqAttrParams p;
	MqDict		dict;
	char	  **strs;
	int		   *lens;
	int			n,
				i;
	int32	   *ids;
	const int64 *ts = NULL;
	int64		conv_ts = 0;
	double		value;
	double	   *w,
			   *credit;

	InitMaterializedSRF(fcinfo, 0);

	mq_check_not_null(PG_ARGISNULL(1), "model");
	model = mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(1)), "attribution model",
							mq_attr_heuristic_names);
	if (PG_ARGISNULL(0))
		return (Datum) 0;		/* no journey, no credit */
	mq_check_text_array(PG_GETARG_ARRAYTYPE_P(0), "channels", MQ_ALLOW_EMPTY, &n, &strs, &lens);
	if (n == 0)
		return (Datum) 0;
	value = PG_ARGISNULL(4) ? 0.0 : PG_GETARG_FLOAT8(4);
	mq_check_finite(value, "value");

	memset(&p, 0, sizeof(p));
	p.skip_id = -1;
	if (!PG_ARGISNULL(2))
	{
		int			nts;

		ts = mq_check_timestamptz_array(PG_GETARG_ARRAYTYPE_P(2), "touch_ts", 0, &nts);
		mq_check_same_length(n, "channels", nts, "touch_ts");
		for (i = 1; i < n; i++)
			if (ts[i] < ts[i - 1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("array \"touch_ts\" must be in time order"),
						 errdetail("Element %d is earlier than element %d.", i + 1, i),
						 errhint("Build both arrays with the same ORDER BY, e.g. array_agg(channel ORDER BY ts) and array_agg(ts ORDER BY ts).")));
	}
	if (!PG_ARGISNULL(3))
	{
		conv_ts = PG_GETARG_TIMESTAMPTZ(3);
		if (TIMESTAMP_NOT_FINITE(conv_ts))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("\"conversion_ts\" must be finite")));
	}
	else if (ts)
		conv_ts = ts[n - 1];

	/* knobs are validated whenever given, so a bad value is never silently ignored */
	if (!PG_ARGISNULL(5))
	{
		p.half_life = mq_interval_usecs(PG_GETARG_INTERVAL_P(5));
		if (!(p.half_life > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"half_life\" must be a positive interval")));
	}
	if (!PG_ARGISNULL(6) && !PG_ARGISNULL(7) && !PG_ARGISNULL(8))
		mq_attr_check_weights(&p, PG_GETARG_FLOAT8(6), PG_GETARG_FLOAT8(7), PG_GETARG_FLOAT8(8));
	if (model == MQ_AM_TIME_DECAY)
	{
		mq_check_not_null(PG_ARGISNULL(5), "half_life");
		if (ts == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("model \"time_decay\" needs the touch times"),
					 errhint("Pass touch_ts, one timestamp per channel.")));
		if (conv_ts < ts[n - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"conversion_ts\" must not be earlier than the last touch")));
	}
	if (model == MQ_AM_POSITION)
	{
		mq_check_not_null(PG_ARGISNULL(6), "first_weight");
		mq_check_not_null(PG_ARGISNULL(7), "middle_weight");
		mq_check_not_null(PG_ARGISNULL(8), "last_weight");
	}

	/* intern the channels: ids in order of first appearance */
	mq_dict_init(&dict);
	ids = palloc(sizeof(int32) * n);
	for (i = 0; i < n; i++)
		ids[i] = mq_dict_intern(&dict, strs[i], lens[i]);
	if (model == MQ_AM_LAST_NON_DIRECT && !PG_ARGISNULL(9))
	{
		text	   *skip = PG_GETARG_TEXT_PP(9);

		p.skip_id = mq_dict_find(&dict, VARDATA_ANY(skip), VARSIZE_ANY_EXHDR(skip));
	}
	p.seen = palloc0(sizeof(bool) * dict.n);

	w = palloc(sizeof(double) * n);
	credit = palloc0(sizeof(double) * dict.n);
	mq_attr_weights(model, &p, ids, ts, conv_ts, n, w);
	for (i = 0; i < n; i++)
		credit[ids[i]] += w[i];

	for (i = 0; i < dict.n; i++)
	{
		Datum		v[2];
		bool		nulls[2] = {false, false};

		v[0] = PointerGetDatum(cstring_to_text_with_len(dict.strs[i], dict.lens[i]));
		v[1] = Float8GetDatum(credit[i] * value);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
