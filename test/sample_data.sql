-- sample_data.sql: a deterministic synthetic marketing data set, generated in SQL.
--
-- Used by the demo (test/demo.sql, 2,000 users) and the benchmarks (bench/, 1,000,000 users).
-- psql variables (all optional):
--   schema     schema to create the tables in (default sample; dropped and re-created)
--   users      users with touchpoints (default 2000); about 9.5 touchpoints each
--   customers  customers with orders (default 1000)
--
-- Every random number is a hash of a row key (u01 below), never random(), so the data are the
-- same on every machine and for every plan, serial or parallel.
--
-- Tables:
--   touchpoints(user_id, ts, channel, converted, revenue)  marketing touches over 2026-01..03;
--       a touch that converted carries the order value in revenue (NULL otherwise)
--   orders(order_id, customer_id, ts, amount)  purchases from 2025-01-01 over 52 weeks:
--       customers arrive in the first 12 weeks, buy at a personal Poisson rate while alive, and
--       leave after an exponential lifetime (the Pareto/NBD story, so CLV models have signal)
--   spend(channel, week, cost)  media spend per channel per week over the touchpoint period

\if :{?schema}
\else
\set schema sample
\endif
\if :{?users}
\else
\set users 2000
\endif
\if :{?customers}
\else
\set customers 1000
\endif

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS :"schema" CASCADE;
CREATE SCHEMA :"schema";
SET search_path = :"schema", public;
RESET client_min_messages;

-- u01(key, stream): a uniform number in (0, 1) from a 64-bit hash of (key, stream).
CREATE FUNCTION u01(k bigint, stream int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT (((hashint8extended(k, stream) >> 11) & 9007199254740991)::float8 + 0.5)
             / 9007199254740992.0 $$;

-- channels: share of touches, base conversion rate per touch, spend per week at demo scale
CREATE TABLE channels (
    channel text PRIMARY KEY,
    lo float8 NOT NULL,          -- [lo, hi) slice of (0, 1) that picks this channel
    hi float8 NOT NULL,
    conv_rate float8 NOT NULL,
    value_factor float8 NOT NULL,
    weekly_cost float8 NOT NULL
);
INSERT INTO channels VALUES
    ('paid_search',    0.00, 0.22, 0.045, 1.00, 900),
    ('organic_search', 0.22, 0.38, 0.035, 1.00,   0),
    ('social',         0.38, 0.52, 0.015, 0.90, 600),
    ('email',          0.52, 0.64, 0.060, 1.20, 150),
    ('display',        0.64, 0.76, 0.008, 0.80, 700),
    ('affiliate',      0.76, 0.82, 0.040, 1.10, 300),
    ('referral',       0.82, 0.88, 0.030, 1.00, 100),
    ('direct',         0.88, 1.00, 0.070, 1.05,   0);

-- touchpoints: user u has 1 + floor(Exp(mean 9)) touches (at most 40), spaced by a personal
-- step of 6 to 102 hours with jitter, starting in the first 60 days of 2026
CREATE TABLE touchpoints AS
WITH users AS (
    SELECT u AS user_id,
           least(40, 1 + floor(-ln(u01(u, 1)) * 9))::int AS n,
           timestamptz '2026-01-01 00:00:00+00' + u01(u, 2) * interval '60 days' AS t0,
           interval '6 hours' + u01(u, 3) * interval '96 hours' AS step
    FROM generate_series(1, :users) AS u
), touches AS (
    SELECT user_id, k, user_id * 64 + k AS key,
           t0 + (k - 1) * step + u01(user_id * 64 + k, 4) * (step - interval '1 minute') AS ts
    FROM users, generate_series(1, n) AS k
)
SELECT t.user_id, date_trunc('second', t.ts) AS ts, c.channel,
       u01(t.key, 6) < c.conv_rate * (CASE WHEN t.k >= 3 THEN 1.6 ELSE 1.0 END) AS converted,
       t.key
FROM touches t
JOIN channels c ON u01(t.key, 5) >= c.lo AND u01(t.key, 5) < c.hi;

ALTER TABLE touchpoints ADD COLUMN revenue float8;
UPDATE touchpoints t
SET revenue = round(((20 + 180 * u01(t.key, 7) ^ 2) * c.value_factor)::numeric, 2)
FROM channels c
WHERE t.converted AND c.channel = t.channel;
ALTER TABLE touchpoints DROP COLUMN key;
CREATE INDEX ON touchpoints (user_id, ts);

-- orders: customer c arrives at week w0 in [0, 12), buys at rate lambda per week (gamma-like
-- heterogeneity) while alive (exponential lifetime), up to 30 repeat purchases, 52-week window
CREATE TABLE orders AS
WITH customers AS (
    SELECT c AS customer_id,
           u01(c, 11) * 12 AS w0,
           0.01 + 0.12 * (-ln(u01(c, 12))) AS lambda,
           -ln(u01(c, 13)) * (10 + 60 * u01(c, 14)) AS lifetime,
           15 + 60 * u01(c, 15) ^ 2 AS mean_spend
    FROM generate_series(1, :customers) AS c
), windows AS (
    SELECT *, least(lifetime, 52 - w0) AS alive
    FROM customers
), purchases AS (
    SELECT customer_id, 0 AS j, w0 AS week, mean_spend FROM windows
    UNION ALL
    SELECT customer_id, j, w0 + u01(customer_id * 32 + j, 17) * alive, mean_spend
    FROM windows, generate_series(1, 30) AS j
    WHERE u01(customer_id * 32 + j, 16) < least(0.8, lambda * alive / 30)
)
SELECT row_number() OVER (ORDER BY customer_id, week, j) AS order_id,
       customer_id,
       date_trunc('second', timestamptz '2025-01-01 00:00:00+00' + week * interval '1 week') AS ts,
       round((mean_spend * (0.5 + u01(customer_id * 32 + j, 18)))::numeric, 2)::float8 AS amount
FROM purchases;
CREATE INDEX ON orders (customer_id, ts);

-- spend: cost per channel per week over the 13 weeks of touchpoints, scaled with the users
CREATE TABLE spend AS
SELECT c.channel,
       (date '2026-01-05' + 7 * w)::date AS week,
       round((c.weekly_cost * (:users / 2000.0) * (0.8 + 0.4 * u01(w * 128 + (c.lo * 100)::int, 21)))::numeric, 2)::float8 AS cost
FROM channels c, generate_series(0, 12) AS w
WHERE c.weekly_cost > 0;

ANALYZE touchpoints;
ANALYZE orders;
ANALYZE spend;
RESET search_path;

-- spend_history(channel, week, cost, revenue): a year (2025, 52 weeks) of weekly media spend per
-- paid channel and the revenue credited to the channel that week, for response curves and
-- budget plans (the 13 weeks of spend above vary by only +-20%, too little to trace a curve).
-- Spend is flighted between 40% and 180% of the channel's usual weekly cost; revenue follows a
-- known diminishing-returns curve, revenue = roas * usual * (cost / usual)^b, times lognormal
-- noise (sd 0.12 on the log scale), so a fitted power curve should recover roughly these b:
--   paid_search roas 2.2 b 0.55; social 1.1, 0.70; email 9.0, 0.35; display 0.6, 0.80;
--   affiliate 2.6, 0.50; referral 4.0, 0.45
SET search_path = :"schema", public;
CREATE TABLE spend_history AS
WITH truth (channel, roas, b) AS (
    VALUES ('paid_search', 2.2, 0.55), ('social', 1.1, 0.70), ('email', 9.0, 0.35),
           ('display', 0.6, 0.80), ('affiliate', 2.6, 0.50), ('referral', 4.0, 0.45)
), weeks AS (
    SELECT c.channel, t.roas, t.b, w, c.weekly_cost * (:users / 2000.0) AS usual,
           (w * 128 + (c.lo * 100)::int) AS key
    FROM channels c JOIN truth t USING (channel), generate_series(0, 51) AS w
), flighted AS (
    SELECT *, round((usual * (0.4 + 1.4 * u01(key, 31)))::numeric, 2)::float8 AS cost,
           sqrt(-2 * ln(u01(key, 32))) * cos(2 * pi() * u01(key, 33)) AS z
    FROM weeks
)
SELECT channel, (date '2025-01-06' + 7 * w)::date AS week, cost,
       round((roas * usual * (cost / usual) ^ b * exp(0.12 * z))::numeric, 2)::float8 AS revenue
FROM flighted;
ANALYZE spend_history;
RESET search_path;
