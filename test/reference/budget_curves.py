#!/usr/bin/python3
# Independent fits of the response curves of sql/budget_curve.sql, with numpy and scipy.
# Run: /usr/bin/python3 test/reference/budget_curves.py
#
# The data are generated from closed formulas (math.sin, the C library's sine, as PostgreSQL's
# sin() uses) that the SQL test evaluates too:
#   power: i = 1..40, x = 50 + 10 i + 7 sin(i), y = 3 x^0.6 exp(0.15 sin(1.7 i + 0.3))
#          (plus points the power fit must skip: (0, 5) and (20, 0))
#   log:   i = 0..40, x = 10 i,   y = 250 ln(1 + x / 60) (1 + 0.06 sin(2.3 i))
#   hill:  i = 0..40, x = 12.5 i, y = 500 x^0.65 / (120^0.65 + x^0.65) (1 + 0.05 sin(1.9 i + 1))
# power: ordinary least squares of ln y on [1, ln x] (numpy.linalg.lstsq), R^2 on that scale;
# log and hill: scipy.optimize.curve_fit (Levenberg-Marquardt) with tight tolerances, and the
# predicted outcomes at spends inside the data range.
import math

import numpy as np
from scipy.optimize import curve_fit


def power_data():
    xs, ys = [], []
    for i in range(1, 41):
        xs.append(50 + 10 * i + 7 * math.sin(i))
        ys.append(3 * xs[-1] ** 0.6 * math.exp(0.15 * math.sin(1.7 * i + 0.3)))
    return np.array(xs), np.array(ys)


def log_data():
    xs = [10.0 * i for i in range(41)]
    ys = [250 * math.log1p(x / 60) * (1 + 0.06 * math.sin(2.3 * i)) for i, x in enumerate(xs)]
    return np.array(xs), np.array(ys)


def hill_data():
    xs = [12.5 * i for i in range(41)]
    ys = [500 * x ** 0.65 / (120 ** 0.65 + x ** 0.65) * (1 + 0.05 * math.sin(1.9 * i + 1))
          for i, x in enumerate(xs)]
    return np.array(xs), np.array(ys)


def log_f(x, a, c):
    return a * np.log1p(x / c)


def hill_f(x, top, k, s):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = top / (1 + (k / x[pos]) ** s)
    return out


TIGHT = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=100000)

x, y = power_data()
A = np.column_stack([np.ones_like(x), np.log(x)])
(lna, b), res, *_ = np.linalg.lstsq(A, np.log(y), rcond=None)
fitted = A @ np.array([lna, b])
r2 = 1 - np.sum((np.log(y) - fitted) ** 2) / np.sum((np.log(y) - np.log(y).mean()) ** 2)
print("power: a = %.15g, b = %.15g, r2 = %.15g, n = %d" % (math.exp(lna), b, r2, len(x)))

x, y = log_data()
p, _ = curve_fit(log_f, x, y, p0=[200, 50], **TIGHT)
r2 = 1 - np.sum((y - log_f(x, *p)) ** 2) / np.sum((y - y.mean()) ** 2)
print("log: a = %.15g, c = %.15g, r2 = %.15g" % (p[0], p[1], r2))
for s in (25, 100, 200, 350):
    print("  predict(%g) = %.15g" % (s, log_f(s, *p)))

x, y = hill_data()
p, _ = curve_fit(hill_f, x, y, p0=[400, 100, 0.8], **TIGHT)
r2 = 1 - np.sum((y - hill_f(x, *p)) ** 2) / np.sum((y - y.mean()) ** 2)
print("hill: top = %.15g, k = %.15g, s = %.15g, r2 = %.15g" % (p[0], p[1], p[2], r2))
for s in (30, 120, 250, 480):
    print("  predict(%g) = %.15g" % (s, hill_f([s], *p)[0]))
