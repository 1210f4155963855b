/**
 * Scoring a CSV with a loaded bundle: read the file with the types the model was trained on, check
 * the columns, predict, write the predictions CSV. Shared by `cli predict` and the standalone
 * predict.mjs (which bundles this very code), so both give the same bytes.
 */
import { ingestCsv } from '../ingest/index.ts';
import type { ByteSource, IngestOptions, IngestResult } from '../ingest/types.ts';
import {
  droppedColumns,
  predictTable,
  predictionsCsv,
  signatureTypes,
  type LoadedBundle,
  type Predictions,
} from './bundle.ts';

/** The scoring file lacks columns the model needs. */
export class MissingColumnsError extends Error {
  readonly columns: readonly string[];
  constructor(columns: readonly string[]) {
    super(`lacks column(s) the model needs: ${columns.join(', ')}`);
    this.name = 'MissingColumnsError';
    this.columns = columns;
  }
}

export interface ScoreResult {
  readonly data: IngestResult;
  readonly predictions: Predictions;
  readonly csv: string;
  /** Columns in the file that the model does not read (besides the target). */
  readonly ignored: readonly string[];
}

/** Reads `source` as the model's training data was read and checks it has the columns the model needs. */
export async function readForScoring(
  bundle: LoadedBundle,
  source: ByteSource,
  options: Pick<IngestOptions, 'createHasher' | 'onProgress' | 'signal'> = {},
): Promise<{ data: IngestResult; ignored: string[] }> {
  const data = await ingestCsv(source, { ...options, typeOverrides: signatureTypes(bundle) });
  const have = new Set(data.schema.map((c) => c.name));
  const needed = bundle.manifest.signature.inputs.map((c) => c.name);
  const dropped = droppedColumns(bundle);
  const missing = needed.filter((n) => !have.has(n) && !dropped.has(n));
  if (missing.length) throw new MissingColumnsError(missing);
  const known = new Set([...needed, bundle.manifest.target]);
  const ignored = data.schema.map((c) => c.name).filter((n) => !known.has(n));
  return { data, ignored };
}

export async function scoreCsv(
  bundle: LoadedBundle,
  source: ByteSource,
  options: Pick<IngestOptions, 'createHasher' | 'onProgress' | 'signal'> = {},
): Promise<ScoreResult> {
  const { data, ignored } = await readForScoring(bundle, source, options);
  const predictions = predictTable(bundle, data.table);
  return { data, predictions, csv: predictionsCsv(bundle, predictions), ignored };
}
