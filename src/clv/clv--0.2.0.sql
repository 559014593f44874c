-- marketiq clv 0.2.0: customer value -- BG/NBD and Gamma-Gamma models, CLV, per-customer
-- summaries, RFM scores and segments, ROI per channel, funnels.

-- ------------------------------------------------------------------ BG/NBD

CREATE TYPE marketiq.bgnbd;

CREATE FUNCTION marketiq.bgnbd_in(cstring) RETURNS marketiq.bgnbd
AS 'MODULE_PATHNAME', 'mq_bgnbd_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.bgnbd_out(marketiq.bgnbd) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_bgnbd_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.bgnbd_recv(internal) RETURNS marketiq.bgnbd
AS 'MODULE_PATHNAME', 'mq_bgnbd_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.bgnbd_send(marketiq.bgnbd) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_bgnbd_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.bgnbd (
    INPUT = marketiq.bgnbd_in,
    OUTPUT = marketiq.bgnbd_out,
    RECEIVE = marketiq.bgnbd_recv,
    SEND = marketiq.bgnbd_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.bgnbd IS
'a BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005): parameters r, alpha, a, b; also the state of bgnbd_fit (distinct (frequency, recency, T) cells with counts)';

CREATE FUNCTION marketiq.bgnbd_trans(marketiq.bgnbd, float8, float8, float8)
RETURNS marketiq.bgnbd AS 'MODULE_PATHNAME', 'mq_bgnbd_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.bgnbd_trans(marketiq.bgnbd, float8, float8, float8, float8)
RETURNS marketiq.bgnbd AS 'MODULE_PATHNAME', 'mq_bgnbd_trans_pen'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.bgnbd_combine(marketiq.bgnbd, marketiq.bgnbd)
RETURNS marketiq.bgnbd AS 'MODULE_PATHNAME', 'mq_bgnbd_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.bgnbd_final(marketiq.bgnbd)
RETURNS marketiq.bgnbd AS 'MODULE_PATHNAME', 'mq_bgnbd_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.bgnbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = marketiq.bgnbd_trans,
    STYPE = marketiq.bgnbd,
    COMBINEFUNC = marketiq.bgnbd_combine,
    FINALFUNC = marketiq.bgnbd_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.bgnbd_fit(float8, float8, float8) IS
'fits a BG/NBD model by maximum likelihood to one row per customer: frequency (repeat purchases), recency (age at the last purchase), t (age at the end of the window); rows with a NULL are skipped and counted';

CREATE AGGREGATE marketiq.bgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = marketiq.bgnbd_trans,
    STYPE = marketiq.bgnbd,
    COMBINEFUNC = marketiq.bgnbd_combine,
    FINALFUNC = marketiq.bgnbd_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.bgnbd_fit(float8, float8, float8, float8) IS
'fits a BG/NBD model with an L2 penalty: minimises the mean negative log-likelihood + penalizer * (r^2 + alpha^2 + a^2 + b^2), as the lifetimes package does';

CREATE FUNCTION marketiq.params(model marketiq.bgnbd,
    OUT r float8, OUT alpha float8, OUT a float8, OUT b float8, OUT log_likelihood float8,
    OUT customers bigint, OUT penalizer float8, OUT iterations int, OUT converged boolean)
AS 'MODULE_PATHNAME', 'mq_bgnbd_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.params(marketiq.bgnbd) IS
'the fitted BG/NBD parameters (purchase rate ~ Gamma(r, alpha), drop-out ~ Beta(a, b)), the log-likelihood and how the fit went';

CREATE FUNCTION marketiq.expected_purchases(model marketiq.bgnbd, horizon float8,
    frequency float8, recency float8, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_bgnbd_expected'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.expected_purchases(marketiq.bgnbd, float8, float8, float8, float8) IS
'expected number of purchases in the next horizon time units of a customer with this (frequency, recency, t) summary';

CREATE FUNCTION marketiq.expected_purchases(model marketiq.bgnbd, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_bgnbd_expected_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.expected_purchases(marketiq.bgnbd, float8) IS
'expected number of repeat purchases of a new customer in her first horizon time units';

CREATE FUNCTION marketiq.prob_alive(model marketiq.bgnbd, frequency float8, recency float8, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_bgnbd_prob_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.prob_alive(marketiq.bgnbd, float8, float8, float8) IS
'probability that a customer with this (frequency, recency, t) summary is still active';

CREATE FUNCTION marketiq.purchase_probability(model marketiq.bgnbd, purchases int, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_bgnbd_pmf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.purchase_probability(marketiq.bgnbd, int, float8) IS
'probability that a new customer makes exactly this many repeat purchases in her first horizon time units';

-- ------------------------------------------------------------- Pareto/NBD

CREATE TYPE marketiq.paretonbd;

CREATE FUNCTION marketiq.paretonbd_in(cstring) RETURNS marketiq.paretonbd
AS 'MODULE_PATHNAME', 'mq_paretonbd_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.paretonbd_out(marketiq.paretonbd) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_paretonbd_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.paretonbd_recv(internal) RETURNS marketiq.paretonbd
AS 'MODULE_PATHNAME', 'mq_paretonbd_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.paretonbd_send(marketiq.paretonbd) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_paretonbd_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.paretonbd (
    INPUT = marketiq.paretonbd_in,
    OUTPUT = marketiq.paretonbd_out,
    RECEIVE = marketiq.paretonbd_recv,
    SEND = marketiq.paretonbd_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.paretonbd IS
'a Pareto/NBD repeat-purchase model (Schmittlein, Morrison & Colombo 1987): parameters r, alpha, s, beta; also the state of paretonbd_fit (distinct (frequency, recency, T) cells with counts)';

CREATE FUNCTION marketiq.paretonbd_trans(marketiq.paretonbd, float8, float8, float8)
RETURNS marketiq.paretonbd AS 'MODULE_PATHNAME', 'mq_pnbd_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.paretonbd_trans(marketiq.paretonbd, float8, float8, float8, float8)
RETURNS marketiq.paretonbd AS 'MODULE_PATHNAME', 'mq_pnbd_trans_pen'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.paretonbd_combine(marketiq.paretonbd, marketiq.paretonbd)
RETURNS marketiq.paretonbd AS 'MODULE_PATHNAME', 'mq_pnbd_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.paretonbd_final(marketiq.paretonbd)
RETURNS marketiq.paretonbd AS 'MODULE_PATHNAME', 'mq_pnbd_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.paretonbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = marketiq.paretonbd_trans,
    STYPE = marketiq.paretonbd,
    COMBINEFUNC = marketiq.paretonbd_combine,
    FINALFUNC = marketiq.paretonbd_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.paretonbd_fit(float8, float8, float8) IS
'fits a Pareto/NBD model by maximum likelihood to one row per customer: frequency (repeat purchases), recency (age at the last purchase), t (age at the end of the window); rows with a NULL are skipped and counted';

CREATE AGGREGATE marketiq.paretonbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = marketiq.paretonbd_trans,
    STYPE = marketiq.paretonbd,
    COMBINEFUNC = marketiq.paretonbd_combine,
    FINALFUNC = marketiq.paretonbd_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.paretonbd_fit(float8, float8, float8, float8) IS
'fits a Pareto/NBD model with an L2 penalty: minimises the mean negative log-likelihood + penalizer * (r^2 + alpha^2 + s^2 + beta^2)';

CREATE FUNCTION marketiq.params(model marketiq.paretonbd,
    OUT r float8, OUT alpha float8, OUT s float8, OUT beta float8, OUT log_likelihood float8,
    OUT customers bigint, OUT penalizer float8, OUT iterations int, OUT converged boolean)
AS 'MODULE_PATHNAME', 'mq_pnbd_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.params(marketiq.paretonbd) IS
'the fitted Pareto/NBD parameters (purchase rate ~ Gamma(r, alpha), drop-out rate ~ Gamma(s, beta)), the log-likelihood and how the fit went';

CREATE FUNCTION marketiq.expected_purchases(model marketiq.paretonbd, horizon float8,
    frequency float8, recency float8, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_pnbd_expected'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.expected_purchases(marketiq.paretonbd, float8, float8, float8, float8) IS
'expected number of purchases in the next horizon time units of a customer with this (frequency, recency, t) summary (Pareto/NBD)';

CREATE FUNCTION marketiq.expected_purchases(model marketiq.paretonbd, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_pnbd_expected_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.expected_purchases(marketiq.paretonbd, float8) IS
'expected number of repeat purchases of a new customer in her first horizon time units (Pareto/NBD)';

CREATE FUNCTION marketiq.prob_alive(model marketiq.paretonbd, frequency float8, recency float8, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_pnbd_prob_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.prob_alive(marketiq.paretonbd, float8, float8, float8) IS
'probability that a customer with this (frequency, recency, t) summary is still active (Pareto/NBD)';

-- ------------------------------------------------------------ Gamma-Gamma

CREATE TYPE marketiq.gammagamma;

CREATE FUNCTION marketiq.gammagamma_in(cstring) RETURNS marketiq.gammagamma
AS 'MODULE_PATHNAME', 'mq_gammagamma_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.gammagamma_out(marketiq.gammagamma) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_gammagamma_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.gammagamma_recv(internal) RETURNS marketiq.gammagamma
AS 'MODULE_PATHNAME', 'mq_gammagamma_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.gammagamma_send(marketiq.gammagamma) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_gammagamma_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.gammagamma (
    INPUT = marketiq.gammagamma_in,
    OUTPUT = marketiq.gammagamma_out,
    RECEIVE = marketiq.gammagamma_recv,
    SEND = marketiq.gammagamma_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.gammagamma IS
'a Gamma-Gamma model of spend per transaction (Fader & Hardie 2013): parameters p, q, gamma; also the state of gamma_gamma_fit (distinct (frequency, monetary) cells with counts)';

CREATE FUNCTION marketiq.gamma_gamma_trans(marketiq.gammagamma, float8, float8)
RETURNS marketiq.gammagamma AS 'MODULE_PATHNAME', 'mq_gg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.gamma_gamma_trans(marketiq.gammagamma, float8, float8, float8)
RETURNS marketiq.gammagamma AS 'MODULE_PATHNAME', 'mq_gg_trans_pen'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.gamma_gamma_combine(marketiq.gammagamma, marketiq.gammagamma)
RETURNS marketiq.gammagamma AS 'MODULE_PATHNAME', 'mq_gg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.gamma_gamma_final(marketiq.gammagamma)
RETURNS marketiq.gammagamma AS 'MODULE_PATHNAME', 'mq_gg_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.gamma_gamma_fit(frequency float8, monetary float8) (
    SFUNC = marketiq.gamma_gamma_trans,
    STYPE = marketiq.gammagamma,
    COMBINEFUNC = marketiq.gamma_gamma_combine,
    FINALFUNC = marketiq.gamma_gamma_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.gamma_gamma_fit(float8, float8) IS
'fits a Gamma-Gamma spend model by maximum likelihood to one row per customer: frequency (repeat purchases) and monetary (mean value of the repeat purchases); customers without repeat purchases are counted but not used';

CREATE AGGREGATE marketiq.gamma_gamma_fit(frequency float8, monetary float8, penalizer float8) (
    SFUNC = marketiq.gamma_gamma_trans,
    STYPE = marketiq.gammagamma,
    COMBINEFUNC = marketiq.gamma_gamma_combine,
    FINALFUNC = marketiq.gamma_gamma_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.gamma_gamma_fit(float8, float8, float8) IS
'fits a Gamma-Gamma spend model with an L2 penalty: minimises the mean negative log-likelihood + penalizer * (p^2 + q^2 + gamma^2), as the lifetimes package does';

CREATE FUNCTION marketiq.params(model marketiq.gammagamma,
    OUT p float8, OUT q float8, OUT gamma float8, OUT log_likelihood float8,
    OUT customers bigint, OUT penalizer float8, OUT iterations int, OUT converged boolean)
AS 'MODULE_PATHNAME', 'mq_gg_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.params(marketiq.gammagamma) IS
'the fitted Gamma-Gamma parameters (spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, gamma)), the log-likelihood and how the fit went';

CREATE FUNCTION marketiq.expected_spend(model marketiq.gammagamma, frequency float8, monetary float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_gg_expected_spend'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.expected_spend(marketiq.gammagamma, float8, float8) IS
'expected spend per future transaction of a customer with this many repeat purchases of this mean value';

CREATE FUNCTION marketiq.expected_spend(model marketiq.gammagamma)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_gg_expected_spend_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.expected_spend(marketiq.gammagamma) IS
'expected spend per transaction of a new customer: the population mean p * gamma / (q - 1)';

-- -------------------------------------------------------------------- CLV

CREATE FUNCTION marketiq.clv(transactions marketiq.bgnbd, spend marketiq.gammagamma,
    frequency float8, recency float8, t float8, monetary float8, horizon float8,
    discount_rate float8 DEFAULT 0, step float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_clv_bgnbd'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.clv(marketiq.bgnbd, marketiq.gammagamma, float8, float8, float8, float8, float8, float8, float8) IS
'customer lifetime value over the next horizon time units: expected purchases (BG/NBD) times expected spend (Gamma-Gamma), each step''s purchases discounted by (1 + discount_rate)^k';

CREATE FUNCTION marketiq.clv(transactions marketiq.paretonbd, spend marketiq.gammagamma,
    frequency float8, recency float8, t float8, monetary float8, horizon float8,
    discount_rate float8 DEFAULT 0, step float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_clv_pnbd'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.clv(marketiq.paretonbd, marketiq.gammagamma, float8, float8, float8, float8, float8, float8, float8) IS
'customer lifetime value over the next horizon time units with a Pareto/NBD transaction model: expected purchases times expected spend (Gamma-Gamma), each step''s purchases discounted by (1 + discount_rate)^k';

-- --------------------------------------------------------- customer summaries

CREATE TYPE marketiq.customer_summary AS (frequency int, recency float8, t float8, monetary float8);
COMMENT ON TYPE marketiq.customer_summary IS
'one customer''s summary in the standard form of the CLV models: repeat purchase days, ages at the last purchase and at the end of the window, mean value of the repeat purchase days';

CREATE FUNCTION marketiq.customer_summary_trans(internal, timestamptz, float8, timestamptz, text)
RETURNS internal AS 'MODULE_PATHNAME', 'mq_custsum_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.customer_summary_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'mq_custsum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.customer_summary_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'mq_custsum_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.customer_summary_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'mq_custsum_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.customer_summary_final(internal)
RETURNS marketiq.customer_summary AS 'MODULE_PATHNAME', 'mq_custsum_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE marketiq.customer_summary(ts timestamptz, amount float8, as_of timestamptz, unit text) (
    SFUNC = marketiq.customer_summary_trans,
    STYPE = internal,
    COMBINEFUNC = marketiq.customer_summary_combine,
    SERIALFUNC = marketiq.customer_summary_serialize,
    DESERIALFUNC = marketiq.customer_summary_deserialize,
    FINALFUNC = marketiq.customer_summary_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.customer_summary(timestamptz, float8, timestamptz, text) IS
'one customer''s orders (use with GROUP BY customer) as (frequency, recency, t, monetary) as of a date, in the unit day, week or month; purchases on one day count once, orders after as_of are left out';

CREATE FUNCTION marketiq.clv_summary(orders regclass, customer_col text DEFAULT 'customer_id',
    ts_col text DEFAULT 'ts', amount_col text DEFAULT 'amount', as_of timestamptz DEFAULT now(),
    unit text DEFAULT 'week')
RETURNS TABLE(customer text, frequency int, recency float8, t float8, monetary float8)
AS 'MODULE_PATHNAME', 'mq_clv_summary'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.clv_summary(regclass, text, text, text, timestamptz, text) IS
'per-customer summary of an orders table as of a date, in the standard form of the CLV models: frequency (repeat purchase days), recency and t (ages at the last purchase and at as_of, in the unit day, week or month), monetary (mean value of the repeat purchase days)';

-- ------------------------------------------------------------------------ RFM

CREATE FUNCTION marketiq.rfm_report(orders regclass, customer_col text DEFAULT 'customer_id',
    ts_col text DEFAULT 'ts', amount_col text DEFAULT 'amount', as_of timestamptz DEFAULT now())
RETURNS TABLE(customer text, recency int, frequency bigint, monetary float8,
              r int, f int, m int, rfm text, segment text)
AS 'MODULE_PATHNAME', 'mq_rfm_report'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.rfm_report(regclass, text, text, text, timestamptz) IS
'RFM analysis of an orders table as of a date: recency (days since the last order), frequency (orders), monetary (total amount), quintile scores 1-5 (ties share a score), the code and the segment of the 11-segment map';

CREATE FUNCTION marketiq.rfm_score(value float8, edges float8[], reverse boolean DEFAULT false)
RETURNS int AS 'MODULE_PATHNAME', 'mq_rfm_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.rfm_score(float8, float8[], boolean) IS
'score of a value against quantile edges: 1 + the number of edges it exceeds (with reverse, the number it is below, for recency); edges from percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY ...) reproduce rfm_report';

CREATE FUNCTION marketiq.rfm_segment(r int, f int, m int)
RETURNS text AS 'MODULE_PATHNAME', 'mq_rfm_segment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.rfm_segment(int, int, int) IS
'the segment of RFM scores (each 1-5) in the 11-segment map: Champions, Loyal Customers, Potential Loyalist, New Customers, Promising, Need Attention, About To Sleep, At Risk, Can''t Lose Them, Hibernating, Lost';

-- ------------------------------------------------------------------------ ROI

CREATE FUNCTION marketiq.roi(value float8, cost float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_roi'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.roi(float8, float8) IS
'return on investment (value - cost) / cost; NULL when cost is 0';

CREATE FUNCTION marketiq.roas(value float8, cost float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_roas'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.roas(float8, float8) IS
'return on ad spend value / cost; NULL when cost is 0';

CREATE FUNCTION marketiq.cost_per_conversion(cost float8, conversions float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_cost_per_conversion'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.cost_per_conversion(float8, float8) IS
'cost / conversions; NULL when there are no conversions';

CREATE FUNCTION marketiq.channel_roi(channel text[], cost float8[], value float8[],
    conversions float8[] DEFAULT NULL)
RETURNS TABLE(channel text, cost float8, value float8, conversions float8, profit float8,
              roi float8, roas float8, cost_per_conversion float8)
AS 'MODULE_PATHNAME', 'mq_channel_roi'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.channel_roi(text[], float8[], float8[], float8[]) IS
'ROI, ROAS and cost per conversion per channel from aligned arrays of channel, cost, credited value and conversions (repeated channels are added up)';

CREATE FUNCTION marketiq.roi_report(spend regclass, credit regclass,
    spend_channel_col text DEFAULT 'channel', cost_col text DEFAULT 'cost',
    credit_channel_col text DEFAULT 'channel', value_col text DEFAULT 'value',
    conversions_col text DEFAULT NULL)
RETURNS TABLE(channel text, cost float8, value float8, conversions float8, profit float8,
              roi float8, roas float8, cost_per_conversion float8)
AS 'MODULE_PATHNAME', 'mq_roi_report'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.roi_report(regclass, regclass, text, text, text, text, text) IS
'ROI, ROAS and cost per conversion per channel: the costs of a spend relation against the value (and conversions) an attribution model credited to each channel in a credit relation';

-- --------------------------------------------------------------------- funnel

CREATE FUNCTION marketiq.funnel_depth(ts timestamptz[], stage text[], stages text[],
    max_gap interval DEFAULT NULL)
RETURNS int AS 'MODULE_PATHNAME', 'mq_funnel_depth'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.funnel_depth(timestamptz[], text[], text[], interval) IS
'how many steps of the ordered stages one user''s events reach (0 to the number of stages), each step at most max_gap after the previous one';

CREATE FUNCTION marketiq.funnel_rates(stages text[], users bigint[])
RETURNS TABLE(step int, stage text, users bigint, step_rate float8, cumulative_rate float8,
              drop_off bigint, bottleneck boolean)
AS 'MODULE_PATHNAME', 'mq_funnel_rates'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.funnel_rates(text[], bigint[]) IS
'funnel table from users per step: step and cumulative conversion rates, drop-off and the bottleneck (lowest step rate)';

CREATE FUNCTION marketiq.funnel(events regclass, user_col text, ts_col text, stage_col text,
    stages text[], max_gap interval DEFAULT NULL)
RETURNS TABLE(step int, stage text, users bigint, step_rate float8, cumulative_rate float8,
              drop_off bigint, bottleneck boolean)
AS 'MODULE_PATHNAME', 'mq_funnel'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.funnel(regclass, text, text, text, text[], interval) IS
'conversion funnel over an events relation (user, ts, stage): users reaching each of the ordered stages (each step at most max_gap after the previous), step and cumulative rates, drop-off and the bottleneck';
