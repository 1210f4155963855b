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
import { expose, releaseProxy, transfer } from 'comlink';
import { sourceOf } from './source.ts';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { ingestCsv } from '../src/core/ingest/index.ts';
import { IngestError, type IngestResult } from '../src/core/ingest/types.ts';
import { probeWebGpu, selectBackend } from '../src/core/models/nn/backend.ts';
import { TF_FAMILIES } from '../src/core/train/families.ts';
import { trainModel } from '../src/core/train/train.ts';
import { TrainingError } from '../src/core/train/target.ts';
import { ModelConfigError, type RoundInfo } from '../src/core/models/types.ts';
import { buildAutoPipeline, describePipeline, PipelineError } from '../src/core/pipeline/index.ts';
import { withoutColumns } from '../src/core/data/select.ts';
import { familyKind } from '../src/core/train/families.ts';
import { argmaxRows, confusionMatrix, positiveScores, rocCurve } from '../src/core/metrics/index.ts';
import {
  BundleError,
  createBundleFiles,
  loadBundle,
  predictionsCsv,
  predictTable,
  signatureTypes,
} from '../src/core/export/bundle.ts';
import { name as appName, version as appVersion } from '../package.json';
import {
  COMBINED_BUNDLE,
  MAX_CURVE_POINTS,
  MAX_SCATTER_POINTS,
  type BackendReport,
  type LoadInput,
  type TypeOverrides,
  type RoundPoint,
  type TrainCharts,
  type TrainFailure,
  type TrainProgress,
  type TrainProgressCallback,
  type TrainWorkerApi,
} from './types.ts';

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};
/** Learning-curve points are sent at most this often (the page redraws its chart on each). */
const PROGRESS_INTERVAL_MS = 150;

let stopRequested = false;

/**
 * The last file read, with the type choices it was read with: previewing the pipeline and then
 * training (or training again) reads the file once. A File crossing postMessage is a new object
 * each time, so it is recognised by name, size and modification time.
 */
let cached: { key: string; data: Promise<IngestResult> } | null = null;

function readData(input: LoadInput, typeOverrides: TypeOverrides): Promise<IngestResult> {
  const key =
    input instanceof Blob
      ? JSON.stringify([input.name, input.size, (input as File).lastModified ?? 0, typeOverrides])
      : null;
  if (key !== null && cached?.key === key) return cached.data;
  const data = ingestCsv(sourceOf(input), { typeOverrides });
  if (key !== null) {
    cached = { key, data };
    data.catch(() => {
      if (cached?.data === data) cached = null;
    });
  }
  return data;
}

function failure(err: unknown, during: 'training' | 'bundle'): TrainFailure {
  if (err instanceof IngestError) return { code: err.code, message: err.describe() };
  if (err instanceof BundleError) return { code: 'bundle', message: err.message };
  if (err instanceof TrainingError || err instanceof ModelConfigError || err instanceof PipelineError)
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
function send(cb: TrainProgressCallback | undefined, p: TrainProgress): void {
  if (!cb) return;
  try {
    void Promise.resolve(cb(p) as unknown).catch(() => {});
  } catch {
    // the page went away
  }
}

/** Evenly spaced indices 0..n-1, at most `max`, always including the last. */
function spread(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max - 1; k++) out.push(Math.floor((k * (n - 1)) / (max - 1)));
  out.push(n - 1);
  return out;
}

function charts(
  task: string,
  classes: readonly string[] | undefined,
  y: Float64Array,
  pred: Float64Array,
  curve: RoundPoint[],
  curveMetric: string,
): TrainCharts {
  const shownCurve = spread(curve.length, MAX_CURVE_POINTS).map((i) => curve[i]);
  if (task === 'regression') {
    const idx = spread(y.length, MAX_SCATTER_POINTS);
    return {
      curve: shownCurve,
      curveMetric,
      regression: { actual: idx.map((i) => y[i]), predicted: idx.map((i) => pred[i]), total: y.length },
    };
  }
  const k = classes?.length ?? 2;
  const labels = classes ?? Array.from({ length: k }, (_, i) => String(i));
  const yi = Int32Array.from(y);
  const hard =
    task === 'binary'
      ? Int32Array.from(positiveScores(pred, y.length), (p) => (p >= 0.5 ? 1 : 0))
      : argmaxRows(pred, k);
  const out: TrainCharts = {
    curve: shownCurve,
    curveMetric,
    confusion: { labels, counts: Array.from(confusionMatrix(yi, hard, k)) },
  };
  if (task !== 'binary') return out;
  const roc = rocCurve(yi, positiveScores(pred, y.length));
  const idx = spread(roc.length, MAX_SCATTER_POINTS);
  return { ...out, roc: { fpr: idx.map((i) => roc[i].fpr), tpr: idx.map((i) => roc[i].tpr) } };
}

/** The single-file form (what "Download bundle" saves) holds the bundle's files by name. */
function expandBundle(files: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const combined = files[COMBINED_BUNDLE];
  if (combined === undefined || files['manifest.json'] !== undefined) return files;
  let parsed: unknown;
  try {
    parsed = JSON.parse(combined);
  } catch (err) {
    throw new BundleError(`the bundle file is not valid JSON: ${(err as Error).message}`);
  }
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    typeof (parsed as Record<string, unknown>)['manifest.json'] !== 'string'
  )
    throw new BundleError('the bundle file does not hold manifest.json, pipeline.json and model.json');
  return parsed as Record<string, string>;
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
      });
      flush();
      send(onProgress, { phase: 'evaluate' });

      const nav = globalThis.navigator as Navigator | undefined;
      const bundle = createBundleFiles(
        trained,
        { name: data.sourceName, fingerprint: data.fingerprint, schema: data.schema },
        {
          app: { name: appName, version: appVersion },
          runtime: nav?.userAgent ?? 'unknown browser',
          cores: nav?.hardwareConcurrency,
          libraries: { '@tensorflow/tfjs': tf.version.tfjs },
          backend: { ...backend },
          createdAt: new Date().toISOString(),
        },
      );
      return {
        ok: true,
        value: {
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
          charts: charts(
            trained.task,
            trained.classes,
            trained.validation.y,
            trained.validation.pred,
            curve,
            curveMetric,
          ),
          bundle,
        },
      };
    } catch (err) {
      return { ok: false, error: failure(err, 'training') };
    } finally {
      release(onProgress);
    }
  },

  stop() {
    stopRequested = true;
  },

  async predictBundle(files, csv) {
    try {
      const bundle = loadBundle(expandBundle(files));
      const data = await ingestCsv(sourceOf(csv), { typeOverrides: signatureTypes(bundle) });
      const p = predictTable(bundle, data.table);
      const values = p.values;
      return transfer(
        {
          ok: true as const,
          value: {
            family: bundle.manifest.model.family,
            task: bundle.manifest.task,
            ...(bundle.manifest.classes ? { classes: bundle.manifest.classes } : {}),
            nRows: p.nRows,
            values,
            csv: predictionsCsv(bundle, p),
          },
        },
        [values.buffer as ArrayBuffer],
      );
    } catch (err) {
      return { ok: false, error: failure(err, 'bundle') };
    }
  },
};

expose(api);
