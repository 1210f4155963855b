"""The reference for bench/cli/csv-to-gbdt.ts: the same job as `automl-studio fit --model gbdt` in one
Python process with XGBoost on 1 thread — read the CSV (the csv module; Debian has no pandas), encode
categories, hold out 20% (seeded), train XGBoost's defaults (100 rounds, hist, depth 6, eta 0.3) on
the rest with the holdout as evaluation set, score the holdout, refit on all rows, save the model.

    /usr/bin/python3 bench/cli/xgb_fit.py TRAIN.csv TARGET TASK OUT.json
"""
import csv
import sys

import numpy as np
import xgboost as xgb

path, target, task, out = sys.argv[1:5]
with open(path, newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
ti = header.index(target)
cols, types = [], []
for j, name in enumerate(header):
    if j == ti:
        continue
    raw = [r[j] for r in body]
    try:
        cols.append(np.array([float(v) if v != "" else np.nan for v in raw], dtype=np.float32))
        types.append("q")
    except ValueError:
        levels = {v: k for k, v in enumerate(sorted({v for v in raw if v != ""}))}
        cols.append(np.array([levels[v] if v != "" else np.nan for v in raw], dtype=np.float32))
        types.append("c")
X = np.column_stack(cols)
yraw = [r[ti] for r in body]
params = {"tree_method": "hist", "nthread": 1, "seed": 42}
if task == "regression":
    y = np.array([float(v) for v in yraw])
    params["objective"] = "reg:squarederror"
else:
    classes = sorted(set(yraw))
    y = np.array([classes.index(v) for v in yraw], dtype=np.float32)
    if len(classes) == 2:
        params["objective"] = "binary:logistic"
    else:
        params.update(objective="multi:softprob", num_class=len(classes))
rng = np.random.default_rng(42)
order = rng.permutation(len(y))
cut = int(len(y) * 0.8)
tr, va = order[:cut], order[cut:]
dtr = xgb.DMatrix(X[tr], label=y[tr], feature_types=types, enable_categorical=True)
dva = xgb.DMatrix(X[va], label=y[va], feature_types=types, enable_categorical=True)
model = xgb.train(params, dtr, num_boost_round=100, evals=[(dva, "valid")], verbose_eval=False)
pred = model.predict(dva)
dall = xgb.DMatrix(X, label=y, feature_types=types, enable_categorical=True)
final = xgb.train(params, dall, num_boost_round=100)
final.save_model(out)
print(f"trained on {len(y)} rows, {X.shape[1]} features ({types.count('c')} categorical); holdout {len(va)} rows")
