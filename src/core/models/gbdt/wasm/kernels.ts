/**
 * Loader of the GBDT's WebAssembly kernels (kernels.wat, embedded as base64 in kernels.bytes.ts: no
 * network, no .wasm file). Compiled synchronously on first use (the module is ~3.7 KB, under the 4 KB
 * limit browsers put on synchronous compilation on the main thread; Node and Web Workers have none) and
 * cached; each fit gets its own instances and memories. When WebAssembly is missing or fails (e.g. a
 * content security policy without 'wasm-unsafe-eval'), or is switched off with setWasmKernels(false),
 * the JavaScript kernels run instead: same trees, bit for bit (test/core/models/gbdt-wasm.test.ts).
 */
import { exp } from '../../../util/portable-math.ts';
import { KERNELS_WASM_BASE64 } from './kernels.bytes.ts';

/** A histogram kernel over rows idx[start..end); pointers are byte offsets into the memory. */
type HistKernel = (
  hist: number,
  histBytes: number,
  gbin: number,
  F: number,
  idx: number,
  start: number,
  end: number,
  gh: number,
) => void;

export interface KernelExports {
  /** buildHistG2 (gradient and hessian sums). */
  hist2: HistKernel;
  /** buildHistG3 (with counts). */
  hist3: HistKernel;
  /** a[i] -= b[i] for n f64 values. */
  subtract(a: number, b: number, n: number): void;
  /** Stable partition of idx[start..end) by goLeft[col[row]]; returns the first right position. */
  partition(idx: number, scratch: number, start: number, end: number, col: number, goLeft: number): number;
  /** out[row] += v for the rows idx[start..end) (out: f64 pointer). */
  addValue(out: number, idx: number, start: number, end: number, v: number): void;
  /** out[row] += goLeft[col[row]] === 1 ? vL : vR for the rows idx[start..end). */
  addSplitValues(
    out: number,
    idx: number,
    start: number,
    end: number,
    col: number,
    goLeft: number,
    vL: number,
    vR: number,
  ): void;
  /** binning.ts binNumeric of n f64 values at data into u8 out (starts: i32[4 nc + 2] scratch). */
  binNumeric(data: number, n: number, cuts: number, nc: number, out: number, starts: number): void;
  /** binning.ts binCategorical of n f64 values at data into u8 out (map: i32[mapLen]). */
  binCategorical(data: number, n: number, map: number, mapLen: number, out: number): void;
  /** objective.ts loglossGradientsUnweighted over n rows (raw, y: f64; g: f64 pairs); tab: the constants
   * table (TABLE_F64 values at byte 0), which receives the product and rescale count at [13], [14]. */
  loglossGrad(raw: number, y: number, n: number, g: number, tab: number): void;
  /** Largest floor(v) over the n f64 values v >= 0 at data, or -1. */
  catMax(data: number, n: number): number;
  /** counts[floor(v)] += 1 (f64) for the n f64 values v >= 0 at data; returns how many. */
  catCount(data: number, n: number, counts: number): number;
  /** The non-NaN of the n f64 values at data to out; returns how many. */
  gatherNumbers(data: number, n: number, out: number): number;
  /** Distinct values of n sorted f64 values to uniq, their counts to counts; returns how many. */
  distinctSorted(values: number, n: number, uniq: number, counts: number): number;
  /** binning.ts numericBins' cuts (f64) of nu distinct values out of n; returns how many. */
  numericCuts(uniq: number, counts: number, nu: number, n: number, maxBins: number, cuts: number): number;
  /** gbin[r * F + f] = col[f * n + r] + offsets[f]. */
  globalBins(col: number, n: number, F: number, offs: number, gbin: number): void;
}

export interface Kernels {
  readonly memory: WebAssembly.Memory;
  readonly k: KernelExports;
  /** The constants table at byte 0 (see kernels.wat), filled by objective.ts on first use. */
  readonly table: Float64Array;
}

/** f64 values in the constants table: 16 scalars, 2^(j/32) (32 values), 2^e for e in [-1074, 1024]. */
export const TABLE_F64 = 16 + 32 + 2099;
/** First byte of the memory free for the caller (after the constants table). */
export const KERNEL_BASE = 8 * TABLE_F64;
const byBuffer = new WeakMap<ArrayBuffer, Kernels>();

/** The kernel instance whose memory is `buffer` (to run kernels on arrays that live there), or null. */
export function kernelsOf(buffer: ArrayBufferLike): Kernels | null {
  return byBuffer.get(buffer as ArrayBuffer) ?? null;
}

let enabled = true;
let compiled: WebAssembly.Module | null | undefined;

/** Switches the WebAssembly kernels on (default) or off (JavaScript kernels; same results). */
export function setWasmKernels(on: boolean): void {
  enabled = on;
}

/** Whether fits use the WebAssembly kernels (enabled and the module compiles here). */
export function wasmKernelsAvailable(): boolean {
  return enabled && module() !== null;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled =
        typeof WebAssembly === 'object' ? new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64)) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** A kernel instance with `bytes` bytes of zeroed memory (the caller's data from KERNEL_BASE on), or null
 * (disabled, unavailable, or out of memory). */
export function createKernels(bytes: number): Kernels | null {
  if (!enabled || bytes > 2 ** 31) return null;
  const mod = module();
  if (!mod) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const instance = new WebAssembly.Instance(mod, { env: { memory, exp } });
    const k = instance.exports as unknown as KernelExports;
    const kernels = { memory, k, table: new Float64Array(memory.buffer, 0, TABLE_F64) };
    byBuffer.set(memory.buffer, kernels);
    return kernels;
  } catch {
    return null;
  }
}
