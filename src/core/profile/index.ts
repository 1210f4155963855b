/**
 * Dataset profiling: per-column statistics, pairwise associations, warnings, target suggestion and
 * task detection. Pure TypeScript over the columnar table; deterministic for a given seed.
 */
import type { Table } from '../data/table.ts';
import {
  DEFAULT_MAX_ASSOCIATION_COLUMNS,
  DEFAULT_SAMPLE_ROWS,
  pairwiseAssociations,
  sampleRowIndices,
  targetAssociations,
} from './associations.ts';
import { profileColumns, type ColumnInfo } from './column-stats.ts';
import { countDuplicateRows } from './duplicates.ts';
import { DEFAULT_HISTOGRAM_BINS } from './histogram.ts';
import { detectTaskForColumn, suggestFromColumns } from './target.ts';
import type { DatasetProfile, ProfileOptions, ProfileWarning, Task, TaskDetection } from './types.ts';
import { columnWarnings, duplicateWarning, targetWarnings } from './warnings.ts';

export { suggestTarget, detectTask } from './target.ts';
export { formatProfileSummary } from './summary.ts';
export { quantileSorted } from './quantiles.ts';
export { histogram } from './histogram.ts';
export { countDuplicateRows } from './duplicates.ts';
export { pearson, cramersV, cramersVFromCounts, correlationRatio } from './association-stats.ts';
export type * from './types.ts';

export const DEFAULT_SEED = 42;

const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

function checkPositiveInt(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min)
    throw new Error(`profile: ${name} must be an integer ≥ ${min}, got ${v}`);
}

/** Profiles a table. Throws a specific error for bad options or a malformed table. */
export function profileTable(table: Table, options: ProfileOptions = {}): DatasetProfile {
  checkPositiveInt('histogramBins', options.histogramBins, 1);
  checkPositiveInt('maxAssociationColumns', options.maxAssociationColumns, 0);
  checkPositiveInt('sampleRows', options.sampleRows, 1);
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new Error(`profile: seed must be a finite number, got ${options.seed}`);
  }
  if (options.task !== undefined && !TASKS.includes(options.task)) {
    throw new Error(`profile: unknown task '${String(options.task)}' (expected ${TASKS.join(', ')})`);
  }
  if (options.target !== undefined && !table.columns?.some((c) => c.name === options.target)) {
    throw new Error(
      `profile: target column '${options.target}' not found; columns are: ${table.columns.map((c) => c.name).join(', ')}`,
    );
  }

  const infos = profileColumns(table, { histogramBins: options.histogramBins ?? DEFAULT_HISTOGRAM_BINS });
  const nRows = table.nRows;
  const duplicateRows = countDuplicateRows(table);
  const suggestion = suggestFromColumns(infos);
  const targetName = options.target ?? suggestion?.column;
  const targetInfo = targetName === undefined ? undefined : infos.find((c) => c.profile.name === targetName);

  const warnings: ProfileWarning[] = [
    ...duplicateWarning(duplicateRows, nRows),
    ...columnWarnings(infos, nRows),
  ];
  let task: TaskDetection | undefined;
  if (targetInfo) {
    try {
      task = resolveTask(targetInfo, options.task);
    } catch (e) {
      warnings.push({
        kind: 'target-unusable',
        severity: 'error',
        column: targetInfo.profile.name,
        message: (e as Error).message,
      });
    }
  }

  const rows = sampleRowIndices(
    nRows,
    options.sampleRows ?? DEFAULT_SAMPLE_ROWS,
    options.seed ?? DEFAULT_SEED,
  );
  const pairwise = pairwiseAssociations(
    infos,
    rows,
    options.maxAssociationColumns ?? DEFAULT_MAX_ASSOCIATION_COLUMNS,
    targetName,
  );
  const targetAssocs =
    targetInfo && task ? targetAssociations(infos, targetInfo, task.task !== 'regression', rows) : undefined;
  if (targetInfo) warnings.push(...targetWarnings(infos, targetInfo, task, targetAssocs ?? [], rows));

  return {
    nRows,
    nColumns: table.columns.length,
    duplicateRows,
    columns: infos.map((c) => c.profile),
    associations: pairwise.associations,
    associationsTruncated: pairwise.truncated,
    warnings,
    suggestion,
    ...(targetInfo ? { target: targetInfo.profile.name } : {}),
    ...(task ? { task } : {}),
    ...(targetAssocs ? { targetAssociations: targetAssocs } : {}),
  };
}

/** The detected task, or the user's choice when given and compatible with the column. */
function resolveTask(info: ColumnInfo, override: Task | undefined): TaskDetection {
  const detected = detectTaskForColumn(info);
  if (override === undefined || override === detected.task) return detected;
  const name = info.profile.name;
  if (override === 'regression') {
    if (info.column.storage !== 'float64') {
      throw new Error(`regression needs a numeric target, but '${name}' holds ${info.column.type} values`);
    }
    return { task: 'regression', reason: `chosen by you (detected: ${detected.task})` };
  }
  const classes = detected.classes ?? classesForOverride(info);
  if (override === 'binary' && classes.length !== 2) {
    throw new Error(
      `binary classification needs exactly 2 classes, but '${name}' has ${info.profile.distinct}`,
    );
  }
  return { task: override, reason: `chosen by you (detected: ${detected.task})`, classes };
}

function classesForOverride(info: ColumnInfo) {
  // A regression-detected numeric column used as classes: count each distinct value.
  const col = info.column;
  const counts = new Map<number, number>();
  if (col.storage === 'float64') {
    for (let i = 0; i < col.values.length; i++) {
      const v = col.values[i];
      if (v === v) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([v, count]) => ({ value: String(v), count }));
}
