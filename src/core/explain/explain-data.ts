/**
 * The rows an Explain view is computed on (issue 18), read as Score reads them: for a model on recipe
 * features (issue 20) the file is the recipe's target table, read with the training file's types, and
 * the features are computed from the related tables given, by the recipe's names, with the recorded
 * recipe (src/core/features/score.ts: `checkScoringTables`, `withBundleFeatures`) — a related table
 * not given is named; for any other model the file is read with the model's signature types
 * (`readForScoring`). Used by the bundle worker's `explain` and by the tests.
 */
import type { Table } from '../data/table.ts';
import { droppedColumns, type LoadedBundle } from '../export/bundle.ts';
import { MissingColumnsError, readForScoring } from '../export/score.ts';
import { checkScoringTables, recipeReadTypes, withBundleFeatures } from '../features/score.ts';
import { tableDifferences } from '../features/spec.ts';
import type { Tables } from '../features/types.ts';
import { ingestCsv } from '../ingest/index.ts';
import type { ByteSource, IngestOptions } from '../ingest/types.ts';
import { explainView, type ExplainView, type ExplainViewOptions } from './view.ts';

export interface ExplainData {
  /** The rows with every column the model reads (recipe features computed). */
  readonly table: Table;
  /** How the related tables differ from the ones trained on, and the feature build's warnings. */
  readonly notes: readonly string[];
}

/** The rows of `source` ready to explain, with `tables` the related tables of a recipe model (by name). */
export async function readForExplaining(
  bundle: LoadedBundle,
  source: ByteSource,
  tables: Tables = {},
  options: Pick<IngestOptions, 'createHasher' | 'onProgress' | 'signal'> = {},
): Promise<ExplainData> {
  // a related table missing (or given to a model without a recipe) is named
  checkScoringTables(bundle, tables);
  const rec = bundle.features;
  if (!rec) return { table: (await readForScoring(bundle, source, options)).data.table, notes: [] };
  const data = await ingestCsv(source, { ...options, typeOverrides: recipeReadTypes(bundle) });
  const { table, warnings } = withBundleFeatures(bundle, data.table, tables);
  const have = new Set(table.columns.map((c) => c.name));
  const dropped = droppedColumns(bundle);
  const missing = bundle.manifest.signature.inputs
    .map((c) => c.name)
    .filter((n) => !have.has(n) && !dropped.has(n));
  if (missing.length) throw new MissingColumnsError(missing);
  const names = Object.keys(rec.tables).sort();
  return {
    table,
    notes: [
      `features of recipe ${rec.recipe.name}@${rec.recipe.version} computed from ${names.map((t) => `'${t}'`).join(', ')}`,
      ...tableDifferences(rec, tables),
      ...warnings,
    ],
  };
}

/** The Explain view of `source` (see readForExplaining), its notes followed by the data's. */
export async function explainViewOf(
  bundle: LoadedBundle,
  source: ByteSource,
  tables: Tables = {},
  options: ExplainViewOptions = {},
): Promise<ExplainView> {
  const data = await readForExplaining(bundle, source, tables);
  const view = explainView(bundle, data.table, { dataName: source.name, ...options });
  return data.notes.length ? { ...view, notes: [...view.notes, ...data.notes] } : view;
}
