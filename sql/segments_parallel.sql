-- segments_parallel: the k-means pass aggregates (kmeans_scan, kmeans_step), the kmeans
-- driver and the median/mad aggregates give the serial answer under a forced parallel plan.
-- The input is partitioned 4 ways and partitionwise aggregation is on, so PostgreSQL builds one
-- partial state per partition and always runs the combine functions; EXPLAIN shows the Partial
-- Aggregates under the Gather.  Counts, the chosen rows (first centre, sample, farthest points,
-- k-means++ draw) and cluster assignments must be identical; sums agree to 1e-12 relative
-- (they add the same numbers in another order).
SET extra_float_digits = 0;
CREATE SCHEMA seg_par;
SET search_path = seg_par, public;

-- a agrees with b to 1e-12 (relative above 1, absolute below)
CREATE FUNCTION agrees(a float8, b float8) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT NULL AND b IS NOT NULL AND a NOT IN ('NaN', 'Infinity', '-Infinity')
             AND abs(a - b) <= 1e-12 * greatest(1, abs(b)) $$;
-- the elements of two JSON arrays agree
CREATE FUNCTION agrees(a jsonb, b jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_array_length(a) = jsonb_array_length(b)
             AND coalesce((SELECT bool_and(agrees(x::float8, y::float8))
                           FROM jsonb_array_elements_text(a) WITH ORDINALITY p(x, i)
                           JOIN jsonb_array_elements_text(b) WITH ORDINALITY q(y, i) USING (i)), true) $$;

-- 8,000 points in three features, hash-partitioned four ways (with a few NULL rows)
CREATE TABLE pts (id int, x float8[]) PARTITION BY HASH (id);
CREATE TABLE pts_0 PARTITION OF pts FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE pts_1 PARTITION OF pts FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE pts_2 PARTITION OF pts FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE pts_3 PARTITION OF pts FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO pts
SELECT i, CASE WHEN i % 997 = 0 THEN NULL
               ELSE ARRAY[(i % 4) * 20 + ((i * 7919) % 1009)::float8 / 50,
                          (i % 4 / 2) * 8 + ((i * 104729) % 997)::float8 / 100,
                          ((i * 15485863) % 1013)::float8 / 1013] END
FROM generate_series(1::bigint, 8000) AS i;
ANALYZE pts;
SELECT count(*) FILTER (WHERE n = 0) AS empty_partitions
FROM (SELECT tableoid, count(*) AS n FROM pts GROUP BY tableoid) s;

-- the passes, serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS
SELECT marketiq.kmeans_scan(x, 42, 500) AS scan,
       marketiq.kmeans_step(x, '{{0,0,0},{1,1,1},{-1,0,1},{2,-1,0}}', '{30,4,0.5}', '{22,5,0.3}') AS step,
       marketiq.kmeans_step(x, '{{0,0,0},{1,1,1}}', '{30,4,0.5}', '{22,5,0.3}', 12345) AS draw,
       marketiq.median(x[1]) AS median, marketiq.mad(x[2]) AS mad
FROM pts;
CREATE TABLE serial_model AS SELECT marketiq.kmeans('pts', 'x', 4) AS m;

-- the same, under a forced parallel plan
SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF)
SELECT marketiq.kmeans_scan(x, 42, 500) AS scan,
       marketiq.kmeans_step(x, '{{0,0,0},{1,1,1},{-1,0,1},{2,-1,0}}', '{30,4,0.5}', '{22,5,0.3}') AS step,
       marketiq.median(x[1]) AS median
FROM pts;
CREATE TABLE par AS
SELECT marketiq.kmeans_scan(x, 42, 500) AS scan,
       marketiq.kmeans_step(x, '{{0,0,0},{1,1,1},{-1,0,1},{2,-1,0}}', '{30,4,0.5}', '{22,5,0.3}') AS step,
       marketiq.kmeans_step(x, '{{0,0,0},{1,1,1}}', '{30,4,0.5}', '{22,5,0.3}', 12345) AS draw,
       marketiq.median(x[1]) AS median, marketiq.mad(x[2]) AS mad
FROM pts;
-- the driver's passes are these aggregates over the relation: they run in parallel too
CREATE TABLE par_model AS SELECT marketiq.kmeans('pts', 'x', 4) AS m;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;

-- kmeans_scan: counts, first centre and sample identical, moments agree
SELECT (s.j -> 'n') = (p.j -> 'n') AND (s.j -> 'rows_skipped') = (p.j -> 'rows_skipped') AS counts_equal,
       s.j -> 'rows_skipped' AS skipped, jsonb_array_length(s.j -> 'sample_hash') AS sample,
       (s.j -> 'first') = (p.j -> 'first') AND (s.j -> 'first_hash') = (p.j -> 'first_hash') AS first_equal,
       (s.j -> 'sample') = (p.j -> 'sample') AND (s.j -> 'sample_hash') = (p.j -> 'sample_hash') AS sample_equal,
       agrees(s.j -> 'mean', p.j -> 'mean') AND agrees(s.j -> 'm2', p.j -> 'm2') AS moments_agree
FROM (SELECT scan::text::jsonb AS j FROM serial) s, (SELECT scan::text::jsonb AS j FROM par) p;
-- kmeans_step: counts and farthest points identical, sums and inertia agree
SELECT s.j -> 'counts' AS counts, (s.j -> 'counts') = (p.j -> 'counts') AS counts_equal,
       agrees(s.j -> 'sums', p.j -> 'sums') AND agrees(s.j -> 'inertia', p.j -> 'inertia') AS sums_agree,
       jsonb_array_length(s.j -> 'far_dist') AS far_points,
       (s.j -> 'far_dist') = (p.j -> 'far_dist') AND (s.j -> 'far_z') = (p.j -> 'far_z')
       AND (s.j -> 'far_cluster') = (p.j -> 'far_cluster') AS farthest_equal
FROM (SELECT step::text::jsonb AS j FROM serial) s, (SELECT step::text::jsonb AS j FROM par) p;
-- the k-means++ draw: the same row, with the same key
SELECT (s.j -> 'pick_z') = (p.j -> 'pick_z') AND (s.j -> 'pick_key') = (p.j -> 'pick_key') AS draw_equal,
       (s.j -> 'positive') = (p.j -> 'positive') AS positive_equal
FROM (SELECT draw::text::jsonb AS j FROM serial) s, (SELECT draw::text::jsonb AS j FROM par) p;
-- median and mad: the same numbers (array_cat merges the partial value lists)
SELECT s.median = p.median AS median_equal, s.mad = p.mad AS mad_equal FROM serial s, par p;
-- the kmeans driver: the same model (iterations, sizes; centroids and inertia to 1e-12)
SELECT a.iterations = b.iterations AND a.converged = b.converged AND a.rows = b.rows
       AND a.rows_skipped = b.rows_skipped AS stats_equal,
       agrees(a.inertia, b.inertia) AND agrees(a.silhouette, b.silhouette) AS inertia_silhouette_agree,
       (SELECT bool_and(cs.size = cp.size AND agrees(to_jsonb(cs.centroid), to_jsonb(cp.centroid)))
        FROM marketiq.centroids(s.m) cs JOIN marketiq.centroids(p.m) cp USING (cluster)) AS clusters_agree,
       (SELECT count(*) FROM pts WHERE marketiq.assign_cluster(s.m, x) IS DISTINCT FROM marketiq.assign_cluster(p.m, x)) AS assigned_differently
FROM serial_model s, par_model p, marketiq.kmeans_stats(s.m) a, marketiq.kmeans_stats(p.m) b;

-- partial states of different passes cannot be merged
SELECT marketiq.kmeans_step(x, CASE WHEN id % 2 = 0 THEN '{{0,0,0}}'::float8[] ELSE '{{1,1,1}}' END,
                            '{0,0,0}', '{1,1,1}') FROM pts;
SELECT marketiq.kmeans_step(x, '{{0,0,0}}', '{0,0,0}', '{1,0,1}') FROM pts;
SELECT marketiq.kmeans_step(x, '{{0,0}}', '{0,0}', '{1,1}') FROM pts;
SELECT marketiq.kmeans_step(x, '{0,0,0}', '{0,0,0}', '{1,1,1}') FROM pts;
SELECT marketiq.kmeans_step(x, NULL, '{0,0,0}', '{1,1,1}') FROM pts;
SELECT marketiq.kmeans_scan(x, id, 10) FROM pts;
SELECT marketiq.kmeans_scan(x, 1, -1) FROM pts;
-- malformed state text
SELECT '{"kind":"kmeans_step","format":1,"k":1,"d":1,"centroids":[0],"center":[0],"scale":[0],"draw":0,"draw_seed":0,"n":0,"rows_skipped":0,"counts":[0],"sums":[0],"inertia":[0],"far_dist":[],"far_cluster":[],"far_z":[],"positive":0,"pick_key":"Infinity","pick_z":[]}'::marketiq.kmeans_step;
SELECT '{"kind":"kmeans_step","format":1,"k":1,"d":1,"centroids":[0],"center":[0],"scale":[1],"draw":0,"draw_seed":0,"n":2,"rows_skipped":0,"counts":[1],"sums":[0],"inertia":[0],"far_dist":[],"far_cluster":[],"far_z":[],"positive":0,"pick_key":"Infinity","pick_z":[]}'::marketiq.kmeans_step;
SELECT '{"kind":"kmeans_scan","format":1,"seed":1,"sample_size":2,"d":1,"n":2,"rows_skipped":0,"mean":[0],"m2":[0],"first_hash":0,"first":[0],"sample_hash":[5,3],"sample":[0,0]}'::marketiq.kmeans_scan;
-- a state's text form reads back
SELECT step::text::marketiq.kmeans_step::text = step::text AS step_round_trip,
       scan::text::marketiq.kmeans_scan::text = scan::text AS scan_round_trip FROM serial;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA seg_par CASCADE;
RESET client_min_messages;
