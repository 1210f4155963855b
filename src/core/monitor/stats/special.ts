/**
 * Special functions for the drift tests' p-values: log-gamma, the regularized incomplete gamma
 * functions, and from them the χ² and standard normal survival functions.
 *
 * The incomplete gamma follows the classic split (a power series below x < a + 1 — here, as in
 * Cephes, `x < 1 || x < a` — and Legendre's continued fraction above, evaluated with rescaled
 * convergents), to full double precision. The normal survival function is Q(½, z²/2)/2, so it keeps
 * its relative accuracy far in the tail (no 1 − Φ cancellation).
 */

const MACHEP = 1.1102230246251565e-16;
const BIG = 4503599627370496.0;
const BIG_INV = 2.220446049250313e-16;
const MAXLOG = 709.782712893384;

/** Lanczos coefficients (g = 7, n = 9): |relative error| < 2e-15 over the positive reals. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  // Exact for small integers and half-integers, which are the usual χ² shapes (dof / 2).
  if (x <= 171 && Number.isInteger(2 * x)) return Math.log(gammaHalfInteger(x));
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Γ(x) for x a positive integer or half-integer ≤ 171, by the recurrence from Γ(1) or Γ(½). */
function gammaHalfInteger(x: number): number {
  let g = Number.isInteger(x) ? 1 : Math.sqrt(Math.PI);
  for (let v = Number.isInteger(x) ? 1 : 0.5; v < x; v += 1) g *= v;
  return g;
}

/** Regularized lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`gammaP needs a > 0, got ${a}`);
  if (!(x > 0)) return 0;
  if (x > 1 && x > a) return 1 - gammaQ(a, x);
  return seriesP(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x). */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`gammaQ needs a > 0, got ${a}`);
  if (!(x > 0)) return 1;
  if (x === Infinity) return 0;
  if (x < 1 || x < a) return 1 - seriesP(a, x);
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (logPrefix < -MAXLOG) return 0;
  const prefix = Math.exp(logPrefix);
  // Continued fraction for Q, convergents p_k / q_k rescaled when they grow large.
  let y = 1 - a;
  let z = x + y + 1;
  let c = 0;
  let pkm2 = 1;
  let qkm2 = x;
  let pkm1 = x + 1;
  let qkm1 = z * x;
  let ans = pkm1 / qkm1;
  let t: number;
  do {
    c += 1;
    y += 1;
    z += 2;
    const yc = y * c;
    const pk = pkm1 * z - pkm2 * yc;
    const qk = qkm1 * z - qkm2 * yc;
    if (qk !== 0) {
      const r = pk / qk;
      t = Math.abs((ans - r) / r);
      ans = r;
    } else {
      t = 1;
    }
    pkm2 = pkm1;
    pkm1 = pk;
    qkm2 = qkm1;
    qkm1 = qk;
    if (Math.abs(pk) > BIG) {
      pkm2 *= BIG_INV;
      pkm1 *= BIG_INV;
      qkm2 *= BIG_INV;
      qkm1 *= BIG_INV;
    }
  } while (t > MACHEP);
  return ans * prefix;
}

function seriesP(a: number, x: number): number {
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (logPrefix < -MAXLOG) return 0;
  let r = a;
  let c = 1;
  let sum = 1;
  do {
    r += 1;
    c *= x / r;
    sum += c;
  } while (c / sum > MACHEP);
  return (sum * Math.exp(logPrefix)) / a;
}

/** P(X > x) for X ~ χ²(dof). */
export function chi2Sf(x: number, dof: number): number {
  if (!(dof > 0)) throw new RangeError(`chi2Sf needs dof > 0, got ${dof}`);
  if (Number.isNaN(x)) return NaN;
  return gammaQ(dof / 2, x / 2);
}

/** P(Z > z) for Z ~ N(0, 1). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === 0) return 0.5;
  const tail = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z > 0 ? tail : 1 - tail;
}
