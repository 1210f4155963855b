/**
 * Trial worker: a thin comlink endpoint over core's `createTrialEndpoint` (src/core/search/
 * trial-endpoint.ts). `init` receives the search data once (table buffers transferred), `evaluate`
 * runs one trial and reports rung values through the proxied callback. Started by
 * `createBrowserTrialPool` (workers/pool.ts); the Node CLI runs the same endpoint in worker_threads.
 */
import { expose, releaseProxy, transfer } from 'comlink';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createTrialEndpoint } from '../src/core/search/trial-endpoint.ts';
import type { BackendPreference } from '../src/core/models/nn/backend.ts';
import { crashWorker, watchDeviceLoss } from './device-loss.ts';

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

/**
 * The backend this worker trains nets on, from its name (`trial:<preference>`, set by
 * createBrowserTrialPool): the search's choice — WebGPU only on a hardware adapter under 'auto' —
 * else WASM.
 */
function preference(): BackendPreference {
  const m = /^trial:(auto|webgpu|wasm|cpu)$/.exec((self as { name?: string }).name ?? '');
  return (m?.[1] as BackendPreference | undefined) ?? 'wasm';
}

expose(
  createTrialEndpoint({
    prepareBackend: async () => {
      const { selectBackend } = await import('../src/core/models/nn/backend.ts');
      const choice = await selectBackend(preference(), { wasmPaths: WASM_PATHS });
      if (choice.name === 'webgpu') {
        // a lost GPU device ends this worker: its trial fails with the reason, the pool replaces it
        const tf = await import('@tensorflow/tfjs');
        watchDeviceLoss(tf.backend(), crashWorker);
      }
      return choice;
    },
    release: (report) => (report as unknown as { [releaseProxy]: () => void })[releaseProxy](),
    transfer,
  }),
);
