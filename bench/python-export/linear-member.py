#!/usr/bin/env python3
"""A bundle's linear member against the exported train.py's, on the same pipeline features: the value of
the studio's own objective (mean log loss + l2·Σw² + l1·Σ|w|, intercept not penalised), train and test
log loss, the largest probability difference from the studio's model on the test rows, and the studio's
training procedure replayed in NumPy (train.py's MLP trainer with no hidden layer, the bundle's epochs)
for a few seeds. Classification only (the bench README's wine note).

    python3 bench/python-export/linear-member.py PROJECT BUNDLE TRAIN.csv TEST.csv [MEMBER]

PROJECT is the exported project, BUNDLE the bundle folder it came from, MEMBER the member's index in
settings.json "members" (default: the first linear one).
"""
import base64
import importlib.util
import json
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")
project, bundle, train_csv, test_csv = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("train", f"{project}/train.py")
tp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tp)
settings = json.load(open(f"{project}/settings.json", encoding="utf-8"))
members = tp.members_of(settings)
k = int(sys.argv[5]) if len(sys.argv) > 5 else next(i for i, m in enumerate(members) if m["family"] == "linear")
member = members[k]
if member["task"] == "regression":
    sys.exit("classification members only")
trial = member.get("trial")
model = json.load(open(f"{bundle}/model.json", encoding="utf-8"))
state = next(m["model"] for m in model["members"] if m.get("trial") == trial) if "members" in model else model

df, y = tp.read_table(train_csv, settings, need_target=True)
test, y_test = tp.read_table(test_csv, settings, need_target=True)
cols = [c["name"] for c in member["inputs"]]
states, layout, X = tp.fit_pipeline(df[cols], y, member)
X_test = tp.transform(test[cols], states, layout, member)

f64 = lambda s: np.frombuffer(base64.b64decode(s), "<f8")  # noqa: E731
f32 = lambda s: np.frombuffer(base64.b64decode(s), "<f4")  # noqa: E731
mean, std = f64(state["inputMean"]), f64(state["inputStd"])
layer = state["state"]["layers"][0]
W, b = f32(layer["w"]).reshape(layer["nIn"], layer["nOut"]), f32(layer["b"])
cfg = state["state"]["config"]


def probabilities(z):
    if z.shape[1] == 1:
        p = 1 / (1 + np.exp(-z[:, 0]))
        return np.column_stack([1 - p, p])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def studio(X):
    return probabilities(np.nan_to_num((X.to_numpy(float) - mean) / std) @ W + b)


def as_matrix(p):
    return np.column_stack([1 - p, p]) if p.ndim == 1 else p


def log_loss(P, y):
    return float(-np.mean(np.log(np.clip(P[np.arange(len(y)), y.astype(int)], 1e-15, 1))))


def objective(P, y, weights):
    return log_loss(P, y) + cfg["l2"] * float((weights ** 2).sum()) + cfg["l1"] * float(np.abs(weights).sum())


fitted = tp.train_linear(X, y, member)
coef = np.atleast_2d(fitted.model.coef_).T
print(f"member {k} (trial {trial}): linear, l2 {cfg['l2']}, l1 {cfg['l1']}, {cfg['epochs']} epochs at learning rate "
      f"{cfg['learningRate']}; {len(y)} training rows, {len(y_test)} test rows")
rows = [("studio (the bundle's weights)", objective(studio(X), y, W), log_loss(studio(X), y),
         log_loss(studio(X_test), y_test), 0.0),
        ("train.py (scikit-learn)", objective(as_matrix(fitted.predict(X)), y, coef),
         log_loss(as_matrix(fitted.predict(X)), y), log_loss(as_matrix(fitted.predict(X_test)), y_test),
         float(np.abs(as_matrix(fitted.predict(X_test)) - studio(X_test)).max()))]
for seed in (1, 2, 3):
    replay = dict(member, family="mlp", mlp={
        "hidden": [], "activation": "relu", "dropout": 0, "learning_rate": cfg["learningRate"],
        "epochs": cfg["epochs"], "batch_size": cfg["batchSize"], "l2": cfg["l2"], "l1": cfg["l1"],
        "seed": seed, "huber": False})
    net = tp.train_mlp(X, y, replay)
    rows.append((f"studio's procedure in NumPy, seed {seed}", objective(as_matrix(net.predict(X)), y, net.W[0]),
                 log_loss(as_matrix(net.predict(X)), y), log_loss(as_matrix(net.predict(X_test)), y_test),
                 float(np.abs(as_matrix(net.predict(X_test)) - studio(X_test)).max())))
print(f"{'model':40s} {'objective':>10s} {'train LL':>9s} {'test LL':>9s} {'max|dp|':>8s}")
for name, obj, tr, te, dp in rows:
    print(f"{name:40s} {obj:10.4f} {tr:9.4f} {te:9.4f} {dp:8.3f}")
