#!/usr/bin/python3
"""Reference for sql/embed_features.sql: a logistic regression on builtin embeddings of labelled
feedback texts, fitted by statsmodels on vectors from the independent Python embedder.

Run the data part of sql/embed_features.sql (up to the CREATE TABLE emb_feedback ... PRIMARY KEY)
in a database, then, with PGHOST/PGPORT/PGDATABASE pointing at it:

    /usr/bin/python3 test/reference/embed_features.py

It reads the texts and labels with psql, embeds them with test/reference/embed_builtin.py at 32
dims, fits statsmodels' Logit (no penalty, with an intercept, as marketiq.logreg) on the rows with
id % 3 <> 0, and prints the held-out accuracy (rows with id % 3 = 0) and the majority baseline.
"""
import os
import subprocess
import sys

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from embed_builtin import embed  # noqa: E402

out = subprocess.run(['psql', '-X', '-At', '-F', '\t', '-c',
                      'SELECT id, body, positive FROM emb_feedback ORDER BY id'],
                     capture_output=True, text=True, check=True).stdout
rows = [line.split('\t') for line in out.rstrip('\n').split('\n')]
ids = np.array([int(r[0]) for r in rows])
y = np.array([1.0 if r[2] == 't' else 0.0 for r in rows])
X = np.array([embed(r[1], 32)[0] for r in rows])
train, test = ids % 3 != 0, ids % 3 == 0
fit = sm.Logit(y[train], sm.add_constant(X[train])).fit(disp=0, method='newton', maxiter=100, tol=1e-12)
p = fit.predict(sm.add_constant(X[test]))
correct = int(((p > 0.5) == (y[test] == 1)).sum())
print('train rows %d, held-out rows %d' % (train.sum(), test.sum()))
print('pseudo R2 (McFadden) %.3f' % fit.prsquared)
print('held-out correct %d, accuracy %.3f' % (correct, correct / test.sum()))
print('majority baseline %.3f' % max(y[test].mean(), 1 - y[test].mean()))
print('closest held-out probability to 0.5: %.4f' % np.abs(p - 0.5).min())
