/**
 * Node worker_threads entry of a trial worker: core's trial endpoint exposed over comlink's Node
 * adapter (the same API as workers/trial.worker.ts in browsers). Started by worker-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { expose, releaseProxy, transfer } from 'comlink';
import { nodeEndpoint } from './worker-pool.ts';
import { createTrialEndpoint } from '../core/search/trial-endpoint.ts';

if (!parentPort) throw new Error('trial-worker.ts runs as a worker thread');
expose(
  createTrialEndpoint({
    release: (report) => (report as unknown as { [releaseProxy]: () => void })[releaseProxy](),
    transfer,
  }),
  nodeEndpoint(parentPort),
);
