/**
 * An honest estimate of the final model's metric (issue 17). The chosen combination's validation
 * score is optimistic: among dozens of trials, the best one (and the greedy blend built on top of it)
 * was picked *because* it scored well on those very rows — the winner's curse, largest on small data
 * with many trials. The estimate re-runs the selection (best single candidate, then Caruana's greedy
 * blend, kept only when it beats that single) once per group of validation rows with that group held
 * out, and predicts the held-out group with what was chosen without it: nested (cross-validated)
 * selection, as Varma & Simon (2006) and Cawley & Talbot (2010) recommend for a model-selection
 * procedure's error. Groups are the k-fold plan's folds, or 5 interleaved groups of a holdout's rows.
 *
 * What it still does not hold out: the candidate list (the top trials by their score on all rows) and
 * the sampler's adaptive proposals; both are second-order next to the choice among the candidates.
 * Deterministic (no random choice), so a replay recomputes the same value.
 */
import type { Task } from '../models/types.ts';
import { blend, blendWins, metricValue, selectEnsemble } from './ensemble.ts';

/** Groups of a holdout's rows (a k-fold plan uses its own folds). */
export const HOLDOUT_ESTIMATE_GROUPS = 5;

export interface EstimateOptions {
  readonly task: Task;
  readonly nClasses: number;
  readonly metric: string;
  /** Greedy steps of each inner selection (the outer selection's count). */
  readonly rounds: number;
  /** Prediction values per row. */
  readonly width: number;
  /** 'maximize' or 'minimize' (the study's direction). */
  readonly direction: 'maximize' | 'minimize';
}

export interface SelectionEstimate {
  /** Number of held-out groups. */
  readonly groups: number;
  /** The metric of the held-out predictions over every validation row. */
  readonly score: number;
  /** Held-out predictions (`width` values per validation row). */
  readonly pred: Float64Array;
}

/**
 * Group of each validation row: its fold in a k-fold plan (`foldOf` of the row; evalRows are all
 * rows), else position mod `HOLDOUT_ESTIMATE_GROUPS`.
 */
export function estimateGroups(
  evalRows: Int32Array,
  foldOf: Int32Array | undefined,
  nFolds: number,
): { groups: Int32Array; n: number } {
  const groups = new Int32Array(evalRows.length);
  const byFold = nFolds > 1 && foldOf !== undefined;
  for (let i = 0; i < evalRows.length; i++) {
    const f = byFold ? foldOf[evalRows[i]] : -1;
    groups[i] = f >= 0 && f < nFolds ? f : i % HOLDOUT_ESTIMATE_GROUPS;
  }
  return { groups, n: byFold ? nFolds : HOLDOUT_ESTIMATE_GROUPS };
}

function rowsOf(pred: Float64Array, rows: Int32Array, width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < width; j++) out[i * width + j] = pred[rows[i] * width + j];
  return out;
}

/**
 * The nested-selection estimate over candidates' validation predictions (`preds[c]`: `width` values
 * per validation row, aligned with `y`), rows grouped by `groups` (values 0..nGroups−1). A group with
 * no rows is skipped; with fewer than two non-empty groups there is nothing to hold out and the
 * result is undefined.
 */
export function selectionEstimate(
  preds: readonly Float64Array[],
  y: Float64Array,
  groups: Int32Array,
  nGroups: number,
  opts: EstimateOptions,
): SelectionEstimate | undefined {
  if (!preds.length) return undefined;
  const { width } = opts;
  const out = new Float64Array(y.length * width);
  const members = Array.from({ length: nGroups }, () => [] as number[]);
  for (let i = 0; i < groups.length; i++) members[groups[i]].push(i);
  const nonEmpty = members.filter((m) => m.length > 0).length;
  if (nonEmpty < 2) return undefined;
  const better = (a: number, b: number) => (opts.direction === 'maximize' ? a > b : a < b);
  for (let g = 0; g < nGroups; g++) {
    if (!members[g].length) continue;
    const inRows = Int32Array.from(members.flatMap((m, h) => (h === g ? [] : m)));
    const outRows = Int32Array.from(members[g]);
    const inY = Float64Array.from(inRows, (r) => y[r]);
    const inPreds = preds.map((p) => rowsOf(p, inRows, width));
    const sel = selectEnsemble(inPreds, inY, {
      task: opts.task,
      nClasses: opts.nClasses,
      metric: opts.metric,
      rounds: opts.rounds,
    });
    // As the outer selection (`blendWins`): the blend, or the best single candidate.
    const weights = blendWins(sel, better)
      ? sel.weights
      : preds.map((_, c) => (c === sel.bestSingle.index ? 1 : 0));
    const held = blend(preds, weights);
    for (const r of outRows) for (let j = 0; j < width; j++) out[r * width + j] = held[r * width + j];
  }
  return {
    groups: nonEmpty,
    score: metricValue(opts.task, y, out, opts.nClasses, opts.metric),
    pred: out,
  };
}
