-- marketiq qlearn 0.2.0: decisions.  Tabular Q-learning over logged customer transitions: the
-- textbook update, the exact batch learner (qlearn -> marketiq.qtable), online learning one
-- step at a time or over an ordered log, readers that return policies, and the table-level
-- next_best_action.

-- ------------------------------------------------------------------ the model type

CREATE TYPE marketiq.qtable;

CREATE FUNCTION marketiq.qtable_in(cstring) RETURNS marketiq.qtable
AS 'MODULE_PATHNAME', 'mq_qtable_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.qtable_out(marketiq.qtable) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_qtable_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.qtable_recv(internal) RETURNS marketiq.qtable
AS 'MODULE_PATHNAME', 'mq_qtable_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.qtable_send(marketiq.qtable) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_qtable_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.qtable (
    INPUT = marketiq.qtable_in,
    OUTPUT = marketiq.qtable_out,
    RECEIVE = marketiq.qtable_recv,
    SEND = marketiq.qtable_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.qtable IS
'a Q table: either exact (the empirical MDP of logged transitions -- counts and exact reward sums per state, action and next state -- with Q* of its Bellman optimality equations) or online (Q values learnt by q_update steps, with updates and reward sums per state and action)';
COMMENT ON FUNCTION marketiq.qtable_in(cstring) IS 'text input of marketiq.qtable (JSON)';
COMMENT ON FUNCTION marketiq.qtable_out(marketiq.qtable) IS 'text output of marketiq.qtable (JSON)';
COMMENT ON FUNCTION marketiq.qtable_recv(internal) IS 'binary input of marketiq.qtable';
COMMENT ON FUNCTION marketiq.qtable_send(marketiq.qtable) IS 'binary output of marketiq.qtable';

-- ------------------------------------------------------------------ the update

CREATE FUNCTION marketiq.q_update(q float8, reward float8, next_max_q float8, alpha float8, gamma float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_q_update_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.q_update(float8, float8, float8, float8, float8) IS
'one Q-learning step: q + alpha (reward + gamma next_max_q - q); alpha in (0, 1], gamma in [0, 1)';

-- ------------------------------------------------------------------ batch, exact

CREATE FUNCTION marketiq._qlearn_trans(marketiq.qtable, text, text, float8, text)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_qlearn_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._qlearn_trans(marketiq.qtable, text, text, float8, text, float8)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_qlearn_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._qlearn_combine(marketiq.qtable, marketiq.qtable)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_qlearn_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._qlearn_final(marketiq.qtable)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_qlearn_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._qlearn_trans(marketiq.qtable, text, text, float8, text) IS 'transition function of qlearn';
COMMENT ON FUNCTION marketiq._qlearn_trans(marketiq.qtable, text, text, float8, text, float8) IS 'transition function of qlearn';
COMMENT ON FUNCTION marketiq._qlearn_combine(marketiq.qtable, marketiq.qtable) IS 'combine function of qlearn: adds the transition counts';
COMMENT ON FUNCTION marketiq._qlearn_final(marketiq.qtable) IS 'final function of qlearn: solves the Bellman optimality equations';

CREATE AGGREGATE marketiq.qlearn(state text, action text, reward float8, next_state text) (
    SFUNC = marketiq._qlearn_trans, STYPE = marketiq.qtable,
    COMBINEFUNC = marketiq._qlearn_combine, FINALFUNC = marketiq._qlearn_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.qlearn(state text, action text, reward float8, next_state text, gamma float8) (
    SFUNC = marketiq._qlearn_trans, STYPE = marketiq.qtable,
    COMBINEFUNC = marketiq._qlearn_combine, FINALFUNC = marketiq._qlearn_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE marketiq.qlearn(text, text, float8, text) IS
'exact batch Q-learning over logged transitions (next_state NULL = terminal) with gamma 0.9: Q* of the empirical MDP, solved exactly; the same result for any row order; rows with a NULL state or action are skipped and counted, a NULL reward counts as 0';
COMMENT ON AGGREGATE marketiq.qlearn(text, text, float8, text, float8) IS
'exact batch Q-learning over logged transitions (next_state NULL = terminal) with discount gamma in [0, 1): Q* of the empirical MDP, solved exactly; the same result for any row order';

-- ------------------------------------------------------------------ online

CREATE FUNCTION marketiq.q_step(model marketiq.qtable, state text, action text, reward float8,
                                next_state text, alpha float8, gamma float8)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_q_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.q_step(marketiq.qtable, text, text, float8, text, float8, float8) IS
'one online Q-learning update of a Q table (NULL: empty; unseen states and actions start at 0; next_state NULL = terminal; next_max_q is the largest Q of the actions already updated in next_state, else 0); an exact table is a warm start and the result is an online table';

CREATE FUNCTION marketiq._q_replay_trans(marketiq.qtable, text, text, float8, text, float8, float8)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_q_replay_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._q_replay_final(marketiq.qtable)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_q_replay_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._q_replay_trans(marketiq.qtable, text, text, float8, text, float8, float8) IS 'transition function of q_replay';
COMMENT ON FUNCTION marketiq._q_replay_final(marketiq.qtable) IS 'final function of q_replay';

CREATE AGGREGATE marketiq.q_replay(state text, action text, reward float8, next_state text,
                                   alpha float8, gamma float8) (
    SFUNC = marketiq._q_replay_trans, STYPE = marketiq.qtable,
    FINALFUNC = marketiq._q_replay_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE marketiq.q_replay(text, text, float8, text, float8, float8) IS
'online Q-learning: applies q_update to each logged transition in the order given by ORDER BY inside the call (one pass); the result depends on that order by nature, so this aggregate has no combine function and is never split between parallel workers';

-- ------------------------------------------------------------------ readers

CREATE FUNCTION marketiq.q_values(model marketiq.qtable)
RETURNS TABLE (state text, action text, q float8, visits bigint, mean_reward float8)
AS 'MODULE_PATHNAME', 'mq_q_values'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.q_values(marketiq.qtable) IS
'the Q table: per state and action, Q, visits (logged transitions, or updates of an online table) and the mean reward of those';

CREATE FUNCTION marketiq.policy(model marketiq.qtable)
RETURNS TABLE (state text, action text, value float8, visits bigint)
AS 'MODULE_PATHNAME', 'mq_q_policy'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.policy(marketiq.qtable) IS
'the greedy policy: per state with logged actions, the action with the largest Q (ties: the smallest action name in byte order), its Q (the state''s value) and its visits';

CREATE FUNCTION marketiq.best_action(model marketiq.qtable, state text)
RETURNS text AS 'MODULE_PATHNAME', 'mq_q_best_action'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.best_action(marketiq.qtable, text) IS
'the greedy action of a state (ties: the smallest action name in byte order); NULL for an unknown state or one with no logged action';

CREATE FUNCTION marketiq.epsilon_greedy(model marketiq.qtable, state text,
                                        epsilon float8 DEFAULT 0.1, u float8 DEFAULT random())
RETURNS text AS 'MODULE_PATHNAME', 'mq_q_epsilon_greedy'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.epsilon_greedy(marketiq.qtable, text, float8, float8) IS
'epsilon-greedy choice for a state: with u in [0, 1), if u < epsilon the action at index floor(u / epsilon * |A(s)|) (from 0) of the state''s actions in byte order, else the greedy action; deterministic for a given u, so choices can be replayed';

CREATE FUNCTION marketiq.q_summary(model marketiq.qtable)
RETURNS TABLE (method text, gamma float8, rows bigint, skipped bigint, states int,
               decision_states int, actions int, pairs int, transitions int, solver text,
               iterations bigint, error_bound float8)
AS 'MODULE_PATHNAME', 'mq_q_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.q_summary(marketiq.qtable) IS
'one row about a Q table: method (exact or online), gamma, rows learnt from and skipped, states (all, and those with actions), actions, state-action pairs, distinct transitions, how Q was solved, iterations and the proven bound on max |Q - Q*|';

CREATE FUNCTION marketiq.q_transitions(model marketiq.qtable)
RETURNS TABLE (state text, action text, next_state text, transitions bigint,
               probability float8, mean_reward float8)
AS 'MODULE_PATHNAME', 'mq_q_transitions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.q_transitions(marketiq.qtable) IS
'the empirical MDP of an exact Q table: per state, action and next state (NULL: terminal) the logged transitions, P(next state | state, action) and their mean reward';

CREATE FUNCTION marketiq._qlearn_solve(model marketiq.qtable, solver text)
RETURNS marketiq.qtable AS 'MODULE_PATHNAME', 'mq_q_resolve'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._qlearn_solve(marketiq.qtable, text) IS
'internal (tests, benchmarks): an exact Q table solved again with a given solver: auto, dense (policy iteration, LU), gmres (policy iteration, GMRES), gauss_seidel (policy iteration, Gauss-Seidel) or value_iteration';

-- ------------------------------------------------------------------ event tables

CREATE FUNCTION marketiq.next_best_action(
    events regclass,
    user_col name,
    ts_col name,
    state_col name,
    action_col name,
    reward_col name,
    gamma float8 DEFAULT 0.9)
RETURNS TABLE (state text, action text, q float8, visits bigint, is_best boolean)
AS 'MODULE_PATHNAME', 'mq_next_best_action'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.next_best_action(regclass, name, name, name, name, name, float8) IS
'the exact Q table of an event log: each user''s events in time order form transitions (next state = the state of the user''s next event, the last one terminal; an event with a NULL action only ends the previous transition; ties in time broken by state, action, reward), solved as qlearn does; per state and action Q, visits and whether it is the greedy action';
