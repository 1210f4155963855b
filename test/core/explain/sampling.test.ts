/**
 * Sampling Shapley values (the model-agnostic explainer for MLPs and ensembles): against a brute-force
 * interventional Shapley computation (every coalition, the background rows filling the absent
 * columns) on a real GBDT — exact when every permutation is walked, within its stated standard error
 * when sampled —; equal to the exact linear SHAP values on a real linear model with the same
 * background; additivity for any function, group count and permutation count (property test); seeded.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Column, Table } from '../../../src/core/data/table.ts';
import { linearShap } from '../../../src/core/explain/linear.ts';
import { samplingShap } from '../../../src/core/explain/sampling.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { selectBackend } from '../../../src/core/models/nn/backend.ts';
import { linearEstimator } from '../../../src/core/models/nn/estimator.ts';
import type { FeatureMatrix } from '../../../src/core/models/types.ts';
import { createRng } from '../../../src/core/util/random.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** A table of `nNum` numeric columns (some missing) and one categorical column `c`. */
function makeTable(n: number, nNum: number, seed: number): Table {
  const rng = createRng(seed);
  const columns: Column[] = Array.from({ length: nNum }, (_, j) => ({
    name: `x${j}`,
    type: 'numeric' as const,
    storage: 'float64' as const,
    values: Float64Array.from({ length: n }, () => (rng.next() < 0.05 ? NaN : rng.normal() + j / 3)),
  }));
  columns.push({
    name: 'c',
    type: 'categorical',
    storage: 'dict',
    dictionary: ['a', 'b', 'c'],
    codes: Int32Array.from({ length: n }, () => rng.int(3)),
  });
  return { nRows: n, columns };
}

/** The table as the model's column-major matrix (category codes for the dict column). */
function matrix(t: Table): FeatureMatrix {
  const n = t.nRows;
  const data = new Float64Array(n * t.columns.length);
  t.columns.forEach((c, j) => {
    for (let i = 0; i < n; i++)
      data[j * n + i] =
        c.storage === 'dict' ? (c.codes[i]! < 0 ? NaN : c.codes[i]!) : (c.values[i] as number);
  });
  return {
    nRows: n,
    nCols: t.columns.length,
    data,
    categorical: t.columns.map((c) => c.storage === 'dict'),
    nCategories: t.columns.map((c) => (c.storage === 'dict' ? 3 : 0)),
  };
}

function label(t: Table): Float64Array {
  const X = matrix(t);
  const n = t.nRows;
  return Float64Array.from({ length: n }, (_, i) => {
    const x0 = X.data[i]!;
    const x1 = X.data[n + i]!;
    const c = X.data[(X.nCols - 1) * n + i]!;
    const s = (Number.isNaN(x0) ? 0 : x0) * (x1 > 0 ? 2 : -1) + (c === 1 ? 1.5 : 0);
    return s > 0.3 ? 1 : 0;
  });
}

/** Brute-force interventional Shapley values of row i over the background rows, per group. */
function bruteForce(
  t: Table,
  i: number,
  background: readonly number[],
  output: (t: Table) => Float64Array,
  G: number,
): { phi: number[][]; base: number[] } {
  const M = t.columns.length;
  const B = background.length;
  const v: number[][] = [];
  for (let S = 0; S < 1 << M; S++) {
    const columns = t.columns.map((c, j): Column => {
      const pick = (b: number) => ((S >> j) & 1 ? i : background[b]!);
      if (c.storage === 'dict')
        return { ...c, codes: Int32Array.from({ length: B }, (_, b) => c.codes[pick(b)]!) };
      return {
        ...c,
        values: Float64Array.from({ length: B }, (_, b) => c.values[pick(b)] as number),
      } as Column;
    });
    const f = output({ nRows: B, columns });
    v.push(
      Array.from({ length: G }, (_, g) => {
        let s = 0;
        for (let b = 0; b < B; b++) s += f[b * G + g]!;
        return s / B;
      }),
    );
  }
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = Array.from({ length: M }, (_, j) =>
    Array.from({ length: G }, (_, g) => {
      let s = 0;
      for (let S = 0; S < 1 << M; S++) {
        if ((S >> j) & 1) continue;
        let size = 0;
        for (let k = 0; k < M; k++) size += (S >> k) & 1;
        s += ((fact(size) * fact(M - size - 1)) / fact(M)) * (v[S | (1 << j)]![g]! - v[S]![g]!);
      }
      return s;
    }),
  );
  return { phi, base: v[0]! };
}

describe('sampling Shapley values', () => {
  const train = makeTable(400, 5, 1);
  const gbdt = fitGbdt(matrix(train), label(train), { task: 'binary', config: { rounds: 40 } as never });
  const probability = (t: Table) => {
    const p = gbdt.predict(matrix(t));
    return Float64Array.from({ length: t.nRows }, (_, i) => p[2 * i + 1]!);
  };
  const data = makeTable(60, 5, 2);
  const names = data.columns.map((c) => c.name);
  const background = [3, 8, 13, 21, 34, 40, 47, 55];
  const rows = [0, 1, 2, 5, 9];

  it('walking every permutation gives the exact interventional Shapley values of a real GBDT', () => {
    const s = samplingShap(data, rows, {
      output: probability,
      nGroups: 1,
      columns: names,
      background,
      permutations: 720, // 6! orders of the 6 columns
    });
    expect(s.exact).toBe(true);
    expect(s.permutations).toBe(720);
    const M = names.length;
    rows.forEach((i, r) => {
      const { phi, base } = bruteForce(data, i, background, probability, 1);
      for (let j = 0; j < M; j++)
        expect(Math.abs(s.values[r * (M + 1) + j]! - phi[j]![0]!)).toBeLessThan(1e-12);
      expect(s.values[r * (M + 1) + M]).toBeCloseTo(base[0]!, 14);
      for (let j = 0; j < M; j++) expect(s.stderr[r * M + j]).toBe(0);
    });
    // the columns matter: not every value is 0
    expect(s.values.some((v, k) => k % (M + 1) !== M && Math.abs(v) > 0.01)).toBe(true);
  });

  it('sampled permutations: additivity is exact; values fall within their stated standard errors', () => {
    const M = names.length;
    const exact = rows.map((i) => bruteForce(data, i, background, probability, 1).phi.map((p) => p[0]!));
    const run = (permutations: number, seed: number) =>
      samplingShap(data, rows, {
        output: probability,
        nGroups: 1,
        columns: names,
        background,
        permutations,
        seed,
      });
    const s = run(16, 7);
    expect(s.exact).toBe(false);
    const fx = probability({
      nRows: rows.length,
      columns: data.columns.map((c): Column =>
        c.storage === 'dict'
          ? { ...c, codes: Int32Array.from(rows, (i) => c.codes[i]!) }
          : ({ ...c, values: Float64Array.from(rows, (i) => c.values[i] as number) } as Column),
      ),
    });
    let within = 0;
    let counted = 0;
    rows.forEach((_, r) => {
      let sum = 0;
      for (let j = 0; j <= M; j++) sum += s.values[r * (M + 1) + j]!;
      expect(Math.abs(sum - fx[r]!)).toBeLessThan(1e-12);
      for (let j = 0; j < M; j++) {
        const se = s.stderr[r * M + j]!;
        const err = Math.abs(s.values[r * (M + 1) + j]! - exact[r]![j]!);
        expect(err).toBeLessThan(6 * se + 1e-12);
        if (se > 0) {
          counted++;
          if (err <= 2 * se) within++;
        }
      }
    });
    expect(counted).toBeGreaterThan(10);
    expect(within / counted).toBeGreaterThan(0.8);
    // more permutations, smaller errors (about 1/√4 = half)
    const big = run(256, 7);
    const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(big.stderr)).toBeLessThan(0.6 * mean(s.stderr));
    // seeded: the same seed gives the same values, another seed others
    expect(run(16, 7).values).toEqual(s.values);
    expect(run(16, 8).values).not.toEqual(s.values);
  });

  it('equals exact linear SHAP on a real linear model (log-odds), whatever the permutations', async () => {
    // the category codes as a plain number (a linear model one-hot encodes them in a real pipeline)
    const plain = (t: Table): FeatureMatrix => {
      const { nRows, nCols, data: d } = matrix(t);
      return { nRows, nCols, data: d };
    };
    const X = plain(train);
    const m = await linearEstimator.fit(X, label(train), { task: 'binary', config: { epochs: 20, seed: 1 } });
    const logOdds = (t: Table) => {
      const p = m.predict(plain(t));
      return Float64Array.from({ length: t.nRows }, (_, i) => Math.log(p[2 * i + 1]! / p[2 * i]!));
    };
    const s = samplingShap(data, rows, {
      output: logOdds,
      nGroups: 1,
      columns: names,
      background,
      permutations: 4,
    });
    const D = plain(data);
    const bg = plain({
      nRows: background.length,
      columns: data.columns.map((c): Column =>
        c.storage === 'dict'
          ? { ...c, codes: Int32Array.from(background, (i) => c.codes[i]!) }
          : ({ ...c, values: Float64Array.from(background, (i) => c.values[i] as number) } as Column),
      ),
    });
    const exact = linearShap(m as never, D, bg);
    const M = names.length;
    rows.forEach((i, r) => {
      for (let j = 0; j <= M; j++)
        expect(Math.abs(s.values[r * (M + 1) + j]! - exact[i * (M + 1) + j]!)).toBeLessThan(1e-9);
    });
  }, 60_000);

  it('property: base + contributions = f(x) for any function, groups and permutations; additive f is exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.boolean(),
        (nNum, G, permutations, seed, additive) => {
          const t = makeTable(12, nNum - 1, seed);
          const M = t.columns.length;
          const rng = createRng(seed + 1);
          const w = Array.from({ length: M * G }, () => rng.normal());
          const term = (t2: Table, j: number, i: number): number => {
            const c = t2.columns[j]!;
            const v = c.storage === 'dict' ? c.codes[i]! : (c.values[i] as number);
            return Number.isNaN(v) ? 0.5 : Math.sin(v);
          };
          const f = (t2: Table) => {
            const out = new Float64Array(t2.nRows * G);
            for (let i = 0; i < t2.nRows; i++)
              for (let g = 0; g < G; g++) {
                let s = 0;
                for (let j = 0; j < M; j++) s += w[j * G + g]! * term(t2, j, i);
                if (!additive && M > 1) s += term(t2, 0, i) * term(t2, M - 1, i) * 3;
                out[i * G + g] = s;
              }
            return out;
          };
          const bg = [0, 3, 4, 7];
          const rs = [1, 2, 11];
          const s = samplingShap(t, rs, {
            output: f,
            nGroups: G,
            columns: t.columns.map((c) => c.name),
            background: bg,
            permutations,
            seed,
          });
          const fx = f({ nRows: 12, columns: t.columns });
          rs.forEach((i, r) => {
            for (let g = 0; g < G; g++) {
              const at = (r * G + g) * (M + 1);
              let sum = 0;
              for (let j = 0; j <= M; j++) sum += s.values[at + j]!;
              expect(Math.abs(sum - fx[i * G + g]!)).toBeLessThan(1e-9);
              if (!additive) continue;
              for (let j = 0; j < M; j++) {
                let mb = 0;
                for (const b of bg) mb += term(t, j, b) / bg.length;
                const want = w[j * G + g]! * (term(t, j, i) - mb);
                expect(Math.abs(s.values[at + j]! - want)).toBeLessThan(1e-9);
              }
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses an empty background and an unknown column', () => {
    const f = (t: Table) => new Float64Array(t.nRows);
    expect(() => samplingShap(data, [0], { output: f, nGroups: 1, columns: names, background: [] })).toThrow(
      /at least one background row/,
    );
    expect(() =>
      samplingShap(data, [0], { output: f, nGroups: 1, columns: ['nope'], background: [1] }),
    ).toThrow(/no column "nope"/);
  });
});
