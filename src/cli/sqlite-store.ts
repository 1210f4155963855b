/**
 * The CLI's tracking store: an SQLite file (default `.automl/tracking.db`, as MLflow's sqlite
 * backend) with artifact and dataset bytes as content-addressed files beside it
 * (`.automl/artifacts/<sha256 hex>`). Driver: better-sqlite3 (native SQLite, synchronous API).
 *
 * - Every `write` is one `BEGIN IMMEDIATE` transaction running the shared `applyBatch`: all or
 *   nothing, and it holds SQLite's write lock, so two CLI processes recording at once are
 *   serialized by SQLite (WAL journal; a writer waits up to `busyTimeoutMs` for the other).
 * - Reads use indexes (runs by experiment/parent/start time, artifacts by run, metrics by run+key);
 *   nothing is replayed.
 * - Records are stored as JSON (non-finite numbers and bytes encoded losslessly) with the columns
 *   queries need beside them.
 * - Blob files are written (temp file + rename) inside the write lock before COMMIT; a rolled-back
 *   batch removes the files it created. Freed blobs are unlinked after COMMIT, under the lock again,
 *   only if still unreferenced.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  applyBatch,
  compareMetricPoints,
  compareMonitoringRecords,
  matchesMonitoringQuery,
  type BatchTx,
} from '../core/tracking/apply.ts';
import { StoreError } from '../core/tracking/errors.ts';
import { deepFreeze } from '../core/tracking/freeze.ts';
import { encodePageToken, matchesAll, normalizeQuery, pageRuns } from '../core/tracking/query.ts';
import type { TrackingStore } from '../core/tracking/store.ts';
import type {
  ArtifactRecord,
  DatasetRecord,
  ExperimentRecord,
  MetricPoint,
  ModelVersionRecord,
  MonitoringQuery,
  MonitoringRecord,
  RegisteredModelRecord,
  RunPage,
  RunQuery,
  RunRecord,
  StorageUsage,
  WriteOp,
  WriteResult,
} from '../core/tracking/types.ts';
import { b64, bytesToBase64 } from '../core/util/base64.ts';

/**
 * Schema versions: 1 first release; 2 adds the `monitoring` table (one record per monitored batch;
 * a version 1 database gets the empty table when it is opened, and its schema becomes 2).
 */
export const SQLITE_SCHEMA_VERSION = 2;

export interface SqliteStoreOptions {
  /** Folder of the blob files (default: `artifacts` beside `tracking.db`, else `<name>.artifacts`). */
  readonly artifactsDir?: string;
  /** How long a writer waits for another process's transaction (default 15 s). */
  readonly busyTimeoutMs?: number;
  readonly now?: () => number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, parent_key TEXT NOT NULL, state TEXT NOT NULL,
  start_time INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment_id, start_time, id);
CREATE INDEX IF NOT EXISTS runs_by_parent ON runs (experiment_id, parent_key, start_time, id);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (start_time, id);
CREATE INDEX IF NOT EXISTS runs_by_state ON runs (state);
CREATE TABLE IF NOT EXISTS metrics (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, key TEXT NOT NULL, value REAL,
  step INTEGER NOT NULL, timestamp INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, key);
CREATE TABLE IF NOT EXISTS artifacts (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, experiment_id TEXT NOT NULL, content_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS artifacts_by_run ON artifacts (run_id, created_at, id);
CREATE INDEX IF NOT EXISTS artifacts_by_experiment ON artifacts (experiment_id);
CREATE INDEX IF NOT EXISTS artifacts_by_hash ON artifacts (content_hash);
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
  fingerprint TEXT PRIMARY KEY, content_hash TEXT, created_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS datasets_by_hash ON datasets (content_hash);
CREATE TABLE IF NOT EXISTS registered_models (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS model_versions (
  name TEXT NOT NULL, version INTEGER NOT NULL, source_run_id TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (name, version));
CREATE INDEX IF NOT EXISTS model_versions_by_run ON model_versions (source_run_id);
`;

/** Schema 2: monitoring records (added to a version 1 database on open). */
const SCHEMA_V2 = `
CREATE TABLE IF NOT EXISTS monitoring (
  id TEXT PRIMARY KEY, model_name TEXT, model_version INTEGER, run_id TEXT, bundle_sha256 TEXT NOT NULL,
  batch_time INTEGER NOT NULL, created_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS monitoring_by_version ON monitoring (model_name, model_version);
CREATE INDEX IF NOT EXISTS monitoring_by_run ON monitoring (run_id);
CREATE INDEX IF NOT EXISTS monitoring_by_bundle ON monitoring (bundle_sha256);
`;

// ---------------------------------------------------------------- lossless JSON

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the raw value (before toJSON); numbers that JSON can't hold are tagged
  const raw = (this as Record<string, unknown>)[key];
  if (typeof raw === 'number' && !Number.isFinite(raw)) return { $num: String(raw) };
  if (raw instanceof Uint8Array) return { $bytes: bytesToBase64(raw) };
  return value;
}
function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const v = value as { $num?: string; $bytes?: string };
      if (typeof v.$num === 'string') return Number(v.$num);
      if (typeof v.$bytes === 'string') return b64.u8(v.$bytes);
    }
  }
  return value;
}
const enc = (v: unknown): string => JSON.stringify(v, replacer);
function dec<T>(text: string): T {
  return deepFreeze(JSON.parse(text, reviver) as T);
}
function decOpt<T>(row: { json: string } | undefined): T | undefined {
  return row ? dec<T>(row.json) : undefined;
}
const freezeAll = <T>(xs: T[]): readonly T[] => Object.freeze(xs);

/** Where the blob files of a store at `dbPath` go by default. */
export function defaultArtifactsDir(dbPath: string): string {
  const stem = basename(dbPath, extname(dbPath));
  return join(dirname(dbPath), stem === 'tracking' ? 'artifacts' : `${stem}.artifacts`);
}

const hexOf = (hash: string): string => {
  const m = /^sha256:([0-9a-f]{64})$/.exec(hash);
  if (!m) throw new StoreError('STORAGE', `unexpected content hash ${JSON.stringify(hash)}`);
  return m[1];
};

type Row = { json: string };

/**
 * Opens the SQLite database at `path` (its folder created) as the CLI's stores do: WAL, a busy
 * timeout, and `init` (schema, version checks) in one immediate transaction, rolled back when it
 * throws. A failure closes the database; one that is not a StoreError becomes "cannot open WHAT".
 */
export function openSqliteDatabase(
  path: string,
  what: string,
  busyTimeoutMs: number | undefined,
  init: (db: Database.Database) => void,
): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs ?? 15_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('BEGIN IMMEDIATE');
    try {
      init(db);
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  } catch (e) {
    db?.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError('STORAGE', `cannot open ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
  return db;
}

export class SqliteTrackingStore implements TrackingStore {
  readonly artifactsDir: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly stmts: ReturnType<SqliteTrackingStore['prepare']>;

  private constructor(
    readonly path: string,
    options: SqliteStoreOptions,
  ) {
    this.artifactsDir = options.artifactsDir ?? defaultArtifactsDir(path);
    this.now = options.now ?? Date.now;
    this.db = openSqliteDatabase(path, 'the tracking database', options.busyTimeoutMs, (db) => {
      db.exec(SCHEMA);
      const found = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as
        { value: string } | undefined;
      if (found && Number(found.value) > SQLITE_SCHEMA_VERSION) {
        throw new StoreError(
          'STORAGE',
          `${path} was written by a newer version of AutoML Studio (schema ${found.value}; this version reads ` +
            `schema ${SQLITE_SCHEMA_VERSION}). Update the CLI. Nothing was changed.`,
        );
      }
      db.exec(SCHEMA_V2);
      if (!found)
        db.prepare(`INSERT INTO meta (key, value) VALUES ('schema', ?)`).run(String(SQLITE_SCHEMA_VERSION));
      else if (Number(found.value) < SQLITE_SCHEMA_VERSION)
        db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema'`).run(String(SQLITE_SCHEMA_VERSION));
    });
    this.stmts = this.prepare();
  }

  static open(path: string, options: SqliteStoreOptions = {}): SqliteTrackingStore {
    return new SqliteTrackingStore(path, options);
  }

  private prepare() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      getExperiment: p('SELECT json FROM experiments WHERE id = ?'),
      experimentByName: p('SELECT json FROM experiments WHERE name = ?'),
      putExperiment: p('INSERT OR REPLACE INTO experiments (id, name, created_at, json) VALUES (?, ?, ?, ?)'),
      listExperiments: p('SELECT json FROM experiments ORDER BY created_at DESC, id DESC'),
      deleteExperiment: p('DELETE FROM experiments WHERE id = ?'),
      getRun: p('SELECT json FROM runs WHERE id = ?'),
      putRun: p(
        'INSERT OR REPLACE INTO runs (id, experiment_id, parent_key, state, start_time, json) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      runningRuns: p(`SELECT json FROM runs WHERE state = 'RUNNING'`),
      runsOfExperiment: p('SELECT json FROM runs WHERE experiment_id = ?'),
      runsOfParent: p('SELECT json FROM runs WHERE experiment_id = ? AND parent_key = ?'),
      pageByExperiment: p(
        'SELECT json FROM runs WHERE experiment_id = ? ORDER BY start_time DESC, id DESC LIMIT ? OFFSET ?',
      ),
      pageByParent: p(
        'SELECT json FROM runs WHERE experiment_id = ? AND parent_key = ? ORDER BY start_time DESC, id DESC LIMIT ? OFFSET ?',
      ),
      countByExperiment: p('SELECT count(*) AS n FROM runs WHERE experiment_id = ?'),
      countByParent: p('SELECT count(*) AS n FROM runs WHERE experiment_id = ? AND parent_key = ?'),
      deleteRun: p('DELETE FROM runs WHERE id = ?'),
      addMetric: p('INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)'),
      metricHistory: p(
        'SELECT key, value, step, timestamp FROM metrics WHERE run_id = ? AND key = ? ORDER BY seq',
      ),
      deleteMetrics: p('DELETE FROM metrics WHERE run_id = ?'),
      hasBlob: p('SELECT size FROM blobs WHERE hash = ?'),
      putBlob: p('INSERT OR REPLACE INTO blobs (hash, size) VALUES (?, ?)'),
      deleteBlob: p('DELETE FROM blobs WHERE hash = ?'),
      blobBytes: p('SELECT coalesce(sum(size), 0) AS n FROM blobs'),
      blobArtifactRef: p('SELECT 1 FROM artifacts WHERE content_hash = ? LIMIT 1'),
      blobDatasetRef: p('SELECT 1 FROM datasets WHERE content_hash = ? LIMIT 1'),
      getArtifact: p('SELECT json FROM artifacts WHERE id = ?'),
      putArtifact: p(
        'INSERT OR REPLACE INTO artifacts (id, run_id, experiment_id, content_hash, created_at, json) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      artifactsOfRun: p('SELECT json FROM artifacts WHERE run_id = ? ORDER BY created_at, id'),
      artifactsOfExperiment: p('SELECT json FROM artifacts WHERE experiment_id = ?'),
      deleteArtifact: p('DELETE FROM artifacts WHERE id = ?'),
      getDataset: p('SELECT json FROM datasets WHERE fingerprint = ?'),
      putDataset: p(
        'INSERT OR REPLACE INTO datasets (fingerprint, content_hash, created_at, json) VALUES (?, ?, ?, ?)',
      ),
      listDatasets: p('SELECT json FROM datasets ORDER BY created_at DESC'),
      getModel: p('SELECT json FROM registered_models WHERE name = ?'),
      putModel: p('INSERT OR REPLACE INTO registered_models (name, json) VALUES (?, ?)'),
      listModels: p('SELECT json FROM registered_models ORDER BY name'),
      getVersion: p('SELECT json FROM model_versions WHERE name = ? AND version = ?'),
      putVersion: p(
        'INSERT OR REPLACE INTO model_versions (name, version, source_run_id, json) VALUES (?, ?, ?, ?)',
      ),
      deleteVersion: p('DELETE FROM model_versions WHERE name = ? AND version = ?'),
      versionsOfModel: p('SELECT json FROM model_versions WHERE name = ? ORDER BY version'),
      versionsOfRun: p('SELECT json FROM model_versions WHERE source_run_id = ?'),
      getMonitoring: p('SELECT json FROM monitoring WHERE id = ?'),
      putMonitoring: p(
        'INSERT INTO monitoring (id, model_name, model_version, run_id, bundle_sha256, batch_time, created_at, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteMonitoring: p('DELETE FROM monitoring WHERE id = ?'),
      deleteMonitoringOfVersion: p('DELETE FROM monitoring WHERE model_name = ? AND model_version = ?'),
      deleteMonitoringOfRun: p('DELETE FROM monitoring WHERE run_id = ?'),
      monitoringOfModel: p('SELECT json FROM monitoring WHERE model_name = ?'),
      monitoringOfVersion: p('SELECT json FROM monitoring WHERE model_name = ? AND model_version = ?'),
      monitoringOfRun: p('SELECT json FROM monitoring WHERE run_id = ?'),
      monitoringOfBundle: p('SELECT json FROM monitoring WHERE bundle_sha256 = ?'),
      allMonitoring: p('SELECT json FROM monitoring'),
    };
  }

  private blobPath(hash: string): string {
    return join(this.artifactsDir, hexOf(hash));
  }

  /** Run mutations one at a time in this process (a batch awaits between ops). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('STORAGE', 'the store is closed'));
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private tx(created: string[], freed: Set<string>): BatchTx {
    const s = this.stmts;
    const runs = (rows: unknown[]) => (rows as Row[]).map((r) => dec<RunRecord>(r.json));
    return {
      getExperiment: async (id) => decOpt(s.getExperiment.get(id) as Row | undefined),
      findExperimentByName: async (name) => decOpt(s.experimentByName.get(name) as Row | undefined),
      putExperiment: async (rec) => {
        s.putExperiment.run(rec.id, rec.name, rec.createdAt, enc(rec));
      },
      getRun: async (id) => decOpt(s.getRun.get(id) as Row | undefined),
      putRun: async (rec) => {
        s.putRun.run(rec.id, rec.experimentId, rec.parentRunId ?? '', rec.state, rec.startTime, enc(rec));
      },
      addMetrics: async (run, points) => {
        // SQLite stores NaN as NULL: NULL reads back as NaN (a metric value is always a number)
        for (const p of points) s.addMetric.run(run.id, p.key, p.value, p.step, p.timestamp);
      },
      hasBlob: async (hash) => s.hasBlob.get(hash) !== undefined && existsSync(this.blobPath(hash)),
      putBlob: async (hash, bytes) => {
        const file = this.blobPath(hash);
        if (!existsSync(file)) {
          mkdirSync(this.artifactsDir, { recursive: true });
          const tmp = `${file}.${process.pid}.tmp`;
          writeFileSync(tmp, bytes);
          renameSync(tmp, file);
          created.push(file);
        }
        freed.delete(hash);
        s.putBlob.run(hash, bytes.byteLength);
      },
      getArtifact: async (id) => decOpt(s.getArtifact.get(id) as Row | undefined),
      putArtifact: async (rec) => {
        s.putArtifact.run(rec.id, rec.runId, rec.experimentId, rec.contentHash, rec.createdAt, enc(rec));
      },
      getDataset: async (fp) => decOpt(s.getDataset.get(fp) as Row | undefined),
      putDataset: async (rec) => {
        s.putDataset.run(rec.fingerprint, rec.contentHash, rec.createdAt, enc(rec));
      },
      getRegisteredModel: async (name) => decOpt(s.getModel.get(name) as Row | undefined),
      putRegisteredModel: async (rec) => {
        s.putModel.run(rec.name, enc(rec));
      },
      getModelVersion: async (name, version) => decOpt(s.getVersion.get(name, version) as Row | undefined),
      putModelVersion: async (rec) => {
        s.putVersion.run(rec.name, rec.version, rec.sourceRunId, enc(rec));
      },
      deleteModelVersion: async (name, version) => {
        s.deleteVersion.run(name, version);
      },
      runningRuns: async () => runs(s.runningRuns.all()),
      runsOfExperiment: async (expId) => runs(s.runsOfExperiment.all(expId)),
      versionsFromRuns: async (runIds) =>
        runIds.flatMap((id) =>
          (s.versionsOfRun.all(id) as Row[]).map((r) => dec<ModelVersionRecord>(r.json)),
        ),
      artifactsOfExperiment: async (expId) =>
        (s.artifactsOfExperiment.all(expId) as Row[]).map((r) => dec<ArtifactRecord>(r.json)),
      deleteRuns: async (runIds) => {
        for (const id of runIds) {
          s.deleteMetrics.run(id);
          s.deleteRun.run(id);
        }
      },
      deleteArtifacts: async (ids) => {
        for (const id of ids) s.deleteArtifact.run(id);
      },
      deleteExperiment: async (id) => {
        s.deleteExperiment.run(id);
      },
      blobInUse: async (hash) =>
        s.blobArtifactRef.get(hash) !== undefined || s.blobDatasetRef.get(hash) !== undefined,
      deleteBlob: async (hash) => {
        s.deleteBlob.run(hash);
        freed.add(hash);
      },
      getMonitoringRecord: async (id) => decOpt(s.getMonitoring.get(id) as Row | undefined),
      putMonitoringRecord: async (rec) => {
        s.putMonitoring.run(
          rec.id,
          rec.modelName,
          rec.modelVersion,
          rec.runId,
          rec.bundleSha256,
          rec.batchTime,
          rec.createdAt,
          enc(rec),
        );
      },
      deleteMonitoringRecord: async (id) => {
        s.deleteMonitoring.run(id);
      },
      deleteMonitoringOfVersion: async (name, version) => {
        s.deleteMonitoringOfVersion.run(name, version);
      },
      deleteMonitoringOfRuns: async (runIds) => {
        for (const id of runIds) s.deleteMonitoringOfRun.run(id);
      },
    };
  }

  write(ops: readonly WriteOp[]): Promise<WriteResult> {
    return this.exclusive(async () => {
      const created: string[] = [];
      const freed = new Set<string>();
      let result: WriteResult;
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        throw this.storageError(e, 'could not start a write (another process holds the database)');
      }
      try {
        result = await applyBatch(this.tx(created, freed), ops);
        this.db.exec('COMMIT');
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        for (const f of created) rmQuiet(f);
        if (e instanceof StoreError) throw e;
        throw this.storageError(e, 'the write failed, nothing of this batch was saved');
      }
      if (freed.size) this.unlinkFreed(freed);
      return result;
    });
  }

  /** Removes the files of freed blobs, under the write lock, unless a later batch stored them again. */
  private unlinkFreed(freed: Set<string>): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const h of freed) if (this.stmts.hasBlob.get(h) === undefined) rmQuiet(this.blobPath(h));
      } finally {
        this.db.exec('COMMIT');
      }
    } catch {
      // an orphan file is harmless (the next store of the same bytes reuses it)
    }
  }

  private storageError(e: unknown, what: string): StoreError {
    const msg = (e as Error)?.message ?? String(e);
    const full = /ENOSPC|SQLITE_FULL|disk is full/i.test(msg)
      ? `${what}: the disk is full (${msg})`
      : `${what}: ${msg}`;
    return new StoreError('STORAGE', `${this.path}: ${full}`, { cause: e });
  }

  private read<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('STORAGE', 'the store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof StoreError ? e : this.storageError(e, 'read failed'));
    }
  }

  getExperiment(id: string): Promise<ExperimentRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getExperiment.get(id) as Row | undefined));
  }
  getExperimentByName(name: string): Promise<ExperimentRecord | undefined> {
    return this.read(() => decOpt(this.stmts.experimentByName.get(name) as Row | undefined));
  }
  listExperiments(): Promise<readonly ExperimentRecord[]> {
    return this.read(() =>
      freezeAll((this.stmts.listExperiments.all() as Row[]).map((r) => dec<ExperimentRecord>(r.json))),
    );
  }
  getRun(id: string): Promise<RunRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getRun.get(id) as Row | undefined));
  }
  searchRuns(query: RunQuery): Promise<RunPage> {
    return this.read(() => {
      const q = normalizeQuery(query);
      const s = this.stmts;
      const f = q.orderBy.field;
      const byIndex =
        q.filter.length === 0 && f.kind === 'attr' && f.key === 'startTime' && q.orderBy.direction === 'desc';
      if (byIndex) {
        // one extra row tells whether there is a next page
        const rows = (
          q.parentRunId === undefined
            ? s.pageByExperiment.all(q.experimentId, q.limit + 1, q.offset)
            : s.pageByParent.all(q.experimentId, q.parentRunId ?? '', q.limit + 1, q.offset)
        ) as Row[];
        const runs = rows.slice(0, q.limit).map((r) => dec<RunRecord>(r.json));
        return deepFreeze({
          runs,
          nextPageToken: rows.length > q.limit ? encodePageToken(q.offset + q.limit) : null,
        });
      }
      const rows = (
        q.parentRunId === undefined
          ? s.runsOfExperiment.all(q.experimentId)
          : s.runsOfParent.all(q.experimentId, q.parentRunId ?? '')
      ) as Row[];
      return deepFreeze(
        pageRuns(
          rows.map((r) => dec<RunRecord>(r.json)),
          q,
        ),
      );
    });
  }
  countRuns(query: RunQuery): Promise<number> {
    return this.read(() => {
      const q = normalizeQuery(query);
      const s = this.stmts;
      if (q.filter.length === 0) {
        const row = (
          q.parentRunId === undefined
            ? s.countByExperiment.get(q.experimentId)
            : s.countByParent.get(q.experimentId, q.parentRunId ?? '')
        ) as { n: number };
        return row.n;
      }
      const rows = (
        q.parentRunId === undefined
          ? s.runsOfExperiment.all(q.experimentId)
          : s.runsOfParent.all(q.experimentId, q.parentRunId ?? '')
      ) as Row[];
      return rows.filter((r) => matchesAll(dec<RunRecord>(r.json), q.filter)).length;
    });
  }
  getMetricHistory(runId: string, key: string): Promise<readonly MetricPoint[]> {
    return this.read(() => {
      const rows = this.stmts.metricHistory.all(runId, key) as {
        key: string;
        value: number | null;
        step: number;
        timestamp: number;
      }[];
      const pts = rows.map((r) => ({
        key: r.key,
        value: r.value === null ? NaN : r.value,
        step: r.step,
        timestamp: r.timestamp,
      }));
      // stable sort: write order (seq) breaks ties
      return Object.freeze(pts.sort(compareMetricPoints).map((p) => Object.freeze(p)));
    });
  }
  getArtifact(id: string): Promise<ArtifactRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getArtifact.get(id) as Row | undefined));
  }
  getArtifactBytes(id: string): Promise<Uint8Array> {
    return this.read(() => {
      const a = decOpt<ArtifactRecord>(this.stmts.getArtifact.get(id) as Row | undefined);
      if (!a) throw new StoreError('NOT_FOUND', `artifact ${id} does not exist`);
      return this.readBlob(a.contentHash, `artifact ${id}`);
    });
  }
  private readBlob(hash: string, what: string): Uint8Array {
    const file = this.blobPath(hash);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch {
      throw new StoreError('STORAGE', `the bytes of ${what} (${hash}) are missing: ${file} cannot be read`);
    }
    const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (got !== hash)
      throw new StoreError('STORAGE', `the bytes of ${what} are damaged: ${file} no longer matches ${hash}`);
    return bytes;
  }
  listArtifacts(runId: string): Promise<readonly ArtifactRecord[]> {
    return this.read(() =>
      freezeAll((this.stmts.artifactsOfRun.all(runId) as Row[]).map((r) => dec<ArtifactRecord>(r.json))),
    );
  }
  getDataset(fingerprint: string): Promise<DatasetRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getDataset.get(fingerprint) as Row | undefined));
  }
  getDatasetFile(fingerprint: string): Promise<Uint8Array | undefined> {
    return this.read(() => {
      const d = decOpt<DatasetRecord>(this.stmts.getDataset.get(fingerprint) as Row | undefined);
      if (!d || d.contentHash === null) return undefined;
      return this.readBlob(d.contentHash, `dataset ${fingerprint}`);
    });
  }
  listDatasets(): Promise<readonly DatasetRecord[]> {
    return this.read(() =>
      freezeAll((this.stmts.listDatasets.all() as Row[]).map((r) => dec<DatasetRecord>(r.json))),
    );
  }
  getRegisteredModel(name: string): Promise<RegisteredModelRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getModel.get(name) as Row | undefined));
  }
  listRegisteredModels(): Promise<readonly RegisteredModelRecord[]> {
    return this.read(() =>
      freezeAll((this.stmts.listModels.all() as Row[]).map((r) => dec<RegisteredModelRecord>(r.json))),
    );
  }
  getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getVersion.get(name, version) as Row | undefined));
  }
  listModelVersions(name: string): Promise<readonly ModelVersionRecord[]> {
    return this.read(() =>
      freezeAll((this.stmts.versionsOfModel.all(name) as Row[]).map((r) => dec<ModelVersionRecord>(r.json))),
    );
  }
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionRecord | undefined> {
    return this.read(() => {
      const m = decOpt<RegisteredModelRecord>(this.stmts.getModel.get(name) as Row | undefined);
      if (!m || !Object.hasOwn(m.aliases, alias)) return undefined;
      return decOpt(this.stmts.getVersion.get(name, m.aliases[alias]) as Row | undefined);
    });
  }

  /** Every RUNNING run (state index). */
  runningRuns(): Promise<readonly RunRecord[]> {
    return this.read(() =>
      freezeAll((this.stmts.runningRuns.all() as Row[]).map((r) => dec<RunRecord>(r.json))),
    );
  }

  /**
   * Applies `batches` (e.g. a journal being migrated) in ONE transaction, unless `marker` is already
   * recorded (then nothing is done and false is returned). All or nothing.
   */
  importBatches(batches: readonly (readonly WriteOp[])[], marker: string): Promise<boolean> {
    return this.exclusive(async () => {
      const created: string[] = [];
      const freed = new Set<string>();
      this.db.exec('BEGIN IMMEDIATE');
      try {
        if (this.db.prepare('SELECT 1 FROM meta WHERE key = ?').get(marker) !== undefined) {
          this.db.exec('ROLLBACK');
          return false;
        }
        const tx = this.tx(created, freed);
        for (const [i, ops] of batches.entries()) {
          try {
            await applyBatch(tx, ops);
          } catch (e) {
            throw new StoreError('STORAGE', `batch ${i + 1} of ${batches.length}: ${(e as Error).message}`, {
              cause: e,
            });
          }
        }
        this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(marker, String(this.now()));
        this.db.exec('COMMIT');
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        for (const f of created) rmQuiet(f);
        throw e;
      }
      if (freed.size) this.unlinkFreed(freed);
      return true;
    });
  }

  getMonitoringRecord(id: string): Promise<MonitoringRecord | undefined> {
    return this.read(() => decOpt(this.stmts.getMonitoring.get(id) as Row | undefined));
  }
  listMonitoringRecords(query: MonitoringQuery): Promise<readonly MonitoringRecord[]> {
    return this.read(() => {
      const s = this.stmts;
      const rows = (
        query.modelName !== undefined
          ? query.modelVersion !== undefined
            ? s.monitoringOfVersion.all(query.modelName, query.modelVersion)
            : s.monitoringOfModel.all(query.modelName)
          : query.runId !== undefined
            ? s.monitoringOfRun.all(query.runId)
            : query.bundleSha256 !== undefined
              ? s.monitoringOfBundle.all(query.bundleSha256)
              : s.allMonitoring.all()
      ) as Row[];
      return freezeAll(
        rows
          .map((r) => dec<MonitoringRecord>(r.json))
          .filter((r) => matchesMonitoringQuery(r, query))
          .sort(compareMonitoringRecords),
      );
    });
  }

  async markInterrupted(now?: number, runIds?: readonly string[]): Promise<number> {
    const endTime = now ?? this.now();
    const op = runIds === undefined ? { endTime } : { endTime, runIds };
    return (await this.write([{ op: 'markInterrupted', ...op }])).interrupted;
  }

  async deleteExperiment(id: string): Promise<void> {
    await this.write([{ op: 'deleteExperiment', id }]);
  }

  usage(): Promise<StorageUsage> {
    return this.read(() => {
      const blobBytes = (this.stmts.blobBytes.get() as { n: number }).n;
      let dbBytes = 0;
      for (const f of [this.path, `${this.path}-wal`]) {
        try {
          dbBytes += statSync(f).size;
        } catch {
          // no WAL file right now
        }
      }
      return Object.freeze({ usedBytes: dbBytes + blobBytes, quotaBytes: null, blobBytes, persisted: null });
    });
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

export function openSqliteStore(path: string, options?: SqliteStoreOptions): SqliteTrackingStore {
  return SqliteTrackingStore.open(path, options);
}
