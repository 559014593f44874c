-- qlearn_online: online Q-learning one step at a time (q_step) and over an ordered log (the
-- ordered aggregate q_replay), against a plain loop of q_update (src/qlearn/qlearn.c, qtable.c).

-- ---------------------------------------------------------------- by hand
-- alpha 0.5, gamma 0.9; unseen pairs start at 0; next_max_q = the largest Q of the actions
-- already updated in the next state, 0 for a terminal transition or a state with none yet.
--   1. (a, x, 10, -> b): b has no Q yet, next 0: Q(a,x) = 0 + 0.5 (10 + 0 - 0) = 5
--   2. (b, y, 2, -> a): next max Q(a,.) = 5: Q(b,y) = 0 + 0.5 (2 + 4.5 - 0) = 3.25
--   3. (a, x, 10, -> b): next 3.25: Q(a,x) = 5 + 0.5 (10 + 2.925 - 5) = 8.9625
--   4. (a, z, -1, terminal): Q(a,z) = 0 + 0.5 (-1 + 0 - 0) = -0.5
--   5. (b, y, 2, -> a): next max(8.9625, -0.5): Q(b,y) = 3.25 + 0.5 (2 + 8.06625 - 3.25) = 6.658125
-- visits count the updates, mean_reward is the mean of their rewards.
CREATE TEMP TABLE steps (i int, state text, action text, reward float8, next_state text);
INSERT INTO steps VALUES (1, 'a', 'x', 10, 'b'), (2, 'b', 'y', 2, 'a'), (3, 'a', 'x', 10, 'b'),
                         (4, 'a', 'z', -1, NULL), (5, 'b', 'y', 2, 'a');
CREATE TEMP TABLE stepped AS
SELECT marketiq.q_step(marketiq.q_step(marketiq.q_step(marketiq.q_step(marketiq.q_step(
         NULL, 'a', 'x', 10, 'b', 0.5, 0.9), 'b', 'y', 2, 'a', 0.5, 0.9), 'a', 'x', 10, 'b', 0.5, 0.9),
         'a', 'z', -1, NULL, 0.5, 0.9), 'b', 'y', 2, 'a', 0.5, 0.9) AS m;
SELECT v.* FROM stepped, marketiq.q_values(m) v;
-- the state after step 1 alone
SELECT v.* FROM marketiq.q_values(marketiq.q_step(NULL, 'a', 'x', 10, 'b', 0.5, 0.9)) v;
-- q_replay over the same rows in the same order is the same model, byte for byte
SELECT marketiq.q_replay(state, action, reward, next_state, 0.5, 0.9 ORDER BY i)::text =
       (SELECT m::text FROM stepped) AS replay_equals_steps
FROM steps;
-- the readers work on online tables too
SELECT p.* FROM stepped, marketiq.policy(m) p;
SELECT marketiq.best_action(m, 'a') AS best_a, marketiq.best_action(m, 'b') AS best_b,
       marketiq.epsilon_greedy(m, 'a', 0.5, 0.3) AS explore_a
FROM stepped;
SELECT method, gamma, rows, skipped, states, decision_states, actions, pairs, transitions, solver,
       iterations, error_bound
FROM stepped, marketiq.q_summary(m);
SELECT count(*) AS transitions FROM stepped, marketiq.q_transitions(m);
-- a self-loop: the first update of (c, w) does not see itself (not yet updated): 0.5 (1 + 0) =
-- 0.5; the second does: 0.5 + 0.5 (1 + 0.9 * 0.5 - 0.5) = 0.975
SELECT v.q FROM marketiq.q_values(marketiq.q_step(marketiq.q_step(NULL, 'c', 'w', 1, 'c', 0.5, 0.9),
                                                 'c', 'w', 1, 'c', 0.5, 0.9)) v;

-- -------------------------------------------------- q_replay equals a plain loop of q_update
-- A random log of 3000 transitions over 30 states and 4 actions (hash-based, deterministic).
CREATE TEMP TABLE rlog AS
SELECT i, 's' || (h % 30) AS state, 'a' || ((h / 30) % 4) AS action,
       ((h / 120) % 1000 - 300)::float8 / 37 AS reward,
       CASE WHEN (h / 120000) % 10 = 0 THEN NULL ELSE 's' || ((h / 1200000) % 32) END AS next_state
FROM (SELECT i, abs(hashint4(i)::bigint) AS h FROM generate_series(1, 3000) AS i) x;
-- the loop: a Q table in a temporary table, updated row by row in the order of i
CREATE TEMP TABLE loop_q (state text, action text, q float8, visits bigint, reward_sum float8,
                          PRIMARY KEY (state, action));
CREATE FUNCTION pg_temp.run_loop(alpha float8, gamma float8) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
    nmax float8;
BEGIN
    FOR r IN SELECT * FROM rlog ORDER BY i LOOP
        nmax := coalesce((SELECT max(q) FROM loop_q WHERE state = r.next_state), 0);
        INSERT INTO loop_q VALUES (r.state, r.action, marketiq.q_update(0, r.reward, nmax, alpha, gamma), 1, r.reward)
        ON CONFLICT (state, action) DO UPDATE
        SET q = marketiq.q_update(loop_q.q, r.reward, nmax, alpha, gamma),
            visits = loop_q.visits + 1, reward_sum = loop_q.reward_sum + r.reward;
    END LOOP;
END $$;
SELECT pg_temp.run_loop(0.1, 0.95);
CREATE TEMP TABLE replayed AS
SELECT marketiq.q_replay(state, action, reward, next_state, 0.1, 0.95 ORDER BY i) AS m FROM rlog;
-- the same Q values bit for bit, the same visits and mean rewards
SELECT count(*) AS pairs, (SELECT count(*) FROM loop_q) AS loop_pairs,
       bool_and(v.q = l.q) AS same_q, bool_and(v.visits = l.visits) AS same_visits,
       bool_and(v.mean_reward = l.reward_sum / l.visits) AS same_mean_reward
FROM replayed, marketiq.q_values(m) v JOIN loop_q l USING (state, action);
-- and q_step folded over the log in the same order gives the same model
CREATE FUNCTION pg_temp.fold_steps() RETURNS marketiq.qtable LANGUAGE plpgsql AS $$
DECLARE
    r record;
    m marketiq.qtable;
BEGIN
    FOR r IN SELECT * FROM rlog ORDER BY i LOOP
        m := marketiq.q_step(m, r.state, r.action, r.reward, r.next_state, 0.1, 0.95);
    END LOOP;
    RETURN m;
END $$;
SELECT pg_temp.fold_steps()::text = (SELECT m::text FROM replayed) AS steps_equal_replay;
-- online learning depends on the order: the same rows in reverse give another table
SELECT marketiq.q_replay(state, action, reward, next_state, 0.1, 0.95 ORDER BY i DESC)::text <>
       (SELECT m::text FROM replayed) AS order_matters
FROM rlog;
-- one table per group, and a running table as a window aggregate (updates so far)
SELECT g, s.pairs, s.rows
FROM (SELECT i % 2 AS g, marketiq.q_replay(state, action, reward, next_state, 0.1, 0.95 ORDER BY i) AS m
      FROM rlog GROUP BY i % 2) x, marketiq.q_summary(m) s ORDER BY g;
SELECT i, (SELECT sum(visits) FROM marketiq.q_values(m)) AS updates_so_far
FROM (SELECT i, marketiq.q_replay(state, action, reward, next_state, 0.1, 0.95) OVER (ORDER BY i) AS m
      FROM rlog WHERE i <= 5) s ORDER BY i;

-- ------------------------------------------------------- warm start from an exact table
-- A funnel solved exactly (see qlearn_exact): Q*(visitor, email) = 2363/31, V*(engaged) =
-- 2660/31.  An online step on a logged transition of a deterministic pair leaves Q* where it is
-- (Q* is the fixed point: -1 + 0.9 * 2660/31 = 2363/31); the pair's visits go from 2 to 3 and
-- the table becomes online.
CREATE TEMP TABLE funnel (state text, action text, reward float8, next_state text);
INSERT INTO funnel VALUES ('visitor', 'email', -1, 'engaged'), ('visitor', 'email', -1, 'engaged'),
  ('visitor', 'coupon', 20, NULL), ('engaged', 'email', -1, 'cart'), ('engaged', 'email', -1, 'cart'),
  ('engaged', 'email', -1, 'cart'), ('engaged', 'email', -1, 'engaged'), ('engaged', 'coupon', 30, 'purchase'),
  ('cart', 'email', 100, 'purchase'), ('cart', 'coupon', 80, 'purchase');
SELECT v.state, v.action, round(v.q::numeric, 10) AS q, v.visits, s.method
FROM (SELECT marketiq.q_step(marketiq.qlearn(state, action, reward, next_state),
                             'visitor', 'email', -1, 'engaged', 0.5, 0.9) AS m FROM funnel) x,
     marketiq.q_values(m) v, marketiq.q_summary(m) s
ORDER BY v.state, v.action;

-- ---------------------------------------------------------------------- bad input
-- NULL state or action: skipped and counted; NULL reward: 0; NULL model: empty
SELECT s.rows, s.skipped, s.pairs
FROM marketiq.q_summary(marketiq.q_step(marketiq.q_step(marketiq.q_step(NULL, NULL, 'x', 1, NULL, 0.5, 0.9),
                                                                        'a', NULL, 1, NULL, 0.5, 0.9),
                                        'a', 'x', NULL, NULL, 0.5, 0.9)) s;
SELECT s.rows, s.skipped
FROM (SELECT marketiq.q_replay(st, 'x', 1, NULL, 0.5, 0.9 ORDER BY i) AS m
      FROM (VALUES (1, 'a'), (2, NULL), (3, 'b')) AS t(i, st)) x, marketiq.q_summary(m) s;
SELECT marketiq.q_replay(NULL, 'x', 1, NULL, 0.5, 0.9) IS NULL AS all_skipped;
-- alpha outside (0, 1], gamma outside [0, 1), NULLs, NaN reward
SELECT marketiq.q_step(NULL, 'a', 'x', 1, NULL, 0, 0.9);
SELECT marketiq.q_step(NULL, 'a', 'x', 1, NULL, 1.01, 0.9);
SELECT marketiq.q_step(NULL, 'a', 'x', 1, NULL, NULL, 0.9);
SELECT marketiq.q_step(NULL, 'a', 'x', 1, NULL, 0.5, 1);
SELECT marketiq.q_step(NULL, 'a', 'x', 1, NULL, 0.5, NULL);
SELECT marketiq.q_step(NULL, 'a', 'x', 'NaN', NULL, 0.5, 0.9);
SELECT marketiq.q_replay('a', 'x', 1, NULL, 0.5, g ORDER BY g) FROM (VALUES (0.5), (1.5)) AS t(g);
SELECT marketiq.q_replay('a', 'x', 'Infinity', NULL, 0.5, 0.9);
-- online tables cannot be combined (their updates are ordered); exact tables add up.  An
-- aggregate built on qlearn's support functions shows both (a stored exact table can be merged
-- with another one, and solved again).
CREATE AGGREGATE pg_temp.merge_tables(marketiq.qtable) (
    SFUNC = marketiq._qlearn_combine, STYPE = marketiq.qtable, FINALFUNC = marketiq._qlearn_final);
SELECT pg_temp.merge_tables(m) FROM (SELECT m FROM stepped UNION ALL SELECT m FROM replayed) s;
SELECT (pg_temp.merge_tables(m))::text = (SELECT marketiq.qlearn(state, action, reward, next_state)::text FROM funnel)
       AS merged_equals_whole
FROM (SELECT marketiq.qlearn(state, action, reward, next_state) AS m FROM funnel WHERE state = 'visitor'
      UNION ALL
      SELECT marketiq.qlearn(state, action, reward, next_state) FROM funnel WHERE state <> 'visitor') s;
SELECT pg_temp.merge_tables(m)
FROM (SELECT marketiq.qlearn(state, action, reward, next_state) AS m FROM funnel
      UNION ALL SELECT m FROM stepped) s;
SELECT pg_temp.merge_tables(m)
FROM (SELECT marketiq.qlearn(state, action, reward, next_state, 0.9) AS m FROM funnel
      UNION ALL SELECT marketiq.qlearn(state, action, reward, next_state, 0.5) FROM funnel) s;
-- not called as an aggregate
SELECT marketiq._q_replay_trans(NULL, 'a', 'x', 1, NULL, 0.5, 0.9);
