-- attribution_shapley: marketiq.shapley_model (aggregate) -> marketiq.shapley, and
-- shapley_values (src/attribution/shapley.c).

-- ---------------------------------------------------------------- the issue's example
-- google ads | 2 | 1; mailing | 1 | 0; google ads > mailing | 1 | 0.  Count game (published):
-- google ads 2.5, mailing 1.5.  By hand: v({g}) = 2, v({m}) = 1, v({g, m}) = 4, so
-- phi_g = ((2 - 0) + (4 - 1)) / 2 = 2.5 and phi_m = ((1 - 0) + (4 - 2)) / 2 = 1.5.
-- Rate game by hand: v({g}) = 2/3, v({m}) = 1, v({g, m}) = 4/5: phi_g = (2/3 + (4/5 - 1)) / 2 =
-- 7/30 = 0.233333, phi_m = (1 + (4/5 - 2/3)) / 2 = 17/30 = 0.566667; scaled to the 4 conversions:
-- 4 * 7/24 = 1.166667 and 4 * 17/24 = 2.833333.
CREATE TEMP TABLE ex1_m AS
SELECT marketiq.shapley_model(path, c, n) AS m
FROM (VALUES ('{google ads}'::text[], 2, 1), ('{mailing}', 1, 0), ('{google ads,mailing}', 1, 0)) AS t(path, c, n);
SELECT channel, shapley_value, share, conversions, value FROM ex1_m, marketiq.shapley_values(m) ORDER BY channel;
SELECT channel, round(shapley_value::numeric, 12) AS shapley_value, round(conversions::numeric, 12) AS conversions
FROM ex1_m, marketiq.shapley_values(m, 'rate') ORDER BY channel;

-- ------------------------------------------------ against brute-force enumeration
-- Eight journeys over five channels.  Expected numbers from test/reference/attribution_shapley.py
-- (exact fractions, averaging the marginal contributions over all 120 orderings), run as
--   /usr/bin/python3 test/reference/attribution_shapley.py
-- count game: affiliate 1.333333333333 (value 115), display 1 (70), email 3 (185),
--   search 5.166666666667 (365), social 1.5 (105)
-- rate game (shapley value, conversions, value): affiliate 0.032077058948 1.507621770541 151.397437282001
--   display -0.068170046049 -3.203992164286 -172.037212721693 | email 0.131507799660 6.180866584015 269.473219081721
--   search 0.134268765140 6.310631961588 490.733999399519 | social 0.025635571237 1.204871848142 100.432556958453
-- (display lowers the conversion rate of every coalition it joins, so its rate-game credit is
-- negative: the rate game measures effect on the rate, not participation)
CREATE TEMP TABLE j (path text[], conversions bigint, nulls bigint, value float8);
INSERT INTO j VALUES
  ('{search,email}', 3, 5, 240), ('{search}', 2, 8, 100), ('{email,social,email}', 1, 1, 70),
  ('{display,search,social}', 2, 6, 150), ('{display}', 0, 9, 0),
  ('{social,display,affiliate}', 1, 2, 60), ('{affiliate,search}', 2, 1, 190), ('{email}', 1, 3, 30);
CREATE TEMP TABLE jm AS SELECT marketiq.shapley_model(path, conversions, nulls, value) AS m FROM j;
SELECT channel, round(shapley_value::numeric, 10) AS shapley_value, round(share::numeric, 10) AS share,
       round(conversions::numeric, 10) AS conversions, round(value::numeric, 8) AS value
FROM jm, marketiq.shapley_values(m) ORDER BY channel;
SELECT channel, round(shapley_value::numeric, 10) AS shapley_value, round(share::numeric, 10) AS share,
       round(conversions::numeric, 10) AS conversions, round(value::numeric, 8) AS value
FROM jm, marketiq.shapley_values(m, 'rate') ORDER BY channel;

-- The same brute force in plain SQL, independent of both: every ordering of the five channels
-- (recursive CTE), the marginal contribution of each channel in each, averaged.
CREATE TEMP TABLE players AS SELECT DISTINCT unnest(path) AS p FROM j;
CREATE FUNCTION pg_temp.v(s text[], game text, measure text) RETURNS float8 LANGUAGE sql AS $$
  SELECT CASE WHEN game = 'count' THEN coalesce(sum(CASE WHEN measure = 'conversions' THEN conversions ELSE value END), 0)
              ELSE coalesce(sum(CASE WHEN measure = 'conversions' THEN conversions ELSE value END)
                            / nullif(sum(conversions + nulls), 0), 0) END
  FROM j WHERE path <@ s $$;
CREATE TEMP TABLE orderings AS
WITH RECURSIVE o(seq) AS (
  SELECT ARRAY[]::text[]
  UNION ALL
  SELECT seq || p FROM o, players WHERE NOT p = ANY (seq)
)
SELECT seq FROM o WHERE cardinality(seq) = (SELECT count(*) FROM players);
SELECT count(*) AS orderings FROM orderings;
CREATE TEMP TABLE brute AS
SELECT g.game, seq[k] AS channel,
       avg(pg_temp.v(seq[1:k], g.game, 'conversions') - pg_temp.v(seq[1:k - 1], g.game, 'conversions')) AS phi,
       avg(pg_temp.v(seq[1:k], g.game, 'value') - pg_temp.v(seq[1:k - 1], g.game, 'value')) AS phi_value
FROM orderings, generate_series(1, 5) AS k, (VALUES ('count'), ('rate')) AS g(game)
GROUP BY 1, 2;
SELECT b.game, max(abs(s.shapley_value - b.phi)) < 1e-12 AS matches_brute_force,
       max(abs(s.value - b.phi_value / (SELECT sum(phi_value) FROM brute b2 WHERE b2.game = b.game)
               * (SELECT sum(value) FROM j))) < 1e-9 AS value_matches
FROM brute b, jm, LATERAL marketiq.shapley_values(m, b.game) s
WHERE s.channel = b.channel GROUP BY 1 ORDER BY 1;

-- the count game credits each converting journey equally to its distinct channels, so it
-- equals linear attribution over distinct channels
SELECT max(abs(s.conversions - l.credit)) < 1e-12 AS count_game_is_distinct_linear
FROM jm, marketiq.shapley_values(m) s
JOIN (SELECT c, sum(conversions::float8 / cardinality(d)) AS credit
      FROM (SELECT conversions, ARRAY(SELECT DISTINCT unnest(path)) AS d FROM j) x, unnest(d) AS c
      GROUP BY c) l ON l.c = s.channel;

-- ------------------------------------------------------------------- many channels
-- 20 channels: the rate game enumerates 2^20 coalitions.  Shapley values are efficient: they add
-- up to v(all channels) - v(none) = the overall conversion rate; the credits to the conversions.
CREATE TEMP TABLE j20 AS
SELECT (SELECT array_agg('c' || (1 + (hashint8extended(p * 64 + k, 11) & 255) % 20) ORDER BY k)
        FROM generate_series(1, 1 + (hashint8extended(p, 12) & 3)::int) AS k) AS path,
       (hashint8extended(p, 13) & 3 = 0)::int::bigint AS conversions,
       (hashint8extended(p, 13) & 3 <> 0)::int::bigint AS nulls
FROM generate_series(1, 5000) AS p;
SELECT count(*) AS channels,
       abs(sum(shapley_value) - (SELECT sum(conversions)::float8 / sum(conversions + nulls) FROM j20)) < 1e-12 AS efficient,
       abs(sum(conversions) - (SELECT sum(conversions) FROM j20)) < 1e-9 AS credits_add_up
FROM (SELECT marketiq.shapley_model(path, conversions, nulls) AS m FROM j20) s, marketiq.shapley_values(m, 'rate');
-- the count game has no limit: 300 channels
SELECT count(*) AS channels, round(sum(conversions)::numeric, 9) AS conversions
FROM (SELECT marketiq.shapley_model(ARRAY['c' || (i % 300), 'c' || ((i * 7) % 300)], 1, 1) AS m
      FROM generate_series(1, 3000) AS i) s, marketiq.shapley_values(m);
-- the rate game stops at 24 channels
SELECT count(*) FROM (SELECT marketiq.shapley_model(ARRAY['c' || (i % 25)], 1, 1) AS m
                      FROM generate_series(1, 100) AS i) s, marketiq.shapley_values(m, 'rate');
SELECT * FROM marketiq.shapley_values((SELECT m FROM jm), 'banzhaf');
SELECT * FROM marketiq.shapley_values((SELECT m FROM jm), NULL);

-- ------------------------------------------------------------------- model values
SELECT m::text::marketiq.shapley::text = m::text AS text_roundtrip, m FROM ex1_m;
-- malformed values are rejected with the reason
SELECT '{"kind":"shapley","format":1,"paths":1,"conversions":1,"nulls":0,"value":0,"channels":["a","b"],
  "set_sizes":[2],"members":[1,0],"set_conversions":[1],"set_nulls":[0],"set_values":[0]}'::marketiq.shapley;
SELECT '{"kind":"shapley","format":1,"paths":1,"conversions":1,"nulls":0,"value":0,"channels":["a"],
  "set_sizes":[1,1],"members":[0,0],"set_conversions":[1,1],"set_nulls":[0,0],"set_values":[0,0]}'::marketiq.shapley;
SELECT '{"kind":"shapley","format":1,"paths":1,"conversions":1,"nulls":0,"value":0,"channels":["a"],
  "set_sizes":[2],"members":[0],"set_conversions":[1],"set_nulls":[0],"set_values":[0]}'::marketiq.shapley;

-- ---------------------------------------------------------------------- bad input
-- NULL paths skipped, NULL counts 0, no journeys: NULL; repeats within a path count once
SELECT channel, conversions FROM marketiq.shapley_values(
  (SELECT marketiq.shapley_model(path, c, n)
   FROM (VALUES ('{a,a,b}'::text[], 2, 0), (NULL, 5, 5), ('{b}', NULL, 3)) AS t(path, c, n)))
ORDER BY channel;
SELECT marketiq.shapley_model(path, c, n) IS NULL AS no_journeys
FROM (VALUES ('{a}'::text[], 0, 0)) AS t(path, c, n);
SELECT marketiq.shapley_model('{}'::text[], 1, 0);
SELECT marketiq.shapley_model('{a,NULL}'::text[], 1, 0);
SELECT marketiq.shapley_model('{a}'::text[], -1, 0);
SELECT marketiq.shapley_model('{a}'::text[], 1, 0, 'Infinity');
SELECT marketiq.shapley_model('{a}'::text[], 0, 1, 5);

-- ------------------------------------------------------------- parallel aggregation
-- serial and forced-parallel (4 partitions, one partial state each, combined) give the same
-- model, bit for bit (integer counts and values: exact sums)
CREATE TABLE sh_in (id int, path text[], conversions bigint, nulls bigint, value float8) PARTITION BY HASH (id);
CREATE TABLE sh_in_0 PARTITION OF sh_in FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE sh_in_1 PARTITION OF sh_in FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE sh_in_2 PARTITION OF sh_in FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE sh_in_3 PARTITION OF sh_in FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO sh_in
SELECT p, (SELECT array_agg('ch' || (1 + (hashint8extended(p * 64 + k, 5) & 15)) ORDER BY k)
           FROM generate_series(1, 1 + (hashint8extended(p, 6) & 7)::int) AS k),
       (hashint8extended(p, 7) & 3 = 0)::int, 1 + (hashint8extended(p, 8) & 1),
       CASE WHEN hashint8extended(p, 7) & 3 = 0 THEN 10 + (hashint8extended(p, 9) & 63) ELSE 0 END
FROM generate_series(1, 40000) AS p;
ANALYZE sh_in;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_m AS SELECT marketiq.shapley_model(path, conversions, nulls, value) AS m FROM sh_in;
SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT marketiq.shapley_model(path, conversions, nulls, value) FROM sh_in;
CREATE TEMP TABLE parallel_m AS SELECT marketiq.shapley_model(path, conversions, nulls, value) AS m FROM sh_in;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;
SELECT s.m::text = p.m::text AS parallel_equals_serial, (s.m::text::jsonb) -> 'paths' AS paths,
       jsonb_array_length((s.m::text::jsonb) -> 'set_sizes') > 1000 AS many_sets
FROM serial_m s, parallel_m p;
DROP TABLE sh_in;
