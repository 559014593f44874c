-- core_gsl: GSL inside a backend (src/core/gslutil.c): checked special functions, p-values,
-- errors instead of abort(), and no leak of malloc'd GSL objects on ERROR.

-- closed forms, worked by hand:
--   lngamma(5) = ln(4!) = ln 24 = 3.178053830348
--   lnbeta(2, 3) = ln(1!2!/4!) = ln(1/12) = -2.484906649788
--   2F1(1, 1; 2; 1/2) = -ln(1 - x)/x = 2 ln 2 = 1.386294361120
--   psi(1) = -Euler's gamma = -0.577215664902
SELECT round(marketiq._special('lngamma', 5)::numeric, 12) AS lngamma5,
       round(marketiq._special('lnbeta', 2, 3)::numeric, 12) AS lnbeta23,
       round(marketiq._special('hyperg_2f1', 1, 1, 2, 0.5)::numeric, 12) AS f21,
       round(marketiq._special('psi', 1)::numeric, 12) AS psi1;

-- a 2F1 without a closed form, against scipy.special.hyp2f1(2.5, 1.5, 4.0, 0.3) = 1.3814890736482477
SELECT round(marketiq._special('hyperg_2f1', 2.5, 1.5, 4.0, 0.3)::numeric, 12) AS f21;

-- p-values:
--   F(2, 10) upper tail at 3 has the closed form (1 + 2*3/10)^(-10/2) = 1.6^-5 = 0.095367431640625
--   the 97.5% normal quantile 1.959963984540054 and the 95% chi-square(1) quantile
--   3.841458820694124 give 0.05
--   two-sided t(10) at 2.0: scipy 2*t.sf(2, 10) = 0.07338803477074039
SELECT round(marketiq._special('pvalue_f', 3, 2, 10)::numeric, 12) AS p_f,
       round(marketiq._special('pvalue_z', 1.959963984540054)::numeric, 12) AS p_z,
       round(marketiq._special('pvalue_chisq', 3.841458820694124, 1)::numeric, 12) AS p_chisq,
       round(marketiq._special('pvalue_t', 2.0, 10)::numeric, 12) AS p_t;

-- a GSL domain error is an ERROR with an errcode (GSL's handler would have called abort())
\set VERBOSITY default
SELECT marketiq._special('lngamma', 0);
SELECT marketiq._special('lngamma', -2);
SELECT marketiq._special('hyperg_2f1', 1, 1, 2, 1.5);
SELECT marketiq._special('psi', 0);
SELECT marketiq._special('gamma', 1);
-- the backend survived all of that
SELECT 1 AS alive;

-- a malloc'd GSL object registered with mq_gsl_guard is freed with its memory context,
-- also when an ERROR interrupts the function that allocated it
SELECT marketiq._gsl_guard_test(false) AS live_inside_call;
SELECT marketiq._gsl_guard_live() AS live_after_call;
SELECT marketiq._gsl_guard_test(true);
SELECT marketiq._gsl_guard_live() AS live_after_error;
