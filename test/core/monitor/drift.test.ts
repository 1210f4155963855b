/** Column drift, the automatic test choice, data-quality findings and the batch report. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildReference,
  chooseMethod,
  columnDrift,
  columnReference,
  columnValues,
  driftReport,
  type NumericReference,
} from '../../../src/core/monitor/index.ts';
import {
  chi2Contingency,
  jensenShannon,
  ks2samp,
  stdDev,
  wasserstein1,
} from '../../../src/core/monitor/stats/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { bool, cat, num, table } from '../../helpers/table.ts';

function normals(n: number, seed: number, mean = 0, sd = 1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Math.round((mean + sd * rng.normal()) * 1e4) / 1e4);
}
function picks(n: number, seed: number, levels: string[], weights: number[]): string[] {
  const rng = createRng(seed);
  const total = weights.reduce((s, w) => s + w, 0);
  return Array.from({ length: n }, () => {
    let u = rng.next() * total;
    for (let i = 0; i < levels.length; i++) if ((u -= weights[i]!) < 0) return levels[i]!;
    return levels[levels.length - 1]!;
  });
}

describe('automatic test choice', () => {
  it('follows the documented rule by reference size, kind and distinct values', () => {
    const m = (col: Parameters<typeof columnReference>[0]) => chooseMethod(columnReference(col))?.method;
    expect(m(num('x', normals(500, 1)))).toBe('ks');
    expect(m(num('x', normals(5000, 1)))).toBe('wasserstein');
    expect(m(num('x', picks(500, 2, ['1', '2', '3'], [1, 1, 1]).map(Number)))).toBe('chi2');
    expect(m(num('x', picks(5000, 2, ['1', '2', '3'], [1, 1, 1]).map(Number)))).toBe('jensenshannon');
    expect(m(cat('c', picks(800, 3, ['a', 'b', 'c', 'd'], [4, 3, 2, 1])))).toBe('chi2');
    expect(m(cat('c', picks(1200, 3, ['a', 'b', 'c', 'd'], [4, 3, 2, 1])))).toBe('jensenshannon');
    expect(
      m(
        bool(
          'b',
          picks(300, 4, ['t', 'f'], [1, 1]).map((v) => v === 't'),
        ),
      ),
    ).toBe('z');
    expect(m(cat('t', ['free text'], 'text'))).toBeUndefined();
    expect(chooseMethod(columnReference(num('x', normals(500, 1))))!.reason).toBe(
      'numbers, 500 reference values',
    );
  });
});

describe('column drift on the reference data equals the statistics on the raw values', () => {
  it('KS (small reference) and normed Wasserstein (large reference)', () => {
    const a = normals(700, 11);
    const b = normals(900, 12, 0.3);
    const ref = columnReference(num('x', a));
    const d = columnDrift(ref, columnValues(num('x', b)), { referenceData: columnValues(num('x', a)) });
    const want = ks2samp(a, b);
    expect(d.method).toBe('ks');
    expect(d.basis).toBe('data');
    expect(d.statistic).toBe(want.statistic);
    expect(d.pvalue).toBe(want.pvalue);
    expect(d.drifted).toBe(want.pvalue < 0.05);

    const big = normals(3000, 13);
    const refBig = columnReference(num('x', big));
    const w = columnDrift(refBig, columnValues(num('x', b)), { referenceData: columnValues(num('x', big)) });
    expect(w.method).toBe('wasserstein');
    expect(w.statistic).toBeCloseTo(wasserstein1(big, b) / stdDev(big), 12);
  });

  it('categories: χ² of the 2 × k counts, Jensen–Shannon of the shares', () => {
    const levels = ['a', 'b', 'c'];
    const a = picks(600, 21, levels, [5, 3, 2]);
    const b = picks(400, 22, levels, [3, 3, 4]);
    const d = columnDrift(columnReference(cat('c', a)), columnValues(cat('c', b)));
    const count = (xs: string[]) => levels.map((l) => xs.filter((x) => x === l).length);
    const want = chi2Contingency([count(a), count(b)]);
    expect(d.method).toBe('chi2');
    expect(d.basis).toBe('profile (exact)');
    expect(d.pvalue).toBeCloseTo(want.pvalue, 14);
    expect(d.drifted).toBe(true);
    const j = columnDrift(columnReference(cat('c', a)), columnValues(cat('c', b)), {
      method: 'jensenshannon',
    });
    expect(j.statistic).toBeCloseTo(jensenShannon(count(a), count(b)), 14);
    expect(j.threshold).toBe(0.1);
    expect(j.methodReason).toBe('chosen by the user');
  });
});

describe('column drift from the stored profile alone', () => {
  it('is exact when the profile kept every distinct value', () => {
    const a = picks(800, 31, ['1', '2', '3', '4', '5', '6', '7', '8'], [1, 2, 3, 4, 4, 3, 2, 1]).map(Number);
    const b = picks(500, 32, ['1', '2', '3', '4', '5', '6', '7', '8'], [2, 2, 3, 4, 3, 3, 2, 1]).map(Number);
    const ref = columnReference(num('x', a)) as NumericReference;
    expect(ref.values).toHaveLength(8);
    const fromProfile = columnDrift(ref, columnValues(num('x', b)));
    expect(fromProfile.basis).toBe('profile (exact)');
    const want = ks2samp(a, b);
    expect(fromProfile.statistic).toBeCloseTo(want.statistic, 14);
    expect(fromProfile.pvalue).toBeCloseTo(want.pvalue, 12);
  });

  it('from bins: the KS statistic is a lower bound and Wasserstein is close to the data’s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (seed, shift) => {
          const a = normals(800, seed);
          const b = normals(600, seed + 1, shift);
          const ref = columnReference(num('x', a));
          const bins = columnDrift(ref, columnValues(num('x', b)));
          expect(bins.basis).toBe('profile (bins)');
          expect(bins.statistic).toBeLessThanOrEqual(ks2samp(a, b).statistic + 1e-12);
          const w = columnDrift(ref, columnValues(num('x', b)), { method: 'wasserstein' });
          const exact = wasserstein1(a, b) / stdDev(a);
          expect(Math.abs(w.statistic - exact)).toBeLessThan(0.05 + 0.1 * exact);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('flags a 1-sd shift and leaves an unshifted sample alone', () => {
    const ref = columnReference(num('x', normals(5000, 41)));
    expect(columnDrift(ref, columnValues(num('x', normals(2000, 42, 1)))).drifted).toBe(true);
    expect(columnDrift(ref, columnValues(num('x', normals(2000, 43)))).drifted).toBe(false);
    const small = columnReference(num('x', normals(400, 44)));
    expect(columnDrift(small, columnValues(num('x', normals(400, 45, 1)))).drifted).toBe(true);
  });
});

describe('data quality beside drift', () => {
  it('names new categories, out-of-range values, a jump in missing values, a type change, all missing', () => {
    const ref = columnReference(cat('c', picks(500, 51, ['a', 'b'], [1, 1])));
    const d = columnDrift(
      ref,
      columnValues(cat('c', [...picks(90, 52, ['a', 'b'], [1, 1]), ...Array(10).fill('zz')])),
    );
    expect(d.findings.map((f) => f.kind)).toContain('new_categories');
    expect(d.findings.find((f) => f.kind === 'new_categories')!.message).toMatch(/"zz".* 10\.0% of rows/);

    const x = columnReference(num('x', normals(500, 53)));
    const out = columnDrift(x, columnValues(num('x', [...normals(95, 54), 50, 60, 70, 80, 90])));
    expect(out.findings.find((f) => f.kind === 'out_of_range')!.share).toBeCloseTo(0.05, 12);

    const holes = columnDrift(x, columnValues(num('x', [...normals(70, 55), ...Array(30).fill(null)])));
    expect(holes.findings.find((f) => f.kind === 'missing_jump')!.message).toMatch(
      /0\.00% in training to 30\.0%/,
    );

    const typed = columnDrift(x, columnValues(cat('x', ['a', 'b'])));
    expect(typed.drifted).toBe(true);
    expect(typed.findings[0]!.kind).toBe('type_changed');

    const empty = columnDrift(x, columnValues(num('x', [null, null])));
    expect(empty.findings.map((f) => f.kind)).toEqual(['missing_jump', 'all_missing']);
    expect(empty.drifted).toBe(true);
  });
});

describe('batch drift report', () => {
  const train = table(
    num('age', normals(3000, 61, 40, 10)),
    num('income', normals(3000, 62, 50, 20)),
    cat('plan', picks(3000, 63, ['basic', 'plus', 'pro'], [6, 3, 1])),
    bool(
      'active',
      picks(3000, 64, ['y', 'n'], [7, 3]).map((v) => v === 'y'),
    ),
    cat('churn', picks(3000, 65, ['no', 'yes'], [8, 2])),
  );
  const reference = buildReference(train, { target: 'churn' });

  it('a batch drawn like the training data: no drift, PSI small, columns accounted for', () => {
    const batch = table(
      num('age', normals(1500, 71, 40, 10)),
      num('income', normals(1500, 72, 50, 20)),
      cat('plan', picks(1500, 73, ['basic', 'plus', 'pro'], [6, 3, 1])),
      bool(
        'active',
        picks(1500, 74, ['y', 'n'], [7, 3]).map((v) => v === 'y'),
      ),
      num('extra', normals(1500, 75)),
    );
    const r = driftReport({ reference, batch });
    expect(r.columns.map((c) => c.column)).toEqual(['age', 'income', 'plan', 'active']);
    expect(r.drifted).toBe(0);
    expect(r.verdict).toBe('no drift');
    expect(r.newColumns).toEqual(['extra']);
    expect(r.missingColumns).toEqual([]);
    for (const c of r.columns) expect(c.psi).toBeLessThan(0.05);
  });

  it('shifted columns drift; the verdict follows the documented share; missing columns are named', () => {
    const batch = table(
      num('age', normals(1500, 81, 50, 10)),
      num('income', normals(1500, 82, 70, 20)),
      cat('plan', picks(1500, 83, ['basic', 'plus', 'pro'], [6, 3, 1])),
      cat('churn', picks(1500, 84, ['no', 'yes'], [5, 5])),
    );
    const r = driftReport({ reference, batch, target: 'churn' });
    expect(r.missingColumns).toEqual(['active']);
    expect(r.columns.filter((c) => c.drifted).map((c) => c.column)).toEqual(['age', 'income']);
    expect(r.driftedShare).toBeCloseTo(2 / 3, 12);
    expect(r.verdict).toBe('drift');
    expect(r.targetDrift?.drifted).toBe(true);
    expect(driftReport({ reference, batch, driftShare: 0.9 }).verdict).toBe('no drift');
  });

  it('refuses an empty batch and a bad share with a message', () => {
    expect(() => driftReport({ reference, batch: table(num('age', [])) })).toThrow(/no rows/);
    expect(() => driftReport({ reference, batch: train, driftShare: 0 })).toThrow(/drift share/);
  });
});
