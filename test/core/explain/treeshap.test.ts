/**
 * TreeSHAP against a brute-force Shapley computation on random small trees (≤ 6 features, numeric
 * and categorical splits, missing values with learned directions), additivity on real GBDT and
 * random-forest models, and the symmetry/dummy axioms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedValue, treeShap } from '../../../src/core/explain/treeshap.ts';
import type { PackedForest } from '../../../src/core/models/gbdt/forest.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { randomForestDefaults } from '../../../src/core/models/gbdt/config.ts';
import type { FeatureMatrix } from '../../../src/core/models/types.ts';
import { createRng } from '../../../src/core/util/random.ts';

interface NodeSpec {
  feature: number;
  threshold: number;
  cats: number[] | null;
  defaultLeft: boolean;
  left: number;
  right: number;
  value: number;
  cover: number;
}

/** A random tree (nodes in preorder) over nF features; leaf covers random, inner covers their sums. */
function randomTree(seed: number, nF: number, maxDepth: number, catFeatures: Set<number>): NodeSpec[] {
  const rng = createRng(seed);
  const nodes: NodeSpec[] = [];
  const grow = (depth: number): number => {
    const id = nodes.length;
    nodes.push({
      feature: -1,
      threshold: 0,
      cats: null,
      defaultLeft: false,
      left: -1,
      right: -1,
      value: 0,
      cover: 0,
    });
    if (depth >= maxDepth || (depth > 0 && rng.next() < 0.25)) {
      nodes[id]!.value = Math.round((rng.next() * 4 - 2) * 1000) / 1000;
      nodes[id]!.cover = 1 + rng.int(20);
      return id;
    }
    const feature = rng.int(nF);
    const n = nodes[id]!;
    n.feature = feature;
    n.defaultLeft = rng.next() < 0.5;
    if (catFeatures.has(feature)) n.cats = [0, 1, 2, 3, 4].filter(() => rng.next() < 0.5);
    else n.threshold = rng.int(5) + 0.5;
    n.left = grow(depth + 1);
    n.right = grow(depth + 1);
    n.cover = nodes[n.left]!.cover + nodes[n.right]!.cover;
    return id;
  };
  grow(0);
  return nodes;
}

function pack(trees: NodeSpec[][], groups: number[]): PackedForest {
  const all = trees.flat();
  const treeRoot: number[] = [];
  const catBits: number[] = [];
  const catStart: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  let offset = 0;
  for (const t of trees) {
    treeRoot.push(offset);
    for (const n of t) {
      left.push(n.left < 0 ? -1 : n.left + offset);
      right.push(n.right < 0 ? -1 : n.right + offset);
      if (n.cats) {
        catStart.push(catBits.length);
        catBits.push(
          1,
          n.cats.reduce((w, c) => w | (1 << c), 0),
        );
      } else catStart.push(-1);
    }
    offset += t.length;
  }
  return {
    nTrees: trees.length,
    nNodes: all.length,
    treeRoot: Int32Array.from(treeRoot),
    treeGroup: Int32Array.from(groups),
    feature: Int32Array.from(all, (n) => n.feature),
    threshold: Float64Array.from(all, (n) => n.threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(all, (n) => n.value),
    defaultLeft: Int32Array.from(all, (n) => (n.defaultLeft ? 1 : 0)),
    catStart: Int32Array.from(catStart),
    catBits: Uint32Array.from(catBits),
    gain: new Float64Array(all.length),
    cover: Float64Array.from(all, (n) => n.cover),
  };
}

/** v(S): the tree's output with features outside S integrated out by cover (path-dependent). */
function conditional(f: PackedForest, node: number, x: number[], inS: (j: number) => boolean): number {
  if (f.left[node]! < 0) return f.value[node]!;
  const j = f.feature[node]!;
  const l = f.left[node]!;
  const r = f.right[node]!;
  if (inS(j)) {
    const xj = x[j]!;
    const cs = f.catStart[node]!;
    let goLeft: boolean;
    if (cs < 0) goLeft = xj <= f.threshold[node]! || (Number.isNaN(xj) && f.defaultLeft[node] === 1);
    else if (!(xj >= 0)) goLeft = f.defaultLeft[node] === 1;
    else goLeft = ((f.catBits[cs + 1]! >>> xj) & 1) === 1;
    return conditional(f, goLeft ? l : r, x, inS);
  }
  const c = f.cover[node]!;
  return (f.cover[l]! * conditional(f, l, x, inS) + f.cover[r]! * conditional(f, r, x, inS)) / c;
}

function bruteForceShap(f: PackedForest, x: number[], nF: number): number[] {
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = new Array<number>(nF).fill(0);
  for (let t = 0; t < f.nTrees; t++) {
    const v = (mask: number) => conditional(f, f.treeRoot[t]!, x, (j) => ((mask >> j) & 1) === 1);
    for (let j = 0; j < nF; j++) {
      for (let mask = 0; mask < 1 << nF; mask++) {
        if ((mask >> j) & 1) continue;
        let size = 0;
        for (let m = mask; m; m &= m - 1) size++;
        const w = (fact(size) * fact(nF - size - 1)) / fact(nF);
        phi[j]! += w * (v(mask | (1 << j)) - v(mask));
      }
    }
  }
  return phi;
}

const matrix = (rows: number[][], nF: number): FeatureMatrix => {
  const n = rows.length;
  const data = new Float64Array(n * nF);
  rows.forEach((r, i) => r.forEach((v, j) => (data[j * n + i] = v)));
  return {
    nRows: n,
    nCols: nF,
    data,
    featureNames: Array.from({ length: nF }, (_, j) => `f${j}`),
  } as FeatureMatrix;
};

describe('TreeSHAP', () => {
  it('equals brute-force Shapley values on random trees with categorical splits and missing values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(NaN)), {
            minLength: 6,
            maxLength: 6,
          }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (seed, nF, depth, rows) => {
          const cat = new Set([0, 2].filter((j) => j < nF));
          const trees = [randomTree(seed, nF, depth, cat), randomTree(seed + 1, nF, depth, cat)];
          const f = pack(trees, [0, 0]);
          const X = matrix(
            rows.map((r) => r.slice(0, nF)),
            nF,
          );
          const phi = treeShap(f, X, { nGroups: 1, baseScore: [0.25] });
          rows.forEach((r0, i) => {
            const x = r0.slice(0, nF);
            const want = bruteForceShap(f, x, nF);
            for (let j = 0; j < nF; j++) expect(phi[i * (nF + 1) + j]).toBeCloseTo(want[j]!, 10);
            // Additivity: bias + Σφ = the trees' output + base score.
            const out =
              0.25 + trees.reduce((s, _t, k) => s + conditional(f, f.treeRoot[k]!, x, () => true), 0);
            let sum = phi[i * (nF + 1) + nF]!;
            for (let j = 0; j < nF; j++) sum += phi[i * (nF + 1) + j]!;
            expect(sum).toBeCloseTo(out, 10);
            expect(phi[i * (nF + 1) + nF]).toBeCloseTo(
              0.25 + expectedValue(f, f.treeRoot[0]!) + expectedValue(f, f.treeRoot[1]!),
              12,
            );
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a feature no split uses gets exactly 0', () => {
    const tree = randomTree(7, 3, 4, new Set());
    for (const n of tree) if (n.feature === 2) n.feature = 1;
    const f = pack([tree], [0]);
    const phi = treeShap(
      f,
      matrix(
        [
          [1, 2, 3],
          [NaN, 0, 5],
        ],
        3,
      ),
      { nGroups: 1 },
    );
    expect(phi[2]).toBe(0);
    expect(phi[4 + 2]).toBe(0);
  });

  it('additivity within 1e-9 on a fitted GBDT (binary, multiclass) and a random forest', () => {
    const rng = createRng(3);
    const n = 400;
    const nF = 5;
    const rows = Array.from({ length: n }, () => [
      rng.normal(),
      rng.normal(),
      rng.int(4),
      rng.next() < 0.1 ? NaN : rng.normal(),
      rng.next(),
    ]);
    const X = matrix(rows, nF);
    const yBin = Float64Array.from(rows, (r) =>
      r[0]! + (r[2] === 1 ? 1 : 0) + (Number.isNaN(r[3]!) ? 1 : r[3]!) > 0.5 ? 1 : 0,
    );
    const yMulti = Float64Array.from(rows, (r) => (r[0]! > 0.5 ? 2 : r[1]! > 0 ? 1 : 0));
    const cases = [
      fitGbdt(X, yBin, { task: 'binary', config: { rounds: 30 } as never }),
      fitGbdt(X, yMulti, { task: 'multiclass', nClasses: 3, config: { rounds: 20 } as never }),
      fitGbdt(X, yBin, {
        task: 'regression',
        config: { ...randomForestDefaults('regression'), rounds: 15 } as never,
      }),
    ];
    for (const m of cases) {
      const G = m.nGroups;
      const rounds = m.defaultRounds;
      const p = m.forest.pack();
      const forestScale = m.isForest ? 1 / rounds : 1;
      const phi = treeShap(p, X, {
        nGroups: G,
        trees: [0, rounds * G],
        baseScore: m.baseScore,
        scale: forestScale,
      });
      const raw = m.predictRaw(X);
      for (let i = 0; i < n; i++) {
        for (let g = 0; g < G; g++) {
          let s = 0;
          for (let j = 0; j <= nF; j++) s += phi[(i * G + g) * (nF + 1) + j]!;
          expect(Math.abs(s - raw[g * n + i]! * forestScale)).toBeLessThan(1e-9);
        }
      }
    }
  });
});
