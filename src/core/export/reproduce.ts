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
import { StudioError, type ErrorKind } from '../errors.ts';
import { ingestCsv } from '../ingest/index.ts';
import type { ByteSource, IngestOptions, IngestResult } from '../ingest/types.ts';
import type { SemanticType } from '../data/table.ts';
import {
  createBundleFiles,
  createSearchBundleFiles,
  droppedColumns,
  loadBundle,
  predictTable,
  type BundleEnvironment,
  type BundleManifest,
  type LoadedBundle,
} from './bundle.ts';
import { requestOf, type DecisionRequest } from '../train/decision.ts';
import { upgradeManifest } from './package.ts';
import type { Tables } from '../features/types.ts';
import type { FeaturesRecord } from '../features/spec.ts';
import type { MathMode } from '../util/portable-math.ts';

/** Relative difference within which a recomputed validation metric is the recorded one (a few ulps). */
export const METRIC_RELATIVE_ULPS = 1e-12;
export type ReproducePhase = 'read' | 'backend' | 'refit' | 'compare';

/**
 * Progress of the training step: a search replay reports each recorded trial as it starts
 * (`trial` = its number, `index` = 1-based position among `total`), then the final refit.
 */
export type ReplayProgress =
  | {
      readonly step: 'trial';
      readonly trial: number;
      readonly family: string;
      readonly index: number;
      readonly total: number;
    }
  | { readonly step: 'refit' };

/** The reproduction was cancelled through `ReproduceOptions.signal`. */
export class ReproduceCancelledError extends StudioError {
  readonly kind = 'cancelled';
  constructor() {
    super('the reproduction was cancelled');
    this.name = 'ReproduceCancelledError';
  }
}

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
  /** Which trial of how many is being replayed, then the refit (see `ReplayProgress`). */
  readonly onReplay?: (progress: ReplayProgress) => void;
  /** Cancels the reproduction (it rejects with `ReproduceCancelledError` at the next round). */
  readonly signal?: AbortSignal;
  /**
   * A model trained on recipe features: the related tables by name (the source is the recipe's
   * target table). Each must be given; one that differs from the table trained on (rows, content)
   * makes the verdict "not reproduced", said in words.
   */
  readonly tables?: Tables;
}

/**
 * The input cannot be used for a reproduction at all: the data (it lacks the target or a column the
 * model needs) or the bundle (its search record lacks fields the replay reads); `subject` says which.
 */
export class ReproduceInputError extends StudioError {
  readonly kind: ErrorKind;
  readonly subject: 'data' | 'bundle';
  constructor(message: string, subject: 'data' | 'bundle' = 'data') {
    super(message);
    this.name = 'ReproduceInputError';
    this.kind = subject;
    this.subject = subject;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * What is wrong with a manifest's `search` record for a replay: every field the replay reads, as
 * `search.…` paths (missing first, then malformed). The published schema requires fewer fields
 * than a replay needs (halving, stoppedBy, budget.marginFraction, split.strategy), so a
 * schema-valid manifest can still lack them.
 */
export function searchReplayProblems(search: unknown): { missing: string[]; invalid: string[] } {
  const missing: string[] = [];
  const invalid: string[] = [];
  const s = isObject(search) ? search : {};
  const check = (path: string, v: unknown, ok: boolean, what: string) => {
    if (v === undefined) missing.push(path);
    else if (!ok) invalid.push(`${path} must be ${what}`);
  };
  check('search.metric', s.metric, isText(s.metric), 'a metric name');
  check('search.seed', s.seed, Number.isInteger(s.seed), 'an integer');
  check(
    'search.families',
    s.families,
    Array.isArray(s.families) && s.families.length > 0 && s.families.every(isText),
    'a non-empty list of family names',
  );
  check('search.sampler', s.sampler, isText(s.sampler), 'a sampler name');
  if (s.trialScoring !== undefined)
    check(
      'search.trialScoring',
      s.trialScoring,
      s.trialScoring === 'no-peek' || s.trialScoring === 'own-fold',
      "'no-peek' or 'own-fold'",
    );
  check('search.replay', s.replay, Array.isArray(s.replay), 'a list of trials');
  check(
    'search.stoppedBy',
    s.stoppedBy,
    s.stoppedBy === 'maxTrials' || s.stoppedBy === 'deadline' || s.stoppedBy === 'aborted',
    "'maxTrials', 'deadline' or 'aborted'",
  );
  check('search.split', s.split, isObject(s.split), 'an object');
  if (isObject(s.split)) {
    const split = s.split;
    check(
      'search.split.strategy',
      split.strategy,
      split.strategy === 'kfold' || split.strategy === 'holdout',
      "'kfold' or 'holdout'",
    );
    if (split.strategy === 'kfold')
      check(
        'search.split.folds',
        split.folds,
        Number.isInteger(split.folds) && (split.folds as number) >= 2,
        'an integer >= 2',
      );
    if (split.timeOrder !== undefined)
      check(
        'search.split.timeOrder',
        split.timeOrder,
        isObject(split.timeOrder) && isText(split.timeOrder.column),
        'an object naming the time column ({"column": NAME})',
      );
    if (split.validFraction !== undefined)
      check(
        'search.split.validFraction',
        split.validFraction,
        isNumber(split.validFraction) && split.validFraction > 0 && split.validFraction < 1,
        'a number between 0 and 1',
      );
    if (split.subsample !== undefined) {
      const sub = split.subsample;
      check(
        'search.split.subsample',
        sub,
        isObject(sub) &&
          isNumber(sub.threshold) &&
          Number.isInteger(sub.trainRows) &&
          Array.isArray(sub.rows) &&
          sub.rows.every((r) => Number.isInteger(r) && (r as number) > 0),
        'an object with threshold, trainRows and a list of row counts',
      );
    }
  }
  check('search.halving', s.halving, s.halving === false || isObject(s.halving), 'false or an object');
  if (isObject(s.halving)) {
    const h = s.halving;
    check('search.halving.reductionFactor', h.reductionFactor, isNumber(h.reductionFactor), 'a number');
    check('search.halving.minPeers', h.minPeers, isNumber(h.minPeers), 'a number');
  }
  check('search.budget', s.budget, isObject(s.budget), 'an object');
  if (isObject(s.budget))
    check(
      'search.budget.marginFraction',
      s.budget.marginFraction,
      isNumber(s.budget.marginFraction),
      'a number',
    );
  if (s.execution !== undefined) {
    check('search.execution', s.execution, isObject(s.execution), 'an object');
    const batch = isObject(s.execution) ? s.execution.batchSize : undefined;
    if (batch !== undefined)
      check(
        'search.execution.batchSize',
        batch,
        Number.isInteger(batch) && (batch as number) >= 1,
        'a positive integer',
      );
  }
  return { missing, invalid };
}

type SearchRecord = NonNullable<LoadedBundle['manifest']['search']>;

/** Whether the clock could have decided something the replay cannot know (old bundles only). */
function clockMattered(s: SearchRecord): boolean {
  return s.stoppedBy !== 'maxTrials' || s.budget.seconds !== undefined;
}

/**
 * What the replay of a search record does about the clock, in words: how many recorded decisions it
 * applies, or (a bundle made before they were recorded) what it cannot know.
 */
export function replayNotes(s: SearchRecord): string[] {
  const notes: string[] = [];
  const c = s.clock;
  if (!c) {
    if (clockMattered(s))
      notes.push(
        `this bundle was made before the search recorded what its clock decided (stopped by ${s.stoppedBy}); ` +
          `the replay runs the same ${s.replay.length} trials without the clock, so trials cut at the deadline, ` +
          'halving decisions and refits shortened by the time budget may come out differently',
      );
    return notes;
  }
  const deadline = c.cuts.filter((x) => x.reason === 'deadline').length;
  const stopped = c.cuts.filter((x) => x.reason === 'aborted').length;
  const shortRefits = c.refit.filter((r) => r.rounds !== undefined).length;
  const notRefit = c.refit.filter((r) => r.action !== 'refit').length;
  const parts = [
    ...(deadline ? [`${deadline} trial(s) cut at the deadline`] : []),
    ...(stopped ? [`${stopped} trial(s) ended by a stop`] : []),
    ...(shortRefits ? [`${shortRefits} refit(s) stopped at the budget margin`] : []),
    ...(notRefit ? [`${notRefit} ensemble member(s) not refitted for time`] : []),
  ];
  if (s.stoppedBy !== 'maxTrials' || parts.length)
    notes.push(
      `the search was stopped by ${s.stoppedBy}; the replay runs the same ${s.replay.length} trials without the clock, ` +
        `applying what the clock decided${parts.length ? ` (${parts.join(', ')})` : ''}`,
    );
  if (c.crashed.length)
    notes.push(
      `${c.crashed.length} trial(s) failed because their worker crashed (${c.crashed
        .map((x) => `trial ${x.trial}`)
        .join(', ')}); the replay counts them as failed without running them`,
    );
  return notes;
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
  /** Recipe features: how the related tables given differ from the ones trained on (empty: the same). */
  readonly tableDifferences?: readonly string[];
  /**
   * When not reproduced: why, in plain words (what differs and the likely cause), one per line;
   * empty when reproduced.
   */
  readonly explanation: readonly string[];
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
 * ReproduceInputError when the data lacks the target or a column the model needs, or (before
 * reading the data) when the manifest's search record lacks fields the replay reads; TrainingError
 * (src/core/train/target.ts) when the data cannot be trained on, ModelConfigError when the
 * recorded hyperparameters are invalid, IngestError when the data cannot be read.
 */
export async function reproduceBundle(
  bundle: LoadedBundle,
  options: ReproduceOptions,
): Promise<ReproduceReport> {
  const manifest = bundle.manifest.formatVersion === 1 ? upgradeManifest(bundle.manifest) : bundle.manifest;
  const training = manifest.training!;
  const tolerance = manifest.reproducibility?.tolerance ?? 0;
  const label = options.dataLabel ?? options.source.name;
  if (manifest.search !== undefined) {
    // Before reading the data: a record the replay cannot run is the bundle's fault, not the data's.
    const { missing, invalid } = searchReplayProblems(manifest.search);
    if (missing.length || invalid.length)
      throw new ReproduceInputError(
        `manifest.json: the search record cannot be replayed: ${[
          ...(missing.length ? [`it lacks ${missing.join(', ')}`] : []),
          ...invalid,
        ].join('; ')}`,
        'bundle',
      );
    if (manifest.search.clock !== undefined) {
      const { checkClockRecord } = await import('../search/runner.ts');
      try {
        checkClockRecord(manifest.search.clock, manifest.search.replay.length);
      } catch (err) {
        throw new ReproduceInputError(
          `manifest.json: the search record cannot be replayed: ${(err as Error).message}`,
          'bundle',
        );
      }
    }
  }

  options.onPhase?.('read');
  const data = await readTrainingData(manifest, options);
  if (!data.schema.some((c) => c.name === manifest.target))
    throw new ReproduceInputError(`target column '${manifest.target}' not found`);
  // Recipe features: computed again from the related tables with the recorded recipe.
  let table = data.table;
  let tableDiffs: string[] = [];
  let featuresRec: FeaturesRecord | undefined;
  if (bundle.features || (options.tables && Object.keys(options.tables).length)) {
    const { checkScoringTables } = await import('../features/score.ts');
    const { applyFeatures, featuresRecord, tableDifferences } = await import('../features/spec.ts');
    const given = options.tables ?? {};
    checkScoringTables(bundle, given);
    const rec = bundle.features!;
    const related = Object.fromEntries(Object.keys(rec.tables).map((t) => [t, given[t]]));
    tableDiffs = tableDifferences(rec, related);
    table = applyFeatures({ recipe: rec.recipe, tables: related }, data.table).table;
    featuresRec = featuresRecord({ recipe: rec.recipe, tables: related });
  }
  // The bundle's own predictions are compared on these rows: they need every column the model reads.
  const have = new Set(table.columns.map((c) => c.name));
  const dropped = droppedColumns(bundle);
  const lacking = manifest.signature.inputs.map((c) => c.name).filter((n) => !have.has(n) && !dropped.has(n));
  if (lacking.length)
    throw new ReproduceInputError(`the data lacks column(s) the model needs: ${lacking.join(', ')}`);
  const fileSame = data.fingerprint.sha256 === manifest.dataset.sha256;
  const fingerprintSame = fileSame && tableDiffs.length === 0;
  const lines: string[] = [];
  const notes: string[] = [];
  lines.push(
    fileSame
      ? `data fingerprint matches: sha256 ${data.fingerprint.sha256}`
      : `data fingerprint differs: manifest sha256 ${manifest.dataset.sha256} (${manifest.dataset.rows} rows), ` +
          `${label} sha256 ${data.fingerprint.sha256} (${data.fingerprint.rows} rows)`,
  );
  if (bundle.features) {
    for (const d of tableDiffs) lines.push(d);
    const same = Object.keys(bundle.features.tables).filter(
      (t) => !tableDiffs.some((d) => d.startsWith(`table ${t} `)),
    );
    if (same.length)
      lines.push(`related table${same.length === 1 ? '' : 's'} ${same.join(', ')}: the same as trained on`);
  }

  const dataset = { name: data.sourceName, fingerprint: data.fingerprint, schema: data.schema };
  const env = options.environment(manifest.backend);
  let files: Record<string, string>;
  let newMetrics: Record<string, number>;
  if (manifest.search) {
    const s = manifest.search;
    for (const note of replayNotes(s)) {
      notes.push(note);
      lines.push(`note: ${note}`);
    }
    if (options.prepareBackend && s.families.some((f) => f === 'linear' || f === 'mlp')) {
      options.onPhase?.('backend');
      await options.prepareBackend();
    }
    options.onPhase?.('refit');
    const { runSearch, SearchError } = await import('../search/runner.ts');
    const total = s.replay.length;
    let ended = 0;
    const search = runSearch({
      ...(options.signal ? { signal: options.signal } : {}),
      onTrialStart: (t) =>
        options.onReplay?.({ step: 'trial', trial: t.number, family: t.family, index: ended + 1, total }),
      onTrial: () => void ended++,
      onPhase: (phase) => {
        if (phase === 'refit') options.onReplay?.({ step: 'refit' });
      },
      table,
      target: manifest.target,
      task: manifest.task,
      families: s.families,
      metric: s.metric,
      seed: s.seed,
      replay: s.replay,
      ...(s.clock ? { replayClock: s.clock, replayStoppedBy: s.stoppedBy } : { maxTrials: s.replay.length }),
      sampler: s.sampler,
      trialScoring: s.trialScoring ?? 'own-fold',
      folds: s.split.strategy === 'kfold' ? s.split.folds : 1,
      ...(s.split.validFraction !== undefined ? { holdoutFraction: s.split.validFraction } : {}),
      // Row-subsample rungs as recorded; a manifest without them trained every trial on all rows.
      subsample: s.split.subsample ?? false,
      ...(s.split.timeOrder ? { timeOrder: { column: s.split.timeOrder.column } } : {}),
      halving:
        s.halving === false
          ? false
          : { reductionFactor: s.halving.reductionFactor, minPeers: s.halving.minPeers },
      ...(s.execution?.batchSize !== undefined ? { batchSize: s.execution.batchSize } : {}),
      marginFraction: s.budget.marginFraction,
      exclude: training.exclude,
      // the recorded math; a record without it used the engine's (kept, so it replays as it was made)
      math: s.math === 'portable' ? 'portable' : 'engine',
    });
    let result;
    try {
      result = await search;
    } catch (err) {
      if (options.signal?.aborted && err instanceof SearchError) throw new ReproduceCancelledError();
      throw err;
    }
    if (options.signal?.aborted) throw new ReproduceCancelledError();
    // The recorded decision (positive class, threshold) labels the replay's predictions too.
    files = createSearchBundleFiles(result, dataset, env, {
      exclude: training.exclude,
      ...(featuresRec ? { features: featuresRec } : {}),
      decision: manifest.task === 'binary' ? (manifest.decision ?? null) : undefined,
      // label metrics computed as the recorded ones were (before `labelsAt`: classes[1] at 0.5)
      legacyLabelMetrics: manifest.task === 'binary' && manifest.metrics.labelsAt !== 'decision',
    });
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
      table,
      target: manifest.target,
      task: manifest.task,
      family,
      params: manifest.model.config,
      seed: manifest.seed,
      validFraction: training.validFraction ?? 0.2,
      ...('timeOrder' in manifest.split && manifest.split.timeOrder
        ? { timeOrder: { column: manifest.split.timeOrder.column } }
        : {}),
      exclude: training.exclude,
      ...(manifest.task === 'binary' ? { decision: replayRequest(manifest) } : {}),
      // as the recorded date step computed its sin/cos (older bundles: the engine's, so exact where made)
      math: recordedDateMath(manifest.pipeline.spec),
    });
    // The recorded decision (positive class, threshold) labels the replay's predictions too.
    files = createBundleFiles(trained, dataset, env, {
      exclude: training.exclude,
      ...(featuresRec ? { features: featuresRec } : {}),
      decision: manifest.task === 'binary' ? (manifest.decision ?? null) : undefined,
    });
    newMetrics = { ...trained.metrics.validation };
  }
  if (options.signal?.aborted) throw new ReproduceCancelledError();
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
    const a = predictTable(bundle, table);
    const b = predictTable(again, table);
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
  const lastBits: string[] = [];
  const oldMetrics = manifest.metrics.validation as Record<string, number | null>;
  for (const [name, expected] of Object.entries(oldMetrics)) {
    const got = newMetrics[name];
    const e = expected === null ? NaN : expected;
    const same =
      Object.is(e, got) || (Number.isNaN(e) && Number.isNaN(got)) || Math.abs(e - got) <= tolerance;
    // Log loss used the runtime's Math.log before it used the portable one (src/core/util/portable-math.ts,
    // the same bits everywhere and Node's bit for bit): JavaScript engines differ in its last bits (Node
    // 20's V8 and Chromium 156's on 0.3–7% of arguments), so a bundle made in the browser before then and
    // replayed elsewhere can give the same predictions, bit for bit, and a log loss one ulp away. Within
    // METRIC_RELATIVE_ULPS that is the same metric, and the report says so.
    if (!same && Math.abs(e - got) <= METRIC_RELATIVE_ULPS * Math.max(Math.abs(e), Math.abs(got))) {
      lastBits.push(name);
      continue;
    }
    if (!same) metricDiffs.push({ metric: name, expected, got: Number.isFinite(got) ? got : null });
  }
  const reproduced = fingerprintSame && difference === null && metricDiffs.length === 0;

  if (difference === null) {
    lines.push(
      `predictions on ${table.nRows} rows: ${tolerance === 0 ? 'bit-identical' : `within tolerance ${tolerance} (largest difference ${maxAbs})`}`,
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
  else
    lines.push(
      `validation metrics match (${Object.keys(oldMetrics).join(', ')})` +
        (lastBits.length
          ? `; ${lastBits.join(', ')} in the last bits only (the bundle's log loss was computed with its runtime's Math.log)`
          : ''),
    );
  const explanation = reproduced
    ? []
    : explain({
        fingerprintSame: fileSame,
        tableDiffs,
        label,
        difference,
        metricDiffs,
        tolerance,
        manifest,
        backendNote: manifest.reproducibility?.note,
      });
  for (const e of explanation) lines.push(`why: ${e}`);
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
    rows: table.nRows,
    notes,
    ...(bundle.features ? { tableDifferences: tableDiffs } : {}),
    explanation,
    lines,
  };
}

/** 'portable' when the recorded pipeline's date step says so (fit bundles made since), else 'engine'. */
function recordedDateMath(spec: unknown): MathMode {
  const steps = (spec as { steps?: unknown } | undefined)?.steps;
  if (!Array.isArray(steps)) return 'engine';
  const portable = steps.some((s: StepLike) => s?.kind === 'date_parts' && s.config?.math === 'portable');
  return portable ? 'portable' : 'engine';
}
type StepLike = { kind?: unknown; config?: { math?: unknown } } | null;

/**
 * How a replay chooses its decision: as recorded; for a bundle made before decisions existed, the
 * metrics of classes[1] at 0.5 (as they were computed then).
 */
function replayRequest(manifest: BundleManifest): DecisionRequest | undefined {
  if (manifest.decision) return requestOf(manifest.decision);
  const second = manifest.classes?.[1];
  return second === undefined ? undefined : { positiveClass: second, objective: 'default' };
}

/** Plain-words reasons for a failed reproduction: what differs, and what most likely caused it. */
function explain(f: {
  fingerprintSame: boolean;
  tableDiffs: readonly string[];
  label: string;
  difference: ReproduceDifference | null;
  metricDiffs: readonly MetricDifference[];
  tolerance: number;
  manifest: LoadedBundle['manifest'];
  backendNote: string | undefined;
}): string[] {
  const out: string[] = [];
  const m = f.manifest;
  if (!f.fingerprintSame)
    out.push(
      `${f.label} is not the file the model was trained on (its SHA-256 differs), so a different model is expected; ` +
        'verify with the original training file',
    );
  if (f.tableDiffs.length)
    out.push(
      `${f.tableDiffs.length === 1 ? 'a related table is' : 'related tables are'} not the one${f.tableDiffs.length === 1 ? '' : 's'} ` +
        'the model was trained on, so its features and a different model are expected; verify with the original tables',
    );
  if (f.difference && 'classes' in f.difference)
    out.push('the data has different target classes than the training data, so the models cannot match');
  const s = m.search;
  const modelDiffers = f.difference !== null || f.metricDiffs.length > 0;
  if (f.fingerprintSame && !f.tableDiffs.length && modelDiffers) {
    if (s && !s.clock && clockMattered(s))
      out.push(
        'this bundle was made by a time-budgeted search before the studio recorded what the clock decided ' +
          '(where trials were cut at the deadline, which trials a halving decision compared, how far the refit got); ' +
          'the replay had to run without that record, so it trained a different model. Searches made with this ' +
          'version record it and replay exactly',
      );
    else if (f.tolerance > 0)
      out.push(
        `the model was trained on a GPU and the difference is larger than the allowed ${f.tolerance}` +
          (f.backendNote ? ` (${f.backendNote})` : ''),
      );
    else if (s?.clock?.crashed.length)
      out.push(
        'some trials of the search failed because their worker crashed; the replay counted them as failed, ' +
          'but the difference means the recorded search depended on something the bundle does not hold',
      );
    else
      out.push(
        'the same data, settings and seed trained a different model here: this points to a different app ' +
          `version (the bundle was made by ${m.app.name} ${m.app.version}) or a runtime whose arithmetic differs`,
      );
  }
  return out;
}
