import type { Column } from '../../data/table.ts';
import type { Produced, StepImpl, StepSpec } from '../types.ts';
import { categoryLabels, floatColumn, getColumn, labelCounts, replaceColumns } from '../table-ops.ts';
import { OTHER_LABEL } from './string-index.ts';

interface OneHotValues {
  categories: Record<string, string[]>;
  other: Record<string, boolean>;
}

function limits(step: StepSpec): { max: number; minCount: number } {
  const max = step.config?.maxCategories;
  const minCount = step.config?.minCount;
  return {
    max: typeof max === 'number' && max >= 1 ? Math.floor(max) : 20,
    minCount: typeof minCount === 'number' && minCount >= 1 ? minCount : 1,
  };
}

/**
 * One 0/1 column per category (`col=label`), capped at `maxCategories` most frequent labels with at
 * least `minCount` rows; the rest, and labels unseen in training, go to `col=(other)`. Missing → all 0.
 */
export const oneHotStep: StepImpl = {
  kind: 'one_hot',
  describe(step) {
    const { max } = limits(step);
    return `One-hot encode ${step.columns.join(', ')} (at most ${max} categories each, rare ones grouped as ${OTHER_LABEL})`;
  },
  fit(table, step) {
    const { max, minCount } = limits(step);
    const categories: Record<string, string[]> = {};
    const other: Record<string, boolean> = {};
    const produced: Produced[] = [];
    for (const name of step.columns) {
      const counts = labelCounts(getColumn(table, name, 'one_hot'));
      const kept = counts.filter(([, n]) => n >= minCount).slice(0, max);
      categories[name] = kept.map(([l]) => l);
      other[name] = kept.length < counts.length;
      for (const l of categories[name]) produced.push([`${name}=${l}`, name]);
      produced.push([`${name}=${OTHER_LABEL}`, name]);
    }
    const values: OneHotValues = { categories, other };
    return { values, produced };
  },
  transform(table, step, state) {
    const { categories } = state.values as OneHotValues;
    const replace = new Map<string, Column[]>();
    const n = table.nRows;
    for (const name of step.columns) {
      const cats = categories[name];
      const { labels, codes } = categoryLabels(getColumn(table, name, 'one_hot'));
      const index = new Map(cats.map((c, i) => [c, i]));
      // position per label code: category index, or cats.length for (other)
      const pos = Int32Array.from(labels, (l) => index.get(l) ?? cats.length);
      const outs = Array.from({ length: cats.length + 1 }, () => new Float64Array(n));
      for (let i = 0; i < n; i++) if (codes[i] >= 0) outs[pos[codes[i]]][i] = 1;
      const cols: Column[] = cats.map((c, k) => floatColumn(`${name}=${c}`, outs[k], 'integer'));
      cols.push(floatColumn(`${name}=${OTHER_LABEL}`, outs[cats.length], 'integer'));
      replace.set(name, cols);
    }
    return replaceColumns(table, replace);
  },
};
