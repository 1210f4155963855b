/**
 * The policies the runner's parts share (select.ts, refit.ts): which trials are ensemble candidates,
 * how many greedy steps the selection takes on big data, and the refit time estimate behind the
 * search's refit reserve.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Study, type Trial } from '../../../src/core/search/study.ts';
import { ensembleCandidates, ensembleRoundsFor } from '../../../src/core/search/select.ts';
import { REFIT_TIME_FACTOR, refitEstimateMs, refitResource } from '../../../src/core/search/refit.ts';
import { gbdtPatience } from '../../../src/core/search/spaces.ts';
import type { SearchContext } from '../../../src/core/search/context.ts';

/** A study whose trials (families drawn by the random sampler) end with `values` (null: PRUNED). */
function studyWith(values: readonly (number | null)[], seed: number): Study {
  const study = new Study({
    task: 'binary',
    metric: 'roc_auc',
    families: ['gbdt', 'random_forest', 'linear'],
    seed,
    sampler: 'random',
    halving: false,
  });
  for (const v of values) {
    const t = study.ask();
    study.tell(
      t.id,
      v === null
        ? { state: 'PRUNED', reason: 'halving', durations: {} }
        : { state: 'COMPLETE', value: v, durations: {} },
    );
  }
  return study;
}

describe('ensembleCandidates', () => {
  it('the top trials plus the best 2 of each family, best first, nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (values, size, seed) => {
          const study = studyWith(values, seed);
          const ranked = study.ranked();
          const got = ensembleCandidates(study, size);
          const nums = got.map((t) => t.number);
          if (size <= 1) {
            expect(nums).toEqual(ranked.slice(0, 1).map((t) => t.number));
            return;
          }
          // a subsequence of the ranking (best first)
          const pos = nums.map((n) => ranked.findIndex((t) => t.number === n));
          expect(pos.every((p, i) => p >= 0 && (i === 0 || p > pos[i - 1]))).toBe(true);
          // the top `size` are all in
          for (const t of ranked.slice(0, size)) expect(nums).toContain(t.number);
          // so are the best 2 of every family, and every other candidate is one of those
          const bestOfFamily = new Set<number>();
          const seen = new Map<string, number>();
          for (const t of ranked) {
            const k = seen.get(t.family) ?? 0;
            seen.set(t.family, k + 1);
            if (k < 2) bestOfFamily.add(t.number);
          }
          for (const n of bestOfFamily) expect(nums).toContain(n);
          const top = new Set(ranked.slice(0, size).map((t) => t.number));
          for (const n of nums) expect(top.has(n) || bestOfFamily.has(n)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('ensembleRoundsFor', () => {
  const ctxOf = (evalRows: number, subsample: boolean) =>
    ({
      yEval: new Float64Array(evalRows),
      ...(subsample ? { subsample: { threshold: 50_000, rows: [2_000, 10_000], trainRows: 60_000 } } : {}),
    }) as unknown as SearchContext;

  it('40 steps without row subsampling, whatever the size; an explicit count always wins', () => {
    expect(ensembleRoundsFor(undefined, ctxOf(50_000, false))(18)).toBe(40);
    expect(ensembleRoundsFor(7, ctxOf(50_000, true))(18)).toBe(7);
    expect(ensembleRoundsFor(7, ctxOf(100, false))(1)).toBe(7);
  });

  it('big data: as many steps as keep rows × candidates × steps under 2,000,000, between 5 and 40', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 0, max: 40 }), (rows, c) => {
        const r = ensembleRoundsFor(undefined, ctxOf(rows, true))(c);
        const cells = (steps: number) => rows * Math.max(1, c) * steps;
        expect(Number.isInteger(r) && r >= 5 && r <= 40).toBe(true);
        if (r > 5) expect(cells(r)).toBeLessThanOrEqual(2_000_000);
        if (r < 40) expect(cells(r + 1)).toBeGreaterThan(2_000_000);
      }),
    );
    // the header's example: 50,000 holdout rows and 4 candidates get 10 steps
    expect(ensembleRoundsFor(undefined, ctxOf(50_000, true))(4)).toBe(10);
  });
});

describe('refitEstimateMs', () => {
  const trial = (folds: number[], rows?: number, over: Partial<Trial> = {}) =>
    ({
      family: 'random_forest',
      params: {},
      durations: { folds },
      ...(rows !== undefined ? { rows } : {}),
      ...over,
    }) as unknown as Trial;
  const ctx = (n: number, nFolds: number, trainRows?: number) =>
    ({
      y: new Float64Array(n),
      nFolds,
      plan: nFolds > 1 ? { strategy: 'kfold', folds: nFolds } : { strategy: 'holdout', validFraction: 0.2 },
      ...(trainRows !== undefined ? { subsample: { rows: [1000], trainRows } } : {}),
    }) as unknown as SearchContext;
  const f = REFIT_TIME_FACTOR;

  it('the mean fold time scaled by all rows / the rows a fold trained on, × REFIT_TIME_FACTOR', () => {
    expect(REFIT_TIME_FACTOR).toBeLessThan(1);
    // 5 folds: a fold trained on 4/5 of the rows
    expect(refitEstimateMs(ctx(1000, 5), trial([1, 3]))).toBeCloseTo(2000 * (5 / 4) * f, 9);
    // holdout: 80% of the rows, or the plan's training rows when it subsamples
    expect(refitEstimateMs(ctx(1000, 1), trial([2]))).toBeCloseTo(2000 * (1 / 0.8) * f, 9);
    expect(refitEstimateMs(ctx(1000, 1, 900), trial([2]))).toBeCloseTo(2000 * (1000 / 900) * f, 9);
    // a trial that ended on a row subsample: by the rows it trained on
    expect(refitEstimateMs(ctx(100_000, 1, 80_000), trial([0.5], 2_000))).toBeCloseTo(500 * 50 * f, 9);
    // no fold finished: nothing to estimate from
    expect(refitEstimateMs(ctx(1000, 5), trial([]))).toBe(0);
  });

  it('by the rounds the refit trains over the rounds a fold trained (patience, cap)', () => {
    // GBDT at learning rate 0.1: best round 100 + patience 40 trained; the refit trains 100 × 1.12
    const gbdt = (resources: number[], roundCap?: number) =>
      trial([2], undefined, {
        family: 'gbdt',
        params: { learningRate: 0.1, ...(roundCap ? { roundCap } : {}) },
        resources,
      });
    const ms = 2000 * (5 / 4) * f;
    const p = gbdtPatience(0.1);
    expect(refitEstimateMs(ctx(1000, 5), gbdt([100]))).toBeCloseTo(
      (ms * refitResource(ctx(1000, 5), gbdt([100]))) / (100 + p),
      9,
    );
    expect(refitResource(ctx(1000, 5), gbdt([100]))).toBe(112);
    // capped at 50 and all of it used: the refit (56 rounds, the cap bounds it to 50) does the same work
    expect(refitEstimateMs(ctx(1000, 5), gbdt([50], 50))).toBeCloseTo(ms, 9);
    // a net: best epoch 10 + patience 8 trained; the refit trains 10
    const mlp = trial([2], undefined, { family: 'mlp', params: {}, resources: [10] });
    expect(refitEstimateMs(ctx(1000, 5), mlp)).toBeCloseTo((ms * 10) / 18, 9);
  });
});
