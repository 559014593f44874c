#!/usr/bin/python3
"""Independent reference for the k-means tests (sql/segments_kmeans.sql).

Written from the README's description of marketiq.kmeans, sharing no code with src/segments:
  - standardisation: z = (x - mean) / sd with numpy's population sd (ddof = 0); sd 0 -> 1;
  - the seeded generator: splitmix64 over the feature values' bit patterns (README), so the
    k-means++ centres, the first centre and the silhouette sample can be reproduced here;
  - Lloyd's algorithm in numpy: nearest centroid (argmin: ties to the lowest), centroids as
    means, empty clusters re-seeded with the farthest points (moved out of their clusters),
    stop when no centroid moves more than tol;
  - the silhouette: scikit-learn's silhouette_score on a precomputed matrix of exact
    Euclidean distances of the sample (numpy), so its formula is scikit-learn's own;
  - a cross-check of the Lloyd iterations with scikit-learn's KMeans (algorithm 'lloyd')
    started from the same centroids.

Run from the repository root with Debian's Python (numpy, scikit-learn):
    /usr/bin/python3 test/reference/segments_kmeans.py           # print the reference numbers
    /usr/bin/python3 test/reference/segments_kmeans.py --write   # also (re)write the CSV files
Files: test/data/segments_kmeans.csv (the 600 generated points, fixed numpy seed) and
test/data/segments_kmeans_ref.csv (per point, the reference cluster of each case).
"""
import math
import struct
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

DATA = "test/data/segments_kmeans.csv"
REF = "test/data/segments_kmeans_ref.csv"
MASK = (1 << 64) - 1


# ------------------------------------------------------------------ generator (README)

def mix64(z):
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def stream(seed, j):
    return mix64((mix64(seed & MASK) + j) & MASK)


def row_hash(st, x):
    h = st
    for v in x:
        v = 0.0 if v == 0 else float(v)
        h = mix64(h ^ struct.unpack("<Q", struct.pack("<d", v))[0])
    return h


def u01(h):
    return (float(h >> 11) + 0.5) / 9007199254740992.0


# ------------------------------------------------------------------ k-means (README)

def standardise(X, standardize):
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    if not standardize:
        return np.zeros(X.shape[1]), np.ones(X.shape[1]), mean, sd
    return mean, np.where(sd > 0, sd, 1.0), mean, sd


def sqdist(Z, C):
    """Squared distances of every row of Z to every centroid, summed feature by feature."""
    D = np.zeros((Z.shape[0], C.shape[0]))
    for j in range(Z.shape[1]):
        D += (Z[:, [j]] - C[None, :, j]) ** 2
    return D


def lex_key(z):
    return tuple(float(v) for v in z)


def kmeans_pp(X, Z, k, seed):
    first = min(range(len(X)), key=lambda i: (row_hash(stream(seed, 1), X[i]), lex_key(X[i])))
    C = [Z[first]]
    for c in range(1, k):
        d2 = sqdist(Z, np.array(C)).min(axis=1)
        st = stream(seed, c + 1)
        best = None
        for i in range(len(X)):
            if d2[i] > 0:
                key = -math.log(u01(row_hash(st, X[i]))) / d2[i]
                cand = (key, lex_key(Z[i]))
                if best is None or cand < best[0]:
                    best = (cand, i)
        C.append(Z[best[1]])
    return np.array(C)


def lloyd(Z, C, max_iter, tol):
    k, d = C.shape
    fcap = min(2 * k, 256)
    reseeds = 0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        D = sqdist(Z, C)
        lab = D.argmin(axis=1)
        dist = D[np.arange(len(Z)), lab]
        cnt = np.bincount(lab, minlength=k).astype(np.int64)
        sums = np.zeros((k, d))
        np.add.at(sums, lab, Z)
        # farthest points: distance descending, then the point, then the cluster
        order = sorted((i for i in range(len(Z)) if dist[i] > 0),
                       key=lambda i: (-dist[i], lex_key(Z[i]), lab[i]))[:fcap]
        used = []
        cand = 0
        for c in range(k):
            if cnt[c] > 0:
                continue
            while cand < len(order):
                i = order[cand]
                cand += 1
                donor = lab[i]
                if cnt[donor] <= 1 or any(np.array_equal(Z[i], Z[u]) for u in used):
                    continue
                sums[donor] -= Z[i]
                cnt[donor] -= 1
                sums[c] = Z[i]
                cnt[c] = 1
                used.append(i)
                reseeds += 1
                break
        new = np.where(cnt[:, None] > 0, sums / np.maximum(cnt, 1)[:, None], C)
        shift = np.sqrt(((new - C) ** 2).sum(axis=1)).max()
        C = new
        if shift <= tol:
            converged = True
            break
    D = sqdist(Z, C)
    lab = D.argmin(axis=1)
    inertia = np.bincount(lab, weights=D[np.arange(len(Z)), lab], minlength=k)
    size = np.bincount(lab, minlength=k)
    return dict(C=C, labels=lab, size=size, inertia=inertia, iterations=it, converged=converged,
                reseeds=reseeds)


def silhouette(X, center, scale, C, seed, sample=2000):
    idx = sorted(range(len(X)), key=lambda i: (row_hash(stream(seed, 0), X[i]), lex_key(X[i])))[:sample]
    Zs = (X[idx] - center) / scale
    lab = sqdist(Zs, C).argmin(axis=1)
    nl = len(set(lab))
    if nl < 2 or nl > len(idx) - 1:
        return float("nan"), len(idx)
    D = np.sqrt(((Zs[:, None, :] - Zs[None, :, :]) ** 2).sum(axis=2))
    return silhouette_score(D, lab, metric="precomputed"), len(idx)


def fit(X, k, standardize=True, init=None, seed=42, max_iter=100, tol=1e-8):
    center, scale, mean, sd = standardise(X, standardize)
    Z = (X - center) / scale
    C0 = np.array(init, dtype=float) if init is not None else kmeans_pp(X, Z, k, seed)
    r = lloyd(Z, C0, max_iter, tol)
    r["C0"] = C0
    r["centroids"] = r["C"] * scale + center
    r["silhouette"], r["sample"] = silhouette(X, center, scale, r["C"], seed)
    r["Z"] = Z
    return r


def sklearn_check(Z, C0, r):
    """scikit-learn's Lloyd from the same start: same labels and centroids."""
    km = KMeans(n_clusters=len(C0), init=C0, n_init=1, algorithm="lloyd", tol=0, max_iter=300).fit(Z)
    same = (km.labels_ == r["labels"]).all()
    return same, np.abs(km.cluster_centers_ - r["C"]).max()


# ------------------------------------------------------------------ data

def make_data():
    """600 customers in four groups, three features on very different scales."""
    rng = np.random.default_rng(20260111)
    centres = np.array([[20, 2, 80], [200, 1, 40], [60, 12, 900], [300, 6, 300]], dtype=float)
    spread = np.array([[10, 0.8, 25], [40, 0.4, 15], [25, 3, 200], [30, 2, 90]], dtype=float)
    g = np.repeat(np.arange(4), [200, 150, 150, 100])
    X = centres[g] + spread[g] * rng.standard_normal((600, 3))
    return np.round(X, 4)


def grid_data(n=5000):
    """The integer-formula points of the sample test (the SQL test builds the same doubles)."""
    X = np.empty((n, 2))
    for i in range(1, n + 1):
        X[i - 1, 0] = (i % 3) * 30 + ((i * 7919) % 101) / 10
        X[i - 1, 1] = (i % 3) * 10 + ((i * 104729) % 97) / 10
    return X


def main():
    write = "--write" in sys.argv
    if write:
        X = make_data()
        with open(DATA, "w") as f:
            f.write("id,recency,frequency,monetary\n")
            for i, row in enumerate(X, 1):
                f.write(f"{i},{row[0]!r},{row[1]!r},{row[2]!r}\n")
    X = np.loadtxt(DATA, delimiter=",", skiprows=1)[:, 1:]
    np.set_printoptions(precision=17)

    init = [[-1, -1, -1], [1, 1, 1], [0, 0, 0], [1, -1, 0]]
    far = [[-1, -1, -1], [1, 1, 1], [0, 0, 0], [40, 40, 40]]
    raw_init = [[20, 2, 100], [200, 1, 50], [60, 10, 800], [300, 5, 300]]
    cases = {
        "given": fit(X, 4, init=init),
        "plusplus": fit(X, 4),
        "raw": fit(X, 4, standardize=False, init=raw_init),
        "reseed": fit(X, 4, init=far),
        "plusplus_k6_seed7": fit(X, 6, seed=7),
    }
    for name, r in cases.items():
        print(f"== {name}: iterations {r['iterations']}, converged {r['converged']}, "
              f"reseeds {r['reseeds']}, sizes {r['size'].tolist()}")
        print("start (z units):", repr(r["C0"].tolist()))
        print("centroids (original units):")
        for c, row in enumerate(r["centroids"], 1):
            print(f"  ({c}, ARRAY[{', '.join(repr(float(v)) for v in row)}])")
        print("inertia:", [repr(float(v)) for v in r["inertia"]], "total", repr(float(r["inertia"].sum())))
        print("silhouette:", repr(float(r["silhouette"])), "sample", r["sample"])
        if name != "raw":
            same, diff = sklearn_check(r["Z"], r["C0"], r)
            if name != "reseed":
                print(f"scikit-learn Lloyd from the same start: labels equal {same}, centroids differ by {diff:.2e}")

    # the elbow table: k-means++ (seed 42) for k = 1..6
    for k in range(1, 7):
        r = fit(X, k)
        print(f"elbow k = {k}: inertia {float(r['inertia'].sum())!r}, silhouette {float(r['silhouette'])!r}")

    # the sample silhouette on 5,000 points (k-means++, seed 7, k 3)
    G = grid_data()
    r = fit(G, 3, seed=7)
    print(f"== grid 5000: iterations {r['iterations']}, sizes {r['size'].tolist()}")
    for c, row in enumerate(r["centroids"], 1):
        print(f"  ({c}, ARRAY[{', '.join(repr(float(v)) for v in row)}])")
    print("total inertia", repr(float(r["inertia"].sum())), "silhouette", repr(float(r["silhouette"])),
          "sample", r["sample"])

    if write:
        with open(REF, "w") as f:
            f.write("id,given,plusplus,raw,reseed,plusplus_k6_seed7\n")
            for i in range(len(X)):
                f.write(f"{i + 1}," + ",".join(str(int(cases[c]['labels'][i]) + 1) for c in cases) + "\n")


if __name__ == "__main__":
    main()
