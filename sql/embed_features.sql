-- embed_features: embeddings as features.  A logistic regression (marketiq.logreg, issue 4) on
-- the builtin embeddings of generated, labelled customer feedback in English and Chinese ("great
-- service" vs "late delivery, refund"; 15% of texts borrow a phrase of the other sentiment and 8%
-- of labels are flipped, so the task is learnable but not trivial) predicts held-out texts far
-- better than chance.
-- Reference: test/reference/embed_features.py (statsmodels Logit on the same texts embedded by the
-- independent Python embedder, 32 dims): pseudo R2 0.508, 171 of 200 held-out texts right
-- (accuracy 0.855), majority baseline 0.505.

-- the texts: every random choice is a hash of the row id (never random())
CREATE FUNCTION pg_temp.u(k bigint, s int) RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT (((hashint8extended(k, s) >> 11) & 9007199254740991)::float8 + 0.5) / 9007199254740992.0 $$;
CREATE FUNCTION pg_temp.pick(a text[], x float8) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT a[1 + floor(x * array_length(a, 1))::int] $$;
CREATE TABLE emb_feedback AS
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
    SELECT i AS id, pg_temp.u(i, 1) < 0.3 AS zh, pg_temp.u(i, 2) < 0.55 AS happy
    FROM generate_series(1, 600) i
), parts AS (
    SELECT b.id, b.zh, b.happy, x.j, x.phrase
    FROM base b
    CROSS JOIN LATERAL (VALUES
        (1, pg_temp.pick((SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy = b.happy), pg_temp.u(b.id, 3))),
        (2, pg_temp.pick((SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy = b.happy), pg_temp.u(b.id, 4))),
        (3, pg_temp.pick((SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy IS NULL), pg_temp.u(b.id, 5))),
        (4, CASE WHEN pg_temp.u(b.id, 6) < 0.15
                 THEN pg_temp.pick((SELECT phrases FROM ph WHERE ph.zh = b.zh AND ph.happy = NOT b.happy), pg_temp.u(b.id, 7)) END)
    ) x(j, phrase)
    WHERE x.phrase IS NOT NULL
)
SELECT id, zh,
       string_agg(phrase, CASE WHEN zh THEN '，' ELSE ', ' END ORDER BY pg_temp.u(id * 8 + j, 8))
         || CASE WHEN zh THEN '。' ELSE '.' END AS body,
       CASE WHEN pg_temp.u(id, 9) < 0.08 THEN NOT happy ELSE happy END AS positive
FROM parts GROUP BY id, zh, happy;
ALTER TABLE emb_feedback ADD PRIMARY KEY (id);
SELECT zh, positive, count(*) FROM emb_feedback GROUP BY 1, 2 ORDER BY 1, 2;
SELECT id, body, positive FROM emb_feedback WHERE id IN (1, 5, 7) ORDER BY id;

-- embed the column (by the builtin embedder, 32 dimensions) and train on two thirds
SELECT marketiq.embed_column('emb_feedback', 'body', dims => 32);
SELECT marketiq.process_embeddings() AS embedded;
CREATE TEMP TABLE sentiment AS
SELECT marketiq.logreg(positive, body_embedding::float8[]) AS model FROM emb_feedback WHERE id % 3 <> 0;
SELECT n, k, converged, separation, round(pseudo_r2::numeric, 3) AS pseudo_r2
FROM marketiq.fit_stats((SELECT model FROM sentiment));

-- the held-out third: 171 of 200 right as in the reference, far above the majority baseline
SELECT count(*) AS held_out,
       count(*) FILTER (WHERE (marketiq.predict(s.model, body_embedding::float8[]) > 0.5) = positive) AS correct,
       round(greatest(avg(positive::int), 1 - avg(positive::int)), 3) AS majority_baseline,
       avg(((marketiq.predict(s.model, body_embedding::float8[]) > 0.5) = positive)::int)
         > greatest(avg(positive::int), 1 - avg(positive::int)) + 0.2 AS far_better_than_chance
FROM emb_feedback, sentiment s WHERE id % 3 = 0;

-- new texts, scored through embed() with the same settings
SELECT t, marketiq.predict(s.model, marketiq.embed(t, dims => 32)::float8[]) > 0.5 AS predicted_positive
FROM sentiment s, unnest(ARRAY['Fast delivery and friendly staff, love it.', 'The package was lost, I want a refund.',
                              '物流很快，非常满意。', '太贵了，质量很差。']) t;

SELECT marketiq.drop_embedding_column('emb_feedback', 'body_embedding');
DROP TABLE emb_feedback;
