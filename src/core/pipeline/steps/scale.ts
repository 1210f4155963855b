import type { Column } from '../../data/table.ts';
import type { StepImpl } from '../types.ts';
import { floatColumn, getColumn, numericValues, replaceColumns } from '../table-ops.ts';

interface ScaleValues {
  mean: Record<string, number>;
  std: Record<string, number>;
}

/** Standardises numeric columns to mean 0, standard deviation 1 (learned on training rows; NaN kept). */
export const scaleStep: StepImpl = {
  kind: 'standard_scale',
  describe: (step) => `Standardise ${step.columns.join(', ')} to mean 0 and standard deviation 1`,
  fit(table, step) {
    const mean: Record<string, number> = {};
    const std: Record<string, number> = {};
    for (const name of step.columns) {
      const v = numericValues(getColumn(table, name, 'standard_scale'), 'standard_scale');
      let n = 0;
      let m = 0;
      let m2 = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (Number.isNaN(x)) continue;
        n++;
        const d = x - m;
        m += d / n;
        m2 += d * (x - m);
      }
      const sd = n > 1 ? Math.sqrt(m2 / n) : 0;
      mean[name] = n ? m : 0;
      // A spread that is zero, or negligible next to the values (1e-300 around 0), would blow new values
      // up to infinity: treat the column as constant.
      std[name] = sd > 1e-9 * Math.max(1, Math.abs(m)) && Number.isFinite(sd) ? sd : 1;
    }
    const values: ScaleValues = { mean, std };
    return { values, produced: [] };
  },
  transform(table, step, state) {
    const { mean, std } = state.values as ScaleValues;
    const replace = new Map<string, Column>();
    for (const name of step.columns) {
      const v = numericValues(getColumn(table, name, 'standard_scale'), 'standard_scale');
      const m = mean[name];
      const s = std[name];
      const out = new Float64Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = (v[i] - m) / s;
      replace.set(name, floatColumn(name, out));
    }
    return replaceColumns(table, replace);
  },
};
