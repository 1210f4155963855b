/**
 * Bundle worker: imports model bundle zips (validated), scores CSV files with a bundle, zips bundle
 * files, and verifies a bundle by training it again from its manifest (the same code as
 * `cli predict` and `cli reproduce`). A thin comlink endpoint over `src/core/export`; the typed API
 * is in `./bundle-types.ts`. TensorFlow.js is loaded only when a verification needs it.
 */
import { expose, releaseProxy, transfer } from 'comlink';
import { sourceOf } from './source.ts';
import {
  BundleError,
  loadBundle,
  predictionsCsv,
  predictTable,
  type LoadedBundle,
} from '../src/core/export/bundle.ts';
import { bundleToZip, looksLikeZip, readBundleZip } from '../src/core/export/zip.ts';
import { exportBundleFiles } from '../src/core/export/package.ts';
import { importableFiles, listedFiles, type ImportedFiles } from '../src/core/export/integrity.ts';
import {
  describeProvenance,
  signBundleFiles,
  verifyBundleSignature,
  type TrustStore,
} from '../src/core/export/signing.ts';
import { studioSigner, studioTrustStore } from '../src/store/keys.ts';
import { MissingColumnsError, readForScoring, scoringNotes } from '../src/core/export/score.ts';
import { ReproduceInputError, reproduceBundle } from '../src/core/export/reproduce.ts';
import { MonitorInputError, monitorBatch } from '../src/core/monitor/monitor-batch.ts';
import { monitoringSummary } from '../src/core/monitor/summary.ts';
import { RetrainInputError, combineTrainingData, trainingTypes } from '../src/core/monitor/retrain.ts';
import { sha256Hex } from '../src/core/export/integrity.ts';
import { evaluateScored, withKeptColumns } from '../src/core/tracking/evidence.ts';
import { spreadsheetLine } from '../src/core/export/csv-write.ts';
import { IngestError } from '../src/core/ingest/types.ts';
import { ingestCsv } from '../src/core/ingest/index.ts';
import { FeatureError, type Tables } from '../src/core/features/types.ts';
import type { Table } from '../src/core/data/table.ts';
import type { LoadInput } from './types.ts';
import { checkScoringTables, scoreWithFeatures } from '../src/core/features/score.ts';
import { describeError } from '../src/core/errors.ts';
import { PipelineError } from '../src/core/pipeline/index.ts';
import { TrainingError } from '../src/core/train/target.ts';
import { ModelConfigError } from '../src/core/models/types.ts';
import { bundleToOnnx, OnnxExportError } from '../src/core/export/onnx/index.ts';
import { PythonExportError, pythonProjectFiles } from '../src/core/export/python/index.ts';
import { explainRows } from '../src/core/explain/rows.ts';
import { rowReasons, withReasonsCsv } from '../src/core/explain/reasons.ts';
import { explainViewOf } from '../src/core/explain/explain-data.ts';
import { name as appName, version as appVersion } from '../package.json';
import {
  SCORE_PREVIEW_ROWS,
  type BundleFailure,
  type BundleFiles,
  type BundleResult,
  type BundleSummary,
  type BundleWorkerApi,
  type ImportedBundle,
  type ScoreOutcome,
  type VerifyProgress,
  type VerifyProgressCallback,
} from './bundle-types.ts';

const PROGRESS_INTERVAL_MS = 100;

/**
 * A failure value for the page. `unexpected`, when given, is the message for an error no check
 * anticipated (it names the bundle): a 'bundle' failure rather than an internal error quoting a raw
 * TypeError.
 */
function failure(err: unknown, what: string, unexpected?: string): BundleFailure {
  if (err instanceof BundleError) return { code: 'bundle', message: err.message };
  if (err instanceof MissingColumnsError)
    return { code: 'missing-columns', message: `${what} ${err.message}`, columns: [...err.columns] };
  if (err instanceof IngestError)
    return { code: err.code === 'cancelled' ? 'cancelled' : 'data', message: err.describe() };
  if (err instanceof PipelineError) return { code: 'data', message: `${err.message} (${what})` };
  if (err instanceof FeatureError) return { code: 'data', message: err.message };
  if (err instanceof ReproduceInputError) return { code: 'training', message: `${err.message} (${what})` };
  if (err instanceof TrainingError || err instanceof ModelConfigError)
    return { code: 'training', message: `cannot train on ${what}: ${err.message}` };
  if (err instanceof DOMException && err.name === 'NotReadableError')
    return { code: 'data', message: `Cannot read ${what}: the file changed or is no longer available` };
  // kept for debugging (the user sees the plain message below)
  console.warn(`bundle worker: unexpected error with ${what}:`, err);
  if (unexpected !== undefined) return { code: 'bundle', message: unexpected };
  return { code: 'internal', message: describeError(err, `reading ${what}`).message };
}

/** The message for an unexpected error while reading a bundle (`name`: its file name, when known). */
const unreadable = (name?: string) =>
  `could not read the model bundle${name ? ` ${name}` : ''}: it is damaged or was not made by this studio`;

/** The bundle the page sent, or the failure that says why it cannot be read. */
function loadOrFail(files: BundleFiles): BundleResult<LoadedBundle> {
  try {
    return { ok: true, value: loadBundle(files) };
  } catch (err) {
    return { ok: false, error: failure(err, 'the bundle', unreadable()) };
  }
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
function send(cb: VerifyProgressCallback | undefined, p: VerifyProgress): void {
  if (!cb) return;
  try {
    void Promise.resolve(cb(p) as unknown).catch(() => {});
  } catch {
    // the page went away
  }
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

const asText = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const numberOr = <T>(v: unknown, fallback: T): number | T =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/**
 * What the page is told about a bundle, built field by field from the manifest's known fields as plain
 * strings and numbers: nothing else in the manifest (extra keys, nested values) crosses postMessage.
 */
function summarize(
  bundle: LoadedBundle,
  kept: ImportedFiles,
  source: string,
  provenance?: string,
): BundleSummary {
  const m = bundle.manifest;
  const files = kept.files;
  const notes: string[] = [];
  if (provenance) notes.push(provenance);
  if (bundle.integrity?.note) notes.push(bundle.integrity.note);
  if (m.formatVersion === 1)
    notes.push('bundle format 1: it predicts; verifying assumes no columns were excluded from training');
  if (kept.scorerReplaced)
    notes.push(
      "predict.mjs replaced by this studio's own build: the imported one is not kept, and downloads carry this studio's scorer",
    );
  else if (files['predict.mjs'] === undefined)
    notes.push("no predict.mjs: downloads add this studio's own standalone scorer");
  const listed = listedFiles(m).map((f) => asText(f));
  const absent = listed.filter((f) => files[f] === undefined && f !== 'predict.mjs');
  if (absent.length) notes.push(`listed in manifest.json but absent: ${absent.join(', ')}`);
  if (kept.dropped.length)
    notes.push(`files not listed in manifest.json (dropped): ${kept.dropped.join(', ')}`);
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m.metrics.validation)) metrics[k] = numberOr(v, null);
  return {
    source,
    formatVersion: m.formatVersion,
    createdAt: asText(m.createdAt),
    app: {
      name: asText(m.app.name),
      version: asText(m.app.version),
      ...(typeof m.app.commit === 'string' ? { commit: m.app.commit } : {}),
    },
    training: m.training?.command === 'automl' || (!m.training && m.search) ? 'automl' : 'fit',
    family: asText(m.model.family),
    members: (m.model.members ?? []).map((x) => ({
      trial: numberOr(x.trial, 0),
      family: asText(x.family, 'unknown'),
      weight: numberOr(x.weight, 0),
    })),
    target: asText(m.target),
    task: m.task,
    ...(m.classes ? { classes: m.classes.map((c) => asText(c)) } : {}),
    seed: numberOr(m.seed, 0),
    backend: typeof m.backend?.name === 'string' ? m.backend.name : null,
    dataset: {
      name: asText(m.dataset.name),
      sha256: asText(m.dataset.sha256),
      rows: numberOr(m.dataset.rows, 0),
      columns: numberOr(m.dataset.columns, 0),
    },
    metrics,
    signature: m.signature.inputs.map((c) => ({ name: asText(c.name), type: c.type })),
    tolerance: numberOr(m.reproducibility?.tolerance, 0),
    files: Object.entries(files).map(([name, content]) => ({ name, bytes: utf8.encode(content).length })),
    hasScorer: files['predict.mjs'] !== undefined,
    ...(provenance ? { provenance } : {}),
    notes,
  };
}

/** This studio's key and the trusted fingerprints; without IndexedDB, none (every signer unknown). */
async function trustStore(): Promise<TrustStore> {
  try {
    return await studioTrustStore();
  } catch (err) {
    console.warn('bundle worker: the signing keys are unavailable:', err);
    return {};
  }
}

/**
 * An imported bundle: its files checked against the manifest's hashes and its signature (a tampered
 * bundle is refused), then only the listed files kept, without predict.mjs (this studio's own scorer
 * is added on download).
 */
async function imported(files: BundleFiles, source: string): Promise<ImportedBundle> {
  const bundle = loadBundle(files);
  const provenance = describeProvenance(await verifyBundleSignature(files, await trustStore()));
  const kept = importableFiles(bundle.manifest, files);
  return { summary: summarize(bundle, kept, source, provenance), files: kept.files };
}

/** The prediction table's first rows as display text (class labels unescaped: this is not a CSV). */
function previewRows(bundle: LoadedBundle, values: Float64Array, labels: Int32Array | undefined, n: number) {
  const classes = bundle.manifest.classes;
  const rows: string[][] = [];
  const k = bundle.manifest.task === 'regression' || !classes ? 1 : classes.length;
  for (let r = 0; r < Math.min(n, SCORE_PREVIEW_ROWS); r++) {
    const cells: string[] = [];
    for (let c = 0; c < k; c++) cells.push(String(values[r * k + c]));
    if (k > 1 && labels) cells.push(classes![labels[r]]);
    rows.push(cells);
  }
  return rows;
}

/** Bundle files signed with this studio's key; unsigned (with a console note) when no key is available. */
async function signed<T extends string | Uint8Array>(
  files: Readonly<Record<string, T>>,
): Promise<Readonly<Record<string, T | string>>> {
  let signer;
  try {
    signer = await studioSigner();
  } catch (err) {
    console.warn('bundle worker: no signing key, the bundle is not signed:', err);
    return files;
  }
  return signBundleFiles(files, signer);
}

/** The related tables of a model on recipe features, each read as the features worker read it. */
async function readTables(inputs: Readonly<Record<string, LoadInput>> | undefined): Promise<Tables> {
  const out: Record<string, Table> = {};
  for (const [name, input] of Object.entries(inputs ?? {}))
    out[name] = (await ingestCsv(sourceOf(input))).table;
  return out;
}

const api: BundleWorkerApi = {
  async readZip(bytes, name) {
    try {
      const data = new Uint8Array(bytes);
      if (!looksLikeZip(data)) throw new BundleError(`${name} is not a zip file`);
      return { ok: true, value: await imported(readBundleZip(data), name) };
    } catch (err) {
      const f = failure(err, name, unreadable(name));
      return {
        ok: false,
        // The file's name once: "empty.zip is not a zip file", "… CRC mismatch (model.zip)".
        error:
          err instanceof BundleError && !f.message.startsWith(name)
            ? { ...f, message: `${f.message} (${name})` }
            : f,
      };
    }
  },

  async inspect(files, name) {
    try {
      return { ok: true, value: await imported(files, name) };
    } catch (err) {
      return { ok: false, error: failure(err, name, unreadable(name)) };
    }
  },

  async monitor(files, csv, options = {}) {
    const source = sourceOf(csv);
    const loaded = loadOrFail(files);
    if (!loaded.ok) return loaded;
    const bundle = loaded.value;
    try {
      const result = await monitorBatch(bundle, source, {
        ...(!bundle.reference && options.reference ? { referenceSource: sourceOf(options.reference) } : {}),
        ...(options.tables ? { tables: await readTables(options.tables) } : {}),
        date: {
          ...(options.userTime !== undefined ? { userTime: options.userTime } : {}),
          ...(csv instanceof Blob && 'lastModified' in csv ? { fileTime: csv.lastModified } : {}),
        },
      });
      return {
        ok: true,
        value: {
          result,
          summary: monitoringSummary(result),
          bundleSha256: sha256Hex(files['manifest.json'] ?? ''),
        },
      };
    } catch (err) {
      if (err instanceof MonitorInputError)
        return { ok: false, error: { code: 'data', message: err.message } };
      return { ok: false, error: failure(err, source.name) };
    }
  },

  async combineTraining(files, training, batches) {
    const loaded = loadOrFail(files);
    if (!loaded.ok) return loaded;
    const bundle = loaded.value;
    try {
      const combined = await combineTrainingData(
        [
          { role: 'training', source: sourceOf(training) },
          ...batches.map((b) => ({
            role: 'batch' as const,
            source: sourceOf(b.input),
            ...(b.batchTime !== undefined ? { batchTime: b.batchTime } : {}),
          })),
        ],
        { target: bundle.manifest.target, types: trainingTypes(bundle.manifest) },
      );
      const bytes = combined.csv.buffer.slice(
        combined.csv.byteOffset,
        combined.csv.byteOffset + combined.csv.byteLength,
      ) as ArrayBuffer;
      return transfer(
        {
          ok: true as const,
          value: {
            name: combined.name,
            bytes,
            rows: combined.rows,
            lineage: combined.lineage,
            notes: combined.notes,
          },
        },
        [bytes],
      );
    } catch (err) {
      if (err instanceof RetrainInputError)
        return { ok: false, error: { code: 'data', message: err.message } };
      return { ok: false, error: failure(err, 'the retraining data') };
    }
  },

  async score(files, csv, options = {}) {
    const source = sourceOf(csv);
    const loaded = loadOrFail(files);
    if (!loaded.ok) return loaded;
    const bundle = loaded.value;
    try {
      let scored;
      const tables = await readTables(options.tables);
      // a related table missing (or given to a model without a recipe) is named
      checkScoringTables(bundle, tables);
      if (bundle.features) {
        // Recipe features: the rows to score are the recipe's target table; the features are
        // computed from the related tables with the recorded recipe (src/core/features/score.ts).
        const r = await scoreWithFeatures(bundle, source, tables);
        scored = {
          data: r.data,
          ignored: r.ignored,
          mismatches: r.mismatches,
          notes: r.notes,
          p: r.predictions,
        };
      } else {
        const { data, ignored } = await readForScoring(bundle, source);
        const { mismatches, notes } = scoringNotes(bundle, data, ignored);
        scored = { data, ignored, mismatches, notes, p: predictTable(bundle, data.table) };
      }
      const { data, ignored, mismatches, notes, p } = scored;
      const classes = bundle.manifest.classes;
      const header =
        bundle.manifest.task === 'regression' || !classes ? ['prediction'] : [...classes, 'prediction'];
      // A file with the target (e.g. a test split) is evaluated too.
      const evaluation = evaluateScored({
        task: bundle.manifest.task,
        ...(classes ? { classes } : {}),
        target: bundle.manifest.target,
        table: data.table,
        values: p.values,
      });
      // With reasons: the top N contributions per row, as `cli predict --explain --top N`.
      let reasons: ScoreOutcome['reasons'];
      let faithful = predictionsCsv(bundle, p);
      let spreadsheet = predictionsCsv(bundle, p, { spreadsheet: true });
      if (options.reasons) {
        const ex = explainRows(bundle, data.table);
        const rr = rowReasons(ex, data.table, p, options.reasons);
        faithful = withReasonsCsv(faithful, ex, rr, options.reasons);
        spreadsheet = withReasonsCsv(spreadsheet, ex, rr, options.reasons, spreadsheetLine);
        reasons = {
          description: ex.description,
          notes: ex.notes,
          preview: rr.slice(0, SCORE_PREVIEW_ROWS).map((r) => ({
            ...(r.explainedClass !== undefined ? { explainedClass: r.explainedClass } : {}),
            reasons: r.reasons.map((x) => ({
              column: x.column,
              value: x.value,
              contribution: x.contribution,
            })),
          })),
        };
      }
      const value: ScoreOutcome = {
        source: source.name,
        task: bundle.manifest.task,
        ...(classes ? { classes } : {}),
        nRows: p.nRows,
        values: p.values,
        ...(p.labels ? { labels: p.labels } : {}),
        csv: withKeptColumns(faithful, data.table, options.keep ?? []),
        spreadsheetCsv: withKeptColumns(spreadsheet, data.table, options.keep ?? [], spreadsheetLine),
        header,
        preview: previewRows(bundle, p.values, p.labels, p.nRows),
        ignored,
        mismatches,
        notes,
        columns: data.schema.map((c) => c.name),
        ...(evaluation ? { evaluation } : {}),
        ...(reasons ? { reasons } : {}),
      };
      const buffers = [p.values.buffer as ArrayBuffer];
      if (p.labels) buffers.push(p.labels.buffer as ArrayBuffer);
      return transfer({ ok: true as const, value }, buffers);
    } catch (err) {
      // The model itself failing (not the data) is the bundle's fault, never "cannot train".
      if (err instanceof ModelConfigError)
        return {
          ok: false,
          error: { code: 'bundle', message: `the model bundle cannot score ${source.name}: ${err.message}` },
        };
      return {
        ok: false,
        error: failure(
          err,
          source.name,
          `the model bundle could not score ${source.name}: it is damaged or was not made by this studio`,
        ),
      };
    }
  },

  async explain(files, csv, options = {}) {
    const source = sourceOf(csv);
    const loaded = loadOrFail(files);
    if (!loaded.ok) return loaded;
    const bundle = loaded.value;
    try {
      // a model on recipe features: the file is its target table, the features computed from the
      // related tables as Score computes them (src/core/explain/explain-data.ts)
      const { tables, ...view } = options;
      return { ok: true, value: await explainViewOf(bundle, source, await readTables(tables), view) };
    } catch (err) {
      if (err instanceof ModelConfigError)
        return {
          ok: false,
          error: { code: 'bundle', message: `the model cannot explain ${source.name}: ${err.message}` },
        };
      return {
        ok: false,
        error: failure(err, source.name),
      };
    }
  },

  async zip(files, options = {}) {
    try {
      let content = files;
      if (options.complete) {
        const text: Record<string, string> = {};
        for (const [name, v] of Object.entries(files))
          text[name] = typeof v === 'string' ? v : utf8d.decode(v);
        const { scorerSource } = await import('./scorer-source.ts');
        // Always this studio's own scorer: a download never carries code the studio did not build.
        const exported = exportBundleFiles(text, { scorer: await scorerSource(), replace: options.replace });
        content = await signed(exported);
      } else if (options.sign) content = await signed(files);
      const bytes = bundleToZip(content);
      const buffer =
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? (bytes.buffer as ArrayBuffer)
          : (bytes.slice().buffer as ArrayBuffer);
      return transfer({ ok: true as const, value: buffer }, [buffer]);
    } catch (err) {
      return { ok: false, error: failure(err, 'the bundle') };
    }
  },

  async onnx(files) {
    try {
      const bytes = bundleToOnnx(loadBundle(files)).bytes;
      const buffer = bytes.slice().buffer as ArrayBuffer;
      return transfer({ ok: true as const, value: buffer }, [buffer]);
    } catch (err) {
      if (err instanceof OnnxExportError)
        return { ok: false, error: { code: 'bundle', message: err.message } };
      return { ok: false, error: failure(err, 'the bundle', unreadable()) };
    }
  },

  async pythonProject(files, source, folder) {
    try {
      const project = pythonProjectFiles(loadBundle(files), {
        manifestSha256: sha256Hex(files['manifest.json'] ?? ''),
        source,
      });
      const prefix = folder.replace(/[^\w.-]+/g, '_') || 'python-project';
      const bytes = bundleToZip(
        Object.fromEntries(Object.entries(project).map(([name, text]) => [`${prefix}/${name}`, text])),
      );
      const buffer = bytes.slice().buffer as ArrayBuffer;
      return transfer({ ok: true as const, value: buffer }, [buffer]);
    } catch (err) {
      if (err instanceof PythonExportError)
        return { ok: false, error: { code: 'bundle', message: err.message } };
      return { ok: false, error: failure(err, 'the bundle', unreadable()) };
    }
  },

  async verify(files, trainCsv, onProgress, tables) {
    const started = performance.now();
    const source = sourceOf(trainCsv);
    try {
      send(onProgress, { phase: 'load' });
      const bundle = loadBundle(files);
      // who signed it, as `cli reproduce` says (a signature that no longer matches is refused here)
      const provenance = describeProvenance(await verifyBundleSignature(files, await trustStore()));
      let last = 0;
      const nav = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } })
        .navigator;
      const related = await readTables(tables);
      const report = await reproduceBundle(bundle, {
        source,
        ...(Object.keys(related).length ? { tables: related } : {}),
        environment: (backend) => ({
          app: { name: appName, version: appVersion },
          runtime: nav?.userAgent ?? 'unknown browser',
          ...(nav?.hardwareConcurrency ? { cores: nav.hardwareConcurrency } : {}),
          libraries: {},
          backend,
          createdAt: new Date().toISOString(),
        }),
        // TensorFlow.js (linear models, MLPs) only when the refit needs it: WASM, served from the app.
        prepareBackend: async () => {
          const [{ selectBackend }, plain, simd, threaded] = await Promise.all([
            import('../src/core/models/nn/backend.ts'),
            import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'),
            import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'),
            import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'),
          ]);
          return selectBackend('wasm', {
            wasmPaths: {
              'tfjs-backend-wasm.wasm': plain.default,
              'tfjs-backend-wasm-simd.wasm': simd.default,
              'tfjs-backend-wasm-threaded-simd.wasm': threaded.default,
            },
          });
        },
        onPhase: (phase) => send(onProgress, { phase }),
        onReplay: (p) =>
          send(onProgress, {
            phase: 'refit',
            replay:
              p.step === 'trial'
                ? { step: 'trial', trial: p.trial, family: p.family, index: p.index, total: p.total }
                : { step: 'final' },
          }),
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < PROGRESS_INTERVAL_MS) return;
          last = now;
          send(onProgress, {
            phase: 'read',
            bytesRead: p.bytesRead,
            ...(p.totalBytes !== undefined ? { totalBytes: p.totalBytes } : {}),
          });
        },
      });
      return {
        ok: true,
        value: {
          verdict: report.verdict,
          reproduced: report.reproduced,
          fingerprint: report.fingerprint,
          tolerance: report.tolerance,
          firstDifference: report.firstDifference,
          maxDifference: report.maxDifference,
          metrics: report.metrics,
          rows: report.rows,
          notes: report.notes,
          explanation: report.explanation,
          lines: report.lines,
          provenance,
          seconds: (performance.now() - started) / 1000,
        },
      };
    } catch (err) {
      return { ok: false, error: failure(err, source.name) };
    } finally {
      release(onProgress);
    }
  },
};

expose(api);
