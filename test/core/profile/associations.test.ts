import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  correlationRatio,
  cramersV,
  cramersVFromCounts,
  levelPurity,
  pearson,
} from '../../../src/core/profile/association-stats.ts';
import { pairwiseAssociations, sampleRowIndices } from '../../../src/core/profile/associations.ts';
import { profileColumns } from '../../../src/core/profile/column-stats.ts';
import { profileTable } from '../../../src/core/profile/index.ts';
import { cat, num, table } from './helpers.ts';

/** Textbook two-pass Pearson on complete pairs. */
function naivePearson(x: number[], y: number[]): number {
  const pairs = x.map((v, i) => [v, y[i]]).filter(([a, b]) => !Number.isNaN(a) && !Number.isNaN(b));
  const n = pairs.length;
  const mx = pairs.reduce((s, p) => s + p[0], 0) / n;
  const my = pairs.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (const [a, b] of pairs) {
    num += (a - mx) * (b - my);
    dx += (a - mx) ** 2;
    dy += (b - my) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}

describe('pearson', () => {
  it('matches the two-pass formula on random data with missing values', () => {
    const cell = fc.oneof(fc.constant(NaN), fc.double({ min: -1e3, max: 1e3, noNaN: true }));
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell), { minLength: 3, maxLength: 200 }), (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const want = naivePearson(x, y);
        const got = pearson(Float64Array.from(x), Float64Array.from(y));
        if (!Number.isFinite(want) || Math.abs(want) > 1 + 1e-9) return; // undefined cases checked below
        expect(got).toBeCloseTo(want, 8);
      }),
    );
  });

  it('is ±1 for exact linear relations and NaN without variation', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1, NaN], [NaN, 2])).toBeNaN();
  });
});

describe("Cramér's V", () => {
  // Table [[10, 20], [30, 40]]: n = 100, row sums 30/70, column sums 40/60.
  // Expected: [[12, 18], [28, 42]]; χ² = 4/12 + 4/18 + 4/28 + 4/42 = 0.79365...
  const counts = [10, 20, 30, 40];
  const chi2 = 4 / 12 + 4 / 18 + 4 / 28 + 4 / 42;

  it('uncorrected V = √(χ²/(n·(min(r,k)−1))) on a hand-computed table', () => {
    expect(cramersVFromCounts(counts, 2, 2, false)).toBeCloseTo(Math.sqrt(chi2 / 100), 12);
  });

  it('bias-corrected V (Bergsma) on the same table', () => {
    const phi2 = chi2 / 100;
    const phi2c = Math.max(0, phi2 - 1 / 99);
    const rc = 2 - 1 / 99;
    const want = Math.sqrt(phi2c / (rc - 1));
    expect(cramersVFromCounts(counts, 2, 2)).toBeCloseTo(want, 12);
  });

  it('a 3×3 table computed by hand', () => {
    // [[20,0,0],[0,20,0],[0,0,20]] is a perfect association: χ² = 2n, V = 1 uncorrected.
    expect(cramersVFromCounts([20, 0, 0, 0, 20, 0, 0, 0, 20], 3, 3, false)).toBeCloseTo(1, 12);
    expect(cramersVFromCounts([20, 0, 0, 0, 20, 0, 0, 0, 20], 3, 3)).toBeCloseTo(1, 12);
    // Independent table → 0.
    expect(cramersVFromCounts([5, 10, 15, 5, 10, 15], 2, 3)).toBe(0);
  });

  it('from codes, skipping missing rows and unused levels', () => {
    const a = Int32Array.of(0, 0, 1, 1, -1, 0);
    const b = Int32Array.of(1, 1, 0, 0, 0, -1);
    expect(cramersV(a, 3, b, 2, false)).toBeCloseTo(1, 12);
    expect(cramersV(Int32Array.of(0, 0), 1, Int32Array.of(0, 1), 2)).toBeNaN();
  });

  it('stays within [0, 1] and is symmetric', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 })), {
          minLength: 5,
          maxLength: 200,
        }),
        (rows) => {
          const a = Int32Array.from(rows.map((r) => r[0]));
          const b = Int32Array.from(rows.map((r) => r[1]));
          const v = cramersV(a, 4, b, 5);
          const w = cramersV(b, 5, a, 4);
          if (Number.isNaN(v)) {
            expect(w).toBeNaN();
            return;
          }
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
          expect(v).toBeCloseTo(w, 6);
        },
      ),
    );
  });
});

describe('correlation ratio η', () => {
  it('matches a hand computation', () => {
    // Groups: a → [1, 2, 3] (mean 2), b → [7, 9] (mean 8); overall mean 22/5 = 4.4.
    const x = [1, 2, 3, 7, 9];
    const g = Int32Array.of(0, 0, 0, 1, 1);
    const ssb = 3 * (2 - 4.4) ** 2 + 2 * (8 - 4.4) ** 2;
    const sst = x.reduce((s, v) => s + (v - 4.4) ** 2, 0);
    expect(correlationRatio(x, g, 2)).toBeCloseTo(Math.sqrt(ssb / sst), 12);
  });

  it('is 1 when groups are constant and 0 when group means are equal', () => {
    expect(correlationRatio([5, 5, 9, 9], Int32Array.of(0, 0, 1, 1), 2)).toBeCloseTo(1, 12);
    expect(correlationRatio([1, 3, 1, 3], Int32Array.of(0, 0, 1, 1), 2)).toBeCloseTo(0, 12);
    expect(correlationRatio([2, 2], Int32Array.of(0, 1), 2)).toBeNaN();
  });
});

describe('levelPurity', () => {
  it('ignores singleton levels and measures majority share', () => {
    const f = Int32Array.of(0, 0, 1, 1, 1, 2);
    const t = Int32Array.of(0, 0, 1, 1, 0, 1);
    const r = levelPurity(f, 3, t, 2);
    expect(r.levels).toBe(2);
    expect(r.coverage).toBeCloseTo(5 / 6, 12);
    expect(r.purity).toBeCloseTo(4 / 5, 12);
  });
});

describe('row sampling', () => {
  it('is seeded, sorted, distinct and in range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 6000 }),
        fc.integer(),
        (n, size, seed) => {
          const a = sampleRowIndices(n, size, seed);
          const b = sampleRowIndices(n, size, seed);
          if (size >= n) {
            expect(a).toBeNull();
            return;
          }
          expect(a).toEqual(b);
          expect(a!.length).toBe(size);
          for (let i = 1; i < a!.length; i++) expect(a![i]).toBeGreaterThan(a![i - 1]);
          expect(a![0]).toBeGreaterThanOrEqual(0);
          expect(a![a!.length - 1]).toBeLessThan(n);
        },
      ),
    );
    expect(sampleRowIndices(1000, 10, 1)).not.toEqual(sampleRowIndices(1000, 10, 2));
    expect(() => sampleRowIndices(10, 0, 1)).toThrow(/sampleRows/);
  });
});

describe('pairwise associations', () => {
  const n = 300;
  const x = Array.from({ length: n }, (_, i) => Math.sin(i) * 10);
  const y = x.map((v, i) => 2 * v + Math.cos(i * 7));
  const yMissing = y.map((v, i) => (i % 10 === 0 ? null : v));
  const g = x.map((v) => (v > 0 ? 'pos' : 'neg'));
  const h = x.map((v) => (v > 5 ? 'hi' : v > 0 ? 'mid' : 'lo'));
  const t = table(
    num('x', x),
    num('y', y),
    num('ym', yMissing),
    cat('g', g),
    cat('h', h),
    cat(
      'id',
      x.map((_, i) => `r${i}`),
    ),
  );

  it('uses the method for each pair of types and agrees with the direct formulas', () => {
    const { associations, truncated } = pairwiseAssociations(profileColumns(t), null, 50);
    expect(truncated).toBe(false);
    const find = (a: string, b: string) => associations.find((s) => s.a === a && s.b === b)!;
    expect(find('x', 'y').method).toBe('pearson');
    expect(find('x', 'y').value).toBeCloseTo(pearson(x, y), 10); // fast path (complete vectors)
    expect(find('x', 'ym').value).toBeCloseTo(
      naivePearson(
        x,
        yMissing.map((v) => v ?? NaN),
      ),
      10,
    );
    expect(find('x', 'g').method).toBe('correlation-ratio');
    expect(find('g', 'h').method).toBe('cramers-v');
    expect(associations.some((s) => s.a === 'id' || s.b === 'id')).toBe(false); // id-like excluded
    expect(associations).toHaveLength(10); // 5 eligible columns → 10 pairs
  });

  it('caps the columns, keeping the least-missing ones, and says so', () => {
    const { associations, truncated } = pairwiseAssociations(profileColumns(t), null, 3);
    expect(truncated).toBe(true);
    const names = new Set(associations.flatMap((s) => [s.a, s.b]));
    expect(names.size).toBe(3);
    expect(names.has('ym')).toBe(false);
    const p = profileTable(t, { maxAssociationColumns: 2, target: 'ym' });
    expect(p.associationsTruncated).toBe(true);
    expect(p.associations).toHaveLength(1);
    expect([p.associations[0].a, p.associations[0].b]).toContain('ym'); // the target is always kept
  });

  it('on a sample, values stay close to the full-data values', () => {
    const big = 20000;
    const bx = Array.from({ length: big }, (_, i) => Math.sin(i * 1.3));
    const by = bx.map((v, i) => v + 0.5 * Math.cos(i * 0.7));
    const bt = table(num('a', bx), num('b', by));
    const full = profileTable(bt, { sampleRows: big }).associations[0].value;
    const sampled = profileTable(bt, { sampleRows: 2000, seed: 3 }).associations[0].value;
    expect(sampled).not.toBe(full);
    expect(Math.abs(sampled - full)).toBeLessThan(0.05);
  });
});
