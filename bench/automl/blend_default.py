#!/usr/bin/python3
"""What a fixed share of the default GBDT would do to the search's test metric (issue 17).

A measurement, not a rule: for each dataset and seed, the search's test predictions (run.ts writes
`.bench-out/automl/<dataset>.<seed>.csv`) blended with the default GBDT's (defaults.ts writes
`.bench-out/automl-defaults/<dataset>.default.csv`) as (1 − w)·search + w·default, for each w, scored
with the dataset's primary metric (log loss clipped and renormalised as score.py does). It asks
whether a prior toward the default GBDT — a weight the out-of-fold selection did not choose — would
pay on the test splits: decide on TUNE, report CHECK.

Usage: /usr/bin/python3 bench/automl/blend_default.py SEARCH_DIR DEFAULTS_DIR name[,name...] [--w 0,0.1,0.25,0.5]
"""
import csv
import json
import math
import os
import sys

DS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "datasets")
DS = os.environ.get("DATASETS_DIR", DS)
EPS = 1e-15


def read(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        return head, [[float(v) for v in row] for row in r]


def truth(name, target):
    with open(os.path.join(DS, name, "test.csv"), newline="") as f:
        return [row[target] for row in csv.DictReader(f)]


def probs(head, rows, classes):
    """Rows of probabilities in `classes` order (a single binary column is the other's complement)."""
    if len(head) == 1 and len(classes) == 2:
        j = classes.index(head[0])
        return [[1 - r[0], r[0]] if j == 1 else [r[0], 1 - r[0]] for r in rows]
    idx = [head.index(c) for c in classes]
    return [[r[i] for i in idx] for r in rows]


def auc(y, s):
    pairs = sorted(zip(s, y))
    ranks, i = [0.0] * len(pairs), 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(1 for _, t in pairs if t)
    neg = len(pairs) - pos
    return (sum(r for r, (_, t) in zip(ranks, pairs) if t) - pos * (pos + 1) / 2) / (pos * neg)


def score(meta, y, pred):
    m = meta["primary_metric"]
    if m == "rmse":
        return math.sqrt(sum((float(t) - p) ** 2 for t, p in zip(y, pred)) / len(y))
    classes = meta["classes"]
    if m == "roc_auc":
        pos = classes.index(meta["positive_class"])
        return auc([t == meta["positive_class"] for t in y], [p[pos] for p in pred])
    total = 0.0
    for t, p in zip(y, pred):
        c = [min(max(v, EPS), 1 - EPS) for v in p]
        total -= math.log(c[classes.index(t)] / sum(c))
    return total / len(y)


def main():
    args = sys.argv[1:]
    ws = [0.0, 0.1, 0.25, 0.5]
    if "--w" in args:
        i = args.index("--w")
        ws = [float(v) for v in args[i + 1].split(",")]
        del args[i : i + 2]
    search_dir, defaults_dir, names = args[0], args[1], args[2].split(",")
    print("| dataset | metric | seed | " + " | ".join(f"w = {w:g}" for w in ws) + " | default alone |")
    print("|---|---|---|" + "---|" * (len(ws) + 1))
    for name in names:
        meta = json.load(open(os.path.join(DS, name, "meta.json")))
        y = truth(name, meta["target"])
        dh, drows = read(os.path.join(defaults_dir, f"{name}.default.csv"))
        reg = meta["primary_metric"] == "rmse"
        d = [r[0] for r in drows] if reg else probs(dh, drows, meta["classes"])
        for seed in (42, 43, 44):
            path = os.path.join(search_dir, f"{name}.{seed}.csv")
            if not os.path.exists(path):
                continue
            sh, srows = read(path)
            s = [r[0] for r in srows] if reg else probs(sh, srows, meta["classes"])
            cells = []
            for w in ws:
                if reg:
                    b = [(1 - w) * a + w * c for a, c in zip(s, d)]
                else:
                    b = [[(1 - w) * a + w * c for a, c in zip(ra, rc)] for ra, rc in zip(s, d)]
                cells.append(score(meta, y, b))
            fmt = (lambda v: f"{v:.1f}") if reg and abs(cells[0]) >= 100 else (lambda v: f"{v:.4f}")
            print(f"| {name} | {meta['primary_metric']} | {seed} | " + " | ".join(fmt(v) for v in cells) + f" | {fmt(score(meta, y, d))} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
