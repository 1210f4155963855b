/**
 * The tune.py of an exported Python project (index.ts): a fixed script that reads the "search" part of
 * settings.json beside it (tune.ts) and reuses train.py's reading and preprocessing.
 * Kept as Python source text; String.raw keeps its backslashes as written.
 */
export const TUNE_PY = String.raw`#!/usr/bin/env python3
"""Searches the model's hyperparameters again with Optuna, on the rows of --train.

The search is the AutoML Studio experiment's (settings.json, "search"): the same model families and
ranges, sampled by Optuna's TPE seeded with the experiment's seed, and every trial scored by the
experiment's metric on the same split plan (k folds, stratified or not, or a holdout). The pipeline of
train.py is fitted on each fold's training rows once, before the first trial. A trial trains with one
thread: the parallelism is across trials (Dask workers).

    python tune.py --train data.csv [--trials 20] [--scheduler none|local|ADDRESS] [--workers 2]
                   [--max-rounds N] [--storage URL] [--out tuned.json]

--scheduler none runs the trials one after another in this process: with the same --trials, the same
trials and scores every time. local (the default) starts a Dask LocalCluster of --workers workers
(1 thread each, in this process) and runs one Optuna optimize loop per worker, all on one study held by
the Dask scheduler (optuna.integration.DaskStorage), or in --storage (e.g. sqlite:///tune.db) when given;
each loop has its own TPE seed (seed + k), and which trial sees which finished trials depends on timing.
An address (tcp://host:8786) uses an existing Dask cluster the same way (train.py is uploaded to it).

--out writes settings for train.py with the best trial's parameters and rounds:
    python train.py --settings tuned.json --train data.csv --predict new.csv
"""
import argparse
import copy
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import optuna
import xgboost as xgb
from sklearn import metrics as skm
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train import (ExportError, fit_pipeline, read_table, sample_weights, train_forest,  # noqa: E402
                   train_linear, train_mlp, transform, xgb_params)

# DaskStorage says it is experimental each time it is created or unpickled on a worker.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


# ---------------------------------------------------------------------------------------- split plan


def split_plan(y, settings):
    """(training rows, validation rows) per fold, as the experiment's plan says (not the same rows:
    the studio's shuffles come from its own random generator)."""
    plan = settings["search"]["split"]
    classes = settings["task"] != "regression"
    rows = np.arange(len(y))
    if plan["strategy"] == "holdout":
        stratify = y if plan["stratified"] and classes else None
        fit, valid = train_test_split(rows, test_size=plan.get("validFraction", 0.2),
                                      random_state=plan["seed"], stratify=stratify)
        return [(fit, valid)]
    if plan["strategy"] != "kfold":
        raise ExportError(f"split strategy '{plan['strategy']}' has no translation in this project")
    splitter = (StratifiedKFold if plan["stratified"] and classes else KFold)(
        n_splits=plan["folds"], shuffle=True, random_state=plan["seed"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class rarer than the number of folds
        return list(splitter.split(rows, y))


def prepare_folds(df, y, settings):
    """Per fold: the pipeline fitted on its training rows, and both parts' features."""
    folds = []
    for fit_rows, valid_rows in split_plan(y, settings):
        train_df = df.iloc[fit_rows].reset_index(drop=True)
        states, layout, X_fit = fit_pipeline(train_df, y[fit_rows], settings)
        X_valid = transform(df.iloc[valid_rows].reset_index(drop=True), states, layout, settings)
        folds.append((X_fit, y[fit_rows], X_valid, y[valid_rows]))
    return folds


# ---------------------------------------------------------------------------------------- metric


def score(metric, y, p, settings):
    """The experiment's metric of predictions p (P(class 1), class probabilities, or values)."""
    task = settings["task"]
    if task == "binary":
        classes = settings["classes"]
        positive = classes.index(settings["positiveClass"]) if settings.get("positiveClass") in classes else 1
        hit = y == positive
        p_pos = p if positive == 1 else 1 - p
        scores = {
            "roc_auc": lambda: skm.roc_auc_score(hit, p_pos),
            "pr_auc": lambda: skm.average_precision_score(hit, p_pos),
            "log_loss": lambda: skm.log_loss(y, np.column_stack([1 - p, p]), labels=[0, 1]),
            "accuracy": lambda: skm.accuracy_score(y, (p >= 0.5).astype(int)),
            "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, (p >= 0.5).astype(int)),
            "f1": lambda: skm.f1_score(hit, p_pos >= 0.5),
        }
    elif task == "multiclass":
        labels = list(range(len(settings["classes"])))
        scores = {
            "log_loss": lambda: skm.log_loss(y, p, labels=labels),
            "accuracy": lambda: skm.accuracy_score(y, p.argmax(axis=1)),
            "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, p.argmax(axis=1)),
            "macro_f1": lambda: skm.f1_score(y, p.argmax(axis=1), average="macro", labels=labels),
        }
    else:
        scores = {
            "rmse": lambda: math.sqrt(skm.mean_squared_error(y, p)),
            "mae": lambda: skm.mean_absolute_error(y, p),
            "r2": lambda: skm.r2_score(y, p),
        }
    if metric not in scores:
        raise ExportError(f"metric '{metric}' has no translation for a {task} task in this project")
    return float(scores[metric]())


# ---------------------------------------------------------------------------------------- families


def suggest(trial, params, prefix=""):
    """Samples the family's parameters; one with a condition only when its parent has a listed value."""
    values = {}
    for p in params:
        cond = p.get("condition")
        if cond and (cond["param"] not in values or values[cond["param"]] not in cond["in"]):
            continue
        name = prefix + p["name"]
        if p["type"] == "float":
            values[p["name"]] = trial.suggest_float(name, p["low"], p["high"], log=bool(p.get("log")))
        elif p["type"] == "int":
            values[p["name"]] = trial.suggest_int(name, p["low"], p["high"], log=bool(p.get("log")))
        else:
            values[p["name"]] = trial.suggest_categorical(name, p["choices"])
    return values


# The studio's GBDT parameter names and XGBoost's.
GBDT_NAMES = {
    "learningRate": "eta",
    "growPolicy": "grow_policy",
    "maxDepth": "max_depth",
    "maxLeaves": "max_leaves",
    "minChildWeight": "min_child_weight",
    "lambda": "lambda",
    "alpha": "alpha",
    "subsample": "subsample",
    "colsampleByTree": "colsample_bytree",
}


def gbdt_settings(values, family, settings):
    """train.py settings for one point of the GBDT space (rounds filled in after early stopping)."""
    params = dict(family["xgboost"])
    for key, value in values.items():
        # roundCap bounds num_boost_round (gbdt_trial); XGBoost has no min_data_per_group
        if key in ("classWeight", "roundCap", "minDataPerGroup"):
            continue
        if key not in GBDT_NAMES:
            raise ExportError(f"gbdt parameter '{key}' has no XGBoost translation in this project")
        params[GBDT_NAMES[key]] = value
    if values.get("growPolicy") == "lossguide":
        params["max_depth"] = 0  # leaves bound the tree, as in the studio
    else:
        params["max_leaves"] = 0
    out = copy.deepcopy(settings)
    out["family"] = "gbdt"
    out.pop("linear", None)
    out["classWeight"] = values.get("classWeight", "none")
    out["xgboost"] = {"params": params, "num_boost_round": family["maxRounds"]}
    return out


def patience(learning_rate, rule):
    return max(rule["min"], min(rule["max"], round(rule["perLearningRate"] / learning_rate)))


def gbdt_trial(values, family, settings, folds, threads):
    """Mean validation score over the folds and the mean number of rounds early stopping kept."""
    trial_settings = gbdt_settings(values, family, settings)
    stop_after = patience(values["learningRate"], family["patience"])
    fold_scores, rounds = [], []
    for X_fit, y_fit, X_valid, y_valid in folds:
        params = xgb_params(y_fit, trial_settings)
        params["nthread"] = threads
        dfit = xgb.DMatrix(X_fit, label=y_fit, weight=sample_weights(y_fit, trial_settings), enable_categorical=True)
        dvalid = xgb.DMatrix(X_valid, label=y_valid, enable_categorical=True)
        # roundCap: the most rounds the trial may train (the studio's cost-frugal knob)
        max_rounds = min(family["maxRounds"], int(values.get("roundCap", family["maxRounds"])))
        booster = xgb.train(params, dfit, num_boost_round=max_rounds, evals=[(dvalid, "valid")],
                            early_stopping_rounds=stop_after, verbose_eval=False)
        kept = booster.best_iteration + 1
        p = booster.predict(dvalid, iteration_range=(0, kept))
        fold_scores.append(score(settings["search"]["metric"], y_valid, p, settings))
        rounds.append(kept)
    trial_settings["xgboost"]["num_boost_round"] = int(round(np.mean(rounds)))
    return float(np.mean(fold_scores)), trial_settings


def linear_trial(values, family, settings, folds, threads):
    """Mean validation score over the folds of train.py's linear model with these penalties."""
    trial_settings = copy.deepcopy(settings)
    trial_settings.pop("xgboost", None)
    trial_settings["family"] = "linear"
    trial_settings["classWeight"] = values.get("classWeight", "none")
    trial_settings["linear"] = {"l1": values["l1"], "l2": values["l2"]}
    fold_scores = []
    for X_fit, y_fit, X_valid, y_valid in folds:
        model = train_linear(X_fit, y_fit, trial_settings)
        fold_scores.append(score(settings["search"]["metric"], y_valid, model.predict(X_valid), settings))
    return float(np.mean(fold_scores)), trial_settings


def forest_trial(values, family, settings, folds, threads):
    """Mean validation score over the folds of train.py's forest: the studio's trees at their most
    (no halving on the trees), bootstrap rows, featureFraction as max_features."""
    trial_settings = copy.deepcopy(settings)
    trial_settings["family"] = "random_forest"
    trial_settings["classWeight"] = values.get("classWeight", "none")
    kind = "ExtraTrees" if values["extraTrees"] else "RandomForest"
    trial_settings["forest"] = {
        "estimator": kind + ("Regressor" if settings["task"] == "regression" else "Classifier"),
        "n_estimators": family["trees"], "max_depth": values["maxDepth"], "max_leaf_nodes": None,
        "min_samples_leaf": values["minSamplesLeaf"], "max_features": values["featureFraction"],
        "bootstrap": family["bootstrap"], "seed": settings["search"]["seed"]}
    fold_scores = []
    for X_fit, y_fit, X_valid, y_valid in folds:
        model = train_forest(X_fit, y_fit, trial_settings)
        fold_scores.append(score(settings["search"]["metric"], y_valid, model.predict(X_valid), settings))
    return float(np.mean(fold_scores)), trial_settings


def validation_loss(y, p, task):
    """The loss the studio's net stops on: log loss, or the mean squared error."""
    if task == "regression":
        return float(np.mean((p - y) ** 2))
    P = np.column_stack([1 - p, p]) if task == "binary" else p
    return float(-np.mean(np.log(np.clip(P[np.arange(len(y)), y.astype(int)], 1e-15, 1))))


def mlp_trial(values, family, settings, folds, threads):
    """Mean validation score over the folds of train.py's NumPy MLP, each fold trained up to the
    studio's most epochs and stopped after its patience without a better validation loss (the best
    epoch's predictions are scored); the tuned net trains the folds' mean best epoch on all rows."""
    layers, width = int(values["layers"]), int(values["width"])
    trial_settings = copy.deepcopy(settings)
    trial_settings["family"] = "mlp"
    trial_settings["classWeight"] = values.get("classWeight", "none")
    trial_settings["mlp"] = {
        "hidden": [max(8, round(width / 2 ** i)) for i in range(layers)],  # as src/core/search/spaces.ts
        "activation": values["activation"], "dropout": values["dropout"],
        "learning_rate": values["learningRate"], "batch_size": values["batchSize"], "l2": values["l2"],
        "l1": family["l1"], "huber": False, "epochs": family["maxEpochs"], "seed": settings["search"]["seed"]}
    fold_scores, epochs = [], []
    for X_fit, y_fit, X_valid, y_valid in folds:
        best = {"loss": math.inf, "epoch": 0, "p": None}

        def watch(net, epoch):
            p = net.predict(X_valid)
            loss = validation_loss(y_valid, p, settings["task"])
            if loss < best["loss"] - 1e-7:
                best.update(loss=loss, epoch=epoch, p=p)
            return math.isfinite(loss) and epoch - best["epoch"] < family["epochPatience"]

        train_mlp(X_fit, y_fit, trial_settings, on_epoch=watch)
        if best["p"] is None:
            raise ExportError("the MLP's validation loss was never finite")
        fold_scores.append(score(settings["search"]["metric"], y_valid, best["p"], settings))
        epochs.append(best["epoch"])
    trial_settings["mlp"]["epochs"] = max(1, int(round(np.mean(epochs))))
    return float(np.mean(fold_scores)), trial_settings


FAMILIES = {"gbdt": gbdt_trial, "linear": linear_trial, "random_forest": forest_trial, "mlp": mlp_trial}


def objective_for(settings, folds, threads):
    search = settings["search"]
    names = list(search["families"])

    def objective(trial):
        name = trial.suggest_categorical("family", names) if len(names) > 1 else names[0]
        family = search["families"][name]
        values = suggest(trial, family["params"], prefix=f"{name}." if len(names) > 1 else "")
        value, trial_settings = FAMILIES[name](values, family, settings, folds, threads)
        trial.set_user_attr("family", name)
        trial.set_user_attr("settings", trial_settings)
        return value

    return objective


# ---------------------------------------------------------------------------------------- running


def shares(trials, workers):
    """--trials split over the workers: [3, 3, 2] for 8 over 3."""
    return [trials // workers + (1 if k < trials % workers else 0) for k in range(workers)]


def run_on_dask(args, settings, folds, study_args):
    """One optimize loop per Dask worker on one shared study (DaskStorage, or --storage)."""
    import logging

    from distributed import Client, LocalCluster, wait

    for name in ("distributed", "optuna"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.scheduler == "local":
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=False, dashboard_address=None)
        client = Client(cluster)
    else:
        cluster, client = None, Client(args.scheduler)
        client.upload_file(os.path.join(HERE, "train.py"))
    try:
        workers = max(1, len(client.scheduler_info()["workers"]))
        storage = args.storage or optuna.integration.DaskStorage(client=client)
        study = optuna.create_study(storage=storage, **study_args)
        data = client.scatter(folds, broadcast=True)
        futures = [
            client.submit(optimize_share, study.study_name, storage, settings, data, k, n, pure=False)
            for k, n in enumerate(shares(args.trials, workers)) if n
        ]
        wait(futures)
        for f in futures:
            f.result()  # raises a worker's error here
        return study.get_trials(deepcopy=True), workers  # read while the scheduler holds them
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def optimize_share(study_name, storage, settings, folds, k, n):
    """On a Dask worker: n trials of the shared study, with this worker's own TPE seed."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=settings["search"]["seed"] + k)
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)
    study.optimize(objective_for(settings, folds, threads=1), n_trials=n)


def whole(text):
    """A count from the command line (MLflow passes numbers as '20.0')."""
    value = float(text)
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text}")
    return int(value)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="training CSV (with the target column)")
    ap.add_argument("--trials", type=whole, default=20, help="number of trials (default 20)")
    ap.add_argument("--scheduler", default="local", help="local (default), none, or a Dask scheduler address")
    ap.add_argument("--workers", type=whole, default=2, help="workers of the local Dask cluster (default 2)")
    ap.add_argument("--max-rounds", type=whole, help="train each trial for at most this many rounds "
                    "(default: the studio's, in settings.json)")
    ap.add_argument("--storage", help="an Optuna storage URL shared by the workers (default: the Dask scheduler)")
    ap.add_argument("--out", default="tuned.json", help="settings for train.py with the best trial (default tuned.json)")
    ap.add_argument("--settings", default=os.path.join(HERE, "settings.json"), help="the project's settings")
    args = ap.parse_args(argv)
    with open(args.settings, encoding="utf-8") as f:
        settings = json.load(f)
    # trials are single models on the heaviest member's preprocessing (the top-level settings): the
    # ensemble's other members, and the top model's own family block, are not carried into tuned.json
    for key in ("members", "leftOut", "xgboost", "linear", "forest", "mlp"):
        settings.pop(key, None)
    search = settings["search"]
    try:
        if not search["families"]:
            raise ExportError("none of the experiment's families (" + ", ".join(search["leftOut"]) +
                              ") has a translation in this project")
        for name in search["families"]:
            if name not in FAMILIES:
                raise ExportError(f"family '{name}' has no translation in this project")
        if search["leftOut"]:
            print(f"not searched: {', '.join(search['leftOut'])}")
        if args.max_rounds and "gbdt" in search["families"]:
            gbdt = search["families"]["gbdt"]
            gbdt["maxRounds"] = min(gbdt["maxRounds"], args.max_rounds)
        df, y = read_table(args.train, settings, need_target=True)
        started = time.time()
        folds = prepare_folds(df, y, settings)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study_args = {"direction": search["direction"], "sampler": optuna.samplers.TPESampler(seed=search["seed"])}
        if args.scheduler == "none":
            study = optuna.create_study(storage=args.storage, **study_args)
            study.optimize(objective_for(settings, folds, threads=1), n_trials=args.trials)
            trials, workers = study.get_trials(deepcopy=True), 1
        else:
            trials, workers = run_on_dask(args, settings, folds, study_args)
        done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            raise ExportError("no trial completed")
        print(f"{len(done)} trials, {search['metric']} ({search['direction']}), {len(folds)} fold(s), "
              f"scheduler {args.scheduler}, {workers} worker(s), {time.time() - started:.1f} s")
        for t in sorted(done, key=lambda t: t.number):
            shown = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items())
            chosen = t.user_attrs["settings"]
            rounds = (f"  rounds={chosen['xgboost']['num_boost_round']}" if "xgboost" in chosen else
                      f"  epochs={chosen['mlp']['epochs']}" if "mlp" in chosen else "")
            print(f"  trial {t.number:3d}  {t.value:.5f}  {t.user_attrs['family']}{rounds}  {shown}")
        best = (max if search["direction"] == "maximize" else min)(done, key=lambda t: t.value)
        print(f"best: trial {best.number} {search['metric']} {best.value:.5f}")
        tuned = best.user_attrs["settings"]
        tuned["tuned"] = {"trial": best.number, "value": best.value, "metric": search["metric"], "params": best.params}
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(tuned, f, indent=2)
        print(f"wrote {args.out} (python train.py --settings {args.out} --train ...)")
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
