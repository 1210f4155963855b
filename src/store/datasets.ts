/**
 * Datasets kept in IndexedDB as their parsed columns (issue 21): reopening the studio restores the
 * last dataset without the original file and without parsing it again.
 *
 * One row per dataset (`datasets`: name, sizes, when it was saved and last opened, and an opaque
 * `meta` the caller keeps with it — schema, profile, type choices) and its columns cut into chunks of
 * {@link CHUNK_ROWS} rows (`chunks`, each an ArrayBuffer). A save writes the chunks in several small
 * transactions (so it reports progress and can be cancelled between them) and marks the dataset
 * complete last: an interrupted save leaves an incomplete row that is never listed and is removed the
 * next time the store is opened. Works in a page or a worker, and in Node over fake-indexeddb.
 */
import Dexie, { type Table as DexieTable } from 'dexie';
import type { Column, SemanticType, Table } from '../core/data/table.ts';

export const DATASETS_DB_NAME = 'automl-studio-datasets';
/** Rows per stored chunk (64 Ki rows: 512 KiB for a float column). */
export const CHUNK_ROWS = 65_536;
/** Chunks written per transaction (between two of them a save can be cancelled). */
const CHUNKS_PER_TX = 16;

/** A column without its values (the values are in the chunks). */
export type StoredColumn =
  | { readonly name: string; readonly type: SemanticType; readonly storage: 'float64' }
  | {
      readonly name: string;
      readonly type: SemanticType;
      readonly storage: 'dict';
      readonly dictionary: readonly string[];
    }
  | {
      readonly name: string;
      readonly type: SemanticType;
      readonly storage: 'bool';
      readonly labels?: readonly [string, string];
    }
  | {
      readonly name: string;
      readonly type: SemanticType;
      readonly storage: 'datetime';
      readonly format: string;
    };

export interface DatasetRow<M = unknown> {
  readonly id: string;
  readonly name: string;
  /** Content key (e.g. the file's SHA-256 and the type choices): saving the same key replaces it. */
  readonly key: string;
  readonly rows: number;
  readonly columns: readonly StoredColumn[];
  /** Bytes this dataset takes in the store (chunks + dictionaries + the raw file when kept). */
  readonly storedBytes: number;
  /** Size of the original file. */
  readonly sourceBytes: number;
  readonly savedAt: number;
  readonly openedAt: number;
  /** 0 while the chunks are being written, 1 once complete (only complete datasets are listed). */
  readonly complete: 0 | 1;
  readonly hasRaw: boolean;
  readonly meta: M;
  /** 1 for a table kept as part of a project (e.g. a related table of a feature recipe): never listed. */
  readonly hidden?: 1;
}

/** A project kept beside the datasets (e.g. the tables and recipe of feature engineering, issue 20). */
export interface ProjectRow<P = unknown> {
  readonly id: string;
  readonly savedAt: number;
  readonly value: P;
}

interface ChunkRow {
  readonly datasetId: string;
  readonly column: number;
  readonly chunk: number;
  readonly data: ArrayBuffer;
}

interface RawRow {
  readonly datasetId: string;
  readonly data: ArrayBuffer;
}

/** What the Data screen lists. */
export interface StoredDatasetInfo {
  readonly id: string;
  readonly name: string;
  readonly rows: number;
  readonly columns: number;
  readonly storedBytes: number;
  readonly sourceBytes: number;
  readonly savedAt: number;
  readonly openedAt: number;
}

export interface SaveProgress {
  readonly written: number;
  readonly total: number;
}

export class DatasetStoreError extends Error {
  constructor(
    readonly code: 'not-found' | 'cancelled' | 'quota' | 'damaged' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'DatasetStoreError';
  }
}

class DatasetsDb extends Dexie {
  declare datasets: DexieTable<DatasetRow, string>;
  declare chunks: DexieTable<ChunkRow, [string, number, number]>;
  declare raws: DexieTable<RawRow, string>;
  declare projects: DexieTable<ProjectRow, string>;
}

export interface OpenOptions {
  readonly name?: string;
  /** An IDBFactory (fake-indexeddb in Node tests); default: the global one. */
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
}

function info(r: DatasetRow): StoredDatasetInfo {
  return {
    id: r.id,
    name: r.name,
    rows: r.rows,
    columns: r.columns.length,
    storedBytes: r.storedBytes,
    sourceBytes: r.sourceBytes,
    savedAt: r.savedAt,
    openedAt: r.openedAt,
  };
}

function valuesOf(c: Column): Float64Array | Int32Array | Uint8Array {
  return c.storage === 'dict' ? c.codes : c.values;
}

function describeColumn(c: Column): StoredColumn {
  switch (c.storage) {
    case 'float64':
      return { name: c.name, type: c.type, storage: 'float64' };
    case 'datetime':
      return { name: c.name, type: c.type, storage: 'datetime', format: c.format };
    case 'dict':
      return { name: c.name, type: c.type, storage: 'dict', dictionary: c.dictionary };
    case 'bool':
      return { name: c.name, type: c.type, storage: 'bool', ...(c.labels ? { labels: c.labels } : {}) };
  }
}

function dictionaryBytes(c: StoredColumn): number {
  if (c.storage !== 'dict') return 0;
  let n = 0;
  for (const s of c.dictionary) n += 2 * s.length + 16;
  return n;
}

const nextId = (): string =>
  `ds-${Date.now().toString(36)}-${Math.floor(Math.random() * 2 ** 32).toString(36)}`;

const isQuota = (err: unknown): boolean =>
  !!err &&
  typeof err === 'object' &&
  ((err as { name?: string }).name === 'QuotaExceededError' ||
    (err as { inner?: { name?: string } }).inner?.name === 'QuotaExceededError');

export class DatasetStore {
  readonly #db: DatasetsDb;

  private constructor(db: DatasetsDb) {
    this.#db = db;
  }

  static async open(options: OpenOptions = {}): Promise<DatasetStore> {
    const db = new DatasetsDb(options.name ?? DATASETS_DB_NAME, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    });
    db.version(1).stores({
      datasets: 'id, key, openedAt, complete',
      chunks: '[datasetId+column+chunk], datasetId',
      raws: 'datasetId',
    });
    db.version(2).stores({ projects: 'id' });
    try {
      await db.open();
    } catch (err) {
      throw new DatasetStoreError(
        'unavailable',
        `the browser's storage (IndexedDB) cannot be opened: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const store = new DatasetStore(db);
    await store.#dropIncomplete();
    return store;
  }

  async #dropIncomplete(): Promise<void> {
    const stale = await this.#db.datasets.where('complete').equals(0).primaryKeys();
    for (const id of stale) await this.#remove(id);
  }

  async #remove(id: string): Promise<void> {
    await this.#db.transaction('rw', this.#db.datasets, this.#db.chunks, this.#db.raws, async () => {
      await this.#db.chunks.where('datasetId').equals(id).delete();
      await this.#db.raws.delete(id);
      await this.#db.datasets.delete(id);
    });
  }

  /** Complete datasets, the most recently opened first (tables kept only as part of a project are not listed). */
  async list(): Promise<StoredDatasetInfo[]> {
    const rows = (await this.#db.datasets.where('complete').equals(1).toArray()).filter((r) => !r.hidden);
    return rows.sort((a, b) => b.openedAt - a.openedAt).map(info);
  }

  /** The most recently opened complete dataset, if any. */
  async latest(): Promise<StoredDatasetInfo | undefined> {
    return (await this.list())[0];
  }

  /**
   * Save a table (a dataset saved before under the same key is replaced once this one is complete).
   * The caller's `meta` must be structured-cloneable. Cancel with `signal` (nothing is kept).
   */
  async save<M>(
    input: {
      readonly name: string;
      readonly key: string;
      readonly table: Table;
      readonly meta: M;
      readonly sourceBytes: number;
      readonly raw?: ArrayBuffer;
      /** Kept as part of a project: not listed, not reopened as the last dataset. */
      readonly hidden?: boolean;
    },
    options: { signal?: AbortSignal; onProgress?: (p: SaveProgress) => void } = {},
  ): Promise<StoredDatasetInfo> {
    const { table } = input;
    const columns = table.columns.map(describeColumn);
    const nChunks = Math.max(1, Math.ceil(table.nRows / CHUNK_ROWS));
    const total = nChunks * table.columns.length;
    let storedBytes = input.raw?.byteLength ?? 0;
    for (const c of table.columns) storedBytes += valuesOf(c).BYTES_PER_ELEMENT * table.nRows;
    for (const c of columns) storedBytes += dictionaryBytes(c);
    const now = Date.now();
    const row: DatasetRow<M> = {
      id: nextId(),
      name: input.name,
      key: input.key,
      rows: table.nRows,
      columns,
      storedBytes,
      sourceBytes: input.sourceBytes,
      savedAt: now,
      openedAt: now,
      complete: 0,
      hasRaw: input.raw !== undefined,
      meta: input.meta,
      ...(input.hidden ? { hidden: 1 as const } : {}),
    };
    const db = this.#db;
    const cancelled = (): boolean => options.signal?.aborted === true;
    try {
      await db.datasets.add(row as DatasetRow);
      if (input.raw) await db.raws.add({ datasetId: row.id, data: input.raw });
      let written = 0;
      let batch: ChunkRow[] = [];
      const flush = async (): Promise<void> => {
        if (cancelled()) throw new DatasetStoreError('cancelled', `saving ${input.name} was cancelled`);
        await db.chunks.bulkAdd(batch);
        written += batch.length;
        batch = [];
        options.onProgress?.({ written, total });
      };
      for (let ci = 0; ci < table.columns.length; ci++) {
        const values = valuesOf(table.columns[ci]);
        for (let k = 0; k < nChunks; k++) {
          const part = values.slice(k * CHUNK_ROWS, Math.min(table.nRows, (k + 1) * CHUNK_ROWS));
          batch.push({ datasetId: row.id, column: ci, chunk: k, data: part.buffer as ArrayBuffer });
          if (batch.length >= CHUNKS_PER_TX) await flush();
        }
      }
      if (batch.length) await flush();
      if (cancelled()) throw new DatasetStoreError('cancelled', `saving ${input.name} was cancelled`);
      // Complete: replace any older copy of the same content.
      const older = await db.datasets.where('key').equals(input.key).primaryKeys();
      await db.datasets.update(row.id, { complete: 1 });
      for (const id of older) if (id !== row.id) await this.#remove(id);
      return info({ ...row, complete: 1 } as DatasetRow);
    } catch (err) {
      await this.#remove(row.id).catch(() => {});
      if (err instanceof DatasetStoreError) throw err;
      if (isQuota(err))
        throw new DatasetStoreError(
          'quota',
          `not enough browser storage to keep ${input.name} (${(storedBytes / 2 ** 20).toFixed(1)} MB needed): delete a stored dataset or free disk space`,
        );
      throw err;
    }
  }

  /** Read a dataset's columns back into a table (and mark it as opened now). */
  async load<M = unknown>(
    id: string,
    options: { signal?: AbortSignal; onProgress?: (p: SaveProgress) => void } = {},
  ): Promise<{ info: StoredDatasetInfo; table: Table; meta: M; raw?: ArrayBuffer }> {
    const db = this.#db;
    const row = (await db.datasets.get(id)) as DatasetRow<M> | undefined;
    if (!row || row.complete !== 1)
      throw new DatasetStoreError('not-found', `no stored dataset with id ${id} (it may have been deleted)`);
    const n = row.rows;
    const nChunks = Math.max(1, Math.ceil(n / CHUNK_ROWS));
    const columns: Column[] = [];
    for (let ci = 0; ci < row.columns.length; ci++) {
      if (options.signal?.aborted)
        throw new DatasetStoreError('cancelled', `opening ${row.name} was cancelled`);
      const meta = row.columns[ci];
      const chunks = await db.chunks
        .where('[datasetId+column+chunk]')
        .between([id, ci, Dexie.minKey], [id, ci, Dexie.maxKey])
        .toArray();
      if (chunks.length !== nChunks)
        throw new DatasetStoreError(
          'damaged',
          `the stored dataset ${row.name} is incomplete (column ${meta.name}: ${chunks.length} of ${nChunks} chunks)`,
        );
      const values =
        meta.storage === 'dict'
          ? new Int32Array(n)
          : meta.storage === 'bool'
            ? new Uint8Array(n)
            : new Float64Array(n);
      for (const ch of chunks) {
        const view =
          meta.storage === 'dict'
            ? new Int32Array(ch.data)
            : meta.storage === 'bool'
              ? new Uint8Array(ch.data)
              : new Float64Array(ch.data);
        values.set(view as never, ch.chunk * CHUNK_ROWS);
      }
      columns.push(columnFrom(meta, values));
      options.onProgress?.({ written: ci + 1, total: row.columns.length });
    }
    const raw = row.hasRaw ? (await db.raws.get(id))?.data : undefined;
    const openedAt = Date.now();
    await db.datasets.update(id, { openedAt });
    return {
      info: info({ ...row, openedAt } as DatasetRow),
      table: { nRows: n, columns },
      meta: row.meta,
      ...(raw ? { raw } : {}),
    };
  }

  /** Replace the caller's meta of a stored dataset (e.g. a new target chosen after it was saved). */
  async updateMeta<M>(id: string, meta: M): Promise<void> {
    await this.#db.datasets.update(id, { meta });
  }

  async delete(id: string): Promise<void> {
    await this.#remove(id);
  }

  /** Keep a project (structured-cloneable) under `id`, replacing the one kept before. */
  async putProject<P>(id: string, value: P): Promise<void> {
    await this.#db.projects.put({ id, savedAt: Date.now(), value });
  }

  /** The project kept under `id`, if any. */
  async getProject<P>(id: string): Promise<ProjectRow<P> | undefined> {
    return (await this.#db.projects.get(id)) as ProjectRow<P> | undefined;
  }

  async deleteProject(id: string): Promise<void> {
    await this.#db.projects.delete(id);
  }

  close(): void {
    this.#db.close();
  }
}

function columnFrom(meta: StoredColumn, values: Float64Array | Int32Array | Uint8Array): Column {
  switch (meta.storage) {
    case 'float64':
      return { name: meta.name, type: meta.type, storage: 'float64', values: values as Float64Array };
    case 'datetime':
      return {
        name: meta.name,
        type: meta.type,
        storage: 'datetime',
        values: values as Float64Array,
        format: meta.format,
      };
    case 'dict':
      return {
        name: meta.name,
        type: meta.type,
        storage: 'dict',
        codes: values as Int32Array,
        dictionary: meta.dictionary,
      };
    case 'bool':
      return {
        name: meta.name,
        type: meta.type,
        storage: 'bool',
        values: values as Uint8Array,
        ...(meta.labels ? { labels: meta.labels } : {}),
      };
  }
}
