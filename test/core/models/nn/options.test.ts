/**
 * The MLP's optional batch normalisation and categorical embeddings: folded BN matches TensorFlow.js's
 * own inference, embeddings learn a category-only target, unseen codes never crash, no tensor leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/core/models/nn/backend.ts';
import {
  embeddingWidth,
  LINEAR_DEFAULTS,
  MLP_DEFAULTS,
  resolveDenseConfig,
} from '../../../../src/core/models/nn/config.ts';
import { fitDenseNet, type NetData, type NetFitOptions } from '../../../../src/core/models/nn/train.ts';
import { predictDenseNet, type DenseNetState } from '../../../../src/core/models/nn/state.ts';
import { linearEstimator, mlpEstimator } from '../../../../src/core/models/nn/estimator.ts';
import { deserializeModel } from '../../../../src/core/models/index.ts';
import { ensureFamiliesRegistered } from '../../../../src/core/train/families.ts';
import { ModelConfigError, type FeatureMatrix } from '../../../../src/core/models/types.ts';
import { createRng } from '../../../../src/core/util/random.ts';
import { accuracyOf, synth } from '../synth.ts';

beforeAll(async () => {
  const choice = await selectBackend('auto');
  expect(choice.name).toBe('wasm');
  ensureFamiliesRegistered();
});

/** 3 numeric inputs and, optionally, 2 code columns (7 and 40 categories); targets use all of them. */
function problem(task: 'binary' | 'multiclass' | 'regression', n: number, seed: number, codes: boolean) {
  const rng = createRng(seed);
  const X = new Float32Array(n * 3);
  const C = codes ? new Int32Array(n * 2) : undefined;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) X[i * 3 + j] = rng.normal() * (j + 1) + j;
    let s = X[i * 3] - 0.5 * X[i * 3 + 1] + 0.3 * X[i * 3 + 2] * X[i * 3];
    if (C) {
      C[2 * i] = rng.int(8); // 7 categories + the reserved row
      C[2 * i + 1] = rng.int(40);
      s += (C[2 * i] % 3) - 1 + (C[2 * i + 1] % 2);
    }
    y[i] =
      task === 'regression' ? 50 + 10 * s : task === 'binary' ? (s > 0.5 ? 1 : 0) : s < 0 ? 0 : s < 2 ? 1 : 2;
  }
  const data: NetData = { X, codes: C, y, nRows: n };
  const embeddings = codes
    ? [
        { column: 3, nCategories: 7, dim: 3 },
        { column: 4, nCategories: 40, dim: embeddingWidth('auto', 40) },
      ]
    : undefined;
  return { data, embeddings };
}

describe('batch normalisation', () => {
  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`folds into the dense layers: the JS predictor matches tfjs inference within 1e-5 (${task})`, async () => {
      for (const codes of [false, true]) {
        const { data, embeddings } = problem(task, 500, 3, codes);
        const valid = problem(task, 200, 4, codes).data;
        const cfg = resolveDenseConfig(
          { seed: 5, hidden: [32, 16], batchNorm: true, embeddings: codes, epochs: 15, dropout: 0.1 },
          MLP_DEFAULTS,
        );
        const before = tf.memory().numTensors;
        let reference: Float32Array | undefined;
        const nClasses = task === 'multiclass' ? 3 : task === 'binary' ? 2 : 1;
        const opts: NetFitOptions = {
          task,
          nClasses,
          nIn: 3,
          embeddings,
          valid,
          onTrained: async (predict) => {
            reference = await predict(valid.X, valid.codes, valid.nRows);
          },
        };
        const state = await fitDenseNet(cfg, data, opts);
        expect(tf.memory().numTensors).toBe(before);
        const p = predictDenseNet(state, valid.X, valid.nRows, valid.codes);
        expect(reference).toBeDefined();
        expect(p.length).toBe(reference!.length);
        // the running statistics moved away from their start, so the fold is really exercised
        expect(state.epochsRun).toBeGreaterThan(1);
        // regression is compared in standardised units (÷ the target's std): float32's relative precision
        let worst = 0;
        const scale = task === 'regression' ? state.yStd : 1;
        for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - reference![i]) / scale);
        expect(worst).toBeLessThan(1e-5);
        const back = JSON.parse(JSON.stringify(state)) as DenseNetState;
        expect(Array.from(predictDenseNet(back, valid.X, valid.nRows, valid.codes))).toEqual(Array.from(p));
      }
    });
  }

  it('differs from the same network without it, trains as well on a nonlinear problem, and is deterministic', async () => {
    const { data } = problem('regression', 800, 8, false);
    const test = problem('regression', 300, 9, false).data;
    const fit = (batchNorm: boolean) =>
      fitDenseNet(
        resolveDenseConfig({ seed: 1, hidden: [32, 32], dropout: 0, epochs: 60, batchNorm }, MLP_DEFAULTS),
        data,
        { task: 'regression', nClasses: 1, nIn: 3 },
      );
    const bn = await fit(true);
    const bn2 = await fit(true);
    const plain = await fit(false);
    expect(bn.layers).toEqual(bn2.layers);
    expect(bn.layers).not.toEqual(plain.layers);
    const r2 = (s: DenseNetState) => {
      const p = predictDenseNet(s, test.X, test.nRows);
      let mean = 0;
      for (const v of test.y) mean += v / test.nRows;
      let sse = 0;
      let sst = 0;
      for (let i = 0; i < test.nRows; i++) {
        sse += (p[i] - test.y[i]) ** 2;
        sst += (test.y[i] - mean) ** 2;
      }
      return 1 - sse / sst;
    };
    expect(r2(bn)).toBeGreaterThan(0.9);
    expect(r2(plain)).toBeGreaterThan(0.9);
  });
});

/** One numeric noise column and a 200-category column; the label depends only on the category. */
function categoryOnly(n: number, seed: number, labelOf: Int8Array): { X: FeatureMatrix; y: Float64Array } {
  const rng = createRng(seed);
  const data = new Float64Array(2 * n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(200);
    data[i] = rng.normal();
    data[n + i] = c;
    y[i] = rng.next() < 0.05 ? 1 - labelOf[c] : labelOf[c];
  }
  return {
    X: {
      nRows: n,
      nCols: 2,
      data,
      featureNames: ['noise', 'city'],
      categorical: [false, true],
      nCategories: [0, 200],
    },
    y,
  };
}

describe('embeddings', () => {
  const rng = createRng(77);
  const labelOf = Int8Array.from({ length: 200 }, () => (rng.next() < 0.5 ? 1 : 0));
  const train = categoryOnly(6000, 1, labelOf);
  const test = categoryOnly(2000, 2, labelOf);

  it('learn a target that depends only on a 200-category column (codes as numbers cannot)', async () => {
    const fit = (embeddings: boolean) =>
      mlpEstimator.fit(train.X, train.y, {
        task: 'binary',
        nClasses: 2,
        config: { seed: 3, embeddings, epochs: 30, hidden: [32], dropout: 0 },
      });
    const before = tf.memory().numTensors;
    const emb = await fit(true);
    const asNumber = await fit(false);
    expect(tf.memory().numTensors).toBe(before);
    const accEmb = accuracyOf(emb.predict(test.X), test.y, 2);
    const accNum = accuracyOf(asNumber.predict(test.X), test.y, 2);
    // 5 % label noise: the best possible accuracy is 0.95; chance is ~0.5
    expect(accEmb).toBeGreaterThan(0.9);
    expect(accNum).toBeLessThan(0.75);
    const state = (emb as unknown as { state: DenseNetState }).state;
    expect(state.nIn).toBe(1);
    expect(state.embeddings).toHaveLength(1);
    expect(state.embeddings![0]).toMatchObject({ column: 1, nCategories: 200, dim: 16 });
    expect(state.layers[0].nIn).toBe(1 + 16);
  });

  it('predict unseen, missing and malformed codes with the reserved vector, never crash, round-trip exactly', async () => {
    const model = await mlpEstimator.fit(train.X, train.y, {
      task: 'binary',
      nClasses: 2,
      config: { seed: 4, embeddings: true, epochs: 3, hidden: [8] },
    });
    const odd = [200, 5000, -1, NaN, 2.5, Infinity];
    const X: FeatureMatrix = {
      nRows: odd.length,
      nCols: 2,
      data: Float64Array.from([...odd.map(() => 0.1), ...odd]),
      categorical: [false, true],
    };
    const p = model.predict(X);
    for (const v of p) expect(Number.isFinite(v)).toBe(true);
    // all of them take the same (reserved) row
    for (let i = 1; i < odd.length; i++) expect(p[2 * i + 1]).toBe(p[1]);
    const json = JSON.stringify(model.toJSON());
    const back = deserializeModel(json);
    expect(Array.from(back.predict(X))).toEqual(Array.from(p));
    expect(Array.from(back.predict(test.X))).toEqual(Array.from(model.predict(test.X)));
    expect(JSON.stringify(back.toJSON())).toBe(json);
  });

  it('leave code columns unstandardised and infer the number of categories when the matrix omits it', async () => {
    const d = synth('binary', 300, 21);
    const model = await mlpEstimator.fit(d.X, d.y, {
      task: 'binary',
      nClasses: 2,
      config: { seed: 1, embeddings: true, epochs: 5, hidden: [8] },
    });
    const state = (model as unknown as { state: DenseNetState }).state;
    expect(state.nIn).toBe(4);
    expect(state.embeddings).toEqual([
      expect.objectContaining({ column: 4, nCategories: 3, dim: embeddingWidth('auto', 3) }),
    ]);
    expect(model.nFeatures).toBe(5);
  });

  it('are validated with clear errors; linear models refuse both options', async () => {
    expect(() => resolveDenseConfig({ embeddingDim: 0 }, MLP_DEFAULTS)).toThrow(/embeddingDim/);
    expect(() => resolveDenseConfig({ embeddingDim: 2.5 }, MLP_DEFAULTS)).toThrow(/embeddingDim/);
    expect(() => resolveDenseConfig({ embeddings: 'yes' as never }, MLP_DEFAULTS)).toThrow(/embeddings/);
    expect(() => resolveDenseConfig({ batchNorm: 1 as never }, MLP_DEFAULTS)).toThrow(/batchNorm/);
    expect(resolveDenseConfig({}, LINEAR_DEFAULTS)).toMatchObject({ batchNorm: false, embeddings: false });
    expect(() => linearEstimator.resolveConfig({ embeddings: true }, 'binary')).toThrow(ModelConfigError);
    expect(() => linearEstimator.resolveConfig({ embeddings: true }, 'binary')).toThrow(/embeddings/);
    expect(() => linearEstimator.resolveConfig({ batchNorm: true }, 'binary')).toThrow(/batchNorm/);
    const huge: FeatureMatrix = {
      nRows: 2,
      nCols: 1,
      data: Float64Array.of(0, 1),
      categorical: [true],
      nCategories: [1e6],
      featureNames: ['zip'],
    };
    await expect(
      mlpEstimator.fit(huge, Float64Array.of(0, 1), { task: 'binary', config: { embeddings: true } }),
    ).rejects.toThrow(/'zip' has 1000000 categories/);
  });

  it('a model saved before these options (no embeddings, no new config keys) still loads and predicts', async () => {
    const d = synth('regression', 100, 3);
    const model = await mlpEstimator.fit(d.X, d.y, {
      task: 'regression',
      config: { epochs: 3, hidden: [4] },
    });
    const json = model.toJSON() as unknown as { state: DenseNetState & { config: Record<string, unknown> } };
    const { batchNorm, embeddings, embeddingDim, ...oldConfig } = json.state.config;
    expect([batchNorm, embeddings, embeddingDim]).toEqual([false, false, 'auto']);
    const old = { ...json, state: { ...json.state, config: oldConfig } };
    expect(Array.from(deserializeModel(JSON.stringify(old)).predict(d.X))).toEqual(
      Array.from(model.predict(d.X)),
    );
  });
});
