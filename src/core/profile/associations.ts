/**
 * Pairwise associations and associations with the target, computed on a seeded row sample.
 * Columns enter as numeric vectors (numbers, datetimes) or categorical codes (strings, booleans,
 * and any column used as a classification target); text, id-like, constant and empty columns are
 * left out. Categoricals keep their most frequent levels (at most MAX_LEVELS − 1) and pool the rest
 * into one "other" level so contingency tables stay small.
 */
import { createRng } from '../util/random.ts';
import type { Column } from '../data/table.ts';
import { correlationRatio, cramersV, pearson } from './association-stats.ts';
import type { ColumnInfo } from './column-stats.ts';
import type { Association, AssociationMethod, TargetAssociation } from './types.ts';

export const MAX_LEVELS = 256;
export const DEFAULT_SAMPLE_ROWS = 100_000;
export const DEFAULT_MAX_ASSOCIATION_COLUMNS = 50;

export type AssocVar =
  | { readonly kind: 'num'; readonly values: Float64Array; readonly complete: boolean }
  | { readonly kind: 'cat'; readonly codes: Int32Array; readonly levels: number };

/**
 * Row indices of a uniform sample of `size` rows out of `n` (ascending), or null when size ≥ n.
 * Seeded: the same (n, size, seed) gives the same rows.
 */
export function sampleRowIndices(n: number, size: number, seed: number): Int32Array | null {
  if (!(Number.isInteger(size) && size >= 1))
    throw new Error(`sampleRows must be a positive integer, got ${size}`);
  if (size >= n) return null;
  const rng = createRng(seed);
  // Partial Fisher-Yates over 0..n−1; the first `size` slots are the sample.
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.subarray(0, size).sort();
}

/** Whether a column takes part in associations, and as what. */
export function assocKind(info: ColumnInfo): 'num' | 'cat' | null {
  const { column: c, profile: p } = info;
  if (info.idLike || p.distinct < 2) return null;
  if (c.type === 'text' || c.type === 'id') return null;
  if (c.storage === 'float64' || c.storage === 'datetime') return 'num';
  return 'cat';
}

/** The sampled vector of a column, as `kind` ('cat' on a numeric column codes its distinct values). */
export function assocVar(col: Column, kind: 'num' | 'cat', rows: Int32Array | null): AssocVar {
  const n = rows ? rows.length : col.storage === 'dict' ? col.codes.length : col.values.length;
  if (kind === 'num') {
    if (col.storage !== 'float64' && col.storage !== 'datetime') {
      throw new Error(`column '${col.name}' is not numeric`);
    }
    const values = new Float64Array(n);
    let complete = true;
    for (let i = 0; i < n; i++) {
      const v = col.values[rows ? rows[i] : i];
      values[i] = v;
      if (v !== v) complete = false;
    }
    return { kind: 'num', values, complete };
  }
  // Raw codes first (dictionary codes, 0/1 booleans, or first-seen order of numbers), then pooled.
  const raw = new Int32Array(n);
  let nRaw: number;
  if (col.storage === 'dict') {
    for (let i = 0; i < n; i++) raw[i] = col.codes[rows ? rows[i] : i];
    nRaw = col.dictionary.length;
  } else if (col.storage === 'bool') {
    for (let i = 0; i < n; i++) {
      const v = col.values[rows ? rows[i] : i];
      raw[i] = v === 0 || v === 1 ? v : -1;
    }
    nRaw = 2;
  } else {
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = col.values[rows ? rows[i] : i];
      if (v !== v) {
        raw[i] = -1;
        continue;
      }
      let c = seen.get(v);
      if (c === undefined) {
        c = seen.size;
        seen.set(v, c);
      }
      raw[i] = c;
    }
    nRaw = seen.size;
  }
  const counts = new Int32Array(nRaw);
  for (let i = 0; i < n; i++) if (raw[i] >= 0) counts[raw[i]]++;
  let used = 0;
  for (let c = 0; c < nRaw; c++) if (counts[c] > 0) used++;
  const map = new Int32Array(nRaw).fill(-1);
  let levels: number;
  if (used <= MAX_LEVELS) {
    levels = 0;
    for (let c = 0; c < nRaw; c++) if (counts[c] > 0) map[c] = levels++;
  } else {
    const order = Array.from({ length: nRaw }, (_, c) => c).sort((a, b) => counts[b] - counts[a] || a - b);
    for (let r = 0; r < nRaw; r++) map[order[r]] = r < MAX_LEVELS - 1 ? r : MAX_LEVELS - 1;
    levels = MAX_LEVELS;
  }
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) codes[i] = raw[i] < 0 ? -1 : map[raw[i]];
  return { kind: 'cat', codes, levels };
}

/** The association between two prepared vectors, by their kinds. */
export function associate(a: AssocVar, b: AssocVar): { method: AssociationMethod; value: number } {
  if (a.kind === 'num' && b.kind === 'num') return { method: 'pearson', value: pearson(a.values, b.values) };
  if (a.kind === 'cat' && b.kind === 'cat') {
    return { method: 'cramers-v', value: cramersV(a.codes, a.levels, b.codes, b.levels) };
  }
  const num = a.kind === 'num' ? a : (b as Extract<AssocVar, { kind: 'num' }>);
  const cat = a.kind === 'cat' ? a : (b as Extract<AssocVar, { kind: 'cat' }>);
  return { method: 'correlation-ratio', value: correlationRatio(num.values, cat.codes, cat.levels) };
}

/** Standardised copy (mean 0, Σz² = 1) of a complete numeric vector, or null if it has no variance. */
function unitScaled(values: Float64Array): Float64Array | null {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  if (!(ss > 0) || !Number.isFinite(ss)) return null;
  const inv = 1 / Math.sqrt(ss);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = (values[i] - mean) * inv;
  return z;
}

export interface PairwiseResult {
  readonly associations: Association[];
  readonly truncated: boolean;
}

/**
 * Associations between every pair of eligible columns, at most `maxColumns` of them: the target
 * first (when given), then the columns with the fewest missing values (ties: table order).
 * Pairs are listed in table order.
 */
export function pairwiseAssociations(
  infos: readonly ColumnInfo[],
  rows: Int32Array | null,
  maxColumns: number,
  target?: string,
): PairwiseResult {
  if (!(Number.isInteger(maxColumns) && maxColumns >= 0)) {
    throw new Error(`maxAssociationColumns must be a non-negative integer, got ${maxColumns}`);
  }
  const eligible = infos.filter((c) => assocKind(c) !== null);
  const ranked = [...eligible].sort(
    (a, b) =>
      Number(b.profile.name === target) - Number(a.profile.name === target) ||
      a.profile.missing - b.profile.missing ||
      a.index - b.index,
  );
  const chosen = ranked.slice(0, maxColumns).sort((a, b) => a.index - b.index);
  const vars = chosen.map((c) => assocVar(c.column, assocKind(c)!, rows));
  const scaled = vars.map((v) => (v.kind === 'num' && v.complete ? unitScaled(v.values) : null));
  const out: Association[] = [];
  for (let i = 0; i < chosen.length; i++) {
    for (let j = i + 1; j < chosen.length; j++) {
      const a = vars[i];
      const b = vars[j];
      let res: { method: AssociationMethod; value: number };
      const za = scaled[i];
      const zb = scaled[j];
      if (za && zb) {
        // Both complete and non-constant: r is the dot product of the unit-scaled vectors.
        let dot = 0;
        for (let r = 0; r < za.length; r++) dot += za[r] * zb[r];
        res = { method: 'pearson', value: Math.max(-1, Math.min(1, dot)) };
      } else {
        res = associate(a, b);
      }
      out.push({ a: chosen[i].profile.name, b: chosen[j].profile.name, ...res });
    }
  }
  return { associations: out, truncated: chosen.length < eligible.length };
}

/**
 * Association of every eligible column with the target, strongest first (NaN last; ties: table
 * order). A classification target is taken as categorical (η for numeric features, Cramér's V for
 * categorical ones); a regression target as numeric (Pearson r, or η for categorical features).
 */
export function targetAssociations(
  infos: readonly ColumnInfo[],
  target: ColumnInfo,
  classification: boolean,
  rows: Int32Array | null,
): TargetAssociation[] {
  const tKind = classification ? 'cat' : 'num';
  if (tKind === 'num' && target.column.storage !== 'float64' && target.column.storage !== 'datetime')
    return [];
  const t = assocVar(target.column, tKind, rows);
  const out: (TargetAssociation & { index: number })[] = [];
  for (const info of infos) {
    if (info === target) continue;
    const kind = assocKind(info);
    if (!kind) continue;
    const { method, value } = associate(assocVar(info.column, kind, rows), t);
    const strength = Number.isNaN(value) ? 0 : Math.abs(value);
    out.push({ column: info.profile.name, method, value, strength, index: info.index });
  }
  out.sort((a, b) => b.strength - a.strength || a.index - b.index);
  return out.map(({ column, method, value, strength }) => ({ column, method, value, strength }));
}
