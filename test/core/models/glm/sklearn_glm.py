"""scikit-learn reference fits for test/core/models/glm (Debian python3-sklearn).

Reads a JSON problem {kind, n, p, X (row-major, already standardised), y, w (row weights or null),
l1, l2, K} and prints {coef: K×p (binary and regression: 1×p), intercept: K, n_iter} of the
scikit-learn model whose objective is the studio's: weighted mean loss + l2·Σw² + l1·Σ|w|,
intercepts not penalised. With W = Σ row weights (n without weights):
- logistic / multinomial, l1 = 0:  C = 1 / (2·W·l2)                        (newton-cg)
- logistic / multinomial, l1 > 0:  C = 1 / (W·(l1 + 2·l2)), l1_ratio = l1 / (l1 + 2·l2)  (saga)
- squared error ½(z − y)², l1 = 0:  Ridge alpha = 2·W·l2                    (cholesky)
- squared error, l1 > 0:  ElasticNet alpha = l1 + 2·l2, l1_ratio = l1 / alpha (coordinate descent)
"""
import json
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

warnings.simplefilter("ignore", ConvergenceWarning)

d = json.load(open(sys.argv[1]))
n, p = d["n"], d["p"]
X = np.array(d["X"], dtype=np.float64).reshape(n, p)
y = np.array(d["y"], dtype=np.float64)
w = np.array(d["w"], dtype=np.float64) if d.get("w") is not None else None
W = float(w.sum()) if w is not None else float(n)
l1, l2, kind = d["l1"], d["l2"], d["kind"]

if kind in ("logistic", "softmax"):
    multi = "multinomial" if kind == "softmax" else "auto"
    if l1 == 0:
        m = LogisticRegression(C=1 / (2 * W * l2), solver="newton-cg", tol=1e-10, max_iter=1000, multi_class=multi)
    else:
        s = l1 + 2 * l2
        m = LogisticRegression(
            C=1 / (W * s), penalty="elasticnet", l1_ratio=l1 / s, solver="saga", tol=1e-12,
            max_iter=200000, multi_class=multi, random_state=0,
        )
    m.fit(X, y.astype(int), sample_weight=w)
    coef, intercept = m.coef_, m.intercept_
else:
    if l1 == 0:
        m = Ridge(alpha=2 * W * l2, solver="cholesky")
    else:
        a = l1 + 2 * l2
        m = ElasticNet(alpha=a, l1_ratio=l1 / a, tol=1e-14, max_iter=1000000, selection="cyclic")
    m.fit(X, y, sample_weight=w)
    coef, intercept = np.atleast_2d(m.coef_), np.atleast_1d(m.intercept_)

n_iter = np.max(np.atleast_1d(m.n_iter_)) if getattr(m, "n_iter_", None) is not None else 0
print(json.dumps({"coef": coef.tolist(), "intercept": np.asarray(intercept).tolist(), "n_iter": int(n_iter)}))
