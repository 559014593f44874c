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


# mtcars (R's datasets): am ~ hp + wt
hp = [110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215, 230, 66, 52,
      65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109]
wt = [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25,
      5.424, 5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17,
      2.77, 3.57, 2.78]
am = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
Xm = sm.add_constant(np.column_stack([hp, wt]))
r = sm.Logit(np.array(am, dtype=float), Xm).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
report("mtcars Logit am ~ hp + wt (llf, llnull, aic, bic, prsquared, llr, llr_pvalue, cond(X), predict(hp=150, wt=3))",
       r.params, r.bse,
       (r.llf, r.llnull, r.aic, r.bic, r.prsquared, r.llr, r.llr_pvalue, np.linalg.cond(Xm),
        r.predict(np.array([[1.0, 150.0, 3.0]]))[0]))
print("-- odds ratios with 95% limits (term, exp(coef), lower, upper):")
ci = r.conf_int(0.05)
print(values([(i, np.exp(r.params[i]), np.exp(ci[i, 0]), np.exp(ci[i, 1])) for i in range(3)]))
print()

d = bank()
y = d["subscribed"].astype(float).values
X = sm.add_constant(d[FEATURES].values)
r = sm.Logit(y, X).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
print("-- fit (llf, llnull, deviance, null deviance, aic, bic, prsquared, llr, llr_pvalue, cond(X)):")
report("bank Logit subscribed ~ 7 features", r.params, r.bse,
       (r.llf, r.llnull, -2 * r.llf, -2 * r.llnull, r.aic, r.bic, r.prsquared, r.llr, r.llr_pvalue,
        np.linalg.cond(X)))
print("-- 90% confidence intervals (term, lower, upper):")
ci = r.conf_int(0.10)
print(values([(i, ci[i, 0], ci[i, 1]) for i in range(len(r.params))]))
x0 = np.array([[1.0, 40.0, 10.0, 5.0, 2.0, 0.0, 1.0, 0.0]])
print("-- predict(age 40, balance 10, duration 5, campaign 2, previous 0, housing 1, loan 0):",
      repr(r.predict(x0)[0]))
print()

r = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=d["w"].values).fit(tol=1e-14)
report("bank GLM Binomial subscribed ~ 7 features, freq_weights w (llf, deviance, null deviance, cond(sqrt(w) X))",
       r.params, r.bse,
       (r.llf, r.deviance, r.null_deviance, np.linalg.cond(np.sqrt(d["w"].values)[:, None] * X)))

Xn = d[["age", "balance", "duration"]].values
r = sm.GLM(y, Xn, family=sm.families.Binomial()).fit(tol=1e-14)
report("bank GLM Binomial subscribed ~ age + balance + duration, no intercept (llf, deviance, cond(X))",
       r.params, r.bse, (r.llf, r.deviance, np.linalg.cond(Xn)), const=False)
