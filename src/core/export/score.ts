/**
 * Scoring a CSV with a loaded bundle: read the file with the types the model was trained on, check
 * the columns, predict, write the predictions CSV. Shared by `cli predict` and the standalone
 * predict.mjs (which bundles this very code), so both give the same bytes.
 */
import { StudioError } from '../errors.ts';
import { ingestCsv } from '../ingest/index.ts';
import type { ByteSource, IngestOptions, IngestResult } from '../ingest/types.ts';
import type { SemanticType } from '../data/table.ts';
import {
  droppedColumns,
  predictTable,
  predictionsCsv,
  signatureTypes,
  type LoadedBundle,
  type Predictions,
} from './bundle.ts';

/** The scoring file lacks columns the model needs. */
export class MissingColumnsError extends StudioError {
  readonly kind = 'data';
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
  /** Cells that could not be read as the type the model was trained on (scored as missing). */
  readonly mismatches: readonly TypeMismatch[];
  /** Everything worth telling, in words: see {@link scoringNotes}. */
  readonly notes: readonly string[];
}

/** Cells of a column that could not be read as the type the model was trained on (scored as missing). */
export interface TypeMismatch {
  readonly column: string;
  readonly expected: SemanticType;
  readonly count: number;
  /** 1-based rows of the file (the header is row 1), a few examples. */
  readonly rows: readonly number[];
  readonly message: string;
}

/**
 * What to tell about a file read for scoring, in words: the ignored columns, the cells of model
 * columns that could not be read as the type the model was trained on (also returned as
 * `mismatches`), and the repairs made while reading that concern the model's columns or the whole
 * file. `cli predict` and predict.mjs print each as a `note: …` line on stderr.
 */
export function scoringNotes(
  bundle: LoadedBundle,
  data: Pick<IngestResult, 'fixups'>,
  ignored: readonly string[],
): { mismatches: TypeMismatch[]; notes: string[] } {
  const types = new Map(bundle.manifest.signature.inputs.map((c) => [c.name, c.type]));
  const mismatches: TypeMismatch[] = [];
  const notes: string[] = [];
  if (ignored.length)
    notes.push(`ignored ${ignored.length} column(s) the model does not use: ${ignored.join(', ')}`);
  for (const f of data.fixups) {
    const expected = f.column !== undefined ? types.get(f.column) : undefined;
    if (f.kind === 'other' && f.column !== undefined && expected && f.count) {
      const rows = f.rows ?? [];
      const message =
        `column ${f.column}: ${f.count} cell${f.count === 1 ? '' : 's'} could not be read as ${expected} ` +
        `(the type the model was trained on) and ${f.count === 1 ? 'was' : 'were'} scored as missing` +
        (rows.length
          ? ` (${rows.length < f.count ? 'e.g. ' : ''}row${rows.length === 1 ? '' : 's'} ${rows.join(', ')})`
          : '');
      mismatches.push({ column: f.column, expected, count: f.count, rows, message });
      notes.push(message);
    } else if (f.column === undefined || types.has(f.column)) notes.push(f.message);
  }
  return { mismatches, notes };
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
  const { mismatches, notes } = scoringNotes(bundle, data, ignored);
  return { data, predictions, csv: predictionsCsv(bundle, predictions), ignored, mismatches, notes };
}
