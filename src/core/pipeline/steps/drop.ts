import type { StepImpl } from '../types.ts';
import { replaceColumns } from '../table-ops.ts';

/** Drops columns (ID-like, constant, excluded by the user). Absent columns are fine at predict time. */
export const dropStep: StepImpl = {
  kind: 'drop',
  describe(step) {
    const reason = typeof step.config?.reason === 'string' ? ` (${step.config.reason})` : '';
    return `Drop ${step.columns.join(', ')}${reason}`;
  },
  fit: () => ({ values: null, produced: [] }),
  transform(table, step) {
    return replaceColumns(table, new Map(step.columns.map((c) => [c, null])));
  },
};
