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

\echo
\echo '== Attribution: which channels earned the conversions? (conversions credited by each model) =='
\echo '   journeys: each user''s touches up to a conversion, 30-day lookback; see README "Attribution"'
SELECT channel,
       round(sum(conversions) FILTER (WHERE model = 'first_touch')::numeric, 1) AS first_touch,
       round(sum(conversions) FILTER (WHERE model = 'last_touch')::numeric, 1) AS last_touch,
       round(sum(conversions) FILTER (WHERE model = 'last_non_direct')::numeric, 1) AS last_non_direct,
       round(sum(conversions) FILTER (WHERE model = 'linear')::numeric, 1) AS linear,
       round(sum(conversions) FILTER (WHERE model = 'time_decay')::numeric, 1) AS time_decay,
       round(sum(conversions) FILTER (WHERE model = 'u_shape')::numeric, 1) AS u_shape,
       round(sum(conversions) FILTER (WHERE model = 'markov')::numeric, 1) AS markov,
       round(sum(conversions) FILTER (WHERE model = 'shapley')::numeric, 1) AS shapley
FROM marketiq.attribution_report('sample.touchpoints',
       models => '{first_touch,last_touch,last_non_direct,linear,time_decay,u_shape,markov,shapley}')
GROUP BY channel
ORDER BY sum(conversions) FILTER (WHERE model = 'markov') DESC;

\echo
\echo '== Attribution: revenue credited, and the change from last touch to the Markov model =='
SELECT channel,
       round(sum(value) FILTER (WHERE model = 'last_touch')::numeric, 0) AS last_touch_revenue,
       round(sum(value) FILTER (WHERE model = 'markov')::numeric, 0) AS markov_revenue,
       round(100 * (sum(value) FILTER (WHERE model = 'markov') / sum(value) FILTER (WHERE model = 'last_touch') - 1)::numeric, 0) AS change_pct,
       round(100 * sum(share) FILTER (WHERE model = 'markov')::numeric, 1) AS markov_share_pct
FROM marketiq.attribution_report('sample.touchpoints', models => '{last_touch,markov}')
GROUP BY channel
ORDER BY markov_revenue DESC;

\echo
\echo '== Attribution: the Markov model behind it (removal effects; P(conversion) of a journey) =='
CREATE TEMP TABLE demo_paths AS
SELECT channels AS path, count(*) FILTER (WHERE converted) AS conversions,
       count(*) FILTER (WHERE NOT converted) AS nulls, coalesce(sum(value), 0) AS value
FROM marketiq.journeys('sample.touchpoints') GROUP BY channels;
SELECT round(marketiq.conversion_probability(m)::numeric, 4) AS p_conversion,
       r.channel, round(r.removal_effect::numeric, 3) AS removal_effect,
       round(r.conversions::numeric, 1) AS conversions, round(r.value::numeric, 0) AS revenue
FROM (SELECT marketiq.markov_model(path, conversions, nulls, value) AS m FROM demo_paths) s,
     marketiq.removal_effects(m) r
ORDER BY r.removal_effect DESC;

\echo
\echo '== Decisions: what did each campaign action lead to? (Q-learning on the campaign log) =='
\echo '   state = segment + funnel stage; Q = immediate reward + 0.9 x the value of where it leads;'
\echo '   the coupon pays most right away, but the learned values show it costs customers later'
CREATE TEMP VIEW campaign_events AS
SELECT customer_id, ts, segment || ' ' || stage AS state, action, reward FROM sample.campaign;
SELECT n.state, n.action, round(t.mean_reward::numeric, 2) AS reward_now,
       round(n.q::numeric, 2) AS q, n.visits, CASE WHEN n.is_best THEN 'best' ELSE '' END AS best
FROM marketiq.next_best_action('campaign_events', 'customer_id', 'ts', 'state', 'action', 'reward') n
JOIN (SELECT v.* FROM (SELECT marketiq.qlearn(state, action, reward, next_state) AS m
                       FROM (SELECT state, action, reward,
                                    lead(state) OVER (PARTITION BY customer_id ORDER BY ts) AS next_state
                             FROM campaign_events) e
                       WHERE action IS NOT NULL) s,
            marketiq.q_values(m) v) t USING (state, action)
ORDER BY n.state, n.q DESC;

\echo
\echo '== Decisions: the next-best-action table for the sample customers (first 15) =='
\echo '   each customer''s current state (latest row, no action yet) and the action the policy picks'
CREATE TEMP TABLE campaign_policy AS
SELECT state, action, q FROM marketiq.next_best_action('campaign_events', 'customer_id', 'ts', 'state', 'action', 'reward')
WHERE is_best;
CREATE TEMP TABLE customer_nba AS
SELECT c.customer_id, c.segment, c.stage, p.action AS next_best_action, round(p.q::numeric, 2) AS expected_value
FROM (SELECT DISTINCT ON (customer_id) customer_id, segment, stage, segment || ' ' || stage AS state
      FROM sample.campaign ORDER BY customer_id, ts DESC) c
LEFT JOIN campaign_policy p USING (state);
SELECT * FROM customer_nba ORDER BY customer_id LIMIT 15;

\echo
\echo '== Decisions: how many customers get each action next =='
SELECT segment, stage, next_best_action, count(*) AS customers, min(expected_value) AS expected_value
FROM customer_nba GROUP BY segment, stage, next_best_action ORDER BY segment, stage;
