import type { Column } from '../../data/table.ts';
import type { StepImpl } from '../types.ts';
import { categoryLabels, floatColumn, getColumn, labelCounts, replaceColumns } from '../table-ops.ts';

interface FrequencyValues {
  /** Per column: label → share of training rows. */
  freq: Record<string, Record<string, number>>;
}

/** Replaces a high-cardinality category by how common it was in training (unseen → 0, missing → NaN). */
export const frequencyEncodeStep: StepImpl = {
  kind: 'frequency_encode',
  describe: (step) => `Encode ${step.columns.join(', ')} by how often each value occurs`,
  fit(table, step) {
    const freq: Record<string, Record<string, number>> = {};
    for (const name of step.columns) {
      const counts = labelCounts(getColumn(table, name, 'frequency_encode'));
      const m: Record<string, number> = {};
      for (const [l, c] of counts) m[l] = c / table.nRows;
      freq[name] = m;
    }
    const values: FrequencyValues = { freq };
    return { values, produced: [] };
  },
  transform(table, step, state) {
    const { freq } = state.values as FrequencyValues;
    const replace = new Map<string, Column>();
    for (const name of step.columns) {
      const m = freq[name];
      const { labels, codes } = categoryLabels(getColumn(table, name, 'frequency_encode'));
      const byCode = Float64Array.from(labels, (l) => (Object.hasOwn(m, l) ? m[l] : 0));
      const out = new Float64Array(table.nRows);
      for (let i = 0; i < out.length; i++) out[i] = codes[i] < 0 ? NaN : byCode[codes[i]];
      replace.set(name, floatColumn(name, out));
    }
    return replaceColumns(table, replace);
  },
};
