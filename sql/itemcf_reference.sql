-- itemcf_reference: every similarity measure, min_support, shrinkage, recommend() and
-- predict_rating() against an independent implementation: test/reference/itemcf_reference.py
-- (numpy brute force over the dense user x item matrix, written from the definitions), run as
--   /usr/bin/python3 test/reference/itemcf_reference.py
-- which writes test/reference/itemcf_reference.csv, loaded here.  Its 18,977 rows: every
-- positive similarity of every co-occurring pair under 15 (model, measure, min_support,
-- shrinkage) configurations, recommend() for all 300 users under 4 configurations, and
-- predict_rating() for all 300 users and 6 target items under 4 configurations.  Agreement is
-- required to 1e-9 (a pair that only one side lists must have a similarity below 1e-9 on the
-- other), and every ranked list must match item for item.

-- the data: an integer LCG the script reproduces exactly (mix, unif as in the script)
CREATE FUNCTION pg_temp.mix(x bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
AS $$ SELECT (x * 1103515245 + 12345) % 2147483648 $$;
CREATE FUNCTION pg_temp.unif(x bigint) RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT pg_temp.mix(pg_temp.mix(x))::float8 / 2147483648 $$;
-- 300 users with 1 to 10 draws of items i0..i39 (popularity skewed to low numbers), each item
-- once per basket in order of first draw, ratings 1..5
CREATE TEMP TABLE ra AS
SELECT u, array_agg('i' || it ORDER BY d) AS items, array_agg(r ORDER BY d) AS ratings
FROM (SELECT u, it, min(d) AS d, (1 + (pg_temp.mix(u * 1000 + it + 7) >> 12) % 5)::float8 AS r
      FROM (SELECT u, d, floor(40::float8 * pg_temp.unif(u * 64 + d) * pg_temp.unif(u * 64 + d))::int AS it
            FROM generate_series(1, 300) AS u,
                 LATERAL generate_series(1, (1 + (pg_temp.mix(u) >> 16) % 10)::int) AS d) draws
      GROUP BY u, it) s
GROUP BY u;
CREATE TEMP TABLE models AS
SELECT marketiq.item_cf(items) AS implicit, marketiq.item_cf(items, ratings) AS rated FROM ra;
-- (the script: 40 items, 469 co-occurring pairs)
SELECT s.* FROM models, marketiq.summary(implicit) s;

-- read by psql (\copy), not by the server: the server's OS user may not see the checkout
\getenv abs_srcdir PG_ABS_SRCDIR
\cd :abs_srcdir
CREATE TEMP TABLE ref (kind text, config int, a text, b text, rank int, value float8);
\copy ref FROM 'test/reference/itemcf_reference.csv' (FORMAT csv, HEADER)
SELECT kind, count(*) FROM ref GROUP BY kind ORDER BY kind;

-- ------------------------------------------------ 1. every pair, every measure
CREATE TEMP TABLE pair_configs (config int, rated boolean, measure text, min_support int, shrinkage float8);
INSERT INTO pair_configs VALUES
  (1, false, 'cosine', 1, 0), (2, false, 'jaccard', 1, 0), (3, false, 'msd', 1, 0),
  (4, false, 'pearson', 1, 0), (5, false, 'adjusted_cosine', 1, 0),
  (6, true, 'cosine', 1, 0), (7, true, 'jaccard', 1, 0), (8, true, 'pearson', 1, 0),
  (9, true, 'adjusted_cosine', 1, 0), (10, true, 'msd', 1, 0), (11, true, 'cosine', 3, 0),
  (12, true, 'pearson', 2, 10), (13, true, 'msd', 1, 5), (14, true, 'jaccard', 2, 2.5),
  (15, true, 'adjusted_cosine', 3, 1);
CREATE TEMP TABLE got_pairs AS
SELECT c.config, s.item AS a, s.neighbor AS b, s.similarity AS value
FROM pair_configs c, models,
     LATERAL marketiq.item_similarities(CASE WHEN c.rated THEN models.rated ELSE models.implicit END, 1000,
                                        c.measure, c.min_support, c.shrinkage) s
WHERE s.item < s.neighbor COLLATE "C";
-- both directions are listed and agree
SELECT count(*) AS asymmetric
FROM pair_configs c, models,
     LATERAL marketiq.item_similarities(CASE WHEN c.rated THEN models.rated ELSE models.implicit END, 1000,
                                        c.measure, c.min_support, c.shrinkage) s
WHERE NOT EXISTS (SELECT 1 FROM got_pairs g WHERE g.config = c.config AND g.value = s.similarity
                  AND ((g.a, g.b) = (s.item, s.neighbor) OR (g.a, g.b) = (s.neighbor, s.item)));
-- (how many pairs a side lists with a similarity near 0 can depend on rounding, so only the
-- reference's count is shown)
SELECT config, count(r.value) AS reference,
       max(abs(coalesce(g.value, 0) - coalesce(r.value, 0))) < 1e-9 AS agree
FROM got_pairs g FULL JOIN (SELECT config, a, b, value FROM ref WHERE kind = 'pair') r USING (config, a, b)
GROUP BY config ORDER BY config;
-- implicit data under pearson and adjusted_cosine have no positive similarity (configs 4, 5)
SELECT count(*) AS implicit_pearson_pairs FROM got_pairs WHERE config IN (4, 5);

-- ------------------------------------------------ 2. recommend() for every user
CREATE TEMP TABLE rec_configs (config int, rated boolean, measure text, k int, n int,
                               min_support int, shrinkage float8, weighted boolean, exclude_seen boolean);
INSERT INTO rec_configs VALUES
  (1, false, 'cosine', 5, 5, 1, 0, false, true),
  (2, false, 'jaccard', 3, 4, 2, 1.5, false, true),
  (3, true, 'msd', 4, 5, 1, 0, true, true),
  (4, true, 'cosine', 20, 10, 1, 0, false, false);
CREATE TEMP TABLE got_rec AS
SELECT c.config, ra.u::text AS a, r.item AS b, r.ord::int AS rank, r.score AS value
FROM rec_configs c, models, ra,
     LATERAL marketiq.recommend(CASE WHEN c.rated THEN models.rated ELSE models.implicit END, ra.items,
                                CASE WHEN c.weighted THEN ra.ratings END, c.n, c.k, c.measure,
                                c.exclude_seen, c.min_support, c.shrinkage) WITH ORDINALITY AS r(item, score, ord);
SELECT config, count(g.value) AS got, count(r.value) AS reference,
       bool_and(g.b IS NOT DISTINCT FROM r.b) AS same_items,
       max(abs(g.value - r.value)) < 1e-9 AS agree
FROM got_rec g FULL JOIN (SELECT config, a, rank, b, value FROM ref WHERE kind = 'recommend') r
     USING (config, a, rank)
GROUP BY config ORDER BY config;

-- ------------------------------------------------ 3. predict_rating() for every user
CREATE TEMP TABLE pred_configs (config int, measure text, k int, min_k int, min_support int);
INSERT INTO pred_configs VALUES (1, 'msd', 40, 1, 1), (2, 'cosine', 2, 2, 1), (3, 'pearson', 40, 1, 1),
                                (4, 'adjusted_cosine', 3, 1, 2);
SELECT c.config, count(*) AS predictions,
       max(abs(marketiq.predict_rating(rated, ra.items, ra.ratings, t, c.k, c.measure, c.min_k, c.min_support)
               - r.value)) < 1e-9 AS agree,
       count(*) FILTER (WHERE abs(r.value - (SELECT mean_rating FROM marketiq.item_stats(rated) s WHERE s.item = t)) > 1e-9) AS not_the_item_mean
FROM pred_configs c, models, ra, unnest('{i0,i1,i2,i5,i13,i30}'::text[]) AS t
JOIN ref r ON r.kind = 'predict' AND r.b = t
WHERE r.config = c.config AND r.a = ra.u::text
GROUP BY c.config ORDER BY c.config;

-- a few of the reference numbers, for reading: item i1's neighbours and user 7's predictions
SELECT s.item, round(s.similarity::numeric, 12) AS similarity, s.support,
       round(r.value::numeric, 12) AS reference
FROM models, marketiq.similar_items(rated, 'i1', 5, 'pearson') s
LEFT JOIN ref r ON r.kind = 'pair' AND r.config = 8 AND (r.a, r.b) IN (('i1', s.item), (s.item, 'i1'));
SELECT ra.items, ra.ratings,
       round(marketiq.predict_rating(rated, ra.items, ra.ratings, 'i0')::numeric, 12) AS i0_msd,
       round(marketiq.predict_rating(rated, ra.items, ra.ratings, 'i2', similarity => 'pearson')::numeric, 12) AS i2_pearson
FROM models, ra WHERE u = 7;
