/**
 * Data worker: reads CSV files and profiles them off the main thread, and keeps the loaded dataset
 * (the File or bytes and the columnar Table) so the page never holds the big table.
 * A thin comlink endpoint over `src/core`; the typed API is in `./types.ts`.
 */
import { expose, releaseProxy } from 'comlink';
import { sourceOf } from './source.ts';
import { cellText, type SemanticType, type Table } from '../src/core/data/table.ts';
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
  Preview,
  ProfileSummary,
  ProgressCallback,
  TypeOverrides,
  WorkerFailure,
  WorkerResult,
} from './types.ts';

const PREVIEW_ROWS = 50;
const PREVIEW_COLUMNS = 100;
const PROGRESS_INTERVAL_MS = 50;

interface Current {
  readonly input: LoadInput;
  readonly result: IngestResult;
  readonly overrides: TypeOverrides;
  /** Types inferred without any override, by column name (ingest reports the override's own type). */
  readonly inferred: ReadonlyMap<string, SemanticType>;
}

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
  input: LoadInput,
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
  const source = sourceOf(input);
  const overrides = options.typeOverrides ?? {};
  try {
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
    const next: Current = { input, result, overrides, inferred: inferredTypes(result, current, input) };
    // Only a complete success replaces the dataset the user already has.
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
    return ingestAndProfile(current.input, { ...options, typeOverrides: overrides }, onProgress);
  },

  cancel() {
    inFlight?.abort();
  },
};

expose(api);
