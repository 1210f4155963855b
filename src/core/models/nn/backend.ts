/**
 * Chooses the TensorFlow.js backend: WebGPU only on a hardware adapter (a software fallback adapter
 * such as SwiftShader is ~35× slower than WASM), else WASM, else CPU. Every start has a timeout and
 * falls through to the next candidate. Threaded WASM is disabled: its helper workers hang in a
 * minified build.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface AdapterInfo {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

export interface BackendChoice {
  readonly name: BackendName;
  readonly adapter?: AdapterInfo;
  /** Why this backend, in plain words ("WebGPU adapter is a software fallback (swiftshader): using WASM"). */
  readonly reason: string;
  /** Candidates that failed to start, with the error. */
  readonly failures: readonly { readonly name: BackendName; readonly error: string }[];
}

export interface BackendOptions {
  /** URLs of the tfjs wasm binaries served by the app (browser); omit in Node. */
  readonly wasmPaths?: Partial<
    Record<
      'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm',
      string
    >
  >;
  readonly timeoutMs?: number;
}

interface GpuLike {
  requestAdapter(): Promise<{ info?: AdapterInfo; isFallbackAdapter?: boolean } | null>;
}

/** Looks for a WebGPU adapter without starting tfjs on it. */
export async function probeWebGpu(): Promise<AdapterInfo | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return {
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
    };
  } catch {
    return null;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

async function start(name: BackendName, opts: BackendOptions): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (opts.wasmPaths) setWasmPaths(opts.wasmPaths);
  }
  const ok = await withTimeout(tf.setBackend(name), opts.timeoutMs ?? 20_000, `the ${name} backend`);
  if (!ok) throw new Error(`the ${name} backend is not available here`);
  await tf.ready();
  // a tiny computation proves the backend works
  const t = tf.add(tf.scalar(1), tf.scalar(2));
  const v = (await t.data())[0];
  t.dispose();
  if (v !== 3) throw new Error(`the ${name} backend computed 1 + 2 = ${v}`);
}

export async function selectBackend(
  pref: BackendPreference = 'auto',
  opts: BackendOptions = {},
): Promise<BackendChoice> {
  const failures: { name: BackendName; error: string }[] = [];
  let adapter: AdapterInfo | undefined;
  let reason: string;
  let candidates: BackendName[];
  if (pref === 'auto') {
    const probed = await probeWebGpu();
    adapter = probed ?? undefined;
    if (probed && probed.isFallbackAdapter === false) {
      candidates = ['webgpu', 'wasm', 'cpu'];
      reason =
        `hardware WebGPU adapter (${probed.vendor || 'unknown vendor'} ${probed.architecture || ''})`.trim();
    } else {
      candidates = ['wasm', 'cpu'];
      reason = probed
        ? `WebGPU adapter is a software fallback (${probed.architecture || probed.vendor || 'unknown'}): using WASM`
        : 'no WebGPU adapter: using WASM';
    }
  } else {
    candidates = [pref, ...(['wasm', 'cpu'] as BackendName[]).filter((b) => b !== pref)];
    reason = `${pref} requested`;
    if (pref === 'webgpu') adapter = (await probeWebGpu()) ?? undefined;
  }
  for (const name of candidates) {
    try {
      await start(name, opts);
      const fellBack = failures.length ? ` (after ${failures.map((f) => f.name).join(', ')} failed)` : '';
      return { name, adapter, reason: reason + fellBack, failures };
    } catch (err) {
      failures.push({ name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could start: ${failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
  );
}
