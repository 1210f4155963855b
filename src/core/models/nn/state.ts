/** The learned state of a dense network: plain JSON (weights as base64 float32), plus a pure-JS predictor. */
import type { DenseNetConfig } from './config.ts';
import { b64 } from '../../util/base64.ts';
import { exp, tanh } from '../../util/portable-math.ts';
import { ModelConfigError } from '../types.ts';

export type NetTask = 'binary' | 'multiclass' | 'regression';

export interface DenseLayerState {
  readonly nIn: number;
  readonly nOut: number;
  /** Row-major [nIn][nOut] float32, base64. */
  readonly w: string;
  /** [nOut] float32, base64. */
  readonly b: string;
}

/** A learned embedding table for one categorical code column. */
export interface EmbeddingState {
  /** Index of the code column in the model's feature matrix. */
  readonly column: number;
  /** Codes 0..nCategories−1 have their own vector; row nCategories is for missing / unseen codes. */
  readonly nCategories: number;
  readonly dim: number;
  /** Row-major [nCategories + 1][dim] float32, base64. */
  readonly table: string;
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
  /** Numeric inputs (the first layer also takes the embedding vectors, after these). */
  readonly nIn: number;
  /**
   * Embedding tables, in the order their vectors follow the numeric inputs. Absent in models trained
   * without embeddings. Batch normalisation leaves no trace here: it is folded into `layers`.
   */
  readonly embeddings?: readonly EmbeddingState[];
  /** Regression targets are standardised for training; predictions are scaled back. */
  readonly yMean: number;
  readonly yStd: number;
  readonly layers: readonly DenseLayerState[];
  readonly epochsRun: number;
  readonly bestEpoch: number;
  readonly curve: readonly EpochRecord[];
  readonly backend: string;
}

/**
 * Checks a learned state read from a file (`what` names it in errors, e.g. 'mlp model'), so a damaged or
 * tampered state fails on loading, naming the layer or table and the field, instead of throwing a raw
 * TypeError or predicting NaN later: a known task and class count; an integer number of numeric inputs;
 * embedding tables (if any) on distinct columns, with whole sizes and (nCategories + 1)·dim finite values;
 * at least one layer; the first layer taking the numeric inputs and the embedding vectors, each layer
 * taking what the previous one gives, the last giving one output (nClasses for multiclass); w holding
 * nIn·nOut and b nOut values, all finite; finite yMean and positive finite yStd for regression. (Batch
 * normalisation is folded into the layers when training ends, so it has no state of its own.)
 * Throws ModelConfigError `malformed <what>: …`.
 */
export function checkDenseNetState(state: DenseNetState, what = 'dense-net state'): void {
  const bad = (msg: string): never => {
    throw new ModelConfigError(`malformed ${what}: ${msg}`);
  };
  const isCount = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
  const { task, nClasses, nIn } = state;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression')
    bad(`unknown task '${String(task)}'`);
  if (task === 'binary' && nClasses !== 2) bad(`nClasses is ${nClasses}, expected 2 for a binary task`);
  if (task === 'multiclass' && !isCount(nClasses, 2))
    bad(`nClasses is ${nClasses}, expected an integer >= 2 for a multiclass task`);
  if (!isCount(nIn, 0)) bad(`nIn is ${nIn}, expected an integer >= 0`);
  if (typeof state.config !== 'object' || state.config === null) bad('config is missing');
  if (
    task === 'regression' &&
    !(Number.isFinite(state.yMean) && state.yStd > 0 && Number.isFinite(state.yStd))
  )
    bad(`target scaling yMean ${state.yMean}, yStd ${state.yStd} (expected finite, yStd > 0)`);
  const decode = (text: unknown, where: string): Float32Array => {
    if (typeof text !== 'string') return bad(`${where} is missing`);
    try {
      return b64.f32(text, where);
    } catch (err) {
      return bad((err as Error).message);
    }
  };
  const finite = (a: Float32Array, where: string): void => {
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i])) bad(`${where}[${i}] is ${a[i]}, not finite`);
  };
  const embeddings = state.embeddings ?? [];
  if (!Array.isArray(embeddings)) bad('embeddings is not an array');
  const columns = new Set<number>();
  let width = nIn;
  embeddings.forEach((e, k) => {
    const where = `embedding table ${k}`;
    if (!isCount(e.column, 0) || e.column >= nIn + embeddings.length)
      bad(`${where}: column ${e.column} is outside [0, ${nIn + embeddings.length})`);
    if (columns.has(e.column)) bad(`${where}: column ${e.column} has two tables`);
    columns.add(e.column);
    if (!isCount(e.nCategories, 1) || !isCount(e.dim, 1))
      bad(`${where}: size ${e.nCategories}×${e.dim}, expected whole numbers >= 1`);
    const table = decode(e.table, `${where}: table`);
    const expected = (e.nCategories + 1) * e.dim;
    if (table.length !== expected)
      bad(
        `${where}: table holds ${table.length} values, expected (${e.nCategories} + 1)×${e.dim} = ${expected}`,
      );
    finite(table, `${where}: table`);
    width += e.dim;
  });
  const layers = state.layers;
  if (!Array.isArray(layers) || layers.length === 0) bad('no layers');
  layers.forEach((l, k) => {
    const where = `layer ${k}`;
    if (!isCount(l.nIn, 0) || !isCount(l.nOut, 1))
      bad(`${where}: size ${l.nIn}×${l.nOut}, expected whole numbers (nOut >= 1)`);
    if (l.nIn !== width) {
      bad(
        k === 0
          ? `${where}: nIn is ${l.nIn}, expected ${width} (${nIn} numeric inputs + ${width - nIn} embedding values)`
          : `${where}: nIn is ${l.nIn}, expected ${width} (layer ${k - 1}'s nOut)`,
      );
    }
    const w = decode(l.w, `${where}: w`);
    const b = decode(l.b, `${where}: b`);
    if (w.length !== l.nIn * l.nOut)
      bad(`${where}: w holds ${w.length} values, expected ${l.nIn}×${l.nOut} = ${l.nIn * l.nOut}`);
    if (b.length !== l.nOut) bad(`${where}: b holds ${b.length} values, expected ${l.nOut}`);
    finite(w, `${where}: w`);
    finite(b, `${where}: b`);
    width = l.nOut;
  });
  const nOut = task === 'multiclass' ? nClasses : 1;
  if (width !== nOut)
    bad(`layer ${layers.length - 1}: nOut is ${width}, expected ${nOut} for a ${task} task`);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (the same formula the trainer uses). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** The embedding row for a code: itself when it is a whole number in [0, nCategories), else the reserved row. */
export function embeddingRow(code: number, nCategories: number): number {
  return Number.isInteger(code) && code >= 0 && code < nCategories ? code : nCategories;
}

/**
 * Predicts in plain JavaScript (float64 arithmetic over the float32 weights), so scoring needs no
 * TensorFlow.js and gives the same numbers in Node and every browser (portable exp/tanh: Math.exp differs
 * between engines). X is row-major nRows × nIn (numeric inputs); `codes`, for a model with embeddings,
 * row-major nRows × (number of embedding tables): category codes, anything not a valid code (NaN,
 * negative, too large) taking the reserved row.
 * Returns P(class 1) per row (binary), row-major probabilities (multiclass) or values (regression).
 */
export function predictDenseNet(
  state: DenseNetState,
  X: ArrayLike<number>,
  nRows: number,
  codes?: ArrayLike<number>,
): Float64Array {
  if (X.length !== nRows * state.nIn) {
    throw new Error(`expected ${nRows}×${state.nIn} feature values, got ${X.length}`);
  }
  const emb = (state.embeddings ?? []).map((e) => {
    const table = b64.f32(e.table, 'embedding table');
    if (!(Number.isInteger(e.nCategories) && e.nCategories >= 1 && Number.isInteger(e.dim) && e.dim >= 1)) {
      throw new Error(`embedding table of column ${e.column}: bad size ${e.nCategories}×${e.dim}`);
    }
    if (table.length !== (e.nCategories + 1) * e.dim) {
      throw new Error(
        `embedding table of column ${e.column} holds ${table.length} values, expected ${(e.nCategories + 1) * e.dim}`,
      );
    }
    return { nCategories: e.nCategories, dim: e.dim, table };
  });
  const nEmb = emb.length;
  if (nEmb > 0 && (!codes || codes.length !== nRows * nEmb)) {
    throw new Error(`expected ${nRows}×${nEmb} category codes, got ${codes?.length ?? 0}`);
  }
  const nIn0 = state.nIn + emb.reduce((a, e) => a + e.dim, 0);
  const layers = state.layers.map((l) => ({
    nIn: l.nIn,
    nOut: l.nOut,
    w: b64.f32(l.w, `layer weights`),
    b: b64.f32(l.b, `layer biases`),
  }));
  const nOut = layers[layers.length - 1].nOut;
  const out = new Float64Array(nRows * (state.task === 'multiclass' ? state.nClasses : 1));
  if (layers[0].nIn !== nIn0) throw new Error(`first layer takes ${layers[0].nIn} inputs, expected ${nIn0}`);
  const widest = Math.max(nIn0, ...layers.map((l) => l.nOut));
  let h = new Float64Array(widest);
  let next = new Float64Array(widest);
  const gel = state.config.activation === 'gelu';
  for (let r = 0; r < nRows; r++) {
    for (let i = 0; i < state.nIn; i++) h[i] = X[r * state.nIn + i];
    let at = state.nIn;
    for (let e = 0; e < nEmb; e++) {
      const { nCategories, dim, table } = emb[e];
      const row = embeddingRow(codes![r * nEmb + e], nCategories) * dim;
      for (let d = 0; d < dim; d++) h[at + d] = table[row + d];
      at += dim;
    }
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
