/**
 * The Explain view's large scatter plots as point data (src/ui/components/explain/scatter-data.ts)
 * and the beeswarm's colour bins (src/core/explain/colour-bins.ts): every sampled row of every top
 * column is one point at its contribution, in the colour bin of its value's rank (low = blue … high =
 * red, missing = grey), drawn in colour order; the bins equal a brute-force rank; the dependence plot
 * leaves out missing values; the axis ticks are round numbers inside the range.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ExplainView } from '../../src/core/explain/view.ts';
import { COLOUR_BINS, colourBins } from '../../src/core/explain/colour-bins.ts';
import {
  BEESWARM_PALETTE,
  beeswarmData,
  beeswarmSummary,
  dependenceData,
  niceTicks,
} from '../../src/ui/components/explain/scatter-data.ts';
import { binsOfView } from '../../src/ui/components/explain/parse-view.ts';

function viewOf(values: (number | null)[][], contributions: number[][], categorical = false): ExplainView {
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
      text: values.map((vs) => vs.map((v) => (v === null ? '' : `v${v}`))),
      categorical: values.map(() => categorical),
    },
    pdp: [],
  };
}

/** The bin by brute force: rank = (known values below v) / (known values − 1). */
function bruteBin(values: (number | null)[], i: number): number {
  const v = values[i];
  if (v === null || v === undefined) return COLOUR_BINS;
  const known = values.filter((x): x is number => x !== null);
  if (known.length < 2) return Math.floor(0.5 * COLOUR_BINS);
  const below = known.filter((x) => x < v).length;
  return Math.min(COLOUR_BINS - 1, Math.floor((below / (known.length - 1)) * COLOUR_BINS));
}

const randomView = (C: number, n: number, seed: number) => {
  let x = seed + 1;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const values = Array.from({ length: C }, () =>
    Array.from({ length: n }, () => (rnd() < 0.1 ? null : Math.round(rnd() * 100))),
  );
  const contributions = Array.from({ length: C }, () => Array.from({ length: n }, () => rnd() - 0.5));
  return { values, contributions };
};

describe('colourBins', () => {
  it('equals the brute-force rank bin; missing is its own bin', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { freq: 8 }), { maxLength: 60 }),
        (vs) => {
          const b = colourBins(vs);
          expect(b.length).toBe(vs.length);
          vs.forEach((_, i) => expect(b[i]).toBe(bruteBin(vs, i)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('beeswarmData', () => {
  it('one point per row and column, at its contribution, in its value’s colour bin, drawn by colour', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (C, n, seed) => {
          const { values, contributions } = randomView(C, n, seed);
          const view = viewOf(values, contributions);
          const bins = binsOfView(view);
          const d = beeswarmData(view, 10, (col) => bins.get(col)!);
          expect(d.n).toBe(C * n);
          for (let c = 0; c < C; c++)
            for (let i = 0; i < n; i++) {
              const p = c * n + i;
              expect(d.x[p]).toBe(contributions[c]![i]);
              // its column's row (the most important on top), jittered by less than half a row
              expect(Math.abs(d.y[p]! - (C - 1 - c))).toBeLessThan(0.5);
              expect(d.colour[p]).toBe(bruteBin(values[c]!, i));
              expect(d.palette[d.colour[p]!] === '#999').toBe(values[c]![i] === null);
            }
          // the drawing order: every point once, colours never decreasing
          expect([...d.order].sort((a, b) => a - b)).toEqual(Array.from({ length: C * n }, (_, i) => i));
          for (let k = 1; k < d.n; k++)
            expect(d.colour[d.order[k]!]!).toBeGreaterThanOrEqual(d.colour[d.order[k - 1]!]!);
          // every point inside the axes
          for (let p = 0; p < d.n; p++) {
            expect(d.x[p]).toBeGreaterThanOrEqual(d.xMin);
            expect(d.x[p]).toBeLessThanOrEqual(d.xMax);
            expect(d.y[p]).toBeGreaterThanOrEqual(d.yMin);
            expect(d.y[p]).toBeLessThanOrEqual(d.yMax);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('10,000 rows × 9 columns: lowest values blue, highest red; the words summarise each column', () => {
    const n = 10_000;
    const values = Array.from({ length: 9 }, (_, c) =>
      Array.from({ length: n }, (_, i) => (i * (c + 1)) % 97),
    );
    const contributions = values.map((vs) => vs.map((v) => v / 97 - 0.5));
    const view = viewOf(values, contributions);
    const bins = binsOfView(view);
    const d = beeswarmData(view, 10, (col) => bins.get(col)!);
    expect(d.n).toBe(9 * n);
    const colourOf = (c: number, v: number) => d.palette[d.colour[c * n + values[c]!.indexOf(v)]!]!;
    expect(colourOf(0, 0)).toMatch(/^rgb\(4\d,/);
    expect(colourOf(0, 96)).toMatch(/^rgb\(20\d,/);
    expect(BEESWARM_PALETTE).toHaveLength(COLOUR_BINS + 1);
    const words = beeswarmSummary(
      d,
      view.importance.map((c) => c.column),
    );
    expect(words).toHaveLength(9);
    for (const w of words) {
      // the contribution grows with the value: low values negative, high values positive
      expect(w.low!).toBeLessThan(-0.2);
      expect(w.high!).toBeGreaterThan(0.2);
      expect(w.min).toBeCloseTo(-0.5, 9);
      expect(w.max).toBeCloseTo(96 / 97 - 0.5, 9);
    }
  });
});

describe('dependenceData', () => {
  it('numbers: value against contribution, missing values left out', () => {
    const view = viewOf([[1, null, 3, 4]], [[0.1, 0.2, 0.3, 0.4]]);
    const d = dependenceData(view, 0);
    expect(d.n).toBe(3);
    expect([...d.x]).toEqual([1, 3, 4]);
    expect([...d.y]).toEqual([0.1, 0.3, 0.4]);
    expect(d.xTicks).toBeNull();
  });
  it('categories: by name, jittered around their place', () => {
    const view = viewOf([[2, 1, null, 2]], [[0.1, 0.2, 0.3, 0.4]], true);
    const d = dependenceData(view, 0);
    expect(d.xTicks!.map((t) => t.label)).toEqual(['v1', 'v2']);
    expect(d.n).toBe(3);
    expect(Math.round(d.x[0]!)).toBe(1);
    expect(Math.round(d.x[1]!)).toBe(0);
    expect(d.tip(0)).toContain('v2');
  });
});

describe('niceTicks', () => {
  it('round, increasing and inside the range', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        fc.integer({ min: 2, max: 10 }),
        (lo, span, count) => {
          const t = niceTicks(lo, lo + span, count);
          expect(t.length).toBeGreaterThanOrEqual(1);
          expect(t.length).toBeLessThanOrEqual(2 * count + 2);
          // float rounding of the tick values: relative to their size
          const eps = Math.max(span, Math.abs(lo)) * 1e-9;
          for (let k = 0; k < t.length; k++) {
            expect(t[k]).toBeGreaterThanOrEqual(lo - eps);
            expect(t[k]).toBeLessThanOrEqual(lo + span + eps);
            if (k) expect(t[k]!).toBeGreaterThan(t[k - 1]!);
          }
        },
      ),
    );
  });
});
