-- demo.sql: the README's main job.  Loads the sample marketing data set into a throw-away
-- database and prints the reports marketiq offers, section by section.
\pset footer off
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS marketiq;
RESET client_min_messages;

\echo
\echo '== marketiq demo: loading the sample data set (2,000 users, 1,000 customers) =='
\ir sample_data.sql

\echo
\echo '== The data: touchpoints, conversions and revenue per channel =='
SELECT channel,
       count(*) AS touches,
       count(*) FILTER (WHERE converted) AS conversions,
       round(sum(revenue)::numeric, 2) AS revenue
FROM sample.touchpoints
GROUP BY channel
ORDER BY touches DESC;

\echo
\echo '== The data: orders (for customer value) =='
SELECT count(DISTINCT customer_id) AS customers,
       count(*) AS orders,
       round(avg(amount)::numeric, 2) AS avg_amount,
       min(ts)::date AS first_order,
       max(ts)::date AS last_order
FROM sample.orders;

-- ---------------------------------------------------------------- customer value (issue 5)
-- (purchase days and RFM recency are calendar days in the session's time zone: fix it)
SET TimeZone = 'UTC';
\echo
\echo '== Customer value: RFM segments as of 2026-01-01 (marketiq.rfm_report) =='
SELECT segment, count(*) AS customers, round(avg(recency)) AS avg_days_since_order,
       round(avg(frequency), 1) AS avg_orders, round(avg(monetary)::numeric, 2) AS avg_total
FROM marketiq.rfm_report('sample.orders', 'customer_id', 'ts', 'amount', as_of => '2026-01-01')
GROUP BY segment
ORDER BY customers DESC;

\echo
\echo '== Customer value: BG/NBD and Gamma-Gamma models of the orders (weeks) =='
CREATE TEMP TABLE demo_summary AS
SELECT * FROM marketiq.clv_summary('sample.orders', 'customer_id', 'ts', 'amount',
                                   as_of => '2026-01-01', unit => 'week');
CREATE TEMP TABLE demo_models AS
SELECT marketiq.bgnbd_fit(frequency, recency, t) AS purchases,
       marketiq.gamma_gamma_fit(frequency, monetary) AS spend
FROM demo_summary;
SELECT round(p.r::numeric, 3) AS r, round(p.alpha::numeric, 2) AS alpha, round(p.a::numeric, 3) AS a,
       round(p.b::numeric, 2) AS b, p.converged,
       round(marketiq.expected_purchases(purchases, 52)::numeric, 2) AS new_customer_purchases_52w,
       round(g.p::numeric, 2) AS p, round(g.q::numeric, 2) AS q, round(g.gamma::numeric, 2) AS gamma,
       round(marketiq.expected_spend(spend)::numeric, 2) AS mean_spend
FROM demo_models, marketiq.params(purchases) p, marketiq.params(spend) g;

\echo
\echo '== Customer value: top 10 customers by CLV over the next 52 weeks (10% a year) =='
SELECT customer, frequency AS repeat_purchases, round(recency::numeric, 1) AS recency_wk,
       round(t::numeric, 1) AS age_wk, round(monetary::numeric, 2) AS avg_spend,
       round(marketiq.prob_alive(purchases, frequency, recency, t)::numeric, 3) AS p_alive,
       round(marketiq.expected_purchases(purchases, 52, frequency, recency, t)::numeric, 2) AS purchases_52w,
       round(marketiq.expected_spend(spend, frequency, monetary)::numeric, 2) AS spend_per_purchase,
       round(marketiq.clv(purchases, spend, frequency, recency, t, monetary, 52,
                          discount_rate => 0.1 / 52)::numeric, 2) AS clv_52w
FROM demo_summary, demo_models
ORDER BY clv_52w DESC, customer
LIMIT 10;

\echo
\echo '== Customer value: ROI per channel, on last-touch credited revenue (marketiq.roi_report) =='
CREATE TEMP VIEW demo_last_touch AS
SELECT channel, revenue AS value, 1 AS conversions FROM sample.touchpoints WHERE converted;
SELECT channel, round(cost::numeric, 2) AS cost, round(value::numeric, 2) AS value, conversions,
       round(roi::numeric, 2) AS roi, round(roas::numeric, 2) AS roas,
       round(cost_per_conversion::numeric, 2) AS cost_per_conversion
FROM marketiq.roi_report('sample.spend', 'demo_last_touch', conversions_col => 'conversions')
ORDER BY roi DESC NULLS LAST;

\echo
\echo '== Customer value: site funnel, each step within 1 hour of the previous (marketiq.funnel) =='
SELECT step, stage, users, round(step_rate::numeric, 3) AS step_rate,
       round(cumulative_rate::numeric, 3) AS cumulative_rate, drop_off, bottleneck
FROM marketiq.funnel('sample.events', 'user_id', 'ts', 'stage',
                     ARRAY['visit', 'product_view', 'add_to_cart', 'checkout', 'purchase'],
                     max_gap => interval '1 hour');
RESET TimeZone;
