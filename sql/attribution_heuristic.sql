-- attribution_heuristic: the rule-based models through the per-journey function
-- marketiq.attribute(channels, model, touch_ts, conversion_ts, value, half_life, first_weight,
-- middle_weight, last_weight, skip_channel) -> TABLE(channel, credit) (src/attribution/heuristic.c).
-- Expected numbers: the issue's published worked example, hand calculations written next to each
-- query, and test/reference/attribution_heuristic.py (the rules written out independently; run
-- /usr/bin/python3 test/reference/attribution_heuristic.py).

-- ----------------------------------------------------------- the published example
-- A $50 purchase with touches paid search 9 days before, social 6 days before, email and
-- display on the day (display last).  Published: time decay with a 7-day half-life gives
-- display $16.88, email $16.88, social $9.32, paid search $6.92; linear $12.50 each; J-shape
-- (20/20/60) display $30, paid search $10, social $5, email $5.
-- By hand: weights 2^(-9/7) = 0.41022, 2^(-6/7) = 0.55189, 1, 1 (sum 2.96211): 50 * 0.41022 /
-- 2.96211 = 6.9233, 50 * 0.55189 / 2.96211 = 9.3181, 50 / 2.96211 = 16.8793.
CREATE TEMP TABLE ex (channels text[], touch_ts timestamptz[], conversion_ts timestamptz);
INSERT INTO ex VALUES ('{paid search,social,email,display}',
  '{2026-03-01 12:00+00,2026-03-04 12:00+00,2026-03-10 12:00+00,2026-03-10 12:00+00}', '2026-03-10 12:00+00');
SELECT a.channel, round(a.credit::numeric, 2) AS time_decay, round(a.credit::numeric, 4) AS exact
FROM ex, marketiq.attribute(channels, 'time_decay', touch_ts, conversion_ts, value => 50, half_life => '7 days') a;
SELECT a.* FROM ex, marketiq.attribute(channels, 'linear', value => 50) a;
SELECT a.* FROM ex, marketiq.attribute(channels, 'j_shape', value => 50) a;

-- ------------------------------------------------------------- hand-computed cases
-- first and last touch: all credit to one touch; repeats of a channel add up
SELECT * FROM marketiq.attribute('{A,B,C,A}', 'first_touch');
SELECT * FROM marketiq.attribute('{A,B,C,A}', 'last_touch');
-- linear: 1/4 per touch, A touched twice: A 0.5, B 0.25, C 0.25
SELECT * FROM marketiq.attribute('{A,B,C,A}', 'linear');
-- time decay, half-life 1 day, touches 2, 1 and 0 days before: weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7
SELECT channel, round(credit::numeric, 12) AS credit
FROM marketiq.attribute('{A,B,C}', 'time_decay', '{2026-01-01,2026-01-02,2026-01-03}', '2026-01-03', half_life => '1 day');
-- the conversion time defaults to the last touch; a conversion later than the last touch ages
-- every touch alike, so the shares do not change
SELECT channel, round(credit::numeric, 12) AS credit
FROM marketiq.attribute('{A,B,C}', 'time_decay', '{2026-01-01,2026-01-02,2026-01-03}', half_life => '1 day');
SELECT channel, round(credit::numeric, 12) AS credit
FROM marketiq.attribute('{A,B,C}', 'time_decay', '{2026-01-01,2026-01-02,2026-01-03}', '2026-02-01', half_life => '1 day');
-- very old touches do not underflow: a touch 20,000 half-lives older than the last gets 0
SELECT channel, credit FROM marketiq.attribute('{A,B}', 'time_decay', '{1950-01-01,2026-01-01}', half_life => '1 day');
-- U-shape 40/20/40: A 0.4, B 0.1, C 0.1, D 0.4; two touches 50/50; one touch all
SELECT * FROM marketiq.attribute('{A,B,C,D}', 'u_shape');
SELECT * FROM marketiq.attribute('{A,B}', 'u_shape');
SELECT * FROM marketiq.attribute('{A}', 'u_shape', value => 7);
-- J-shape 20/20/60 with three touches 0.2, 0.2, 0.6; with two, first:last renormalised 0.25/0.75
SELECT * FROM marketiq.attribute('{A,B,C}', 'j_shape');
SELECT channel, round(credit::numeric, 12) AS credit FROM marketiq.attribute('{A,B}', 'j_shape');
-- inverse J 60/20/20: 0.6, 0.2, 0.2; two touches 0.75/0.25
SELECT * FROM marketiq.attribute('{A,B,C}', 'inverse_j');
SELECT channel, round(credit::numeric, 12) AS credit FROM marketiq.attribute('{A,B}', 'inverse_j');
-- W-shape: 30% first, 30% the middle key touch (touch ceil(n/2)), 30% last, 10% shared by the
-- rest.  Five touches: A .3, B .05, C .3, D .05, E .3; four: A .3, B .3 (touch 2), C .1, D .3;
-- three or fewer: equal shares
SELECT channel, round(credit::numeric, 12) AS credit FROM marketiq.attribute('{A,B,C,D,E}', 'w_shape');
SELECT channel, round(credit::numeric, 12) AS credit FROM marketiq.attribute('{A,B,C,D}', 'w_shape');
SELECT channel, round(credit::numeric, 12) AS credit FROM marketiq.attribute('{A,B,C}', 'w_shape');
-- custom position weights 0.5/0.1/0.4: A .5, B .05, C .05, D .4; two touches 5/9, 4/9
SELECT channel, round(credit::numeric, 12) AS credit
FROM marketiq.attribute('{A,B,C,D}', 'position', first_weight => 0.5, middle_weight => 0.1, last_weight => 0.4);
SELECT channel, round(credit::numeric, 12) AS credit
FROM marketiq.attribute('{A,B}', 'position', first_weight => 0.5, middle_weight => 0.1, last_weight => 0.4);
-- the default weights are U-shape's
SELECT * FROM marketiq.attribute('{A,B,C,D}', 'position');
-- all weight in the middle: a two-touch journey has no middle and splits equally
SELECT * FROM marketiq.attribute('{A,B}', 'position', first_weight => 0, middle_weight => 1, last_weight => 0);
-- last non-direct: direct is skipped when another touch exists
SELECT * FROM marketiq.attribute('{email,direct}', 'last_non_direct', value => 20);
SELECT * FROM marketiq.attribute('{direct,direct}', 'last_non_direct', value => 20);
SELECT * FROM marketiq.attribute('{email,social,brand}', 'last_non_direct', skip_channel => 'brand');
SELECT * FROM marketiq.attribute('{email,direct}', 'last_non_direct', skip_channel => NULL);
-- participation: full credit to every distinct channel (credits add up to more than value)
SELECT * FROM marketiq.attribute('{A,B,A}', 'participation', value => 10);

-- credits of every model except participation add up to value
SELECT m.name, round(sum(a.credit)::numeric, 12) AS total
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'time_decay', 'u_shape', 'j_shape', 'inverse_j',
                  'w_shape', 'position', 'last_non_direct', 'participation']) WITH ORDINALITY AS m(name, i),
     marketiq.attribute('{A,B,C,A,D,direct}', m.name,
                        '{2026-01-01,2026-01-02,2026-01-04,2026-01-05,2026-01-05,2026-01-09}', value => 3) a
GROUP BY m.name, m.i ORDER BY m.i;

-- LATERAL use: credits per channel over a table of journeys
CREATE TEMP TABLE journeys (id int, channels text[], touch_ts timestamptz[], revenue float8);
INSERT INTO journeys VALUES
  (1, '{search,email}', '{2026-01-01,2026-01-03}', 100),
  (2, '{social}', '{2026-01-02}', 40),
  (3, '{email,search,social}', '{2026-01-01,2026-01-08,2026-01-15}', 60);
-- linear by hand: search 50 + 20 = 70, email 50 + 20 = 70, social 40 + 20 = 60
SELECT a.channel, sum(a.credit) AS revenue
FROM journeys j, LATERAL marketiq.attribute(j.channels, 'linear', value => j.revenue) a
GROUP BY a.channel ORDER BY a.channel;

-- ---------------------------------------------------------------------- bad input
-- a NULL or empty journey has no credit to give (no rows); a NULL value gives credit 0
SELECT count(*) AS null_journey FROM marketiq.attribute(NULL, 'linear');
SELECT count(*) AS empty_journey FROM marketiq.attribute('{}', 'linear');
SELECT * FROM marketiq.attribute('{A,B}', 'linear', value => NULL);
SELECT * FROM marketiq.attribute('{A,B}', 'shapley');
SELECT * FROM marketiq.attribute('{A,B}', NULL);
SELECT * FROM marketiq.attribute('{A,NULL}', 'linear');
SELECT * FROM marketiq.attribute('{{A,B},{C,D}}', 'linear');
SELECT * FROM marketiq.attribute('{A,B}', 'linear', value => 'NaN');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01}');
SELECT * FROM marketiq.attribute('{A,B}', 'linear', '{2026-01-01,2026-01-02,2026-01-03}');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-02,2026-01-01}');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,infinity}');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,NULL}');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,2026-01-02}', '2025-12-31');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,2026-01-02}', 'infinity');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,2026-01-02}', half_life => '0 days');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,2026-01-02}', half_life => '-1 day');
SELECT * FROM marketiq.attribute('{A,B}', 'time_decay', '{2026-01-01,2026-01-02}', half_life => NULL);
SELECT * FROM marketiq.attribute('{A,B}', 'position', first_weight => 0.5, middle_weight => 0.5, last_weight => 0.5);
SELECT * FROM marketiq.attribute('{A,B}', 'position', first_weight => 1.2, middle_weight => 0, last_weight => -0.2);
SELECT * FROM marketiq.attribute('{A,B}', 'position', first_weight => NULL);
SELECT * FROM marketiq.attribute('{A,B}', 'position', first_weight => 'NaN');
-- knobs are checked even when the model does not use them, so a mistake is never silently ignored
SELECT count(*) FROM marketiq.attribute('{A,B}', 'linear', half_life => '-1 day');
SELECT count(*) FROM marketiq.attribute('{A,B}', 'linear', first_weight => 0.9);
-- but a NULL knob matters only to the model that needs it
SELECT count(*) FROM marketiq.attribute('{A,B}', 'linear', half_life => NULL, first_weight => NULL);
