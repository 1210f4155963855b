import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { foldIndices, holdoutPlan, kFoldPlan } from '../../../src/core/metrics/index.ts';

const labelled = fc
  .integer({ min: 10, max: 300 })
  .chain((n) => fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }));

describe('split plans', () => {
  it('k-fold puts every row in exactly one validation fold, stratified within ±1 per class', () => {
    fc.assert(
      fc.property(labelled, fc.integer({ min: 2, max: 10 }), fc.integer(), (y, k, seed) => {
        const plan = kFoldPlan(y.length, k, seed, y);
        const seen = new Int32Array(y.length);
        for (let f = 0; f < k; f++) {
          const { train, valid } = foldIndices(plan, f);
          expect(train.length + valid.length).toBe(y.length);
          for (const i of valid) seen[i]++;
          for (let c = 0; c <= 4; c++) {
            const total = y.filter((v) => v === c).length;
            const inFold = Array.from(valid).filter((i) => y[i] === c).length;
            expect(Math.abs(inFold - total / k)).toBeLessThanOrEqual(1);
          }
        }
        expect(Array.from(seen).every((s) => s === 1)).toBe(true);
      }),
    );
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const y = Array.from({ length: 200 }, (_, i) => i % 3);
    expect(kFoldPlan(200, 5, 7, y).foldOf).toEqual(kFoldPlan(200, 5, 7, y).foldOf);
    expect(kFoldPlan(200, 5, 7, y).foldOf).not.toEqual(kFoldPlan(200, 5, 8, y).foldOf);
  });

  it('holdout keeps class shares and leaves every class in training', () => {
    fc.assert(
      fc.property(
        labelled,
        fc.double({ min: 0.05, max: 0.5, noNaN: true }),
        fc.integer(),
        (y, frac, seed) => {
          const plan = holdoutPlan(y.length, frac, seed, y);
          const { train, valid } = foldIndices(plan, 0);
          expect(valid.length).toBeGreaterThan(0);
          for (const c of new Set(y)) {
            const total = y.filter((v) => v === c).length;
            const inValid = Array.from(valid).filter((i) => y[i] === c).length;
            expect(Math.abs(inValid - total * frac)).toBeLessThanOrEqual(1);
            expect(Array.from(train).some((i) => y[i] === c)).toBe(true);
          }
        },
      ),
    );
  });

  it('rejects impossible plans clearly', () => {
    expect(() => kFoldPlan(3, 5, 1)).toThrow(/at least 5 rows/);
    expect(() => kFoldPlan(10, 1, 1)).toThrow(/k ≥ 2/);
    expect(() => holdoutPlan(10, 1.5, 1)).toThrow(/fraction/);
  });
});
