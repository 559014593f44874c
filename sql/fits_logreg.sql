-- fits_logreg: logistic regression, marketiq.logreg and logreg_columns (src/fits/logreg.c,
-- irls.c).  Every reference value says where it comes from:
--   sm   statsmodels 0.13.5 Logit (Newton, tol 1e-14) and GLM Binomial, printed by
--        test/reference/fits_logreg.py;
--   R    R 4.2 glm(family = binomial), printed by test/reference/fits_mtcars.R.  R stops at a
--        relative deviance change of 1e-8 and takes standard errors at its last weights, so
--        they differ from a fit converged to 1e-10 by ~1e-7; statsmodels evaluates them at the
--        final coefficients, as marketiq does.
-- Agreement is checked to 1e-6 relative (the issue's tolerance); numbers are shown rounded.
SET extra_float_digits = 0;
CREATE SCHEMA fits_log;
SET search_path = fits_log, public;

-- a agrees with b to rel (relative), or both are tiny p-values that underflow differently
CREATE FUNCTION agrees(a float8, b float8, rel float8 DEFAULT 1e-6) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT NULL AND b IS NOT NULL AND a NOT IN ('NaN', 'Infinity', '-Infinity')
             AND (abs(a - b) <= rel * abs(b) OR (b = 0 AND abs(a) < 1e-300)) $$;

-- x rounded to d significant digits, for display (the checks use agrees)
CREATE FUNCTION sig(x float8, d int DEFAULT 8) RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN x = 0 THEN 0 ELSE round(x::numeric, d - 1 - floor(log(abs(x)))::int) END $$;

-- ------------------------------------------------------------------ mtcars (R glm, statsmodels)
CREATE TABLE mtcars (model text, am int, mpg float8, hp float8, wt float8, qsec float8, vs int);
INSERT INTO mtcars VALUES
    ('Mazda RX4', 1, 21, 110, 2.62, 16.46, 0), ('Mazda RX4 Wag', 1, 21, 110, 2.875, 17.02, 0),
    ('Datsun 710', 1, 22.8, 93, 2.32, 18.61, 1), ('Hornet 4 Drive', 0, 21.4, 110, 3.215, 19.44, 1),
    ('Hornet Sportabout', 0, 18.7, 175, 3.44, 17.02, 0), ('Valiant', 0, 18.1, 105, 3.46, 20.22, 1),
    ('Duster 360', 0, 14.3, 245, 3.57, 15.84, 0), ('Merc 240D', 0, 24.4, 62, 3.19, 20, 1),
    ('Merc 230', 0, 22.8, 95, 3.15, 22.9, 1), ('Merc 280', 0, 19.2, 123, 3.44, 18.3, 1),
    ('Merc 280C', 0, 17.8, 123, 3.44, 18.9, 1), ('Merc 450SE', 0, 16.4, 180, 4.07, 17.4, 0),
    ('Merc 450SL', 0, 17.3, 180, 3.73, 17.6, 0), ('Merc 450SLC', 0, 15.2, 180, 3.78, 18, 0),
    ('Cadillac Fleetwood', 0, 10.4, 205, 5.25, 17.98, 0), ('Lincoln Continental', 0, 10.4, 215, 5.424, 17.82, 0),
    ('Chrysler Imperial', 0, 14.7, 230, 5.345, 17.42, 0), ('Fiat 128', 1, 32.4, 66, 2.2, 19.47, 1),
    ('Honda Civic', 1, 30.4, 52, 1.615, 18.52, 1), ('Toyota Corolla', 1, 33.9, 65, 1.835, 19.9, 1),
    ('Toyota Corona', 0, 21.5, 97, 2.465, 20.01, 1), ('Dodge Challenger', 0, 15.5, 150, 3.52, 16.87, 0),
    ('AMC Javelin', 0, 15.2, 150, 3.435, 17.3, 0), ('Camaro Z28', 0, 13.3, 245, 3.84, 15.41, 0),
    ('Pontiac Firebird', 0, 19.2, 175, 3.845, 17.05, 0), ('Fiat X1-9', 1, 27.3, 66, 1.935, 18.9, 1),
    ('Porsche 914-2', 1, 26, 91, 2.14, 16.7, 0), ('Lotus Europa', 1, 30.4, 113, 1.513, 16.9, 1),
    ('Ford Pantera L', 1, 15.8, 264, 3.17, 14.5, 0), ('Ferrari Dino', 1, 19.7, 175, 2.77, 15.5, 0),
    ('Maserati Bora', 1, 15, 335, 3.57, 14.6, 0), ('Volvo 142E', 1, 21.4, 109, 2.78, 18.6, 1);
CREATE TABLE mtcars_fit AS SELECT marketiq.logreg(am = 1, ARRAY[hp, wt]) AS m FROM mtcars;

-- sm: Logit(am ~ hp + wt); R's glm agrees with the same numbers to 1e-6 (second check)
SELECT c.term, sig(c.coef) AS coef, sig(c.std_err) AS std_err,
       sig(c.statistic) AS z,
       agrees(c.coef, sm.coef) AND agrees(c.std_err, sm.se) AND agrees(c.statistic, sm.z)
           AND agrees(c.p_value, sm.p) AS sm_ok,
       agrees(c.coef, r.coef) AND agrees(c.std_err, r.se) AND agrees(c.statistic, r.z)
           AND agrees(c.p_value, r.p) AS r_ok
FROM mtcars_fit, marketiq.coefficients(m) c
JOIN (VALUES (0, 18.866298717204163, 7.443558427982143, 2.5345805906864607, 0.011258202740767507),
             (1, 0.03625559608221663, 0.017734154331947596, 2.0443938517498497, 0.04091465421039053),
             (2, -8.083475182444653, 3.0686752753907705, -2.63419047537224, 0.008433816061294874))
     AS sm(term, coef, se, z, p) USING (term)
JOIN (VALUES (0, 18.86629871720411, 7.44355806020529, 2.5345807159168965, 0.0112581987166138),
             (1, 0.03625559608221654, 0.017734153650769371, 2.0443939302760943, 0.04091464645903025),
             (2, -8.08347518244463, 3.0686751130547036, -2.6341906147236154, 0.0084338125997071769))
     AS r(term, coef, se, z, p) USING (term)
ORDER BY c.term;

-- sm: llf, llnull (as null deviance / -2), aic, bic, prsquared, llr, llr_pvalue, cond(X);
-- R: deviance 10.059110472266985, null deviance 43.229733276857807, 8 iterations
SELECT n, k, rank, df_resid, iterations, converged, separation,
       sig(residual_deviance) AS deviance, sig(null_deviance) AS null_deviance,
       agrees(log_likelihood, -5.0295552361334925) AS llf_ok,
       agrees(null_deviance, -2 * -21.614866638844596) AS null_ok,
       agrees(residual_deviance, 10.059110472266985) AS dev_ok,
       agrees(aic, 16.059110472266987) AS aic_ok, agrees(bic, 20.456318180666166) AS bic_ok,
       agrees(pseudo_r2, 0.7673103739120575) AS r2_ok, agrees(llr, 33.170622805422205) AS llr_ok,
       agrees(llr_p_value, 6.267448545233001e-08) AS llr_p_ok,
       agrees(condition_number, 587.7102612129784) AS cond_ok
FROM mtcars_fit, marketiq.fit_stats(m);

-- sm and R: the probability of a manual gearbox at 150 hp and 3,000 lb
SELECT sig(marketiq.predict(m, ARRAY[150, 3]::float8[])) AS p_manual,
       agrees(marketiq.predict(m, ARRAY[150, 3]::float8[]), 0.5135498271301285) AS predict_ok
FROM mtcars_fit;

-- sm: odds ratios exp(coef) with exp of the 95% Wald limits
SELECT o.term, sig(o.odds_ratio) AS odds_ratio,
       agrees(o.odds_ratio, r.odds) AS odds_ok, agrees(o.ci_lower, r.lo) AS lower_ok,
       agrees(o.ci_upper, r.hi) AS upper_ok,
       o.p_value = c.p_value AS same_p_as_coefficients
FROM mtcars_fit, marketiq.odds_ratios(m) o
JOIN marketiq.coefficients((SELECT m FROM mtcars_fit)) c USING (term)
JOIN (VALUES (0, 156145483.5063306, 72.03789366993408, 338452594562766.06),
             (1, 1.036920845528809, 1.001498413797102, 1.0735961486105865),
             (2, 0.0003085967398404678, 7.539285743086934e-07, 0.12631428372042697))
     AS r(term, odds, lo, hi) USING (term)
ORDER BY o.term;

-- ------------------------------------------------------------------ bank marketing (statsmodels)
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

CREATE TABLE bank_fit AS
SELECT marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan]) AS plain,
       marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan], w) AS weighted,
       marketiq.logreg(subscribed, ARRAY[age, balance, duration], false) AS origin
FROM bank;

-- sm: Logit(subscribed ~ age + balance + duration + campaign + previous + housing + loan)
SELECT c.term, sig(c.coef) AS coef, sig(c.std_err) AS std_err,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok,
       agrees(c.statistic, r.z) AS z_ok, agrees(c.p_value, r.p) AS p_ok
FROM bank_fit, marketiq.coefficients(plain) c
JOIN (VALUES (0, -3.1537599130841683, 0.2003402291637501, -15.742020093759654, 7.79160252487737e-56),
             (1, 0.012612534810048114, 0.0028237218416708103, 4.466635000629245, 7.945952742297373e-06),
             (2, 0.035542516027968506, 0.003255045661096003, 10.919206588334317, 9.330731896447204e-28),
             (3, 0.3427959629549727, 0.01524743884738512, 22.48219956060102, 6.199061498799488e-112),
             (4, -0.11662957667176765, 0.027890358194687954, -4.18171670143631, 2.893163217305989e-05),
             (5, 0.4602800649984831, 0.08846472517751446, 5.202978521381027, 1.9611954380626072e-07),
             (6, -0.4866382109817726, 0.09895553322408067, -4.917746336425682, 8.754625399947172e-07),
             (7, -0.9194622564821464, 0.15515054634162773, -5.926258580215194, 3.0991445081173536e-09))
     AS r(term, coef, se, z, p) USING (term)
ORDER BY c.term;
-- sm: llf, llnull, deviance, null deviance, aic, bic, prsquared, llr, llr_pvalue, cond(X)
SELECT n, rank, iterations, converged, separation,
       agrees(log_likelihood, -1297.4811565285158) AS llf_ok,
       agrees(null_deviance, 3623.5965023127033) AS null_ok,
       agrees(residual_deviance, 2594.9623130570317) AS dev_ok,
       agrees(aic, 2610.9623130570317) AS aic_ok, agrees(bic, 2659.013253598234) AS bic_ok,
       agrees(pseudo_r2, 0.28387106252011285) AS r2_ok, agrees(llr, 1028.6341892556716) AS llr_ok,
       agrees(llr_p_value, 7.825950354503859e-218) AS llr_p_ok,
       agrees(condition_number, 203.0854214397896) AS cond_ok
FROM bank_fit, marketiq.fit_stats(plain);
-- sm: conf_int(0.10) and the probability for one client
SELECT bool_and(agrees(c.ci_lower, r.lo) AND agrees(c.ci_upper, r.hi)) AS ci90_ok
FROM bank_fit, marketiq.confidence_intervals(plain, 0.9) c
JOIN (VALUES (0, -3.483290265648452, -2.8242295605198846),
             (1, 0.007967925697273791, 0.017257143922822436),
             (2, 0.030188442366422093, 0.04089658968951492),
             (3, 0.3177161578651305, 0.3678757680448149),
             (4, -0.16250513350527584, -0.07075401983825946),
             (5, 0.31476854093298323, 0.605791589063983),
             (6, -0.6494055787123186, -0.3238708432512266),
             (7, -1.1746621953556753, -0.6642623176086175)) AS r(term, lo, hi) USING (term);
SELECT sig(marketiq.predict(plain, ARRAY[40, 10, 5, 2, 0, 1, 0]::float8[])) AS p_subscribe,
       agrees(marketiq.predict(plain, ARRAY[40, 10, 5, 2, 0, 1, 0]::float8[]), 0.21420694138920449) AS predict_ok
FROM bank_fit;

-- sm: GLM Binomial with freq_weights w (each row's log-likelihood counts w times, as in R's
-- glm(weights = w)); n still counts rows
SELECT c.term, sig(c.coef) AS coef,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok,
       agrees(c.statistic, r.z) AS z_ok, agrees(c.p_value, r.p) AS p_ok
FROM bank_fit, marketiq.coefficients(weighted) c
JOIN (VALUES (0, -3.194223370925526, 0.1426879858289581, -22.38607092509163, 5.379759651877695e-111),
             (1, 0.014463742826532264, 0.0019936523729787927, 7.254897103711933, 4.0196729332332163e-13),
             (2, 0.0362055613197958, 0.0022936381184074403, 15.785210853111689, 3.933327460556097e-56),
             (3, 0.33761498154872005, 0.010654738774421869, 31.68683800669146, 2.358870239006168e-220),
             (4, -0.13533613650215826, 0.020113529962771527, -6.728611872339376, 1.7128927711721813e-11),
             (5, 0.5233141074236966, 0.06324168091947668, 8.274829192000972, 1.2863989261054024e-16),
             (6, -0.49509084333157755, 0.06981742940555354, -7.091221311740191, 1.3293355805105197e-12),
             (7, -0.9159408417358001, 0.1096362583228104, -8.354360644440506, 6.578806327552027e-17))
     AS r(term, coef, se, z, p) USING (term)
ORDER BY c.term;
SELECT n, agrees(log_likelihood, -2605.399538081201) AS llf_ok,
       agrees(residual_deviance, 5210.799076162402) AS dev_ok,
       agrees(null_deviance, 7274.000694677911) AS null_ok,
       agrees(condition_number, 204.01223335986674) AS cond_ok
FROM bank_fit, marketiq.fit_stats(weighted);

-- sm: GLM Binomial without a constant (terms start at 1; the null model is probability 1/2, as
-- in R's glm: null deviance = 2 n ln 2 = 4158.883083359672 by hand)
SELECT c.term, sig(c.coef) AS coef,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok, agrees(c.p_value, r.p) AS p_ok
FROM bank_fit, marketiq.coefficients(origin) c
JOIN (VALUES (1, -0.036450002679653856, 0.001618022929183634, 2.2323098169985317e-112),
             (2, 0.0046957021164043405, 0.002653553349393867, 0.07679542541300728),
             (3, 0.21904830543913478, 0.011744955105611975, 1.2529721965100927e-77))
     AS r(term, coef, se, p) USING (term)
ORDER BY c.term;
SELECT k, rank, agrees(log_likelihood, -1624.9980043678845) AS llf_ok,
       agrees(residual_deviance, 3249.9960087357686) AS dev_ok,
       agrees(null_deviance, 6000 * ln(2)) AS null_ok,
       agrees(condition_number, 11.732780818589813) AS cond_ok
FROM bank_fit, marketiq.fit_stats(origin);

-- logreg_columns: the features as separate arguments fit the same model
SELECT bool_and(agrees(a.coef, b.coef, 1e-10) AND agrees(a.std_err, b.std_err, 1e-10)) AS same_fit
FROM (SELECT marketiq.logreg_columns(subscribed, age::int, balance, duration::numeric, campaign::real,
                                     previous::bigint, housing = 1, loan::smallint) AS m FROM bank) s,
     bank_fit, marketiq.coefficients(s.m) a JOIN marketiq.coefficients(plain) b USING (term);

-- per group: each group's model equals the model of that group alone
SELECT loan, (marketiq.fit_stats(m)).n,
       m::text = (SELECT marketiq.logreg(subscribed, ARRAY[age, duration])::text FROM bank b
                  WHERE b.loan = g.loan) AS same_as_filtered
FROM (SELECT loan, marketiq.logreg(subscribed, ARRAY[age, duration]) AS m FROM bank GROUP BY loan) g
ORDER BY loan;

-- a model is a value: stored, printed as JSON, read back bit for bit; the fitted value keeps
-- no rows
SELECT m::text::marketiq.logreg::text = m::text AS text_round_trip,
       (m::text::jsonb) -> 'iterations' AS iterations,
       jsonb_array_length((m::text::jsonb) -> 'cell_x') AS cells_kept
FROM mtcars_fit;

-- ------------------------------------------------------------------ NULLs, weights, empty input
-- rows with a NULL y, x, x element or weight are skipped and counted (hand count: ids that
-- are multiples of 10, 11 or 13: 300 + 272 + 230 - 27 - 23 - 20 + 2 = 734); a zero weight
-- leaves the row out (multiples of 17 among the rest: 176 - 17 - 16 - 13 + 3 = 133), so
-- n = 3000 - 734 - 133 = 2133
SELECT n, rows_skipped
FROM (SELECT marketiq.logreg(CASE WHEN id % 10 = 0 THEN NULL ELSE subscribed END,
                             ARRAY[age, CASE WHEN id % 11 = 0 THEN NULL ELSE balance END],
                             CASE WHEN id % 13 = 0 THEN NULL WHEN id % 17 = 0 THEN 0 ELSE 1 END) AS m
      FROM bank) s, marketiq.fit_stats(m);
-- integer weights are frequency weights: weight 2 is the same as the row twice
SELECT bool_and(agrees(a.coef, b.coef, 1e-10) AND agrees(a.std_err, b.std_err, 1e-10)) AS weight_is_count
FROM marketiq.coefficients((SELECT marketiq.logreg(subscribed, ARRAY[age, duration], w) FROM bank)) a
JOIN marketiq.coefficients((SELECT marketiq.logreg(subscribed, ARRAY[age, duration])
                            FROM bank, generate_series(1, w::int))) b USING (term);
SELECT marketiq.logreg(y, ARRAY[1.0::float8]) IS NULL AS no_rows FROM (VALUES (true)) t(y) WHERE false;
SELECT marketiq.logreg(NULL::boolean, ARRAY[1.0::float8]) IS NULL AS all_null;

-- ------------------------------------------------------------------ degenerate data
-- a collinear feature is dropped with a warning; the rest is the fit without it
SELECT c.term, sig(c.coef) AS coef, c.std_err IS NULL AS dropped
FROM marketiq.coefficients((SELECT marketiq.logreg(subscribed, ARRAY[age, duration, 2 * age - duration]) FROM bank)) c
ORDER BY term;
SELECT bool_and(agrees(a.coef, b.coef, 1e-9) AND agrees(a.std_err, b.std_err, 1e-9)) AS same_as_without
FROM marketiq.coefficients((SELECT marketiq.logreg(subscribed, ARRAY[age, duration, 2 * age - duration]) FROM bank)) a
JOIN marketiq.coefficients((SELECT marketiq.logreg(subscribed, ARRAY[age, duration]) FROM bank)) b USING (term);

-- complete separation: a balance above 20 (thousand) decides the outcome; the coefficients
-- run away, the warning says so, and the model records it (not converged)
SELECT iterations > 10 AS ran_away, converged, separation, residual_deviance < 1e-6 AS deviance_near_0
FROM marketiq.fit_stats((SELECT marketiq.logreg(balance > 20, ARRAY[balance]) FROM bank));
-- y the same in every row is complete separation by the intercept
SELECT converged, separation FROM marketiq.fit_stats((SELECT marketiq.logreg(true, ARRAY[age]) FROM bank));
-- quasi-complete separation: every client with two or more earlier contacts subscribes here,
-- the others do not all; that coefficient runs away, the others are still estimated
SELECT count(*) AS contacted_twice, count(*) FILTER (WHERE subscribed OR previous >= 2) AS all_subscribed
FROM bank WHERE previous >= 2;
CREATE TABLE quasi AS
SELECT marketiq.logreg(subscribed OR previous >= 2, ARRAY[age, duration, (previous >= 2)::int]) AS m FROM bank;
SELECT converged, separation FROM quasi, marketiq.fit_stats(m);
SELECT c.term, c.std_err > 100 AS unbounded FROM quasi, marketiq.coefficients(m) c ORDER BY term;
-- fewer rows than coefficients: 3 rows determine 3 coefficients, the later features are
-- dropped, and 3 rows of which one differs are separated by any slope
SELECT c.term, c.coef IS NULL AS dropped
FROM marketiq.coefficients((SELECT marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign])
                            FROM bank WHERE id IN (1, 2, 15))) c
ORDER BY term;
SELECT subscribed FROM bank WHERE id IN (1, 2, 15) ORDER BY id;
-- a legitimately strong but finite effect is not separation
SELECT converged, separation
FROM marketiq.fit_stats((SELECT marketiq.logreg(subscribed, ARRAY[age, balance, duration, campaign, previous, housing, loan]) FROM bank));

-- ------------------------------------------------------------------ memory bound
-- the aggregate keeps the distinct rows; past marketiq.max_model_bytes it stops with a hint
SET marketiq.max_model_bytes = '1MB';
SELECT marketiq.logreg(i % 3 = 0, ARRAY[i::float8, sqrt(i)]) FROM generate_series(1, 100000) AS i;
-- discrete features collapse to few distinct rows: 300,000 rows, 4 cells, well within 1MB.
-- Hand check: y (i divisible by 3) is independent of both features (i odd, i divisible by 5),
-- so the slopes are 0 and the intercept is the log-odds of 1/3: ln(1/2) = -0.693147
SELECT term, round(coef::numeric, 6) AS coef
FROM marketiq.coefficients((SELECT marketiq.logreg(i % 3 = 0, ARRAY[(i % 2)::float8, (i % 5 = 0)::int])
                            FROM generate_series(1, 300000) AS i))
ORDER BY term;
RESET marketiq.max_model_bytes;

-- ------------------------------------------------------------------ bad input
SELECT marketiq.logreg(y, x) FROM (VALUES (true, ARRAY[1.0::float8]), (false, ARRAY[1.0, 2.0])) t(y, x);
SELECT marketiq.logreg(true, ARRAY['NaN'::float8]);
SELECT marketiq.logreg(true, ARRAY[1.0::float8], 'Infinity'::float8);
SELECT marketiq.logreg(true, ARRAY[1.0::float8], -2.0);
SELECT marketiq.logreg(true, '{}'::float8[]);
SELECT marketiq.logreg(true, ARRAY[1.0::float8], NULL::boolean);
SELECT marketiq.logreg(y, ARRAY[x], x > 1) FROM (VALUES (true, 1.0::float8), (false, 2.0)) t(y, x);
SELECT marketiq.logreg_columns(true, 'x'::text);
SELECT marketiq.predict(m, ARRAY[1.0::float8]) FROM mtcars_fit;
SELECT * FROM marketiq.odds_ratios((SELECT m FROM mtcars_fit), 0);
SELECT * FROM marketiq.confidence_intervals((SELECT m FROM mtcars_fit), 1);
SELECT marketiq.coefficients('{"kind":"logreg","format":1,"p":1,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_w_true":1,"cell_x":[2],"cell_w_true":[1],"cell_w_false":[0],"fitted":0,"coef":[],"std_err":[],"rank":0,"log_likelihood":0,"iterations":0,"converged":0,"separation":0,"condition_number":0}'::marketiq.logreg);
SELECT '{"kind":"logreg","format":1,"p":1,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_w_true":1,"cell_x":[2,3],"cell_w_true":[1],"cell_w_false":[0],"fitted":0,"coef":[],"std_err":[],"rank":0,"log_likelihood":0,"iterations":0,"converged":0,"separation":0,"condition_number":0}'::marketiq.logreg;
SELECT '{"kind":"logreg","format":1,"p":1,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_w_true":2,"cell_x":[],"cell_w_true":[],"cell_w_false":[],"fitted":1,"coef":[1,2],"std_err":[1,1],"rank":2,"log_likelihood":0,"iterations":3,"converged":1,"separation":0,"condition_number":1}'::marketiq.logreg;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA fits_log CASCADE;
RESET client_min_messages;
