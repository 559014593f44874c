-- attribution_report: journey building over a touchpoint table (marketiq.journeys) and every
-- model side by side (marketiq.attribution_report) (src/attribution/report.c).
SET TimeZone = 'UTC';

-- Five users whose journeys are worked out by hand below.
CREATE TABLE tp (user_id int, ts timestamptz, channel text, converted boolean, revenue float8);
INSERT INTO tp VALUES
  -- u1: a conversion after A, B, C; then A, B without one
  (1, '2026-01-01', 'A', false, NULL), (1, '2026-01-02', 'B', false, NULL), (1, '2026-01-03', 'C', true, 100),
  (1, '2026-01-05', 'A', false, NULL), (1, '2026-01-06', 'B', false, NULL),
  -- u2: A is 45 days before the conversion, outside the 30-day lookback; a later lone A
  (2, '2026-01-01', 'A', false, NULL), (2, '2026-02-10', 'B', false, NULL), (2, '2026-02-15', 'C', true, 50),
  (2, '2026-04-01', 'A', false, NULL),
  -- u3: ties in time: the non-converting touch goes first (E before the converting D), then
  -- by channel name (B before Z); the conversion has no revenue (NULL = 0); a NULL channel is skipped
  (3, '2026-01-09', NULL, false, NULL),
  (3, '2026-01-10 10:00', 'D', true, NULL), (3, '2026-01-10 10:00', 'E', false, NULL),
  (3, '2026-01-11 10:00', 'Z', false, NULL), (3, '2026-01-11 10:00', 'B', false, NULL),
  (3, '2026-01-12', 'C', true, 30),
  -- u4: two conversions in a row: two one-touch journeys
  (4, '2026-01-01', 'C', true, 10), (4, '2026-01-02', 'C', true, 20),
  -- u5: no conversion; the non-converting journey is trimmed to 30 days before its last touch
  (5, '2026-01-01', 'A', false, NULL), (5, '2026-03-01', 'B', false, NULL),
  -- rows without a user or a time are skipped
  (NULL, '2026-01-01', 'A', true, 5), (6, NULL, 'A', true, 5);

-- the journeys, by hand: u1 [A,B,C] 100, [A,B] no; u2 [B,C] 50, [A] no; u3 [E,D] 0, [B,Z,C] 30;
-- u4 [C] 10, [C] 20; u5 [B] no
SELECT user_id, journey, channels, converted, value, conversion_ts, cardinality(touch_ts) = cardinality(channels) AS ts_ok
FROM marketiq.journeys('tp') ORDER BY user_id, journey;
-- without a lookback u2's first journey keeps A, u5's keeps both touches
SELECT user_id, journey, channels FROM marketiq.journeys('tp', lookback => NULL)
WHERE user_id IN ('2', '5') ORDER BY user_id, journey;

-- Every model.  By hand, 6 conversions worth 210:
--   first_touch: A 1 (100), B 2 (50 + 30), C 2 (10 + 20), E 1 (0); D and Z 0
--   last_touch:  C 5 (210), D 1 (0)
--   linear:      A 1/3, B 1/3 + 1/2 + 1/3 = 7/6, C 1/3 + 1/2 + 1/3 + 2 = 19/6, D 1/2, E 1/2, Z 1/3
--                value A 33.33, B 33.33 + 25 + 10 = 68.33, C 33.33 + 25 + 10 + 30 = 98.33, Z 10
--   participation: A 1, B 3, C 5, D 1, E 1, Z 1 (shares of 12)
CREATE TEMP TABLE rep AS SELECT * FROM marketiq.attribution_report('tp');
SELECT model, channel, round(conversions::numeric, 10) AS conversions, round(value::numeric, 8) AS value,
       round(share::numeric, 10) AS share
FROM rep WHERE model IN ('first_touch', 'last_touch', 'linear', 'participation');
-- every model but participation credits exactly the 6 conversions and 210 of value
SELECT model, round(sum(conversions)::numeric, 9) AS conversions, round(sum(value)::numeric, 7) AS value,
       round(sum(share)::numeric, 12) AS shares, count(*) AS channels
FROM rep GROUP BY model ORDER BY min(ctid);

-- the heuristics equal attribute() applied to each journey of journeys() (LATERAL)
SELECT bool_and(abs(r.conversions - coalesce(l.conversions, 0)) < 1e-12 AND abs(r.value - coalesce(l.value, 0)) < 1e-9) AS heuristics_match
FROM rep r
LEFT JOIN (SELECT m, a.channel, sum(a.credit) AS conversions, sum(a.credit * j.value) AS value
           FROM marketiq.journeys('tp') j,
                unnest(ARRAY['first_touch', 'last_touch', 'linear', 'time_decay', 'u_shape', 'j_shape', 'inverse_j',
                             'w_shape', 'position', 'last_non_direct', 'participation']) AS m,
                LATERAL marketiq.attribute(j.channels, m, j.touch_ts, j.conversion_ts) a
           WHERE j.converted GROUP BY 1, 2) l ON l.m = r.model AND l.channel = r.channel
WHERE r.model NOT IN ('markov', 'shapley', 'shapley_rate');
-- Markov and Shapley equal the aggregates over the journeys' paths
CREATE TEMP TABLE jpaths AS
SELECT channels AS path, count(*) FILTER (WHERE converted) AS conversions,
       count(*) FILTER (WHERE NOT converted) AS nulls, coalesce(sum(value), 0) AS value
FROM marketiq.journeys('tp') GROUP BY channels;
SELECT bool_and(abs(r.conversions - e.conversions) < 1e-12 AND abs(r.value - e.value) < 1e-9) AS markov_matches
FROM rep r, (SELECT marketiq.markov_model(path, conversions, nulls, value) AS m FROM jpaths) s,
     marketiq.removal_effects(m) e
WHERE r.model = 'markov' AND r.channel = e.channel;
SELECT bool_and(abs(r.conversions - e.conversions) < 1e-12 AND abs(r.value - e.value) < 1e-9) AS shapley_matches
FROM rep r, (SELECT marketiq.shapley_model(path, conversions, nulls, value) AS m FROM jpaths) s,
     LATERAL marketiq.shapley_values(m, CASE r.model WHEN 'shapley' THEN 'count' ELSE 'rate' END) e
WHERE r.model IN ('shapley', 'shapley_rate') AND r.channel = e.channel;
-- order 2 and repeats kept, likewise
SELECT bool_and(abs(r.conversions - e.conversions) < 1e-12) AS markov_order2_matches
FROM marketiq.attribution_report('tp', models => '{markov}', markov_order => 2, collapse_repeats => false) r,
     (SELECT marketiq.markov_model(path, conversions, nulls, value, 2, false) AS m FROM jpaths) s,
     marketiq.removal_effects(m) e
WHERE r.channel = e.channel;

-- the models come in the order asked for; knobs change what they should
SELECT model, channel, round(conversions::numeric, 6) AS conversions
FROM marketiq.attribution_report('tp', models => '{last_non_direct,first_touch}', skip_channel => 'C');
SELECT model, channel, round(conversions::numeric, 6) AS conversions, round(value::numeric, 4) AS value
FROM marketiq.attribution_report('tp', models => '{position}', first_weight => 0.6, middle_weight => 0.2, last_weight => 0.2);
-- no value column: all values 0
SELECT model, channel, conversions, value FROM marketiq.attribution_report('tp', value_col => NULL, models => '{last_touch}');

-- other column types and names: text users, timestamp without time zone, an integer
-- conversion count, numeric revenue, names that need quoting; and a view
CREATE TABLE "Touch Points" ("User" text, "When" timestamp, "Channel" varchar, "Bought" int, "Amount" numeric);
INSERT INTO "Touch Points" SELECT 'user ' || user_id, ts, channel, converted::int, revenue FROM tp;
SELECT count(*) AS rows_equal
FROM marketiq.attribution_report('"Touch Points"', 'User', 'When', 'Channel', 'Bought', 'Amount') a
JOIN rep r USING (model, channel)
WHERE abs(a.conversions - r.conversions) < 1e-12 AND abs(a.value - r.value) < 1e-9;
CREATE VIEW tp_view AS SELECT * FROM tp WHERE user_id <> 4;
SELECT channel, conversions FROM marketiq.attribution_report('tp_view', models => '{last_touch}');

-- ------------------------------------- journey building against plain SQL (window functions)
-- 500 generated users (distinct times, so no ties): the journeys built in C equal those built
-- with window functions, touch for touch
CREATE TABLE gen AS
SELECT u AS user_id, timestamptz '2026-01-01' + (k * 13 + (hashint8extended(u * 64 + k, 1) & 7)) * interval '1 hour' * 7 AS ts,
       'ch' || (hashint8extended(u * 64 + k, 2) & 7) AS channel,
       (hashint8extended(u * 64 + k, 3) & 15) = 0 AS converted,
       CASE WHEN (hashint8extended(u * 64 + k, 3) & 15) = 0 THEN 10 + (hashint8extended(u * 64 + k, 4) & 127) END::float8 AS revenue
FROM generate_series(1, 500) AS u, generate_series(1, 1 + (hashint8extended(u, 5) & 31)::int) AS k;
CREATE TEMP TABLE sql_journeys AS
WITH t AS (
  SELECT *, coalesce(sum(converted::int) OVER (PARTITION BY user_id ORDER BY ts
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS j
  FROM gen),
e AS (
  SELECT user_id, j, bool_or(converted) AS converted, max(ts) AS end_ts, max(revenue) AS value
  FROM t GROUP BY user_id, j)
SELECT t.user_id::text, t.j, array_agg(t.channel ORDER BY t.ts) AS channels, e.converted, e.value
FROM t JOIN e USING (user_id, j)
WHERE t.ts >= e.end_ts - interval '30 days'
GROUP BY t.user_id, t.j, e.converted, e.value;
SELECT (SELECT count(*) FROM sql_journeys) AS journeys,
       (SELECT count(*) FROM (SELECT user_id, channels, converted, value FROM sql_journeys
                              EXCEPT ALL
                              SELECT user_id, channels, converted, value FROM marketiq.journeys('gen')) d) AS missing,
       (SELECT count(*) FROM (SELECT user_id, channels, converted, value FROM marketiq.journeys('gen')
                              EXCEPT ALL
                              SELECT user_id, channels, converted, value FROM sql_journeys) d) AS extra;

-- the plain-SQL linear attribution of bench/attribution.sql gives the report's answer
WITH t AS (
  SELECT user_id, ts, channel, converted, revenue,
         coalesce(sum(converted::int) OVER (PARTITION BY user_id ORDER BY ts
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS j
  FROM gen),
c AS (
  SELECT user_id, j, max(ts) AS conv_ts, max(revenue) AS value
  FROM t WHERE converted GROUP BY user_id, j),
w AS (
  SELECT t.channel, c.value, count(*) OVER (PARTITION BY t.user_id, t.j) AS n
  FROM t JOIN c USING (user_id, j)
  WHERE t.ts >= c.conv_ts - interval '30 days'),
plain AS (
  SELECT channel, sum(1.0 / n) AS conversions, sum(coalesce(value, 0) / n) AS value FROM w GROUP BY channel)
SELECT count(*) AS channels,
       max(abs(p.conversions - r.conversions)) < 1e-9 AS conversions_equal,
       max(abs(p.value - r.value)) < 1e-7 AS value_equal
FROM plain p JOIN marketiq.attribution_report('gen', models => '{linear}') r USING (channel);

-- ---------------------------------------------------------------------- bad input
SELECT * FROM marketiq.attribution_report('tp', user_col => 'customer');
SELECT * FROM marketiq.attribution_report('tp', ts_col => 'channel');
SELECT * FROM marketiq.attribution_report('tp', conversion_col => 'revenue');
SELECT * FROM marketiq.attribution_report('tp', value_col => 'channel');
SELECT * FROM marketiq.attribution_report('tp', channel_col => 'ctid');
SELECT * FROM marketiq.attribution_report('tp', user_col => NULL);
SELECT * FROM marketiq.attribution_report('no_such_table');
SELECT * FROM marketiq.attribution_report(NULL);
SELECT * FROM marketiq.attribution_report('tp', models => '{linear,lineer}');
SELECT * FROM marketiq.attribution_report('tp', models => '{linear,markov,linear}');
SELECT * FROM marketiq.attribution_report('tp', models => '{}');
SELECT * FROM marketiq.attribution_report('tp', models => '{linear,NULL}');
SELECT * FROM marketiq.attribution_report('tp', lookback => '0 days');
SELECT * FROM marketiq.attribution_report('tp', half_life => '-1 hour');
SELECT * FROM marketiq.attribution_report('tp', first_weight => 0.5);
SELECT * FROM marketiq.attribution_report('tp', markov_order => 0);
SELECT * FROM marketiq.attribution_report('tp', markov_order => 100);
SELECT * FROM marketiq.journeys('tp', lookback => '-5 days');
INSERT INTO tp VALUES (7, '2026-01-01', 'A', true, -10);
SELECT * FROM marketiq.attribution_report('tp');
UPDATE tp SET revenue = 'NaN' WHERE user_id = 7;
SELECT * FROM marketiq.attribution_report('tp');
UPDATE tp SET revenue = 10, ts = 'infinity' WHERE user_id = 7;
SELECT * FROM marketiq.attribution_report('tp');
DELETE FROM tp WHERE user_id = 7;
-- an empty table: no rows
SELECT count(*) FROM marketiq.attribution_report('tp_view', models => '{markov,shapley,linear}') WHERE false;
CREATE TABLE empty_tp (LIKE tp);
SELECT count(*) AS empty_report FROM marketiq.attribution_report('empty_tp');
SELECT count(*) AS no_journeys FROM marketiq.journeys('empty_tp');
-- the query runs with the caller's privileges
CREATE ROLE regress_attribution_reader;
GRANT USAGE ON SCHEMA marketiq TO regress_attribution_reader;
SET ROLE regress_attribution_reader;
SELECT * FROM marketiq.attribution_report('tp');
RESET ROLE;
REVOKE USAGE ON SCHEMA marketiq FROM regress_attribution_reader;
DROP ROLE regress_attribution_reader;
DROP TABLE tp, "Touch Points", gen, empty_tp CASCADE;
