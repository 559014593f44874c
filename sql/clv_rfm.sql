-- clv_rfm: RFM scores and segments (src/clv/rfm.c): rfm_report on hand-built orders whose
-- scores are worked out below, ties, the composable pieces (rfm_score with percentile_disc
-- edges, rfm_segment) against the report on a larger table, the segment map, bad input.
SET TimeZone = 'UTC';

-- ten customers c1..c10: ck has k orders of 10k each (frequency k, monetary 10k^2), the last
-- 3(10 - k) days before as_of.  With 10 customers the score is 1 + floor(5 W / 10), W the
-- customers strictly worse: c1, c2 score 1; c3, c4 2; ... c9, c10 5, on every measure (the most
-- recent customer, c10, is best on recency).  Segments: 111 Lost, 222 Hibernating,
-- 333 Need Attention, 444 Loyal Customers, 555 Champions.
CREATE TABLE ord (cust text, ts timestamptz, amount numeric);
INSERT INTO ord
SELECT 'c' || k, timestamptz '2024-03-01' - (3 * (10 - k)) * interval '1 day' - j * interval '1 hour', 10 * k
FROM generate_series(1, 10) k, generate_series(0, k - 1) j;
SELECT * FROM marketiq.rfm_report('ord', 'cust', 'ts', 'amount', '2024-03-01') ORDER BY frequency;

-- ties share a score, whatever the row order: frequencies 1, 1, 1, 2, 3 give W = 0, 0, 0, 3, 4
-- and F = 1, 1, 1, 4, 5 (hand: 1 + floor(5 * 3 / 5) = 4); equal recencies and amounts likewise
CREATE TABLE tie (cust int, ts timestamptz, amount float8);
INSERT INTO tie VALUES (1, '2024-02-01', 10), (2, '2024-02-01', 10), (3, '2024-02-01', 10),
  (4, '2024-02-01', 10), (4, '2024-02-10', 10), (5, '2024-02-01', 10), (5, '2024-02-10', 10),
  (5, '2024-02-20', 10);
SELECT customer, recency, frequency, monetary, r, f, m, rfm
FROM marketiq.rfm_report('tie', 'cust', 'ts', 'amount', '2024-03-01') ORDER BY customer;
-- recency is in whole calendar days (2024-03-01 minus the last order's day), in the session's
-- TimeZone; orders after as_of are left out; NULL amounts count as 0; NULL times are ignored
INSERT INTO tie VALUES (6, '2024-02-29 23:59', NULL), (6, '2024-03-05', 1000), (7, NULL, 5);
SELECT customer, recency, frequency, monetary
FROM marketiq.rfm_report('tie', 'cust', 'ts', 'amount', '2024-03-01') WHERE customer IN ('6', '7');

-- the 11-segment map on the R x FM grid, FM = round((F + M) / 2) with halves up
SELECT r, string_agg(marketiq.rfm_segment(r, fm, fm), ' | ' ORDER BY fm) AS "FM = 1 | 2 | 3 | 4 | 5"
FROM generate_series(1, 5) r, generate_series(1, 5) fm GROUP BY r ORDER BY r DESC;
-- every one of the 125 codes has a segment, and all 11 segments occur
SELECT count(*) AS codes, count(DISTINCT marketiq.rfm_segment(r, f, m)) AS segments
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m;
-- F and M enter only through FM: (F, M) = (2, 5) and (5, 2) both give FM 4 (3.5 rounds up)
SELECT marketiq.rfm_segment(4, 2, 5) AS a, marketiq.rfm_segment(4, 5, 2) AS b, marketiq.rfm_segment(4, 2, 4) AS c;

-- the composable pieces give the report's scores: quintile edges from percentile_disc (recency
-- ordered descending, scored with reverse), rfm_score, rfm_segment.  On 3,000 customers with
-- many ties (orders generated from hashes, amounts rounded to 5).
CREATE TABLE big AS
SELECT (i % 3000) AS cust,
       timestamptz '2024-01-01' + ((hashint4(i) & 255) * interval '1 day') AS ts,
       5 * (1 + (hashint4(i * 7) & 15)) AS amount
FROM generate_series(1, 9000) i
WHERE hashint4(i * 13) & 3 <> 0;
CREATE TABLE rep AS SELECT * FROM marketiq.rfm_report('big', 'cust', 'ts', 'amount', '2024-09-15');
CREATE TABLE comp AS
WITH s AS (
    SELECT cust::text AS customer, date '2024-09-15' - max(ts)::date AS recency, count(*) AS frequency,
           sum(amount)::float8 AS monetary
    FROM big WHERE ts <= '2024-09-15' GROUP BY cust
), e AS (
    SELECT percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency DESC) AS er,
           percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) AS ef,
           percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY monetary) AS em
    FROM s
)
SELECT customer, marketiq.rfm_score(recency, er::float8[], reverse => true) AS r,
       marketiq.rfm_score(frequency, ef::float8[]) AS f, marketiq.rfm_score(monetary, em) AS m
FROM s, e;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE rep.r = comp.r AND rep.f = comp.f AND rep.m = comp.m
                          AND rep.segment = marketiq.rfm_segment(comp.r, comp.f, comp.m)) AS same
FROM rep JOIN comp USING (customer);
-- the scores are quintiles of rank with ties resolved upwards: for each score s, the customers
-- scoring s or more are at most (6 - s) / 5 of all (each has W >= (s - 1) N / 5 customers
-- strictly worse)
SELECT bool_and(n_ge <= (6 - s) * total / 5.0) AS quintiles
FROM (SELECT s, count(*) FILTER (WHERE f >= s) AS n_ge, count(*) AS total
      FROM rep, generate_series(1, 5) s GROUP BY s) q;
-- the segment sizes (each customer's segment equals the composable path's, checked above)
SELECT segment, count(*) FROM rep GROUP BY segment ORDER BY count(*) DESC, segment;

-- rfm_score alone
SELECT marketiq.rfm_score(5, ARRAY[1, 2, 3, 4]) AS above_all, marketiq.rfm_score(2, ARRAY[1, 2, 3, 4]) AS tie_at_edge,
       marketiq.rfm_score(0, '{}') AS no_edges, marketiq.rfm_score(10, ARRAY[40, 30, 20, 10], true) AS reversed;

-- empty input, as_of before all orders: no rows
SELECT count(*) FROM marketiq.rfm_report('ord', 'cust', 'ts', 'amount', '2000-01-01');

-- bad input
SELECT marketiq.rfm_segment(0, 3, 3);
SELECT marketiq.rfm_segment(3, 6, 3);
SELECT marketiq.rfm_score('NaN', ARRAY[1, 2]);
SELECT marketiq.rfm_score(1, ARRAY[1, NULL]);
SELECT marketiq.rfm_score(1, ARRAY[[1, 2], [3, 4]]);
SELECT * FROM marketiq.rfm_report('ord', 'cust', 'ts', 'price', '2024-03-01');
SELECT * FROM marketiq.rfm_report('ord', 'cust', 'amount', 'amount', '2024-03-01');
SELECT * FROM marketiq.rfm_report('ord', 'cust', 'ts', 'amount', NULL);
SELECT * FROM marketiq.rfm_report('ord', 'cust', 'ts', NULL, '2024-03-01');
SELECT * FROM marketiq.rfm_report('ord', 'cust', 'ts', 'amount', '-infinity');
-- the report holds its customers in memory to rank them (about 47 bytes each plus the ids): past
-- marketiq.max_model_bytes, an error with a hint.  3,000 customers fit in 1MB, 50,000 do not.
SET marketiq.max_model_bytes = '1MB';
SELECT count(*) FROM marketiq.rfm_report('big', 'cust', 'ts', 'amount', '2024-09-15');
CREATE TABLE huge AS SELECT i AS cust, timestamptz '2024-01-01' AS ts, 1.0 AS amount FROM generate_series(1, 50000) i;
SELECT count(*) FROM marketiq.rfm_report('huge', 'cust', 'ts', 'amount', '2024-09-15');
RESET marketiq.max_model_bytes;
DROP TABLE huge;

DROP TABLE ord, tie, big, rep, comp;
RESET TimeZone;
