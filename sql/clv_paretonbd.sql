-- clv_paretonbd: the Pareto/NBD model (src/clv/paretonbd.c): the paretonbd_fit aggregate on the
-- CDNOW sample against the published estimates and an independent scipy fit, predictions against
-- mpmath, the CLV overload, and a forced parallel plan.
\getenv abs_srcdir PG_ABS_SRCDIR
\cd :abs_srcdir
\i test/clv_cdnow.sql
CREATE TABLE cd AS
SELECT customer::int AS id, frequency, recency, t, monetary
FROM marketiq.clv_summary('cdnow', 'customer_id', 'ts', 'amount', '1997-09-30', 'week');

-- Fader, Hardie & Lee (2005), "Counting your customers the easy way", report for the
-- Pareto/NBD on the same CDNOW calibration data r = 0.55, alpha = 10.58, s = 0.61,
-- beta = 11.67, LL = -9595.0
CREATE TABLE m AS SELECT marketiq.paretonbd_fit(frequency, recency, t) AS model FROM cd;
SELECT round(r::numeric, 2) AS r, round(alpha::numeric, 2) AS alpha, round(s::numeric, 2) AS s,
       round(beta::numeric, 2) AS beta, round(log_likelihood::numeric, 1) AS log_likelihood,
       customers, converged
FROM m, marketiq.params(model);
-- and the scipy fit of test/reference/clv_reference.py (0.553277 10.577683 0.606240 11.668743,
-- LL -9594.9762); the C fit differentiates the likelihood numerically, so 1e-4
SELECT abs(r - 0.553277) < 1e-4 AS r, abs(alpha - 10.577683) < 1e-4 AS alpha, abs(s - 0.606240) < 1e-4 AS s,
       abs(beta - 11.668743) < 1e-4 AS beta, abs(log_likelihood + 9594.9762) < 1e-4 AS ll
FROM m, marketiq.params(model);
SELECT model::text::marketiq.paretonbd::text = model::text AS text_roundtrip FROM m;

-- predictions under the published parameters (r 0.553, alpha 10.578, s 0.606, beta 11.669;
-- Gamma-Gamma p 6.25, q 3.74, gamma 15.44) for the customers of clv_predict, against mpmath
-- (test/reference/clv_reference.py): (id, E[Y(52)], P(alive), CLV 52 weeks at 1% a week)
CREATE TABLE pm AS
SELECT '{"kind":"paretonbd","format":1,"n":2357,"skipped":0,"penalizer":0,"fitted":1,"r":0.553,"alpha":10.578,"s":0.606,"beta":11.669,"log_likelihood":-9595.0,"iterations":0,"converged":1,"x":[],"tx":[],"t":[],"count":[]}'::marketiq.paretonbd AS pn,
       '{"kind":"gammagamma","format":1,"n":946,"skipped":0,"penalizer":0,"fitted":1,"p":6.25,"q":3.74,"gamma":15.44,"log_likelihood":-4055.9,"iterations":0,"converged":1,"no_repeat":1411,"x":[],"monetary":[],"count":[]}'::marketiq.gammagamma AS gg;
CREATE TABLE ref (id int, e52 float8, alive float8, clv52 float8);
INSERT INTO ref VALUES
  (1, 6.8312298232912074, 0.99927607911235731, 107.19613170091014),
  (2, 0.047790223286923996, 0.019196208550518899, 1.2440776299283869),
  (3, 0.6705728631589678, 0.24618986377120683, 11.656695845394835),
  (4, 0.19202473967444894, 0.35570192893868085, 5.3636703950253226),
  (5, 0.24076936105840737, 0.068351448366005883, 6.2929265357137787),
  (6, 0.47283506305731002, 0.3088626160596695, 22.332252175519616),
  (7, 1.172920264350289, 0.58222160792294753, 30.090891312947504),
  (8, 0.20515838283079148, 0.36862914914770537, 5.7334792043248674),
  (9, 0.32438297779674936, 0.4710766924148126, 9.1004942955952515),
  (10, 2.2435885065484932, 0.69689607164042539, 30.954426627769272),
  (11, 3.4552065221940191, 0.96319957227823744, 816.44908669871677),
  (12, 0.13670301463032402, 0.11580960382652879, 3.9034906988516857),
  (13, 5.2471909449330603, 0.3619023789850891, 143.67155125972168),
  (14, 0.11947112919900166, 0.056279987542441906, 2.1039095300909338),
  (15, 2.2493434614512117, 0.73485924645564921, 37.32205602895563),
  (16, 6.80454913833374, 0.92791104043004469, 79.171429848162294),
  (17, 0.40729782575003329, 0.28527900434812098, 10.112988024615082),
  (18, 0.099643526495249898, 0.24906997867759948, 2.7705373145224602),
  (19, 7.6979216258988604, 0.97411560937806416, 278.44545194989512),
  (20, 0.6149825473076119, 0.3835286962296747, 11.066395190485974),
  (21, 0.360908560125609, 0.33688899001369314, 9.8018644131758512),
  (22, 0.1015718275897508, 0.25168775404524464, 2.8244937108924784),
  (23, 4.0448075025351625, 0.90256896379660473, 77.511117179315096),
  (24, 0.10042029568569879, 0.091985988460056535, 1.6732382666517488),
  (25, 0.3393243624309168, 0.48245706565150997, 9.523556979053729),
  (26, 1.1938258990022096, 0.81515241558930806, 28.500272948372639),
  (27, 0.51490270996138748, 0.31475861699476626, 8.5581184767411956),
  (28, 0.41028583065186228, 0.53323592952722252, 11.535676747009258),
  (29, 0.43005215127583661, 0.3129324844109522, 11.262276695416413),
  (30, 1.3404822642583612, 0.44617062317218296, 24.490689347661429),
  (9001, 1.3903253649501753, 0.9745789405690129, 39.634110999940516),
  (9002, 0.031281702672609015, 0.039702550335578242, 0.35797226911273359),
  (9003, 99.040452565172359, 0.96058629726526839, 2345.1432369823317),
  (9004, 0.40482886293937583, 0.0014757903450253486, 3.9202479649333873),
  (9005, 7.9728014868468065, 0.97693260438700075, 590.4145264649569),
  (9006, 1360.5183425314627, 0.99304178884578561, 21469.513474528039);
CREATE TABLE sim (id int, x int, tx float8, t float8, zbar float8);
\copy sim FROM 'test/data/clv_sim.csv' (FORMAT csv, HEADER)
INSERT INTO sim VALUES (9001, 0, 0, 0.5, 0), (9002, 1, 0.1, 78, 5.5), (9003, 150, 51, 52, 30),
  (9004, 400, 50, 52, 12.25), (9005, 3, 2, 2.5, 100), (9006, 2000, 51.9, 52, 20);
CREATE FUNCTION relerr(got float8, want float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN got IN ('NaN', 'Infinity', '-Infinity') THEN NULL
                ELSE abs(got - want) / greatest(abs(want), 1e-300) END $$;
SELECT count(*) AS customers,
       bool_and(relerr(marketiq.expected_purchases(pn, 52, x, tx, t), e52) < 1e-10) AS e52,
       bool_and(relerr(marketiq.prob_alive(pn, x, tx, t), alive) < 1e-10) AS alive,
       bool_and(relerr(marketiq.clv(pn, gg, x, tx, t, zbar, 52, 0.01), clv52) < 1e-10) AS clv52
FROM ref JOIN sim USING (id), pm;
SELECT id, x, round(marketiq.expected_purchases(pn, 52, x, tx, t)::numeric, 4) AS e52,
       round(marketiq.prob_alive(pn, x, tx, t)::numeric, 4) AS alive
FROM sim, pm WHERE id IN (1, 2, 4, 9006) ORDER BY id;
-- a new customer, E[X(t)] (same reference)
SELECT t, relerr(marketiq.expected_purchases(pn, t), want) < 1e-10 AS ok
FROM pm, (VALUES (10, 0.42760114283242949), (39, 1.2130028442810159), (78, 1.9093981293136855)) v(t, want)
ORDER BY t;
-- s = 1: the formulas have (s - 1) in a denominator; the limit is (r + x)(beta + T)/(alpha + T)
-- ln((beta + T + t)/(beta + T)) P(alive): the two sides of s = 1 agree with it
SELECT abs(marketiq.expected_purchases(replace(pn::text, '"s":0.606', '"s":1')::marketiq.paretonbd, 52, 2, 30.43, 38.86)
         - marketiq.expected_purchases(replace(pn::text, '"s":0.606', '"s":1.000000001')::marketiq.paretonbd, 52, 2, 30.43, 38.86)) < 1e-7 AS continuous_at_s1
FROM pm;

-- empty input gives NULL; bad input is rejected as for bgnbd_fit (shared checks)
SELECT marketiq.paretonbd_fit(frequency, recency, t) IS NULL AS empty FROM cd WHERE false;
SELECT marketiq.paretonbd_fit(x, tx, t) FROM (VALUES (2, 6, 5)) v(x, tx, t);
SELECT marketiq.paretonbd_fit(0, 0, t) FROM generate_series(1, 5) t;
SELECT marketiq.prob_alive(pn, 0, 3, 5) FROM pm;
SELECT marketiq.expected_purchases(pn, -1) FROM pm;

-- forced parallel plan over a 4-way partitioned copy: the same model, bit for bit
CREATE TABLE cd_part (id int, frequency int, recency float8, t float8) PARTITION BY HASH (id);
CREATE TABLE cd_part_0 PARTITION OF cd_part FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE cd_part_1 PARTITION OF cd_part FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE cd_part_2 PARTITION OF cd_part FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE cd_part_3 PARTITION OF cd_part FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO cd_part SELECT id, frequency, recency, t FROM cd;
ANALYZE cd_part;
SET max_parallel_workers_per_gather = 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT marketiq.paretonbd_fit(frequency, recency, t) FROM cd_part;
CREATE TEMP TABLE parallel_m AS SELECT marketiq.paretonbd_fit(frequency, recency, t) AS m FROM cd_part;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET enable_partitionwise_aggregate;
SELECT p.m::text = (SELECT model::text FROM m) AS parallel_equals_serial FROM parallel_m p;

DROP TABLE cd, m, pm, ref, sim, cd_part, cdnow, cdnow_csv;
DROP FUNCTION relerr;
