/**
 * Training a dense network with TensorFlow.js: seeded initialisation, seeded mini-batch order and
 * dropout masks, Adam, L1/L2 penalties, early stopping on validation loss with the best weights kept,
 * optional batch normalisation (folded into the dense layers at export) and optional embedding tables
 * for categorical codes.
 * Every tensor is disposed: tf.memory().numTensors is the same before and after.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../../util/random.ts';
import { typedToBase64 } from '../../util/base64.ts';
import type { DenseNetConfig } from './config.ts';
import type { DenseNetState, EmbeddingState, EpochRecord, NetTask } from './state.ts';

export interface NetData {
  /** Row-major nRows × nIn. */
  readonly X: Float32Array;
  /**
   * With embeddings: row-major nRows × (number of tables), each a row of its table, already in
   * [0, nCategories] (nCategories = the reserved row for missing / unseen codes).
   */
  readonly codes?: Int32Array;
  readonly nRows: number;
  /** Class index (classification) or value (regression). */
  readonly y: Float64Array;
  readonly weights?: Float64Array;
}

export interface NetFitOptions {
  readonly task: NetTask;
  readonly nClasses: number;
  /** Numeric inputs per row. */
  readonly nIn: number;
  /** One embedding table per code column: its number of categories (plus a reserved row) and width. */
  readonly embeddings?: readonly {
    /** The code column's index in the model's feature matrix (recorded in the state). */
    readonly column: number;
    readonly nCategories: number;
    readonly dim: number;
  }[];
  readonly valid?: NetData;
  /** Initial output-layer bias (e.g. the log-odds of the class prior), so training starts at the prior. */
  readonly outputBias?: Float32Array;
  /** Called after each epoch; return false to stop (e.g. the user pressed Stop). */
  readonly onEpoch?: (record: EpochRecord) => boolean | void;
  /**
   * Called once training is done, before the variables are freed, with TensorFlow.js's own inference
   * (the chosen weights, batch normalisation unfolded, with its running statistics): outputs in the
   * predictor's units (P(class 1), class probabilities or values). For tests and diagnostics.
   */
  readonly onTrained?: (
    predict: (X: Float32Array, codes: Int32Array | undefined, nRows: number) => Promise<Float32Array>,
  ) => Promise<void> | void;
}

interface Layer {
  w: tf.Variable;
  b: tf.Variable;
}

interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  /** Running averages (not trained by the optimizer; updated after every step). */
  mean: tf.Variable;
  variance: tf.Variable;
}

interface Net {
  layers: Layer[];
  /** Per hidden layer (null without batch normalisation). */
  bn: (BatchNorm | null)[];
  emb: tf.Variable[];
  nIn: number;
}

export const BN_EPSILON = 1e-3;
const BN_MOMENTUM = 0.9;

/** Batch moments of one BN layer during a training step, kept out of tidy for the running averages. */
interface Moments {
  k: number;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

function glorot(nIn: number, nOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (nIn + nOut));
  const w = new Float32Array(nIn * nOut);
  for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * limit;
  return w;
}

function activate(x: tf.Tensor, kind: DenseNetConfig['activation']): tf.Tensor {
  if (kind === 'relu') return tf.relu(x);
  // tanh approximation of GELU, matching state.ts
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * The first layer's input: numeric inputs, then each table's vectors. Training looks the vectors up as
 * one-hot × table (a matMul, whose gradient every backend has; gather's needs UnsortedSegmentSum, which
 * the WASM backend lacks), with the one-hot rows built here rather than by a chain of small ops;
 * inference gathers.
 */
function inputs(
  net: Net,
  X: Float32Array,
  codes: Int32Array | undefined,
  nRows: number,
  training = false,
): tf.Tensor2D {
  const x = tf.tensor2d(X, [nRows, net.nIn]);
  const nEmb = net.emb.length;
  if (nEmb === 0) return x;
  const parts: tf.Tensor2D[] = net.nIn > 0 ? [x] : [];
  net.emb.forEach((table, e) => {
    const size = table.shape[0];
    if (training) {
      const onehot = new Float32Array(nRows * size);
      for (let i = 0; i < nRows; i++) onehot[i * size + codes![i * nEmb + e]] = 1;
      parts.push(tf.matMul(tf.tensor2d(onehot, [nRows, size]), table as tf.Tensor2D));
    } else {
      const idx = Int32Array.from({ length: nRows }, (_, i) => codes![i * nEmb + e]);
      parts.push(tf.gather(table, tf.tensor1d(idx, 'int32')) as tf.Tensor2D);
    }
  });
  return tf.concat(parts, 1);
}

/**
 * Logits. `training` = dropout masks from these seeds and batch normalisation with batch statistics
 * (pushed to `moments`); null = inference (running statistics, no dropout).
 */
function forward(
  x: tf.Tensor2D,
  net: Net,
  cfg: DenseNetConfig,
  training: { dropoutSeeds: number[]; moments: Moments[] } | null,
): tf.Tensor2D {
  let h: tf.Tensor = x;
  const { layers } = net;
  layers.forEach((l, k) => {
    h = tf.add(tf.matMul(h as tf.Tensor2D, l.w as tf.Tensor2D), l.b);
    if (k < layers.length - 1) {
      const bn = net.bn[k];
      if (bn) {
        let mean: tf.Tensor = bn.mean;
        let variance: tf.Tensor = bn.variance;
        if (training) {
          const m = tf.moments(h, 0);
          mean = m.mean;
          variance = m.variance;
          training.moments.push({ k, mean: tf.keep(m.mean), variance: tf.keep(m.variance) });
        }
        h = tf.add(
          tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, BN_EPSILON))), bn.gamma),
          bn.beta,
        );
      }
      h = activate(h, cfg.activation);
      if (training && cfg.dropout > 0) h = tf.dropout(h, cfg.dropout, undefined, training.dropoutSeeds[k]);
    }
  });
  return h as tf.Tensor2D;
}

/** Running averages of the batch statistics (unbiased variance), then frees the batch moments. */
function updateRunningStats(net: Net, moments: Moments[], batchRows: number): void {
  const unbias = batchRows > 1 ? batchRows / (batchRows - 1) : 1;
  for (const { k, mean, variance } of moments) {
    const bn = net.bn[k]!;
    const m = tf.tidy(() => tf.add(tf.mul(bn.mean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
    const v = tf.tidy(() =>
      tf.add(tf.mul(bn.variance, BN_MOMENTUM), tf.mul(variance, (1 - BN_MOMENTUM) * unbias)),
    );
    bn.mean.assign(m);
    bn.variance.assign(v);
    m.dispose();
    v.dispose();
    mean.dispose();
    variance.dispose();
  }
}

/** Per-row loss of logits z against targets; y is [b] (class index or standardised value). */
function rowLoss(
  z: tf.Tensor2D,
  y: tf.Tensor1D,
  task: NetTask,
  nClasses: number,
  cfg: DenseNetConfig,
): tf.Tensor1D {
  if (task === 'binary') {
    const zz = z.reshape([-1]);
    // max(z,0) - z*y + log(1 + exp(-|z|))
    return tf.add(tf.sub(tf.relu(zz), tf.mul(zz, y)), tf.log1p(tf.exp(tf.neg(tf.abs(zz))))) as tf.Tensor1D;
  }
  if (task === 'multiclass') {
    const onehot = tf.oneHot(tf.cast(y, 'int32'), nClasses);
    return tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, onehot), 1)) as tf.Tensor1D;
  }
  const d = tf.sub(z.reshape([-1]), y);
  if (cfg.regressionLoss === 'huber') {
    // 0.5·min(|d|,1)² + (|d| − min(|d|,1)): quadratic near 0, linear beyond 1 (differentiable everywhere)
    const a = tf.abs(d);
    const m = tf.minimum(a, 1);
    return tf.add(tf.mul(0.5, tf.square(m)), tf.sub(a, m)) as tf.Tensor1D;
  }
  return tf.mul(0.5, tf.square(d)) as tf.Tensor1D;
}

function gatherRows<T extends Float32Array | Int32Array>(
  X: T,
  nIn: number,
  rows: Int32Array | number[],
  from: number,
  to: number,
): T {
  const out = (
    X instanceof Int32Array ? new Int32Array((to - from) * nIn) : new Float32Array((to - from) * nIn)
  ) as T;
  for (let k = from; k < to; k++) out.set(X.subarray(rows[k] * nIn, rows[k] * nIn + nIn), (k - from) * nIn);
  return out;
}

function targetsFor(data: NetData, task: NetTask, yMean: number, yStd: number): Float32Array {
  return task === 'regression'
    ? Float32Array.from(data.y, (v) => (v - yMean) / yStd)
    : Float32Array.from(data.y);
}

async function meanLoss(
  data: NetData,
  yt: Float32Array,
  net: Net,
  cfg: DenseNetConfig,
  opts: NetFitOptions,
): Promise<number> {
  const nEmb = net.emb.length;
  const chunk = 4096;
  let total = 0;
  let wsum = 0;
  for (let s = 0; s < data.nRows; s += chunk) {
    const e = Math.min(data.nRows, s + chunk);
    const t = tf.tidy(() => {
      const x = inputs(
        net,
        data.X.subarray(s * opts.nIn, e * opts.nIn),
        data.codes?.subarray(s * nEmb, e * nEmb),
        e - s,
      );
      const l = rowLoss(
        forward(x, net, cfg, null),
        tf.tensor1d(yt.subarray(s, e)),
        opts.task,
        opts.nClasses,
        cfg,
      );
      return data.weights
        ? tf.sum(tf.mul(l, tf.tensor1d(Float32Array.from(data.weights.subarray(s, e)))))
        : tf.sum(l);
    });
    total += (await t.data())[0];
    t.dispose();
    if (data.weights) for (let i = s; i < e; i++) wsum += data.weights[i];
    else wsum += e - s;
  }
  return total / wsum;
}

/** With a progress callback, training yields to the event loop at least this often. */
const YIELD_EVERY_MS = 50;

/** Dense weights and biases with batch normalisation folded in: W·diag(s), (b − μ)·s + β, s = γ/√(σ² + ε). */
export function foldBatchNorm(
  w: Float32Array,
  b: Float32Array,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array },
): { w: Float32Array; b: Float32Array } {
  const nOut = b.length;
  const scale = Float64Array.from(bn.gamma, (g, j) => g / Math.sqrt(bn.variance[j] + BN_EPSILON));
  const fw = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) fw[i] = w[i] * scale[i % nOut];
  const fb = Float32Array.from(b, (bj, j) => (bj - bn.mean[j]) * scale[j] + bn.beta[j]);
  return { w: fw, b: fb };
}

export async function fitDenseNet(
  cfg: DenseNetConfig,
  train: NetData,
  opts: NetFitOptions,
): Promise<DenseNetState> {
  const { task, nClasses, nIn } = opts;
  const embSpec = opts.embeddings ?? [];
  const nEmb = embSpec.length;
  if (train.nRows < 1) throw new Error('cannot train on zero rows');
  if (train.X.length !== train.nRows * nIn)
    throw new Error(`expected ${train.nRows}×${nIn} feature values, got ${train.X.length}`);
  for (const d of [train, opts.valid]) {
    if (!d || nEmb === 0) continue;
    if (!d.codes || d.codes.length !== d.nRows * nEmb)
      throw new Error(`expected ${d.nRows}×${nEmb} category codes, got ${d.codes?.length ?? 0}`);
    for (let i = 0; i < d.codes.length; i++) {
      const c = d.codes[i];
      if (!(c >= 0 && c <= embSpec[i % nEmb].nCategories)) throw new Error(`category code ${c} out of range`);
    }
  }
  const rng = createRng(cfg.seed);
  const l2 = cfg.l2 === 'auto' ? 1 / (2 * train.nRows) : cfg.l2;
  let yMean = 0;
  let yStd = 1;
  if (task === 'regression') {
    let s = 0;
    for (const v of train.y) s += v;
    yMean = s / train.nRows;
    let v2 = 0;
    for (const v of train.y) v2 += (v - yMean) ** 2;
    yStd = Math.sqrt(v2 / train.nRows) || 1;
  }
  const nOut = task === 'multiclass' ? nClasses : 1;
  const nIn0 = nIn + embSpec.reduce((a, e) => a + e.dim, 0);
  const widths = [nIn0, ...cfg.hidden, nOut];
  const net: Net = { layers: [], bn: [], emb: [], nIn };
  // tf.variable keeps its own reference to the initial tensor's data: dispose the initial tensors
  const variable = (t: tf.Tensor, trainable = true): tf.Variable => {
    const v = tf.variable(t, trainable);
    t.dispose();
    return v;
  };
  for (let k = 0; k + 1 < widths.length; k++) {
    const w0 = tf.tensor2d(glorot(widths[k], widths[k + 1], rng), [widths[k], widths[k + 1]]);
    const isOutput = k + 2 === widths.length;
    const b0 = isOutput && opts.outputBias ? tf.tensor1d(opts.outputBias) : tf.zeros([widths[k + 1]]);
    net.layers.push({ w: variable(w0), b: variable(b0) });
    if (!isOutput) {
      const m = widths[k + 1];
      net.bn.push(
        cfg.batchNorm
          ? {
              gamma: variable(tf.ones([m])),
              beta: variable(tf.zeros([m])),
              mean: variable(tf.zeros([m]), false),
              variance: variable(tf.ones([m]), false),
            }
          : null,
      );
    }
  }
  // Embedding vectors start at 0 (the first layer's random weights break the symmetry: each vector's
  // gradient is W₁ᵀδ summed over its rows), so a category, like a constant feature, moves the
  // prediction only as far as the data asks; the reserved row stays 0 unless missing codes train it.
  for (const e of embSpec) net.emb.push(variable(tf.zeros([e.nCategories + 1, e.dim])));
  const bns = net.bn.filter((b): b is BatchNorm => b !== null);
  const trainable = [
    ...net.layers.flatMap((l) => [l.w, l.b]),
    ...net.emb,
    ...bns.flatMap((b) => [b.gamma, b.beta]),
  ];
  // Everything that makes up the model, in a fixed order: snapshots of the best epoch use it.
  const all = [...trainable, ...bns.flatMap((b) => [b.mean, b.variance])];
  const optimizer = tf.train.adam(cfg.learningRate);
  const yTrain = targetsFor(train, task, yMean, yStd);
  const yValid = opts.valid ? targetsFor(opts.valid, task, yMean, yStd) : null;
  const order = Int32Array.from({ length: train.nRows }, (_, i) => i);
  // Small data gets smaller batches, so that an epoch makes at least ~10 updates.
  const batch = Math.max(1, Math.min(cfg.batchSize, train.nRows, Math.max(16, Math.ceil(train.nRows / 10))));
  const curve: EpochRecord[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: Float32Array[] | null = null;
  let epochsRun = 0;
  const snapshot = () => Promise.all(all.map(async (v) => Float32Array.from(await v.data())));
  try {
    let lastYield = Date.now();
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      let lossSum = 0;
      let batches = 0;
      for (let s = 0; s < order.length; s += batch) {
        const e = Math.min(order.length, s + batch);
        // Batch statistics of a single row are meaningless: skip a 1-row remainder (reshuffled next epoch).
        if (bns.length > 0 && e - s < 2 && s > 0) continue;
        const xb = gatherRows(train.X, nIn, order, s, e);
        const cb = train.codes ? gatherRows(train.codes, nEmb, order, s, e) : undefined;
        const yb = Float32Array.from({ length: e - s }, (_, k) => yTrain[order[s + k]]);
        const wb = train.weights
          ? Float32Array.from({ length: e - s }, (_, k) => train.weights![order[s + k]])
          : null;
        const seeds = net.layers.map(() => rng.u32());
        const moments: Moments[] = [];
        const loss = optimizer.minimize(
          () =>
            tf.tidy(() => {
              moments.length = 0;
              const x = inputs(net, xb, cb, e - s, true);
              const l = rowLoss(
                forward(x, net, cfg, { dropoutSeeds: seeds, moments }),
                tf.tensor1d(yb),
                task,
                nClasses,
                cfg,
              );
              let obj: tf.Scalar = wb
                ? tf.div(tf.sum(tf.mul(l, tf.tensor1d(wb))), tf.sum(tf.tensor1d(wb)))
                : tf.mean(l);
              for (const layer of net.layers) {
                if (l2 > 0) obj = tf.add(obj, tf.mul(l2, tf.sum(tf.square(layer.w))));
                if (cfg.l1 > 0) obj = tf.add(obj, tf.mul(cfg.l1, tf.sum(tf.abs(layer.w))));
              }
              if (l2 > 0) for (const t of net.emb) obj = tf.add(obj, tf.mul(l2, tf.sum(tf.square(t))));
              return obj;
            }),
          true,
          trainable,
        );
        updateRunningStats(net, moments, e - s);
        if (loss) {
          lossSum += (await loss.data())[0];
          loss.dispose();
        }
        batches++;
      }
      epochsRun = epoch;
      const record: EpochRecord = { epoch, trainLoss: lossSum / batches };
      let monitored = record.trainLoss;
      if (opts.valid && yValid) {
        const validLoss = await meanLoss(opts.valid, yValid, net, cfg, opts);
        (record as { validLoss?: number }).validLoss = validLoss;
        monitored = validLoss;
      }
      curve.push(record);
      if (monitored < best - 1e-7) {
        best = monitored;
        bestEpoch = epoch;
        bestWeights = await snapshot();
      }
      if (opts.onEpoch?.(record) === false) break;
      if (!Number.isFinite(monitored)) break;
      // Let other work in (a Stop message to a worker): the WASM and CPU backends never yield on their own.
      if (opts.onEpoch && Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = Date.now();
      }
      if (cfg.patience > 0 && epoch - bestEpoch >= cfg.patience) break;
    }
    const weights = bestWeights ?? (await snapshot());
    if (opts.onTrained) {
      all.forEach((v, i) => {
        const t = tf.tensor(weights[i], v.shape);
        v.assign(t);
        t.dispose();
      });
      await opts.onTrained(async (X, codes, nRows) => {
        const out = tf.tidy(() => {
          const z = forward(inputs(net, X, codes, nRows), net, cfg, null);
          if (task === 'binary') return tf.sigmoid(z.reshape([-1]));
          if (task === 'multiclass') return tf.softmax(z);
          return tf.add(tf.mul(z.reshape([-1]), yStd), yMean);
        });
        const values = Float32Array.from(await out.data());
        out.dispose();
        return values;
      });
    }
    const nDense = 2 * net.layers.length;
    const embeddings: EmbeddingState[] = embSpec.map((e, i) => ({
      column: e.column,
      nCategories: e.nCategories,
      dim: e.dim,
      table: typedToBase64(weights[nDense + i]),
    }));
    let bnAt = nDense + nEmb;
    let statsAt = nDense + nEmb + 2 * bns.length;
    return {
      format: 'dense-net',
      version: 1,
      config: cfg,
      task,
      nClasses,
      nIn,
      ...(nEmb > 0 ? { embeddings } : {}),
      yMean,
      yStd,
      layers: net.layers.map((_, k) => {
        let w = weights[2 * k];
        let b = weights[2 * k + 1];
        if (k < net.bn.length && net.bn[k]) {
          ({ w, b } = foldBatchNorm(w, b, {
            gamma: weights[bnAt],
            beta: weights[bnAt + 1],
            mean: weights[statsAt],
            variance: weights[statsAt + 1],
          }));
          bnAt += 2;
          statsAt += 2;
        }
        return { nIn: widths[k], nOut: widths[k + 1], w: typedToBase64(w), b: typedToBase64(b) };
      }),
      epochsRun,
      bestEpoch: bestEpoch || epochsRun,
      curve,
      backend: tf.getBackend(),
    };
  } finally {
    for (const v of all) v.dispose();
    optimizer.dispose();
  }
}
