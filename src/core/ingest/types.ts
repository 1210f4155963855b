/** Public types of CSV ingest. Implementation lives beside this file; see `index.ts`. */
import { StudioError, type ErrorKind } from '../errors.ts';
import type { SemanticType, Table } from '../data/table.ts';

/** Bytes that can be read from the start more than once (a File in the browser, a path in Node). */
export interface ByteSource {
  readonly name: string;
  /** Total size in bytes, when known (used for progress and to pre-size column buffers). */
  readonly size?: number;
  /** A fresh stream of the bytes from the start; chunks may be of any size. */
  open(): AsyncIterable<Uint8Array>;
}

export type Delimiter = ',' | ';' | '\t' | '|';
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface IngestProgress {
  readonly bytesRead: number;
  readonly totalBytes: number | undefined;
  readonly rows: number;
  /** 'parse' for the main pass, 'reparse' when some columns are read again, 'hash' if hashing separately. */
  readonly phase: 'parse' | 'reparse' | 'hash';
}

/** Incremental hash (SHA-256) fed with the raw bytes; the CLI passes Node's crypto, others use the default. */
export interface IncrementalHasher {
  update(bytes: Uint8Array): void;
  digestHex(): string | Promise<string>;
}

export interface IngestOptions {
  /** Force a delimiter instead of detecting it. */
  delimiter?: Delimiter;
  /** Force header presence instead of detecting it. */
  hasHeader?: boolean;
  /** Force a text encoding instead of detecting it. */
  encoding?: TextEncodingName;
  /** User's type choices by column name; they win over inference and are recorded in the schema. */
  typeOverrides?: Readonly<Record<string, SemanticType>>;
  /** Extra tokens read as missing, added to the defaults. */
  naTokens?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (p: IngestProgress) => void;
  createHasher?: () => IncrementalHasher;
}

export interface Dialect {
  readonly delimiter: Delimiter;
  readonly hasHeader: boolean;
  readonly encoding: TextEncodingName;
  readonly bom: boolean;
  readonly lineEnding: '\n' | '\r\n' | '\r';
  /** ',' when numbers use a decimal comma (only considered with ';' or tab delimiters). */
  readonly decimalSeparator: '.' | ',';
}

export interface ColumnSchema {
  readonly name: string;
  /** Header text as found in the file (before any rename). */
  readonly originalName: string;
  readonly index: number;
  /** Type in effect (inferred or overridden). */
  readonly type: SemanticType;
  readonly inferredType: SemanticType;
  readonly overridden: boolean;
  /** For datetimes: the text format recognised (e.g. 'yyyy-mm-dd'). */
  readonly format?: string;
}

export interface DatasetFingerprint {
  /** SHA-256 of the raw file bytes, lowercase hex. */
  readonly sha256: string;
  readonly bytes: number;
  readonly rows: number;
  readonly columns: number;
  /** SHA-256 over the schema (names and types in order), lowercase hex. */
  readonly schemaHash: string;
}

/** A repair made while reading, shown to the user ("renamed duplicate column x → x_2"). */
export interface Fixup {
  readonly kind:
    | 'renamed-duplicate'
    | 'renamed-blank'
    | 'padded-short-rows'
    | 'merged-long-rows'
    | 'dropped-empty-lines'
    | 'encoding-fallback'
    | 'stripped-nul'
    | 'type-demoted'
    | 'other';
  readonly message: string;
  readonly column?: string;
  /** 1-based file row numbers (the header is row 1), at most a few examples. */
  readonly rows?: readonly number[];
  readonly count?: number;
}

export interface IngestResult {
  readonly table: Table;
  readonly schema: readonly ColumnSchema[];
  readonly dialect: Dialect;
  readonly fingerprint: DatasetFingerprint;
  readonly fixups: readonly Fixup[];
  readonly sourceName: string;
}

export type IngestErrorCode =
  | 'empty'
  | 'no-data-rows'
  | 'binary'
  | 'compressed'
  | 'unclosed-quote'
  | 'too-many-columns'
  | 'field-too-large'
  | 'encoding'
  | 'cancelled'
  | 'io';

/** A clear, specific error: what is wrong and where (file, 1-based row and column where known). */
export class IngestError extends StudioError {
  readonly kind: ErrorKind;
  readonly code: IngestErrorCode;
  readonly file?: string;
  readonly row?: number;
  readonly column?: string | number;

  constructor(
    code: IngestErrorCode,
    message: string,
    where: { file?: string; row?: number; column?: string | number } = {},
  ) {
    super(message);
    this.name = 'IngestError';
    this.kind = code === 'cancelled' ? 'cancelled' : 'data';
    this.code = code;
    this.file = where.file;
    this.row = where.row;
    this.column = where.column;
  }

  /** One line: `<what is wrong> (<file>, row R, column C)`. */
  override describe(): string {
    const where: string[] = [];
    if (this.file) where.push(this.file);
    if (this.row !== undefined) where.push(`row ${this.row}`);
    if (this.column !== undefined) where.push(`column ${this.column}`);
    return where.length ? `${this.message} (${where.join(', ')})` : this.message;
  }
}
