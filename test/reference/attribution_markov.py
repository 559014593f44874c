#!/usr/bin/python3
# Independent exact solution of Markov-chain attribution (removal effects) with numpy, used for
# the expected numbers of sql/attribution_markov.sql.  Run: /usr/bin/python3 test/reference/attribution_markov.py
#
# Written from the definitions in the issue, sharing no code with the extension:
#   states of an order-k chain: the last k channels of the journey so far ((start) = empty);
#   absorbing states (conversion) and (null); consecutive repeats collapsed unless asked not to;
#   P(conversion) = absorption probability into (conversion) from (start);
#   removing channel c sends every transition into a state containing c to (null);
#   removal effect = 1 - P_removed / P; value: each conversion transition rewarded with the
#   mean value of the conversions leaving that state (expected value instead of probability).
import itertools
import numpy as np

PATHS = [  # path, conversions, nulls, total conversion value
    (["A", "B", "C"], 3, 2, 300.0),
    (["A", "A", "C"], 1, 1, 120.0),
    (["B"], 2, 5, 90.0),
    (["C", "A"], 1, 0, 50.0),
    (["B", "C", "A", "C"], 1, 3, 200.0),
    (["A"], 0, 4, 0.0),
    (["D", "B"], 2, 1, 260.0),
    (["A", "B", "B", "C"], 2, 1, 180.0),
    (["B", "B", "D"], 0, 2, 0.0),
]


def chain(paths, order, collapse=True):
    """transition counts {(from_state, to): [count, value]}"""
    counts = {}
    for path, conv, nulls, value in paths:
        if collapse:
            path = [c for i, c in enumerate(path) if i == 0 or path[i - 1] != c]
        state = ()
        for c in path:
            nxt = (state + (c,))[-order:]
            counts.setdefault((state, nxt), [0.0, 0.0])[0] += conv + nulls
            state = nxt
        if conv:
            e = counts.setdefault((state, "conv"), [0.0, 0.0])
            e[0] += conv
            e[1] += value
        if nulls:
            counts.setdefault((state, "null"), [0.0, 0.0])[0] += nulls
    return counts


def solve(counts, removed=None):
    """(P(conversion), expected value) from (start), with channel `removed` taken out"""
    states = sorted({f for f, _ in counts} | {t for _, t in counts if isinstance(t, tuple)})
    idx = {s: i for i, s in enumerate(states)}
    n = len(states)
    out = np.zeros(n)
    for (f, t), (c, v) in counts.items():
        out[idx[f]] += c
    Q = np.zeros((n, n))
    r = np.zeros(n)
    rv = np.zeros(n)
    for (f, t), (c, v) in counts.items():
        i = idx[f]
        if t == "conv":
            r[i] += c / out[i]
            rv[i] += v / out[i]   # = P(f -> conv) * mean value of those conversions
        elif t == "null":
            pass
        elif removed is not None and removed in t:
            pass                  # redirected to (null)
        else:
            Q[i, idx[t]] += c / out[i]
    A = np.eye(n) - Q
    p = np.linalg.solve(A, r)
    v = np.linalg.solve(A, rv)
    return p[idx[()]], v[idx[()]]


def report(title, paths, order, collapse=True):
    counts = chain(paths, order, collapse)
    channels = sorted({c for p in paths for c in p[0]})
    total_conv = sum(p[1] for p in paths)
    total_value = sum(p[3] for p in paths)
    p0, v0 = solve(counts)
    re = {c: 1 - solve(counts, c)[0] / p0 for c in channels}
    vre = {c: 1 - solve(counts, c)[1] / v0 for c in channels}
    print(f"== {title}: order {order}, collapse {collapse}")
    print(f"P(conversion) {p0:.12f}  expected value {v0:.12f}  states {len({f for f, _ in counts})}")
    print("channel | removal_effect | share | conversions | value | value_removal_effect")
    for c in channels:
        share = re[c] / sum(re.values())
        vshare = vre[c] / sum(vre.values())
        print(f"{c} | {re[c]:.12f} | {share:.12f} | {share * total_conv:.12f} | "
              f"{vshare * total_value:.12f} | {vre[c]:.12f}")


if __name__ == "__main__":
    report("test paths", PATHS, 1)
    report("test paths", PATHS, 2)
    report("test paths", PATHS, 3)
    report("test paths", PATHS, 1, collapse=False)
    report("test paths", PATHS, 2, collapse=False)
