/**
 * A run on a project's recipe features (issue 20), read from the browser's dataset store: the target
 * table is read again from its kept file's bytes (so the run's dataset, fingerprint and kept bytes are
 * the target table's, as with `cli automl customers.csv --recipe …`), the related tables the recipe
 * reads are loaded as stored. The job (src/core/jobs) then computes the features with the recipe and
 * writes features.json — the same code as the CLI, no second path.
 */
import { bytesSource, ingestCsv } from '../src/core/ingest/index.ts';
import { FeatureError, recipeTables, type FeaturesSpec, type Tables } from '../src/core/features/index.ts';
import type { JobData } from '../src/core/jobs/types.ts';
import type { Table } from '../src/core/data/table.ts';
import type { DatasetStore } from '../src/store/datasets.ts';
import type { RecipeRun } from './types.ts';

export interface RecipeRunData {
  /** The target table as read from its file. */
  readonly data: JobData;
  /** The target table's file bytes (kept with the tracked run, for Verify). */
  readonly raw: Uint8Array;
  readonly features: FeaturesSpec;
}

export async function recipeRunData(store: DatasetStore, run: RecipeRun): Promise<RecipeRunData> {
  const { recipe } = run;
  if (run.target.name !== recipe.target)
    throw new FeatureError(
      'bad-recipe',
      `the run's target table is '${run.target.name}' but recipe '${recipe.name}' computes features for '${recipe.target}'`,
    );
  const kept = await store.load(run.target.id).catch((err: unknown) => {
    throw new FeatureError(
      'missing-table',
      `the target table '${recipe.target}' is no longer kept in this browser (${err instanceof Error ? err.message : String(err)}): add its file to the project again`,
    );
  });
  if (!kept.raw)
    throw new FeatureError(
      'missing-table',
      `the target table '${recipe.target}' was kept without its file (a file over 64 MiB, or a table added before files were kept), so a model cannot be trained on its features here: add its file to the project again, or use the CLI (automl ${recipe.target}.csv --recipe …)`,
    );
  const raw = new Uint8Array(kept.raw);
  const data = await ingestCsv(bytesSource(kept.info.name, raw));
  const tables: Record<string, Table> = {};
  for (const name of recipeTables(recipe)) {
    const id = Object.prototype.hasOwnProperty.call(run.tables, name) ? run.tables[name] : undefined;
    if (id === undefined)
      throw new FeatureError(
        'missing-table',
        `recipe '${recipe.name}' reads table '${name}', which is not in the project (tables: ${Object.keys(run.tables).join(', ') || 'none'})`,
      );
    try {
      tables[name] = (await store.load(id)).table;
    } catch (err) {
      throw new FeatureError(
        'missing-table',
        `table '${name}' of recipe '${recipe.name}' is no longer kept in this browser (${err instanceof Error ? err.message : String(err)}): add its file to the project again`,
      );
    }
  }
  return { data, raw, features: { recipe, tables: tables as Tables } };
}
