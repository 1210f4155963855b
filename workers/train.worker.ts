/**
 * Training worker: reads the dataset, selects the TensorFlow.js backend, trains one model with
 * `trainModel`, streams the learning curve, and returns metrics, chart data and the model bundle.
 * Also predicts a CSV file with a bundle (the same code path as the CLI's `predict`).
 *
 * The dataset arrives as the File the data screen read (a File crosses postMessage by reference:
 * no copy of the bytes on the page) and is read again here with the same type choices. That keeps
 * the data worker's table where it is (transferring its buffers would take it away from the data
 * screen), lets this worker be terminated and restarted on its own, and costs one more parse, which
 * is fast next to training.
 *
 * A thin comlink endpoint over `src/core`; the typed API is in `./types.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { expose, releaseProxy } from 'comlink';
import { readData } from './data-cache.ts';
import { charts, importanceChart } from './charts.ts';
import { scorerSource } from './scorer-source.ts';
import { createBrowserTrialPool } from './pool.ts';
import { bundleArtifacts, chartArtifacts, MAX_KEPT_RAW_BYTES, trackingStore } from './tracking.ts';
import { recordSearch, type SearchRecorder } from '../src/core/search/record.ts';
import { Tracker, type RunHandle } from '../src/core/tracking/tracker.ts';
import { startDatasetRun } from '../src/core/tracking/start.ts';
import { flatParams } from '../src/core/tracking/params.ts';
import { profileTable } from '../src/core/profile/index.ts';
import { ProgressBatcher, searchOutcome, trialRow, validationText } from './search-job.ts';
import { runSearch, SearchError, type SearchResult } from '../src/core/search/runner.ts';
import type { Trial } from '../src/core/search/study.ts';
import type { TrialPool } from '../src/core/search/pool.ts';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { IngestError } from '../src/core/ingest/types.ts';
import { probeWebGpu, selectBackend } from '../src/core/models/nn/backend.ts';
import { FAMILIES, TF_FAMILIES } from '../src/core/train/families.ts';
import { trainModel } from '../src/core/train/train.ts';
import { decideLabels, decisionChartData, type Decision } from '../src/core/train/decision.ts';
import { confusionMatrix } from '../src/core/metrics/classification.ts';
import { TrainingError } from '../src/core/train/target.ts';
import { ModelConfigError, type RoundInfo } from '../src/core/models/types.ts';
import { buildAutoPipeline, describePipeline, PipelineError } from '../src/core/pipeline/index.ts';
import { withoutColumns } from '../src/core/data/select.ts';
import { familyKind } from '../src/core/train/families.ts';
import { BundleError, createBundleFiles, createSearchBundleFiles } from '../src/core/export/bundle.ts';
import { name as appName, version as appVersion } from '../package.json';
import {
  type BackendReport,
  type SearchPhase,
  type SearchProgress,
  type TrialRow,
  type RoundPoint,
  type TrainCharts,
  type TrainFailure,
  type TrainProgress,
  type TrainWorkerApi,
} from './types.ts';

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};
/** Learning-curve points are sent at most this often (the page redraws its chart on each). */
const PROGRESS_INTERVAL_MS = 150;

/** Set at build time (vite.config.ts); 'unknown' where the sources run without Vite. */
const APP_COMMIT = typeof __APP_COMMIT__ === 'string' ? __APP_COMMIT__ : 'unknown';

let stopRequested = false;
/** The search in progress (Stop aborts it: trials end at their next round, the best is refitted). */
let searchAbort: AbortController | null = null;

function failure(err: unknown, during: 'training' | 'bundle'): TrainFailure {
  if (err instanceof IngestError) return { code: err.code, message: err.describe() };
  if (err instanceof BundleError) return { code: 'bundle', message: err.message };
  if (
    err instanceof TrainingError ||
    err instanceof ModelConfigError ||
    err instanceof PipelineError ||
    err instanceof SearchError
  )
    return { code: 'training', message: err.message };
  const reason = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `Unexpected error while ${during === 'bundle' ? 'predicting' : 'training'}: ${reason}`,
  };
}

function release(cb: unknown): void {
  const remote = cb as { [releaseProxy]?: () => void } | undefined;
  try {
    remote?.[releaseProxy]?.();
  } catch {
    // not a proxy (direct call)
  }
}

/** Calls a (proxied) progress callback without waiting for the page; a closed port is ignored. */
function send<P = TrainProgress>(cb: ((p: P) => void) | undefined, p: P): void {
  if (!cb) return;
  try {
    void Promise.resolve(cb(p) as unknown).catch(() => {});
  } catch {
    // the page went away
  }
}

const api: TrainWorkerApi = {
  async probe() {
    return probeWebGpu();
  },

  async pipeline(req) {
    try {
      const data = await readData(req.input, req.typeOverrides);
      if (!data.table.columns.some((c) => c.name === req.target))
        throw new TrainingError(`the target column '${req.target}' is not in the file`);
      const features = withoutColumns(data.table, [req.target]);
      const auto = buildAutoPipeline(features, {
        family: familyKind(req.family),
        task: req.task,
        exclude: req.exclude,
      });
      return {
        ok: true,
        value: { spec: auto.spec, notes: auto.notes, columns: features.columns.map((c) => c.name) },
      };
    } catch (err) {
      return { ok: false, error: failure(err, 'training') };
    }
  },

  async train(job, onProgress) {
    stopRequested = false;
    try {
      send(onProgress, { phase: 'read' });
      const data = await readData(job.input, job.typeOverrides);

      send(onProgress, { phase: 'backend' });
      let backend: BackendReport = { name: 'cpu', reason: 'trees run in plain TypeScript' };
      if (TF_FAMILIES.has(job.family)) {
        const choice = await selectBackend(job.backend, { wasmPaths: WASM_PATHS });
        backend = {
          name: choice.name,
          reason: choice.reason,
          ...(choice.adapter ? { adapter: { ...choice.adapter } } : {}),
          ...(choice.failures.length ? { failures: choice.failures.map((f) => ({ ...f })) } : {}),
        };
      }
      send(onProgress, { phase: 'fit', backend });

      const curve: RoundPoint[] = [];
      let curveMetric = 'loss';
      let pending: RoundPoint[] = [];
      let last = 0;
      const flush = (): void => {
        if (pending.length === 0) return;
        send(onProgress, { phase: 'fit', metric: curveMetric, rounds: pending });
        pending = [];
        last = performance.now();
      };
      const onRound = (info: RoundInfo): boolean => {
        curveMetric = info.metric;
        const point: RoundPoint =
          info.valid === undefined
            ? { round: info.round, train: info.train }
            : { round: info.round, train: info.train, valid: info.valid };
        curve.push(point);
        pending.push(point);
        if (performance.now() - last >= PROGRESS_INTERVAL_MS) flush();
        return !stopRequested;
      };
      const trained = await trainModel({
        table: data.table,
        target: job.target,
        task: job.task,
        family: job.family,
        params: job.params,
        seed: job.seed,
        validFraction: job.validFraction,
        metric: job.metric,
        exclude: job.exclude,
        pipelineSpec: job.pipeline,
        onRound,
        ...(job.decision ? { decision: job.decision } : {}),
      });
      flush();
      send(onProgress, { phase: 'evaluate' });

      const nav = globalThis.navigator as Navigator | undefined;
      const bundle = createBundleFiles(
        trained,
        { name: data.sourceName, fingerprint: data.fingerprint, schema: data.schema },
        {
          app: { name: appName, version: appVersion, commit: APP_COMMIT },
          runtime: nav?.userAgent ?? 'unknown browser',
          cores: nav?.hardwareConcurrency,
          libraries: { '@tensorflow/tfjs': tf.version.tfjs },
          backend: { ...backend },
          createdAt: new Date().toISOString(),
        },
        {
          exclude: job.exclude,
          ...(job.params ? { params: job.params } : {}),
          table: data.table,
          scorer: await scorerSource(),
        },
      );
      const importance = importanceChart(
        trained.model,
        trained.pipeline.layout.map((f) => f.name),
      );
      const shownCharts = {
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
      let runId: string | undefined;
      let experimentId: string | undefined;
      let trackingError: string | undefined;
      try {
        const store = await trackingStore();
        const raw =
          job.input instanceof Blob && job.input.size <= MAX_KEPT_RAW_BYTES
            ? new Uint8Array(await job.input.arrayBuffer())
            : undefined;
        const { run } = await startDatasetRun(
          new Tracker(store),
          {
            fingerprint: data.fingerprint.sha256,
            name: data.sourceName,
            schema: data.schema,
            ...(raw ? { raw } : {}),
          },
          trained.target,
          {
            name: `${trained.family}`,
            tags: {
              task: trained.task,
              target: trained.target,
              family: trained.family,
              metric: trained.metric,
              source: 'studio train',
            },
          },
        );
        runId = run.id;
        experimentId = run.experimentId;
        run.logParams(flatParams({ family: trained.family, ...trained.config, seed: trained.seed }));
        run.logMetrics(
          Object.fromEntries(
            Object.entries(trained.metrics.validation).filter(([, v]) => Number.isFinite(v)),
          ),
        );
        run.logMetric('fit_seconds', trained.fitSeconds);
        for (const p of curve) {
          run.logMetric(`train_${curveMetric}`, p.train, p.round);
          if (p.valid !== undefined) run.logMetric(`valid_${curveMetric}`, p.valid, p.round);
        }
        for (const a of [
          ...bundleArtifacts(bundle, `${trained.target}-${trained.family}.zip`.replace(/[^\w.-]+/g, '_')),
          ...chartArtifacts(shownCharts, trained.metrics.validation, trained.classes),
        ])
          run.logArtifact(a);
        await run.end('COMPLETE');
      } catch (err) {
        runId = undefined;
        trackingError = `the run could not be recorded: ${err instanceof Error ? err.message : String(err)}`;
      }
      return {
        ok: true,
        value: {
          ...(runId && experimentId ? { runId, experimentId } : {}),
          ...(trackingError ? { trackingError } : {}),
          target: trained.target,
          task: trained.task,
          family: trained.family,
          ...(trained.classes ? { classes: trained.classes } : {}),
          metric: trained.metric,
          metrics: trained.metrics.validation,
          backend,
          split: {
            trainRows: trained.split.trainRows,
            validRows: trained.split.validRows,
            validFraction: trained.split.validFraction,
          },
          fitSeconds: trained.fitSeconds,
          rounds: curve.length,
          ...(trained.refit ? { refit: { ...trained.refit } } : {}),
          stopped: stopRequested,
          pipelineSteps: describePipeline(trained.pipeline.spec),
          pipelineNotes: job.pipeline ? ['preprocessing as you edited it'] : trained.pipelineNotes,
          charts: shownCharts,
          bundle,
        },
      };
    } catch (err) {
      return { ok: false, error: failure(err, 'training') };
    } finally {
      release(onProgress);
    }
  },

  async search(job, onProgress) {
    stopRequested = false;
    const controller = new AbortController();
    searchAbort = controller;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    let phase: SearchPhase = 'read';
    let workers: number | undefined;
    let validation: string | undefined;
    let runId: string | undefined;
    let experimentId: string | undefined;
    let trackingError: string | undefined;
    let backend: BackendReport = { name: 'cpu', reason: 'trees run in plain TypeScript' };
    const batcher = new ProgressBatcher(
      (p) => send(onProgress, p),
      () => ({
        phase,
        elapsed: elapsed(),
        ...(workers ? { workers } : {}),
        ...(validation ? { validation } : {}),
        ...(runId ? { runId } : {}),
      }),
    );
    const setPhase = (next: SearchPhase, extra: Partial<SearchProgress> = {}) => {
      phase = next;
      send(onProgress, { phase, elapsed: elapsed(), ...extra });
    };
    let pool: TrialPool | undefined;
    let recorder: SearchRecorder | undefined;
    let parent: RunHandle | undefined;
    const trackingFailed = (err: unknown) => {
      trackingError ??= `the search could not be recorded: ${err instanceof Error ? err.message : String(err)}`;
    };
    try {
      setPhase('read');
      const data = await readData(job.input, job.typeOverrides);
      const families = job.families.length ? job.families : FAMILIES;
      setPhase('backend');
      let tfReady: Promise<unknown> | undefined;
      if (families.some((f) => TF_FAMILIES.has(f))) {
        // The coordinator refits linear models and nets itself, so it needs a backend too; each
        // trial worker makes the same choice (WebGPU only on a hardware adapter under Auto).
        const pending = selectBackend(job.backend, { wasmPaths: WASM_PATHS });
        tfReady = pending;
        const choice = await pending;
        backend = {
          name: choice.name,
          reason: `${choice.reason}; each trial worker makes the same choice`,
          ...(choice.adapter ? { adapter: { ...choice.adapter } } : {}),
        };
      }
      if (job.track !== false) {
        try {
          const store = await trackingStore();
          const raw =
            job.input instanceof Blob && job.input.size <= MAX_KEPT_RAW_BYTES
              ? new Uint8Array(await job.input.arrayBuffer())
              : undefined;
          const tracked = await startDatasetRun(
            new Tracker(store),
            {
              fingerprint: data.fingerprint.sha256,
              name: data.sourceName,
              schema: data.schema,
              ...(raw ? { raw } : {}),
            },
            job.target,
            { name: 'automl search', tags: { task: job.task, target: job.target, source: 'studio automl' } },
          );
          parent = tracked.run;
          runId = parent.id;
          experimentId = parent.experimentId;
          recorder = recordSearch({
            parent,
            params: {
              seed: job.seed,
              budget: job.budgetSeconds ?? null,
              maxTrials: job.maxTrials ?? null,
              backend: backend.name,
            },
          });
        } catch (err) {
          trackingFailed(err);
        }
      }
      pool = createBrowserTrialPool({
        ...(job.workers ? { size: job.workers } : {}),
        backend: job.backend,
      });
      workers = pool.concurrency;
      setPhase('search', { backend, workers, ...(runId ? { runId } : {}) });
      const rowsByNumber = new Map<number, TrialRow>();
      const push = (t: Trial) => {
        const row = trialRow(t, started, performance.now());
        rowsByNumber.set(t.number, row);
        batcher.push(row);
      };
      const hooks = recorder?.hooks;
      const result = await runSearch({
        table: data.table,
        target: job.target,
        task: job.task,
        families,
        metric: job.metric,
        seed: job.seed,
        timeBudgetSeconds: job.budgetSeconds,
        maxTrials: job.maxTrials,
        exclude: job.exclude,
        executor: pool,
        ...(tfReady ? { tfBackend: () => tfReady! } : {}),
        signal: controller.signal,
        onPhase: (p, info) => {
          hooks?.onPhase(p, info);
          if (p === 'search' && info) {
            validation = validationText({ split: info.split } as SearchResult['manifest']);
            batcher.flush();
          } else if (p === 'refit') {
            batcher.flush();
            setPhase('refit');
          }
        },
        onTrialStart: (t, study) => {
          hooks?.onTrialStart(t, study);
          push(t);
        },
        onTrialReport: (t, step, value) => hooks?.onTrialReport(t, step, value),
        onTrial: (t, study, evidence) => {
          hooks?.onTrial(t, study, evidence);
          push(t);
        },
      });
      batcher.flush();
      setPhase('bundle');
      const nav = globalThis.navigator as Navigator | undefined;
      const bundle = createSearchBundleFiles(
        result,
        {
          name: data.sourceName,
          fingerprint: data.fingerprint,
          schema: data.schema,
          warnings: profileTable(data.table, { target: job.target, task: job.task }).warnings,
        },
        {
          app: { name: appName, version: appVersion, commit: APP_COMMIT },
          runtime: nav?.userAgent ?? 'unknown browser',
          cores: nav?.hardwareConcurrency,
          libraries: { '@tensorflow/tfjs': tf.version.tfjs },
          backend: { ...backend },
          createdAt: new Date().toISOString(),
        },
        {
          exclude: job.exclude,
          table: data.table,
          scorer: await scorerSource(),
          ...(job.decision ? { decision: job.decision } : {}),
        },
      );
      const oof = result.validation;
      const shownCharts = oof
        ? {
            ...charts(result.task, result.classes, oof.y, oof.pred, [], result.metric),
            ...decisionCharts(result.classes, oof, JSON.parse(bundle['manifest.json']).decision),
          }
        : { curve: [], curveMetric: result.metric };
      const rows = result.trials.map(
        (t) => rowsByNumber.get(t.number) ?? trialRow(t, started, performance.now()),
      );
      const outcome = searchOutcome(job, result, rows, {
        workers: workers ?? 1,
        backend,
        bundle,
        charts: shownCharts,
        ...(oof ? { validation: oof } : {}),
      });
      if (recorder && parent) {
        try {
          await recorder.finish(result);
          parent.logMetrics(
            Object.fromEntries(Object.entries(outcome.metrics).filter(([, v]) => Number.isFinite(v))),
          );
          for (const a of [
            ...bundleArtifacts(bundle, `${job.target}-automl.zip`.replace(/[^\w.-]+/g, '_')),
            ...chartArtifacts(shownCharts, outcome.metrics, result.classes),
          ])
            parent.logArtifact(a);
          await parent.end('COMPLETE');
        } catch (err) {
          trackingFailed(err);
        }
      }
      return {
        ok: true,
        value: {
          ...outcome,
          ...(runId && experimentId && !trackingError ? { runId, experimentId } : {}),
          ...(trackingError ? { trackingError } : {}),
        },
      };
    } catch (err) {
      await recorder?.fail(err).catch(() => {});
      return { ok: false, error: failure(err, 'training') };
    } finally {
      searchAbort = null;
      await pool?.close().catch(() => {});
      release(onProgress);
    }
  },

  stop() {
    stopRequested = true;
    searchAbort?.abort();
  },
};

expose(api);

// --- Binary decisions (issue 13): the confusion matrix at the chosen threshold, and the rows to move it.
function decisionCharts(
  classes: readonly string[] | undefined,
  validation: { readonly y: Float64Array; readonly pred: Float64Array },
  decision: Decision | undefined,
): Partial<Pick<TrainCharts, 'decision' | 'confusion'>> {
  if (!decision || !classes || classes.length !== 2) return {};
  const n = validation.y.length;
  const labels = decideLabels(validation.pred, n, classes, decision);
  return {
    decision: decisionChartData(classes, validation.y, validation.pred, decision),
    confusion: {
      labels: classes,
      counts: Array.from(confusionMatrix(Int32Array.from(validation.y), labels, 2)),
    },
  };
}
