-- fits_parallel: every fitting aggregate gives the serial answer under a parallel plan
-- (to 1e-10 relative, the issue's tolerance: partial states add the same rows in a different
-- order).  The input is partitioned 4 ways and partitionwise aggregation is on, so PostgreSQL
-- builds one partial state per partition and always runs the combine function; EXPLAIN shows
-- the Partial Aggregates under the Gather.
SET extra_float_digits = 0;
CREATE SCHEMA fits_par;
SET search_path = fits_par, public;

-- a agrees with b to 1e-10 relative
CREATE FUNCTION agrees(a float8, b float8) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT NULL AND b IS NOT NULL AND a NOT IN ('NaN', 'Infinity', '-Infinity')
             AND abs(a - b) <= 1e-10 * abs(b) $$;

-- the synthetic bank-marketing table of test/reference/fits_data.sql, at 6,000 clients
CREATE FUNCTION pg_temp.fits_u(i bigint, s int) RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    a bigint := (i * 1000003 + s * 7919) % 2147483647;
BEGIN
    a := ((a # (a >> 13)) * 48271) % 2147483647;
    a := ((a # (a >> 11)) * 48271) % 2147483647;
    a := ((a # (a >> 15)) * 48271) % 2147483647;
    RETURN (a::float8 + 0.5::float8) / 2147483647.0::float8;
END
$$;

CREATE TABLE bank AS
WITH f AS (
    SELECT i AS id,
           18 + floor(pg_temp.fits_u(i, 1) * 60) AS age,
           floor(pg_temp.fits_u(i, 2) * pg_temp.fits_u(i, 2) * 50000) / 1000.0::float8 AS balance,
           floor(-ln(pg_temp.fits_u(i, 3)) * 250) / 60.0::float8 AS duration,
           1 + floor(-ln(pg_temp.fits_u(i, 4)) * 2) AS campaign,
           floor(-ln(pg_temp.fits_u(i, 5)) * 0.6::float8) AS previous,
           CASE WHEN pg_temp.fits_u(i, 6) < 0.55::float8 THEN 1 ELSE 0 END::float8 AS housing,
           CASE WHEN pg_temp.fits_u(i, 7) < 0.16::float8 THEN 1 ELSE 0 END::float8 AS loan,
           1 + floor(pg_temp.fits_u(i, 12) * 3) AS w
    FROM generate_series(1, 6000) AS i
)
SELECT id, age, balance, duration, campaign, previous, housing, loan, w,
       pg_temp.fits_u(id, 8) < 1.0::float8 / (1.0::float8 + exp(-(-3.2::float8 + 0.012::float8 * age
           + 0.04::float8 * balance + 0.35::float8 * duration - 0.12::float8 * campaign
           + 0.45::float8 * previous - 0.5::float8 * housing - 0.6::float8 * loan))) AS subscribed,
       200.0::float8 + 15.0::float8 * age + 8.0::float8 * balance + 30.0::float8 * duration
           - 25.0::float8 * campaign + 400.0::float8 * (pg_temp.fits_u(id, 9) + pg_temp.fits_u(id, 10)
           + pg_temp.fits_u(id, 11) - 1.5::float8) AS deposit
FROM f;
CREATE TABLE bank_p (LIKE bank) PARTITION BY HASH (id);
CREATE TABLE bank_p0 PARTITION OF bank_p FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE bank_p1 PARTITION OF bank_p FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE bank_p2 PARTITION OF bank_p FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE bank_p3 PARTITION OF bank_p FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO bank_p SELECT * FROM bank;
ANALYZE bank_p;
SELECT count(*) FILTER (WHERE n = 0) AS empty_partitions
FROM (SELECT tableoid, count(*) AS n FROM bank_p GROUP BY tableoid) s;

-- the fits, serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS
SELECT marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan]) AS ols,
       marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan], w, false) AS wls,
       marketiq.linreg_columns(deposit, age, balance, duration) AS cols,
       marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan], w) AS logit,
       marketiq.logreg_columns(subscribed, age, duration, housing) AS logit_cols,
       marketiq.logreg_step(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan],
                            ARRAY[-3, 0.01, 0.03, 0.3, -0.1, 0.4, -0.5, -0.9]::float8[], w, true) AS step
FROM bank_p;
-- (two iterations of the driver are enough to compare its passes; the warning says so)
SET client_min_messages = error;
CREATE TABLE serial_train AS
SELECT marketiq.logreg_train('bank_p', 'subscribed', ARRAY['age', 'balance', 'duration', 'campaign', 'previous', 'housing', 'loan'], 'w',
                             max_iterations => 2) AS m;
RESET client_min_messages;

-- the same, under a forced parallel plan
SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF)
SELECT marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan]) AS ols,
       marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan], w) AS logit,
       marketiq.logreg_step(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan],
                            ARRAY[-3, 0.01, 0.03, 0.3, -0.1, 0.4, -0.5, -0.9]::float8[], w, true) AS step
FROM bank_p;
CREATE TABLE par AS
SELECT marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan]) AS ols,
       marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan], w, false) AS wls,
       marketiq.linreg_columns(deposit, age, balance, duration) AS cols,
       marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan], w) AS logit,
       marketiq.logreg_columns(subscribed, age, duration, housing) AS logit_cols,
       marketiq.logreg_step(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan],
                            ARRAY[-3, 0.01, 0.03, 0.3, -0.1, 0.4, -0.5, -0.9]::float8[], w, true) AS step
FROM bank_p;
-- the driver's passes are the step aggregate over the relation: they run in parallel too
SET client_min_messages = error;
CREATE TABLE par_train AS
SELECT marketiq.logreg_train('bank_p', 'subscribed', ARRAY['age', 'balance', 'duration', 'campaign', 'previous', 'housing', 'loan'], 'w',
                             max_iterations => 2) AS m;
RESET client_min_messages;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;

-- coefficients and standard errors agree to 1e-10, and so do the fit statistics
SELECT 'ols' AS fit, bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err)) AS same
FROM serial, par, marketiq.coefficients(serial.ols) s JOIN marketiq.coefficients(par.ols) p USING (term)
UNION ALL
SELECT 'wls, no intercept', bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err))
FROM serial, par, marketiq.coefficients(serial.wls) s JOIN marketiq.coefficients(par.wls) p USING (term)
UNION ALL
SELECT 'linreg_columns', bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err))
FROM serial, par, marketiq.coefficients(serial.cols) s JOIN marketiq.coefficients(par.cols) p USING (term)
UNION ALL
SELECT 'logreg, weighted', bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err))
FROM serial, par, marketiq.coefficients(serial.logit) s JOIN marketiq.coefficients(par.logit) p USING (term)
UNION ALL
SELECT 'logreg_columns', bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err))
FROM serial, par, marketiq.coefficients(serial.logit_cols) s JOIN marketiq.coefficients(par.logit_cols) p USING (term)
UNION ALL
SELECT 'logreg_train, 2 iterations', bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err))
FROM serial_train st, par_train pt, marketiq.coefficients(st.m) s JOIN marketiq.coefficients(pt.m) p USING (term);

SELECT agrees(p.r2, s.r2) AND agrees(p.f_statistic, s.f_statistic) AND agrees(p.log_likelihood, s.log_likelihood)
       AND agrees(p.condition_number, s.condition_number) AND p.n = s.n AS linreg_stats_same,
       (SELECT agrees(p2.log_likelihood, s2.log_likelihood) AND agrees(p2.null_deviance, s2.null_deviance)
               AND agrees(p2.condition_number, s2.condition_number) AND p2.iterations = s2.iterations
        FROM serial, par, marketiq.fit_stats(serial.logit) s2, marketiq.fit_stats(par.logit) p2) AS logreg_stats_same
FROM serial, par, marketiq.fit_stats(serial.ols) s, marketiq.fit_stats(par.ols) p;

-- the step values: every sum agrees (integer weights: the counts and weight sums exactly)
SELECT (s.j -> 'n') = (p.j -> 'n') AND (s.j -> 'sum_w') = (p.j -> 'sum_w') AND (s.j -> 'sum_w_true') = (p.j -> 'sum_w_true') AS counts_equal,
       agrees((p.j ->> 'log_likelihood')::float8, (s.j ->> 'log_likelihood')::float8)
       AND agrees((p.j ->> 'info_w')::float8, (s.j ->> 'info_w')::float8)
       AND agrees((p.j ->> 'score0')::float8, (s.j ->> 'score0')::float8) AS sums_agree,
       (SELECT bool_and(agrees(a::float8, b::float8))
        FROM jsonb_array_elements_text(p.j -> 'score') WITH ORDINALITY x(a, i)
        JOIN jsonb_array_elements_text(s.j -> 'score') WITH ORDINALITY y(b, i) USING (i)) AS scores_agree,
       (SELECT bool_and(abs(a::float8 - b::float8) <= 1e-10 * (abs(b::float8) + 1e-3))
        FROM jsonb_array_elements_text(p.j -> 'info_comoments') WITH ORDINALITY x(a, i)
        JOIN jsonb_array_elements_text(s.j -> 'info_comoments') WITH ORDINALITY y(b, i) USING (i)) AS information_agrees
FROM (SELECT step::text::jsonb AS j FROM serial) s, (SELECT step::text::jsonb AS j FROM par) p;

-- continuous features: each partial state of the logreg aggregate keeps about 18,000 mostly
-- distinct rows, so past 16,384 cells it stops hashing and appends them (logreg.c); the serial
-- and parallel fits still agree
CREATE TABLE wide_p (i int, y boolean, x1 float8, x2 float8) PARTITION BY HASH (i);
CREATE TABLE wide_p0 PARTITION OF wide_p FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE wide_p1 PARTITION OF wide_p FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE wide_p2 PARTITION OF wide_p FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE wide_p3 PARTITION OF wide_p FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO wide_p
SELECT i, ((i::bigint * 48271) % 2147483647)::float8 / 2147483647 < 0.2 + 0.2 * x1 + 0.3 * x2, x1, x2
FROM (SELECT i, i / 72000.0 AS x1, ((i::bigint * 7919) % 1000003)::float8 / 1000003 AS x2
      FROM generate_series(1, 72000) AS i) s;
ANALYZE wide_p;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE wide_serial AS SELECT marketiq.logreg(y, ARRAY[x1, x2]) AS m FROM wide_p;
SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
CREATE TABLE wide_par AS SELECT marketiq.logreg(y, ARRAY[x1, x2]) AS m FROM wide_p;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;
SELECT bool_and(agrees(p.coef, s.coef) AND agrees(p.std_err, s.std_err)) AS parallel_same,
       min((SELECT n FROM marketiq.fit_stats(ws.m))) AS n
FROM wide_serial ws, wide_par wp, marketiq.coefficients(ws.m) s
JOIN marketiq.coefficients(wp.m) p USING (term);

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA fits_par CASCADE;
RESET client_min_messages;
