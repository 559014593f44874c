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

-- ---------------------------------------------------------------- purchases (recommendations)
-- products(product, category): a shop of 24 products in 4 categories.
-- purchases(customer_id, product, rating): the products each of the first min(customers, 50000)
-- customers bought (each once), with a 1..5 star rating.  Customer c buys 1 + floor(Exp(mean 3))
-- products (at most 12): 70% from a favourite category, 15% from a second one, 15% from any;
-- within a category the first products sell best; ratings are higher in the favourite category.
CREATE TABLE products (product text PRIMARY KEY, category text NOT NULL, cat int NOT NULL, k int NOT NULL);
INSERT INTO products VALUES
    ('espresso beans', 'coffee', 0, 0), ('coffee grinder', 'coffee', 0, 1), ('milk frother', 'coffee', 0, 2),
    ('espresso machine', 'coffee', 0, 3), ('filter coffee', 'coffee', 0, 4), ('coffee mugs', 'coffee', 0, 5),
    ('green tea', 'tea', 1, 0), ('black tea', 'tea', 1, 1), ('teapot', 'tea', 1, 2),
    ('tea infuser', 'tea', 1, 3), ('herbal tea', 'tea', 1, 4), ('honey', 'tea', 1, 5),
    ('flour', 'baking', 2, 0), ('sugar', 'baking', 2, 1), ('baking powder', 'baking', 2, 2),
    ('mixing bowl', 'baking', 2, 3), ('cake tin', 'baking', 2, 4), ('vanilla extract', 'baking', 2, 5),
    ('granola', 'breakfast', 3, 0), ('oat flakes', 'breakfast', 3, 1), ('jam', 'breakfast', 3, 2),
    ('peanut butter', 'breakfast', 3, 3), ('toaster', 'breakfast', 3, 4), ('orange juice', 'breakfast', 3, 5);
CREATE TABLE purchases AS
WITH draws AS (
    SELECT c AS customer_id, k, c * 16 + k AS key,
           floor(4 * u01(c, 31))::int AS fav, floor(4 * u01(c, 32))::int AS second
    FROM generate_series(1, least(:customers, 50000)) AS c,
         generate_series(1, least(12, 1 + floor(-ln(u01(c, 33)) * 3))::int) AS k
), picks AS (
    SELECT customer_id, k, key, fav,
           CASE WHEN u01(key, 34) < 0.70 THEN fav
                WHEN u01(key, 34) < 0.85 THEN second
                ELSE floor(4 * u01(key, 35))::int END AS cat,
           floor(6 * u01(key, 36) ^ 1.5)::int AS k_in_cat
    FROM draws
)
SELECT DISTINCT ON (p.customer_id, pr.product) p.customer_id, pr.product,
       least(5, greatest(1, round(3 + CASE WHEN p.cat = p.fav THEN 1 ELSE -0.5 END
                                    + 2 * (u01(p.key, 37) - 0.5))))::int AS rating
FROM picks p JOIN products pr ON pr.cat = p.cat AND pr.k = p.k_in_cat
ORDER BY p.customer_id, pr.product, p.k;
CREATE INDEX ON purchases (customer_id);
ANALYZE products;
ANALYZE purchases;
RESET search_path;

-- events (added for the funnel demo, issue 5): a site funnel behind each touchpoint of the first
-- 20,000 users (all of them at demo scale): every touch is a visit, followed minutes later by
-- product_view, add_to_cart, checkout, purchase as far as the visit goes -- all the way when the
-- touch converted, otherwise to product_view with probability 0.55, add_to_cart 0.20, checkout
-- 0.07; a tenth of the deeper steps come a day late (so a time limit between steps matters)
SET search_path = :"schema", public;
CREATE TABLE events AS
WITH visits AS (
    SELECT user_id, ts, converted, user_id * 64 + row_number() OVER (PARTITION BY user_id ORDER BY ts) AS key
    FROM touchpoints
    WHERE user_id <= 20000
), depth AS (
    SELECT user_id, ts, key,
           CASE WHEN converted THEN 5
                WHEN u01(key, 31) < 0.07 THEN 4
                WHEN u01(key, 31) < 0.20 THEN 3
                WHEN u01(key, 31) < 0.55 THEN 2
                ELSE 1 END AS depth
    FROM visits
)
SELECT d.user_id,
       d.ts + s.n * interval '3 minutes' + CASE WHEN s.n > 0 AND u01(d.key * 8 + s.n, 32) < 0.1
                                                 THEN interval '1 day' ELSE interval '0' END AS ts,
       s.stage
FROM depth d
JOIN (VALUES (0, 'visit'), (1, 'product_view'), (2, 'add_to_cart'), (3, 'checkout'), (4, 'purchase')) s(n, stage)
  ON s.n < d.depth;
ANALYZE events;
RESET search_path;

-- ---------------------------------------------------------------- campaign (decisions, issue 8)
-- campaign(customer_id, ts, segment, stage, action, revenue, cost, reward): a next-best-action
-- log.  Each customer (the first 20,000 at most: the qlearn benchmark builds its own, larger log)
-- gets 12 weekly marketing decisions from 2026-01-05.  segment is "premium" when the customer's
-- typical order (mean_spend of the orders above) is 40 or more, else "budget"; stage is where the
-- customer is in the funnel (new, engaged, cart, customer, lapsed); action is what a random
-- behaviour policy chose, each equally likely (email, coupon, retarget_ad, nothing); revenue is
-- the purchase that week (premium 120, budget 50; 30% less with a coupon), cost the action's cost
-- (email 0.10, retarget_ad 1.50), reward = revenue - cost.  A 13th row per customer is the
-- current state, with no action yet (action, revenue, cost and reward NULL).
-- The funnel moves by campaign_rules: from a stage, after an action, a uniform number u01 picks
-- the next stage (no matching rule: the customer stays).  A coupon buys now but sends the
-- customer to "lapsed" (deal seekers do not come back); email and ads move customers on slowly.
SET search_path = :"schema", public;
CREATE TABLE campaign_rules (
    stage text NOT NULL,
    action text NOT NULL,
    lo float8 NOT NULL,          -- [lo, hi) slice of (0, 1) that leads to next_stage
    hi float8 NOT NULL,
    next_stage text NOT NULL,
    purchase boolean NOT NULL    -- a purchase happens on this move
);
INSERT INTO campaign_rules VALUES
    ('new', 'nothing', 0.00, 0.05, 'engaged', false), ('new', 'nothing', 0.05, 0.10, 'lapsed', false),
    ('new', 'email', 0.00, 0.30, 'engaged', false), ('new', 'email', 0.30, 0.33, 'lapsed', false),
    ('new', 'retarget_ad', 0.00, 0.20, 'engaged', false), ('new', 'retarget_ad', 0.20, 0.23, 'lapsed', false),
    ('new', 'coupon', 0.00, 0.25, 'lapsed', true),
    ('engaged', 'nothing', 0.00, 0.08, 'cart', false), ('engaged', 'nothing', 0.08, 0.16, 'lapsed', false),
    ('engaged', 'email', 0.00, 0.30, 'cart', false), ('engaged', 'email', 0.30, 0.34, 'lapsed', false),
    ('engaged', 'retarget_ad', 0.00, 0.40, 'cart', false), ('engaged', 'retarget_ad', 0.40, 0.44, 'lapsed', false),
    ('engaged', 'coupon', 0.00, 0.45, 'lapsed', true),
    ('cart', 'nothing', 0.00, 0.15, 'customer', true), ('cart', 'nothing', 0.15, 0.25, 'lapsed', false),
    ('cart', 'email', 0.00, 0.35, 'customer', true), ('cart', 'email', 0.35, 0.40, 'lapsed', false),
    ('cart', 'retarget_ad', 0.00, 0.45, 'customer', true), ('cart', 'retarget_ad', 0.45, 0.50, 'lapsed', false),
    ('cart', 'coupon', 0.00, 0.70, 'lapsed', true),
    ('customer', 'nothing', 0.00, 0.10, 'customer', true), ('customer', 'nothing', 0.10, 0.15, 'lapsed', false),
    ('customer', 'email', 0.00, 0.20, 'customer', true), ('customer', 'email', 0.20, 0.23, 'lapsed', false),
    ('customer', 'retarget_ad', 0.00, 0.15, 'customer', true), ('customer', 'retarget_ad', 0.15, 0.19, 'lapsed', false),
    ('customer', 'coupon', 0.00, 0.30, 'customer', true), ('customer', 'coupon', 0.30, 0.40, 'lapsed', true),
    ('lapsed', 'email', 0.00, 0.04, 'engaged', false),
    ('lapsed', 'retarget_ad', 0.00, 0.06, 'engaged', false),
    ('lapsed', 'coupon', 0.00, 0.03, 'lapsed', true);

CREATE TABLE campaign AS
WITH RECURSIVE weeks AS (
    SELECT c AS customer_id, 1 AS week, 'new'::text AS stage,
           CASE WHEN 15 + 60 * u01(c, 15) ^ 2 >= 40 THEN 'premium' ELSE 'budget' END AS segment
    FROM generate_series(1, least(:customers, 20000)) AS c
    UNION ALL
    SELECT w.customer_id, w.week + 1,
           coalesce((SELECT r.next_stage FROM campaign_rules r
                     WHERE r.stage = w.stage
                       AND r.action = (ARRAY['email', 'coupon', 'retarget_ad', 'nothing'])
                                      [1 + floor(u01(w.customer_id * 16 + w.week, 31) * 4)::int]
                       AND u01(w.customer_id * 16 + w.week, 32) >= r.lo
                       AND u01(w.customer_id * 16 + w.week, 32) < r.hi), w.stage),
           w.segment
    FROM weeks w WHERE w.week <= 12
), decided AS (
    SELECT w.*, CASE WHEN w.week <= 12 THEN (ARRAY['email', 'coupon', 'retarget_ad', 'nothing'])
                                            [1 + floor(u01(w.customer_id * 16 + w.week, 31) * 4)::int] END AS action
    FROM weeks w
)
SELECT d.customer_id::bigint AS customer_id,
       timestamptz '2026-01-05 09:00:00+00' + (d.week - 1) * interval '7 days' AS ts,
       d.segment, d.stage, d.action,
       CASE WHEN d.action IS NULL THEN NULL
            WHEN r.purchase THEN (CASE WHEN d.segment = 'premium' THEN 120 ELSE 50 END)
                                 * (CASE WHEN d.action = 'coupon' THEN 0.7 ELSE 1 END)
            ELSE 0 END::float8 AS revenue,
       CASE d.action WHEN 'email' THEN 0.10 WHEN 'retarget_ad' THEN 1.50
                     WHEN 'coupon' THEN 0 WHEN 'nothing' THEN 0 END::float8 AS cost
FROM decided d
LEFT JOIN campaign_rules r
  ON r.stage = d.stage AND r.action = d.action
 AND u01(d.customer_id * 16 + d.week, 32) >= r.lo AND u01(d.customer_id * 16 + d.week, 32) < r.hi;
ALTER TABLE campaign ADD COLUMN reward float8;
UPDATE campaign SET reward = revenue - cost;
CREATE INDEX ON campaign (customer_id, ts);
ANALYZE campaign;
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

-- feedback (added for embedding columns, issue 10): a comment on about a third of the orders of
-- the first 3,000 customers (so its size does not grow with the bench scale), within five days of
-- the order, in English or (three in ten) Chinese.  A comment is two phrases of its sentiment
-- (positive for 55%) and one neutral phrase in an order drawn by hash; one in seven also borrows a
-- phrase of the other sentiment, and one label in twelve is flipped, so sentiment is learnable
-- from the text but not trivially.
SET search_path = :"schema", public;
CREATE TABLE feedback AS
WITH ph(zh, happy, phrases) AS (VALUES
    (false, true, ARRAY['great service', 'fast delivery', 'very happy with my order', 'friendly staff', 'will buy again',
                        'excellent quality', 'arrived early', 'good value for money', 'easy checkout', 'love it']),
    (false, false, ARRAY['late delivery', 'I want a refund', 'the item arrived broken', 'rude support', 'never again',
                         'poor quality', 'the package was lost', 'too expensive', 'checkout kept failing', 'waiting for weeks']),
    (false, NULL, ARRAY['ordered last week', 'a gift for my sister', 'the blue one', 'my second order', 'paid by card',
                        'size medium', 'delivered to the office', 'bought on sale']),
    (true, true, ARRAY['服务很好', '物流很快', '非常满意', '质量很好', '会再买', '性价比高', '包装完好', '客服很热情']),
    (true, false, ARRAY['物流太慢', '我要退款', '收到的东西坏了', '客服态度差', '再也不买了', '质量很差', '包裹丢了', '太贵了']),
    (true, NULL, ARRAY['上周下的单', '送给朋友', '蓝色的', '第二次购买', '用卡支付', '中号'])
), base AS (
    SELECT order_id, customer_id, ts, u01(order_id, 41) < 0.3 AS zh, u01(order_id, 42) < 0.55 AS happy
    FROM orders
    WHERE customer_id <= 3000 AND u01(order_id, 40) < 0.35
), parts AS (
    SELECT b.order_id, x.j, x.phrase
    FROM base b
    CROSS JOIN LATERAL (
        SELECT (SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy = b.happy) AS mine,
               (SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy = NOT b.happy) AS other,
               (SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy IS NULL) AS neutral) p
    CROSS JOIN LATERAL (VALUES
        (1, p.mine[1 + floor(u01(b.order_id, 43) * array_length(p.mine, 1))::int]),
        (2, p.mine[1 + floor(u01(b.order_id, 44) * array_length(p.mine, 1))::int]),
        (3, p.neutral[1 + floor(u01(b.order_id, 45) * array_length(p.neutral, 1))::int]),
        (4, CASE WHEN u01(b.order_id, 46) < 1.0 / 7
                 THEN p.other[1 + floor(u01(b.order_id, 47) * array_length(p.other, 1))::int] END)
    ) x(j, phrase)
    WHERE x.phrase IS NOT NULL
)
SELECT b.order_id AS feedback_id, b.customer_id,
       date_trunc('second', b.ts + u01(b.order_id, 48) * interval '5 days') AS ts,
       (SELECT string_agg(p.phrase, CASE WHEN b.zh THEN '，' ELSE ', ' END ORDER BY u01(b.order_id * 8 + p.j, 49))
        FROM parts p WHERE p.order_id = b.order_id) || CASE WHEN b.zh THEN '。' ELSE '.' END AS body,
       CASE WHEN u01(b.order_id, 50) < 1.0 / 12 THEN NOT b.happy ELSE b.happy END AS positive
FROM base b;
ALTER TABLE feedback ADD PRIMARY KEY (feedback_id);
ANALYZE feedback;
RESET search_path;
