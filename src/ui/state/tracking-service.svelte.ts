/* eslint-disable svelte/prefer-svelte-reactivity -- Maps/Sets here are local temporaries or immutable values held in $state.raw (replaced, never mutated). */
/**
 * The app's one tracking store (experiments, runs, registered models), opened once at startup and
 * shared through context (`tracking-context.ts`). Screens read through `store`; they learn about
 * writes — from this page, another tab, or a worker (the AutoML search writes from its worker) —
 * through `onChange`, which is throttled so a search writing hundreds of trials a second causes at
 * most one refresh per `CHANGE_THROTTLE_MS`.
 *
 * In the browser the store is Dexie over IndexedDB; Dexie 4 fires its global `storagemutated`
 * event for commits in this page and (via BroadcastChannel) in other tabs and workers of the origin.
 */
import type { TrackingStore } from '../../core/tracking/store.ts';
import type { StorageUsage, WriteOp, WriteResult } from '../../core/tracking/types.ts';

export const CHANGE_THROTTLE_MS = 500;

/** Tables of the tracking database (the names used in change notifications). */
export type TrackingTable =
  | 'experiments'
  | 'runs'
  | 'metrics'
  | 'runMetrics'
  | 'artifacts'
  | 'blobs'
  | 'datasets'
  | 'registeredModels'
  | 'modelVersions';

export type ChangeListener = (tables: ReadonlySet<string>) => void;

/** Subscribes to raw change notifications of a store; returns the unsubscribe function. */
export type ChangeSource = (notify: (tables: ReadonlySet<string>) => void) => () => void;

export type TrackingStatus = 'opening' | 'ready' | 'error';

/** Message for any error thrown by the store (StoreError messages are written for users). */
export function storeErrorMessage(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'QUOTA_EXCEEDED') return msg; // already says what happened and what to do
  return msg;
}

export class TrackingService {
  status = $state<TrackingStatus>('opening');
  /** Set once the store is open. */
  store = $state.raw<TrackingStore | null>(null);
  /** Why the store could not be opened (the rest of the app keeps working). */
  error = $state<string | null>(null);
  /** Runs found RUNNING at startup and marked FAILED 'interrupted'. */
  interrupted = $state(0);
  interruptedDismissed = $state(false);
  usage = $state.raw<StorageUsage | null>(null);
  /** The last failed write (e.g. storage full), shown as a banner until dismissed. */
  writeError = $state<string | null>(null);

  readonly #listeners = new Set<ChangeListener>();
  #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastFlush = 0;
  #unwatch: (() => void) | undefined;
  #unwatchOwners: (() => void) | undefined;
  #usageTimer: ReturnType<typeof setTimeout> | undefined;
  #ready: Promise<TrackingStore>;
  #resolveReady!: (s: TrackingStore) => void;
  #rejectReady!: (e: unknown) => void;
  #disposed = false;

  constructor() {
    this.#ready = new Promise<TrackingStore>((res, rej) => {
      this.#resolveReady = res;
      this.#rejectReady = rej;
    });
    this.#ready.catch(() => undefined); // observed through `error`
  }

  /** Resolves with the open store (rejects when it could not be opened). */
  whenReady(): Promise<TrackingStore> {
    return this.#ready;
  }

  /** Opens the browser store (IndexedDB), recovers interrupted runs and watches for changes. */
  async openBrowser(): Promise<void> {
    try {
      const [
        { openBrowserTrackingStore, browserLocks, DEFAULT_DB_NAME },
        { default: Dexie },
        { ownRuns, createOwnerWatch, listRunning },
      ] = await Promise.all([
        import('../../store/dexie.ts'),
        import('dexie'),
        import('../../core/tracking/ownership.ts'),
      ]);
      // recovery marks only runs whose owner (a tab or worker holding the run's Web Lock) is gone
      const startup = await openBrowserTrackingStore();
      const prefix = `idb://${DEFAULT_DB_NAME}/`;
      const watch: ChangeSource = (notify) => {
        const listener = (parts: Record<string, unknown>) => {
          const tables = new Set<string>();
          for (const key of Object.keys(parts)) {
            if (key === 'all') tables.add('*');
            else if (key.startsWith(prefix)) tables.add(key.slice(prefix.length).split('/')[0]);
          }
          if (tables.size) notify(tables);
        };
        Dexie.on('storagemutated', listener);
        return () => Dexie.on('storagemutated').unsubscribe(listener);
      };
      // runs this page starts (e.g. an imported bundle) are owned by this tab while they run
      const locks = browserLocks();
      const store = ownRuns(startup.store, { locks });
      this.attach(store, watch, { interrupted: startup.interrupted, usage: startup.usage });
      // runs another tab or worker is running (at startup, and as they appear): recovered here if
      // their owner goes away while this tab is open
      if (locks) {
        const owners = createOwnerWatch(store, locks, (n) => {
          this.interrupted += n;
          this.interruptedDismissed = false;
        });
        owners.watch(startup.alive); // held their lock a moment ago: watch even if just released
        const offRuns = this.onChange((tables) => {
          if (!tables.has('runs') && !tables.has('*')) return;
          listRunning(store)
            .then((runs) => owners.watchHeld(runs.map((r) => r.id)))
            .catch(() => undefined);
        });
        this.#unwatchOwners = () => {
          offRuns();
          owners.stop();
        };
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Uses an already open store (tests, Node). */
  attach(
    store: TrackingStore,
    watch: ChangeSource | null,
    startup: { interrupted?: number; usage?: StorageUsage | null } = {},
  ): void {
    if (this.#disposed) {
      void store.close();
      return;
    }
    this.store = store;
    this.interrupted = startup.interrupted ?? 0;
    this.usage = startup.usage ?? null;
    this.#unwatch = watch?.((tables) => this.#queue(tables));
    this.status = 'ready';
    this.#resolveReady(store);
  }

  fail(e: unknown): void {
    this.status = 'error';
    this.error = `Saved experiments are unavailable: ${storeErrorMessage(e)}`;
    this.#rejectReady(e);
  }

  /**
   * Writes through the store; a failure (e.g. storage full) is also shown in the app's banner.
   * Rethrows so the caller can keep its form state.
   */
  async write(ops: readonly WriteOp[]): Promise<WriteResult> {
    const store = this.store;
    if (!store) throw new Error(this.error ?? 'the experiment store is still opening');
    try {
      const r = await store.write(ops);
      if (!this.#unwatch) this.#queue(new Set(['*'])); // no watcher: notify ourselves
      return r;
    } catch (e) {
      this.writeError = storeErrorMessage(e);
      throw e;
    }
  }

  /** Listens for (throttled) changes; `tables` holds table names, or '*' for "anything". */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells listeners now that something changed (after a write by this page without a watcher). */
  notify(tables: Iterable<string> = ['*']): void {
    this.#queue(new Set(tables));
  }

  #queue(tables: ReadonlySet<string>): void {
    for (const t of tables) this.#pending.add(t);
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastFlush + CHANGE_THROTTLE_MS - Date.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = undefined;
    this.#lastFlush = Date.now();
    const tables = this.#pending;
    this.#pending = new Set();
    for (const l of [...this.#listeners]) {
      try {
        l(tables);
      } catch (e) {
        console.error('tracking change listener failed', e);
      }
    }
    if (tables.has('*') || tables.has('blobs') || tables.has('runs') || tables.has('metrics'))
      this.#scheduleUsage();
  }

  #scheduleUsage(): void {
    if (this.#usageTimer !== undefined) return;
    this.#usageTimer = setTimeout(() => {
      this.#usageTimer = undefined;
      void this.refreshUsage();
    }, 2000);
  }

  async refreshUsage(): Promise<void> {
    const s = this.store;
    if (!s) return;
    try {
      this.usage = await s.usage();
    } catch {
      // usage is informative only
    }
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#usageTimer);
    this.#unwatch?.();
    this.#unwatchOwners?.();
    this.#listeners.clear();
    void this.store?.close();
  }
}
