/**
 * exp and tanh that give the same bits in every JavaScript engine. `Math.exp`, `Math.tanh` and
 * friends are implementation-defined: Node 20's V8 and Chromium 156's V8 differ in the last bit for
 * about 10% of arguments, which breaks "a bundle predicts identically in Node and in the browser".
 * These use only IEEE-754 basic arithmetic (+ − × ÷ and Math.round), which is exact everywhere.
 * exp is fdlibm's e_exp.c algorithm (error < 1 ulp).
 *
 * Measured (bench/runtime-math): log, sin and cos here give Node 20's Math.log/sin/cos bit for bit on
 * every argument tried below 1e6; Chromium 156's differ from both on 0.3–7% (log), ~3.3% (sin, cos).
 */

/**
 * Which functions a replayed computation uses: 'portable' (these; what searches made since they
 * exist record) or 'engine' (the runtime's Math.*, the legacy behaviour of a record without the field).
 */
export type MathMode = 'portable' | 'engine';

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.6533902205465251539e-6;
const P5 = 4.13813679705723846039e-8;
const O_THRESHOLD = 7.09782712893383973096e2;
const U_THRESHOLD = -7.4513321910194110842e2;

/** 2^k for k in [-1022, 1023] at index k + 1022, built by exact doubling / halving. */
const POW2 = (() => {
  const t = new Float64Array(2046);
  t[1022] = 1;
  for (let k = 1; k <= 1023; k++) t[1022 + k] = t[1021 + k] * 2;
  for (let k = 1; k <= 1022; k++) t[1022 - k] = t[1023 - k] / 2;
  return t;
})();

function scale2(y: number, k: number): number {
  if (k > 1023) return y * POW2[1022 + 1023] * POW2[1022 + (k - 1023)];
  if (k < -1022) return y * POW2[0] * POW2[1022 + (k + 1022)];
  return y * POW2[1022 + k];
}

export function exp(x: number): number {
  if (x !== x) return x;
  if (x > O_THRESHOLD) return Infinity;
  if (x < U_THRESHOLD) return 0;
  const ax = x < 0 ? -x : x;
  if (ax < 3.725290298461914e-9) return 1 + x; // |x| < 2^-28
  let k = 0;
  let hi = x;
  let lo = 0;
  if (ax > 0.34657359027997264) {
    k = Math.round(x * INV_LN2);
    hi = x - k * LN2_HI;
    lo = k * LN2_LO;
  }
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = k === 0 ? 1 - ((r * c) / (c - 2) - r) : 1 - (lo - (r * c) / (2 - c) - hi);
  return k === 0 ? y : scale2(y, k);
}

/** tanh from the portable exp (absolute error ~1e-16). */
export function tanh(x: number): number {
  if (x !== x) return x;
  const ax = x < 0 ? -x : x;
  if (ax > 22) return x < 0 ? -1 : 1;
  if (ax < 3.725290298461914e-9) return x;
  const e = exp(2 * ax);
  const t = 1 - 2 / (e + 1);
  return x < 0 ? -t : t;
}

// ---- log: fdlibm's e_log.c (error < 1 ulp), with the exponent and mantissa read through typed arrays.

const LG1 = 6.66666666666673513e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;
const TWO54 = 1.8014398509481984e16;
// The double's two 32-bit halves through aliased typed arrays (little-endian: [low, high]).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error('portable-math needs a little-endian platform');

/** Natural logarithm with the same bits in every engine (only IEEE-754 basic arithmetic). */
export function log(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let k = 0;
  F64[0] = x;
  let hx = U32[1];
  if (hx < 0x00100000) {
    // subnormal: scale up
    k -= 54;
    x *= TWO54;
    F64[0] = x;
    hx = U32[1];
  }
  k += (hx >>> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  // normalise x to [sqrt(2)/2, sqrt(2)): set the exponent to 1023 (or 1022)
  U32[1] = hx | (i ^ 0x3ff00000);
  x = F64[0];
  k += i >>> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - k * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  let j = hx - 0x6147a;
  const w = z * z;
  const j2 = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  j |= j2;
  const R = t2 + t1;
  if (j > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + R)) : k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : k * LN2_HI - (s * (f - R) - k * LN2_LO - f);
}

// ---- sin / cos: the textbook scheme (as in fdlibm): reduce x to r = x − n·π/2 with |r| ≤ π/4, carried
// as a sum r0 + r1 of two doubles, then a minimax polynomial for sin or cos on [−π/4, π/4] chosen by
// n mod 4. Error < 1 ulp. Reduction: Cody–Waite with π/2 split in three 33-bit parts for |x| < 2^19·π/2
// (every argument our code has); beyond, exact integer arithmetic with BigInt on 2/π to 1,300 bits.

/** A double from its two 32-bit halves (hex constants below are exact this way). */
function fromWords(hi: number, lo: number): number {
  U32[1] = hi;
  U32[0] = lo;
  return F64[0];
}
function highWord(x: number): number {
  F64[0] = x;
  return U32[1];
}

const INV_PIO2 = fromWords(0x3fe45f30, 0x6dc9c883); // 2/π
const PIO2_1 = fromWords(0x3ff921fb, 0x54400000); // first 33 bits of π/2
const PIO2_1T = fromWords(0x3dd0b461, 0x1a626331); // π/2 − PIO2_1
const PIO2_2 = fromWords(0x3dd0b461, 0x1a600000); // next 33 bits
const PIO2_2T = fromWords(0x3ba3198a, 0x2e037073); // π/2 − (PIO2_1 + PIO2_2)
const PIO2_3 = fromWords(0x3ba3198a, 0x2e000000); // next 33 bits
const PIO2_3T = fromWords(0x397b839a, 0x252049c1); // π/2 − (PIO2_1 + PIO2_2 + PIO2_3)
const PIO2_HI = fromWords(0x3ff921fb, 0x54442d18); // π/2 rounded
const PIO2_LO = fromWords(0x3c91a626, 0x33145c07); // π/2 − PIO2_HI

// sin(r) ≈ r + r³·(S1 + r²·S2 + … + r^10·S6) on |r| ≤ π/4
const S1 = -1.66666666666666324348e-1;
const S2 = 8.33333333332248946124e-3;
const S3 = -1.98412698298579493134e-4;
const S4 = 2.75573137070700676789e-6;
const S5 = -2.50507602534068634195e-8;
const S6 = 1.58969099521155010221e-10;
// cos(r) ≈ 1 − r²/2 + r⁴·(C1 + r²·C2 + … + r^10·C6)
const C1 = 4.16666666666666019037e-2;
const C2 = -1.38888888888741095749e-3;
const C3 = 2.48015872894767294178e-5;
const C4 = -2.75573143513906633035e-7;
const C5 = 2.0875723212981748279e-9;
const C6 = -1.13596475577881948265e-11;

/** sin(r0 + r1) for |r0 + r1| ≤ π/4, r1 a tail below r0's last bit. */
function sinKernel(r0: number, r1: number): number {
  const ar = r0 < 0 ? -r0 : r0;
  if (ar < 7.450580596923828e-9) return r0; // |r| < 2^-27: sin r = r to the last bit
  const z = r0 * r0;
  const v = z * r0;
  const p = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (r1 === 0) return r0 + v * (S1 + z * p);
  // r1 only matters in the first-order term: sin(r0 + r1) ≈ sin r0 + r1·cos r0 ≈ sin r0 + r1·(1 − z/2)
  return r0 - (z * (0.5 * r1 - v * p) - r1 - v * S1);
}

/** cos(r0 + r1) for |r0 + r1| ≤ π/4. */
function cosKernel(r0: number, r1: number): number {
  const ar = r0 < 0 ? -r0 : r0;
  if (ar < 7.450580596923828e-9) return 1; // |r| < 2^-27
  const z = r0 * r0;
  const p = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  // cos = 1 − (z/2 − (z·p − r0·r1)); for |r| ≥ 0.3 part of z/2 (an exact q ≈ z/4) is taken out of the
  // subtraction from 1 first, which keeps the rounding of 1 − z/2 below half an ulp.
  if (ar < 0.3) return 1 - (0.5 * z - (z * p - r0 * r1));
  const q = ar > 0.78125 ? 0.28125 : fromWords(highWord(ar) - 0x00200000, 0);
  return 1 - q - (0.5 * z - q - (z * p - r0 * r1));
}

/** Exact products a·b = p + e (Dekker: split into 26-bit halves, IEEE arithmetic only). */
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const sa = 134217729 * a; // 2^27 + 1
  const ah = sa - (sa - a);
  const al = a - ah;
  const sb = 134217729 * b;
  const bh = sb - (sb - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

let twoOverPiBits: bigint | undefined;
const TWO_OVER_PI_PREC = 1300n;

/** floor(2/π · 2^1300), from Machin's formula π = 16·atan(1/5) − 4·atan(1/239) in exact integers. */
function twoOverPi(): bigint {
  if (twoOverPiBits !== undefined) return twoOverPiBits;
  const guard = 64n;
  const one = 1n << (TWO_OVER_PI_PREC + guard);
  const atanInv = (k: bigint): bigint => {
    // atan(1/k) = Σ (−1)^i / ((2i+1)·k^(2i+1))
    let term = one / k;
    const k2 = k * k;
    let sum = 0n;
    for (let i = 0n; term !== 0n; i++) {
      const t = term / (2n * i + 1n);
      sum += i % 2n === 0n ? t : -t;
      term /= k2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n); // π · 2^(prec + guard), error a few units
  twoOverPiBits = (2n * one * (1n << TWO_OVER_PI_PREC)) / pi;
  return twoOverPiBits;
}

/** x = n·π/2 + (r0 + r1) for |x| ≥ 2^19·π/2, exactly in integers: returns n mod 4 (x > 0). */
function reduceHuge(x: number, out: Float64Array): number {
  F64[0] = x;
  const hi = U32[1];
  const lo = U32[0];
  const e = (hi >>> 20) - 1075; // x = m · 2^e, m an integer of 53 bits
  const m = (BigInt((hi & 0x000fffff) | 0x00100000) << 32n) | BigInt(lo);
  // x·2/π = m·T / 2^(1300 − e) with T = 2/π·2^1300
  const shift = TWO_OVER_PI_PREC - BigInt(e);
  const prod = m * twoOverPi();
  let n = prod >> shift;
  let frac = prod - (n << shift); // in [0, 2^shift)
  if (frac >= 1n << (shift - 1n)) {
    n += 1n;
    frac -= 1n << shift;
  }
  // the fraction f = frac / 2^shift in [−1/2, 1/2): keep 192 bits, as a sum of two doubles
  const f = frac >> (shift - 192n);
  const fh = Number(f);
  const fl = Number(f - BigInt(fh));
  const scale = 1 / 6277101735386680763835789423207666416102355444464034512896; // 2^-192
  const a = fh * scale;
  const b = fl * scale;
  // r = (a + b)·π/2 in double-double
  const [p, pe] = twoProd(a, PIO2_HI);
  const tail = pe + a * PIO2_LO + b * PIO2_HI;
  const r0 = p + tail;
  out[0] = r0;
  out[1] = tail - (r0 - p);
  return Number(n & 3n);
}

const RED = new Float64Array(2);

/** x = n·π/2 + RED[0] + RED[1] with |RED[0]| ≤ π/4 (about); returns n mod 4 (as 0..3). */
function reduce(x: number): number {
  const ax = x < 0 ? -x : x;
  const neg = x < 0;
  let n: number;
  if (ax < 823550.0) {
    // |x| < 2^19·π/2: n·PIO2_1 is exact for n < 2^20, the three parts give 33 + 33 + 53 bits of π/2
    n = Math.floor(ax * INV_PIO2 + 0.5);
    let r = ax - n * PIO2_1;
    let w = n * PIO2_1T;
    let y0 = r - w;
    const ex = (highWord(ax) >>> 20) & 0x7ff;
    if (ex - ((highWord(y0) >>> 20) & 0x7ff) > 16) {
      // cancellation: a second part of π/2
      let t = r;
      w = n * PIO2_2;
      r = t - w;
      w = n * PIO2_2T - (t - r - w);
      y0 = r - w;
      if (ex - ((highWord(y0) >>> 20) & 0x7ff) > 49) {
        t = r;
        w = n * PIO2_3;
        r = t - w;
        w = n * PIO2_3T - (t - r - w);
        y0 = r - w;
      }
    }
    RED[0] = y0;
    RED[1] = r - y0 - w;
    n &= 3;
  } else {
    n = reduceHuge(ax, RED);
  }
  if (neg) {
    RED[0] = -RED[0];
    RED[1] = -RED[1];
    n = (4 - n) & 3;
  }
  return n;
}

/** Sine with the same bits in every engine (error < 1 ulp). */
export function sin(x: number): number {
  const ax = x < 0 ? -x : x;
  if (ax <= 0.7853981633974483) return sinKernel(x, 0); // |x| ≤ π/4
  if (!(ax < Infinity)) return NaN;
  const n = reduce(x);
  const r0 = RED[0];
  const r1 = RED[1];
  return n === 0
    ? sinKernel(r0, r1)
    : n === 1
      ? cosKernel(r0, r1)
      : n === 2
        ? -sinKernel(r0, r1)
        : -cosKernel(r0, r1);
}

/** Cosine with the same bits in every engine (error < 1 ulp). */
export function cos(x: number): number {
  const ax = x < 0 ? -x : x;
  if (ax <= 0.7853981633974483) return cosKernel(x, 0);
  if (!(ax < Infinity)) return NaN;
  const n = reduce(x);
  const r0 = RED[0];
  const r1 = RED[1];
  return n === 0
    ? cosKernel(r0, r1)
    : n === 1
      ? -sinKernel(r0, r1)
      : n === 2
        ? -cosKernel(r0, r1)
        : sinKernel(r0, r1);
}
