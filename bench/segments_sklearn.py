#!/usr/bin/python3
"""The scikit-learn side of the k-means benchmark (bench/segments.sql).

Exports bench.km_1m's eight feature columns with psql's COPY ... TO STDOUT, reads them with
pandas, standardises them with StandardScaler (population sd, as marketiq) and runs
scikit-learn's KMeans (algorithm 'lloyd', n_init 1).  It is kept to ONE thread, as marketiq is
measured on one core: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS are set to 1
before numpy and scikit-learn are imported, and everything runs inside
threadpoolctl.threadpool_limits(limits=1) (scikit-learn's Lloyd loop is OpenMP-parallel).

Recorded in bench_results (best of 3 each):
  - seconds per Lloyd iteration: from the same poor start as the marketiq driver
    (bench.km_poor.init, standardised units), (fit time with max_iter 20 - fit time with
    max_iter 1) / (iterations - 1), tol 0 (scikit-learn then stops when no label changes);
  - the whole job an analyst runs outside the database: COPY export + parse + scaling + KMeans
    with its default (greedy) k-means++ start, n_init 1.
Run by bench/segments.sql through psql's \\! inside bench/run.sh (PGHOST and friends come from
pg_virtualenv).
"""
import os

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"

import io  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

COLS = [f"x{j}" for j in range(1, 9)]


def psql(sql):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True).stdout


def record(name, secs, runs):
    psql("INSERT INTO bench_results AS r (name, seconds, runs) VALUES "
         f"('{name}', {secs!r}, {runs}) ON CONFLICT (name) DO UPDATE "
         "SET seconds = excluded.seconds, runs = excluded.runs, measured_at = now()")


def export():
    raw = psql(f"COPY (SELECT {', '.join(COLS)} FROM bench.km_1m ORDER BY id) TO STDOUT WITH (FORMAT csv)")
    return pd.read_csv(io.BytesIO(raw), header=None, names=COLS).to_numpy()


with threadpool_limits(limits=1):
    init = np.array(json.loads(psql("SELECT array_to_json(init) FROM bench.km_poor")), dtype=float)
    X = export()
    Z = StandardScaler().fit_transform(X)

    def fit_time(max_iter):
        t0 = time.time()
        km = KMeans(n_clusters=8, init=init, n_init=1, max_iter=max_iter, tol=0, algorithm="lloyd").fit(Z)
        return time.time() - t0, km

    t1 = min(fit_time(1)[0] for _ in range(3))
    runs20 = [fit_time(20) for _ in range(3)]
    t20 = min(t for t, _ in runs20)
    it20 = runs20[0][1].n_iter_
    per_iter = (t20 - t1) / (it20 - 1)

    whole = float("inf")
    for _ in range(3):
        t0 = time.time()
        Zw = StandardScaler().fit_transform(export())
        km = KMeans(n_clusters=8, n_init=1, algorithm="lloyd", random_state=0).fit(Zw)
        whole = min(whole, time.time() - t0)

record("scikit-learn KMeans (1 thread): seconds per iteration", per_iter, 3)
record("scikit-learn: COPY export + scaling + KMeans k-means++ fit, 1M x 8", whole, 3)
print(f"bench scikit-learn KMeans: {per_iter:.4f} s per iteration ({it20} iterations from the poor start); "
      f"export + scaling + k-means++ fit {whole:.2f} s ({km.n_iter_} iterations)", file=sys.stderr)
