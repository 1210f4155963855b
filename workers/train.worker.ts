/**
 * Training worker: the studio's adapter over the jobs in src/core/jobs — `fit` (one model, its
 * learning curve streamed to the page) and `automl` (a search over a pool of trial workers, its
 * leaderboard streamed) — plus the preprocessing preview. It reads the dataset, selects the
 * TensorFlow.js backend, passes this runtime's specifics (bundle environment, scorer, the IndexedDB
 * tracking store) to the job and turns the job's result or error into the page's plain data. The CLI
 * runs the same jobs (src/cli/commands/fit.ts, automl.ts), so a run records the same things in both.
 *
 * The dataset arrives as the data worker's parsed table (issue 21: `TableInput`, posted by the data
 * worker on a MessageChannel port, its buffers a copy transferred to this worker, or shared when the
 * page is cross-origin isolated), once per dataset:
 * later jobs name it by key (`heldTable`). The file is not read again here. A File input (sent when
 * no data worker table is at hand) is still read, once, with the same type choices (data-cache.ts).
 *
 * A thin comlink endpoint over `src/core`; the typed API is in `./types.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { expose, releaseProxy } from 'comlink';
import { dataStats, heldKey, heldRaw, readData } from './data-cache.ts';
import { scorerSource } from './scorer-source.ts';
import { createBrowserTrialPool } from './pool.ts';
import { MAX_KEPT_RAW_BYTES, trackingStore } from './tracking.ts';
import { recipeRunData, type RecipeRunData } from './recipe-run.ts';
import { DatasetStore } from '../src/store/datasets.ts';
import { FeatureError } from '../src/core/features/types.ts';
import { Tracker } from '../src/core/tracking/tracker.ts';
import { ProgressBatcher, searchOutcome, trialRow, validationText } from './search-job.ts';
import type { SearchResult } from '../src/core/search/runner.ts';
import type { Trial } from '../src/core/search/study.ts';
import type { TrialPool } from '../src/core/search/pool.ts';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { IngestError } from '../src/core/ingest/types.ts';
import { probeWebGpu, selectBackend } from '../src/core/models/nn/backend.ts';
import { FAMILIES, TF_FAMILIES, familyKind } from '../src/core/train/families.ts';
import { buildAutoPipeline, describePipeline } from '../src/core/pipeline/index.ts';
import { withoutColumns } from '../src/core/data/select.ts';
import { describeError } from '../src/core/errors.ts';
import { TrainingError } from '../src/core/train/target.ts';
import { runFitJob } from '../src/core/jobs/fit.ts';
import { runAutomlJob } from '../src/core/jobs/automl.ts';
import type { JobRuntime } from '../src/core/jobs/types.ts';
import { name as appName, version as appVersion } from '../package.json';
import {
  type JobInput,
  type RecipeRun,
  type BackendReport,
  type SearchPhase,
  type SearchProgress,
  type TrialRow,
  type RoundPoint,
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
  if (err instanceof FeatureError) return { code: 'training', message: err.message };
  const d = describeError(err, during === 'bundle' ? 'predicting' : 'training');
  const code =
    d.kind === 'internal' || d.kind === 'bundle' ? d.kind : d.kind === 'cancelled' ? 'stopped' : 'training';
  return { code, message: d.message };
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

/**
 * What the jobs need from this runtime: the bundle's environment, the scorer, and the tracking store
 * (the training file's bytes are kept with the dataset when small enough, for Verify and re-training).
 * A store that cannot be opened does not stop training: `storeError` says why the run was not recorded.
 */
async function jobRuntime(
  input: JobInput,
  source: string,
  track = true,
  keptRaw?: Uint8Array,
): Promise<{ runtime: JobRuntime; storeError?: string }> {
  const nav = globalThis.navigator as Navigator | undefined;
  const base = {
    environment: {
      app: { name: appName, version: appVersion, commit: APP_COMMIT },
      runtime: nav?.userAgent ?? 'unknown browser',
      ...(nav?.hardwareConcurrency ? { cores: nav.hardwareConcurrency } : {}),
      libraries: { '@tensorflow/tfjs': tf.version.tfjs },
    },
    scorer: await scorerSource(),
  };
  if (!track) return { runtime: base };
  try {
    const store = await trackingStore();
    const held = keptRaw ? undefined : heldRaw(input);
    const raw = keptRaw
      ? keptRaw.byteLength <= MAX_KEPT_RAW_BYTES
        ? keptRaw
        : undefined
      : held
        ? new Uint8Array(held)
        : input instanceof Blob && input.size <= MAX_KEPT_RAW_BYTES
          ? new Uint8Array(await input.arrayBuffer())
          : undefined;
    return {
      runtime: { ...base, tracking: { tracker: new Tracker(store), source, ...(raw ? { raw } : {}) } },
    };
  } catch (err) {
    return {
      runtime: base,
      storeError: `the run could not be recorded: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/**
 * A run on a project's recipe features (issue 20): the target table read from its kept file and the
 * related tables from the dataset store; the job computes the features and records the recipe.
 */
async function recipeData(run: RecipeRun | undefined): Promise<RecipeRunData | undefined> {
  return run ? recipeRunData(await DatasetStore.open(), run) : undefined;
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

  async train(req, onProgress) {
    stopRequested = false;
    try {
      send(onProgress, { phase: 'read' });
      const recipe = await recipeData(req.features);
      const data = recipe ? recipe.data : await readData(req.input, req.typeOverrides);

      send(onProgress, { phase: 'backend' });
      let backend: BackendReport = { name: 'cpu', reason: 'trees run in plain TypeScript' };
      if (TF_FAMILIES.has(req.family)) {
        const choice = await selectBackend(req.backend, { wasmPaths: WASM_PATHS });
        backend = {
          name: choice.name,
          reason: choice.reason,
          ...(choice.adapter ? { adapter: { ...choice.adapter } } : {}),
          ...(choice.failures.length ? { failures: choice.failures.map((f) => ({ ...f })) } : {}),
        };
      }
      send(onProgress, { phase: 'fit', backend });

      const { runtime: rt, storeError } = await jobRuntime(req.input, 'studio train', true, recipe?.raw);
      let pending: RoundPoint[] = [];
      let pendingMetric = 'loss';
      let last = 0;
      const flush = (): void => {
        if (pending.length === 0) return;
        send(onProgress, { phase: 'fit', metric: pendingMetric, rounds: pending });
        pending = [];
        last = performance.now();
      };
      const job = await runFitJob({
        data,
        target: req.target,
        task: req.task,
        family: req.family,
        seed: req.seed,
        ...(req.params ? { params: req.params } : {}),
        ...(req.validFraction !== undefined ? { validFraction: req.validFraction } : {}),
        ...(req.metric ? { metric: req.metric } : {}),
        ...(req.exclude ? { exclude: req.exclude } : {}),
        ...(req.pipeline ? { pipelineSpec: req.pipeline } : {}),
        ...(req.decision ? { decision: req.decision } : {}),
        ...(recipe ? { features: recipe.features } : {}),
        backend,
        ...rt,
        onRound: (point, metric) => {
          pendingMetric = metric;
          pending.push(point);
          if (performance.now() - last >= PROGRESS_INTERVAL_MS) flush();
          return !stopRequested;
        },
      });
      flush();
      send(onProgress, { phase: 'evaluate' });
      const { trained, runId, experimentId } = job;
      const trackingError = job.trackingError ?? storeError;
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
          rounds: job.curve.length,
          ...(trained.refit ? { refit: { ...trained.refit } } : {}),
          stopped: stopRequested,
          pipelineSteps: describePipeline(trained.pipeline.spec),
          pipelineNotes: req.pipeline ? ['preprocessing as you edited it'] : trained.pipelineNotes,
          charts: job.charts,
          bundle: job.files,
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
    try {
      setPhase('read');
      const recipe = await recipeData(job.features);
      const data = recipe ? recipe.data : await readData(job.input, job.typeOverrides);
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
      const { runtime: rt, storeError } = await jobRuntime(
        job.input,
        'studio automl',
        job.track !== false,
        recipe?.raw,
      );
      pool = createBrowserTrialPool({
        ...(job.workers ? { size: job.workers } : {}),
        backend: job.backend,
      });
      workers = pool.concurrency;
      setPhase('search', { backend, workers });
      const rowsByNumber = new Map<number, TrialRow>();
      const push = (t: Trial) => {
        const row = trialRow(t, started, performance.now());
        rowsByNumber.set(t.number, row);
        batcher.push(row);
      };
      const ran = await runAutomlJob({
        data,
        target: job.target,
        task: job.task,
        families,
        seed: job.seed,
        ...(job.metric ? { metric: job.metric } : {}),
        ...(job.budgetSeconds !== undefined ? { timeBudgetSeconds: job.budgetSeconds } : {}),
        ...(job.maxTrials !== undefined ? { maxTrials: job.maxTrials } : {}),
        ...(job.exclude ? { exclude: job.exclude } : {}),
        ...(job.decision ? { decision: job.decision } : {}),
        ...(recipe ? { features: recipe.features } : {}),
        executor: pool,
        ...(tfReady ? { tfBackend: () => tfReady! } : {}),
        signal: controller.signal,
        backend,
        ...rt,
        onRecording: (r) => {
          runId = r.runId;
          send(onProgress, { phase, elapsed: elapsed(), runId });
        },
        hooks: {
          onPhase: (p, info) => {
            if (p === 'search' && info) {
              validation = validationText({ split: info.split } as SearchResult['manifest']);
              batcher.flush();
            } else if (p === 'refit') {
              batcher.flush();
              setPhase('refit');
            }
          },
          onTrialStart: (t) => push(t),
          onTrial: (t) => push(t),
        },
      });
      batcher.flush();
      setPhase('bundle');
      const { result } = ran;
      const rows = result.trials.map(
        (t) => rowsByNumber.get(t.number) ?? trialRow(t, started, performance.now()),
      );
      const trackingError = ran.trackingError ?? storeError;
      const outcome = searchOutcome(job, result, rows, {
        workers: workers ?? 1,
        backend,
        bundle: ran.files,
        charts: ran.charts,
        metrics: ran.metrics,
      });
      return {
        ok: true,
        value: {
          ...outcome,
          ...(ran.runId && ran.experimentId && !trackingError
            ? { runId: ran.runId, experimentId: ran.experimentId }
            : {}),
          ...(trackingError ? { trackingError } : {}),
        },
      };
    } catch (err) {
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

  async heldTable() {
    return heldKey();
  },

  async dataStats() {
    return dataStats();
  },
};

expose(api);
