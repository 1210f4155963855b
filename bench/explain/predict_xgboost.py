#!/usr/bin/python3
"""What a Python user does with `cli export --format xgboost`: load the model in xgboost.Booster, read the
features CSV written with --data/--features, predict. Prints the predictions as JSON (rows × outputs):
p(positive) for binary, class probabilities for multiclass, the value for regression.

Usage: predict_xgboost.py MODEL.json FEATURES.csv
"""
import json
import sys

import numpy as np
import xgboost as xgb

model_path, features_path = sys.argv[1], sys.argv[2]
booster = xgb.Booster(model_file=model_path)
with open(model_path) as f:
    learner = json.load(f)['learner']
with open(features_path) as f:
    header = f.readline().rstrip('\n').split(',')
X = np.genfromtxt(features_path, delimiter=',', skip_header=1, dtype=np.float32, filling_values=np.nan,
                  missing_values='')
X = X.reshape(-1, len(header))
dm = xgb.DMatrix(X, feature_names=learner['feature_names'], feature_types=learner['feature_types'],
                 enable_categorical=True, missing=np.nan)
p = booster.predict(dm)
print(json.dumps({'names': header, 'predictions': p.tolist()}))
