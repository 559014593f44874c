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
\echo '== Recommendations: customers who bought X also bought (item-based collaborative filtering) =='
\echo '   sample.purchases: the products each customer bought; see README "Recommendations"'
CREATE TEMP TABLE demo_itemcf AS
SELECT marketiq.item_cf(products) AS m,
       marketiq.item_cf(products, ratings) AS rated
FROM (SELECT customer_id, array_agg(product) AS products, array_agg(rating::float8) AS ratings
      FROM sample.purchases GROUP BY customer_id) baskets;
SELECT x.product AS bought, s.item AS also_bought, round(s.similarity::numeric, 3) AS cosine,
       s.support AS bought_both
FROM demo_itemcf, (VALUES (1, 'espresso machine'), (2, 'teapot'), (3, 'cake tin')) AS x(o, product),
     LATERAL marketiq.similar_items(m, x.product, 3) s
ORDER BY x.o, s.similarity DESC, s.item;

\echo
\echo '== Recommendations: top 5 for a few customers (what they bought, what to show them next) =='
SELECT r.user_id AS customer,
       (SELECT string_agg(product, ', ' ORDER BY product) FROM sample.purchases p
        WHERE p.customer_id::text = r.user_id) AS bought,
       string_agg(r.item || ' (' || round(r.score::numeric, 2) || ')', ', ' ORDER BY r.rank) AS recommended
FROM marketiq.recommendations('sample.purchases', 'customer_id', 'product', n => 5) r
WHERE r.user_id IN ('1', '2', '3', '4')
GROUP BY r.user_id ORDER BY r.user_id::int;

\echo
\echo '== Recommendations: predicted star ratings for customer 1 (KNNWithMeans, msd similarity) =='
SELECT s.item AS product, round(s.mean_rating::numeric, 2) AS average_stars,
       round(marketiq.predict_rating(rated, b.products, b.ratings, s.item)::numeric, 2) AS predicted_for_customer_1
FROM demo_itemcf, marketiq.item_stats(rated) s,
     (SELECT array_agg(product) AS products, array_agg(rating::float8) AS ratings
      FROM sample.purchases WHERE customer_id = 1) b
WHERE s.item <> ALL (b.products)
ORDER BY predicted_for_customer_1 DESC, s.item LIMIT 5;
