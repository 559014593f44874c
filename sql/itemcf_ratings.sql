-- itemcf_ratings: explicit ratings on a held-out split.  500 users rate items m00..m59 from a
-- latent-factor model (user and item biases, one factor, noise, rounded to 1..5 stars); each
-- user with at least 3 ratings has the last item drawn held out.  The model is built from the
-- rest, and predict_rating() predicts every held-out rating from the user's training ratings.
-- Its RMSE and MAE must beat those of the item means alone.
-- Reference: test/reference/itemcf_reference.py (the same data from the same integer LCG, a
-- dense numpy implementation of KNNWithMeans), run as
--   /usr/bin/python3 test/reference/itemcf_reference.py
-- which prints (500 users, 5,902 training ratings, 500 held out):
--   msd              k=40  rmse 0.560026655505 mae 0.444398361041
--   cosine           k=40  rmse 0.682946943312 mae 0.543494560955
--   pearson          k=40  rmse 0.407703877335 mae 0.314916783504
--   adjusted_cosine  k=40  rmse 0.414550614860 mae 0.305104781311
--   msd              k=10  rmse 0.520230940229 mae 0.405710986158
--   item means alone       rmse 0.691451569483 mae 0.611583561261
CREATE FUNCTION pg_temp.mix(x bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
AS $$ SELECT (x * 1103515245 + 12345) % 2147483648 $$;
CREATE FUNCTION pg_temp.unif(x bigint) RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT pg_temp.mix(pg_temp.mix(x))::float8 / 2147483648 $$;
CREATE TEMP TABLE ratings AS
WITH draws AS (
    SELECT u, d, floor(60::float8 * pg_temp.unif(u * 64 + d + 900000) * pg_temp.unif(u * 64 + d + 900000))::int AS it
    FROM generate_series(1, 500) AS u,
         LATERAL generate_series(1, (8 + (pg_temp.mix(u + 7777) >> 16) % 13)::int) AS d
), firsts AS (
    SELECT u, it, min(d) AS d FROM draws GROUP BY u, it
)
SELECT u, it, d, 'm' || lpad(it::text, 2, '0') AS item,
       least(5, greatest(1, floor(3 + 1.0 * (pg_temp.unif(u + 300000) - 0.5)
                                    + 1.5 * (pg_temp.unif(it + 400000) - 0.5)
                                    + 1.5 * (2 * pg_temp.unif(u + 100000) - 1) * (2 * pg_temp.unif(it + 200000) - 1)
                                    + 0.8 * (pg_temp.unif(u * 100 + it + 500000) - 0.5) + 0.5)))::float8 AS rating,
       count(*) OVER (PARTITION BY u) >= 3 AND d = max(d) OVER (PARTITION BY u) AS held_out
FROM firsts;
SELECT count(DISTINCT u) AS users, count(*) FILTER (WHERE NOT held_out) AS training,
       count(*) FILTER (WHERE held_out) AS held_out, round(avg(rating)::numeric, 4) AS mean_rating
FROM ratings;
CREATE TEMP TABLE train AS
SELECT u, array_agg(item ORDER BY d) AS items, array_agg(rating ORDER BY d) AS ratings
FROM ratings WHERE NOT held_out GROUP BY u;
CREATE TEMP TABLE m AS SELECT marketiq.item_cf(items, ratings) AS m FROM train;
CREATE TEMP TABLE predictions AS
SELECT c.measure, c.k, t.rating,
       marketiq.predict_rating(m.m, tr.items, tr.ratings, t.item, c.k, c.measure) AS predicted,
       (SELECT mean_rating FROM marketiq.item_stats(m.m) s WHERE s.item = t.item) AS item_mean
FROM ratings t JOIN train tr USING (u), m,
     (VALUES (1, 'msd', 40), (2, 'cosine', 40), (3, 'pearson', 40), (4, 'adjusted_cosine', 40), (5, 'msd', 10)) AS c(o, measure, k)
WHERE t.held_out;
SELECT measure, k, count(predicted) AS predicted,
       round(sqrt(avg((predicted - rating) ^ 2))::numeric, 9) AS rmse,
       round(avg(abs(predicted - rating))::numeric, 9) AS mae,
       round(sqrt(avg((item_mean - rating) ^ 2))::numeric, 9) AS item_means_rmse,
       round(avg(abs(item_mean - rating))::numeric, 9) AS item_means_mae,
       sqrt(avg((predicted - rating) ^ 2)) < sqrt(avg((item_mean - rating) ^ 2))
         AND avg(abs(predicted - rating)) < avg(abs(item_mean - rating)) AS beats_item_means
FROM predictions GROUP BY measure, k ORDER BY min(CASE measure WHEN 'msd' THEN 1 WHEN 'cosine' THEN 2 WHEN 'pearson' THEN 3 ELSE 4 END), k DESC;
