-- budget.sql: benchmarks of response curves and budget allocation (issue 12).  Run with
--   flock /tmp/marketiq-bench.lock sh bench/run.sh budget
-- The issue sets no performance target; these measure the fit and allocation times against
-- floors measured in the same run (one core):
--   response_curve over 1,000,000 points (power: closed form; log and hill: nonlinear least
--     squares) against a scan that reads the same two columns;
--   one curve per channel for 20,000 channels x 52 weeks (the usual shape: many small groups)
--     against the same GROUP BY with sum(), hashed (the planner's choice) and sorted;
--   allocate_budget over 10 and 1,000 channels (mixed forms, bounds) against evaluating every
--     curve once (predict_outcome over the channels);
--   budget_plan over bench.spend_history against the same work written as a GROUP BY of
--     response_curve plus allocate_budget.
SET client_min_messages = notice;

-- ------------------------------------------------------- 1. one curve, many points
DROP TABLE IF EXISTS bench.curve_points;
CREATE TABLE bench.curve_points AS
SELECT 10 + 990 * bench.u01(i, 41) AS x,
       300 * (10 + 990 * bench.u01(i, 41)) ^ 0.6 / (150 ^ 0.6 + (10 + 990 * bench.u01(i, 41)) ^ 0.6)
         * exp(0.1 * (bench.u01(i, 42) - 0.5)) AS y
FROM generate_series(1, 1000000) AS i;
VACUUM ANALYZE bench.curve_points;
SELECT bench_measure('floor: scan curve_points', 'SELECT sum(x * y) FROM bench.curve_points', 5);
SELECT bench_measure('response_curve power, 10^6 points',
    'SELECT marketiq.response_curve(x, y) FROM bench.curve_points', 3);
SELECT bench_target('response_curve power, 10^6 points', 'floor: scan curve_points');
SELECT bench_measure('response_curve log, 10^6 points',
    'SELECT marketiq.response_curve(x, y, ''log'') FROM bench.curve_points', 3);
SELECT bench_target('response_curve log, 10^6 points', 'floor: scan curve_points');
SELECT bench_measure('response_curve hill, 10^6 points',
    'SELECT marketiq.response_curve(x, y, ''hill'') FROM bench.curve_points', 3);
SELECT bench_target('response_curve hill, 10^6 points', 'floor: scan curve_points');
DO $$ BEGIN RAISE NOTICE 'hill fit of 10^6 points: %',
  (SELECT marketiq.curve_params(marketiq.response_curve(x, y, 'hill')) FROM bench.curve_points); END $$;

-- ------------------------------------------------- 2. many channels, 52 weeks each
-- (the queries consume the aggregate's result: an unused subquery output is never computed)
DROP TABLE IF EXISTS bench.channel_weeks;
CREATE TABLE bench.channel_weeks AS
SELECT 'ch' || c AS channel, w AS week,
       (100 + c % 900) * (0.4 + 1.4 * bench.u01(c * 64 + w, 43)) AS cost,
       (1 + c % 7) * ((100 + c % 900) * (0.4 + 1.4 * bench.u01(c * 64 + w, 43))) ^ (0.3 + (c % 11) / 20.0)
         * exp(0.1 * (bench.u01(c * 64 + w, 44) - 0.5)) AS revenue
FROM generate_series(1, 20000) AS c, generate_series(1, 52) AS w;
VACUUM ANALYZE bench.channel_weeks;
SELECT bench_measure('floor: GROUP BY channel sum, 20,000 x 52',
    'SELECT sum(t) FROM (SELECT channel, sum(cost * revenue) AS t FROM bench.channel_weeks GROUP BY channel) s', 3);
-- many of the log and hill fits below never saturate (the data are power curves) and would print
-- thousands of WARNINGs: keep them quiet
SET client_min_messages = error;
-- the planner's choice, a HashAggregate: PostgreSQL 15 measures the memory of the hash table's
-- context tree for every new group; marketiq's states share one context per aggregate context
-- so that this stays linear in the number of groups (see README, Design notes)
SELECT bench_measure('response_curve power per channel, 20,000 x 52 (HashAggregate)',
    'SELECT count(m) FROM (SELECT channel, marketiq.response_curve(cost, revenue) AS m FROM bench.channel_weeks GROUP BY channel) s', 1);
SELECT bench_target('response_curve power per channel, 20,000 x 52 (HashAggregate)', 'floor: GROUP BY channel sum, 20,000 x 52');
SET enable_hashagg = off;
SELECT bench_measure('floor: GROUP BY channel sum, 20,000 x 52 (sorted)',
    'SELECT sum(t) FROM (SELECT channel, sum(cost * revenue) AS t FROM bench.channel_weeks GROUP BY channel) s', 3);
SELECT bench_measure('response_curve power per channel, 20,000 x 52 (sorted)',
    'SELECT count(m) FROM (SELECT channel, marketiq.response_curve(cost, revenue) AS m FROM bench.channel_weeks GROUP BY channel) s', 3);
SELECT bench_target('response_curve power per channel, 20,000 x 52 (sorted)', 'floor: GROUP BY channel sum, 20,000 x 52 (sorted)');
SELECT bench_measure('response_curve log per channel, 20,000 x 52 (sorted)',
    'SELECT count(m) FROM (SELECT channel, marketiq.response_curve(cost, revenue, ''log'') AS m FROM bench.channel_weeks GROUP BY channel) s', 3);
SELECT bench_target('response_curve log per channel, 20,000 x 52 (sorted)', 'floor: GROUP BY channel sum, 20,000 x 52 (sorted)');
SELECT bench_measure('response_curve hill per channel, 20,000 x 52 (sorted)',
    'SELECT count(m) FROM (SELECT channel, marketiq.response_curve(cost, revenue, ''hill'') AS m FROM bench.channel_weeks GROUP BY channel) s', 1);
SELECT bench_target('response_curve hill per channel, 20,000 x 52 (sorted)', 'floor: GROUP BY channel sum, 20,000 x 52 (sorted)');
RESET enable_hashagg;
SET client_min_messages = notice;

-- --------------------------------------------------------------- 3. allocation
-- 1,000 channels: power, log and hill curves in turn, minimums and some caps
DROP TABLE IF EXISTS bench.alloc_curves;
CREATE TABLE bench.alloc_curves AS
SELECT i, 'c' || i AS channel,
       format('{"kind":"response","format":1,"form":"%s","rows":52,"spend":[],"outcome":[],"params":%s,'
              '"n":52,"r2":0.9,"converged":1,"iterations":5,"spend_min":0,"spend_max":1e12}',
              (ARRAY['power', 'log', 'hill'])[1 + i % 3],
              CASE i % 3 WHEN 0 THEN format('[%s,%s]', 1 + i % 17, 0.2 + 0.7 * bench.u01(i, 45))
                         WHEN 1 THEN format('[%s,%s]', 100 + i % 900, 50 + 500 * bench.u01(i, 46))
                         ELSE format('[%s,%s,%s]', 500 + i % 1000, 100 + 900 * bench.u01(i, 47), 0.3 + 0.7 * bench.u01(i, 48)) END
       )::marketiq.response AS curve,
       (i % 4) * 10.0::float8 AS lo,
       CASE WHEN i % 10 = 0 THEN 200 ELSE 'Infinity'::float8 END AS hi
FROM generate_series(1, 1000) AS i;
DROP TABLE IF EXISTS bench.alloc_args;
CREATE TABLE bench.alloc_args AS
SELECT n, array_agg(channel ORDER BY i) AS ch, array_agg(curve ORDER BY i) AS cv,
       array_agg(lo ORDER BY i) AS lo, array_agg(hi ORDER BY i) AS hi
FROM bench.alloc_curves, (VALUES (10), (1000)) v(n) WHERE i <= n GROUP BY n;
-- (the small cases repeat the call with a different budget each time, to be measurable)
SELECT bench_measure('floor: evaluate 1,000 curves once',
    'SELECT sum(marketiq.predict_outcome(c, 100)) FROM bench.alloc_args, unnest(cv) c WHERE n = 1000', 20);
SELECT bench_measure('allocate_budget, 1,000 channels (mixed forms, bounds)',
    'SELECT sum(spend) FROM bench.alloc_args, marketiq.allocate_budget(ch, cv, 500000, lo, hi) WHERE n = 1000', 20);
SELECT bench_target('allocate_budget, 1,000 channels (mixed forms, bounds)', 'floor: evaluate 1,000 curves once');
SELECT bench_measure('floor: evaluate 10 curves once, 1,000 times',
    'SELECT sum(marketiq.predict_outcome(c, 100 + g)) FROM bench.alloc_args, generate_series(1, 1000) g, unnest(cv) c WHERE n = 10', 10);
SELECT bench_measure('allocate_budget, 10 channels, 1,000 times',
    'SELECT sum(r.spend) FROM bench.alloc_args, generate_series(1, 1000) g, marketiq.allocate_budget(ch, cv, 5000 + g, lo, hi) r WHERE n = 10', 10);
SELECT bench_target('allocate_budget, 10 channels, 1,000 times', 'floor: evaluate 10 curves once, 1,000 times');

-- --------------------------------------------------- 4. budget_plan over a history
-- the average weekly budget, each channel kept within the spends it was fitted on
DROP TABLE IF EXISTS bench.plan_args;
CREATE TABLE bench.plan_args AS
SELECT t, sum(avg_cost) AS budget, array_agg(lo ORDER BY channel COLLATE "C") AS lo,
       array_agg(hi ORDER BY channel COLLATE "C") AS hi
FROM (SELECT 'spend_history' AS t, channel, avg(cost) AS avg_cost, min(cost) AS lo, max(cost) AS hi
      FROM bench.spend_history GROUP BY channel
      UNION ALL
      SELECT 'channel_weeks', channel, avg(cost), min(cost), max(cost)
      FROM bench.channel_weeks GROUP BY channel) s
GROUP BY t;
SELECT bench_measure('floor: GROUP BY response_curve + allocate_budget (spend_history), 100 times', $q$
SELECT sum(r.spend)
FROM bench.plan_args a, generate_series(1, 100) g,
     LATERAL (SELECT array_agg(channel ORDER BY channel COLLATE "C") AS ch, array_agg(c ORDER BY channel COLLATE "C") AS cv
              FROM (SELECT channel, marketiq.response_curve(cost, revenue) AS c FROM bench.spend_history
                    WHERE g > 0 GROUP BY channel) x) s,
     marketiq.allocate_budget(ch, cv, a.budget + g, a.lo, a.hi) r
WHERE a.t = 'spend_history'
$q$, 10);
SELECT bench_measure('budget_plan (spend_history: 6 channels x 52 weeks), 100 times', $q$
SELECT sum(r.spend)
FROM bench.plan_args a, generate_series(1, 100) g,
     marketiq.budget_plan('bench.spend_history', 'channel', 'cost', 'revenue', a.budget + g, 'power', a.lo, a.hi) r
WHERE a.t = 'spend_history'
$q$, 10);
SELECT bench_target('budget_plan (spend_history: 6 channels x 52 weeks), 100 times',
    'floor: GROUP BY response_curve + allocate_budget (spend_history), 100 times');
SELECT bench_measure('budget_plan over 20,000 channels x 52 weeks', $q$
SELECT sum(r.spend)
FROM bench.plan_args a, marketiq.budget_plan('bench.channel_weeks', 'channel', 'cost', 'revenue', a.budget, 'power', a.lo, a.hi) r
WHERE a.t = 'channel_weeks'
$q$, 3);
SELECT bench_target('budget_plan over 20,000 channels x 52 weeks', 'response_curve power per channel, 20,000 x 52 (sorted)');
