-- clv_predict: predictions of the BG/NBD and Gamma-Gamma models and CLV (src/clv/bgnbd.c,
-- gammagamma.c, clv.c, and the 2F1 series in mle.c) against an independent implementation.
--
-- Reference: test/reference/clv_reference.py, written from the papers (Fader, Hardie & Lee 2005,
-- eqs. 8-10 and the 2008 P(alive) note; Fader & Hardie 2013, eq. 5; per-step discounting as in
-- the lifetimes package), evaluated with mpmath at 40 digits (its own hyp2f1), run as
--     /usr/bin/python3 test/reference/clv_reference.py
-- under the published CDNOW parameters (BG/NBD r 0.243, alpha 4.414, a 0.793, b 2.426;
-- Gamma-Gamma p 6.25, q 3.74, gamma 15.44), for the first 30 simulated customers of
-- test/data/clv_sim.csv and 6 made-up extreme ones (a customer aged half a week, one with 400 or
-- 2000 repeat purchases, whose series terms pass the range of a double).
CREATE TABLE pm AS
SELECT '{"kind":"bgnbd","format":1,"n":2357,"skipped":0,"penalizer":0,"fitted":1,"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"log_likelihood":-9582.4,"iterations":0,"converged":1,"x":[],"tx":[],"t":[],"count":[]}'::marketiq.bgnbd AS bg,
       '{"kind":"gammagamma","format":1,"n":946,"skipped":0,"penalizer":0,"fitted":1,"p":6.25,"q":3.74,"gamma":15.44,"log_likelihood":-4055.9,"iterations":0,"converged":1,"no_repeat":1411,"x":[],"monetary":[],"count":[]}'::marketiq.gammagamma AS gg;
SELECT (marketiq.params(bg)).*, (marketiq.params(gg)).* FROM pm;

-- (id, x, tx, t, zbar, E[Y(10)], E[Y(52)], P(alive), expected spend, CLV 52 weeks at 1% a week,
--  CLV 39 weeks undiscounted)
CREATE TABLE ref (id int, x float8, tx float8, t float8, zbar float8, e10 float8, e52 float8,
                  alive float8, spend float8, clv52 float8, clv39 float8);
INSERT INTO ref VALUES
  (1, 4, 12.851720325250639, 12.880957439492136, 17.916467575237647, 1.853898791174975, 6.7164101448082283, 0.87168673046762351, 19.625511513372068, 106.32075669202687, 108.0016602183005),
  (2, 3, 4.0038999658203593, 50.330245501099967, 32.662312831038456, 0.0071848311427650691, 0.031893567851180634, 0.012711200080009236, 32.988290627360216, 0.83095500402199316, 0.82437431831999466),
  (3, 2, 3.9883429661760497, 25.906391029311692, 18.961579877372568, 0.13417857579139718, 0.55672539396203288, 0.19542483357492253, 21.88449793091582, 9.6895254464080969, 9.697843160362631),
  (4, 0, 0, 30.18703002040327, 0, 0.067375728254619022, 0.30620800596907919, 1.0, 35.218978102189777, 8.4947283575472741, 8.3904675325610818),
  (5, 3, 2.5378875997423123, 29.412052153349634, 32.614485959854882, 0.028437720932489885, 0.11798714017311734, 0.031931654486074882, 32.946561737891067, 3.0916818820369536, 3.0949895110495012),
  (6, 1, 3.572123815338426, 29.697482583949537, 70.20523695715805, 0.1151804565137789, 0.49935255642342545, 0.33479623439747076, 59.542016794464716, 23.537193443123106, 23.416708460940866),
  (7, 2, 21.457472241382192, 42.282481245299785, 31.850015107189041, 0.24432469924847032, 1.0773173929777059, 0.53463727105328297, 32.455721052484449, 27.633541577988503, 27.437178810109492),
  (8, 0, 0, 28.672127047659625, 0, 0.070335317386574571, 0.31819934247634362, 1.0, 35.218978102189777, 8.8314728054696906, 8.7286662075063703),
  (9, 0, 0, 19.390663138146991, 0, 0.096259882503682575, 0.41964179074525485, 1.0, 35.218978102189777, 11.690515317238883, 11.61150427970603),
  (10, 2, 9.4606929870920506, 18.906477591007643, 13.391486951597876, 0.50225972570762921, 1.9958546270043814, 0.57410350853168558, 17.315852158462825, 27.607567427888784, 27.771145640277267),
  (11, 2, 13.542873469207208, 15.030305906534956, 353.07778722316539, 0.80820991327317121, 3.1091545018914741, 0.78326990843545788, 295.92994358855428, 737.45714630638505, 744.41349926789865),
  (12, 1, 0.71720193275157385, 44.711249696663195, 36.549417975220592, 0.037847144441188231, 0.1714248740098212, 0.15580182392679463, 36.143922396566039, 4.8829372484069471, 4.8283640355795941),
  (13, 16, 26.404102329894471, 36.004279075547004, 34.567037906578364, 0.78443220700961555, 3.1890896996390032, 0.2116714919643885, 34.584424670603819, 87.912831186196961, 88.256789869188968),
  (14, 2, 1.0702425067044761, 39.047002541238498, 19.420923310629892, 0.019541993022755586, 0.085378107273299097, 0.039938712381839874, 22.261255996251551, 1.5035250031757479, 1.4947525430348253),
  (15, 3, 24.468754928927289, 36.95556861603157, 18.880028677636187, 0.46834783894316645, 2.0029204331114752, 0.63511309716963232, 20.963263736885923, 33.289964113116235, 33.196614290795444),
  (16, 7, 26.94916261218744, 30.464055222516155, 13.384864303277457, 1.5869392470444026, 6.4151769050615137, 0.83116062120910492, 14.671710330574075, 75.065196361788787, 75.402504210120732),
  (17, 1, 4.1518721037250321, 33.324011340926113, 29.636352613939536, 0.10199228832934378, 0.44796482464051755, 0.32628271621324776, 31.337842473539721, 11.098337607363079, 11.022204712189243),
  (18, 0, 0, 48.066193617735856, 0, 0.04502795532951416, 0.21243427269612467, 1.0, 35.218978102189777, 5.87095760882943, 5.7669989080979551),
  (19, 6, 19.446562593456758, 20.651107547209328, 46.182664393909079, 1.9470105836389108, 7.4534351878889918, 0.87318889036830275, 45.436131082793003, 271.61518758414331, 274.47769540143062),
  (20, 1, 4.7382384576102812, 27.437223979916119, 17.164636929736023, 0.14449435432963779, 0.62069728892966121, 0.39366287619614703, 22.66729486216353, 11.1484114768671, 11.104766461700433),
  (21, 1, 12.66423909056784, 51.466230084536974, 34.074658649105693, 0.088421934672673832, 0.40589856097823789, 0.41210183539520383, 34.42342787062409, 10.996245191246799, 10.8516933764428),
  (22, 0, 0, 47.461903107808808, 0, 0.04553828170553972, 0.21464533641783072, 1.0, 35.218978102189777, 5.932618071055018, 5.8283924990550267),
  (23, 3, 15.110585919843444, 18.897896820570612, 22.418695598896136, 0.95138608461516121, 3.7049085222459134, 0.75850103639903745, 24.050746509041533, 71.33413980708617, 71.934283223219337),
  (24, 1, 0.45044020457468542, 50.098322632603647, 14.930253934398024, 0.028954810089842139, 0.13258514037121568, 0.13175809660248381, 21.113914025582608, 2.2036777401469385, 2.1755268743870855),
  (25, 0, 0, 18.58303012367589, 0, 0.099452627560866106, 0.4317304788724193, 1.0, 35.218978102189777, 12.032396592917126, 11.957468378743773),
  (26, 1, 21.546045923524641, 31.968465588216361, 27.882049055255987, 0.21615633927153699, 0.94500360685917791, 0.66788355895680833, 30.118220978348154, 22.511991684321721, 22.371642062152222),
  (27, 1, 2.5680769386869549, 26.496718465986991, 14.664929205611418, 0.12269076699127313, 0.5248680011641854, 0.32495216887551843, 20.929455788105824, 8.7081276421981341, 8.6786645257501845),
  (28, 0, 0, 15.36272929094423, 0, 0.11462043800496363, 0.48809416600245193, 1.0, 35.218978102189777, 13.629540295020088, 13.576744715051366),
  (29, 1, 5.7763781330910522, 35.426187350989167, 32.132004576158153, 0.10678911938285038, 0.47218590650805453, 0.35972214133648678, 33.072861913346879, 12.337615567909655, 12.241683209375169),
  (30, 2, 6.179325397045182, 21.643177336893448, 20.272951182644576, 0.28805986122704462, 1.1664066902566594, 0.36458245407763593, 22.960097754793779, 21.352002545781502, 21.432631070964109),
  (9001, 0, 0, 0.5, 0, 0.39572584561043222, 1.3488879787457408, 1.0, 35.218978102189777, 38.521133448487629, 39.184943762471948),
  (9002, 1, 0.10000000000000001, 78, 5.5, 0.011241707075813559, 0.053402267731154053, 0.076406329177469734, 14.557842046718576, 0.60966563540285853, 0.59842009473469207),
  (9003, 150, 51, 52, 30, 23.17423464271445, 97.855346558400487, 0.92856949809149739, 30.015208882838424, 2331.9786608079709, 2330.085327180747),
  (9004, 400, 50, 52, 12.25, 0.017881967020641667, 0.075414997859144683, 0.00026909729542064764, 12.275146439502305, 0.73508718596558563, 0.73460900752674599),
  (9005, 3, 2, 2.5, 100, 2.868238983317999, 8.6880335568208583, 0.81396639090934869, 91.740344346207537, 655.10721380438329, 674.08480152764865),
  (9006, 2000, 51.899999999999999, 52, 20, 327.50477248230096, 1380.380245427943, 0.98641017614569808, 20.003335268909055, 21927.17865917795, 21914.632405103168);

-- relative error (NULL when not finite, so a NaN cannot pass)
CREATE FUNCTION relerr(got float8, want float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN got IN ('NaN', 'Infinity', '-Infinity') THEN NULL
                ELSE abs(got - want) / greatest(abs(want), 1e-300) END $$;

CREATE TABLE got AS
SELECT r.id,
       relerr(marketiq.expected_purchases(bg, 10, x, tx, t), e10) AS e10,
       relerr(marketiq.expected_purchases(bg, 52, x, tx, t), e52) AS e52,
       relerr(marketiq.prob_alive(bg, x, tx, t), alive) AS alive,
       relerr(marketiq.expected_spend(gg, x, zbar), spend) AS spend,
       relerr(marketiq.clv(bg, gg, x, tx, t, zbar, 52, 0.01), clv52) AS clv52,
       relerr(marketiq.clv(bg, gg, x, tx, t, zbar, 39), clv39) AS clv39
FROM ref r, pm;
-- every prediction of all 36 customers within 1e-10 (relative) of the reference
SELECT count(*) AS customers,
       bool_and(e10 < 1e-10) AS e10, bool_and(e52 < 1e-10) AS e52, bool_and(alive < 1e-10) AS alive,
       bool_and(spend < 1e-10) AS spend, bool_and(clv52 < 1e-10) AS clv52, bool_and(clv39 < 1e-10) AS clv39
FROM got;
-- a few of them, rounded, to read: customer 1 (4 repeats, still active), 2 (3 repeats long
-- ago), 4 (no repeat), 9003 (150 repeats), 9006 (2000 repeats)
SELECT id, x, round(tx::numeric, 2) AS tx, round(t::numeric, 2) AS t,
       round(marketiq.expected_purchases(bg, 52, x, tx, t)::numeric, 4) AS e52,
       round(marketiq.prob_alive(bg, x, tx, t)::numeric, 4) AS alive,
       round(marketiq.expected_spend(gg, x, zbar)::numeric, 2) AS spend,
       round(marketiq.clv(bg, gg, x, tx, t, zbar, 52, discount_rate => 0.01)::numeric, 2) AS clv52
FROM ref, pm WHERE id IN (1, 2, 4, 9003, 9006) ORDER BY id;

-- a new customer: E[X(t)] (FHL 2005, eq. 9) and P(X(39) = n) (eq. 8), same reference
SELECT t, relerr(marketiq.expected_purchases(bg, t), want) < 1e-10 AS ok,
       round(marketiq.expected_purchases(bg, t)::numeric, 6) AS expected
FROM pm, (VALUES (1, 0.053267891171658282), (10, 0.43241336223442559), (39, 1.1967231933208169),
                 (78, 1.8605190579427686), (1000, 6.5803916137382321)) v(t, want)
ORDER BY t;
SELECT n, relerr(marketiq.purchase_probability(bg, n, 39), want) < 1e-10 AS ok,
       round(marketiq.purchase_probability(bg, n, 39)::numeric, 6) AS probability
FROM pm, (VALUES (0, 0.5737863520960094), (1, 0.19939528083591145), (2, 0.085429759539060759),
                 (5, 0.017965493866579044), (10, 0.0035904295401896733)) v(n, want)
ORDER BY n;
-- probabilities of 0..2000 purchases add up to 1; E[X(39)] is their mean (to 1e-9: the tail
-- past 2000 purchases is below that)
SELECT abs(sum(p) - 1) < 1e-9 AS sums_to_one,
       abs(sum(n * p) - (SELECT marketiq.expected_purchases(bg, 39) FROM pm)) < 1e-6 AS mean_matches
FROM (SELECT n, marketiq.purchase_probability(bg, n, 39) AS p
      FROM pm, generate_series(0, 2000) n) s;
-- horizons so long that the 2F1 argument passes 0.9998 go through GSL (same reference)
SELECT relerr(marketiq.expected_purchases(bg, 10000, 4, 12.85, 12.88), 63.547834840196892) < 1e-9 AS t1e4,
       relerr(marketiq.expected_purchases(bg, 1e6, 4, 12.85, 12.88), 206.47312234404551) < 1e-9 AS t1e6
FROM pm;
-- a = 1 exactly: the formulas divide 0 by 0 there; the reference takes the limit at 60 digits
SELECT relerr(marketiq.expected_purchases(m, 52, 2, 30.43, 38.86), 1.3877466907910452) < 1e-8 AS conditional,
       relerr(marketiq.expected_purchases(m, 39), 1.0842790105915188) < 1e-8 AS new_customer
FROM (SELECT replace(bg::text, '"a":0.793', '"a":1')::marketiq.bgnbd AS m FROM pm) s;

-- horizon 0: nothing expected; P(alive) of a customer without repeats is 1 (BG/NBD: drop-out
-- happens only after a purchase); P(X(0) = 0) = 1
SELECT marketiq.expected_purchases(bg, 0, 3, 10, 20) AS e0, marketiq.expected_purchases(bg, 0) AS new0,
       marketiq.prob_alive(bg, 0, 0, 50) AS alive0, marketiq.purchase_probability(bg, 0, 0) AS p00,
       marketiq.purchase_probability(bg, 2, 0) AS p20,
       marketiq.clv(bg, gg, 3, 10, 20, 50, 0) AS clv0
FROM pm;
-- discounting: with a 1% weekly rate the CLV is smaller than undiscounted, and one 52-week step
-- discounts everything by 1.01
SELECT c1 < c0 AS discounted_less, abs(c2 - c0 / 1.01) < 1e-9 * c0 AS one_step
FROM (SELECT marketiq.clv(bg, gg, 4, 12.85, 12.88, 17.9, 52) AS c0,
             marketiq.clv(bg, gg, 4, 12.85, 12.88, 17.9, 52, 0.01) AS c1,
             marketiq.clv(bg, gg, 4, 12.85, 12.88, 17.9, 52, 0.01, step => 52) AS c2 FROM pm) s;
-- population mean spend p gamma / (q - 1) = 6.25 * 15.44 / 2.74 (hand: 35.2189781...)
SELECT round(marketiq.expected_spend(gg)::numeric, 6) AS mean_spend FROM pm;

-- NULL in, NULL out
SELECT marketiq.expected_purchases(bg, NULL, 1, 1, 2) IS NULL AS a, marketiq.prob_alive(bg, 1, NULL, 2) IS NULL AS b,
       marketiq.expected_spend(gg, NULL, 1) IS NULL AS c, marketiq.clv(bg, gg, 1, 1, 2, NULL, 10) IS NULL AS d,
       marketiq.clv(bg, gg, 1, 1, 2, 10, 10, NULL) IS NULL AS e
FROM pm;

-- bad input: impossible summaries, bad horizons and rates
SELECT marketiq.expected_purchases(bg, 10, -1, 0, 5) FROM pm;
SELECT marketiq.expected_purchases(bg, 10, 1.5, 1, 5) FROM pm;
SELECT marketiq.expected_purchases(bg, 10, 2, 6, 5) FROM pm;
SELECT marketiq.prob_alive(bg, 0, 3, 5) FROM pm;
SELECT marketiq.prob_alive(bg, 2, 0, 5) FROM pm;
SELECT marketiq.prob_alive(bg, 2, 'NaN', 5) FROM pm;
SELECT marketiq.prob_alive(bg, 2, 1, 'Infinity') FROM pm;
SELECT marketiq.expected_purchases(bg, -1, 2, 1, 5) FROM pm;
SELECT marketiq.expected_purchases(bg, 'NaN') FROM pm;
SELECT marketiq.purchase_probability(bg, -1, 10) FROM pm;
SELECT marketiq.expected_spend(gg, 2, 0) FROM pm;
SELECT marketiq.expected_spend(gg, 2, -5) FROM pm;
SELECT marketiq.clv(bg, gg, 2, 1, 5, 10, 52, -0.1) FROM pm;
SELECT marketiq.clv(bg, gg, 2, 1, 5, 10, 52, 0.01, 0) FROM pm;
SELECT marketiq.clv(bg, gg, 2, 1, 5, 10, 1e9, 0.01) FROM pm;
-- a spend model with q <= 1 has no finite mean: an error, not a silent Infinity
SELECT marketiq.expected_spend(replace(gg::text, '"q":3.74', '"q":0.9')::marketiq.gammagamma) FROM pm;
-- an aggregate state is not a fitted model
SELECT marketiq.prob_alive('{"kind":"bgnbd","format":1,"n":1,"skipped":0,"penalizer":0,"fitted":0,"r":"NaN","alpha":"NaN","a":"NaN","b":"NaN","log_likelihood":"NaN","iterations":0,"converged":0,"x":[1],"tx":[2],"t":[3],"count":[1]}'::marketiq.bgnbd, 1, 2, 3);

DROP TABLE pm, ref, got;
DROP FUNCTION relerr;
