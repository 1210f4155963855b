/**
 * A loaded bundle made ready to score requests with the very code `cli predict` runs: every request
 * becomes CSV bytes read by `ingestCsv` with the model's signature types, the same column check, then
 * `predictTable` (which applies the bundle's decision threshold). A JSON frame is checked first
 * (columns, and each cell's JSON type against the column's type) so that a wrong value is a 400 naming
 * its row and column; cells the reader cannot read as the column's type (a date that is not a date)
 * are a 400 too, unless the server is lenient (then they are scored as missing, as `predict` does, and
 * reported in `warnings`).
 */
import type { SemanticType } from '../data/table.ts';
import { bytesSource, ingestCsv, IngestError } from '../ingest/index.ts';
import type { IncrementalHasher, IngestOptions, IngestResult } from '../ingest/types.ts';
import {
  droppedColumns,
  predictTable,
  signatureTypes,
  type LoadedBundle,
  type Predictions,
} from '../export/bundle.ts';
import { scoringNotes } from '../export/score.ts';
import { csvField } from '../export/csv-write.ts';
import { PipelineError } from '../pipeline/types.ts';
import { ServeError, showValue } from './errors.ts';
import type { Cell, Frame } from './frame.ts';
import { FrameBatcher, type BatchEntry, type BatchingOptions } from './batch.ts';
import { checkScoringTables, withBundleFeatures } from '../features/score.ts';
import { FeatureError, type Recipe, type Tables } from '../features/types.ts';

export interface ServingOptions {
  /** Score cells that cannot be read as their column's type as missing (as `cli predict`) instead of a 400. */
  readonly lenient?: boolean;
  /** Ignore columns the model does not read (reported in `warnings`) instead of a 400. */
  readonly allowExtraColumns?: boolean;
  /** SHA-256 for the reader (Node passes node:crypto's); the reader's default otherwise. */
  readonly createHasher?: () => IncrementalHasher;
  /** Score small JSON frames that arrive together in one read (batch.ts); off when absent. */
  readonly batching?: BatchingOptions;
  /**
   * The related tables of a model trained on recipe features (by the recipe's names): a request holds
   * rows of the recipe's target table and the features are computed from these, as `predict --table`.
   */
  readonly tables?: Tables;
}

/** A JSON frame's CSV: the header line, the row lines (joined by newlines) and whether a date is read. */
interface FrameParts {
  readonly header: string;
  readonly lines: string;
  readonly dated: boolean;
}

/** The frame's dialect is known (it was written here), not guessed. */
const FRAME_DIALECT = { delimiter: ',', hasHeader: true, encoding: 'utf-8' } as const;

export interface Scored {
  readonly predictions: Predictions;
  readonly warnings: readonly string[];
}

/** What a JSON cell may be for each column type (the reader then reads strings as that type). */
const ACCEPTS: Record<SemanticType, string> = {
  numeric: 'a number or null',
  integer: 'a number or null',
  boolean: 'true, false, a string such as "yes", or null',
  datetime: 'a date string (as in the training data) or null',
  categorical: 'a string, number, boolean or null',
  text: 'a string, number, boolean or null',
  id: 'a string, number or null',
};

export function acceptsText(type: SemanticType): string {
  return ACCEPTS[type];
}

function cellAllowed(type: SemanticType, v: Cell): boolean {
  if (v === null) return true;
  switch (type) {
    case 'numeric':
    case 'integer':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean' || typeof v === 'string' || v === 0 || v === 1;
    case 'datetime':
      return typeof v === 'string';
    case 'id':
      return typeof v !== 'boolean';
    default:
      return true;
  }
}

const cellText = (v: Cell): string =>
  v === null ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);

const plural = (n: number, one: string, many = `${one}s`) => (n === 1 ? one : many);

/** The columns of the recipe's target table its features read (keys, times, cutoff, sources). */
function targetColumnsRead(recipe: Recipe): string[] {
  const out: string[] = [];
  if (recipe.cutoff && 'column' in recipe.cutoff) out.push(recipe.cutoff.column);
  for (const f of recipe.features) {
    switch (f.kind) {
      case 'lookup':
        out.push(f.relationship.childColumn);
        break;
      case 'aggregate':
        out.push(f.relationship.parentColumn);
        break;
      case 'date_part':
      case 'days_since':
        out.push(f.column);
        break;
      case 'rolling':
      case 'lag':
        out.push(f.time, ...(f.entity ? [f.entity] : []), ...(f.column ? [f.column] : []));
        break;
    }
  }
  return out;
}

export class ServingModel {
  readonly bundle: LoadedBundle;
  readonly options: ServingOptions;
  readonly types: ReadonlyMap<string, SemanticType>;
  /** Columns the model drops anyway (ID-like, constant): a request may leave them out. */
  readonly optional: ReadonlySet<string>;
  private readonly overrides: Record<string, SemanticType>;
  private readonly batcher: FrameBatcher<Scored, readonly string[]> | null;

  constructor(bundle: LoadedBundle, options: ServingOptions = {}) {
    this.bundle = bundle;
    this.options = options;
    const rec = bundle.features;
    if (rec) {
      // A request holds rows of the recipe's target table, read as the training file was read; the
      // features are computed. Columns the model reads (not computed, not dropped) are required; the
      // recipe's keys and times are checked when the features are built (a 400 naming the column).
      checkScoringTables(bundle, options.tables ?? {});
      const computed = new Set(rec.recipe.features.map((f) => f.name));
      const target = bundle.manifest.target;
      const own = bundle.manifest.dataset.schema.filter((c) => c.name !== target && !computed.has(c.name));
      this.types = new Map(own.map((c) => [c.name, c.type]));
      this.overrides = Object.fromEntries(own.map((c) => [c.name, c.type]));
      const dropped = droppedColumns(bundle);
      const read = new Set([
        ...bundle.manifest.signature.inputs.map((c) => c.name).filter((n) => !dropped.has(n)),
        ...targetColumnsRead(rec.recipe),
      ]);
      this.optional = new Set(own.map((c) => c.name).filter((n) => !read.has(n)));
    } else {
      if (options.tables && Object.keys(options.tables).length) checkScoringTables(bundle, options.tables);
      this.types = new Map(bundle.manifest.signature.inputs.map((c) => [c.name, c.type]));
      this.optional = droppedColumns(bundle);
      this.overrides = signatureTypes(bundle);
    }
    // Recipe features are not batched: a build's notes (match rates) are about all the rows it read.
    this.batcher =
      options.batching && !rec
        ? new FrameBatcher(options.batching, (header, entries) => this.together(header, entries))
        : null;
  }

  /** Combined reads and the frames they answered; null when batching is off. */
  get batching(): { readonly reads: number; readonly frames: number } | null {
    return this.batcher?.stats ?? null;
  }

  get target(): string {
    return this.bundle.manifest.target;
  }

  /**
   * Checks a request's column names: duplicates, the model's columns it lacks (all named), the columns
   * the model does not read (the target is fine). Returns the ignored columns (allowExtraColumns).
   */
  checkColumns(names: readonly string[], source: 'json' | 'csv'): string[] {
    const seen = new Set<string>();
    const dups = new Set<string>();
    for (const n of names) if (seen.size === seen.add(n).size) dups.add(n);
    if (dups.size)
      throw new ServeError(
        400,
        'DUPLICATE_COLUMNS',
        `the request names ${plural(dups.size, 'column')} ${[...dups].map((n) => JSON.stringify(n)).join(', ')} more than once`,
        { columns: [...dups] },
      );
    const missing = [...this.types.keys()].filter((n) => !seen.has(n) && !this.optional.has(n));
    if (missing.length)
      throw new ServeError(
        400,
        'MISSING_COLUMNS',
        `the request lacks ${plural(missing.length, 'column')} the model needs: ${missing.map((n) => JSON.stringify(n)).join(', ')}` +
          (source === 'csv' ? ' (the first line of a CSV body is the header)' : ''),
        { columns: missing, ...(missing.length === 1 ? { column: missing[0] } : {}) },
      );
    const extra = names.filter((n) => !this.types.has(n) && n !== this.target);
    if (extra.length && !this.options.allowExtraColumns)
      throw new ServeError(
        400,
        'UNKNOWN_COLUMNS',
        `the model does not read ${plural(extra.length, 'column')} ${extra.map((n) => JSON.stringify(n)).join(', ')} ` +
          `(its columns: ${[...this.types.keys()].join(', ')}; the server ignores unknown columns only when started with --allow-extra-columns)`,
        { columns: extra, ...(extra.length === 1 ? { column: extra[0] } : {}) },
      );
    return extra;
  }

  /** The frame as the CSV `predict` would have read: the model's columns only, a header line first. */
  frameCsv(frame: Frame): string {
    const { header, lines } = this.frameParts(frame);
    return frame.rows.length ? `${header}\n${lines}\n` : `${header}\n`;
  }

  private frameParts(frame: Frame): FrameParts {
    const keep: number[] = [];
    let dated = false;
    frame.columns.forEach((c, j) => {
      const type = this.types.get(c);
      if (type === undefined) return;
      keep.push(j);
      if (type === 'datetime') dated = true;
    });
    const lines: string[] = [];
    for (let i = 0; i < frame.rows.length; i++) {
      const row = frame.rows[i];
      let line = '';
      for (let k = 0; k < keep.length; k++) {
        const j = keep[k];
        const v = row[j];
        const type = this.types.get(frame.columns[j])!;
        if (!cellAllowed(type, v))
          throw new ServeError(
            400,
            'BAD_VALUE',
            `row ${i}, column ${JSON.stringify(frame.columns[j])}: expected ${ACCEPTS[type]} (the column is ${type}), got ${showValue(v)}`,
            { row: i, column: frame.columns[j], expected: ACCEPTS[type] },
          );
        if (k) line += ',';
        line += typeof v === 'string' ? csvField(v) : cellText(v);
      }
      lines.push(line);
    }
    return { header: keep.map((j) => csvField(frame.columns[j])).join(','), lines: lines.join('\n'), dated };
  }

  /** Scores a JSON frame (with others that arrive with it, when batching is on). */
  async scoreFrame(frame: Frame): Promise<Scored> {
    // No rows and no columns (an empty list of records): nothing to check, nothing to score.
    if (frame.rows.length === 0 && frame.columns.length === 0) return this.empty([]);
    const ignored = this.checkColumns(frame.columns, 'json');
    if (frame.rows.length === 0) return this.empty(ignored);
    const { header, lines, dated } = this.frameParts(frame);
    const alone = () =>
      this.read(new TextEncoder().encode(`${header}\n${lines}\n`), FRAME_DIALECT, 'json', ignored);
    const b = this.batcher;
    if (!b || dated || frame.rows.length > b.maxFrameRows) return alone();
    return b.add(header, lines, frame.rows.length, ignored, alone);
  }

  /**
   * Scores a group of frames with the same header in one read; null (each is then scored alone) when
   * the read says anything at all, so that every note and error is about one request's own rows.
   */
  private async together(
    header: string,
    entries: readonly BatchEntry<Scored, readonly string[]>[],
  ): Promise<Scored[] | null> {
    const csv = `${header}\n${entries.map((e) => e.lines).join('\n')}\n`;
    const all = await this.read(new TextEncoder().encode(csv), FRAME_DIALECT, 'json', []);
    const total = entries.reduce((n, e) => n + e.nRows, 0);
    if (all.warnings.length || all.predictions.nRows !== total) return null;
    const p = all.predictions;
    const width = total ? p.values.length / total : 0;
    let at = 0;
    return entries.map((e) => {
      const from = at;
      at += e.nRows;
      const predictions: Predictions = {
        values: p.values.slice(from * width, at * width),
        ...(p.labels ? { labels: p.labels.slice(from, at) } : {}),
        nRows: e.nRows,
      };
      return { predictions, warnings: e.meta.length ? [this.ignoredNote(e.meta)] : [] };
    });
  }

  /** Scores a CSV body, read exactly as `cli predict` reads a file. */
  scoreCsv(bytes: Uint8Array, encoding?: IngestOptions['encoding']): Promise<Scored> {
    return this.read(bytes, encoding ? { encoding } : {}, 'csv', []);
  }

  private empty(ignored: readonly string[]): Scored {
    const classification = this.bundle.manifest.task !== 'regression';
    return {
      predictions: {
        values: new Float64Array(0),
        ...(classification ? { labels: new Int32Array(0) } : {}),
        nRows: 0,
      },
      warnings: ignored.length ? [this.ignoredNote(ignored)] : [],
    };
  }

  private ignoredNote(ignored: readonly string[]): string {
    return `ignored ${ignored.length} column(s) the model does not use: ${ignored.join(', ')}`;
  }

  private async read(
    bytes: Uint8Array,
    dialect: Pick<IngestOptions, 'delimiter' | 'hasHeader' | 'encoding'>,
    source: 'json' | 'csv',
    jsonIgnored: readonly string[],
  ): Promise<Scored> {
    let data: IngestResult;
    try {
      data = await ingestCsv(bytesSource('request body', bytes), {
        ...dialect,
        typeOverrides: this.overrides,
        ...(this.options.createHasher ? { createHasher: this.options.createHasher } : {}),
      });
    } catch (err) {
      if (err instanceof IngestError) {
        const row = err.row !== undefined && source === 'csv' ? { row: err.row - 2 } : {};
        throw new ServeError(400, source === 'csv' ? 'BAD_CSV' : 'INVALID_INPUT', err.describe(), row);
      }
      throw err;
    }
    const names = data.schema.map((c) => c.name);
    const ignored = source === 'csv' ? this.checkColumns(names, 'csv') : jsonIgnored;
    if (source === 'csv') this.checkCsvShape(data);
    const { mismatches, notes } = scoringNotes(this.bundle, data, []);
    if (mismatches.length && !this.options.lenient) {
      const m = mismatches[0];
      const fileRow = m.rows[0];
      const row = fileRow !== undefined ? fileRow - 2 : undefined;
      const where =
        row === undefined
          ? ''
          : source === 'csv'
            ? `row ${row} (line ${fileRow} of the CSV, counting the header), `
            : `row ${row}, `;
      throw new ServeError(
        400,
        'BAD_VALUE',
        `${where}column ${JSON.stringify(m.column)}: cannot be read as ${m.expected} (the type the model was trained on)` +
          (m.count > 1 ? `; ${m.count} cells of this column are unreadable` : '') +
          (mismatches.length > 1
            ? `; also in ${plural(mismatches.length - 1, 'column')} ${mismatches
                .slice(1)
                .map((x) => JSON.stringify(x.column))
                .join(', ')}`
            : ''),
        { ...(row !== undefined ? { row } : {}), column: m.column, expected: m.expected },
      );
    }
    let predictions: Predictions;
    const built: string[] = [];
    try {
      let table = data.table;
      if (this.bundle.features) {
        const out = withBundleFeatures(this.bundle, table, this.options.tables ?? {});
        table = out.table;
        built.push(...out.warnings);
      }
      predictions = predictTable(this.bundle, table);
    } catch (err) {
      if (err instanceof PipelineError)
        throw new ServeError(
          400,
          'INVALID_INPUT',
          err.message,
          err.column !== undefined ? { column: err.column } : {},
        );
      if (err instanceof FeatureError) throw new ServeError(400, 'INVALID_INPUT', err.message);
      throw err;
    }
    const all = built.length ? [...notes, ...built] : notes;
    const warnings = ignored.length ? [this.ignoredNote(ignored), ...all] : all;
    return { predictions, warnings };
  }

  /** A CSV body with rows of the wrong width is refused (predict pads or cuts them, with a note). */
  private checkCsvShape(data: IngestResult): void {
    if (this.options.lenient) return;
    for (const f of data.fixups) {
      if (f.kind === 'padded-short-rows' || f.kind === 'merged-long-rows') {
        const fileRow = f.rows?.[0];
        throw new ServeError(
          400,
          'BAD_CSV',
          `the CSV body has ${f.count ?? 'some'} ${plural(f.count ?? 2, 'row')} with ${f.kind === 'padded-short-rows' ? 'fewer' : 'more'} fields than the header` +
            (fileRow !== undefined ? ` (first: line ${fileRow}, counting the header)` : ''),
          fileRow !== undefined ? { row: fileRow - 2 } : {},
        );
      }
    }
  }
}
