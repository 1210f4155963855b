/**
 * Exact SHAP for linear models: additivity against the model's own predictions (log-odds, class
 * scores through softmax, values) for binary, multiclass and regression, including missing values and
 * a constant feature; and equality with a brute-force interventional Shapley computation (every
 * coalition, the background rows filling the absent features) on a small model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/models/nn/backend.ts';
import { linearEstimator } from '../../../src/core/models/nn/estimator.ts';
import {
  isLinearModel,
  linearGroups,
  linearShap,
  type LinearLike,
} from '../../../src/core/explain/linear.ts';
import type { FeatureMatrix, Fitted, Task } from '../../../src/core/models/types.ts';
import { createRng } from '../../../src/core/util/random.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

function synth(n: number, nF: number, seed: number): { X: FeatureMatrix; cols: Float64Array[] } {
  const rng = createRng(seed);
  const cols = Array.from({ length: nF }, (_, j) =>
    Float64Array.from({ length: n }, () =>
      j === nF - 1 ? 3 : j === 1 && rng.next() < 0.1 ? NaN : rng.normal() * (j + 1) + j,
    ),
  );
  const data = new Float64Array(n * nF);
  cols.forEach((c, j) => data.set(c, j * n));
  return { X: { nRows: n, nCols: nF, data }, cols };
}

async function fit(task: Task, X: FeatureMatrix, cols: Float64Array[]): Promise<Fitted & LinearLike> {
  const n = X.nRows;
  const s = (i: number) =>
    cols[0]![i]! - 0.5 * (Number.isNaN(cols[1]![i]!) ? 0 : cols[1]![i]!) + 0.3 * cols[2]![i]!;
  const y = Float64Array.from({ length: n }, (_, i) =>
    task === 'regression'
      ? 10 * s(i) + 4
      : task === 'binary'
        ? s(i) > 0.2
          ? 1
          : 0
        : s(i) > 1
          ? 2
          : s(i) > -0.5
            ? 1
            : 0,
  );
  const m = await linearEstimator.fit(X, y, {
    task,
    ...(task === 'multiclass' ? { nClasses: 3 } : {}),
    config: { epochs: 30, seed: 3 },
  });
  expect(isLinearModel(m)).toBe(true);
  return m as Fitted & LinearLike;
}

/** The raw output the SHAP values must add up to, from the model's own predictions. */
function rawOutputs(task: Task, m: Fitted, X: FeatureMatrix): Float64Array {
  const p = m.predict(X);
  if (task === 'regression') return Float64Array.from(p);
  if (task === 'binary')
    return Float64Array.from({ length: X.nRows }, (_, i) => Math.log(p[2 * i + 1]! / p[2 * i]!));
  return Float64Array.from(p); // multiclass: compared through softmax
}

describe('linear SHAP', () => {
  it.each(['binary', 'multiclass', 'regression'] as const)(
    '%s: base value + contributions = the model output for every row; contributions average to 0',
    async (task) => {
      const { X, cols } = synth(300, 5, 7);
      const m = await fit(task, X, cols);
      const G = linearGroups(m);
      const phi = linearShap(m, X);
      const width = X.nCols + 1;
      const raw = rawOutputs(task, m, X);
      let worst = 0;
      for (let i = 0; i < X.nRows; i++) {
        const sums = Array.from({ length: G }, (_, g) => {
          let s = 0;
          for (let k = 0; k < width; k++) s += phi[(i * G + g) * width + k]!;
          return s;
        });
        if (task === 'multiclass') {
          const mx = Math.max(...sums);
          const e = sums.map((v) => Math.exp(v - mx));
          const tot = e.reduce((a, b) => a + b, 0);
          e.forEach((v, g) => (worst = Math.max(worst, Math.abs(v / tot - raw[i * G + g]!))));
        } else {
          worst = Math.max(worst, Math.abs(sums[0]! - raw[i]!) / Math.max(1, Math.abs(raw[i]!)));
        }
      }
      expect(worst).toBeLessThan(1e-9);
      // each feature's contributions average to 0 over the background (the rows themselves)
      for (let j = 0; j < X.nCols; j++) {
        for (let g = 0; g < G; g++) {
          let s = 0;
          for (let i = 0; i < X.nRows; i++) s += phi[(i * G + g) * width + j]!;
          expect(Math.abs(s / X.nRows)).toBeLessThan(1e-9);
        }
      }
      // the constant feature explains nothing
      for (let i = 0; i < X.nRows; i++) expect(phi[i * G * width + X.nCols - 1]).toBe(0);
    },
    60_000,
  );

  it('equals brute-force interventional Shapley values (all coalitions, background fills the rest)', async () => {
    const { X, cols } = synth(40, 4, 11);
    const m = await fit('regression', X, cols);
    const phi = linearShap(m, X);
    const nF = X.nCols;
    const n = X.nRows;
    // v(S) for row i: mean over background rows b of f(x_i on S, x_b elsewhere)
    const value = (i: number, S: number): number => {
      const data = new Float64Array(n * nF);
      for (let j = 0; j < nF; j++)
        for (let b = 0; b < n; b++) data[j * n + b] = (S >> j) & 1 ? X.data[j * n + i]! : X.data[j * n + b]!;
      const p = m.predict({ nRows: n, nCols: nF, data });
      return p.reduce((a, v) => a + v, 0) / n;
    };
    const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
    for (const i of [0, 5, 17]) {
      const v = Array.from({ length: 1 << nF }, (_, S) => value(i, S));
      for (let j = 0; j < nF; j++) {
        let s = 0;
        for (let S = 0; S < 1 << nF; S++) {
          if ((S >> j) & 1) continue;
          let size = 0;
          for (let k = 0; k < nF; k++) size += (S >> k) & 1;
          s += ((fact(size) * fact(nF - size - 1)) / fact(nF)) * (v[S | (1 << j)]! - v[S]!);
        }
        expect(phi[i * (nF + 1) + j]).toBeCloseTo(s, 8);
      }
      expect(phi[i * (nF + 1) + nF]).toBeCloseTo(v[0]!, 8);
    }
  }, 60_000);
});
