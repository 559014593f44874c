-- core_state: aggregate states as expanded objects (src/core/state.c, hash.c), through the
-- internal aggregate marketiq._test_accum(key text, value float8) -> _testmodel, built exactly
-- as the real model aggregates are: non-internal state type, combine function, PARALLEL SAFE.

-- hand-worked: a gets rows 1 and 3 (1.5 + 3.5 = 5), b gets row 2 (2.25); the NULL key is skipped
SELECT marketiq._test_accum(k, v)
FROM (VALUES ('a', 1.5), ('b', 2.25), ('a', 3.5), (NULL, 100)) AS t(k, v);

-- no rows, or only NULL keys: NULL
SELECT marketiq._test_accum(k, v) IS NULL AS empty FROM (VALUES ('x', 1.0)) AS t(k, v) WHERE false;
SELECT marketiq._test_accum(NULL::text, 1.0) IS NULL AS all_null;

-- one model per group
SELECT g, e.*
FROM (SELECT g, marketiq._test_accum(k, v) AS m
      FROM (VALUES (1, 'a', 1.0), (1, 'b', 2.0), (2, 'a', 10.0), (2, 'a', 20.0)) AS t(g, k, v)
      GROUP BY g) s, marketiq._testmodel_entries(m) e
ORDER BY g, e.name;

-- many groups: the states of one aggregate context share one memory context, and hash
-- aggregation (in memory, or spilling to disk in batches, which resets that context between
-- batches: 85 at work_mem 64kB) gives the same models as sorted aggregation; grouping sets use one aggregate context
-- per set.  By hand: group g = i % 1000 of i = 1..20000 has 20 rows.
CREATE TEMP TABLE many AS SELECT i % 1000 AS g, 'k' || (i % 3) AS k, i::float8 AS v FROM generate_series(1, 20000) AS i;
ANALYZE many;
SET max_parallel_workers_per_gather = 0;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT g, marketiq._test_accum(k, v) FROM many GROUP BY g;
CREATE TEMP TABLE hashed AS SELECT g, marketiq._test_accum(k, v)::text AS m FROM many GROUP BY g;
SET work_mem = '64kB';
CREATE TEMP TABLE spilled AS SELECT g, marketiq._test_accum(k, v)::text AS m FROM many GROUP BY g;
RESET work_mem;
RESET enable_sort;
SET enable_hashagg = off;
CREATE TEMP TABLE sorted AS SELECT g, marketiq._test_accum(k, v)::text AS m FROM many GROUP BY g;
CREATE TEMP TABLE gsets AS
SELECT g, k, marketiq._test_accum(k, v)::text AS m FROM many GROUP BY GROUPING SETS ((g), (k), ());
RESET enable_hashagg;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE h.m = s.m AND p.m = s.m AND gs.m = s.m) AS all_four_agree,
       min((s.m::jsonb)->>'n') AS min_n, max((s.m::jsonb)->>'n') AS max_n
FROM sorted s JOIN hashed h USING (g) JOIN spilled p USING (g)
JOIN (SELECT g, m FROM gsets WHERE g IS NOT NULL) gs USING (g);
-- the key sets and the grand total: k0 has the 6,666 rows i = 3, 6, ..., 19998; n = 20,000
SELECT k, (m::jsonb)->>'n' AS n FROM gsets WHERE g IS NULL ORDER BY k;
RESET max_parallel_workers_per_gather;

-- as a window aggregate the final function runs many times on the same state and must not
-- change it: the running count of key 'a' is 1, 1, 2, 2, 3
SELECT i, (SELECT count FROM marketiq._testmodel_entries(m) WHERE name = 'a') AS a_so_far
FROM (SELECT i, marketiq._test_accum(k, 1.0) OVER (ORDER BY i) AS m
      FROM (VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'c'), (5, 'a')) AS t(i, k)) s
ORDER BY i;

-- a moving frame restarts the aggregate as the frame head moves, and PARTITION BY starts a new
-- state per partition: rows in the 2-row frame ending here, per partition p
SELECT p, i, (m::text::jsonb)->'n' AS n_in_frame
FROM (SELECT p, i, marketiq._test_accum(k, 1.0) OVER (PARTITION BY p ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS m
      FROM (VALUES (1, 1, 'a'), (1, 2, 'b'), (1, 3, 'c'), (2, 4, 'a'), (2, 5, 'a')) AS t(p, i, k)) s
ORDER BY i;

-- bad input
SELECT marketiq._test_accum('a', 'NaN');
SELECT marketiq._test_accum_trans(NULL, 'a', 1.0);   -- not called as an aggregate

-- the size guard: a state that grows past marketiq.max_model_bytes stops with a hint
SET marketiq.max_model_bytes = '1MB';
SELECT marketiq._test_accum('key' || i, 1.0) FROM generate_series(1, 100000) AS i;
RESET marketiq.max_model_bytes;

-- parallel plans give the same model as the serial plan.  The input is partitioned 4 ways and
-- partitionwise aggregation is on, so PostgreSQL builds one partial state per partition and
-- always runs the combine function (a plain Gather often lets the leader do all the work).
-- Values are multiples of 1/4, so every sum is exact and the models must match bit for bit.
CREATE TABLE acc_in (i int, k text, v float8) PARTITION BY HASH (i);
CREATE TABLE acc_in_0 PARTITION OF acc_in FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE acc_in_1 PARTITION OF acc_in FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE acc_in_2 PARTITION OF acc_in FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE acc_in_3 PARTITION OF acc_in FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO acc_in SELECT i, 'k' || (i % 37), (i % 13) / 4.0 FROM generate_series(1, 100000) AS i;
ANALYZE acc_in;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_m AS SELECT marketiq._test_accum(k, v) AS m FROM acc_in;

SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT marketiq._test_accum(k, v) FROM acc_in;
CREATE TEMP TABLE parallel_m AS SELECT marketiq._test_accum(k, v) AS m FROM acc_in;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;

-- 37 keys, 100000 rows; the same bytes whatever the plan
SELECT (SELECT count(*) FROM marketiq._testmodel_entries(m)) AS keys,
       (m::text::jsonb)->'n' AS n,
       m::text = (SELECT m::text FROM parallel_m) AS parallel_equals_serial
FROM serial_m;
-- and the sum per key agrees with plain SQL
SELECT bool_and(e.count = s.cnt AND e.sum = s.total) AS matches_sql
FROM serial_m, marketiq._testmodel_entries(m) e
JOIN (SELECT k, count(*) AS cnt, sum(v) AS total FROM acc_in GROUP BY k) s ON s.k = e.name;

DROP TABLE acc_in;
