#!/usr/bin/python3
"""Checks our GBDT exported as XGBoost JSON against python3-xgboost 1.7.

Usage: check_xgboost.py [--time] CASE.json [CASE.json ...]
Each case file: {"model": <XGBoost JSON model>, "X": [[row-major values, null = missing]],
"feature_types": ["q"|"c", ...], "margin": [rows × groups], "shap": [rows × groups × (features+1)]}.
Prints one JSON line per case: max |margin difference| and max |SHAP difference| against
Booster.predict(output_margin=True) and Booster.predict(pred_contribs=True). With --time, also
pred_contribs rows/s on one thread (best of 3; by wall time and by the process's CPU time), for
bench/explain's speed ratio.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np
import xgboost as xgb

timing = '--time' in sys.argv[1:]
for path in [a for a in sys.argv[1:] if a != '--time']:
    with open(path) as f:
        case = json.load(f)
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as tmp:
        json.dump(case['model'], tmp)
        model_path = tmp.name
    booster = xgb.Booster(model_file=model_path)
    os.unlink(model_path)
    X = np.array([[np.nan if v is None else v for v in row] for row in case['X']], dtype=np.float32)
    names = case['model']['learner']['feature_names']
    dm = xgb.DMatrix(X, feature_names=names, feature_types=case['feature_types'], enable_categorical=True,
                     missing=np.nan)
    margin = booster.predict(dm, output_margin=True)
    contribs = booster.predict(dm, pred_contribs=True)
    ours_m = np.array(case['margin'], dtype=np.float64).reshape(margin.shape)
    ours_s = np.array(case['shap'], dtype=np.float64).reshape(contribs.shape)
    extra = {}
    if timing:
        booster.set_param({'nthread': 1})
        best = float('inf')
        best_cpu = float('inf')
        for _ in range(3):
            t0 = time.perf_counter()
            c0 = time.process_time()
            booster.predict(dm, pred_contribs=True)
            best_cpu = min(best_cpu, time.process_time() - c0)
            best = min(best, time.perf_counter() - t0)
        extra['xgb_contribs_rows_per_s'] = X.shape[0] / best
        # by the process's CPU time: not stretched by a loaded machine as wall time is
        extra['xgb_contribs_rows_per_cpu_s'] = X.shape[0] / best_cpu
    print(json.dumps({
        'case': os.path.basename(path),
        'rows': int(X.shape[0]),
        'margin_max_abs_diff': float(np.max(np.abs(margin - ours_m))),
        'shap_max_abs_diff': float(np.max(np.abs(contribs - ours_s))),
        'margin_scale': float(np.max(np.abs(ours_m))),
        **extra,
    }))
