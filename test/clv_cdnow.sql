-- clv_cdnow.sql: loads the CDNOW sample (test/data/cdnow, see its README.md) for the customer-value
-- tests, which include it with \i after changing to the repository root: pg_regress exports it
-- as PG_ABS_SRCDIR, and \copy reads client-side files relative to psql's working directory.
\getenv abs_srcdir PG_ABS_SRCDIR
\cd :abs_srcdir
SET client_min_messages = warning;
DROP TABLE IF EXISTS cdnow_raw, cdnow, cdnow_csv;
RESET client_min_messages;
CREATE TABLE cdnow_raw (line text);
\copy cdnow_raw FROM 'test/data/cdnow/CDNOW_sample.txt'
-- raw transactions: master id, sample id, date YYYYMMDD, CDs, dollars (whitespace-separated)
CREATE TABLE cdnow AS
SELECT f[2]::int AS customer_id, to_date(f[3], 'YYYYMMDD') AS ts, f[4]::int AS cds,
       f[5]::numeric(10, 2) AS amount
FROM (SELECT regexp_split_to_array(btrim(line), '\s+') AS f FROM cdnow_raw) s;
-- the per-customer calibration summary published with the data (weeks, 2 decimals)
CREATE TABLE cdnow_csv (id int, x int, t_x float8, t float8, zbar float8);
\copy cdnow_csv FROM 'test/data/cdnow/cdnow_customers_summary_with_transactions.csv' (FORMAT csv, HEADER)
DROP TABLE cdnow_raw;
