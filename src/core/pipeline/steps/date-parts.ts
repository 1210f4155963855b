import type { Column } from '../../data/table.ts';
import type { Produced, StepImpl } from '../types.ts';
import { PipelineError } from '../types.ts';
import { floatColumn, getColumn, replaceColumns } from '../table-ops.ts';
import { cos as portableCos, sin as portableSin } from '../../util/portable-math.ts';

interface DatePartsValues {
  /** Per column: whether training data had a time of day (then hour parts are produced). */
  hasTime: Record<string, boolean>;
}

const DAY_MS = 86_400_000;

function partNames(name: string, hasTime: boolean, cyclic: boolean): string[] {
  const out = [`${name}__year`, `${name}__month`, `${name}__day`, `${name}__weekday`, `${name}__dayofyear`];
  if (hasTime) out.push(`${name}__hour`);
  if (cyclic) {
    out.push(`${name}__month_sin`, `${name}__month_cos`, `${name}__weekday_sin`, `${name}__weekday_cos`);
    if (hasTime) out.push(`${name}__hour_sin`, `${name}__hour_cos`);
  }
  return out;
}

/** Replaces each datetime column by its parts (UTC): year, month, day, weekday, day of year, hour; optional sin/cos. */
export const datePartsStep: StepImpl = {
  kind: 'date_parts',
  describe(step) {
    const cyclic = step.config?.cyclic !== false;
    return `Split ${step.columns.join(', ')} into year, month, day, weekday and hour${cyclic ? ' (with cyclic encodings)' : ''}`;
  },
  fit(table, step) {
    const cyclic = step.config?.cyclic !== false;
    const hasTime: Record<string, boolean> = {};
    const produced: Produced[] = [];
    for (const name of step.columns) {
      const col = getColumn(table, name, 'date_parts');
      if (col.storage !== 'datetime' && col.storage !== 'float64') {
        throw new PipelineError(`column '${name}' is not a date`, { step: 'date_parts', column: name });
      }
      let t = false;
      for (const v of col.values) {
        if (!Number.isNaN(v) && ((v % DAY_MS) + DAY_MS) % DAY_MS !== 0) {
          t = true;
          break;
        }
      }
      hasTime[name] = t;
      for (const p of partNames(name, t, cyclic)) produced.push([p, name]);
    }
    const values: DatePartsValues = { hasTime };
    return { values, produced };
  },
  transform(table, step, state) {
    const { hasTime } = state.values as DatePartsValues;
    const cyclic = step.config?.cyclic !== false;
    // `math: 'portable'` (steps built since it exists): sin/cos with the same bits in every engine;
    // without it the engine's, as the bundle was made (Chromium's differ from Node's on ~3% of angles).
    const portable = step.config?.math === 'portable';
    const sin = portable ? portableSin : Math.sin;
    const cos = portable ? portableCos : Math.cos;
    const replace = new Map<string, Column[]>();
    const n = table.nRows;
    for (const name of step.columns) {
      const col = getColumn(table, name, 'date_parts');
      if (col.storage !== 'datetime' && col.storage !== 'float64') {
        throw new PipelineError(`column '${name}' is not a date`, { step: 'date_parts', column: name });
      }
      const t = hasTime[name];
      const year = new Float64Array(n);
      const month = new Float64Array(n);
      const day = new Float64Array(n);
      const weekday = new Float64Array(n);
      const doy = new Float64Array(n);
      const hour = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = col.values[i];
        if (Number.isNaN(v)) {
          year[i] = month[i] = day[i] = weekday[i] = doy[i] = hour[i] = NaN;
          continue;
        }
        const d = new Date(v);
        year[i] = d.getUTCFullYear();
        month[i] = d.getUTCMonth() + 1;
        day[i] = d.getUTCDate();
        weekday[i] = (d.getUTCDay() + 6) % 7; // Monday = 0
        doy[i] = Math.floor((v - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
        hour[i] = d.getUTCHours() + d.getUTCMinutes() / 60;
      }
      const cols: Column[] = [
        floatColumn(`${name}__year`, year, 'integer'),
        floatColumn(`${name}__month`, month, 'integer'),
        floatColumn(`${name}__day`, day, 'integer'),
        floatColumn(`${name}__weekday`, weekday, 'integer'),
        floatColumn(`${name}__dayofyear`, doy, 'integer'),
      ];
      if (t) cols.push(floatColumn(`${name}__hour`, hour));
      if (cyclic) {
        const cyc = (src: Float64Array, period: number, offset: number, label: string) => {
          const s = new Float64Array(n);
          const c = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const a = (2 * Math.PI * (src[i] - offset)) / period;
            s[i] = sin(a);
            c[i] = cos(a);
          }
          cols.push(floatColumn(`${name}__${label}_sin`, s), floatColumn(`${name}__${label}_cos`, c));
        };
        cyc(month, 12, 1, 'month');
        cyc(weekday, 7, 0, 'weekday');
        if (t) cyc(hour, 24, 0, 'hour');
      }
      replace.set(name, cols);
    }
    return replaceColumns(table, replace);
  },
};
