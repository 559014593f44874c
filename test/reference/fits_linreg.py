#!/usr/bin/python3
"""Reference values of sql/fits_linreg.sql, from statsmodels (OLS and WLS).

    /usr/bin/python3 test/reference/fits_linreg.py

prints, for each fit, the coefficients (term, coef, std_err, t, p) and the fit statistics as
SQL VALUES lists, pasted into the test.  The bank data set is rebuilt bit for bit from the
same integer hash as the test (fits_common.bank); Longley is the NIST StRD data set (whose
certified values the test also quotes).
"""
import sys
import os

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fits_common import bank, values, FEATURES  # noqa: E402


def report(name, res, const=True):
    print(f"-- {name}: statsmodels {sm.__version__ if hasattr(sm, '__version__') else ''}")
    k0 = 0 if const else 1
    rows = [(i + k0, res.params[i], res.bse[i], res.tvalues[i], res.pvalues[i])
            for i in range(len(res.params))]
    print("coefficients (term, coef, std_err, t, p):")
    print(values(rows))
    stats = [(res.nobs, res.rsquared, res.rsquared_adj, res.fvalue, res.f_pvalue,
              np.sqrt(res.scale), res.llf, res.aic, res.bic, res.condition_number)]
    print("fit (n, r2, adj_r2, f, f_p, resid_se, llf, aic, bic, cond):")
    print(values(stats))
    print()


d = bank()
X = sm.add_constant(d[FEATURES].values)
r = sm.OLS(d["deposit"].values, X).fit()
report("bank OLS deposit ~ 7 features", r)
print("-- 90% confidence intervals (term, lower, upper):")
ci = r.conf_int(0.10)
print(values([(i, ci[i, 0], ci[i, 1]) for i in range(len(r.params))]))
x0 = np.array([[1.0, 40.0, 10.0, 5.0, 2.0, 0.0, 1.0, 0.0]])
print("-- predict(age 40, balance 10, duration 5, campaign 2, previous 0, housing 1, loan 0):",
      repr(r.predict(x0)[0]))
print()
report("bank WLS deposit ~ 7 features, weights w",
       sm.WLS(d["deposit"].values, X, weights=d["w"].values).fit())
report("bank OLS deposit ~ age + balance + duration, no intercept",
       sm.OLS(d["deposit"].values, d[["age", "balance", "duration"]].values).fit(), const=False)

# Longley, NIST StRD scaling (y = employment, x1..x6 as in the NIST file)
longley = np.array([
    (60323, 83.0, 234289, 2356, 1590, 107608, 1947), (61122, 88.5, 259426, 2325, 1456, 108632, 1948),
    (60171, 88.2, 258054, 3682, 1616, 109773, 1949), (61187, 89.5, 284599, 3351, 1650, 110929, 1950),
    (63221, 96.2, 328975, 2099, 3099, 112075, 1951), (63639, 98.1, 346999, 1932, 3594, 113270, 1952),
    (64989, 99.0, 365385, 1870, 3547, 115094, 1953), (63761, 100.0, 363112, 3578, 3350, 116219, 1954),
    (66019, 101.2, 397469, 2904, 3048, 117388, 1955), (67857, 104.6, 419180, 2822, 2857, 118734, 1956),
    (68169, 108.4, 442769, 2936, 2798, 120445, 1957), (66513, 110.8, 444546, 4681, 2637, 121950, 1958),
    (68655, 112.6, 482704, 3813, 2552, 123366, 1959), (69564, 114.2, 502601, 3931, 2514, 125368, 1960),
    (69331, 115.7, 518173, 4806, 2572, 127852, 1961), (70551, 116.9, 554894, 4007, 2827, 130081, 1962)],
    dtype=float)
report("Longley (NIST StRD)", sm.OLS(longley[:, 0], sm.add_constant(longley[:, 1:])).fit())
