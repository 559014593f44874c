/*-------------------------------------------------------------------------
 *
 * qlearn.c
 *	  The learners: the textbook update q_update, the exact batch aggregate
 *	  qlearn, and online Q-learning one step at a time (q_step) or over a
 *	  log in a given order (the ordered aggregate q_replay).
 *
 * qlearn's state is the empirical MDP -- counts and exact reward sums per
 * (state, action, next state) -- held in a QTab behind an expanded-object
 * header (mq_model.h), so the state type is marketiq.qtable itself: partial
 * states from parallel workers or Citus nodes add up, and the final function
 * solves the Bellman optimality equations exactly (solve.c).
 *
 * q_replay's state is an online QTab: the Q values after the updates so far.
 * Its result depends on the order of the rows by nature, so it has no
 * combine function; it is meant to be called with ORDER BY inside the call.
 *
 * NULL handling, the same everywhere: a row with a NULL state or action is
 * skipped and counted (the model's "skipped"); a NULL reward counts as 0; a
 * NULL next state marks a terminal transition; NULL alpha or gamma is an
 * error.  Rewards must be finite.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"

#include "mq_check.h"
#include "mq_model.h"
#include "mq_qlearn.h"

/* ------------------------------------------------------------ validation */

/* Error unless alpha is in (0, 1]. */
void
mq_q_check_alpha(double alpha)
{
	mq_check_range(alpha, "alpha", 0, false, 1, true);
}

/* Error unless gamma is in [0, 1). */
void
mq_q_check_gamma(double gamma)
{
	mq_check_range(gamma, "gamma", 0, true, 1, false);
}

/* Error unless a reward is finite. */
void
mq_q_check_reward(double reward)
{
	mq_check_finite(reward, "reward");
}

/* q + alpha (reward + gamma next_max_q - q), checked for overflow. */
double
mq_q_update(double q, double reward, double next_max_q, double alpha, double gamma)
{
	double		r = q + alpha * (reward + gamma * next_max_q - q);

	if (!isfinite(r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the updated Q value is out of the range of float8"),
				 errdetail("q %g, reward %g, next_max_q %g, alpha %g, gamma %g.",
						   q, reward, next_max_q, alpha, gamma)));
	return r;
}

PG_FUNCTION_INFO_V1(mq_q_update_sql);

/* q_update(q, reward, next_max_q, alpha, gamma) -> q + alpha (reward + gamma next_max_q - q) */
Datum
mq_q_update_sql(PG_FUNCTION_ARGS)
{
	double		q = PG_GETARG_FLOAT8(0);
	double		reward = PG_GETARG_FLOAT8(1);
	double		next_max = PG_GETARG_FLOAT8(2);
	double		alpha = PG_GETARG_FLOAT8(3);
	double		gamma = PG_GETARG_FLOAT8(4);

	mq_check_finite(q, "q");
	mq_q_check_reward(reward);
	mq_check_finite(next_max, "next_max_q");
	mq_q_check_alpha(alpha);
	mq_q_check_gamma(gamma);
	PG_RETURN_FLOAT8(mq_q_update(q, reward, next_max, alpha, gamma));
}

/* The float8 argument argno, or 0 when NULL (rewards), checked finite. */
static inline double
reward_arg(FunctionCallInfo fcinfo, int argno)
{
	double		r;

	if (PG_ARGISNULL(argno))
		return 0;
	r = PG_GETARG_FLOAT8(argno);
	if (unlikely(!isfinite(r)))
		mq_q_check_reward(r);
	return r;
}

/* A required float8 argument (alpha, gamma). */
static inline double
required_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	mq_check_not_null(PG_ARGISNULL(argno), what);
	return PG_GETARG_FLOAT8(argno);
}

/* ------------------------------------------------------------ qlearn */

PG_FUNCTION_INFO_V1(mq_qlearn_trans);

/*
 * qlearn(state text, action text, reward float8, next_state text [, gamma
 * float8]) transition: count the transition.
 */
Datum
mq_qlearn_trans(PG_FUNCTION_ARGS)
{
	QState	   *qs = (QState *) mq_state_arg(fcinfo, 0, &mq_qtable_kind);
	QTab	   *t = &qs->t;
	double		gamma = 0.9,
				reward;
	text	   *s,
			   *a;
	int32		sid,
				aid,
				next = -1;

	if (PG_NARGS() > 5)
		gamma = required_arg(fcinfo, 5, "gamma");
	if (unlikely(t->method != QM_EXACT))
	{
		if (t->method == QM_ONLINE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine an exact Q table with an online one")));
		t->method = QM_EXACT;
	}
	if (unlikely(gamma != t->gamma))
		qtab_set_gamma(t, gamma, "qlearn");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		t->skipped++;
		return mq_state_return(&qs->hdr);
	}
	reward = reward_arg(fcinfo, 3);
	s = PG_GETARG_TEXT_PP(1);
	a = PG_GETARG_TEXT_PP(2);
	sid = qtab_state(t, VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s));
	aid = qtab_action(t, VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a));
	if (!PG_ARGISNULL(4))
	{
		text	   *n = PG_GETARG_TEXT_PP(4);

		next = qtab_state(t, VARDATA_ANY(n), VARSIZE_ANY_EXHDR(n));
	}
	qtab_add_transition(t, sid, aid, next, reward);
	qtab_check_size(t);
	return mq_state_return(&qs->hdr);
}

PG_FUNCTION_INFO_V1(mq_qlearn_combine);

/* qlearn combine: add the counts. */
Datum
mq_qlearn_combine(PG_FUNCTION_ARGS)
{
	return mq_state_combine(fcinfo, &mq_qtable_kind);
}

PG_FUNCTION_INFO_V1(mq_qlearn_final);

/* qlearn final: the solved Q table, or NULL without transitions. */
Datum
mq_qlearn_final(PG_FUNCTION_ARGS)
{
	QState	   *qs;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	qs = (QState *) mq_state_view(fcinfo, 0, &mq_qtable_kind);
	if (qs->t.rows == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(qtab_finish(&qs->t));
}

/* ------------------------------------------------------------ online */

/*
 * One online update of table t from the row arguments (state, action,
 * reward, next_state, alpha, gamma) starting at argument `first`.
 */
static void
online_row(FunctionCallInfo fcinfo, QTab *t, int first)
{
	double		alpha = required_arg(fcinfo, first + 4, "alpha");
	double		gamma = required_arg(fcinfo, first + 5, "gamma");
	double		reward;
	text	   *s,
			   *a;
	int32		sid,
				aid,
				next = -1;

	mq_q_check_alpha(alpha);
	mq_q_check_gamma(gamma);
	if (PG_ARGISNULL(first) || PG_ARGISNULL(first + 1))
	{
		t->skipped++;
		t->gamma = gamma;
		return;
	}
	reward = reward_arg(fcinfo, first + 2);
	s = PG_GETARG_TEXT_PP(first);
	a = PG_GETARG_TEXT_PP(first + 1);
	if (!PG_ARGISNULL(first + 3))
	{
		text	   *n = PG_GETARG_TEXT_PP(first + 3);

		/* a state never updated has no Q values yet: it counts like a terminal one */
		next = mq_dict_find(&t->states, VARDATA_ANY(n), VARSIZE_ANY_EXHDR(n));
	}
	sid = qtab_state(t, VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s));
	aid = qtab_action(t, VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a));
	qtab_online_update(t, sid, aid, next, reward, alpha, gamma);
}

PG_FUNCTION_INFO_V1(mq_q_step);

/*
 * q_step(model, state, action, reward, next_state, alpha, gamma) -> the
 * model after one update.  A NULL model starts empty; an exact model is a
 * warm start (its Q values, solved if need be, continue online).
 */
Datum
mq_q_step(PG_FUNCTION_ARGS)
{
	QTab		t;

	qtab_init(&t, QM_ONLINE);
	if (!PG_ARGISNULL(0))
		qtab_merge(&t, PG_GETARG_MQMODEL(0, &mq_qtable_kind));
	online_row(fcinfo, &t, 1);
	qtab_check_size(&t);
	PG_RETURN_POINTER(qtab_finish(&t));
}

PG_FUNCTION_INFO_V1(mq_q_replay_trans);

/* q_replay(state, action, reward, next_state, alpha, gamma ORDER BY ...) transition. */
Datum
mq_q_replay_trans(PG_FUNCTION_ARGS)
{
	QState	   *qs = (QState *) mq_state_arg(fcinfo, 0, &mq_qtable_kind);
	QTab	   *t = &qs->t;

	if (unlikely(t->method != QM_ONLINE))
	{
		if (t->method == QM_EXACT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine an exact Q table with an online one")));
		t->method = QM_ONLINE;
	}
	online_row(fcinfo, t, 1);
	qtab_check_size(t);
	return mq_state_return(&qs->hdr);
}

PG_FUNCTION_INFO_V1(mq_q_replay_final);

/* q_replay final: the online Q table, or NULL without updates. */
Datum
mq_q_replay_final(PG_FUNCTION_ARGS)
{
	QState	   *qs;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	qs = (QState *) mq_state_view(fcinfo, 0, &mq_qtable_kind);
	if (qs->t.rows == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(qtab_finish(&qs->t));
}
