-- attribution.sql: benchmarks of the attribution models (issue 3), over the bench touchpoints
-- (about 9.4M rows, 1M users; schema "bench", see test/sample_data.sql).  Run with
--   flock /tmp/marketiq-bench.lock sh bench/run.sh attribution
-- Targets (ratios measured in the same run, one core):
--   attribution_report with every model (Markov order 1)  <= 1.5 x 'floor: paths array_agg'
--   markov_model over pre-aggregated paths                 <= 1.5 x a scan reading every path
-- Reported without a target: the exact Markov solve against a 10^6-walk simulation (speed, and
-- the simulation's error in NOTICEs), an order-3 chain over 20 channels, and the plain-SQL
-- (window functions) equivalent of a heuristic report against attribution_report.
SET client_min_messages = notice;

-- ------------------------------------------------- 1. the report against the path floor
SELECT bench_measure('attribution_report: all 14 models (markov order 1)',
    'SELECT count(*) FROM marketiq.attribution_report(''bench.touchpoints'')');
SELECT bench_target('attribution_report: all 14 models (markov order 1)', 'floor: paths array_agg', 1.5);
SELECT bench_measure('attribution_report: linear only',
    'SELECT count(*) FROM marketiq.attribution_report(''bench.touchpoints'', models => ''{linear}'')');
SELECT bench_target('attribution_report: linear only', 'floor: paths array_agg');
SELECT bench_measure('journeys(): every journey as a row',
    'SELECT count(*) FROM marketiq.journeys(''bench.touchpoints'')', 1);
SELECT bench_target('journeys(): every journey as a row', 'floor: paths array_agg');

-- ----------------------------------------- 2. markov_model over pre-aggregated paths
-- the paths table teams keep: one row per distinct journey path (30-day lookback journeys)
DROP TABLE IF EXISTS bench.paths;
CREATE TABLE bench.paths AS
SELECT channels AS path, count(*) FILTER (WHERE converted) AS conversions,
       count(*) FILTER (WHERE NOT converted) AS nulls, coalesce(sum(value), 0) AS value
FROM marketiq.journeys('bench.touchpoints') GROUP BY channels;
VACUUM ANALYZE bench.paths;
DO $$ BEGIN RAISE NOTICE 'bench.paths: % rows, % touches per path on average',
  (SELECT count(*) FROM bench.paths), (SELECT round(avg(cardinality(path)), 2) FROM bench.paths); END $$;
SELECT bench_measure('floor: scan paths', 'SELECT sum(cardinality(path) * conversions) FROM bench.paths', 5);
SELECT bench_measure('markov_model over paths (order 1, with value)',
    'SELECT marketiq.markov_model(path, conversions, nulls, value) FROM bench.paths', 5);
SELECT bench_target('markov_model over paths (order 1, with value)', 'floor: scan paths', 1.5);
SELECT bench_measure('shapley_model over paths (with value)',
    'SELECT marketiq.shapley_model(path, conversions, nulls, value) FROM bench.paths', 5);
SELECT bench_target('shapley_model over paths (with value)', 'floor: scan paths');

-- --------------------------------------------- 3. exact solution against simulation
DROP TABLE IF EXISTS bench.markov1;
CREATE TABLE bench.markov1 AS SELECT marketiq.markov_model(path, conversions, nulls, value) AS m FROM bench.paths;
SELECT bench_measure('markov exact solve (order 1)',
    'SELECT count(*) FROM bench.markov1, marketiq._markov_solve(m, ''auto'')', 5);
SELECT bench_measure('markov simulation, 10^6 walks (order 1)',
    'SELECT count(*) FROM bench.markov1, marketiq._markov_simulate(m, 1000000, 1)', 1);
SELECT bench_target('markov simulation, 10^6 walks (order 1)', 'markov exact solve (order 1)');
-- the simulation's error against the exact removal effects, over 5 seeds
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT s.channel, e.removal_effect AS exact, avg(s.removal_effect) AS mean_sim,
           max(abs(s.removal_effect - e.removal_effect)) AS max_err,
           max(abs(s.removal_effect - e.removal_effect) / e.removal_effect) AS max_rel_err
    FROM bench.markov1, marketiq.removal_effects(m) e,
         generate_series(1, 5) AS seed, LATERAL marketiq._markov_simulate(m, 1000000, seed) s
    WHERE s.channel = e.channel GROUP BY s.channel, e.removal_effect ORDER BY s.channel
  LOOP
    RAISE NOTICE 'simulation error (10^6 walks, 5 seeds): % exact % max abs error % (% %%)',
      rpad(r.channel, 15), round(r.exact::numeric, 6), round(r.max_err::numeric, 6),
      round(100 * r.max_rel_err::numeric, 3);
  END LOOP;
END $$;

-- ------------------------------------------------- 4. order 3 over twenty channels
-- 300,000 paths of 1 to ~20 touches over 20 channels of skewed popularity
DROP TABLE IF EXISTS bench.paths20;
CREATE TABLE bench.paths20 AS
SELECT (SELECT array_agg('c' || lpad((1 + floor(bench.u01(p * 64 + k, 31) ^ 1.5 * 20))::int::text, 2, '0') ORDER BY k)
        FROM generate_series(1, least(40, 1 + floor(-ln(bench.u01(p, 32)) * 5))::int) AS k) AS path,
       (bench.u01(p, 33) < 0.3)::int::bigint AS conversions,
       (bench.u01(p, 33) >= 0.3)::int::bigint AS nulls,
       CASE WHEN bench.u01(p, 33) < 0.3 THEN round((20 + 200 * bench.u01(p, 34))::numeric, 2)::float8 ELSE 0 END AS value
FROM generate_series(1, 300000) AS p;
VACUUM ANALYZE bench.paths20;
SELECT bench_measure('floor: scan paths20', 'SELECT sum(cardinality(path) * conversions) FROM bench.paths20', 5);
SELECT bench_measure('markov_model order 3, 20 channels (count + exact solve)',
    'SELECT marketiq.markov_model(path, conversions, nulls, value, 3) FROM bench.paths20', 3);
SELECT bench_target('markov_model order 3, 20 channels (count + exact solve)', 'floor: scan paths20');
DROP TABLE IF EXISTS bench.markov3;
CREATE TABLE bench.markov3 AS SELECT marketiq.markov_model(path, conversions, nulls, value, 3) AS m FROM bench.paths20;
SELECT bench_measure('markov order 3, 20 channels: exact solve alone',
    'SELECT count(*) FROM bench.markov3, marketiq._markov_solve(m, ''auto'')', 3);
SELECT bench_target('markov order 3, 20 channels: exact solve alone', 'floor: scan paths20');
DO $$ BEGIN RAISE NOTICE 'order 3, 20 channels: % states, % transitions, solver %, % Gauss-Seidel sweeps',
  (SELECT count(DISTINCT from_state) FROM bench.markov3, marketiq.transitions(m)),
  (SELECT count(*) FROM bench.markov3, marketiq.transitions(m)),
  (SELECT min(method) FROM bench.markov3, marketiq._markov_solve(m, 'auto')),
  (SELECT min(iterations) FROM bench.markov3, marketiq._markov_solve(m, 'auto')); END $$;
SELECT bench_measure('shapley rate game, 20 channels (2^20 coalitions)',
    'SELECT count(*) FROM (SELECT marketiq.shapley_model(path, conversions, nulls, value) AS m FROM bench.paths20) s, marketiq.shapley_values(m, ''rate'')', 3);
SELECT bench_target('shapley rate game, 20 channels (2^20 coalitions)', 'floor: scan paths20');

-- ------------------------------------ 5. the plain-SQL equivalent (window functions)
-- Linear attribution written as one SQL query: journeys numbered with a running count of
-- earlier conversions, trimmed to the 30-day lookback, each converting journey's conversion and
-- value spread equally over its touches.  It gives the same answer as the report (checked in
-- sql/attribution_report.sql on data without ties in time).
SELECT bench_measure('plain SQL: linear attribution with window functions', $q$
WITH t AS (
  SELECT user_id, ts, channel, converted, revenue,
         coalesce(sum(converted::int) OVER (PARTITION BY user_id ORDER BY ts
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS j
  FROM bench.touchpoints),
c AS (
  SELECT user_id, j, max(ts) AS conv_ts, max(revenue) AS value
  FROM t WHERE converted GROUP BY user_id, j),
w AS (
  SELECT t.channel, c.value, count(*) OVER (PARTITION BY t.user_id, t.j) AS n
  FROM t JOIN c USING (user_id, j)
  WHERE t.ts >= c.conv_ts - interval '30 days')
SELECT channel, sum(1.0 / n) AS conversions, sum(coalesce(value, 0) / n) AS value FROM w GROUP BY channel
$q$, 1);
SELECT bench_target('plain SQL: linear attribution with window functions', 'attribution_report: linear only');
