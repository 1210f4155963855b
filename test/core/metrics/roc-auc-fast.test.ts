/**
 * The unweighted ROC AUC (sorted positives and negatives merged from the top) must give the same bits
 * as the area under `rocCurve` — the ensemble selection compares blends by it, and a replay must pick
 * the same blend as the search did.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rocAuc, rocCurve } from '../../../src/core/metrics/index.ts';

/** The trapezoid sum over the curve's points, as `rocAuc` computed it before the fast path. */
function curveArea(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const pts = rocCurve(y, score);
  const last = pts[pts.length - 1];
  if (!(last.fpr > 0) || !(last.tpr > 0)) return NaN;
  let area = 0;
  for (let k = 1; k < pts.length; k++)
    area += ((pts[k].fpr - pts[k - 1].fpr) * (pts[k].tpr + pts[k - 1].tpr)) / 2;
  return area;
}

describe('rocAuc (unweighted fast path)', () => {
  it('equals the curve area bit for bit, with ties, one class, extremes and signed zeros', () => {
    const score = fc.oneof(
      fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
      fc.constantFrom(0, -0, 1, 0.5, Number.MIN_VALUE, 1 - 1e-16),
      fc.integer({ min: 0, max: 4 }).map((k) => k / 4),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), score), { maxLength: 300 }), (rows) => {
        const y = Uint8Array.from(rows, (r) => r[0]);
        const s = Float64Array.from(rows, (r) => r[1]);
        expect(Object.is(rocAuc(y, s), curveArea(y, s))).toBe(true);
      }),
      { numRuns: 2000, seed: 17 },
    );
  });

  it('takes the curve path when a score is NaN', () => {
    const y = Uint8Array.from([1, 0, 1, 0]);
    const s = Float64Array.from([0.9, NaN, 0.2, 0.4]);
    expect(Object.is(rocAuc(y, s), curveArea(y, s))).toBe(true);
  });

  it('gives the textbook value on a small case', () => {
    // Positives 0.9, 0.4; negatives 0.5, 0.1: 3 of 4 pairs ordered → 0.75.
    expect(rocAuc(Uint8Array.from([1, 0, 1, 0]), Float64Array.from([0.9, 0.5, 0.4, 0.1]))).toBe(0.75);
  });
});
