import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { profileTable } from '../../../src/core/profile/index.ts';
import { countDuplicateRows } from '../../../src/core/profile/duplicates.ts';
import type { WarningKind } from '../../../src/core/profile/types.ts';
import { bool, cat, date, num, table } from './helpers.ts';
import type { Table } from '../../../src/core/data/table.ts';

const N = 200;
const seq = <T>(f: (i: number) => T): T[] => Array.from({ length: N }, (_, i) => f(i));
/** A deterministic pseudo-random stream, independent of the code under test. */
const noise = (i: number, k = 1) =>
  Math.sin(i * 12.9898 * k + 78.233) * 43758.5453 -
  Math.floor(Math.sin(i * 12.9898 * k + 78.233) * 43758.5453);

/** A clean table: balanced binary target, informative but noisy features, no problems. */
function clean(): Table {
  const x1 = seq((i) => Math.round(noise(i) * 1000) / 10);
  const x2 = seq((i) => Math.round(noise(i, 3) * 500) / 10);
  const color = seq((i) => ['red', 'green', 'blue'][Math.floor(noise(i, 5) * 3)]);
  const flag = seq((i) => noise(i, 7) > 0.5).map(Boolean);
  const when = seq((i) => Date.UTC(2020, 0, 1) + Math.floor(noise(i, 11) * 1000) * 86_400_000);
  const label = seq((i) => (x1[i] + 40 * noise(i, 13) > 70 ? 1 : 0)).map((v) => (v ? 'yes' : 'no'));
  return table(
    num('x1', x1),
    num('x2', x2),
    cat('color', color),
    bool('flag', flag),
    date('when', when),
    cat('label', label),
  );
}

const kinds = (t: Table, opts = {}) =>
  profileTable(t, opts).warnings.map((w) => `${w.kind}:${w.column ?? ''}`);
const has = (t: Table, kind: WarningKind, column?: string, opts = {}) =>
  profileTable(t, opts).warnings.some(
    (w) => w.kind === kind && (column === undefined || w.column === column),
  );

describe('warnings', () => {
  it('a clean table has none', () => {
    const p = profileTable(clean());
    expect(p.target).toBe('label');
    expect(p.warnings).toEqual([]);
    expect(p.duplicateRows).toBe(0);
  });

  const withColumn = (col: Parameters<typeof table>[0]) => table(...clean().columns, col);

  it('constant column', () => {
    expect(
      has(
        withColumn(
          num(
            'k',
            seq(() => 7),
          ),
        ),
        'constant',
        'k',
      ),
    ).toBe(true);
    expect(
      has(
        withColumn(
          cat(
            'k',
            seq((i) => (i % 3 ? 'a' : null)),
          ),
        ),
        'constant',
        'k',
      ),
    ).toBe(true);
    expect(has(clean(), 'constant')).toBe(false);
  });

  it('all missing and mostly missing', () => {
    expect(
      kinds(
        withColumn(
          num(
            'e',
            seq(() => null),
          ),
        ),
      ),
    ).toContain('all-missing:e');
    expect(
      kinds(
        withColumn(
          num(
            'e',
            seq(() => null),
          ),
        ),
      ),
    ).not.toContain('constant:e');
    const mostly = withColumn(
      num(
        'm',
        seq((i) => (i % 4 === 0 ? i : null)),
      ),
    );
    expect(has(mostly, 'mostly-missing', 'm')).toBe(true);
    const half = withColumn(
      num(
        'm',
        seq((i) => (i % 2 === 0 ? i : null)),
      ),
    ); // exactly 50% → not "more than half"
    expect(has(half, 'mostly-missing', 'm')).toBe(false);
  });

  it('id-like: unique strings and dense unique integers, not continuous floats or text', () => {
    expect(
      has(
        withColumn(
          cat(
            'customer',
            seq((i) => `C-${1000 + i}`),
          ),
        ),
        'id-like',
        'customer',
      ),
    ).toBe(true);
    expect(
      has(
        withColumn(
          num(
            'row',
            seq((i) => i + 1),
          ),
        ),
        'id-like',
        'row',
      ),
    ).toBe(true);
    expect(
      has(
        withColumn(
          num(
            'account_id',
            seq((i) => 10 ** 7 + i * 977),
          ),
        ),
        'id-like',
        'account_id',
      ),
    ).toBe(true);
    expect(
      has(
        withColumn(
          num(
            'amount',
            seq((i) => 10 ** 7 + i * 977),
          ),
        ),
        'id-like',
        'amount',
      ),
    ).toBe(false); // sparse, not named
    expect(
      has(
        withColumn(
          num(
            'ratio',
            seq((i) => noise(i, 17)),
          ),
        ),
        'id-like',
        'ratio',
      ),
    ).toBe(false);
    expect(
      has(
        withColumn(
          cat(
            'review',
            seq((i) => `words ${i}`),
            'text',
          ),
        ),
        'id-like',
        'review',
      ),
    ).toBe(false);
    expect(has(clean(), 'id-like')).toBe(false);
  });

  it('high-cardinality categorical (but not for id-like columns)', () => {
    const city = seq((i) => `city${i % 80}`);
    expect(has(withColumn(cat('city', city)), 'high-cardinality', 'city')).toBe(true);
    const few = seq((i) => `city${i % 30}`);
    expect(has(withColumn(cat('city', few)), 'high-cardinality', 'city')).toBe(false);
    expect(
      has(
        withColumn(
          cat(
            'uid',
            seq((i) => `u${i}`),
          ),
        ),
        'high-cardinality',
        'uid',
      ),
    ).toBe(false);
  });

  it('duplicate rows: counts exact copies; missing equals missing', () => {
    const base = clean();
    const dup = table(
      ...base.columns.map((c) =>
        c.storage === 'dict'
          ? { ...c, codes: Int32Array.from([...c.codes, c.codes[5], c.codes[5], c.codes[9]]) }
          : c.storage === 'bool'
            ? { ...c, values: Uint8Array.from([...c.values, c.values[5], c.values[5], c.values[9]]) }
            : { ...c, values: Float64Array.from([...c.values, c.values[5], c.values[5], c.values[9]]) },
      ),
    );
    const p = profileTable(dup);
    expect(p.duplicateRows).toBe(3);
    const w = p.warnings.find((x) => x.kind === 'duplicate-rows')!;
    expect(w.column).toBeUndefined();
    expect(w.message).toMatch(/^3 rows/);
  });

  it('duplicate count matches a naive string-key count on random tables', () => {
    const row = fc.tuple(
      fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
      fc.constantFrom('a', 'b', null),
      fc.option(fc.boolean(), { nil: null }),
      fc.constantFrom(0, -0, 1.5, NaN),
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 150 }), (rows) => {
        const t = table(
          num(
            'a',
            rows.map((r) => r[0]),
          ),
          cat(
            'b',
            rows.map((r) => r[1]),
          ),
          bool(
            'c',
            rows.map((r) => r[2]),
          ),
          num(
            'd',
            rows.map((r) => r[3]),
          ),
        );
        const seen = new Set<string>();
        let want = 0;
        for (const r of rows) {
          const key = JSON.stringify([r[0], r[1], r[2], Number.isNaN(r[3]) ? 'nan' : r[3] === 0 ? 0 : r[3]]);
          if (seen.has(key)) want++;
          else seen.add(key);
        }
        expect(countDuplicateRows(rows.length === 0 ? { nRows: 0, columns: [] } : t)).toBe(want);
      }),
    );
  });

  it('class imbalance names the classes; balanced multiclass is not flagged', () => {
    const y = seq((i) => (i < 12 ? 'fraud' : 'ok'));
    const p = profileTable(
      table(
        num(
          'x',
          seq((i) => noise(i)),
        ),
        cat('is_fraud', y),
      ),
    );
    const w = p.warnings.find((x) => x.kind === 'class-imbalance')!;
    expect(w.column).toBe('is_fraud');
    expect(w.message).toContain("'fraud'");
    expect(w.message).toContain("'ok'");
    const ten = seq((i) => `c${i % 10}`);
    expect(
      has(
        table(
          num(
            'x',
            seq((i) => noise(i)),
          ),
          cat('target', ten),
        ),
        'class-imbalance',
      ),
    ).toBe(false);
    // Ratio rule: 3 classes 150/40/10 → 150/10 = 15 > 10.
    const skew = seq((i) => (i < 150 ? 'a' : i < 190 ? 'b' : 'c'));
    expect(
      has(
        table(
          num(
            'x',
            seq((i) => noise(i)),
          ),
          cat('target', skew),
        ),
        'class-imbalance',
        'target',
      ),
    ).toBe(true);
  });

  it('target with missing values', () => {
    const base = clean();
    const label = base.columns[5];
    if (label.storage !== 'dict') throw new Error('label should be a dict column');
    const codes = Int32Array.from(label.codes, (c, i) => (i % 20 === 0 ? -1 : c));
    const t = table(...base.columns.slice(0, 5), { ...label, codes });
    const w = profileTable(t).warnings.find((x) => x.kind === 'target-missing')!;
    expect(w.column).toBe('label');
    expect(w.message).toContain('10 rows');
  });

  it('leakage suspects: near-copies of the target, pure categorical encodings; not ids or the target', () => {
    const y = seq((i) => 3 * noise(i) + 10);
    const leak = y.map((v, i) => v * 2 + 0.01 * noise(i, 19));
    const t = table(
      num(
        'x',
        seq((i) => noise(i, 23)),
      ),
      num('leaky', leak),
      num('price', y),
    );
    expect(kinds(t)).toContain('leakage-suspect:leaky');
    expect(kinds(t)).not.toContain('leakage-suspect:x');
    expect(kinds(t)).not.toContain('leakage-suspect:price');

    // Classification: a status code whose every value belongs to one class.
    const label = seq((i) => (noise(i, 29) > 0.5 ? 'yes' : 'no'));
    const code = label.map((l, i) => (l === 'yes' ? `Y${i % 5}` : `N${i % 7}`));
    const ct = table(
      num(
        'x',
        seq((i) => noise(i, 31)),
      ),
      cat('status_code', code),
      cat('label', label),
    );
    expect(kinds(ct)).toContain('leakage-suspect:status_code');
    // An id column is unique per row, so trivially "pure", but it is not reported as leakage.
    const it2 = table(
      cat(
        'id',
        seq((i) => `r${i}`),
      ),
      num(
        'x',
        seq((i) => noise(i, 31)),
      ),
      cat('label', label),
    );
    expect(kinds(it2)).not.toContain('leakage-suspect:id');
    expect(has(clean(), 'leakage-suspect')).toBe(false);
  });

  it('an unusable chosen target is reported, not thrown', () => {
    const t = table(
      num(
        'x',
        seq((i) => noise(i)),
      ),
      num(
        'k',
        seq(() => 1),
      ),
    );
    const p = profileTable(t, { target: 'k' });
    expect(p.task).toBeUndefined();
    expect(p.warnings.find((w) => w.kind === 'target-unusable')?.message).toMatch(/single value/);
  });

  it('every warning has a plain-language message', () => {
    const t = table(
      cat(
        'id',
        seq((i) => `r${i}`),
      ),
      num(
        'k',
        seq(() => 1),
      ),
      num(
        'e',
        seq(() => null),
      ),
      cat(
        'label',
        seq((i) => (i < 5 ? 'a' : 'b')),
      ),
    );
    const p = profileTable(t);
    expect(p.warnings.length).toBeGreaterThanOrEqual(4);
    for (const w of p.warnings) {
      expect(w.message.length).toBeGreaterThan(30);
      if (w.column) expect(w.message).toContain(w.column);
    }
  });
});
