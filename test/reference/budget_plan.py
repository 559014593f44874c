#!/usr/bin/python3
# Independent fit-and-allocate of the history in sql/budget_plan.sql: one power curve per
# channel by numpy least squares on log-log, the budget split by scipy's SLSQP.
# Run: /usr/bin/python3 test/reference/budget_plan.py
#
# The history (the SQL test's formulas): for channel (base, a, b, k) and week w = 1..30,
#   cost = round(base (0.5 + w / 20 + 0.3 sin(w k)), 2)
#   revenue = a (base (0.5 + w / 20 + 0.3 sin(w k)))^b (1 + 0.08 cos(1.3 w + k))
# plus ('video', 700, NULL): its spend counts in the shares, not in the curve.  The log curves
# are fitted with scipy's curve_fit (tight tolerances).
import math
from decimal import Decimal, ROUND_HALF_UP

import numpy as np
from scipy.optimize import curve_fit, minimize

CHANNELS = [("Email", 200.0, 5.0, 0.5, 1.1), ("display", 900, 2, 0.7, 0.7),
            ("search", 1500, 9, 0.35, 2.3), ("video", 600, 0.8, 0.9, 1.7)]

curves, logc, spent, floors, caps = {}, {}, {}, {}, {}
for name, base, a, b, k in CHANNELS:
    xs, ys = [], []
    for w in range(1, 31):
        raw = base * (0.5 + w / 20.0 + 0.3 * math.sin(w * k))
        xs.append(float(Decimal(raw).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))
        ys.append(a * raw ** b * (1 + 0.08 * math.cos(w * 1.3 + k)))
    A = np.column_stack([np.ones(30), np.log(xs)])
    (lna, bb), *_ = np.linalg.lstsq(A, np.log(ys), rcond=None)
    curves[name] = (math.exp(lna), bb)
    p, _ = curve_fit(lambda x, a, c: a * np.log1p(x / c), np.array(xs), np.array(ys),
                     p0=[max(ys), np.median(xs)], ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=100000)
    logc[name] = tuple(p)
    spent[name] = sum(xs) + (700 if name == "video" else 0)
    floors[name] = min(xs)
    caps[name] = max(xs)
total = sum(spent.values())
names = [c[0] for c in CHANNELS]
for n in names:
    print("%-8s a = %.10g, b = %.10g, share = %.10g, spends %g to %g"
          % (n, curves[n][0], curves[n][1], spent[n] / total, floors[n], caps[n]))


def plan(budget, lo, hi, form="power"):
    if form == "power":
        val = lambda n, x: curves[n][0] * x ** curves[n][1]
        der = lambda n, x: curves[n][0] * curves[n][1] * x ** (curves[n][1] - 1)
    else:
        val = lambda n, x: logc[n][0] * math.log1p(x / logc[n][1])
        der = lambda n, x: logc[n][0] / (logc[n][1] + x)
    f = lambda x: -sum(val(n, x[i]) for i, n in enumerate(names))
    g = lambda x: -np.array([der(n, x[i]) for i, n in enumerate(names)])
    x0 = np.clip(np.array([budget / len(names)] * len(names)), lo, hi)
    res = minimize(f, x0, jac=g, bounds=list(zip(lo, hi)), method="SLSQP",
                   constraints=[{"type": "eq", "fun": lambda x: x.sum() - budget}],
                   options={"ftol": 1e-15, "maxiter": 1000})
    return res


lo_seen = [floors[n] for n in names]
hi_seen = [caps[n] for n in names]
for label, budget, lo, hi, form in (
        ("power, unbounded, 4000", 4000, [1e-6] * 4, [1e7] * 4, "power"),
        ("power, within the spends seen, 2500", 2500, lo_seen, hi_seen, "power"),
        ("power, min Email 500, max {inf,1500,100,1400}, 2500", 2500, [500, 1e-6, 1e-6, 1e-6],
         [1e7, 1500, 100, 1400], "power"),
        ("log, within the spends seen, 2500", 2500, lo_seen, hi_seen, "log")):
    res = plan(budget, lo, hi, form)
    print("%s: objective %.10g, spends %s" % (label, -res.fun, " ".join("%.4f" % v for v in res.x)))
cur = sum(curves[n][0] * (2500 * spent[n] / total) ** curves[n][1] for n in names)
print("power, current split of 2500: %.10g" % cur)
