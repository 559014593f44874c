/*-------------------------------------------------------------------------
 *
 * readers.c
 *	  Reading a marketiq.qtable: the Q table, the greedy policy, the best
 *	  and the epsilon-greedy action for one state, a summary, the empirical
 *	  MDP, and a re-solve with a chosen solver (tests, benchmarks).
 *
 * best_action and epsilon_greedy are called once per customer, often
 * thousands of times in one query with the same model, so they keep the
 * decoded model in fn_extra: the canonical view, its Q values (solved once
 * if the model has none) and each state's greedy action.  The cache is keyed
 * by the model's identity when it is a TOAST pointer (a stored value: same
 * pointer, same bytes) and by its bytes otherwise, so a changed model is
 * never served from a stale cache.  A lookup is then a binary search of the
 * state names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "mq_check.h"
#include "mq_model.h"
#include "mq_qlearn.h"

/* A model decoded for fast per-row reading, kept in fn_extra. */
typedef struct QCache
{
	MemoryContext cxt;			/* holds everything below; reset on a miss */
	bool		valid;			/* holds a model */
	bool		ondisk;			/* keyed by a TOAST pointer */
	varatt_external toast;		/* that pointer */
	Size		len;			/* bytes of the flat model */
	MqModel    *model;			/* a copy of it */
	QCanon		c;				/* its canonical view */
	const double *q;			/* its Q values */
	int32	   *greedy;			/* per state: greedy pair, -1 without actions */
} QCache;

/* The decoded model of argument 0, from the cache when it is the same model. */
static QCache *
cached_model(FunctionCallInfo fcinfo)
{
	QCache	   *cache = fcinfo->flinfo->fn_extra;
	Datum		d = PG_GETARG_DATUM(0);
	struct varlena *raw = (struct varlena *) DatumGetPointer(d);
	bool		ondisk = VARATT_IS_EXTERNAL_ONDISK(raw);
	varatt_external toast;
	const MqModel *m = NULL;
	MemoryContext old;
	int			s;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(QCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "marketiq qtable cache",
										   ALLOCSET_DEFAULT_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (ondisk)
	{
		VARATT_EXTERNAL_GET_POINTER(toast, raw);
		if (cache->valid && cache->ondisk && memcmp(&toast, &cache->toast, sizeof(toast)) == 0)
			return cache;
	}
	m = mq_model_fetch(d, &mq_qtable_kind);
	if (!ondisk && cache->valid && !cache->ondisk && cache->len == VARSIZE(m) &&
		memcmp(cache->model, m, cache->len) == 0)
		return cache;

	/* a miss: decode this model */
	cache->valid = false;
	MemoryContextReset(cache->cxt);
	old = MemoryContextSwitchTo(cache->cxt);
	cache->ondisk = ondisk;
	if (ondisk)
		cache->toast = toast;
	cache->len = VARSIZE(m);
	cache->model = palloc(cache->len);
	memcpy(cache->model, m, cache->len);
	qcanon_from_model(cache->model, &cache->c);
	qcanon_index(&cache->c);
	cache->q = qcanon_q(&cache->c);
	cache->greedy = palloc(sizeof(int32) * Max(cache->c.nstates, 1));
	for (s = 0; s < cache->c.nstates; s++)
		cache->greedy[s] = qcanon_greedy(&cache->c, cache->q, s);
	MemoryContextSwitchTo(old);
	cache->valid = true;
	return cache;
}

/* The canonical view of argument 0 with its Q values (solved now if absent). */
static const double *
model_arg(FunctionCallInfo fcinfo, QCanon *c)
{
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_qtable_kind);

	qcanon_from_model(m, c);
	qcanon_index(c);
	return qcanon_q(c);
}

/* A text datum of a name. */
static inline Datum
name_datum(const char *s, int len)
{
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

PG_FUNCTION_INFO_V1(mq_q_values);

/* q_values(model) -> TABLE(state, action, q, visits, mean_reward), by state and action. */
Datum
mq_q_values(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	QCanon		c;
	const double *q = model_arg(fcinfo, &c);
	int			p;

	InitMaterializedSRF(fcinfo, 0);
	for (p = 0; p < c.npairs; p++)
	{
		Datum		v[5];
		bool		nulls[5] = {false, false, false, false, false};
		int			s = c.pstate[p],
					a = c.paction[p];

		v[0] = name_datum(c.snames[s], c.slens[s]);
		v[1] = name_datum(c.anames[a], c.alens[a]);
		v[2] = Float8GetDatum(q[p]);
		v[3] = Int64GetDatum(c.visits[p]);
		v[4] = Float8GetDatum(c.preward[p] / (double) c.visits[p]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_q_policy);

/*
 * policy(model) -> TABLE(state, action, value, visits): the greedy action of
 * every state with actions (ties: smallest action name), its Q and visits.
 */
Datum
mq_q_policy(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	QCanon		c;
	const double *q = model_arg(fcinfo, &c);
	int			s;

	InitMaterializedSRF(fcinfo, 0);
	for (s = 0; s < c.nstates; s++)
	{
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};
		int			p = qcanon_greedy(&c, q, s);

		if (p < 0)
			continue;
		v[0] = name_datum(c.snames[s], c.slens[s]);
		v[1] = name_datum(c.anames[c.paction[p]], c.alens[c.paction[p]]);
		v[2] = Float8GetDatum(q[p]);
		v[3] = Int64GetDatum(c.visits[p]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_q_best_action);

/* best_action(model, state) -> the greedy action, NULL for a state without actions. */
Datum
mq_q_best_action(PG_FUNCTION_ARGS)
{
	QCache	   *cache = cached_model(fcinfo);
	text	   *st = PG_GETARG_TEXT_PP(1);
	int			s = qcanon_find_state(&cache->c, VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st));
	int			p;

	if (s < 0 || (p = cache->greedy[s]) < 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(name_datum(cache->c.anames[cache->c.paction[p]],
							   cache->c.alens[cache->c.paction[p]]));
}

PG_FUNCTION_INFO_V1(mq_q_epsilon_greedy);

/*
 * epsilon_greedy(model, state, epsilon, u) -> with u < epsilon the action at
 * index floor(u / epsilon * |A(s)|) of the state's actions in byte order,
 * else the greedy action; NULL for a state without actions.
 */
Datum
mq_q_epsilon_greedy(PG_FUNCTION_ARGS)
{
	double		eps = PG_GETARG_FLOAT8(2);
	double		u = PG_GETARG_FLOAT8(3);
	QCache	   *cache;
	text	   *st;
	int			s,
				p,
				n;

	mq_check_range(eps, "epsilon", 0, true, 1, true);
	mq_check_range(u, "u", 0, true, 1, false);
	cache = cached_model(fcinfo);
	st = PG_GETARG_TEXT_PP(1);
	s = qcanon_find_state(&cache->c, VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st));
	if (s < 0 || cache->greedy[s] < 0)
		PG_RETURN_NULL();
	n = cache->c.pstart[s + 1] - cache->c.pstart[s];
	if (u < eps)
	{
		int			i = (int) floor(u / eps * n);

		/* u / eps < 1, but rounding may reach 1 when u is just below eps */
		p = cache->c.pstart[s] + Min(i, n - 1);
	}
	else
		p = cache->greedy[s];
	PG_RETURN_DATUM(name_datum(cache->c.anames[cache->c.paction[p]],
							   cache->c.alens[cache->c.paction[p]]));
}

PG_FUNCTION_INFO_V1(mq_q_summary);

/*
 * q_summary(model) -> one row: method, gamma, rows, skipped, states,
 * decision_states, actions, pairs, transitions, solver, iterations,
 * error_bound.
 */
Datum
mq_q_summary(PG_FUNCTION_ARGS)
{
	QCanon		c;
	TupleDesc	tupdesc;
	Datum		v[12];
	bool		nulls[12];
	int			s,
				decision = 0;

	model_arg(fcinfo, &c);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (s = 0; s < c.nstates; s++)
		if (c.pstart[s + 1] > c.pstart[s])
			decision++;
	memset(nulls, 0, sizeof(nulls));
	v[0] = CStringGetTextDatum(c.method == QM_ONLINE ? "online" : "exact");
	v[1] = Float8GetDatum(c.gamma);
	v[2] = Int64GetDatum(c.rows);
	v[3] = Int64GetDatum(c.skipped);
	v[4] = Int32GetDatum(c.nstates);
	v[5] = Int32GetDatum(decision);
	v[6] = Int32GetDatum(c.nactions);
	v[7] = Int32GetDatum(c.npairs);
	v[8] = Int32GetDatum(c.ntrans);
	v[9] = CStringGetTextDatum(c.solver);
	v[10] = Int64GetDatum(c.iterations);
	v[11] = Float8GetDatum(c.error_bound);
	nulls[11] = isnan(c.error_bound);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

PG_FUNCTION_INFO_V1(mq_q_transitions);

/*
 * q_transitions(model) -> TABLE(state, action, next_state, transitions,
 * probability, mean_reward): the empirical MDP of an exact table (next_state
 * NULL for terminal transitions); no rows for an online table.
 */
Datum
mq_q_transitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_qtable_kind);
	QCanon		c;
	int			t;

	qcanon_from_model(m, &c);
	InitMaterializedSRF(fcinfo, 0);
	for (t = 0; t < c.ntrans; t++)
	{
		Datum		v[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		int			p = c.tpair[t],
					s = c.pstate[p],
					a = c.paction[p],
					n = c.tnext[t];

		v[0] = name_datum(c.snames[s], c.slens[s]);
		v[1] = name_datum(c.anames[a], c.alens[a]);
		if (n >= 0)
			v[2] = name_datum(c.snames[n], c.slens[n]);
		else
			nulls[2] = true;
		v[3] = Int64GetDatum(c.tcount[t]);
		v[4] = Float8GetDatum((double) c.tcount[t] / (double) c.visits[p]);
		v[5] = Float8GetDatum(c.treward[t] / (double) c.tcount[t]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mq_q_resolve);

/*
 * _qlearn_solve(model, solver) -> the exact model solved again with a given
 * solver: auto, dense, gmres, gauss_seidel or value_iteration.
 */
Datum
mq_q_resolve(PG_FUNCTION_ARGS)
{
	static const char *const solvers[] = {"auto", "dense", "gmres", "gauss_seidel",
	"value_iteration", NULL};
	static const QSolver codes[] = {QS_AUTO, QS_DENSE, QS_GMRES, QS_GAUSS_SEIDEL,
	QS_VALUE_ITERATION};
	const MqModel *m = PG_GETARG_MQMODEL(0, &mq_qtable_kind);
	int			how = mq_check_choice(text_to_cstring(PG_GETARG_TEXT_PP(1)), "solver", solvers);
	QCanon		c;
	QSolution	sol;

	qcanon_from_model(m, &c);
	if (c.method != QM_EXACT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an online Q table cannot be solved"),
				 errdetail("Only exact tables (from qlearn) keep the transition counts the equations need.")));
	qcanon_index(&c);
	qcanon_solve(&c, codes[how], &sol);
	PG_RETURN_POINTER(qcanon_build(&c, &sol));
}
