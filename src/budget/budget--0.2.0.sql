-- marketiq budget 0.2.0: response curves per channel (aggregates -> marketiq.response -> readers)
-- and the budget split that maximises the total return (allocate_budget, budget_plan).

-- ------------------------------------------------------------------ response curves

CREATE TYPE marketiq.response;

CREATE FUNCTION marketiq.response_in(cstring) RETURNS marketiq.response
AS 'MODULE_PATHNAME', 'mq_response_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.response_out(marketiq.response) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_response_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.response_recv(internal) RETURNS marketiq.response
AS 'MODULE_PATHNAME', 'mq_response_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.response_send(marketiq.response) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_response_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.response (
    INPUT = marketiq.response_in,
    OUTPUT = marketiq.response_out,
    RECEIVE = marketiq.response_recv,
    SEND = marketiq.response_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.response IS
'a response curve: the outcome a channel returns for a period''s spend (power a*x^b, log a*ln(1+x/c) or hill top*x^s/(k^s+x^s)), with its fit statistics';
COMMENT ON FUNCTION marketiq.response_in(cstring) IS 'text input of marketiq.response (JSON)';
COMMENT ON FUNCTION marketiq.response_out(marketiq.response) IS 'text output of marketiq.response (JSON)';
COMMENT ON FUNCTION marketiq.response_recv(internal) IS 'binary input of marketiq.response';
COMMENT ON FUNCTION marketiq.response_send(marketiq.response) IS 'binary output of marketiq.response';

CREATE FUNCTION marketiq._response_trans(marketiq.response, float8, float8)
RETURNS marketiq.response AS 'MODULE_PATHNAME', 'mq_response_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._response_trans(marketiq.response, float8, float8, text)
RETURNS marketiq.response AS 'MODULE_PATHNAME', 'mq_response_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._response_combine(marketiq.response, marketiq.response)
RETURNS marketiq.response AS 'MODULE_PATHNAME', 'mq_response_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._response_final(marketiq.response)
RETURNS marketiq.response AS 'MODULE_PATHNAME', 'mq_response_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._response_trans(marketiq.response, float8, float8) IS 'transition function of response_curve: keeps the point';
COMMENT ON FUNCTION marketiq._response_trans(marketiq.response, float8, float8, text) IS 'transition function of response_curve: keeps the point';
COMMENT ON FUNCTION marketiq._response_combine(marketiq.response, marketiq.response) IS 'combine function of response_curve: concatenates the points';
COMMENT ON FUNCTION marketiq._response_final(marketiq.response) IS 'final function of response_curve: fits the curve';

CREATE AGGREGATE marketiq.response_curve(spend float8, outcome float8) (
    SFUNC = marketiq._response_trans, STYPE = marketiq.response,
    COMBINEFUNC = marketiq._response_combine, FINALFUNC = marketiq._response_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.response_curve(spend float8, outcome float8, form text) (
    SFUNC = marketiq._response_trans, STYPE = marketiq.response,
    COMBINEFUNC = marketiq._response_combine, FINALFUNC = marketiq._response_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE marketiq.response_curve(float8, float8) IS
'power response curve outcome = a * spend^b fitted to (spend, outcome) points, one per period, by least squares on log-log scale';
COMMENT ON AGGREGATE marketiq.response_curve(float8, float8, text) IS
'response curve of the given form (power, log or hill) fitted to (spend, outcome) points, one per period';

CREATE FUNCTION marketiq.curve_params(m marketiq.response)
RETURNS jsonb AS 'MODULE_PATHNAME', 'mq_curve_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.curve_params(marketiq.response) IS
'the fitted curve as jsonb: form; a, b (power), a, c (log) or top, k, s (hill); r2 (on the scale of the fit) and n (points used); rows, converged, iterations, concave, spend_min, spend_max';

CREATE FUNCTION marketiq.predict_outcome(m marketiq.response, spend float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_predict_outcome'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.predict_outcome(marketiq.response, float8) IS
'the outcome the response curve predicts for a period''s spend';

CREATE FUNCTION marketiq.marginal_return(m marketiq.response, spend float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_marginal_return'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.marginal_return(marketiq.response, float8) IS
'the marginal return at a spend: the derivative of the response curve, the outcome of the next unit of spend';

-- ------------------------------------------------------------------ allocation

CREATE FUNCTION marketiq.allocate_budget(
    channels text[],
    curves marketiq.response[],
    budget float8,
    min_spend float8[] DEFAULT NULL,
    max_spend float8[] DEFAULT NULL)
RETURNS TABLE (channel text, spend float8, expected_outcome float8, marginal_return float8)
AS 'MODULE_PATHNAME', 'mq_allocate_budget'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.allocate_budget(text[], marketiq.response[], float8, float8[], float8[]) IS
'the split of budget between channels that maximises the sum of their response curves, within min_spend and max_spend per channel (NULL: 0 and no upper bound): equal marginal returns for every channel not at a bound';

CREATE FUNCTION marketiq.budget_plan(
    history regclass,
    channel_col name,
    spend_col name,
    outcome_col name,
    budget float8,
    form text DEFAULT 'power',
    min_spend float8[] DEFAULT NULL,
    max_spend float8[] DEFAULT NULL)
RETURNS TABLE (channel text, spend float8, expected_outcome float8, marginal_return float8,
               current_share float8)
AS 'MODULE_PATHNAME', 'mq_budget_plan'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.budget_plan(regclass, name, name, name, float8, text, float8[], float8[]) IS
'fits one response curve per channel from a history of (channel, spend, outcome) periods and splits the budget as allocate_budget does; current_share is the channel''s share of the history''s spend; bounds are listed in channel-name order (COLLATE "C")';
