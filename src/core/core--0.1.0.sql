-- marketiq core 0.1.0: internal functions that test the numerical core and the model-value
-- machinery through SQL.  Their names start with an underscore: they are not part of the
-- analyst-facing API, but the regression suite relies on them.

-- ---------------------------------------------------------------- numerical core

CREATE FUNCTION marketiq._gram(x float8[], block int)
RETURNS float8[] AS 'MODULE_PATHNAME', 'mq_test_gram'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._gram(float8[], int) IS
'internal test: x''x of the rows of the matrix x, accumulated with BLAS dsyrk in blocks of block rows';

CREATE FUNCTION marketiq._cholesky_solve(a float8[], b float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'mq_test_cholesky_solve'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._cholesky_solve(float8[], float8[]) IS
'internal test: solves a x = b for symmetric positive definite a by Cholesky (LAPACK dpotrf/dpotrs)';

CREATE FUNCTION marketiq._spd_inverse(a float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'mq_test_inverse'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._spd_inverse(float8[]) IS
'internal test: inverse of a symmetric positive definite matrix (LAPACK dpotrf/dpotri)';

CREATE FUNCTION marketiq._solve(a float8[], b float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'mq_test_solve'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._solve(float8[], float8[]) IS
'internal test: solves a general square system a x = b by LU (LAPACK dgesv)';

CREATE FUNCTION marketiq._eigenvalues(a float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'mq_test_eigenvalues'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._eigenvalues(float8[]) IS
'internal test: eigenvalues of a symmetric matrix, ascending (LAPACK dsyevd)';

CREATE FUNCTION marketiq._condition(a float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_test_condition'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._condition(float8[]) IS
'internal test: 2-norm condition number of a symmetric positive semi-definite matrix';

CREATE FUNCTION marketiq._lstsq(x float8[], y float8[], OUT coef float8[], OUT rank int)
AS 'MODULE_PATHNAME', 'mq_test_lstsq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._lstsq(float8[], float8[]) IS
'internal test: minimum-norm least squares by SVD (LAPACK dgelsd) and the effective rank';

CREATE FUNCTION marketiq._special(fn text, a float8, b float8 DEFAULT NULL,
                                  c float8 DEFAULT NULL, x float8 DEFAULT NULL)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_test_special'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._special(text, float8, float8, float8, float8) IS
'internal test: checked GSL special functions and p-values by name (lngamma, lnbeta, hyperg_2f1, psi, pvalue_t, pvalue_z, pvalue_f, pvalue_chisq)';

CREATE FUNCTION marketiq._gsl_guard_test(fail boolean)
RETURNS int AS 'MODULE_PATHNAME', 'mq_test_gsl_guard'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq._gsl_guard_test(boolean) IS
'internal test: allocates a GSL object under the cleanup guard and raises an error if fail';

CREATE FUNCTION marketiq._gsl_guard_live()
RETURNS int AS 'MODULE_PATHNAME', 'mq_test_gsl_live'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq._gsl_guard_live() IS
'internal test: GSL objects allocated by _gsl_guard_test and not yet freed in this backend';

-- ---------------------------------------------------------- model-value machinery

CREATE TYPE marketiq._testmodel;

CREATE FUNCTION marketiq._testmodel_in(cstring) RETURNS marketiq._testmodel
AS 'MODULE_PATHNAME', 'mq_testmodel_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq._testmodel_out(marketiq._testmodel) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_testmodel_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq._testmodel_recv(internal) RETURNS marketiq._testmodel
AS 'MODULE_PATHNAME', 'mq_testmodel_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq._testmodel_send(marketiq._testmodel) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_testmodel_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq._testmodel (
    INPUT = marketiq._testmodel_in,
    OUTPUT = marketiq._testmodel_out,
    RECEIVE = marketiq._testmodel_recv,
    SEND = marketiq._testmodel_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq._testmodel IS
'internal test model: one section of every kind the model-value machinery supports';

CREATE FUNCTION marketiq._test_accum_trans(marketiq._testmodel, text, float8)
RETURNS marketiq._testmodel AS 'MODULE_PATHNAME', 'mq_test_accum_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._test_accum_combine(marketiq._testmodel, marketiq._testmodel)
RETURNS marketiq._testmodel AS 'MODULE_PATHNAME', 'mq_test_accum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._test_accum_final(marketiq._testmodel)
RETURNS marketiq._testmodel AS 'MODULE_PATHNAME', 'mq_test_accum_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq._test_accum(key text, value float8) (
    SFUNC = marketiq._test_accum_trans,
    STYPE = marketiq._testmodel,
    COMBINEFUNC = marketiq._test_accum_combine,
    FINALFUNC = marketiq._test_accum_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq._test_accum(text, float8) IS
'internal test: count and sum of value per key, built as every model aggregate is (expanded state, combine, parallel safe)';

CREATE FUNCTION marketiq._testmodel_entries(m marketiq._testmodel,
    OUT name text, OUT count bigint, OUT sum float8)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'mq_test_entries'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._testmodel_entries(marketiq._testmodel) IS
'internal test: the entries of a _testmodel value as rows';
