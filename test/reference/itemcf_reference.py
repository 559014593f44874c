#!/usr/bin/python3
# Independent reference for sql/itemcf_reference.sql and sql/itemcf_ratings.sql: item-based
# collaborative filtering by brute force over the dense user x item matrix, written from the
# definitions of issue 7 (README "Recommendations"), sharing no code with the extension.
#
#   /usr/bin/python3 test/reference/itemcf_reference.py
#
# writes test/reference/itemcf_reference.csv (every similarity of every co-occurring pair under
# 14 configurations, recommend() for every user under 4, predict_rating() for every user and 6
# target items under 4) and prints the held-out RMSE/MAE numbers pasted into itemcf_ratings.sql.
#
# The data are generated from an integer LCG that the SQL tests reproduce exactly:
#   mix(x) = (x * 1103515245 + 12345) mod 2^31,  unif(x) = mix(mix(x)) / 2^31.
import csv
import math
import os

import numpy as np

M = 2 ** 31


def mix(x):
    return (x * 1103515245 + 12345) % M


def unif(x):
    return mix(mix(x)) / M


def data_a():
    """300 random baskets over items i0..i39 (skewed popularity), ratings 1..5."""
    baskets = []
    for u in range(1, 301):
        m = 1 + (mix(u) >> 16) % 10
        seen = []
        for d in range(1, m + 1):
            z = unif(u * 64 + d)
            it = math.floor(40.0 * z * z)
            if it not in seen:
                seen.append(it)
        baskets.append((u, [("i%d" % it, float(1 + (mix(u * 1000 + it + 7) >> 12) % 5)) for it in seen]))
    return baskets


def data_b():
    """500 users rating items m00..m59 from a latent-factor model; the last item drawn is held out."""
    rows = []
    for u in range(1, 501):
        m = 8 + (mix(u + 7777) >> 16) % 13
        seen = []
        for d in range(1, m + 1):
            z = unif(u * 64 + d + 900000)
            it = math.floor(60.0 * z * z)
            if it not in seen:
                seen.append(it)
        fu = 2 * unif(u + 100000) - 1
        bu = unif(u + 300000) - 0.5
        items = []
        for it in seen:
            gi = 2 * unif(it + 200000) - 1
            bi = unif(it + 400000) - 0.5
            noise = unif(u * 100 + it + 500000) - 0.5
            r = 3 + 1.0 * bu + 1.5 * bi + 1.5 * fu * gi + 0.8 * noise
            items.append(("m%02d" % it, float(min(5, max(1, math.floor(r + 0.5))))))
        rows.append((u, items))
    return rows


class Model:
    """Dense user x item matrices of a basket set and every similarity from the definitions."""

    def __init__(self, baskets, rated):
        names = sorted({i for _, b in baskets for i, _ in b}, key=lambda s: s.encode())
        self.names = names
        self.idx = {n: k for k, n in enumerate(names)}
        nu, ni = len(baskets), len(names)
        self.X = np.zeros((nu, ni))
        self.B = np.zeros((nu, ni), dtype=bool)
        self.Xc = np.zeros((nu, ni))          # ratings centred by the user's mean
        for r, (_, b) in enumerate(baskets):
            vals = [v if rated else 1.0 for _, v in b]
            mean = sum(vals) / len(vals)
            for (i, _), v in zip(b, vals):
                self.X[r, self.idx[i]] = v
                self.B[r, self.idx[i]] = True
                self.Xc[r, self.idx[i]] = v - mean
        self.rated = rated
        self.n = self.B.sum(axis=0)
        self.mu = self.X.sum(axis=0) / self.n
        self.C = self.B.astype(np.int64).T @ self.B.astype(np.int64)   # common users

    def sim(self, a, b, measure, min_support=1, shrinkage=0.0):
        c = int(self.C[a, b])
        if c == 0 or c < min_support:
            return 0.0
        com = self.B[:, a] & self.B[:, b]
        x, y = self.X[com, a], self.X[com, b]
        if measure == "cosine":
            if not self.rated:
                s = c / math.sqrt(float(self.n[a]) * float(self.n[b]))
            else:
                den = math.sqrt(np.dot(self.X[:, a], self.X[:, a])) * math.sqrt(np.dot(self.X[:, b], self.X[:, b]))
                s = np.dot(self.X[:, a], self.X[:, b]) / den if den > 0 else 0.0
        elif measure == "jaccard":
            s = c / (float(self.n[a]) + float(self.n[b]) - c)
        elif measure == "pearson":
            xm, ym = x - x.mean(), y - y.mean()
            den = math.sqrt(np.dot(xm, xm) * np.dot(ym, ym))
            s = np.dot(xm, ym) / den if den > 0 else 0.0
        elif measure == "adjusted_cosine":
            xc, yc = self.Xc[com, a], self.Xc[com, b]
            den = math.sqrt(np.dot(xc, xc) * np.dot(yc, yc))
            s = np.dot(xc, yc) / den if den > 0 else 0.0
        else:  # msd
            s = 1.0 / (1.0 + np.mean((x - y) ** 2))
        if shrinkage > 0:
            s = s * (c / (c + shrinkage))
        return float(s)

    def topk(self, a, k, measure, ms=1, lam=0.0):
        cands = []
        for b in range(len(self.names)):
            if b != a and self.C[a, b] > 0:
                s = self.sim(a, b, measure, ms, lam)
                if s > 0:
                    cands.append((s, b))
        cands.sort(key=lambda t: (-t[0], self.names[t[1]].encode()))
        return cands[:k]

    def recommend(self, items, weights, n, k, measure, exclude_seen=True, ms=1, lam=0.0):
        ids = [self.idx[i] for i in items if i in self.idx]
        ws = [w for i, w in zip(items, weights) if i in self.idx]
        score = {}
        for j, w in zip(ids, ws):
            for s, i in self.topk(j, k, measure, ms, lam):
                score[i] = score.get(i, 0.0) + w * s
        out = [(v, i) for i, v in score.items() if v > 0 and not (exclude_seen and i in ids)]
        out.sort(key=lambda t: (-t[0], self.names[t[1]].encode()))
        return [(self.names[i], v) for v, i in out[:n]]

    def predict(self, items, ratings, target, k, measure, min_k=1, ms=1):
        if target not in self.idx:
            return None
        t = self.idx[target]
        cands = []
        for i, r in zip(items, ratings):
            if i not in self.idx or i == target:
                continue
            j = self.idx[i]
            if self.C[t, j] == 0:
                continue
            s = self.sim(t, j, measure, ms)
            if s > 0:
                cands.append((s, j, r))
        cands.sort(key=lambda c: (-c[0], self.names[c[1]].encode()))
        cands = cands[:k]
        if len(cands) < min_k:
            return float(self.mu[t])
        num = den = 0.0
        for s, j, r in cands:
            den += s
            num += s * (r - self.mu[j])
        return float(self.mu[t] + num / den)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    a = data_a()
    imp, rat = Model(a, False), Model(a, True)
    rows = []
    pair_configs = [
        ("implicit", "cosine", 1, 0.0), ("implicit", "jaccard", 1, 0.0), ("implicit", "msd", 1, 0.0),
        ("implicit", "pearson", 1, 0.0), ("implicit", "adjusted_cosine", 1, 0.0),
        ("rated", "cosine", 1, 0.0), ("rated", "jaccard", 1, 0.0), ("rated", "pearson", 1, 0.0),
        ("rated", "adjusted_cosine", 1, 0.0), ("rated", "msd", 1, 0.0), ("rated", "cosine", 3, 0.0),
        ("rated", "pearson", 2, 10.0), ("rated", "msd", 1, 5.0), ("rated", "jaccard", 2, 2.5),
        ("rated", "adjusted_cosine", 3, 1.0),
    ]
    for cid, (kind, meas, ms, lam) in enumerate(pair_configs, 1):
        m = imp if kind == "implicit" else rat
        for x in range(len(m.names)):
            for y in range(x + 1, len(m.names)):
                if m.C[x, y] > 0:
                    s = m.sim(x, y, meas, ms, lam)
                    if s > 0:
                        rows.append(("pair", cid, m.names[x], m.names[y], 0, repr(s)))
    rec_configs = [  # model, measure, k, n, min_support, shrinkage, weights from ratings, exclude_seen
        ("implicit", "cosine", 5, 5, 1, 0.0, False, True),
        ("implicit", "jaccard", 3, 4, 2, 1.5, False, True),
        ("rated", "msd", 4, 5, 1, 0.0, True, True),
        ("rated", "cosine", 20, 10, 1, 0.0, False, False),
    ]
    for cid, (kind, meas, k, n, ms, lam, weighted, excl) in enumerate(rec_configs, 1):
        m = imp if kind == "implicit" else rat
        for u, b in a:
            items = [i for i, _ in b]
            ws = [r if weighted else 1.0 for _, r in b]
            for rank, (i, v) in enumerate(m.recommend(items, ws, n, k, meas, excl, ms, lam), 1):
                rows.append(("recommend", cid, str(u), i, rank, repr(v)))
    pred_configs = [("msd", 40, 1, 1), ("cosine", 2, 2, 1), ("pearson", 40, 1, 1), ("adjusted_cosine", 3, 1, 2)]
    targets = ["i0", "i1", "i2", "i5", "i13", "i30"]
    for cid, (meas, k, min_k, ms) in enumerate(pred_configs, 1):
        for u, b in a:
            for t in targets:
                p = rat.predict([i for i, _ in b], [r for _, r in b], t, k, meas, min_k, ms)
                rows.append(("predict", cid, str(u), t, 0, repr(p)))
    with open(os.path.join(here, "itemcf_reference.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "config", "a", "b", "rank", "value"])
        w.writerows(rows)
    print("itemcf_reference.csv: %d rows" % len(rows))
    print("implicit: %d items, %d pairs" % (len(imp.names), int((np.triu(imp.C, 1) > 0).sum())))

    # held-out ratings (data set B)
    b = data_b()
    train, test = [], []
    for u, items in b:
        if len(items) >= 3:
            train.append((u, items[:-1]))
            test.append((u, items[:-1], items[-1]))
        else:
            train.append((u, items))
    m = Model(train, True)
    print("ratings: %d users, %d training ratings, %d held out" % (
        len(b), sum(len(x) for _, x in train), len(test)))
    for meas, k in [("msd", 40), ("cosine", 40), ("pearson", 40), ("adjusted_cosine", 40), ("msd", 10)]:
        errs, errs_mean = [], []
        for u, items, (t, r) in test:
            p = m.predict([i for i, _ in items], [x for _, x in items], t, k, meas)
            if p is None:
                continue
            errs.append(p - r)
            errs_mean.append(m.mu[m.idx[t]] - r)
        e, em = np.array(errs), np.array(errs_mean)
        print("%-16s k=%-3d n=%d rmse %.12f mae %.12f | item means rmse %.12f mae %.12f" % (
            meas, k, len(e), math.sqrt(np.mean(e ** 2)), np.mean(np.abs(e)),
            math.sqrt(np.mean(em ** 2)), np.mean(np.abs(em))))


if __name__ == "__main__":
    main()
