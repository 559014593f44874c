-- embed.sql: the builtin embedder (issue 10), over 1,000,000 texts of about 100 characters
-- generated deterministically in SQL (15 words drawn by hash from a 40-word review vocabulary),
-- against the floor SELECT count(md5(t)) over the same table.  Target: embed <= 3 x md5.
-- Texts per second per core = 1,000,000 / the seconds reported (one core: no parallel workers).
-- Also reported, without targets: 1536 dimensions, Chinese texts (1M x ~40 characters), and a
-- brute-force similarity search (cosine, top 10) over 1M stored 256-dim vectors.
-- The worker's backlog under 1,000 inserted rows a second is bench/embed_worker.sh.
DROP TABLE IF EXISTS bench.texts, bench.texts_zh, bench.vectors;
CREATE TABLE bench.texts AS
WITH v AS (SELECT string_to_array('the a great service fast delivery late refund product quality price support '
                                  'team friendly helpful slow broken package arrived damaged order customer happy '
                                  'recommend again never terrible excellent value money shipping return easy website '
                                  'checkout payment discount coupon email newsletter store', ' ') AS w)
SELECT i AS id,
       (SELECT string_agg(v.w[1 + ((hashint8(i * 64 + j) & 2147483647) % array_length(v.w, 1))], ' ')
        FROM generate_series(1, 15) j) AS t
FROM generate_series(1, 1000000) i, v;
CREATE TABLE bench.texts_zh AS
WITH v AS (SELECT string_to_array('物流 很快 服务 很好 非常 满意 质量 不错 退款 太慢 客服 态度 包装 破损 价格 便宜 '
                                  '发货 及时 再买 推荐 颜色 漂亮 尺码 合适', ' ') AS w)
SELECT i AS id,
       (SELECT string_agg(v.w[1 + ((hashint8(i * 64 + j) & 2147483647) % array_length(v.w, 1))], '' ORDER BY j)
        || '。' FROM generate_series(1, 20) j) AS t
FROM generate_series(1, 1000000) i, v;
VACUUM ANALYZE bench.texts;
VACUUM ANALYZE bench.texts_zh;

SELECT bench_measure('floor: count(md5(t)) texts', 'SELECT count(md5(t)) FROM bench.texts');
SELECT bench_measure('embed builtin, 256 dims, 1M texts of 105 chars',
    'SELECT count(marketiq.embed(t)) FROM bench.texts');
SELECT bench_target('embed builtin, 256 dims, 1M texts of 105 chars', 'floor: count(md5(t)) texts', 3);
SELECT bench_measure('embed builtin, 1536 dims, 1M texts of 105 chars',
    'SELECT count(marketiq.embed(t, dims => 1536)) FROM bench.texts');
SELECT bench_target('embed builtin, 1536 dims, 1M texts of 105 chars', 'floor: count(md5(t)) texts');
SELECT bench_measure('floor: count(md5(t)) Chinese texts', 'SELECT count(md5(t)) FROM bench.texts_zh');
SELECT bench_measure('embed builtin, 256 dims, 1M Chinese texts of 41 chars',
    'SELECT count(marketiq.embed(t)) FROM bench.texts_zh');
SELECT bench_target('embed builtin, 256 dims, 1M Chinese texts of 41 chars', 'floor: count(md5(t)) Chinese texts');

-- similarity search over stored vectors, by brute force
CREATE TABLE bench.vectors AS SELECT id, marketiq.embed(t) AS v FROM bench.texts;
VACUUM ANALYZE bench.vectors;
SELECT bench_measure('floor: count(v) vectors', 'SELECT count(v) FROM bench.vectors');
SELECT bench_measure('cosine top 10 over 1M vectors of 256 dims',
    $$SELECT id FROM bench.vectors ORDER BY marketiq.cosine_similarity(v, (SELECT marketiq.embed('late delivery refund'))) DESC LIMIT 10$$);
SELECT bench_target('cosine top 10 over 1M vectors of 256 dims', 'floor: count(v) vectors');
