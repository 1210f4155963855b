/** Seeded data and the scikit-learn reference for the GLM solver's tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/paths.ts';
import { createRng } from '../../../../src/core/util/random.ts';
import { matrixFromColumns, type FeatureMatrix, type Task } from '../../../../src/core/models/types.ts';
import type { GlmProblem } from '../../../../src/core/models/glm/index.ts';

export const PY = '/usr/bin/python3';

/**
 * n rows, p numeric features on different scales (two correlated, one constant, a few NaN), labels from
 * a noisy linear model: binary, K classes or a regression target.
 */
export function glmData(
  task: Task,
  n: number,
  p: number,
  seed: number,
  K = 3,
): { X: FeatureMatrix; y: Float64Array; nClasses: number } {
  const rng = createRng(seed);
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) cols.push(new Float64Array(n));
  const beta = Array.from({ length: p * K }, () => rng.normal());
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const scale = 1 + 10 * (j % 3);
      cols[j][i] = j === 1 && p > 2 ? cols[0][i] * 0.8 + 0.6 * rng.normal() : scale * rng.normal() + j;
    }
    if (p > 3) cols[3][i] = 5; // constant
    const z = new Float64Array(K);
    for (let k = 0; k < K; k++)
      for (let j = 0; j < p; j++) z[k] += (beta[j * K + k] * (cols[j][i] - j)) / (1 + 10 * (j % 3));
    if (task === 'regression') y[i] = 3 * z[0] + 2 * rng.normal() + 10;
    else if (task === 'binary') y[i] = z[0] + 1.5 * rng.normal() > 0.3 ? 1 : 0;
    else {
      let best = 0;
      let bv = -Infinity;
      for (let k = 0; k < K; k++) {
        const v = z[k] + 1.5 * rng.normal();
        if (v > bv) {
          bv = v;
          best = k;
        }
      }
      y[i] = best;
    }
  }
  if (p > 2) for (let i = 0; i < n; i += 37) cols[2][i] = NaN;
  return { X: matrixFromColumns(cols), y, nClasses: task === 'regression' ? 1 : task === 'binary' ? 2 : K };
}

/** Seeded row weights in [0.2, 3). */
export function rowWeights(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => 0.2 + 2.8 * rng.next());
}

export interface SklearnFit {
  /** K × p (binary and regression 1 × p). */
  coef: number[][];
  intercept: number[];
  n_iter: number;
}

/** scikit-learn's solution of the studio's objective on a problem's design (see sklearn_glm.py). */
export function sklearnFit(problem: GlmProblem, l1: number, l2: number): SklearnFit {
  const { nRows: n, nCols: p, X } = problem;
  const rowMajor = new Array<number>(n * p);
  for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) rowMajor[i * p + j] = X[j * n + i];
  const dir = mkdtempSync(join(tmpdir(), 'glm-sk-'));
  try {
    const file = join(dir, 'problem.json');
    writeFileSync(
      file,
      JSON.stringify({
        kind: problem.loss,
        n,
        p,
        X: rowMajor,
        y: Array.from(problem.y),
        w: problem.rowWeights ? Array.from(problem.rowWeights) : null,
        l1,
        l2,
        K: problem.nOutputs,
      }),
    );
    const script = join(REPO_ROOT, 'test/core/models/glm/sklearn_glm.py');
    return JSON.parse(execFileSync(PY, [script, file], { encoding: 'utf8' })) as SklearnFit;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** θ (weights p × K row-major, then intercepts; softmax intercepts centred) from a scikit-learn fit. */
export function sklearnTheta(sk: SklearnFit, p: number, K: number): Float64Array {
  const theta = new Float64Array(p * K + K);
  for (let j = 0; j < p; j++) for (let k = 0; k < K; k++) theta[j * K + k] = sk.coef[k][j];
  const mean = K > 1 ? sk.intercept.reduce((a, b) => a + b, 0) / K : 0;
  for (let k = 0; k < K; k++) theta[p * K + k] = sk.intercept[k] - mean;
  return theta;
}
