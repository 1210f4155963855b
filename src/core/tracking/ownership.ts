/**
 * Ownership of running work. A RUNNING run is owned by whoever executes it — a worker or tab in the
 * browser, a process in the CLI — and crash recovery marks a run interrupted only when its owner is
 * gone, so a second tab or a second CLI process never fails runs that are still being recorded.
 *
 * - Browser: the executing context holds the Web Lock `automl-run:<id>` for the run's lifetime
 *   (`navigator.locks`, also in dedicated workers); the browser releases it when the tab or worker
 *   dies. Recovery asks `navigator.locks.query()` which locks are held.
 * - Where Web Locks are missing, and in the CLI: the run carries owner tags — `automl.owner`
 *   (`tab` or `pid:<pid>@<host>`) and `automl.heartbeat` (epoch ms, refreshed every
 *   `heartbeatMs` while the run is RUNNING). A CLI run on this host is alive while its pid is; a run
 *   of another host (or without locks) while its heartbeat is fresh (3 intervals).
 *
 * `ownRuns(store, runtime)` wraps a store so that every `startRun` written through it is owned by
 * the caller (the lock is granted before the run's record exists) until an `endRun` or
 * `markInterrupted` op for it is written. Pure TS: the runtime specifics are passed in.
 */
import type { TrackingStore } from './store.ts';
import type { RunRecord, WriteOp, WriteResult } from './types.ts';

export const RUN_LOCK_PREFIX = 'automl-run:';
export const OWNER_TAG = 'automl.owner';
export const HEARTBEAT_TAG = 'automl.heartbeat';
export const DEFAULT_HEARTBEAT_MS = 15_000;

export const runLockName = (runId: string): string => `${RUN_LOCK_PREFIX}${runId}`;

/** The part of the Web Locks API used here (`navigator.locks`). */
export interface LockManagerLike {
  request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
  query(): Promise<{ held?: readonly { name?: string }[] }>;
}

export interface OwnerRuntime {
  /** Web Locks of this context; when present, each run holds its lock while RUNNING. */
  readonly locks?: LockManagerLike | null;
  /** The CLI's process identity; when present, runs get owner tags and a heartbeat. */
  readonly process?: { readonly pid: number; readonly host: string } | null;
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

interface Owned {
  release(): void;
}

/**
 * A view of `store` whose runs started through it are owned by this context. Reads and other ops
 * pass through unchanged. `close()` releases every lock and stops the heartbeat.
 */
export function ownRuns(store: TrackingStore, runtime: OwnerRuntime): TrackingStore {
  const locks = runtime.locks ?? null;
  const proc = runtime.process ?? null;
  const now = runtime.now ?? Date.now;
  const beat = runtime.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const owned = new Map<string, Owned>();
  const useTags = !locks || proc !== null;
  const ownerTag = proc ? `pid:${proc.pid}@${proc.host}` : 'tab';
  let timer: ReturnType<typeof setInterval> | undefined;

  const heartbeat = async () => {
    const ids = [...owned.keys()];
    if (!ids.length) return;
    const t = String(now());
    // one batch per run: a run that ended meanwhile (elsewhere) must not fail the others
    for (const runId of ids)
      await store.write([{ op: 'setTags', runId, tags: { [HEARTBEAT_TAG]: t } }]).catch(() => undefined);
  };
  const startBeat = () => {
    if (!useTags || timer !== undefined) return;
    timer = setInterval(() => void heartbeat(), beat);
    (timer as { unref?: () => void }).unref?.();
  };
  const stopBeatIfIdle = () => {
    if (timer !== undefined && owned.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  async function acquire(runId: string): Promise<Owned> {
    if (!locks) return { release: () => undefined };
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await new Promise<void>((granted, failed) => {
      locks
        .request(runLockName(runId), () => {
          granted();
          return held;
        })
        .catch(failed);
    });
    return { release };
  }

  function release(runId: string): void {
    owned.get(runId)?.release();
    owned.delete(runId);
    stopBeatIfIdle();
  }

  async function write(ops: readonly WriteOp[]): Promise<WriteResult> {
    if (!Array.isArray(ops)) return store.write(ops);
    const started: string[] = [];
    const out: WriteOp[] = [];
    for (const op of ops) {
      if (op?.op === 'startRun' && typeof op.id === 'string' && !owned.has(op.id)) {
        owned.set(op.id, await acquire(op.id));
        started.push(op.id);
        if (useTags) {
          out.push({ ...op, tags: { ...op.tags, [OWNER_TAG]: ownerTag, [HEARTBEAT_TAG]: String(now()) } });
          continue;
        }
      }
      out.push(op);
    }
    let result: WriteResult;
    try {
      result = await store.write(out);
    } catch (e) {
      for (const id of started) release(id);
      throw e;
    }
    if (started.length) startBeat();
    for (const op of ops) {
      if (op.op === 'endRun') release(op.runId);
      else if (op.op === 'markInterrupted') {
        for (const id of op.runIds ?? [...owned.keys()]) release(id);
      } else if (op.op === 'deleteExperiment') {
        // its runs are gone; a lock for a run that no longer exists is harmless until close
      }
    }
    return result;
  }

  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'write') return write;
      if (prop === 'markInterrupted')
        return async (t?: number, runIds?: readonly string[]) =>
          (
            await write([
              { op: 'markInterrupted', endTime: t ?? now(), ...(runIds === undefined ? {} : { runIds }) },
            ])
          ).interrupted;
      if (prop === 'close')
        return async () => {
          for (const id of [...owned.keys()]) release(id);
          await target.close();
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

// ---------------------------------------------------------------- recovery

/** Decides whether a RUNNING run's owner is still alive. */
export type OwnerCheck = (run: RunRecord) => boolean;

export interface OwnerCheckOptions {
  readonly locks?: LockManagerLike | null;
  /** This process (CLI): same-host runs are alive while their pid is. */
  readonly process?: {
    readonly host: string;
    readonly pidAlive: (pid: number) => boolean;
  } | null;
  readonly now?: () => number;
  readonly heartbeatMs?: number;
}

/** Builds the liveness check: held lock, live pid on this host, or a fresh heartbeat. */
export async function ownerCheck(options: OwnerCheckOptions): Promise<OwnerCheck> {
  const held = new Set<string>();
  if (options.locks) {
    const snapshot = await options.locks.query();
    for (const l of snapshot.held ?? []) if (typeof l.name === 'string') held.add(l.name);
  }
  const t = (options.now ?? Date.now)();
  const stale = 3 * (options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const proc = options.process ?? null;
  return (run) => {
    if (held.has(runLockName(run.id))) return true;
    const owner = run.tags[OWNER_TAG];
    const m = owner ? /^pid:(\d+)@(.*)$/.exec(owner) : null;
    if (m && proc && m[2] === proc.host) return proc.pidAlive(Number(m[1]));
    const hb = Number(run.tags[HEARTBEAT_TAG]);
    // a tab that has Web Locks holds one; only lock-less owners rely on the heartbeat
    if (owner === 'tab' || m) return Number.isFinite(hb) && t - hb < stale;
    return false;
  };
}

/** Every RUNNING run, through the store's read interface. */
export async function runningRuns(store: TrackingStore): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const e of await store.listExperiments()) {
    let token: string | undefined;
    do {
      const page = await store.searchRuns({
        experimentId: e.id,
        filter: [{ field: { kind: 'attr', key: 'state' }, op: '=', value: 'RUNNING' }],
        limit: 10_000,
        ...(token ? { pageToken: token } : {}),
      });
      out.push(...page.runs);
      token = page.nextPageToken ?? undefined;
    } while (token);
  }
  return out;
}

/**
 * Builds the liveness check once the RUNNING runs have been read. It must be built after that read:
 * a lock snapshot taken before it misses a run started in between (its lock is granted before its
 * record exists), which would then look ownerless and be marked interrupted under its live owner.
 */
export type OwnerCheckAfterRead = () => Promise<OwnerCheck>;

/**
 * Crash recovery on start: marks FAILED 'interrupted' every RUNNING run whose owner is gone; runs
 * owned by a live tab, worker or process are left alone. Returns how many were marked.
 */
export async function recoverInterrupted(
  store: TrackingStore,
  isOwned: OwnerCheckAfterRead,
  options: { now?: number; running?: () => Promise<readonly RunRecord[]>; message?: string } = {},
): Promise<number> {
  return (await recoverRuns(store, isOwned, options)).interrupted;
}

/** `recoverInterrupted`, also telling which RUNNING runs have a live owner (to watch them). */
export async function recoverRuns(
  store: TrackingStore,
  checkAfterRead: OwnerCheckAfterRead,
  options: { now?: number; running?: () => Promise<readonly RunRecord[]>; message?: string } = {},
): Promise<{ interrupted: number; alive: readonly string[] }> {
  // read first, then check owners: a run started after the read is not listed, one listed holds its
  // lock already (granted before its record was written), and one that ends before the write is
  // skipped by the op
  const running = await (options.running ?? (() => runningRuns(store)))();
  if (!running.length) return { interrupted: 0, alive: [] };
  const isOwned = await checkAfterRead();
  const alive = running.filter((r) => isOwned(r)).map((r) => r.id);
  const gone = running.filter((r) => !isOwned(r)).map((r) => r.id);
  if (!gone.length) return { interrupted: 0, alive };
  const res = await store.write([
    {
      op: 'markInterrupted',
      endTime: options.now ?? Date.now(),
      runIds: gone,
      ...(options.message ? { message: options.message } : {}),
    },
  ]);
  return { interrupted: res.interrupted, alive };
}

/**
 * Waits for the owners of RUNNING runs to go away: for each run given to `watch` (once per run) it
 * queues a request for the run's Web Lock; when that is granted the owner has released it —
 * normally after ending the run, or because its tab or worker died, in which case the run is still
 * RUNNING and is marked interrupted here. So a tab closed while another is open is recovered by the
 * one left, without a reload. `onInterrupted` gets how many runs were marked.
 */
export interface OwnerWatch {
  watch(runIds: readonly string[]): void;
  /**
   * Watches those of `runIds` whose lock is held right now. A RUNNING run whose lock is free is left
   * to the next start's recovery (its writer may not take locks), never marked while it is watched.
   */
  watchHeld(runIds: readonly string[]): Promise<void>;
  stop(): void;
}

export function createOwnerWatch(
  store: TrackingStore,
  locks: LockManagerLike,
  onInterrupted: (count: number) => void,
  now: () => number = Date.now,
): OwnerWatch {
  const stop = new AbortController();
  const watched = new Set<string>();
  return {
    async watchHeld(runIds) {
      const fresh = runIds.filter((id) => !watched.has(id));
      if (!fresh.length) return;
      const held = new Set((await locks.query()).held?.map((l) => l.name) ?? []);
      this.watch(fresh.filter((id) => held.has(runLockName(id))));
    },
    watch(runIds) {
      for (const id of runIds) {
        if (watched.has(id) || stop.signal.aborted) continue;
        watched.add(id);
        locks
          .request(runLockName(id), { signal: stop.signal }, async () => {
            const run = await store.getRun(id);
            if (run?.state !== 'RUNNING') return;
            const res = await store.write([{ op: 'markInterrupted', endTime: now(), runIds: [id] }]);
            if (res.interrupted) onInterrupted(res.interrupted);
          })
          .catch(() => undefined); // aborted, or the store closed
      }
    },
    stop: () => stop.abort(),
  };
}

/** `createOwnerWatch` for a fixed list of runs; returns the function that stops watching. */
export function watchOwners(
  store: TrackingStore,
  runIds: readonly string[],
  locks: LockManagerLike,
  onInterrupted: (count: number) => void,
  now: () => number = Date.now,
): () => void {
  const w = createOwnerWatch(store, locks, onInterrupted, now);
  w.watch(runIds);
  return w.stop;
}

/** The store's own index of RUNNING runs when it has one (Dexie, SQLite), else a scan. */
export function listRunning(store: TrackingStore): Promise<readonly RunRecord[]> {
  const own = (store as { runningRuns?: () => Promise<readonly RunRecord[]> }).runningRuns;
  return typeof own === 'function' ? own.call(store) : runningRuns(store);
}
