/**
 * The argument sets of the cross-runtime Math measurement (bench/runtime-math/run.ts): per function
 * our code calls on a replay or search path, ~1M seeded arguments in the range that code uses (or every
 * argument, where the code has a small finite set). Self-contained (the seeded generator and the
 * portable functions only) so the same module runs in Node and, bundled, in Chromium.
 */
import { createRng } from '../../src/core/util/random.ts';
import * as pm from '../../src/core/util/portable-math.ts';

export interface MathCase {
  /** What and where: the function, the argument range and which code uses it. */
  readonly name: string;
  readonly args: () => Float64Array;
  /** The engine's function (Math.*) on one argument. */
  readonly engine: (x: number) => number;
  /** The portable one, where we have it. */
  readonly portable?: (x: number) => number;
}

const N = 1_000_000;

function uniform(seed: number, lo: number, hi: number, n = N): Float64Array {
  const r = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + r.next() * (hi - lo);
  return out;
}

/** Log-uniform in [lo, hi] (through the portable exp, so the arguments are the same everywhere). */
function logUniform(seed: number, lo: number, hi: number, n = N): Float64Array {
  const a = pm.log(lo);
  const b = pm.log(hi);
  const r = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = pm.exp(a + r.next() * (b - a));
  return out;
}

/** Every angle date-parts encodes: months, weekdays, and hours + minutes / 60. */
function dateAngles(): Float64Array {
  const out: number[] = [];
  const cyc = (v: number, period: number, offset: number) => (2 * Math.PI * (v - offset)) / period;
  for (let m = 1; m <= 12; m++) out.push(cyc(m, 12, 1));
  for (let d = 0; d < 7; d++) out.push(cyc(d, 7, 0));
  for (let h = 0; h < 24; h++) for (let mi = 0; mi < 60; mi++) out.push(cyc(h + mi / 60, 24, 0));
  // seconds too (a timestamp with seconds: hour = h + minutes / 60 only, but keep a denser set)
  for (let s = 0; s < 86_400; s++) out.push(cyc(s / 3600, 24, 0));
  return Float64Array.from(out);
}

/** The exponents of glm's λ path: t / (nLambda − 1), t < nLambda ≤ 200. */
function lambdaExponents(): Float64Array {
  const out: number[] = [];
  for (let n = 2; n <= 200; n++) for (let t = 0; t < n; t++) out.push(t / (n - 1));
  return Float64Array.from(out);
}

const ints = (lo: number, hi: number) => Float64Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

const p = pm as unknown as Record<string, ((x: number, y?: number) => number) | undefined>;
const port = (name: string, wrap?: (f: (x: number, y?: number) => number) => (x: number) => number) => {
  const f = p[name];
  return f ? (wrap ? wrap(f) : (x: number) => f(x)) : undefined;
};

export const CASES: readonly MathCase[] = [
  {
    name: 'log u, u in (0,1) (random.normal, log loss p and 1-p)',
    args: () => uniform(1, 0, 1).map((x) => x || 0.5),
    engine: Math.log,
    portable: port('log'),
  },
  {
    name: 'log x, x log-uniform [1e-15, 1] (log loss, tpe logZ)',
    args: () => logUniform(2, 1e-15, 1),
    engine: Math.log,
    portable: port('log'),
  },
  {
    name: 'log x, x log-uniform [1e-300, 1e300] (tpe densities, space bounds)',
    args: () => logUniform(3, 1e-300, 1e300),
    engine: Math.log,
    portable: port('log'),
  },
  {
    name: 'exp x, x in [-20, 12] (space.ts log-uniform sample, tpe back-transform)',
    args: () => uniform(4, -20, 12),
    engine: Math.exp,
    portable: port('exp'),
  },
  {
    name: 'exp x, x in [-745, 0] (tpe log-sum-exp)',
    args: () => uniform(5, -745, 0),
    engine: Math.exp,
    portable: port('exp'),
  },
  {
    name: 'exp(-a*a), a in [0, 6] (tpe erf)',
    args: () => uniform(6, 0, 6).map((a) => -a * a),
    engine: Math.exp,
    portable: port('exp'),
  },
  {
    name: 'tanh x, x in [-20, 20] (mlp state)',
    args: () => uniform(7, -20, 20),
    engine: Math.tanh,
    portable: port('tanh'),
  },
  {
    name: 'sin 2πv, v in [0,1) (random.normal)',
    args: () => uniform(8, 0, 1).map((v) => 2 * Math.PI * v),
    engine: Math.sin,
    portable: port('sin'),
  },
  {
    name: 'cos 2πv, v in [0,1) (random.normal)',
    args: () => uniform(8, 0, 1).map((v) => 2 * Math.PI * v),
    engine: Math.cos,
    portable: port('cos'),
  },
  {
    name: 'sin, every date-parts angle (month, weekday, hour:min, second)',
    args: dateAngles,
    engine: Math.sin,
    portable: port('sin'),
  },
  {
    name: 'cos, every date-parts angle (month, weekday, hour:min, second)',
    args: dateAngles,
    engine: Math.cos,
    portable: port('cos'),
  },
  {
    name: 'sin x, x in [-1e4, 1e4] (general)',
    args: () => uniform(9, -1e4, 1e4),
    engine: Math.sin,
    portable: port('sin'),
  },
  {
    name: 'cos x, x in [-1e4, 1e4] (general)',
    args: () => uniform(9, -1e4, 1e4),
    engine: Math.cos,
    portable: port('cos'),
  },
  {
    name: 'pow(1e-4, t/(n-1)), n <= 200 (glm λ path)',
    args: lambdaExponents,
    engine: (y) => Math.pow(1e-4, y),
    portable: port('pow', (f) => (y) => f(1e-4, y)),
  },
  {
    name: 'pow(1e-2, t/(n-1)), n <= 200 (glm λ path)',
    args: lambdaExponents,
    engine: (y) => Math.pow(1e-2, y),
    portable: port('pow', (f) => (y) => f(1e-2, y)),
  },
  {
    name: 'pow(k+1, 0.56), k < 1e6 (nn embedding width)',
    args: () => ints(1, 1_000_000),
    engine: (x) => Math.pow(x, 0.56),
    portable: port('pow', (f) => (x) => f(x, 0.56)),
  },
  {
    name: 'min(16, ceil(1.6 pow(k+1, 0.56))), k < 1e6 (the width itself)',
    args: () => ints(1, 1_000_000),
    engine: (x) => Math.min(16, Math.ceil(1.6 * Math.pow(x, 0.56))),
  },
  {
    name: 'x ** 2, x in [-1e3, 1e3] (sums of squares)',
    args: () => uniform(10, -1e3, 1e3),
    engine: (x) => x ** 2,
  },
  {
    name: '3 ** k, k in [-60, 60] (subsample levels)',
    args: () => ints(-60, 60),
    engine: (k) => 3 ** k,
  },
  {
    name: 'log2 x, x in [2, 1e7] (round allowance)',
    args: () => uniform(11, 2, 1e7),
    engine: Math.log2,
  },
];

/** Every case's engine results (and portable results) as little-endian bytes in base64. */
export function runCases(only?: readonly number[]): { engine: string[]; portable: (string | null)[] } {
  const engine: string[] = [];
  const portable: (string | null)[] = [];
  CASES.forEach((c, k) => {
    if (only && !only.includes(k)) {
      engine.push('');
      portable.push(null);
      return;
    }
    const x = c.args();
    const e = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) e[i] = c.engine(x[i]);
    engine.push(toBase64(e));
    if (c.portable) {
      const q = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) q[i] = c.portable(x[i]);
      portable.push(toBase64(q));
    } else portable.push(null);
  });
  return { engine, portable };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function toBase64(a: Float64Array): string {
  const b = new Uint8Array(a.buffer);
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    parts.push(B64[(n >> 18) & 63], B64[(n >> 12) & 63], B64[(n >> 6) & 63], B64[n & 63]);
  }
  return parts.join('');
}
