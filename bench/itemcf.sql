-- itemcf.sql: benchmarks of item-based collaborative filtering (issue 7).  Run with
--   flock /tmp/marketiq-bench.lock sh bench/run.sh itemcf
-- Data (generated here, deterministic with test/sample_data.sql's u01()): bench.interactions,
-- 100,000 users with 1 + floor(Exp(mean 11)) draws each (at most 80) of 10,000 items whose
-- popularity is Zipf-like (rank r drawn with probability about 1 / (r ln 10001)), each (user, item)
-- once: about 1M interactions; a rating 1..5 per interaction.
-- Targets (ratios measured in the same run, one core):
--   item_cf over the (stored) baskets       <= 3 x the basket-building floor of the issue
--   item_cf over baskets built in the query <= 0.1 x the plain-SQL self-join co-occurrence count
--   recommendations() for all 100k users    <= 2 x the model build (item_cf over baskets built
--                                              in the query: both read the interactions table)
SET client_min_messages = notice;

DROP TABLE IF EXISTS bench.interactions;
CREATE TABLE bench.interactions AS
SELECT user_id, item, (1 + floor(5 * bench.u01(user_id * 100003 + rank, 43)))::int AS rating
FROM (SELECT DISTINCT u AS user_id, floor(exp(bench.u01(u * 128 + d, 41) * ln(10001)))::int AS rank
      FROM generate_series(1::bigint, 100000) AS u,
           LATERAL generate_series(1, least(80, 1 + floor(-ln(bench.u01(u, 40)) * 11))::int) AS d) s,
     LATERAL (SELECT 'sku' || lpad(rank::text, 5, '0') AS item) i;
VACUUM ANALYZE bench.interactions;
DO $$ BEGIN RAISE NOTICE 'bench.interactions: % rows, % users, % items, % pair occurrences',
  (SELECT count(*) FROM bench.interactions), (SELECT count(DISTINCT user_id) FROM bench.interactions),
  (SELECT count(DISTINCT item) FROM bench.interactions),
  (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM bench.interactions GROUP BY user_id) s); END $$;

-- ------------------------------------------------------------- 1. the model build
-- The issue's floor.  Note that PostgreSQL drops the unused array_agg() output of the subquery
-- (EXPLAIN VERBOSE shows "NULL::text[]"), so this floor groups the rows without building any
-- array; 'floor: itemcf baskets built' below makes it build them (sum of their cardinalities).
SELECT bench_measure('floor: itemcf baskets array_agg',
    'SELECT count(*) FROM (SELECT user_id, array_agg(item) FROM bench.interactions GROUP BY user_id) s', 5);
SELECT bench_measure('floor: itemcf baskets built',
    'SELECT sum(cardinality(items)) FROM (SELECT user_id, array_agg(item) AS items FROM bench.interactions GROUP BY user_id) s', 5);
SELECT bench_target('floor: itemcf baskets built', 'floor: itemcf baskets array_agg');
-- baskets stored in a table, as item_cf reads them (one row per user)
DROP TABLE IF EXISTS bench.baskets;
CREATE TABLE bench.baskets AS
SELECT user_id, array_agg(item) AS items, array_agg(rating::float8) AS ratings FROM bench.interactions GROUP BY user_id;
VACUUM ANALYZE bench.baskets;
SELECT bench_measure('item_cf over stored baskets (implicit)',
    'SELECT marketiq.item_cf(items) IS NULL FROM bench.baskets', 5);
SELECT bench_target('item_cf over stored baskets (implicit)', 'floor: itemcf baskets array_agg', 3);
SELECT bench_measure('item_cf over baskets built in the query (implicit)',
    'SELECT marketiq.item_cf(items) IS NULL FROM (SELECT user_id, array_agg(item) AS items FROM bench.interactions GROUP BY user_id) s', 5);
SELECT bench_target('item_cf over baskets built in the query (implicit)', 'floor: itemcf baskets built');
-- rated models keep 11 sums per pair (96 bytes in the state): past the default 256MB here
SET marketiq.max_model_bytes = '1000MB';
SELECT bench_measure('item_cf over stored baskets (rated)',
    'SELECT marketiq.item_cf(items, ratings) IS NULL FROM bench.baskets', 3);
SELECT bench_target('item_cf over stored baskets (rated)', 'floor: itemcf baskets array_agg');
RESET marketiq.max_model_bytes;
DROP TABLE IF EXISTS bench.itemcf_model;
CREATE TABLE bench.itemcf_model AS SELECT marketiq.item_cf(items) AS m FROM bench.baskets;
DO $$ BEGIN RAISE NOTICE 'model: % pairs, % MB stored',
  (SELECT (marketiq.summary(m)).pairs FROM bench.itemcf_model),
  (SELECT round(pg_column_size(m) / 1048576.0, 1) FROM bench.itemcf_model); END $$;

-- ------------------------------------------------- 2. against the plain-SQL self-join
SELECT bench_measure('plain SQL self-join co-occurrence count',
    'SELECT count(*) FROM (SELECT a.item, b.item, count(*) FROM bench.interactions a JOIN bench.interactions b ON a.user_id = b.user_id AND a.item < b.item GROUP BY 1, 2) s', 1);
-- the same item_cf measurement under a second name, so that it can have a second target
INSERT INTO bench_results (name, seconds, runs)
SELECT 'item_cf over baskets built in the query (vs self-join)', seconds, runs FROM bench_results WHERE name = 'item_cf over baskets built in the query (implicit)'
ON CONFLICT (name) DO UPDATE SET seconds = excluded.seconds, runs = excluded.runs, measured_at = now();
SELECT bench_target('item_cf over baskets built in the query (vs self-join)', 'plain SQL self-join co-occurrence count', 0.1);

-- ------------------------------------------------------- 3. recommendations for everyone
SELECT bench_measure('recommendations() for all users (n 10, k 20)',
    'SELECT count(*) FROM marketiq.recommendations(''bench.interactions'', ''user_id'', ''item'')', 3);
SELECT bench_target('recommendations() for all users (n 10, k 20)', 'item_cf over baskets built in the query (implicit)', 2);
-- the same through recommend() in a LATERAL join over stored baskets and a stored model
SELECT bench_measure('recommend() LATERAL over all users (stored model)',
    'SELECT count(*) FROM bench.itemcf_model, bench.baskets b, LATERAL marketiq.recommend(m, b.items) r', 3);
SELECT bench_target('recommend() LATERAL over all users (stored model)', 'item_cf over baskets built in the query (implicit)');
SELECT bench_measure('item_similarities(k 20) of every item',
    'SELECT count(*) FROM bench.itemcf_model, marketiq.item_similarities(m) s', 3);
SELECT bench_target('item_similarities(k 20) of every item', 'item_cf over baskets built in the query (implicit)');
