#!/usr/bin/python3
# The heuristic attribution rules written out independently (from the README's definitions),
# for the expected numbers of sql/attribution_heuristic.sql and sql/attribution_report.sql.
# Run: /usr/bin/python3 test/reference/attribution_heuristic.py
from collections import OrderedDict


def credit(path, weights, value=1.0):
    out = OrderedDict()
    for c, w in zip(path, weights):
        out[c] = out.get(c, 0.0) + w * value
    return dict(out)


def position(n, f, m, l):
    if n == 1:
        return [1.0]
    if n == 2:
        return [f / (f + l), l / (f + l)] if f + l > 0 else [0.5, 0.5]
    return [f] + [m / (n - 2)] * (n - 2) + [l]


def w_shape(n):
    if n < 4:
        return [1.0 / n] * n
    w = [0.1 / (n - 3)] * n
    mid = (n + 1) // 2 - 1          # touch ceil(n/2), 1-based
    w[0] = w[mid] = w[-1] = 0.3
    return w


def time_decay(days_before, half_life_days):
    raw = [2 ** (-d / half_life_days) for d in days_before]
    return [r / sum(raw) for r in raw]


# the worked example: $50; paid search 9 days before, social 6, email and display on the day
path = ["paid search", "social", "email", "display"]
print("time decay", {k: round(v, 4) for k, v in credit(path, time_decay([9, 6, 0, 0], 7), 50).items()})
print("linear", credit(path, [0.25] * 4, 50))
print("j_shape", credit(path, position(4, 0.2, 0.2, 0.6), 50))
print("u_shape 4", credit(list("ABCD"), position(4, 0.4, 0.2, 0.4)))
print("u_shape 2", credit(list("AB"), position(2, 0.4, 0.2, 0.4)))
print("j_shape 2", credit(list("AB"), position(2, 0.2, 0.2, 0.6)))
print("inverse_j 3", credit(list("ABC"), position(3, 0.6, 0.2, 0.2)))
print("inverse_j 2", credit(list("AB"), position(2, 0.6, 0.2, 0.2)))
print("w_shape 5", credit(list("ABCDE"), w_shape(5)))
print("w_shape 4", credit(list("ABCD"), w_shape(4)))
print("w_shape 3", credit(list("ABC"), w_shape(3)))
print("position .5/.1/.4 on 4", credit(list("ABCD"), position(4, 0.5, 0.1, 0.4)))
print("position .5/.1/.4 on 2", credit(list("AB"), position(2, 0.5, 0.1, 0.4)))
print("linear ABCA", credit(list("ABCA"), [0.25] * 4))
# time decay, half-life 1 day, touches 2 days, 1 day and 0 days before: weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7
print("time decay 1d", credit(list("ABC"), time_decay([2, 1, 0], 1)))
