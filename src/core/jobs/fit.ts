/**
 * The `fit` use case, once for the studio's training worker and the CLI: train one model family on
 * the data (`trainModel`), build its bundle, chart data and, when asked, record the run — dataset,
 * experiment, params, validation metrics, the learning curve, the bundle zip, manifest, model card and
 * chart artifacts. The runtime passes in what differs (see ./types.ts); a run made in the CLI and one
 * made in the browser record the same things.
 *
 * The run starts before training, so a failed training is recorded as a FAILED run (MLflow's way),
 * and a store that cannot record does not cost the user the model: `trackingError` says why.
 */
import { createBundleFiles } from '../export/bundle.ts';
import { flatParams } from '../tracking/params.ts';
import { bundleDataset, bundleEnvironment, errorText, startJobRun } from './common.ts';
import type { RunHandle } from '../tracking/tracker.ts';
import { trainModel, type TrainedModel, type TrainRequest } from '../train/train.ts';
import type { RoundInfo } from '../models/types.ts';
import { DEFAULT_METRIC } from '../metrics/index.ts';
import { bundleArtifacts, chartArtifacts } from './artifacts.ts';
import { charts, decisionCharts, importanceChart, type RoundPoint, type TrainCharts } from './charts.ts';
import { jobTimeColumn, recipeTag, withJobFeatures } from './features.ts';
import type { FeaturesSpec } from '../features/spec.ts';
import { bundleZipName, type BackendRecord, type JobData, type JobRecord, type JobRuntime } from './types.ts';

export interface FitJobOptions extends Omit<TrainRequest, 'table' | 'onRound'>, JobRuntime {
  readonly data: JobData;
  /** The backend the runtime chose for this family (trees: plain TypeScript). */
  readonly backend: BackendRecord;
  /** Called with each round's losses; return false to stop training early (the model is kept). */
  readonly onRound?: (point: RoundPoint, metric: string) => boolean | void;
  /**
   * Train on recipe features: `data` is the recipe's target table, the related tables come here; the
   * bundle records the recipe and the tables' fingerprints (./features.ts).
   */
  readonly features?: FeaturesSpec;
}

export interface FitJobResult extends JobRecord {
  readonly trained: TrainedModel;
  /** The bundle's files as text (manifest.json, pipeline.json, model.json, …). */
  readonly files: Record<string, string>;
  readonly charts: TrainCharts;
  /** The full learning curve (the charts carry a downsampled copy). */
  readonly curve: readonly RoundPoint[];
  readonly curveMetric: string;
  /** What computing the recipe's features found worth telling. */
  readonly featureWarnings?: readonly string[];
}

export async function runFitJob(opts: FitJobOptions): Promise<FitJobResult> {
  const { tracking } = opts;
  // Features first: a recipe the tables cannot satisfy fails before anything is recorded.
  const featured = withJobFeatures(opts.data, opts.features, opts.target);
  const data = featured.data;
  // Time-ordered holdout: the column asked for, else the recipe's cutoff column.
  const timeColumn = jobTimeColumn(opts.features, opts.timeOrder?.column);
  let run: RunHandle | undefined;
  let trackingError: string | undefined;
  const lost = (err: unknown) => {
    run = undefined;
    trackingError ??= `the run could not be recorded: ${errorText(err)}`;
  };
  if (tracking) {
    try {
      run = await startJobRun(tracking, data, opts.target, opts.family, {
        task: opts.task,
        target: opts.target,
        family: opts.family,
        metric: opts.metric ?? DEFAULT_METRIC[opts.task],
        backend: opts.backend.name,
        ...recipeTag(opts.features),
      });
    } catch (err) {
      lost(err);
    }
  }

  const curve: RoundPoint[] = [];
  let curveMetric = 'loss';
  let trained: TrainedModel;
  try {
    trained = await trainModel({
      table: data.table,
      target: opts.target,
      task: opts.task,
      family: opts.family,
      seed: opts.seed,
      ...(opts.params ? { params: opts.params } : {}),
      ...(opts.validFraction !== undefined ? { validFraction: opts.validFraction } : {}),
      ...(timeColumn !== undefined ? { timeOrder: { column: timeColumn } } : {}),
      ...(opts.exclude ? { exclude: opts.exclude } : {}),
      ...(opts.metric ? { metric: opts.metric } : {}),
      ...(opts.pipelineSpec ? { pipelineSpec: opts.pipelineSpec } : {}),
      ...(opts.refit !== undefined ? { refit: opts.refit } : {}),
      ...(opts.decision ? { decision: opts.decision } : {}),
      onRound: (info: RoundInfo) => {
        curveMetric = info.metric;
        const point: RoundPoint =
          info.valid === undefined
            ? { round: info.round, train: info.train }
            : { round: info.round, train: info.train, valid: info.valid };
        curve.push(point);
        return opts.onRound?.(point, info.metric) ?? true;
      },
    });
  } catch (err) {
    await run?.fail(err).catch(() => {});
    throw err;
  }

  const files = createBundleFiles(
    trained,
    bundleDataset(data, opts.target, opts.task),
    bundleEnvironment(opts, opts.backend),
    {
      ...(opts.exclude ? { exclude: opts.exclude } : {}),
      ...(opts.params ? { params: opts.params } : {}),
      table: data.table,
      scorer: opts.scorer,
      ...(featured.record ? { features: featured.record } : {}),
    },
  );
  const importance = importanceChart(
    trained.model,
    trained.pipeline.layout.map((f) => f.name),
  );
  const shown: TrainCharts = {
    ...charts(
      trained.task,
      trained.classes,
      trained.validation.y,
      trained.validation.pred,
      curve,
      curveMetric,
    ),
    ...(importance ? { importance } : {}),
    ...decisionCharts(trained.classes, trained.validation, trained.decision),
  };

  if (run) {
    try {
      run.logParams(flatParams({ family: trained.family, ...trained.config, seed: trained.seed }));
      run.logMetrics(
        Object.fromEntries(Object.entries(trained.metrics.validation).filter(([, v]) => Number.isFinite(v))),
      );
      run.logMetric('fit_seconds', trained.fitSeconds);
      for (const p of curve) {
        run.logMetric(`train_${curveMetric}`, p.train, p.round);
        if (p.valid !== undefined) run.logMetric(`valid_${curveMetric}`, p.valid, p.round);
      }
      for (const a of [
        ...bundleArtifacts(files, bundleZipName(trained.target, trained.family)),
        ...chartArtifacts(shown, trained.metrics.validation, trained.classes),
      ])
        run.logArtifact(a);
      await run.end('COMPLETE');
    } catch (err) {
      await run?.fail(err).catch(() => {});
      lost(err);
    }
  }
  return {
    trained,
    files,
    charts: shown,
    curve,
    curveMetric,
    ...(featured.record ? { featureWarnings: featured.warnings } : {}),
    ...(run ? { runId: run.id, experimentId: run.experimentId } : {}),
    ...(trackingError ? { trackingError } : {}),
  };
}
