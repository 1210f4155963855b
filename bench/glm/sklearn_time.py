"""Times scikit-learn on a problem written by bench/glm/run.ts: raw little-endian float64 files
X (column-major n × p, already standardised) and y, plus a JSON spec {n, p, kind, l1, l2}. Prints
{seconds, n_iter, coef (K × p), intercept (K)}. Mapping to the studio's objective (mean loss +
l2·Σw² + l1·Σ|w|): l1 = 0 → lbfgs, C = 1 / (2·n·l2); l1 > 0 → saga, C = 1 / (n·(l1 + 2·l2)),
l1_ratio = l1 / (l1 + 2·l2)."""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

warnings.simplefilter("ignore", ConvergenceWarning)
spec = json.load(open(sys.argv[1]))
n, p = spec["n"], spec["p"]
X = np.ascontiguousarray(np.fromfile(sys.argv[2], dtype="<f8").reshape(p, n).T)
y = np.fromfile(sys.argv[3], dtype="<f8").astype(int)
l1, l2 = spec["l1"], spec["l2"]
multi = "multinomial" if spec["kind"] == "softmax" else "auto"
tol = spec.get("tol", 1e-8)
if l1 == 0:
    m = LogisticRegression(C=1 / (2 * n * l2), solver="lbfgs", tol=tol, max_iter=10000, multi_class=multi)
else:
    s = l1 + 2 * l2
    m = LogisticRegression(C=1 / (n * s), penalty="elasticnet", l1_ratio=l1 / s, solver="saga", tol=tol,
                           max_iter=10000, multi_class=multi, random_state=0)
t0 = time.perf_counter()
m.fit(X, y)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "n_iter": int(np.max(m.n_iter_)), "coef": m.coef_.tolist(),
                  "intercept": np.asarray(m.intercept_).tolist()}))
