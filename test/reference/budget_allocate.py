#!/usr/bin/python3
# Independent solutions of the allocation problems of sql/budget_allocate.sql.
# Run: /usr/bin/python3 test/reference/budget_allocate.py
#
# maximise sum_c f_c(x_c) subject to sum_c x_c = B and lo_c <= x_c <= hi_c, solved with
# scipy.optimize.minimize(method='SLSQP') from the even split, tight tolerance; the SQL test
# checks that marketiq's objective is at least scipy's times (1 - 1e-9).
# Curves: power a x^b, log a ln(1 + x/c), hill top x^s / (k^s + x^s).
import math

import numpy as np
from scipy.optimize import minimize


def value(curve, x):
    form, p = curve
    if form == "power":
        return p[0] * x ** p[1]
    if form == "log":
        return p[0] * math.log1p(x / p[1])
    return 0.0 if x <= 0 else p[0] / (1 + (p[1] / x) ** p[2])


def grad(curve, x):
    form, p = curve
    if form == "power":
        return p[0] * p[1] * x ** (p[1] - 1)
    if form == "log":
        return p[0] / (p[1] + x)
    r = (x / p[1]) ** p[2]
    return p[0] * p[2] * r / (x * (1 + r) ** 2)


def slsqp(curves, budget, lo, hi):
    n = len(curves)
    x0 = np.array([min(max(budget / n, lo[i]), hi[i]) for i in range(n)])
    x0 *= budget / x0.sum()
    res = minimize(lambda x: -sum(value(c, xi) for c, xi in zip(curves, x)), x0,
                   jac=lambda x: -np.array([grad(c, xi) for c, xi in zip(curves, x)]),
                   bounds=list(zip(lo, hi)),
                   constraints=[{"type": "eq", "fun": lambda x: x.sum() - budget,
                                 "jac": lambda x: np.ones(n)}],
                   method="SLSQP", options={"ftol": 1e-15, "maxiter": 1000})
    return res


# the 10-channel case
CURVES10 = [
    ("power", (12.0, 0.45)), ("power", (8.0, 0.55)), ("power", (3.0, 0.7)),
    ("power", (20.0, 0.3)), ("power", (1.5, 0.8)), ("power", (5.0, 0.6)),
    ("log", (900.0, 400.0)), ("log", (300.0, 150.0)),
    ("hill", (2500.0, 3000.0, 0.8)), ("hill", (1200.0, 800.0, 0.6)),
]
LO10 = [10, 10, 10, 10, 10, 10, 0, 0, 10, 10]
HI10 = [5000, 5000, 5000, 800, 5000, 1500, 5000, 5000, 5000, 5000]
B10 = 20000

res = slsqp(CURVES10, B10, LO10, HI10)
print("10 channels, budget %g: SLSQP %s, objective %.15g" % (B10, res.message, -res.fun))
print("  spends:", ", ".join("%.4f" % v for v in res.x))
print("  marginal returns:", ", ".join("%.6g" % grad(c, v) for c, v in zip(CURVES10, res.x)))

# two channels with log and hill curves, no bounds
CURVES2 = [("log", (500.0, 200.0)), ("hill", (800.0, 600.0, 0.7))]
res = slsqp(CURVES2, 1500, [1e-9, 1e-9], [1e9, 1e9])
print("log + hill, budget 1500: objective %.15g, spends %.6f %.6f" % (-res.fun, res.x[0], res.x[1]))
