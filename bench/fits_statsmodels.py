#!/usr/bin/python3
"""The floor of the logreg benchmark (bench/fits.sql): what an analyst does without marketiq.

Exports bench.fits_1m with psql's COPY ... TO STDOUT, reads it with pandas and fits
statsmodels' Logit (Newton, its defaults); the time of export + fit, best of two runs, goes
into bench_results as 'statsmodels: COPY export + Logit fit, 1M x 10'.  Run by bench/fits.sql
through psql's \\! inside bench/run.sh (PGHOST and friends come from pg_virtualenv).  Numpy's
BLAS is kept to one thread, as marketiq is measured on one core (it hardly matters: the time
goes into the export and the parse).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import io  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.api as sm  # noqa: E402

NAME = "statsmodels: COPY export + Logit fit, 1M x 10"
COLS = ["y"] + [f"x{j}" for j in range(1, 11)]


def psql(sql, capture=True):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=capture).stdout


def run_once():
    t0 = time.time()
    raw = psql(f"COPY (SELECT {', '.join(COLS)} FROM bench.fits_1m) TO STDOUT WITH (FORMAT csv)")
    df = pd.read_csv(io.BytesIO(raw), header=None, names=COLS, true_values=["t"], false_values=["f"])
    res = sm.Logit(df["y"].astype(float).values, sm.add_constant(df[COLS[1:]].values)).fit(disp=0)
    t1 = time.time()
    return t1 - t0, res


best = float("inf")
for _ in range(2):
    secs, res = run_once()
    best = min(best, secs)
psql("INSERT INTO bench_results AS r (name, seconds, runs) VALUES "
     f"('{NAME}', {best!r}, 2) ON CONFLICT (name) DO UPDATE "
     "SET seconds = excluded.seconds, runs = excluded.runs, measured_at = now()")
print(f"bench {NAME}: {best:.3f} s (best of 2); iterations {res.mle_retvals.get('iterations')}, "
      f"converged {res.mle_retvals.get('converged')}", file=sys.stderr)
print("statsmodels coefficients:", np.array2string(res.params, precision=6), file=sys.stderr)
