/**
 * Data-quality warnings in plain language. Each concerns one column (or, for duplicate rows, the
 * whole table). Thresholds:
 * - all-missing: no values; mostly-missing: more than 50% missing;
 * - constant: a single distinct value among the present ones;
 * - id-like: a different value in every row (see `isIdLike`);
 * - high-cardinality: a categorical (not id-like) with > 50 distinct values that are > 5% of rows;
 * - duplicate-rows: rows repeating an earlier row in every column;
 * - class-imbalance (classification target): smallest class < 10% of rows for two classes (a fifth
 *   of its balanced share 1/k for k classes), or largest/smallest > 10;
 * - target-missing: rows without a target value;
 * - leakage-suspect: a feature that predicts the target almost perfectly — |Pearson r|, η or
 *   Cramér's V above 0.95, or a categorical with at least 3 repeated levels, each mapping to one
 *   class (≥ 99% purity, when the largest class is ≤ 90% of rows). Id-like columns and the target itself are not checked.
 */
import type { ColumnInfo } from './column-stats.ts';
import type { ProfileWarning, TargetAssociation, TaskDetection } from './types.ts';
import { assocKind, assocVar } from './associations.ts';
import { levelPurity } from './association-stats.ts';
import { sortFloat64 } from './sort.ts';

export const HIGH_CARDINALITY_DISTINCT = 50;
export const HIGH_CARDINALITY_ROW_FRACTION = 0.05;
export const LEAKAGE_THRESHOLD = 0.95;
export const IMBALANCE_MIN_SHARE = 0.1;
export const IMBALANCE_MAX_RATIO = 10;

function pct(x: number): string {
  if (x === 0) return '0%';
  if (x < 0.1) return '<0.1%';
  return `${x < 10 ? x.toFixed(1) : Math.round(x)}%`;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function columnWarnings(infos: readonly ColumnInfo[], nRows: number): ProfileWarning[] {
  const out: ProfileWarning[] = [];
  for (const info of infos) {
    const p = info.profile;
    const column = p.name;
    if (nRows > 0 && info.nonMissing === 0) {
      out.push({
        kind: 'all-missing',
        severity: 'warning',
        column,
        message: `'${column}' is empty in every row; it carries no information and can be dropped.`,
      });
      continue;
    }
    if (p.missingPct > 50) {
      out.push({
        kind: 'mostly-missing',
        severity: 'warning',
        column,
        message: `'${column}' is missing in ${pct(p.missingPct)} of rows (${plural(p.missing, 'row')}); it may be of little use, or its absence itself may mean something.`,
      });
    }
    if (p.distinct === 1) {
      const v = p.top[0]?.value ?? '';
      out.push({
        kind: 'constant',
        severity: 'warning',
        column,
        message: `'${column}' has the same value ('${v}') in every row${p.missing > 0 ? ' where it is filled in' : ''}; it cannot help a model and can be dropped.`,
      });
    }
    if (info.idLike) {
      out.push({
        kind: 'id-like',
        severity: 'info',
        column,
        message: `'${column}' has a different value in every row, like an ID or row number; it should not be used to predict (it will be ignored as a feature).`,
      });
    } else if (
      info.column.type === 'categorical' &&
      p.distinct > HIGH_CARDINALITY_DISTINCT &&
      p.distinct > HIGH_CARDINALITY_ROW_FRACTION * info.nonMissing
    ) {
      out.push({
        kind: 'high-cardinality',
        severity: 'info',
        column,
        message: `'${column}' has many different values (${plural(p.distinct, 'category', 'categories')} in ${plural(info.nonMissing, 'row')}); most appear only a few times, which makes them hard to learn from.`,
      });
    }
  }
  return out;
}

export function duplicateWarning(duplicates: number, nRows: number): ProfileWarning[] {
  if (duplicates === 0) return [];
  return [
    {
      kind: 'duplicate-rows',
      severity: 'warning',
      message: `${plural(duplicates, 'row')} (${pct((100 * duplicates) / nRows)}) ${duplicates === 1 ? 'is an exact copy' : 'are exact copies'} of another row. Duplicates can make test scores look better than they are.`,
    },
  ];
}

export function targetWarnings(
  infos: readonly ColumnInfo[],
  target: ColumnInfo,
  task: TaskDetection | undefined,
  assocs: readonly TargetAssociation[],
  rows: Int32Array | null,
): ProfileWarning[] {
  const out: ProfileWarning[] = [];
  const name = target.profile.name;
  if (target.profile.missing > 0 && target.nonMissing > 0) {
    out.push({
      kind: 'target-missing',
      severity: 'warning',
      column: name,
      message: `The target '${name}' is missing in ${plural(target.profile.missing, 'row')} (${pct(target.profile.missingPct)}); those rows cannot be used for training.`,
    });
  }
  const classification = task !== undefined && task.task !== 'regression';
  if (classification && task.classes && task.classes.length >= 2) {
    const classes = task.classes;
    const total = classes.reduce((s, c) => s + c.count, 0);
    let minority = classes[0];
    let majority = classes[0];
    for (const c of classes) {
      if (c.count < minority.count) minority = c;
      if (c.count > majority.count) majority = c;
    }
    const share = minority.count / total;
    const ratio = majority.count / minority.count;
    // 10% of rows for two classes; for k classes, a fifth of the balanced share 1/k.
    const minShare = (2 * IMBALANCE_MIN_SHARE) / classes.length;
    if (share < minShare || ratio > IMBALANCE_MAX_RATIO) {
      out.push({
        kind: 'class-imbalance',
        severity: 'warning',
        column: name,
        message: `The classes of '${name}' are very unequal: '${minority.value}' has only ${plural(minority.count, 'row')} (${pct(100 * share)}) while '${majority.value}' has ${plural(majority.count, 'row')} (${Math.round(ratio)}× more). Accuracy can look high by always guessing '${majority.value}'; judge models by balanced metrics.`,
      });
    }
  }
  // Leakage: near-perfect association with the target.
  const byName = new Map(infos.map((c) => [c.profile.name, c]));
  const flagged = new Set<string>();
  const targetCodes = classification ? assocVar(target.column, 'cat', rows) : null;
  for (const a of assocs) {
    const info = byName.get(a.column);
    if (!info || info.idLike || info === target || !(a.strength > LEAKAGE_THRESHOLD)) continue;
    if (a.method === 'correlation-ratio') {
      if (targetCodes?.kind === 'cat') {
        // η here says the class pins down the feature; leakage needs the converse, so also ask that
        // narrow ranges of the feature hold a single class.
        const f = assocVar(info.column, 'num', rows);
        if (f.kind !== 'num') continue;
        const bins = quantileBins(f.values, 100);
        const { purity } = levelPurity(bins.codes, bins.levels, targetCodes.codes, targetCodes.levels);
        if (!(purity >= 0.95)) continue;
      } else if (info.profile.distinct > HIGH_CARDINALITY_ROW_FRACTION * info.nonMissing) {
        continue; // many small groups make η large by chance
      }
    }
    flagged.add(a.column);
    const how =
      a.method === 'pearson'
        ? `a correlation of ${a.value.toFixed(3)}`
        : a.method === 'cramers-v'
          ? `an association (Cramér's V) of ${a.value.toFixed(3)}`
          : `an association (correlation ratio) of ${a.value.toFixed(3)}`;
    out.push(leak(a.column, name, how));
  }
  const classes = task?.classes ?? [];
  const total = classes.reduce((s, c) => s + c.count, 0);
  const baseline = total === 0 ? 1 : Math.max(...classes.map((c) => c.count)) / total;
  if (classification && baseline <= 0.9) {
    const t = targetCodes;
    if (t?.kind === 'cat') {
      for (const info of infos) {
        if (info === target || info.idLike || flagged.has(info.profile.name)) continue;
        if (info.column.storage !== 'dict' || assocKind(info) !== 'cat') continue;
        const f = assocVar(info.column, 'cat', rows);
        if (f.kind !== 'cat') continue;
        const { purity, coverage, levels } = levelPurity(f.codes, f.levels, t.codes, t.levels);
        if (levels >= 3 && coverage >= 0.5 && purity >= 0.99) {
          out.push(
            leak(
              info.profile.name,
              name,
              `each of its ${levels} repeated values belonging to a single class`,
            ),
          );
        }
      }
    }
  }
  return out;
}

function leak(column: string, target: string, how: string): ProfileWarning {
  return {
    kind: 'leakage-suspect',
    severity: 'warning',
    column,
    message: `'${column}' predicts the target '${target}' almost perfectly (${how}). Check it is known before the outcome; if it is recorded after or derived from '${target}', it leaks the answer and should be dropped.`,
  };
}

/** Codes of equal-frequency bins (at most `bins`) of numeric values; NaN → −1. */
export function quantileBins(values: Float64Array, bins: number): { codes: Int32Array; levels: number } {
  const sorted = sortFloat64(values.filter((v) => v === v));
  const m = sorted.length;
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const e = sorted[Math.floor((b * m) / bins)];
    if (m > 0 && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
  }
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) {
      codes[i] = -1;
      continue;
    }
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    codes[i] = lo;
  }
  return { codes, levels: edges.length + 1 };
}
