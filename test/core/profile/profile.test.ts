import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatProfileSummary, profileTable } from '../../../src/core/profile/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { bool, cat, date, num, table } from './helpers.ts';

function randomTable(seed: number, n: number): Table {
  const rng = createRng(seed);
  const x = Array.from({ length: n }, () => (rng.next() < 0.05 ? null : rng.normal() * 3));
  const k = Array.from({ length: n }, () => rng.int(7));
  const c = Array.from({ length: n }, () =>
    rng.next() < 0.02 ? null : ['red', 'green', 'blue', 'grey'][rng.int(4)],
  );
  const b = Array.from({ length: n }, () => rng.next() < 0.4);
  const d = Array.from({ length: n }, () => Date.UTC(2021, 0, 1) + rng.int(400) * 86_400_000);
  const y = x.map((v, i) => ((v ?? 0) + k[i] + rng.normal() > 3 ? 'yes' : 'no'));
  return table(num('x', x), num('k', k), cat('colour', c), bool('b', b), date('day', d), cat('label', y));
}

describe('profileTable', () => {
  it('is deterministic: same table and seed → deep-equal profile (also with sampling)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 5000 }),
        (seed, sampleSeed) => {
          const t = randomTable(seed, 400);
          const a = profileTable(t, { seed: sampleSeed, sampleRows: 150 });
          const b = profileTable(randomTable(seed, 400), { seed: sampleSeed, sampleRows: 150 });
          expect(a).toEqual(b);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('a different sampling seed changes sampled associations but not column statistics', () => {
    const t = randomTable(7, 2000);
    const a = profileTable(t, { seed: 1, sampleRows: 300 });
    const b = profileTable(t, { seed: 2, sampleRows: 300 });
    expect(a.columns).toEqual(b.columns);
    expect(a.associations.map((s) => s.value)).not.toEqual(b.associations.map((s) => s.value));
  });

  it('reports shape, the target, the task and target associations sorted by strength', () => {
    const p = profileTable(randomTable(3, 500));
    expect(p.nRows).toBe(500);
    expect(p.nColumns).toBe(6);
    expect(p.target).toBe('label');
    expect(p.task?.task).toBe('binary');
    expect(
      p.targetAssociations
        ?.map((a) => a.column)
        .slice(0, 2)
        .sort(),
    ).toEqual(['k', 'x']);
    const ta = p.targetAssociations!;
    for (const a of ta)
      expect(a.method).toBe(a.column === 'colour' || a.column === 'b' ? 'cramers-v' : 'correlation-ratio');
    expect(p.associations).toHaveLength(15); // 6 eligible columns
    expect(p.columns.find((c) => c.name === 'day')?.datetime?.weekdays.reduce((s, v) => s + v, 0)).toBe(500);
  });

  it('honours a chosen target and a task override, and rejects incompatible ones', () => {
    const t = randomTable(4, 300);
    const p = profileTable(t, { target: 'x' });
    expect(p.target).toBe('x');
    expect(p.task?.task).toBe('regression');
    expect(p.targetAssociations?.find((a) => a.column === 'k')?.method).toBe('pearson');
    expect(p.targetAssociations?.find((a) => a.column === 'colour')?.method).toBe('correlation-ratio');
    const q = profileTable(t, { target: 'k', task: 'regression' });
    expect(q.task).toMatchObject({ task: 'regression', reason: 'chosen by you (detected: multiclass)' });
    const r = profileTable(t, { target: 'colour', task: 'regression' });
    expect(r.task).toBeUndefined();
    expect(r.warnings.find((w) => w.kind === 'target-unusable')?.message).toMatch(/numeric target/);
  });

  it('bad options give specific errors', () => {
    const t = randomTable(5, 50);
    expect(() => profileTable(t, { target: 'nope' })).toThrow(
      /target column 'nope' not found; columns are: x, k/,
    );
    expect(() => profileTable(t, { sampleRows: 0 })).toThrow(/sampleRows must be an integer ≥ 1/);
    expect(() => profileTable(t, { histogramBins: 2.5 })).toThrow(/histogramBins/);
    expect(() => profileTable(t, { maxAssociationColumns: -1 })).toThrow(/maxAssociationColumns/);
    expect(() => profileTable(t, { seed: NaN })).toThrow(/seed/);
    expect(() => profileTable(t, { task: 'ranking' as never })).toThrow(/unknown task 'ranking'/);
    expect(() => profileTable({ nRows: 3, columns: [num('a', [1, 2])] })).toThrow(
      /column 'a' has 2 values but the table has 3 rows/,
    );
  });

  it('handles empty tables and tables without columns', () => {
    const p = profileTable({ nRows: 0, columns: [] });
    expect(p).toMatchObject({ nRows: 0, nColumns: 0, duplicateRows: 0, suggestion: null, warnings: [] });
    const q = profileTable({ nRows: 0, columns: [num('a', [])] });
    expect(q.columns[0]).toMatchObject({ count: 0, missing: 0, missingPct: 0, distinct: 0 });
    expect(formatProfileSummary(q)).toContain('0 rows × 1 columns');
  });
});

describe('formatProfileSummary', () => {
  it('lists every column with type, missing %, distinct and a summary; then warnings, target and associations', () => {
    const t = randomTable(9, 300);
    const withId = table(
      ...t.columns,
      cat(
        'order_ref',
        Array.from({ length: 300 }, (_, i) => `o${i}`),
      ),
    );
    const p = profileTable(withId);
    const text = formatProfileSummary(p);
    const lines = text.split('\n');
    for (const c of p.columns) {
      const line = lines.find((l) => l.startsWith(c.name + ' '))!;
      expect(line).toBeDefined();
      expect(line).toContain(c.type);
      expect(line).toContain(String(c.distinct));
    }
    const x = p.columns.find((c) => c.name === 'x')!;
    expect(lines.find((l) => l.startsWith('x '))).toContain(`${x.missingPct.toFixed(1)}%`);
    expect(lines.find((l) => l.startsWith('x '))).toMatch(/mean -?\d.*min -?\d.*max \d/);
    expect(lines.find((l) => l.startsWith('colour '))).toMatch(/top "(red|green|blue|grey)"/);
    expect(lines.find((l) => l.startsWith('day '))).toMatch(/2021-\d\d-\d\d to 202\d-\d\d-\d\d/);
    expect(text).toMatch(/Warnings \(1\):\n {2}\[info \] 'order_ref' has a different value in every row/);
    expect(text).toContain(`Suggested target: label (binary) — ${p.suggestion!.reason}`);
    expect(text).toContain('Strongest associations with label:');
    const firstAssoc = p.targetAssociations![0];
    expect(text).toMatch(new RegExp(`\\n {2}${firstAssoc.column} +${firstAssoc.value.toFixed(3)}`));
  });
});
