import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/core/models/nn/backend.ts';
import {
  LINEAR_DEFAULTS,
  MLP_DEFAULTS,
  ModelConfigError,
  resolveDenseConfig,
} from '../../../../src/core/models/nn/config.ts';
import { fitDenseNet, type NetData } from '../../../../src/core/models/nn/train.ts';
import { predictDenseNet } from '../../../../src/core/models/nn/state.ts';
import { createRng } from '../../../../src/core/util/random.ts';
import { b64 } from '../../../../src/core/util/base64.ts';
import { evaluate } from '../../../../src/core/metrics/index.ts';

beforeAll(async () => {
  const choice = await selectBackend('auto');
  expect(choice.name).toBe('wasm');
});

/** y = 1 when x0 + 2·x1 > 0.2, plus a little label noise. */
function linearProblem(n: number, seed: number): NetData {
  const rng = createRng(seed);
  const X = new Float32Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) X[i * 3 + j] = rng.normal();
    y[i] = X[i * 3] + 2 * X[i * 3 + 1] > 0.2 ? 1 : 0;
    if (rng.next() < 0.02) y[i] = 1 - y[i];
  }
  return { X, y, nRows: n };
}

describe('dense networks on tfjs', () => {
  it('logistic regression learns a linear boundary, without leaking tensors', async () => {
    const train = linearProblem(600, 1);
    const valid = linearProblem(300, 2);
    const before = tf.memory().numTensors;
    const cfg = resolveDenseConfig({ seed: 7 }, LINEAR_DEFAULTS);
    const state = await fitDenseNet(cfg, train, { task: 'binary', nClasses: 2, nIn: 3, valid });
    expect(tf.memory().numTensors).toBe(before);
    const p = predictDenseNet(state, valid.X, valid.nRows);
    const m = evaluate('binary', valid.y, p);
    expect(m.roc_auc).toBeGreaterThan(0.95);
    // the learned weights point the right way: feature 1 weighs about twice feature 0, feature 2 ~ 0
    const w = b64.f32(state.layers[0].w);
    expect(w[1] / w[0]).toBeGreaterThan(1.4);
    expect(w[1] / w[0]).toBeLessThan(2.8);
    expect(Math.abs(w[2])).toBeLessThan(0.2 * Math.abs(w[1]));
    const restored = JSON.parse(JSON.stringify(state));
    expect(Array.from(predictDenseNet(restored, valid.X, valid.nRows))).toEqual(Array.from(p));
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const train = linearProblem(200, 3);
    const cfg = resolveDenseConfig({ seed: 11, epochs: 5, hidden: [8], dropout: 0.2 }, MLP_DEFAULTS);
    const a = await fitDenseNet(cfg, train, { task: 'binary', nClasses: 2, nIn: 3 });
    const b = await fitDenseNet(cfg, train, { task: 'binary', nClasses: 2, nIn: 3 });
    const c = await fitDenseNet({ ...cfg, seed: 12 }, train, { task: 'binary', nClasses: 2, nIn: 3 });
    expect(a.layers).toEqual(b.layers);
    expect(a.layers).not.toEqual(c.layers);
  });

  it('an MLP fits a nonlinear regression that a linear model cannot', async () => {
    const rng = createRng(5);
    const n = 800;
    const X = new Float32Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = rng.next() * 4 - 2;
      const b = rng.next() * 4 - 2;
      X[2 * i] = a;
      X[2 * i + 1] = b;
      y[i] = 10 * a * a + 5 * b + 100;
    }
    const data: NetData = { X, y, nRows: n };
    const mlp = await fitDenseNet(
      resolveDenseConfig({ seed: 1, hidden: [32, 32], dropout: 0, epochs: 60, patience: 0 }, MLP_DEFAULTS),
      data,
      {
        task: 'regression',
        nClasses: 1,
        nIn: 2,
      },
    );
    const lin = await fitDenseNet(resolveDenseConfig({ seed: 1 }, LINEAR_DEFAULTS), data, {
      task: 'regression',
      nClasses: 1,
      nIn: 2,
    });
    const rm = evaluate('regression', y, predictDenseNet(mlp, X, n));
    const rl = evaluate('regression', y, predictDenseNet(lin, X, n));
    expect(rm.r2).toBeGreaterThan(0.97);
    expect(rl.r2).toBeLessThan(0.6);
    expect(rm.rmse).toBeLessThan(rl.rmse / 3);
  });

  it('softmax regression separates three classes and returns rows that sum to 1', async () => {
    const rng = createRng(9);
    const n = 450;
    const X = new Float32Array(n * 2);
    const y = new Float64Array(n);
    const centres = [
      [0, 3],
      [3, -2],
      [-3, -2],
    ];
    for (let i = 0; i < n; i++) {
      const k = i % 3;
      y[i] = k;
      X[2 * i] = centres[k][0] + rng.normal() * 0.7;
      X[2 * i + 1] = centres[k][1] + rng.normal() * 0.7;
    }
    const state = await fitDenseNet(
      resolveDenseConfig({ seed: 2 }, LINEAR_DEFAULTS),
      { X, y, nRows: n },
      { task: 'multiclass', nClasses: 3, nIn: 2 },
    );
    const p = predictDenseNet(state, X, n);
    for (let i = 0; i < n; i++) expect(p[3 * i] + p[3 * i + 1] + p[3 * i + 2]).toBeCloseTo(1, 12);
    expect(evaluate('multiclass', y, p, 3).accuracy).toBeGreaterThan(0.97);
  });

  it('early stopping keeps the best epoch and records the curve', async () => {
    const train = linearProblem(100, 4);
    const valid = linearProblem(100, 5);
    const cfg = resolveDenseConfig(
      { seed: 3, hidden: [64, 64], dropout: 0, epochs: 200, patience: 5, learningRate: 0.01 },
      MLP_DEFAULTS,
    );
    const state = await fitDenseNet(cfg, train, { task: 'binary', nClasses: 2, nIn: 3, valid });
    expect(state.epochsRun).toBeLessThan(200);
    expect(state.epochsRun - state.bestEpoch).toBe(5);
    const losses = state.curve.map((r) => r.validLoss!);
    expect(Math.min(...losses)).toBe(losses[state.bestEpoch - 1]);
  });

  it('rejects bad hyperparameters with a message naming the parameter', () => {
    expect(() => resolveDenseConfig({ dropout: 1.5 }, MLP_DEFAULTS)).toThrow(ModelConfigError);
    expect(() => resolveDenseConfig({ dropout: 1.5 }, MLP_DEFAULTS)).toThrow(/dropout/);
    expect(() => resolveDenseConfig({ hidden: [0] }, MLP_DEFAULTS)).toThrow(/hidden/);
    expect(() => resolveDenseConfig({ epochs: 2.5 }, MLP_DEFAULTS)).toThrow(/epochs/);
  });
});

describe('huber loss', () => {
  it('trains with the robust loss and resists an outlier better than squared error', async () => {
    const rng = createRng(21);
    const n = 200;
    const X = new Float32Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      X[i] = rng.normal();
      y[i] = 2 * X[i] + 0.1 * rng.normal();
    }
    for (let i = 0; i < 10; i++) y[i] += 200; // gross outliers
    const fit = (loss: 'huber' | 'squared_error') =>
      fitDenseNet(
        resolveDenseConfig(
          { seed: 1, regressionLoss: loss, epochs: 100, patience: 0, learningRate: 0.02 },
          LINEAR_DEFAULTS,
        ),
        { X, y, nRows: n },
        { task: 'regression', nClasses: 1, nIn: 1 },
      );
    const clean = Float32Array.from({ length: 50 }, (_, i) => i / 10 - 2.5);
    const truth = Array.from(clean, (v) => 2 * v);
    const err = (s: Awaited<ReturnType<typeof fit>>) => {
      const p = predictDenseNet(s, clean, 50);
      return Math.sqrt(truth.reduce((a, t, i) => a + (p[i] - t) ** 2, 0) / 50);
    };
    const huber = await fit('huber');
    const squared = await fit('squared_error');
    expect(err(huber)).toBeLessThan(err(squared));
  });
});
