#!/usr/bin/python3
"""Reference values of sql/fits_logreg.sql, from statsmodels (Logit, GLM Binomial).

    /usr/bin/python3 test/reference/fits_logreg.py

prints, for each fit, the coefficients (term, coef, std_err, z, p) and the fit statistics as
SQL VALUES lists, pasted into the test.  Logit is fitted by Newton with a tight tolerance so
that the reference is converged to machine precision; the weighted fit is GLM Binomial with
freq_weights (the weights multiply each row's log-likelihood, as in R's glm(weights = )).
"""
import sys
import os

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fits_common import bank, values, FEATURES  # noqa: E402


def report(name, params, bse, stats, const=True):
    print(f"-- {name}")
    k0 = 0 if const else 1
    z = params / bse
    from scipy.stats import norm
    rows = [(i + k0, params[i], bse[i], z[i], 2 * norm.sf(abs(z[i]))) for i in range(len(params))]
    print("coefficients (term, coef, std_err, z, p):")
    print(values(rows))
    print("fit:")
    print(values([stats]))
    print()


d = bank()
y = d["subscribed"].astype(float).values
X = sm.add_constant(d[FEATURES].values)
r = sm.Logit(y, X).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
print("-- fit (llf, llnull, deviance, null deviance, aic, bic, prsquared, llr, llr_pvalue, cond(X)):")
report("bank Logit subscribed ~ 7 features", r.params, r.bse,
       (r.llf, r.llnull, -2 * r.llf, -2 * r.llnull, r.aic, r.bic, r.prsquared, r.llr, r.llr_pvalue,
        np.linalg.cond(X)))

r = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=d["w"].values).fit(tol=1e-14)
report("bank GLM Binomial subscribed ~ 7 features, freq_weights w (llf, deviance, null deviance, cond(sqrt(w) X))",
       r.params, r.bse,
       (r.llf, r.deviance, r.null_deviance, np.linalg.cond(np.sqrt(d["w"].values)[:, None] * X)))

Xn = d[["age", "balance", "duration"]].values
r = sm.GLM(y, Xn, family=sm.families.Binomial()).fit(tol=1e-14)
report("bank GLM Binomial subscribed ~ age + balance + duration, no intercept (llf, deviance, cond(X))",
       r.params, r.bse, (r.llf, r.deviance, np.linalg.cond(Xn)), const=False)
