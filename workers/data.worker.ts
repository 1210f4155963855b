/**
 * Data worker: reads CSV files and profiles them off the main thread, and keeps the loaded dataset
 * (the File or bytes and the columnar Table) so the page never holds the big table.
 * A thin comlink endpoint over `src/core`; the typed API is in `./types.ts`.
 */
import { expose, releaseProxy } from 'comlink';
import { sourceOf } from './source.ts';
import {
  cellText,
  tableTransferables,
  type Column,
  type SemanticType,
  type Table,
} from '../src/core/data/table.ts';
import { sampleRows } from '../src/core/ingest/sample.ts';
import { DatasetStore, DatasetStoreError, type StoredDatasetInfo } from '../src/store/datasets.ts';
import { MAX_KEPT_RAW_BYTES } from './tracking.ts';
import { ingestCsv } from '../src/core/ingest/index.ts';
import { IngestError, type IngestProgress, type IngestResult } from '../src/core/ingest/types.ts';
import { profileTable } from '../src/core/profile/index.ts';
import { describeError } from '../src/core/errors.ts';
import type { ColumnProfile, DatasetProfile, Task } from '../src/core/profile/types.ts';
import { MAX_TARGET_ASSOCIATIONS, SPARK_BARS } from './types.ts';
import type {
  ColumnSummary,
  DataWorkerApi,
  LoadedDataset,
  LoadInput,
  LoadOptions,
  PersistProgress,
  Preview,
  TableInput,
  ProfileSummary,
  ProgressCallback,
  TypeOverrides,
  WorkerFailure,
  WorkerResult,
} from './types.ts';

const PREVIEW_ROWS = 50;
const PREVIEW_COLUMNS = 100;
const PROGRESS_INTERVAL_MS = 50;

/** A dataset reopened from the browser's storage: no file behind it. */
interface StoredInput {
  readonly kind: 'stored';
  readonly info: StoredDatasetInfo;
  readonly raw?: ArrayBuffer;
}

interface Current {
  readonly input: LoadInput | StoredInput;
  result: IngestResult;
  readonly overrides: TypeOverrides;
  /** Types inferred without any override, by column name (ingest reports the override's own type). */
  readonly inferred: ReadonlyMap<string, SemanticType>;
  readonly sampled?: LoadedDataset['sampled'];
  readonly sampleRequest?: LoadOptions['sample'];
  /** The stored copy of this dataset, once saved or when reopened from storage. */
  stored?: StoredDatasetInfo;
}

/** What is kept with a stored dataset besides its columns. */
interface StoredMeta {
  readonly ingest: Omit<IngestResult, 'table'>;
  readonly profile: DatasetProfile;
  readonly overrides: TypeOverrides;
  readonly inferred: readonly (readonly [string, SemanticType])[];
  readonly sampled?: LoadedDataset['sampled'];
}

const isStored = (input: Current['input']): input is StoredInput =>
  !(input instanceof Blob) && (input as { kind?: string }).kind === 'stored';

let current: Current | null = null;
/** The full profile of `current` (the page only gets a summary). */
let currentProfile: DatasetProfile | null = null;
let inFlight: AbortController | null = null;

function failure(err: unknown, file: string): WorkerFailure {
  if (err instanceof IngestError) return { code: err.code, message: err.describe() };
  if (err instanceof DOMException && err.name === 'AbortError') {
    return { code: 'cancelled', message: `Loading ${file} was cancelled` };
  }
  if (err instanceof DOMException && err.name === 'NotReadableError') {
    return { code: 'io', message: `Cannot read ${file}: the file changed or is no longer available` };
  }
  return { code: 'internal', message: describeError(err, `reading ${file}`).message };
}

function throttled(onProgress: ProgressCallback | undefined): (p: IngestProgress) => void {
  let last = 0;
  return (p) => {
    if (!onProgress) return;
    const now = performance.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    onProgress({ bytesRead: p.bytesRead, totalBytes: p.totalBytes, rows: p.rows, phase: p.phase });
  };
}

/** Close the port behind a comlink-proxied callback once it is no longer needed. */
function release(cb: ProgressCallback | undefined): void {
  const remote = cb as unknown as { [releaseProxy]?: () => void } | undefined;
  try {
    remote?.[releaseProxy]?.();
  } catch {
    // not a proxy (direct call in tests)
  }
}

function preview(table: Table): Preview {
  const rows = Math.min(PREVIEW_ROWS, table.nRows);
  const cols = table.columns.slice(0, PREVIEW_COLUMNS);
  return {
    names: cols.map((c) => c.name),
    columns: cols.map((c) => Array.from({ length: rows }, (_, r) => cellText(c, r))),
    rows,
    totalColumns: table.columns.length,
  };
}

function profile(table: Table, target: string | undefined, task: Task | undefined): DatasetProfile {
  const known = target !== undefined && table.columns.some((c) => c.name === target);
  return profileTable(table, known ? { target, task } : {});
}

function inferredTypes(
  result: IngestResult,
  before: Current | null,
  input: Current['input'],
): Map<string, SemanticType> {
  const known = before && before.input === input ? before.inferred : new Map<string, SemanticType>();
  const out = new Map<string, SemanticType>();
  for (const c of result.schema) {
    out.set(c.name, c.overridden ? (known.get(c.name) ?? c.inferredType) : c.inferredType);
  }
  return out;
}

function spark(c: ColumnProfile): number[] {
  const counts = c.numeric
    ? c.numeric.histogram.map((b) => b.count)
    : c.datetime
      ? c.datetime.histogram.map((b) => b.count)
      : c.top.slice(0, 12).map((t) => t.count);
  if (counts.length <= SPARK_BARS) return counts;
  // Merge neighbouring bins down to SPARK_BARS bars.
  const out = new Array<number>(SPARK_BARS).fill(0);
  counts.forEach((n, i) => (out[Math.floor((i * SPARK_BARS) / counts.length)] += n));
  return out;
}

function summarize(p: DatasetProfile): ProfileSummary {
  const { columns, associations: _pairs, targetAssociations, ...rest } = p;
  const cols: ColumnSummary[] = columns.map((c) => ({
    name: c.name,
    type: c.type,
    count: c.count,
    missing: c.missing,
    missingPct: c.missingPct,
    distinct: c.distinct,
    spark: spark(c),
  }));
  const assoc = targetAssociations
    ? [...targetAssociations].sort((a, b) => b.strength - a.strength).slice(0, MAX_TARGET_ASSOCIATIONS)
    : undefined;
  return { ...rest, columns: cols, ...(assoc ? { targetAssociations: assoc } : {}) };
}

function summary(cur: Current, prof: DatasetProfile): LoadedDataset {
  const r = cur.result;
  return {
    ...(cur.stored ? { stored: { ...cur.stored } } : {}),
    ...(cur.sampled ? { sampled: cur.sampled } : {}),
    sourceName: r.sourceName,
    schema: r.schema.map((c) => ({ ...c, inferredType: cur.inferred.get(c.name) ?? c.inferredType })),
    dialect: r.dialect,
    fingerprint: r.fingerprint,
    fixups: r.fixups,
    preview: preview(r.table),
    profile: summarize(prof),
    typeOverrides: cur.overrides,
  };
}

async function ingestAndProfile(
  input: LoadInput,
  options: LoadOptions,
  onProgress: ProgressCallback | undefined,
): Promise<WorkerResult<LoadedDataset>> {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const mine = ++generation;
  let source = sourceOf(input);
  const overrides = options.typeOverrides ?? {};
  try {
    let sampled: LoadedDataset['sampled'];
    if (options.sample) {
      onProgress?.({ bytesRead: 0, totalBytes: source.size, rows: 0, phase: 'parse' });
      const s = await sampleRows(source, { ...options.sample, signal: controller.signal });
      source = s.source;
      sampled = {
        rows: s.rows,
        ofRows: s.ofRows,
        seed: options.sample.seed,
        ...(options.sample.stratifyOn !== undefined ? { stratifyOn: options.sample.stratifyOn } : {}),
      };
    }
    const result = await ingestCsv(source, {
      typeOverrides: overrides,
      signal: controller.signal,
      onProgress: throttled(onProgress),
    });
    if (controller.signal.aborted)
      throw new IngestError('cancelled', 'loading was cancelled', { file: source.name });
    onProgress?.({
      bytesRead: result.fingerprint.bytes,
      totalBytes: source.size,
      rows: result.table.nRows,
      phase: 'profile',
    });
    const prof = profile(result.table, options.target, options.task);
    const next: Current = {
      input,
      result,
      overrides,
      inferred: inferredTypes(result, current, input),
      ...(sampled ? { sampled, sampleRequest: options.sample } : {}),
    };
    // Only a complete success replaces the dataset the user already has, and only the latest request
    // (a stored dataset opened meanwhile wins over this load, and the other way round).
    if (mine !== generation)
      throw new IngestError('cancelled', 'loading was superseded by a newer request', { file: source.name });
    current = next;
    currentProfile = prof;
    return { ok: true, value: summary(next, prof) };
  } catch (err) {
    return { ok: false, error: failure(err, source.name) };
  } finally {
    if (inFlight === controller) inFlight = null;
    release(onProgress);
  }
}

const api: DataWorkerApi = {
  load(input, options, onProgress) {
    return ingestAndProfile(input, options, onProgress);
  },

  async reprofile({ target, task }) {
    if (!current) return { ok: false, error: { code: 'no-dataset', message: 'No dataset is loaded' } };
    if (target !== undefined && !current.result.table.columns.some((c) => c.name === target)) {
      return {
        ok: false,
        error: { code: 'unknown-column', message: `No column named "${target}" in the dataset` },
      };
    }
    try {
      currentProfile = profileTable(current.result.table, { target, task });
      keepStoredProfile(current, currentProfile);
      return { ok: true, value: summarize(currentProfile) };
    } catch (err) {
      return { ok: false, error: failure(err, current.result.sourceName) };
    }
  },

  async column(name) {
    const col = currentProfile?.columns.find((c) => c.name === name);
    if (!currentProfile) return { ok: false, error: { code: 'no-dataset', message: 'No dataset is loaded' } };
    if (!col)
      return {
        ok: false,
        error: { code: 'unknown-column', message: `No column named "${name}" in the dataset` },
      };
    return { ok: true, value: col };
  },

  setTypeOverrides(overrides, options, onProgress) {
    if (!current) {
      return Promise.resolve({ ok: false, error: { code: 'no-dataset', message: 'No dataset is loaded' } });
    }
    const input = current.input;
    if (isStored(input)) {
      return Promise.resolve({
        ok: false,
        error: {
          code: 'io',
          message: `${input.info.name} was reopened from the browser's storage without its file: load the file again to change a column's type`,
        },
      });
    }
    return ingestAndProfile(
      input,
      {
        ...options,
        typeOverrides: overrides,
        ...(current.sampleRequest ? { sample: current.sampleRequest } : {}),
      },
      onProgress,
    );
  },

  cancel() {
    inFlight?.abort();
  },

  async tableKey() {
    return current ? keyOf(current) : null;
  },

  async sendTable(port) {
    const cur = current;
    try {
      if (!cur) throw new DatasetStoreError('not-found', 'No dataset is loaded');
      const raw = await rawBytes(cur);
      const shared = sharedMemory();
      if (shared && !isSharedTable(cur.result.table))
        cur.result = { ...cur.result, table: toShared(cur.result.table) };
      const data = shared ? cur.result : { ...cur.result, table: copyTable(cur.result.table) };
      const key = keyOf(cur);
      const value: TableInput = {
        kind: 'table',
        key,
        name: cur.result.sourceName,
        data,
        shared,
        ...(raw ? { raw } : {}),
      };
      const buffers: Transferable[] = shared ? [] : tableTransferables(data.table);
      port.postMessage({ ok: true, value }, raw ? [...buffers, raw] : buffers);
      return { ok: true, value: { key } };
    } catch (err) {
      const error = storeFailure(err, cur?.result.sourceName ?? 'the dataset');
      port.postMessage({ ok: false, error });
      return { ok: false, error };
    } finally {
      port.close();
    }
  },

  async persist(onProgress) {
    const cur = current;
    const prof = currentProfile;
    if (!cur || !prof) return { ok: false, error: { code: 'no-dataset', message: 'No dataset is loaded' } };
    persistAbort?.abort();
    const controller = new AbortController();
    persistAbort = controller;
    try {
      const store = await datasetStore();
      const raw = await rawBytes(cur);
      const saved = await store.save(
        {
          name: cur.result.sourceName,
          key: keyOf(cur),
          table: cur.result.table,
          meta: metaOf(cur, prof),
          sourceBytes: cur.result.fingerprint.bytes,
          ...(raw ? { raw } : {}),
        },
        {
          signal: controller.signal,
          onProgress: (p) => persistProgress(onProgress, p),
        },
      );
      if (current === cur) cur.stored = saved;
      return { ok: true, value: { ...saved } };
    } catch (err) {
      return { ok: false, error: storeFailure(err, cur.result.sourceName) };
    } finally {
      if (persistAbort === controller) persistAbort = null;
      release(onProgress as ProgressCallback | undefined);
    }
  },

  cancelPersist() {
    persistAbort?.abort();
  },

  async storedDatasets() {
    try {
      const store = await datasetStore();
      return { ok: true, value: (await store.list()).map((d) => ({ ...d })) };
    } catch (err) {
      return { ok: false, error: storeFailure(err, 'the stored datasets') };
    }
  },

  async restore(id, onProgress) {
    inFlight?.abort();
    const mine = ++generation;
    try {
      const store = await datasetStore();
      const which = id ?? (await store.latest())?.id;
      if (which === undefined) return { ok: true, value: null };
      const got = await store.load<StoredMeta>(which, {
        onProgress: (p) => persistProgress(onProgress, p),
      });
      const m = got.meta;
      const next: Current = {
        input: { kind: 'stored', info: got.info, ...(got.raw ? { raw: got.raw } : {}) },
        result: { ...m.ingest, table: got.table },
        overrides: m.overrides,
        inferred: new Map(m.inferred),
        ...(m.sampled ? { sampled: m.sampled } : {}),
        stored: got.info,
      };
      if (mine !== generation)
        return {
          ok: false,
          error: { code: 'cancelled', message: 'Opening was superseded by a newer request' },
        };
      current = next;
      currentProfile = m.profile;
      return { ok: true, value: summary(next, m.profile) };
    } catch (err) {
      return { ok: false, error: storeFailure(err, 'the stored dataset') };
    } finally {
      release(onProgress as ProgressCallback | undefined);
    }
  },

  async deleteStored(id) {
    try {
      const store = await datasetStore();
      await store.delete(id);
      if (current?.stored?.id === id) delete current.stored;
      return { ok: true, value: true };
    } catch (err) {
      return { ok: false, error: storeFailure(err, 'the stored dataset') };
    }
  },
};

// --- Handing the table to the training worker, and keeping it in the browser's storage (issue 21).

let persistAbort: AbortController | null = null;
/** Loads and restores in order of request: only the latest one may replace `current`. */
let generation = 0;
let storePromise: Promise<DatasetStore> | null = null;

function datasetStore(): Promise<DatasetStore> {
  if (!storePromise) {
    storePromise = DatasetStore.open();
    storePromise.catch(() => (storePromise = null));
  }
  return storePromise;
}

/** A stored dataset keeps the target chosen after it was saved (reopened with it). */
function keepStoredProfile(cur: Current, prof: DatasetProfile): void {
  const id = cur.stored?.id;
  if (id === undefined) return;
  void datasetStore()
    .then((s) => s.updateMeta(id, metaOf(cur, prof)))
    .catch(() => {});
}

function keyOf(cur: Current): string {
  const overrides = Object.keys(cur.overrides)
    .sort()
    .map((k) => [k, cur.overrides[k]]);
  const s = cur.sampled;
  return JSON.stringify([
    cur.result.fingerprint.sha256,
    overrides,
    s ? [s.rows, s.seed, s.stratifyOn ?? null] : null,
  ]);
}

function metaOf(cur: Current, prof: DatasetProfile): StoredMeta {
  const { table: _table, ...ingest } = cur.result;
  return {
    ingest,
    profile: prof,
    overrides: cur.overrides,
    inferred: [...cur.inferred],
    ...(cur.sampled ? { sampled: cur.sampled } : {}),
  };
}

/** The file's bytes when small enough to be kept with a tracked run (read here, not in the training worker). */
async function rawBytes(cur: Current): Promise<ArrayBuffer | undefined> {
  if (cur.sampled) return undefined; // the run's data is the sample, not the file
  const input = cur.input;
  if (isStored(input)) return input.raw?.slice(0);
  if (input instanceof Blob) return input.size <= MAX_KEPT_RAW_BYTES ? input.arrayBuffer() : undefined;
  return input.bytes.byteLength <= MAX_KEPT_RAW_BYTES ? input.bytes.slice(0) : undefined;
}

function persistProgress(cb: ((p: PersistProgress) => void) | undefined, p: PersistProgress): void {
  try {
    void Promise.resolve(cb?.({ written: p.written, total: p.total }) as unknown).catch(() => {});
  } catch {
    // the page went away
  }
}

function storeFailure(err: unknown, what: string): WorkerFailure {
  if (err instanceof DatasetStoreError) {
    return {
      code: err.code === 'cancelled' ? 'cancelled' : err.code === 'not-found' ? 'no-dataset' : 'io',
      message: err.message,
    };
  }
  return failure(err, what);
}

/** SharedArrayBuffer works only in a cross-origin isolated page (COOP/COEP headers). */
function sharedMemory(): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  );
}

function isSharedTable(t: Table): boolean {
  return t.columns.every(
    (c) => (c.storage === 'dict' ? c.codes : c.values).buffer instanceof SharedArrayBuffer,
  );
}

function mapColumns(t: Table, copy: <A extends Float64Array | Int32Array | Uint8Array>(a: A) => A): Table {
  const columns = t.columns.map((c): Column => {
    if (c.storage === 'dict') return { ...c, codes: copy(c.codes) };
    if (c.storage === 'bool') return { ...c, values: copy(c.values) };
    if (c.storage === 'datetime') return { ...c, values: copy(c.values) };
    return { ...c, values: copy(c.values) };
  });
  return { nRows: t.nRows, columns };
}

/** A copy of the columns (to transfer: the data screen keeps its own). */
function copyTable(t: Table): Table {
  return mapColumns(t, (a) => a.slice() as typeof a);
}

/** The columns moved into SharedArrayBuffers (one copy, then shared with the training worker). */
function toShared(t: Table): Table {
  return mapColumns(t, (a) => {
    const Ctor = a.constructor as new (buf: SharedArrayBuffer) => typeof a;
    const out = new Ctor(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  });
}

expose(api);
