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

-- ---------------------------------------------------------------- budget allocation (issue 12)
\echo
\echo '== Budget allocation: response curves per channel (52 weeks of spend and credited revenue) =='
\echo '   revenue per week = a * spend^b; b < 1 means diminishing returns; see README "Budget allocation"'
\set QUIET on
CREATE TEMP TABLE demo_curves AS
SELECT channel, marketiq.response_curve(cost, revenue) AS curve,
       avg(cost) AS current_spend, min(cost) AS min_spend, max(cost) AS max_spend
FROM sample.spend_history GROUP BY channel;
SELECT channel,
       round((marketiq.curve_params(curve) ->> 'a')::numeric, 2) AS a,
       round((marketiq.curve_params(curve) ->> 'b')::numeric, 3) AS b,
       round((marketiq.curve_params(curve) ->> 'r2')::numeric, 2) AS r2,
       round(current_spend::numeric, 0) AS weekly_spend,
       round(marketiq.predict_outcome(curve, current_spend)::numeric, 0) AS weekly_revenue,
       round(marketiq.marginal_return(curve, current_spend)::numeric, 2) AS revenue_per_extra_dollar
FROM demo_curves ORDER BY revenue_per_extra_dollar DESC;

\echo
\echo '== Budget allocation: the same weekly budget split for the most revenue (each channel kept within the spends seen) =='
SELECT array_agg(min_spend ORDER BY channel COLLATE "C") AS demo_mins,
       array_agg(max_spend ORDER BY channel COLLATE "C") AS demo_caps,
       sum(current_spend) AS demo_budget
FROM demo_curves \gset
CREATE TEMP TABLE demo_plan AS
SELECT * FROM marketiq.budget_plan('sample.spend_history', 'channel', 'cost', 'revenue', :demo_budget,
                                   min_spend => :'demo_mins', max_spend => :'demo_caps');
SELECT p.channel,
       round(c.current_spend::numeric, 0) AS current_spend,
       round(p.spend::numeric, 0) AS planned_spend,
       round((100 * (p.spend / c.current_spend - 1))::numeric, 0) AS change_pct,
       round(marketiq.predict_outcome(c.curve, c.current_spend)::numeric, 0) AS current_revenue,
       round(p.expected_outcome::numeric, 0) AS planned_revenue,
       round(p.marginal_return::numeric, 2) AS marginal_return
FROM demo_plan p JOIN demo_curves c USING (channel)
ORDER BY p.spend DESC;
\echo '   the expected gain of the plan over the current split of the same budget:'
SELECT round(:demo_budget::numeric, 0) AS weekly_budget,
       round(sum(marketiq.predict_outcome(c.curve, c.current_spend))::numeric, 0) AS revenue_current_split,
       round(sum(p.expected_outcome)::numeric, 0) AS revenue_planned,
       round((100 * (sum(p.expected_outcome) / sum(marketiq.predict_outcome(c.curve, c.current_spend)) - 1))::numeric, 1) AS gain_pct
FROM demo_plan p JOIN demo_curves c USING (channel);
\set QUIET off
