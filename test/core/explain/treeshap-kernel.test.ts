/**
 * The TreeSHAP kernel (tree-major loop, per-(leaf, pattern) memo, explicit stack) against the
 * recursive implementation it replaced (treeshap-reference.ts), bit for bit (`Object.is` on every
 * value): random forests with several output groups, numeric and categorical splits, missing values,
 * repeated features on a path, zero and inconsistent covers, Float32 and Float64 data, tree ranges,
 * scales and base scores — with few and many rows (the memo is used only when it pays off), and deep
 * trees (past the memo's size limit); and fitted GBDT (binary, multiclass) and random-forest models.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { treeShap } from '../../../src/core/explain/treeshap.ts';
import type { PackedForest } from '../../../src/core/models/gbdt/forest.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { randomForestDefaults } from '../../../src/core/models/gbdt/config.ts';
import type { FeatureMatrix } from '../../../src/core/models/types.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { treeShap as referenceTreeShap } from './treeshap-reference.ts';

/**
 * A random forest of `nTrees` trees over nF features (features < nCat categorical), packed. With
 * `spine`, one child of every inner node is a leaf and the other goes on to `maxDepth` (a deep, thin tree).
 */
function randomForest(
  seed: number,
  nTrees: number,
  nF: number,
  nCat: number,
  maxDepth: number,
  spine = false,
): PackedForest {
  const rng = createRng(seed);
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const defaultLeft: number[] = [];
  const catStart: number[] = [];
  const catBits: number[] = [];
  const cover: number[] = [];
  const treeRoot: number[] = [];
  const grow = (depth: number, leaf = false): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(0);
    defaultLeft.push(0);
    catStart.push(-1);
    cover.push(0);
    if (leaf || depth >= maxDepth || (!spine && depth > 0 && rng.next() < 0.2)) {
      value[id] = rng.normal() * 3;
      // covers: mostly positive non-integers, sometimes 0
      cover[id] = rng.next() < 0.1 ? 0 : rng.next() * 50;
      return id;
    }
    // a small feature set makes repeated features on a path common
    const j = rng.int(nF);
    feature[id] = j;
    defaultLeft[id] = rng.next() < 0.5 ? 1 : 0;
    if (j < nCat) {
      catStart[id] = catBits.length;
      const words = 1 + rng.int(2);
      catBits.push(words);
      for (let w = 0; w < words; w++) catBits.push((rng.next() * 2 ** 32) >>> 0);
    } else threshold[id] = rng.int(6) + (rng.next() < 0.5 ? 0.5 : 0);
    const leafSide = spine ? rng.int(2) : -1;
    const l = grow(depth + 1, leafSide === 0);
    const r = grow(depth + 1, leafSide === 1);
    left[id] = l;
    right[id] = r;
    const sum = cover[l]! + cover[r]!;
    // usually the children's sum; sometimes 0 or a different value (a node's own hessian sum)
    const u = rng.next();
    cover[id] = u < 0.1 ? 0 : u < 0.2 ? sum * 1.5 : sum;
    return id;
  };
  for (let t = 0; t < nTrees; t++) {
    treeRoot.push(feature.length);
    grow(0);
  }
  return {
    nTrees,
    nNodes: feature.length,
    treeRoot: Int32Array.from(treeRoot),
    treeGroup: new Int32Array(nTrees),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    defaultLeft: Int32Array.from(defaultLeft),
    catStart: Int32Array.from(catStart),
    catBits: Uint32Array.from(catBits),
    gain: new Float64Array(feature.length),
    cover: Float64Array.from(cover),
  };
}

function randomMatrix(seed: number, n: number, nF: number, float32: boolean): FeatureMatrix {
  const rng = createRng(seed);
  const data = float32 ? new Float32Array(n * nF) : new Float64Array(n * nF);
  for (let k = 0; k < data.length; k++) {
    const u = rng.next();
    // few distinct values (so rows share paths and the memo is hit), missing values, negatives,
    // category codes past the bitsets' words
    data[k] = u < 0.1 ? NaN : u < 0.15 ? -1 : u < 0.2 ? rng.int(80) : u < 0.6 ? rng.int(7) : rng.next() * 7;
  }
  return { nRows: n, nCols: nF, data };
}

function expectBitIdentical(got: Float64Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) {
      mismatches++;
      if (first < 0) first = i;
    }
  expect(
    mismatches,
    first < 0 ? '' : `first at ${first}: ${got[first]} vs ${want[first]} (${mismatches} in all)`,
  ).toBe(0);
}

describe('TreeSHAP kernel', () => {
  it('equals the recursive implementation bit for bit on random forests', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(1, 2, 3, 30, 200),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        (seed, nF, nCat, maxDepth, n, G, float32, options) => {
          const nTrees = G * (1 + (seed % 4));
          const f = randomForest(seed, nTrees, nF, Math.min(nCat, nF), maxDepth);
          const groups = Int32Array.from({ length: nTrees }, (_, t) => t % G);
          const forest = { ...f, treeGroup: groups };
          const X = randomMatrix(seed + 1, n, nF, float32);
          const opts = options
            ? {
                nGroups: G,
                trees: [G, nTrees] as const,
                baseScore: Array.from({ length: G }, (_, g) => 0.1 * g - 0.3),
                scale: 1 / 3,
              }
            : { nGroups: G };
          expectBitIdentical(treeShap(forest, X, opts), referenceTreeShap(forest, X, opts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equals it on deep trees (past the memo table limit) and on one row', () => {
    for (const [depth, n, spine] of [
      [18, 300, true],
      [30, 50, true],
      [14, 40, false],
      [7, 1, false],
    ] as const) {
      const f = randomForest(depth * 7 + n, 3, 8, 2, depth, spine);
      const X = randomMatrix(depth, n, 8, false);
      const opts = { nGroups: 1, baseScore: [0.5] };
      expectBitIdentical(treeShap(f, X, opts), referenceTreeShap(f, X, opts));
    }
  });

  it('equals it on fitted GBDT (binary, multiclass) and random-forest models', () => {
    const rng = createRng(11);
    const n = 600;
    const nF = 6;
    const data = new Float64Array(n * nF);
    for (let i = 0; i < n; i++) {
      data[i] = rng.normal();
      data[n + i] = rng.normal();
      data[2 * n + i] = rng.int(5);
      data[3 * n + i] = rng.next() < 0.15 ? NaN : rng.normal();
      data[4 * n + i] = rng.next();
      data[5 * n + i] = rng.int(3);
    }
    const X: FeatureMatrix = {
      nRows: n,
      nCols: nF,
      data,
      categorical: [false, false, true, false, false, true],
      nCategories: [0, 0, 5, 0, 0, 3],
    };
    const x = (j: number, i: number) => data[j * n + i]!;
    const yBin = Float64Array.from({ length: n }, (_, i) =>
      x(0, i) + (x(2, i) === 1 ? 1 : 0) + (Number.isNaN(x(3, i)) ? 1 : x(3, i)) > 0.5 ? 1 : 0,
    );
    const yMulti = Float64Array.from({ length: n }, (_, i) => (x(0, i) > 0.5 ? 2 : x(5, i) === 1 ? 1 : 0));
    const yReg = Float64Array.from({ length: n }, (_, i) => x(0, i) * 2 + x(4, i) + (x(2, i) === 3 ? 1 : 0));
    const models = [
      fitGbdt(X, yBin, { task: 'binary', config: { rounds: 40 } as never }),
      fitGbdt(X, yMulti, { task: 'multiclass', nClasses: 3, config: { rounds: 25 } as never }),
      fitGbdt(X, yReg, { task: 'regression', config: { rounds: 30, maxDepth: 9 } as never }),
      fitGbdt(X, yReg, {
        task: 'regression',
        config: { ...randomForestDefaults('regression'), rounds: 10 } as never,
      }),
    ];
    for (const m of models) {
      const p = m.forest.pack();
      const opts = {
        nGroups: m.nGroups,
        trees: [0, m.defaultRounds * m.nGroups] as const,
        baseScore: m.baseScore,
        scale: m.isForest ? 1 / m.defaultRounds : 1,
      };
      expectBitIdentical(treeShap(p, X, opts), referenceTreeShap(p, X, opts));
      // a few rows (the memo is not used) and a Float32 copy of the data
      const few: FeatureMatrix = {
        ...X,
        nRows: 2,
        data: Float64Array.from({ length: 2 * nF }, (_, k) => x(k >> 1, k & 1)),
      };
      expectBitIdentical(treeShap(p, few, opts), referenceTreeShap(p, few, opts));
      const f32: FeatureMatrix = { ...X, data: Float32Array.from(data) };
      expectBitIdentical(treeShap(p, f32, opts), referenceTreeShap(p, f32, opts));
    }
  });
});
