/**
 * A trial worker training on WebGPU cannot go on once its GPU device is lost (driver reset, GPU
 * process crash, the device destroyed): every later op fails or hangs. `watchDeviceLoss` turns the
 * loss into an uncaught error of the worker, which the pool sees as a crash (workers/pool.ts): the
 * running trial fails with that message as its reason and the worker is replaced by a fresh one.
 */

interface DeviceLostInfo {
  readonly reason?: string;
  readonly message?: string;
}

/** The GPU device of a tfjs backend, if it has one (the WebGPU backend keeps it as `device`). */
function deviceOf(backend: unknown): { lost: Promise<DeviceLostInfo> } | undefined {
  const device = (backend as { device?: { lost?: unknown } } | null | undefined)?.device;
  return device && device.lost instanceof Promise ? (device as { lost: Promise<DeviceLostInfo> }) : undefined;
}

/**
 * Calls `raise` with a plain message when the backend's GPU device is lost. Returns false when the
 * backend has no GPU device (WASM, CPU): nothing to watch.
 */
export function watchDeviceLoss(backend: unknown, raise: (message: string) => void): boolean {
  const device = deviceOf(backend);
  if (!device) return false;
  void device.lost.then((info) => {
    const why = [info?.reason, info?.message].filter(Boolean).join(': ');
    raise(`GPU device lost${why ? ` (${why})` : ''}`);
  });
  return true;
}

/** What a worker does with it: an uncaught error (the pool's crash path), then the worker ends. */
export function crashWorker(message: string): void {
  setTimeout(() => {
    throw new Error(message);
  }, 0);
}
