-- floors.sql: the two floors most benchmarks are measured against (issue 2), over the bench
-- touchpoints (about 9.5M rows, 1M users):
--   scan:  SELECT count(*) FROM touchpoints
--   paths: building every user's path with array_agg(channel ORDER BY ts) ... GROUP BY user_id
SELECT bench_measure('floor: count(*) touchpoints',
    'SELECT count(*) FROM bench.touchpoints');
SELECT bench_measure('floor: paths array_agg',
    'SELECT count(*) FROM (SELECT user_id, array_agg(channel ORDER BY ts) FROM bench.touchpoints GROUP BY user_id) s');
SELECT bench_target('floor: paths array_agg', 'floor: count(*) touchpoints');
