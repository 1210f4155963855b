/**
 * Model-agnostic Shapley values by permutation sampling (Štrumbelj & Kononenko, "Explaining prediction
 * models and individual predictions with feature contributions", 2014; shap's PermutationExplainer),
 * for models without an exact form (MLPs, ensembles). The players are the user's input columns, so
 * the whole pipeline sees each coalition and the attributions are per column as the user knows them.
 *
 * A column outside the coalition takes its value from a background row (interventional Shapley values
 * under feature independence, as KernelSHAP). For a row x, a permutation π of the columns and a
 * background row b, the walk z₀ = b, z_k = z_{k−1} with column π_k taken from x, ends at z_M = x; column
 * π_k's marginal contribution is f(z_k) − f(z_{k−1}). The value of a column is its mean marginal
 * contribution over the permutations and the background rows. Every walk telescopes to f(x) − f(b), so
 * base value (the mean of f over the background) + contributions = f(x) for every row, whatever the
 * number of permutations: additivity is exact, only the split between columns is estimated.
 *
 * Permutations come in antithetic pairs (π and its reverse), seeded per call; the standard error of a
 * value is the spread of the pair means over √pairs. When M! permutations are no more than asked for,
 * all of them are walked and the values are exact (the Shapley values w.r.t. the background rows), with
 * a standard error of 0.
 */
import type { Table } from '../data/table.ts';
import { createRng, type Rng } from '../util/random.ts';
import { gatherColumn } from './permutation.ts';

export interface SamplingShapOptions {
  /** The explained output for every row of a table, row-major (nRows × nGroups). */
  readonly output: (table: Table) => Float64Array;
  readonly nGroups: number;
  /** The players: columns of the table. Other columns keep the explained row's value. */
  readonly columns: readonly string[];
  /** Rows of the table that absent columns take their values from. */
  readonly background: ArrayLike<number>;
  /** Permutations walked per row (rounded up to an even number; default 8). */
  readonly permutations?: number;
  readonly seed?: number;
  /** Most rows passed to `output` at once (default 20,000; at least one explained row's walks). */
  readonly batchRows?: number;
  /** Called after each batch with the rows explained so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SamplingShapResult {
  /** [row][group][column…, bias]: (columns + 1) values per row and group, as treeShap's. */
  readonly values: Float64Array;
  /** Standard error of each value, [row][group][column] (0 when exact). */
  readonly stderr: Float64Array;
  /** True when every permutation was walked (the values are exact w.r.t. the background). */
  readonly exact: boolean;
  /** Permutations walked per row. */
  readonly permutations: number;
}

function factorial(m: number): number {
  let f = 1;
  for (let k = 2; k <= m; k++) f *= k;
  return f;
}

/** Every permutation of 0..m-1 (for small m). */
function allPermutations(m: number): Int32Array[] {
  const out: Int32Array[] = [];
  const a = Int32Array.from({ length: m }, (_, i) => i);
  const rec = (k: number): void => {
    if (k === m) {
      out.push(a.slice());
      return;
    }
    for (let i = k; i < m; i++) {
      [a[k], a[i]] = [a[i]!, a[k]!];
      rec(k + 1);
      [a[k], a[i]] = [a[i]!, a[k]!];
    }
  };
  rec(0);
  return out;
}

function randomPermutation(rng: Rng, m: number): Int32Array {
  const p = Int32Array.from({ length: m }, (_, i) => i);
  for (let i = m - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function gatherTable(table: Table, order: ArrayLike<number>): Table {
  return { nRows: order.length, columns: table.columns.map((c) => gatherColumn(c, order)) };
}

/** Shapley values of `rows` of `table` (see the file comment). */
export function samplingShap(
  table: Table,
  rows: ArrayLike<number>,
  options: SamplingShapOptions,
): SamplingShapResult {
  const G = options.nGroups;
  const M = options.columns.length;
  const n = rows.length;
  const B = options.background.length;
  if (B < 1) throw new RangeError('sampling SHAP needs at least one background row');
  const player = new Int32Array(table.columns.length).fill(-1);
  options.columns.forEach((name, j) => {
    const k = table.columns.findIndex((c) => c.name === name);
    if (k < 0) throw new Error(`sampling SHAP: no column "${name}"`);
    player[k] = j;
  });
  const asked = Math.max(2, Math.ceil((options.permutations ?? 8) / 2) * 2);
  const exact = factorial(M) <= asked;
  const fixed = exact ? allPermutations(M) : null;
  const P = fixed ? fixed.length : asked;
  const rng = createRng(options.seed ?? 0);
  const width = M + 1;
  const values = new Float64Array(n * G * width);
  const stderr = new Float64Array(n * G * M);

  const check = (out: Float64Array, rowsIn: number): Float64Array => {
    if (out.length !== rowsIn * G)
      throw new Error(`sampling SHAP: the model gave ${out.length} values for ${rowsIn} rows × ${G}`);
    return out;
  };
  const fB = check(options.output(gatherTable(table, options.background)), B);
  const base = new Float64Array(G);
  for (let b = 0; b < B; b++) for (let g = 0; g < G; g++) base[g] += fB[b * G + g]! / B;
  const fX = check(options.output(gatherTable(table, rows)), n);
  for (let i = 0; i < n; i++) for (let g = 0; g < G; g++) values[(i * G + g) * width + M] = base[g]!;
  if (M === 0 || n === 0) return { values, stderr, exact: true, permutations: P };
  if (M === 1) {
    // One player: its value is f(x) − base, exactly.
    for (let i = 0; i < n; i++)
      for (let g = 0; g < G; g++) values[(i * G + g) * width] = fX[i * G + g]! - base[g]!;
    return { values, stderr, exact: true, permutations: P };
  }

  // Synthetic rows per explained row: z_1 … z_{M-1} for every permutation and background row.
  const S = P * B * (M - 1);
  const perBatch = Math.max(1, Math.floor((options.batchRows ?? 20_000) / S));
  const nCols = table.columns.length;
  const marg = new Float64Array(P * M * G); // mean marginal contribution per permutation, player, group
  for (let r0 = 0; r0 < n; r0 += perBatch) {
    const r1 = Math.min(n, r0 + perBatch);
    const T = (r1 - r0) * S;
    const src = Array.from({ length: nCols }, () => new Int32Array(T));
    const perms: Int32Array[][] = [];
    const pos = new Int32Array(M);
    let t = 0;
    for (let r = r0; r < r1; r++) {
      const xi = rows[r]!;
      let ps: Int32Array[];
      if (fixed) ps = fixed;
      else {
        ps = [];
        for (let k = 0; k < P / 2; k++) {
          const p = randomPermutation(rng, M);
          ps.push(p, p.slice().reverse());
        }
      }
      perms.push(ps);
      for (const perm of ps) {
        for (let k = 0; k < M; k++) pos[perm[k]!] = k;
        for (let b = 0; b < B; b++) {
          const bi = options.background[b]!;
          for (let k = 1; k < M; k++) {
            for (let c = 0; c < nCols; c++) {
              const j = player[c]!;
              src[c]![t] = j < 0 || pos[j]! < k ? xi : bi;
            }
            t++;
          }
        }
      }
    }
    const synth: Table = { nRows: T, columns: table.columns.map((c, k) => gatherColumn(c, src[k]!)) };
    const f = check(options.output(synth), T);
    for (let r = r0; r < r1; r++) {
      marg.fill(0);
      const ps = perms[r - r0]!;
      const off = (r - r0) * S;
      for (let p = 0; p < P; p++) {
        const perm = ps[p]!;
        for (let b = 0; b < B; b++) {
          const walk = off + (p * B + b) * (M - 1);
          for (let k = 1; k <= M; k++) {
            const j = perm[k - 1]!;
            for (let g = 0; g < G; g++) {
              const prev = k === 1 ? fB[b * G + g]! : f[(walk + k - 2) * G + g]!;
              const next = k === M ? fX[r * G + g]! : f[(walk + k - 1) * G + g]!;
              marg[(p * M + j) * G + g] += (next - prev) / B;
            }
          }
        }
      }
      for (let g = 0; g < G; g++) {
        const at = (r * G + g) * width;
        for (let j = 0; j < M; j++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += marg[(p * M + j) * G + g]!;
          const mean = s / P;
          values[at + j] = mean;
          if (fixed) continue;
          // Standard error from the antithetic pair means (independent draws).
          const pairs = P / 2;
          let ss = 0;
          for (let q = 0; q < pairs; q++) {
            const a = (marg[(2 * q * M + j) * G + g]! + marg[((2 * q + 1) * M + j) * G + g]!) / 2;
            ss += (a - mean) ** 2;
          }
          stderr[(r * G + g) * M + j] = pairs > 1 ? Math.sqrt(ss / (pairs - 1) / pairs) : NaN;
        }
      }
    }
    options.onProgress?.(r1, n);
  }
  return { values, stderr, exact, permutations: P };
}
