/**
 * Calibration maps for CBPE: pool-adjacent-violators against a brute force over every partition
 * into consecutive blocks, its properties (monotone, each block's value is the weighted mean of its
 * rows, equal inputs share a value), the stored map read between block ends, Platt scaling
 * recovering a known logistic, the choice of method by the size of the reference, and the map
 * against scikit-learn's IsotonicRegression(out_of_bounds='clip') when python3-sklearn is there.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ISOTONIC_MIN_ROWS,
  applyCalibration,
  calibrate,
  fitCalibration,
  isotonicFit,
  isotonicMap,
  plattMap,
} from '../../../src/core/monitor/calibration.ts';
import { createRng } from '../../../src/core/util/random.ts';

/**
 * Isotonic regression by brute force (x distinct and sorted): the optimum is a partition into
 * consecutive blocks, each at its weighted mean, the means non-decreasing; try every partition.
 */
function bruteForce(y: number[], w: number[]): number[] {
  const n = y.length;
  let best: number[] = [];
  let bestSse = Infinity;
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const fit: number[] = [];
    let start = 0;
    let prev = -Infinity;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      if (i === n - 1 || mask & (1 << i)) {
        let sw = 0;
        let sy = 0;
        for (let k = start; k <= i; k++) {
          sw += w[k]!;
          sy += w[k]! * y[k]!;
        }
        const m = sy / sw;
        if (m < prev - 1e-12) ok = false;
        prev = m;
        for (let k = start; k <= i; k++) fit.push(m);
        start = i + 1;
      }
    }
    if (!ok) continue;
    const sse = fit.reduce((s, f, k) => s + w[k]! * (f - y[k]!) ** 2, 0);
    if (sse < bestSse - 1e-12) {
      bestSse = sse;
      best = fit;
    }
  }
  return best;
}

describe('pool-adjacent-violators', () => {
  it('a known case: each violation pooled into the mean of its rows', () => {
    expect([...isotonicFit([1, 2, 3, 4, 5], [1, 3, 2, 4, 3.5])]).toEqual([1, 2.5, 2.5, 3.75, 3.75]);
    // Unsorted input: fitted values come back in input order.
    expect([...isotonicFit([5, 1, 3, 2, 4], [3.5, 1, 2, 3, 4])]).toEqual([3.75, 1, 2.5, 2.5, 3.75]);
    // Weights: a heavy row pulls its block.
    expect([...isotonicFit([1, 2], [1, 0], [3, 1])]).toEqual([0.75, 0.75]);
    // Equal x values are pooled first: the tie (mean 0.5) stays above 0.4 and is not merged with it.
    expect([...isotonicFit([0, 1, 1], [0.4, 0, 1])]).toEqual([0.4, 0.5, 0.5]);
  });

  it('equals the brute-force optimum (distinct x, positive weights)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 1, max: 5 })), {
          minLength: 1,
          maxLength: 9,
        }),
        (rows) => {
          const y = rows.map((r) => r[0] / 4);
          const w = rows.map((r) => r[1]);
          const x = rows.map((_, i) => i);
          const got = [...isotonicFit(x, y, w)];
          const want = bruteForce(y, w);
          got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 10));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is monotone, equal x share a value, and each run of equal values is the weighted mean of its rows', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 15 }),
            fc.double({ min: -5, max: 5, noNaN: true }),
            fc.double({ min: 0.1, max: 3, noNaN: true }),
          ),
          { minLength: 1, maxLength: 60 },
        ),
        (rows) => {
          const x = rows.map((r) => r[0]);
          const y = rows.map((r) => r[1]);
          const w = rows.map((r) => r[2]);
          const fit = isotonicFit(x, y, w);
          const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
          for (let k = 1; k < order.length; k++) {
            const a = order[k - 1]!;
            const b = order[k]!;
            expect(fit[b]!).toBeGreaterThanOrEqual(fit[a]! - 1e-12);
            if (x[a] === x[b]) expect(fit[b]).toBe(fit[a]);
          }
          // Runs of equal fitted values (in x order): weighted mean of y preserved.
          let start = 0;
          for (let k = 1; k <= order.length; k++) {
            if (k < order.length && fit[order[k]!] === fit[order[start]!]) continue;
            let sw = 0;
            let sy = 0;
            for (let j = start; j < k; j++) {
              sw += w[order[j]!]!;
              sy += w[order[j]!]! * y[order[j]!]!;
            }
            expect(fit[order[start]!]!).toBeCloseTo(sy / sw, 9);
            start = k;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses non-finite values, negative weights and mismatched lengths', () => {
    expect(() => isotonicFit([1, 2], [1])).toThrow(/differ in length/);
    expect(() => isotonicFit([1, NaN], [1, 0])).toThrow(/row 1 has a non-finite value/);
    expect(() => isotonicFit([1, 2], [1, 0], [1, -1])).toThrow(/row 1 .*negative weight/);
  });
});

describe('the stored isotonic map', () => {
  it('keeps the ends of each block and reads linearly between them, clipped outside', () => {
    const p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const t = [0, 1, 0, 0, 1, 0, 1, 1];
    const map = isotonicMap(p, t);
    const fit = isotonicFit(p, t);
    // At every fitted input the map gives the fitted value.
    p.forEach((v, i) => expect(calibrate(map, v)).toBeCloseTo(fit[i]!, 12));
    if (map.kind !== 'isotonic') throw new Error('expected an isotonic map');
    // Fitted [0, 1/3, 1/3, 1/3, 0.5, 0.5, 1, 1]: interior points of the runs are dropped.
    expect(map.x).toEqual([0.1, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8]);
    expect(calibrate(map, 0.05)).toBe(0);
    expect(calibrate(map, 0.95)).toBe(1);
    expect(calibrate(map, 0.65)).toBeCloseTo(0.75, 12);
    expect(calibrate(map, 0.15)).toBeCloseTo(1 / 6, 12);
  });
});

describe('against scikit-learn', () => {
  const python = '/usr/bin/python3';
  const hasSklearn = (() => {
    try {
      execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!hasSklearn && process.env.CI) throw new Error('CI must install python3-sklearn (see .ci/run)');

  it.runIf(hasSklearn)('the isotonic map equals IsotonicRegression(out_of_bounds="clip") everywhere', () => {
    const cases = [1, 2, 3].map((seed) => {
      const rng = createRng(seed);
      const n = 300 * seed;
      // Rounded to make ties, as model probabilities often have.
      const p = Array.from({ length: n }, () => Math.round(rng.next() * 200) / 200);
      const t = p.map((v) => (rng.next() < v ** (seed / 2) ? 1 : 0));
      const grid = Array.from({ length: 601 }, (_, i) => -0.1 + (1.2 * i) / 600);
      return { p, t, grid };
    });
    const script = `
import json, sys
from sklearn.isotonic import IsotonicRegression
out = []
for c in json.load(sys.stdin):
    ir = IsotonicRegression(out_of_bounds='clip').fit(c['p'], c['t'])
    out.append([float(v) for v in ir.predict(c['grid'])])
print(json.dumps(out))
`;
    const ref = JSON.parse(
      execFileSync(python, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' }),
    ) as number[][];
    cases.forEach((c, k) => {
      const map = isotonicMap(c.p, c.t);
      c.grid.forEach((g, i) => expect(calibrate(map, g), `case ${k} at ${g}`).toBeCloseTo(ref[k]![i]!, 12));
    });
  });
});

describe('Platt scaling', () => {
  it('recovers a known logistic of the logit', () => {
    const rng = createRng(3);
    const n = 20_000;
    const p = new Float64Array(n);
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      p[i] = 0.02 + 0.96 * rng.next();
      const z = Math.log(p[i]! / (1 - p[i]!));
      t[i] = rng.next() < 1 / (1 + Math.exp(-(0.5 * z + 0.4))) ? 1 : 0;
    }
    const map = plattMap(p, t);
    if (map.kind !== 'platt') throw new Error('expected a Platt map');
    expect(map.a).toBeCloseTo(0.5, 1);
    expect(map.b).toBeCloseTo(0.4, 1);
  });
});

describe('fitCalibration', () => {
  const sample = (n: number, seed: number, positives = true) => {
    const rng = createRng(seed);
    const pred = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      pred[i] = rng.next();
      y[i] = positives && rng.next() < pred[i]! ** 2 ? 1 : 0;
    }
    return { pred, y };
  };

  it('isotonic on a large reference, Platt on a small one, none for one class or a handful of rows', () => {
    const big = sample(ISOTONIC_MIN_ROWS * 3, 1);
    expect(fitCalibration('binary', big.y, big.pred, 2).method).toBe('isotonic');
    const small = sample(40, 2);
    const platt = fitCalibration('binary', small.y, small.pred, 2);
    expect(platt.method).toBe('platt');
    expect(platt.reason).toMatch(/too few rows for isotonic regression: 40/);
    const single = sample(500, 3, false);
    const none = fitCalibration('binary', single.y, single.pred, 2);
    expect(none.method).toBe('none');
    expect(none.reason).toMatch(/too few or of a single class/);
    expect(none.maps).toEqual([{ kind: 'identity' }]);
    expect(fitCalibration('binary', new Float64Array(0), new Float64Array(0), 2).method).toBe('none');
  });

  it('reads P(class 1) from one column or from two, and leaves out unknown labels', () => {
    const { pred, y } = sample(300, 4);
    const two = new Float64Array(600);
    pred.forEach((p, i) => {
      two[2 * i] = 1 - p;
      two[2 * i + 1] = p;
    });
    const a = fitCalibration('binary', y, pred, 2);
    const b = fitCalibration('binary', y, two, 2);
    expect(b).toEqual(a);
    const withUnknown = Float64Array.from(y);
    withUnknown[0] = NaN;
    expect(fitCalibration('binary', withUnknown, pred, 2).rows).toBe(299);
    expect(() => fitCalibration('multiclass', y, pred, 3)).toThrow(
      /300 predictions for 300 rows and 3 classes/,
    );
  });

  it('multiclass: one map per class, calibrated rows sum to 1 and keep their layout', () => {
    const rng = createRng(9);
    const n = 600;
    const k = 3;
    const pred = new Float64Array(n * k);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const raw = [rng.next(), rng.next(), rng.next()].map((v) => Math.exp(4 * v));
      const s = raw.reduce((a, b) => a + b, 0);
      raw.forEach((v, c) => (pred[i * k + c] = v / s));
      y[i] = rng.int(k);
    }
    const cal = fitCalibration('multiclass', y, pred, k);
    expect(cal.maps).toHaveLength(3);
    expect(cal.method).toBe('isotonic');
    const out = applyCalibration(cal, 'multiclass', pred, n, k);
    expect(out).toHaveLength(n * k);
    for (let i = 0; i < n; i++) expect(out[i * k]! + out[i * k + 1]! + out[i * k + 2]!).toBeCloseTo(1, 12);
    // Labels drawn independently of the predictions: calibrated probabilities are near 1/3.
    let far = 0;
    for (const v of out) if (Math.abs(v - 1 / 3) > 0.2) far++;
    expect(far / out.length).toBeLessThan(0.05);
  });
});
