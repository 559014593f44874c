-- clv.sql: customer-value benchmarks (issue 5) over the bench orders (1M customers, ~4.3M
-- orders from 2025-01-01 over 52 weeks; as of 2026-01-01).  Each target is a ratio against a
-- floor measured in the same run, on one core.
--
--   summaries (floor): marketiq.clv_summary, the scan that builds the per-customer summaries
--   fit:  bgnbd_fit over those summaries, straight from the orders        target <= 2x the floor
--   fit alone, over a materialised summary table                          (reported)
--   gamma_gamma_fit and paretonbd_fit over the same summaries              (reported)
--   plain-SQL summaries (GROUP BY customer, day, then customer)           (reported)
--   RFM:  rfm_report vs a plain GROUP BY customer with three ntile(5) windows   target <= 2x
--   CLV for every customer (undiscounted 52 weeks: one 2F1 each; discounted weekly over 13
--   weeks: 13 each)                                                     (reported)

SELECT bench_measure('clv: summaries (clv_summary)',
    $$SELECT count(*) FROM marketiq.clv_summary('bench.orders', 'customer_id', 'ts', 'amount', '2026-01-01', 'week')$$);

SELECT bench_measure('clv: bgnbd_fit on the orders (summaries + fit)',
    $$SELECT marketiq.bgnbd_fit(frequency, recency, t)
      FROM marketiq.clv_summary('bench.orders', 'customer_id', 'ts', 'amount', '2026-01-01', 'week')$$);
SELECT bench_target('clv: bgnbd_fit on the orders (summaries + fit)', 'clv: summaries (clv_summary)', 2);

DROP TABLE IF EXISTS bench.clv_summary;
CREATE TABLE bench.clv_summary AS
SELECT * FROM marketiq.clv_summary('bench.orders', 'customer_id', 'ts', 'amount', '2026-01-01', 'week');
VACUUM ANALYZE bench.clv_summary;
SELECT bench_measure('clv: bgnbd_fit alone (materialised summaries)',
    'SELECT marketiq.bgnbd_fit(frequency, recency, t) FROM bench.clv_summary');
SELECT bench_target('clv: bgnbd_fit alone (materialised summaries)', 'clv: summaries (clv_summary)');
SELECT bench_measure('clv: gamma_gamma_fit alone (materialised summaries)',
    'SELECT marketiq.gamma_gamma_fit(frequency, monetary) FROM bench.clv_summary');
SELECT bench_target('clv: gamma_gamma_fit alone (materialised summaries)', 'clv: summaries (clv_summary)');
SELECT bench_measure('clv: paretonbd_fit alone (materialised summaries)',
    'SELECT marketiq.paretonbd_fit(frequency, recency, t) FROM bench.clv_summary', 1);
SELECT bench_target('clv: paretonbd_fit alone (materialised summaries)', 'clv: summaries (clv_summary)');
SELECT bench_measure('clv: summaries in plain SQL (two GROUP BYs)',
    $$SELECT count(*) FROM (
        SELECT c, count(*) - 1 AS frequency, (max(d) - min(d)) / 7.0 AS recency,
               (date '2026-01-01' - min(d)) / 7.0 AS t,
               (sum(v) - (min(ARRAY[(d - date '2000-01-01')::float8, v]))[2]) / greatest(count(*) - 1, 1) AS monetary
        FROM (SELECT customer_id AS c, ts::date AS d, sum(amount) AS v FROM bench.orders
              WHERE ts <= '2026-01-01' GROUP BY 1, 2) s
        GROUP BY c) q$$, 1);
SELECT bench_target('clv: summaries in plain SQL (two GROUP BYs)', 'clv: summaries (clv_summary)');

-- RFM
SELECT bench_measure('clv: RFM floor (GROUP BY customer + 3 ntile windows)',
    $$SELECT count(*) FROM (
        SELECT customer_id, ntile(5) OVER (ORDER BY max(ts)), ntile(5) OVER (ORDER BY count(*)),
               ntile(5) OVER (ORDER BY sum(amount))
        FROM bench.orders WHERE ts <= '2026-01-01' GROUP BY customer_id) s$$);
SELECT bench_measure('clv: rfm_report',
    $$SELECT count(*) FROM marketiq.rfm_report('bench.orders', 'customer_id', 'ts', 'amount', '2026-01-01')$$);
SELECT bench_target('clv: rfm_report', 'clv: RFM floor (GROUP BY customer + 3 ntile windows)', 2);

-- CLV for every customer
DROP TABLE IF EXISTS bench.clv_models;
CREATE TABLE bench.clv_models AS
SELECT marketiq.bgnbd_fit(frequency, recency, t) AS bg, marketiq.gamma_gamma_fit(frequency, monetary) AS gg
FROM bench.clv_summary;
SELECT bench_measure('clv: clv() for 1M customers, 52 weeks undiscounted',
    'SELECT sum(marketiq.clv(bg, gg, frequency, recency, t, monetary, 52)) FROM bench.clv_summary, bench.clv_models', 1);
SELECT bench_target('clv: clv() for 1M customers, 52 weeks undiscounted', 'clv: summaries (clv_summary)');
SELECT bench_measure('clv: clv() for 1M customers, 13 weeks at 0.2%/week',
    'SELECT sum(marketiq.clv(bg, gg, frequency, recency, t, monetary, 13, 0.002)) FROM bench.clv_summary, bench.clv_models', 1);
SELECT bench_target('clv: clv() for 1M customers, 13 weeks at 0.2%/week', 'clv: summaries (clv_summary)');
