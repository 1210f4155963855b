/**
 * The `automl` use case, once for the studio's training worker and the CLI: search model families and
 * hyperparameters (`runSearch`) on the runtime's trial executor, build the bundle of the final model
 * (or ensemble) and its chart data, and, when asked, record the search live — the parent run with
 * one child run per trial (src/core/search/record.ts), then the final metrics, the bundle zip,
 * manifest, model card and chart artifacts on the parent. The runtime passes in what differs (see
 * ./types.ts): its executor (browser worker pool, Node worker threads, or none), its backend choice,
 * progress hooks and where to record.
 *
 * A store that cannot record does not cost the user the model: `trackingError` says why.
 */
import { createSearchBundleFiles } from '../export/bundle.ts';
import { evaluate } from '../metrics/index.ts';
import { recordSearch, type SearchHooks, type SearchRecorder } from '../search/record.ts';
import { runSearch, type SearchOptions, type SearchResult } from '../search/runner.ts';
import { bundleDataset, bundleEnvironment, errorText, startJobRun } from './common.ts';
import type { RunHandle } from '../tracking/tracker.ts';
import { decisionSpec, type Decision, type DecisionRequest } from '../train/decision.ts';
import type { ParamValue } from '../tracking/types.ts';
import { bundleArtifacts, chartArtifacts } from './artifacts.ts';
import { columnReference } from '../monitor/reference.ts';
import { charts, decisionCharts, type TrainCharts } from './charts.ts';
import { jobTimeColumn, recipeTag, withJobFeatures } from './features.ts';
import type { FeaturesSpec } from '../features/spec.ts';
import { bundleZipName, type BackendRecord, type JobData, type JobRecord, type JobRuntime } from './types.ts';

export interface AutomlJobOptions
  extends
    Pick<
      SearchOptions,
      | 'target'
      | 'task'
      | 'families'
      | 'metric'
      | 'seed'
      | 'timeBudgetSeconds'
      | 'startedAt'
      | 'maxTrials'
      | 'sampler'
      | 'exclude'
      | 'executor'
      | 'tfBackend'
      | 'signal'
    >,
    JobRuntime {
  readonly data: JobData;
  readonly seed: number;
  /** The backend the models that train on TensorFlow.js use (trees: plain TypeScript). */
  readonly backend: BackendRecord;
  /** Binary: the positive class and what the threshold is chosen for. */
  readonly decision?: DecisionRequest;
  /** Progress hooks of the runtime (called after the recorder's). */
  readonly hooks?: Partial<SearchHooks>;
  /** Called once the parent run is recorded, before the search starts (e.g. to link the live screen to it). */
  readonly onRecording?: (run: { readonly runId: string; readonly experimentId: string }) => void;
  /** Extra params on the parent run (the recorder adds the search's own). */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /**
   * Train on recipe features: `data` is the recipe's target table, the related tables come here; the
   * bundle records the recipe and the tables' fingerprints (./features.ts).
   */
  readonly features?: FeaturesSpec;
  /**
   * Time-ordered validation by this column (default: the recipe's cutoff column, when it has one):
   * training rows always earlier than validation rows; k folds are expanding windows.
   */
  readonly timeColumn?: string;
}

export interface AutomlJobResult extends JobRecord {
  readonly result: SearchResult;
  readonly files: Record<string, string>;
  readonly charts: TrainCharts;
  /** Every metric of the task over the final model's out-of-fold (or holdout) predictions. */
  readonly metrics: Readonly<Record<string, number>>;
  /** What computing the recipe's features found worth telling. */
  readonly featureWarnings?: readonly string[];
}

/** The search's hooks: the recorder's first (tracking), then the runtime's (progress). */
function chain(recorder: SearchRecorder | undefined, own: Partial<SearchHooks> | undefined): SearchHooks {
  const r = recorder?.hooks;
  return {
    onPhase: (p, info) => {
      r?.onPhase(p, info);
      own?.onPhase?.(p, info);
    },
    onTrialStart: (t, study) => {
      r?.onTrialStart(t, study);
      own?.onTrialStart?.(t, study);
    },
    onTrialReport: (t, step, value) => {
      r?.onTrialReport(t, step, value);
      own?.onTrialReport?.(t, step, value);
    },
    onTrial: (t, study, evidence) => {
      r?.onTrial(t, study, evidence);
      own?.onTrial?.(t, study, evidence);
    },
  };
}

export async function runAutomlJob(opts: AutomlJobOptions): Promise<AutomlJobResult> {
  // A time budget covers the whole job (from the caller's start when it passes one): the features,
  // the bundle's data-only parts below and the tracking records count against it.
  const startedAt = opts.startedAt ?? performance.now();
  const { tracking } = opts;
  // Features first: a recipe the tables cannot satisfy fails before anything is recorded.
  const featured = withJobFeatures(opts.data, opts.features, opts.target);
  const data = featured.data;
  const timeColumn = jobTimeColumn(opts.features, opts.timeColumn);
  let parent: RunHandle | undefined;
  let recorder: SearchRecorder | undefined;
  let trackingError: string | undefined;
  const lost = (err: unknown) => {
    trackingError ??= `the search could not be recorded: ${errorText(err)}`;
  };
  if (tracking) {
    try {
      parent = await startJobRun(tracking, data, opts.target, 'automl search', {
        task: opts.task,
        target: opts.target,
        family: 'automl',
        backend: opts.backend.name,
        ...recipeTag(opts.features),
      });
      recorder = recordSearch({
        parent,
        params: {
          seed: opts.seed,
          budget: opts.timeBudgetSeconds ?? null,
          maxTrials: opts.maxTrials ?? null,
          backend: opts.backend.name,
          ...opts.params,
        },
      });
    } catch (err) {
      parent = undefined;
      lost(err);
    }
    if (parent) opts.onRecording?.({ runId: parent.id, experimentId: parent.experimentId });
  }

  // The bundle's parts that depend on the data alone (the dataset record with its profile warnings, the monitoring
  // reference of every column): computed before the search, so a time budget accounts for them
  // instead of the job running past it on big data (seconds on a million rows).
  const dataset = bundleDataset(data, opts.target, opts.task);
  const excluded = new Set(opts.exclude ?? []);
  const columnRefs = new Map(
    data.table.columns.filter((c) => !excluded.has(c.name)).map((c) => [c.name, columnReference(c)]),
  );

  let result: SearchResult;
  try {
    result = await runSearch({
      table: data.table,
      target: opts.target,
      task: opts.task,
      seed: opts.seed,
      ...(opts.families ? { families: opts.families } : {}),
      ...(opts.metric ? { metric: opts.metric } : {}),
      ...(opts.timeBudgetSeconds !== undefined
        ? { timeBudgetSeconds: opts.timeBudgetSeconds, startedAt }
        : {}),
      ...(opts.maxTrials !== undefined ? { maxTrials: opts.maxTrials } : {}),
      ...(opts.sampler ? { sampler: opts.sampler } : {}),
      ...(opts.exclude ? { exclude: opts.exclude } : {}),
      ...(opts.executor ? { executor: opts.executor } : {}),
      ...(opts.tfBackend ? { tfBackend: opts.tfBackend } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(timeColumn !== undefined ? { timeOrder: { column: timeColumn } } : {}),
      ...chain(recorder, opts.hooks),
    });
  } catch (err) {
    await recorder?.fail(err).catch(() => {});
    throw err;
  }

  const files = createSearchBundleFiles(result, dataset, bundleEnvironment(opts, opts.backend), {
    ...(opts.exclude ? { exclude: opts.exclude } : {}),
    table: data.table,
    columnRefs,
    scorer: opts.scorer,
    ...(opts.decision ? { decision: opts.decision } : {}),
    ...(featured.record ? { features: featured.record } : {}),
  });
  const m = result.manifest;
  const oof = result.validation;
  // The bundle's decision (binary): its charts, and the label metrics below, are at it.
  const decided = JSON.parse(files['manifest.json']).decision as Decision | undefined;
  const shown: TrainCharts = oof
    ? {
        ...charts(result.task, result.classes, oof.y, oof.pred, [], result.metric),
        ...decisionCharts(result.classes, oof, decided),
      }
    : { curve: [], curveMetric: result.metric };
  // Every metric over the out-of-fold predictions; binary label metrics at the bundle's decision.
  const metrics: Record<string, number> = oof
    ? evaluate(
        result.task,
        oof.y,
        oof.pred,
        result.classes?.length ?? 1,
        undefined,
        decided && result.classes ? decisionSpec(result.classes, decided) : undefined,
      )
    : { [result.metric]: m.ensemble.used ? m.ensemble.score : (result.best.value ?? NaN) };

  if (recorder && parent) {
    try {
      await recorder.finish(result);
      parent.logMetrics(Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))));
      for (const a of [
        ...bundleArtifacts(files, bundleZipName(opts.target, 'automl')),
        ...chartArtifacts(shown, metrics, result.classes),
      ])
        parent.logArtifact(a);
      await parent.end('COMPLETE');
    } catch (err) {
      if (parent.state === 'RUNNING') await parent.fail(err).catch(() => {});
      parent = undefined;
      lost(err);
    }
  }
  return {
    result,
    files,
    charts: shown,
    metrics,
    ...(featured.record ? { featureWarnings: featured.warnings } : {}),
    ...(parent ? { runId: parent.id, experimentId: parent.experimentId } : {}),
    ...(trackingError ? { trackingError } : {}),
  };
}
