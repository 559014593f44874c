#!/usr/bin/python3
"""Independent reference for the customer-value tests (sql/clv_*.sql).

Written from the papers, sharing no code with src/clv:
  - BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
    to the Pareto/NBD model", Marketing Science 24(2), eqs. 6 (likelihood), 8 (P(X(t)=x)),
    9 (E[X(t)]), 10 (E[Y(t)|x,t_x,T]) and the 2008 note on P(alive);
  - Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", eqs. 1-5;
  - Pareto/NBD: Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related
    expressions" (likelihood with the Gauss hypergeometric function, P(alive), conditional and
    unconditional expectations);
  - CLV with per-step discounting as the lifetimes package defines it.
Fits use scipy.optimize (Nelder-Mead then BFGS, on log-parameters); predictions use mpmath at
40 significant digits (mpmath.hyp2f1), so they check the C code's own 2F1 series.

Run from the repository root with Debian's Python (numpy, scipy, pandas, mpmath):
    /usr/bin/python3 test/reference/clv_reference.py            # print every reference number
    /usr/bin/python3 test/reference/clv_reference.py --write-sim  # also (re)write the simulated data
The simulated customers are written to test/data/clv_sim.csv (fixed seed).
"""
import sys

import mpmath as mp
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

mp.mp.dps = 40
CDNOW = "test/data/cdnow/CDNOW_sample.txt"
SIM = "test/data/clv_sim.csv"


# ------------------------------------------------------------------ likelihoods

def bgnbd_ll(par, x, tx, T):
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6)."""
    r, al, a, b = par
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(al + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(al + tx),
                  -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def gg_ll(par, x, z):
    """Per-customer Gamma-Gamma log-likelihood of the mean spend z of x transactions."""
    p, q, g = par
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g)
            + (p * x - 1) * np.log(z) + p * x * np.log(x) - (p * x + q) * np.log(g + x * z))


def pnbd_ll(par, x, tx, T):
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005 note, eqs. 18-19)."""
    from scipy.special import hyp2f1
    r, al, s, be = par
    if al >= be:
        F1 = hyp2f1(r + s + x, s + 1, r + s + x + 1, (al - be) / (al + tx)) / (al + tx) ** (r + s + x)
        F2 = hyp2f1(r + s + x, s + 1, r + s + x + 1, (al - be) / (al + T)) / (al + T) ** (r + s + x)
    else:
        F1 = hyp2f1(r + s + x, r + x, r + s + x + 1, (be - al) / (be + tx)) / (be + tx) ** (r + s + x)
        F2 = hyp2f1(r + s + x, r + x, r + s + x + 1, (be - al) / (be + T)) / (be + T) ** (r + s + x)
    return (gammaln(r + x) - gammaln(r) + r * np.log(al) + s * np.log(be)
            + np.log(1 / ((al + T) ** (r + x) * (be + T) ** s) + s / (r + s + x) * (F1 - F2)))


def fit(ll, k, penalizer=0.0, start=None):
    """ML fit on log-parameters; objective = mean NLL + penalizer * sum(par^2) (lifetimes).
    The default start is every parameter 1; Gamma-Gamma fits start at p = 1, q = 2 and gamma =
    the mean spend (from all-ones the simplex can wander to a degenerate p -> infinity)."""
    def obj(lp):
        par = np.exp(lp)
        v = -ll(par).mean() + penalizer * np.sum(par ** 2)
        return v if np.isfinite(v) else 1e300
    res = minimize(obj, np.zeros(k) if start is None else np.log(start), method="Nelder-Mead",
                   options=dict(xatol=1e-12, fatol=1e-14, maxiter=40000, maxfev=40000))
    res = minimize(obj, res.x, method="BFGS", options=dict(gtol=1e-10))
    par = np.exp(res.x)
    return par, ll(par).sum()


# ------------------------------------------------------------------ predictions (mpmath)

def bg_alive(par, x, tx, T):
    r, al, a, b = map(mp.mpf, par)
    if x == 0:
        return mp.mpf(1)
    return 1 / (1 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x))


def bg_cond(par, t, x, tx, T):
    """E[Y(t) | x, t_x, T] (FHL 2005, eq. 10)."""
    r, al, a, b = map(mp.mpf, par)
    x, tx, T, t = map(mp.mpf, (x, tx, T, t))
    if t == 0:
        return mp.mpf(0)
    f = ((al + T) / (al + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t))
    return (a + b + x - 1) / (a - 1) * (1 - f) * bg_alive(par, x, tx, T)


def bg_uncond(par, t):
    """E[X(t)] of a new customer (FHL 2005, eq. 9)."""
    r, al, a, b = map(mp.mpf, par)
    t = mp.mpf(t)
    return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * mp.hyp2f1(r, b, a + b - 1, t / (al + t)))


def bg_pmf(par, n, t):
    """P(X(t) = n) of a new customer (FHL 2005, eq. 8), the finite sum written out."""
    r, al, a, b = map(mp.mpf, par)
    t = mp.mpf(t)
    B = mp.beta
    p1 = B(a, b + n) / B(a, b) * mp.gamma(r + n) / (mp.gamma(r) * mp.factorial(n)) \
        * (al / (al + t)) ** r * (t / (al + t)) ** n
    if n == 0:
        return p1
    s = sum(mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * (t / (al + t)) ** j for j in range(n))
    return p1 + B(a + 1, b + n - 1) / B(a, b) * (1 - (al / (al + t)) ** r * s)


def pn_alive(par, x, tx, T):
    """Pareto/NBD P(alive | x, t_x, T) (Fader & Hardie 2005 note, eq. 21)."""
    r, al, s, be = map(mp.mpf, par)
    x, tx, T = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    if al >= be:
        a0 = (mp.hyp2f1(r + s + x, s + 1, r + s + x + 1, (al - be) / (al + tx)) / (al + tx) ** (r + s + x)
              - mp.hyp2f1(r + s + x, s + 1, r + s + x + 1, (al - be) / (al + T)) / (al + T) ** (r + s + x))
    else:
        a0 = (mp.hyp2f1(r + s + x, r + x, r + s + x + 1, (be - al) / (be + tx)) / (be + tx) ** (r + s + x)
              - mp.hyp2f1(r + s + x, r + x, r + s + x + 1, (be - al) / (be + T)) / (be + T) ** (r + s + x))
    return 1 / (1 + s / (r + s + x) * (al + T) ** (r + x) * (be + T) ** s * a0)


def pn_cond(par, t, x, tx, T):
    """Pareto/NBD E[Y(t) | x, t_x, T] (eq. 22)."""
    r, al, s, be = map(mp.mpf, par)
    t, T = mp.mpf(t), mp.mpf(T)
    return ((r + x) * (be + T) / ((al + T) * (s - 1)) * (1 - ((be + T) / (be + T + t)) ** (s - 1))
            * pn_alive(par, x, tx, T))


def pn_uncond(par, t):
    """Pareto/NBD E[X(t)] of a new customer (eq. 17)."""
    r, al, s, be = map(mp.mpf, par)
    t = mp.mpf(t)
    return r * be / (al * (s - 1)) * (1 - (be / (be + t)) ** (s - 1))


def gg_spend(par, x, z):
    """E[Z | x, zbar] (Fader & Hardie 2013, eq. 5)."""
    p, q, g = map(mp.mpf, par)
    return (p * g + p * x * mp.mpf(z)) / (p * x + q - 1)


def clv(bg, gg, x, tx, T, z, horizon, rate, step=1.0):
    """Expected spend x sum over steps of the purchases in the step, discounted per step."""
    if rate == 0:
        return gg_spend(gg, x, z) * bg_cond(bg, horizon, x, tx, T)
    total, prev, k = mp.mpf(0), mp.mpf(0), 1
    while True:
        tk = min(k * step, horizon)
        e = bg_cond(bg, tk, x, tx, T)
        total += (e - prev) / mp.mpf(1 + rate) ** k
        prev = e
        if tk >= horizon:
            break
        k += 1
    return gg_spend(gg, x, z) * total


# ------------------------------------------------------------------ data

def cdnow_summary():
    """Calibration summary (weeks) from the raw CDNOW transactions, same-day purchases merged."""
    r = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=["mid", "id", "date", "n", "amt"])
    r["date"] = pd.to_datetime(r.date.astype(str))
    cal = r[r.date <= "1997-09-30"]
    g = cal.groupby(["id", "date"]).amt.sum().reset_index()
    first = g.groupby("id").date.transform("min")
    s = g.groupby("id").agg(first=("date", "min"), last=("date", "max"), n=("date", "size"),
                            total=("amt", "sum"))
    s["first_amt"] = g[g.date == first].set_index("id").amt
    x = (s.n - 1).values.astype(float)
    tx = ((s["last"] - s["first"]).dt.days / 7).values
    T = ((pd.Timestamp("1997-09-30") - s["first"]).dt.days / 7).values
    z = np.where(x > 0, (s.total - s.first_amt) / np.maximum(x, 1), 0.0)
    return x, tx, T, z


def simulate(n=2000, seed=20050601):
    """Customers from the BG/NBD and Gamma-Gamma stories, in weeks, over a 52-week window."""
    rng = np.random.default_rng(seed)
    r, al, a, b = 0.6, 4.0, 0.9, 3.0
    p, q, g = 5.0, 4.0, 20.0
    rows = []
    for i in range(1, n + 1):
        lam = rng.gamma(r, 1 / al)
        drop = rng.beta(a, b)
        T = 52 - rng.uniform(0, 40)
        nu = rng.gamma(q, 1 / g)
        t, times = 0.0, []
        while True:
            t += rng.exponential(1 / lam) if lam > 0 else np.inf
            if t > T:
                break
            times.append(t)
            if rng.uniform() < drop:
                break
        x = len(times)
        tx = times[-1] if x else 0.0
        z = float(np.mean(rng.gamma(p, 1 / nu, size=x))) if x else 0.0
        rows.append((i, x, tx, T, z))
    return pd.DataFrame(rows, columns=["id", "x", "tx", "t", "zbar"])


def main():
    if "--write-sim" in sys.argv:
        d = simulate()
        with open(SIM, "w") as f:
            f.write("id,x,tx,t,zbar\n")
            for row in d.itertuples(index=False):
                f.write("%d,%d,%.17g,%.17g,%.17g\n" % row)
    sim = pd.read_csv(SIM)

    print("== CDNOW (summary built from the raw transactions) ==")
    x, tx, T, z = cdnow_summary()
    print("customers %d, repeat customers %d, sum x %d" % (len(x), (x > 0).sum(), x.sum()))
    par, ll = fit(lambda p: bgnbd_ll(p, x, tx, T), 4)
    print("bgnbd r, alpha, a, b, LL:", " ".join("%.6f" % v for v in par), "%.4f" % ll)
    # FHL 2005 figure 2: expected customers with k repeat purchases in the calibration period,
    # sum over customers of P(X(T_i) = k), at the fitted parameters (mpmath, 20 digits suffice)
    mp.mp.dps = 20
    Ts, counts = np.unique(T, return_counts=True)
    hist = [float(sum(c * bg_pmf(tuple(par), k, t) for t, c in zip(Ts, counts))) for k in range(7)]
    mp.mp.dps = 40
    print("bgnbd expected histogram k = 0..6:", " ".join("%.1f" % h for h in hist))
    par, ll = fit(lambda p: bgnbd_ll(p, x, tx, T), 4, penalizer=0.1)
    print("bgnbd penalizer 0.1:", " ".join("%.6f" % v for v in par), "%.4f" % ll)
    m = x > 0
    gstart = (1.0, 2.0, z[m].mean())
    par, ll = fit(lambda p: gg_ll(p, x[m], z[m]), 3, start=gstart)
    print("gammagamma p, q, gamma, LL:", " ".join("%.6f" % v for v in par), "%.4f" % ll)
    par, ll = fit(lambda p: gg_ll(p, x[m], z[m]), 3, penalizer=0.01, start=gstart)
    print("gammagamma penalizer 0.01:", " ".join("%.6f" % v for v in par), "%.4f" % ll)

    par, ll = fit(lambda p: pnbd_ll(p, x, tx, T), 4)
    print("paretonbd r, alpha, s, beta, LL:", " ".join("%.6f" % v for v in par), "%.4f" % ll)

    print("== simulated customers (%s) ==" % SIM)
    sx, stx, sT, sz = (sim[c].values.astype(float) for c in ("x", "tx", "t", "zbar"))
    par, ll = fit(lambda p: bgnbd_ll(p, sx, stx, sT), 4)
    print("bgnbd r, alpha, a, b, LL:", " ".join("%.6f" % v for v in par), "%.4f" % ll)
    m = sx > 0
    par, ll = fit(lambda p: gg_ll(p, sx[m], sz[m]), 3, start=(1.0, 2.0, sz[m].mean()))
    print("gammagamma p, q, gamma, LL:", " ".join("%.6f" % v for v in par), "%.4f" % ll)

    # predictions under the published CDNOW parameters, for the first 30 simulated customers and
    # a few extreme ones: (id, x, tx, t, zbar, E[Y(10)], E[Y(52)], P(alive), expected spend,
    # CLV over 52 weeks at 1% per week, CLV over 39 weeks undiscounted)
    bg = (0.243, 4.414, 0.793, 2.426)
    gg = (6.25, 3.74, 15.44)
    print("== predictions, bgnbd %s, gammagamma %s ==" % (bg, gg))
    cust = [tuple(r) for r in sim.head(30)[["id", "x", "tx", "t", "zbar"]].itertuples(index=False)]
    cust += [(9001, 0, 0, 0.5, 0), (9002, 1, 0.1, 78, 5.5), (9003, 150, 51, 52, 30),
             (9004, 400, 50, 52, 12.25), (9005, 3, 2, 2.5, 100), (9006, 2000, 51.9, 52, 20)]
    rows = []
    for (i, xx, ttx, TT, zz) in cust:
        xx = int(xx)
        vals = (bg_cond(bg, 10, xx, ttx, TT), bg_cond(bg, 52, xx, ttx, TT), bg_alive(bg, xx, ttx, TT),
                gg_spend(gg, xx, zz), clv(bg, gg, xx, ttx, TT, zz, 52, 0.01),
                clv(bg, gg, xx, ttx, TT, zz, 39, 0.0))
        rows.append("(%d, %d, %.17g, %.17g, %.17g, %s)"
                    % (int(i), xx, ttx, TT, zz,
                       ", ".join(mp.nstr(v, 17, min_fixed=-30, max_fixed=30) for v in vals)))
    print("  " + ",\n  ".join(rows))
    pn = (0.553, 10.578, 0.606, 11.669)
    print("== Pareto/NBD predictions, %s: (id, E[Y(52)], P(alive), CLV 52 weeks at 1%%/week) ==" % (pn,))
    rows = []
    for (i, xx, ttx, TT, zz) in cust:
        xx = int(xx)
        e52 = pn_cond(pn, 52, xx, ttx, TT)
        total, prev = mp.mpf(0), mp.mpf(0)
        for k in range(1, 53):
            e = pn_cond(pn, k, xx, ttx, TT)
            total += (e - prev) / mp.mpf(1.01) ** k
            prev = e
        rows.append("(%d, %s, %s, %s)" % (int(i), mp.nstr(e52, 17), mp.nstr(pn_alive(pn, xx, ttx, TT), 17),
                                          mp.nstr(gg_spend(gg, xx, zz) * total, 17)))
    print("  " + ",\n  ".join(rows))
    for t in (10, 39, 78):
        print("Pareto/NBD E[X(%g)] = %s" % (t, mp.nstr(pn_uncond(pn, t), 17)))
    print("== new customers: E[X(t)] and P(X(t) = n) ==")
    for t in (1, 10, 39, 78, 1000):
        print("E[X(%g)] = %s" % (t, mp.nstr(bg_uncond(bg, t), 17)))
    for t in (10000, 1e6):
        print("E[Y(%g) | 4, 12.85, 12.88] = %s" % (t, mp.nstr(bg_cond(bg, t, 4, 12.85, 12.88), 17)))
    for n in (0, 1, 2, 5, 10):
        print("P(X(39) = %d) = %s" % (n, mp.nstr(bg_pmf(bg, n, 39), 17)))
    # a = 1 exactly: the removable singularity, approached at 50 digits
    mp.mp.dps = 60
    bg1 = (0.243, 4.414, mp.mpf(1) + mp.mpf("1e-40"), 2.426)
    print("a = 1: E[Y(52) | 2, 30.43, 38.86] = %s, E[X(39)] = %s"
          % (mp.nstr(bg_cond(bg1, 52, 2, 30.43, 38.86), 17), mp.nstr(bg_uncond(bg1, 39), 17)))


if __name__ == "__main__":
    main()
