-- clv_summary: the per-customer summary (frequency, recency, T, monetary) of an orders table
-- (src/clv/summary.c, spi.c), on hand-built orders whose summaries are worked out below.
SET TimeZone = 'UTC';
CREATE TABLE o (cust text, ts timestamptz, amount numeric);
INSERT INTO o VALUES
  -- A: Jan 1 twice (one purchase day worth 15), Jan 8 (20), Jan 22 (30):
  --    frequency 2, recency 21 days = 3 weeks, T 28 days = 4 weeks, monetary (20 + 30) / 2 = 25
  ('A', '2024-01-01 10:00', 10), ('A', '2024-01-01 15:00', 5), ('A', '2024-01-08 09:00', 20),
  ('A', '2024-01-22 18:00', 30),
  -- B: one order: frequency 0, recency 0, T 14 days = 2 weeks, monetary 0
  ('B', '2024-01-15 12:00', 50),
  -- C: the Feb 5 order is after as_of and does not count: like B, T 19 days = 2.714... weeks
  ('C', '2024-01-10 08:00', 8), ('C', '2024-02-05 08:00', 100),
  -- D: a NULL amount counts as 0: days Jan 2 (0) and Jan 3 (4): frequency 1, recency 1 day,
  --    T 27 days, monetary 4
  ('D', '2024-01-02 08:00', NULL), ('D', '2024-01-03 08:00', 4),
  -- rows without a customer or a time are left out
  (NULL, '2024-01-05', 99), ('E', NULL, 99);
SELECT customer, frequency, round(recency::numeric, 6) AS recency, round(t::numeric, 6) AS t,
       round(monetary::numeric, 6) AS monetary
FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', '2024-01-29 00:00') ORDER BY customer;
-- the same in days and in months (of 365.25 / 12 = 30.4375 days: A's recency 21 / 30.4375 =
-- 0.689938, T 28 / 30.4375 = 0.919918)
SELECT customer, recency, t FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', '2024-01-29', 'day')
ORDER BY customer;
SELECT customer, round(recency::numeric, 6) AS recency, round(t::numeric, 6) AS t
FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', '2024-01-29', unit => 'month') ORDER BY customer;
-- without an amount column, monetary is NULL
SELECT customer, frequency, monetary FROM marketiq.clv_summary('o', 'cust', 'ts', NULL, '2024-01-29')
ORDER BY customer;
-- as_of before every order: no customers
SELECT count(*) FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', '2023-12-31');

-- the aggregate behind it composes with any query: GROUP BY customer (or anything else), WHERE
-- filters, windows.  Orders after as_of are left out by the aggregate itself; E has no order
-- with a time: NULL.
SELECT cust, (marketiq.customer_summary(ts, amount, '2024-01-29', 'week')).*
FROM o WHERE cust IS NOT NULL GROUP BY cust ORDER BY cust;
-- A's summary as it grew, order by order (the final function leaves its state alone)
SELECT ts, marketiq.customer_summary(ts, amount, '2024-01-29', 'day') OVER (ORDER BY ts) AS so_far
FROM o WHERE cust = 'A' ORDER BY ts;
SELECT marketiq.customer_summary(ts, amount, '2024-01-29', 'week') IS NULL AS no_orders FROM o WHERE false;
SELECT marketiq.customer_summary(ts, amount, '2024-01-29', 'fortnight') FROM o;
SELECT marketiq.customer_summary(ts, amount, NULL, 'week') FROM o;
SELECT marketiq.customer_summary(ts, 'NaN', '2024-01-29', 'week') FROM o;
-- a parallel GROUP BY gives the summaries of a serial one.  The orders are partitioned 4 ways on
-- another key than the customer and partitionwise aggregation is on, so every customer's partial
-- states from the 4 partitions are always combined (and serialised between processes).  Amounts
-- are whole numbers, so their sums are exact in any order.
CREATE TABLE many (i int, cust int, ts timestamptz, amount float8) PARTITION BY HASH (i);
CREATE TABLE many_0 PARTITION OF many FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE many_1 PARTITION OF many FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE many_2 PARTITION OF many FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE many_3 PARTITION OF many FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO many
SELECT i, i % 500, timestamptz '2024-01-01' + (hashint4(i) & 255) * interval '1 day', (i % 17)::float8
FROM generate_series(1, 50000) i;
ANALYZE many;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_s AS
SELECT cust, (marketiq.customer_summary(ts, amount, '2024-09-01', 'week')).* FROM many GROUP BY cust;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF)
SELECT cust, marketiq.customer_summary(ts, amount, '2024-09-01', 'week') FROM many GROUP BY cust;
CREATE TEMP TABLE parallel_s AS
SELECT cust, (marketiq.customer_summary(ts, amount, '2024-09-01', 'week')).* FROM many GROUP BY cust;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;
SELECT (SELECT count(*) FROM serial_s) AS customers,
       (SELECT count(*) FROM (TABLE serial_s EXCEPT TABLE parallel_s) d) AS differing;

-- days are calendar days in the session's TimeZone: two orders an hour apart around midnight
-- UTC are two purchase days in UTC and one in New York (18:30 and 19:30 on Jan 1)
CREATE TABLE tz (cust int, ts timestamptz, amount float8);
INSERT INTO tz VALUES (1, '2024-01-01 23:30+00', 1), (1, '2024-01-02 00:30+00', 2);
SELECT frequency FROM marketiq.clv_summary('tz', 'cust', 'ts', 'amount', '2024-02-01');
SET TimeZone = 'America/New_York';
SELECT frequency FROM marketiq.clv_summary('tz', 'cust', 'ts', 'amount', '2024-02-01');
SET TimeZone = 'UTC';

-- other column types: date and timestamp times, integer amounts, any customer type; a view;
-- quoted column names
CREATE TABLE "Orders 2" ("Customer Id" bigint, "day" date, "Paid" int);
INSERT INTO "Orders 2" VALUES (7, '2024-01-01', 10), (7, '2024-01-15', 30), (8, '2024-01-20', 5);
CREATE VIEW orders_v AS SELECT "Customer Id" AS c, "day"::timestamp AS ts, "Paid" AS paid FROM "Orders 2";
SELECT * FROM marketiq.clv_summary('"Orders 2"', 'Customer Id', 'day', 'Paid', '2024-01-29') ORDER BY 1;
SELECT * FROM marketiq.clv_summary('orders_v', 'c', 'ts', 'paid', '2024-01-29') ORDER BY 1;

-- bad input
SELECT * FROM marketiq.clv_summary('o', 'customer', 'ts', 'amount', '2024-01-29');
SELECT * FROM marketiq.clv_summary('o', 'cust', 'TS', 'amount', '2024-01-29');
SELECT * FROM marketiq.clv_summary('o', 'cust', 'cust', 'amount', '2024-01-29');
SELECT * FROM marketiq.clv_summary('o', 'cust', 'ts', 'cust', '2024-01-29');
SELECT * FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', '2024-01-29', 'year');
SELECT * FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', NULL);
SELECT * FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', 'infinity');
SELECT * FROM marketiq.clv_summary(NULL, 'cust', 'ts', 'amount', '2024-01-29');
SELECT * FROM marketiq.clv_summary('o', NULL, 'ts', 'amount', '2024-01-29');
SELECT * FROM marketiq.clv_summary('o', '', 'ts', 'amount', '2024-01-29');
-- a column name is an identifier, never SQL
SELECT * FROM marketiq.clv_summary('o', 'cust; DROP TABLE o', 'ts', 'amount', '2024-01-29');
-- the query runs with the caller's privileges
CREATE ROLE clv_regress_nobody;
GRANT USAGE ON SCHEMA marketiq TO clv_regress_nobody;
SET ROLE clv_regress_nobody;
SELECT * FROM marketiq.clv_summary('o', 'cust', 'ts', 'amount', '2024-01-29');
RESET ROLE;
REVOKE USAGE ON SCHEMA marketiq FROM clv_regress_nobody;
DROP ROLE clv_regress_nobody;

DROP VIEW orders_v;
DROP TABLE o, tz, "Orders 2", many;
RESET TimeZone;
