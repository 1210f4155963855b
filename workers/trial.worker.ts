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

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

expose(
  createTrialEndpoint({
    // Several trial workers share the cores: WASM (not WebGPU) keeps them independent.
    prepareBackend: () =>
      import('../src/core/models/nn/backend.ts').then((m) =>
        m.selectBackend('wasm', { wasmPaths: WASM_PATHS }),
      ),
    release: (report) => (report as unknown as { [releaseProxy]: () => void })[releaseProxy](),
    transfer,
  }),
);
