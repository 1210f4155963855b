/**
 * The page's side of the training worker: creates it on first use, wraps it with comlink, releases
 * proxies, turns a dead worker into a clear error (the next call starts a new one), and stops a
 * training that does not honour Stop in time (a synchronous GBDT fit only sees messages at the end)
 * by terminating the worker.
 */
import { proxy, transfer } from 'comlink';
import { WorkerSlot, type WorkerInstance } from './worker-slot.ts';
import { isTableInput } from '../../../workers/types.ts';
import type {
  AdapterReport,
  JobInput,
  TableInput,
  TypeOverrides,
  WorkerResult,
  PipelinePreview,
  PipelineRequest,
  SearchJob,
  SearchOutcome,
  SearchProgressCallback,
  TrainFailure,
  TrainJob,
  TrainOutcome,
  TrainProgressCallback,
  TrainResult,
  TrainWorkerApi,
} from '../../../workers/types.ts';

/** How long Stop waits for the worker to finish the current round before terminating it. */
const STOP_GRACE_MS = 3000;

export type TrainWorkerFactory = () => Worker;

export const defaultTrainWorkerFactory: TrainWorkerFactory = () =>
  new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), {
    type: 'module',
    name: 'train',
  });

type Instance = WorkerInstance<TrainWorkerApi, TrainFailure>;

/**
 * Where the training worker's data comes from (issue 21): the data worker's parsed table, handed over
 * once per dataset and training worker (its buffers transferred, or shared), so the training worker
 * never reads the file again. The page's DataClient is one (the DataStore registers it as the default).
 */
export interface TableSource {
  tableKey(): Promise<string | null>;
  /** Post the table on this port (the training worker reads the other end). */
  sendTable(port: MessagePort): Promise<WorkerResult<{ readonly key: string }>>;
}

let defaultTables: TableSource | null = null;

/** The table source TrainClients use when none is given to them (the app's data worker). */
export function setDefaultTableSource(source: TableSource | null): void {
  defaultTables = source;
}

/** The type choices a table key was made with (see workers/data.worker.ts keyOf). */
function keyOverrides(key: string): string | null {
  try {
    const parsed = JSON.parse(key) as unknown[];
    return JSON.stringify(parsed[1]);
  } catch {
    return null;
  }
}

function overridesText(o: TypeOverrides): string {
  return JSON.stringify(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

export class TrainClient {
  readonly #slot: WorkerSlot<TrainWorkerApi, TrainFailure>;
  #stopTimer: ReturnType<typeof setTimeout> | undefined;

  readonly #tables: TableSource | undefined;

  constructor(factory: TrainWorkerFactory = defaultTrainWorkerFactory, tables?: TableSource) {
    this.#slot = new WorkerSlot(factory, { label: 'training' });
    this.#tables = tables;
  }

  /**
   * The job with its input replaced by the data worker's table when that table is the job's dataset:
   * by key alone when the training worker already holds it, else the table itself (transferred).
   * Without a table (none loaded, or the data worker cannot give it) the job keeps its file.
   */
  async #withTable<J extends { readonly input: JobInput; readonly typeOverrides: TypeOverrides }>(
    inst: Instance,
    job: J,
  ): Promise<J> {
    const tables = this.#tables ?? defaultTables;
    if (!tables || isTableInput(job.input)) return job;
    const key = await tables.tableKey();
    if (key === null || keyOverrides(key) !== overridesText(job.typeOverrides)) return job;
    const held = await Promise.race([inst.remote.heldTable(), inst.died]).catch(() => null);
    const name = job.input.name;
    if (held === key) return { ...job, input: { kind: 'table', key, name } };
    // A channel between the two workers: the data worker posts the table on one end (before the job
    // is sent, so a failure falls back to the file), the training worker reads it from the other.
    const channel = new MessageChannel();
    const res = await tables.sendTable(channel.port1);
    if (!res.ok || res.value.key !== key) {
      channel.port2.close();
      return job;
    }
    const input: TableInput = { kind: 'table', key, name, port: channel.port2 };
    return transfer({ ...job, input }, [channel.port2]);
  }

  /** How the training worker got its data (files it read itself, tables handed over). */
  async dataStats(): Promise<{ fileReads: number; tableInputs: number } | null> {
    const inst = this.#slot.current;
    if (!inst) return null;
    try {
      return await Promise.race([inst.remote.dataStats(), inst.died]);
    } catch {
      return null;
    }
  }

  #get(): Instance {
    return this.#slot.get();
  }

  #call<T>(inst: Instance, run: () => Promise<TrainResult<T>>): Promise<TrainResult<T>> {
    return this.#slot.call(inst, run);
  }

  async probe(): Promise<AdapterReport | null> {
    const inst = this.#get();
    try {
      return await Promise.race([inst.remote.probe(), inst.died]);
    } catch {
      return null;
    }
  }

  async train(job: TrainJob, onProgress?: TrainProgressCallback): Promise<TrainResult<TrainOutcome>> {
    const inst = this.#get();
    const cb = onProgress ? proxy(onProgress) : undefined;
    try {
      const sent = await this.#withTable(inst, job);
      return await this.#call(inst, () => inst.remote.train(sent, cb));
    } finally {
      if (this.#stopTimer !== undefined) clearTimeout(this.#stopTimer);
      this.#stopTimer = undefined;
    }
  }

  /**
   * Run an AutoML search in the worker. Stop ends the search (running trials stop at their next
   * round) and the best model so far is refitted; `cancel()` ends it at once, keeping nothing.
   */
  async search(job: SearchJob, onProgress?: SearchProgressCallback): Promise<TrainResult<SearchOutcome>> {
    const inst = this.#get();
    const cb = onProgress ? proxy(onProgress) : undefined;
    const sent = await this.#withTable(inst, job);
    return this.#call(inst, () => inst.remote.search(sent, cb));
  }

  /** Ask the search in progress to stop gracefully (no forced termination: the refit follows). */
  stopSearch(): void {
    void this.#slot.current?.remote.stop().catch(() => {});
  }

  /** End whatever the worker is doing now, by terminating it (nothing is kept). */
  cancel(message: string): void {
    this.#slot.kill({ code: 'stopped', message });
  }

  /** Stop the training in progress: gracefully, or by terminating the worker after a grace period. */
  stop(): void {
    const inst = this.#slot.current;
    if (!inst || this.#stopTimer !== undefined) return;
    void inst.remote.stop().catch(() => {});
    this.#stopTimer = setTimeout(() => {
      this.#stopTimer = undefined;
      inst.kill({
        code: 'stopped',
        message: 'Training was stopped before it finished a round; no model was kept.',
      });
    }, STOP_GRACE_MS);
  }

  async pipeline(request: PipelineRequest): Promise<TrainResult<PipelinePreview>> {
    const inst = this.#get();
    const sent = await this.#withTable(inst, request);
    return this.#call(inst, () => inst.remote.pipeline(sent));
  }

  dispose(): void {
    if (this.#stopTimer !== undefined) clearTimeout(this.#stopTimer);
    this.#slot.kill({ code: 'worker-died', message: 'closed' });
  }
}
