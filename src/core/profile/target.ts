/**
 * Target suggestion and task detection.
 *
 * Task rules (on the target's non-missing values):
 * - boolean, or exactly 2 distinct values → binary;
 * - strings (categorical/id/text) → multiclass;
 * - integers with ≤ 20 distinct values that are also ≤ 5% of the rows → multiclass (codes);
 * - other numbers → regression.
 * Fewer than 2 distinct values, datetimes and empty columns cannot be targets (clear error).
 *
 * Suggestion: among plausible columns (not id-like, ≥ 2 distinct values, ≤ 50% missing, not
 * text/datetime/id, strings with few enough classes) score each: a name like a target (exact
 * "target", "label", "class", … > a word of the name > a camel-case part), being the last column,
 * being the first column, and being the only categorical column in an otherwise numeric table
 * (when it is the first or last column).
 */
import type { Table } from '../data/table.ts';
import { MAX_TOP_VALUES, profileColumns, type ColumnInfo } from './column-stats.ts';
import type { TargetSuggestion, TaskDetection, TopValue } from './types.ts';

export const MAX_CLASSES = 50;
const MAX_INT_CLASSES = 20;
const INT_CLASS_ROW_FRACTION = 0.05;

/** Names that usually mean "the thing to predict". */
const TARGET_WORDS = new Set([
  'target',
  'label',
  'labels',
  'class',
  'classes',
  'outcome',
  'response',
  'churn',
  'churned',
  'price',
  'saleprice',
  'species',
  'survived',
  'diagnosis',
  'default',
  'fraud',
  'isfraud',
  'result',
  'quality',
  'sentiment',
  'attrition',
  'defaulted',
  'approved',
  'income',
]);

function words(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function camelWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/**
 * How strongly a name reads like a target: 3 exact, 2 a word of it, 1 a camel-case part, 0 none.
 * A column named just "y" scores 2, unless the table also has an "x" (then it is a coordinate).
 */
export function targetNameScore(name: string, allNames: readonly string[] = []): number {
  const compact = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (TARGET_WORDS.has(compact)) return 3;
  if (compact === 'y') return allNames.some((n) => n.toLowerCase() === 'x') ? 0 : 2;
  if (words(name).some((w) => TARGET_WORDS.has(w))) return 2;
  if (camelWords(name).some((w) => TARGET_WORDS.has(w))) return 1;
  return 0;
}

function labelList(top: readonly TopValue[], max = 5): string {
  const shown = top.slice(0, max).map((t) => t.value);
  const sorted = [...shown].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return sorted.join(' / ') + (top.length > max ? ' / …' : '');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

/** All classes of a classification target with counts, most frequent first. */
function classesOf(info: ColumnInfo): TopValue[] {
  const c = info.column;
  if (info.profile.distinct <= MAX_TOP_VALUES && c.storage !== 'bool') {
    // The profile's top values already list every value with its count.
    return [...info.profile.top].sort(
      (a, b) =>
        b.count - a.count ||
        (c.storage === 'float64' ? Number(a.value) - Number(b.value) : a.value.localeCompare(b.value)),
    );
  }
  if (c.storage === 'dict') {
    const counts = new Map<number, number>();
    for (let i = 0; i < c.codes.length; i++) {
      const k = c.codes[i];
      if (k >= 0) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts]
      .map(([k, n]) => ({ value: c.dictionary[k], count: n }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  }
  if (c.storage === 'float64') {
    const counts = new Map<number, number>();
    for (let i = 0; i < c.values.length; i++) {
      const v = c.values[i];
      if (v === v) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    return [...counts]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .map(([v, n]) => ({ value: String(v), count: n }));
  }
  return [...info.profile.top];
}

/** Task detection from a profiled column; throws a specific error when it cannot be a target. */
export function detectTaskForColumn(info: ColumnInfo): TaskDetection {
  const p = info.profile;
  const c = info.column;
  if (info.nonMissing === 0) throw new Error(`column '${p.name}' has no values, so it cannot be the target`);
  if (c.storage === 'datetime') {
    throw new Error(
      `column '${p.name}' holds dates; predicting a date is not supported — pick another target`,
    );
  }
  if (p.distinct < 2) {
    const only = p.top[0]?.value ?? '';
    throw new Error(`column '${p.name}' has a single value ('${only}'), so there is nothing to predict`);
  }
  if (c.storage === 'bool') {
    const classes = classesOf(info);
    return { task: 'binary', reason: `2 distinct values: ${labelList(classes)} (a yes/no column)`, classes };
  }
  if (p.distinct === 2) {
    const classes = classesOf(info);
    return { task: 'binary', reason: `2 distinct values: ${labelList(classes)}`, classes };
  }
  if (c.storage === 'dict') {
    const classes = classesOf(info);
    return {
      task: 'multiclass',
      reason: `${p.distinct} distinct text values: ${labelList(classes)}`,
      classes,
    };
  }
  const num = p.numeric!;
  if (
    info.integral &&
    p.distinct <= MAX_INT_CLASSES &&
    p.distinct <= INT_CLASS_ROW_FRACTION * info.nonMissing
  ) {
    const classes = classesOf(info);
    return {
      task: 'multiclass',
      reason: `whole numbers with only ${p.distinct} distinct values (${fmt(num.min)}–${fmt(num.max)}), treated as classes`,
      classes,
    };
  }
  return {
    task: 'regression',
    reason: `${info.integral ? 'whole numbers' : 'numbers'} with ${p.distinct} distinct values (${fmt(num.min)} to ${fmt(num.max)})`,
  };
}

/** Why a column is not a plausible target, or null when it is. */
export function implausibleReason(info: ColumnInfo): string | null {
  const p = info.profile;
  const c = info.column;
  if (info.nonMissing === 0) return 'no values';
  if (p.distinct < 2) return 'a single value';
  if (info.idLike) return 'an identifier (a different value in every row)';
  if (c.type === 'text' || c.type === 'id') return `a ${c.type} column`;
  if (c.storage === 'datetime') return 'a date column';
  if (p.missingPct > 50) return 'mostly missing';
  if (
    c.storage === 'dict' &&
    (p.distinct > MAX_CLASSES || p.distinct > Math.max(10, 0.2 * info.nonMissing))
  ) {
    return `too many distinct values (${p.distinct}) for classes`;
  }
  return null;
}

interface Scored {
  readonly info: ColumnInfo;
  readonly score: number;
  readonly why: string[];
}

function scoreColumns(infos: readonly ColumnInfo[]): Scored[] {
  const plausible = infos.filter((c) => implausibleReason(c) === null);
  const isCat = (c: ColumnInfo) => c.column.storage === 'dict' || c.column.storage === 'bool';
  const cats = plausible.filter(isCat);
  const numericOthers = plausible.filter((c) => c.column.storage === 'float64').length;
  const last = infos.length - 1;
  const names = infos.map((c) => c.profile.name);
  return plausible.map((info) => {
    let score = 0;
    const why: string[] = [];
    const ns = targetNameScore(info.profile.name, names);
    if (ns > 0) {
      score += [0, 40, 60, 100][ns];
      why.push(ns === 3 ? 'named like a target' : 'name suggests a target');
    }
    if (info.index === last) {
      score += 25;
      why.push('last column');
    } else if (info.index === 0) {
      score += 15;
      why.push('first column');
    }
    if (
      cats.length === 1 &&
      cats[0] === info &&
      numericOthers >= 2 &&
      (info.index === 0 || info.index === last)
    ) {
      score += 30;
      why.push('the only categorical column');
    }
    return { info, score, why };
  });
}

/** Suggestion from profiled columns; null when no column is plausible. */
export function suggestFromColumns(infos: readonly ColumnInfo[]): TargetSuggestion | null {
  const scored = scoreColumns(infos).sort((a, b) => b.score - a.score || b.info.index - a.info.index);
  for (let i = 0; i < scored.length; i++) {
    const best = scored[i];
    let task: TaskDetection;
    try {
      task = detectTaskForColumn(best.info);
    } catch {
      continue;
    }
    const why = best.why.length > 0 ? best.why : ['most plausible remaining column'];
    return {
      column: best.info.profile.name,
      task: task.task,
      reason: `${why.join(', ')}; ${task.reason}`,
      alternatives: scored
        .filter((s) => s !== best)
        .slice(0, 5)
        .map((s) => s.info.profile.name),
    };
  }
  return null;
}

/** The most plausible column to predict, with the task and a human reason; null if none fits. */
export function suggestTarget(table: Table): TargetSuggestion | null {
  return suggestFromColumns(profileColumns(table));
}

/** The task for predicting `target` (a column name). Throws a specific error for unusable targets. */
export function detectTask(table: Table, target: string): TaskDetection {
  const i = table.columns.findIndex((c) => c.name === target);
  if (i < 0) {
    throw new Error(
      `target column '${target}' not found; columns are: ${table.columns.map((c) => c.name).join(', ')}`,
    );
  }
  const info = profileColumns({ nRows: table.nRows, columns: [table.columns[i]] })[0];
  return detectTaskForColumn({ ...info, index: i });
}

/**
 * Labels that read as "the case to detect" (compared lower-case, trimmed). A binary target's
 * positive class defaults to the minority class when the classes are clearly unbalanced (the
 * smaller under {@link CLEAR_MINORITY_SHARE} of rows); otherwise to the one label of this list, if
 * exactly one label is on it; otherwise to the minority class (ties: the second label in sorted
 * order, the class whose probability the model outputs).
 */
export const POSITIVE_WORDS: readonly string[] = [
  'yes',
  'y',
  'true',
  't',
  '1',
  'positive',
  'pos',
  'bad',
  'churn',
  'churned',
  'fraud',
  'fraudulent',
  'default',
  'defaulted',
  'malignant',
  'm',
  'sick',
  'disease',
  'diseased',
  'abnormal',
  'anomaly',
  'spam',
  'fail',
  'failed',
  'failure',
  'left',
  'attrited',
  'died',
  'dead',
  'deceased',
];

/** Below this share of rows the smaller class is taken as the positive class whatever its name. */
export const CLEAR_MINORITY_SHARE = 0.4;

export interface PositiveClassSuggestion {
  readonly label: string;
  /** In words, e.g. "bad (the minority class, 5%)". */
  readonly reason: string;
}

function pct(share: number): string {
  const p = share * 100;
  return p >= 10 || p === 0 ? `${Math.round(p)}%` : `${Number(p.toPrecision(2))}%`;
}

/**
 * The default positive class of a binary target from its two labels and their counts (any order),
 * with the reason in words. `sortedLabels` (the training order) breaks ties: its second label wins.
 */
export function suggestPositiveClass(
  classes: readonly { readonly value: string; readonly count: number }[],
  sortedLabels?: readonly string[],
): PositiveClassSuggestion | null {
  if (classes.length !== 2) return null;
  const total = classes[0].count + classes[1].count;
  const share = (c: { count: number }) => (total > 0 ? c.count / total : 0.5);
  const second = sortedLabels?.[1] ?? [...classes.map((c) => c.value)].sort()[1];
  const [a, b] = classes;
  const minority = a.count < b.count ? a : b.count < a.count ? b : a.value === second ? a : b;
  if (share(minority) < CLEAR_MINORITY_SHARE && minority.count !== total - minority.count)
    return {
      label: minority.value,
      reason: `${minority.value} (the minority class, ${pct(share(minority))})`,
    };
  const reads = classes.filter((c) => POSITIVE_WORDS.includes(c.value.trim().toLowerCase()));
  if (reads.length === 1)
    return {
      label: reads[0].value,
      reason: `${reads[0].value} (reads as the positive outcome, ${pct(share(reads[0]))})`,
    };
  if (minority.count !== total - minority.count)
    return {
      label: minority.value,
      reason: `${minority.value} (the minority class, ${pct(share(minority))})`,
    };
  return { label: second, reason: `${second} (classes are balanced: the second label in sorted order)` };
}
