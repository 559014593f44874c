-- fits.sql: linear and logistic regression (issue 4).  Run with
--     flock /tmp/marketiq-bench.lock sh bench/run.sh fits
--
-- Data, generated here deterministically (integer arithmetic and bench.u01, never random()):
--   bench.fits_10m  10,000,000 rows: y and ten features x1..x10 (y linear in them plus noise)
--   bench.fits_1m    1,000,000 rows: a boolean y, logistic in ten features
-- Benchmarks (one core; each against its floor, measured in the same run; best of 5 runs for
-- the linreg ones, whose floors take about a second):
--   linreg on 10M x 10 vs a plain scan computing sum() of the same ten columns: target 1.5x,
--       for the array form linreg(y, ARRAY[x1, ..., x10]) and the column form
--       linreg_columns(y, x1, ..., x10) (which skips building an array per row);
--   linreg on one feature vs PostgreSQL's regr_slope(y, x1): reported;
--   logreg on 1M x 10, the aggregate and the logreg_train driver, vs exporting the table with
--       COPY and fitting it with statsmodels in /usr/bin/python3 (bench/fits_statsmodels.py,
--       export + fit measured together): target at least 5x faster (ratio <= 0.2).
\set ON_ERROR_STOP on
SET client_min_messages = notice;

DROP TABLE IF EXISTS bench.fits_10m, bench.fits_1m;
CREATE TABLE bench.fits_10m AS
SELECT id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10,
       1 + 2 * x1 - 3 * x2 + 0.5 * x3 + x4 - x5 + 0.25 * x6 + 2 * x7 - x8 + 0.1 * x9 + 3 * x10 + e AS y
FROM (SELECT i AS id,
             ((i * 7919) % 1000003)::float8 / 1000003 AS x1,
             ((i * 104729) % 1000033)::float8 / 1000033 AS x2,
             ((i * 1299709) % 1000037)::float8 / 1000037 AS x3,
             ((i * 15485863) % 1000039)::float8 / 1000039 AS x4,
             ((i * 179424673) % 1000081)::float8 / 1000081 AS x5,
             ((i * 2038074743) % 1000099)::float8 / 1000099 AS x6,
             ((i * 3280307) % 1000117)::float8 / 1000117 AS x7,
             ((i * 49979687) % 1000121)::float8 / 1000121 AS x8,
             ((i * 573259391) % 1000133)::float8 / 1000133 AS x9,
             ((i * 7046029) % 1000151)::float8 / 1000151 AS x10,
             ((i * 48271) % 2147483647)::float8 / 2147483647 AS e
      FROM generate_series(1::bigint, 10000000) AS i) s;

CREATE TABLE bench.fits_1m AS
SELECT id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10,
       bench.u01(id, 111) < 1 / (1 + exp(-(-1 + 0.8 * x1 - 0.5 * x2 + 0.3 * x3 + 0.2 * x4 - 0.7 * x5
                                           + 0.1 * x6 + 0.4 * x7 - 0.2 * x8 + 0.6 * x9 - 0.3 * x10))) AS y
FROM (SELECT i AS id,
             -ln(bench.u01(i, 101)) AS x1, sqrt(-2 * ln(bench.u01(i, 102))) * cos(2 * pi() * bench.u01(i, 103)) AS x2,
             bench.u01(i, 104) * 2 AS x3, floor(bench.u01(i, 105) * 5) AS x4,
             (bench.u01(i, 106) < 0.3)::int::float8 AS x5, bench.u01(i, 107) - bench.u01(i, 108) AS x6,
             sqrt(-2 * ln(bench.u01(i, 109))) * sin(2 * pi() * bench.u01(i, 103)) AS x7,
             floor(-ln(bench.u01(i, 110)) * 3) AS x8, bench.u01(i, 112) AS x9, bench.u01(i, 113) * bench.u01(i, 114) AS x10
      FROM generate_series(1::bigint, 1000000) AS i) s;
VACUUM ANALYZE bench.fits_10m;
VACUUM ANALYZE bench.fits_1m;
-- bring both tables into shared buffers, so every measurement starts from the same state
SELECT count(*) FROM bench.fits_10m;
SELECT count(*) FROM bench.fits_10m;
SELECT count(*) FROM bench.fits_1m;

-- linreg, 10M rows x 10 features, against sum() of the same ten columns
SELECT bench_measure('fits floor: sum() of 10 columns, 10M rows',
    'SELECT sum(x1), sum(x2), sum(x3), sum(x4), sum(x5), sum(x6), sum(x7), sum(x8), sum(x9), sum(x10) FROM bench.fits_10m', 5);
SELECT bench_measure('linreg 10M x 10: linreg(y, ARRAY[x1..x10])',
    'SELECT marketiq.linreg(y, ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) FROM bench.fits_10m', 5);
SELECT bench_measure('linreg 10M x 10: linreg_columns(y, x1, .., x10)',
    'SELECT marketiq.linreg_columns(y, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10) FROM bench.fits_10m', 5);
SELECT bench_target('linreg 10M x 10: linreg(y, ARRAY[x1..x10])', 'fits floor: sum() of 10 columns, 10M rows', 1.5);
SELECT bench_target('linreg 10M x 10: linreg_columns(y, x1, .., x10)', 'fits floor: sum() of 10 columns, 10M rows', 1.5);

-- one feature, against PostgreSQL's own regr_slope
SELECT bench_measure('fits floor: regr_slope(y, x1), 10M rows', 'SELECT regr_slope(y, x1) FROM bench.fits_10m', 5);
SELECT bench_measure('linreg 10M x 1: linreg(y, ARRAY[x1])', 'SELECT marketiq.linreg(y, ARRAY[x1]) FROM bench.fits_10m', 5);
SELECT bench_measure('linreg 10M x 1: linreg_columns(y, x1)', 'SELECT marketiq.linreg_columns(y, x1) FROM bench.fits_10m', 5);
SELECT bench_target('linreg 10M x 1: linreg(y, ARRAY[x1])', 'fits floor: regr_slope(y, x1), 10M rows');
SELECT bench_target('linreg 10M x 1: linreg_columns(y, x1)', 'fits floor: regr_slope(y, x1), 10M rows');

-- logreg, 1M rows x 10 features, against exporting the table and fitting it in Python
\! /usr/bin/python3 bench/fits_statsmodels.py
SELECT bench_measure('logreg 1M x 10: logreg aggregate',
    'SELECT marketiq.logreg(y, ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) FROM bench.fits_1m');
SELECT bench_measure('logreg 1M x 10: logreg_train driver',
    $$SELECT marketiq.logreg_train('bench.fits_1m', 'y', ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10'])$$);
SELECT bench_target('logreg 1M x 10: logreg aggregate', 'statsmodels: COPY export + Logit fit, 1M x 10', 0.2);
SELECT bench_target('logreg 1M x 10: logreg_train driver', 'statsmodels: COPY export + Logit fit, 1M x 10', 0.2);
-- iterations (printed, not timed), and the agreement of the three fits
SELECT f.iterations, f.converged, f.n
FROM marketiq.fit_stats((SELECT marketiq.logreg(y, ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) FROM bench.fits_1m)) f;
DO $$
DECLARE
    it int;
    diff float8;
BEGIN
    SELECT f.iterations INTO it
    FROM marketiq.fit_stats((SELECT marketiq.logreg(y, ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) FROM bench.fits_1m)) f;
    SELECT max(abs(a.coef - b.coef) / abs(b.coef)) INTO diff
    FROM marketiq.coefficients((SELECT marketiq.logreg(y, ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) FROM bench.fits_1m)) a
    JOIN marketiq.coefficients(marketiq.logreg_train('bench.fits_1m', 'y', ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10'])) b
    USING (term);
    RAISE NOTICE 'logreg 1M x 10: % Newton iterations; aggregate and driver coefficients agree to % (relative)', it, diff;
END $$;
