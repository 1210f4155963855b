import type { Column } from '../../data/table.ts';
import type { StepImpl, StepSpec, Produced } from '../types.ts';
import { PipelineError } from '../types.ts';
import { floatColumn, getColumn, labelCounts, replaceColumns } from '../table-ops.ts';

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

interface ImputeConfig {
  strategy: ImputeStrategy;
  /** For 'constant': the number (numeric columns) or label (categorical columns) to fill in. */
  fillValue?: number | string;
  /** Add a 0/1 `<col>__missing` column for columns that had missing values in training. */
  addIndicator?: boolean;
}

type Fill =
  { kind: 'number'; value: number } | { kind: 'label'; value: string } | { kind: 'bool'; value: 0 | 1 };

interface ImputeValues {
  fills: Record<string, Fill>;
  indicators: string[];
}

const MISSING_LABEL = '(missing)';

function config(step: StepSpec): ImputeConfig {
  const c = (step.config ?? {}) as Partial<ImputeConfig>;
  const strategy = c.strategy ?? 'median';
  if (!['mean', 'median', 'most_frequent', 'constant'].includes(strategy)) {
    throw new PipelineError(`unknown imputation strategy '${String(strategy)}'`, { step: 'impute' });
  }
  return { strategy, fillValue: c.fillValue, addIndicator: c.addIndicator ?? false };
}

function finiteValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[k++] = values[i];
  return out;
}

function numericFill(values: Float64Array, cfg: ImputeConfig): number {
  const v = finiteValues(values);
  if (cfg.strategy === 'constant') return typeof cfg.fillValue === 'number' ? cfg.fillValue : 0;
  if (v.length === 0) return 0;
  if (cfg.strategy === 'mean') {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i];
    return s / v.length;
  }
  if (cfg.strategy === 'median') {
    v.sort();
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
  // most frequent value, smallest on ties
  v.sort();
  let best = v[0];
  let bestCount = 0;
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j < v.length && v[j] === v[i]) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      best = v[i];
    }
    i = j;
  }
  return best;
}

function hasMissing(col: Column): boolean {
  if (col.storage === 'dict') return col.codes.some((c) => c < 0);
  if (col.storage === 'bool') return col.values.some((v) => v === 255);
  return col.values.some((v) => Number.isNaN(v));
}

/** Fills missing values per column (numbers: mean/median/mode/constant; categories: mode/constant). */
export const imputeStep: StepImpl = {
  kind: 'impute',
  describe(step) {
    const cfg = config(step);
    const what =
      cfg.strategy === 'constant'
        ? `the constant ${JSON.stringify(cfg.fillValue ?? 0)}`
        : `the ${cfg.strategy.replace('_', ' ')} value`;
    return `Fill missing values in ${step.columns.join(', ')} with ${what}${cfg.addIndicator ? ', adding missing-value indicator columns' : ''}`;
  },
  fit(table, step) {
    const cfg = config(step);
    const fills: Record<string, Fill> = {};
    const indicators: string[] = [];
    const produced: Produced[] = [];
    for (const name of step.columns) {
      const col = getColumn(table, name, 'impute');
      if (col.storage === 'dict') {
        const counts = labelCounts(col);
        const label =
          cfg.strategy === 'constant' || counts.length === 0
            ? String(cfg.fillValue ?? MISSING_LABEL)
            : counts[0][0];
        fills[name] = { kind: 'label', value: label };
      } else if (col.storage === 'bool') {
        let ones = 0;
        let zeros = 0;
        for (const v of col.values) {
          if (v === 1) ones++;
          else if (v === 0) zeros++;
        }
        fills[name] = { kind: 'bool', value: ones > zeros ? 1 : 0 };
      } else {
        fills[name] = { kind: 'number', value: numericFill(col.values, cfg) };
      }
      if (cfg.addIndicator && hasMissing(col)) {
        indicators.push(name);
        produced.push([`${name}__missing`, name]);
      }
    }
    const values: ImputeValues = { fills, indicators };
    return { values, produced };
  },
  transform(table, step, state) {
    const { fills, indicators } = state.values as ImputeValues;
    const replace = new Map<string, Column | Column[]>();
    for (const name of step.columns) {
      const col = getColumn(table, name, 'impute');
      const fill = fills[name];
      let filled: Column;
      if (col.storage === 'dict') {
        const label = fill.kind === 'label' ? fill.value : MISSING_LABEL;
        let code = col.dictionary.indexOf(label);
        const dictionary = code >= 0 ? col.dictionary : [...col.dictionary, label];
        if (code < 0) code = col.dictionary.length;
        const codes = Int32Array.from(col.codes, (c) => (c < 0 ? code : c));
        filled = { ...col, codes, dictionary };
      } else if (col.storage === 'bool') {
        const v = fill.kind === 'bool' ? fill.value : 0;
        filled = { ...col, values: Uint8Array.from(col.values, (x) => (x === 255 ? v : x)) };
      } else {
        const v = fill.kind === 'number' ? fill.value : 0;
        filled = { ...col, values: Float64Array.from(col.values, (x) => (Number.isNaN(x) ? v : x)) };
      }
      if (indicators.includes(name)) {
        const ind = new Float64Array(table.nRows);
        if (col.storage === 'dict') for (let i = 0; i < ind.length; i++) ind[i] = col.codes[i] < 0 ? 1 : 0;
        else if (col.storage === 'bool')
          for (let i = 0; i < ind.length; i++) ind[i] = col.values[i] === 255 ? 1 : 0;
        else for (let i = 0; i < ind.length; i++) ind[i] = Number.isNaN(col.values[i]) ? 1 : 0;
        replace.set(name, [filled, floatColumn(`${name}__missing`, ind, 'integer')]);
      } else {
        replace.set(name, filled);
      }
    }
    return replaceColumns(table, replace);
  },
};
