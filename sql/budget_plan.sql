-- budget_plan: one response curve per channel fitted from a history table and the budget split
-- between them, in one statement (src/budget/plan.c).

-- a history of 30 weeks for four channels: outcome = a spend^b with a wobble, for
-- (a, b) = (5, 0.5) Email, (2, 0.7) display, (9, 0.35) search, (0.8, 0.9) video
CREATE TABLE hist (channel text, week int, cost numeric, revenue float8);
INSERT INTO hist
SELECT c.channel, w, round((c.base * (0.5 + w / 20.0 + 0.3 * sin(w * c.k)))::numeric, 2),
       c.a * (c.base * (0.5 + w / 20.0 + 0.3 * sin(w * c.k))) ^ c.b * (1 + 0.08 * cos(w * 1.3 + c.k))
FROM (VALUES ('Email', 200.0, 5.0, 0.5, 1.1), ('display', 900, 2, 0.7, 0.7), ('search', 1500, 9, 0.35, 2.3),
             ('video', 600, 0.8, 0.9, 1.7)) c(channel, base, a, b, k),
     generate_series(1, 30) w;
-- rows the curves skip: a NULL channel, a NULL spend, and a NULL outcome (whose spend still
-- counts in the channel's current share)
INSERT INTO hist VALUES (NULL, 31, 100, 50), ('search', 31, NULL, 80), ('video', 31, 700, NULL);

-- Expected numbers from test/reference/budget_plan.py (numpy least squares on log-log per
-- channel, scipy's SLSQP for the split; curve_fit for the log form), run as
--   /usr/bin/python3 test/reference/budget_plan.py
-- which prints:
--   Email    a = 4.952630247, b = 0.5010854825, share = 0.06237522244, spends 82.9 to 459.99
--   display  a = 1.79279637, b = 0.7152611189, share = 0.2833296697, spends 484.67 to 2025.9
--   search   a = 9.229372257, b = 0.3460912119, share = 0.4627956694, spends 452.84 to 3300
--   video    a = 0.7841268434, b = 0.9023987481, share = 0.1914994385, spends 223.35 to 1320.64
--   power, unbounded, 4000: objective 1453.35296, spends 61.9275 135.7179 34.2601 3768.0944
--   power, within the spends seen, 2500: objective 820.3163849, spends 142.4378 584.0822 452.8400 1320.6400
--   power, min Email 500, max {inf,1500,100,1400}, 2500: objective 852.2836577,
--     spends 500.0000 537.6109 62.3891 1400.0000
--   log, within the spends seen, 2500: objective 807.0259827, spends 152.3630 574.1570 452.8400 1320.6400
--   power, current split of 2500: 569.7181329

-- channels come out in byte order (COLLATE "C": "Email" before "display").  Unbounded, the plan
-- puts most of the budget on video (b = 0.9: nearly constant returns), far beyond the spends its
-- curve was fitted on, and cuts the others below theirs: a WARNING says so
SELECT channel, round(spend::numeric, 4) AS spend, round(expected_outcome::numeric, 4) AS expected_outcome,
       round(marginal_return::numeric, 8) AS marginal_return, round(current_share::numeric, 8) AS current_share
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000);
-- kept within each channel's smallest and largest weekly spend (bounds listed in channel order)
SELECT array_agg(lo ORDER BY channel COLLATE "C")::text AS floors, array_agg(hi ORDER BY channel COLLATE "C")::text AS caps
FROM (SELECT channel, min(cost)::float8 AS lo, max(cost)::float8 AS hi FROM hist WHERE channel IS NOT NULL GROUP BY channel) s \gset
SELECT :'floors' AS floors, :'caps' AS caps;
SELECT channel, round(spend::numeric, 4) AS spend, round(expected_outcome::numeric, 4) AS expected_outcome,
       round(marginal_return::numeric, 8) AS marginal_return, round(current_share::numeric, 8) AS current_share
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 2500, min_spend => :'floors', max_spend => :'caps');
SELECT round(sum(expected_outcome)::numeric, 6) AS objective
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 2500, min_spend => :'floors', max_spend => :'caps');

-- the same as allocate_budget over curves fitted with the aggregate, to the last bit
CREATE TEMP TABLE curves AS
SELECT channel, marketiq.response_curve(cost::float8, revenue) AS curve
FROM hist WHERE channel IS NOT NULL GROUP BY channel;
SELECT bool_and(p.spend = a.spend AND p.expected_outcome = a.expected_outcome
                AND p.marginal_return = a.marginal_return) AS same_as_allocate_budget
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 2500, min_spend => :'floors', max_spend => :'caps') p
JOIN (SELECT r.* FROM (SELECT array_agg(channel ORDER BY channel COLLATE "C") AS ch,
                              array_agg(curve ORDER BY channel COLLATE "C") AS cv FROM curves) s,
             marketiq.allocate_budget(ch, cv, 2500, :'floors', :'caps') r) a USING (channel);
-- current_share by hand: the channel's spend over all spend (rows with a channel and a spend)
SELECT bool_and(abs(p.current_share - h.share) < 1e-15) AS shares_match, round(sum(p.current_share)::numeric, 12) AS total
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 2500, min_spend => :'floors', max_spend => :'caps') p
JOIN (SELECT channel, sum(cost)::float8 / (SELECT sum(cost) FROM hist WHERE channel IS NOT NULL)::float8 AS share
      FROM hist WHERE channel IS NOT NULL AND cost IS NOT NULL GROUP BY channel) h USING (channel);
-- the fitted exponents (the wobble moves them a little from 0.5, 0.7, 0.35, 0.9)
SELECT channel, round((marketiq.curve_params(curve) ->> 'b')::numeric, 4) AS b, marketiq.curve_params(curve) -> 'n' AS n
FROM curves ORDER BY channel COLLATE "C";

-- other bounds: Email at least 500 (beyond its data), search at most 100 (below its data)
SELECT channel, round(spend::numeric, 4) AS spend
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 2500,
                          min_spend => '{500,0,0,0}', max_spend => '{Infinity,1500,100,1400}');
-- other forms; a view works as the history
CREATE VIEW hist_v AS SELECT channel AS ch, cost::float8 AS spend, revenue::numeric AS outcome FROM hist;
SELECT channel, round(spend::numeric, 4) AS spend, round(current_share::numeric, 8) AS current_share
FROM marketiq.budget_plan('hist_v', 'ch', 'spend', 'outcome', 2500, 'log', :'floors', :'caps');
-- the expected gain over the current split: the same budget spent in the history's proportions
SELECT round(sum(p.expected_outcome)::numeric, 4) AS planned,
       round(sum(marketiq.predict_outcome(c.curve, 2500 * p.current_share))::numeric, 4) AS current_split,
       sum(p.expected_outcome) >= sum(marketiq.predict_outcome(c.curve, 2500 * p.current_share)) AS plan_is_better
FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 2500, min_spend => :'floors', max_spend => :'caps') p
JOIN curves c USING (channel);

-- -------------------------------------------------------------------- bad input
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'costs', 'revenue', 4000);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'channel', 'revenue', 4000);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000, 'cubic');
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 0);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', NULL);
SELECT * FROM marketiq.budget_plan('hist', NULL, 'cost', 'revenue', 4000);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000, NULL);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000, min_spend => '{1,2}');
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000, max_spend => '{1,2,3,4}');
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000, max_spend => '{1,2,3,NULL}');
-- a channel whose curve cannot be fitted is named
INSERT INTO hist VALUES ('radio', 1, 100, 10), ('radio', 2, 200, 15);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000);
INSERT INTO hist VALUES ('radio', 3, -300, 20);
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000);
DELETE FROM hist WHERE channel = 'radio';
-- no rows
CREATE TABLE hist_empty (channel text, cost float8, revenue float8);
SELECT * FROM marketiq.budget_plan('hist_empty', 'channel', 'cost', 'revenue', 4000);
SELECT * FROM marketiq.budget_plan('no_such_table', 'channel', 'cost', 'revenue', 4000);
-- the query runs with the caller's privileges
CREATE ROLE budget_reader;
GRANT USAGE ON SCHEMA marketiq TO budget_reader;
SET ROLE budget_reader;
SELECT * FROM marketiq.budget_plan('hist', 'channel', 'cost', 'revenue', 4000);
RESET ROLE;
REVOKE USAGE ON SCHEMA marketiq FROM budget_reader;
DROP ROLE budget_reader;

DROP VIEW hist_v;
DROP TABLE hist, hist_empty;
