-- itemcf_parallel: the item_cf aggregates under a forced parallel plan and in any basket order
-- give the serial model; pair counts equal a plain-SQL self-join after more than 2^20 pair
-- occurrences (past which a state counts the pairs of its first items in a dense block, and the
-- rest through the sorted buffer); readers called once per row decode their
-- model once per query (the fn_extra cache).

-- 60,000 baskets of 1 to 15 items out of 500 (skewed), integer ratings 1..5, in a table
-- hash-partitioned 4 ways so that partitionwise aggregation builds one partial state per
-- partition and runs the combine function every time.
CREATE TABLE pc_in (id int, items text[], ratings float8[]) PARTITION BY HASH (id);
CREATE TABLE pc_in_0 PARTITION OF pc_in FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE pc_in_1 PARTITION OF pc_in FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE pc_in_2 PARTITION OF pc_in FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE pc_in_3 PARTITION OF pc_in FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO pc_in
SELECT id, array_agg('p' || it ORDER BY it), array_agg((1 + (hashint8extended(id * 1000 + it, 3) & 4095) % 5)::float8 ORDER BY it)
FROM (SELECT DISTINCT id, (500 * ((hashint8extended(id * 64 + d, 2) & 65535) / 65536.0) ^ 2)::int AS it
      FROM generate_series(1, 60000) AS id,
           LATERAL generate_series(1, 1 + (hashint8extended(id, 1) & 1023)::int % 15) AS d) s
GROUP BY id;
ANALYZE pc_in;
SELECT count(*) AS baskets, sum(cardinality(items)) AS interactions,
       sum(cardinality(items) * (cardinality(items) - 1) / 2) > 1048576 AS dense_block_used
FROM pc_in;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_m AS
SELECT marketiq.item_cf(items) AS imp, marketiq.item_cf(items, ratings) AS rat FROM pc_in;
-- the same baskets shuffled
CREATE TEMP TABLE shuffled_m AS
SELECT marketiq.item_cf(items) AS imp, marketiq.item_cf(items, ratings) AS rat
FROM (SELECT * FROM pc_in ORDER BY hashint8extended(id, 9)) s;

SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT marketiq.item_cf(items, ratings) FROM pc_in;
CREATE TEMP TABLE parallel_m AS
SELECT marketiq.item_cf(items) AS imp, marketiq.item_cf(items, ratings) AS rat FROM pc_in;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;

-- Implicit models are counts: identical bit for bit.  Rated models: the sums of integer ratings
-- are exact, but the sums of ratings centred by each user's mean are not integers and their
-- addition order differs, so the rated models are compared through every similarity of every
-- pair (all four rating-based measures): the sums over the 250,236 listed pairs agree to 1e-9.
SELECT p.imp::text = s.imp::text AS implicit_parallel_equals_serial,
       x.imp::text = s.imp::text AS implicit_shuffled_equals_serial
FROM serial_m s, parallel_m p, shuffled_m x;
CREATE TEMP TABLE sims AS
SELECT plan, measure, count(*) AS pairs, sum(r.similarity * r.support) AS weighted_sum
FROM (SELECT 'serial' AS plan, rat FROM serial_m UNION ALL SELECT 'parallel', rat FROM parallel_m
      UNION ALL SELECT 'shuffled', rat FROM shuffled_m) m,
     unnest('{cosine,pearson,adjusted_cosine,msd}'::text[]) AS measure,
     LATERAL marketiq.item_similarities(m.rat, 100000, measure) r
GROUP BY plan, measure;
SELECT o.plan, o.measure, o.pairs = s.pairs AS same_pairs,
       abs(o.weighted_sum - s.weighted_sum) < 1e-9 * s.pairs AS same_similarities
FROM sims o JOIN sims s ON s.plan = 'serial' AND s.measure = o.measure
WHERE o.plan <> 'serial' ORDER BY o.plan, o.measure;
SELECT measure, pairs FROM sims WHERE plan = 'serial' AND measure IN ('cosine', 'msd') ORDER BY measure;
SELECT (m).items, (m).pairs, (m).interactions FROM (SELECT marketiq.summary(imp) AS m FROM serial_m) s;

-- every pair count against a plain-SQL self-join of the exploded baskets
CREATE TEMP TABLE flat AS SELECT id, unnest(items) AS item FROM pc_in;
CREATE TEMP TABLE sql_pairs AS
SELECT a.item AS a, b.item AS b, count(*) AS users
FROM flat a JOIN flat b ON a.id = b.id AND a.item < b.item COLLATE "C" GROUP BY 1, 2;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE s.users IS NOT DISTINCT FROM m.support) AS same_support
FROM sql_pairs s FULL JOIN (SELECT item, neighbor, support
                            FROM serial_m, marketiq.item_similarities(imp, 100000, 'jaccard')
                            WHERE item < neighbor COLLATE "C") m ON (m.item, m.neighbor) = (s.a, s.b);

-- ----------------------------------------------------------- the per-query model cache
-- _itemcf_decodes() counts the models readers decoded in this backend.  A LATERAL call per row
-- decodes the model once per query, whether the model is stored in a table (a TOAST pointer),
-- computed in the query (a large value in memory), or small (compared by its bytes).
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE stored AS SELECT imp AS m FROM serial_m;
SELECT pg_column_size(m) > 65536 AS large FROM stored;
CREATE TEMP TABLE d0 AS SELECT marketiq._itemcf_decodes() AS n;
CREATE TEMP TABLE recs_stored AS
SELECT b.id, r.item, r.score FROM stored, (SELECT * FROM pc_in WHERE id <= 3000) b,
     LATERAL marketiq.recommend(stored.m, b.items, n => 3) r;
SELECT count(DISTINCT id) AS users, marketiq._itemcf_decodes() - (SELECT n FROM d0) AS decodes FROM recs_stored;
UPDATE d0 SET n = marketiq._itemcf_decodes();
CREATE TEMP TABLE recs_cte AS
WITH model AS MATERIALIZED (SELECT marketiq.item_cf(items) AS m FROM pc_in)
SELECT b.id, r.item, r.score FROM model, (SELECT * FROM pc_in WHERE id <= 3000) b,
     LATERAL marketiq.recommend(model.m, b.items, n => 3) r;
SELECT count(DISTINCT id) AS users, marketiq._itemcf_decodes() - (SELECT n FROM d0) AS decodes FROM recs_cte;
-- the same recommendations either way
SELECT count(*) AS rows, count(*) FILTER (WHERE a.score = b.score) AS same
FROM recs_stored a FULL JOIN recs_cte b USING (id, item);
UPDATE d0 SET n = marketiq._itemcf_decodes();
SELECT count(*) AS predictions,
       marketiq._itemcf_decodes() - (SELECT n FROM d0) AS decodes
FROM (SELECT marketiq.predict_rating(m, b.items[2:], b.ratings[2:], b.items[1]) AS p
      FROM (SELECT rat AS m FROM serial_m) s, (SELECT * FROM pc_in WHERE id <= 3000) b) x
WHERE p IS NOT NULL;
UPDATE d0 SET n = marketiq._itemcf_decodes();
SELECT count(*) AS rows, marketiq._itemcf_decodes() - (SELECT n FROM d0) AS decodes
FROM (SELECT marketiq.item_cf(items) AS m FROM (VALUES ('{a,b}'::text[]), ('{b,c}')) t(items)) s,
     generate_series(1, 500) AS g, LATERAL marketiq.similar_items(s.m, 'b') r;
-- two models taking turns row by row: each call reads its own model
UPDATE d0 SET n = marketiq._itemcf_decodes();
CREATE TEMP TABLE two AS
SELECT g, marketiq.item_cf(items) AS m
FROM (VALUES (1, '{a,b}'::text[]), (1, '{a,b,c}'), (2, '{a,c}'), (2, '{a,c,d}'), (2, '{b,d}')) t(g, items) GROUP BY g;
SELECT u.i, gg.g, string_agg(r.item || ' ' || round(r.score::numeric, 6), ', ') AS recommendations
FROM generate_series(1, 6) AS u(i) CROSS JOIN LATERAL (SELECT 1 + u.i % 2 AS g) gg
JOIN two USING (g), LATERAL marketiq.recommend(two.m, '{a}') r
GROUP BY u.i, gg.g ORDER BY u.i;
SELECT marketiq._itemcf_decodes() - (SELECT n FROM d0) > 1 AS decoded_again_when_the_model_changed;
RESET max_parallel_workers_per_gather;
DROP TABLE pc_in;
