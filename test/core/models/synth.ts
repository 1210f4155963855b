/** Seeded synthetic datasets for model tests. */
import { createRng } from '../../../src/core/util/random.ts';
import type { FeatureMatrix, Task } from '../../../src/core/models/types.ts';
import { matrixFromColumns } from '../../../src/core/models/types.ts';

export interface SynthData {
  X: FeatureMatrix;
  y: Float64Array;
  nClasses: number;
}

/**
 * n rows, 4 numeric features (x0, x1 informative; x2 noise; x3 constant) + 1 categorical (3 levels).
 * binary: y = [x0 + 0.5·x1 + noise > 0]; multiclass: 3 classes by x0 band; regression: 3·x0 + x1² + noise.
 */
export function synth(task: Task, n: number, seed = 1, opts: { missing?: number } = {}): SynthData {
  const rng = createRng(seed);
  const x0 = new Float64Array(n);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const x3 = new Float64Array(n).fill(7);
  const c = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x0[i] = rng.normal();
    x1[i] = rng.normal();
    x2[i] = rng.normal();
    c[i] = rng.int(3);
    const noise = 0.3 * rng.normal();
    if (task === 'binary') y[i] = x0[i] + 0.5 * x1[i] + (c[i] === 2 ? 0.5 : 0) + noise > 0 ? 1 : 0;
    else if (task === 'multiclass') y[i] = x0[i] + noise < -0.5 ? 0 : x0[i] + noise < 0.5 ? 1 : 2;
    else y[i] = 3 * x0[i] + x1[i] * x1[i] + (c[i] === 1 ? 1 : 0) + noise;
    if (opts.missing) {
      if (rng.next() < opts.missing) x1[i] = NaN;
      if (rng.next() < opts.missing) c[i] = NaN;
    }
  }
  const X = matrixFromColumns([x0, x1, x2, x3, c], {
    featureNames: ['x0', 'x1', 'x2', 'x3', 'c'],
    categorical: [false, false, false, false, true],
  });
  return { X, y, nClasses: task === 'regression' ? 1 : task === 'binary' ? 2 : 3 };
}

export function argmax(p: Float64Array, K: number, i: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
  return best;
}

export function accuracyOf(p: Float64Array, y: Float64Array, K: number): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (argmax(p, K, i) === y[i]) ok++;
  return ok / y.length;
}
