/**
 * Boosting objectives. Raw margins and gradients are class-major: raw[k * n + i]; gradient/hessian
 * pairs are interleaved per group: gh[k][2i] = g, gh[k][2i + 1] = h (one cache line per row in the
 * histogram loop). `gradients` also returns the weighted mean loss at the current margins.
 */
import { exp, log } from '../../util/portable-math.ts';
import { TABLE_F64, kernelsOf } from './wasm/kernels.ts';

export type ObjectiveName = 'logloss' | 'softmax' | 'squared_error' | 'huber';

export interface Objective {
  readonly name: ObjectiveName;
  /** Validation / training curve metric name. */
  readonly metric: 'logloss' | 'mlogloss' | 'rmse' | 'huber';
  /** Initial margins per group. */
  init(y: Float64Array, w: Float64Array | null, nGroups: number): Float64Array;
  gradients(
    raw: Float64Array,
    y: Float64Array,
    w: Float64Array | null,
    n: number,
    gh: Float64Array[],
  ): number;
  /** Metric at the margins (lower is better). */
  loss(raw: Float64Array, y: Float64Array, w: Float64Array | null, n: number): number;
  /** Margins (class-major) → predictions (row-major probabilities or values). */
  transform(raw: Float64Array, n: number, out: Float64Array): void;
}

const EPS = 1e-15;
const PRIOR_CLAMP = 1e-6;
const H_MIN = 1e-16;

function sumW(w: Float64Array | null, n: number): number {
  if (!w) return n;
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i];
  return s;
}

/* exp for the softmax gradients (x <= 0 there): x = (k / 32) ln 2 + r with |r| <= ln 2 / 64, a degree-6
 * polynomial for e^r, 2^(k/32) from two tables. Within 3 ulp of Math.exp and about twice as fast (the
 * softmax gradients take nClasses exps per row and round). Deterministic: plain arithmetic. */
// 2^(j/32) as literals: Math.pow is implementation-defined, literals are the same in every engine.
const EXP2_FRAC = Float64Array.of(
  1,
  1.0218971486541166,
  1.0442737824274138,
  1.0671404006768237,
  1.0905077326652577,
  1.1143867425958924,
  1.1387886347566916,
  1.1637248587775775,
  1.189207115002721,
  1.215247359980469,
  1.241857812073484,
  1.2690509571917332,
  1.2968395546510096,
  1.3252366431597413,
  1.3542555469368927,
  1.3839098819638318,
  1.4142135623730951,
  1.4451808069770467,
  1.4768261459394993,
  1.5091644275934228,
  1.542210825407941,
  1.5759808451078865,
  1.6104903319492543,
  1.6457554781539647,
  1.6817928305074292,
  1.718619298122478,
  1.7562521603732995,
  1.7947090750031072,
  1.8340080864093424,
  1.8741676341103,
  1.9152065613971474,
  1.9571441241754002,
);
/** 2^e for e in [-1074, 1024] at index e + 1074 (2^1024 = Infinity). */
const EXP2_INT = (() => {
  // exact doubling and halving from 1 (no Math.pow)
  const t = new Float64Array(2099);
  t[1074] = 1;
  for (let i = 1075; i < 2099; i++) t[i] = t[i - 1] * 2;
  for (let i = 1073; i >= 0; i--) t[i] = t[i + 1] / 2;
  return t;
})();
const LOG2E_32 = 32 * Math.LOG2E;
const LN2_HI_32 = 0.6931471803691238 / 32;
const LN2_LO_32 = 1.9082149292705877e-10 / 32;
const ROUND_MAGIC = 6755399441055744; // 1.5 * 2^52: adding and subtracting it rounds to an integer

export function fastExp(x: number): number {
  if (!(x > -745)) return x === x ? 0 : x;
  // Beyond the tables: 2^(k >> 5) leaves EXP2_INT below -744.44 (that gave NaN), overflows above 709.
  if (x > 709 || x < -744) return exp(x);
  const kf = x * LOG2E_32 + ROUND_MAGIC - ROUND_MAGIC;
  const k = kf | 0;
  const r = x - kf * LN2_HI_32 - kf * LN2_LO_32;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * (1 / 6)) + r2 * r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720));
  return p * EXP2_FRAC[k & 31] * EXP2_INT[(k >> 5) + 1074];
}

/* log for the training-loss curve inside the gradient loops (arguments in [1e-15, 1]): x = 2^e · m,
 * m in [1, 2) split at its top 7 mantissa bits around centres c_j, log m = log c_j + log1p((m - c_j) / c_j)
 * with a degree-6 series (|r| < 2^-8). Tables come from the portable log and exact division, so the
 * result is the same in every engine; within a few ulp of Math.log and cheaper than the fdlibm port. */
const LOG_F64 = new Float64Array(1);
const LOG_U32 = new Uint32Array(LOG_F64.buffer);
const LOG_C = new Float64Array(128);
const LOG_INV = new Float64Array(128);
for (let j = 0; j < 128; j++) {
  const c = 1 + j / 128 + 1 / 256;
  LOG_C[j] = log(c);
  LOG_INV[j] = 1 / c;
}
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

export function fastLog(x: number): number {
  if (!(x >= 2.2250738585072014e-308) || x === Infinity) return log(x);
  LOG_F64[0] = x;
  const hi = LOG_U32[1];
  const e = (hi >>> 20) - 1023;
  const j = (hi >>> 13) & 127;
  LOG_U32[1] = (hi & 0x000fffff) | 0x3ff00000;
  const r = (LOG_F64[0] - (1 + j / 128 + 1 / 256)) * LOG_INV[j];
  const r2 = r * r;
  const p = r - r2 * (0.5 - r * (1 / 3 - r * (0.25 - r * (0.2 - r * (1 / 6)))));
  return e * LN2_HI + (LOG_C[j] + p + e * LN2_LO);
}

function sigmoid(m: number): number {
  return 1 / (1 + fastExp(-m));
}

/* Unweighted training loss without a log per row: sum(log p_i) = log(prod p_i), with the running product
 * rescaled by 2^900 whenever it drops below 2^-900 (p_i >= 1e-15, so it never reaches the subnormals).
 * A log per row cost as much as the gradients themselves (the fastLog bit tricks stall on store
 * forwarding); the product is plain IEEE arithmetic, so the curve stays the same in every engine, and its
 * rounding (about n ulp relative) is far below what the curve shows. */
const PROD_RESCALE = 2 ** 900;
const PROD_MIN = 2 ** -900;
const LN_PROD_RESCALE = 900 * Math.LN2;

/** -log(prod · 2^(-900 k)): the negated log-likelihood from a rescaled product. */
function negLogOfProduct(prod: number, k: number): number {
  return k * LN_PROD_RESCALE - fastLog(prod);
}

/* Gradient kernels: one loop each, returning the weighted loss sum. Nothing follows the loop, so code
 * that V8 compiles on-stack mid-loop (OSR) has feedback for everything it runs; an operation after the
 * loop that had not executed yet made the OSR code deoptimise at the end of every call. */
/**
 * Unweighted: leaves the loss sum as prod · 2^(-900 k) in pk = [prod, k] (see negLogOfProduct). The
 * rescale is branch-free and pk is written every row, not after the loop: code that runs only rarely
 * or only after the loop has no type feedback when V8 compiles the loop on-stack, and deoptimises it.
 */
function loglossGradientsUnweighted(
  raw: Float64Array,
  y: Float64Array,
  n: number,
  g: Float64Array,
  pk: Float64Array,
): void {
  let prod = 1;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const p = sigmoid(raw[i]);
    const yi = y[i];
    g[2 * i] = p - yi;
    g[2 * i + 1] = Math.max(p * (1 - p), H_MIN);
    const q = Math.min(1 - EPS, Math.max(EPS, p));
    // q when yi = 1, 1 - q when yi = 0 (labels are 0 / 1): exact, and branchless (yi is unpredictable).
    prod *= yi * q + (1 - yi) * (1 - q);
    const small = prod < PROD_MIN;
    prod *= small ? PROD_RESCALE : 1;
    k += small ? 1 : 0;
    pk[0] = prod;
    pk[1] = k;
  }
}

/** The constants of fastExp and loglossGradientsUnweighted for their WebAssembly version (kernels.wat). */
const LOGLOSS_KERNEL_TABLE = (() => {
  const t = new Float64Array(TABLE_F64);
  t.set([LOG2E_32, LN2_HI_32, LN2_LO_32, ROUND_MAGIC, 1 / 6, 1 / 24, 1 / 120, 1 / 720]);
  t.set([EPS, H_MIN, PROD_MIN, PROD_RESCALE, 1 - EPS], 8);
  t.set(EXP2_FRAC, 16);
  t.set(EXP2_INT, 48);
  return t;
})();

function loglossGradients(
  raw: Float64Array,
  y: Float64Array,
  w: Float64Array,
  n: number,
  g: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = sigmoid(raw[i]);
    const wi = w[i];
    const yi = y[i];
    g[2 * i] = (p - yi) * wi;
    g[2 * i + 1] = Math.max(p * (1 - p), H_MIN) * wi;
    const q = Math.min(1 - EPS, Math.max(EPS, p));
    loss -= wi * (yi === 1 ? fastLog(q) : fastLog(1 - q));
  }
  return loss;
}

function squaredGradients(
  raw: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  n: number,
  g: Float64Array,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    const r = raw[i] - y[i];
    g[2 * i] = r * wi;
    g[2 * i + 1] = wi;
    loss += wi * r * r;
  }
  return loss;
}

function softmaxMax(raw: Float64Array, o: number, n: number, max: Float64Array): void {
  for (let i = 0; i < n; i++) if (raw[o + i] > max[i]) max[i] = raw[o + i];
}

function softmaxExp(
  raw: Float64Array,
  o: number,
  n: number,
  max: Float64Array,
  g: Float64Array,
  sum: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const e = fastExp(raw[o + i] - max[i]);
    g[2 * i] = e;
    sum[i] += e;
  }
}

function softmaxGrad(
  y: Float64Array,
  w: Float64Array | null,
  n: number,
  k: number,
  g: Float64Array,
  sum: Float64Array,
  py: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const pk = g[2 * i] / sum[i];
    const wi = w ? w[i] : 1;
    const yk = y[i] === k;
    if (yk) py[i] = pk;
    g[2 * i] = (pk - (yk ? 1 : 0)) * wi;
    const h = 2 * pk * (1 - pk);
    g[2 * i + 1] = (h > H_MIN ? h : H_MIN) * wi;
  }
}

function softmaxLoss(w: Float64Array, n: number, py: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = py[i];
    loss -= w[i] * fastLog(p > EPS ? (p < 1 - EPS ? p : 1 - EPS) : EPS);
  }
  return loss;
}

/** Scratch rows for the softmax gradients and loss (reused: both run every round; neither calls the other). */
let scratch: { max: Float64Array; sum: Float64Array; ey: Float64Array } | null = null;
function softmaxScratch(n: number): { max: Float64Array; sum: Float64Array; ey: Float64Array } {
  if (!scratch || scratch.max.length < n)
    scratch = { max: new Float64Array(n), sum: new Float64Array(n), ey: new Float64Array(n) };
  return scratch;
}

/** sum[i] += exp(raw − max) of class k (the portable exp); ey[i] = that exp when y[i] = k. */
function softmaxExpSum(
  raw: Float64Array,
  o: number,
  n: number,
  k: number,
  y: Float64Array,
  max: Float64Array,
  sum: Float64Array,
  ey: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const e = exp(raw[o + i] - max[i]);
    sum[i] += e;
    if (y[i] === k) ey[i] = e;
  }
}

/** The (weighted) sum of −log p(true class) from the exps' sums and the true classes' exps. */
function softmaxPortableLoss(w: Float64Array | null, n: number, sum: Float64Array, ey: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const py = ey[i] / sum[i];
    loss -= (w ? w[i] : 1) * log(Math.min(1 - EPS, Math.max(EPS, py)));
  }
  return loss;
}

/** Unweighted softmax loss as in loglossGradientsUnweighted: the product of the true-class
 * probabilities into pk = [prod, k]. */
function softmaxLossUnweighted(n: number, py: Float64Array, pk: Float64Array): void {
  let prod = 1;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const p = py[i];
    prod *= p > EPS ? (p < 1 - EPS ? p : 1 - EPS) : EPS;
    const small = prod < PROD_MIN;
    prod *= small ? PROD_RESCALE : 1;
    k += small ? 1 : 0;
    pk[0] = prod;
    pk[1] = k;
  }
}

const logloss: Objective = {
  name: 'logloss',
  metric: 'logloss',
  init(y, w) {
    let s = 0;
    const sw = sumW(w, y.length);
    for (let i = 0; i < y.length; i++) s += (w ? w[i] : 1) * y[i];
    const p = Math.min(1 - PRIOR_CLAMP, Math.max(PRIOR_CLAMP, s / sw));
    return Float64Array.of(log(p / (1 - p)));
  },
  gradients(raw, y, w, n, gh) {
    if (w) return loglossGradients(raw, y, w, n, gh[0]) / sumW(w, n);
    const g = gh[0];
    const kern = kernelsOf(raw.buffer);
    if (kern !== null && y.buffer === raw.buffer && g.buffer === raw.buffer) {
      // The same computation in WebAssembly (the grow kernel's memory holds raw, y and g: grow-kernel.ts, kernels.wat).
      const tab = kern.table;
      if (tab[0] === 0) tab.set(LOGLOSS_KERNEL_TABLE);
      kern.k.loglossGrad(raw.byteOffset, y.byteOffset, n, g.byteOffset, tab.byteOffset);
      return negLogOfProduct(tab[13], tab[14]) / n;
    }
    const pk = Float64Array.of(1, 0);
    loglossGradientsUnweighted(raw, y, n, gh[0], pk);
    return negLogOfProduct(pk[0], pk[1]) / n;
  },
  loss(raw, y, w, n) {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const q = Math.min(1 - EPS, Math.max(EPS, sigmoid(raw[i])));
      loss -= (w ? w[i] : 1) * (y[i] === 1 ? log(q) : log(1 - q));
    }
    return loss / sumW(w, n);
  },
  transform(raw, n, out) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(raw[i]);
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
  },
};

const softmax: Objective = {
  name: 'softmax',
  metric: 'mlogloss',
  init(y, w, K) {
    const c = new Float64Array(K);
    const sw = sumW(w, y.length);
    for (let i = 0; i < y.length; i++) c[y[i]] += w ? w[i] : 1;
    let mean = 0;
    for (let k = 0; k < K; k++) {
      c[k] = log(Math.min(1 - PRIOR_CLAMP, Math.max(PRIOR_CLAMP, c[k] / sw)));
      mean += c[k] / K;
    }
    for (let k = 0; k < K; k++) c[k] -= mean;
    return c;
  },
  gradients(raw, y, w, n, gh) {
    // Sequential class-major passes (raw[k * n + i]) instead of a strided walk per row.
    const K = gh.length;
    // reused rows (no allocation per round)
    const { max, sum } = softmaxScratch(n);
    max.fill(-Infinity, 0, n);
    sum.fill(0, 0, n);
    for (let k = 0; k < K; k++) softmaxMax(raw, k * n, n, max);
    for (let k = 0; k < K; k++) softmaxExp(raw, k * n, n, max, gh[k], sum);
    // The true class's probability (for the loss, without a second exp) goes into `max`.
    for (let k = 0; k < K; k++) softmaxGrad(y, w, n, k, gh[k], sum, max);
    if (w) return softmaxLoss(w, n, max) / sumW(w, n);
    const pk = Float64Array.of(1, 0);
    softmaxLossUnweighted(n, max, pk);
    return negLogOfProduct(pk[0], pk[1]) / n;
  },
  loss(raw, y, w, n) {
    // Class-major passes (as the gradients): per row the same max, the same sum of exps in class order
    // and the true class's exp kept from that sum instead of computed again — the same bits as a loop
    // over classes per row, with K exps per row instead of K + 1.
    const K = raw.length / n;
    const { max, sum, ey } = softmaxScratch(n);
    max.fill(-Infinity, 0, n);
    sum.fill(0, 0, n);
    for (let k = 0; k < K; k++) softmaxMax(raw, k * n, n, max);
    for (let k = 0; k < K; k++) softmaxExpSum(raw, k * n, n, k, y, max, sum, ey);
    return softmaxPortableLoss(w, n, sum, ey) / sumW(w, n);
  },
  transform(raw, n, out) {
    const K = raw.length / n;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (raw[k * n + i] > max) max = raw[k * n + i];
      let s = 0;
      for (let k = 0; k < K; k++) {
        const e = exp(raw[k * n + i] - max);
        out[i * K + k] = e;
        s += e;
      }
      for (let k = 0; k < K; k++) out[i * K + k] /= s;
    }
  },
};

const squaredError: Objective = {
  name: 'squared_error',
  metric: 'rmse',
  init(y, w) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (w ? w[i] : 1) * y[i];
    return Float64Array.of(s / sumW(w, y.length));
  },
  gradients(raw, y, w, n, gh) {
    return Math.sqrt(squaredGradients(raw, y, w, n, gh[0]) / sumW(w, n));
  },
  loss(raw, y, w, n) {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const r = raw[i] - y[i];
      loss += (w ? w[i] : 1) * r * r;
    }
    return Math.sqrt(loss / sumW(w, n));
  },
  transform(raw, n, out) {
    for (let i = 0; i < n; i++) out[i] = raw[i];
  },
};

function huber(delta: number): Objective {
  const lossAt = (r: number): number => {
    const a = Math.abs(r);
    return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
  };
  return {
    name: 'huber',
    metric: 'huber',
    init(y, w) {
      // Weighted median: robust starting point.
      const idx = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => y[a] - y[b] || a - b);
      const half = sumW(w, y.length) / 2;
      let acc = 0;
      for (const i of idx) {
        acc += w ? w[i] : 1;
        if (acc >= half) return Float64Array.of(y[i]);
      }
      return Float64Array.of(0);
    },
    gradients(raw, y, w, n, gh) {
      const g = gh[0];
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        const r = raw[i] - y[i];
        g[2 * i] = (r > delta ? delta : r < -delta ? -delta : r) * wi;
        g[2 * i + 1] = wi;
        loss += wi * lossAt(r);
      }
      return loss / sumW(w, n);
    },
    loss(raw, y, w, n) {
      let loss = 0;
      for (let i = 0; i < n; i++) loss += (w ? w[i] : 1) * lossAt(raw[i] - y[i]);
      return loss / sumW(w, n);
    },
    transform: squaredError.transform,
  };
}

export function makeObjective(name: ObjectiveName, huberDelta: number): Objective {
  switch (name) {
    case 'logloss':
      return logloss;
    case 'softmax':
      return softmax;
    case 'squared_error':
      return squaredError;
    case 'huber':
      return huber(huberDelta);
  }
}
