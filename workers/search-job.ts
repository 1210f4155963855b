/**
 * The page's side of a search run by the training worker (the use case itself is
 * src/core/jobs/automl.ts): leaderboard rows, their throttled delivery to the page, the validation
 * plan in words, and the outcome the Train screen shows.
 */
import type { SearchResult } from '../src/core/search/runner.ts';
import type { Trial } from '../src/core/search/study.ts';
import { budgetNote } from '../src/core/search/clock-note.ts';
import type {
  BackendReport,
  FamilyName,
  SearchJob,
  SearchOutcome,
  SearchProgress,
  TrialRow,
} from './types.ts';

/** Leaderboard updates go to the page at most this often. */
export const SEARCH_PROGRESS_MS = 250;

function paramValue(v: unknown): string | number | boolean {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v);
}

export function trialRow(t: Trial, startedAt: number, now: number): TrialRow {
  const fv = t.foldValues ?? [];
  let std: number | undefined;
  if (fv.length > 1) {
    const mean = fv.reduce((a, b) => a + b, 0) / fv.length;
    std = Math.sqrt(fv.reduce((a, b) => a + (b - mean) ** 2, 0) / (fv.length - 1));
  }
  const params: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(t.params)) params[k] = paramValue(v);
  return {
    number: t.number,
    family: t.family as FamilyName,
    params,
    state: t.state,
    ...(t.value !== undefined && Number.isFinite(t.value) ? { value: t.value } : {}),
    ...(std !== undefined && Number.isFinite(std) ? { std } : {}),
    ...(t.durations.total !== undefined ? { seconds: t.durations.total } : {}),
    ...(t.state === 'FAILED'
      ? { reason: t.error ?? t.reason ?? 'error' }
      : t.reason
        ? { reason: t.reason }
        : {}),
    ...(t.state !== 'RUNNING'
      ? { endedAt: (now - startedAt) / 1000 }
      : { startedAt: (now - startedAt) / 1000 }),
  };
}

/** Batches leaderboard rows and sends them at most every SEARCH_PROGRESS_MS. */
export class ProgressBatcher {
  #rows = new Map<number, TrialRow>();
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    private readonly send: (p: SearchProgress) => void,
    private readonly base: () => Omit<SearchProgress, 'trials'>,
  ) {}
  push(row: TrialRow): void {
    this.#rows.set(row.number, row);
    const wait = SEARCH_PROGRESS_MS - (Date.now() - this.#last);
    if (wait <= 0) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), wait);
  }
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#last = Date.now();
    const trials = [...this.#rows.values()];
    this.#rows.clear();
    this.send({ ...this.base(), ...(trials.length ? { trials } : {}) });
  }
}

export function validationText(m: SearchResult['manifest']): string {
  const s = m.split;
  const how =
    s.strategy === 'kfold'
      ? `${s.folds}-fold cross-validation`
      : `a ${Math.round((s.validFraction ?? 0.2) * 100)}% holdout`;
  // time-ordered (issue 20): validation rows are always later than their training rows
  const order = s.timeOrder ? `, in time order of ${s.timeOrder.column} (validation always later)` : '';
  return `${how}${order}${s.stratified ? ', stratified' : ''}, seed ${s.seed}, ${s.rows} rows`;
}

/** The outcome the page shows, from the search result (metrics over the final model's validation predictions). */
export function searchOutcome(
  job: SearchJob,
  result: SearchResult,
  rows: readonly TrialRow[],
  extra: {
    readonly workers: number;
    readonly backend: BackendReport;
    readonly bundle: Readonly<Record<string, string>>;
    readonly charts: SearchOutcome['charts'];
    /** The final model's metrics (src/core/jobs/automl.ts). */
    readonly metrics: Readonly<Record<string, number>>;
    readonly runId?: string;
    readonly trackingError?: string;
  },
): SearchOutcome {
  const m = result.manifest;
  const metrics = extra.metrics;
  const families = new Map(result.trials.map((t) => [t.number, t.family as FamilyName]));
  return {
    target: result.target,
    task: result.task,
    ...(result.classes ? { classes: result.classes } : {}),
    metric: result.metric,
    direction: m.direction,
    trials: rows,
    best: result.best.number,
    kind: result.kind,
    members: m.final.members.map((x) => ({
      trial: x.trial,
      family: families.get(x.trial) ?? 'gbdt',
      weight: x.weight,
    })),
    metrics,
    validation: validationText(m),
    stoppedBy: m.stoppedBy,
    ...(budgetNote(m) ? { budgetNote: budgetNote(m)! } : {}),
    timings: m.timings,
    ...(job.budgetSeconds !== undefined
      ? { budgetSeconds: job.budgetSeconds, statedMaxSeconds: m.budget.statedMaxSeconds }
      : {}),
    workers: extra.workers,
    backend: extra.backend,
    charts: extra.charts,
    bundle: extra.bundle,
    ...(extra.runId ? { runId: extra.runId } : {}),
    ...(extra.trackingError ? { trackingError: extra.trackingError } : {}),
  };
}
