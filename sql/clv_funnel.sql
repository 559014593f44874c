-- clv_funnel: conversion funnels (src/clv/funnel.c): funnel_depth on hand-made event lists,
-- funnel_rates by hand, the table-level funnel against funnel_depth, bad input.
SET TimeZone = 'UTC';
-- one user's depth: events out of order are sorted; stages must follow in order
SELECT marketiq.funnel_depth(ARRAY['2024-01-03', '2024-01-01', '2024-01-02']::timestamptz[],
                             ARRAY['buy', 'visit', 'cart'], ARRAY['visit', 'cart', 'buy']) AS all_three,
       marketiq.funnel_depth(ARRAY['2024-01-01', '2024-01-02']::timestamptz[],
                             ARRAY['cart', 'visit'], ARRAY['visit', 'cart', 'buy']) AS cart_before_visit,
       marketiq.funnel_depth(ARRAY['2024-01-01', '2024-01-02']::timestamptz[],
                             ARRAY['visit', 'buy'], ARRAY['visit', 'cart', 'buy']) AS skipped_cart,
       marketiq.funnel_depth(ARRAY['2024-01-01']::timestamptz[], ARRAY['other'], ARRAY['visit', 'cart']) AS none,
       marketiq.funnel_depth('{}', '{}', ARRAY['visit']) AS no_events;
-- steps logged in the same instant count in funnel order
SELECT marketiq.funnel_depth(ARRAY['2024-01-01 10:00', '2024-01-01 10:00']::timestamptz[],
                             ARRAY['cart', 'visit'], ARRAY['visit', 'cart']) AS same_instant;
-- the time limit between steps: visit on day 0 and day 10, cart on day 12, limit 5 days -> the
-- second visit opens the path (earliest matching would wrongly stop at 1); limit 1 day -> 1
SELECT marketiq.funnel_depth(ARRAY['2024-01-01', '2024-01-11', '2024-01-13']::timestamptz[],
                             ARRAY['visit', 'visit', 'cart'], ARRAY['visit', 'cart'], interval '5 days') AS five_days,
       marketiq.funnel_depth(ARRAY['2024-01-01', '2024-01-11', '2024-01-13']::timestamptz[],
                             ARRAY['visit', 'visit', 'cart'], ARRAY['visit', 'cart'], interval '1 day') AS one_day,
       marketiq.funnel_depth(ARRAY['2024-01-01', '2024-01-11', '2024-01-13']::timestamptz[],
                             ARRAY['visit', 'visit', 'cart'], ARRAY['visit', 'cart']) AS no_limit;
-- the limit is exact at its edge, and calendar months work (Jan 31 + 1 month = Feb 29, 2024)
SELECT marketiq.funnel_depth(ARRAY['2024-01-01 00:00', '2024-01-01 02:00']::timestamptz[],
                             ARRAY['a', 'b'], ARRAY['a', 'b'], interval '2 hours') AS at_edge,
       marketiq.funnel_depth(ARRAY['2024-01-31', '2024-02-29']::timestamptz[],
                             ARRAY['a', 'b'], ARRAY['a', 'b'], interval '1 month') AS month_ok,
       marketiq.funnel_depth(ARRAY['2024-01-31', '2024-03-01']::timestamptz[],
                             ARRAY['a', 'b'], ARRAY['a', 'b'], interval '1 month') AS month_late;

-- rates from counts, by hand: 1000 -> 400 -> 300 -> 30: step rates 0.4, 0.75, 0.1 (bottleneck:
-- step 4), cumulative 0.4, 0.3, 0.03 (their products), drop-offs 600, 100, 270
SELECT * FROM marketiq.funnel_rates(ARRAY['visit', 'signup', 'trial', 'paid'], ARRAY[1000, 400, 300, 30]);
-- a step after an empty one has no rate; one stage has no bottleneck
SELECT * FROM marketiq.funnel_rates(ARRAY['a', 'b', 'c'], ARRAY[5, 0, 0]);
SELECT * FROM marketiq.funnel_rates(ARRAY['only'], ARRAY[7]);

-- the table-level funnel over events (user, ts, stage) equals funnel_depth per user
CREATE TABLE ev (uid int, ts timestamptz, stage text);
INSERT INTO ev
SELECT u, timestamptz '2024-01-01' + (hashint4(u * 100 + k) & 1023) * interval '1 hour',
       (ARRAY['visit', 'cart', 'checkout', 'buy', 'other'])[1 + ((hashint4(u * 31 + k) & 65535) % 5)]
FROM generate_series(1, 2000) u, generate_series(1, 1 + (u % 7)) k;
INSERT INTO ev VALUES (NULL, '2024-01-01', 'visit'), (1, NULL, 'visit'), (2, '2024-01-01', NULL);
SELECT * FROM marketiq.funnel('ev', 'uid', 'ts', 'stage', ARRAY['visit', 'cart', 'checkout', 'buy'],
                              max_gap => interval '7 days');
WITH d AS (
    SELECT marketiq.funnel_depth(array_agg(ts), array_agg(stage),
                                 ARRAY['visit', 'cart', 'checkout', 'buy'], interval '7 days') AS depth
    FROM ev WHERE uid IS NOT NULL AND ts IS NOT NULL AND stage IS NOT NULL GROUP BY uid
)
SELECT array_agg(n ORDER BY k) AS users_per_step_from_funnel_depth
FROM (SELECT k, count(*) FILTER (WHERE depth >= k) AS n FROM d, generate_series(1, 4) k GROUP BY k) s;
-- and an independent plain-SQL definition: all (user, step, time) reachable by chains of events
-- each at or after the previous one and within 7 days of it (a recursive join, no marketiq code)
WITH RECURSIVE st(k, stage) AS (VALUES (1, 'visit'), (2, 'cart'), (3, 'checkout'), (4, 'buy')),
reach(uid, k, ts) AS (
    SELECT uid, 1, ts FROM ev WHERE stage = 'visit' AND uid IS NOT NULL AND ts IS NOT NULL
    UNION
    SELECT e.uid, r.k + 1, e.ts
    FROM reach r JOIN st ON st.k = r.k + 1
    JOIN ev e ON e.uid = r.uid AND e.stage = st.stage AND e.ts >= r.ts AND e.ts <= r.ts + interval '7 days'
)
SELECT array_agg(n ORDER BY k) AS users_per_step_from_sql
FROM (SELECT k, count(DISTINCT uid) AS n FROM reach GROUP BY k) s;
SELECT step, stage, users FROM marketiq.funnel('ev', 'uid', 'ts', 'stage', ARRAY['visit', 'cart']);

-- bad input
SELECT marketiq.funnel_depth(ARRAY['2024-01-01']::timestamptz[], ARRAY['a', 'b'], ARRAY['a']);
SELECT marketiq.funnel_depth(ARRAY['2024-01-01']::timestamptz[], ARRAY['a'], ARRAY['a', 'b', 'a']);
SELECT marketiq.funnel_depth(ARRAY['2024-01-01']::timestamptz[], ARRAY['a'], '{}');
SELECT marketiq.funnel_depth(ARRAY['2024-01-01']::timestamptz[], ARRAY['a'], ARRAY['a'], interval '-1 day');
SELECT marketiq.funnel_depth(ARRAY['infinity']::timestamptz[], ARRAY['a'], ARRAY['a']);
SELECT marketiq.funnel_depth(ARRAY[NULL]::timestamptz[], ARRAY['a'], ARRAY['a']);
SELECT marketiq.funnel_depth(ARRAY['2024-01-01']::timestamptz[], ARRAY[NULL], ARRAY['a']);
SELECT marketiq.funnel_depth(NULL, ARRAY['a'], ARRAY['a']) IS NULL AS null_in_null_out;
SELECT * FROM marketiq.funnel_rates(ARRAY['a', 'b'], ARRAY[3]);
SELECT * FROM marketiq.funnel_rates(ARRAY['a', 'b'], ARRAY[3, -1]);
SELECT * FROM marketiq.funnel_rates(ARRAY['a', 'b'], ARRAY[3, NULL]);
SELECT * FROM marketiq.funnel('ev', 'uid', 'ts', 'step', ARRAY['visit']);
SELECT * FROM marketiq.funnel('ev', 'uid', 'stage', 'stage', ARRAY['visit']);
SELECT * FROM marketiq.funnel('ev', 'uid', 'ts', 'stage', NULL);

DROP TABLE ev;
RESET TimeZone;
