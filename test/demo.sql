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
\echo '== Fits: what drives conversion and spend (linear and logistic regression) =='
\echo 'Per user: touches per channel, and whether the user converted at least once.'
CREATE TEMP TABLE fits_user_exposure AS
SELECT user_id,
       count(*) FILTER (WHERE channel = 'paid_search')    AS paid_search,
       count(*) FILTER (WHERE channel = 'organic_search') AS organic_search,
       count(*) FILTER (WHERE channel = 'social')         AS social,
       count(*) FILTER (WHERE channel = 'email')          AS email,
       count(*) FILTER (WHERE channel = 'display')        AS display,
       count(*) FILTER (WHERE channel = 'affiliate')      AS affiliate,
       count(*) FILTER (WHERE channel = 'referral')       AS referral,
       count(*) FILTER (WHERE channel = 'direct')         AS direct,
       bool_or(converted)                                 AS converted
FROM sample.touchpoints
GROUP BY user_id;

\echo
\echo 'Conversion propensity: logistic regression of converted on the eight exposure counts.'
\echo 'odds_ratio = factor on the odds of converting per extra touch of that channel.'
CREATE TEMP TABLE fits_models AS
SELECT 'conversion propensity'::text AS name,
       marketiq.logreg(converted, ARRAY[paid_search, organic_search, social, email, display,
                                        affiliate, referral, direct]) AS model
FROM fits_user_exposure;
SELECT coalesce(f.feature, '(intercept)') AS term,
       round(c.coef::numeric, 4) AS log_odds,
       round(o.odds_ratio::numeric, 3) AS odds_ratio,
       round(o.ci_lower::numeric, 3) AS ci_95_lower,
       round(o.ci_upper::numeric, 3) AS ci_95_upper,
       round(c.p_value::numeric, 4) AS p_value
FROM fits_models m,
     marketiq.coefficients(m.model) c
     JOIN marketiq.odds_ratios(m.model) o USING (term)
     LEFT JOIN unnest(ARRAY['paid_search', 'organic_search', 'social', 'email', 'display',
                            'affiliate', 'referral', 'direct']) WITH ORDINALITY AS f(feature, term) USING (term)
WHERE m.name = 'conversion propensity'
ORDER BY c.term;
SELECT n, round(pseudo_r2::numeric, 4) AS pseudo_r2, round(aic::numeric, 1) AS aic,
       round(llr::numeric, 1) AS llr_chi2, llr_p_value < 1e-10 AS slopes_matter, iterations, converged, separation
FROM fits_models m, marketiq.fit_stats(m.model)
WHERE m.name = 'conversion propensity';

\echo
\echo 'The same model by logreg_train, one aggregate pass per Newton iteration (for tables that'
\echo 'do not fit in memory): the same coefficients.'
SELECT max(abs(a.coef - b.coef) / abs(b.coef)) < 1e-9 AS same_coefficients
FROM fits_models m,
     marketiq.coefficients(m.model) a
     JOIN marketiq.coefficients(marketiq.logreg_train('fits_user_exposure', 'converted',
          ARRAY['paid_search', 'organic_search', 'social', 'email', 'display', 'affiliate',
                'referral', 'direct'])) b USING (term)
WHERE m.name = 'conversion propensity';

\echo
\echo 'Scoring in a view: the five users not yet converted who are most likely to convert.'
CREATE TEMP VIEW fits_propensity AS
SELECT u.user_id,
       marketiq.predict(m.model, ARRAY[paid_search, organic_search, social, email, display,
                                       affiliate, referral, direct]) AS p_convert
FROM fits_user_exposure u, fits_models m
WHERE m.name = 'conversion propensity' AND NOT u.converted;
SELECT user_id, round(p_convert::numeric, 3) AS p_convert
FROM fits_propensity ORDER BY p_convert DESC, user_id LIMIT 5;

\echo
\echo 'Spend: linear regression of a customer''s total spend on orders and weeks between first and'
\echo 'last order (coef = spend per extra order, per extra week).'
SELECT coalesce(f.feature, '(intercept)') AS term, round(c.coef::numeric, 3) AS coef,
       round(c.std_err::numeric, 3) AS std_err, round(c.statistic::numeric, 2) AS t,
       round(c.p_value::numeric, 4) AS p_value
FROM marketiq.coefficients((
         SELECT marketiq.linreg(total, ARRAY[orders, weeks])
         FROM (SELECT customer_id, sum(amount) AS total, count(*)::float8 AS orders,
                      extract(epoch FROM max(ts) - min(ts)) / 604800 AS weeks
               FROM sample.orders GROUP BY customer_id) s)) c
     LEFT JOIN unnest(ARRAY['orders', 'weeks']) WITH ORDINALITY AS f(feature, term) USING (term)
ORDER BY c.term;
SELECT n, round(r2::numeric, 4) AS r2, round(adj_r2::numeric, 4) AS adj_r2,
       round(residual_std_error::numeric, 2) AS residual_std_error, round(condition_number::numeric, 1) AS condition_number
FROM marketiq.fit_stats((
         SELECT marketiq.linreg(total, ARRAY[orders, weeks])
         FROM (SELECT customer_id, sum(amount) AS total, count(*)::float8 AS orders,
                      extract(epoch FROM max(ts) - min(ts)) / 604800 AS weeks
               FROM sample.orders GROUP BY customer_id) s));

\echo
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

\echo
-- ---------------------------------------------------------------- budget allocation (issue 12)
\echo
\echo '== Budget allocation: response curves per channel (52 weeks of spend and credited revenue) =='
\echo '   revenue per week = a * spend^b; b < 1 means diminishing returns; see README "Budget allocation"'
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

\echo
-- ---------------------------------------------------------------- segments and monitoring (issue 11)
-- (RFM recency counts calendar days in the session's time zone: fix it)
SET TimeZone = 'UTC';
\echo
\echo '== Segments: choosing k for k-means on the customers'' RFM features (marketiq.kmeans_elbow) =='
\echo '   features: recency (days), orders, total spend, standardised; inertia falls with k, the silhouette peaks'
CREATE TEMP TABLE demo_rfm AS
SELECT customer, recency, frequency, monetary, ARRAY[recency, frequency, monetary]::float8[] AS rfm
FROM marketiq.rfm_report('sample.orders', 'customer_id', 'ts', 'amount', as_of => '2026-01-01');
SELECT k, round(inertia::numeric, 1) AS inertia, round(silhouette::numeric, 3) AS silhouette
FROM marketiq.kmeans_elbow('demo_rfm', 'rfm', 2, 8);

\echo
\echo '== Segments: four k-means segments, each with its mean R, F, M and its most common RFM segment =='
CREATE TEMP TABLE demo_segments AS SELECT marketiq.kmeans('demo_rfm', 'rfm', 4) AS model;
SELECT marketiq.assign_cluster(s.model, d.rfm) AS segment, count(*) AS customers,
       round(avg(d.recency)) AS mean_recency_days, round(avg(d.frequency), 1) AS mean_orders,
       round(avg(d.monetary)::numeric, 2) AS mean_spend,
       mode() WITHIN GROUP (ORDER BY r.segment) AS typical_rfm_segment
FROM demo_rfm d
JOIN marketiq.rfm_report('sample.orders', 'customer_id', 'ts', 'amount', as_of => '2026-01-01') r USING (customer),
     demo_segments s
GROUP BY 1 ORDER BY 1;
SELECT st.iterations, st.converged, round(st.inertia::numeric, 1) AS inertia,
       round(st.silhouette::numeric, 3) AS silhouette, st.silhouette_sample
FROM demo_segments, marketiq.kmeans_stats(model) st;

\echo
\echo '== Monitoring: anomalies in daily touches and conversions per channel (marketiq.detect_anomalies, ewma) =='
\echo '   each day scored against the days before it only; expected and limits from an EWMA over ~4 weeks'
CREATE TEMP TABLE demo_channel_daily AS
SELECT c.channel, d::date AS day, count(t.user_id) AS touches,
       count(t.user_id) FILTER (WHERE t.converted) AS conversions
FROM (SELECT DISTINCT channel FROM sample.touchpoints) c
CROSS JOIN generate_series(date '2026-01-01', date '2026-03-31', interval '1 day') d
LEFT JOIN sample.touchpoints t ON t.channel = c.channel AND t.ts >= d AND t.ts < d + interval '1 day'
GROUP BY c.channel, d;
SELECT a.kpi, a.group_key AS channel, a.ts::date AS day, a.value, round(a.expected::numeric, 1) AS expected,
       round(a.lower::numeric, 1) AS lower, round(a.upper::numeric, 1) AS upper,
       round(a.score::numeric, 1) AS score, a.direction
FROM (SELECT 'touches' AS kpi, * FROM marketiq.detect_anomalies('demo_channel_daily', 'day', 'touches', 'channel', 'ewma')
      UNION ALL
      SELECT 'conversions', * FROM marketiq.detect_anomalies('demo_channel_daily', 'day', 'conversions', 'channel', 'ewma')) a
WHERE a.is_anomaly
ORDER BY a.ts, a.kpi, a.group_key;
\echo 'Days flagged per method (90 days x 8 channels). The sample traffic ramps up and down with no weekly cycle;'
\echo 'a seasonal window of 8 weeks (all 90 days allow) is itself noisy, and on low counts the MAD is often 0:'
SELECT m.kpi, count(*) FILTER (WHERE a.is_anomaly AND m.method = 'mad') AS mad,
       count(*) FILTER (WHERE a.is_anomaly AND m.method = 'seasonal') AS seasonal_8x7,
       count(*) FILTER (WHERE a.is_anomaly AND m.method = 'ewma') AS ewma
FROM (VALUES ('touches', 'mad', 28, NULL::int), ('touches', 'seasonal', 8, 7), ('touches', 'ewma', 28, NULL),
             ('conversions', 'mad', 28, NULL), ('conversions', 'seasonal', 8, 7), ('conversions', 'ewma', 28, NULL))
     AS m(kpi, method, w, season),
     LATERAL marketiq.detect_anomalies('demo_channel_daily', 'day', m.kpi, 'channel', m.method, m.w, m.season) a
GROUP BY m.kpi ORDER BY m.kpi DESC;
RESET TimeZone;

\echo
-- ---------------------------------------------------------------- embeddings (issue 10)
\echo
\echo '== Embeddings: customer feedback as vectors, kept in sync (marketiq.embed_column) =='
\echo 'sample.feedback: comments in English and Chinese; embed_column adds body_embedding, queues every'
\echo 'row, and process_embeddings() embeds them now (the background worker would do it by itself).'
SELECT marketiq.embed_column('sample.feedback', 'body') AS queued;
SELECT marketiq.process_embeddings() AS embedded;
SELECT tbl, text_col, embedding_col, provider, dims, embedded, pending, failed FROM marketiq.embedding_status;

\echo
\echo 'Similarity search: the five comments closest to "package lost, I want my money back".'
SELECT feedback_id, body, round(marketiq.cosine_similarity(body_embedding,
           (SELECT marketiq.embed('package lost, I want my money back')))::numeric, 3) AS similarity
FROM sample.feedback
ORDER BY similarity DESC, feedback_id
LIMIT 5;

\echo
\echo 'A sentiment classifier: logistic regression on 64-dimension embeddings (fewer features than'
\echo 'training rows), trained on 2/3 of the comments and tested on the other 1/3.'
CREATE TEMP TABLE demo_sentiment AS
SELECT marketiq.logreg(positive, marketiq.embed(body, dims => 64)::float8[]) AS model
FROM sample.feedback WHERE feedback_id % 3 <> 0;
SELECT count(*) AS held_out,
       round(avg(((marketiq.predict(model, marketiq.embed(body, dims => 64)::float8[]) > 0.5) = positive)::int), 3) AS accuracy,
       round(greatest(avg(positive::int), 1 - avg(positive::int)), 3) AS always_guess_majority
FROM sample.feedback, demo_sentiment WHERE feedback_id % 3 = 0;
SELECT t AS new_comment,
       round(marketiq.predict(model, marketiq.embed(t, dims => 64)::float8[])::numeric, 3) AS p_positive
FROM demo_sentiment, unnest(ARRAY['Arrived early and the staff were friendly.',
                                  'Still waiting for weeks, I want a refund.',
                                  '物流很快，质量很好。', '客服态度差，我要退款。']) t;
