import type { Column, Table } from '../../data/table.ts';
import type { FitContext, FittedState, Produced, StepImpl, StepSpec } from '../types.ts';
import { PipelineError } from '../types.ts';
import { categoryLabels, floatColumn, getColumn, replaceColumns } from '../table-ops.ts';
import { kFoldPlan } from '../../metrics/splits.ts';

interface TargetValues {
  /** Number of encoded outputs per column: 1 (binary P(1), regression mean) or K (multiclass). */
  outputs: number;
  prior: number[];
  smoothing: number;
  /** Per column: label → [count, sum per output...]. */
  stats: Record<string, Record<string, number[]>>;
}

function settings(step: StepSpec): { smoothing: number; folds: number } {
  const s = step.config?.smoothing;
  const f = step.config?.folds;
  return {
    smoothing: typeof s === 'number' && s >= 0 ? s : 10,
    folds: typeof f === 'number' && f >= 2 ? Math.floor(f) : 5,
  };
}

function outputNames(name: string, outputs: number): string[] {
  return outputs === 1 ? [`${name}__te`] : Array.from({ length: outputs }, (_, k) => `${name}__te${k}`);
}

function targetRows(ctx: FitContext, nRows: number): { y: Float64Array; outputs: number } {
  if (!ctx.y || ctx.y.length !== nRows || !ctx.task) {
    throw new PipelineError('target encoding needs the target values while fitting', {
      step: 'target_encode',
    });
  }
  if (ctx.task !== 'multiclass') return { y: ctx.y, outputs: 1 };
  let k = 0;
  for (const v of ctx.y) if (v + 1 > k) k = v + 1;
  return { y: ctx.y, outputs: k };
}

/** Accumulates [count, sums...] per label over the rows where `use[i]` (all rows if undefined). */
function accumulate(col: Column, y: Float64Array, outputs: number, use?: Uint8Array): Map<string, number[]> {
  const { labels, codes } = categoryLabels(col);
  const acc = labels.map(() => new Array<number>(outputs + 1).fill(0));
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 0 || (use && !use[i]) || Number.isNaN(y[i])) continue;
    const a = acc[codes[i]];
    a[0]++;
    if (outputs === 1) a[1] += y[i];
    else a[1 + y[i]]++;
  }
  const out = new Map<string, number[]>();
  labels.forEach((l, c) => {
    const prev = out.get(l);
    if (!prev) out.set(l, acc[c]);
    else for (let k = 0; k < prev.length; k++) prev[k] += acc[c][k];
  });
  return out;
}

function priorOf(y: Float64Array, outputs: number, use?: Uint8Array): number[] {
  const sums = new Array<number>(outputs).fill(0);
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if ((use && !use[i]) || Number.isNaN(y[i])) continue;
    n++;
    if (outputs === 1) sums[0] += y[i];
    else sums[y[i]]++;
  }
  return sums.map((s) => (n ? s / n : 0));
}

function encode(
  col: Column,
  stats: Map<string, number[]> | Record<string, number[]>,
  prior: number[],
  m: number,
  rows: Float64Array[],
  only?: Uint8Array,
): void {
  const { labels, codes } = categoryLabels(col);
  const get = (l: string) =>
    stats instanceof Map ? stats.get(l) : Object.hasOwn(stats, l) ? stats[l] : undefined;
  const enc = labels.map((l) => {
    const s = get(l);
    return prior.map((p, k) => (s ? (s[1 + k] + m * p) / (s[0] + m) : p));
  });
  for (let i = 0; i < codes.length; i++) {
    if (only && !only[i]) continue;
    for (let k = 0; k < prior.length; k++) rows[k][i] = codes[i] < 0 ? prior[k] : enc[codes[i]][k];
  }
}

function output(
  table: Table,
  step: StepSpec,
  values: TargetValues,
  rowsByColumn: Map<string, Float64Array[]>,
): Table {
  const replace = new Map<string, Column[]>();
  for (const name of step.columns) {
    const names = outputNames(name, values.outputs);
    replace.set(
      name,
      rowsByColumn.get(name)!.map((r, k) => floatColumn(names[k], r)),
    );
  }
  return replaceColumns(table, replace);
}

/**
 * Replaces a category by the smoothed mean of the target for that category (per class for multiclass).
 * On the training rows the encoding is out-of-fold (k folds, seeded), so a row never sees its own
 * target; new rows use statistics of all training rows. Unseen and missing categories get the prior.
 */
export const targetEncodeStep: StepImpl = {
  kind: 'target_encode',
  describe(step) {
    const { smoothing, folds } = settings(step);
    return `Target-encode ${step.columns.join(', ')} (out-of-fold over ${folds} folds, smoothing ${smoothing})`;
  },
  fit(table, step, ctx) {
    const { smoothing } = settings(step);
    const { y, outputs } = targetRows(ctx, table.nRows);
    const stats: Record<string, Record<string, number[]>> = {};
    const produced: Produced[] = [];
    for (const name of step.columns) {
      stats[name] = Object.fromEntries(accumulate(getColumn(table, name, 'target_encode'), y, outputs));
      for (const o of outputNames(name, outputs)) produced.push([o, name]);
    }
    const values: TargetValues = { outputs, prior: priorOf(y, outputs), smoothing, stats };
    return { values, produced };
  },
  transform(table, step, state) {
    const values = state.values as TargetValues;
    const rows = new Map<string, Float64Array[]>();
    for (const name of step.columns) {
      const r = Array.from({ length: values.outputs }, () => new Float64Array(table.nRows));
      encode(getColumn(table, name, 'target_encode'), values.stats[name], values.prior, values.smoothing, r);
      rows.set(name, r);
    }
    return output(table, step, values, rows);
  },
  fitTransform(table: Table, step: StepSpec, state: FittedState, ctx: FitContext): Table {
    const values = state.values as TargetValues;
    const { folds } = settings(step);
    const { y, outputs } = targetRows(ctx, table.nRows);
    if (table.nRows < folds * 2) return this.transform(table, step, state);
    const plan = kFoldPlan(table.nRows, folds, ctx.seed);
    const rows = new Map<string, Float64Array[]>();
    for (const name of step.columns) {
      const col = getColumn(table, name, 'target_encode');
      const r = Array.from({ length: outputs }, () => new Float64Array(table.nRows));
      for (let f = 0; f < folds; f++) {
        const inFold = Uint8Array.from(plan.foldOf, (v) => (v === f ? 1 : 0));
        const rest = Uint8Array.from(inFold, (v) => 1 - v);
        encode(
          col,
          accumulate(col, y, outputs, rest),
          priorOf(y, outputs, rest),
          values.smoothing,
          r,
          inFold,
        );
      }
      rows.set(name, r);
    }
    return output(table, step, values, rows);
  },
};
