-- marketiq attribution 0.2.0: heuristic, Markov removal-effect and Shapley attribution models,
-- per journey, over pre-aggregated paths (aggregates -> model values -> readers) and over a
-- touchpoint table (attribution_report).

-- ------------------------------------------------------------------ one journey

CREATE FUNCTION marketiq.attribute(
    channels text[],
    model text,
    touch_ts timestamptz[] DEFAULT NULL,
    conversion_ts timestamptz DEFAULT NULL,
    value float8 DEFAULT 1,
    half_life interval DEFAULT '7 days',
    first_weight float8 DEFAULT 0.4,
    middle_weight float8 DEFAULT 0.2,
    last_weight float8 DEFAULT 0.4,
    skip_channel text DEFAULT 'direct')
RETURNS TABLE (channel text, credit float8)
AS 'MODULE_PATHNAME', 'mq_attribute'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION marketiq.attribute(text[], text, timestamptz[], timestamptz, float8, interval, float8, float8, float8, text) IS
'credit of each distinct channel of one journey (channels in time order) under a heuristic model: first_touch, last_touch, linear, time_decay, u_shape, j_shape, inverse_j, w_shape, position, last_non_direct or participation; credits add up to value (participation: value to each channel)';

-- ------------------------------------------------------------------ Markov chains

CREATE TYPE marketiq.markov;

CREATE FUNCTION marketiq.markov_in(cstring) RETURNS marketiq.markov
AS 'MODULE_PATHNAME', 'mq_markov_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.markov_out(marketiq.markov) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_markov_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.markov_recv(internal) RETURNS marketiq.markov
AS 'MODULE_PATHNAME', 'mq_markov_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.markov_send(marketiq.markov) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_markov_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.markov (
    INPUT = marketiq.markov_in,
    OUTPUT = marketiq.markov_out,
    RECEIVE = marketiq.markov_recv,
    SEND = marketiq.markov_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.markov IS
'a Markov-chain attribution model: transition counts between states (the last k channels), with P(conversion) and every channel''s removal effects solved exactly';
COMMENT ON FUNCTION marketiq.markov_in(cstring) IS 'text input of marketiq.markov (JSON)';
COMMENT ON FUNCTION marketiq.markov_out(marketiq.markov) IS 'text output of marketiq.markov (JSON)';
COMMENT ON FUNCTION marketiq.markov_recv(internal) IS 'binary input of marketiq.markov';
COMMENT ON FUNCTION marketiq.markov_send(marketiq.markov) IS 'binary output of marketiq.markov';

CREATE FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint)
RETURNS marketiq.markov AS 'MODULE_PATHNAME', 'mq_markov_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint, float8)
RETURNS marketiq.markov AS 'MODULE_PATHNAME', 'mq_markov_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint, float8, int)
RETURNS marketiq.markov AS 'MODULE_PATHNAME', 'mq_markov_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint, float8, int, boolean)
RETURNS marketiq.markov AS 'MODULE_PATHNAME', 'mq_markov_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._markov_combine(marketiq.markov, marketiq.markov)
RETURNS marketiq.markov AS 'MODULE_PATHNAME', 'mq_markov_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._markov_final(marketiq.markov)
RETURNS marketiq.markov AS 'MODULE_PATHNAME', 'mq_markov_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint) IS 'transition function of markov_model';
COMMENT ON FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint, float8) IS 'transition function of markov_model';
COMMENT ON FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint, float8, int) IS 'transition function of markov_model';
COMMENT ON FUNCTION marketiq._markov_trans(marketiq.markov, text[], bigint, bigint, float8, int, boolean) IS 'transition function of markov_model';
COMMENT ON FUNCTION marketiq._markov_combine(marketiq.markov, marketiq.markov) IS 'combine function of markov_model';
COMMENT ON FUNCTION marketiq._markov_final(marketiq.markov) IS 'final function of markov_model: solves the chain';

CREATE AGGREGATE marketiq.markov_model(path text[], conversions bigint, nulls bigint) (
    SFUNC = marketiq._markov_trans, STYPE = marketiq.markov,
    COMBINEFUNC = marketiq._markov_combine, FINALFUNC = marketiq._markov_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.markov_model(path text[], conversions bigint, nulls bigint, value float8) (
    SFUNC = marketiq._markov_trans, STYPE = marketiq.markov,
    COMBINEFUNC = marketiq._markov_combine, FINALFUNC = marketiq._markov_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.markov_model(path text[], conversions bigint, nulls bigint, value float8, "order" int) (
    SFUNC = marketiq._markov_trans, STYPE = marketiq.markov,
    COMBINEFUNC = marketiq._markov_combine, FINALFUNC = marketiq._markov_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.markov_model(path text[], conversions bigint, nulls bigint, value float8, "order" int, collapse_repeats boolean) (
    SFUNC = marketiq._markov_trans, STYPE = marketiq.markov,
    COMBINEFUNC = marketiq._markov_combine, FINALFUNC = marketiq._markov_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE marketiq.markov_model(text[], bigint, bigint) IS
'first-order Markov attribution model of paths (channel arrays in time order) with their conversion and non-conversion counts';
COMMENT ON AGGREGATE marketiq.markov_model(text[], bigint, bigint, float8) IS
'first-order Markov attribution model of paths with their conversion and non-conversion counts and total conversion value';
COMMENT ON AGGREGATE marketiq.markov_model(text[], bigint, bigint, float8, int) IS
'Markov attribution model of the given order (states are the last "order" channels) of paths with conversions, non-conversions and value';
COMMENT ON AGGREGATE marketiq.markov_model(text[], bigint, bigint, float8, int, boolean) IS
'Markov attribution model of the given order; collapse_repeats => false keeps consecutive repeats of a channel as separate touches';

CREATE FUNCTION marketiq.removal_effects(m marketiq.markov)
RETURNS TABLE (channel text, removal_effect float8, share float8, conversions float8, value float8)
AS 'MODULE_PATHNAME', 'mq_markov_removal_effects'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.removal_effects(marketiq.markov) IS
'per channel: removal effect (1 - P(conversion without the channel) / P(conversion)), its share of the sum, the conversions and the value credited to the channel';

CREATE FUNCTION marketiq.value_removal_effects(m marketiq.markov)
RETURNS TABLE (channel text, removal_effect float8, share float8, value float8)
AS 'MODULE_PATHNAME', 'mq_markov_value_removal_effects'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.value_removal_effects(marketiq.markov) IS
'per channel: value removal effect (1 - expected value without the channel / expected value), its share, and the value credited';

CREATE FUNCTION marketiq.conversion_probability(m marketiq.markov)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_markov_conversion_probability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.conversion_probability(marketiq.markov) IS
'P(conversion) of a journey from (start) in the Markov chain';

CREATE FUNCTION marketiq.transitions(m marketiq.markov)
RETURNS TABLE (from_state text, to_state text, count float8, probability float8)
AS 'MODULE_PATHNAME', 'mq_markov_transitions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.transitions(marketiq.markov) IS
'the transition matrix: journeys and probability of every observed transition; states are named by their channels joined with " > "';

CREATE FUNCTION marketiq._markov_solve(m marketiq.markov, solver text,
    OUT channel text, OUT removal_effect float8, OUT value_removal_effect float8,
    OUT p_conversion float8, OUT expected_value float8, OUT method text, OUT iterations int)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'mq_markov_solve_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._markov_solve(marketiq.markov, text) IS
'internal (tests, benchmarks): solves the chain again with a given solver: auto (by size), dense (LU per channel) or iterative (Gauss-Seidel)';

CREATE FUNCTION marketiq._markov_simulate(m marketiq.markov, walks bigint, seed bigint,
    OUT channel text, OUT removal_effect float8, OUT share float8, OUT p_conversion float8)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'mq_markov_simulate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._markov_simulate(marketiq.markov, bigint, bigint) IS
'internal (benchmarks): Monte Carlo removal effects from random walks through the chain, as simulation-based packages estimate them';

-- ------------------------------------------------------------------ Shapley values

CREATE TYPE marketiq.shapley;

CREATE FUNCTION marketiq.shapley_in(cstring) RETURNS marketiq.shapley
AS 'MODULE_PATHNAME', 'mq_shapley_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.shapley_out(marketiq.shapley) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_shapley_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.shapley_recv(internal) RETURNS marketiq.shapley
AS 'MODULE_PATHNAME', 'mq_shapley_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.shapley_send(marketiq.shapley) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_shapley_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.shapley (
    INPUT = marketiq.shapley_in,
    OUTPUT = marketiq.shapley_out,
    RECEIVE = marketiq.shapley_recv,
    SEND = marketiq.shapley_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.shapley IS
'a Shapley attribution model: journeys grouped by their set of channels, with conversions, non-conversions and value per set';
COMMENT ON FUNCTION marketiq.shapley_in(cstring) IS 'text input of marketiq.shapley (JSON)';
COMMENT ON FUNCTION marketiq.shapley_out(marketiq.shapley) IS 'text output of marketiq.shapley (JSON)';
COMMENT ON FUNCTION marketiq.shapley_recv(internal) IS 'binary input of marketiq.shapley';
COMMENT ON FUNCTION marketiq.shapley_send(marketiq.shapley) IS 'binary output of marketiq.shapley';

CREATE FUNCTION marketiq._shapley_trans(marketiq.shapley, text[], bigint, bigint)
RETURNS marketiq.shapley AS 'MODULE_PATHNAME', 'mq_shapley_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._shapley_trans(marketiq.shapley, text[], bigint, bigint, float8)
RETURNS marketiq.shapley AS 'MODULE_PATHNAME', 'mq_shapley_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._shapley_combine(marketiq.shapley, marketiq.shapley)
RETURNS marketiq.shapley AS 'MODULE_PATHNAME', 'mq_shapley_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._shapley_final(marketiq.shapley)
RETURNS marketiq.shapley AS 'MODULE_PATHNAME', 'mq_shapley_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._shapley_trans(marketiq.shapley, text[], bigint, bigint) IS 'transition function of shapley_model';
COMMENT ON FUNCTION marketiq._shapley_trans(marketiq.shapley, text[], bigint, bigint, float8) IS 'transition function of shapley_model';
COMMENT ON FUNCTION marketiq._shapley_combine(marketiq.shapley, marketiq.shapley) IS 'combine function of shapley_model';
COMMENT ON FUNCTION marketiq._shapley_final(marketiq.shapley) IS 'final function of shapley_model';

CREATE AGGREGATE marketiq.shapley_model(path text[], conversions bigint, nulls bigint) (
    SFUNC = marketiq._shapley_trans, STYPE = marketiq.shapley,
    COMBINEFUNC = marketiq._shapley_combine, FINALFUNC = marketiq._shapley_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.shapley_model(path text[], conversions bigint, nulls bigint, value float8) (
    SFUNC = marketiq._shapley_trans, STYPE = marketiq.shapley,
    COMBINEFUNC = marketiq._shapley_combine, FINALFUNC = marketiq._shapley_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE marketiq.shapley_model(text[], bigint, bigint) IS
'Shapley attribution model of paths (channel arrays) with their conversion and non-conversion counts';
COMMENT ON AGGREGATE marketiq.shapley_model(text[], bigint, bigint, float8) IS
'Shapley attribution model of paths with their conversion and non-conversion counts and total conversion value';

CREATE FUNCTION marketiq.shapley_values(m marketiq.shapley, game text DEFAULT 'count')
RETURNS TABLE (channel text, shapley_value float8, share float8, conversions float8, value float8)
AS 'MODULE_PATHNAME', 'mq_shapley_values'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.shapley_values(marketiq.shapley, text) IS
'per channel: Shapley value of the coalition game (count: conversions of the journeys within a coalition, closed form, any number of channels; rate: their conversion rate, up to 24 channels), its share, and the conversions and value credited';

-- ------------------------------------------------------------------ touchpoint tables

CREATE FUNCTION marketiq.journeys(
    touchpoints regclass,
    user_col name DEFAULT 'user_id',
    ts_col name DEFAULT 'ts',
    channel_col name DEFAULT 'channel',
    conversion_col name DEFAULT 'converted',
    value_col name DEFAULT 'revenue',
    lookback interval DEFAULT '30 days')
RETURNS TABLE (user_id text, journey int, channels text[], touch_ts timestamptz[],
               conversion_ts timestamptz, converted boolean, value float8)
AS 'MODULE_PATHNAME', 'mq_journeys'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.journeys(regclass, name, name, name, name, name, interval) IS
'the journeys of a touchpoint table, as attribution_report builds them: each user''s touches in time order up to and including each conversion, within the lookback window; touches after the last conversion form a non-converting journey';

CREATE FUNCTION marketiq.attribution_report(
    touchpoints regclass,
    user_col name DEFAULT 'user_id',
    ts_col name DEFAULT 'ts',
    channel_col name DEFAULT 'channel',
    conversion_col name DEFAULT 'converted',
    value_col name DEFAULT 'revenue',
    lookback interval DEFAULT '30 days',
    models text[] DEFAULT NULL,
    half_life interval DEFAULT '7 days',
    first_weight float8 DEFAULT 0.4,
    middle_weight float8 DEFAULT 0.2,
    last_weight float8 DEFAULT 0.4,
    skip_channel text DEFAULT 'direct',
    markov_order int DEFAULT 1,
    collapse_repeats boolean DEFAULT true)
RETURNS TABLE (model text, channel text, conversions float8, value float8, share float8)
AS 'MODULE_PATHNAME', 'mq_attribution_report'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.attribution_report(regclass, name, name, name, name, name, interval, text[], interval, float8, float8, float8, text, int, boolean) IS
'every requested attribution model side by side over a touchpoint table (journeys built in one pass): conversions and value credited to each channel, and its share; models NULL = all';
