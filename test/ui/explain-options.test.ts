/**
 * The beeswarm's chart option: every sampled row of every top column is one point at its contribution,
 * in the colour bin of its value's rank (low = blue … high = red, missing = grey), and a view of
 * thousands of rows is drawn in ECharts' large mode with plain-array points (no per-point objects).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ExplainView } from '../../src/core/explain/view.ts';
import { beeswarmOption } from '../../src/ui/components/explain/explain-options.ts';

function viewOf(values: (number | null)[][], contributions: number[][]): ExplainView {
  const n = contributions[0]!.length;
  return {
    kind: 'automl-studio-explain-view',
    formatVersion: 1,
    computedAt: 0,
    seed: 0,
    rows: n,
    totalRows: n,
    dataName: 'd',
    task: 'regression',
    method: 'treeshap',
    scale: 'value',
    description: '',
    pdpOutput: 'predicted value',
    notes: [],
    importance: contributions.map((_, c) => ({ column: `c${c}`, meanAbs: 1 })),
    sample: {
      row: Array.from({ length: n }, (_, i) => i),
      base: new Array<number>(n).fill(0),
      output: new Array<number>(n).fill(0),
      prediction: new Array<string>(n).fill('0'),
      contributions,
      values,
      text: values.map((vs) => vs.map((v) => (v === null ? '' : String(v)))),
      categorical: values.map(() => false),
    },
    pdp: [],
  };
}

type Series = { data: number[][]; large: boolean; itemStyle: { color: string } };

describe('beeswarmOption', () => {
  it('one point per row and column, at its contribution, in its value’s colour bin', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (C, n, seed) => {
          let x = seed + 1;
          const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
          const values = Array.from({ length: C }, () =>
            Array.from({ length: n }, () => (rnd() < 0.1 ? null : Math.round(rnd() * 100))),
          );
          const contributions = Array.from({ length: C }, () => Array.from({ length: n }, () => rnd() - 0.5));
          const opt = beeswarmOption(viewOf(values, contributions), 10) as { series: Series[] };
          const seen = new Set<string>();
          const binOf = new Map<string, string>();
          for (const s of opt.series)
            for (const [v, , c, i] of s.data) {
              expect(v).toBe(contributions[c!]![i!]);
              seen.add(`${c},${i}`);
              binOf.set(`${c},${i}`, s.itemStyle.color);
              if (values[c!]![i!] === null) expect(s.itemStyle.color).toBe('#999');
              else expect(s.itemStyle.color).not.toBe('#999');
            }
          expect(seen.size).toBe(C * n);
          // the same value always gets the same colour
          for (let c = 0; c < C; c++)
            for (let i = 0; i < n; i++)
              for (let j = 0; j < n; j++)
                if (values[c]![i] !== null && values[c]![i] === values[c]![j])
                  expect(binOf.get(`${c},${i}`)).toBe(binOf.get(`${c},${j}`));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('10,000 rows × 9 columns: large mode', () => {
    const n = 10_000;
    const values = Array.from({ length: 9 }, (_, c) =>
      Array.from({ length: n }, (_, i) => (i * (c + 1)) % 97),
    );
    const contributions = values.map((vs) => vs.map((v) => v / 97 - 0.5));
    const opt = beeswarmOption(viewOf(values, contributions), 10) as { series: Series[] };
    expect(opt.series.every((s) => s.large)).toBe(true);
    expect(opt.series.reduce((a, s) => a + s.data.length, 0)).toBe(9 * n);
    // lowest values blue, highest red
    const colour = (v: number) => opt.series.find((s) => s.data.some(([, , c, i]) => values[c!]![i!] === v))!;
    expect(colour(0).itemStyle.color).toMatch(/^rgb\(4\d,/);
    expect(colour(96).itemStyle.color).toMatch(/^rgb\(20\d,/);
  });
});
