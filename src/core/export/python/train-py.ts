/**
 * The train.py of an exported Python project (index.ts): a fixed script that reads settings.json beside it.
 * Kept as Python source text; String.raw keeps its backslashes as written.
 */
export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""Retrains an AutoML Studio model with pandas, XGBoost and scikit-learn.

Exported from an AutoML Studio model bundle (see README.md and settings.json). The preprocessing steps
of the bundle's pipeline are fitted again on the rows of --train, exactly in the order the studio ran
them; the model (settings.json "family") is gradient-boosted trees trained by XGBoost with the bundle's
hyperparameters, a random forest or a linear model trained by scikit-learn, or an MLP trained the
studio's way in NumPy. An AutoML
ensemble ("members") trains each member with its own preprocessing and averages their predictions
with the members' weights.

    python train.py --train data.csv [--predict new.csv --out predictions.csv]
                    [--scheduler local|none|ADDRESS] [--blocksize 64MB] [--model model.json]
                    [--metrics FILE]

--scheduler none reads --train with pandas and trains in this process. local (the default) runs a
Dask LocalCluster (2 workers, 1 thread each, in this process); anything else is a Dask scheduler
address (tcp://host:8786). With a scheduler, --train may be any fsspec URL; it is read in blocks of
--blocksize bytes, the preprocessing statistics are reduced partition by partition (each step's
statistics for all its columns in one pass over the data, not one pass per column), every transform
runs on each partition, and boosted trees train through xgboost.dask: memory is bounded by the
partitions. Random forests, linear models and MLPs have no distributed trainer: their features are
collected into this process. The median of impute is approximate over Dask, and target encoding's
out-of-fold folds are drawn per partition. With a scheduler --predict is read and predicted block by
block too, its predictions written in the file's order. When mlflow is importable, the run is logged
to MLflow (--no-mlflow to skip).
"""
import argparse
import contextlib
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
OTHER = "(other)"
MISSING = "(missing)"
# The studio's missing-value tokens ('' after trimming counts as missing too).
NA_TOKENS = {"NA", "N/A", "n/a", "null", "NULL", "NaN", "nan", "None", "?", "-", "--", "#N/A"}
TRUE_TOKENS = {"true", "yes", "t", "y", "1"}
FALSE_TOKENS = {"false", "no", "f", "n", "0"}
TARGET = "__target__"  # the target's column in the cluster path's frames


class ExportError(Exception):
    """A setting this project cannot reproduce, or bad input data: the message says which."""


# ---------------------------------------------------------------------------------------- reading


def read_table(path, settings, need_target):
    """Reads a CSV as the studio does: NA tokens are missing, each column parsed as its training type."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as err:
        raise ExportError(f"{path}: cannot read the CSV ({err})")
    raw.columns = [c.strip() for c in raw.columns]
    check_columns(raw.columns, settings, path, need_target)
    df = parse_inputs(raw, settings)
    if not need_target:
        return df, None
    y = read_target(raw[settings["target"]].str.strip(), settings, path)
    keep = ~np.isnan(y)  # rows without a target are left out of training, as in the studio
    return df[keep].reset_index(drop=True), y[keep]


def read_partitioned(path, settings, blocksize):
    """The cluster path's reader: dask.dataframe.read_csv in blocks of blocksize bytes (a local path or
    any fsspec URL: s3://, gs://, https://, file://), each block parsed as read_table parses the whole
    file. Returns the features and the target as Dask collections with the same partitions."""
    import dask.dataframe as dd

    try:
        raw = dd.read_csv(path, dtype=str, keep_default_na=False, blocksize=blocksize)
    except (OSError, ValueError) as err:
        raise ExportError(f"{path}: cannot read the CSV ({err})")
    raw.columns = [c.strip() for c in raw.columns]
    check_columns(raw.columns, settings, path, True)
    df = raw.map_partitions(parse_block, settings, path, meta=parse_block(raw._meta, settings, path))
    return df.drop(columns=[TARGET]), df[TARGET]


def parse_block(raw, settings, path):
    """One block of the CSV: the features and the target (column TARGET), rows without a target left out."""
    df = parse_inputs(raw, settings)
    df[TARGET] = read_target(raw[settings["target"]].str.strip(), settings, path)
    return df[df[TARGET].notna()]


def check_columns(columns, settings, path, need_target):
    # a column every model drops may be absent
    dropped = set.intersection(*[{c for s in m["steps"] if s["kind"] == "drop" for c in s["columns"]}
                                 for m in members_of(settings)])
    lacking = [c["name"] for c in settings["inputs"] if c["name"] not in columns and c["name"] not in dropped]
    if lacking:
        raise ExportError(f"{path}: the data lacks column(s) the model needs: {', '.join(lacking)}")
    if need_target and settings["target"] not in columns:
        raise ExportError(f"{path}: no target column '{settings['target']}'")


def parse_inputs(raw, settings):
    """The input columns of a frame of text cells, each parsed as its training type."""
    columns = {}  # built apart and joined once: a frame grown column by column fragments
    for col in settings["inputs"]:
        name, kind = col["name"], col["type"]
        if name not in raw.columns:
            continue
        text = raw[name].str.strip()
        text = text.where(~(text.isin(NA_TOKENS) | (text == "")))
        if kind in ("numeric", "integer"):
            columns[name] = pd.to_numeric(text, errors="coerce").astype(float)
        elif kind == "boolean":
            low = text.str.lower()
            columns[name] = np.where(low.isin(TRUE_TOKENS), 1.0, np.where(low.isin(FALSE_TOKENS), 0.0, np.nan))
        elif kind == "datetime":
            columns[name] = pd.to_datetime(text, utc=True, errors="coerce")
        else:  # categorical, text, id: labels
            columns[name] = text.astype(object)
    return pd.DataFrame(columns, index=raw.index)


def read_target(text, settings, path):
    if settings["task"] == "regression":
        return pd.to_numeric(text.where(~text.isin(NA_TOKENS)), errors="coerce").to_numpy(float)
    classes = settings["classes"]
    index = {c: k for k, c in enumerate(classes)}
    y = np.full(len(text), np.nan)
    unknown = set()
    for i, v in enumerate(text):
        if v == "" or v in NA_TOKENS:
            continue
        if v not in index:
            unknown.add(v)
            continue
        y[i] = index[v]
    if unknown:
        shown = ", ".join(sorted(unknown)[:5])
        raise ExportError(f"{path}: target '{settings['target']}' holds label(s) the model does not know: {shown} "
                          f"(classes: {', '.join(classes)})")
    return y


# ---------------------------------------------------------------------------------------- steps
# Each step: fit(df, step, y, settings) -> state (fitted on the training rows only) and
# apply(df, step, state) -> df. Semantics follow src/core/pipeline/steps/*.ts of the studio.
# On the cluster path df and y are Dask collections: fit then reduces them partition by partition
# (counts, sums, moments: over_parts), a kind of statistic for all the step's columns in one pass
# (per_column: one Dask compute, each re-reading the CSV, so a wide file is not read once per column),
# and apply runs on each partition (apply_parts).


def is_dask(x):
    return hasattr(x, "dask")


def over_parts(data, part_fn, combine=sum):
    """combine([part_fn(partition), ...]): a statistic reduced partition by partition, on the Dask
    workers when data is a Dask collection (pandas data is one partition). Only the small per-partition
    results travel. (Explicit, as Debian's dask 2022.12 built-in reductions fail on distributed.)"""
    if not is_dask(data):
        return combine([part_fn(data)])
    import dask

    return combine(dask.compute(*[dask.delayed(part_fn)(part) for part in data.to_delayed()]))


def collect(data):
    """A Dask collection's partitions, computed and joined in order into one pandas object in this
    process (not data.compute(): Debian's dask 2022.12 on distributed returns its graph's tasks as values)."""
    import dask

    return pd.concat(dask.compute(*data.to_delayed()))


def add_counts(parts):
    return pd.concat(parts).groupby(level=0).sum()


def per_column(df, names, part_fn, combine=sum):
    """{name: combine([part_fn(the column in each partition), ...])} for all the columns at once: one
    pass over the data (one Dask compute, not one per column and statistic, each re-reading the CSV)."""
    names = list(names)
    if not names:
        return {}
    parts = over_parts(df, lambda part: [part_fn(part[name]) for name in names], list)
    return {name: combine([p[k] for p in parts]) for k, name in enumerate(names)}


def label_counts_of(df, names):
    """{name: [(label, count)], most frequent first, ties by label (the studio's order)}, in one pass."""
    counts = per_column(df, names, lambda col: col.dropna().astype(str).value_counts(), add_counts)
    return {name: sorted(c.items(), key=lambda lc: (-lc[1], lc[0])) for name, c in counts.items()}


def means_of(df, names, values=lambda col: col):
    """The mean of each column's non-missing values(column) (exactly NumPy's on pandas data; 0 for a
    column with none), in one pass."""
    if not is_dask(df):
        return {name: mean_of(v) if len(v) else 0.0 for name in names for v in [values(df[name]).dropna()]}
    sums = per_column(df, names, lambda col: np.array([values(col).sum(), values(col).count()], float))
    return {name: float(total / n) if n else 0.0 for name, (total, n) in sums.items()}


def stds_of(df, means, values=lambda col: col):
    """The population standard deviation of each column's values(column) about its mean (a second pass,
    for all the columns; 0 for a column with fewer than two values)."""
    if not is_dask(df):
        return {name: float(v.to_numpy(float).std()) if len(v) > 1 else 0.0
                for name, m in means.items() for v in [values(df[name]).dropna()]}
    squares = per_column(df, means, lambda col: np.array([((values(col) - means[col.name]) ** 2).sum(),
                                                           values(col).count()], float))
    return {name: float(math.sqrt(sq / n)) if n > 1 else 0.0 for name, (sq, n) in squares.items()}


def medians_of(df, names):
    """Each column's median: exact on pandas data. Over Dask it is APPROXIMATE: each partition sends its
    101 percentiles weighted by its row count, and the weighted median of those is taken (the error is
    within about 1% of the rank, less with more partitions). One pass for all the columns."""
    if not is_dask(df):
        return {name: float(np.median(df[name].dropna().to_numpy(float))) for name in names}
    points = per_column(df, names, lambda col: percentiles(col.dropna()), list)
    return {name: weighted_median(p) for name, p in points.items()}


def n_rows(df):
    return over_parts(df, len)


def mean_of(v):
    """The mean of the numbers v (exactly NumPy's on pandas data; over Dask a sum and count per partition)."""
    if not is_dask(v):
        return float(v.to_numpy(float).mean())
    total, n = over_parts(v, lambda part: np.array([part.sum(), part.count()], float))
    return float(total / n)


def percentiles(part):
    x = part.to_numpy(float)
    return (np.percentile(x, np.arange(101)), np.full(101, len(x) / 101)) if len(x) else (np.zeros(0), np.zeros(0))


def weighted_median(points):
    """The weighted median of the partitions' (percentiles, weights)."""
    values = np.concatenate([p for p, _ in points])
    weights = np.concatenate([w for _, w in points])
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def apply_parts(apply, df, *args):
    """apply(df, *args) on a pandas frame, or on each partition of a Dask frame."""
    if is_dask(df):
        return df.map_partitions(apply, *args, meta=apply(df._meta, *args))
    return apply(df, *args)


def label_counts(series):
    """[(label, count)], most frequent first, ties by label (the studio's order)."""
    counts = over_parts(series, lambda part: part.dropna().astype(str).value_counts(), add_counts)
    return sorted(counts.items(), key=lambda lc: (-lc[1], lc[0]))


def labels_of(series):
    return series.astype(object).where(series.notna()).map(lambda v: v if v is None or v != v else str(v))


def fit_drop(df, step, y, settings):
    return None


def apply_drop(df, step, state):
    return df.drop(columns=[c for c in step["columns"] if c in df.columns])


def fit_impute(df, step, y, settings):
    """Fill values per column (the most frequent label; a flag's majority; the numbers' mean, median or
    most frequent value) and the columns that get a missing indicator. Each kind of statistic is taken
    for all the step's columns in one pass over the data."""
    cfg = step.get("config") or {}
    strategy = cfg.get("strategy", "median")
    fill_value = cfg.get("fillValue")
    kinds = {c["name"]: c["type"] for c in settings["inputs"]}
    names = step["columns"]
    labels = [n for n in names if is_labels(df[n])]
    flags = [n for n in names if n not in labels and kinds.get(n) == "boolean"]
    numbers = [n for n in names if n not in labels and n not in flags]
    counts = label_counts_of(df, labels if strategy != "constant" else [])
    ones_zeros = per_column(df, flags, lambda col: np.array([(col == 1).sum(), (col == 0).sum()]))
    present = per_column(df, numbers, lambda col: int(col.count())) if strategy != "constant" else {}
    known = [n for n in numbers if present.get(n)]
    if strategy == "mean":
        centres = means_of(df, known)
    elif strategy == "median":
        centres = medians_of(df, known)  # approximate over Dask
    elif strategy != "constant":  # most frequent, smallest on ties
        frequent = per_column(df, known, lambda col: col.dropna().value_counts(), add_counts)
        centres = {n: float(min(c.index[c == c.max()])) for n, c in frequent.items()}
    fills = {}
    for name in labels:
        if strategy == "constant" or not counts[name]:
            fills[name] = str(fill_value if fill_value is not None else MISSING)
        else:
            fills[name] = counts[name][0][0]
    for name in flags:
        ones, zeros = ones_zeros[name]
        fills[name] = 1.0 if ones > zeros else 0.0
    for name in numbers:
        if strategy == "constant":
            fills[name] = float(fill_value) if isinstance(fill_value, (int, float)) else 0.0
        else:
            fills[name] = centres[name] if name in centres else 0.0
    missing = per_column(df, names, lambda col: bool(col.isna().any()), any) if cfg.get("addIndicator") else {}
    return {"fills": {n: fills[n] for n in names}, "indicators": [n for n in names if missing.get(n)]}


def apply_impute(df, step, state):
    out = {}
    for name in df.columns:
        col = df[name]
        if name not in step["columns"]:
            out[name] = col
            continue
        fill = state["fills"][name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if fill not in col.cat.categories:
                col = col.cat.add_categories([fill])
            out[name] = col.fillna(fill)
        else:
            out[name] = col.fillna(fill)
        if name in state["indicators"]:
            out[f"{name}__missing"] = col.isna().astype(float)
    return pd.DataFrame(out, index=df.index)


def fit_string_index(df, step, y, settings):
    cfg = step.get("config") or {}
    most = int(cfg.get("maxCategories", 254))
    vocab, other = {}, {}
    for name, counts in label_counts_of(df, step["columns"]).items():
        too_many = len(counts) > most
        vocab[name] = [label for label, _ in counts[: most - 1 if too_many else most]]
        other[name] = too_many
    return {"vocab": vocab, "other": other}


def apply_string_index(df, step, state):
    df = df.copy()
    for name in step["columns"]:
        words = state["vocab"][name]
        labels = labels_of(df[name])
        if state["other"][name]:
            dictionary = words + [OTHER]
            labels = labels.where(labels.isna() | labels.isin(words), OTHER)
        else:
            dictionary = words  # unseen labels become missing
        df[name] = pd.Categorical(labels, categories=dictionary)
    return df


def fit_one_hot(df, step, y, settings):
    cfg = step.get("config") or {}
    most = int(cfg.get("maxCategories", 20))
    min_count = cfg.get("minCount", 1)
    cats = {}
    for name, counts in label_counts_of(df, step["columns"]).items():
        kept = [(label, n) for label, n in counts if n >= min_count][:most]
        cats[name] = [label for label, _ in kept]
    return {"categories": cats}


def apply_one_hot(df, step, state):
    out = {}
    for name in df.columns:
        if name not in step["columns"]:
            out[name] = df[name]
            continue
        cats = state["categories"][name]
        labels = labels_of(df[name])
        for c in cats:
            out[f"{name}={c}"] = (labels == c).astype(float)
        out[f"{name}={OTHER}"] = (labels.notna() & ~labels.isin(cats)).astype(float)
    return pd.DataFrame(out, index=df.index)


def fit_frequency_encode(df, step, y, settings):
    n = n_rows(df)
    counts = label_counts_of(df, step["columns"])
    return {"freq": {name: {label: c / n for label, c in counts[name]} for name in step["columns"]}}


def apply_frequency_encode(df, step, state):
    df = df.copy()
    for name in step["columns"]:
        freq = state["freq"][name]
        labels = labels_of(df[name])
        df[name] = labels.map(lambda v: np.nan if v is None or v != v else freq.get(v, 0.0)).astype(float)
    return df


def target_outputs(y, settings):
    """Columns of the encoded target: P(class 1) or the mean (1 output), or one per class (multiclass)."""
    if settings["task"] == "multiclass":
        return np.eye(len(settings["classes"]))[y.astype(int)]
    return y.reshape(-1, 1).astype(float)


def target_stats(labels, Y):
    frame = pd.DataFrame(Y, index=labels.index)
    frame["__label"] = labels
    frame = frame[labels.notna()]
    grouped = frame.groupby("__label")
    sums, counts = grouped.sum(), grouped.size()
    return {label: [float(counts[label])] + [float(s) for s in sums.loc[label]] for label in counts.index}


def target_encode_with(labels, stats, prior, m):
    rows = np.tile(np.asarray(prior, float), (len(labels), 1))
    for i, v in enumerate(labels):
        s = stats.get(v) if isinstance(v, str) else None
        if s:
            rows[i] = [(s[1 + k] + m * p) / (s[0] + m) for k, p in enumerate(prior)]
    return rows


def fit_target_encode(df, step, y, settings):
    cfg = step.get("config") or {}
    if y is None:
        raise ExportError("target encoding needs the target values while fitting")
    if is_dask(df):
        return fit_target_encode_parts(df, step, y, settings)
    Y = target_outputs(y, settings)
    stats = {name: target_stats(labels_of(df[name]), Y) for name in step["columns"]}
    return {"prior": Y.mean(axis=0).tolist(), "smoothing": cfg.get("smoothing", 10), "stats": stats}


def target_columns(df, step, state, encoded):
    out = {}
    for name in df.columns:
        if name not in step["columns"]:
            out[name] = df[name]
            continue
        rows = encoded[name]
        names = [f"{name}__te"] if rows.shape[1] == 1 else [f"{name}__te{k}" for k in range(rows.shape[1])]
        for k, n in enumerate(names):
            out[n] = rows[:, k]
    return pd.DataFrame(out, index=df.index)


def apply_target_encode(df, step, state):
    m = state["smoothing"]
    encoded = {n: target_encode_with(labels_of(df[n]), state["stats"][n], state["prior"], m) for n in step["columns"]}
    return target_columns(df, step, state, encoded)


def fit_apply_target_encode(df, step, state, y, settings):
    """On the training rows the encoding is out-of-fold: a row never sees its own target."""
    cfg = step.get("config") or {}
    folds = int(cfg.get("folds", 5))
    if n_rows(df) < folds * 2:
        return apply_parts(apply_target_encode, df, step, state)
    if is_dask(df):
        return fit_apply_target_encode_parts(df, step, state, settings)
    Y = target_outputs(y, settings)
    fold_of = np.random.default_rng(settings["seed"]).permutation(len(df)) % folds
    encoded = {}
    for name in step["columns"]:
        labels = labels_of(df[name])
        rows = np.zeros((len(df), Y.shape[1]))
        for f in range(folds):
            rest = fold_of != f
            stats = target_stats(labels[rest], Y[rest])
            rows[~rest] = target_encode_with(labels[~rest], stats, Y[rest].mean(axis=0), state["smoothing"])
        encoded[name] = rows
    return target_columns(df, step, state, encoded)


# Target encoding over Dask: each partition k draws its rows' folds from (seed, k) and sums the target
# outputs per (fold, label); the summed table (folds × labels, small) gives both the statistics of all
# rows and, for out-of-fold encoding, those of the other folds. The folds differ from the pandas path's.


def block_folds(n, folds, seed, k):
    return np.random.default_rng([seed, k]).permutation(n) % folds


def block_target_sums(part, y, name, folds, seed, k, settings):
    frame = pd.DataFrame(target_outputs(np.asarray(y, float), settings))
    frame["__fold"] = block_folds(len(part), folds, seed, k)
    frame["__label"] = labels_of(part[name]).fillna("").to_numpy()  # '' (never a label): missing
    grouped = frame.groupby(["__fold", "__label"])
    sums = grouped.sum()
    sums.insert(0, "__n", grouped.size())
    return sums


def target_sums_parts(df, y, names, folds, settings):
    """{name: the summed (fold, label) table} for all the columns in one Dask compute."""
    import dask

    blocks = [[dask.delayed(block_target_sums)(p, q, name, folds, settings["seed"], k, settings)
               for k, (p, q) in enumerate(zip(df.to_delayed(), y.to_delayed()))] for name in names]
    return {name: pd.concat(sums).groupby(level=[0, 1]).sum() for name, sums in zip(names, dask.compute(*blocks))}


def stats_of(sums):
    """{label: [count, Σ output...]} from a (label -> __n, outputs) table, without the missing ('')."""
    return {label: [float(v) for v in row] for label, row in sums.iterrows() if label != ""}


def fit_target_encode_parts(df, step, y, settings):
    cfg = step.get("config") or {}
    folds = int(cfg.get("folds", 5))
    sums = target_sums_parts(df, y, step["columns"], folds, settings)
    total = next(iter(sums.values())).sum()
    return {"prior": (total.iloc[1:] / total["__n"]).tolist(), "smoothing": cfg.get("smoothing", 10),
            "stats": {name: stats_of(s.groupby(level=1).sum()) for name, s in sums.items()},
            "fold_sums": sums}


def block_target_encode(part, k, step, state, folds, settings):
    fold_of = block_folds(len(part), folds, settings["seed"], k)
    encoded = {}
    for name in step["columns"]:
        sums = state["fold_sums"][name]
        total, by_label = sums.sum(), sums.groupby(level=1).sum()
        labels = labels_of(part[name])
        rows = np.zeros((len(part), len(state["prior"])))
        for f in range(folds):
            mine = fold_of == f
            if not mine.any():
                continue
            in_fold = sums.loc[f] if f in sums.index.get_level_values(0) else by_label.iloc[0:0]
            rest = by_label.sub(in_fold, fill_value=0)
            left = total - in_fold.sum()
            prior = (left.iloc[1:] / left["__n"]).tolist() if left["__n"] > 0 else state["prior"]
            rows[mine] = target_encode_with(labels[mine], stats_of(rest[rest["__n"] > 0]), prior, state["smoothing"])
        encoded[name] = rows
    return target_columns(part, step, state, encoded)


def fit_apply_target_encode_parts(df, step, state, settings):
    import dask
    import dask.dataframe as dd

    folds = int((step.get("config") or {}).get("folds", 5))
    blocks = [dask.delayed(block_target_encode)(p, k, step, state, folds, settings)
              for k, p in enumerate(df.to_delayed())]
    return dd.from_delayed(blocks, meta=apply_target_encode(df._meta, step, state), verify_meta=False)


def fit_standard_scale(df, step, y, settings):
    """Each column's mean and population standard deviation (two passes over the data, each for all the
    step's columns); a constant column keeps scale 1."""
    mean = means_of(df, step["columns"], numeric)
    sd = stds_of(df, mean, numeric)
    std = {name: s if s > 1e-9 * max(1.0, abs(mean[name])) and math.isfinite(s) else 1.0 for name, s in sd.items()}
    return {"mean": mean, "std": std}


def apply_standard_scale(df, step, state):
    df = df.copy()
    for name in step["columns"]:
        df[name] = (numeric(df[name]) - state["mean"][name]) / state["std"][name]
    return df


def fit_date_parts(df, step, y, settings):
    has_time = per_column(df, step["columns"],
                          lambda col: bool((col - col.dt.normalize()).dropna().dt.total_seconds().ne(0).any()), any)
    return {"hasTime": has_time}


def apply_date_parts(df, step, state):
    cyclic = (step.get("config") or {}).get("cyclic", True) is not False
    out = {}
    for name in df.columns:
        if name not in step["columns"]:
            out[name] = df[name]
            continue
        d = df[name].dt
        t = state["hasTime"][name]
        month, weekday = d.month.astype(float), d.weekday.astype(float)  # Monday = 0
        hour = d.hour.astype(float) + d.minute.astype(float) / 60
        out[f"{name}__year"] = d.year.astype(float)
        out[f"{name}__month"] = month
        out[f"{name}__day"] = d.day.astype(float)
        out[f"{name}__weekday"] = weekday
        out[f"{name}__dayofyear"] = d.dayofyear.astype(float)
        if t:
            out[f"{name}__hour"] = hour
        if cyclic:
            for label, src, period, offset in [("month", month, 12, 1), ("weekday", weekday, 7, 0)] + (
                [("hour", hour, 24, 0)] if t else []
            ):
                angle = 2 * np.pi * (src - offset) / period
                out[f"{name}__{label}_sin"] = np.sin(angle)
                out[f"{name}__{label}_cos"] = np.cos(angle)
    return pd.DataFrame(out, index=df.index)


def is_labels(col):
    return col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype)


def numeric(col):
    if is_labels(col):
        raise ExportError(f"column '{col.name}' holds text where numbers are expected")
    if is_dask(col):
        return col.map_partitions(numeric, meta=(col.name, "f8"))
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.map(lambda v: np.nan if pd.isna(v) else v.value / 1e6).astype(float)  # epoch ms
    return col.astype(float)


STEPS = {
    kind: (globals()[f"fit_{kind}"], globals()[f"apply_{kind}"])
    for kind in ["drop", "impute", "string_index", "one_hot", "frequency_encode", "target_encode",
                 "standard_scale", "date_parts"]
}


def fit_pipeline(df, y, settings):
    """Fits every step on the training rows; returns the fitted states and the training features."""
    states = []
    for k, step in enumerate(settings["steps"]):
        if step["kind"] not in STEPS:
            raise ExportError(f"step {k + 1} ({step['kind']}) has no pandas translation in this project")
        fit, apply = STEPS[step["kind"]]
        state = fit(df, step, y, settings)
        states.append(state)
        if step["kind"] == "target_encode":
            df = fit_apply_target_encode(df, step, state, y, settings)
        else:
            df = apply_parts(apply, df, step, state)
    layout = learn_layout(df)
    return states, layout, apply_parts(assemble, df, layout)


def transform(df, states, layout, settings):
    for step, state in zip(settings["steps"], states):
        df = STEPS[step["kind"]][1](df, step, state)
    return assemble(df, layout)


def learn_layout(df):
    """Columns still holding labels are categorical features with their training vocabulary."""
    layout = []
    meta = df._meta if is_dask(df) else df  # a Dask frame's categories are known from its meta
    for name in meta.columns:
        col = meta[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            layout.append((name, [str(c) for c in col.cat.categories]))
        elif col.dtype == object:
            layout.append((name, [label for label, _ in label_counts(df[name])]))
        else:
            layout.append((name, None))
    return layout


def feature_name(name):
    # XGBoost refuses [, ] and < in feature names
    return name.replace("[", "(").replace("]", ")").replace("<", "lt")


def assemble(df, layout):
    out = {}
    for name, vocab in layout:
        if name not in df.columns:
            raise ExportError(f"the data lacks feature column '{name}' that the pipeline expects")
        col = df[name]
        if vocab is not None:
            out[feature_name(name)] = pd.Categorical(labels_of(col), categories=vocab)
        else:
            out[feature_name(name)] = numeric(col).to_numpy(float)
    return pd.DataFrame(out, index=df.index)


# ---------------------------------------------------------------------------------------- training


def sample_weights(y, settings):
    if settings["classWeight"] != "balanced" or settings["task"] == "regression":
        return None
    if is_dask(y):  # the class counts reduced over the partitions, the weights set partition-wise
        counts = over_parts(y, lambda part: part.astype(int).value_counts(), add_counts).reindex(range(len(settings["classes"])), fill_value=0)
        weight = counts.sum() / ((counts > 0).sum() * counts.where(counts > 0, 1).astype(float))
        return y.map_partitions(lambda part: part.astype(int).map(weight).astype(float), meta=(y.name, "f8"))
    counts = np.bincount(y.astype(int), minlength=len(settings["classes"])).astype(float)
    present = (counts > 0).sum()
    return counts.sum() / (present * counts[y.astype(int)])


def xgb_params(y, settings):
    params = dict(settings["xgboost"]["params"])
    if settings["task"] == "binary":
        params["base_score"] = float(np.clip(mean_of(y) if is_dask(y) else y.mean(), 1e-6, 1 - 1e-6))
    elif settings["task"] == "regression":
        params["base_score"] = float(mean_of(y) if is_dask(y) else y.mean())
    return params


def members_of(settings):
    """The models to train: each member of the ensemble (its own settings and weight), or the one model."""
    if settings.get("members"):
        return [{**settings, **member} for member in settings["members"]]
    return [dict(settings, weight=1.0)]


def train(X, y, settings, client):
    """The model of settings["family"], with predict(X) -> probabilities or values and save(path).
    On the cluster path (client, Dask X and y) boosted trees train on the workers through xgboost.dask;
    the other families have no distributed trainer here, so their features are collected into this
    process (the driver then holds the whole feature matrix)."""
    family = settings.get("family", "gbdt")
    if family == "gbdt":
        return Boosted(train_xgboost(X, y, settings, client))
    if is_dask(X):
        print(f"collecting the features for the {family} model into this process (no distributed trainer)")
        X, y = collect(X).reset_index(drop=True), collect(y).to_numpy(float)
    if family == "linear":
        return train_linear(X, y, settings)
    if family == "random_forest":
        return train_forest(X, y, settings)
    if family == "mlp":
        return train_mlp(X, y, settings)
    raise ExportError(f"model family '{family}' has no translation in this project")


class Boosted:
    def __init__(self, booster):
        self.booster = booster

    def describe(self, settings):
        return f"XGBoost ({settings['task']}, {settings['xgboost']['num_boost_round']} rounds)"

    def predict(self, X):
        return self.booster.predict(xgb.DMatrix(X, enable_categorical=True))

    def save(self, path):
        # JSON whatever the file is called: XGBoost's binary format cannot hold categorical splits
        with open(path, "wb") as f:
            f.write(self.booster.save_raw("json"))


def train_xgboost(X, y, settings, client):
    """Gradient-boosted trees: plain xgboost, or xgboost.dask on the Dask cluster of client, each
    worker building its share of the DMatrix from its partitions."""
    params = xgb_params(y, settings)
    rounds = settings["xgboost"]["num_boost_round"]
    w = sample_weights(y, settings)
    if client is None:
        dtrain = xgb.DMatrix(X, label=y, weight=w, enable_categorical=True)
        return xgb.train(params, dtrain, num_boost_round=rounds)
    import dask.dataframe as dd
    import xgboost.dask

    def on_workers(parts):  # each partition computed on a worker and kept there (as a future)
        return dd.from_delayed(client.compute(parts.to_delayed()), meta=parts._meta, verify_meta=False)

    X, y, w = on_workers(X), on_workers(y), None if w is None else on_workers(w)
    dtrain = xgboost.dask.DaskDMatrix(client, X, y, weight=w, enable_categorical=True)
    return xgboost.dask.train(client, params, dtrain, num_boost_round=rounds)["booster"]


@contextlib.contextmanager
def dask_client(scheduler):
    """None for --scheduler none; else a Client of a LocalCluster (local: 2 workers, 1 thread each,
    in this process) or of the scheduler at that address."""
    if scheduler == "none":
        yield None
        return
    import logging

    from distributed import Client, LocalCluster

    for name in ("distributed", "xgboost.dask"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if scheduler == "local":
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
            with Client(cluster) as client:
                yield client
    else:
        with Client(scheduler) as client:
            yield client


def input_scaling(X):
    """The studio's input scaling of a linear model or net: each column's training mean and population
    standard deviation over its non-missing values; a column constant in training gets an infinite
    scale (always 0)."""
    mean = X.mean().fillna(0.0)
    std = X.std(ddof=0)
    return mean, std.where((std > 1e-12) & np.isfinite(std), np.inf)


def train_linear(X, y, settings):
    """Logistic / softmax / linear regression with the studio's penalty, solved by scikit-learn.

    The studio minimises  mean loss + l2·Σw² + l1·Σ|w|  (intercept not penalised) on standardised
    features (missing → 0, the mean); for regression the loss is ½·(z − y)² on a standardised target.
    scikit-learn's objectives are the same up to a factor, so: logistic C = 1 / (n·(l1 + 2·l2)),
    l1_ratio = l1 / (l1 + 2·l2); ridge alpha = 2·n·l2; elastic net alpha = l1 + 2·l2, l1_ratio = l1 / alpha.
    (test/cli/export-python-linear.test.ts checks these against the studio's converged model.) It runs in
    this process (no Dask)."""
    from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

    cfg = settings["linear"]
    lacking = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    if lacking:
        raise ExportError(f"column(s) {', '.join(lacking)} reach the linear model as categories: not translated")
    mean, std = input_scaling(X)
    Z = ((X - mean) / std).fillna(0.0).to_numpy(float)
    n, l1 = len(y), cfg["l1"]
    l2 = 1 / (2 * n) if cfg["l2"] == "auto" else cfg["l2"]  # 'auto': scikit-learn's C = 1 / alpha = 1
    w = sample_weights(y, settings)
    if settings["task"] == "regression":
        y_mean, y_std = float(np.mean(y)), float(np.std(y)) or 1.0
        if l1 == 0:
            model = Ridge(alpha=2 * n * l2)
        else:
            alpha = l1 + 2 * l2
            model = ElasticNet(alpha=alpha, l1_ratio=l1 / alpha, max_iter=10000)
        model.fit(Z, (y - y_mean) / y_std, sample_weight=w)
        return Linear(model, mean, std, lambda M: model.predict(M) * y_std + y_mean)
    a = l1 + 2 * l2
    if a == 0:
        model = LogisticRegression(penalty=None, max_iter=5000)
    elif l1 == 0:
        model = LogisticRegression(C=1 / (n * a), max_iter=5000)
    else:
        # saga, the one scikit-learn solver with l1 and l2 together (it visits the rows in a seeded order), to
        # a tight tolerance from the optimum of the l2 part (lbfgs): with a weak penalty on nearly separable
        # classes the objective is flat, and from zero at saga's default tol=1e-4 it stopped up to 0.06 of a
        # probability from the optimum the studio's solver reaches (bench/python-export/README.md)
        model = LogisticRegression(penalty="elasticnet", solver="saga", C=1 / (n * a), l1_ratio=l1 / a, tol=1e-6,
                                   max_iter=5000, random_state=settings["seed"], warm_start=True)
        if l2 > 0:
            start = LogisticRegression(C=1 / (n * 2 * l2), max_iter=5000).fit(Z, y.astype(int), sample_weight=w)
            model.coef_, model.intercept_ = start.coef_.copy(), start.intercept_.copy()
    model.fit(Z, y.astype(int), sample_weight=w)
    if len(model.classes_) != (2 if settings["task"] == "binary" else len(settings["classes"])):
        raise ExportError("every class must occur in the training rows for the linear model")
    if settings["task"] == "binary":
        return Linear(model, mean, std, lambda M: model.predict_proba(M)[:, 1])
    return Linear(model, mean, std, model.predict_proba)


class Linear:
    def __init__(self, model, mean, std, predict):
        self.model, self.mean, self.std, self._predict = model, mean, std, predict

    def describe(self, settings):
        return f"{type(self.model).__name__} ({settings['task']}, scikit-learn, in this process)"

    def predict(self, X):
        return self._predict(((X[self.mean.index] - self.mean) / self.std).fillna(0.0).to_numpy(float))

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"features": list(self.mean.index), "mean": self.mean.tolist(),
                       "std": [s if math.isfinite(s) else None for s in self.std],
                       "coef": np.atleast_2d(self.model.coef_).tolist(),
                       "intercept": np.atleast_1d(self.model.intercept_).tolist()}, f, indent=2)


def train_forest(X, y, settings):
    """A random forest (or extra trees) by scikit-learn: the studio's forest also averages its trees'
    leaf means. Categories become ordinal codes and missing numbers fall below the training minimum,
    as scikit-learn's trees take neither."""
    from sklearn import ensemble

    cfg = settings["forest"]
    fills = {c: float(X[c].min()) - 1 if X[c].notna().any() else 0.0
             for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)}
    max_features = cfg["max_features"]
    model = getattr(ensemble, cfg["estimator"])(
        n_estimators=cfg["n_estimators"], max_depth=cfg["max_depth"], max_leaf_nodes=cfg["max_leaf_nodes"],
        min_samples_leaf=cfg["min_samples_leaf"], max_features=max_features if max_features != 1 else None,
        bootstrap=cfg["bootstrap"], random_state=cfg["seed"], n_jobs=1)
    forest = Forest(model, fills, settings)
    model.fit(forest.matrix(X), y if settings["task"] == "regression" else y.astype(int),
              sample_weight=sample_weights(y, settings))
    return forest


class Forest:
    def __init__(self, model, fills, settings):
        self.model, self.fills, self.task = model, fills, settings["task"]
        self.n_classes = len(settings["classes"] or [])

    def describe(self, settings):
        return f"{type(self.model).__name__} ({settings['task']}, {self.model.n_estimators} trees, scikit-learn)"

    def matrix(self, X):
        cols = [X[c].cat.codes.to_numpy(float) if isinstance(X[c].dtype, pd.CategoricalDtype)
                else X[c].fillna(self.fills[c]).to_numpy(float) for c in X.columns]
        return np.column_stack(cols) if cols else np.zeros((len(X), 0))

    def predict(self, X):
        M = self.matrix(X)
        if self.task == "regression":
            return self.model.predict(M)
        P = np.zeros((len(M), self.n_classes))
        P[:, self.model.classes_.astype(int)] = self.model.predict_proba(M)  # a class absent in training: 0
        return P[:, 1] if self.task == "binary" else P

    def save(self, path):
        import pickle

        with open(path, "wb") as f:
            pickle.dump(self.model, f)


M32 = 0xFFFFFFFF


class StudioRandom:
    """The studio's seeded generator (src/core/util/random.ts: xoshiro128** seeded through splitmix32),
    so that the net starts from the studio's weights and visits the rows in the studio's order."""

    def __init__(self, seed):
        s, state = int(math.floor(seed)) & M32, []
        for _ in range(4):
            s = (s + 0x9E3779B9) & M32
            z = ((s ^ (s >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            state.append(z ^ (z >> 16))
        if not any(state):
            state[0] = 1
        self.state = state

    def u32(self):
        a, b, c, d = self.state
        x = (b * 5) & M32
        result = ((((x << 7) | (x >> 25)) & M32) * 9) & M32
        t = (b << 9) & M32
        c ^= a
        d ^= b
        b ^= c
        a ^= d
        c ^= t
        d = ((d << 11) | (d >> 21)) & M32
        self.state = [a, b, c, d]
        return result

    def next(self):
        return self.u32() / 4294967296

    def int(self, n):
        return int(self.next() * n)

    def shuffle(self, order):
        """Fisher-Yates in place, from the last position down, as the studio shuffles its rows."""
        for i in range(len(order) - 1, 0, -1):
            j = int(self.u32() / 4294967296 * (i + 1))
            order[i], order[j] = order[j], order[i]


def _mash():
    """seedrandom's Mash hash (alea's seeding), in JavaScript's double arithmetic."""
    n = float(0xEFC8249D)

    def mash(data):
        nonlocal n
        for ch in str(data):
            n += ord(ch)
            h = 0.02519603282416938 * n
            n = float(int(h) & M32)
            h -= n
            h *= n
            n = float(int(h) & M32)
            h -= n
            n += h * 4294967296.0
        return int(n) & M32

    return mash


def dropout_uniforms(seeds, count):
    """TensorFlow.js's tf.dropout noise for each seed: randomUniform(seed) draws from seedrandom's alea
    generator seeded with the seed's decimal text, a lag-3 multiply-with-carry generator (multiplier
    2091639, base 2^32), run here for all seeds at once. Returns (len(seeds), count) float32 in [0, 1]."""
    x = np.zeros((3, len(seeds)), dtype=np.uint64)
    for lane, seed in enumerate(seeds):
        mash = _mash()
        space = [mash(" ") for _ in range(3)]
        x[:, lane] = [(sp - mash(str(seed))) % 4294967296 for sp in space]
    x0, x1, x2 = x
    c = np.ones(len(seeds), dtype=np.uint64)
    out = np.empty((len(seeds), count), dtype=np.uint32)
    a, low = np.uint64(2091639), np.uint64(M32)
    for i in range(count):
        t = a * x0 + c
        c = t >> np.uint64(32)
        x0, x1, x2 = x1, x2, t & low
        out[:, i] = x2
    return (out / 4294967296.0).astype(np.float32)


def dropout_masks(seeds, rows, widths, rate):
    """The multipliers tf.dropout(h, rate, seed) applies to a hidden layer's [rows, width] outputs,
    for a list of (seed, rows) batches: floor(u + keep) / keep, in float32 as TensorFlow.js."""
    keep = np.float32(1 - rate)
    u = dropout_uniforms(seeds, max(rows) * widths)
    return [(np.floor(u[i, :r * widths] + keep) / keep).reshape(r, widths).astype(float) for i, r in enumerate(rows)]


def train_mlp(X, y, settings, on_epoch=None):
    """A multilayer perceptron trained the studio's way, in NumPy: Glorot-uniform weights, zero biases
    (the output bias at the class prior), ReLU or GELU (tanh form), inverted dropout after each hidden
    layer, Adam (TensorFlow.js's defaults), mini-batches by the studio's small-data rule, the loss
    averaged over the batch (weighted by class weights) plus l2·Σw² + l1·Σ|w| over the weight matrices,
    and the bundle's number of epochs. The random numbers are the studio's: its generator (StudioRandom)
    draws the starting weights, the row order of each epoch and each batch's dropout seeds, and the
    dropout masks come from those seeds as TensorFlow.js draws them (dropout_masks), so trained on the
    same rows this net follows the studio's own training step by step (NumPy computes in float64,
    TensorFlow.js in float32: the nets drift apart only by rounding). The net standardises its inputs itself,
    whatever the pipeline did (one-hot columns and missing indicators too): the training mean and
    population standard deviation of each column, missing → 0 (the mean), a column constant in training
    → 0. Regression targets are standardised the same way (population standard deviation), as in the
    studio. on_epoch(net, epoch), when given, is called after each epoch and stops the training by
    returning False (tune.py's early stopping on a fold's validation rows)."""
    cfg = settings["mlp"]
    lacking = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    if lacking:
        raise ExportError(f"column(s) {', '.join(lacking)} reach the MLP as categories: not translated")
    task, n = settings["task"], len(y)
    k = 1 if task != "multiclass" else len(settings["classes"])
    mean, std = input_scaling(X)
    Z = ((X - mean) / std).fillna(0.0).to_numpy(np.float32).astype(float)  # the studio's inputs are float32
    w = sample_weights(y, settings)
    w = np.ones(n) if w is None else w
    y_mean, y_std = (float(np.mean(y)), float(np.std(y)) or 1.0) if task == "regression" else (0.0, 1.0)
    target = (y - y_mean) / y_std if task == "regression" else y.astype(int)
    rng = StudioRandom(cfg["seed"])
    widths = [Z.shape[1], *cfg["hidden"], k]
    W = []
    for a, b in zip(widths[:-1], widths[1:]):
        limit = math.sqrt(6 / (a + b))
        W.append(np.array([(rng.next() * 2 - 1) * limit for _ in range(a * b)], dtype=np.float32)
                 .astype(float).reshape(a, b))
    B = [np.zeros(b) for b in widths[1:]]
    if task == "binary":
        p = float(np.clip(np.sum(w * target) / np.sum(w), 1e-3, 1 - 1e-3))
        B[-1][:] = np.float32(math.log(p / (1 - p)))
    elif task == "multiclass":
        counts = np.bincount(target, weights=w, minlength=k)
        B[-1][:] = np.log((counts + 1e-3 * w.sum()) / w.sum()).astype(np.float32)
    net = Mlp(W, B, cfg["activation"], task, y_mean, y_std, mean, std)
    params = W + B
    m1 = [np.zeros_like(q) for q in params]
    m2 = [np.zeros_like(q) for q in params]
    l2 = 1 / (2 * n) if cfg["l2"] == "auto" else cfg["l2"]
    batch = max(1, min(cfg["batch_size"], n, max(16, math.ceil(n / 10))))  # the studio's rule
    lr, beta1, beta2, eps, step = cfg["learning_rate"], 0.9, 0.999, 1e-7, 0
    starts = list(range(0, n, batch))
    rows = [min(n, s + batch) - s for s in starts]
    order = list(range(n))  # shuffled in place every epoch, from the previous epoch's order
    net.epochs = 0
    for epoch in range(1, cfg["epochs"] + 1):
        rng.shuffle(order)
        seeds = [[rng.u32() for _ in W] for _ in starts]  # one per layer and batch, as the studio draws them
        masks = [dropout_masks([s[j] for s in seeds], rows, widths[j + 1], cfg["dropout"])
                 if cfg["dropout"] > 0 else [None] * len(starts) for j in range(len(W) - 1)]
        index = np.array(order)
        for b, s in enumerate(starts):
            at = index[s:s + rows[b]]
            grads = net.gradients(Z[at], target[at], w[at], [m[b] for m in masks], cfg["huber"])
            step += 1
            for j, (q, g) in enumerate(zip(params, grads)):
                if j < len(W):  # penalties on the weight matrices only
                    g = g + 2 * l2 * q + cfg["l1"] * np.sign(q)
                m1[j] = beta1 * m1[j] + (1 - beta1) * g
                m2[j] = beta2 * m2[j] + (1 - beta2) * g * g
                q -= lr * (m1[j] / (1 - beta1 ** step)) / (np.sqrt(m2[j] / (1 - beta2 ** step)) + eps)
        net.epochs = epoch
        if on_epoch is not None and on_epoch(net, epoch) is False:
            break
    return net


class Mlp:
    """The net: weights W, biases B; predict gives P(class 1), class probabilities or values."""

    def __init__(self, W, B, activation, task, y_mean, y_std, mean, std):
        self.W, self.B, self.activation, self.task = W, B, activation, task
        self.y_mean, self.y_std = y_mean, y_std
        self.mean, self.std = mean, std  # the input scaling (pandas Series by column)

    def act(self, h):
        if self.activation == "relu":
            return np.maximum(h, 0)
        return 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))

    def act_grad(self, h):
        if self.activation == "relu":
            return (h > 0).astype(float)
        c = math.sqrt(2 / math.pi)
        t = np.tanh(c * (h + 0.044715 * h ** 3))
        return 0.5 * (1 + t) + 0.5 * h * (1 - t * t) * c * (1 + 3 * 0.044715 * h * h)

    def gradients(self, x, y, w, masks, huber):
        """Gradients of the batch's weighted mean loss with respect to W then B; masks: per hidden layer,
        the dropout multipliers of its outputs (or None: no dropout)."""
        pre, outs = [], [x]
        h = x
        for j, (Wj, Bj) in enumerate(zip(self.W, self.B)):
            z = h @ Wj + Bj
            if j == len(self.W) - 1:
                break
            pre.append(z)
            h = self.act(z)
            mask = masks[j]
            h = h * mask if mask is not None else h
            outs.append(h)
        share = (w / w.sum())[:, None]
        if self.task == "binary":
            d = (1 / (1 + np.exp(-z[:, 0])) - y)[:, None]
        elif self.task == "multiclass":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            d = e / e.sum(axis=1, keepdims=True)
            d[np.arange(len(y)), y] -= 1
        else:
            r = z[:, 0] - y
            d = (np.clip(r, -1, 1) if huber else r)[:, None]
        d = d * share
        gW, gB = [None] * len(self.W), [None] * len(self.W)
        for j in range(len(self.W) - 1, -1, -1):
            gW[j] = outs[j].T @ d
            gB[j] = d.sum(axis=0)
            if j > 0:
                d = d @ self.W[j].T
                if masks[j - 1] is not None:
                    d = d * masks[j - 1]
                d = d * self.act_grad(pre[j - 1])
        return gW + gB

    def describe(self, settings):
        layers = " × ".join(str(W.shape[1]) for W in self.W[:-1])
        return f"MLP ({settings['task']}, {layers}, {self.activation}, {self.epochs} epochs, NumPy)"

    def predict(self, X):
        h = ((X[self.mean.index] - self.mean) / self.std).fillna(0.0).to_numpy(float)
        for j, (Wj, Bj) in enumerate(zip(self.W, self.B)):
            h = h @ Wj + Bj
            if j < len(self.W) - 1:
                h = self.act(h)
        if self.task == "binary":
            return 1 / (1 + np.exp(-h[:, 0]))
        if self.task == "multiclass":
            e = np.exp(h - h.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return h[:, 0] * self.y_std + self.y_mean

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"features": list(self.mean.index), "mean": self.mean.tolist(),
                       "std": [s if math.isfinite(s) else None for s in self.std], "activation": self.activation,
                       "weights": [Wj.tolist() for Wj in self.W], "biases": [Bj.tolist() for Bj in self.B],
                       "target": {"mean": self.y_mean, "std": self.y_std}}, f)


def predictions_frame(p, settings):
    """The studio's predictions CSV from P(class 1), class probabilities or values: one probability
    column per class and "prediction", or "prediction"."""
    if settings["task"] == "regression":
        return pd.DataFrame({"prediction": p})
    classes = settings["classes"]
    if settings["task"] == "binary":
        p = np.column_stack([1 - p, p])
        positive = classes.index(settings["positiveClass"]) if settings.get("positiveClass") in classes else 1
        hit = p[:, positive] >= settings["threshold"]
        label = np.where(hit, classes[positive], classes[1 - positive])
    else:
        label = np.asarray(classes, dtype=object)[p.argmax(axis=1)]
    frame = pd.DataFrame({c: p[:, k] for k, c in enumerate(classes)})
    frame["prediction"] = label
    return frame


def score_predictions(y, p, settings):
    """Metrics of predictions p against the known targets y (rows with a target only)."""
    from sklearn import metrics as skm

    if settings["task"] == "regression":
        err = p - y
        return {"rmse": float(np.sqrt(np.mean(err ** 2))), "mae": float(np.mean(np.abs(err))),
                "r2": float(skm.r2_score(y, p))}
    classes = settings["classes"]
    if settings["task"] == "binary":
        positive = classes.index(settings["positiveClass"]) if settings.get("positiveClass") in classes else 1
        p_pos = p if positive == 1 else 1 - p
        P = np.column_stack([1 - p, p])
        out = {"log_loss": float(skm.log_loss(y, np.clip(P, 1e-15, 1 - 1e-15), labels=[0, 1])),
               "accuracy": float(np.mean((p >= 0.5).astype(int) == y))}
        if len(np.unique(y)) == 2:
            out["roc_auc"] = float(skm.roc_auc_score((y == positive).astype(int), p_pos))
        return out
    P = np.clip(p, 1e-15, 1)
    P = P / P.sum(axis=1, keepdims=True)
    return {"log_loss": float(skm.log_loss(y, P, labels=list(range(len(classes))))),
            "accuracy": float(np.mean(p.argmax(axis=1) == y))}


def member_path(path, k, count):
    """Where --model writes member k of an ensemble: model.json -> model.member1.json."""
    if count == 1:
        return path
    root, ext = os.path.splitext(path)
    return f"{root}.member{k + 1}{ext}"


def log_to_mlflow(settings, metrics, files):
    """Logs the run to MLflow when mlflow is importable (MLFLOW_TRACKING_URI as usual); else nothing."""
    try:
        import mlflow
    except ImportError:
        return False
    params = {"family": settings.get("family"), "task": settings["task"], "target": settings["target"],
              "members": len(members_of(settings)), "seed": settings["seed"],
              "bundle_manifest_sha256": settings["source"]["manifestSha256"]}
    for k, m in enumerate(members_of(settings)):
        block = m.get({"gbdt": "xgboost", "linear": "linear", "random_forest": "forest", "mlp": "mlp"}.get(m["family"]))
        params[f"member{k + 1}"] = json.dumps({"family": m["family"], "weight": m["weight"], "model": block})[:500]
    with mlflow.start_run(run_name=f"automl-studio {settings['task']} on {settings['target']}"):
        mlflow.log_params(params)
        if metrics:
            mlflow.log_metrics(metrics)
        for f in files:
            mlflow.log_artifact(f)
    return True
def fit_members(args, settings, client):
    """Fits each member's pipeline and model on --train: with pandas in this process (no client), or on
    the Dask cluster with the CSV read in blocks, so no process holds more than a few blocks of text."""
    if client is None:
        df, y = read_table(args.train, settings, need_target=True)
    else:
        df, y = read_partitioned(args.train, settings, args.blocksize)
        print(f"reading {args.train} in {df.npartitions} partition(s) of at most {args.blocksize}")
    members = members_of(settings)
    fitted, files = [], []
    for k, member in enumerate(members):
        columns = [c["name"] for c in member["inputs"] if c["name"] in df.columns]
        states, layout, X = fit_pipeline(df[columns], y, member)
        model = train(X, y, member, client)
        fitted.append((member, columns, states, layout, model))
        share = f", weight {member['weight']:.3f}" if len(members) > 1 else ""
        print(f"trained {model.describe(member)} on {n_rows(X)} rows × {X.shape[1]} features, "
              f"scheduler {args.scheduler}{share}")
        if args.model:
            path = member_path(args.model, k, len(members))
            model.save(path)
            files.append(path)
            print(f"wrote {path}")
    return fitted, files


def predict_blocks(path, settings, client, blocksize):
    """The rows of --predict as (features, target or None) frames: the whole file with pandas, or, with a
    scheduler, one block of blocksize bytes at a time in file order (dask.dataframe.read_csv, so any
    fsspec URL), so this process never holds more than one block's text. The target is the known labels
    or values when the file has the target column (missing ones NaN), for scoring."""
    if client is None:
        new, _ = read_table(path, settings, need_target=False)
        yield new, known_target(pd.read_csv(path, dtype=str, keep_default_na=False), settings, path)
        return
    import dask
    import dask.dataframe as dd

    try:
        raw = dd.read_csv(path, dtype=str, keep_default_na=False, blocksize=blocksize)
    except (OSError, ValueError) as err:
        raise ExportError(f"{path}: cannot read the CSV ({err})")
    raw.columns = [c.strip() for c in raw.columns]
    check_columns(raw.columns, settings, path, need_target=False)
    for block in raw.to_delayed():
        (part,) = dask.compute(block)
        part.columns = [c.strip() for c in part.columns]
        yield parse_inputs(part, settings).reset_index(drop=True), known_target(part, settings, path)


def known_target(raw, settings, path):
    """The target of a frame of text cells as read_target gives it (NaN where missing), or None without
    the target column."""
    names = [c for c in raw.columns if c.strip() == settings["target"]]
    return read_target(raw[names[0]].str.strip(), settings, path) if names else None


def predict_rows(fitted, new):
    """The ensemble's prediction for the rows of new: each member's, weighted, summed."""
    p = None
    for member, columns, states, layout, model in fitted:
        part = member["weight"] * np.asarray(model.predict(transform(new[columns], states, layout, member)))
        p = part if p is None else p + part
    return p


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="training CSV (with the target column)")
    ap.add_argument("--predict", help="CSV of rows to predict")
    ap.add_argument("--out", default="predictions.csv", help="where --predict writes (default predictions.csv)")
    ap.add_argument("--scheduler", default="local", help="local (default), none, or a Dask scheduler address")
    ap.add_argument("--blocksize", default="64MB",
                    help="with a Dask scheduler, the CSV is read in blocks of this many bytes (default 64MB)")
    ap.add_argument("--model", help="also save the model here (XGBoost JSON, the linear model's coefficients, "
                                    "or a pickle of the scikit-learn model); one file per ensemble member")
    ap.add_argument("--metrics", help="where the scores of --predict go when it has the target column "
                                      "(default metrics.json beside --out)")
    ap.add_argument("--no-mlflow", action="store_true", help="do not log to MLflow even when it is installed")
    ap.add_argument("--settings", default=os.path.join(HERE, "settings.json"),
                    help="the project's settings (default settings.json; tune.py --out writes tuned ones)")
    args = ap.parse_args(argv)
    with open(args.settings, encoding="utf-8") as f:
        settings = json.load(f)
    try:
        with dask_client(args.scheduler) as client:
            fitted, files = fit_members(args, settings, client)
        metrics = {}
        if args.predict:
            known, scored, rows, blocks = [], [], 0, 0
            with open(args.out, "w", encoding="utf-8", newline="") as out:
                for new, y in predict_blocks(args.predict, settings, client, args.blocksize):
                    blocks += 1
                    p = predict_rows(fitted, new)
                    predictions_frame(p, settings).to_csv(out, index=False, header=rows == 0, float_format="%.17g")
                    rows += len(new)
                    if y is not None:
                        keep = ~np.isnan(y)
                        known.append(y[keep])
                        scored.append(p[keep])
            files.append(args.out)
            print(f"wrote {args.out} ({rows} rows" + (f", predicted in {blocks} block(s))" if client else ")"))
            if known and sum(len(k) for k in known):
                y, p = np.concatenate(known), np.concatenate(scored)
                metrics = score_predictions(y, p, settings)
                args.metrics = args.metrics or os.path.join(os.path.dirname(os.path.abspath(args.out)), "metrics.json")
                with open(args.metrics, "w", encoding="utf-8") as f:
                    json.dump({"rows": len(y), **metrics}, f, indent=2)
                files.append(args.metrics)
                shown = ", ".join(f"{k} {v:.6g}" for k, v in metrics.items())
                print(f"scored {len(y)} rows of {args.predict}: {shown}; wrote {args.metrics}")
        if not args.no_mlflow and log_to_mlflow(settings, metrics, files):
            print("logged the run to MLflow")
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
