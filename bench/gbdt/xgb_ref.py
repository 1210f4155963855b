#!/usr/bin/env python3
"""xgboost reference for bench/gbdt: one-hot encodes categoricals with pandas, trains with xgboost's
defaults (tree_method=hist, 100 rounds, depth 6, eta 0.3, lambda 1, max_bin 256) and the given nthread,
writes test predictions in score.py's format, prints {"fit_seconds", "peak_rss_mb", ...} as JSON.

Usage: xgb_ref.py DATASET_DIR NTHREAD PREDICTIONS.csv
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb


def features(df, meta):
    out = {}
    for name, kind in meta["feature_types"].items():
        if name not in df.columns:
            continue
        col = df[name]
        if kind == "date":
            d = pd.to_datetime(col)
            out[name + "_days"] = (d - pd.Timestamp("1970-01-01")).dt.days
            out[name + "_year"] = d.dt.year
            out[name + "_month"] = d.dt.month
            out[name + "_day"] = d.dt.day
            out[name + "_dow"] = d.dt.dayofweek
            out[name + "_doy"] = d.dt.dayofyear
        elif kind == "categorical":
            out[name] = col.astype("string")
        else:
            out[name] = pd.to_numeric(col, errors="coerce")
    return pd.DataFrame(out)


def main():
    ddir, nthread, pred_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    meta = json.load(open(f"{ddir}/meta.json"))
    target = meta["target"]
    train = pd.read_csv(f"{ddir}/train.csv", keep_default_na=False, na_values=[""], dtype=str)
    test = pd.read_csv(f"{ddir}/test.csv", keep_default_na=False, na_values=[""], dtype=str)
    Xtr, Xte = features(train, meta), features(test, meta)
    cats = [c for c, k in meta["feature_types"].items() if k == "categorical" and c in Xtr.columns]
    both = pd.get_dummies(pd.concat([Xtr, Xte], keys=["tr", "te"]), columns=cats, dtype=float)
    Xtr, Xte = both.xs("tr").astype(float), both.xs("te").astype(float)
    task = meta["task"]
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.3, "lambda": 1.0, "max_bin": 256,
              "nthread": nthread, "seed": 0}
    if task == "regression":
        y = train[target].astype(float).values
        params["objective"] = "reg:squarederror"
    else:
        classes = meta["classes"]
        y = train[target].map({c: i for i, c in enumerate(classes)}).values
        if task == "binary":
            params["objective"] = "binary:logistic"
        else:
            params.update(objective="multi:softprob", num_class=len(classes))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    c0 = time.process_time()
    dtrain = xgb.DMatrix(Xtr.values, label=y, nthread=nthread)
    dm_s = time.perf_counter() - t0
    booster = xgb.train(params, dtrain, num_boost_round=100)
    fit_s = time.perf_counter() - t0
    cpu_s = time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p = booster.predict(xgb.DMatrix(Xte.values, nthread=nthread))
    if task == "regression":
        pd.DataFrame({"prediction": p}).to_csv(pred_path, index=False)
    elif task == "binary":
        # Probability of label 1, i.e. of classes[1].
        pd.DataFrame({meta["classes"][1]: p}).to_csv(pred_path, index=False)
    else:
        pd.DataFrame(p, columns=meta["classes"]).to_csv(pred_path, index=False)
    print(json.dumps({"fit_seconds": fit_s, "dmatrix_seconds": dm_s, "cpu_seconds": cpu_s, "peak_rss_mb": rss, "rss_before_fit_mb": rss0,
                      "n_features": int(Xtr.shape[1]), "xgboost": xgb.__version__}))


if __name__ == "__main__":
    main()
