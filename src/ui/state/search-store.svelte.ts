/**
 * State of an AutoML search on the Train screen: the choices (families, budget, trial cap), the live
 * leaderboard and best-so-far curve fed by the worker's throttled progress messages, and the result.
 * The search itself runs in the training worker, its trials in a pool of trial workers.
 */
import type { DecisionRequest } from '../../core/train/decision.ts';
import { METRICS } from '../../core/metrics/evaluate.ts';
import type {
  BackendReport,
  FamilyName,
  SearchOutcome,
  SearchPhase,
  TrainFailure,
  TrialRow,
} from '../../../workers/types.ts';
import type { DataStore } from './data-store.svelte.ts';
import type { TrainClient } from './train-client.ts';
import { recipeRunFor } from './features-store.svelte.ts';

export const BUDGETS: readonly { readonly seconds: number; readonly label: string }[] = [
  { seconds: 30, label: '30 s' },
  { seconds: 60, label: '1 min' },
  { seconds: 120, label: '2 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 900, label: '15 min' },
  { seconds: 1800, label: '30 min' },
  { seconds: 3600, label: '1 h' },
];

export interface SearchRunState {
  readonly phase: SearchPhase;
  /** performance.now() at the start, for the elapsed clock. */
  readonly startedAt: number;
  readonly budgetSeconds?: number;
  readonly maxTrials?: number;
  readonly elapsed: number;
  readonly workers?: number;
  readonly validation?: string;
  readonly backend?: BackendReport;
  readonly runId?: string;
}

export interface BestPoint {
  /** Seconds since the start. */
  readonly t: number;
  readonly value: number;
  readonly trial: number;
}

/** What the choices the search needs from the Train screen's common state. */
export interface SearchContext {
  readonly data: DataStore;
  readonly client: TrainClient;
  target(): string | undefined;
  task(): 'binary' | 'multiclass' | 'regression' | undefined;
  metric(): string | null;
  seed(): number;
  backend(): 'auto' | 'webgpu' | 'wasm' | 'cpu';
  excluded(): readonly string[];
  /** Binary: positive class and what the threshold is chosen for (issue 13). */
  decision?(): DecisionRequest | undefined;
}

export class SearchState {
  readonly #ctx: SearchContext;
  #seq = 0;

  families = $state.raw<readonly FamilyName[]>(['gbdt', 'random_forest', 'linear', 'mlp']);
  budgetSeconds = $state(60);
  /** Optional cap on the number of trials (with a seed: a replayable search). */
  maxTrials = $state<number | null>(null);

  run = $state.raw<SearchRunState | null>(null);
  stopping = $state(false);
  /** Every trial so far, by trial number. */
  rows = $state.raw<readonly TrialRow[]>([]);
  best = $state.raw<readonly BestPoint[]>([]);
  outcome = $state.raw<SearchOutcome | null>(null);
  error = $state.raw<TrainFailure | null>(null);
  /** The metric and direction of the search on screen. */
  metric = $state<string | null>(null);

  readonly direction = $derived.by(() =>
    this.metric ? (METRICS[this.metric]?.direction ?? 'maximize') : 'maximize',
  );
  /** Trials ranked: valued ones best first (ties by trial number), then running, then the rest. */
  readonly ranked = $derived.by(() => {
    const sign = this.direction === 'maximize' ? -1 : 1;
    const valued = (r: TrialRow) => r.value !== undefined && r.state === 'COMPLETE';
    return [...this.rows].sort((a, b) => {
      const va = valued(a);
      const vb = valued(b);
      if (va && vb) return sign * (a.value! - b.value!) || a.number - b.number;
      if (va !== vb) return va ? -1 : 1;
      if ((a.state === 'RUNNING') !== (b.state === 'RUNNING')) return a.state === 'RUNNING' ? -1 : 1;
      return a.number - b.number;
    });
  });
  readonly counts = $derived.by(() => {
    const c = { RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAILED: 0 };
    for (const r of this.rows) c[r.state]++;
    return c;
  });

  constructor(ctx: SearchContext) {
    this.#ctx = ctx;
  }

  readonly canStart = $derived.by(
    () =>
      this.run === null &&
      this.families.length > 0 &&
      this.#ctx.data.file !== null &&
      this.#ctx.target() !== undefined &&
      this.#ctx.task() !== undefined,
  );

  toggleFamily(f: FamilyName, on: boolean): void {
    const rest = this.families.filter((x) => x !== f);
    this.families = on ? [...rest, f] : rest;
  }

  #merge(rows: readonly TrialRow[]): void {
    if (!rows.length) return;
    const changed: Record<number, true> = {};
    for (const r of rows) changed[r.number] = true;
    const merged = [...this.rows.filter((r) => !changed[r.number]), ...rows];
    this.rows = merged.sort((a, b) => a.number - b.number);
    // best-so-far: one point per improvement, in the order trials ended
    const sign = this.direction === 'maximize' ? 1 : -1;
    const ended = rows
      .filter((r) => r.state === 'COMPLETE' && r.value !== undefined && r.endedAt !== undefined)
      .sort((a, b) => a.endedAt! - b.endedAt!);
    let best = this.best.length ? this.best[this.best.length - 1] : undefined;
    const add: BestPoint[] = [];
    for (const r of ended) {
      if (!best || sign * (r.value! - best.value) > 0) {
        best = { t: r.endedAt!, value: r.value!, trial: r.number };
        add.push(best);
      }
    }
    if (add.length) this.best = [...this.best, ...add];
  }

  async start(): Promise<void> {
    const ctx = this.#ctx;
    const ds = ctx.data.dataset;
    const file = ctx.data.file;
    const target = ctx.target();
    const task = ctx.task();
    if (!ds || !file || target === undefined || !task || this.run || !this.families.length) return;
    const seq = ++this.#seq;
    const metric = ctx.metric();
    this.metric = metric;
    this.rows = [];
    this.best = [];
    this.outcome = null;
    this.error = null;
    this.stopping = false;
    const budgetSeconds = this.budgetSeconds;
    const maxTrials = this.maxTrials ?? undefined;
    this.run = {
      phase: 'read',
      startedAt: performance.now(),
      budgetSeconds,
      ...(maxTrials !== undefined ? { maxTrials } : {}),
      elapsed: 0,
    };
    // On a project's feature table: train on the target table with the recipe (the bundle carries it).
    const recipe = await recipeRunFor(ctx.data, ds.sourceName);
    if (seq !== this.#seq) return;
    if (recipe && !recipe.ok) {
      this.run = null;
      this.error = { code: 'training', message: recipe.error.message };
      return;
    }
    let settled = false;
    const res = await ctx.client.search(
      {
        ...(recipe ? { features: recipe.value } : {}),
        input: file,
        typeOverrides: ds.typeOverrides,
        target,
        task,
        ...(metric ? { metric } : {}),
        families: [...this.families],
        budgetSeconds,
        ...(maxTrials !== undefined ? { maxTrials } : {}),
        seed: ctx.seed(),
        backend: ctx.backend(),
        exclude: [...ctx.excluded()],
        ...(ctx.decision?.() ? { decision: $state.snapshot(ctx.decision()!) } : {}),
      },
      (p) => {
        if (settled || seq !== this.#seq || !this.run) return;
        this.run = {
          ...this.run,
          phase: p.phase,
          elapsed: p.elapsed,
          ...(p.workers !== undefined ? { workers: p.workers } : {}),
          ...(p.validation ? { validation: p.validation } : {}),
          ...(p.backend ? { backend: p.backend } : {}),
          ...(p.runId ? { runId: p.runId } : {}),
        };
        if (p.trials) this.#merge(p.trials);
      },
    );
    settled = true;
    if (seq !== this.#seq) return;
    this.run = null;
    this.stopping = false;
    if (res.ok) {
      this.outcome = res.value;
      this.rows = [...res.value.trials].sort((a, b) => a.number - b.number);
    } else this.error = res.error;
  }

  /** Stop: trials end at their next round, the best so far is refitted and kept. */
  stop(): void {
    if (!this.run) return;
    this.stopping = true;
    this.#ctx.client.stopSearch();
  }

  /** Cancel: end the search now, keep nothing (the worker is terminated). */
  cancel(): void {
    if (!this.run) return;
    this.#ctx.client.cancel('The search was cancelled; no model was kept (finished trials stay recorded).');
  }

  dismissError(): void {
    this.error = null;
  }
}
