/**
 * Context access to the app's tracking store (one instance, opened by App.svelte at startup).
 *
 * For screens that record runs (e.g. the Train screen):
 *
 *   const tracking = getTrackingStore();
 *   const store = await tracking.whenReady();          // TrackingStore (Dexie in the browser)
 *   const tracker = new Tracker(store);                // src/core/tracking/tracker.ts
 *
 * Reads are plain `store.*` calls; every screen refreshes by itself when the database changes
 * (including writes from workers), so nobody has to notify anybody after writing. Use
 * `tracking.write(ops)` instead of `store.write(ops)` to have a failure (e.g. storage full) shown
 * in the app's banner as well as thrown.
 *
 * Navigation between the tracking screens (e.g. a model version's lineage → its run) goes through
 * `getTrackingNav()`.
 */
import { getContext, setContext } from 'svelte';
import type { TrackingService } from './tracking-service.svelte.ts';

const KEY = Symbol('tracking-store');
const NAV_KEY = Symbol('tracking-nav');

export function setTrackingStore(service: TrackingService): TrackingService {
  return setContext(KEY, service);
}

export function getTrackingStore(): TrackingService {
  const s = getContext<TrackingService | undefined>(KEY);
  if (!s) throw new Error('TrackingService missing from context (App.svelte sets it)');
  return s;
}

/** The tabs of a run's page. */
export type RunTab = 'overview' | 'explain';

/** Cross-screen navigation requests (set by App.svelte, which owns the tabs). */
export interface TrackingNav {
  /**
   * Show an experiment (and scroll to / highlight one of its runs); with `tab`, open that run's page
   * on that tab (e.g. a model version's "Explain" opens its run's Explain tab).
   */
  showRun(experimentId: string, runId?: string, tab?: RunTab): void;
  /** Show a registered model (and one of its versions). */
  showModel(name: string, version?: number): void;
}

export function setTrackingNav(nav: TrackingNav): TrackingNav {
  return setContext(NAV_KEY, nav);
}

export function getTrackingNav(): TrackingNav {
  const n = getContext<TrackingNav | undefined>(NAV_KEY);
  if (!n) throw new Error('TrackingNav missing from context (App.svelte sets it)');
  return n;
}
