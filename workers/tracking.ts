/**
 * The training worker's side of experiment tracking: one connection to the browser's tracking
 * database (the page opens its own; Dexie tells both about each other's writes). What a run records
 * is decided by the jobs in src/core/jobs, the same as in the CLI.
 */
import { browserLocks, DexieTrackingStore } from '../src/store/dexie.ts';
import { ownRuns } from '../src/core/tracking/ownership.ts';
import type { TrackingStore } from '../src/core/tracking/store.ts';

/** Raw files up to this size are kept with the run's dataset (for Verify and re-training). */
export const MAX_KEPT_RAW_BYTES = 64 * 1024 * 1024;

let opened: Promise<TrackingStore> | null = null;

/**
 * The worker's store. Runs started through it are owned by this worker (a Web Lock per RUNNING run,
 * see core/tracking/ownership.ts), so another tab's startup recovery leaves them alone.
 */
export function trackingStore(): Promise<TrackingStore> {
  if (!opened) {
    opened = DexieTrackingStore.open().then((s) => ownRuns(s, { locks: browserLocks() }));
    opened.catch(() => (opened = null));
  }
  return opened;
}
