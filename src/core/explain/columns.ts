/**
 * Attributions back to the user's columns: one-hot, target-encoded, date-part and missing-indicator
 * features are summed into the input column they came from (the pipeline's `sources`), so a person
 * sees "tenure", not "onehot_tenure_3". Sums keep additivity: bias + Σ columns = the model output.
 */

export interface ColumnAttributions {
  /** The input columns, in first-appearance order of their features. */
  readonly columns: readonly string[];
  /** [row][group][column…, bias]: (columns.length + 1) values per row and group. */
  readonly values: Float64Array;
  readonly nRows: number;
  readonly nGroups: number;
}

/**
 * Sums per-feature attributions laid out [row][group][feature…, bias] (as `treeShap` returns) into
 * per-column ones, given each feature's source column.
 */
export function sumBySource(
  phi: Float64Array,
  nRows: number,
  nGroups: number,
  sources: readonly string[],
): ColumnAttributions {
  const nF = sources.length;
  if (phi.length !== nRows * nGroups * (nF + 1)) {
    throw new RangeError(`attributions: expected ${nRows * nGroups * (nF + 1)} values, got ${phi.length}`);
  }
  const columns: string[] = [];
  const index = new Map<string, number>();
  const target = sources.map((s) => {
    let k = index.get(s);
    if (k === undefined) {
      k = columns.push(s) - 1;
      index.set(s, k);
    }
    return k;
  });
  const C = columns.length;
  const values = new Float64Array(nRows * nGroups * (C + 1));
  for (let r = 0; r < nRows * nGroups; r++) {
    const src = r * (nF + 1);
    const dst = r * (C + 1);
    for (let j = 0; j < nF; j++) values[dst + target[j]!] += phi[src + j]!;
    values[dst + C] = phi[src + nF]!;
  }
  return { columns, values, nRows, nGroups };
}

/** Mean |attribution| per column (over rows, summed over groups), largest first. */
export function meanAbsByColumn(a: ColumnAttributions): { column: string; meanAbs: number }[] {
  const C = a.columns.length;
  const out = a.columns.map((column) => ({ column, meanAbs: 0 }));
  for (let i = 0; i < a.nRows; i++) {
    for (let g = 0; g < a.nGroups; g++) {
      const base = (i * a.nGroups + g) * (C + 1);
      for (let c = 0; c < C; c++) out[c]!.meanAbs += Math.abs(a.values[base + c]!);
    }
  }
  for (const o of out) o.meanAbs /= Math.max(1, a.nRows);
  return out.sort((x, y) => y.meanAbs - x.meanAbs);
}
