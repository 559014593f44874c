-- qlearn_nba: marketiq.next_best_action over an event table (src/qlearn/nba.c).

-- Events (customer, time, stage, action, revenue); each customer's events in time order are
-- transitions whose next state is the stage of the next event, the last one terminal:
--   customer 1: visitor/email 0 -> engaged/email -1 -> cart/email 100 (end)
--   customer 2: visitor/coupon 20 (end)
--   customer 3: visitor/email 0 -> engaged/coupon 30 (end)
--   customer 4: visitor/email 0 -> engaged/email -1 -> engaged/email -1 -> cart/coupon 80 (end)
-- Customer 2 is then seen in stage "lapsed" with no action (NULL): that row ends the coupon's
-- transition (visitor/coupon -> lapsed, a state without actions, worth 0) but starts none.
-- Rows left out: a NULL stage, a NULL customer, a NULL time; a NULL revenue counts as 0.  The
-- rows are inserted out of order.
-- The empirical MDP: visitor/email -> engaged (3 times, reward 0);
-- visitor/coupon -> lapsed (20); engaged/email -> cart twice, -> engaged once (-1 each);
-- engaged/coupon terminal (30);
-- cart/email terminal (100); cart/coupon terminal (80).  Q* with gamma 0.9, by hand:
--   cart: Q(email) = 100, Q(coupon) = 80
--   engaged: Q(email) = x = -1 + 0.9 (2/3 100 + 1/3 x)  =>  0.7 x = 59, x = 590/7 = 84.2857142857...
--            Q(coupon) = 30
--   visitor: Q(email) = 0 + 0.9 * 590/7 = 531/7 = 75.8571428571...; Q(coupon) = 20
CREATE TABLE events (customer_id int, ts timestamptz, stage text, action text, revenue numeric);
INSERT INTO events VALUES
  (4, '2026-01-04 10:00+00', 'cart', 'coupon', 80),
  (1, '2026-01-01 10:00+00', 'visitor', 'email', 0),
  (3, '2026-01-02 10:00+00', 'visitor', 'email', NULL),
  (1, '2026-01-03 10:00+00', 'cart', 'email', 100),
  (4, '2026-01-01 10:00+00', 'visitor', 'email', 0),
  (2, '2026-01-01 10:00+00', 'visitor', 'coupon', 20),
  (1, '2026-01-02 10:00+00', 'engaged', 'email', -1),
  (4, '2026-01-03 10:00+00', 'engaged', 'email', -1),
  (3, '2026-01-03 10:00+00', 'engaged', 'coupon', 30),
  (4, '2026-01-02 10:00+00', 'engaged', 'email', -1),
  (1, '2026-01-02 12:00+00', NULL, 'email', 5),
  (2, '2026-01-05 10:00+00', 'lapsed', NULL, 5),
  (NULL, '2026-01-02 13:00+00', 'engaged', 'email', 5),
  (2, NULL, 'visitor', 'email', 5);
SELECT state, action, round(q::numeric, 10) AS q, visits, is_best
FROM marketiq.next_best_action('events', 'customer_id', 'ts', 'stage', 'action', 'revenue');
SELECT bool_and(abs(q - hand) <= 1e-12 * abs(hand)) AS matches_hand_values
FROM marketiq.next_best_action('events', 'customer_id', 'ts', 'stage', 'action', 'revenue') n
JOIN (VALUES ('cart', 'email', 100.0::float8), ('cart', 'coupon', 80), ('engaged', 'email', 590.0 / 7),
             ('engaged', 'coupon', 30), ('visitor', 'email', 531.0 / 7), ('visitor', 'coupon', 20)) AS h(s, a, hand)
  ON h.s = n.state AND h.a = n.action;

-- the same as qlearn over the transitions plain SQL builds with lead(), gamma 0.5 (rows without
-- an action give the previous row its next state, then are dropped)
SELECT bool_and(n.q = v.q AND n.visits = v.visits) AS same_as_qlearn, count(*) AS pairs
FROM marketiq.next_best_action('events', 'customer_id', 'ts', 'stage', 'action', 'revenue', 0.5) n
JOIN (SELECT v.* FROM (SELECT marketiq.qlearn(stage, action, coalesce(revenue, 0)::float8, next_stage, 0.5) AS m
                       FROM (SELECT stage, action, revenue,
                                    lead(stage) OVER (PARTITION BY customer_id ORDER BY ts) AS next_stage
                             FROM events
                             WHERE customer_id IS NOT NULL AND ts IS NOT NULL AND stage IS NOT NULL) e
                       WHERE action IS NOT NULL) x,
           marketiq.q_values(m) v) v USING (state, action);

-- ties in time are broken by state, then action, then reward (byte order), whatever the
-- physical order: customer c5 has two events at the same step; cart/coupon sorts before
-- engaged/email, so cart/coupon -> engaged and engaged/email is terminal (Q = -1)
CREATE TEMP TABLE tied_a (customer text, step int, stage text, action text, revenue float8);
INSERT INTO tied_a VALUES ('c5', 1, 'engaged', 'email', -1), ('c5', 1, 'cart', 'coupon', 80);
CREATE TEMP TABLE tied_b (customer text, step int, stage text, action text, revenue float8);
INSERT INTO tied_b VALUES ('c5', 1, 'cart', 'coupon', 80), ('c5', 1, 'engaged', 'email', -1);
-- cart/coupon -> engaged: Q = 80 + 0.9 * Q(engaged, email) = 80 + 0.9 * -1 = 79.1
SELECT * FROM marketiq.next_best_action('tied_a', 'customer', 'step', 'stage', 'action', 'revenue');
SELECT array_agg(a ORDER BY a.state, a.action) = array_agg(b ORDER BY b.state, b.action) AS order_free
FROM marketiq.next_best_action('tied_a', 'customer', 'step', 'stage', 'action', 'revenue') a
JOIN marketiq.next_best_action('tied_b', 'customer', 'step', 'stage', 'action', 'revenue') b
  USING (state, action);

-- an event without an action is an observation: user u's "go" in state a leads to c, where no
-- action is logged (worth 0), so Q(a, go) = 1, not 1 + 0.9 * 5 as if b followed a; b/stay is
-- terminal: Q = 5
CREATE TEMP TABLE observed (u text, step int, s text, a text, r float8);
INSERT INTO observed VALUES ('u', 1, 'a', 'go', 1), ('u', 2, 'c', NULL, 100), ('u', 3, 'b', 'stay', 5);
SELECT * FROM marketiq.next_best_action('observed', 'u', 'step', 's', 'a', 'r');

-- columns of other types: a text user, an integer step, integer states and actions, a real reward
CREATE TEMP TABLE typed (u text, n bigint, st int, act smallint, r real);
INSERT INTO typed VALUES ('x', 1, 1, 7, 1.5), ('x', 2, 2, 7, 2.5), ('y', 1, 1, 8, 0.25);
SELECT * FROM marketiq.next_best_action('typed', 'u', 'n', 'st', 'act', 'r', 0);
-- a view works like a table; an empty one gives no rows
CREATE VIEW no_events AS SELECT * FROM events WHERE false;
SELECT count(*) FROM marketiq.next_best_action('no_events', 'customer_id', 'ts', 'stage', 'action', 'revenue');

-- ---------------------------------------------------------------------- bad input
SELECT * FROM marketiq.next_best_action('events', 'customer', 'ts', 'stage', 'action', 'revenue');
SELECT * FROM marketiq.next_best_action('events', 'customer_id', 'ts', 'stage', 'action', 'stage');
SELECT * FROM marketiq.next_best_action('events', 'customer_id', 'ts', 'stage', 'action', 'revenue', 1);
SELECT * FROM marketiq.next_best_action('events', 'customer_id', 'ts', 'stage', 'action', 'revenue', NULL);
SELECT * FROM marketiq.next_best_action('events', NULL, 'ts', 'stage', 'action', 'revenue');
SELECT * FROM marketiq.next_best_action('no_such_table', 'customer_id', 'ts', 'stage', 'action', 'revenue');
CREATE TABLE json_ts (u int, ts json, s text, a text, r float8);
SELECT * FROM marketiq.next_best_action('json_ts', 'u', 'ts', 's', 'a', 'r');
CREATE TABLE nan_reward (u int, ts int, s text, a text, r float8);
INSERT INTO nan_reward VALUES (1, 1, 's', 'a', 'NaN');
SELECT * FROM marketiq.next_best_action('nan_reward', 'u', 'ts', 's', 'a', 'r');
-- the caller's privileges apply
CREATE ROLE regress_qlearn_nobody;
GRANT USAGE ON SCHEMA marketiq TO regress_qlearn_nobody;
CREATE TABLE qlearn_private (u int, ts int, s text, a text, r float8);
SET ROLE regress_qlearn_nobody;
SELECT * FROM marketiq.next_best_action('qlearn_private', 'u', 'ts', 's', 'a', 'r');
RESET ROLE;
DROP TABLE qlearn_private;
REVOKE USAGE ON SCHEMA marketiq FROM regress_qlearn_nobody;
DROP ROLE regress_qlearn_nobody;
DROP VIEW no_events;
DROP TABLE events, json_ts, nan_reward;
