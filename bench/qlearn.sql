-- qlearn.sql: benchmarks of the decisions family (issue 8).  Run with
--   flock /tmp/marketiq-bench.lock sh bench/run.sh qlearn
-- Targets (ratios measured in the same run, one core):
--   qlearn over a 10M-transition log (1,000 states x 8 actions)  <= 1.0 x the plain SQL that only
--       counts the empirical MDP (GROUP BY state, action, next_state with count and sum)
--   the exact solve of a 10,000 states x 10 actions MDP           <= 1.0 x one second (pg_sleep(1))
-- Reported without a target: q_replay (online, ordered) over the same log, the solve by value
-- iteration, and next_best_action over the sample campaign log.
SET client_min_messages = notice;

-- ------------------------------------------- the log: 10M transitions, 1,000 states x 8 actions
-- Row i: a state and an action drawn uniformly (a random behaviour policy); 5% of transitions
-- are terminal, the others go to one of 6 successors of (state, action); rewards in cents
-- depend on the action.  Deterministic (bench.u01 hashes the row number).
DROP TABLE IF EXISTS bench.qlog;
CREATE TABLE bench.qlog AS
WITH r AS (
    SELECT i, floor(bench.u01(i, 101) * 1000)::int AS s, floor(bench.u01(i, 102) * 8)::int AS a,
           bench.u01(i, 103) AS u3, bench.u01(i, 104) AS u4
    FROM generate_series(1, 10000000) AS i
)
SELECT i, 's' || s AS state, 'a' || a AS action,
       round(((a + 1) * 2 * u4 - 3)::numeric, 2)::float8 AS reward,
       CASE WHEN u3 < 0.05 THEN NULL
            ELSE 's' || ((s * 37 + a * 101 + floor(u3 * 6)::int * 7) % 1000) END AS next_state
FROM r;
VACUUM ANALYZE bench.qlog;
DO $$ BEGIN RAISE NOTICE 'bench.qlog: % rows, % distinct (state, action, next_state)',
  (SELECT count(*) FROM bench.qlog),
  (SELECT count(*) FROM (SELECT DISTINCT state, action, next_state FROM bench.qlog) s); END $$;

SELECT bench_measure('floor: count the empirical MDP in SQL (10M transitions)',
    'SELECT count(*) FROM (SELECT state, action, next_state, count(*), sum(reward) FROM bench.qlog GROUP BY 1, 2, 3) s');
SELECT bench_measure('qlearn: 10M transitions, 1,000 states x 8 actions (count + exact solve)',
    'SELECT marketiq.qlearn(state, action, reward, next_state) FROM bench.qlog');
SELECT bench_target('qlearn: 10M transitions, 1,000 states x 8 actions (count + exact solve)',
    'floor: count the empirical MDP in SQL (10M transitions)', 1.0);
SELECT bench_measure('q_replay: the same log in order (online, alpha 0.1)',
    'SELECT marketiq.q_replay(state, action, reward, next_state, 0.1, 0.9 ORDER BY i) FROM bench.qlog', 1);
SELECT bench_target('q_replay: the same log in order (online, alpha 0.1)',
    'floor: count the empirical MDP in SQL (10M transitions)');

-- ------------------------------------------------ the solve: 10,000 states x 10 actions
-- 2M logged transitions over 10,000 states x 10 actions (about 640,000 distinct transitions):
-- the model is built once, then solved again from its counts by _qlearn_solve.
DROP TABLE IF EXISTS bench.qlog10k;
CREATE TABLE bench.qlog10k AS
WITH r AS (
    SELECT i, floor(bench.u01(i, 111) * 10000)::int AS s, floor(bench.u01(i, 112) * 10)::int AS a,
           bench.u01(i, 113) AS u3, bench.u01(i, 114) AS u4
    FROM generate_series(1, 2000000) AS i
)
SELECT 's' || s AS state, 'a' || a AS action,
       round(((a + 1) * 2 * u4 - 3)::numeric, 2)::float8 AS reward,
       CASE WHEN u3 < 0.05 THEN NULL
            ELSE 's' || ((s * 37 + a * 101 + floor(u3 * 6)::int * 7) % 10000) END AS next_state
FROM r;
DROP TABLE IF EXISTS bench.q10k;
CREATE TABLE bench.q10k AS SELECT marketiq.qlearn(state, action, reward, next_state) AS m FROM bench.qlog10k;
DO $$ DECLARE r record; BEGIN
  SELECT s.* INTO r FROM bench.q10k, marketiq.q_summary(m) s;
  RAISE NOTICE 'bench.q10k: % states with actions, % pairs, % transitions; %, % iterations, error bound %',
    r.decision_states, r.pairs, r.transitions, r.solver, r.iterations, r.error_bound;
END $$;

SELECT bench_measure('floor: one second (pg_sleep(1))', 'SELECT pg_sleep(1)', 1);
SELECT bench_measure('floor: read the 10k x 10 model (q_summary of the stored table)',
    'SELECT marketiq.q_summary(m) FROM bench.q10k', 5);
SELECT bench_measure('qlearn solve: 10,000 states x 10 actions (policy iteration, with reading the model)',
    'SELECT marketiq._qlearn_solve(m, ''auto'') FROM bench.q10k', 5);
SELECT bench_target('qlearn solve: 10,000 states x 10 actions (policy iteration, with reading the model)',
    'floor: one second (pg_sleep(1))', 1.0);
SELECT bench_target('floor: read the 10k x 10 model (q_summary of the stored table)',
    'floor: one second (pg_sleep(1))');
SELECT bench_measure('qlearn solve: 10,000 states x 10 actions by value iteration',
    'SELECT marketiq._qlearn_solve(m, ''value_iteration'') FROM bench.q10k', 3);
SELECT bench_target('qlearn solve: 10,000 states x 10 actions by value iteration',
    'floor: one second (pg_sleep(1))');

-- ---------------------------------------- next_best_action over the sample campaign log
CREATE OR REPLACE VIEW bench.campaign_events AS
SELECT customer_id, ts, segment || ' ' || stage AS state, action, reward FROM bench.campaign;
SELECT bench_measure('floor: scan the campaign events in (customer, ts) order',
    'SELECT count(*) FROM (SELECT * FROM bench.campaign_events ORDER BY customer_id, ts) s', 3);
SELECT bench_measure('next_best_action over the campaign log',
    'SELECT count(*) FROM marketiq.next_best_action(''bench.campaign_events'', ''customer_id'', ''ts'', ''state'', ''action'', ''reward'')', 3);
SELECT bench_target('next_best_action over the campaign log',
    'floor: scan the campaign events in (customer, ts) order');
