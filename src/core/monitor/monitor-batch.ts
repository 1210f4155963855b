/**
 * The monitoring use case for one batch, shared by the CLI (and, later, the browser's worker): read
 * the batch as the model's training data was read, score it, compare it with the model's reference
 * (the training data itself when given — exact statistics — else the profile stored in the
 * bundle), and measure or estimate performance.
 *
 * With the training data as reference, the reference predictions are the model's predictions on
 * those rows (in-sample: a model fits its training rows better, which the prediction-drift test
 * reads as a slightly sharper reference; stated in the notes).
 */
import { StudioError } from '../errors.ts';
import { cellText, columnByName, type Column, type Table } from '../data/table.ts';
import type { ByteSource, IngestOptions } from '../ingest/types.ts';
import {
  droppedColumns,
  predictTable,
  signatureTypes,
  type LoadedBundle,
  type Predictions,
} from '../export/bundle.ts';
import { ingestCsv } from '../ingest/ingest.ts';
import { MissingColumnsError, readForScoring } from '../export/score.ts';
import { DEFAULT_METRIC } from '../metrics/evaluate.ts';
import { decisionSpec } from '../train/decision.ts';
import type { SemanticType } from '../data/table.ts';
import { tableDifferences } from '../features/spec.ts';
import { checkScoringTables, recipeReadTypes, withBundleFeatures } from '../features/score.ts';
import { FeatureError, type Tables } from '../features/types.ts';
import { buildReference, predictionsColumn, type ReferenceProfile } from './reference.ts';
import { driftReport, type DriftReport, type DriftReportOptions } from './report.ts';
import { BatchDateError, batchDate, type BatchDate, type BatchDateOptions } from './batch-date.ts';
import {
  actualPerformance,
  estimatedPerformance,
  type ActualPerformance,
  type EstimatedPerformance,
  type PredictedLabels,
} from './performance.ts';
import { positiveIndexOf } from '../train/decision.ts';

export interface MonitorBatchOptions extends Pick<IngestOptions, 'createHasher' | 'onProgress' | 'signal'> {
  /** The training data: statistics are then computed on it rather than on a stored profile. */
  readonly referenceSource?: ByteSource;
  /** A reference profile, used when no reference data is given (default: the bundle's reference.json). */
  readonly referenceProfile?: ReferenceProfile;
  readonly driftShare?: number;
  readonly overrides?: DriftReportOptions['overrides'];
  /** How to date the batch (see batch-date.ts): a date column, else the user's date, else the file's time. */
  readonly date?: Partial<BatchDateOptions>;
  /**
   * A model on recipe features: the related tables by the recipe's names. The batch (and the reference
   * data) hold rows of the recipe's target table; the features are computed as `predict --table` does.
   */
  readonly tables?: Tables;
}

export interface MonitorBatchResult {
  readonly batch: {
    readonly name: string;
    readonly rows: number;
    readonly sha256: string;
    /** When the batch's data is from, and how that was decided. */
    readonly date: BatchDate;
  };
  readonly reference: {
    readonly basis: 'training data' | 'stored profile';
    readonly name?: string;
    readonly rows: number;
    readonly sha256?: string;
  };
  readonly model: { readonly task: string; readonly target: string; readonly metric: string };
  readonly drift: DriftReport;
  readonly performance?: ActualPerformance | EstimatedPerformance;
  readonly notes: readonly string[];
}

export class MonitorInputError extends StudioError {
  readonly kind = 'data';
}

/** The model's predictions as one column: P(positive class), the predicted label, or the value. */
export function predictionColumn(bundle: LoadedBundle, p: Predictions): Column {
  const { task, classes } = bundle.manifest;
  return predictionsColumn(task, classes, p.values, p.nRows, p.labels);
}

/** Class indices (classification) or values (regression) of a target column; NaN when missing or unknown. */
export function targetValues(
  bundle: LoadedBundle,
  col: Column,
): { y: Float64Array; unknown: Map<string, number> } {
  const n = col.storage === 'dict' ? col.codes.length : col.values.length;
  const y = new Float64Array(n).fill(NaN);
  const unknown = new Map<string, number>();
  if (bundle.manifest.task === 'regression') {
    if (col.storage === 'float64') y.set(col.values);
    else for (let i = 0; i < n; i++) y[i] = Number(cellText(col, i) || NaN);
    return { y, unknown };
  }
  const index = new Map((bundle.manifest.classes ?? []).map((c, k) => [String(c), k]));
  for (let i = 0; i < n; i++) {
    const t = cellText(col, i);
    if (t === '') continue;
    const k = index.get(t);
    if (k === undefined) unknown.set(t, (unknown.get(t) ?? 0) + 1);
    else y[i] = k;
  }
  return { y, unknown };
}

/** The labels `predict` gave (its decision threshold / positive class), for the label metrics. */
export function predictedLabels(bundle: LoadedBundle, p: Predictions): PredictedLabels | undefined {
  const { task, classes, decision } = bundle.manifest;
  if (task === 'regression' || !p.labels) return undefined;
  const positiveIndex =
    task === 'binary' && decision && classes ? positiveIndexOf(classes, decision.positiveClass) : 1;
  return {
    labels: p.labels,
    ...(task === 'binary' ? { positiveIndex } : {}),
    ...(classes ? { classes } : {}),
  };
}

function pickIngest(o: MonitorBatchOptions): Pick<IngestOptions, 'createHasher' | 'onProgress' | 'signal'> {
  return {
    ...(o.createHasher ? { createHasher: o.createHasher } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

/** The types a file of the model's rows is read with: the signature's, or for a model on recipe
 * features the training file's own columns (the features are computed, not read). */
function readTypes(bundle: LoadedBundle): Record<string, SemanticType> {
  return bundle.features ? recipeReadTypes(bundle) : signatureTypes(bundle);
}

/** The table with the recipe's features computed (a model on recipe features), and the build's notes. */
function withRecipe(bundle: LoadedBundle, table: Table, tables: Tables): { table: Table; notes: string[] } {
  if (!bundle.features) return { table, notes: [] };
  try {
    const out = withBundleFeatures(bundle, table, tables);
    return { table: out.table, notes: [...out.warnings] };
  } catch (err) {
    if (err instanceof FeatureError) throw new MonitorInputError(err.message);
    throw err;
  }
}

async function read(bundle: LoadedBundle, source: ByteSource, options: MonitorBatchOptions, role: string) {
  if (bundle.features) {
    const data = await ingestCsv(source, { ...pickIngest(options), typeOverrides: readTypes(bundle) });
    return { data: { ...data, table: withRecipe(bundle, data.table, options.tables ?? {}).table } };
  }
  try {
    return await readForScoring(bundle, source, pickIngest(options));
  } catch (err) {
    if (err instanceof MissingColumnsError) {
      throw new MonitorInputError(`${role} ${source.name} ${err.message}`);
    }
    throw err;
  }
}

export async function monitorBatch(
  bundle: LoadedBundle,
  batchSource: ByteSource,
  options: MonitorBatchOptions = {},
): Promise<MonitorBatchResult> {
  const { manifest } = bundle;
  const notes: string[] = [];
  const inputs = manifest.signature.inputs.map((c) => c.name);
  const task = manifest.task;
  const metric = manifest.search?.metric ?? DEFAULT_METRIC[task];

  // The batch is read with the training types; a batch lacking model columns is still compared on
  // the columns it has (the model cannot score it, so no prediction drift or performance).
  if (bundle.features || options.tables)
    try {
      checkScoringTables(bundle, options.tables ?? {});
    } catch (err) {
      if (err instanceof FeatureError) throw new MonitorInputError(err.message);
      throw err;
    }
  const batch = await ingestCsv(batchSource, {
    ...pickIngest(options),
    typeOverrides: readTypes(bundle),
  });
  let batchTable: Table = batch.table;
  if (bundle.features && batchTable.nRows > 0) {
    // the recipe's features of the batch's rows, from the related tables given
    const built = withRecipe(bundle, batchTable, options.tables ?? {});
    batchTable = built.table;
    notes.push(...tableDifferences(bundle.features, options.tables ?? {}), ...built.notes);
  }
  if (batchTable.nRows === 0) throw new MonitorInputError(`the batch ${batchSource.name} has no rows`);
  if (batchTable.nRows < 30) {
    notes.push(
      `the batch has only ${batchTable.nRows} rows: tests have little power and distances are noisy`,
    );
  }
  let date: BatchDate;
  try {
    date = batchDate(batchTable, { now: Date.now(), ...options.date });
  } catch (err) {
    if (err instanceof BatchDateError) throw new MonitorInputError(err.message);
    throw err;
  }
  const dropped = droppedColumns(bundle);
  const lacking = inputs.filter((n) => !dropped.has(n) && !columnByName(batchTable, n));
  if (inputs.length && inputs.every((n) => !columnByName(batchTable, n))) {
    const shown = inputs.slice(0, 6).join(', ') + (inputs.length > 6 ? ', …' : '');
    throw new MonitorInputError(
      `the batch ${batchSource.name} has none of the model's columns (${shown}): is it data for this model?`,
    );
  }
  const batchPred = lacking.length ? undefined : predictTable(bundle, batchTable);
  if (lacking.length) {
    notes.push(
      `the model cannot score this batch: it lacks ${lacking.join(', ')} (drift is shown for the other columns)`,
    );
  }

  let reference: ReferenceProfile;
  let referenceData: Table | undefined;
  let referenceInfo: MonitorBatchResult['reference'];
  if (options.referenceSource) {
    const ref = await read(bundle, options.referenceSource, options, 'the reference data');
    referenceData = ref.data.table;
    const targetCol = columnByName(referenceData, manifest.target);
    reference = buildReference(referenceData, {
      columns: inputs.filter((n) => columnByName(referenceData!, n)),
      ...(targetCol ? { target: manifest.target } : {}),
      predictions: predictionColumn(bundle, predictTable(bundle, referenceData)),
    });
    notes.push('reference predictions are the model’s predictions on its training rows (in-sample)');
    referenceInfo = {
      basis: 'training data',
      name: options.referenceSource.name,
      rows: referenceData.nRows,
      sha256: ref.data.fingerprint.sha256,
    };
  } else if (options.referenceProfile ?? bundle.reference) {
    reference = (options.referenceProfile ?? bundle.reference)!;
    referenceInfo = { basis: 'stored profile', rows: reference.rows };
  } else {
    throw new MonitorInputError(
      'this bundle has no stored reference profile (made before monitoring existed): give the training data as the reference',
    );
  }

  const hasTarget = columnByName(batchTable, manifest.target) !== undefined;
  const drift = driftReport({
    reference,
    batch: batchTable,
    ...(referenceData ? { referenceData } : {}),
    ...(batchPred ? { predictions: predictionColumn(bundle, batchPred) } : {}),
    ...(hasTarget ? { target: manifest.target } : {}),
    ...(options.driftShare !== undefined ? { driftShare: options.driftShare } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });

  // A binary model with a decision: the batch's label metrics are those of the labels predict gives
  // (its threshold and positive class). A fit's validation metrics were computed the same way, as are
  // a search's with `metrics.labelsAt: 'decision'`; an older search's at 0.5 for class 1, so its label
  // metrics (and PR AUC of another positive class) have no validation value to compare with.
  const decision =
    task === 'binary' && manifest.decision && manifest.classes
      ? decisionSpec(manifest.classes, manifest.decision)
      : undefined;
  const notComparable =
    decision &&
    manifest.search &&
    manifest.metrics.labelsAt !== 'decision' &&
    (decision.threshold !== 0.5 || decision.positiveIndex !== 1)
      ? new Set(['accuracy', 'f1', 'balanced_accuracy', ...(decision.positiveIndex !== 1 ? ['pr_auc'] : [])])
      : new Set<string>();
  const validation = Object.fromEntries(
    Object.entries(manifest.metrics.validation)
      .filter(([k]) => !notComparable.has(k))
      .map(([k, v]) => [k, { mean: v }]),
  );
  const nClasses = manifest.classes?.length ?? 1;
  let performance: MonitorBatchResult['performance'];
  if (!batchPred) {
    // Nothing to measure without predictions.
  } else if (hasTarget) {
    const { y, unknown } = targetValues(bundle, columnByName(batchTable, manifest.target)!);
    if (unknown.size) {
      const list = [...unknown].slice(0, 5).map(([v, c]) => `"${v}" (${c} rows)`);
      notes.push(
        `target values the model never saw in training were left out of the metrics: ${list.join(', ')}${unknown.size > 5 ? ', …' : ''}`,
      );
    }
    if (y.some((v) => !Number.isNaN(v))) {
      performance = actualPerformance(
        task,
        y,
        batchPred.values,
        nClasses,
        metric,
        validation,
        predictedLabels(bundle, batchPred),
      );
    } else {
      notes.push('no row of the batch has a usable target value: performance not measured');
    }
  } else if (task !== 'regression') {
    // The calibration map is the bundle's (a reference built from data has no predictions to fit one).
    const calibration = (options.referenceProfile ?? bundle.reference)?.calibration;
    performance = estimatedPerformance(task, batchPred.values, batchTable.nRows, nClasses, validation, {
      ...(calibration ? { calibration } : {}),
      ...(predictedLabels(bundle, batchPred) ? { predicted: predictedLabels(bundle, batchPred)! } : {}),
    });
  } else {
    notes.push('regression without the target: performance cannot be estimated, only drift');
  }
  return {
    batch: { name: batchSource.name, rows: batchTable.nRows, sha256: batch.fingerprint.sha256, date },
    reference: referenceInfo,
    model: { task, target: manifest.target, metric },
    drift,
    ...(performance ? { performance } : {}),
    notes,
  };
}
