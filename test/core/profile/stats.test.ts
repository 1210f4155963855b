import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { quantileSorted } from '../../../src/core/profile/quantiles.ts';
import { sortFloat64 } from '../../../src/core/profile/sort.ts';
import { histogram, niceWidth } from '../../../src/core/profile/histogram.ts';
import { monthOfDay, profileColumn } from '../../../src/core/profile/column-stats.ts';
import { bool, cat, date, num } from './helpers.ts';

/** Naive numpy 'linear' quantile, written independently: position p·(n−1) between order statistics. */
function naiveQuantile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const below = Math.floor(pos);
  const above = Math.ceil(pos);
  return s[below] * (1 - (pos - below)) + s[above] * (pos - below);
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 });
/** Doubles of several shapes: wide floats, few decimals, small integers, with -0 and repeats. */
const mixedDoubles = fc.oneof(
  fc.array(finite, { minLength: 1, maxLength: 400 }),
  fc.array(
    fc.integer({ min: -50, max: 50 }).map((v) => v / 4),
    { minLength: 1, maxLength: 400 },
  ),
  fc.array(fc.constantFrom(-0, 0, 1.5, -2.25, 1e-300, 3), { minLength: 1, maxLength: 300 }),
  fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { minLength: 1, maxLength: 400 }),
);

describe('sortFloat64', () => {
  it('sorts exactly like a comparison sort (counting, radix and small paths)', () => {
    fc.assert(
      fc.property(mixedDoubles, fc.integer({ min: 1, max: 6 }), (arr, reps) => {
        // Repeat the array so large inputs take the radix path.
        const big = Array.from({ length: reps * (reps > 3 ? 200 : 1) }, () => arr).flat();
        const got = sortFloat64(Float64Array.from(big));
        const want = big.map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b);
        expect(Array.from(got)).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('handles infinities, huge spreads and subnormals on the radix path', () => {
    const vals = [Infinity, -Infinity, 5e-324, -5e-324, 1.7e308, -1.7e308, 0, -0, 1, 1.0000000000000002];
    const arr = Array.from({ length: 3000 }, (_, i) => vals[i % vals.length] * (i % 7 === 0 ? 1 : 1));
    const got = sortFloat64(Float64Array.from(arr));
    expect(Array.from(got)).toEqual(arr.map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b));
  });
});

describe('quantileSorted (numpy linear)', () => {
  it('matches a naive implementation on random data', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (arr, p) => {
          const sorted = sortFloat64(Float64Array.from(arr));
          const got = quantileSorted(sorted, p);
          const want = naiveQuantile(arr, p);
          const scale = Math.max(1, ...arr.map(Math.abs));
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * scale);
        },
      ),
    );
  });

  it('gives known values: median of 1..4 is 2.5, p25 of [1, 2, 3, 4, 5] is 2', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantileSorted([10, 20], 0.99)).toBeCloseTo(19.9, 12);
    expect(Number.isNaN(quantileSorted([], 0.5))).toBe(true);
    expect(() => quantileSorted([1], 1.5)).toThrow(/probability/);
  });
});

describe('histogram', () => {
  it('counts every finite value exactly once, in the bin that contains it', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        (arr, bins) => {
          const h = histogram(arr, bins);
          expect(h.reduce((s, b) => s + b.count, 0)).toBe(arr.length);
          for (let i = 1; i < h.length; i++) expect(h[i].lo).toBe(h[i - 1].hi);
          const min = Math.min(...arr);
          const max = Math.max(...arr);
          expect(h[0].lo).toBeLessThanOrEqual(min);
          expect(h[h.length - 1].hi).toBeGreaterThanOrEqual(max);
          expect(h.length).toBeLessThanOrEqual(2 * bins + 2);
        },
      ),
    );
  });

  it('counting on sorted input (binary search) gives the same bins as a full pass', () => {
    const vals = fc.oneof(
      fc.array(fc.oneof(finite, fc.constantFrom(Infinity, -Infinity)), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 300 }),
    );
    fc.assert(
      fc.property(vals, fc.integer({ min: 1, max: 40 }), fc.boolean(), (arr, bins, nice) => {
        const integral = arr.every((v) => Number.isInteger(v));
        const sorted = [...arr].sort((a, b) => a - b);
        expect(histogram(sorted, bins, integral, nice, true)).toEqual(histogram(arr, bins, integral, nice));
      }),
    );
  });

  it('gives integer columns with few values one bin per integer, gaps included', () => {
    const h = histogram([1, 1, 2, 4, 4, 4], 24, true);
    expect(h.map((b) => [b.lo, b.hi, b.count])).toEqual([
      [0.5, 1.5, 2],
      [1.5, 2.5, 1],
      [2.5, 3.5, 0],
      [3.5, 4.5, 3],
    ]);
  });

  it('uses nice widths and puts the maximum in the last bin', () => {
    expect(niceWidth(0.37)).toBe(0.5);
    expect(niceWidth(7)).toBe(5);
    expect(niceWidth(0.0021)).toBe(0.002);
    const h = histogram([0, 10, 20, 100], 10);
    expect(h[0].lo).toBe(0);
    expect(h[h.length - 1].hi).toBe(100);
    expect(h[h.length - 1].count).toBe(1);
    expect(h[1].count).toBe(1); // 10 sits on an inner edge → the bin above
  });

  it('makes a single bin for a constant column and none for no values', () => {
    expect(histogram([3, 3, 3])).toEqual([{ lo: 3, hi: 3, count: 3 }]);
    expect(histogram([NaN])).toEqual([]);
  });
});

describe('profileColumn', () => {
  it('numeric stats match independent computations (missing skipped, sample std)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }), {
          minLength: 1,
          maxLength: 200,
        }),
        (cells) => {
          const info = profileColumn(num('x', cells, 'numeric'), 0, 20);
          const present = cells.filter((v): v is number => v !== null).map((v) => (v === 0 ? 0 : v));
          const p = info.profile;
          expect(p.count).toBe(cells.length);
          expect(p.missing).toBe(cells.length - present.length);
          expect(p.missingPct).toBeCloseTo((100 * p.missing) / cells.length, 10);
          expect(p.distinct).toBe(new Set(present).size);
          if (present.length === 0) {
            expect(p.numeric).toBeUndefined();
            return;
          }
          const n = p.numeric!;
          const mean = present.reduce((s, v) => s + v, 0) / present.length;
          const sd =
            present.length > 1
              ? Math.sqrt(present.reduce((s, v) => s + (v - mean) ** 2, 0) / (present.length - 1))
              : 0;
          expect(n.min).toBe(Math.min(...present));
          expect(n.max).toBe(Math.max(...present));
          expect(n.mean).toBeCloseTo(mean, 6);
          expect(Math.abs(n.std - sd)).toBeLessThanOrEqual(1e-9 * Math.max(1, sd));
          expect(n.p50).toBeCloseTo(naiveQuantile(present, 0.5), 6);
          expect(n.p1).toBeCloseTo(naiveQuantile(present, 0.01), 6);
          expect(n.p99).toBeCloseTo(naiveQuantile(present, 0.99), 6);
          expect(n.zeros).toBe(present.filter((v) => v === 0).length);
        },
      ),
    );
  });

  it('top values are the most frequent, with true counts, most frequent first (≤ 20)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 }), (arr) => {
        const counts = new Map<number, number>();
        for (const v of arr) counts.set(v, (counts.get(v) ?? 0) + 1);
        const p = profileColumn(num('k', arr), 0, 20).profile;
        const s = profileColumn(
          cat(
            'k',
            arr.map((v) => `v${v}`),
          ),
          0,
          20,
        ).profile;
        for (const prof of [p, s]) {
          expect(prof.top.length).toBeLessThanOrEqual(20);
          expect(prof.top.length).toBe(
            Math.min(20, counts.size <= 20 ? counts.size : [...counts.values()].filter((c) => c >= 2).length),
          );
          for (let i = 1; i < prof.top.length; i++)
            expect(prof.top[i - 1].count).toBeGreaterThanOrEqual(prof.top[i].count);
          for (const t of prof.top) expect(t.count).toBe(counts.get(Number(t.value.replace('v', ''))));
          // Nothing left out is more frequent than the least frequent shown.
          const shown = new Set(prof.top.map((t) => Number(t.value.replace('v', ''))));
          const last = prof.top[prof.top.length - 1]?.count ?? 0;
          for (const [v, c] of counts) if (!shown.has(v)) expect(c).toBeLessThanOrEqual(last);
        }
      }),
    );
  });

  it('datetimes: range and UTC weekday/month counts agree with Date', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -2e12, max: 4e12 }), { minLength: 1, maxLength: 200 }), (ms) => {
        const d = profileColumn(date('t', ms), 0, 20).profile.datetime!;
        const wd = [0, 0, 0, 0, 0, 0, 0];
        const mo = new Array(12).fill(0);
        for (const t of ms) {
          const dt = new Date(t);
          wd[(dt.getUTCDay() + 6) % 7]++;
          mo[dt.getUTCMonth()]++;
        }
        expect(d.weekdays).toEqual(wd);
        expect(d.months).toEqual(mo);
        expect(d.min).toBe(Math.min(...ms));
        expect(d.max).toBe(Math.max(...ms));
        expect(d.histogram.reduce((s, b) => s + b.count, 0)).toBe(ms.length);
      }),
    );
    expect(monthOfDay(0)).toBe(0);
    expect(monthOfDay(-1)).toBe(11);
  });

  it('text columns report mean and max length in characters; booleans count true/false', () => {
    const t = profileColumn(cat('t', ['ab', 'abcd', null, 'ab', '😀x'], 'text'), 0, 20).profile;
    expect(t.text).toEqual({ meanLength: (2 + 4 + 2 + 2) / 4, maxLength: 4 });
    const b = profileColumn(bool('b', [true, false, true, null]), 0, 20).profile;
    expect(b.top).toEqual([
      { value: 'true', count: 2 },
      { value: 'false', count: 1 },
    ]);
    expect(b.distinct).toBe(2);
    expect(b.missing).toBe(1);
  });

  it('rejects malformed columns with a specific error', () => {
    const bad = {
      name: 'c',
      type: 'categorical' as const,
      storage: 'dict' as const,
      codes: Int32Array.of(0, 5),
      dictionary: ['a'],
    };
    expect(() => profileColumn(bad, 0, 20)).toThrow(/row 1 has code 5/);
    const badBool = {
      name: 'b',
      type: 'boolean' as const,
      storage: 'bool' as const,
      values: Uint8Array.of(0, 7),
    };
    expect(() => profileColumn(badBool, 0, 20)).toThrow(/holds 7/);
  });
});
