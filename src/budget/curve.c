/*-------------------------------------------------------------------------
 *
 * curve.c
 *	  The marketiq.response model value, the response_curve aggregates that
 *	  build it, and its readers (curve_params, predict_outcome,
 *	  marginal_return).
 *
 * The aggregate keeps every (spend, outcome) point: a response curve is
 * fitted to a channel's history of periods (weeks, days), a few hundred or
 * thousand rows, and keeping them makes the fit exact and independent of
 * the plan.  Each point costs 16 bytes, checked against
 * marketiq.max_model_bytes (the default 256MB holds about 16 million
 * points).  Rows with a NULL spend or outcome are skipped.  Combining two
 * states concatenates their points; the flat form lists them sorted by
 * (spend, outcome), and the fit sorts them too, so serial and parallel
 * plans give the same bits.
 *
 * The final function fits the curve (fit.c) and returns a value that holds
 * the fitted parameters and fit statistics but no points, so stored models
 * stay small.  The same type serves as the aggregate's state, whose flat
 * form holds the points and no parameters; a reader given such a value
 * (typed in by hand) fits it when it reads it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_budget.h"
#include "mq_check.h"
#include "mq_model.h"

static const MqSectSpec response_sects[RC_NSECT] = {
	{"form", MQ_TEXT},
	{"rows", MQ_INT64},
	{"spend", MQ_FLOAT8_ARR},
	{"outcome", MQ_FLOAT8_ARR},
	{"params", MQ_FLOAT8_ARR},
	{"n", MQ_INT64},
	{"r2", MQ_FLOAT8},
	{"converged", MQ_INT64},
	{"iterations", MQ_INT64},
	{"spend_min", MQ_FLOAT8},
	{"spend_max", MQ_FLOAT8},
};

/* In-memory state of response_curve: the form and the points. */
typedef struct ResponseState
{
	MqState		hdr;			/* expanded-object header, first */
	int			form;			/* MqCurveForm, -1 before the first row */
	MqPoints	pts;			/* the points, in arrival order */
} ResponseState;

static void response_check(const MqKind *kind, const MqModel *m);
static void response_init(MqState *s);
static void response_merge(MqState *s, const MqModel *m);
static MqModel *response_flatten(MqState *s);

const MqKind mq_response_kind = {
	.name = "response",
	.id = 70,
	.format = 1,
	.nsect = RC_NSECT,
	.sects = response_sects,
	.check = response_check,
	.state_size = sizeof(ResponseState),
	.init = response_init,
	.merge = response_merge,
	.flatten = response_flatten,
};

MQ_MODEL_TYPE_IO(response, &mq_response_kind)

/* ------------------------------------------------------------------ forms */

/* The form named by name (len bytes). */
MqCurveForm
mq_curve_form_parse(const char *name, int len)
{
	int			i;

	for (i = 0; i < MQ_CURVE_NFORMS; i++)
		if ((int) strlen(mq_curve_form_names[i]) == len &&
			memcmp(mq_curve_form_names[i], name, len) == 0)
			return (MqCurveForm) i;
	return (MqCurveForm) mq_check_choice(pnstrdup(name, len), "form", mq_curve_form_names);
}

/* The form of a flat value: -1 for "" (an empty state), else its index; -2 if unknown. */
static int
value_form(const MqModel *m)
{
	const char *f = mq_get_text(m, RC_FORM);
	int			i;

	if (f[0] == '\0')
		return -1;
	for (i = 0; i < MQ_CURVE_NFORMS; i++)
		if (strcmp(f, mq_curve_form_names[i]) == 0)
			return i;
	return -2;
}

/* ------------------------------------------------------------- validation */

/* Semantic checks of a flat response value (a state with points, or a fitted curve). */
static void
response_check(const MqKind *kind, const MqModel *m)
{
	int			form = value_form(m);
	int64		rows = mq_get_int64(m, RC_ROWS),
				n = mq_get_int64(m, RC_N),
				conv = mq_get_int64(m, RC_CONVERGED),
				iters = mq_get_int64(m, RC_ITERATIONS);
	int			ns,
				no,
				np,
				i;
	const double *s = mq_get_float8s(m, RC_SPEND, &ns);
	const double *o = mq_get_float8s(m, RC_OUTCOME, &no);
	const double *p = mq_get_float8s(m, RC_PARAMS, &np);

	if (form == -2)
		mq_model_corrupt(kind, "\"form\" must be one of \"power\", \"log\" and \"hill\" (or empty in an empty state).");
	if (rows < 0 || conv < 0 || conv > 1 || iters < 0 || n < 0)
		mq_model_corrupt(kind, "\"rows\", \"n\" and \"iterations\" must not be negative and \"converged\" must be 0 or 1.");
	if (ns != no)
		mq_model_corrupt(kind, "Sections \"spend\" and \"outcome\" have %d and %d elements.", ns, no);
	for (i = 0; i < ns; i++)
		if (!isfinite(s[i]) || !isfinite(o[i]) || s[i] < 0 || o[i] < 0)
			mq_model_corrupt(kind, "Point %d has a negative or non-finite spend or outcome.", i + 1);
	if (np == 0)
	{
		/* a state: the points, nothing fitted */
		if (ns != rows || n != 0)
			mq_model_corrupt(kind, "A response value without \"params\" is an aggregate state: it must hold its \"rows\" points and \"n\" must be 0.");
		if (form == -1 && rows != 0)
			mq_model_corrupt(kind, "A state with points must name its form.");
		return;
	}
	/* a fitted curve */
	if (form < 0 || np != mq_curve_nparams[form])
		mq_model_corrupt(kind, "A fitted curve must name its form and have its %d parameters.",
						 form >= 0 ? mq_curve_nparams[form] : 2);
	if (ns != 0)
		mq_model_corrupt(kind, "A fitted curve keeps no points.");
	for (i = 0; i < np; i++)
		if (!isfinite(p[i]))
			mq_model_corrupt(kind, "Parameter %d is not finite.", i + 1);
	if (form == MQ_CURVE_LOG && !(p[1] > 0))
		mq_model_corrupt(kind, "The log form's c must be positive.");
	if (form == MQ_CURVE_HILL && !(p[1] > 0 && p[2] > 0))
		mq_model_corrupt(kind, "The hill form's k and s must be positive.");
	if (n < 3 || n > rows)
		mq_model_corrupt(kind, "\"n\" must be between 3 and \"rows\".");
	if (isinf(mq_get_float8(m, RC_R2)))
		mq_model_corrupt(kind, "\"r2\" must not be infinite.");
	if (!isfinite(mq_get_float8(m, RC_SPEND_MIN)) || !isfinite(mq_get_float8(m, RC_SPEND_MAX)) ||
		mq_get_float8(m, RC_SPEND_MIN) < 0 || mq_get_float8(m, RC_SPEND_MIN) > mq_get_float8(m, RC_SPEND_MAX))
		mq_model_corrupt(kind, "\"spend_min\" and \"spend_max\" must be a range of non-negative spends.");
}

/* ------------------------------------------------------------------ state */

/* Empty state (form not known until the first row). */
static void
response_init(MqState *s)
{
	((ResponseState *) s)->form = -1;
}

/* Fix the state's form, or check it matches. */
static void
response_set_form(ResponseState *s, int form)
{
	if (s->form == -1)
	{
		s->form = form;
		return;
	}
	if (s->form != form)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine response curves of forms \"%s\" and \"%s\"",
						mq_curve_form_names[s->form], mq_curve_form_names[form]),
				 errhint("Every row of one response_curve aggregate must pass the same form.")));
}

/* Check the size of a state about to hold `points` points. */
static void
response_check_size(int64 points)
{
	mq_check_state_size((Size) points * 2 * sizeof(double), &mq_response_kind, "points");
}

/* Add a flat value into a state (combine; expanding a flat state). */
static void
response_merge(MqState *st, const MqModel *m)
{
	ResponseState *s = (ResponseState *) st;
	int			form = value_form(m),
				np,
				n,
				i;
	const double *sp,
			   *o;

	mq_get_float8s(m, RC_PARAMS, &np);
	if (np > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a fitted response curve cannot be added to a response_curve aggregate"),
				 errdetail("A fitted curve keeps its parameters, not its points.")));
	if (form < 0)
		return;					/* an empty state */
	response_set_form(s, form);
	sp = mq_get_float8s(m, RC_SPEND, &n);
	o = mq_get_float8s(m, RC_OUTCOME, &n);
	response_check_size(s->pts.n + n);
	for (i = 0; i < n; i++)
		mq_points_add(&s->pts, sp[i], o[i]);
}

/* Order (spend, outcome) index pairs. */
static int
point_idx_cmp(const void *a, const void *b, void *arg)
{
	const MqPoints *pts = arg;
	int64		i = *(const int64 *) a,
				j = *(const int64 *) b;

	if (pts->spend[i] != pts->spend[j])
		return pts->spend[i] < pts->spend[j] ? -1 : 1;
	if (pts->outcome[i] != pts->outcome[j])
		return pts->outcome[i] < pts->outcome[j] ? -1 : 1;
	return 0;
}

/* Canonical flat form of a state: the points sorted by (spend, outcome). */
static MqModel *
response_flatten(MqState *st)
{
	ResponseState *s = (ResponseState *) st;
	int64		n = s->pts.n,
				i;
	int64	   *idx = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(n, 1));
	double	   *sp = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * Max(n, 1));
	double	   *o = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * Max(n, 1));
	MqBuilder  *b = mq_build_begin(&mq_response_kind);
	const char *form = s->form >= 0 ? mq_curve_form_names[s->form] : "";

	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_arg(idx, n, sizeof(int64), point_idx_cmp, &s->pts);
	for (i = 0; i < n; i++)
	{
		sp[i] = s->pts.spend[idx[i]];
		o[i] = s->pts.outcome[idx[i]];
	}
	mq_put_text(b, RC_FORM, form, strlen(form));
	mq_put_int64(b, RC_ROWS, n);
	mq_put_float8s(b, RC_SPEND, sp, n);
	mq_put_float8s(b, RC_OUTCOME, o, n);
	mq_put_float8s(b, RC_PARAMS, NULL, 0);
	mq_put_int64(b, RC_N, 0);
	mq_put_float8(b, RC_R2, get_float8_nan());
	mq_put_int64(b, RC_CONVERGED, 0);
	mq_put_int64(b, RC_ITERATIONS, 0);
	mq_put_float8(b, RC_SPEND_MIN, get_float8_nan());
	mq_put_float8(b, RC_SPEND_MAX, get_float8_nan());
	return mq_build_finish(b);
}

/* ------------------------------------------------------------ model values */

/* The flat value of a fitted curve. */
MqModel *
mq_curve_model(const MqCurve *c)
{
	MqBuilder  *b = mq_build_begin(&mq_response_kind);
	const char *form = mq_curve_form_names[c->form];

	mq_put_text(b, RC_FORM, form, strlen(form));
	mq_put_int64(b, RC_ROWS, c->rows);
	mq_put_float8s(b, RC_SPEND, NULL, 0);
	mq_put_float8s(b, RC_OUTCOME, NULL, 0);
	mq_put_float8s(b, RC_PARAMS, c->p, mq_curve_nparams[c->form]);
	mq_put_int64(b, RC_N, c->n);
	mq_put_float8(b, RC_R2, c->r2);
	mq_put_int64(b, RC_CONVERGED, c->converged ? 1 : 0);
	mq_put_int64(b, RC_ITERATIONS, c->iterations);
	mq_put_float8(b, RC_SPEND_MIN, c->spend_min);
	mq_put_float8(b, RC_SPEND_MAX, c->spend_max);
	return mq_build_finish(b);
}

/* Decode a value; a state's points are fitted now. */
void
mq_curve_decode(const MqModel *m, MqCurve *c)
{
	int			form = value_form(m),
				np,
				i;
	const double *p = mq_get_float8s(m, RC_PARAMS, &np);

	if (form < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the response curve is empty"),
				 errdetail("It is an aggregate state without points.")));
	if (np == 0)
	{
		int			n;
		const double *s = mq_get_float8s(m, RC_SPEND, &n);
		const double *o = mq_get_float8s(m, RC_OUTCOME, &n);

		mq_curve_fit((MqCurveForm) form, s, o, n, c);
		return;
	}
	memset(c, 0, sizeof(MqCurve));
	c->form = (MqCurveForm) form;
	for (i = 0; i < np; i++)
		c->p[i] = p[i];
	c->rows = mq_get_int64(m, RC_ROWS);
	c->n = mq_get_int64(m, RC_N);
	c->r2 = mq_get_float8(m, RC_R2);
	c->converged = mq_get_int64(m, RC_CONVERGED) != 0;
	c->iterations = mq_get_int64(m, RC_ITERATIONS);
	c->spend_min = mq_get_float8(m, RC_SPEND_MIN);
	c->spend_max = mq_get_float8(m, RC_SPEND_MAX);
}

/* ------------------------------------------------------------- aggregate */

PG_FUNCTION_INFO_V1(mq_response_trans);

/*
 * response_curve(spend float8, outcome float8 [, form text]) transition.
 * Rows with a NULL spend or outcome are skipped; the form must be given and
 * the same on every row.
 */
Datum
mq_response_trans(PG_FUNCTION_ARGS)
{
	ResponseState *s = (ResponseState *) mq_state_arg(fcinfo, 0, &mq_response_kind);
	int			form = MQ_CURVE_POWER;

	if (PG_NARGS() > 3)
	{
		text	   *t;

		mq_check_not_null(PG_ARGISNULL(3), "form");
		t = PG_GETARG_TEXT_PP(3);
		form = mq_curve_form_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	if (unlikely(s->form != form))
		response_set_form(s, form);
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		sp = PG_GETARG_FLOAT8(1),
					o = PG_GETARG_FLOAT8(2);
		MemoryContext old;

		mq_points_check(sp, "spend");
		mq_points_check(o, "outcome");
		if (unlikely(s->pts.n == s->pts.cap))
			response_check_size(s->pts.n + 1);
		old = MemoryContextSwitchTo(s->hdr.cxt);
		mq_points_add(&s->pts, sp, o);
		MemoryContextSwitchTo(old);
	}
	return mq_state_return(&s->hdr);
}

PG_FUNCTION_INFO_V1(mq_response_combine);

/* response_curve combine: concatenates the points. */
Datum
mq_response_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_response_kind);
}

PG_FUNCTION_INFO_V1(mq_response_final);

/* response_curve final: the fitted curve, or NULL without points. */
Datum
mq_response_final(PG_FUNCTION_ARGS)
{
	ResponseState *s;
	MqCurve		c;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (ResponseState *) mq_state_view(fcinfo, 0, &mq_response_kind);
	if (s->pts.n == 0)
		PG_RETURN_NULL();
	mq_curve_fit((MqCurveForm) s->form, s->pts.spend, s->pts.outcome, s->pts.n, &c);
	PG_RETURN_POINTER(mq_curve_model(&c));
}

/* --------------------------------------------------------------- readers */

/* A decoded curve cached across calls of one reader (LATERAL over many rows). */
typedef struct CurveCache
{
	Size		len;			/* bytes of the cached value, 0 = none */
	char	   *bytes;			/* a copy of the value */
	MqCurve		c;				/* its decoded curve */
} CurveCache;

/* The curve of model argument argno, decoded once per distinct value. */
static const MqCurve *
curve_arg(FunctionCallInfo fcinfo, int argno)
{
	const MqModel *m = PG_GETARG_MQMODEL(argno, &mq_response_kind);
	CurveCache *cc = (CurveCache *) fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE(m);
	MqCurve		c;

	if (cc != NULL && cc->len == len && memcmp(cc->bytes, m, len) == 0)
		return &cc->c;
	mq_curve_decode(m, &c);
	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CurveCache));
		fcinfo->flinfo->fn_extra = cc;
	}
	if (cc->bytes != NULL)
		pfree(cc->bytes);
	cc->bytes = NULL;
	cc->len = 0;
	cc->bytes = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len);
	memcpy(cc->bytes, m, len);
	cc->len = len;
	cc->c = c;
	return &cc->c;
}

/* Append a float as a JSON number (null when not finite). */
static void
json_float(StringInfo buf, const char *key, double v)
{
	appendStringInfo(buf, ", \"%s\": ", key);
	if (isfinite(v))
		appendStringInfoString(buf, float8out_internal(v));
	else
		appendStringInfoString(buf, "null");
}

PG_FUNCTION_INFO_V1(mq_curve_params);

/*
 * curve_params(m) -> jsonb: form; a, b (power); a, c (log); top, k, s
 * (hill); r2, n; and rows, converged, iterations, concave, spend_min,
 * spend_max.
 */
Datum
mq_curve_params(PG_FUNCTION_ARGS)
{
	const MqCurve *c = curve_arg(fcinfo, 0);
	StringInfoData buf;
	const char *why;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"form\": \"%s\"", mq_curve_form_names[c->form]);
	switch (c->form)
	{
		case MQ_CURVE_POWER:
			json_float(&buf, "a", c->p[0]);
			json_float(&buf, "b", c->p[1]);
			break;
		case MQ_CURVE_LOG:
			json_float(&buf, "a", c->p[0]);
			json_float(&buf, "c", c->p[1]);
			break;
		case MQ_CURVE_HILL:
			json_float(&buf, "top", c->p[0]);
			json_float(&buf, "k", c->p[1]);
			json_float(&buf, "s", c->p[2]);
			break;
	}
	json_float(&buf, "r2", c->r2);
	appendStringInfo(&buf, ", \"n\": " INT64_FORMAT ", \"rows\": " INT64_FORMAT
					 ", \"converged\": %s, \"iterations\": " INT64_FORMAT ", \"concave\": %s",
					 c->n, c->rows, c->converged ? "true" : "false", c->iterations,
					 mq_curve_concave(c, &why) ? "true" : "false");
	json_float(&buf, "spend_min", c->spend_min);
	json_float(&buf, "spend_max", c->spend_max);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* Validate a spend argument. */
static double
spend_arg(FunctionCallInfo fcinfo, int argno)
{
	double		x = PG_GETARG_FLOAT8(argno);

	mq_points_check(x, "spend");
	return x;
}

PG_FUNCTION_INFO_V1(mq_predict_outcome);

/* predict_outcome(m, spend) -> the curve's outcome at spend. */
Datum
mq_predict_outcome(PG_FUNCTION_ARGS)
{
	double		x = spend_arg(fcinfo, 1);

	PG_RETURN_FLOAT8(mq_curve_value(curve_arg(fcinfo, 0), x));
}

PG_FUNCTION_INFO_V1(mq_marginal_return);

/* marginal_return(m, spend) -> the derivative of the curve at spend. */
Datum
mq_marginal_return(PG_FUNCTION_ARGS)
{
	double		x = spend_arg(fcinfo, 1);

	PG_RETURN_FLOAT8(mq_curve_marginal(curve_arg(fcinfo, 0), x));
}
