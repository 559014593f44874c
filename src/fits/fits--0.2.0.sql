-- marketiq fits 0.2.0: linear and logistic regression (src/fits).

-- ------------------------------------------------------------------ linreg

CREATE TYPE marketiq.linreg;

CREATE FUNCTION marketiq.linreg_in(cstring) RETURNS marketiq.linreg
AS 'MODULE_PATHNAME', 'mq_linreg_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_out(marketiq.linreg) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_linreg_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_recv(internal) RETURNS marketiq.linreg
AS 'MODULE_PATHNAME', 'mq_linreg_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_send(marketiq.linreg) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_linreg_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.linreg (
    INPUT = marketiq.linreg_in,
    OUTPUT = marketiq.linreg_out,
    RECEIVE = marketiq.linreg_recv,
    SEND = marketiq.linreg_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.linreg IS
'a linear regression: a fitted model (coefficients, standard errors, fit statistics) or, as the aggregate''s state, the weighted means and cross-products of (x, y)';

CREATE FUNCTION marketiq.linreg_trans(marketiq.linreg, float8, float8[])
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_trans(marketiq.linreg, float8, float8[], float8)
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_trans_w'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_trans(marketiq.linreg, float8, float8[], boolean)
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_trans_i'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_trans(marketiq.linreg, float8, float8[], float8, boolean)
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_trans_wi'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_combine(marketiq.linreg, marketiq.linreg)
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.linreg_final(marketiq.linreg)
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.linreg(y float8, x float8[]) (
    SFUNC = marketiq.linreg_trans,
    STYPE = marketiq.linreg,
    COMBINEFUNC = marketiq.linreg_combine,
    FINALFUNC = marketiq.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.linreg(float8, float8[]) IS
'ordinary least squares of y on the features x, with an intercept; rows with a NULL y, x or x element are skipped and counted';

CREATE AGGREGATE marketiq.linreg(y float8, x float8[], weight float8) (
    SFUNC = marketiq.linreg_trans,
    STYPE = marketiq.linreg,
    COMBINEFUNC = marketiq.linreg_combine,
    FINALFUNC = marketiq.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.linreg(float8, float8[], float8) IS
'weighted least squares of y on the features x, with an intercept (weights >= 0; a zero weight leaves the row out; a NULL weight skips it)';

CREATE AGGREGATE marketiq.linreg(y float8, x float8[], intercept boolean) (
    SFUNC = marketiq.linreg_trans,
    STYPE = marketiq.linreg,
    COMBINEFUNC = marketiq.linreg_combine,
    FINALFUNC = marketiq.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.linreg(float8, float8[], boolean) IS
'least squares of y on the features x, with an intercept unless intercept is false';

CREATE AGGREGATE marketiq.linreg(y float8, x float8[], weight float8, intercept boolean) (
    SFUNC = marketiq.linreg_trans,
    STYPE = marketiq.linreg,
    COMBINEFUNC = marketiq.linreg_combine,
    FINALFUNC = marketiq.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.linreg(float8, float8[], float8, boolean) IS
'weighted least squares of y on the features x, with an intercept unless intercept is false';

CREATE FUNCTION marketiq.linreg_trans_columns(marketiq.linreg, float8, VARIADIC "any")
RETURNS marketiq.linreg AS 'MODULE_PATHNAME', 'mq_linreg_trans_cols'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.linreg_columns(y float8, VARIADIC x "any") (
    SFUNC = marketiq.linreg_trans_columns,
    STYPE = marketiq.linreg,
    COMBINEFUNC = marketiq.linreg_combine,
    FINALFUNC = marketiq.linreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.linreg_columns(float8, "any") IS
'least squares of y on features given as separate numeric or boolean arguments (linreg_columns(y, a, b, c) is linreg(y, ARRAY[a, b, c]) without building an array per row), with an intercept';

CREATE FUNCTION marketiq.coefficients(model marketiq.linreg)
RETURNS TABLE (term int, coef float8, std_err float8, statistic float8, p_value float8)
AS 'MODULE_PATHNAME', 'mq_linreg_coefficients'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.coefficients(marketiq.linreg) IS
'the coefficients of a linear regression: term 0 is the intercept, term j the j-th element of x; standard error, t statistic and two-sided p-value on n - rank degrees of freedom (NULL for features dropped as collinear)';

CREATE FUNCTION marketiq.fit_stats(model marketiq.linreg,
    OUT n bigint, OUT rows_skipped bigint, OUT k int, OUT rank int, OUT df_model int,
    OUT df_resid bigint, OUT r2 float8, OUT adj_r2 float8, OUT f_statistic float8,
    OUT f_p_value float8, OUT residual_std_error float8, OUT log_likelihood float8,
    OUT aic float8, OUT bic float8, OUT condition_number float8)
AS 'MODULE_PATHNAME', 'mq_linreg_fit_stats'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.fit_stats(marketiq.linreg) IS
'goodness of fit of a linear regression: rows used and skipped, coefficients and rank, R-squared, adjusted R-squared, F test of all slopes, residual standard error, log-likelihood, AIC, BIC and the condition number of the design';

CREATE FUNCTION marketiq.predict(model marketiq.linreg, x float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_linreg_predict'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.predict(marketiq.linreg, float8[]) IS
'the fitted value of a linear regression for the features x';

CREATE FUNCTION marketiq.confidence_intervals(model marketiq.linreg, level float8 DEFAULT 0.95)
RETURNS TABLE (term int, coef float8, ci_lower float8, ci_upper float8)
AS 'MODULE_PATHNAME', 'mq_linreg_confint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.confidence_intervals(marketiq.linreg, float8) IS
'confidence intervals of the coefficients of a linear regression (t distribution on n - rank degrees of freedom)';

-- ------------------------------------------------------------------ logreg

CREATE TYPE marketiq.logreg;

CREATE FUNCTION marketiq.logreg_in(cstring) RETURNS marketiq.logreg
AS 'MODULE_PATHNAME', 'mq_logreg_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_out(marketiq.logreg) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_logreg_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_recv(internal) RETURNS marketiq.logreg
AS 'MODULE_PATHNAME', 'mq_logreg_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_send(marketiq.logreg) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_logreg_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.logreg (
    INPUT = marketiq.logreg_in,
    OUTPUT = marketiq.logreg_out,
    RECEIVE = marketiq.logreg_recv,
    SEND = marketiq.logreg_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.logreg IS
'a logistic regression: a fitted model (coefficients, standard errors, deviances, convergence) or, as the aggregate''s state, the distinct rows with their weights of y true and false';

CREATE FUNCTION marketiq.logreg_trans(marketiq.logreg, boolean, float8[])
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_trans(marketiq.logreg, boolean, float8[], float8)
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_trans_w'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_trans(marketiq.logreg, boolean, float8[], boolean)
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_trans_i'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_trans(marketiq.logreg, boolean, float8[], float8, boolean)
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_trans_wi'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_combine(marketiq.logreg, marketiq.logreg)
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_final(marketiq.logreg)
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.logreg(y boolean, x float8[]) (
    SFUNC = marketiq.logreg_trans,
    STYPE = marketiq.logreg,
    COMBINEFUNC = marketiq.logreg_combine,
    FINALFUNC = marketiq.logreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.logreg(boolean, float8[]) IS
'logistic regression of y on the features x, with an intercept, by Newton''s method over the distinct rows kept in memory (bounded by marketiq.max_model_bytes; see logreg_train for tables of any size)';

CREATE AGGREGATE marketiq.logreg(y boolean, x float8[], weight float8) (
    SFUNC = marketiq.logreg_trans,
    STYPE = marketiq.logreg,
    COMBINEFUNC = marketiq.logreg_combine,
    FINALFUNC = marketiq.logreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.logreg(boolean, float8[], float8) IS
'weighted logistic regression of y on the features x, with an intercept (weights >= 0; a zero weight leaves the row out; a NULL weight skips it)';

CREATE AGGREGATE marketiq.logreg(y boolean, x float8[], intercept boolean) (
    SFUNC = marketiq.logreg_trans,
    STYPE = marketiq.logreg,
    COMBINEFUNC = marketiq.logreg_combine,
    FINALFUNC = marketiq.logreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.logreg(boolean, float8[], boolean) IS
'logistic regression of y on the features x, with an intercept unless intercept is false';

CREATE AGGREGATE marketiq.logreg(y boolean, x float8[], weight float8, intercept boolean) (
    SFUNC = marketiq.logreg_trans,
    STYPE = marketiq.logreg,
    COMBINEFUNC = marketiq.logreg_combine,
    FINALFUNC = marketiq.logreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.logreg(boolean, float8[], float8, boolean) IS
'weighted logistic regression of y on the features x, with an intercept unless intercept is false';

CREATE FUNCTION marketiq.logreg_trans_columns(marketiq.logreg, boolean, VARIADIC "any")
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_trans_cols'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.logreg_columns(y boolean, VARIADIC x "any") (
    SFUNC = marketiq.logreg_trans_columns,
    STYPE = marketiq.logreg,
    COMBINEFUNC = marketiq.logreg_combine,
    FINALFUNC = marketiq.logreg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.logreg_columns(boolean, "any") IS
'logistic regression of y on features given as separate numeric or boolean arguments (logreg_columns(y, a, b, c) is logreg(y, ARRAY[a, b, c]) without building an array per row), with an intercept';

CREATE FUNCTION marketiq.coefficients(model marketiq.logreg)
RETURNS TABLE (term int, coef float8, std_err float8, statistic float8, p_value float8)
AS 'MODULE_PATHNAME', 'mq_logreg_coefficients'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.coefficients(marketiq.logreg) IS
'the coefficients (log-odds) of a logistic regression: term 0 is the intercept, term j the j-th element of x; standard error, z statistic and two-sided p-value (NULL for features dropped as collinear)';

CREATE FUNCTION marketiq.fit_stats(model marketiq.logreg,
    OUT n bigint, OUT rows_skipped bigint, OUT k int, OUT rank int, OUT df_resid bigint,
    OUT log_likelihood float8, OUT null_deviance float8, OUT residual_deviance float8,
    OUT aic float8, OUT bic float8, OUT pseudo_r2 float8, OUT llr float8,
    OUT llr_p_value float8, OUT iterations int, OUT converged boolean, OUT separation text,
    OUT condition_number float8)
AS 'MODULE_PATHNAME', 'mq_logreg_fit_stats'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.fit_stats(marketiq.logreg) IS
'goodness of fit of a logistic regression: rows used and skipped, coefficients and rank, log-likelihood, null and residual deviance, AIC, BIC, McFadden''s pseudo R-squared, likelihood-ratio test of all slopes, Newton iterations, convergence, separation and the condition number of the design';

CREATE FUNCTION marketiq.predict(model marketiq.logreg, x float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_logreg_predict'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.predict(marketiq.logreg, float8[]) IS
'the probability that y is true for the features x, from a logistic regression';

CREATE FUNCTION marketiq.odds_ratios(model marketiq.logreg, level float8 DEFAULT 0.95)
RETURNS TABLE (term int, odds_ratio float8, ci_lower float8, ci_upper float8, p_value float8)
AS 'MODULE_PATHNAME', 'mq_logreg_odds_ratios'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.odds_ratios(marketiq.logreg, float8) IS
'odds ratios of a logistic regression, exp(coef), with Wald confidence limits: the factor by which the odds of y change per unit of each feature (term 0: the odds at x = 0)';

CREATE FUNCTION marketiq.confidence_intervals(model marketiq.logreg, level float8 DEFAULT 0.95)
RETURNS TABLE (term int, coef float8, ci_lower float8, ci_upper float8)
AS 'MODULE_PATHNAME', 'mq_logreg_confint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.confidence_intervals(marketiq.logreg, float8) IS
'Wald (normal) confidence intervals of the coefficients of a logistic regression';

-- ------------------------------------------------------ logreg_train driver

CREATE TYPE marketiq.logreg_step;

CREATE FUNCTION marketiq.logreg_step_in(cstring) RETURNS marketiq.logreg_step
AS 'MODULE_PATHNAME', 'mq_logreg_step_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_step_out(marketiq.logreg_step) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_logreg_step_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_step_recv(internal) RETURNS marketiq.logreg_step
AS 'MODULE_PATHNAME', 'mq_logreg_step_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_step_send(marketiq.logreg_step) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_logreg_step_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.logreg_step (
    INPUT = marketiq.logreg_step_in,
    OUTPUT = marketiq.logreg_step_out,
    RECEIVE = marketiq.logreg_step_recv,
    SEND = marketiq.logreg_step_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.logreg_step IS
'one Newton iteration of a logistic regression at given coefficients: log-likelihood, score and information matrix (the state of marketiq.logreg_step, used by marketiq.logreg_train)';

CREATE FUNCTION marketiq.logreg_step_trans(marketiq.logreg_step, boolean, float8[], float8[], float8, boolean)
RETURNS marketiq.logreg_step AS 'MODULE_PATHNAME', 'mq_logreg_step_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_step_combine(marketiq.logreg_step, marketiq.logreg_step)
RETURNS marketiq.logreg_step AS 'MODULE_PATHNAME', 'mq_logreg_step_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.logreg_step_final(marketiq.logreg_step)
RETURNS marketiq.logreg_step AS 'MODULE_PATHNAME', 'mq_logreg_step_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.logreg_step(y boolean, x float8[], beta float8[], weight float8,
                                      intercept boolean) (
    SFUNC = marketiq.logreg_step_trans,
    STYPE = marketiq.logreg_step,
    COMBINEFUNC = marketiq.logreg_step_combine,
    FINALFUNC = marketiq.logreg_step_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.logreg_step(boolean, float8[], float8[], float8, boolean) IS
'one pass of logistic regression at coefficients beta (intercept first): the sums a Newton iteration needs, in constant memory; the building block of marketiq.logreg_train';

CREATE FUNCTION marketiq.logreg_train(source regclass, y text, x text[],
    weight text DEFAULT NULL, intercept boolean DEFAULT true,
    max_iterations int DEFAULT 100, tolerance float8 DEFAULT 1e-10)
RETURNS marketiq.logreg AS 'MODULE_PATHNAME', 'mq_logreg_train'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.logreg_train(regclass, text, text[], text, boolean, int, float8) IS
'logistic regression of the boolean column y on the numeric or boolean columns x of a table or view, one parallel-safe aggregate pass per Newton iteration: no memory per row, the same model as the marketiq.logreg aggregate';
