-- segments.sql: k-means and KPI anomalies (issue 11).  Run with
--     flock /tmp/marketiq-bench.lock sh bench/run.sh segments
--
-- Data, generated here deterministically (bench.u01 hashes, never random()):
--   bench.km_1m   1,000,000 rows x 8 features, eight groups: the features both as eight float8
--                 columns x1..x8 and as the float8[] column f that kmeans reads
--   bench.kpi     1,000 daily series x 730 days (730,000 rows): a weekly cycle, noise, a trend
-- Benchmarks (one core; each against its floor, measured in the same run):
--   one Lloyd pass (kmeans_step over f, k = 8) vs a plain scan summing x1..x8: target 1.5x;
--   the kmeans driver from a given start, seconds per iteration, vs scikit-learn's KMeans
--       (Lloyd, one thread) on the same data exported with COPY (bench/segments_sklearn.py);
--   detect_anomalies (each method) vs a plain GROUP BY scan of the series: target 3x; and
--       the 'mad' method written as window aggregates (marketiq.median/mad OVER 28 rows).
\set ON_ERROR_STOP on
SET client_min_messages = notice;

DROP TABLE IF EXISTS bench.km_1m, bench.kpi;
CREATE TABLE bench.km_1m AS
SELECT id, f[1] AS x1, f[2] AS x2, f[3] AS x3, f[4] AS x4, f[5] AS x5, f[6] AS x6, f[7] AS x7, f[8] AS x8, f
FROM (SELECT i AS id,
             ARRAY[(i % 8) * 1.0 + bench.u01(i, 201), (i % 4) * 2.0 + bench.u01(i, 202),
                   (i % 2) * 3.0 + bench.u01(i, 203), (i % 8 / 4) * 1.5 + bench.u01(i, 204),
                   bench.u01(i, 205) * 4, -ln(bench.u01(i, 206)), (i % 8) * 0.5 + bench.u01(i, 207) * 2,
                   (i % 3) + bench.u01(i, 208)]::float8[] AS f
      FROM generate_series(1::bigint, 1000000) AS i) s;
CREATE TABLE bench.kpi AS
SELECT s AS series, date '2024-01-01' + d AS day,
       100 + s % 50 + d * 0.01 + (ARRAY[0, 3, 5, 4, 2, -6, -8])[d % 7 + 1]
           + 4 * (bench.u01(s * 1000 + d, 301) + bench.u01(s * 1000 + d, 302) + bench.u01(s * 1000 + d, 303) - 1.5) AS value
FROM generate_series(1, 1000) s, generate_series(0, 729) d;
VACUUM ANALYZE bench.km_1m;
VACUUM ANALYZE bench.kpi;
-- bring both into shared buffers
SELECT count(*) FROM bench.km_1m;
SELECT count(*) FROM bench.km_1m;
SELECT count(*) FROM bench.kpi;

-- ------------------------------------------------------------------ k-means
-- the standardisation and a start: the eight group means, standardised (also used by sklearn)
CREATE TABLE bench.km_start AS
WITH m AS (SELECT ARRAY[avg(x1), avg(x2), avg(x3), avg(x4), avg(x5), avg(x6), avg(x7), avg(x8)] AS mean,
                  ARRAY[stddev_pop(x1), stddev_pop(x2), stddev_pop(x3), stddev_pop(x4), stddev_pop(x5),
                        stddev_pop(x6), stddev_pop(x7), stddev_pop(x8)] AS sd FROM bench.km_1m),
     g AS (SELECT id % 8 AS grp, ARRAY[avg(x1), avg(x2), avg(x3), avg(x4), avg(x5), avg(x6), avg(x7), avg(x8)] AS c
           FROM bench.km_1m WHERE id <= 800 GROUP BY id % 8)
SELECT m.mean, m.sd,
       (SELECT array_agg(z ORDER BY grp) FROM (SELECT grp, ARRAY(SELECT (c[j] - m.mean[j]) / m.sd[j] FROM generate_series(1, 8) j) AS z FROM g) s) AS init
FROM m;

SELECT bench_measure('segments floor: sum() of 8 columns, 1M rows',
    'SELECT sum(x1), sum(x2), sum(x3), sum(x4), sum(x5), sum(x6), sum(x7), sum(x8) FROM bench.km_1m', 5);
-- (constants in the query, as the driver's parameters: the pass checks them once)
SELECT bench_measure('kmeans: one Lloyd pass (kmeans_step), 1M x 8, k = 8',
    format('SELECT marketiq.kmeans_step(f, %L::float8[], %L::float8[], %L::float8[]) FROM bench.km_1m', init, mean, sd), 5)
FROM bench.km_start;

-- the driver, seconds per iteration: from a poor start (eight points of one group, so it takes
-- many iterations), (time of 20 iterations - time of 1) / (iterations - 1), which cancels the
-- first scan and the last pass; scikit-learn is timed the same way from the same start
CREATE TABLE bench.km_poor AS
SELECT (SELECT array_agg(ARRAY(SELECT (f[j] - s.mean[j]) / s.sd[j] FROM generate_series(1, 8) j) ORDER BY id)
        FROM bench.km_1m WHERE id IN (8, 16, 24, 32, 40, 48, 56, 64)) AS init
FROM bench.km_start s;
CREATE TABLE bench.km_model (max_iter int, seconds float8, m marketiq.kmeans);
SET client_min_messages = error;   -- max_iter => 1 does not converge: no warning needed
DO $$
DECLARE
    t0 timestamptz;
    mi int;
BEGIN
    FOREACH mi IN ARRAY ARRAY[1, 20, 1, 20] LOOP
        t0 := clock_timestamp();
        INSERT INTO bench.km_model
        SELECT mi, 0, marketiq.kmeans('bench.km_1m', 'f', 8, max_iter => mi, init => (SELECT init FROM bench.km_poor));
        UPDATE bench.km_model SET seconds = extract(epoch FROM clock_timestamp() - t0)
        WHERE seconds = 0;
    END LOOP;
END $$;
RESET client_min_messages;
INSERT INTO bench_results
SELECT 'kmeans driver 1M x 8, k = 8: seconds per iteration',
       (min(seconds) FILTER (WHERE max_iter = 20) - min(seconds) FILTER (WHERE max_iter = 1))
       / (max((marketiq.kmeans_stats(m)).iterations) FILTER (WHERE max_iter = 20) - 1), 2
FROM bench.km_model
ON CONFLICT (name) DO UPDATE SET seconds = excluded.seconds, runs = excluded.runs, measured_at = now();
SELECT max_iter, round(min(seconds)::numeric, 3) AS best_seconds, min((marketiq.kmeans_stats(m)).iterations) AS iterations,
       bool_and((marketiq.kmeans_stats(m)).converged) AS converged
FROM bench.km_model GROUP BY max_iter ORDER BY max_iter;
-- the whole fit with the default k-means++ start (k - 1 = 7 draw passes first)
CREATE TABLE bench.km_pp AS SELECT marketiq.kmeans('bench.km_1m', 'f', 8) AS m;
SELECT bench_measure('kmeans driver 1M x 8, k = 8, k-means++ start (whole fit)',
    $$SELECT marketiq.kmeans('bench.km_1m', 'f', 8)$$, 1);
SELECT s.iterations, s.converged, round(s.inertia::numeric, 1) AS inertia, round(s.silhouette::numeric, 4) AS silhouette
FROM bench.km_pp, marketiq.kmeans_stats(m) s;
\! /usr/bin/python3 bench/segments_sklearn.py
SELECT bench_target('kmeans driver 1M x 8, k = 8: seconds per iteration', 'scikit-learn KMeans (1 thread): seconds per iteration');
SELECT bench_target('kmeans: one Lloyd pass (kmeans_step), 1M x 8, k = 8', 'segments floor: sum() of 8 columns, 1M rows', 1.5);
SELECT bench_target('kmeans driver 1M x 8, k = 8, k-means++ start (whole fit)', 'scikit-learn: COPY export + scaling + KMeans k-means++ fit, 1M x 8');

-- ------------------------------------------------------------------ anomalies
SELECT bench_measure('segments floor: GROUP BY scan of 1,000 series x 730 days',
    'SELECT series, count(*), avg(value) FROM bench.kpi GROUP BY series', 5);
SELECT bench_measure('detect_anomalies mad (window 28), 1,000 x 730',
    $$SELECT count(*) FROM marketiq.detect_anomalies('bench.kpi', 'day', 'value', 'series')$$, 5);
SELECT bench_measure('detect_anomalies seasonal (28 x 7), 1,000 x 730',
    $$SELECT count(*) FROM marketiq.detect_anomalies('bench.kpi', 'day', 'value', 'series', 'seasonal', 28, 7)$$, 5);
SELECT bench_measure('detect_anomalies ewma (window 28), 1,000 x 730',
    $$SELECT count(*) FROM marketiq.detect_anomalies('bench.kpi', 'day', 'value', 'series', 'ewma')$$, 5);
SELECT bench_measure('mad method as window aggregates (median, mad OVER 28 rows)',
    $$SELECT count(*) FILTER (WHERE abs(value - med) > 3.5 * 1.4826 * mad) FROM (
        SELECT value, marketiq.median(value) OVER w AS med, marketiq.mad(value) OVER w AS mad FROM bench.kpi
        WINDOW w AS (PARTITION BY series ORDER BY day ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)) s$$, 3);
SELECT bench_measure('a bare 730,000-row function result: count(*) FROM generate_series',
    'SELECT count(*) FROM generate_series(1, 730000)', 5);
-- the same rows as detect_anomalies returns (text, timestamptz, 5 x float8, boolean, text),
-- produced by a set-returning function that computes nothing: unnest of nine prebuilt arrays
CREATE TABLE bench.kpi_arrays AS
SELECT array_agg(series::text) AS g, array_agg(day::timestamptz) AS t, array_agg(value) AS v,
       array_agg(value) AS e, array_agg(value) AS lo, array_agg(value) AS hi, array_agg(value) AS z,
       array_agg(value > 120) AS a, array_agg(CASE WHEN value > 120 THEN 'up' END) AS dir
FROM bench.kpi;
SELECT bench_measure('a bare 730,000-row result shaped as detect_anomalies''s: unnest of 9 arrays',
    'SELECT count(*) FROM bench.kpi_arrays, unnest(g, t, v, e, lo, hi, z, a, dir)', 5);
SELECT bench_target('detect_anomalies mad (window 28), 1,000 x 730', 'segments floor: GROUP BY scan of 1,000 series x 730 days', 3);
SELECT bench_target('detect_anomalies seasonal (28 x 7), 1,000 x 730', 'segments floor: GROUP BY scan of 1,000 series x 730 days', 3);
SELECT bench_target('detect_anomalies ewma (window 28), 1,000 x 730', 'segments floor: GROUP BY scan of 1,000 series x 730 days', 3);
SELECT bench_target('mad method as window aggregates (median, mad OVER 28 rows)', 'detect_anomalies mad (window 28), 1,000 x 730');
SELECT bench_target('a bare 730,000-row function result: count(*) FROM generate_series', 'segments floor: GROUP BY scan of 1,000 series x 730 days');
SELECT bench_target('a bare 730,000-row result shaped as detect_anomalies''s: unnest of 9 arrays', 'segments floor: GROUP BY scan of 1,000 series x 730 days');
