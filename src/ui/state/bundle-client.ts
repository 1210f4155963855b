/**
 * The page's side of the bundle worker (`workers/bundle.worker.ts`): creates it on first use, wraps
 * it with comlink, releases proxies, turns a dead worker into a clear failure value (the next call
 * starts a new one), and can cancel a verification (a refit only sees messages between rounds) by
 * terminating the worker. Every method resolves; failures are `{ ok: false, error }`.
 *
 * Components get the one instance from context: `getBundleClient()` (App.svelte or a test page calls
 * `setBundleClient(new BundleClient())` once).
 */
import { getContext, hasContext, setContext } from 'svelte';
import { proxy, transfer, type Remote } from 'comlink';
import { WorkerSlot } from './worker-slot.ts';
import type {
  BundleFailure,
  BundleFiles,
  BundleResult,
  BundleWorkerApi,
  ExplainViewRequest,
  ImportedBundle,
  LoadInput,
  CombinedTraining,
  MonitorOptions,
  MonitorOutcome,
  ScoreOptions,
  ScoreOutcome,
  VerifyProgressCallback,
  VerifyReport,
  ZipOptions,
} from '../../../workers/bundle-types.ts';

export type BundleWorkerFactory = () => Worker;

export const defaultBundleWorkerFactory: BundleWorkerFactory = () =>
  new Worker(new URL('../../../workers/bundle.worker.ts', import.meta.url), {
    type: 'module',
    name: 'bundle',
  });

export class BundleClient {
  readonly #slot: WorkerSlot<BundleWorkerApi, BundleFailure>;

  constructor(factory: BundleWorkerFactory = defaultBundleWorkerFactory) {
    this.#slot = new WorkerSlot(factory, { label: 'bundle' });
  }

  #call<T>(run: (remote: Remote<BundleWorkerApi>) => Promise<BundleResult<T>>): Promise<BundleResult<T>> {
    const inst = this.#slot.get();
    return this.#slot.call(inst, () => run(inst.remote));
  }

  /** Read and validate a bundle zip (a File, or its bytes: a given ArrayBuffer is transferred). */
  async readZip(file: Blob | ArrayBuffer, name = file instanceof File ? file.name : 'bundle.zip') {
    let bytes: ArrayBuffer;
    try {
      bytes = file instanceof ArrayBuffer ? file : await file.arrayBuffer();
    } catch (err) {
      return {
        ok: false,
        error: { code: 'data', message: `Cannot read ${name}: ${(err as Error)?.message ?? err}` },
      } as const;
    }
    return this.#call<ImportedBundle>((r) => r.readZip(transfer(bytes, [bytes]), name));
  }

  /** Validate bundle files already in memory (e.g. a model version's artifacts). */
  inspect(files: BundleFiles, name: string): Promise<BundleResult<ImportedBundle>> {
    return this.#call((r) => r.inspect(files, name));
  }

  score(files: BundleFiles, csv: LoadInput, options?: ScoreOptions): Promise<BundleResult<ScoreOutcome>> {
    return this.#call((r) => r.score(files, csv, options));
  }

  /** Check a batch CSV against the bundle's reference (drift, data quality, performance). */
  monitor(
    files: BundleFiles,
    csv: LoadInput,
    options?: MonitorOptions,
  ): Promise<BundleResult<MonitorOutcome>> {
    return this.#call((r) => r.monitor(files, csv, options));
  }

  /** The Explain view's data on a seeded sample of the CSV's rows (src/core/explain/view.ts). */
  explain(files: BundleFiles, csv: LoadInput, options?: ExplainViewRequest) {
    return this.#call((r) => r.explain(files, csv, options));
  }

  combineTraining(
    files: BundleFiles,
    training: LoadInput,
    batches: readonly { readonly input: LoadInput; readonly batchTime?: number }[],
  ): Promise<BundleResult<CombinedTraining>> {
    return this.#call((r) => r.combineTraining(files, training, batches));
  }

  zip(
    files: Readonly<Record<string, string | Uint8Array>>,
    options: ZipOptions = {},
  ): Promise<BundleResult<ArrayBuffer>> {
    return this.#call((r) => r.zip(files, options));
  }

  /** The bundle as an ONNX graph (the bytes `cli export --format onnx` writes). */
  onnx(files: BundleFiles): Promise<BundleResult<ArrayBuffer>> {
    return this.#call((r) => r.onnx(files));
  }

  /** The bundle as a Python project zip (the files `cli export --format python` writes), under `folder/`. */
  pythonProject(files: BundleFiles, source: string, folder: string): Promise<BundleResult<ArrayBuffer>> {
    return this.#call((r) => r.pythonProject(files, source, folder));
  }

  verify(
    files: BundleFiles,
    trainCsv: LoadInput,
    onProgress?: VerifyProgressCallback,
    tables?: Readonly<Record<string, LoadInput>>,
  ): Promise<BundleResult<VerifyReport>> {
    const cb = onProgress ? proxy(onProgress) : undefined;
    return this.#call((r) => r.verify(files, trainCsv, cb, tables));
  }

  /** End whatever the worker is doing now (a running call resolves with code 'cancelled'). */
  cancel(message = 'Cancelled.'): void {
    this.#slot.kill({ code: 'cancelled', message });
  }

  dispose(): void {
    this.#slot.kill({ code: 'worker-died', message: 'closed' });
  }
}

const KEY = Symbol('bundle-client');

export function setBundleClient(client: BundleClient): BundleClient {
  return setContext(KEY, client);
}

/** The bundle client from context; without one (a component used on its own), a private one. */
export function getBundleClient(): BundleClient {
  if (hasContext(KEY)) return getContext<BundleClient>(KEY);
  return setContext(KEY, new BundleClient());
}
