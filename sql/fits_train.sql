-- fits_train: logistic regression over a relation, one aggregate pass per Newton iteration:
-- marketiq.logreg_train and the step aggregate marketiq.logreg_step (src/fits/logreg_train.c).
-- The reference is the in-memory aggregate marketiq.logreg, itself checked against
-- statsmodels and R in fits_logreg: both run the same Newton loop, so they must give the
-- same model (to 1e-10 relative: the sums are added in a different order).
SET extra_float_digits = 0;
CREATE SCHEMA fits_train;
SET search_path = fits_train, public;

-- a agrees with b to rel (relative)
CREATE FUNCTION agrees(a float8, b float8, rel float8 DEFAULT 1e-10) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT NULL AND b IS NOT NULL AND a NOT IN ('NaN', 'Infinity', '-Infinity')
             AND (abs(a - b) <= rel * abs(b) OR (b = 0 AND abs(a) < 1e-300)) $$;
-- every coefficient and standard error of two models agree
CREATE FUNCTION same_model(a marketiq.logreg, b marketiq.logreg) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT bool_and(agrees(x.coef, y.coef) AND agrees(x.std_err, y.std_err))
             AND (SELECT (f.n, f.rows_skipped, f.rank, f.iterations, f.converged, f.separation)
                         = (g.n, g.rows_skipped, g.rank, g.iterations, g.converged, g.separation)
                         AND agrees(f.log_likelihood, g.log_likelihood)
                  FROM marketiq.fit_stats(a) f, marketiq.fit_stats(b) g)
      FROM marketiq.coefficients(a) x JOIN marketiq.coefficients(b) y USING (term) $$;

-- the synthetic bank-marketing table of test/reference/fits_data.sql (3,000 clients)
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
    FROM generate_series(1, 3000) AS i
)
SELECT id, age, balance, duration, campaign, previous, housing, loan, w,
       pg_temp.fits_u(id, 8) < 1.0::float8 / (1.0::float8 + exp(-(-3.2::float8 + 0.012::float8 * age
           + 0.04::float8 * balance + 0.35::float8 * duration - 0.12::float8 * campaign
           + 0.45::float8 * previous - 0.5::float8 * housing - 0.6::float8 * loan))) AS subscribed,
       200.0::float8 + 15.0::float8 * age + 8.0::float8 * balance + 30.0::float8 * duration
           - 25.0::float8 * campaign + 400.0::float8 * (pg_temp.fits_u(id, 9) + pg_temp.fits_u(id, 10)
           + pg_temp.fits_u(id, 11) - 1.5::float8) AS deposit
FROM f;
ALTER TABLE bank ADD COLUMN has_loan boolean;
UPDATE bank SET has_loan = loan = 1;

-- the driver gives the aggregate's model: plain, weighted, without intercept
SELECT same_model(
         marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'balance', 'duration', 'campaign', 'previous', 'housing', 'loan']),
         (SELECT marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan]) FROM bank)) AS plain,
       same_model(
         marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'balance', 'duration'], weight => 'w'),
         (SELECT marketiq.logreg(subscribed, ARRAY[age, balance, duration], w) FROM bank)) AS weighted,
       same_model(
         marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'balance', 'duration'], intercept => false),
         (SELECT marketiq.logreg(subscribed, ARRAY[age, balance, duration], false) FROM bank)) AS origin;

-- its coefficients, as in fits_logreg (statsmodels Logit to 1e-6)
SELECT term, round(coef::numeric, 6) AS coef, round(std_err::numeric, 6) AS std_err
FROM marketiq.coefficients(marketiq.logreg_train('bank', 'subscribed',
         ARRAY['age', 'balance', 'duration', 'campaign', 'previous', 'housing', 'loan']))
ORDER BY term;

-- x may name boolean (0/1) and integer columns; the source may be a view, which is how
-- computed features come in (x names columns, never expressions)
CREATE VIEW bank_features AS
SELECT subscribed, age, balance, duration, has_loan, (duration > 5)::int AS long_call FROM bank;
SELECT same_model(
         marketiq.logreg_train('bank_features', 'subscribed', ARRAY['age', 'has_loan', 'long_call']),
         (SELECT marketiq.logreg(subscribed, ARRAY[age, has_loan::int, (duration > 5)::int]) FROM bank)) AS view_and_booleans;

-- column names are quoted from the catalog, so any name works (and nothing else gets in)
ALTER TABLE bank RENAME COLUMN campaign TO "Contacts ""this"" campaign";
SELECT same_model(marketiq.logreg_train('bank', 'subscribed', ARRAY['Contacts "this" campaign']),
                  (SELECT marketiq.logreg(subscribed, ARRAY["Contacts ""this"" campaign"]) FROM bank)) AS quoted_name;
ALTER TABLE bank RENAME COLUMN "Contacts ""this"" campaign" TO campaign;

-- NULL rows are skipped and counted as the aggregate does
CREATE TABLE holes AS
SELECT CASE WHEN id % 10 = 0 THEN NULL ELSE subscribed END AS subscribed,
       CASE WHEN id % 11 = 0 THEN NULL ELSE age END AS age, duration,
       CASE WHEN id % 13 = 0 THEN NULL ELSE w END AS w
FROM bank;
SELECT n, rows_skipped FROM marketiq.fit_stats(marketiq.logreg_train('holes', 'subscribed', ARRAY['age', 'duration'], 'w'));
SELECT same_model(marketiq.logreg_train('holes', 'subscribed', ARRAY['age', 'duration'], 'w'),
                  (SELECT marketiq.logreg(subscribed, ARRAY[age, duration], w) FROM holes)) AS holes_same;

-- an empty source has no model
CREATE TABLE nothing (y boolean, x float8);
SELECT marketiq.logreg_train('nothing', 'y', ARRAY['x']) IS NULL AS empty;

-- iterations and tolerance: stopping early is reported (a warning, converged = false)
SELECT iterations, converged
FROM marketiq.fit_stats(marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'duration'], max_iterations => 2));
SELECT iterations < (SELECT iterations FROM marketiq.fit_stats(marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'duration'])))
       AS fewer_iterations, converged
FROM marketiq.fit_stats(marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'duration'], tolerance => 1e-3));

-- progress: one NOTICE per pass and per iteration when marketiq.progress is on (the deviance
-- at zero coefficients is 2 n ln 2 = 44.36141956 for the 32 cars, by hand)
CREATE TABLE cars (manual boolean, hp float8, wt float8);
INSERT INTO cars VALUES
    (true, 110, 2.62), (true, 110, 2.875), (true, 93, 2.32), (false, 110, 3.215), (false, 175, 3.44),
    (false, 105, 3.46), (false, 245, 3.57), (false, 62, 3.19), (false, 95, 3.15), (false, 123, 3.44),
    (false, 123, 3.44), (false, 180, 4.07), (false, 180, 3.73), (false, 180, 3.78), (false, 205, 5.25),
    (false, 215, 5.424), (false, 230, 5.345), (true, 66, 2.2), (true, 52, 1.615), (true, 65, 1.835),
    (false, 97, 2.465), (false, 150, 3.52), (false, 150, 3.435), (false, 245, 3.84), (false, 175, 3.845),
    (true, 66, 1.935), (true, 91, 2.14), (true, 113, 1.513), (true, 264, 3.17), (true, 175, 2.77),
    (true, 335, 3.57), (true, 109, 2.78);
SET marketiq.progress = on;
SELECT iterations FROM marketiq.fit_stats(marketiq.logreg_train('cars', 'manual', ARRAY['hp', 'wt'], max_iterations => 3));
RESET marketiq.progress;

-- the driver runs with the caller's privileges
CREATE ROLE regress_fits_reader;
GRANT USAGE ON SCHEMA fits_train, marketiq TO regress_fits_reader;
SET ROLE regress_fits_reader;
SELECT marketiq.logreg_train('fits_train.bank', 'subscribed', ARRAY['age']);
RESET ROLE;
REVOKE USAGE ON SCHEMA fits_train, marketiq FROM regress_fits_reader;

-- ------------------------------------------------------------------ the step aggregate
-- one pass at beta = 0 (hand check): every probability is 1/2, so the log-likelihood is
-- n ln(1/2), the information weight n / 4 and the intercept's score n_true - n / 2
SELECT (s::text::jsonb) -> 'n' AS n,
       agrees(((s::text::jsonb) ->> 'log_likelihood')::float8, 32 * ln(0.5)) AS loglik_ok,
       (s::text::jsonb) -> 'info_w' AS info_w, (s::text::jsonb) -> 'score0' AS score0,
       s::text::marketiq.logreg_step::text = s::text AS text_round_trip
FROM (SELECT marketiq.logreg_step(manual, ARRAY[hp, wt], ARRAY[0, 0, 0]::float8[], 1.0, true) AS s FROM cars) q;
SELECT count(*) FILTER (WHERE manual) - 16 AS expected_score0 FROM cars;

-- ------------------------------------------------------------------ bad input
SELECT marketiq.logreg_train('bank', 'nope', ARRAY['age']);
SELECT marketiq.logreg_train('bank', 'subscribed', ARRAY['age', 'nope']);
SELECT marketiq.logreg_train('bank', 'age', ARRAY['duration']);
SELECT marketiq.logreg_train('bank_features', 'subscribed', ARRAY['age'], weight => 'has_loan');
SELECT marketiq.logreg_train('bank', 'subscribed', ARRAY['ctid']);
SELECT marketiq.logreg_train('bank', 'subscribed', '{}');
SELECT marketiq.logreg_train('bank', 'subscribed', ARRAY['age', NULL]);
SELECT marketiq.logreg_train('bank', 'subscribed', NULL);
SELECT marketiq.logreg_train(NULL, 'subscribed', ARRAY['age']);
SELECT marketiq.logreg_train('bank', 'subscribed', ARRAY['age'], max_iterations => 0);
SELECT marketiq.logreg_train('bank', 'subscribed', ARRAY['age'], tolerance => 0);
SELECT marketiq.logreg_train('no_such_table', 'subscribed', ARRAY['age']);
CREATE TABLE texty (y boolean, x text);
SELECT marketiq.logreg_train('texty', 'y', ARRAY['x']);
SELECT marketiq.logreg_step(manual, ARRAY[hp, wt], ARRAY[0, 0]::float8[], 1.0, true) FROM cars;
SELECT marketiq.logreg_step(manual, ARRAY[hp, wt], ARRAY[0, 0, hp], 1.0, true) FROM cars;
SELECT marketiq.logreg_step(manual, ARRAY[hp, wt], NULL, 1.0, true) FROM cars;
SELECT marketiq.logreg_step(manual, ARRAY[hp, wt], ARRAY[0, 0, 0]::float8[], 1.0, NULL) FROM cars;
SELECT '{"kind":"logreg_step","format":1,"p":2,"intercept":1,"beta":[0,0],"n":0,"rows_skipped":0,"sum_w":0,"sum_w_true":0,"log_likelihood":0,"extreme_w":0,"info_w":0,"info_mean":[0,0],"info_comoments":[0,0,0],"score0":0,"score":[0,0]}'::marketiq.logreg_step;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA fits_train CASCADE;
DROP ROLE regress_fits_reader;
RESET client_min_messages;
