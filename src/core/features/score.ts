/**
 * Scoring with a bundle whose model reads recipe features: read the rows to score (the recipe's
 * target table) with the types the training file was read with, compute the features with the
 * recorded recipe on the related tables given, then predict as for any table. Used by `cli predict`
 * (and meant for the Score screen): the same rows and tables give the same features as in training.
 */
import { ingestCsv } from '../ingest/index.ts';
import type { ByteSource, IngestOptions, IngestResult } from '../ingest/types.ts';
import type { SemanticType, Table } from '../data/table.ts';
import {
  droppedColumns,
  predictTable,
  predictionsCsv,
  type LoadedBundle,
  type Predictions,
} from '../export/bundle.ts';
import { MissingColumnsError, scoringNotes, type TypeMismatch } from '../export/score.ts';
import { applyFeatures, tableDifferences } from './spec.ts';
import { FeatureError, type Tables } from './types.ts';

export interface FeatureScoreResult {
  /** The rows as read, with the feature columns appended to `data.table`. */
  readonly data: IngestResult;
  readonly predictions: Predictions;
  readonly csv: string;
  readonly ignored: readonly string[];
  readonly mismatches: readonly TypeMismatch[];
  /** Scoring notes, then how the related tables differ from the ones trained on, then build warnings. */
  readonly notes: readonly string[];
}

/** The related tables the bundle's recipe needs: a clear error naming each one not given. */
export function checkScoringTables(bundle: LoadedBundle, tables: Tables): void {
  const rec = bundle.features;
  if (!rec) {
    const names = Object.keys(tables);
    if (names.length)
      throw new FeatureError(
        'bad-recipe',
        `this model reads no recipe features, so it takes no related tables (given: ${names.join(', ')})`,
      );
    return;
  }
  const needed = Object.keys(rec.tables);
  const missing = needed.filter((t) => !Object.prototype.hasOwnProperty.call(tables, t));
  if (missing.length)
    throw new FeatureError(
      'missing-table',
      `the model reads features of recipe '${rec.recipe.name}' computed from table${missing.length === 1 ? '' : 's'} ` +
        `${missing.map((t) => `'${t}'`).join(', ')}, which ${missing.length === 1 ? 'was' : 'were'} not given ` +
        `(give ${missing.map((t) => `--table ${t}=FILE.csv`).join(' ')})`,
    );
}

/** The types a file of a recipe model's rows is read with: the training file's own columns, as read then. */
export function recipeReadTypes(bundle: LoadedBundle): Record<string, SemanticType> {
  return Object.fromEntries(bundle.manifest.dataset.schema.map((c) => [c.name, c.type]));
}

/**
 * The rows of the recipe's target table with the bundle's recipe features computed from the related
 * tables given (only those the recipe reads), and the build's warnings.
 */
export function withBundleFeatures(
  bundle: LoadedBundle,
  target: Table,
  tables: Tables,
): { table: Table; warnings: readonly string[] } {
  const rec = bundle.features;
  if (!rec) throw new FeatureError('bad-recipe', 'this model reads no recipe features');
  const related = Object.fromEntries(Object.keys(rec.tables).map((t) => [t, tables[t]!]));
  const { table, build } = applyFeatures({ recipe: rec.recipe, tables: related }, target);
  return { table, warnings: build.warnings };
}

export async function scoreWithFeatures(
  bundle: LoadedBundle,
  source: ByteSource,
  tables: Tables,
  options: Pick<IngestOptions, 'createHasher' | 'onProgress' | 'signal'> = {},
): Promise<FeatureScoreResult> {
  const rec = bundle.features;
  if (!rec) throw new FeatureError('bad-recipe', 'this model reads no recipe features');
  checkScoringTables(bundle, tables);
  // The training file's own columns, read as they were read then (the features are computed).
  const data = await ingestCsv(source, { ...options, typeOverrides: recipeReadTypes(bundle) });
  const { table, warnings } = withBundleFeatures(bundle, data.table, tables);
  const have = new Set(table.columns.map((c) => c.name));
  const dropped = droppedColumns(bundle);
  const missing = bundle.manifest.signature.inputs
    .map((c) => c.name)
    .filter((n) => !have.has(n) && !dropped.has(n));
  if (missing.length) throw new MissingColumnsError(missing);
  const featureNames = new Set(rec.recipe.features.map((f) => f.name));
  const known = new Set([...bundle.manifest.signature.inputs.map((c) => c.name), bundle.manifest.target]);
  const ignored = data.schema.map((c) => c.name).filter((n) => !known.has(n) && !featureNames.has(n));
  const predictions = predictTable(bundle, table);
  const { mismatches, notes } = scoringNotes(bundle, data, ignored);
  return {
    data: { ...data, table },
    predictions,
    csv: predictionsCsv(bundle, predictions),
    ignored,
    mismatches,
    notes: [...notes, ...tableDifferences(rec, tables), ...warnings],
  };
}
