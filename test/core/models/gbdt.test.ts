import { describe, expect, it } from 'vitest';
import { GbdtModel, fitGbdt, type SerializedGbdt } from '../../../src/core/models/gbdt/index.ts';
import { binMatrix, fitBinMapper } from '../../../src/core/models/gbdt/binning.ts';
import { b64, typedToBase64 } from '../../../src/core/util/base64.ts';
import type { FeatureMatrix, Task } from '../../../src/core/models/types.ts';
import { ModelConfigError, matrixFromColumns, takeRows } from '../../../src/core/models/types.ts';
import { deserializeModel } from '../../../src/core/models/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { accuracyOf, synth } from './synth.ts';

function trees(m: GbdtModel): Record<string, number[]> {
  const p = m.forest.pack();
  return {
    feature: Array.from(p.feature),
    left: Array.from(p.left),
    right: Array.from(p.right),
    value: Array.from(p.value),
    defaultLeft: Array.from(p.defaultLeft),
    gain: Array.from(p.gain),
  };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('gbdt: training behaviour', () => {
  const cases: [Task, string | undefined][] = [
    ['binary', undefined],
    ['multiclass', undefined],
    ['regression', undefined],
    ['regression', 'huber'],
  ];
  for (const [task, objective] of cases) {
    it(`training loss decreases every round at a small learning rate (${task}${objective ? ', ' + objective : ''})`, () => {
      const d = synth(task, 500, 21, { missing: 0.1 });
      const m = fitGbdt(d.X, d.y, {
        task,
        nClasses: d.nClasses,
        config: { rounds: 40, learningRate: 0.05, ...(objective ? { objective: 'huber' as const } : {}) },
      });
      const curve = m.history.train;
      expect(curve.length).toBe(40);
      for (let r = 1; r < curve.length; r++) expect(curve[r]).toBeLessThan(curve[r - 1]);
      expect(curve[curve.length - 1]).toBeLessThan(0.8 * curve[0]);
    });
  }

  it('fits a separable problem exactly', () => {
    const rng = createRng(5);
    const n = 200;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const z = Float64Array.from({ length: n }, () => rng.normal());
    // Piecewise constant in x and the sign of z: a depth-2 tree represents it exactly.
    const y = Float64Array.from({ length: n }, (_, i) => (x[i] > 0.3 ? 10 : -4) + (z[i] > 0 ? 1 : 0));
    const X = matrixFromColumns([x, z]);
    const m = fitGbdt(X, y, {
      task: 'regression',
      config: { rounds: 1, learningRate: 1, lambda: 0, maxDepth: 2, minChildWeight: 0 },
    });
    const p = m.predict(X);
    for (let i = 0; i < n; i++) expect(p[i]).toBeCloseTo(y[i], 9);
    const yc = Float64Array.from({ length: n }, (_, i) => (x[i] > 0.3 ? 1 : 0));
    const c = fitGbdt(X, yc, { task: 'binary', config: { rounds: 20, maxDepth: 1 } });
    const pc = c.predict(X);
    for (let i = 0; i < n; i++) expect(Math.abs(pc[2 * i + 1] - yc[i])).toBeLessThan(0.05);
  });

  it('grows the same trees under a monotone transformation of a numeric feature', () => {
    const d = synth('regression', 400, 22, { missing: 0.05 });
    const n = d.X.nRows;
    const data = d.X.data.slice();
    for (let i = 0; i < n; i++) data[i] = Math.exp(2 * data[i]) + 5; // x0 → increasing transform
    for (let i = n; i < 2 * n; i++) data[i] = data[i] ** 3; // x1 → cube (keeps NaN)
    const X2: FeatureMatrix = { ...d.X, data };
    for (const config of [{ rounds: 10 }, { rounds: 5, maxBins: 16 }]) {
      const a = fitGbdt(d.X, d.y, { task: 'regression', config });
      const b = fitGbdt(X2, d.y, { task: 'regression', config });
      expect(trees(b)).toEqual(trees(a));
      expect(Array.from(b.predict(X2))).toEqual(Array.from(a.predict(d.X)));
    }
  });

  it('categorical splits agree with one-hot columns on a small case', () => {
    const rng = createRng(8);
    const n = 300;
    const cat = Float64Array.from({ length: n }, () => rng.int(3));
    const y = Float64Array.from({ length: n }, (_, i) => [2, -1, 5][cat[i]] + 0.1 * rng.normal());
    const Xc = matrixFromColumns([cat], { categorical: [true] });
    const Xo = matrixFromColumns([0, 1, 2].map((k) => cat.map((c) => (c === k ? 1 : 0))));
    const config = { rounds: 5, maxDepth: 2, learningRate: 0.5 };
    const pc = fitGbdt(Xc, y, { task: 'regression', config }).predict(Xc);
    const po = fitGbdt(Xo, y, { task: 'regression', config }).predict(Xo);
    expect(maxAbsDiff(pc, po)).toBeLessThan(1e-9);
  });

  it('sorted categorical splits group categories in one split (more than maxCatToOnehot)', () => {
    const rng = createRng(9);
    const n = 600;
    const cat = Float64Array.from({ length: n }, () => rng.int(8));
    const good = new Set([1, 4, 6, 7]);
    const y = Float64Array.from({ length: n }, (_, i) => (good.has(cat[i]) ? 1 : 0));
    const X = matrixFromColumns([cat], { categorical: [true] });
    const m = fitGbdt(X, y, {
      task: 'binary',
      config: { rounds: 30, maxDepth: 1, catSmooth: 1, catL2: 0, maxCatToOnehot: 4 },
    });
    expect(accuracyOf(m.predict(X), y, 2)).toBe(1);
    const p = m.forest.pack();
    expect(p.catStart[p.treeRoot[0]]).toBeGreaterThanOrEqual(0);
  });

  it('handles high-cardinality categoricals beyond maxBins', () => {
    const rng = createRng(10);
    const n = 3000;
    const cat = Float64Array.from({ length: n }, () => rng.int(400));
    const y = Float64Array.from({ length: n }, (_, i) => (cat[i] % 2 === 0 ? 1 : 0));
    const X = matrixFromColumns([cat], { categorical: [true] });
    const m = fitGbdt(X, y, { task: 'binary', config: { rounds: 40, maxBins: 64 } });
    expect(m.mapper.features[0].nBins).toBe(64);
    expect(accuracyOf(m.predict(X), y, 2)).toBeGreaterThan(0.6);
  });

  it('learns a default direction for missing values', () => {
    const rng = createRng(11);
    const n = 400;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const y = Float64Array.from({ length: n }, (_, i) => (x[i] > 1 ? 1 : 0));
    for (let i = 0; i < n; i += 5) {
      x[i] = NaN;
      y[i] = 1;
    }
    const X = matrixFromColumns([x]);
    const m = fitGbdt(X, y, { task: 'binary', config: { rounds: 20 } });
    const p = m.predict(matrixFromColumns([Float64Array.of(NaN, -2, 2)]));
    expect(p[1]).toBeGreaterThan(0.9);
    expect(p[3]).toBeLessThan(0.1);
    expect(p[5]).toBeGreaterThan(0.9);
  });

  it('zero sample weights act like dropped rows (deterministic config)', () => {
    const d = synth('binary', 300, 23);
    const w = Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const keep = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 !== 0);
    const config = { rounds: 20, maxBins: 255 };
    const a = fitGbdt(d.X, d.y, { task: 'binary', config });
    expect(a).toBeInstanceOf(GbdtModel);
    const aw = fitGbdt(d.X, d.y, { task: 'binary', config, weights: w });
    const b = fitGbdt(
      takeRows(d.X, keep),
      Float64Array.from(keep, (i) => d.y[i]),
      { task: 'binary', config },
    );
    const Xk = takeRows(d.X, keep);
    // Bins differ slightly (edges fitted on all rows vs kept rows), so compare predictions loosely.
    expect(maxAbsDiff(aw.predict(Xk), b.predict(Xk))).toBeLessThan(0.2);
    expect(
      accuracyOf(
        aw.predict(Xk),
        Float64Array.from(keep, (i) => d.y[i]),
        2,
      ),
    ).toBeGreaterThan(0.9);
  });

  it('class weights "balanced" raise the minority class probability', () => {
    const d = synth('binary', 400, 24);
    const y = d.y.map((v, i) => (v === 1 && i % 4 !== 0 ? 0 : v)); // make class 1 rare
    const plain = fitGbdt(d.X, y, { task: 'binary', config: { rounds: 10 } }).predict(d.X);
    const bal = fitGbdt(d.X, y, { task: 'binary', config: { rounds: 10, classWeight: 'balanced' } }).predict(
      d.X,
    );
    let sp = 0;
    let sb = 0;
    for (let i = 0; i < 400; i++) {
      sp += plain[2 * i + 1];
      sb += bal[2 * i + 1];
    }
    expect(sb).toBeGreaterThan(sp * 1.5);
  });
});

describe('gbdt: continue training, validation curve, early stopping', () => {
  for (const task of ['binary', 'multiclass', 'regression'] as Task[]) {
    it(`fit(n) + continueTraining(m) grows the same model as fit(n + m) (${task}, subsampled)`, () => {
      const d = synth(task, 300, 31, { missing: 0.1 });
      const v = synth(task, 100, 32);
      const config = { rounds: 8, subsample: 0.7, colsampleByTree: 0.8, seed: 3 };
      const validation = { X: v.X, y: v.y };
      const a = fitGbdt(d.X, d.y, { task, nClasses: d.nClasses, config, validation });
      a.continueTraining(5);
      const b = fitGbdt(d.X, d.y, {
        task,
        nClasses: d.nClasses,
        config: { ...config, rounds: 13 },
        validation,
      });
      expect(a.nRounds).toBe(13);
      expect(Array.from(a.predict(v.X))).toEqual(Array.from(b.predict(v.X)));
      expect(a.history.valid).toEqual(b.history.valid);
      expect(a.history.valid.length).toBe(13);
      // Continuing a deserialized model with the data again gives the same trees too.
      const c = deserializeModel(
        JSON.stringify(fitGbdt(d.X, d.y, { task, nClasses: d.nClasses, config }).toJSON()),
      );
      expect(c).toBeInstanceOf(GbdtModel);
      const cm = c as GbdtModel;
      expect(cm.canContinue).toBe(false);
      expect(() => cm.continueTraining(5)).toThrow(/training data/);
      cm.continueTraining(5, { X: d.X, y: d.y, validation });
      const pc = cm.predict(v.X);
      const pb = b.predict(v.X);
      expect(maxAbsDiff(pc, pb)).toBeLessThan(1e-12);
    });
  }

  it('random forest continues training too', () => {
    const d = synth('multiclass', 200, 33);
    const a = fitGbdt(d.X, d.y, {
      task: 'multiclass',
      nClasses: 3,
      config: { mode: 'random_forest', rounds: 6 },
    });
    a.continueTraining(4);
    const b = fitGbdt(d.X, d.y, {
      task: 'multiclass',
      nClasses: 3,
      config: { mode: 'random_forest', rounds: 10 },
    });
    expect(Array.from(a.predict(d.X))).toEqual(Array.from(b.predict(d.X)));
  });

  it('stops early on the validation set and predicts with the best round', () => {
    const d = synth('binary', 300, 34);
    const v = synth('binary', 300, 35);
    const rounds: number[] = [];
    const m = fitGbdt(d.X, d.y, {
      task: 'binary',
      config: { rounds: 500, learningRate: 0.5, earlyStoppingRounds: 5 },
      validation: { X: v.X, y: v.y },
      onRound: (info) => {
        rounds.push(info.round);
      },
    });
    expect(m.nRounds).toBeLessThan(500);
    const best = m.bestIteration;
    expect(m.nRounds).toBe(best + 6);
    expect([m.iterationsUsed, m.iterationsRun]).toEqual([best + 1, m.nRounds]);
    const curve = m.history.valid;
    expect(Math.min(...curve)).toBe(curve[best]);
    expect(rounds).toEqual(Array.from({ length: m.nRounds }, (_, i) => i));
    expect(Array.from(m.predict(v.X))).toEqual(Array.from(m.predict(v.X, { rounds: best + 1 })));
  });

  it('onRound returning false stops training', () => {
    const d = synth('regression', 100, 36);
    const m = fitGbdt(d.X, d.y, { task: 'regression', config: { rounds: 50 }, onRound: (i) => i.round < 4 });
    expect(m.nRounds).toBe(5);
  });
});

describe('gbdt: importance, bins, serialization, config', () => {
  it('feature importance ranks the informative feature first; split counts are whole numbers', () => {
    const d = synth('regression', 500, 41);
    const m = fitGbdt(d.X, d.y, { task: 'regression', config: { rounds: 20 } });
    const gain = m.featureImportance('gain');
    const split = m.featureImportance('split');
    expect(gain.indexOf(Math.max(...gain))).toBe(0);
    expect(gain[3]).toBe(0); // constant feature
    let nSplits = 0;
    const p = m.forest.pack();
    for (let i = 0; i < p.nNodes; i++) if (p.left[i] >= 0) nSplits++;
    expect(split.reduce((a, b) => a + b, 0)).toBe(nSplits);
  });

  it('bins: at most maxBins value bins, missing in bin 0, roughly equal-frequency quantiles', () => {
    const rng = createRng(3);
    const n = 10000;
    const x = Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? NaN : Math.exp(rng.normal())));
    const X = matrixFromColumns([x]);
    const mapper = fitBinMapper(X, 32, 200000, 0);
    expect(mapper.features[0].nBins).toBe(32);
    const bins = binMatrix(mapper, X);
    const counts = new Array<number>(33).fill(0);
    for (let i = 0; i < n; i++) counts[bins[i]]++;
    expect(counts[0]).toBe(n / 50);
    for (let b = 1; b <= 32; b++) expect(Math.abs(counts[b] - (n - n / 50) / 32)).toBeLessThan(80);
    // Sampled edges on large data are seeded: same seed, same edges.
    const s1 = fitBinMapper(X, 32, 1000, 7);
    const s2 = fitBinMapper(X, 32, 1000, 7);
    expect(Array.from(s1.features[0].cuts)).toEqual(Array.from(s2.features[0].cuts));
  });

  it('base64 typed arrays round-trip exactly, including NaN, ±Infinity and -0', () => {
    const a = Float64Array.of(NaN, Infinity, -Infinity, -0, 1e-310, Math.PI, 0.1 + 0.2);
    const back = b64.f64(typedToBase64(a));
    expect(back.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect(Object.is(back[i], a[i])).toBe(true);
    for (const len of [0, 1, 2, 3, 4, 5]) {
      const u = Uint8Array.from({ length: len }, (_, i) => (i * 97 + 13) & 255);
      expect(Array.from(b64.u8(typedToBase64(u)))).toEqual(Array.from(u));
    }
  });

  it('rejects a model JSON of another format version', () => {
    const d = synth('binary', 50, 1);
    const json = fitGbdt(d.X, d.y, { task: 'binary', config: { rounds: 2 } }).toJSON();
    expect(() => deserializeModel({ ...json, formatVersion: 99 })).toThrow(/format version 99/);
  });

  it('gives specific config errors', () => {
    const d = synth('binary', 50, 1);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ learningRate: 0 }, /learningRate/],
      [{ maxBins: 256 }, /maxBins.*\[2, 255\]/],
      [{ subsample: 1.5 }, /subsample/],
      [{ rounds: 2.5 }, /rounds.*integer/],
      [{ objective: 'softmax' }, /objective.*binary/],
      [{ growPolicy: 'best' }, /growPolicy/],
      [{ lamda: 1 }, /unknown gbdt config key 'lamda'/],
    ];
    for (const [config, re] of bad) {
      expect(() => fitGbdt(d.X, d.y, { task: 'binary', config })).toThrow(ModelConfigError);
      expect(() => fitGbdt(d.X, d.y, { task: 'binary', config })).toThrow(re);
    }
  });

  it('Float32 input gives the same model as Float64 input holding the same values', () => {
    const d = synth('binary', 200, 42);
    const f32: FeatureMatrix = { ...d.X, data: Float32Array.from(d.X.data) };
    const f64: FeatureMatrix = { ...d.X, data: Float64Array.from(f32.data) };
    const a = fitGbdt(f32, d.y, { task: 'binary', config: { rounds: 10 } });
    const b = fitGbdt(f64, d.y, { task: 'binary', config: { rounds: 10 } });
    expect(Array.from(a.predict(f32))).toEqual(Array.from(b.predict(f64)));
  });
});

describe('random forest mode', () => {
  it('averages deep bagged trees; extra trees and per-split feature sampling change the trees', () => {
    const tr = synth('binary', 500, 51);
    const te = synth('binary', 500, 52);
    const base = { mode: 'random_forest' as const, rounds: 30 };
    const rf = fitGbdt(tr.X, tr.y, { task: 'binary', config: base });
    const et = fitGbdt(tr.X, tr.y, { task: 'binary', config: { ...base, extraTrees: true } });
    expect(accuracyOf(rf.predict(te.X), te.y, 2)).toBeGreaterThan(0.8);
    expect(accuracyOf(et.predict(te.X), te.y, 2)).toBeGreaterThan(0.8);
    expect(trees(rf)).not.toEqual(trees(et));
    // Trees are deeper than boosting's default depth 6 would allow for pure leaves on noisy data.
    const p = rf.forest.pack();
    let maxDepth = 0;
    const depth = (node: number, dpt: number): void => {
      maxDepth = Math.max(maxDepth, dpt);
      if (p.left[node] >= 0) {
        depth(p.left[node], dpt + 1);
        depth(p.right[node], dpt + 1);
      }
    };
    depth(p.treeRoot[0], 0);
    expect(maxDepth).toBeGreaterThan(6);
  });
});

describe('gbdt: a damaged or tampered model file fails on loading', () => {
  type ForestArrays = {
    treeRoot: Int32Array;
    treeGroup: Int32Array;
    feature: Int32Array;
    threshold: Float64Array;
    left: Int32Array;
    right: Int32Array;
    value: Float64Array;
    defaultLeft: Uint8Array;
    catStart: Int32Array;
  };
  const d = synth('multiclass', 300, 61);
  const fitted = fitGbdt(d.X, d.y, { task: 'multiclass', config: { rounds: 4 } });
  const json = fitted.toJSON();
  const p = fitted.forest.pack();
  // A split below the root of tree 0 (both trees' roots split on this data), and a leaf.
  const root = p.treeRoot[0];
  const inner = [p.left[root], p.right[root]].find((n) => p.left[n] >= 0) as number;
  const leaf = (() => {
    let n = root;
    while (p.left[n] >= 0) n = p.left[n];
    return n;
  })();

  /** The JSON with the forest's arrays edited. */
  function tampered(edit: (a: ForestArrays) => void, from: SerializedGbdt = json): SerializedGbdt {
    const j = JSON.parse(JSON.stringify(from)) as SerializedGbdt & { forest: Record<string, unknown> };
    const f = j.forest as unknown as Record<keyof ForestArrays, string>;
    const a: ForestArrays = {
      treeRoot: b64.i32(f.treeRoot),
      treeGroup: b64.i32(f.treeGroup),
      feature: b64.i32(f.feature),
      threshold: b64.f64(f.threshold),
      left: b64.i32(f.left),
      right: b64.i32(f.right),
      value: b64.f64(f.value),
      defaultLeft: b64.u8(f.defaultLeft),
      catStart: b64.i32(f.catStart),
    };
    edit(a);
    for (const key of Object.keys(a) as (keyof ForestArrays)[]) f[key] = typedToBase64(a[key]);
    return j;
  }

  it('the untampered JSON round-trips exactly (checks pass on real models)', () => {
    expect(p.left[root]).toBeGreaterThanOrEqual(0);
    expect(inner).toBeGreaterThan(root);
    const back = deserializeModel(JSON.parse(JSON.stringify(json)));
    expect(back.toJSON()).toEqual(json);
    expect(Array.from(back.predict(d.X))).toEqual(Array.from(fitted.predict(d.X)));
  });

  it('a cycle (a node that is its own child, or a child pointing back up) is an error, not an endless loop', () => {
    const self = tampered((a) => {
      a.left[root] = root;
      a.right[root] = root;
    });
    expect(() => deserializeModel(self)).toThrow(
      'serialized forest: tree 0, node 0: left child 0 is reached twice (a cycle, or a node with two parents)',
    );
    const up = tampered((a) => {
      a.right[inner] = root;
    });
    expect(() => deserializeModel(up)).toThrow(
      new RegExp(`tree 0, node ${inner}: right child 0 is reached twice`),
    );
    const shared = tampered((a) => {
      a.right[root] = a.left[root];
    });
    expect(() => deserializeModel(shared)).toThrow(/tree 0, node 0: right child \d+ is reached twice/);
  }, 5000);

  it('children outside the tree (out of range, negative on one side, in another tree) are errors', () => {
    const end = p.treeRoot[1];
    expect(() => deserializeModel(tampered((a) => void (a.left[root] = 100000)))).toThrow(
      `serialized forest: tree 0, node 0: left child 100000 is outside the tree's nodes [0, ${end})`,
    );
    expect(() => deserializeModel(tampered((a) => void (a.right[inner] = -1)))).toThrow(
      new RegExp(`tree 0, node ${inner}: right child -1 is outside`),
    );
    expect(() => deserializeModel(tampered((a) => void (a.left[root] = end)))).toThrow(
      `tree 0, node 0: left child ${end} is outside the tree's nodes [0, ${end})`,
    );
    // A split turned into a leaf leaves its subtree unreachable.
    expect(() => deserializeModel(tampered((a) => void (a.left[inner] = -1)))).toThrow(
      /tree 0: \d+ of its nodes \[0, \d+\) are not reachable from its root/,
    );
  });

  it('split features outside [0, nFeatures) are errors', () => {
    for (const f of [9999, 5, -5]) {
      expect(() => deserializeModel(tampered((a) => void (a.feature[inner] = f)))).toThrow(
        `serialized forest: tree 0, node ${inner}: split feature ${f} is outside [0, 5)`,
      );
    }
  });

  it('tree groups and roots must match the model', () => {
    expect(() => deserializeModel(tampered((a) => void (a.treeGroup[0] = 1e6)))).toThrow(
      'serialized forest: tree 0: treeGroup 1000000 is outside [0, 3)',
    );
    // In range but not the tree's own group: would silently add to another class.
    expect(() => deserializeModel(tampered((a) => void (a.treeGroup[4] = 2)))).toThrow(
      'serialized forest: tree 4: treeGroup is 2, expected 1',
    );
    expect(() => deserializeModel(tampered((a) => void (a.treeRoot[0] = 1e6)))).toThrow(
      `serialized forest: tree 0: treeRoot 1000000 is outside [0, ${p.nNodes})`,
    );
    expect(() => deserializeModel(tampered((a) => void (a.treeRoot[0] = -1)))).toThrow(
      /tree 0: treeRoot -1 is outside/,
    );
    expect(() => deserializeModel(tampered((a) => void (a.treeRoot[2] = a.treeRoot[1])))).toThrow(
      `serialized forest: tree 2: treeRoot ${p.treeRoot[1]} does not come after tree 1's root ${p.treeRoot[1]}`,
    );
  });

  it('non-finite leaf values, NaN numeric thresholds, bad category sets and defaultLeft are errors', () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      expect(() => deserializeModel(tampered((a) => void (a.value[leaf] = v)))).toThrow(
        `serialized forest: tree 0, node ${leaf}: leaf value ${v} is not finite`,
      );
    }
    expect(() => deserializeModel(tampered((a) => void (a.threshold[root] = NaN)))).toThrow(
      'serialized forest: tree 0, node 0: numeric split threshold is NaN',
    );
    for (const cs of [99999, -2]) {
      expect(() => deserializeModel(tampered((a) => void (a.catStart[root] = cs)))).toThrow(
        new RegExp(`tree 0, node 0: catStart ${cs} does not point at a category set inside catBits`),
      );
    }
    expect(() => deserializeModel(tampered((a) => void (a.defaultLeft[root] = 7)))).toThrow(
      'serialized forest: tree 0, node 0: defaultLeft is 7, expected 0 or 1',
    );
    // +Infinity is a threshold the grower writes (a split past the last cut): still accepted.
    const inf = deserializeModel(tampered((a) => void (a.threshold[root] = Infinity)));
    expect(inf.predict(d.X).length).toBe(3 * d.X.nRows);
  });

  it('a category set running past catBits is an error', () => {
    const b = synth('binary', 400, 62);
    const m = fitGbdt(b.X, b.y, { task: 'binary', config: { rounds: 10, maxCatToOnehot: 1 } });
    const q = m.forest.pack();
    const node = q.catStart.findIndex((c, n) => c >= 0 && q.left[n] >= 0);
    expect(node).toBeGreaterThanOrEqual(0);
    const j = m.toJSON();
    expect(deserializeModel(JSON.parse(JSON.stringify(j))).toJSON()).toEqual(j);
    const bits = b64.u32(j.forest.catBits);
    bits[q.catStart[node]] = 1000;
    const bad = { ...j, forest: { ...j.forest, catBits: typedToBase64(bits) } };
    expect(() => deserializeModel(bad)).toThrow(
      new RegExp(
        `node ${node}: catStart ${q.catStart[node]} does not point at a category set inside catBits`,
      ),
    );
  });

  it('the model around the forest is checked too (base score, counts, lengths)', () => {
    expect(() => deserializeModel({ ...json, baseScore: [0, 0] })).toThrow(
      'serialized gbdt model: baseScore should hold 3 finite number(s)',
    );
    expect(() => deserializeModel({ ...json, baseScore: [0, NaN, 0] })).toThrow(/baseScore/);
    expect(() => deserializeModel({ ...json, nClasses: 2.5 })).toThrow(/nClasses/);
    expect(() => deserializeModel({ ...json, featureNames: ['a'] })).toThrow(
      /nFeatures is 5 but there are 1 feature names/,
    );
    expect(() => deserializeModel({ ...json, categorical: [true] })).toThrow(
      /categorical should have one entry per feature/,
    );
    expect(() => deserializeModel({ ...json, bestIteration: 99 })).toThrow(/bestIteration is 99/);
    expect(() => deserializeModel({ ...json, forest: { ...json.forest, nNodes: -1 } })).toThrow(
      /nNodes is -1, expected an integer >= 0/,
    );
  });

  it('random forests and extra trees are checked by the same code', () => {
    for (const extraTrees of [false, true]) {
      const m = fitGbdt(d.X, d.y, {
        task: 'multiclass',
        config: { mode: 'random_forest', rounds: 3, extraTrees },
      });
      const j = m.toJSON();
      expect(j.family).toBe('random_forest');
      expect(deserializeModel(JSON.parse(JSON.stringify(j))).toJSON()).toEqual(j);
      const r = m.forest.pack().treeRoot[1];
      const cyc = tampered((a) => void (a.right[r] = r), j);
      expect(() => deserializeModel(cyc)).toThrow(
        `serialized forest: tree 1, node ${r}: right child ${r} is reached twice`,
      );
      expect(() => deserializeModel(tampered((a) => void (a.feature[r] = -5), j))).toThrow(
        `tree 1, node ${r}: split feature -5 is outside [0, 5)`,
      );
    }
  }, 10000);
});
