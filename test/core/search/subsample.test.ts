/**
 * Row-subsample rungs (issue #21): the plan kicks in above the threshold and not below; subsamples
 * are seeded and stratified; trials start on subsamples and only promoted ones see all rows; the
 * plan is recorded in the manifest.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SUBSAMPLE_MIN_ROWS,
  checkSubsamplePlan,
  subsampleLevels,
  subsampleRows,
} from '../../../src/core/search/subsample.ts';
import { prepareSearchContext, type SearchDataSpec } from '../../../src/core/search/context.ts';
import { promotionDecision } from '../../../src/core/search/halving.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { mixedTable } from '../../../bench/search-scale/table.ts';

describe('subsample levels', () => {
  it('none at or below the threshold; m/81, m/27, m/9, m/3 above it while each keeps a fifth of the threshold', () => {
    expect(SUBSAMPLE_MIN_ROWS).toBe(50_000);
    expect(subsampleLevels(0)).toEqual([]);
    expect(subsampleLevels(50_000)).toEqual([]);
    expect(subsampleLevels(50_001)).toEqual([16_667]);
    expect(subsampleLevels(60_000)).toEqual([20_000]);
    expect(subsampleLevels(240_000)).toEqual([26_667, 80_000]);
    expect(subsampleLevels(800_000)).toEqual([29_630, 88_889, 266_667]);
    // 1,000,000 rows with a 50,000-row holdout
    expect(subsampleLevels(950_000)).toEqual([11_729, 35_186, 105_556, 316_667]);
    expect(subsampleLevels(9_000_000)).toEqual([111_112, 333_334, 1_000_000, 3_000_000]);
    expect(subsampleLevels(3000, 1000)).toEqual([334, 1000]);
  });

  it('a recorded plan must fit the data it is replayed on', () => {
    const plan = { threshold: 1000, rows: [334, 1000], trainRows: 3000, seed: 0, stratified: true };
    expect(() => checkSubsamplePlan(plan, 3000)).not.toThrow();
    expect(() => checkSubsamplePlan(plan, 2999)).toThrow(/made for 3000 training rows, the data gives 2999/);
    expect(() => checkSubsamplePlan({ ...plan, rows: [1000, 334] }, 3000)).toThrow(/must grow/);
  });
});

describe('subsampleRows', () => {
  it('seeded and stratified: each class within one row of its share, same seed → same rows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (labelsOfTrain, share, seed) => {
          const m = labelsOfTrain.length;
          // training rows are indices into a larger label array (every other row)
          const labels = new Float64Array(2 * m).fill(-1);
          const train = Int32Array.from({ length: m }, (_, i) => 2 * i + 1);
          labelsOfTrain.forEach((l, i) => (labels[2 * i + 1] = l));
          const count = Math.round(share * m);
          const a = subsampleRows(train, count, seed, labels);
          const b = subsampleRows(train, count, seed, labels);
          expect(Array.from(a)).toEqual(Array.from(b));
          expect(a.length).toBe(count);
          expect(new Set(a).size).toBe(count); // no row twice
          const inTrain = new Set(train);
          for (const r of a) expect(inTrain.has(r)).toBe(true);
          for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]); // sorted
          for (let c = 0; c <= 4; c++) {
            const have = labelsOfTrain.filter((l) => l === c).length;
            const got = Array.from(a).filter((r) => labels[r] === c).length;
            expect(Math.abs(got - (have * count) / m)).toBeLessThan(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('another seed gives other rows; without labels it is a plain seeded sample', () => {
    const train = Int32Array.from({ length: 1000 }, (_, i) => i);
    const a = subsampleRows(train, 100, 1);
    expect(Array.from(subsampleRows(train, 100, 1))).toEqual(Array.from(a));
    expect(Array.from(subsampleRows(train, 100, 2))).not.toEqual(Array.from(a));
    expect(() => subsampleRows(train, 1001, 1)).toThrow(/1001 rows out of 1000/);
  });
});

describe('row rungs', () => {
  it('promotes only with enough peers and only the top 1/η', () => {
    expect(promotionDecision(0.1, [])).toBe('prune'); // alone: stays cheap
    expect(promotionDecision(0.1, [0.5])).toBe('prune');
    expect(promotionDecision(0.1, [0.5, 0.6])).toBe('continue');
    expect(promotionDecision(0.55, [0.5, 0.6])).toBe('prune');
    expect(promotionDecision(NaN, [0.5, 0.6])).toBe('prune');
  });
});

describe('the search context', () => {
  const table = mixedTable(4000, 10, 5);
  const spec: SearchDataSpec = {
    target: 'y',
    task: 'binary',
    seed: 3,
    metric: 'roc_auc',
    families: ['gbdt'],
    folds: 1,
    subsample: { threshold: 1000 },
  };

  it('subsamples a holdout plan above the threshold: smaller training rows, the same validation rows', () => {
    const ctx = prepareSearchContext({ table, spec });
    expect(ctx.subsample).toEqual({
      threshold: 1000,
      rows: [356, 1067],
      trainRows: 3200,
      seed: 3,
      stratified: true,
    });
    expect(ctx.spec.subsample).toEqual({ threshold: 1000, rows: [356, 1067] });
    const full = ctx.foldData('tree', 0);
    for (const [level, rows] of [356, 1067].entries()) {
      const d = ctx.levelData('tree', level);
      expect(d.Xtr.nRows).toBe(rows);
      expect(d.ytr.length).toBe(rows);
      // the same validation rows, through the level's own pipeline
      expect(Array.from(d.valid)).toEqual(Array.from(full.valid));
      expect(Array.from(d.yva)).toEqual(Array.from(full.yva));
      expect(d.Xva.nRows).toBe(full.Xva.nRows);
      expect(ctx.levelPipeline('tree', level)).toBe(d.pipeline);
      // stratified: the positive share within a row of the training rows' share
      const pos = (v: Float64Array) => v.reduce((a, b) => a + b, 0);
      expect(Math.abs(pos(d.ytr) - (pos(full.ytr) * rows) / full.ytr.length)).toBeLessThan(1);
    }
    // a worker given ctx.spec builds the same levels
    const again = prepareSearchContext({ table, spec: ctx.spec });
    expect(Array.from(again.levelData('tree', 0).Xtr.data)).toEqual(
      Array.from(ctx.levelData('tree', 0).Xtr.data),
    );
  });

  it('no plan at or below the threshold, for k-fold, or when turned off', () => {
    expect(
      prepareSearchContext({ table, spec: { ...spec, subsample: { threshold: 3200 } } }).subsample,
    ).toBeUndefined();
    expect(prepareSearchContext({ table, spec: { ...spec, folds: 3 } }).subsample).toBeUndefined();
    expect(prepareSearchContext({ table, spec: { ...spec, subsample: false } }).subsample).toBeUndefined();
    // the default threshold: 3,200 training rows are far below it
    const { subsample: _, ...plain } = spec;
    expect(prepareSearchContext({ table, spec: plain }).subsample).toBeUndefined();
    expect(() =>
      prepareSearchContext({
        table,
        spec: { ...spec, subsample: { threshold: 1000, rows: [100, 200] } },
      }).levelData('tree', 2),
    ).toThrow(/no subsample level 2/);
  });
});

describe('a search with row-subsample rungs', () => {
  it('every trial starts on the smallest subsample, only promoted trials see more rows, all families get trials; the plan is in the manifest', async () => {
    const table = mixedTable(4000, 12, 3);
    const r = await runSearch({
      table,
      target: 'y',
      task: 'binary',
      seed: 1,
      maxTrials: 12,
      folds: 1,
      families: ['gbdt', 'random_forest', 'linear'],
      subsample: { threshold: 1000 },
    });
    const levels = [356, 1067];
    expect(r.manifest.split.subsample).toEqual({
      threshold: 1000,
      rows: levels,
      trainRows: 3200,
      seed: 1,
      stratified: true,
    });
    // every family gets its first trial before any family its second
    expect(new Set(r.trials.slice(0, 3).map((t) => t.family))).toEqual(
      new Set(['gbdt', 'random_forest', 'linear']),
    );
    const complete = r.trials.filter((t) => t.state === 'COMPLETE');
    expect(complete.length).toBe(12);
    expect(new Set(complete.map((t) => t.family)).size).toBe(3);
    for (const t of r.trials) {
      // the first rung of every trial is the smallest subsample
      expect(t.rungs[0].budget).toBe(levels[0]);
      const rowRungs = t.rungs.filter((x) => levels.includes(x.budget));
      const promoted = rowRungs.filter((x) => x.decision === 'continue').length;
      // a trial's value comes from the level after its last promotion (all rows after the last level)
      expect(t.rows).toBe(promoted < levels.length ? levels[promoted] : undefined);
      if (promoted < levels.length) expect(rowRungs.at(-1)!.decision).toBe('prune');
    }
    // some trial was promoted past the smallest level, most were not
    expect(r.trials.some((t) => (t.rows ?? Infinity) > levels[0])).toBe(true);
    expect(r.trials.filter((t) => t.rows === levels[0]).length).toBeGreaterThan(6);
    // the final model is refitted on all rows
    expect(r.manifest.clock.refit.every((x) => x.action === 'refit')).toBe(true);
    expect(r.model.predictTable(table).length).toBe(2 * 4000); // two class probabilities a row
  }, 120_000);
});
