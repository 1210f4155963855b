/**
 * Per-row explanations of a model bundle (the use case behind `cli predict --explain`, the Score
 * screen's reasons and the Explain view's waterfall): for every row, a base value and one contribution
 * per input column that add up to the model's output for that row.
 *
 * - GBDT and random forests: exact path-dependent TreeSHAP (treeshap.ts) over the training cover.
 * - Linear models: exact closed form (linear.ts) with the training data as the background — every
 *   standardised input at its training mean, so the base value is the intercept and a row's
 *   explanation does not depend on the other rows scored with it.
 * - MLPs and ensembles: permutation-sampling Shapley values (sampling.ts) over a seeded sample of the
 *   explained table's own rows as background, with a standard error per value (exact when every
 *   permutation of the columns is walked).
 *
 * What is explained (`scale`): GBDT and linear models their raw margin — the log-odds of the positive
 * class (binary), each class's score (multiclass; softmax of the scores = the probabilities) or the
 * value (regression); a random forest its averaged leaf values — the probability of the positive
 * class or each class's share; MLPs and ensembles their output — the probability of the positive class,
 * each class's probability or the value. Pipeline features are summed back to the user's columns.
 */
import { cellText, columnByName, type Table } from '../data/table.ts';
import { predictTable, type LoadedBundle } from '../export/bundle.ts';
import { GbdtModel } from '../models/gbdt/booster.ts';
import { transformTable } from '../pipeline/pipeline.ts';
import { createRng } from '../util/random.ts';
import { sumBySource } from './columns.ts';
import { isLinearModel, linearGroups, linearShap } from './linear.ts';
import { samplingShap } from './sampling.ts';
import { treeShap } from './treeshap.ts';

export type ExplainMethod = 'treeshap' | 'linear' | 'sampling';
export type ExplainScale = 'log-odds' | 'probability' | 'class score' | 'value';

export interface RowExplanations {
  readonly method: ExplainMethod;
  readonly scale: ExplainScale;
  /** The user's input columns the contributions are for. */
  readonly columns: readonly string[];
  readonly nRows: number;
  /** Output groups: 1 (binary: the positive class; regression), or one per class (multiclass). */
  readonly nGroups: number;
  /** The class each group explains (classification). */
  readonly groupLabels?: readonly string[];
  /** [row][group][column…, base value]: (columns + 1) values per row and group. */
  readonly values: Float64Array;
  /** Sampling only: the standard error of each contribution, [row][group][column]. */
  readonly stderr?: Float64Array;
  /** Sampling only: permutations walked per row, background rows, whether the values are exact. */
  readonly sampling?: { readonly permutations: number; readonly background: number; readonly exact: boolean };
  /** In words: the method and what its values add up to. */
  readonly description: string;
  readonly notes: readonly string[];
}

export interface RowExplainOptions {
  /** Sampling: permutations per row (default 8) and background rows (default 32), seeded. */
  readonly permutations?: number;
  readonly background?: number;
  readonly seed?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** The positive class of a binary bundle: the decision's, else the second class. */
function positiveIndex(bundle: LoadedBundle): number {
  const { classes, decision } = bundle.manifest;
  if (!classes || classes.length !== 2) return 1;
  const k = decision ? classes.indexOf(decision.positiveClass) : 1;
  return k < 0 ? 1 : k;
}

/** Explains every row of `table` (read with the bundle's types, e.g. by `readForScoring`). */
export function explainRows(
  bundle: LoadedBundle,
  table: Table,
  options: RowExplainOptions = {},
): RowExplanations {
  const { manifest, model, pipeline } = bundle;
  const task = manifest.task;
  const classes = manifest.classes;
  const notes: string[] = [];
  const pos = positiveIndex(bundle);
  const groupLabels =
    task === 'multiclass' ? classes : task === 'binary' && classes ? [classes[pos]!] : undefined;
  const n = table.nRows;

  if (pipeline && (model instanceof GbdtModel || isLinearModel(model))) {
    const X = transformTable(pipeline, table);
    let phi: Float64Array;
    let groups: number;
    let method: ExplainMethod;
    let scale: ExplainScale;
    if (model instanceof GbdtModel) {
      groups = model.nGroups;
      const rounds = model.defaultRounds;
      phi = treeShap(model.forest.pack(), X, {
        nGroups: groups,
        trees: [0, rounds * groups],
        baseScore: model.baseScore,
        scale: model.isForest ? 1 / Math.max(1, rounds) : 1,
      });
      method = 'treeshap';
      scale = model.isForest
        ? task === 'regression'
          ? 'value'
          : 'probability'
        : task === 'binary'
          ? 'log-odds'
          : task === 'multiclass'
            ? 'class score'
            : 'value';
    } else {
      groups = linearGroups(model);
      phi = linearShap(model, X, 'training');
      method = 'linear';
      scale = task === 'binary' ? 'log-odds' : task === 'multiclass' ? 'class score' : 'value';
    }
    const a = sumBySource(phi, X.nRows, groups, X.sources);
    const C = a.columns.length;
    if (task === 'binary' && pos === 0) {
      // The model's one group is the second class; explain the positive (first) class instead:
      // log-odds change sign, a probability p becomes 1 − p.
      for (let i = 0; i < n; i++) {
        const at = i * (C + 1);
        for (let c = 0; c < C; c++) a.values[at + c] = -a.values[at + c]!;
        a.values[at + C] = scale === 'probability' ? 1 - a.values[at + C]! : -a.values[at + C]!;
      }
    }
    const what =
      method === 'treeshap'
        ? 'exact TreeSHAP (path-dependent, over the training cover)'
        : 'exact linear SHAP (background: the training data, each input at its training mean)';
    return {
      method,
      scale,
      columns: a.columns,
      nRows: n,
      nGroups: groups,
      ...(groupLabels ? { groupLabels } : {}),
      values: a.values,
      description: `${what}; base value + contributions = ${scaleWords(scale, task)}`,
      notes,
    };
  }

  // MLPs and ensembles: permutation sampling on the user's columns.
  const names = new Set(table.columns.map((c) => c.name));
  const columns = manifest.signature.inputs.map((c) => c.name).filter((name) => names.has(name));
  const G = task === 'multiclass' ? (classes?.length ?? model.nClasses) : 1;
  const width = task === 'regression' ? 1 : (classes?.length ?? model.nClasses);
  const output = (t: Table): Float64Array => {
    const p = predictTable(bundle, t).values;
    if (task !== 'binary') return p;
    const out = new Float64Array(t.nRows);
    for (let i = 0; i < t.nRows; i++) out[i] = p[i * width + pos]!;
    return out;
  };
  const B = Math.max(1, Math.min(n, options.background ?? 32));
  const seed = options.seed ?? 0;
  const background = sampleRows(n, B, seed);
  if (n < 2)
    notes.push('the background is the explained rows themselves: with one row, every contribution is 0');
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const s = samplingShap(table, rows, {
    output,
    nGroups: G,
    columns,
    background,
    permutations: options.permutations ?? 8,
    seed: seed + 1,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const scale: ExplainScale = task === 'regression' ? 'value' : 'probability';
  const what = s.exact
    ? `exact Shapley values (all ${s.permutations} orders of the columns; background: ${B} seeded rows of the data)`
    : `sampling Shapley values (${s.permutations} seeded permutations per row in antithetic pairs; ` +
      `background: ${B} seeded rows of the data; a standard error per value)`;
  return {
    method: 'sampling',
    scale,
    columns,
    nRows: n,
    nGroups: G,
    ...(groupLabels ? { groupLabels } : {}),
    values: s.values,
    stderr: s.stderr,
    sampling: { permutations: s.permutations, background: B, exact: s.exact },
    description: `${what}; base value + contributions = ${scaleWords(scale, task)}`,
    notes,
  };
}

/** `count` distinct rows of 0..n-1, seeded, in increasing order. */
export function sampleRows(n: number, count: number, seed: number): Int32Array {
  const k = Math.max(0, Math.min(n, count));
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const rng = createRng(seed);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, k).sort();
}

function scaleWords(scale: ExplainScale, task: string): string {
  switch (scale) {
    case 'log-odds':
      return 'the log-odds of the positive class';
    case 'class score':
      return "each class's score (softmax of the scores = the probabilities)";
    case 'probability':
      return task === 'multiclass' ? "each class's probability" : 'the probability of the positive class';
    case 'value':
      return 'the predicted value';
  }
}

/** The group explained for a row: the positive class or the value (0), or the predicted class. */
export function explainedGroup(ex: RowExplanations, predictedClass: number | undefined): number {
  return ex.nGroups > 1 ? (predictedClass ?? 0) : 0;
}

export interface Reason {
  readonly column: string;
  /** The row's value of the column as text ('' when missing). */
  readonly value: string;
  readonly contribution: number;
  readonly stderr?: number;
}

/**
 * The `k` largest contributions (by absolute value) of one row and group, the base value, the sum of
 * the other contributions and the output they all add up to.
 */
export function topReasons(
  ex: RowExplanations,
  table: Table,
  row: number,
  group: number,
  k: number,
): { reasons: Reason[]; base: number; rest: number; output: number } {
  const C = ex.columns.length;
  const at = (row * ex.nGroups + group) * (C + 1);
  const order = Array.from({ length: C }, (_, c) => c).sort(
    (a, b) => Math.abs(ex.values[at + b]!) - Math.abs(ex.values[at + a]!) || a - b,
  );
  const base = ex.values[at + C]!;
  let output = base;
  for (let c = 0; c < C; c++) output += ex.values[at + c]!;
  const reasons: Reason[] = [];
  let rest = 0;
  order.forEach((c, rank) => {
    const contribution = ex.values[at + c]!;
    if (rank >= k) {
      rest += contribution;
      return;
    }
    const name = ex.columns[c]!;
    const col = columnByName(table, name);
    const se = ex.stderr?.[(row * ex.nGroups + group) * C + c];
    reasons.push({
      column: name,
      value: col ? cellText(col, row) : '',
      contribution,
      ...(se !== undefined ? { stderr: se } : {}),
    });
  });
  return { reasons, base, rest, output };
}
