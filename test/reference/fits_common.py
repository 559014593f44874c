"""Shared by the fits reference scripts: the test data sets rebuilt in Python.

bank() rebuilds the table of test/reference/fits_data.sql (and sql/fits_*.sql) bit for bit:
the same integer hash, the same float8 operations in the same order, libm's exp and log.
Run with Debian's /usr/bin/python3 (numpy, pandas, statsmodels).
"""
import math

import numpy as np
import pandas as pd

M = 2147483647


def u(i, s):
    a = (i * 1000003 + s * 7919) % M
    b = ((a ^ (a >> 13)) * 48271) % M
    c = ((b ^ (b >> 11)) * 48271) % M
    d = ((c ^ (c >> 15)) * 48271) % M
    return (float(d) + 0.5) / 2147483647.0


def bank(n=3000):
    rows = []
    for i in range(1, n + 1):
        age = 18 + math.floor(u(i, 1) * 60)
        balance = math.floor(u(i, 2) * u(i, 2) * 50000) / 1000.0
        duration = math.floor(-math.log(u(i, 3)) * 250) / 60.0
        campaign = 1 + math.floor(-math.log(u(i, 4)) * 2)
        previous = math.floor(-math.log(u(i, 5)) * 0.6)
        housing = 1.0 if u(i, 6) < 0.55 else 0.0
        loan = 1.0 if u(i, 7) < 0.16 else 0.0
        w = 1 + math.floor(u(i, 12) * 3)
        eta = (-3.2 + 0.012 * age + 0.04 * balance + 0.35 * duration - 0.12 * campaign
               + 0.45 * previous - 0.5 * housing - 0.6 * loan)
        subscribed = u(i, 8) < 1.0 / (1.0 + math.exp(-eta))
        deposit = (200.0 + 15.0 * age + 8.0 * balance + 30.0 * duration - 25.0 * campaign
                   + 400.0 * (u(i, 9) + u(i, 10) + u(i, 11) - 1.5))
        rows.append((i, float(age), balance, duration, float(campaign), float(previous),
                     housing, loan, float(w), subscribed, deposit))
    return pd.DataFrame(rows, columns=["id", "age", "balance", "duration", "campaign", "previous",
                                       "housing", "loan", "w", "subscribed", "deposit"])


FEATURES = ["age", "balance", "duration", "campaign", "previous", "housing", "loan"]


def values(rows):
    """Rows as a SQL VALUES list with every float in its shortest exact form."""
    def fmt(v):
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return repr(float(v))
    return ",\n".join("    (" + ", ".join(fmt(v) for v in r) + ")" for r in rows)
