#!/usr/bin/python3
"""Independent reference for detect_anomalies, mad_score and the median/mad aggregates
(sql/segments_anomalies.sql), written with pandas and numpy from the README's definitions,
sharing no code with src/segments:

  mad       expected = rolling median of the window_size previous rows (pandas
            rolling(w).median().shift(1)); scale = 1.4826 x rolling MAD (numpy median of
            |a - median(a)|), or, where that is 0, 1.2533141373155002 x the mean absolute
            deviation from the median;
  seasonal  the same per phase (row index mod season), i.e. over rows season, 2 season, ...
            window_size season back (pandas groupby(phase).rolling);
  ewma      expected = ewm(alpha = 2 / (w + 1), adjust = False).mean().shift(1),
            scale = sqrt(ewm(...).var(bias = True).shift(1)), from the w-th row on;
  score     (value - expected) / scale, 0 or +-inf when scale is 0; anomaly |score| > 3.5;
            direction up above expected + 3.5 scale, down below expected - 3.5 scale.

Rows with a NULL value are dropped first (no row, no history); a series is ordered by
(day, value).

Run from the repository root with Debian's Python (numpy, pandas):
    /usr/bin/python3 test/reference/segments_anomalies.py           # print a summary
    /usr/bin/python3 test/reference/segments_anomalies.py --write   # (re)write the CSV files
    /usr/bin/python3 test/reference/segments_anomalies.py --rates   # false-alarm rates on noise
Files: test/data/segments_series.csv (three generated series, fixed numpy seed) and
test/data/segments_anomalies_ref.csv (per method and row: expected, lower, upper, score,
is_anomaly, direction).
"""
import sys

import numpy as np
import pandas as pd

DATA = "test/data/segments_series.csv"
REF = "test/data/segments_anomalies_ref.csv"
THRESHOLD = 3.5
WEEK = [0.0, 3.0, 5.0, 4.0, 2.0, -6.0, -8.0]


def make_data():
    rng = np.random.default_rng(20260112)
    rows = []
    day0 = pd.Timestamp("2025-01-01")
    # 'weekly': 280 days, a weekly cycle, noise sd 2, spikes and drops of 8 to 12 sd
    base = np.array([100 + WEEK[d % 7] for d in range(280)])
    y = base + 2 * rng.standard_normal(280)
    for d, k in [(70, 9), (120, -10), (180, 8), (230, -8.5), (260, 12)]:
        y[d] = base[d] + 2 * k
    rows += [("weekly", day0 + pd.Timedelta(days=d), round(v, 6)) for d, v in enumerate(y)]
    # 'counts': small daily counts (many zeros: MAD 0), then 40 days of exactly 5 (scale 0),
    # then counts again; a few days have no value (NULL), and one day appears twice
    c = list(rng.poisson(0.8, 150).astype(float)) + [5.0] * 40 + list(rng.poisson(3, 60).astype(float))
    for d, v in enumerate(c):
        val = None if d in (17, 95, 205) else v
        rows.append(("counts", day0 + pd.Timedelta(days=d), val))
    rows.append(("counts", day0 + pd.Timedelta(days=30), 7.0))   # a second row on day 30
    # 'noise': 150 days of plain normal noise, rows in shuffled order
    z = 50 + 5 * rng.standard_normal(150)
    idx = rng.permutation(150)
    rows += [("noise", day0 + pd.Timedelta(days=int(d)), round(z[d], 6)) for d in idx]
    return rows


def scale_of(a):
    m = np.median(a)
    mad = np.median(np.abs(a - m))
    return 1.4826 * mad if mad > 0 else 1.2533141373155002 * np.mean(np.abs(a - m))


def score(x, e, s):
    if s > 0:
        return (x - e) / s
    return 0.0 if x == e else (np.inf if x > e else -np.inf)


def rolling_expected(v, w):
    """median and robust scale of the w values before each position (NaN before that)."""
    s = pd.Series(v)
    e = s.rolling(w).median().shift(1).to_numpy()
    sc = s.rolling(w).apply(scale_of, raw=True).shift(1).to_numpy()
    return e, sc


def method_mad(v, w):
    return rolling_expected(v, w)


def method_seasonal(v, w, season):
    e = np.full(len(v), np.nan)
    sc = np.full(len(v), np.nan)
    for p in range(season):
        pos = np.arange(p, len(v), season)
        ep, sp = rolling_expected(v[pos], w)
        e[pos], sc[pos] = ep, sp
    return e, sc


def method_ewma(v, w):
    s = pd.Series(v)
    a = 2 / (w + 1)
    e = s.ewm(alpha=a, adjust=False).mean().shift(1).to_numpy()
    var = s.ewm(alpha=a, adjust=False).var(bias=True).shift(1).to_numpy()
    e[:w] = np.nan
    return e, np.sqrt(var)


def fmt(x):
    if isinstance(x, float) and np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return "%.15g" % x


def false_alarm_rates(series=200, days=400, seed=1):
    """Share of scored rows flagged at threshold 3.5 on normal noise (sd 2), with and without a
    weekly cycle of +-1 noise sd, for the methods and windows the README discusses."""
    rng = np.random.default_rng(seed)
    cycle = np.array([0, 1, 2, 1, 0, -2, -2], dtype=float)
    for with_cycle in (False, True):
        tot = {}
        for _ in range(series):
            v = 100 + 2 * rng.standard_normal(days) + (cycle[np.arange(days) % 7] if with_cycle else 0)
            for name, (e, sc) in [("mad 28", method_mad(v, 28)), ("seasonal 6 x 7", method_seasonal(v, 6, 7)),
                                  ("seasonal 8 x 7", method_seasonal(v, 8, 7)),
                                  ("seasonal 28 x 7", method_seasonal(v, 28, 7)), ("ewma 28", method_ewma(v, 28))]:
                ok = ~np.isnan(e)
                z = np.array([score(x, a, b) for x, a, b in zip(v[ok], e[ok], sc[ok])])
                a, b = tot.get(name, (0, 0))
                tot[name] = (a + int((np.abs(z) > THRESHOLD).sum()), b + int(ok.sum()))
        print("false alarms, noise" + (" + weekly cycle" if with_cycle else "") + ": " +
              ", ".join(f"{k} {a / b:.2%}" for k, (a, b) in tot.items()))


def main():
    if "--rates" in sys.argv:
        false_alarm_rates()
        return
    if "--write" in sys.argv:
        with open(DATA, "w") as f:
            f.write("series,day,value\n")
            for name, day, v in make_data():
                f.write(f"{name},{day.date()},{'' if v is None else repr(float(v))}\n")
    df = pd.read_csv(DATA, parse_dates=["day"]).dropna(subset=["value"])
    out = []
    summary = []
    for (method, w, season) in [("mad", 28, None), ("seasonal", 6, 7), ("ewma", 28, None)]:
        for name, g in sorted(df.groupby("series"), key=lambda t: t[0]):
            g = g.sort_values(["day", "value"])
            v = g["value"].to_numpy(dtype=float)
            if method == "mad":
                e, sc = method_mad(v, w)
            elif method == "seasonal":
                e, sc = method_seasonal(v, w, season)
            else:
                e, sc = method_ewma(v, w)
            n_anom = 0
            for i, (day, x) in enumerate(zip(g["day"], v)):
                if np.isnan(e[i]):
                    out.append((method, name, day.date(), x, "", "", "", "", "f", ""))
                    continue
                lo, up = e[i] - THRESHOLD * sc[i], e[i] + THRESHOLD * sc[i]
                z = score(x, e[i], sc[i])
                anom = abs(z) > THRESHOLD
                n_anom += anom
                d = "up" if x > up else ("down" if x < lo else "")
                out.append((method, name, day.date(), x, fmt(e[i]), fmt(lo), fmt(up), fmt(z),
                            "t" if anom else "f", d))
            summary.append((method, name, len(v), n_anom))
    for s in summary:
        print("%-9s %-7s rows %4d anomalies %3d" % s)
    # mad_score and the aggregates on small arrays (the test's hand-checkable cases)
    for hist, x in [([1, 2, 3, 4, 100], 5), ([1, 1, 1, 2], 5), ([3, 3, 3], 3), ([3, 3, 3], 2)]:
        a = np.array(hist, dtype=float)
        print("mad_score", hist, x, repr(score(x, np.median(a), scale_of(a))))
    v = df[df.series == "weekly"]["value"].to_numpy()
    print("weekly: median", repr(np.median(v)), "mad", repr(np.median(np.abs(v - np.median(v)))))
    if "--write" in sys.argv:
        with open(REF, "w") as f:
            f.write("method,series,day,value,expected,lower,upper,score,is_anomaly,direction\n")
            for r in out:
                f.write(",".join(str(c) if not isinstance(c, float) else repr(c) for c in r) + "\n")


if __name__ == "__main__":
    main()
