/**
 * The page's worker client (src/ui/state/data-client.ts) against stand-in workers, in Node:
 * a worker that dies mid-load gives a clear error and is replaced (re-given the last good file);
 * a worker that ignores Cancel is terminated after a grace period; progress proxies are released.
 */
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { DataClient } from '../../src/ui/state/data-client.ts';
import type { DataWorkerApi, LoadedDataset, ProfileSummary, WorkerResult } from '../../workers/types.ts';

/** Minimal worker over a MessageChannel, exposing a stub API with comlink. */
class FakeWorker extends EventTarget {
  readonly #port: MessagePort;
  terminated = false;
  constructor(api: DataWorkerApi) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    port1.addEventListener('message', (e) =>
      this.dispatchEvent(new MessageEvent('message', { data: e.data })),
    );
    port1.start();
    expose(api, port2);
  }
  postMessage(data: unknown, transfer: Transferable[] = []): void {
    if (!this.terminated) this.#port.postMessage(data, transfer);
  }
  terminate(): void {
    this.terminated = true;
    this.#port.close();
  }
  crash(message: string): void {
    const e = new Event('error', { cancelable: true }) as Event & { message: string };
    e.message = message;
    this.dispatchEvent(e);
  }
}

function dataset(name: string, target = 'y'): LoadedDataset {
  const profile: ProfileSummary = {
    nRows: 2,
    nColumns: 1,
    duplicateRows: 0,
    columns: [],
    associationsTruncated: false,
    warnings: [],
    suggestion: null,
    target,
  };
  return {
    sourceName: name,
    schema: [],
    dialect: {
      delimiter: ',',
      hasHeader: true,
      encoding: 'utf-8',
      bom: false,
      lineEnding: '\n',
      decimalSeparator: '.',
    },
    fingerprint: { sha256: '0'.repeat(64), bytes: 3, rows: 2, columns: 1, schemaHash: '0'.repeat(64) },
    fixups: [],
    preview: { names: [], columns: [], rows: 0, totalColumns: 0 },
    profile,
    typeOverrides: {},
  };
}

interface Stub {
  worker: FakeWorker;
  calls: string[];
  release: () => void;
}

/** A stub API; `hold` makes load() wait until `release()` is called (and ignore cancel). */
function stub(hold = false): Stub {
  const calls: string[] = [];
  let release = (): void => {};
  const api: DataWorkerApi = {
    async load(input, options, onProgress) {
      calls.push(
        `load ${input instanceof Blob ? `blob:${input.size}` : input.name} ${JSON.stringify(options)}`,
      );
      await onProgress?.({ bytesRead: 1, totalBytes: 3, rows: 1, phase: 'parse' });
      if (hold) await new Promise<void>((r) => (release = r));
      return {
        ok: true,
        value: { ...dataset('x.csv', options.target), typeOverrides: options.typeOverrides ?? {} },
      };
    },
    async reprofile(options) {
      calls.push(`reprofile ${JSON.stringify(options)}`);
      return { ok: true, value: { ...dataset('x.csv').profile, target: options.target } };
    },
    async column(name) {
      calls.push(`column ${name}`);
      return { ok: false, error: { code: 'unknown-column', message: `No column named "${name}"` } };
    },
    async setTypeOverrides(overrides) {
      calls.push(`retype ${JSON.stringify(overrides)}`);
      return { ok: true, value: { ...dataset('x.csv'), typeOverrides: overrides } };
    },
    cancel() {
      calls.push('cancel');
    },
    async tableKey() {
      return null;
    },
    async sendTable() {
      return { ok: false, error: { code: 'no-dataset', message: 'stub' } };
    },
    async persist() {
      return { ok: false, error: { code: 'no-dataset', message: 'stub' } };
    },
    cancelPersist() {},
    async storedDatasets() {
      return { ok: true, value: [] };
    },
    async restore() {
      return { ok: true, value: null };
    },
    async deleteStored() {
      return { ok: true, value: true };
    },
  };
  const worker = new FakeWorker(api);
  return { worker, calls, release: () => release() };
}

let client: DataClient | undefined;
afterEach(() => client?.dispose());

const file = (): File => new File(['y\n1\n2\n'], 'x.csv', { type: 'text/csv' });

describe('data worker client', () => {
  it('loads, reports progress, and re-profiles through the worker', async () => {
    const s = stub();
    client = new DataClient(() => s.worker as unknown as Worker);
    const progress: number[] = [];
    const res = await client.load(file(), {}, (p) => progress.push(p.rows));
    expect(res.ok).toBe(true);
    await expect.poll(() => progress).toEqual([1]);
    const prof = await client.reprofile({ target: 'y' });
    expect(prof.ok && prof.value.target).toBe('y');
    const col = await client.column('nope');
    expect(col).toEqual({ ok: false, error: { code: 'unknown-column', message: 'No column named "nope"' } });
    expect(s.calls.map((c) => c.split(' ')[0])).toEqual(['load', 'reprofile', 'column']);
  });

  it('a worker dying mid-load gives a clear error; the next call gets a fresh worker with the last good file', async () => {
    const first = stub();
    const second = stub(true);
    const third = stub();
    const workers = [first, second, third];
    let made = 0;
    client = new DataClient(() => workers[made++].worker as unknown as Worker);

    const ok = await client.load(file(), { typeOverrides: { y: 'categorical' } });
    expect(ok.ok).toBe(true);

    // Swap in a worker that will die during the next load.
    first.worker.crash('out of memory');
    expect(first.worker.terminated).toBe(true);
    const pending = client.load(new File(['big'], 'big.csv'), {});
    await expect.poll(() => second.calls.length).toBe(1);
    second.worker.crash('out of memory');
    const res: WorkerResult<LoadedDataset> = await pending;
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('worker-died');
      expect(res.error.message).toContain('out of memory');
      expect(res.error.message).toContain('still on screen');
    }
    expect(second.worker.terminated).toBe(true);

    // Re-profiling now re-reads the last good file (x.csv, with its type choice) in a new worker first.
    const prof = await client.reprofile({ target: 'y' });
    expect(prof.ok).toBe(true);
    expect(made).toBe(3);
    expect(third.calls[0]).toMatch(/^load blob:6 .*"typeOverrides":\{"y":"categorical"\}/);
    expect(third.calls[1]).toBe('reprofile {"target":"y"}');
  });

  it('a worker that ignores Cancel is terminated after the grace period and the load resolves as cancelled', async () => {
    const stuck = stub(true);
    const fresh = stub();
    const workers = [stuck, fresh];
    let made = 0;
    client = new DataClient(() => workers[made++].worker as unknown as Worker);
    const pending = client.load(file(), {});
    await expect.poll(() => stuck.calls.length).toBe(1);
    const t0 = Date.now();
    client.cancel();
    const res = await pending;
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('cancelled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    await expect.poll(() => stuck.calls).toContain('cancel');
    expect(stuck.worker.terminated).toBe(true);
    // The client keeps working with a new worker.
    expect((await client.load(file(), {})).ok).toBe(true);
    expect(made).toBe(2);
  });
});
