/**
 * exp and tanh that give the same bits in every JavaScript engine. `Math.exp`, `Math.tanh` and
 * friends are implementation-defined: Node 20's V8 and Chromium 156's V8 differ in the last bit for
 * about 10% of arguments, which breaks "a bundle predicts identically in Node and in the browser".
 * These use only IEEE-754 basic arithmetic (+ − × ÷ and Math.round), which is exact everywhere.
 * exp is fdlibm's e_exp.c algorithm (error < 1 ulp).
 */

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
