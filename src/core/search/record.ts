/**
 * Records a search live into a `TrackingStore` (through a `Tracker`'s `RunHandle`s, MLflow style):
 * the search is the parent run, each trial a child run.
 *
 * - Search start (`onPhase('search')`): parent params = search config (metric, direction, sampler,
 *   families, folds, split strategy, workers, batch size, plus the caller's), tags = sampler, split
 *   plan ("5-fold, stratified, seed 42"), split.strategy, execution.
 * - Trial start (`onTrialStart`): a child run "trial 3 gbdt", params = family + hyperparameters +
 *   seed, tags trial / family / source / state=RUNNING.
 * - Rung report (`onTrialReport`): metric `valid_loss` at step = rounds/epochs done.
 * - Trial end (`onTrial`): metrics `<metric>` (the validation value), `<metric>_std` (over folds),
 *   `<metric>_fold` (step = fold), `fit_seconds`; for a COMPLETE trial its evidence
 *   (src/core/tracking/evidence.ts): every metric of the task over its out-of-fold predictions and
 *   the chart artifacts (confusion matrix or predicted-vs-actual, ROC/PR, feature importance); tags state (COMPLETE/PRUNED/FAILED) and, when it
 *   ended early, `end_reason`; run state COMPLETE (MLflow's FINISHED), PRUNED or FAILED with
 *   `{ reason, message }`.
 * - `finish(result)`: the final model's metric, trial counts and timings, best trial and model kind on
 *   the parent (buffered: they are written with the parent's next flush or `end`, e.g. by the CLI's
 *   `completeWithBundle`, together with the bundle artifacts) — or ended here with `end: true`.
 *
 * Every event is one `store.write` batch (atomic), written in event order on one promise chain.
 * Hooks never throw; a failed write is kept and rethrown by `flush()` / `finish()`.
 */
import type { RunHandle } from '../tracking/tracker.ts';
import type { ParamValue, WriteOp } from '../tracking/types.ts';
import { flatParams } from '../tracking/params.ts';
import { computeEvidence, evidenceArtifacts } from '../tracking/evidence.ts';
import type { SearchOptions, SearchResult, SearchStartInfo, TrialEvidenceData } from './runner.ts';
import type { Trial } from './study.ts';

export type SearchHooks = Required<
  Pick<SearchOptions, 'onPhase' | 'onTrialStart' | 'onTrialReport' | 'onTrial'>
>;

export interface SearchRecorderOptions {
  /** The search's (RUNNING) parent run; trials become its children. */
  readonly parent: RunHandle;
  /** Extra parent params (e.g. budget, maxTrials, seed). */
  readonly params?: Readonly<Record<string, ParamValue>>;
}

export interface SearchRecorder {
  /** Spread into `runSearch` options (`{ ...recorder.hooks, ... }`). */
  readonly hooks: SearchHooks;
  /** Child run id of a trial (after its start is written; undefined if it never started). */
  childRunId(trialNumber: number): Promise<string | undefined>;
  /** Waits for every write so far; rethrows the first failed one. */
  flush(): Promise<void>;
  /** Logs the result on the parent (see header); ends the parent COMPLETE when `end` is true. */
  finish(result: SearchResult, options?: { readonly end?: boolean }): Promise<void>;
  /** Ends children still RUNNING as FAILED ('interrupted') and the parent as FAILED. */
  fail(error: unknown): Promise<void>;
}

const std = (xs: readonly number[]) => {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1));
};

export function splitDescription(split: SearchStartInfo['split']): string {
  const how =
    split.strategy === 'kfold' ? `${split.folds}-fold` : `holdout ${split.validFraction ?? ''}`.trim();
  const time = split.timeOrder
    ? `, time-ordered by ${split.timeOrder.column}${split.strategy === 'kfold' ? ' (expanding windows)' : ''}`
    : '';
  return `${how}${split.stratified ? ', stratified' : ''}${time}, seed ${split.seed}, ${split.rows} rows`;
}

export function recordSearch(options: SearchRecorderOptions): SearchRecorder {
  const parent = options.parent;
  const tracker = parent.tracker;
  const children = new Map<number, Promise<RunHandle | undefined>>();
  let metric = '';
  let chain: Promise<unknown> = Promise.resolve();
  let firstError: unknown;
  const enqueue = <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    const p = chain.then(fn).catch((e: unknown) => {
      firstError ??= e;
      return undefined;
    });
    chain = p;
    return p;
  };

  const trialParams = (t: Trial) => flatParams({ family: t.family, ...t.params, seed: t.seed });
  const trialName = (t: Trial) => `trial ${t.number} ${t.family}`;
  const endMetrics = (t: Trial, child: RunHandle, data?: TrialEvidenceData) => {
    if (t.value !== undefined && Number.isFinite(t.value)) child.logMetric(metric, t.value);
    if (data) {
      // The task's full metric set, confusion matrix / predicted-vs-actual, curves and importance.
      try {
        const ev = computeEvidence(data);
        for (const [k, v] of Object.entries(ev.metrics)) if (k !== metric) child.logMetric(k, v);
        for (const a of evidenceArtifacts(ev)) child.logArtifact(a);
      } catch {
        // evidence is extra: a trial is recorded without it rather than not at all
      }
    }
    const folds = t.foldValues ?? [];
    if (folds.length) child.logMetric(`${metric}_std`, std(folds));
    folds.forEach((v, f) => child.logMetric(`${metric}_fold`, v, f));
    if (t.durations.total !== undefined) child.logMetric('fit_seconds', t.durations.total);
    child.setTag('state', t.state);
    if (t.reason) child.setTag('end_reason', t.reason);
  };
  const endState = (t: Trial) =>
    t.state === 'RUNNING' ? ('FAILED' as const) : (t.state as 'COMPLETE' | 'PRUNED' | 'FAILED');
  const endError = (t: Trial) =>
    t.state === 'FAILED' ? { reason: t.reason ?? 'error', message: t.error ?? 'failed' } : null;

  const hooks: SearchHooks = {
    onPhase(phase, info) {
      if (phase !== 'search' || !info) return;
      metric = info.metric;
      enqueue(async () => {
        parent.logParams({
          metric: info.metric,
          direction: info.direction,
          sampler: info.sampler,
          families: info.families.join(','),
          split: info.split.strategy,
          folds: info.split.folds,
          workers: info.execution.workers,
          ...(info.execution.batchSize !== undefined ? { batch_size: info.execution.batchSize } : {}),
          ...options.params,
        });
        parent.setTag('sampler', info.sampler);
        parent.setTag('split', splitDescription(info.split));
        parent.setTag('split.strategy', info.split.strategy);
        parent.setTag('execution', info.execution.mode);
        parent.setTag('metric', info.metric);
        await parent.flush();
      });
    },
    onTrialStart(t) {
      const started = enqueue(() =>
        parent.startChild({
          name: trialName(t),
          params: trialParams(t),
          tags: { trial: String(t.number), family: t.family, source: t.source, state: 'RUNNING' },
        }),
      );
      children.set(t.number, started);
    },
    onTrialReport(t, step, value) {
      const child = children.get(t.number);
      if (!child) return;
      enqueue(async () => {
        const h = await child;
        if (!h || h.state !== 'RUNNING') return;
        h.logMetric('valid_loss', value, step);
        await h.flush();
      });
    },
    onTrial(t, _study, evidence) {
      const child = children.get(t.number);
      if (child) {
        enqueue(async () => {
          const h = await child;
          if (!h || h.state !== 'RUNNING') return;
          endMetrics(t, h, evidence);
          await h.end(endState(t), endError(t));
        });
        return;
      }
      // Never dispatched (stopped before it ran): start and end in one batch.
      enqueue(async () => {
        const id = tracker.newId();
        const at = tracker.now();
        const ops: WriteOp[] = [
          {
            op: 'startRun',
            id,
            experimentId: parent.experimentId,
            parentRunId: parent.id,
            name: trialName(t),
            startTime: at,
            params: trialParams(t),
            tags: {
              trial: String(t.number),
              family: t.family,
              source: t.source,
              state: t.state,
              ...(t.reason ? { end_reason: t.reason } : {}),
            },
          },
          { op: 'endRun', runId: id, state: endState(t), endTime: at, error: endError(t) },
        ];
        await tracker.store.write(ops);
        children.set(t.number, Promise.resolve(undefined));
      });
    },
  };

  const flush = async () => {
    await chain;
    if (firstError !== undefined) {
      const e = firstError;
      firstError = undefined;
      throw e;
    }
  };

  return {
    hooks,
    async childRunId(n) {
      return (await children.get(n))?.id;
    },
    flush,
    async finish(result, opts = {}) {
      await flush();
      const m = result.manifest;
      const score = m.ensemble.used ? m.ensemble.score : result.best.value;
      const counts = { COMPLETE: 0, PRUNED: 0, FAILED: 0, RUNNING: 0 };
      for (const t of result.trials) counts[t.state]++;
      if (score !== undefined && Number.isFinite(score)) parent.logMetric(result.metric, score);
      parent.logMetrics({
        trials: result.trials.length,
        trials_complete: counts.COMPLETE,
        trials_pruned: counts.PRUNED,
        trials_failed: counts.FAILED,
        search_seconds: m.timings.searchSeconds,
        refit_seconds: m.timings.refitSeconds,
        ...(m.timings.setupSeconds !== undefined ? { setup_seconds: m.timings.setupSeconds } : {}),
      });
      parent.setTag('best_trial', String(result.best.number));
      parent.setTag('best_family', result.best.family);
      parent.setTag('final_model', result.kind);
      parent.setTag('stopped_by', m.stoppedBy);
      if (opts.end) await parent.end('COMPLETE');
    },
    async fail(error) {
      await chain;
      for (const c of children.values()) {
        const h = await c;
        if (h && h.state === 'RUNNING')
          await h.end('FAILED', { reason: 'interrupted', message: 'search ended' });
      }
      if (parent.state === 'RUNNING') await parent.fail(error);
    },
  };
}
