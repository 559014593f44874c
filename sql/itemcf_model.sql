-- itemcf_model: marketiq.item_cf (aggregates) -> marketiq.itemcf, the similarity measures worked
-- by hand, the readers on a tiny example, model values, bad input and the size guard
-- (src/itemcf/itemcf_model.c, itemcf_read.c).

-- ---------------------------------------------------------------- a hand-worked example
-- Four baskets (user: item rating, ...) and two that are skipped:
--   u1: a 5, b 3, c 4    u2: a 4, b 2    u3: b 1, c 5, d 4    u4: a 2, c 5    u5: NULL   u6: {}
-- Items: a (u1,u2,u4: 5,4,2), b (u1,u2,u3: 3,2,1), c (u1,u3,u4: 4,5,5), d (u3: 4).
-- User means (adjusted cosine): u1 4, u2 3, u3 10/3, u4 3.5.
-- Pairs and their common users: ab {u1,u2}, ac {u1,u4}, bc {u1,u3}, bd {u3}, cd {u3}.
-- By hand (x = ratings of the first item, y of the second, over the common users):
--   cosine (rated)   ab 23/sqrt(45*14) = 0.916341933823   ac 30/sqrt(45*66) = 0.550481882563
--                    bc 17/sqrt(14*66) = 0.559258940716   bd 4/sqrt(14*16) = 0.267261241912
--                    cd 20/sqrt(66*16) = 0.615457454897
--   cosine (implicit) n_ij/sqrt(n_i n_j): ab ac bc 2/3, bd cd 1/sqrt(3) = 0.577350269190
--   jaccard          ab ac bc 2/(3+3-2) = 0.5, bd cd 1/(3+1-1) = 1/3
--   pearson          ab x (5,4) y (3,2): +1; ac (5,2) (4,5): -1; bc (3,1) (4,5): -1;
--                    bd, cd: one common user, 0
--   adjusted cosine  ab x' (1,1) y' (-1,-1): -1; ac (1,-1.5) (0,1.5): -2.25/sqrt(3.25*2.25)
--                    = -0.832050294338; bc (-1,-7/3) (0,5/3): -7/sqrt(58) = -0.919145030018;
--                    bd (-7/3) (2/3): -1; cd (5/3) (2/3): +1
--   msd              ab 1/(1+(4+4)/2) = 0.2; ac 1/(1+(1+9)/2) = 1/6; bc 1/(1+(1+16)/2) = 2/19
--                    = 0.105263157895; bd 1/(1+9) = 0.1; cd 1/(1+1) = 0.5
-- Readers list positive similarities only.
CREATE TEMP TABLE hand (u text, items text[], ratings float8[]);
INSERT INTO hand VALUES ('u1', '{a,b,c}', '{5,3,4}'), ('u2', '{a,b}', '{4,2}'), ('u3', '{b,c,d}', '{1,5,4}'),
                        ('u4', '{a,c}', '{2,5}'), ('u5', NULL, NULL), ('u6', '{}', '{}');
CREATE TEMP TABLE hm AS SELECT marketiq.item_cf(items) AS imp, marketiq.item_cf(items, ratings) AS rat FROM hand;
-- the model values: per item users and rating sums, per pair (CSR over i < j) the sums
SELECT imp::text FROM hm;
SELECT jsonb_pretty(rat::text::jsonb - 'kind' - 'format') FROM hm;
SELECT s.* FROM hm, marketiq.summary(imp) s;
SELECT s.* FROM hm, marketiq.summary(rat) s;
SELECT s.item, s.users, s.share, round(s.mean_rating::numeric, 12) AS mean_rating, s.neighbors
FROM hm, marketiq.item_stats(rat) s;
-- every pair under every measure (item_similarities lists both directions: a < b shown)
SELECT m.measure, s.item, s.neighbor, round(s.similarity::numeric, 12) AS similarity, s.support
FROM hm, (VALUES (1, 'cosine'), (2, 'jaccard'), (3, 'pearson'), (4, 'adjusted_cosine'), (5, 'msd')) AS m(o, measure),
     marketiq.item_similarities(rat, 10, m.measure) s
WHERE s.item < s.neighbor
ORDER BY m.o, s.item, s.neighbor;
SELECT m.measure, s.item, s.neighbor, round(s.similarity::numeric, 12) AS similarity
FROM hm, (VALUES (1, 'cosine'), (2, 'jaccard'), (3, 'pearson'), (4, 'adjusted_cosine'), (5, 'msd')) AS m(o, measure),
     marketiq.item_similarities(imp, 10, m.measure) s
WHERE s.item < s.neighbor
ORDER BY m.o, s.item, s.neighbor;
-- similar_items: best first; min_support 2 drops bd; shrinkage 2 scales ab by 2/(2+2): 0.458170966912
SELECT item, similarity, support FROM hm, marketiq.similar_items(rat, 'b', similarity => 'cosine');
SELECT item, similarity, support FROM hm, marketiq.similar_items(rat, 'b', min_support => 2);
SELECT item, round(similarity::numeric, 12) AS similarity FROM hm, marketiq.similar_items(rat, 'a', 1, 'cosine', 1, 2);
-- ties (equal float8 values) go by item name: b and c are both 2/3 from a
SELECT item, similarity, support FROM hm, marketiq.similar_items(imp, 'a');
SELECT item, similarity, support FROM hm, marketiq.similar_items(imp, 'a', k => 1);
-- an unknown item has no neighbours
SELECT count(*) AS unknown FROM hm, marketiq.similar_items(imp, 'zzz');

-- recommend: a user with {b, d}, implicit cosine.  b's neighbours a 2/3, c 2/3, d 1/sqrt(3);
-- d's: b 1/sqrt(3), c 1/sqrt(3).  Scores: c 2/3 + 1/sqrt(3) = 1.244016935856, a 2/3; b and d are
-- the user's own (with exclude_seen false: 1/sqrt(3) each, from each other).
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{b,d}');
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{b,d}', exclude_seen => false);
-- k = 1: b's nearest is a (tied with c at 2/3, a first by name), d's nearest is b (tied with c):
-- only a scores (b is seen)
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{b,d}', k => 1);
-- weights: 2 on b, 0.5 on d: c 2 * 2/3 + 0.5/sqrt(3) = 1.622008467928, a 4/3; n = 1 keeps the best
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{b,d}', '{2,0.5}');
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{b,d}', '{2,0.5}', n => 1);
-- negative weights can push a score to <= 0, which leaves it out: c -2/3 + 1/sqrt(3) < 0
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{b,d}', '{-1,1}');
-- unknown items are ignored; a repeated item counts once per occurrence (weights add up)
SELECT item, round(score::numeric, 12) AS score FROM hm, marketiq.recommend(imp, '{zzz,b,d,b}');
-- NULL model or items: no rows; an empty basket: no rows
SELECT count(*) FROM marketiq.recommend(NULL, '{a}');
SELECT count(*) FROM hm, marketiq.recommend(imp, NULL);
SELECT count(*) FROM hm, marketiq.recommend(imp, '{}');

-- predict_rating (KNNWithMeans): means a 11/3, b 2, c 14/3.  A user with b 3, c 4 predicting a,
-- msd: 11/3 + (0.2 (3 - 2) + 1/6 (4 - 14/3)) / (0.2 + 1/6) = 129/33 = 3.909090909091.
-- k = 1 keeps b only: 11/3 + 1 = 14/3; pearson: only b is positive (+1): 14/3; min_k = 2 with
-- k = 2: both; adjusted_cosine: no positive neighbour, the mean 11/3.
SELECT round(marketiq.predict_rating(rat, '{b,c}', '{3,4}', 'a')::numeric, 12) AS msd,
       round(marketiq.predict_rating(rat, '{b,c}', '{3,4}', 'a', k => 1)::numeric, 12) AS msd_k1,
       round(marketiq.predict_rating(rat, '{b,c}', '{3,4}', 'a', similarity => 'pearson')::numeric, 12) AS pearson,
       round(marketiq.predict_rating(rat, '{b,c}', '{3,4}', 'a', 2, 'msd', 2)::numeric, 12) AS min_k2,
       round(marketiq.predict_rating(rat, '{b,c}', '{3,4}', 'a', 2, 'pearson', 2)::numeric, 12) AS pearson_min_k2,
       round(marketiq.predict_rating(rat, '{b,c}', '{3,4}', 'a', similarity => 'adjusted_cosine')::numeric, 12) AS adjusted
FROM hm;
-- the item itself and unknown items are ignored; an unknown item to predict is NULL; no
-- ratings at all give the item's mean
SELECT round(marketiq.predict_rating(rat, '{a,zzz,b,c}', '{1,1,3,4}', 'a')::numeric, 12) AS ignored,
       marketiq.predict_rating(rat, '{b}', '{3}', 'zzz') AS unknown,
       round(marketiq.predict_rating(rat, '{}', '{}', 'a')::numeric, 12) AS no_ratings
FROM hm;

-- one model per group
SELECT g, s.item, round(s.similarity::numeric, 12) AS similarity
FROM (SELECT g, marketiq.item_cf(items) AS m
      FROM (VALUES (1, '{x,y}'::text[]), (1, '{x,y,z}'), (2, '{x,z}')) AS t(g, items) GROUP BY g) s0,
     marketiq.similar_items(m, 'x') s
ORDER BY g, s.similarity DESC, s.item;

-- ------------------------------------------------------------------- model values
-- text and binary round trips are exact
SELECT imp::text::marketiq.itemcf::text = imp::text AS implicit_text, rat::text::marketiq.itemcf::text = rat::text AS rated_text FROM hm;
SELECT '/tmp/marketiq_itemcf_' || current_setting('port') || '.bin' AS binfile \gset
COPY (SELECT imp, rat FROM hm) TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE hm_copy (imp marketiq.itemcf, rat marketiq.itemcf);
COPY hm_copy FROM :'binfile' (FORMAT binary);
SELECT c.imp::text = h.imp::text AND c.rat::text = h.rat::text AS binary_roundtrip FROM hm_copy c, hm h;
-- a hand-written model reads like a built one
SELECT * FROM marketiq.similar_items('{"kind":"itemcf","format":1,"rated":0,"baskets":2,"skipped_baskets":0,
  "interactions":4,"items":["p","q","r"],"item_users":[2,1,1],"item_sum":[2,1,1],"item_sumsq":[2,1,1],
  "pair_start":[0,2,2,2],"pair_item":[1,2],"pair_users":[1,1],"pair_sum_x":[],"pair_sum_y":[],
  "pair_sum_xx":[],"pair_sum_yy":[],"pair_sum_xy":[],"pair_sum_xc":[],"pair_sum_yc":[],
  "pair_sum_xxc":[],"pair_sum_yyc":[],"pair_sum_xyc":[]}'::marketiq.itemcf, 'p', similarity => 'jaccard');
-- malformed values are rejected with the reason: items out of order, a pair below the diagonal,
-- more common users than an item has, interactions that do not add up, rated sections on an
-- implicit model
SELECT '{"kind":"itemcf","format":1,"rated":0,"baskets":2,"skipped_baskets":0,"interactions":4,
  "items":["q","p","r"],"item_users":[2,1,1],"item_sum":[2,1,1],"item_sumsq":[2,1,1],"pair_start":[0,0,0,0],
  "pair_item":[],"pair_users":[],"pair_sum_x":[],"pair_sum_y":[],"pair_sum_xx":[],"pair_sum_yy":[],
  "pair_sum_xy":[],"pair_sum_xc":[],"pair_sum_yc":[],"pair_sum_xxc":[],"pair_sum_yyc":[],"pair_sum_xyc":[]}'::marketiq.itemcf;
SELECT '{"kind":"itemcf","format":1,"rated":0,"baskets":2,"skipped_baskets":0,"interactions":4,
  "items":["p","q","r"],"item_users":[2,1,1],"item_sum":[2,1,1],"item_sumsq":[2,1,1],"pair_start":[0,0,1,1],
  "pair_item":[0],"pair_users":[1],"pair_sum_x":[],"pair_sum_y":[],"pair_sum_xx":[],"pair_sum_yy":[],
  "pair_sum_xy":[],"pair_sum_xc":[],"pair_sum_yc":[],"pair_sum_xxc":[],"pair_sum_yyc":[],"pair_sum_xyc":[]}'::marketiq.itemcf;
SELECT '{"kind":"itemcf","format":1,"rated":0,"baskets":2,"skipped_baskets":0,"interactions":4,
  "items":["p","q","r"],"item_users":[2,1,1],"item_sum":[2,1,1],"item_sumsq":[2,1,1],"pair_start":[0,1,1,1],
  "pair_item":[1],"pair_users":[2],"pair_sum_x":[],"pair_sum_y":[],"pair_sum_xx":[],"pair_sum_yy":[],
  "pair_sum_xy":[],"pair_sum_xc":[],"pair_sum_yc":[],"pair_sum_xxc":[],"pair_sum_yyc":[],"pair_sum_xyc":[]}'::marketiq.itemcf;
SELECT '{"kind":"itemcf","format":1,"rated":0,"baskets":2,"skipped_baskets":0,"interactions":5,
  "items":["p","q","r"],"item_users":[2,1,1],"item_sum":[2,1,1],"item_sumsq":[2,1,1],"pair_start":[0,0,0,0],
  "pair_item":[],"pair_users":[],"pair_sum_x":[],"pair_sum_y":[],"pair_sum_xx":[],"pair_sum_yy":[],
  "pair_sum_xy":[],"pair_sum_xc":[],"pair_sum_yc":[],"pair_sum_xxc":[],"pair_sum_yyc":[],"pair_sum_xyc":[]}'::marketiq.itemcf;
SELECT '{"kind":"itemcf","format":1,"rated":0,"baskets":2,"skipped_baskets":0,"interactions":4,
  "items":["p","q","r"],"item_users":[2,1,1],"item_sum":[2,1,1],"item_sumsq":[2,1,1],"pair_start":[0,1,1,1],
  "pair_item":[1],"pair_users":[1],"pair_sum_x":[1],"pair_sum_y":[],"pair_sum_xx":[],"pair_sum_yy":[],
  "pair_sum_xy":[],"pair_sum_xc":[],"pair_sum_yc":[],"pair_sum_xxc":[],"pair_sum_yyc":[],"pair_sum_xyc":[]}'::marketiq.itemcf;

-- ---------------------------------------------------------------------- bad input
-- NULL and empty baskets are skipped and counted; no basket at all: NULL
SELECT (s).baskets, (s).skipped_baskets
FROM (SELECT marketiq.summary(marketiq.item_cf(items)) AS s
      FROM (VALUES ('{a,b}'::text[]), (NULL), ('{}'), ('{b}')) AS t(items)) x;
SELECT marketiq.item_cf(items) IS NULL AS no_baskets FROM (VALUES (NULL::text[]), ('{}')) AS t(items);
SELECT marketiq.item_cf(items) IS NULL AS no_rows FROM hand WHERE false;
-- NULL elements, two dimensions, repeated items
SELECT marketiq.item_cf('{a,NULL}'::text[]);
SELECT marketiq.item_cf('{{a,b},{c,d}}'::text[]);
SELECT marketiq.item_cf('{a,b,a}'::text[]);
SELECT marketiq.item_cf('{a,b,a}'::text[], '{1,2,3}');
-- ratings: NULL array with items, NULL element, different length, NaN, infinity
SELECT marketiq.item_cf('{a,b}'::text[], NULL::float8[]);
SELECT marketiq.item_cf('{a,b}'::text[], '{1,NULL}');
SELECT marketiq.item_cf('{a,b}'::text[], '{1}');
SELECT marketiq.item_cf('{a,b}'::text[], '{1,NaN}');
SELECT marketiq.item_cf('{a,b}'::text[], '{1,-Infinity}');
-- reader arguments: unknown similarity, k <= 0, min_support < 1, negative or NaN shrinkage,
-- n <= 0, NULL n, min_k out of range, weights of another length, NaN weights or ratings,
-- a rating list with a repeated item
SELECT item, similarity, support FROM hm, marketiq.similar_items(rat, 'a', similarity => 'euclid');
SELECT item, similarity, support FROM hm, marketiq.similar_items(rat, 'a', 0);
SELECT item, neighbor, similarity FROM hm, marketiq.item_similarities(rat, -1);
SELECT item, similarity, support FROM hm, marketiq.similar_items(rat, 'a', min_support => 0);
SELECT item, similarity, support FROM hm, marketiq.similar_items(rat, 'a', shrinkage => -1);
SELECT item, neighbor, similarity FROM hm, marketiq.item_similarities(rat, shrinkage => 'NaN');
SELECT item, score FROM hm, marketiq.recommend(rat, '{a}', n => 0);
SELECT item, score FROM hm, marketiq.recommend(rat, '{a}', n => NULL);
SELECT item, score FROM hm, marketiq.recommend(rat, '{a}', k => 0);
SELECT item, score FROM hm, marketiq.recommend(rat, '{a}', similarity => 'Cosine');
SELECT item, score FROM hm, marketiq.recommend(rat, '{a,b}', '{1}');
SELECT item, score FROM hm, marketiq.recommend(rat, '{a,b}', '{1,NaN}');
SELECT item, score FROM hm, marketiq.recommend(rat, '{a,NULL}');
SELECT marketiq.predict_rating(rat, '{b}', '{3}', 'a', min_k => 0) FROM hm;
SELECT marketiq.predict_rating(rat, '{b}', '{3}', 'a', k => 3, min_k => 4) FROM hm;
SELECT marketiq.predict_rating(rat, '{b}', '{3}', 'a', k => 0) FROM hm;
SELECT marketiq.predict_rating(rat, '{b,c}', '{3}', 'a') FROM hm;
SELECT marketiq.predict_rating(rat, '{b}', '{Infinity}', 'a') FROM hm;
SELECT marketiq.predict_rating(rat, '{b,c,b}', '{3,4,5}', 'a') FROM hm;
SELECT marketiq.predict_rating(rat, '{b}', '{3}', 'a', similarity => 'none') FROM hm;
-- NULL arguments of the strict readers give NULL or no rows
SELECT marketiq.predict_rating(rat, NULL, '{3}', 'a') IS NULL AS null_items FROM hm;
SELECT count(*) FROM hm, marketiq.similar_items(rat, NULL);
-- the size guard: states that grow past marketiq.max_model_bytes stop with a hint.  One basket
-- of 2,000 items has 1,999,000 pairs (16 MB and more), and 20,000 baskets of 4 items out of
-- 2,000 items (an a, b, c and d item each) about 120,000 pairs (2 MB)
SET marketiq.max_model_bytes = '1MB';
SELECT marketiq.item_cf(items) FROM (SELECT array_agg('i' || i) AS items FROM generate_series(1, 2000) AS i) b;
SELECT marketiq.item_cf(ARRAY['a' || (i % 2000), 'b' || (i * 7 % 2000), 'c' || (i * 13 % 2000), 'd' || (i * 17 % 2000)])
FROM generate_series(1, 20000) AS i;
RESET marketiq.max_model_bytes;
-- long baskets are fine: one basket of 1,000 items has 499,500 pairs, each with one user
SELECT (s).pairs, (s).interactions
FROM (SELECT marketiq.summary(marketiq.item_cf(items)) AS s
      FROM (SELECT array_agg('i' || i) AS items FROM generate_series(1, 1000) AS i) b) x;
