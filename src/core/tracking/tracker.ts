/**
 * Live objects over any `TrackingStore`: a `Tracker` creates experiments and runs; a `RunHandle` is
 * a live run that buffers params/metrics/tags/artifacts in memory and writes them in batches.
 * `end()` writes whatever is buffered together with the final state in ONE batch, so a run is
 * either still RUNNING with its earlier flushes, or complete with everything (never half-written).
 * The record appears in the store as soon as `startRun` resolves.
 */
import { StoreError } from './errors.ts';
import { createIdGenerator, type IdGenerator } from './ids.ts';
import type { TrackingStore } from './store.ts';
import type {
  ArtifactKind,
  ExperimentRecord,
  MetricPoint,
  ParamValue,
  PutArtifactOp,
  RunError,
  RunRecord,
  RunState,
  TerminalRunState,
  WriteOp,
} from './types.ts';

export interface TrackerOptions {
  /** Epoch-ms clock (default Date.now). */
  readonly now?: () => number;
  /** Id generator (default: time-ordered ids from the same clock and crypto randomness). */
  readonly newId?: IdGenerator;
  /** Flush automatically once this many metric points are buffered (default 200). */
  readonly autoFlushPoints?: number;
}

export interface StartRunInput {
  readonly experimentId: string;
  readonly parent?: RunHandle | string | null;
  readonly name?: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly datasetFingerprint?: string | null;
}

export interface ArtifactInput {
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly bytes: Uint8Array;
  readonly contentType?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

export class Tracker {
  readonly now: () => number;
  readonly newId: IdGenerator;
  readonly autoFlushPoints: number;

  constructor(
    readonly store: TrackingStore,
    options: TrackerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? createIdGenerator({ now: this.now });
    this.autoFlushPoints = options.autoFlushPoints ?? 200;
  }

  async createExperiment(input: {
    name: string;
    description?: string;
    datasetFingerprint?: string | null;
    tags?: Readonly<Record<string, string>>;
  }): Promise<ExperimentRecord> {
    const id = this.newId();
    await this.store.write([{ op: 'createExperiment', id, createdAt: this.now(), ...input }]);
    const rec = await this.store.getExperiment(id);
    if (!rec) throw new StoreError('STORAGE', `experiment ${id} was written but cannot be read back`);
    return rec;
  }

  /** Writes the RUNNING record immediately and returns its live handle. */
  async startRun(input: StartRunInput): Promise<RunHandle> {
    const id = this.newId();
    const parentRunId = input.parent instanceof RunHandle ? input.parent.id : (input.parent ?? null);
    await this.store.write([
      {
        op: 'startRun',
        id,
        experimentId: input.experimentId,
        parentRunId,
        name: input.name,
        startTime: this.now(),
        params: input.params,
        tags: input.tags,
        datasetFingerprint: input.datasetFingerprint,
      },
    ]);
    return new RunHandle(this, id, input.experimentId, parentRunId);
  }
}

export class RunHandle {
  private params: Record<string, ParamValue> = {};
  private tags: Record<string, string> = {};
  private points: MetricPoint[] = [];
  private artifacts: PutArtifactOp[] = [];
  private readonly nextStep = new Map<string, number>();
  private localState: RunState = 'RUNNING';
  private chain: Promise<void> = Promise.resolve();
  private backgroundError: unknown = undefined;

  constructor(
    readonly tracker: Tracker,
    readonly id: string,
    readonly experimentId: string,
    readonly parentRunId: string | null,
  ) {}

  /** RUNNING until `end()` was called (the local view; the store is the source of truth). */
  get state(): RunState {
    return this.localState;
  }

  /** Number of buffered items not yet written. */
  get pending(): number {
    return (
      Object.keys(this.params).length +
      Object.keys(this.tags).length +
      this.points.length +
      this.artifacts.length
    );
  }

  private assertRunning(what: string): void {
    if (this.localState !== 'RUNNING') {
      throw new StoreError('RUN_FINISHED', `${what}: run ${this.id} has already ended (${this.localState})`);
    }
  }

  logParam(key: string, value: ParamValue): this {
    return this.logParams({ [key]: value });
  }

  logParams(params: Readonly<Record<string, ParamValue>>): this {
    this.assertRunning('logParams');
    Object.assign(this.params, params);
    return this;
  }

  /** Step defaults to 0, 1, 2, … per key. */
  logMetric(key: string, value: number, step?: number): this {
    this.assertRunning('logMetric');
    const s = step ?? this.nextStep.get(key) ?? 0;
    this.nextStep.set(key, s + 1);
    this.points.push({ key, value, step: s, timestamp: this.tracker.now() });
    if (this.points.length >= this.tracker.autoFlushPoints) {
      this.flush().catch((e: unknown) => (this.backgroundError = e));
    }
    return this;
  }

  logMetrics(metrics: Readonly<Record<string, number>>, step?: number): this {
    for (const [k, v] of Object.entries(metrics)) this.logMetric(k, v, step);
    return this;
  }

  setTag(key: string, value: string): this {
    this.tags[key] = value;
    return this;
  }

  /** Buffers an artifact (written with the next flush or `end`); returns its id. */
  logArtifact(a: ArtifactInput): string {
    this.assertRunning('logArtifact');
    const id = this.tracker.newId();
    this.artifacts.push({ op: 'putArtifact', id, runId: this.id, createdAt: this.tracker.now(), ...a });
    return id;
  }

  /** Takes the buffered items as ops; they are put back if the write fails (nothing is lost). */
  private drain(): { ops: WriteOp[]; restore: () => void } {
    const params = this.params;
    const tags = this.tags;
    const points = this.points;
    const artifacts = this.artifacts;
    this.params = {};
    this.tags = {};
    this.points = [];
    this.artifacts = [];
    const ops: WriteOp[] = [];
    if (Object.keys(params).length) ops.push({ op: 'logParams', runId: this.id, params });
    if (points.length) ops.push({ op: 'logMetrics', runId: this.id, metrics: points });
    if (Object.keys(tags).length) ops.push({ op: 'setTags', runId: this.id, tags });
    ops.push(...artifacts);
    return {
      ops,
      restore: () => {
        this.params = { ...params, ...this.params };
        this.tags = { ...tags, ...this.tags };
        this.points = [...points, ...this.points];
        this.artifacts = [...artifacts, ...this.artifacts];
      },
    };
  }

  private enqueue(extra: WriteOp[] = []): Promise<void> {
    const run = async (): Promise<void> => {
      const { ops, restore } = this.drain();
      ops.push(...extra);
      if (ops.length === 0) return;
      try {
        await this.tracker.store.write(ops);
      } catch (e) {
        restore();
        throw e;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Writes everything buffered so far (one batch). Rethrows an earlier automatic flush's failure. */
  async flush(): Promise<void> {
    if (this.backgroundError !== undefined) {
      const e = this.backgroundError;
      this.backgroundError = undefined;
      await this.enqueue().catch(() => undefined);
      throw e;
    }
    await this.enqueue();
  }

  /**
   * Ends the run: buffered items and the final state in one atomic batch. Returns the final record.
   * If the write fails the handle stays RUNNING (and keeps its buffer) so `end` can be retried.
   */
  async end(state: TerminalRunState = 'COMPLETE', error?: RunError | null): Promise<RunRecord> {
    this.assertRunning('end');
    this.backgroundError = undefined;
    this.localState = state;
    try {
      await this.enqueue([
        { op: 'endRun', runId: this.id, state, endTime: this.tracker.now(), error: error ?? null },
      ]);
    } catch (e) {
      this.localState = 'RUNNING';
      throw e;
    }
    const rec = await this.tracker.store.getRun(this.id);
    if (!rec) throw new StoreError('STORAGE', `run ${this.id} was written but cannot be read back`);
    return rec;
  }

  /** Ends the run as FAILED with the error's message. */
  fail(error: unknown, reason = 'exception'): Promise<RunRecord> {
    const message = error instanceof Error ? error.message : String(error);
    return this.end('FAILED', { reason, message });
  }

  startChild(input: Omit<StartRunInput, 'experimentId' | 'parent'> = {}): Promise<RunHandle> {
    return this.tracker.startRun({ ...input, experimentId: this.experimentId, parent: this.id });
  }
}
