/**
 * The exported train.py's linear model solves the studio's objective: the studio's linear family
 * (src/core/models/nn: Adam on mean loss + l2·Σw² + l1·Σ|w|, standardised inputs, unpenalised
 * intercept; for regression the loss is ½·(z − y)² on a standardised target), trained here long
 * enough to converge, and train.py's `train_linear` (scikit-learn) on the same rows give the same
 * predictions — for regression (Ridge, ElasticNet), binary logistic regression with balanced class
 * weights and multinomial logistic regression with l1 + l2 (saga); and against the studio's glm solver's
 * optimum (weak penalties, nearly separable classes, where saga's tolerance decides the last digits). The penalties are strong enough that a wrong scaling of them (by n,
 * or by the ½ of the squared loss) moves the predictions well past the tolerance (3% of a probability
 * or of the target's spread; the studio's mini-batch Adam stays ~1% from the optimum): the regression
 * translation had alpha half the studio's (0.19–0.21 of the target's spread off before the fix).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRAIN_PY } from '../../src/core/export/python/train-py.ts';
import { selectBackend } from '../../src/core/models/nn/backend.ts';
import { linearEstimator } from '../../src/core/models/nn/estimator.ts';
import type { FeatureMatrix, Task } from '../../src/core/models/types.ts';
import { createRng } from '../../src/core/util/random.ts';
import { PY, hasPythonExportTools } from '../helpers/python-export.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-py-linear-'));
const N = 240;
const F = 4;

beforeAll(async () => {
  await selectBackend('cpu');
  writeFileSync(join(dir, 'train.py'), TRAIN_PY);
});

/** Columns of different scales (one with gaps) and a target of the task, noisy so no class separates. */
function data(task: Task, seed: number, noise = 1): { cols: number[][]; y: number[] } {
  const rng = createRng(seed);
  const cols = Array.from({ length: F }, (_, j) =>
    Array.from({ length: N }, () => (j === 1 && rng.next() < 0.1 ? NaN : rng.normal() * (j + 1) + 2 * j)),
  );
  const y = Array.from({ length: N }, (_, i) => {
    const s =
      cols[0]![i]! -
      0.4 * (Number.isNaN(cols[1]![i]!) ? 2 : cols[1]![i]!) +
      0.3 * cols[2]![i]! +
      noise * rng.normal();
    if (task === 'regression') return 10 * s + 4;
    if (task === 'binary') return s > 1 ? 1 : 0;
    return s > 1.5 ? 2 : s > -0.5 ? 1 : 0;
  });
  return { cols, y };
}

interface Case {
  task: Task;
  l2: number;
  l1: number;
  balanced?: boolean;
  /** The studio's converged solver (models/glm) instead of Adam for 500 epochs. */
  glm?: boolean;
  /** The target's noise (1; smaller: nearly separable classes). */
  noise?: number;
}

async function studio(c: Case, cols: number[][], y: number[]): Promise<number[]> {
  const X: FeatureMatrix = { nRows: N, nCols: F, data: Float64Array.from(cols.flat()) };
  const nClasses = c.task === 'multiclass' ? 3 : 2;
  let weights: Float64Array | undefined;
  if (c.balanced) {
    const counts = new Array<number>(nClasses).fill(0);
    for (const v of y) counts[v]!++;
    weights = Float64Array.from(y, (v) => N / (nClasses * counts[v]!));
  }
  const m = await linearEstimator.fit(X, Float64Array.from(y), {
    task: c.task,
    ...(c.task === 'multiclass' ? { nClasses } : {}),
    ...(weights ? { weights } : {}),
    config: c.glm
      ? { l2: c.l2, l1: c.l1, solver: 'glm', seed: 5 }
      : { l2: c.l2, l1: c.l1, epochs: 500, learningRate: 0.005, patience: 0, seed: 5 },
  });
  return Array.from(m.predict(X));
}

function python(c: Case, cols: number[][], y: number[]): number[] {
  const settings = {
    task: c.task,
    classes: c.task === 'multiclass' ? ['a', 'b', 'c'] : c.task === 'binary' ? ['no', 'yes'] : null,
    classWeight: c.balanced ? 'balanced' : 'none',
    seed: 1,
    linear: { l1: c.l1, l2: c.l2 },
  };
  const script = `
import json, sys, warnings
import numpy as np, pandas as pd
sys.path.insert(0, ${JSON.stringify(dir)})
warnings.simplefilter("ignore")
from train import train_linear
cols, y, settings = json.loads(sys.stdin.read())
X = pd.DataFrame({f"x{j}": np.array(c, float) for j, c in enumerate(cols)})
p = np.asarray(train_linear(X, np.array(y, float), settings).predict(X))
if settings["task"] == "binary":
    p = np.stack([1 - p, p], axis=1)
print(json.dumps(p.ravel().tolist()))
`;
  const nan = cols.map((c) => c.map((v) => (Number.isNaN(v) ? null : v)));
  const out = execFileSync(PY, ['-c', script], {
    input: JSON.stringify([nan, y, settings]),
    encoding: 'utf8',
  });
  return JSON.parse(out) as number[];
}

describe.runIf(hasPythonExportTools)("train.py's linear model solves the studio's linear objective", () => {
  it.each<[string, Case, number]>([
    // tolerance: absolute on probabilities; on values, relative to the target's spread (≈ 20)
    ['ridge regression', { task: 'regression', l2: 0.1, l1: 0 }, 0.03],
    ['elastic-net regression', { task: 'regression', l2: 0.05, l1: 0.05 }, 0.03],
    ['binary, balanced class weights', { task: 'binary', l2: 0.05, l1: 0, balanced: true }, 0.03],
    ['multinomial, l1 + l2 (saga)', { task: 'multiclass', l2: 0.02, l1: 0.01 }, 0.03],
    // the studio's glm optimum, weakly penalised on nearly separable classes (as the search's glm trials
    // on wine and penguins): the objective is flat there, and saga from zero at its default tol (1e-4)
    // stopped 0.02–0.06 of a probability away (here 0.0052 and 0.0019); from lbfgs's l2 optimum at tol 1e-6
    // it is within 4e-5
    [
      'multinomial, weak l1 + l2, nearly separable (glm)',
      { task: 'multiclass', l2: 5e-5, l1: 1e-6, glm: true, noise: 0.05 },
      5e-4,
    ],
    [
      'binary, weak l1 + l2, nearly separable (glm)',
      { task: 'binary', l2: 1e-4, l1: 1e-8, glm: true, noise: 0.05 },
      5e-4,
    ],
  ])(
    '%s: the same predictions as the studio’s converged model',
    async (_, c, tolerance) => {
      const { cols, y } = data(c.task, 11, c.noise);
      const ours = await studio(c, cols, y);
      const theirs = python(c, cols, y);
      expect(theirs).toHaveLength(ours.length);
      const spread = c.task === 'regression' ? Math.sqrt(y.reduce((a, v) => a + (v - 4) ** 2, 0) / N) : 1;
      const worst = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]!) / spread));
      expect(worst, `largest difference ${worst}`).toBeLessThanOrEqual(tolerance);
    },
    120_000,
  );
});
