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
