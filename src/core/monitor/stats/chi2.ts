/**
 * Pearson's χ² test of independence on a contingency table, as SciPy's `chi2_contingency(table)`
 * with its defaults: expected counts from the margins, Yates' continuity correction when the table
 * has one degree of freedom (each |observed − expected| reduced by up to ½), p = P(χ²_dof ≥ stat).
 * For drift the table is 2 × k: reference counts and batch counts over the k categories seen in
 * either (categories with no count on both rows must be left out by the caller).
 */
import { chi2Sf } from './special.ts';

export interface Chi2Result {
  readonly statistic: number;
  readonly pvalue: number;
  readonly dof: number;
}

export function chi2Contingency(table: readonly (readonly number[])[]): Chi2Result {
  const r = table.length;
  const c = r ? table[0]!.length : 0;
  if (r < 2 || c < 1) throw new RangeError('chi2Contingency needs a table with at least 2 rows');
  const rowSums = new Float64Array(r);
  const colSums = new Float64Array(c);
  let total = 0;
  for (let i = 0; i < r; i++) {
    const row = table[i]!;
    if (row.length !== c) throw new RangeError('chi2Contingency: rows of different lengths');
    for (let j = 0; j < c; j++) {
      const v = row[j]!;
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`chi2Contingency: bad count ${v}`);
      rowSums[i]! += v;
      colSums[j]! += v;
      total += v;
    }
  }
  for (let j = 0; j < c; j++) {
    if (colSums[j] === 0) throw new RangeError(`chi2Contingency: column ${j} has no counts`);
  }
  for (let i = 0; i < r; i++) {
    if (rowSums[i] === 0) throw new RangeError(`chi2Contingency: row ${i} has no counts`);
  }
  const dof = (r - 1) * (c - 1);
  if (dof === 0) return { statistic: 0, pvalue: 1, dof: 0 };
  let stat = 0;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const expected = (rowSums[i]! * colSums[j]!) / total;
      let diff = table[i]![j]! - expected;
      if (dof === 1) {
        const corr = Math.min(0.5, Math.abs(diff));
        diff = Math.sign(diff) * (Math.abs(diff) - corr);
      }
      stat += (diff * diff) / expected;
    }
  }
  return { statistic: stat, pvalue: chi2Sf(stat, dof), dof };
}
