-- budget_allocate: marketiq.allocate_budget, the split of a budget that maximises the sum of
-- the channels' response curves under per-channel bounds (src/budget/allocate.c).

-- curves written by hand as model values: pc('power', '{a,b}'), pc('log', '{a,c}'),
-- pc('hill', '{top,k,s}')
CREATE FUNCTION pc(form text, p float8[]) RETURNS marketiq.response LANGUAGE sql IMMUTABLE AS $$
SELECT format('{"kind":"response","format":1,"form":"%s","rows":3,"spend":[],"outcome":[],"params":%s,'
              '"n":3,"r2":1,"converged":1,"iterations":0,"spend_min":0,"spend_max":1e9}',
              form, array_to_json(p))::marketiq.response $$;

-- --------------------------------------------------------- two channels, by hand
-- power curves with a common exponent b: equal marginal returns a1 b x1^(b-1) = a2 b x2^(b-1)
-- give x1 / x2 = (a1 / a2)^(1 / (1 - b)).  a = 4 and 1, b = 0.5: x1 / x2 = 16, so a budget of
-- 1700 splits 1600 / 100; outcomes 4 * 40 = 160 and 10; marginal returns 2 / 40 = 0.05 each.
SELECT channel, round(spend::numeric, 9) AS spend, round(expected_outcome::numeric, 9) AS expected_outcome,
       round(marginal_return::numeric, 12) AS marginal_return
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 1700);
-- the same from curves fitted to exact data (outcome = 4 sqrt(spend) and sqrt(spend))
SELECT channel, round(spend::numeric, 6) AS spend
FROM (SELECT marketiq.response_curve(x, 4 * sqrt(x)) AS c1, marketiq.response_curve(x, sqrt(x)) AS c2
      FROM generate_series(1, 10) x) s,
     marketiq.allocate_budget('{a,b}', ARRAY[c1, c2], 1700);
-- more exponents and budgets: the ratio matches the formula to 1e-9 and the spends add up
CREATE TEMP TABLE two AS
SELECT a1, a2, b, budget, r.channel, r.spend
FROM (VALUES (2.0::float8, 3.0::float8, 0.7::float8, 1000.0::float8), (5, 1, 0.3, 50), (1, 1, 0.9, 1e6),
             (7, 2, 0.05, 12345.6)) v(a1, a2, b, budget),
     marketiq.allocate_budget('{a,b}', ARRAY[pc('power', ARRAY[a1, b]), pc('power', ARRAY[a2, b])], budget) r;
SELECT b, budget,
       abs(max(spend) FILTER (WHERE channel = 'a') / max(spend) FILTER (WHERE channel = 'b')
           / (max(a1) / max(a2)) ^ (1 / (1 - b)) - 1) < 1e-9 AS ratio_matches,
       abs(sum(spend) / budget - 1) < 1e-12 AS adds_up
FROM two GROUP BY b, budget ORDER BY b, budget;

-- --------------------------------------------------------------- bounds active
-- a = 4 and 1, b = 0.5, budget 1700 with channel a capped at 1000: a takes 1000, b the rest
-- (its marginal return 0.5 / sqrt(700) = 0.018898 is below a's 2 / sqrt(1000) = 0.063246)
SELECT channel, round(spend::numeric, 9) AS spend, round(marginal_return::numeric, 6) AS marginal_return
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 1700,
                              max_spend => '{1000,Infinity}');
-- b must get at least 500: b 500, a 1200
SELECT channel, round(spend::numeric, 9) AS spend
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 1700,
                              min_spend => '{0,500}');
-- a bound that is not active changes nothing (b's optimum 100 is above 50)
SELECT channel, round(spend::numeric, 9) AS spend
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 1700,
                              '{0,50}', '{2000,2000}');
-- the budget equals the sum of the minimums, or of the maximums: every channel at that bound
SELECT channel, spend FROM marketiq.allocate_budget('{a,b,c}',
    ARRAY[pc('power', '{4,0.5}'), pc('log', '{100,20}'), pc('hill', '{50,10,0.5}')], 600, '{100,200,300}');
SELECT channel, spend FROM marketiq.allocate_budget('{a,b,c}',
    ARRAY[pc('power', '{4,0.5}'), pc('log', '{100,20}'), pc('hill', '{50,10,0.5}')], 600, NULL, '{100,200,300}');

-- ---------------------------------------------------------------- linear curves
-- b = 1: constant marginal returns 3, 2 and 1.  The best channel is filled to its bound first:
-- a 300 (its cap), then b 500 (its cap), then c the remaining 200
SELECT channel, spend, expected_outcome, marginal_return
FROM marketiq.allocate_budget('{a,b,c}', ARRAY[pc('power', '{3,1}'), pc('power', '{2,1}'), pc('power', '{1,1}')],
                              1000, NULL, '{300,500,Infinity}');
-- with minimums: c keeps its 100, a fills to 300, b gets the remaining 600 of its 700
SELECT channel, spend
FROM marketiq.allocate_budget('{a,b,c}', ARRAY[pc('power', '{3,1}'), pc('power', '{2,1}'), pc('power', '{1,1}')],
                              1000, '{0,0,100}', '{300,700,Infinity}');
-- equal slopes are filled in the order given
SELECT channel, spend
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{2,1}'), pc('power', '{2,1}')], 500, NULL, '{300,300}');
-- a linear channel next to a concave one.  Slope 3 (cap 300) beats 4 sqrt(x) (marginal 2 / sqrt(x))
-- for any x >= 1: a takes 300 and b the remaining 100 (marginal 0.2)
SELECT channel, round(spend::numeric, 9) AS spend, round(marginal_return::numeric, 12) AS marginal_return
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{3,1}'), pc('power', '{4,0.5}')], 400, NULL, '{300,Infinity}');
-- slope 0.1: the concave channel takes spend until its marginal return falls to 0.1,
-- 2 / sqrt(x) = 0.1 at x = 400; the linear channel the remaining 600
SELECT channel, round(spend::numeric, 9) AS spend, round(marginal_return::numeric, 12) AS marginal_return
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{0.1,1}'), pc('power', '{4,0.5}')], 1000);
-- a zero curve takes only what nothing else can: here its minimum, or what the caps leave
SELECT channel, spend FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{0,0.5}'), pc('power', '{4,0.5}')], 1000, '{10,0}');
SELECT channel, spend FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('log', '{0,1}'), pc('power', '{4,0.5}')], 1000, NULL, '{Infinity,600}');
-- a curve fitted to exactly linear data counts as linear (b = 1 up to rounding)
SELECT channel, spend
FROM (SELECT marketiq.response_curve(x, 3 * x) AS c1, marketiq.response_curve(x, 2 * x) AS c2
      FROM generate_series(1, 10) x) s,
     marketiq.allocate_budget('{a,b}', ARRAY[c1, c2], 1000, NULL, '{300,Infinity}');

-- ------------------------------------------------------------------ log and hill
-- log a / (c + x) and hill with s = 1, top k / (k + x)^2, have closed-form inverses; by hand:
-- log(100, 20) and log(100, 80) at equal marginal 100 / (20 + x1) = 100 / (80 + x2) with
-- x1 + x2 = 200: x1 = 130, x2 = 70
SELECT channel, round(spend::numeric, 9) AS spend, round(marginal_return::numeric, 12) AS marginal_return
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('log', '{100,20}'), pc('log', '{100,80}')], 200);
-- the same with a budget below 60: only channel a (marginal 100 / (20 + 50) = 1.43 > 100 / 80)
SELECT channel, round(spend::numeric, 9) AS spend
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('log', '{100,20}'), pc('log', '{100,80}')], 50);
-- hill(400, 100, 1) and hill(100, 100, 1): 400 * 100 / (100 + x1)^2 = 100 * 100 / (100 + x2)^2
-- gives 100 + x1 = 2 (100 + x2); with x1 + x2 = 500: x2 = 400 / 3, x1 = 1100 / 3
SELECT channel, round(spend::numeric, 9) AS spend
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('hill', '{400,100,1}'), pc('hill', '{100,100,1}')], 500);
-- log + hill (s = 0.7, solved by Newton's method) against scipy's SLSQP
-- (test/reference/budget_allocate.py: objective 1280.29595628162, spends 1136.988019 363.011981)
SELECT round(sum(spend)::numeric, 9) AS total, sum(expected_outcome) >= 1280.29595628162 * (1 - 1e-9) AS beats_scipy,
       max(marginal_return) / min(marginal_return) - 1 < 1e-9 AS equal_marginals,
       string_agg(round(spend::numeric, 4)::text, ' ' ORDER BY channel) AS spends
FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('log', '{500,200}'), pc('hill', '{800,600,0.7}')], 1500);

-- ------------------------------------------------------------- ten channels
-- six power, two log and two hill curves with bounds, against scipy's SLSQP from
-- test/reference/budget_allocate.py (run: /usr/bin/python3 test/reference/budget_allocate.py):
--   objective 7887.06735166364
--   spends 439.8512, 1079.0962, 3011.7042, 138.7557, 5000.0000, 991.6631, 4338.7840, 1429.5947,
--          2625.1685, 945.3825 (channel 5 at its cap; every other marginal return 0.189922)
CREATE TEMP TABLE ten (i int, form text, p float8[], lo float8, hi float8);
INSERT INTO ten VALUES
  (1, 'power', '{12,0.45}', 10, 5000), (2, 'power', '{8,0.55}', 10, 5000), (3, 'power', '{3,0.7}', 10, 5000),
  (4, 'power', '{20,0.3}', 10, 800), (5, 'power', '{1.5,0.8}', 10, 5000), (6, 'power', '{5,0.6}', 10, 1500),
  (7, 'log', '{900,400}', 0, 5000), (8, 'log', '{300,150}', 0, 5000),
  (9, 'hill', '{2500,3000,0.8}', 10, 5000), (10, 'hill', '{1200,800,0.6}', 10, 5000);
CREATE TEMP TABLE ten_plan AS
SELECT r.* FROM (SELECT array_agg('ch' || i ORDER BY i) AS ch, array_agg(pc(form, p) ORDER BY i) AS cv,
                        array_agg(lo ORDER BY i) AS lo, array_agg(hi ORDER BY i) AS hi FROM ten) s,
     marketiq.allocate_budget(ch, cv, 20000, lo, hi) r;
SELECT sum(expected_outcome) >= 7887.06735166364 * (1 - 1e-9) AS beats_scipy,
       round(sum(expected_outcome)::numeric, 6) AS objective,
       abs(sum(spend) / 20000 - 1) < 1e-12 AS adds_up
FROM ten_plan;
SELECT channel, round(spend::numeric, 4) AS spend, round(marginal_return::numeric, 6) AS marginal_return
FROM ten_plan ORDER BY substr(channel, 3)::int;
-- KKT: every channel strictly inside its bounds has the same marginal return (to 1e-9)
SELECT max(marginal_return) / min(marginal_return) - 1 < 1e-9 AS equal_marginals
FROM ten_plan JOIN ten ON channel = 'ch' || i WHERE spend > lo AND spend < hi;

-- many channels: 200 power curves with varied exponents, and the KKT conditions hold
CREATE TEMP TABLE many AS
SELECT r.*, g.lo, g.hi FROM
  (SELECT array_agg('c' || i ORDER BY i) AS ch,
          array_agg(pc('power', ARRAY[1 + i % 7, 0.2 + 0.7 * (i % 13) / 13.0]) ORDER BY i) AS cv,
          array_agg((i % 3) * 5.0::float8 ORDER BY i) AS lo, array_agg(CASE WHEN i % 11 = 0 THEN 20 ELSE 'Infinity'::float8 END ORDER BY i) AS hi
   FROM generate_series(1, 200) i) s,
  marketiq.allocate_budget(ch, cv, 1e5, lo, hi) r,
  LATERAL (SELECT (i % 3) * 5.0::float8 AS lo, CASE WHEN i % 11 = 0 THEN 20 ELSE 'Infinity'::float8 END AS hi
           FROM generate_series(1, 200) i WHERE 'c' || i = r.channel) g;
SELECT count(*) AS channels, abs(sum(spend) / 1e5 - 1) < 1e-12 AS adds_up,
       max(marginal_return) FILTER (WHERE spend > lo AND spend < hi)
         / min(marginal_return) FILTER (WHERE spend > lo AND spend < hi) - 1 < 1e-9 AS equal_marginals,
       bool_and(marginal_return >= (SELECT min(marginal_return) FROM many WHERE spend > lo AND spend < hi) * (1 - 1e-9))
         FILTER (WHERE spend = hi) AS capped_want_more,
       bool_and(marginal_return <= (SELECT max(marginal_return) FROM many WHERE spend > lo AND spend < hi) * (1 + 1e-9))
         FILTER (WHERE spend = lo) AS floored_want_less,
       count(*) FILTER (WHERE spend = lo) AS at_min, count(*) FILTER (WHERE spend = hi) AS at_max,
       bool_and(spend >= lo AND spend <= hi) AS within_bounds
FROM many;

-- ------------------------------------------------------------------ extrapolation
-- a plan beyond the spends a curve was fitted on gets a WARNING naming the channels; capping
-- them at their largest fitted spend keeps the plan within the data (and quiet)
CREATE TEMP TABLE fitted AS
SELECT marketiq.response_curve(x, 4 * sqrt(x)) AS c1, marketiq.response_curve(x, sqrt(x)) AS c2
FROM generate_series(100, 1000, 100) x;
SELECT r.channel, r.spend FROM fitted, marketiq.allocate_budget('{a,b}', ARRAY[c1, c2], 1700) r;
SELECT r.channel, r.spend FROM fitted, marketiq.allocate_budget('{a,b}', ARRAY[c1, c2], 1700, NULL, '{1000,1000}') r;

-- -------------------------------------------------------------------- bad input
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 0);
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], -5);
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 'NaN');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], NULL);
SELECT * FROM marketiq.allocate_budget(NULL, ARRAY[pc('power', '{4,0.5}')], 10);
SELECT * FROM marketiq.allocate_budget('{a}', NULL, 10);
-- arrays of different lengths, NULL elements, empty and multi-dimensional arrays
SELECT * FROM marketiq.allocate_budget('{a,b,c}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10);
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), NULL], 10);
SELECT * FROM marketiq.allocate_budget('{a,NULL}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10);
SELECT * FROM marketiq.allocate_budget('{}', '{}', 10);
SELECT * FROM marketiq.allocate_budget('{a}', '{}', 10);
SELECT * FROM marketiq.allocate_budget('{{a},{b}}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10);
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, '{1}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, '{1,NULL}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, NULL, '{5,NULL}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, '{1,-1}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, '{1,Infinity}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, NULL, '{5,NaN}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, '{3,3}', '{5,2}');
-- infeasible bounds
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, '{6,6}');
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10, NULL, '{3,3}');
-- duplicate channels
SELECT * FROM marketiq.allocate_budget('{a,a}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,0.5}')], 10);
-- curves that are not concave
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('power', '{1,1.5}')], 10);
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('hill', '{10,5,2}')], 10);
SELECT * FROM marketiq.allocate_budget('{a,b}', ARRAY[pc('power', '{4,0.5}'), pc('log', '{-10,5}')], 10);

DROP FUNCTION pc(text, float8[]);
