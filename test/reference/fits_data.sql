-- fits_data.sql: the synthetic "bank marketing" data of the fits tests (sql/fits_*.sql hold
-- the same statements), for the reference scripts test/reference/fits_*.py.
--
-- 3,000 clients of a bank's term-deposit campaign: age, balance (thousands), duration of the
-- last call (minutes), contacts in this campaign, contacts before, housing and personal loan
-- flags; subscribed (the campaign's outcome, logistic in the features), deposit (the amount
-- deposited, linear in the features plus noise) and a frequency weight 1..3.
-- Randomness is integer arithmetic (three rounds of xor-shift and the MINSTD multiplier
-- modulo 2^31 - 1 over a linear hash of (row, stream)), exact in SQL and Python alike; floats
-- come only from float8 operations and libm's exp and ln, so Python rebuilds the same table
-- bit for bit.
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
