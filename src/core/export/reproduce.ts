/**
 * Verify by replay: train a bundle's model again from its manifest alone on the given data and
 * compare. Checks the data fingerprint (SHA-256 of the raw bytes) against the manifest, refits (a
 * `fit` bundle: the same pipeline, family, hyperparameters, holdout and seed; an `automl` bundle:
 * the recorded trial list replayed with the recorded split plan, sampler, halving and seed, then the
 * same refit and ensemble), and compares the predictions on the data and the validation metrics.
 *
 * Shared by `cli reproduce` and the browser's bundle worker, so both give the same verdict. Runtime
 * specifics come in as options: the hasher, the environment facts, how to start TensorFlow.js.
 */
import { ingestCsv } from '../ingest/index.ts';
import type { ByteSource, IngestOptions, IngestResult } from '../ingest/types.ts';
import type { SemanticType } from '../data/table.ts';
import {
  createBundleFiles,
  createSearchBundleFiles,
  loadBundle,
  predictTable,
  type BundleEnvironment,
  type LoadedBundle,
} from './bundle.ts';
import { upgradeManifest } from './package.ts';

export type ReproducePhase = 'read' | 'backend' | 'refit' | 'compare';

export interface ReproduceOptions {
  /** The data the bundle was trained on (the fingerprint tells whether it is the same file). */
  readonly source: ByteSource;
  /** How the data file is named in the report (default: the source's name). */
  readonly dataLabel?: string;
  readonly createHasher?: IngestOptions['createHasher'];
  /** The environment facts recorded in the reproduction's own manifest (not compared). */
  readonly environment: (backend: BundleEnvironment['backend']) => BundleEnvironment;
  /**
   * Starts TensorFlow.js before refitting a linear model or MLP, or replaying a search (browsers
   * pass their wasm paths). Default for a fit bundle: `selectBackend('auto')`; a search starts its
   * own when it needs one.
   */
  readonly prepareBackend?: () => Promise<unknown>;
  readonly onProgress?: IngestOptions['onProgress'];
  readonly onPhase?: (phase: ReproducePhase) => void;
}

/** The data cannot be used for a reproduction at all (e.g. it lacks the target column). */
export class ReproduceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReproduceInputError';
  }
}

export type ReproduceDifference =
  | { readonly row: number; readonly column: string; readonly expected: string; readonly got: string }
  | {
      readonly classes: {
        readonly expected: readonly string[] | null;
        readonly got: readonly string[] | null;
      };
    };

export interface MetricDifference {
  readonly metric: string;
  readonly expected: number | null;
  readonly got: number | null;
}

export interface ReproduceReport {
  readonly verdict: 'reproduced' | 'not reproduced';
  readonly reproduced: boolean;
  readonly fingerprint: {
    readonly same: boolean;
    readonly expected: string;
    readonly got: string;
    readonly expectedRows: number;
    readonly gotRows: number;
  };
  /** Largest prediction difference that counts as the same (0: bit-identical). */
  readonly tolerance: number;
  /** The first differing prediction (1-based data row), or differing class lists; null when none. */
  readonly firstDifference: ReproduceDifference | null;
  /** Largest absolute difference between finite predictions. */
  readonly maxDifference: number;
  /** Validation metrics that differ (beyond the tolerance). */
  readonly metrics: readonly MetricDifference[];
  /** Every validation metric compared. */
  readonly metricNames: readonly string[];
  readonly rows: number;
  /** Remarks, e.g. a search stopped by its clock is replayed without it. */
  readonly notes: readonly string[];
  /** The report in words, one finding a line, ending with `verdict: …` (what `cli reproduce` prints). */
  readonly lines: readonly string[];
}

/** Reads the data as the training data was read: the user's type choices again. */
async function readTrainingData(
  manifest: LoadedBundle['manifest'],
  options: ReproduceOptions,
): Promise<IngestResult> {
  const readWith = (types: Record<string, SemanticType>) =>
    ingestCsv(options.source, {
      ...(options.createHasher ? { createHasher: options.createHasher } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      typeOverrides: types,
    });
  const chosen = Object.fromEntries(
    manifest.dataset.schema.filter((c) => c.overridden).map((c) => [c.name, c.type]),
  );
  let data = await readWith(chosen);
  const typeOf = new Map(manifest.dataset.schema.map((c) => [c.name, c.type]));
  if (data.schema.some((c) => typeOf.has(c.name) && typeOf.get(c.name) !== c.type)) {
    // Changed data can change what inference sees: read every known column with its training type.
    const all = Object.fromEntries(
      data.schema.filter((c) => typeOf.has(c.name)).map((c) => [c.name, typeOf.get(c.name)!]),
    );
    data = await readWith(all);
  }
  return data;
}

/**
 * Refits the bundle's model from its manifest on `options.source` and compares. Throws
 * ReproduceInputError when the data lacks the target, TrainingError (src/core/train/target.ts) when
 * it cannot be trained on, IngestError when it cannot be read.
 */
export async function reproduceBundle(
  bundle: LoadedBundle,
  options: ReproduceOptions,
): Promise<ReproduceReport> {
  const manifest = bundle.manifest.formatVersion === 1 ? upgradeManifest(bundle.manifest) : bundle.manifest;
  const training = manifest.training!;
  const tolerance = manifest.reproducibility?.tolerance ?? 0;
  const label = options.dataLabel ?? options.source.name;

  options.onPhase?.('read');
  const data = await readTrainingData(manifest, options);
  if (!data.schema.some((c) => c.name === manifest.target))
    throw new ReproduceInputError(`target column '${manifest.target}' not found`);
  const fingerprintSame = data.fingerprint.sha256 === manifest.dataset.sha256;
  const lines: string[] = [];
  const notes: string[] = [];
  lines.push(
    fingerprintSame
      ? `data fingerprint matches: sha256 ${data.fingerprint.sha256}`
      : `data fingerprint differs: manifest sha256 ${manifest.dataset.sha256} (${manifest.dataset.rows} rows), ` +
          `${label} sha256 ${data.fingerprint.sha256} (${data.fingerprint.rows} rows)`,
  );

  const dataset = { name: data.sourceName, fingerprint: data.fingerprint, schema: data.schema };
  const env = options.environment(manifest.backend);
  let files: Record<string, string>;
  let newMetrics: Record<string, number>;
  if (manifest.search) {
    const s = manifest.search;
    if (s.stoppedBy !== 'maxTrials') {
      const note = `the search was stopped by ${s.stoppedBy}; the replay runs the same ${s.replay.length} trials without the clock`;
      notes.push(note);
      lines.push(`note: ${note}`);
    }
    if (options.prepareBackend && s.families.some((f) => f === 'linear' || f === 'mlp')) {
      options.onPhase?.('backend');
      await options.prepareBackend();
    }
    options.onPhase?.('refit');
    const { runSearch } = await import('../search/runner.ts');
    const result = await runSearch({
      table: data.table,
      target: manifest.target,
      task: manifest.task,
      families: s.families,
      metric: s.metric,
      seed: s.seed,
      maxTrials: s.replay.length,
      replay: s.replay,
      sampler: s.sampler,
      folds: s.split.strategy === 'kfold' ? s.split.folds : 1,
      ...(s.split.validFraction !== undefined ? { holdoutFraction: s.split.validFraction } : {}),
      halving:
        s.halving === false
          ? false
          : { reductionFactor: s.halving.reductionFactor, minPeers: s.halving.minPeers },
      ...(s.execution?.batchSize !== undefined ? { batchSize: s.execution.batchSize } : {}),
      marginFraction: s.budget.marginFraction,
      exclude: training.exclude,
    });
    files = createSearchBundleFiles(result, dataset, env, { exclude: training.exclude });
    newMetrics = JSON.parse(files['manifest.json']).metrics.validation;
  } else {
    const { trainModel } = await import('../train/train.ts');
    const { resolveFamily, TF_FAMILIES } = await import('../train/families.ts');
    const family = resolveFamily(manifest.model.family);
    if (TF_FAMILIES.has(family)) {
      options.onPhase?.('backend');
      await (options.prepareBackend
        ? options.prepareBackend()
        : import('../models/nn/backend.ts').then((m) => m.selectBackend('auto')));
    }
    options.onPhase?.('refit');
    const trained = await trainModel({
      table: data.table,
      target: manifest.target,
      task: manifest.task,
      family,
      params: manifest.model.config,
      seed: manifest.seed,
      validFraction: training.validFraction ?? 0.2,
      exclude: training.exclude,
    });
    files = createBundleFiles(trained, dataset, env, { exclude: training.exclude });
    newMetrics = { ...trained.metrics.validation };
  }
  options.onPhase?.('compare');
  const again = loadBundle(files);

  // Predictions of the bundle and of the reproduction on the same rows.
  const classes = manifest.classes;
  const sameClasses = JSON.stringify(classes ?? null) === JSON.stringify(again.manifest.classes ?? null);
  let difference: ReproduceDifference | null = null;
  let maxAbs = 0;
  if (!sameClasses) {
    difference = { classes: { expected: classes ?? null, got: again.manifest.classes ?? null } };
  } else {
    const a = predictTable(bundle, data.table);
    const b = predictTable(again, data.table);
    const k = manifest.task === 'regression' || !classes ? 1 : classes.length;
    for (let i = 0; i < a.values.length; i++) {
      const x = a.values[i];
      const y = b.values[i];
      const same = tolerance === 0 ? Object.is(x, y) : Math.abs(x - y) <= tolerance || Object.is(x, y);
      if (Number.isFinite(x) && Number.isFinite(y)) maxAbs = Math.max(maxAbs, Math.abs(x - y));
      if (!same && difference === null) {
        const row = Math.floor(i / k);
        difference = {
          row: row + 1,
          column: k === 1 ? 'prediction' : classes![i % k],
          expected: String(x),
          got: String(y),
        };
      }
    }
    if (difference === null && a.labels && b.labels) {
      for (let r = 0; r < a.nRows; r++) {
        if (a.labels[r] !== b.labels[r]) {
          difference = {
            row: r + 1,
            column: 'prediction',
            expected: classes![a.labels[r]],
            got: classes![b.labels[r]],
          };
          break;
        }
      }
    }
  }
  const metricDiffs: MetricDifference[] = [];
  const oldMetrics = manifest.metrics.validation as Record<string, number | null>;
  for (const [name, expected] of Object.entries(oldMetrics)) {
    const got = newMetrics[name];
    const e = expected === null ? NaN : expected;
    const same =
      Object.is(e, got) || (Number.isNaN(e) && Number.isNaN(got)) || Math.abs(e - got) <= tolerance;
    if (!same) metricDiffs.push({ metric: name, expected, got: Number.isFinite(got) ? got : null });
  }
  const reproduced = fingerprintSame && difference === null && metricDiffs.length === 0;

  if (difference === null) {
    lines.push(
      `predictions on ${data.table.nRows} rows: ${tolerance === 0 ? 'bit-identical' : `within tolerance ${tolerance} (largest difference ${maxAbs})`}`,
    );
  } else if ('classes' in difference) {
    lines.push(
      `classes differ: expected ${JSON.stringify(difference.classes.expected)}, got ${JSON.stringify(difference.classes.got)}`,
    );
  } else {
    lines.push(
      `first differing prediction: row ${difference.row}, column ${difference.column}: expected ${difference.expected}, got ${difference.got}`,
    );
  }
  if (metricDiffs.length)
    for (const d of metricDiffs)
      lines.push(`validation ${d.metric} differs: expected ${d.expected ?? 'n/a'}, got ${d.got ?? 'n/a'}`);
  else lines.push(`validation metrics match (${Object.keys(oldMetrics).join(', ')})`);
  lines.push(reproduced ? 'verdict: reproduced' : 'verdict: not reproduced');

  return {
    verdict: reproduced ? 'reproduced' : 'not reproduced',
    reproduced,
    fingerprint: {
      same: fingerprintSame,
      expected: manifest.dataset.sha256,
      got: data.fingerprint.sha256,
      expectedRows: manifest.dataset.rows,
      gotRows: data.fingerprint.rows,
    },
    tolerance,
    firstDifference: difference,
    maxDifference: maxAbs,
    metrics: metricDiffs,
    metricNames: Object.keys(oldMetrics),
    rows: data.table.nRows,
    notes,
    lines,
  };
}
