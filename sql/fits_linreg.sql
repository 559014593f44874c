-- fits_linreg: least squares, marketiq.linreg and linreg_columns (src/fits/linreg.c, moments.c,
-- solve.c).  Every reference value says where it comes from:
--   NIST      the certified values of the NIST StRD Longley data set (published; R's lm and
--             statsmodels reproduce them);
--   sm        statsmodels 0.13.5 OLS/WLS, printed by test/reference/fits_linreg.py;
--   R         R 4.2 lm, printed by test/reference/fits_mtcars.R.
-- Agreement is checked to 1e-6 relative (the issue's tolerance); numbers are shown rounded.
SET extra_float_digits = 0;
CREATE SCHEMA fits_lin;
SET search_path = fits_lin, public;

-- a agrees with b to rel (relative), or both are tiny p-values that underflow differently
CREATE FUNCTION agrees(a float8, b float8, rel float8 DEFAULT 1e-6) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT NULL AND b IS NOT NULL AND a NOT IN ('NaN', 'Infinity', '-Infinity')
             AND (abs(a - b) <= rel * abs(b) OR (b = 0 AND abs(a) < 1e-300)) $$;

-- x rounded to d significant digits, for display (the checks use agrees)
CREATE FUNCTION sig(x float8, d int DEFAULT 8) RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN x = 0 THEN 0 ELSE round(x::numeric, d - 1 - floor(log(abs(x)))::int) END $$;

-- ------------------------------------------------------------------ Longley (NIST StRD)
-- y = total employment, x1 = GNP deflator, x2 = GNP, x3 = unemployed, x4 = armed forces,
-- x5 = population, x6 = year: the classic ill-conditioned design (condition number 4.9e9)
CREATE TABLE longley (y float8, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, x6 float8);
INSERT INTO longley VALUES
    (60323, 83.0, 234289, 2356, 1590, 107608, 1947), (61122, 88.5, 259426, 2325, 1456, 108632, 1948),
    (60171, 88.2, 258054, 3682, 1616, 109773, 1949), (61187, 89.5, 284599, 3351, 1650, 110929, 1950),
    (63221, 96.2, 328975, 2099, 3099, 112075, 1951), (63639, 98.1, 346999, 1932, 3594, 113270, 1952),
    (64989, 99.0, 365385, 1870, 3547, 115094, 1953), (63761, 100.0, 363112, 3578, 3350, 116219, 1954),
    (66019, 101.2, 397469, 2904, 3048, 117388, 1955), (67857, 104.6, 419180, 2822, 2857, 118734, 1956),
    (68169, 108.4, 442769, 2936, 2798, 120445, 1957), (66513, 110.8, 444546, 4681, 2637, 121950, 1958),
    (68655, 112.6, 482704, 3813, 2552, 123366, 1959), (69564, 114.2, 502601, 3931, 2514, 125368, 1960),
    (69331, 115.7, 518173, 4806, 2572, 127852, 1961), (70551, 116.9, 554894, 4007, 2827, 130081, 1962);
CREATE TABLE longley_fit AS SELECT marketiq.linreg(y, ARRAY[x1, x2, x3, x4, x5, x6]) AS m FROM longley;

-- NIST certified coefficients and standard errors (t and p from R's lm on the same data)
SELECT c.term, sig(c.coef) AS coef, sig(c.std_err) AS std_err,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok,
       agrees(c.statistic, r.t) AS t_ok, agrees(c.p_value, r.p) AS p_ok
FROM longley_fit, marketiq.coefficients(m) c
JOIN (VALUES (0, -3482258.63459582, 890420.383607373, -3.910802918154367, 0.003560403663726081),
             (1, 15.0618722713733, 84.9149257747669, 0.177376028230019, 0.863140832809198622),
             (2, -0.358191792925910E-01, 0.334910077722432E-01, -1.069516317221067, 0.312681061092702661),
             (3, -2.02022980381683, 0.488399681651699, -4.136427355940754, 0.002535091734111122),
             (4, -1.03322686717359, 0.214274163161675, -4.821985310445490, 0.000944366764161754),
             (5, -0.511041056535807E-01, 0.226073200069370, -0.226051144664196, 0.826211795763653001),
             (6, 1829.15146461355, 455.478499142212, 4.015889812709814, 0.003036803341630158))
     AS r(term, coef, se, t, p) USING (term)
ORDER BY c.term;

-- NIST: residual standard deviation 304.854073561965, R^2 0.995479004577296; sm: adjusted R^2,
-- F, its p-value, log-likelihood, AIC, BIC, condition number
SELECT n, rows_skipped, k, rank, df_model, df_resid,
       sig(r2) AS r2, sig(f_statistic) AS f,
       sig(condition_number, 4) AS cond,
       agrees(residual_std_error, 304.854073561965) AS resid_se_ok,
       agrees(r2, 0.995479004577296) AS r2_ok,
       agrees(adj_r2, 0.9924650076288216) AS adj_r2_ok,
       agrees(f_statistic, 330.2853392343979) AS f_ok,
       agrees(f_p_value, 4.984030528737642e-10) AS f_p_ok,
       agrees(log_likelihood, -109.61743480848514) AS llf_ok,
       agrees(aic, 233.2348696169703) AS aic_ok,
       agrees(bic, 238.64299067264875) AS bic_ok,
       agrees(condition_number, 4859257015.454869) AS cond_ok
FROM longley_fit, marketiq.fit_stats(m);

-- the coefficients agree with NIST's to far better than 1e-6: the moments are centred
SELECT bool_and(agrees(c.coef, r.coef, 1e-9)) AS coef_within_1e_9
FROM longley_fit, marketiq.coefficients(m) c
JOIN (VALUES (0, -3482258.63459582), (1, 15.0618722713733), (2, -0.358191792925910E-01),
             (3, -2.02022980381683), (4, -1.03322686717359), (5, -0.511041056535807E-01),
             (6, 1829.15146461355)) AS r(term, coef) USING (term);

-- ------------------------------------------------------------------ mtcars (R lm)
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
CREATE TABLE mtcars_fit AS SELECT marketiq.linreg(mpg, ARRAY[wt, hp]) AS m FROM mtcars;

-- R: lm(mpg ~ wt + hp)
SELECT c.term, sig(c.coef) AS coef, sig(c.std_err) AS std_err,
       sig(c.statistic) AS t, agrees(c.coef, r.coef) AS coef_ok,
       agrees(c.std_err, r.se) AS se_ok, agrees(c.statistic, r.t) AS t_ok, agrees(c.p_value, r.p) AS p_ok
FROM mtcars_fit, marketiq.coefficients(m) c
JOIN (VALUES (0, 37.227270116447194, 1.5987875379993937, 23.284688697930864, 2.5654585119837399e-20),
             (1, -3.8778307424046816, 0.63273349437739512, -6.1286952198104148, 1.119647136200034e-06),
             (2, -0.031772946982160995, 0.0090297096758557207, -3.5187119102087809, 0.0014512285315694238))
     AS r(term, coef, se, t, p) USING (term)
ORDER BY c.term;

-- R: R^2, adjusted R^2, F and its p-value, sigma, logLik; AIC and BIC as statsmodels counts
-- parameters (R adds one for sigma: 156.65233882564132 - 2 and 162.51528243684024 - log(32))
SELECT agrees(r2, 0.82678545188279129) AS r2_ok, agrees(adj_r2, 0.81483962097815621) AS adj_ok,
       agrees(f_statistic, 69.211213391777662) AS f_ok, agrees(f_p_value, 9.1090543852220564e-12) AS f_p_ok,
       agrees(residual_std_error, 2.5934117772265668) AS sigma_ok,
       agrees(log_likelihood, -74.326169412820661) AS llf_ok,
       agrees(aic, 156.65233882564132 - 2) AS aic_ok,
       agrees(bic, 162.51528243684024 - ln(32)) AS bic_ok
FROM mtcars_fit, marketiq.fit_stats(m);

-- R: predict(f, data.frame(wt = 3, hp = 150)) and confint(f, level = 0.9)
SELECT sig(marketiq.predict(m, ARRAY[3, 150]::float8[])) AS mpg_at_3t_150hp,
       agrees(marketiq.predict(m, ARRAY[3, 150]::float8[]), 20.827835841909) AS predict_ok
FROM mtcars_fit;
SELECT c.term, sig(c.ci_lower) AS ci_lower, sig(c.ci_upper) AS ci_upper,
       agrees(c.ci_lower, r.lo) AND agrees(c.ci_upper, r.hi) AS ci_ok
FROM mtcars_fit, marketiq.confidence_intervals(m, 0.9) c
JOIN (VALUES (0, 34.510727000947476, 39.943813231946912),
             (1, -4.9529253232942949, -2.8027361615150688),
             (2, -0.04711557073415848, -0.016430323230163513)) AS r(term, lo, hi) USING (term)
ORDER BY c.term;

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
SELECT marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan]) AS ols,
       marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign, previous, housing, loan], w) AS wls,
       marketiq.linreg(deposit, ARRAY[age, balance, duration], false) AS origin
FROM bank;

-- sm: OLS deposit ~ age + balance + duration + campaign + previous + housing + loan
SELECT c.term, sig(c.coef) AS coef, sig(c.std_err) AS std_err,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok,
       agrees(c.statistic, r.t) AS t_ok, agrees(c.p_value, r.p) AS p_ok
FROM bank_fit, marketiq.coefficients(ols) c
JOIN (VALUES (0, 188.1131234798072, 13.365053640415061, 14.074999512981021, 1.2923479724797411e-43),
             (1, 15.061501847750895, 0.2059230465648011, 73.14140937115192, 0.0),
             (2, 8.236044613559228, 0.24104791603285927, 34.16766570359606, 2.532173213581766e-216),
             (3, 29.521145420764054, 0.826842279611271, 35.70347834008081, 6.931428220603087e-233),
             (4, -25.9959565399947, 1.7990466091475263, -14.449851609076887, 8.448147703164919e-46),
             (5, 5.10174475394407, 6.937297949745628, 0.7354080494886539, 0.4621486622036379),
             (6, 0.5494932009822335, 7.237687260671014, 0.07592110313582262, 0.9394869432701816),
             (7, 2.446345383930847, 9.80152554134263, 0.24958822722159052, 0.802922937139992))
     AS r(term, coef, se, t, p) USING (term)
ORDER BY c.term;
SELECT n, rank, sig(r2) AS r2, agrees(r2, 0.7307913457126738) AS r2_ok,
       agrees(adj_r2, 0.7301615126311192) AS adj_ok, agrees(f_statistic, 1160.2936827467238) AS f_ok,
       f_p_value < 1e-300 AS f_p_ok, agrees(residual_std_error, 197.25242128918734) AS sigma_ok,
       agrees(log_likelihood, -20106.262961423192) AS llf_ok, agrees(aic, 40228.525922846384) AS aic_ok,
       agrees(bic, 40276.576863387585) AS bic_ok, agrees(condition_number, 203.0854214397896) AS cond_ok
FROM bank_fit, marketiq.fit_stats(ols);
-- sm: conf_int(0.10) and the prediction for one client
SELECT bool_and(agrees(c.ci_lower, r.lo) AND agrees(c.ci_upper, r.hi)) AS ci90_ok
FROM bank_fit, marketiq.confidence_intervals(ols, 0.9) c
JOIN (VALUES (0, 166.1227578345258, 210.1034891250886), (1, 14.722683672337299, 15.400320023164491),
             (2, 7.839433275197922, 8.632655951920535), (3, 28.160689671851312, 30.881601169676795),
             (4, -28.95604138607611, -23.035871693913293), (5, -6.3126290757167975, 16.516118583604936),
             (6, -11.359130106526463, 12.45811650849093), (7, -13.680722739754998, 18.573413507616692))
     AS r(term, lo, hi) USING (term);
SELECT sig(marketiq.predict(ols, ARRAY[40, 10, 5, 2, 0, 1, 0]::float8[])) AS deposit,
       agrees(marketiq.predict(ols, ARRAY[40, 10, 5, 2, 0, 1, 0]::float8[]), 969.0969507502484) AS predict_ok
FROM bank_fit;

-- sm: WLS with weights w (precision weights; n counts rows, the log-likelihood adds sum(log w) / 2)
SELECT c.term, sig(c.coef) AS coef,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok,
       agrees(c.statistic, r.t) AS t_ok, agrees(c.p_value, r.p) AS p_ok
FROM bank_fit, marketiq.coefficients(wls) c
JOIN (VALUES (0, 187.1121111589772, 13.523010991358829, 13.836571698310486, 2.9856515749580404e-42),
             (1, 15.024396141961514, 0.20708054860641328, 72.55339162983175, 0.0),
             (2, 8.148833776387171, 0.24268772686740392, 33.57744489831333, 4.839162604121371e-210),
             (3, 29.645586659453016, 0.8346615341394562, 35.5180937983657, 7.178411390831951e-231),
             (4, -26.137229110216527, 1.789755694109989, -14.603797153004207, 1.0357739410315894e-46),
             (5, 8.18133479519243, 7.00671170000957, 1.1676425612290078, 0.24304401446644971),
             (6, 1.5313076277103619, 7.291851455352135, 0.21000258124929297, 0.8336799569129197),
             (7, 8.024039757020944, 9.825600357926058, 0.8166462571977251, 0.41419562751489303))
     AS r(term, coef, se, t, p) USING (term)
ORDER BY c.term;
SELECT n, agrees(r2, 0.7250910583474767) AS r2_ok, agrees(adj_r2, 0.7244478890321131) AS adj_ok,
       agrees(f_statistic, 1127.3719703771158) AS f_ok, agrees(residual_std_error, 281.63682977738546) AS sigma_ok,
       agrees(log_likelihood, -20273.083162533123) AS llf_ok, agrees(aic, 40562.166325066246) AS aic_ok,
       agrees(bic, 40610.21726560745) AS bic_ok, agrees(condition_number, 204.01223335986663) AS cond_ok
FROM bank_fit, marketiq.fit_stats(wls);

-- sm: OLS without a constant (terms start at 1; R^2 is uncentred, as in statsmodels and R)
SELECT c.term, sig(c.coef) AS coef,
       agrees(c.coef, r.coef) AS coef_ok, agrees(c.std_err, r.se) AS se_ok, agrees(c.p_value, r.p) AS p_ok
FROM bank_fit, marketiq.coefficients(origin) c
JOIN (VALUES (1, 16.867828381119548, 0.11996885536385811, 0.0),
             (2, 9.197852372238955, 0.23663166237141908, 5.490111698561157e-268),
             (3, 32.05022905732865, 0.8348087143198778, 1.237180048024659e-262))
     AS r(term, coef, se, p) USING (term)
ORDER BY c.term;
SELECT k, rank, df_model, agrees(r2, 0.9680728577251255) AS r2_ok, agrees(adj_r2, 0.9680408986237493) AS adj_ok,
       agrees(f_statistic, 30290.991174254814) AS f_ok, agrees(residual_std_error, 207.43634419412913) AS sigma_ok,
       agrees(log_likelihood, -20259.788402026545) AS llf_ok, agrees(aic, 40525.57680405309) AS aic_ok,
       agrees(condition_number, 11.732780818589818) AS cond_ok
FROM bank_fit, marketiq.fit_stats(origin);

-- linreg_columns: the features as separate arguments (any numeric or boolean type) fit the
-- same model as the array form
SELECT bool_and(agrees(a.coef, b.coef, 1e-12) AND agrees(a.std_err, b.std_err, 1e-12)) AS same_fit
FROM (SELECT marketiq.linreg_columns(deposit, age::int, balance, duration::numeric, campaign::real,
                                     previous::bigint, housing = 1, loan::smallint) AS m FROM bank) s,
     bank_fit, marketiq.coefficients(s.m) a JOIN marketiq.coefficients(ols) b USING (term);
SELECT marketiq.linreg_columns(deposit, VARIADIC ARRAY[age, balance])::text
       = marketiq.linreg(deposit, ARRAY[age, balance])::text AS variadic_array_same
FROM bank;

-- ------------------------------------------------------------------ per group, windows, storage
-- one model per group; each equals the model fitted on that group alone
SELECT housing, (marketiq.fit_stats(m)).n,
       m::text = (SELECT marketiq.linreg(deposit, ARRAY[age, duration])::text FROM bank b
                  WHERE b.housing = g.housing) AS same_as_filtered
FROM (SELECT housing, marketiq.linreg(deposit, ARRAY[age, duration]) AS m FROM bank GROUP BY housing) g
ORDER BY housing;

-- as a window aggregate the final function runs again and again on a state that keeps
-- growing: each running fit over Longley's years equals the fit of the same rows (the first
-- windows, with one and two rows, warn; the warnings are not the point here)
SET client_min_messages = error;
SELECT x6 AS year, sig((SELECT coef FROM marketiq.coefficients(m) WHERE term = 1)) AS slope_on_year,
       (SELECT bool_and(agrees(a.coef, b.coef, 1e-12))
        FROM marketiq.coefficients(m) a
        JOIN marketiq.coefficients((SELECT marketiq.linreg(y, ARRAY[x6]) FROM longley l WHERE l.x6 <= w.x6)) b
        USING (term)) AS same_as_fit_of_those_rows
FROM (SELECT x6, marketiq.linreg(y, ARRAY[x6]) OVER (ORDER BY x6) AS m FROM longley) w
WHERE x6 >= 1958
ORDER BY year;
RESET client_min_messages;

-- a model is a value: stored, printed as JSON, read back bit for bit
SELECT m::text::marketiq.linreg::text = m::text AS text_round_trip,
       (m::text::jsonb) ->> 'kind' AS kind, (m::text::jsonb) -> 'rank' AS rank,
       jsonb_array_length((m::text::jsonb) -> 'coef') AS coefficients
FROM longley_fit;

-- ------------------------------------------------------------------ NULLs and empty input
-- rows with a NULL y, x, x element or weight are skipped and counted; a zero weight leaves
-- the row out without counting it
SELECT n, rows_skipped
FROM (SELECT marketiq.linreg(CASE WHEN id % 10 = 0 THEN NULL ELSE deposit END,
                             CASE WHEN id % 11 = 0 THEN NULL ELSE ARRAY[age, balance] END,
                             CASE WHEN id % 13 = 0 THEN NULL WHEN id % 17 = 0 THEN 0 ELSE 1 END) AS m
      FROM bank) s, marketiq.fit_stats(m);
SELECT (marketiq.fit_stats(marketiq.linreg(deposit, ARRAY[age, CASE WHEN id % 7 = 0 THEN NULL ELSE balance END]))).rows_skipped
FROM bank;
SELECT marketiq.linreg_columns(deposit, age, CASE WHEN id % 7 = 0 THEN NULL ELSE balance END)::text
       = marketiq.linreg(deposit, ARRAY[age, CASE WHEN id % 7 = 0 THEN NULL ELSE balance END])::text AS columns_skip_the_same
FROM bank;
-- weights: a zero weight is the same as leaving the row out
SELECT bool_and(agrees(a.coef, b.coef, 1e-12)) AS zero_weight_is_filter
FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance], CASE WHEN id % 3 = 0 THEN 0 ELSE w END) FROM bank)) a
JOIN marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance], w) FROM bank WHERE id % 3 <> 0)) b USING (term);
-- no rows, or no usable row: NULL
SELECT marketiq.linreg(y, ARRAY[x1]) IS NULL AS no_rows FROM longley WHERE false;
SELECT marketiq.linreg(NULL::float8, ARRAY[x1]) IS NULL AS all_null FROM longley;

-- ------------------------------------------------------------------ degenerate designs
-- collinear features are dropped (NULL coefficients) with a warning, as R's lm does; the
-- rest is the fit without them; the condition number says the design is singular
SELECT c.term, sig(c.coef) AS coef, c.std_err IS NULL AS dropped
FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance, age + 2 * balance, 7, duration]) FROM bank)) c
ORDER BY term;
SELECT k, rank, df_model, df_resid, condition_number
FROM marketiq.fit_stats((SELECT marketiq.linreg(deposit, ARRAY[age, balance, age + 2 * balance, 7, duration]) FROM bank));
SELECT bool_and(agrees(a.coef, b.coef, 1e-9) AND agrees(a.std_err, b.std_err, 1e-9)) AS same_as_without
FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance, age + 2 * balance, 7, duration]) FROM bank)) a
JOIN (SELECT CASE term WHEN 3 THEN 5 ELSE term END AS term, coef, std_err
      FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance, duration]) FROM bank))) b USING (term);
-- without an intercept a constant column is an ordinary feature (it plays the intercept)
SELECT bool_and(agrees(a.coef, b.coef, 1e-9)) AS constant_is_intercept
FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[1, age, balance]::float8[], false) FROM bank)) a
JOIN (SELECT term + 1 AS term, coef FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance]) FROM bank))) b USING (term);
-- fewer rows than coefficients: 3 rows determine 3 coefficients, so the later features are
-- dropped (as R's lm does), and with no residual degrees of freedom the standard errors are
-- undefined (NULL)
SELECT c.term, sig(c.coef) AS coef, c.std_err
FROM marketiq.coefficients((SELECT marketiq.linreg(deposit, ARRAY[age, balance, duration, campaign]) FROM bank WHERE id <= 3)) c
ORDER BY term;
-- three rows, three coefficients: the fit is exact (hand check: the plane through the three
-- points has no residual), R^2 = 1, and no degree of freedom is left
SELECT df_resid, residual_std_error, sig(r2) AS r2
FROM marketiq.fit_stats((SELECT marketiq.linreg(y, ARRAY[x1, x6]) FROM longley WHERE x6 < 1950));
-- a constant y: the slopes are 0, R^2 and the F test undefined (NULL), with a warning
SELECT c.term, c.coef, c.std_err FROM marketiq.coefficients((SELECT marketiq.linreg(5.5, ARRAY[x1, x6]) FROM longley)) c
ORDER BY term;
SELECT r2, adj_r2, f_statistic, residual_std_error
FROM marketiq.fit_stats((SELECT marketiq.linreg(5.5, ARRAY[x1, x6]) FROM longley));
-- one row
SELECT c.term, c.coef, c.std_err FROM marketiq.coefficients((SELECT marketiq.linreg(y, ARRAY[x1]) FROM longley WHERE x6 = 1950)) c;

-- ------------------------------------------------------------------ bad input
SELECT marketiq.linreg(y, x) FROM (VALUES (1.0::float8, ARRAY[1.0::float8]), (2.0, ARRAY[1.0, 2.0])) t(y, x);
SELECT marketiq.linreg('NaN', ARRAY[1.0::float8]);
SELECT marketiq.linreg(1, ARRAY['Infinity'::float8]);
SELECT marketiq.linreg(1, ARRAY[1.0::float8], 'NaN'::float8);
SELECT marketiq.linreg(1, ARRAY[1.0::float8], -1.0);
SELECT marketiq.linreg(1, '{}'::float8[]);
SELECT marketiq.linreg(1, '{{1,2},{3,4}}'::float8[]);
SELECT marketiq.linreg(1, ARRAY[1.0::float8], NULL::boolean);
SELECT marketiq.linreg(y, ARRAY[x1], x6 > 1950) FROM longley;
SELECT marketiq.linreg(1, array_fill(1.0::float8, ARRAY[1001]));
SELECT marketiq.linreg_columns(deposit, age, 'NaN'::float8) FROM bank;
SELECT marketiq.linreg_columns(deposit, age, 'a'::text) FROM bank;
SELECT marketiq.linreg_columns(deposit, VARIADIC ARRAY[1, 2]) FROM bank;
SELECT marketiq.predict(m, ARRAY[1.0::float8]) FROM mtcars_fit;
SELECT marketiq.predict(m, ARRAY[1.0, NULL]::float8[]) FROM mtcars_fit;
SELECT marketiq.predict(m, ARRAY[1.0, 'NaN']::float8[]) FROM mtcars_fit;
SELECT * FROM marketiq.confidence_intervals((SELECT m FROM mtcars_fit), 1.5);
SELECT marketiq.linreg_trans(NULL, 1.0, ARRAY[1.0::float8]);
-- model text is validated: an aggregate state is not a model, inconsistent values are rejected
SELECT marketiq.coefficients('{"kind":"linreg","format":1,"p":1,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_log_w":0,"mean":[1,2],"comoments":[0,0,0],"fitted":0,"coef":[],"std_err":[],"rank":0,"rss":0,"tss":0,"condition_number":0}'::marketiq.linreg);
SELECT '{"kind":"linreg","format":1,"p":2,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_log_w":0,"mean":[],"comoments":[],"fitted":1,"coef":[1],"std_err":[1],"rank":1,"rss":0,"tss":0,"condition_number":0}'::marketiq.linreg;
SELECT '{"kind":"linreg","format":1,"p":1,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_log_w":0,"mean":["NaN",2],"comoments":[0,0,0],"fitted":0,"coef":[],"std_err":[],"rank":0,"rss":0,"tss":0,"condition_number":0}'::marketiq.linreg;
SELECT '{"kind":"linreg","format":1,"p":1,"intercept":1,"n":1,"rows_skipped":0,"sum_w":1,"sum_log_w":0,"mean":[1,2],"comoments":[-1,0,0],"fitted":0,"coef":[],"std_err":[],"rank":0,"rss":0,"tss":0,"condition_number":0}'::marketiq.linreg;
SELECT '{"kind":"linreg","format":1,"p":1,"intercept":2,"n":1,"rows_skipped":0,"sum_w":1,"sum_log_w":0,"mean":[],"comoments":[],"fitted":1,"coef":[1,2],"std_err":[1,1],"rank":2,"rss":0,"tss":0,"condition_number":0}'::marketiq.linreg;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA fits_lin CASCADE;
RESET client_min_messages;
