#!/usr/bin/python3
"""What a fixed share of the default GBDT would do to the search's test metric (issue 17).

A measurement, not a rule: for each dataset and seed, the search's test predictions (run.ts writes
`.bench-out/automl/<dataset>.<seed>.csv`) blended with the default GBDT's (defaults.ts writes
`.bench-out/automl-defaults/<dataset>.default.csv`) as (1 − w)·search + w·default, for each w, scored
with the dataset's primary metric by the datasets' own score.py. It asks
whether a prior toward the default GBDT — a weight the out-of-fold selection did not choose — would
pay on the test splits: decide on TUNE, report CHECK.

Usage: /usr/bin/python3 bench/automl/blend_default.py SEARCH_DIR DEFAULTS_DIR name[,name...] [--w 0,0.1,0.25,0.5]
"""
import csv
import importlib.util
import json
import os
import sys
import tempfile

DS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "datasets")
DS = os.environ.get("DATASETS_DIR", DS)


def load_scorer():
    """The datasets' own score.py, so a blend is scored exactly as the bench scores a prediction file."""
    spec = importlib.util.spec_from_file_location("score", os.path.join(DS, "score.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.score


def read(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        return head, [[float(v) for v in row] for row in r]


def main():
    args = sys.argv[1:]
    ws = [0.0, 0.1, 0.25, 0.5]
    if "--w" in args:
        i = args.index("--w")
        ws = [float(v) for v in args[i + 1].split(",")]
        del args[i : i + 2]
    search_dir, defaults_dir, names = args[0], args[1], args[2].split(",")
    score = load_scorer()
    tmp = os.path.join(tempfile.mkdtemp(prefix="blend-"), "blend.csv")

    def metric(ddir, primary, head, rows):
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(head)
            w.writerows([repr(v) for v in row] for row in rows)
        return score(ddir, tmp)["metrics"][primary]

    print("| dataset | metric | seed | " + " | ".join(f"w = {w:g}" for w in ws) + " | default alone |")
    print("|---|---|---|" + "---|" * (len(ws) + 1))
    for name in names:
        ddir = os.path.join(DS, name)
        primary = json.load(open(os.path.join(ddir, "meta.json")))["primary_metric"]
        default_path = os.path.join(defaults_dir, f"{name}.default.csv")
        dh, drows = read(default_path)
        default_alone = score(ddir, default_path)["metrics"][primary]
        for seed in (42, 43, 44):
            path = os.path.join(search_dir, f"{name}.{seed}.csv")
            if not os.path.exists(path):
                continue
            sh, srows = read(path)
            # the default's columns in the search file's order (both name their class columns)
            d = [[row[dh.index(c)] for c in sh] for row in drows]
            cells = [
                metric(ddir, primary, sh, [[(1 - w) * a + w * b for a, b in zip(rs, rd)] for rs, rd in zip(srows, d)])
                for w in ws
            ]
            fmt = (lambda v: f"{v:.1f}") if abs(cells[0]) >= 100 else (lambda v: f"{v:.4f}")
            print(f"| {name} | {primary} | {seed} | " + " | ".join(fmt(v) for v in cells) + f" | {fmt(default_alone)} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
