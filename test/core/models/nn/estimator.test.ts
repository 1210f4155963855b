import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../../src/core/models/nn/backend.ts';
import { linearEstimator, mlpEstimator } from '../../../../src/core/models/nn/estimator.ts';
import { ensureFamiliesRegistered } from '../../../../src/core/train/families.ts';
import { getEstimator } from '../../../../src/core/models/registry.ts';
import { runEstimatorSuite } from '../estimator-suite.ts';
import type { DenseNetState } from '../../../../src/core/models/nn/state.ts';
import { deserializeModel } from '../../../../src/core/models/index.ts';
import { ModelConfigError, type SerializedModel } from '../../../../src/core/models/types.ts';
import { b64, typedToBase64 } from '../../../../src/core/util/base64.ts';
import { synth } from '../synth.ts';

// The suite runs against what the studio trains with: the registered estimators (linear and MLP are
// registered with the classWeight option, src/core/train/families.ts).
beforeAll(async () => {
  await selectBackend('auto');
  ensureFamiliesRegistered();
});

runEstimatorSuite('linear', () => ({
  estimator: getEstimator('linear'),
  config: { epochs: 40, learningRate: 0.02 },
  earlyStopping: { config: { epochs: 150, patience: 3, learningRate: 0.05 }, patience: 3, max: 150 },
}));
runEstimatorSuite('mlp', () => ({
  estimator: getEstimator('mlp'),
  config: { epochs: 25, hidden: [16], dropout: 0.1 },
  badConfig: { dropout: 2 },
  earlyStopping: { config: { epochs: 150, patience: 3 }, patience: 3, max: 150 },
}));
runEstimatorSuite('mlp (batch normalisation)', () => ({
  estimator: getEstimator('mlp'),
  config: { epochs: 25, hidden: [16, 8], dropout: 0.1, batchNorm: true },
  badConfig: { batchNorm: 'yes' },
}));
runEstimatorSuite('mlp (embeddings for the categorical column)', () => ({
  estimator: getEstimator('mlp'),
  config: { epochs: 25, hidden: [16], dropout: 0.1, embeddings: true },
  badConfig: { embeddingDim: 0 },
}));
runEstimatorSuite('mlp (embeddings and batch normalisation)', () => ({
  estimator: getEstimator('mlp'),
  config: { epochs: 25, hidden: [16], dropout: 0, embeddings: true, embeddingDim: 3, batchNorm: true },
  badConfig: { embeddings: 1 },
}));

describe('a damaged or tampered linear/MLP model file fails on loading', () => {
  type Layer = { nIn: number; nOut: number; w: string; b: string };
  type Emb = { column: number; nCategories: number; dim: number; table: string };
  type Json = SerializedModel & {
    inputMean: string;
    inputStd: string;
    state: Omit<DenseNetState, 'task' | 'nClasses' | 'layers' | 'embeddings'> & {
      task: string;
      nClasses: number;
      layers: Layer[];
      embeddings?: Emb[];
    };
  };
  const d = synth('multiclass', 200, 71);
  let linear: Json;
  let mlp: Json;
  beforeAll(async () => {
    const lin = await linearEstimator.fit(d.X, d.y, { task: 'multiclass', config: { epochs: 2, seed: 1 } });
    const net = await mlpEstimator.fit(d.X, d.y, {
      task: 'multiclass',
      config: { epochs: 2, seed: 1, hidden: [6, 4], embeddings: true, batchNorm: true },
    });
    linear = lin.toJSON() as Json;
    mlp = net.toJSON() as Json;
  });
  const copy = (j: Json): Json => JSON.parse(JSON.stringify(j)) as Json;
  const f32 = (s: string) => b64.f32(s);
  const enc = (a: ArrayLike<number>) => typedToBase64(Float32Array.from(a));

  it('the untampered JSON round-trips exactly', () => {
    for (const j of [linear, mlp]) {
      const back = deserializeModel(copy(j));
      expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify(j));
    }
    expect(mlp.state.layers.length).toBe(3);
    expect(mlp.state.embeddings?.length).toBe(1);
  });

  it('no layers, short or long weights and biases, shapes that do not chain are errors', () => {
    const cases: [(j: Json) => void, string][] = [
      [(j) => void (j.state.layers = []), 'malformed linear model: no layers'],
      [
        (j) => void (j.state.layers[0].w = enc(Array.from(f32(j.state.layers[0].w)).slice(0, 5))),
        'malformed linear model: layer 0: w holds 5 values, expected 5×3 = 15',
      ],
      [
        (j) => void (j.state.layers[0].b = enc([0, 0])),
        'malformed linear model: layer 0: b holds 2 values, expected 3',
      ],
      [
        (j) => void (j.state.layers[0] = { ...j.state.layers[0], nIn: 3, nOut: 5 }),
        'malformed linear model: layer 0: nIn is 3, expected 5 (5 numeric inputs + 0 embedding values)',
      ],
      [
        (j) => void (j.state.layers[0].w = 'abc'),
        'malformed linear model: invalid base64: length 3 is not a multiple of 4',
      ],
      [
        (j) => void delete (j.state.layers[0] as Partial<Layer>).b,
        'malformed linear model: layer 0: b is missing',
      ],
      [
        (j) => void (j.state.nClasses = 4),
        'malformed linear model: layer 0: nOut is 3, expected 4 for a multiclass task',
      ],
      [(j) => void (j.state.task = 'ranking'), "malformed linear model: unknown task 'ranking'"],
    ];
    for (const [edit, message] of cases) {
      const j = copy(linear);
      edit(j);
      expect(() => deserializeModel(j), message).toThrow(ModelConfigError);
      expect(() => deserializeModel(j)).toThrow(message);
    }
  });

  it('non-finite weights, biases and input scaling are errors', () => {
    for (const v of [NaN, Infinity]) {
      const j = copy(linear);
      const w = f32(j.state.layers[0].w);
      w[7] = v;
      j.state.layers[0].w = typedToBase64(w);
      expect(() => deserializeModel(j)).toThrow(`malformed linear model: layer 0: w[7] is ${v}, not finite`);
      const k = copy(mlp);
      const b = f32(k.state.layers[1].b);
      b[1] = v;
      k.state.layers[1].b = typedToBase64(b);
      expect(() => deserializeModel(k)).toThrow(`malformed mlp model: layer 1: b[1] is ${v}, not finite`);
    }
    const j = copy(linear);
    const std = b64.f64(j.inputStd);
    std[2] = NaN;
    j.inputStd = typedToBase64(std);
    expect(() => deserializeModel(j)).toThrow(/input scaling of feature 2 is mean .*, std NaN/);
  });

  it('hidden layers must chain: layer i gives what layer i + 1 takes', () => {
    const j = copy(mlp);
    const l1 = j.state.layers[1];
    // Layer 1 of a 6 → 4 shape presented as 6 → 3 (weights resized to match): layer 2 still takes 4.
    j.state.layers[1] = { ...l1, nOut: 3, w: enc(new Array(18).fill(0.1)), b: enc([0, 0, 0]) };
    expect(() => deserializeModel(j)).toThrow(
      "malformed mlp model: layer 2: nIn is 4, expected 3 (layer 1's nOut)",
    );
  });

  it('embedding tables: size, values and columns are checked', () => {
    const e = mlp.state.embeddings![0];
    const cases: [(t: Emb) => void, string | RegExp][] = [
      [
        (t) => void (t.table = enc(Array.from(f32(t.table)).slice(1))),
        `malformed mlp model: embedding table 0: table holds ${(e.nCategories + 1) * e.dim - 1} values, expected (${e.nCategories} + 1)×${e.dim} = ${(e.nCategories + 1) * e.dim}`,
      ],
      [
        (t) => void (t.table = enc(Array.from(f32(t.table), (v, i) => (i === 0 ? NaN : v)))),
        'malformed mlp model: embedding table 0: table[0] is NaN, not finite',
      ],
      [(t) => void (t.dim = 0), /embedding table 0: size \d+×0/],
      [(t) => void (t.nCategories = 1.5), /embedding table 0: size 1\.5×/],
    ];
    for (const [edit, message] of cases) {
      const j = copy(mlp);
      edit(j.state.embeddings![0]);
      expect(() => deserializeModel(j)).toThrow(message);
    }
    // A bigger table than the first layer takes.
    const j = copy(mlp);
    const t = j.state.embeddings![0];
    t.dim += 1;
    t.table = enc(new Array((t.nCategories + 1) * t.dim).fill(0));
    expect(() => deserializeModel(j)).toThrow(
      /malformed mlp model: layer 0: nIn is \d+, expected \d+ \(4 numeric inputs/,
    );
  });
});
