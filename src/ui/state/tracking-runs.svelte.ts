/* eslint-disable svelte/prefer-svelte-reactivity -- Maps/Sets here are local temporaries or immutable values held in $state.raw (replaced, never mutated). */
/**
 * The runs of one experiment held in memory for the runs table and the compare view.
 *
 * Why not one `searchRuns` page per scroll/sort: the store sorts by metric from an index, but
 * sorting by a parameter or tag (or filtering by text) makes it read every run of the experiment
 * on each query (bench/compare measures both). So the runs are read once, in pages of
 * `LOAD_PAGE` (the first page is on screen right away, newest first), then kept as one frozen
 * array in `$state.raw`; sort and filter work on index arrays (`tracking-table.ts`).
 *
 * Live updates: `refresh()` (called at most every 500 ms by the tracking service's change
 * notifications) reads only what can have changed — the newest runs and the runs still RUNNING —
 * and falls back to a full reload when the count doesn't add up (e.g. runs were deleted).
 */
import type { TrackingStore } from '../../core/tracking/store.ts';
import type { RunRecord } from '../../core/tracking/types.ts';
import { storeErrorMessage } from './tracking-service.svelte.ts';

export const LOAD_PAGE = 1000;
const NEWEST_PAGE = 200;
/** More RUNNING runs than this are re-read with a full reload instead of one by one. */
const MAX_RUNNING_REFRESH = 300;

export class ExperimentRuns {
  runs = $state.raw<readonly RunRecord[]>([]);
  /** Number of runs in the store (known after the first page). */
  total = $state<number | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);
  /** Milliseconds from `load()` to the first page being available. */
  firstPageMs = $state<number | null>(null);

  readonly byId = $derived.by(() => {
    const m = new Map<string, number>();
    this.runs.forEach((r, i) => m.set(r.id, i));
    return m;
  });

  #gen = 0;
  #busy: Promise<void> | null = null;
  #again = false;

  constructor(
    readonly store: TrackingStore,
    readonly experimentId: string,
  ) {}

  /** Reads every run, newest first, page by page (the first page is shown at once). */
  async load(): Promise<void> {
    const gen = ++this.#gen;
    const t0 = performance.now();
    this.loading = true;
    this.error = null;
    try {
      const total = await this.store.countRuns({ experimentId: this.experimentId });
      if (gen !== this.#gen) return;
      this.total = total;
      const all: RunRecord[] = [];
      let token: string | undefined;
      do {
        const page = await this.store.searchRuns({
          experimentId: this.experimentId,
          limit: LOAD_PAGE,
          ...(token ? { pageToken: token } : {}),
        });
        if (gen !== this.#gen) return;
        for (const r of page.runs) all.push(r);
        this.runs = all.slice();
        if (this.firstPageMs === null) this.firstPageMs = performance.now() - t0;
        token = page.nextPageToken ?? undefined;
        // Let the page paint and respond between pages.
        if (token) await new Promise((r) => setTimeout(r, 0));
      } while (token);
      this.total = all.length;
    } catch (e) {
      if (gen === this.#gen) this.error = `Could not read the runs: ${storeErrorMessage(e)}`;
    } finally {
      if (gen === this.#gen) this.loading = false;
    }
  }

  /** Picks up new and changed runs (see the module comment). Concurrent calls coalesce. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.#again = true;
      return this.#busy ?? Promise.resolve();
    }
    if (this.#busy) {
      this.#again = true;
      return this.#busy;
    }
    this.#busy = this.#refresh().finally(() => {
      this.#busy = null;
      if (this.#again) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#busy;
  }

  async #refresh(): Promise<void> {
    const gen = this.#gen;
    try {
      const byId = this.byId;
      const current = this.runs;
      const updates = new Map<string, RunRecord>();
      const added: RunRecord[] = [];
      // 1. Newest runs (new trials of a running search appear here).
      let token: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const page = await this.store.searchRuns({
          experimentId: this.experimentId,
          limit: NEWEST_PAGE,
          ...(token ? { pageToken: token } : {}),
        });
        let fresh = 0;
        for (const r of page.runs) {
          const i = byId.get(r.id);
          if (i === undefined) {
            added.push(r);
            fresh++;
          } else if (changed(current[i], r)) updates.set(r.id, r);
        }
        token = page.nextPageToken ?? undefined;
        if (!token || fresh === 0) break;
      }
      // 2. Runs still running may have new metrics or have ended.
      const running = current.filter((r) => r.state === 'RUNNING' && !updates.has(r.id));
      if (running.length > MAX_RUNNING_REFRESH) return await this.load();
      const fresh = await Promise.all(running.map((r) => this.store.getRun(r.id)));
      if (gen !== this.#gen) return;
      fresh.forEach((r, k) => {
        if (r && changed(running[k], r)) updates.set(r.id, r);
      });
      if (!added.length && !updates.size) {
        // Nothing new in sight: a count mismatch means deletions or older inserts.
        const total = await this.store.countRuns({ experimentId: this.experimentId });
        if (gen !== this.#gen) return;
        if (total !== current.length) return await this.load();
        return;
      }
      const next = added.concat(current.map((r) => updates.get(r.id) ?? r));
      const total = await this.store.countRuns({ experimentId: this.experimentId });
      if (gen !== this.#gen) return;
      if (total !== next.length) return await this.load();
      this.runs = next;
      this.total = total;
    } catch (e) {
      if (gen === this.#gen) this.error = `Could not refresh the runs: ${storeErrorMessage(e)}`;
    }
  }

  dispose(): void {
    this.#gen++;
  }
}

function changed(a: RunRecord, b: RunRecord): boolean {
  if (a.state !== b.state || a.endTime !== b.endTime || a.name !== b.name) return true;
  const ma = a.latestMetrics;
  const mb = b.latestMetrics;
  const ka = Object.keys(ma);
  if (ka.length !== Object.keys(mb).length) return true;
  for (const k of ka) {
    if (!mb[k] || mb[k].step !== ma[k].step || mb[k].timestamp !== ma[k].timestamp) return true;
    if (!Object.is(mb[k].value, ma[k].value)) return true;
  }
  if (Object.keys(a.params).length !== Object.keys(b.params).length) return true;
  if (Object.keys(a.tags).length !== Object.keys(b.tags).length) return true;
  for (const k in b.tags) if (a.tags[k] !== b.tags[k]) return true;
  return false;
}
