/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  budget_plan: fit one response curve per channel from a history table
 *	  and split a budget between the channels, in one statement.
 *
 * The history is any table or view with a channel column and, per period,
 * the spend and the outcome.  The function builds its query only from the
 * relation's quoted name and the checked, quoted column names
 * (mq_rel_name, mq_rel_column), runs it through an SPI cursor with the
 * caller's privileges, and collects the points of each channel in C, so a
 * fit that fails names its channel.  Rows with a NULL channel are skipped;
 * rows with a NULL spend or outcome do not enter the curve; a row's spend
 * (when not NULL) counts in the channel's current share of spend.
 *
 * Channels come out sorted by name in byte order (as ORDER BY channel
 * COLLATE "C"); min_spend and max_spend list their bounds in that order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "mq_budget.h"
#include "mq_check.h"
#include "mq_hash.h"
#include "mq_model.h"
#include "mq_util.h"

/* rows fetched from the cursor at a time */
#define PLAN_FETCH 10000

/* Error context: which channel's points are being fitted. */
static void
plan_channel_context(void *arg)
{
	errcontext("fitting the response curve of channel \"%s\"", (const char *) arg);
}

PG_FUNCTION_INFO_V1(mq_budget_plan);

/*
 * budget_plan(history regclass, channel_col name, spend_col name,
 * outcome_col name, budget float8, form text DEFAULT 'power', min_spend
 * float8[] DEFAULT NULL, max_spend float8[] DEFAULT NULL)
 * -> TABLE(channel, spend, expected_outcome, marginal_return, current_share)
 */
Datum
mq_budget_plan(PG_FUNCTION_ARGS)
{
	static const Oid num_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID, INT2OID, INT4OID, INT8OID, InvalidOid};
	static const char *const argnames[] = {"history", "channel_col", "spend_col", "outcome_col",
	"budget", "form"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt = CurrentMemoryContext;
	Oid			relid,
				spend_type,
				outcome_type;
	char	   *rel,
			   *chan,
			   *sp,
			   *out,
			   *sql;
	text	   *form_text;
	MqCurveForm form;
	double		budget;
	MqDict		dict;
	MqPoints   *pts = NULL;
	double	   *spent = NULL;
	int			cap = 0,
				nch,
				i;
	int32	   *order;
	const char **names;
	MqCurve    *curves;
	double	   *lo,
			   *hi,
			   *x,
				total = 0;
	int64		npoints = 0;
	Portal		portal;

	for (i = 0; i < 6; i++)
		mq_check_not_null(PG_ARGISNULL(i), argnames[i]);
	relid = PG_GETARG_OID(0);
	budget = PG_GETARG_FLOAT8(4);
	form_text = PG_GETARG_TEXT_PP(5);
	form = mq_curve_form_parse(VARDATA_ANY(form_text), VARSIZE_ANY_EXHDR(form_text));
	mq_check_finite(budget, "budget");
	if (budget <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"budget\" must be positive"),
				 errdetail("It is %g.", budget)));
	rel = mq_rel_name(relid);
	chan = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(1)), "channel_col", NULL);
	sp = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(2)), "spend_col", &spend_type);
	out = mq_rel_column(relid, NameStr(*PG_GETARG_NAME(3)), "outcome_col", &outcome_type);
	mq_check_column_type(spend_type, num_types, NameStr(*PG_GETARG_NAME(2)), "spend_col", "a number");
	mq_check_column_type(outcome_type, num_types, NameStr(*PG_GETARG_NAME(3)), "outcome_col", "a number");
	sql = psprintf("SELECT %s::text, %s::float8, %s::float8 FROM %s WHERE %s IS NOT NULL",
				   chan, sp, out, rel, chan);

	/* read the history: per channel, its points and its total spend */
	mq_dict_init(&dict);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	portal = SPI_cursor_open_with_args(NULL, sql, 0, NULL, NULL, NULL, true, 0);
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, PLAN_FETCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		cnull,
						snull,
						onull;
			Datum		cd = SPI_getbinval(tup, desc, 1, &cnull);
			Datum		sd = SPI_getbinval(tup, desc, 2, &snull);
			Datum		od = SPI_getbinval(tup, desc, 3, &onull);
			MemoryContext old;
			text	   *t;
			int32		id;

			if (cnull || snull)
				continue;
			t = DatumGetTextPP(cd);
			old = MemoryContextSwitchTo(cxt);
			id = mq_dict_intern(&dict, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			if (id >= cap)
			{
				int			newcap = Max(16, cap * 2);

				pts = pts ? repalloc(pts, sizeof(MqPoints) * newcap) : palloc(sizeof(MqPoints) * newcap);
				spent = spent ? repalloc(spent, sizeof(double) * newcap) : palloc(sizeof(double) * newcap);
				memset(pts + cap, 0, sizeof(MqPoints) * (newcap - cap));
				memset(spent + cap, 0, sizeof(double) * (newcap - cap));
				cap = newcap;
			}
			MemoryContextSwitchTo(old);
			{
				ErrorContextCallback cb;

				cb.callback = plan_channel_context;
				cb.arg = dict.strs[id];
				cb.previous = error_context_stack;
				error_context_stack = &cb;
				mq_points_check(DatumGetFloat8(sd), "spend");
				if (!onull)
					mq_points_check(DatumGetFloat8(od), "outcome");
				error_context_stack = cb.previous;
			}
			spent[id] += DatumGetFloat8(sd);
			if (!onull)
			{
				if (pts[id].n == pts[id].cap)
					mq_check_state_size((Size) (npoints + 1) * 2 * sizeof(double),
										&mq_response_kind, "points");
				old = MemoryContextSwitchTo(cxt);
				mq_points_add(&pts[id], DatumGetFloat8(sd), DatumGetFloat8(od));
				MemoryContextSwitchTo(old);
				npoints++;
			}
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();

	nch = dict.n;
	if (nch == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has no rows with a channel and a spend", rel),
				 errhint("budget_plan fits one response curve per channel from the history.")));
	mq_progress("budget_plan: " INT64_FORMAT " points over %d channels", npoints, nch);

	/* fit a curve per channel, in name order */
	order = mq_dict_sorted(&dict);
	names = palloc(sizeof(char *) * nch);
	curves = palloc(sizeof(MqCurve) * nch);
	for (i = 0; i < nch; i++)
	{
		int32		id = order[i];
		ErrorContextCallback cb;

		names[i] = dict.strs[id];
		cb.callback = plan_channel_context;
		cb.arg = dict.strs[id];
		cb.previous = error_context_stack;
		error_context_stack = &cb;
		mq_curve_fit(form, pts[id].spend, pts[id].outcome, pts[id].n, &curves[i]);
		error_context_stack = cb.previous;
		total += spent[id];
		CHECK_FOR_INTERRUPTS();
	}

	mq_budget_bounds(nch, names, budget,
					 PG_ARGISNULL(6) ? NULL : PG_GETARG_ARRAYTYPE_P(6),
					 PG_ARGISNULL(7) ? NULL : PG_GETARG_ARRAYTYPE_P(7), &lo, &hi);
	x = palloc(sizeof(double) * nch);
	mq_allocate(nch, curves, names, budget, lo, hi, x);
	mq_warn_extrapolation(nch, names, curves, x);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nch; i++)
	{
		Datum		v[5];
		bool		isnull[5] = {false, false, false, false, false};

		v[0] = PointerGetDatum(cstring_to_text(names[i]));
		v[1] = Float8GetDatum(x[i]);
		v[2] = Float8GetDatum(mq_curve_value(&curves[i], x[i]));
		v[3] = Float8GetDatum(mq_curve_marginal(&curves[i], x[i]));
		v[4] = Float8GetDatum(total > 0 ? spent[order[i]] / total : 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, isnull);
	}
	return (Datum) 0;
}
