/**
 * Recipe features in a job (issue 20): the job's data is the recipe's target table; the related
 * tables come with the `FeaturesSpec`. The job trains on the target table with the feature columns
 * appended, and its bundle records the recipe and the related tables' fingerprints (features.json).
 */
import { applyFeatures, featuresRecord, type FeaturesRecord, type FeaturesSpec } from '../features/spec.ts';
import type { JobData } from './types.ts';

export interface JobFeatures {
  /** The job's data with the feature columns appended to its table (as given without a spec). */
  readonly data: JobData;
  readonly record?: FeaturesRecord;
  /** What computing the features found worth telling (rows without a cutoff, child rows without a time). */
  readonly warnings: readonly string[];
}

export function withJobFeatures(data: JobData, spec: FeaturesSpec | undefined, target?: string): JobFeatures {
  if (!spec) return { data, warnings: [] };
  // No feature may read the column the job predicts (it leaks the label; rows to score have none).
  const { table, build } = applyFeatures(spec, data.table, target !== undefined ? { label: target } : {});
  return { data: { ...data, table }, record: featuresRecord(spec), warnings: build.warnings };
}

/**
 * The column that orders rows in time for validation: the one asked for, else the recipe's cutoff
 * column (each row's prediction time), else none.
 */
export function jobTimeColumn(spec: FeaturesSpec | undefined, asked: string | undefined): string | undefined {
  if (asked !== undefined) return asked;
  const c = spec?.recipe.cutoff;
  return c && 'column' in c ? c.column : undefined;
}

/** The run's `recipe` tag ("churn v1"): which recipe a tracked model's features came from. */
export function recipeTag(spec: FeaturesSpec | undefined): { recipe?: string } {
  return spec ? { recipe: `${spec.recipe.name} v${spec.recipe.version}` } : {};
}
