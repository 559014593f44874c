/*-------------------------------------------------------------------------
 *
 * qtable.c
 *	  The marketiq.qtable model value: its layout and validation, the
 *	  in-memory table (QTab) the learners fill, and the canonical form
 *	  (QCanon) the solver and the readers work on.
 *
 * Building.  A QTab interns state and action names as dense ids in order of
 * appearance.  An exact table counts transitions in an MqAccum keyed by
 * (state, action, next state) -- next state -1 for a terminal transition --
 * whose value row is the count and the exact sum of the rewards (QExact,
 * exactsum.c).  This is exactly the plain-SQL "GROUP BY state, action,
 * next_state" of the log, so two partial tables combine by adding rows.
 * An online table keeps per (state, action) its current Q, the number of
 * updates and the sum of their rewards; the pairs of each state are linked
 * so that max_a' Q(s', a') costs one short list walk.
 *
 * Canonical form.  qtab_canon sorts states and actions by name (byte order)
 * and lists pairs sorted by (state, action) and transitions sorted by (pair,
 * next state), with each pair's visits and reward sum derived from its
 * transitions.  Reward sums are rounded once from their exact values (hi);
 * the rest, rounded again, is kept beside it (lo), which holds every sum of
 * money exactly (hi + lo carries 106 significant bits), and the rare sum
 * that hi + lo misses keeps its exact value in a sparse section
 * (QT_T_EXACT), so that combining partial tables loses nothing.
 * Equal tables therefore have equal bytes, whatever the order of the rows
 * or the plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "mq_check.h"
#include "mq_hash.h"
#include "mq_model.h"
#include "mq_qlearn.h"

static const MqSectSpec qtable_sects[QT_NSECT] = {
	{"method", MQ_TEXT},
	{"gamma", MQ_FLOAT8},
	{"rows", MQ_INT64},
	{"skipped", MQ_INT64},
	{"states", MQ_TEXT_ARR},
	{"actions", MQ_TEXT_ARR},
	{"pair_state", MQ_INT32_ARR},
	{"pair_action", MQ_INT32_ARR},
	{"visits", MQ_INT64_ARR},
	{"reward_sum", MQ_FLOAT8_ARR},
	{"q", MQ_FLOAT8_ARR},
	{"trans_pair", MQ_INT32_ARR},
	{"trans_next", MQ_INT32_ARR},
	{"trans_count", MQ_INT64_ARR},
	{"trans_reward", MQ_FLOAT8_ARR},
	{"trans_reward_lo", MQ_FLOAT8_ARR},
	{"trans_reward_exact", MQ_INT64_ARR},
	{"solver", MQ_TEXT},
	{"iterations", MQ_INT64},
	{"error_bound", MQ_FLOAT8},
};

static void qtable_check(const MqKind *kind, const MqModel *m);
static void qtable_init(MqState *s);
static void qtable_merge(MqState *s, const MqModel *m);
static MqModel *qtable_flatten(MqState *s);

const MqKind mq_qtable_kind = {
	.name = "qtable",
	.id = 50,
	.format = 1,
	.nsect = QT_NSECT,
	.sects = qtable_sects,
	.check = qtable_check,
	.state_size = sizeof(QState),
	.init = qtable_init,
	.merge = qtable_merge,
	.flatten = qtable_flatten,
};

MQ_MODEL_TYPE_IO(qtable, &mq_qtable_kind)

/* The method of a flat value from its text ("exact"/"online"), or QM_UNSET. */
static int
method_of(const MqModel *m)
{
	const char *s = mq_get_text(m, QT_METHOD);

	if (strcmp(s, "exact") == 0)
		return QM_EXACT;
	if (strcmp(s, "online") == 0)
		return QM_ONLINE;
	return QM_UNSET;
}

/* Read record i of QT_T_EXACT into x; returns the transition it belongs to. */
static int64
exact_record(const int64 *rec, int i, QExact *x)
{
	const int64 *r = rec + (Size) i * QT_EXACT_GROUP;

	x->e = r[1];
	x->w[0] = (uint64) r[2];
	x->w[1] = (uint64) r[3];
	x->w[2] = (uint64) r[4];
	return r[0];
}

/*
 * The exact reward sum of transition i into x: the next exact record (*rec,
 * advanced) when it belongs to i, else hi + lo.  Returns whether a record
 * was used.
 */
static bool
trans_exact(const QCanon *c, int i, int *rec, QExact *x)
{
	memset(x, 0, sizeof(*x));
	if (*rec < c->nexact && c->texact[(Size) *rec * QT_EXACT_GROUP] == i)
	{
		exact_record(c->texact, (*rec)++, x);
		return true;
	}
	qx_add_double(x, c->treward[i]);
	if (c->treward_lo)
		qx_add_double(x, c->treward_lo[i]);
	return false;
}

/* ------------------------------------------------------------- validation */

/* Error unless the strings of a text-array section are in strict byte order. */
static void
check_sorted_names(const MqKind *kind, const MqModel *m, int sect, const char *What,
				   const char *what)
{
	int			n = mq_get_text_count(m, sect),
				i,
				prevlen = 0;
	const char *prev = NULL;

	for (i = 0; i < n; i++)
	{
		int			len;
		const char *s = mq_get_text_elem(m, sect, i, &len);

		if (prev && mq_strcmp_bytes(prev, prevlen, s, len) >= 0)
			mq_model_corrupt(kind, "%s %d is not in byte order after %s %d, or repeats it.",
							 What, i + 1, what, i);
		prev = s;
		prevlen = len;
	}
}

/* Semantic checks of a flat qtable value. */
static void
qtable_check(const MqKind *kind, const MqModel *m)
{
	int			method = method_of(m);
	double		gamma = mq_get_float8(m, QT_GAMMA);
	int64		rows = mq_get_int64(m, QT_ROWS);
	int			ns = mq_get_text_count(m, QT_STATES),
				na = mq_get_text_count(m, QT_ACTIONS),
				np,
				n2,
				n3,
				n4,
				nq,
				nt,
				nt2,
				nt3,
				nt4,
				nx,
				i,
				j;
	const int32 *ps = mq_get_int32s(m, QT_PAIR_STATE, &np);
	const int32 *pa = mq_get_int32s(m, QT_PAIR_ACTION, &n2);
	const int64 *visits = mq_get_int64s(m, QT_VISITS, &n3);
	const double *preward = mq_get_float8s(m, QT_REWARD, &n4);
	const double *q = mq_get_float8s(m, QT_Q, &nq);
	const int32 *tp = mq_get_int32s(m, QT_T_PAIR, &nt);
	const int32 *tn = mq_get_int32s(m, QT_T_NEXT, &nt2);
	const int64 *tc = mq_get_int64s(m, QT_T_COUNT, &nt3);
	const double *tr = mq_get_float8s(m, QT_T_REWARD, &nt4);
	int64		total = 0;
	double		bound = mq_get_float8(m, QT_ERROR_BOUND);
	int			nlo;

	if (method == QM_UNSET)
		mq_model_corrupt(kind, "\"method\" must be \"exact\" or \"online\".");
	if (!(gamma >= 0 && gamma < 1))
		mq_model_corrupt(kind, "\"gamma\" must be in [0, 1).");
	if (rows < 0 || mq_get_int64(m, QT_SKIPPED) < 0 || mq_get_int64(m, QT_ITERATIONS) < 0)
		mq_model_corrupt(kind, "\"rows\", \"skipped\" and \"iterations\" must not be negative.");
	if (!isnan(bound) && !(bound >= 0 && isfinite(bound)))
		mq_model_corrupt(kind, "\"error_bound\" must be a non-negative number or NaN.");
	check_sorted_names(kind, m, QT_STATES, "State", "state");
	check_sorted_names(kind, m, QT_ACTIONS, "Action", "action");
	if (np != n2 || np != n3 || np != n4 || (nq != 0 && nq != np))
		mq_model_corrupt(kind, "The pair sections have %d, %d, %d, %d and %d elements.",
						 np, n2, n3, n4, nq);
	if (method == QM_ONLINE && nq != np)
		mq_model_corrupt(kind, "An online Q table must have a Q value for every pair.");
	for (i = 0; i < np; i++)
	{
		if (ps[i] < 0 || ps[i] >= ns || pa[i] < 0 || pa[i] >= na)
			mq_model_corrupt(kind, "Pair %d names a state or action that does not exist.", i + 1);
		if (i > 0 && (ps[i] < ps[i - 1] || (ps[i] == ps[i - 1] && pa[i] <= pa[i - 1])))
			mq_model_corrupt(kind, "Pair %d is not in (state, action) order after pair %d, or repeats it.",
							 i + 1, i);
		if (visits[i] < 1 || visits[i] > PG_INT64_MAX - total)
			mq_model_corrupt(kind, "Pair %d has visit count " INT64_FORMAT ".", i + 1, visits[i]);
		total += visits[i];
		if (!isfinite(preward[i]) || (nq > 0 && !isfinite(q[i])))
			mq_model_corrupt(kind, "Pair %d has a non-finite reward sum or Q value.", i + 1);
	}
	if (total != rows)
		mq_model_corrupt(kind, "\"rows\" is " INT64_FORMAT " but the visits add up to " INT64_FORMAT ".",
						 rows, total);
	mq_get_int64s(m, QT_T_EXACT, &nx);
	mq_get_float8s(m, QT_T_REWARD_LO, &nlo);
	if (nt != nt2 || nt != nt3 || nt != nt4 || (nlo != 0 && nlo != nt) || nx % QT_EXACT_GROUP != 0)
		mq_model_corrupt(kind, "The transition sections have %d, %d, %d, %d, %d and %d elements.",
						 nt, nt2, nt3, nt4, nlo, nx);
	if (method == QM_ONLINE && (nt != 0 || nx != 0 || nlo != 0))
		mq_model_corrupt(kind, "An online Q table has no transition counts.");
	if (method == QM_EXACT)
	{
		int			p = -1,
					x = 0;
		int64		sum = 0;
		QExact		psum;
		QCanon		c;

		qcanon_from_model(m, &c);
		memset(&psum, 0, sizeof(psum));
		for (i = 0; i < nt; i++)
		{
			QExact		tsum,
						rest;
			bool		rec;

			if (tp[i] < 0 || tp[i] >= np || tn[i] < -1 || tn[i] >= ns || tc[i] < 1 ||
				!isfinite(tr[i]) || (c.treward_lo && !isfinite(c.treward_lo[i])))
				mq_model_corrupt(kind, "Transition %d has an invalid pair, next state, count or reward.", i + 1);
			if (i > 0 && (tp[i] < tp[i - 1] || (tp[i] == tp[i - 1] && tn[i] <= tn[i - 1])))
				mq_model_corrupt(kind, "Transition %d is not in (pair, next state) order after transition %d, or repeats it.",
								 i + 1, i);
			if (tp[i] != p)
			{
				/* close pair p: its visits and reward sum follow from its transitions */
				if (p >= 0 && (sum != visits[p] || qx_round(&psum) != preward[p]))
					mq_model_corrupt(kind, "Pair %d does not match its transitions.", p + 1);
				for (j = p + 1; j < tp[i]; j++)
					mq_model_corrupt(kind, "Pair %d has no transitions.", j + 1);
				p = tp[i];
				sum = 0;
				memset(&psum, 0, sizeof(psum));
			}
			if (tc[i] > PG_INT64_MAX - sum)
				mq_model_corrupt(kind, "Transition counts of pair %d overflow.", p + 1);
			sum += tc[i];

			/*
			 * hi must be the sum rounded, lo the rest rounded, and a record
			 * must hold a sum that hi + lo does not.
			 */
			rec = trans_exact(&c, i, &x, &tsum);
			if (rec && !qx_valid_normal(&tsum))
				mq_model_corrupt(kind, "The exact reward sum of transition %d is invalid.", i + 1);
			rest = tsum;
			qx_add_double(&rest, -tr[i]);
			if (qx_round(&tsum) != tr[i] ||
				qx_round(&rest) != (c.treward_lo ? c.treward_lo[i] : 0))
				mq_model_corrupt(kind, "The reward sum of transition %d is not rounded from its parts.", i + 1);
			if (rec)
			{
				qx_add_double(&rest, c.treward_lo ? -c.treward_lo[i] : 0);
				if (qx_is_double(&rest) && qx_round(&rest) == 0)
					mq_model_corrupt(kind, "The exact reward sum of transition %d is not needed.", i + 1);
			}
			qx_add(&psum, &tsum);
		}
		if (p >= 0 && (sum != visits[p] || qx_round(&psum) != preward[p]))
			mq_model_corrupt(kind, "Pair %d does not match its transitions.", p + 1);
		if (p < np - 1)
			mq_model_corrupt(kind, "Pair %d has no transitions.", p + 2);
		if (x != nx / QT_EXACT_GROUP)
			mq_model_corrupt(kind, "Exact reward record %d is out of order or names no transition.", x + 1);
	}
}

/* ------------------------------------------------------------ building */

/* An empty table of the given method, allocated in CurrentMemoryContext. */
void
qtab_init(QTab *t, int method)
{
	t->cxt = CurrentMemoryContext;
	t->method = method;
	t->gamma = get_float8_nan();
	t->rows = 0;
	t->skipped = 0;
	mq_dict_init(&t->states);
	mq_dict_init(&t->actions);
	mq_accum_init(&t->trans, 3, 1 + QX_WORDS);
	mq_accum_init(&t->pairs, 2, 3);
	t->shead = NULL;
	t->shead_cap = 0;
	t->pnext = NULL;
	t->pnext_cap = 0;
	t->size_checked_at = 0;
}

/* Fix the method of a table, or check that it matches. */
static void
qtab_set_method(QTab *t, int method)
{
	if (t->method == QM_UNSET)
		t->method = method;
	else if (t->method != method)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine an exact Q table with an online one"),
				 errdetail("Exact tables (qlearn) count transitions; online tables (q_step, q_replay) hold learnt values.")));
}

/* Set the discount of an exact table, or check that it matches. */
void
qtab_set_gamma(QTab *t, double gamma, const char *fname)
{
	mq_q_check_gamma(gamma);
	if (isnan(t->gamma))
		t->gamma = gamma;
	else if (t->gamma != gamma)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine Q tables with different discounts"),
				 errdetail("\"gamma\" is %s in one and %s in the other.",
						   float8out_internal(t->gamma), float8out_internal(gamma)),
				 errhint("Every row of one %s aggregate must pass the same \"gamma\".", fname)));
}

/* The id of a state name (interned). */
int32
qtab_state(QTab *t, const char *s, int len)
{
	return mq_dict_intern(&t->states, s, len);
}

/* The id of an action name (interned). */
int32
qtab_action(QTab *t, const char *s, int len)
{
	return mq_dict_intern(&t->actions, s, len);
}

/* Count one logged transition (exact tables). */
void
qtab_add_transition(QTab *t, int32 s, int32 a, int32 next, double reward)
{
	int32		key[3];
	double	   *row;

	key[0] = s;
	key[1] = a;
	key[2] = next;
	row = mq_accum_row(&t->trans, key);
	row[0] += 1;
	if (reward != 0)
		qx_add_double((QExact *) (row + 1), reward);
	t->rows++;
}

/* Make room for state id s in shead and pair entry e in pnext (online tables). */
static void
online_room(QTab *t, int32 s, int e)
{
	if (s >= t->shead_cap)
	{
		int			cap = Max(64, t->shead_cap);
		int			i;

		while (cap <= s)
			cap *= 2;
		t->shead = t->shead ? repalloc_huge(t->shead, sizeof(int32) * cap) :
			MemoryContextAllocHuge(t->cxt, sizeof(int32) * cap);
		for (i = t->shead_cap; i < cap; i++)
			t->shead[i] = -1;
		t->shead_cap = cap;
	}
	if (e >= t->pnext_cap)
	{
		int			cap = Max(64, t->pnext_cap);

		while (cap <= e)
			cap *= 2;
		t->pnext = t->pnext ? repalloc_huge(t->pnext, sizeof(int32) * cap) :
			MemoryContextAllocHuge(t->cxt, sizeof(int32) * cap);
		t->pnext_cap = cap;
	}
}

/* The pair entry of (s, a) in an online table, created (Q 0) and linked if new. */
static int
online_pair(QTab *t, int32 s, int32 a)
{
	int32		key[2];
	int			before = t->pairs.n,
				e;

	key[0] = s;
	key[1] = a;
	e = mq_accum_upsert(&t->pairs, key);
	if (t->pairs.n != before)
	{
		online_room(t, s, e);
		t->pnext[e] = t->shead[s];
		t->shead[s] = e;
	}
	return e;
}

/*
 * One step of online Q-learning on (s, a): next_max_q is the largest Q of
 * the actions already updated in next (0 for a terminal transition or when
 * there are none), then Q(s, a) <- q_update(Q(s, a), reward, next_max_q).
 */
void
qtab_online_update(QTab *t, int32 s, int32 a, int32 next, double reward,
				   double alpha, double gamma)
{
	double		next_max = 0;
	double	   *row;
	int			e;

	if (next >= 0 && next < t->shead_cap)
	{
		bool		any = false;

		for (e = t->shead[next]; e >= 0; e = t->pnext[e])
		{
			double		q = MQ_ACCUM_VALS(&t->pairs, e)[0];

			if (!any || q > next_max)
				next_max = q;
			any = true;
		}
	}
	e = online_pair(t, s, a);
	row = MQ_ACCUM_VALS(&t->pairs, e);
	row[0] = mq_q_update(row[0], reward, next_max, alpha, gamma);
	row[1] += 1;
	row[2] += reward;
	if (!isfinite(row[2]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("a sum of rewards is out of the range of float8")));
	t->rows++;
	t->gamma = gamma;
}

/* Load the pairs of a canonical online table (or a solved exact one) into an empty online table. */
static void
qtab_load_online(QTab *t, const QCanon *c, const double *q)
{
	int32	   *smap = palloc(sizeof(int32) * Max(c->nstates, 1));
	int32	   *amap = palloc(sizeof(int32) * Max(c->nactions, 1));
	int			i;

	for (i = 0; i < c->nstates; i++)
		smap[i] = -1;
	for (i = 0; i < c->nactions; i++)
		amap[i] = qtab_action(t, c->anames[i], c->alens[i]);
	for (i = 0; i < c->npairs; i++)
	{
		int32		s = c->pstate[i];
		double	   *row;
		int			e;

		if (smap[s] < 0)
			smap[s] = qtab_state(t, c->snames[s], c->slens[s]);
		e = online_pair(t, smap[s], amap[c->paction[i]]);
		row = MQ_ACCUM_VALS(&t->pairs, e);
		if (row[1] != 0)
			elog(ERROR, "duplicate pair in a canonical Q table");
		row[0] = q[i];
		row[1] = (double) c->visits[i];
		row[2] = c->preward[i];
	}
	t->rows += c->rows;
	t->skipped += c->skipped;
	t->gamma = c->gamma;
	pfree(smap);
	pfree(amap);
}

/*
 * Add a flat value into a table: exact tables add their transition counts;
 * an online table (or, for an online target, a solved exact one: a warm
 * start) can only be loaded into an empty table.
 */
void
qtab_merge(QTab *t, const MqModel *m)
{
	QCanon		c;
	int			i;

	qcanon_from_model(m, &c);
	if (c.method == QM_ONLINE || t->method == QM_ONLINE)
	{
		const double *q;

		if (t->method != QM_UNSET && t->rows + t->skipped > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("online Q tables cannot be combined"),
					 errdetail("Online learning depends on the order of the updates, so partial tables do not add up."),
					 errhint("Use qlearn for an order-free table that parallel query can combine.")));
		qcanon_index(&c);
		q = qcanon_q(&c);
		t->method = QM_ONLINE;
		qtab_load_online(t, &c, q);
		return;
	}
	qtab_set_method(t, QM_EXACT);
	if (c.rows + c.skipped == 0)
		return;
	qtab_set_gamma(t, c.gamma, "qlearn");
	{
		int32	   *smap = palloc(sizeof(int32) * Max(c.nstates, 1));
		int32	   *amap = palloc(sizeof(int32) * Max(c.nactions, 1));
		int			x = 0;

		for (i = 0; i < c.nstates; i++)
			smap[i] = qtab_state(t, c.snames[i], c.slens[i]);
		for (i = 0; i < c.nactions; i++)
			amap[i] = qtab_action(t, c.anames[i], c.alens[i]);
		for (i = 0; i < c.ntrans; i++)
		{
			int32		key[3];
			double	   *row;
			QExact		sum;
			int			p = c.tpair[i];

			key[0] = smap[c.pstate[p]];
			key[1] = amap[c.paction[p]];
			key[2] = c.tnext[i] >= 0 ? smap[c.tnext[i]] : -1;
			trans_exact(&c, i, &x, &sum);
			row = mq_accum_row(&t->trans, key);
			row[0] += (double) c.tcount[i];
			qx_add((QExact *) (row + 1), &sum);
		}
		pfree(smap);
		pfree(amap);
	}
	t->rows += c.rows;
	t->skipped += c.skipped;
}

/* Check the table's size against marketiq.max_model_bytes when it grew. */
void
qtab_check_size(QTab *t)
{
	Size		entries = (Size) t->states.n + t->actions.n + t->trans.n + t->pairs.n;

	if (entries == t->size_checked_at)
		return;
	t->size_checked_at = entries;
	mq_check_state_size(mq_dict_bytes(&t->states) + mq_dict_bytes(&t->actions) +
						mq_accum_bytes(&t->trans) + mq_accum_bytes(&t->pairs) +
						sizeof(int32) * ((Size) t->shead_cap + t->pnext_cap),
						&mq_qtable_kind, "transitions");
}

/* ------------------------------------------------------- canonical form */

/* sort context for transitions: (state rank, action rank, next rank) per entry */
typedef struct TransSort
{
	const int32 *keys;			/* 3 per entry */
} TransSort;

/* Order transition entries by their ranked keys. */
static int
trans_cmp(const void *a, const void *b, void *arg)
{
	const int32 *keys = ((const TransSort *) arg)->keys;
	const int32 *x = keys + 3 * (Size) (*(const int32 *) a);
	const int32 *y = keys + 3 * (Size) (*(const int32 *) b);

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	if (x[2] != y[2])
		return x[2] < y[2] ? -1 : 1;
	return 0;
}

/* Names of a dictionary in byte order, and each id's rank. */
static void
sorted_names(const MqDict *d, const char ***names, int **lens, int32 **rank)
{
	int32	   *order = mq_dict_sorted(d);
	int			i;

	*names = palloc(sizeof(char *) * Max(d->n, 1));
	*lens = palloc(sizeof(int) * Max(d->n, 1));
	*rank = palloc(sizeof(int32) * Max(d->n, 1));
	for (i = 0; i < d->n; i++)
	{
		(*names)[i] = d->strs[order[i]];
		(*lens)[i] = d->lens[order[i]];
		(*rank)[order[i]] = i;
	}
	pfree(order);
}

/* The canonical form of a table (arrays palloc'd in CurrentMemoryContext). */
void
qtab_canon(QTab *t, QCanon *c)
{
	int32	   *srank,
			   *arank;
	int			i;

	memset(c, 0, sizeof(*c));
	c->method = t->method == QM_ONLINE ? QM_ONLINE : QM_EXACT;
	c->gamma = isnan(t->gamma) ? 0.9 : t->gamma;
	c->rows = t->rows;
	c->skipped = t->skipped;
	c->nstates = t->states.n;
	c->nactions = t->actions.n;
	sorted_names(&t->states, &c->snames, &c->slens, &srank);
	sorted_names(&t->actions, &c->anames, &c->alens, &arank);
	c->solver = "";
	c->error_bound = get_float8_nan();

	if (c->method == QM_EXACT)
	{
		int			n = t->trans.n,
					np = 0,
					nx = 0;
		int32	   *keys = palloc(sizeof(int32) * 3 * (Size) Max(n, 1));
		int32	   *idx = palloc(sizeof(int32) * Max(n, 1));
		int32	   *pstate = palloc(sizeof(int32) * Max(n, 1));
		int32	   *paction = palloc(sizeof(int32) * Max(n, 1));
		int64	   *visits = palloc(sizeof(int64) * Max(n, 1));
		double	   *preward = palloc(sizeof(double) * Max(n, 1));
		int32	   *tpair = palloc(sizeof(int32) * Max(n, 1));
		int32	   *tnext = palloc(sizeof(int32) * Max(n, 1));
		int64	   *tcount = palloc(sizeof(int64) * Max(n, 1));
		double	   *treward = palloc(sizeof(double) * Max(n, 1));
		double	   *treward_lo = palloc(sizeof(double) * Max(n, 1));
		bool		any_lo = false;
		int64	   *texact = NULL;
		int			xcap = 0;
		TransSort	ts;
		QExact		psum;

		for (i = 0; i < n; i++)
		{
			const int32 *k = MQ_ACCUM_KEY(&t->trans, i);

			keys[3 * i] = srank[k[0]];
			keys[3 * i + 1] = arank[k[1]];
			keys[3 * i + 2] = k[2] >= 0 ? srank[k[2]] : -1;
			idx[i] = i;
		}
		ts.keys = keys;
		qsort_arg(idx, n, sizeof(int32), trans_cmp, &ts);
		memset(&psum, 0, sizeof(psum));
		for (i = 0; i < n; i++)
		{
			const int32 *k = keys + 3 * (Size) idx[i];
			const double *v = MQ_ACCUM_VALS(&t->trans, idx[i]);
			QExact		x = *(const QExact *) (v + 1),
						rest;

			if (np == 0 || pstate[np - 1] != k[0] || paction[np - 1] != k[1])
			{
				if (np > 0)
					preward[np - 1] = qx_round(&psum);
				memset(&psum, 0, sizeof(psum));
				pstate[np] = k[0];
				paction[np] = k[1];
				visits[np] = 0;
				np++;
			}
			visits[np - 1] += (int64) v[0];
			qx_add(&psum, &x);
			tpair[i] = np - 1;
			tnext[i] = k[2];
			tcount[i] = (int64) v[0];
			treward[i] = qx_round(&x);
			rest = x;
			qx_add_double(&rest, -treward[i]);
			treward_lo[i] = qx_round(&rest);
			any_lo |= treward_lo[i] != 0;
			qx_add_double(&rest, -treward_lo[i]);
			if (!(qx_is_double(&rest) && qx_round(&rest) == 0))
			{
				int64	   *r;

				if (nx == xcap)
				{
					xcap = Max(16, 2 * xcap);
					texact = texact ? repalloc_huge(texact, sizeof(int64) * QT_EXACT_GROUP * (Size) xcap) :
						palloc(sizeof(int64) * QT_EXACT_GROUP * (Size) xcap);
				}
				qx_normalize(&x);
				r = texact + (Size) nx * QT_EXACT_GROUP;
				r[0] = i;
				r[1] = x.e;
				r[2] = (int64) x.w[0];
				r[3] = (int64) x.w[1];
				r[4] = (int64) x.w[2];
				nx++;
			}
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		if (np > 0)
			preward[np - 1] = qx_round(&psum);
		c->npairs = np;
		c->pstate = pstate;
		c->paction = paction;
		c->visits = visits;
		c->preward = preward;
		c->q = NULL;
		c->ntrans = n;
		c->tpair = tpair;
		c->tnext = tnext;
		c->tcount = tcount;
		c->treward = treward;
		c->treward_lo = any_lo ? treward_lo : NULL;
		c->nexact = nx;
		c->texact = texact;
		pfree(keys);
		pfree(idx);
	}
	else
	{
		int			n = t->pairs.n;
		int32	   *keys = palloc(sizeof(int32) * 3 * (Size) Max(n, 1));
		int32	   *idx = palloc(sizeof(int32) * Max(n, 1));
		int32	   *pstate = palloc(sizeof(int32) * Max(n, 1));
		int32	   *paction = palloc(sizeof(int32) * Max(n, 1));
		int64	   *visits = palloc(sizeof(int64) * Max(n, 1));
		double	   *preward = palloc(sizeof(double) * Max(n, 1));
		double	   *q = palloc(sizeof(double) * Max(n, 1));
		TransSort	ts;

		for (i = 0; i < n; i++)
		{
			const int32 *k = MQ_ACCUM_KEY(&t->pairs, i);

			keys[3 * i] = srank[k[0]];
			keys[3 * i + 1] = arank[k[1]];
			keys[3 * i + 2] = 0;
			idx[i] = i;
		}
		ts.keys = keys;
		qsort_arg(idx, n, sizeof(int32), trans_cmp, &ts);
		for (i = 0; i < n; i++)
		{
			const double *v = MQ_ACCUM_VALS(&t->pairs, idx[i]);

			pstate[i] = keys[3 * (Size) idx[i]];
			paction[i] = keys[3 * (Size) idx[i] + 1];
			q[i] = v[0];
			visits[i] = (int64) v[1];
			preward[i] = v[2];
		}
		c->npairs = n;
		c->pstate = pstate;
		c->paction = paction;
		c->visits = visits;
		c->preward = preward;
		c->q = q;
		c->solver = "online updates";
		pfree(keys);
		pfree(idx);
	}
	pfree(srank);
	pfree(arank);
}

/* A view of a flat value's canonical form (pointers into it). */
void
qcanon_from_model(const MqModel *m, QCanon *c)
{
	int			i,
				n;

	memset(c, 0, sizeof(*c));
	c->method = method_of(m);
	c->gamma = mq_get_float8(m, QT_GAMMA);
	c->rows = mq_get_int64(m, QT_ROWS);
	c->skipped = mq_get_int64(m, QT_SKIPPED);
	c->nstates = mq_get_text_count(m, QT_STATES);
	c->snames = palloc(sizeof(char *) * Max(c->nstates, 1));
	c->slens = palloc(sizeof(int) * Max(c->nstates, 1));
	for (i = 0; i < c->nstates; i++)
		c->snames[i] = mq_get_text_elem(m, QT_STATES, i, &c->slens[i]);
	c->nactions = mq_get_text_count(m, QT_ACTIONS);
	c->anames = palloc(sizeof(char *) * Max(c->nactions, 1));
	c->alens = palloc(sizeof(int) * Max(c->nactions, 1));
	for (i = 0; i < c->nactions; i++)
		c->anames[i] = mq_get_text_elem(m, QT_ACTIONS, i, &c->alens[i]);
	c->pstate = mq_get_int32s(m, QT_PAIR_STATE, &c->npairs);
	c->paction = mq_get_int32s(m, QT_PAIR_ACTION, &n);
	c->visits = mq_get_int64s(m, QT_VISITS, &n);
	c->preward = mq_get_float8s(m, QT_REWARD, &n);
	c->q = mq_get_float8s(m, QT_Q, &n);
	if (n == 0 && c->npairs > 0)
		c->q = NULL;			/* an exact table not solved yet */
	c->tpair = mq_get_int32s(m, QT_T_PAIR, &c->ntrans);
	c->tnext = mq_get_int32s(m, QT_T_NEXT, &n);
	c->tcount = mq_get_int64s(m, QT_T_COUNT, &n);
	c->treward = mq_get_float8s(m, QT_T_REWARD, &n);
	c->treward_lo = mq_get_float8s(m, QT_T_REWARD_LO, &n);
	if (n == 0)
		c->treward_lo = NULL;
	c->texact = mq_get_int64s(m, QT_T_EXACT, &n);
	c->nexact = n / QT_EXACT_GROUP;
	c->solver = mq_get_text(m, QT_SOLVER);
	c->iterations = mq_get_int64(m, QT_ITERATIONS);
	c->error_bound = mq_get_float8(m, QT_ERROR_BOUND);
}

/* Compute the pair ranges of each state and the transition ranges of each pair. */
void
qcanon_index(QCanon *c)
{
	int			i,
				s;

	if (c->pstart)
		return;
	c->pstart = palloc(sizeof(int32) * (c->nstates + 1));
	c->tstart = palloc(sizeof(int32) * (c->npairs + 1));
	for (s = 0, i = 0; s <= c->nstates; s++)
	{
		while (i < c->npairs && c->pstate[i] < s)
			i++;
		c->pstart[s] = i;
	}
	for (s = 0, i = 0; s <= c->npairs; s++)
	{
		while (i < c->ntrans && c->tpair[i] < s)
			i++;
		c->tstart[s] = i;
	}
}

/* The Q values of a canonical table: stored, or solved now (exact tables without them). */
const double *
qcanon_q(QCanon *c)
{
	static const double none = 0;
	QSolution	sol;

	if (c->q)
		return c->q;
	if (c->npairs == 0)
		return &none;
	qcanon_index(c);
	qcanon_solve(c, QS_AUTO, &sol);
	c->q = sol.q;
	c->solver = sol.solver;
	c->iterations = sol.iterations;
	c->error_bound = sol.error_bound;
	return c->q;
}

/* The flat value of a canonical table, with a solution if one is given. */
MqModel *
qcanon_build(const QCanon *c, const QSolution *sol)
{
	MqBuilder  *b = mq_build_begin(&mq_qtable_kind);
	const double *q = sol ? sol->q : c->q;
	int			nx = c->nexact * QT_EXACT_GROUP;
	const char *method = c->method == QM_ONLINE ? "online" : "exact";
	const char *solver = sol ? sol->solver : c->solver;

	mq_put_text(b, QT_METHOD, method, strlen(method));
	mq_put_float8(b, QT_GAMMA, c->gamma);
	mq_put_int64(b, QT_ROWS, c->rows);
	mq_put_int64(b, QT_SKIPPED, c->skipped);
	mq_put_texts(b, QT_STATES, c->snames, c->slens, c->nstates);
	mq_put_texts(b, QT_ACTIONS, c->anames, c->alens, c->nactions);
	mq_put_int32s(b, QT_PAIR_STATE, c->pstate, c->npairs);
	mq_put_int32s(b, QT_PAIR_ACTION, c->paction, c->npairs);
	mq_put_int64s(b, QT_VISITS, c->visits, c->npairs);
	mq_put_float8s(b, QT_REWARD, c->preward, c->npairs);
	mq_put_float8s(b, QT_Q, q, q ? c->npairs : 0);
	mq_put_int32s(b, QT_T_PAIR, c->tpair, c->ntrans);
	mq_put_int32s(b, QT_T_NEXT, c->tnext, c->ntrans);
	mq_put_int64s(b, QT_T_COUNT, c->tcount, c->ntrans);
	mq_put_float8s(b, QT_T_REWARD, c->treward, c->ntrans);
	mq_put_float8s(b, QT_T_REWARD_LO, c->treward_lo, c->treward_lo ? c->ntrans : 0);
	mq_put_int64s(b, QT_T_EXACT, c->texact, nx);
	mq_put_text(b, QT_SOLVER, solver, strlen(solver));
	mq_put_int64(b, QT_ITERATIONS, sol ? sol->iterations : c->iterations);
	mq_put_float8(b, QT_ERROR_BOUND, sol ? sol->error_bound : c->error_bound);
	return mq_build_finish(b);
}

/* The finished model of a table: exact tables solved, online ones as they are. */
MqModel *
qtab_finish(QTab *t)
{
	QCanon		c;
	QSolution	sol;

	qtab_canon(t, &c);
	if (c.method == QM_ONLINE)
		return qcanon_build(&c, NULL);
	qcanon_index(&c);
	qcanon_solve(&c, QS_AUTO, &sol);
	return qcanon_build(&c, &sol);
}

/* Index of a state name, or -1 (binary search in byte order). */
int
qcanon_find_state(const QCanon *c, const char *s, int len)
{
	int			lo = 0,
				hi = c->nstates - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = mq_strcmp_bytes(c->snames[mid], c->slens[mid], s, len);

		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* The greedy pair of state s: largest Q, ties to the smallest action name; -1 if none. */
int
qcanon_greedy(const QCanon *c, const double *q, int s)
{
	int			best = -1,
				p;

	for (p = c->pstart[s]; p < c->pstart[s + 1]; p++)
		if (best < 0 || q[p] > q[best])
			best = p;
	return best;
}

/* ------------------------------------------------------- kind callbacks */

/* Empty state (method fixed by the first row or merged value). */
static void
qtable_init(MqState *s)
{
	qtab_init(&((QState *) s)->t, QM_UNSET);
}

/* Add a flat value into a state. */
static void
qtable_merge(MqState *s, const MqModel *m)
{
	qtab_merge(&((QState *) s)->t, m);
}

/* Canonical flat form of a state (exact tables unsolved). */
static MqModel *
qtable_flatten(MqState *s)
{
	QCanon		c;

	qtab_canon(&((QState *) s)->t, &c);
	return qcanon_build(&c, NULL);
}
