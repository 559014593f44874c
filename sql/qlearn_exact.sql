-- qlearn_exact: q_update, the exact batch learner marketiq.qlearn -> marketiq.qtable and its
-- readers q_values, policy, best_action, epsilon_greedy, q_summary, q_transitions
-- (src/qlearn/qlearn.c, qtable.c, solve.c, readers.c, exactsum.c).

-- ---------------------------------------------------------------------- q_update

-- by hand: 0 + 0.1 (5 + 0.9 * 10 - 0) = 1.4 (the issue's example); 2 + 0.5 (1 + 0.9 * 4 - 2)
-- = 3.3; with gamma 0 and alpha 1 the new value is the reward: 10 + 1 (3 + 0 - 10) = 3;
-- a negative reward: 4 + 0.25 (-8 + 0.5 * 2 - 4) = 1.25
SELECT round(marketiq.q_update(0, 5, 10, 0.1, 0.9)::numeric, 12) AS issue_example,
       round(marketiq.q_update(2, 1, 4, 0.5, 0.9)::numeric, 12) AS second,
       marketiq.q_update(10, 3, 99, 1, 0) AS myopic,
       marketiq.q_update(4, -8, 2, 0.25, 0.5) AS negative;
-- bad input: alpha outside (0, 1], gamma outside [0, 1), NaN/Inf, NULL (strict: NULL)
SELECT marketiq.q_update(0, 5, 10, 0, 0.9);
SELECT marketiq.q_update(0, 5, 10, 1.5, 0.9);
SELECT marketiq.q_update(0, 5, 10, 0.1, 1);
SELECT marketiq.q_update(0, 5, 10, 0.1, -0.1);
SELECT marketiq.q_update(0, 'NaN', 10, 0.1, 0.9);
SELECT marketiq.q_update('Infinity', 5, 10, 0.1, 0.9);
SELECT marketiq.q_update(0, 5, '-Infinity', 0.1, 0.9);
SELECT marketiq.q_update(0, 5, 10, 'NaN', 0.9);
SELECT marketiq.q_update(0, 5, NULL, 0.1, 0.9) IS NULL AS strict;
SELECT marketiq.q_update(1e308, 1e308, 1e308, 1, 0.9);   -- overflow

-- ---------------------------------------------------------------- a hand-worked MDP

-- A customer funnel, logged deterministically (gamma 0.9).  States: visitor, engaged, cart;
-- "purchase" is reached but no action is ever logged there, so it is worth 0; a NULL next state
-- is terminal (the customer is gone).  Actions: email (costs 1), coupon (a discounted sale now,
-- after which the customer is lost), nothing.
--   visitor/email   -> engaged, reward -1 (2 rows)
--   visitor/coupon  -> terminal, rewards 18 and 22 (mean 20)
--   visitor/nothing -> visitor, reward 0
--   engaged/email   -> cart 3 times, -> engaged once, reward -1 each
--   engaged/coupon  -> purchase, reward 30
--   cart/email      -> purchase, reward 100;  cart/coupon -> purchase, reward 80
--   cart/nothing    -> cart once, terminal once (abandoned), reward 0
-- Q* by hand:
--   cart:    Q(email) = 100, Q(coupon) = 80, Q(nothing) = 0.9 (1/2 V(cart) + 1/2 0) = 45; V = 100
--   engaged: Q(email) = x = -1 + 0.9 (3/4 100 + 1/4 x)  =>  0.775 x = 66.5, x = 2660/31
--            = 85.806451612903...; Q(coupon) = 30; V = 2660/31
--   visitor: Q(email) = -1 + 0.9 * 2660/31 = 2363/31 = 76.225806451612...; Q(coupon) = 20;
--            Q(nothing) = 0.9 V(visitor) = 0.9 * 2363/31 = 68.603225806451...; V = 2363/31
-- so email -> cart -> purchase is optimal everywhere, although the coupon pays more right away
-- (mean reward 20 or 30 against -1).
CREATE TEMP TABLE funnel (i int, state text, action text, reward float8, next_state text);
INSERT INTO funnel VALUES
  (1, 'visitor', 'email', -1, 'engaged'), (2, 'visitor', 'email', -1, 'engaged'),
  (3, 'visitor', 'coupon', 18, NULL), (4, 'visitor', 'coupon', 22, NULL),
  (5, 'visitor', 'nothing', 0, 'visitor'),
  (6, 'engaged', 'email', -1, 'cart'), (7, 'engaged', 'email', -1, 'cart'),
  (8, 'engaged', 'email', -1, 'cart'), (9, 'engaged', 'email', -1, 'engaged'),
  (10, 'engaged', 'coupon', 30, 'purchase'),
  (11, 'cart', 'email', 100, 'purchase'), (12, 'cart', 'coupon', 80, 'purchase'),
  (13, 'cart', 'nothing', 0, 'cart'), (14, 'cart', 'nothing', 0, NULL);
CREATE TEMP TABLE fm AS SELECT marketiq.qlearn(state, action, reward, next_state, 0.9) AS m FROM funnel;
-- the Q table (rounded to 10 places; the hand values above)
SELECT state, action, round(q::numeric, 10) AS q, visits, mean_reward FROM fm, marketiq.q_values(m);
-- exactly the fractions (to 1e-12 relative, the accuracy qlearn promises)
SELECT bool_and(abs(q - hand) <= 1e-12 * abs(hand)) AS matches_hand_values
FROM fm, marketiq.q_values(m) v
JOIN (VALUES ('cart', 'email', 100.0::float8), ('cart', 'coupon', 80), ('cart', 'nothing', 45),
             ('engaged', 'email', 2660.0 / 31), ('engaged', 'coupon', 30),
             ('visitor', 'email', 2363.0 / 31), ('visitor', 'coupon', 20),
             ('visitor', 'nothing', 0.9 * 2363.0 / 31)) AS h(s, a, hand)
  ON h.s = v.state AND h.a = v.action;
-- the policy: email everywhere
SELECT state, action, round(value::numeric, 10) AS value, visits FROM fm, marketiq.policy(m);
-- with gamma 4-argument default 0.9 the same table
SELECT (SELECT m::text FROM fm) = marketiq.qlearn(state, action, reward, next_state)::text AS default_gamma_is_0_9
FROM funnel;
-- a myopic analyst (gamma 0) sees only the mean reward: Q = R, and the coupon wins where it pays
SELECT p.* FROM (SELECT marketiq.qlearn(state, action, reward, next_state, 0) AS m FROM funnel) s,
       marketiq.policy(m) p;
-- the empirical MDP behind it
SELECT t.* FROM fm, marketiq.q_transitions(m) t;
SELECT method, gamma, rows, skipped, states, decision_states, actions, pairs, transitions, solver,
       iterations, error_bound <= 1e-12 * 100 AS error_bound_ok
FROM fm, marketiq.q_summary(m);

-- best_action: the greedy action; NULL for a state with no logged action or an unknown one
SELECT s, marketiq.best_action(m, s) FROM fm,
       unnest(ARRAY['visitor', 'engaged', 'cart', 'purchase', 'nobody']) AS s;
-- epsilon_greedy: the visitor's actions in byte order are coupon, email, nothing.  With
-- epsilon 0.3: u 0.05 -> floor(0.05/0.3*3) = 0 (coupon); 0.15 -> 1 (email); 0.25 -> 2
-- (nothing); 0.3 and 0.99 are not below epsilon -> greedy (email); epsilon 0: always greedy;
-- epsilon 1, u 0.999 -> floor(2.997) = 2 (nothing)
SELECT u, marketiq.epsilon_greedy(m, 'visitor', 0.3, u) AS action
FROM fm, unnest(ARRAY[0.05, 0.15, 0.25, 0.3, 0.99]::float8[]) AS u;
SELECT marketiq.epsilon_greedy(m, 'visitor', 0, 0) AS eps_0,
       marketiq.epsilon_greedy(m, 'visitor', 1, 0.999) AS eps_1,
       marketiq.epsilon_greedy(m, 'purchase', 0.5, 0.1) AS no_actions,
       marketiq.epsilon_greedy(m, 'nobody', 0.5, 0.1) AS unknown
FROM fm;
-- u just below epsilon: (u / epsilon) * 3 rounds to 3.0, clamped to the last action
SELECT marketiq.epsilon_greedy(m, 'visitor', 0.7, 0.7 - 1e-16) AS just_below FROM fm;
-- the default u is random(): always one of the visitor's actions
SELECT bool_and(marketiq.epsilon_greedy(m, 'visitor') IN ('coupon', 'email', 'nothing')) AS random_u
FROM fm, generate_series(1, 200);
-- bad epsilon and u
SELECT marketiq.epsilon_greedy(m, 'visitor', 1.5, 0.1) FROM fm;
SELECT marketiq.epsilon_greedy(m, 'visitor', -0.1, 0.1) FROM fm;
SELECT marketiq.epsilon_greedy(m, 'visitor', 0.1, 1) FROM fm;
SELECT marketiq.epsilon_greedy(m, 'visitor', 0.1, -0.5) FROM fm;
SELECT marketiq.epsilon_greedy(m, 'visitor', 'NaN', 0.5) FROM fm;

-- many customers read one model: per-row calls share the decoded model (fn_extra cache), and a
-- different model in the same column is never served from the cache
SELECT g, s, marketiq.best_action(m, s) AS action
FROM (SELECT 0 AS g, marketiq.qlearn(state, action, reward, next_state, 0.9) AS m FROM funnel
      UNION ALL
      SELECT 1, marketiq.qlearn(state, action, reward, next_state, 0) FROM funnel) models,
     unnest(ARRAY['visitor', 'engaged', 'cart']) AS s
ORDER BY g, s;
-- a stored (TOASTed) model read per row
CREATE TEMP TABLE big_model AS
SELECT marketiq.qlearn('s' || (i % 3000), 'a' || (i % 7), (i % 11)::float8, 's' || ((i * 7) % 3000)) AS m
FROM generate_series(1, 30000) AS i;
SELECT pg_column_size(m) > 8192 AS toasted FROM big_model;
SELECT count(*) AS customers, count(DISTINCT b.action) AS actions_used,
       bool_and(b.action = p.action) AS same_as_policy
FROM (SELECT c, marketiq.best_action(m, 's' || (c % 3000)) AS action
      FROM big_model, generate_series(1, 5000) AS c) b
JOIN (SELECT p.* FROM big_model, marketiq.policy(m) p) p ON p.state = 's' || (b.c % 3000);

-- ------------------------------------------------------------ order-free, exact sums

-- The same rows in any order give the same bytes.  The rewards 1e16, 1 and -1e16 of one
-- transition sum to 1; float8 addition gives 0 in the first order ((1e16 + 1) rounds to 1e16)
-- and 1 in the second.  qlearn keeps reward sums exactly (Python: math.fsum([1e16, 1, -1e16])
-- = 1.0), so the mean reward is 1/3 whatever the order, and Q = 1/3 (terminal).
SELECT m1::text = m2::text AS same_model, q.mean_reward, q.mean_reward = 1.0 / 3 AS exact_third
FROM (SELECT marketiq.qlearn(s, a, r, NULL) AS m1
      FROM (VALUES (1, 'x', 'y', 1e16::float8), (2, 'x', 'y', 1), (3, 'x', 'y', -1e16)) AS t(i, s, a, r)) a,
     (SELECT marketiq.qlearn(s, a, r, NULL) AS m2
      FROM (VALUES (1, 'x', 'y', 1e16::float8), (3, 'x', 'y', -1e16), (2, 'x', 'y', 1)) AS t(i, s, a, r)) b,
     marketiq.q_values(m1) q;
-- ten rewards of 0.1 sum to exactly 1 (math.fsum([0.1] * 10) = 1.0; a float8 loop gives
-- 0.9999999999999999), so the mean is exactly the float8 0.1
SELECT mean_reward, mean_reward = 0.1 AS exact
FROM (SELECT marketiq.qlearn('s', 'a', 0.1, NULL) AS m FROM generate_series(1, 10)) s, marketiq.q_values(m);
-- correctly rounded sums of awkward rewards, against the exact rational sum of
-- test/reference/qlearn_exactsum.py (/usr/bin/python3 test/reference/qlearn_exactsum.py prints
-- "exact": fractions.Fraction summed, then rounded once; math.fsum agrees where it does not
-- overflow).  Left to right in float8: tenths 0.9999999999999999, overflowing inf, cancelling 3,
-- tiny steps 1, mixed 7.625 (cents and subnormal happen to come out right).  Beyond the exact range (magnitudes 2^130 and more apart within one
-- transition) the sum is rounded like float8 addition: 1e300 + 1e-300 - 1e300 gives 0, not 1e-300.
SELECT name, (m::text::jsonb -> 'reward_sum' ->> 0)::float8 AS reward_sum,
       (m::text::jsonb -> 'reward_sum' ->> 0)::float8 = expected AS matches_exact
FROM (SELECT name, expected, marketiq.qlearn('s', 'a', r, NULL ORDER BY ord) AS m
      FROM (VALUES ('tenths', 1, '{0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1}'::float8[], 1.0::float8),
                   ('overflowing', 2, '{1e308,1e308,-1e308}', 1e308),
                   ('cancelling', 3, '{1e16,1,-1e16,3}', 4),
                   ('tiny steps', 4, '{1,1e-16,1e-16,1e-16,1e-16,1e-16,1e-16,1e-16,1e-16,1e-16,1e-16}',
                    1.000000000000001),
                   ('subnormal', 5, '{2.5e-320,2.5e-320,5e-324}', 5.0004e-320),
                   ('cents', 6, '{19.99,5.01,0.33,-7.77,100.1,0.07,-0.02}', 117.71),
                   ('mixed', 7, '{123456789.123,-0.000123,1e-10,-123456789.0,7.5,1e15,-1e15}',
                    7.622876996046884),
                   ('beyond the exact range', 8, '{1e300,1e-300,-1e300}', 0))
           AS t(name, n, rs, expected),
           unnest(rs) WITH ORDINALITY AS u(r, ord)
      GROUP BY name, n, expected) s
ORDER BY name;
-- how a model stores an exact sum: trans_reward (hi) is the sum rounded, trans_reward_lo (lo) the
-- rest rounded; a sum that hi + lo still misses keeps a record (transition, exponent e, and the
-- odd integer M in three signed 64-bit words, lowest first: the sum is M * 2^e).  Expected: the
-- end of test/reference/qlearn_exactsum.py's output: 1e16 + 1 -> hi 1e16, lo 1, no record;
-- 1e16 + 1 + 1e-16 -> hi 1.0000000000000002e16, lo -0.9999999999999999, record
-- [0, -104, 2028240960365167, -4539627324877832192, 596046447]
SELECT n, (m::text::jsonb) -> 'trans_reward' AS hi, (m::text::jsonb) -> 'trans_reward_lo' AS lo,
       (m::text::jsonb) -> 'trans_reward_exact' AS record,
       m::text::marketiq.qtable::text = m::text AS roundtrip
FROM (SELECT n, marketiq.qlearn('s', 'a', r, NULL ORDER BY k) AS m
      FROM (VALUES (2, 1, 1e16::float8), (2, 2, 1), (3, 1, 1e16), (3, 2, 1), (3, 3, 1e-16)) AS t(n, k, r)
      GROUP BY n) s
ORDER BY n;
-- all rewards integers: no lo, no records
SELECT (m::text::jsonb) -> 'trans_reward_lo' AS lo, (m::text::jsonb) -> 'trans_reward_exact' AS record FROM fm;

-- ------------------------------------------------------------ model values

-- text round trip (JSON) and a look inside
SELECT m::text::marketiq.qtable::text = m::text AS text_roundtrip,
       (m::text::jsonb) -> 'states' AS states, (m::text::jsonb) -> 'actions' AS actions
FROM fm;
-- binary round trip (send/receive through COPY BINARY)
SELECT '/tmp/marketiq_qlearn_' || current_setting('port') || '.bin' AS binfile \gset
COPY (SELECT m FROM fm) TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE fm_copy (m marketiq.qtable);
COPY fm_copy FROM :'binfile' (FORMAT binary);
SELECT m::text = (SELECT m::text FROM fm) AS binary_roundtrip FROM fm_copy;
-- a hand-written exact table without Q values is solved when read (cart: Q(email) = 100,
-- Q(nothing) = 0.9 * 100 = 90 when "nothing" keeps the customer in the cart)
SELECT v.state, v.action, v.q, v.visits, v.mean_reward
FROM marketiq.q_values('{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":2,"skipped":0,
  "states":["cart","purchase"],"actions":["email","nothing"],"pair_state":[0,0],"pair_action":[0,1],
  "visits":[1,1],"reward_sum":[100,0],"q":[],"trans_pair":[0,1],"trans_next":[1,0],"trans_count":[1,1],
  "trans_reward":[100,0],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,"error_bound":"NaN"}') v;
-- malformed values are rejected with the reason
SELECT '{"kind":"qtable","format":1,"method":"batch","gamma":0.9,"rows":0,"skipped":0,"states":[],"actions":[],
  "pair_state":[],"pair_action":[],"visits":[],"reward_sum":[],"q":[],"trans_pair":[],"trans_next":[],
  "trans_count":[],"trans_reward":[],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,"error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":1,"rows":0,"skipped":0,"states":[],"actions":[],
  "pair_state":[],"pair_action":[],"visits":[],"reward_sum":[],"q":[],"trans_pair":[],"trans_next":[],
  "trans_count":[],"trans_reward":[],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,"error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":1,"skipped":0,"states":["b","a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[0],"q":[],"trans_pair":[0],
  "trans_next":[-1],"trans_count":[1],"trans_reward":[0],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,
  "error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":2,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[2],"reward_sum":[0],"q":[],"trans_pair":[0],
  "trans_next":[-1],"trans_count":[1],"trans_reward":[0],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,
  "error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":1,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[5],"q":[],"trans_pair":[0],
  "trans_next":[3],"trans_count":[1],"trans_reward":[5],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,
  "error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":1,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[5],"q":[],"trans_pair":[0],
  "trans_next":[-1],"trans_count":[1],"trans_reward":[5],"trans_reward_lo":[],"trans_reward_exact":[0,0,5,0,0],"solver":"",
  "iterations":0,"error_bound":"NaN"}'::marketiq.qtable;
-- hi 5 with lo 3 is not a rounded sum and its rest; a record whose integer is even is not normalised
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":1,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[5],"q":[],"trans_pair":[0],
  "trans_next":[-1],"trans_count":[1],"trans_reward":[5],"trans_reward_lo":[3],"trans_reward_exact":[],"solver":"",
  "iterations":0,"error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"exact","gamma":0.9,"rows":1,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[10000000000000002],"q":[],
  "trans_pair":[0],"trans_next":[-1],"trans_count":[1],"trans_reward":[10000000000000002],
  "trans_reward_lo":[-0.9999999999999999],"trans_reward_exact":[0,-105,4056481920730334,-9079254649755664384,1192092894],
  "solver":"","iterations":0,"error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"online","gamma":0.9,"rows":1,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[5],"q":[],"trans_pair":[],
  "trans_next":[],"trans_count":[],"trans_reward":[],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"","iterations":0,
  "error_bound":"NaN"}'::marketiq.qtable;
SELECT '{"kind":"qtable","format":1,"method":"online","gamma":0.9,"rows":1,"skipped":0,"states":["a"],
  "actions":["x"],"pair_state":[0],"pair_action":[0],"visits":[1],"reward_sum":[5],"q":["NaN"],
  "trans_pair":[],"trans_next":[],"trans_count":[],"trans_reward":[],"trans_reward_lo":[],"trans_reward_exact":[],"solver":"",
  "iterations":0,"error_bound":"NaN"}'::marketiq.qtable;

-- ---------------------------------------------------------------------- bad input

-- rows with a NULL state or action are skipped and counted; a NULL reward counts as 0; a NULL
-- next state is terminal.  Here: 2 rows skipped; s/a logged twice with rewards 4 and NULL
-- (mean 2), both terminal, so Q = 2
SELECT v.state, v.action, v.q, v.visits, v.mean_reward, s.rows, s.skipped
FROM (SELECT marketiq.qlearn(s, a, r, n) AS m
      FROM (VALUES ('s', 'a', 4::float8, NULL::text), ('s', 'a', NULL, NULL), (NULL, 'a', 1, 's'),
                   ('s', NULL, 1, 's')) AS t(s, a, r, n)) x,
     marketiq.q_values(m) v, marketiq.q_summary(m) s;
-- no rows, or only skipped rows: NULL
SELECT marketiq.qlearn(s, a, r, n) IS NULL AS no_rows FROM funnel AS f(i, s, a, r, n) WHERE false;
SELECT marketiq.qlearn(NULL, 'a', 1, NULL) IS NULL AS all_skipped;
-- NaN and infinite rewards
SELECT marketiq.qlearn('s', 'a', 'NaN', NULL);
SELECT marketiq.qlearn('s', 'a', '-Infinity', NULL);
-- gamma outside [0, 1), NULL, or changing between rows
SELECT marketiq.qlearn('s', 'a', 1, NULL, 1);
SELECT marketiq.qlearn('s', 'a', 1, NULL, -0.5);
SELECT marketiq.qlearn('s', 'a', 1, NULL, 'NaN');
SELECT marketiq.qlearn('s', 'a', 1, NULL, NULL);
SELECT marketiq.qlearn('s', 'a', 1, NULL, g) FROM (VALUES (0.9), (0.8)) AS t(g);
-- reward sums beyond float8
SELECT marketiq.qlearn('s', 'a', 1e308, NULL) FROM generate_series(1, 2);
-- not called as an aggregate
SELECT marketiq._qlearn_trans(NULL, 's', 'a', 1, NULL);
-- the size guard
SET marketiq.max_model_bytes = '1MB';
SELECT marketiq.qlearn('s' || i, 'a', 1, 's' || (i + 1)) FROM generate_series(1, 100000) AS i;
RESET marketiq.max_model_bytes;
-- ties: equal Q values go to the smallest action name in byte order ('B' = 0x42 before 'a' =
-- 0x61, whatever the collation); epsilon_greedy lists the actions in the same order
SELECT p.action AS policy, marketiq.best_action(m, 's') AS best,
       marketiq.epsilon_greedy(m, 's', 1, 0.1) AS first_of_two, marketiq.epsilon_greedy(m, 's', 1, 0.6) AS second
FROM (SELECT marketiq.qlearn('s', a, 1, NULL) AS m FROM (VALUES ('a'), ('B'), ('a')) AS t(a)) x,
     marketiq.policy(m) p;
-- names: empty strings, spaces and non-ASCII are names like any other, in byte order
SELECT p.* FROM (SELECT marketiq.qlearn(s, a, r, NULL) AS m
                 FROM (VALUES ('', 'ä', 1.0::float8), ('', 'z', 2), ('Z state', 'a', 0)) AS t(s, a, r)) x,
     marketiq.policy(m) p;
-- unknown solver, the dense solver on too many states, and solving an online table
SELECT marketiq._qlearn_solve(m, 'newton') FROM fm;
SELECT marketiq._qlearn_solve(marketiq.qlearn('s' || i, 'a', 1, NULL), 'dense') FROM generate_series(1, 4001) AS i;
SELECT marketiq._qlearn_solve(marketiq.q_step(NULL, 's', 'a', 1, NULL, 0.5, 0.9), 'auto');
