-- segments_anomalies: KPI anomaly detection (marketiq.detect_anomalies, mad_score, and the
-- median and mad aggregates; src/segments/anomalies.c and robust.c).
-- Expected values: test/reference/segments_anomalies.py (pandas and numpy, from the README's
-- definitions) for every row of three generated series under each method, to 1e-9; hand
-- calculations for mad_score; detection and false-alarm rates on series generated here.
SET extra_float_digits = 0;
CREATE SCHEMA seg_an;
SET search_path = seg_an, public;

-- a agrees with b to 1e-9 (relative above 1, absolute below); equal infinities and two NULLs agree
CREATE FUNCTION agrees(a float8, b float8) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT (a IS NULL AND b IS NULL) OR a = b OR abs(a - b) <= 1e-9 * greatest(1, abs(b)) $$;

-- three series (test/data/segments_series.csv): 'weekly' (a weekly cycle, noise, five spikes
-- and drops), 'counts' (small counts with many zeros, 40 days of a constant, three NULL values
-- and one day twice), 'noise' (normal noise, rows in shuffled order)
CREATE TABLE series (series text, day date, value float8);
\copy series FROM 'test/data/segments_series.csv' (FORMAT csv, HEADER)
CREATE TABLE ref (method text, series text, day date, value float8, expected float8, lower float8,
                  upper float8, score float8, is_anomaly boolean, direction text);
\copy ref FROM 'test/data/segments_anomalies_ref.csv' (FORMAT csv, HEADER)

-- every output row of each method against the reference (rows in (day, value) order per series)
CREATE TABLE ours AS
SELECT 'mad' AS method, * FROM marketiq.detect_anomalies('series', 'day', 'value', 'series')
UNION ALL
SELECT 'seasonal', * FROM marketiq.detect_anomalies('series', 'day', 'value', 'series', 'seasonal', 6, 7)
UNION ALL
SELECT 'ewma', * FROM marketiq.detect_anomalies('series', 'day', 'value', 'series', 'ewma', 28);
WITH o AS (SELECT *, row_number() OVER (PARTITION BY method, group_key ORDER BY ts, value) AS rn FROM ours),
     r AS (SELECT *, row_number() OVER (PARTITION BY method, series ORDER BY day, value) AS rn FROM ref)
SELECT r.method, count(*) AS rows, count(o.method) AS matched,
       count(*) FILTER (WHERE o.ts = r.day AND o.value = r.value AND agrees(o.expected, r.expected)
                        AND agrees(o.lower, r.lower) AND agrees(o.upper, r.upper) AND agrees(o.score, r.score)
                        AND o.is_anomaly = r.is_anomaly
                        AND o.direction IS NOT DISTINCT FROM nullif(r.direction, '')) AS agree,
       count(*) FILTER (WHERE r.expected IS NOT NULL) AS scored,
       count(*) FILTER (WHERE r.is_anomaly) AS anomalies,
       count(*) FILTER (WHERE r.score IN ('Infinity', '-Infinity')) AS zero_scale
FROM r LEFT JOIN o ON o.method = r.method AND o.group_key = r.series AND o.rn = r.rn
GROUP BY r.method ORDER BY r.method;
-- no output row without a reference row (NULL values give no row)
SELECT count(*) AS extra FROM ours o
WHERE NOT EXISTS (SELECT 1 FROM ref r WHERE r.method = o.method AND r.series = o.group_key AND r.day = o.ts::date AND r.value = o.value);
SELECT count(*) AS input_rows, count(value) AS with_value, (SELECT count(*) FROM ours WHERE method = 'mad') AS output_rows FROM series;

-- a look at the 'weekly' series: the five injected anomalies (days 70, 120, 180, 230, 260;
-- +9, -10, +8, -8.5, +12 noise sd) under the three methods
SELECT o.ts::date AS day, o.method, round(o.value::numeric, 2) AS value, round(o.expected::numeric, 2) AS expected,
       round(o.score::numeric, 2) AS score, o.direction
FROM ours o WHERE o.group_key = 'weekly' AND o.is_anomaly
  AND o.ts::date - date '2025-01-01' IN (70, 120, 180, 230, 260)
ORDER BY day, method;

-- zero scales: after 40 days of exactly 5, any other value scores +-Infinity and 5 scores 0
SELECT ts::date AS day, value, expected, lower, upper, score, is_anomaly, direction
FROM ours WHERE method = 'mad' AND group_key = 'counts' AND ts::date BETWEEN '2025-07-08' AND '2025-07-11'
ORDER BY ts;

-- rows come group by group in time order; expected is NULL (and nothing is an anomaly) until a
-- full window of earlier rows exists: 28 for mad and ewma, 6 x 7 = 42 for seasonal
SELECT method, group_key, min(ts) FILTER (WHERE expected IS NOT NULL) - min(ts) AS first_scored_after,
       bool_and(NOT is_anomaly AND direction IS NULL AND score IS NULL) FILTER (WHERE expected IS NULL) AS unscored_quiet
FROM ours GROUP BY method, group_key ORDER BY method, group_key;

-- without group_col the whole relation is one series (group_key NULL)
SELECT group_key, count(*), count(expected) AS scored
FROM marketiq.detect_anomalies('series', 'day', 'value') GROUP BY group_key;
-- a NULL group is a group of its own, after the others; rows without a time are left out
CREATE TABLE mixed AS SELECT * FROM series;
UPDATE mixed SET series = NULL WHERE series = 'noise';
INSERT INTO mixed VALUES ('weekly', NULL, 1000);
SELECT group_key, count(*), count(expected) AS scored
FROM marketiq.detect_anomalies('mixed', 'day', 'value', 'series') GROUP BY group_key ORDER BY group_key NULLS LAST;
-- timestamps, integer values and a non-text group column work too; ties in time are ordered by value
CREATE TABLE typed AS
SELECT CASE series WHEN 'counts' THEN 1 WHEN 'noise' THEN 2 ELSE 3 END AS grp,
       day::timestamp + interval '6 hours' AS at, round(value)::int AS n
FROM series WHERE value IS NOT NULL;
CREATE TABLE untyped AS
SELECT grp::text AS grp, at::timestamptz AS at, n::float8 AS n FROM typed;
SELECT count(*) AS rows, count(*) FILTER (WHERE t.ts = u.ts AND t.value = u.value AND t.expected = u.expected
                                         AND t.score = u.score) AS same_as_float8_timestamptz_text
FROM (SELECT *, row_number() OVER (ORDER BY group_key, ts, value) AS rn
      FROM marketiq.detect_anomalies('typed', 'at', 'n', 'grp', 'ewma')) t
JOIN (SELECT *, row_number() OVER (ORDER BY group_key, ts, value) AS rn
      FROM marketiq.detect_anomalies('untyped', 'at', 'n', 'grp', 'ewma')) u USING (rn)
WHERE t.expected IS NOT NULL;
SELECT ts, value, expected FROM marketiq.detect_anomalies('series', 'day', 'value', 'series')
WHERE group_key = 'counts' AND ts::date = '2025-01-31';
-- any group type: groups are told apart by value and named by their text form.  By hand: i % 3
-- splits i = 1..300 into three groups of 100 rows (two of 150 for i % 2), every row has a value,
-- so 300 rows each; the uuid groups are md5('0'), md5('1'), md5('2') = cfcd2084..., c4ca4238...,
-- c81e728d... (`printf 0 | md5sum` and so on)
CREATE TABLE grouped AS
SELECT (i % 3)::numeric(5, 2) AS num, md5((i % 3)::text)::uuid AS id, ('g' || i % 3)::name AS nm,
       jsonb_build_object('k', i % 3) AS doc, ('x' || i % 3)::char(4) AS code, i % 2 = 0 AS flag,
       date '2025-01-01' + i / 3 AS day, (i * 7 % 13)::float8 AS v
FROM generate_series(1, 300) AS i;
SELECT 'numeric' AS type, string_agg(DISTINCT group_key, ' ') AS groups, count(*) FROM marketiq.detect_anomalies('grouped', 'day', 'v', 'num')
UNION ALL SELECT 'uuid', string_agg(DISTINCT left(group_key, 8), ' '), count(*) FROM marketiq.detect_anomalies('grouped', 'day', 'v', 'id')
UNION ALL SELECT 'name', string_agg(DISTINCT group_key, ' '), count(*) FROM marketiq.detect_anomalies('grouped', 'day', 'v', 'nm')
UNION ALL SELECT 'jsonb', string_agg(DISTINCT group_key, ' '), count(*) FROM marketiq.detect_anomalies('grouped', 'day', 'v', 'doc')
UNION ALL SELECT 'char(4)', string_agg(DISTINCT group_key, ' '), count(*) FROM marketiq.detect_anomalies('grouped', 'day', 'v', 'code')
UNION ALL SELECT 'boolean', string_agg(DISTINCT group_key, ' '), count(*) FROM marketiq.detect_anomalies('grouped', 'day', 'v', 'flag');

-- mad_score (by hand: [1,2,3,4,100]: median 3, MAD 1, (5 - 3) / 1.4826 = 1.3489815; [1,1,1,2]:
-- median 1, MAD 0, mean absolute deviation 0.25, (5 - 1) / (1.2533141 x 0.25) = 12.7661530;
-- a constant history: 0 at its value, -Infinity below)
SELECT agrees(marketiq.mad_score('{1,2,3,4,100}', 5), 1.3489815189531904) AS mad,
       agrees(marketiq.mad_score('{1,1,1,2}', 5), 12.766152972845846) AS mean_ad_fallback,
       marketiq.mad_score('{3,3,3}', 3) AS flat_same, marketiq.mad_score('{3,3,3}', 2) AS flat_below,
       marketiq.mad_score('{}', 2) AS empty_history, marketiq.mad_score(NULL, 2) AS null_history;
-- it is the 'mad' score of detect_anomalies, given the window
SELECT bool_and(agrees(marketiq.mad_score(h.hist, o.value), o.score)) AS same_as_detect_anomalies, count(*)
FROM ours o
JOIN LATERAL (SELECT array_agg(value ORDER BY day DESC, value DESC) AS hist
              FROM (SELECT day, value FROM series s WHERE s.series = o.group_key AND s.value IS NOT NULL
                      AND (s.day, s.value) < (o.ts::date, o.value)
                    ORDER BY day DESC, value DESC LIMIT 28) w) h ON true
WHERE o.method = 'mad' AND o.group_key = 'weekly' AND o.expected IS NOT NULL;

-- median and mad aggregates: numpy np.median and the raw MAD of the 'weekly' series
-- (reference script: "weekly: median 101.5356685 mad 3.4677264999999977")
SELECT agrees(marketiq.median(value), 101.5356685) AS median_ok,
       agrees(marketiq.mad(value), 3.4677264999999977) AS mad_ok
FROM series WHERE series = 'weekly';
-- by hand: median of 1..4 is 2.5, MAD of {1,2,3,4} is 1; NULLs are ignored; no rows: NULL
SELECT marketiq.median(v), marketiq.mad(v) FROM (VALUES (1.0), (4.0), (NULL), (2.0), (3.0)) t(v);
SELECT marketiq.median(v), marketiq.mad(v) FROM (VALUES (1.0::float8)) t(v) WHERE false;
-- per group
SELECT series, marketiq.median(value) = percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS as_percentile_cont
FROM series GROUP BY series ORDER BY series;
-- as window aggregates over the 28 previous rows they give the 'mad' method's expected and scale
-- (moving-aggregate mode: each row enters and leaves a sorted window)
WITH w AS (
    SELECT series, day, value,
           marketiq.median(value) OVER win AS med, marketiq.mad(value) OVER win AS mad,
           count(value) OVER win AS n
    FROM series WHERE value IS NOT NULL
    WINDOW win AS (PARTITION BY series ORDER BY day, value ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING))
SELECT w.series, bool_and(agrees(w.med, o.expected)) AS median_is_expected,
       bool_and(agrees(1.4826 * w.mad, (o.upper - o.expected) / 3.5)) FILTER (WHERE w.mad > 0) AS mad_is_scale
FROM w JOIN ours o ON o.method = 'mad' AND o.group_key = w.series AND o.ts::date = w.day AND o.value = w.value
WHERE w.n = 28 GROUP BY w.series ORDER BY w.series;

-- ------------------------------------------------------------------ detection
-- 100 series x 560 days: 100 + a weekly cycle of +-1 noise sd + normal noise (sd 2), and in a
-- copy, five injected spikes and drops of 8 to 12 noise sd per series (days 210, 280, ..., 490)
CREATE FUNCTION u01(k bigint, s int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (((hashint8extended(k, s) >> 11) & 9007199254740991)::float8 + 0.5) / 9007199254740992.0 $$;
CREATE TABLE clean AS
SELECT s AS series, date '2024-01-01' + d AS day,
       100 + (ARRAY[0, 1, 2, 1, 0, -2, -2])[d % 7 + 1]
           + 2 * sqrt(-2 * ln(u01(s * 1000 + d, 1))) * cos(2 * pi() * u01(s * 1000 + d, 2)) AS value
FROM generate_series(1, 100) s, generate_series(0, 559) d;
CREATE TABLE injected AS
SELECT s AS series, date '2024-01-01' + d AS day,
       CASE WHEN u01(s * 1000 + d, 3) < 0.5 THEN 1 ELSE -1 END * 2 * (8 + 4 * u01(s * 1000 + d, 4)) AS shift
FROM generate_series(1, 100) s, unnest(ARRAY[210, 280, 350, 420, 490]) d;
CREATE TABLE spiky AS
SELECT c.series, c.day, c.value + coalesce(i.shift, 0) AS value
FROM clean c LEFT JOIN injected i USING (series, day);
-- every injected anomaly is found, in the right direction, by seasonal (window 28, season 7)
-- and ewma (window 28), and here by mad too: the cycle is small next to 8 noise sd (on the
-- 'weekly' series above, whose cycle spans -8 to +5 around noise of sd 2, seasonal found all
-- five, mad four and ewma three)
SELECT m.method, count(*) AS injected,
       count(*) FILTER (WHERE a.is_anomaly AND a.direction = CASE WHEN i.shift > 0 THEN 'up' ELSE 'down' END) AS found
FROM injected i
CROSS JOIN (VALUES ('mad', NULL::int), ('seasonal', 7), ('ewma', NULL)) AS m(method, season)
JOIN LATERAL (SELECT * FROM marketiq.detect_anomalies('spiky', 'day', 'value', 'series', m.method, 28, m.season)) a
     ON a.group_key = i.series::text AND a.ts::date = i.day
GROUP BY m.method ORDER BY m.method;
-- false alarms on the clean series (threshold 3.5): at most 1% of the scored rows for every
-- method (the rates the README quotes)
SELECT m.method, count(a.expected) AS scored, round(avg(a.is_anomaly::int) FILTER (WHERE a.expected IS NOT NULL), 3) AS false_alarm_rate,
       avg(a.is_anomaly::int) FILTER (WHERE a.expected IS NOT NULL) <= 0.01 AS within_1pct
FROM (VALUES ('mad', NULL::int), ('seasonal', 7), ('ewma', NULL)) AS m(method, season),
     LATERAL marketiq.detect_anomalies('clean', 'day', 'value', 'series', m.method, 28, m.season) a
GROUP BY m.method ORDER BY m.method;

-- ------------------------------------------------------------------ bad input
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', window_size => 2);
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', threshold => 0);
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', threshold => 'NaN');
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', method => 'zscore');
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', method => NULL);
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', method => 'seasonal');
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', method => 'seasonal', season => 1);
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', season => 7);
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', method => 'seasonal', window_size => 100000, season => 1000);
SELECT * FROM marketiq.detect_anomalies('series', 'series', 'value');
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'series');
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'nope');
SELECT * FROM marketiq.detect_anomalies('series', 'day', 'value', 'nope');
SELECT * FROM marketiq.detect_anomalies(NULL, 'day', 'value');
CREATE TABLE nans AS SELECT * FROM series;
UPDATE nans SET value = 'NaN' WHERE day = '2025-02-01' AND series = 'noise';
SELECT count(*) FROM marketiq.detect_anomalies('nans', 'day', 'value', 'series');
SELECT marketiq.mad_score('{1,NULL,3}', 2);
SELECT marketiq.mad_score('{1,NaN,3}', 2);
SELECT marketiq.mad_score('{1,2,3}', 'Infinity');
SELECT marketiq.mad_score('{{1,2},{3,4}}', 2);
SELECT marketiq.median(v) FROM (VALUES (1.0::float8), ('NaN')) t(v);
SELECT marketiq.mad(v) OVER (ORDER BY v ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES (1.0::float8), ('Infinity')) t(v);
-- the rows it keeps are bounded by marketiq.max_model_bytes
SET marketiq.max_model_bytes = '1MB';
SELECT count(*) FROM marketiq.detect_anomalies('clean', 'day', 'value', 'series');
RESET marketiq.max_model_bytes;
-- an empty series: no rows
CREATE TABLE empty_series (day date, value float8);
SELECT count(*) FROM marketiq.detect_anomalies('empty_series', 'day', 'value');
-- the query runs with the caller's privileges
CREATE ROLE regress_seg_an;
GRANT USAGE ON SCHEMA seg_an, marketiq TO regress_seg_an;
SET ROLE regress_seg_an;
SELECT count(*) FROM marketiq.detect_anomalies('seg_an.series', 'day', 'value');
RESET ROLE;
REVOKE USAGE ON SCHEMA seg_an, marketiq FROM regress_seg_an;
DROP ROLE regress_seg_an;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA seg_an CASCADE;
RESET client_min_messages;
