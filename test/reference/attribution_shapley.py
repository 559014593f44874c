#!/usr/bin/python3
# Brute-force Shapley values by enumerating every ordering of the channels, used for the expected
# numbers of sql/attribution_shapley.sql.  Run: /usr/bin/python3 test/reference/attribution_shapley.py
#
# phi_i = average over all n! orderings of v(channels before i, plus i) - v(channels before i),
# with the games of the issue:
#   count: v(S) = conversions (value) of the journeys whose set of channels is a subset of S;
#   rate:  v(S) = conversions (value) / journeys of those journeys (0 when there are none),
#          credits scaled so that they add up to the total conversions (value).
import itertools
from fractions import Fraction

JOURNEYS = [  # path, conversions, nulls, value
    (["search", "email"], 3, 5, 240),
    (["search"], 2, 8, 100),
    (["email", "social", "email"], 1, 1, 70),
    (["display", "search", "social"], 2, 6, 150),
    (["display"], 0, 9, 0),
    (["social", "display", "affiliate"], 1, 2, 60),
    (["affiliate", "search"], 2, 1, 190),
    (["email"], 1, 3, 30),
]


def game(kind, measure):
    def v(S):
        js = [j for j in JOURNEYS if set(j[0]) <= S]
        num = sum(Fraction(j[1] if measure == "conversions" else j[3]) for j in js)
        if kind == "count":
            return num
        den = sum(j[1] + j[2] for j in js)
        return num / den if den else Fraction(0)
    return v


def shapley(v, players):
    phi = {p: Fraction(0) for p in players}
    perms = list(itertools.permutations(players))
    for order in perms:
        S = set()
        for p in order:
            before = v(frozenset(S))
            S.add(p)
            phi[p] += v(frozenset(S)) - before
    return {p: phi[p] / len(perms) for p in players}


players = sorted({c for j in JOURNEYS for c in j[0]})
total = {"conversions": sum(j[1] for j in JOURNEYS), "value": sum(j[3] for j in JOURNEYS)}
for kind in ("count", "rate"):
    print(f"== {kind} game ({len(players)} channels, {len(list(itertools.permutations(players)))} orderings)")
    phi = shapley(game(kind, "conversions"), players)
    phiv = shapley(game(kind, "value"), players)
    s, sv = sum(phi.values()), sum(phiv.values())
    print("channel | shapley_value | share | conversions | value")
    for p in players:
        print(f"{p} | {float(phi[p]):.12f} | {float(phi[p] / s):.12f} | "
              f"{float(phi[p] / s * total['conversions']):.12f} | {float(phiv[p] / sv * total['value']):.12f}")

# the example: google ads | 2 | 1; mailing | 1 | 0; google ads > mailing | 1 | 0
JOURNEYS = [(["google ads"], 2, 1, 0), (["mailing"], 1, 0, 0), (["google ads", "mailing"], 1, 0, 0)]
phi = shapley(game("count", "conversions"), ["google ads", "mailing"])
print("== issue example, count game:", {p: float(x) for p, x in phi.items()})
phi = shapley(game("rate", "conversions"), ["google ads", "mailing"])
print("== issue example, rate game:", {p: float(x) for p, x in phi.items()})
