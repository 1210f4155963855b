/**
 * Opening the CLI's tracking store: an SQLite database (`.automl/tracking.db`, see sqlite-store.ts)
 * with the bytes of artifacts as files beside it.
 *
 * - `--store FILE` / env `AUTOML_STORE` choose the database. A path ending in `.jsonl` names the old
 *   JSON-lines journal: the database used is the same path with `.db` (`x.jsonl` → `x.db`).
 * - Migration: when the journal beside the database exists (`tracking.jsonl` next to `tracking.db`,
 *   or the `.jsonl` path given), its batches are replayed into the database in one transaction on
 *   first use and the file is renamed `tracking.jsonl.bak` (kept as a backup, never read again). Two
 *   processes starting at once migrate it once (a marker in the database, under its write lock).
 * - Ownership: runs started by this process carry its pid and host and a heartbeat; on open, a
 *   RUNNING run whose process is gone (same host: pid not alive; other host: heartbeat stale) is
 *   marked FAILED 'interrupted'. Runs of a live process (e.g. an `automl` in another terminal) are
 *   left alone.
 */
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { TrackingStore } from '../core/tracking/store.ts';
import type { WriteOp } from '../core/tracking/types.ts';
import { ownerCheck, ownRuns, recoverInterrupted } from '../core/tracking/ownership.ts';
import { b64 } from '../core/util/base64.ts';
import { CliError } from './errors.ts';
import { openSqliteStore, type SqliteTrackingStore } from './sqlite-store.ts';

export const DEFAULT_STORE = '.automl/tracking.db';

/** The database and the legacy journal for a `--store` path. */
export function storeFiles(path: string): { db: string; journal: string } {
  if (path.endsWith('.jsonl')) return { db: `${path.slice(0, -'.jsonl'.length)}.db`, journal: path };
  const dot = path.lastIndexOf('.');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const stem = dot > slash ? path.slice(0, dot) : path;
  return { db: path, journal: `${stem}.jsonl` };
}

function decode(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$bytes' in value && Object.keys(value).length === 1) {
    return b64.u8((value as { $bytes: string }).$bytes);
  }
  return value;
}

/** The batches of a JSON-lines journal (a torn last line, from a process killed while appending, is dropped). */
export function readJournal(path: string): WriteOp[][] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const batches: WriteOp[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      batches.push((JSON.parse(line, decode) as { ops: WriteOp[] }).ops);
    } catch (err) {
      if (i >= lines.length - 2) break;
      throw new CliError(`tracking journal is damaged: ${(err as Error).message} (${path}, line ${i + 1})`);
    }
  }
  return batches;
}

function backupName(journal: string): string {
  let name = `${journal}.bak`;
  for (let i = 1; existsSync(name); i++) name = `${journal}.bak.${i}`;
  return name;
}

/** Replays the journal into the database once, then renames it to `.bak`. Returns the runs migrated. */
async function migrateJournal(store: SqliteTrackingStore, journal: string): Promise<boolean> {
  if (!existsSync(journal)) return false;
  const st = statSync(journal);
  const marker = `migrated:${journal}:${st.size}:${Math.round(st.mtimeMs)}`;
  let batches: WriteOp[][];
  try {
    batches = readJournal(journal);
  } catch (e) {
    throw e instanceof CliError
      ? e
      : new CliError(`cannot read the tracking journal ${journal}: ${(e as Error).message}`);
  }
  try {
    await store.importBatches(batches, marker);
  } catch (e) {
    throw new CliError(
      `could not migrate the tracking journal ${journal} into ${store.path}: ${(e as Error).message}. ` +
        'Nothing was changed; the journal is untouched.',
    );
  }
  if (existsSync(journal)) {
    try {
      renameSync(journal, backupName(journal));
    } catch {
      // another process renamed it first
    }
  }
  return true;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface CliStore {
  readonly store: TrackingStore;
  /** The database file. */
  readonly path: string;
  /** Runs found RUNNING whose process was gone, now FAILED 'interrupted'. */
  readonly interrupted: number;
  /** Whether a journal was migrated by this open. */
  readonly migrated: boolean;
}

/** Opens (creating, migrating, recovering) the CLI's store for a `--store` path. */
export async function openCliStore(path: string): Promise<CliStore> {
  const { db, journal } = storeFiles(path);
  let store: SqliteTrackingStore;
  try {
    store = openSqliteStore(db);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const migrated = await migrateJournal(store, journal);
  const host = hostname();
  const interrupted = await recoverInterrupted(store, () => ownerCheck({ process: { host, pidAlive } }), {
    running: async () => store.runningRuns(),
    message: 'the CLI process recording this run ended before the run did',
  });
  return { store: ownRuns(store, { process: { pid: process.pid, host } }), path: db, interrupted, migrated };
}

/** The store alone (commands that only need to read or record). */
export async function openFileStore(path: string): Promise<TrackingStore> {
  return (await openCliStore(path)).store;
}
