/*-------------------------------------------------------------------------
 *
 * mq_qlearn.h
 *	  Decisions: the marketiq.qtable model value (tabular Q-learning), shared
 *	  by the batch aggregate qlearn, the online learners q_step and q_replay,
 *	  the readers and the table-level next_best_action.
 *
 * One value type holds both kinds of Q table:
 *
 *	- method "exact": the empirical MDP of logged transitions -- for every
 *	  (state, action, next state) the number of transitions and the exact sum
 *	  of their rewards -- and, once solved, the Q values of its Bellman
 *	  optimality equations (solve.c).  The counts add up, so this is also
 *	  the aggregate's combinable state.
 *	- method "online": Q values learnt by the classic update, one logged
 *	  transition at a time, with per (state, action) the number of updates
 *	  and the sum of their rewards.
 *
 * Names (states, actions) are interned as dense ids while a table is built
 * (QTab); the flat form lists them in byte order and everything else by
 * index, sorted, so equal tables print equally whatever the input order or
 * plan.  QCanon is a read-only view of that canonical form, either pointing
 * into a flat value or built from a QTab.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_QLEARN_H
#define MQ_QLEARN_H

#include "postgres.h"

#include "fmgr.h"

#include "mq_hash.h"
#include "mq_model.h"

/* ------------------------------------------------------------ exact sums */

/*
 * An exact sum of float8 rewards: the signed 192-bit integer m (two's
 * complement, w[0] the lowest word) times 2^e.  Adding a double shifts it
 * onto the finer of the two grids, so the sum is exact -- and therefore
 * independent of the order of the additions -- as long as the rewards of one
 * accumulator span fewer than about 2^130 in magnitude (far beyond money).
 * Past that the grid is coarsened with rounding (see exactsum.c).  A zeroed
 * struct is the sum 0.
 */
typedef struct QExact
{
	int64		e;				/* binary exponent of the integer's unit */
	uint64		w[3];			/* the integer, lowest word first */
} QExact;

#define QX_WORDS 4				/* a QExact's size in 8-byte words */

extern void qx_add_double(QExact *a, double x);
extern void qx_add(QExact *a, const QExact *b);
/* the sum rounded to the nearest double (ties to even); ERROR past float8's range */
extern double qx_round(const QExact *a);
/* is the sum exactly a double (so the double alone stores it)? */
extern bool qx_is_double(const QExact *a);
/* normalise (odd integer or zero, e = 0 for zero), for the canonical flat form */
extern void qx_normalize(QExact *a);
/* is a normalised and within range (checks of outside input)? */
extern bool qx_valid_normal(const QExact *a);

/* ------------------------------------------------------------ the model */

/* Sections of marketiq.qtable, in order. */
enum
{
	QT_METHOD,					/* text: "exact" or "online" */
	QT_GAMMA,					/* float8: discount (online: of the latest update) */
	QT_ROWS,					/* int64: transitions counted / updates applied */
	QT_SKIPPED,					/* int64: rows skipped for a NULL state or action */
	QT_STATES,					/* text[]: every state named, byte order */
	QT_ACTIONS,					/* text[]: every action, byte order */
	QT_PAIR_STATE,				/* int32[]: per (state, action) pair, its state */
	QT_PAIR_ACTION,				/* int32[]: its action; pairs sorted by (state, action) */
	QT_VISITS,					/* int64[]: per pair, transitions (exact) or updates (online) */
	QT_REWARD,					/* float8[]: per pair, the sum of their rewards */
	QT_Q,						/* float8[]: per pair, Q (empty: exact and not solved yet) */
	QT_T_PAIR,					/* int32[]: per logged transition kind, its pair (exact only) */
	QT_T_NEXT,					/* int32[]: its next state, -1 for terminal */
	QT_T_COUNT,					/* int64[]: how many were logged */
	QT_T_REWARD,				/* float8[]: the sum of their rewards, rounded (hi) */
	QT_T_REWARD_LO,				/* float8[]: the rest, rounded (lo); empty when all are 0 */
	QT_T_EXACT,					/* int64[]: (transition, e, w0, w1, w2) of each sum that hi + lo misses */
	QT_SOLVER,					/* text: how Q was obtained ("" if not solved) */
	QT_ITERATIONS,				/* int64: policy iterations or sweeps of the solver */
	QT_ERROR_BOUND,				/* float8: proven bound on max |Q - Q*| (NaN: none) */
	QT_NSECT
};

#define QT_EXACT_GROUP 5		/* int64s per record of QT_T_EXACT */

/* table methods */
#define QM_UNSET	0			/* an empty state: nothing added yet */
#define QM_EXACT	1
#define QM_ONLINE	2

extern const MqKind mq_qtable_kind;

/*
 * A Q table being built.  Everything lives in `cxt`.
 *	exact:	trans maps (state, action, next state or -1) to (count, QExact).
 *	online: pairs maps (state, action) to (q, updates, reward sum); the
 *			pairs of each state form a linked list (shead/pnext) so the
 *			largest Q of a state is found without a scan of the table.
 */
typedef struct QTab
{
	MemoryContext cxt;			/* where everything is allocated */
	int			method;			/* QM_* */
	double		gamma;			/* discount; NaN until known */
	int64		rows;			/* transitions / updates */
	int64		skipped;		/* rows skipped (NULL state or action) */
	MqDict		states;			/* state name -> id */
	MqDict		actions;		/* action name -> id */
	MqAccum		trans;			/* exact: see above (vw = 1 + QX_WORDS) */
	MqAccum		pairs;			/* online: see above (vw = 3) */
	int32	   *shead;			/* online: per state id, first pair entry or -1 */
	int			shead_cap;		/* allocated entries of shead */
	int32	   *pnext;			/* online: per pair entry, next pair of its state or -1 */
	int			pnext_cap;		/* allocated entries of pnext */
	Size		size_checked_at;	/* entries at the last size check */
} QTab;

/* The aggregate state: a QTab behind the expanded-object header. */
typedef struct QState
{
	MqState		hdr;			/* first */
	QTab		t;				/* the table (t.cxt = hdr.cxt) */
} QState;

/*
 * The canonical form of a Q table, read-only.  Arrays point into a flat
 * value or into memory of whoever built the view.
 */
typedef struct QCanon
{
	int			method;			/* QM_EXACT or QM_ONLINE */
	double		gamma;
	int64		rows;
	int64		skipped;
	int			nstates;
	const char **snames;		/* NUL-terminated */
	int		   *slens;
	int			nactions;
	const char **anames;
	int		   *alens;
	int			npairs;
	const int32 *pstate;
	const int32 *paction;
	const int64 *visits;
	const double *preward;
	const double *q;			/* NULL when not solved */
	int			ntrans;
	const int32 *tpair;
	const int32 *tnext;
	const int64 *tcount;
	const double *treward;
	const double *treward_lo;	/* NULL: all 0 */
	int			nexact;			/* records in texact */
	const int64 *texact;
	const char *solver;			/* "" when not solved */
	int64		iterations;
	double		error_bound;
	/* derived indexes (qcanon_index) */
	int32	   *pstart;			/* nstates + 1: pairs of state s are [pstart[s], pstart[s+1]) */
	int32	   *tstart;			/* npairs + 1: transitions of pair p (exact) */
} QCanon;

/* what a solver produced */
typedef struct QSolution
{
	double	   *q;				/* per pair */
	const char *solver;			/* description */
	int64		iterations;
	double		error_bound;
} QSolution;

/* qtable.c */
extern void qtab_init(QTab *t, int method);
extern void qtab_set_gamma(QTab *t, double gamma, const char *fname);
extern int32 qtab_state(QTab *t, const char *s, int len);
extern int32 qtab_action(QTab *t, const char *s, int len);
extern void qtab_add_transition(QTab *t, int32 s, int32 a, int32 next, double reward);
extern void qtab_online_update(QTab *t, int32 s, int32 a, int32 next, double reward,
							   double alpha, double gamma);
extern void qtab_merge(QTab *t, const MqModel *m);
extern void qtab_check_size(QTab *t);
extern void qtab_canon(QTab *t, QCanon *c);
extern void qcanon_from_model(const MqModel *m, QCanon *c);
extern void qcanon_index(QCanon *c);
extern MqModel *qcanon_build(const QCanon *c, const QSolution *sol);
extern const double *qcanon_q(QCanon *c);
extern MqModel *qtab_finish(QTab *t);
extern int	qcanon_find_state(const QCanon *c, const char *s, int len);
extern int	qcanon_greedy(const QCanon *c, const double *q, int s);

/* solve.c */
typedef enum QSolver
{
	QS_AUTO,
	QS_DENSE,
	QS_GMRES,
	QS_GAUSS_SEIDEL,
	QS_VALUE_ITERATION
} QSolver;

extern void qcanon_solve(const QCanon *c, QSolver how, QSolution *sol);

/* qlearn.c */
extern double mq_q_update(double q, double reward, double next_max_q, double alpha, double gamma);
extern void mq_q_check_alpha(double alpha);
extern void mq_q_check_gamma(double gamma);
extern void mq_q_check_reward(double reward);

#endif							/* MQ_QLEARN_H */
