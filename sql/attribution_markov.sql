-- attribution_markov: marketiq.markov_model (aggregate) -> marketiq.markov, and its readers
-- removal_effects, value_removal_effects, conversion_probability, transitions
-- (src/attribution/markov.c, markov_solve.c).

-- ---------------------------------------------------------------- published examples

-- Example 1 (rows: path | conversions | non-conversions), the worked example used in most
-- write-ups of Markov attribution: google ads | 2 | 1; mailing | 1 | 0; google ads > mailing | 1 | 0.
-- Published: P(conversion) 0.8, removal effects 0.75 (google ads) and 0.5 (mailing),
-- credit 2.4 and 1.6.  By hand: start -> google ads 4/5, -> mailing 1/5; google ads ->
-- conversion 2/4, -> null 1/4, -> mailing 1/4; mailing -> conversion 1.  P = 4/5 (1/2 + 1/4) + 1/5
-- = 0.8; without google ads 1/5 = 0.2 (effect 1 - 0.2/0.8 = 0.75); without mailing 4/5 * 1/2 = 0.4
-- (effect 0.5); 4 conversions shared 0.75 : 0.5 = 2.4 : 1.6.
CREATE TEMP TABLE ex1 (path text[], conversions bigint, nulls bigint);
INSERT INTO ex1 VALUES ('{google ads}', 2, 1), ('{mailing}', 1, 0), ('{google ads,mailing}', 1, 0);
CREATE TEMP TABLE ex1_m AS SELECT marketiq.markov_model(path, conversions, nulls) AS m FROM ex1;
SELECT round(marketiq.conversion_probability(m)::numeric, 12) AS p_conversion FROM ex1_m;
SELECT channel, round(removal_effect::numeric, 12) AS removal_effect, round(share::numeric, 12) AS share,
       round(conversions::numeric, 12) AS conversions, value
FROM ex1_m, marketiq.removal_effects(m) ORDER BY channel;
-- the transition matrix (probabilities as above)
SELECT t.* FROM ex1_m, marketiq.transitions(m) t ORDER BY from_state, to_state;

-- Example 2: C1 > C2 > C3 | 1 | 0; C1 | 0 | 1; C2 > C3 | 0 | 1.  Published: P(conversion) 1/3,
-- removal effects 0.5, 1, 1, credit 0.2 / 0.4 / 0.4.  By hand: start -> C1 2/3, -> C2 1/3;
-- C1 -> C2 1/2, -> null 1/2; C2 -> C3 1; C3 -> conversion 1/2, -> null 1/2: P = 2/3 * 1/2 * 1/2 +
-- 1/3 * 1/2 = 1/3; without C1 only 1/6 is left (0.5); without C2 or C3 nothing converts (1).
SELECT round(marketiq.conversion_probability(m)::numeric, 12) AS p_conversion,
       (SELECT array_agg(round(removal_effect::numeric, 12) ORDER BY channel) FROM marketiq.removal_effects(m)) AS removal_effects,
       (SELECT array_agg(round(conversions::numeric, 12) ORDER BY channel) FROM marketiq.removal_effects(m)) AS credit
FROM (SELECT marketiq.markov_model(path, c, n) AS m
      FROM (VALUES ('{C1,C2,C3}'::text[], 1, 0), ('{C1}', 0, 1), ('{C2,C3}', 0, 1)) AS t(path, c, n)) s;

-- ------------------------------------------------ against an independent exact solve
-- Nine paths over four channels with conversion values.  Expected numbers from
-- test/reference/attribution_markov.py (numpy.linalg.solve on (I - Q) p = r, written from the
-- definitions, sharing no code with the extension), run as
--   /usr/bin/python3 test/reference/attribution_markov.py
-- which prints (12 decimals; the columns: removal effect, conversions credited, value credited):
-- order 1: P(conversion) 0.387096774194, expected value 38.709677419355
--   A 0.513773468760 3.082826517185 291.711005024366 | B 0.750251762336 4.501781754280 440.487360842488
--   C 0.636041859034 3.816481053026 409.199818844214 | D 0.099812433012 0.598910675509 58.601815288932
--   value removal effects A 0.502269929209 B 0.758434038268 C 0.704562942444 D 0.100900991426
-- order 2: A 0.527777777778 2.794117647059 291.480873034499 | B 0.905555555556 4.794117647059 439.615113823046
--   C 0.666666666667 3.529411764706 359.070640694673 | D 0.166666666667 0.882352941176 109.833372447782
--   value removal effects A 0.575 B 0.867222222222 C 0.708333333333 D 0.216666666667
-- order 3: A 0.666666666667 3.428571428571 341.137123745819 | B 0.833333333333 4.285714285714 413.377926421405
--   C 0.666666666667 3.428571428571 341.137123745819 | D 0.166666666667 0.857142857143 104.347826086956
-- order 2 without collapsing repeats: A 0.486111111111 2.621722846442 275.865361661494
--   B 0.905555555556 4.883895131086 447.171162568632 | C 0.666666666667 3.595505617978 365.242301265218
--   D 0.166666666667 0.898876404494 111.721174504655
-- (order 1 is the same with or without collapsing: a self-loop only delays absorption)
CREATE TEMP TABLE paths (path text[], conversions bigint, nulls bigint, value float8);
INSERT INTO paths VALUES
  ('{A,B,C}', 3, 2, 300), ('{A,A,C}', 1, 1, 120), ('{B}', 2, 5, 90), ('{C,A}', 1, 0, 50),
  ('{B,C,A,C}', 1, 3, 200), ('{A}', 0, 4, 0), ('{D,B}', 2, 1, 260), ('{A,B,B,C}', 2, 1, 180),
  ('{B,B,D}', 0, 2, 0);
CREATE TEMP TABLE models AS
SELECT o AS "order", c AS collapse, marketiq.markov_model(path, conversions, nulls, value, o, c) AS m
FROM paths, generate_series(1, 3) AS o, (VALUES (true), (false)) AS x(c)
GROUP BY o, c;
SELECT "order", collapse, round(marketiq.conversion_probability(m)::numeric, 12) AS p_conversion,
       r.channel, round(r.removal_effect::numeric, 10) AS removal_effect,
       round(r.conversions::numeric, 10) AS conversions, round(r.value::numeric, 8) AS value
FROM models, marketiq.removal_effects(m) r
WHERE collapse OR "order" = 2
ORDER BY collapse DESC, "order", channel;
SELECT "order", r.channel, round(r.removal_effect::numeric, 10) AS value_removal_effect,
       round(r.value::numeric, 8) AS value
FROM models, marketiq.value_removal_effects(m) r
WHERE collapse AND "order" <= 2
ORDER BY "order", channel;
-- order 1 with and without collapsing agree (see above)
SELECT bool_and(abs(a.removal_effect - b.removal_effect) < 1e-12) AS order1_collapse_irrelevant
FROM models ma, marketiq.removal_effects(ma.m) a, models mb, marketiq.removal_effects(mb.m) b
WHERE ma."order" = 1 AND ma.collapse AND mb."order" = 1 AND NOT mb.collapse AND a.channel = b.channel;
-- without collapsing, the repeat is a self-transition (A -> A) and (B, B) is a state of its own
SELECT t.* FROM models, marketiq.transitions(m) t
WHERE "order" = 2 AND NOT collapse AND (from_state = 'B > B' OR to_state = 'B > B')
ORDER BY from_state, to_state;
SELECT t.* FROM models, marketiq.transitions(m) t
WHERE "order" = 1 AND NOT collapse AND from_state = 'A' ORDER BY to_state;

-- credits add up to the total conversions (12) and value (1200) for every order
SELECT "order", collapse, round(sum(r.conversions)::numeric, 9) AS conversions,
       round(sum(r.value)::numeric, 7) AS value, round(sum(r.share)::numeric, 12) AS shares
FROM models, marketiq.removal_effects(m) r GROUP BY 1, 2 ORDER BY 1, 2;

-- every solver gives the same answer: the dense inverse (order 1), dense LU per channel, and
-- Gauss-Seidel (to its 1e-13 relative stopping rule)
SELECT "order", collapse,
       max(abs(a.removal_effect - d.removal_effect)) < 1e-12 AS auto_equals_dense,
       max(abs(i.removal_effect - d.removal_effect)) < 1e-12 AS iterative_equals_dense,
       max(abs(i.value_removal_effect - d.value_removal_effect)) < 1e-12 AS iterative_values_equal,
       min(a.method) AS auto_method, min(i.method) AS iterative_method
FROM models, marketiq._markov_solve(m, 'auto') a
JOIN marketiq._markov_solve(m, 'dense') d USING (channel)
JOIN marketiq._markov_solve(m, 'iterative') i USING (channel)
GROUP BY 1, 2 ORDER BY 1, 2;

-- a larger chain: order 3 over 8 channels (hundreds of states), which the automatic choice
-- solves by Gauss-Seidel; dense LU agrees to 1e-12
CREATE TEMP TABLE big AS
SELECT (SELECT array_agg('ch' || (1 + (hashint8extended(p * 64 + k, 1) & 7)) ORDER BY k)
        FROM generate_series(1, 1 + (hashint8extended(p, 2) & 7)::int) AS k) AS path,
       (hashint8extended(p, 3) & 3 = 0)::int::bigint AS conversions,
       (hashint8extended(p, 3) & 3 <> 0)::int::bigint AS nulls,
       CASE WHEN hashint8extended(p, 3) & 3 = 0 THEN 10 + (hashint8extended(p, 4) & 63) ELSE 0 END::float8 AS value
FROM generate_series(1, 4000) AS p;
CREATE TEMP TABLE big_m AS SELECT marketiq.markov_model(path, conversions, nulls, value, 3) AS m FROM big;
SELECT count(DISTINCT from_state) > 200 AS many_states FROM big_m, marketiq.transitions(m);
SELECT min(a.method) AS auto_method,
       max(abs(a.removal_effect - d.removal_effect)) < 1e-12 AS removal_equal,
       max(abs(a.value_removal_effect - d.value_removal_effect)) < 1e-12 AS value_equal,
       max(abs(a.p_conversion - d.p_conversion)) < 1e-12 AS p_equal
FROM big_m, marketiq._markov_solve(m, 'auto') a JOIN marketiq._markov_solve(m, 'dense') d USING (channel);
-- P(conversion) of a chain built from paths is the observed conversion rate, at every order
SELECT abs(marketiq.conversion_probability(m) - (SELECT sum(conversions)::float8 / sum(conversions + nulls) FROM big)) < 1e-12 AS p_is_rate
FROM big_m;
-- the removal effects read back from the model are those of the final function's solve
SELECT bool_and(r.removal_effect = s.removal_effect) AS stored_solution
FROM big_m, marketiq.removal_effects(m) r JOIN marketiq._markov_solve(m, 'auto') s USING (channel);

-- the Monte Carlo estimate simulation packages use agrees with the exact answer within its noise
-- (200,000 walks: standard error about 0.001 here)
SELECT bool_and(abs(s.removal_effect - r.removal_effect) < 0.02) AS simulation_close,
       abs(min(s.p_conversion) - 0.8) < 0.01 AS p_close
FROM ex1_m, marketiq.removal_effects(m) r JOIN marketiq._markov_simulate(m, 200000, 42) s USING (channel);

-- one model per group
SELECT g, r.channel, round(r.conversions::numeric, 6) AS conversions
FROM (SELECT g, marketiq.markov_model(path, c, n) AS m
      FROM (VALUES (1, '{a,b}'::text[], 1, 1), (1, '{b}', 1, 0), (2, '{a}', 3, 1)) AS t(g, path, c, n)
      GROUP BY g) s, marketiq.removal_effects(m) r
ORDER BY g, channel;

-- ------------------------------------------------------------------- model values

-- text round trip is exact, and the text is JSON analysts can read
SELECT m::text::marketiq.markov::text = m::text AS text_roundtrip FROM models;
SELECT (m::text::jsonb) -> 'channels' AS channels, (m::text::jsonb) -> 'order' AS "order",
       (m::text::jsonb) -> 'removal_effects' IS NOT NULL AS has_solution
FROM models WHERE "order" = 1 AND collapse;
-- a hand-written model without the solution sections filled in is solved when read
SELECT channel, round(removal_effect::numeric, 12) AS removal_effect, round(conversions::numeric, 12) AS conversions
FROM marketiq.removal_effects('{"kind":"markov","format":1,"order":1,"collapse_repeats":1,"paths":3,
  "conversions":4,"nulls":1,"value":0,"channels":["google ads","mailing"],
  "keys":[-1,0,-1,1,0,-3,0,-2,0,1,1,-2],"counts":[4,1,1,2,1,2],"values":[0,0,0,0,0,0],
  "p_conversion":"NaN","expected_value":"NaN","removal_effects":[],"value_removal_effects":[]}'::marketiq.markov)
ORDER BY channel;
-- binary round trip (send/receive through COPY BINARY)
SELECT '/tmp/marketiq_markov_' || current_setting('port') || '.bin' AS binfile \gset
COPY (SELECT m FROM models ORDER BY "order", collapse) TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE models_copy (m marketiq.markov);
COPY models_copy FROM :'binfile' (FORMAT binary);
SELECT count(*) AS copied, bool_and(m::text IN (SELECT m::text FROM models)) AS binary_roundtrip FROM models_copy;

-- malformed values are rejected with the reason
SELECT '{"kind":"markov","format":1,"order":1,"collapse_repeats":1,"paths":1,"conversions":1,"nulls":0,"value":0,
  "channels":["b","a"],"keys":[],"counts":[],"values":[],"p_conversion":0,"expected_value":0,
  "removal_effects":[],"value_removal_effects":[]}'::marketiq.markov;
SELECT '{"kind":"markov","format":1,"order":1,"collapse_repeats":1,"paths":1,"conversions":1,"nulls":0,"value":0,
  "channels":["a"],"keys":[-1,5],"counts":[1],"values":[0],"p_conversion":0,"expected_value":0,
  "removal_effects":[],"value_removal_effects":[]}'::marketiq.markov;
SELECT '{"kind":"markov","format":1,"order":1,"collapse_repeats":1,"paths":1,"conversions":1,"nulls":0,"value":0,
  "channels":["a"],"keys":[-1,0,0,-2],"counts":[1,-1],"values":[0,0],"p_conversion":0,"expected_value":0,
  "removal_effects":[],"value_removal_effects":[]}'::marketiq.markov;
SELECT '{"kind":"markov","format":1,"order":2,"collapse_repeats":1,"paths":1,"conversions":1,"nulls":0,"value":0,
  "channels":["a"],"keys":[-1,0],"counts":[1],"values":[0],"p_conversion":0,"expected_value":0,
  "removal_effects":[],"value_removal_effects":[]}'::marketiq.markov;
SELECT '{"kind":"markov","format":1,"order":1,"collapse_repeats":1,"paths":1,"conversions":1,"nulls":0,"value":0,
  "channels":["a"],"keys":[-1,0,0,-3],"counts":[1,1],"values":[0,5],"p_conversion":0,"expected_value":0,
  "removal_effects":[],"value_removal_effects":[]}'::marketiq.markov;
-- a chain in which a state never ends (a -> a only) is refused by the solver
SELECT marketiq.conversion_probability('{"kind":"markov","format":1,"order":1,"collapse_repeats":0,"paths":1,
  "conversions":0,"nulls":0,"value":0,"channels":["a"],"keys":[-1,0,0,0],"counts":[1,1],"values":[0,0],
  "p_conversion":"NaN","expected_value":"NaN","removal_effects":[],"value_removal_effects":[]}'::marketiq.markov);

-- ---------------------------------------------------------------------- bad input

-- NULL paths are skipped, NULL counts are 0, NULL value is 0; no journeys at all: NULL
SELECT marketiq.conversion_probability(marketiq.markov_model(path, c, n, v))
FROM (VALUES ('{a}'::text[], 1, 1, NULL::float8), (NULL, 5, 5, 1), ('{b}', NULL, 2, NULL)) AS t(path, c, n, v);
SELECT marketiq.markov_model(path, c, n) IS NULL AS no_journeys
FROM (VALUES ('{a}'::text[], 0, 0), (NULL, 1, 1)) AS t(path, c, n);
SELECT marketiq.markov_model(path, 1, 1) IS NULL AS no_rows FROM paths WHERE false;
-- empty path, NULL element, two dimensions
SELECT marketiq.markov_model('{}'::text[], 1, 0);
SELECT marketiq.markov_model('{a,NULL}'::text[], 1, 0);
SELECT marketiq.markov_model('{{a,b},{c,d}}'::text[], 1, 0);
-- negative counts and values, NaN, value without conversions
SELECT marketiq.markov_model('{a}'::text[], -1, 0);
SELECT marketiq.markov_model('{a}'::text[], 1, -2);
SELECT marketiq.markov_model('{a}'::text[], 1, 0, -5);
SELECT marketiq.markov_model('{a}'::text[], 1, 0, 'NaN');
SELECT marketiq.markov_model('{a}'::text[], 0, 3, 10);
-- order out of range, NULL, or changing between rows
SELECT marketiq.markov_model('{a}'::text[], 1, 0, 0, 0);
SELECT marketiq.markov_model('{a}'::text[], 1, 0, 0, 11);
SELECT marketiq.markov_model('{a}'::text[], 1, 0, 0, NULL);
SELECT marketiq.markov_model(path, 1, 0, 0, o) FROM (VALUES ('{a}'::text[], 1), ('{b}', 2)) AS t(path, o);
SELECT marketiq.markov_model(path, 1, 0, 0, 1, c) FROM (VALUES ('{a}'::text[], true), ('{b}', false)) AS t(path, c);
-- the size guard: a state that grows past marketiq.max_model_bytes stops with a hint
SET marketiq.max_model_bytes = '1MB';
SELECT marketiq.markov_model(ARRAY['c' || i, 'd' || (i % 97), 'e' || (i % 89)], 1, 0, 0, 3)
FROM generate_series(1, 30000) AS i;
RESET marketiq.max_model_bytes;
-- long paths and many channels are fine: 300 channels (past the dense counting limit of 256)
-- (1,500 conversions in 4,500 journeys: P = 1/3)
SELECT round(marketiq.conversion_probability(marketiq.markov_model(ARRAY['c' || (i % 300), 'c' || ((i * 7) % 300)], (i % 2)::bigint, 1))::numeric, 12) AS p
FROM generate_series(1, 3000) AS i;
-- (one journey converts, one does not: P = 1/2)
SELECT round(marketiq.conversion_probability(marketiq.markov_model(
         (SELECT array_agg('c' || (k % 5)) FROM generate_series(1, 5000) AS k), 1, 1))::numeric, 12) AS long_path;

-- ------------------------------------------------------------- parallel aggregation
-- The same model from a serial plan and from a parallel plan over a 4-way partitioned copy,
-- where partitionwise aggregation makes PostgreSQL build one partial state per partition and
-- run the combine function every time.  Counts and values are integers, so the sums are exact
-- and the models must be identical, bit for bit.
CREATE TABLE mk_in (id int, path text[], conversions bigint, nulls bigint, value float8) PARTITION BY HASH (id);
CREATE TABLE mk_in_0 PARTITION OF mk_in FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE mk_in_1 PARTITION OF mk_in FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE mk_in_2 PARTITION OF mk_in FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE mk_in_3 PARTITION OF mk_in FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO mk_in
SELECT p, (SELECT array_agg('ch' || (1 + (hashint8extended(p * 64 + k, 5) & 7)) ORDER BY k)
           FROM generate_series(1, 1 + (hashint8extended(p, 6) & 7)::int) AS k),
       (hashint8extended(p, 7) & 3 = 0)::int, 1 + (hashint8extended(p, 8) & 1),
       CASE WHEN hashint8extended(p, 7) & 3 = 0 THEN 10 + (hashint8extended(p, 9) & 63) ELSE 0 END
FROM generate_series(1, 40000) AS p;
ANALYZE mk_in;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_m AS
SELECT marketiq.markov_model(path, conversions, nulls, value) AS m1,
       marketiq.markov_model(path, conversions, nulls, value, 2) AS m2 FROM mk_in;

SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT marketiq.markov_model(path, conversions, nulls, value) FROM mk_in;
CREATE TEMP TABLE parallel_m AS
SELECT marketiq.markov_model(path, conversions, nulls, value) AS m1,
       marketiq.markov_model(path, conversions, nulls, value, 2) AS m2 FROM mk_in;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;

SELECT s.m1::text = p.m1::text AS order1_parallel_equals_serial,
       s.m2::text = p.m2::text AS order2_parallel_equals_serial,
       (s.m1::text::jsonb) -> 'paths' AS paths
FROM serial_m s, parallel_m p;
DROP TABLE mk_in;
