/**
 * Regularised sorted categorical splits (issue 17), as LightGBM's min_data_per_group / cat_smooth /
 * max_cat_threshold: with `minDataPerGroup` > 0 a category with fewer than `catSmooth` rows never goes
 * left, at most half the categories go left, and both sides of a split hold at least
 * `minDataPerGroup` rows. Regression with squared error: hessians are 1, so counts are exact.
 */
import { describe, expect, it } from 'vitest';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { matrixFromColumns } from '../../../src/core/models/types.ts';
import { createRng } from '../../../src/core/util/random.ts';
import type { PackedForest } from '../../../src/core/models/gbdt/forest.ts';

/** 10 common levels (60 rows each) with a signal, 30 rare ones (3 rows each) with extreme targets. */
function data(seed: number) {
  const rng = createRng(seed);
  const codes: number[] = [];
  const ys: number[] = [];
  for (let c = 0; c < 10; c++)
    for (let i = 0; i < 60; i++) {
      codes.push(c);
      ys.push((c % 3) + 0.5 * rng.normal());
    }
  for (let c = 10; c < 40; c++)
    for (let i = 0; i < 3; i++) {
      codes.push(c);
      ys.push((c % 2 === 0 ? 8 : -8) + rng.normal());
    }
  return {
    X: matrixFromColumns([Float64Array.from(codes)], { categorical: [true] }),
    y: Float64Array.from(ys),
    codes,
  };
}

/** Codes sent left by each categorical split of the forest. */
function leftSets(p: PackedForest): number[][] {
  const out: number[][] = [];
  for (let node = 0; node < p.nNodes; node++) {
    const cs = p.catStart[node];
    if (p.left[node] < 0 || cs < 0) continue;
    const words = p.catBits[cs];
    const set: number[] = [];
    for (let w = 0; w < words; w++)
      for (let b = 0; b < 32; b++) if ((p.catBits[cs + 1 + w] >>> b) & 1) set.push(w * 32 + b);
    out.push(set);
  }
  return out;
}

describe('GBDT sorted categorical splits with minDataPerGroup', () => {
  const { X, y, codes } = data(5);
  const count = (c: number) => codes.filter((v) => v === c).length;
  const base = { rounds: 20, maxDepth: 1, learningRate: 0.3, catSmooth: 10, catL2: 10, maxCatThreshold: 32 };

  it('rare categories never go left; each side holds at least minDataPerGroup rows; at most half the categories go left', () => {
    const m = fitGbdt(X, y, { task: 'regression', config: { ...base, minDataPerGroup: 100 } });
    const sets = leftSets(m.forest.pack());
    expect(sets.length).toBeGreaterThan(0);
    for (const s of sets) {
      const rows = s.reduce((a, c) => a + count(c), 0);
      expect(s.every((c) => c < 10)).toBe(true);
      expect(rows).toBeGreaterThanOrEqual(100);
      expect(codes.length - rows).toBeGreaterThanOrEqual(100);
      expect(s.length).toBeLessThanOrEqual(5); // (10 sorted categories + 1) / 2
    }
  });

  it('off (0; the default before issue 17), the rare extreme categories are split off: the rule changes the trees', () => {
    const m = fitGbdt(X, y, { task: 'regression', config: { ...base, minDataPerGroup: 0 } });
    expect(m.config.minDataPerGroup).toBe(0);
    // the default is on (LightGBM's 100)
    expect(fitGbdt(X, y, { task: 'regression', config: base }).config.minDataPerGroup).toBe(100);
    expect(leftSets(m.forest.pack()).some((s) => s.some((c) => c >= 10))).toBe(true);
  });

  it('binary: row counts estimated from hessians still keep rare categories right', () => {
    const yb = Float64Array.from(y, (v) => (v > 1 ? 1 : 0));
    const m = fitGbdt(X, yb, { task: 'binary', config: { ...base, minDataPerGroup: 100 } });
    for (const s of leftSets(m.forest.pack())) expect(s.every((c) => c < 10)).toBe(true);
  });

  it('maxCatToOnehot 16: a column of 10 categories gets one-vs-rest splits (as XGBoost on one-hot columns)', () => {
    const codes10 = codes.map((c) => c % 10);
    const X10 = matrixFromColumns([Float64Array.from(codes10)], { categorical: [true] });
    const m = fitGbdt(X10, y, {
      task: 'regression',
      config: { rounds: 10, maxDepth: 3, maxCatToOnehot: 16 },
    });
    const sets = leftSets(m.forest.pack());
    expect(sets.length).toBeGreaterThan(0);
    for (const s of sets) expect(s).toHaveLength(1);
    // with the default (4) the same data gets sorted-partition splits of several categories
    const old = fitGbdt(X10, y, { task: 'regression', config: { rounds: 10, maxDepth: 3 } });
    expect(old.config.maxCatToOnehot).toBe(4);
    expect(leftSets(old.forest.pack()).some((s) => s.length > 1)).toBe(true);
  });

  it('rejects a negative minDataPerGroup', () => {
    expect(() => fitGbdt(X, y, { task: 'regression', config: { minDataPerGroup: -1 } })).toThrow(
      /minDataPerGroup/,
    );
  });
});
