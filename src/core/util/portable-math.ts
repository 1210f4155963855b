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
