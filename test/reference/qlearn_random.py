#!/usr/bin/python3
# Independent value iteration on the empirical MDP of random logged transitions, with numpy, for
# the expected numbers of sql/qlearn_random.sql.  Run: /usr/bin/python3 test/reference/qlearn_random.py
#
# Written from the definitions in issue 8, sharing no code with the extension:
#   the logs are regenerated here with the same integer generator the test uses in SQL (an
#   xorshift of the row number, so both sides produce identical rows);
#   R(s,a) = mean logged reward (math.fsum, exact then rounded), P(s'|s,a) = n(s,a,s') / n(s,a)
#   with terminal transitions counted in n(s,a); A(s) = actions logged in s; a state with no
#   logged action is worth 0; Q(s,a) = R(s,a) + gamma sum_s' P(s'|s,a) max_a' Q(s',a');
#   solved by plain value iteration until the proven bound gamma/(1-gamma) * max change < 1e-14.
# Prints, per log: the pairs, the Q values in (state, action) byte order with 17 significant
# digits, the greedy policy (ties: smallest action name) and its md5.
import hashlib
import math
import numpy as np

M64 = (1 << 64) - 1


def s64(v):
    v &= M64
    return v - (1 << 64) if v >= (1 << 63) else v


def xs(x):
    # one xorshift round on a signed 64-bit integer: PostgreSQL's bigint <<, >> (arithmetic), #
    x = s64(x ^ (x << 13))
    x = x ^ (x >> 7)
    return s64(x ^ (x << 17))


def u(i, k):
    x = i * 1000003 + k * 7919 + 12345
    for _ in range(4):
        x = xs(x)
    return ((x >> 11) & 9007199254740991) / 9007199254740992.0


def log(rows, nstates, nact_mod, nsucc, smul, amul, p_term, p_sink):
    """rows (state, action, reward, next_state), exactly as the SQL of the test builds them"""
    out = []
    for i in range(1, rows + 1):
        s = math.floor(u(i, 1) * nstates)
        na = 2 + s % nact_mod
        a = math.floor(u(i, 2) * na)
        u3 = u(i, 3)
        if u3 < p_term:
            nxt = None
        elif u3 < p_term + p_sink:
            nxt = "won"
        elif u3 < p_term + 2 * p_sink:
            nxt = "lost"
        else:
            nxt = "s%d" % ((s * smul + a * amul + math.floor(u(i, 4) * nsucc)) % nstates)
        cents = math.floor(u(i, 5) * 2000) - 1000 + (a - 1) * (s % 4) * 100
        out.append(("s%d" % s, "a%d" % a, cents / 100, nxt))
    return out


def solve(rows, gamma):
    pairs = sorted({(s, a) for s, a, _, _ in rows})
    states = sorted({s for s, _ in pairs})
    sidx = {s: i for i, s in enumerate(states)}
    pidx = {p: i for i, p in enumerate(pairs)}
    n = np.zeros(len(pairs))
    rewards = [[] for _ in pairs]
    P = np.zeros((len(pairs), len(states)))
    for s, a, r, nxt in rows:
        p = pidx[(s, a)]
        n[p] += 1
        rewards[p].append(r)
        if nxt is not None and nxt in sidx:  # terminal, or a state without actions: worth 0
            P[p, sidx[nxt]] += 1
    R = np.array([math.fsum(rw) for rw in rewards]) / n
    P = P / n[:, None]
    owner = np.array([sidx[s] for s, _ in pairs])
    V = np.zeros(len(states))
    for it in range(1, 200000):
        Q = R + gamma * P @ V
        Vn = np.full(len(states), -np.inf)
        np.maximum.at(Vn, owner, Q)
        delta = np.max(np.abs(Vn - V))
        V = Vn
        if gamma * delta / (1 - gamma) < 1e-14 * max(1.0, np.max(np.abs(Q))):
            break
    Q = R + gamma * P @ V
    policy = []
    for s in states:
        best = None
        for p, (ps, pa) in enumerate(pairs):
            if ps == s and (best is None or Q[p] > Q[best]):
                best = p
        policy.append("%s:%s" % (s, pairs[best][1]))
    return pairs, Q, ",".join(policy), it


def report(name, rows, gamma):
    pairs, Q, policy, it = solve(rows, gamma)
    assert np.all(np.isfinite(Q))
    print("== %s: %d rows, gamma %g, %d pairs, %d value-iteration sweeps" % (name, len(rows), gamma, len(pairs), it))
    print("q: {" + ",".join("%.17g" % q for q in Q) + "}")
    print("sum q: %.12f  min q: %.12f  max q: %.12f" % (math.fsum(Q), Q.min(), Q.max()))
    print("policy: " + policy)
    print("policy md5: " + hashlib.md5(policy.encode()).hexdigest())


if __name__ == "__main__":
    report("log 1 (12 states, 2-4 actions)", log(3000, 12, 3, 3, 5, 3, 0.10, 0.05), 0.9)
    report("log 2 (40 states, 2-5 actions)", log(6000, 40, 4, 4, 7, 11, 0.08, 0.04), 0.99)
    report("log 3 (700 states, 2-3 actions)", log(20000, 700, 2, 5, 13, 17, 0.05, 0.02), 0.95)
