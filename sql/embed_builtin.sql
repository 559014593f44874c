-- embed_builtin: the builtin embedder (src/embed/builtin.c) and cosine_similarity.
-- Expected features, hashes, buckets, signs and vectors come from the independent reference
-- test/reference/embed_builtin.py (written from the README's specification), e.g.
--   /usr/bin/python3 test/reference/embed_builtin.py 'go go' 8
-- and are checked by hand where the numbers are small enough (comments below).  The same script
-- with --check compares 340 texts in every script at 1, 7, 64 and 256 dims with a server (0
-- mismatches).

-- ---------------------------------------------------------------- tiny vectors, by hand
-- 'a': one word of one character: the feature "w:a" only (no bigram, no 3-grams).
-- FNV-1a 64 of the bytes "w:a" then fmix64 = 6983340700138825691 (python reference);
-- bucket floor((h mod 2^32) * 8 / 2^32) + 1 = 1, bit 63 clear: sign +1; normalised: {1,0,...}.
SELECT * FROM marketiq.embedding_features('a', 8);
SELECT marketiq.embed('a', dims => 8);

-- 'go go': "w:go" twice (weight 1 + ln 2 = 1.693147) and the bigram "b:go go" once (weight 1),
-- in buckets 3 and 4, both negative; norm sqrt(1.693147^2 + 1) = 1.966390, so the vector is
-- -1.693147 / 1.966390 = -0.861037 and -1 / 1.966390 = -0.508542 (hand calculation).
SELECT kind, feature, bucket, sign, count, round(weight::numeric, 6) AS weight
FROM marketiq.embedding_features('go go', 8);
-- (rounded: ln() may differ in its last bit between C libraries)
SELECT array_agg(round(x::numeric, 6) ORDER BY i) AS embed FROM unnest(marketiq.embed('go go', dims => 8)) WITH ORDINALITY u(x, i);

-- Chinese has no spaces: each CJK character and each pair of neighbours is a feature.
-- '你好' -> u:你 (bucket 3, -1), v:你好 (bucket 4, +1), u:好 (bucket 1, -1): three unit weights,
-- norm sqrt(3), so every non-zero element is +-1/sqrt(3) = +-0.577350.
SELECT kind, feature, bucket, sign, count FROM marketiq.embedding_features('你好', 8);
SELECT marketiq.embed('你好', dims => 8);

-- 'Great service' at 8 dims: 21 features of weight 1 (2 words, 1 bigram, 6 + 12 character
-- n-grams); their signed sums per bucket are -1,-1,1,-2,-2,-3,-1,-2 (sum of squares 25), so the
-- vector is those divided by 5 (hand calculation from the feature list).
SELECT count(*) AS features, sum(sign) AS sign_sum FROM marketiq.embedding_features('Great service', 8);
SELECT bucket, sum(sign) AS sum FROM marketiq.embedding_features('Great service', 8) GROUP BY bucket ORDER BY bucket;
SELECT marketiq.embed('Great service', dims => 8);

-- repeated words: 'the the the cat' (python reference: w:the and c:the have count 3, weight
-- 1 + ln 3 = 2.098612; b:the the count 2; vector {-0.23019048,0.23019048,0,-0.38974637,0.48308058,0,
-- 0.71327106,0})
SELECT kind, feature, count, round(weight::numeric, 6) AS weight FROM marketiq.embedding_features('the the the cat', 8);
SELECT array_agg(round(x::numeric, 6) ORDER BY i) AS embed FROM unnest(marketiq.embed('the the the cat', dims => 8)) WITH ORDINALITY u(x, i);

-- the documented hash, as a signed bigint (python reference: "w:a" 6983340700138825691,
-- "u:好" -1719089487807812073)
SELECT hash FROM marketiq.embedding_features('a') WHERE feature = 'a';
SELECT feature, hash FROM marketiq.embedding_features('好') ORDER BY feature;

-- ---------------------------------------------------------------- the character tables
-- lower-casing is by the documented table, independent of the database locale
SELECT marketiq.embed('ÉCOLE ÜBER STRASSE') = marketiq.embed('école über strasse') AS latin1,
       marketiq.embed('ŁÓDŹ ĞÜŞ İ') = marketiq.embed('łódź ğüş i') AS latin_ext_a,
       marketiq.embed('ȘȚ ǍǏ') = marketiq.embed('șț ǎǐ') AS latin_ext_b,
       marketiq.embed('ΣΟΦΊΑ ΚΌΣΜΟΣ') = marketiq.embed('σοφία κόσμοσ') AS greek_with_final_sigma,
       marketiq.embed('МОСКВА ЁЖ') = marketiq.embed('москва ёж') AS cyrillic,
       marketiq.embed('ՀԱՅԵՐԵՆ') = marketiq.embed('հայերեն') AS armenian,
       marketiq.embed('VIỆT NAM') = marketiq.embed('việt nam') AS vietnamese;
-- fullwidth ASCII is ASCII; punctuation, symbols and emoji separate words
SELECT marketiq.embed('ＧＲＥＡＴ　ｓｅｒｖｉｃｅ！') = marketiq.embed('great service') AS fullwidth,
       marketiq.embed('great😀service') = marketiq.embed('great service') AS emoji_separates,
       marketiq.embed('great—service…') = marketiq.embed('great service') AS punctuation_separates,
       marketiq.embed('《你好》，世界！') = marketiq.embed('你好 世界') AS cjk_punctuation_separates;
-- a CJK run between two words: the words do not pair, the characters are their own features
SELECT feature FROM marketiq.embedding_features('iPhone手机ok', 8) WHERE kind IN ('word', 'word_bigram', 'cjk_bigram');
-- combining marks belong to the word (texts are not normalised: precomposed and decomposed differ)
SELECT feature FROM marketiq.embedding_features(E'cafe\u0301', 8) WHERE kind = 'word';
SELECT marketiq.embed(E'cafe\u0301') = marketiq.embed('café') AS normalised;
-- Hangul is written with spaces: words; Japanese kana are CJK
SELECT kind, count(*) FROM marketiq.embedding_features('한국어 문장 ひらがな カタカナ') GROUP BY kind ORDER BY kind;

-- ---------------------------------------------------------------- NULL, empty, featureless
SELECT marketiq.embed(NULL) IS NULL AS null_in,
       marketiq.embed('') IS NULL AS empty,
       marketiq.embed('  ...!?  😀 ') IS NULL AS featureless,
       marketiq.embed(E'\t\n') IS NULL AS whitespace;
SELECT count(*) AS no_features FROM marketiq.embedding_features('...');
SELECT count(*) AS null_features FROM marketiq.embedding_features(NULL);
SELECT count(*) AS null_dims FROM marketiq.embedding_features('x', NULL);

-- ---------------------------------------------------------------- dims, determinism
SELECT array_length(marketiq.embed('great service'), 1) AS default_dims,
       array_length(marketiq.embed('great service', dims => 1), 1) AS one,
       array_length(marketiq.embed('great service', dims => 16000), 1) AS max;
SELECT marketiq.embed('great service', dims => 1) AS one_dim;
-- unit length at any dims
SELECT dims, round(sqrt((SELECT sum(x * x) FROM unnest(marketiq.embed('Late delivery, refund please 物流太慢', dims => dims)) x))::numeric, 6) AS norm
FROM unnest(ARRAY[2, 7, 64, 256, 1536]) dims;
-- the same text gives the same vector, row after row and in every session (no state kept)
CREATE TEMP TABLE det AS SELECT i, 'review number ' || (i % 7) || ' 很好' AS t FROM generate_series(1, 200) i;
SELECT count(DISTINCT marketiq.embed(t)::text) AS distinct_vectors, count(DISTINCT t) AS distinct_texts FROM det;
-- a long text (200,000 characters) and the limit (1 MB)
SELECT array_length(marketiq.embed(repeat('delivery was late ', 12000)), 1) AS long_text;
SELECT marketiq.embed(repeat('x', 1048577));

-- ---------------------------------------------------------------- similar beats unrelated
-- the README's examples, at 256 dims: similar pairs share words or characters; the margin over
-- the unrelated text must be at least 0.1 (values from this implementation, cross-checked by the
-- python reference: 0.711/0.053, 0.683/0.024, 0.876/0.078, 0.791/0.000)
WITH p(lang, a, b, c) AS (VALUES
    ('en', 'Great service and fast delivery', 'Fast delivery, great customer service', 'The invoice total is wrong'),
    ('en', 'Late delivery, I want a refund', 'Delivery was late, please refund me', 'Lovely colours and soft fabric'),
    ('zh', '物流很快，服务很好', '服务很好，物流也很快', '发票金额不对'),
    ('zh', '快递太慢了，我要退款', '退款！快递太慢', '颜色很漂亮，面料柔软'))
SELECT lang, a,
       round(marketiq.cosine_similarity(marketiq.embed(a), marketiq.embed(b))::numeric, 3) AS similar,
       round(marketiq.cosine_similarity(marketiq.embed(a), marketiq.embed(c))::numeric, 3) AS unrelated,
       marketiq.cosine_similarity(marketiq.embed(a), marketiq.embed(b))
         - marketiq.cosine_similarity(marketiq.embed(a), marketiq.embed(c)) >= 0.1 AS margin_ok
FROM p;

-- ---------------------------------------------------------------- cosine_similarity
-- by hand: orthogonal 0, parallel 1, opposite -1, [1,1] vs [1,0] = 1/sqrt(2) = 0.707107
SELECT marketiq.cosine_similarity('{1,0}'::real[], '{0,1}'::real[]) AS orthogonal,
       marketiq.cosine_similarity('{1,2,3}'::real[], '{2,4,6}'::real[]) AS parallel,
       marketiq.cosine_similarity('{1,2,3}'::float8[], '{-1,-2,-3}'::float8[]) AS opposite,
       round(marketiq.cosine_similarity('{1,1}'::float8[], '{1,0}'::float8[])::numeric, 6) AS diagonal;
SELECT marketiq.cosine_similarity('{0,0}'::real[], '{1,0}'::real[]) IS NULL AS zero_vector,
       marketiq.cosine_similarity(NULL::real[], '{1,0}'::real[]) IS NULL AS null_vector;
-- large float8 values do not overflow
SELECT round(marketiq.cosine_similarity('{1e200,1e200}'::float8[], '{1e200,0}'::float8[])::numeric, 6) AS big;
SELECT marketiq.cosine_similarity('{1,2}'::real[], '{1,2,3}'::real[]);
SELECT marketiq.cosine_similarity('{1,NULL}'::real[], '{1,2}'::real[]);
SELECT marketiq.cosine_similarity('{}'::real[], '{}'::real[]);
SELECT marketiq.cosine_similarity('{1,NaN}'::real[], '{1,2}'::real[]);
SELECT marketiq.cosine_similarity('{{1,2}}'::real[], '{1,2}'::real[]);
SELECT marketiq.cosine_similarity('{1,Infinity}'::float8[], '{1,2}'::float8[]);

-- ---------------------------------------------------------------- bad arguments
SELECT marketiq.embed('x', 'word2vec');
SELECT marketiq.embed('x', NULL);
SELECT marketiq.embed('x', dims => 0);
SELECT marketiq.embed('x', dims => 16001);
SELECT * FROM marketiq.embedding_features('x', 0);

-- ---------------------------------------------------------------- a parallel scan gives the same vectors
CREATE TABLE embed_par AS SELECT i, 'text ' || i || ' 评论' || (i % 13) AS t FROM generate_series(1, 5000) i;
ANALYZE embed_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sum(hashtext(marketiq.embed(t)::text)) FROM embed_par;
CREATE TEMP TABLE par_sum AS SELECT sum(hashtext(marketiq.embed(t)::text)) AS s FROM embed_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT s FROM par_sum) = sum(hashtext(marketiq.embed(t)::text)) AS same_as_serial FROM embed_par;
RESET max_parallel_workers_per_gather;
DROP TABLE embed_par;
