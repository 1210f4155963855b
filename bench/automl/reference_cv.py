#!/usr/bin/python3
"""Does a dataset's cross-validation rank model families as its test split does? (issue 17)

An independent reference for the search's misses: for each dataset, scikit-learn / XGBoost models
with their default settings — XGBoost, a logistic (or ridge) regression on standardised features and
scikit-learn's MLP — each scored by 5-fold cross-validation on train.csv (three shuffles) and on
test.csv after a fit on all of train.csv, with the dataset's primary metric. When the family that
cross-validation ranks best is not the one the test split ranks best, no selection by out-of-fold
scores (ours, Optuna's, anyone's) can pick the test split's winner.

Usage: /usr/bin/python3 bench/automl/reference_cv.py [DATASETS_DIR] name[,name...]
Debian packages: python3-sklearn python3-xgboost python3-pandas.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
SEEDS = (0, 1, 2)


def load(ds_dir, name):
    entries = {e["name"]: e for e in json.load(open(os.path.join(ds_dir, "datasets.json")))}
    e = entries[name]
    tr = pd.read_csv(os.path.join(ds_dir, name, "train.csv"))
    te = pd.read_csv(os.path.join(ds_dir, name, "test.csv"))
    tgt = e["target"]
    x = pd.get_dummies(tr.drop(columns=tgt), dummy_na=True).astype(float)
    xt = pd.get_dummies(te.drop(columns=tgt), dummy_na=True).reindex(columns=x.columns, fill_value=0).astype(float)
    med = x.median()
    x, xt = x.fillna(med).fillna(0), xt.fillna(med).fillna(0)
    if e["task"] == "regression":
        return e, x.values, tr[tgt].values.astype(float), xt.values, te[tgt].values.astype(float), None
    classes = sorted(tr[tgt].astype(str).unique())
    code = {c: i for i, c in enumerate(classes)}
    y = tr[tgt].astype(str).map(code).values
    yt = te[tgt].astype(str).map(code).fillna(-1).astype(int).values
    return e, x.values, y, xt.values, yt, classes


def models(task):
    if task == "regression":
        return {
            "xgboost": lambda: xgb.XGBRegressor(random_state=0),
            "linear": lambda: make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
            "mlp": lambda: make_pipeline(StandardScaler(), MLPRegressor((64,), max_iter=2000, random_state=0)),
        }
    return {
        "xgboost": lambda: xgb.XGBClassifier(random_state=0),
        "linear": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        "mlp": lambda: make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=2000, random_state=0)),
    }


def score(metric, y, p, k):
    if metric == "rmse":
        return float(np.sqrt(mean_squared_error(y, p)))
    if metric == "roc_auc":
        return float(roc_auc_score(y, p[:, 1]))
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(log_loss(y, p / p.sum(axis=1, keepdims=True), labels=list(range(k))))


def predict(m, x, task):
    return m.predict(x) if task == "regression" else m.predict_proba(x)


def main():
    args = sys.argv[1:]
    ds_dir = args.pop(0) if len(args) == 2 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "datasets")
    print("| dataset | metric | family | CV (3 shuffles) | test | CV rank | test rank |")
    print("|---|---|---|---|---|---|---|")
    for name in args[0].split(","):
        e, x, y, xt, yt, classes = load(ds_dir, name)
        task, metric = e["task"], e["primary_metric"]
        k = len(classes) if classes else 1
        rows = {}
        for fam, make in models(task).items():
            cvs = []
            for s in SEEDS:
                folds = (KFold if task == "regression" else StratifiedKFold)(5, shuffle=True, random_state=s)
                oof = np.zeros((len(y),) if task == "regression" else (len(y), k))
                for a, b in folds.split(x, y):
                    m = make().fit(x[a], y[a])
                    pr = predict(m, x[b], task)
                    if task == "regression":
                        oof[b] = pr
                    else:  # a fold may miss a rare class: place the columns it has
                        oof[np.ix_(b, m.classes_ if hasattr(m, "classes_") else m[-1].classes_)] = pr
                cvs.append(score(metric, y, oof, k))
            test = score(metric, yt, predict(make().fit(x, y), xt, task), k)
            rows[fam] = (float(np.mean(cvs)), min(cvs), max(cvs), test)
        sign = -1 if metric == "roc_auc" else 1
        cv_rank = sorted(rows, key=lambda f: sign * rows[f][0])
        test_rank = sorted(rows, key=lambda f: sign * rows[f][3])
        for fam, (cv, lo, hi, test) in rows.items():
            print(
                f"| {name} | {metric} | {fam} | {cv:.4f} ({lo:.4f}–{hi:.4f}) | {test:.4f} "
                f"| {cv_rank.index(fam) + 1} | {test_rank.index(fam) + 1} |"
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
