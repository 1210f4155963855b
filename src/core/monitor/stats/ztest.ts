/**
 * Two-proportion z-test (pooled), for columns with two values: is the share of one value in the
 * batch different from the reference's? z = (p₁ − p₂) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)) with the pooled
 * share p̂; two-sided p = 2·P(Z > |z|). When both samples hold only one value the shares are equal
 * and p = 1.
 */
import { normalSf } from './special.ts';

export interface ZTestResult {
  readonly statistic: number;
  readonly pvalue: number;
}

export function proportionZTest(count1: number, n1: number, count2: number, n2: number): ZTestResult {
  if (!(n1 > 0 && n2 > 0)) throw new RangeError('proportionZTest needs two non-empty samples');
  if (count1 < 0 || count1 > n1 || count2 < 0 || count2 > n2) {
    throw new RangeError('proportionZTest: a count is outside [0, n]');
  }
  const p1 = count1 / n1;
  const p2 = count2 / n2;
  const pooled = (count1 + count2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pvalue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pvalue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}
