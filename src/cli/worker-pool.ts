/**
 * The trial worker pool in Node: worker_threads running src/cli/trial-worker.ts, driven by the same
 * comlink glue and core pool as the browser's (workers/pool.ts). From the sources (`npm run cli`)
 * workers run TypeScript: each starts from a tiny ES module that registers tsx's loader in the thread
 * and then imports the entry (Node 20 does not apply `--import tsx` hooks to a worker's own entry
 * module); the compiled CLI (dist-cli/) starts dist-cli/trial-worker.mjs directly.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Endpoint } from 'comlink';
import { createTrialPool, defaultPoolSize, type TrialPool } from '../core/search/pool.ts';
import { comlinkTrialHandle } from '../../workers/pool.ts';

/**
 * comlink's Node adapter (comlink/dist/esm/node-adapter.mjs, whose types TypeScript does not pair
 * with the .mjs file): a worker_threads port as a comlink `Endpoint`.
 */
export function nodeEndpoint(port: Worker | MessagePort): Endpoint {
  const listeners = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      port.postMessage(message, transfer as never),
    addEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const l = (data: unknown) => {
        const event = { data } as MessageEvent;
        if ('handleEvent' in handler) handler.handleEvent(event);
        else handler(event);
      };
      port.on('message', l);
      listeners.set(handler, l);
    },
    removeEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const l = listeners.get(handler);
      if (!l) return;
      port.off('message', l);
      listeners.delete(handler);
    },
  };
}

export interface NodeTrialPoolOptions {
  /** Number of worker threads; default availableParallelism() − 1, at least 1. */
  readonly size?: number;
  readonly stopGraceMs?: number;
  /** Worker entry module (default ./trial-worker.ts). */
  readonly entry?: URL;
}

export function defaultWorkerCount(): number {
  return defaultPoolSize(availableParallelism());
}

function bootstrap(entry: URL): string {
  const require = createRequire(import.meta.url);
  // tsx's ESM API (its package "exports" maps ./esm/api to this file for import).
  const tsxApi = pathToFileURL(
    require.resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs'),
  ).href;
  return (
    `import(${JSON.stringify(tsxApi)})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`
  );
}

/** True in the ahead-of-time build (dist-cli/*.mjs), where the trial worker is plain JavaScript. */
const COMPILED = import.meta.url.endsWith('.mjs');

export function createNodeTrialPool(options: NodeTrialPoolOptions = {}): TrialPool {
  const entry =
    options.entry ?? new URL(COMPILED ? './trial-worker.mjs' : './trial-worker.ts', import.meta.url);
  // JavaScript entries start directly; TypeScript ones through tsx's loader.
  const plain = /\.m?js$/.test(entry.pathname);
  const source = plain ? null : bootstrap(entry);
  return createTrialPool({
    size: options.size ?? defaultWorkerCount(),
    stopGraceMs: options.stopGraceMs,
    spawn: () => {
      const worker = source === null ? new Worker(entry) : new Worker(source, { eval: true });
      let terminated = false;
      const died = new Promise<string>((resolve) => {
        worker.once('error', (err) => resolve(err instanceof Error ? err.message : String(err)));
        worker.once('exit', (code) => resolve(terminated ? 'terminated' : `exited with code ${code}`));
      });
      return comlinkTrialHandle(nodeEndpoint(worker), {
        terminate: () => {
          terminated = true;
          void worker.terminate();
        },
        died,
      });
    },
  });
}
