import type { Column } from '../../data/table.ts';
import type { StepImpl, StepSpec } from '../types.ts';
import { categoryLabels, dictColumn, getColumn, labelCounts, replaceColumns } from '../table-ops.ts';

export const OTHER_LABEL = '(other)';

interface IndexValues {
  /** Per column: the vocabulary, most frequent first; code = position. */
  vocab: Record<string, string[]>;
  /** Per column: whether an '(other)' category exists (rare or, at predict time, unseen labels). */
  other: Record<string, boolean>;
}

function maxCategories(step: StepSpec): number {
  const m = step.config?.maxCategories;
  return typeof m === 'number' && m >= 1 ? Math.floor(m) : 254;
}

/**
 * Maps labels to stable category codes learned on training data (most frequent first). Labels beyond
 * `maxCategories` share '(other)'; labels never seen in training map to '(other)' when it exists, else
 * to missing — never an error.
 */
export const stringIndexStep: StepImpl = {
  kind: 'string_index',
  describe(step) {
    return `Index the categories of ${step.columns.join(', ')} (at most ${maxCategories(step)} each; rare and unseen ones grouped)`;
  },
  fit(table, step) {
    const max = maxCategories(step);
    const vocab: Record<string, string[]> = {};
    const other: Record<string, boolean> = {};
    for (const name of step.columns) {
      const counts = labelCounts(getColumn(table, name, 'string_index'));
      const tooMany = counts.length > max;
      vocab[name] = counts.slice(0, tooMany ? max - 1 : max).map(([label]) => label);
      other[name] = tooMany;
    }
    const values: IndexValues = { vocab, other };
    return { values, produced: [] };
  },
  transform(table, step, state) {
    const { vocab, other } = state.values as IndexValues;
    const replace = new Map<string, Column>();
    for (const name of step.columns) {
      const col = getColumn(table, name, 'string_index');
      const words = vocab[name];
      const dictionary = other[name] ? [...words, OTHER_LABEL] : words;
      const index = new Map(words.map((w, i) => [w, i]));
      const unseen = other[name] ? words.length : -1;
      const { labels, codes } = categoryLabels(col);
      const remap = Int32Array.from(labels, (l) => index.get(l) ?? unseen);
      const out = new Int32Array(codes.length);
      for (let i = 0; i < out.length; i++) out[i] = codes[i] < 0 ? -1 : remap[codes[i]];
      replace.set(name, dictColumn(name, out, dictionary));
    }
    return replaceColumns(table, replace);
  },
};
