/**
 * Trial worker pools over comlink. `createBrowserTrialPool` runs trials in Web Workers (from the page
 * or from inside another dedicated worker: nested workers); the Node CLI builds the same pool over
 * worker_threads (src/cli/worker-pool.ts) with `comlinkTrialHandle` below. Both drive the same core
 * `TrialWorkerApi` and the same core pool logic (src/core/search/pool.ts): data sent once per worker
 * as transferred ArrayBuffers, a crashed worker fails only its trial and is replaced, Stop terminates
 * workers that do not answer within `stopGraceMs`.
 *
 * Usage (e.g. in a search worker):
 *   const pool = createBrowserTrialPool({ size: 3 });
 *   const result = await runSearch({ ...options, executor: pool, onTrialStart, onTrial });
 *   // runSearch closes the pool when the search phase ends.
 */
import { releaseProxy, proxy, transfer, wrap, type Endpoint, type Remote } from 'comlink';
import { tableTransferables, type Table } from '../src/core/data/table.ts';
import {
  createTrialPool,
  defaultPoolSize,
  type TrialPool,
  type TrialWorkerHandle,
} from '../src/core/search/pool.ts';
import type { SearchData } from '../src/core/search/context.ts';
import type { ReportFn, TrialWorkerApi } from '../src/core/search/trial-endpoint.ts';
import type { BrowserTrialPoolOptions } from './search-types.ts';

/** A deep copy of a table whose buffers can be transferred (the original stays usable). */
export function cloneTable(table: Table): Table {
  return structuredClone(table);
}

/**
 * A `TrialWorkerHandle` over a comlink endpoint: `init` sends a copy of the table with its buffers
 * transferred, `evaluate` passes the report callback as a proxy (released by the worker after the
 * trial), `terminate` releases the remote proxy and ends the worker.
 */
export function comlinkTrialHandle(
  endpoint: Endpoint,
  control: { terminate: () => void; died: Promise<string> },
): TrialWorkerHandle {
  const api: Remote<TrialWorkerApi> = wrap<TrialWorkerApi>(endpoint);
  let released = false;
  return {
    init(data: SearchData) {
      const table = cloneTable(data.table);
      return api.init(transfer({ table, spec: data.spec }, tableTransferables(table)));
    },
    evaluate(task, report: ReportFn) {
      return api.evaluate(task, proxy(report)) as ReturnType<TrialWorkerHandle['evaluate']>;
    },
    stop() {
      void Promise.resolve(api.stop()).catch(() => undefined);
    },
    terminate() {
      if (!released) {
        released = true;
        try {
          api[releaseProxy]();
        } catch {
          // already gone
        }
      }
      control.terminate();
    },
    died: control.died,
  };
}

function browserCores(): number | undefined {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
}

/**
 * A pool of Web Workers running trials: pass it as `executor` to `runSearch`. `size` defaults to
 * `hardwareConcurrency − 1` (at least 1); `factory` makes one worker (default: the bundled
 * workers/trial.worker.ts). Works from the page and from inside a dedicated worker.
 */
export function createBrowserTrialPool(options: BrowserTrialPoolOptions = {}): TrialPool {
  const factory =
    options.factory ??
    (() =>
      new Worker(new URL('./trial.worker.ts', import.meta.url), {
        type: 'module',
        // the worker reads its backend preference from its name (workers/trial.worker.ts)
        name: `trial:${options.backend ?? 'wasm'}`,
      }));
  return createTrialPool({
    size: options.size ?? defaultPoolSize(browserCores()),
    stopGraceMs: options.stopGraceMs,
    spawn: () => {
      const worker = factory();
      const died = new Promise<string>((resolve) => {
        worker.addEventListener('error', (e: ErrorEvent) => {
          e.preventDefault?.();
          resolve(e.message || 'uncaught error in the trial worker');
          worker.terminate();
        });
        worker.addEventListener('messageerror', () => {
          resolve('a message could not be read');
          worker.terminate();
        });
      });
      return comlinkTrialHandle(worker, { terminate: () => worker.terminate(), died });
    },
  });
}
