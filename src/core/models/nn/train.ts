/**
 * Training a dense network with TensorFlow.js: seeded initialisation, seeded mini-batch order and
 * dropout masks, Adam, L1/L2 penalties, early stopping on validation loss with the best weights kept.
 * Every tensor is disposed: tf.memory().numTensors is the same before and after.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../../util/random.ts';
import { typedToBase64 } from '../../util/base64.ts';
import type { DenseNetConfig } from './config.ts';
import type { DenseNetState, EpochRecord, NetTask } from './state.ts';

export interface NetData {
  /** Row-major nRows × nIn. */
  readonly X: Float32Array;
  readonly nRows: number;
  /** Class index (classification) or value (regression). */
  readonly y: Float64Array;
  readonly weights?: Float64Array;
}

export interface NetFitOptions {
  readonly task: NetTask;
  readonly nClasses: number;
  readonly nIn: number;
  readonly valid?: NetData;
  /** Initial output-layer bias (e.g. the log-odds of the class prior), so training starts at the prior. */
  readonly outputBias?: Float32Array;
  /** Called after each epoch; return false to stop (e.g. the user pressed Stop). */
  readonly onEpoch?: (record: EpochRecord) => boolean | void;
}

interface Layer {
  w: tf.Variable;
  b: tf.Variable;
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

function forward(
  x: tf.Tensor2D,
  layers: Layer[],
  cfg: DenseNetConfig,
  dropoutSeeds: number[] | null,
): tf.Tensor2D {
  let h: tf.Tensor = x;
  layers.forEach((l, k) => {
    h = tf.add(tf.matMul(h as tf.Tensor2D, l.w as tf.Tensor2D), l.b);
    if (k < layers.length - 1) {
      h = activate(h, cfg.activation);
      if (dropoutSeeds && cfg.dropout > 0) h = tf.dropout(h, cfg.dropout, undefined, dropoutSeeds[k]);
    }
  });
  return h as tf.Tensor2D;
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

function gatherRows(
  X: Float32Array,
  nIn: number,
  rows: Int32Array | number[],
  from: number,
  to: number,
): Float32Array {
  const out = new Float32Array((to - from) * nIn);
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
  layers: Layer[],
  cfg: DenseNetConfig,
  opts: NetFitOptions,
): Promise<number> {
  const chunk = 4096;
  let total = 0;
  let wsum = 0;
  for (let s = 0; s < data.nRows; s += chunk) {
    const e = Math.min(data.nRows, s + chunk);
    const t = tf.tidy(() => {
      const x = tf.tensor2d(data.X.subarray(s * opts.nIn, e * opts.nIn), [e - s, opts.nIn]);
      const l = rowLoss(
        forward(x, layers, cfg, null),
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

export async function fitDenseNet(
  cfg: DenseNetConfig,
  train: NetData,
  opts: NetFitOptions,
): Promise<DenseNetState> {
  const { task, nClasses, nIn } = opts;
  if (train.nRows < 1) throw new Error('cannot train on zero rows');
  if (train.X.length !== train.nRows * nIn)
    throw new Error(`expected ${train.nRows}×${nIn} feature values, got ${train.X.length}`);
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
  const widths = [nIn, ...cfg.hidden, nOut];
  const layers: Layer[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    // tf.variable keeps its own reference to the initial tensor's data: dispose the initial tensors
    const w0 = tf.tensor2d(glorot(widths[k], widths[k + 1], rng), [widths[k], widths[k + 1]]);
    const isOutput = k + 2 === widths.length;
    const b0 = isOutput && opts.outputBias ? tf.tensor1d(opts.outputBias) : tf.zeros([widths[k + 1]]);
    layers.push({ w: tf.variable(w0), b: tf.variable(b0) });
    w0.dispose();
    b0.dispose();
  }
  const vars = layers.flatMap((l) => [l.w, l.b]);
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
        const xb = gatherRows(train.X, nIn, order, s, e);
        const yb = Float32Array.from({ length: e - s }, (_, k) => yTrain[order[s + k]]);
        const wb = train.weights
          ? Float32Array.from({ length: e - s }, (_, k) => train.weights![order[s + k]])
          : null;
        const seeds = layers.map(() => rng.u32());
        const loss = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const x = tf.tensor2d(xb, [e - s, nIn]);
              const l = rowLoss(forward(x, layers, cfg, seeds), tf.tensor1d(yb), task, nClasses, cfg);
              let obj: tf.Scalar = wb
                ? tf.div(tf.sum(tf.mul(l, tf.tensor1d(wb))), tf.sum(tf.tensor1d(wb)))
                : tf.mean(l);
              for (const layer of layers) {
                if (l2 > 0) obj = tf.add(obj, tf.mul(l2, tf.sum(tf.square(layer.w))));
                if (cfg.l1 > 0) obj = tf.add(obj, tf.mul(cfg.l1, tf.sum(tf.abs(layer.w))));
              }
              return obj;
            }),
          true,
          vars,
        );
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
        const validLoss = await meanLoss(opts.valid, yValid, layers, cfg, opts);
        (record as { validLoss?: number }).validLoss = validLoss;
        monitored = validLoss;
      }
      curve.push(record);
      if (monitored < best - 1e-7) {
        best = monitored;
        bestEpoch = epoch;
        bestWeights = await Promise.all(vars.map(async (v) => Float32Array.from(await v.data())));
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
    const weights =
      bestWeights ?? (await Promise.all(vars.map(async (v) => Float32Array.from(await v.data()))));
    return {
      format: 'dense-net',
      version: 1,
      config: cfg,
      task,
      nClasses,
      nIn,
      yMean,
      yStd,
      layers: layers.map((_, k) => ({
        nIn: widths[k],
        nOut: widths[k + 1],
        w: typedToBase64(weights[2 * k]),
        b: typedToBase64(weights[2 * k + 1]),
      })),
      epochsRun,
      bestEpoch: bestEpoch || epochsRun,
      curve,
      backend: tf.getBackend(),
    };
  } finally {
    for (const v of vars) v.dispose();
    optimizer.dispose();
  }
}
