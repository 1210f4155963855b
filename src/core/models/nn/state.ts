/** The learned state of a dense network: plain JSON (weights as base64 float32), plus a pure-JS predictor. */
import type { DenseNetConfig } from './config.ts';
import { b64 } from '../../util/base64.ts';
import { exp, tanh } from '../../util/portable-math.ts';

export type NetTask = 'binary' | 'multiclass' | 'regression';

export interface DenseLayerState {
  readonly nIn: number;
  readonly nOut: number;
  /** Row-major [nIn][nOut] float32, base64. */
  readonly w: string;
  /** [nOut] float32, base64. */
  readonly b: string;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validLoss?: number;
}

export interface DenseNetState {
  readonly format: 'dense-net';
  readonly version: 1;
  readonly config: DenseNetConfig;
  readonly task: NetTask;
  readonly nClasses: number;
  readonly nIn: number;
  /** Regression targets are standardised for training; predictions are scaled back. */
  readonly yMean: number;
  readonly yStd: number;
  readonly layers: readonly DenseLayerState[];
  readonly epochsRun: number;
  readonly bestEpoch: number;
  readonly curve: readonly EpochRecord[];
  readonly backend: string;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (the same formula the trainer uses). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/**
 * Predicts in plain JavaScript (float64 arithmetic over the float32 weights), so scoring needs no
 * TensorFlow.js and gives the same numbers in Node and every browser (portable exp/tanh: Math.exp differs
 * between engines). X is row-major nRows × nIn.
 * Returns P(class 1) per row (binary), row-major probabilities (multiclass) or values (regression).
 */
export function predictDenseNet(state: DenseNetState, X: ArrayLike<number>, nRows: number): Float64Array {
  if (X.length !== nRows * state.nIn) {
    throw new Error(`expected ${nRows}×${state.nIn} feature values, got ${X.length}`);
  }
  const layers = state.layers.map((l) => ({
    nIn: l.nIn,
    nOut: l.nOut,
    w: b64.f32(l.w, `layer weights`),
    b: b64.f32(l.b, `layer biases`),
  }));
  const nOut = layers[layers.length - 1].nOut;
  const out = new Float64Array(nRows * (state.task === 'multiclass' ? state.nClasses : 1));
  const widest = Math.max(state.nIn, ...layers.map((l) => l.nOut));
  let h = new Float64Array(widest);
  let next = new Float64Array(widest);
  const gel = state.config.activation === 'gelu';
  for (let r = 0; r < nRows; r++) {
    for (let i = 0; i < state.nIn; i++) h[i] = X[r * state.nIn + i];
    for (let k = 0; k < layers.length; k++) {
      const { nIn, nOut: m, w, b } = layers[k];
      for (let j = 0; j < m; j++) next[j] = b[j];
      for (let i = 0; i < nIn; i++) {
        const hi = h[i];
        if (hi === 0) continue;
        const row = i * m;
        for (let j = 0; j < m; j++) next[j] += hi * w[row + j];
      }
      if (k < layers.length - 1) {
        for (let j = 0; j < m; j++) next[j] = gel ? gelu(next[j]) : next[j] > 0 ? next[j] : 0;
      }
      const t = h;
      h = next;
      next = t;
    }
    if (state.task === 'binary') out[r] = 1 / (1 + exp(-h[0]));
    else if (state.task === 'regression') out[r] = h[0] * state.yStd + state.yMean;
    else {
      let max = -Infinity;
      for (let j = 0; j < nOut; j++) if (h[j] > max) max = h[j];
      let s = 0;
      for (let j = 0; j < nOut; j++) s += exp(h[j] - max);
      for (let j = 0; j < nOut; j++) out[r * nOut + j] = exp(h[j] - max) / s;
    }
  }
  return out;
}
