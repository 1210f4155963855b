/**
 * The retrain loop's core (issue 16): train a model again on its training data plus the labelled
 * batches it was monitored on, then compare the new model (the `challenger`) with the current one
 * (the `champion`) on the latest labelled batch. Shared by the Monitor screen (the bundle worker
 * combines the files, the training worker trains) and `cli monitor --retrain-data`.
 *
 * - `combineTrainingData`: one CSV of the training rows followed by each labelled batch's rows, in
 *   the training file's column order, every file read with the training's column types (numbers are
 *   written so they read back to the same float, dates as ISO 8601, missing as empty). Batch rows
 *   without a target value are left out; a column a batch lacks is empty for its rows; columns the
 *   training data does not have are dropped. The lineage lists every input file's SHA-256.
 * - `retrainPlan`: what to train — the model's search again (same families, metric, seed, trial
 *   cap and budget) or the same configuration (one model: its family and hyperparameters; for a
 *   search's ensemble, the heaviest member's) — with the same excluded columns and decision.
 * - `compareModels`: champion vs challenger metric by metric on one labelled batch.
 */
import { StudioError } from '../errors.ts';
import { cellText, columnByName, type Column, type SemanticType, type Table } from '../data/table.ts';
import { ingestCsv } from '../ingest/ingest.ts';
import type { ByteSource, IngestOptions } from '../ingest/types.ts';
import { csvLine } from '../export/csv-write.ts';
import type { BundleManifest } from '../export/bundle.ts';
import { METRICS } from '../metrics/evaluate.ts';
import { requestOf, type DecisionRequest } from '../train/decision.ts';
import type { MonitoringPerformanceSummary } from '../tracking/types.ts';

export interface LineageEntry {
  readonly role: 'training' | 'batch';
  readonly name: string;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
  /** Rows this file contributed. */
  readonly rows: number;
  /** When the batch is from (epoch ms), for batches. */
  readonly batchTime?: number;
}

export interface CombinePart {
  readonly source: ByteSource;
  readonly role: 'training' | 'batch';
  readonly batchTime?: number;
}

export interface CombinedData {
  readonly name: string;
  readonly csv: Uint8Array;
  readonly rows: number;
  readonly columns: readonly string[];
  readonly lineage: readonly LineageEntry[];
  readonly notes: readonly string[];
}

export class RetrainInputError extends StudioError {
  readonly kind = 'data';
}

/** A cell as text that reads back as the same value with the same type. */
function cell(col: Column, i: number): string {
  if (col.storage === 'float64') {
    const v = col.values[i]!;
    return Number.isNaN(v) ? '' : String(v);
  }
  return cellText(col, i);
}

/**
 * The training data plus the labelled batches as one CSV (see the module comment).
 * `types`: each training column's type (the manifest's `dataset.schema`).
 */
export async function combineTrainingData(
  parts: readonly CombinePart[],
  o: {
    readonly target: string;
    readonly types: Readonly<Record<string, SemanticType>>;
    readonly name?: string;
  } & Pick<IngestOptions, 'createHasher' | 'signal'>,
): Promise<CombinedData> {
  const training = parts.filter((p) => p.role === 'training');
  if (training.length !== 1) throw new RetrainInputError('retraining needs exactly one training file');
  const batches = parts.filter((p) => p.role === 'batch');
  if (batches.length === 0) throw new RetrainInputError('retraining needs at least one labelled batch');
  const notes: string[] = [];
  const lineage: LineageEntry[] = [];
  const lines: string[] = [];
  let columns: string[] = [];
  let rows = 0;
  for (const part of [...training, ...batches]) {
    const read = await ingestCsv(part.source, {
      typeOverrides: o.types,
      ...(o.createHasher ? { createHasher: o.createHasher } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const t: Table = read.table;
    const isTraining = part.role === 'training';
    if (isTraining) {
      columns = t.columns.map((c) => c.name);
      if (!columns.includes(o.target))
        throw new RetrainInputError(`the training data ${part.source.name} has no target column ${o.target}`);
      lines.push(csvLine(columns));
    }
    const target = columnByName(t, o.target);
    if (!target)
      throw new RetrainInputError(
        `the batch ${part.source.name} has no target column ${o.target}: only labelled batches can be trained on`,
      );
    const cols = columns.map((n) => columnByName(t, n));
    if (!isTraining) {
      const lacking = columns.filter((_, j) => !cols[j]);
      if (lacking.length) notes.push(`${part.source.name} lacks ${lacking.join(', ')}: empty for its rows`);
      const extra = t.columns.map((c) => c.name).filter((n) => !columns.includes(n));
      if (extra.length)
        notes.push(
          `${part.source.name}: columns the training data does not have were left out (${extra.join(', ')})`,
        );
    }
    let kept = 0;
    let unlabelled = 0;
    for (let i = 0; i < t.nRows; i++) {
      if (!isTraining && cellText(target, i) === '') {
        unlabelled++;
        continue;
      }
      lines.push(csvLine(cols.map((c) => (c ? cell(c, i) : ''))));
      kept++;
    }
    if (unlabelled)
      notes.push(`${part.source.name}: ${unlabelled} rows without a ${o.target} value left out`);
    if (!isTraining && kept === 0)
      throw new RetrainInputError(`the batch ${part.source.name} has no row with a ${o.target} value`);
    rows += kept;
    lineage.push({
      role: part.role,
      name: part.source.name,
      sha256: read.fingerprint.sha256,
      rows: kept,
      ...(part.batchTime !== undefined ? { batchTime: part.batchTime } : {}),
    });
  }
  const stem = training[0]!.source.name.replace(/\.(csv|tsv|txt)$/i, '');
  return {
    name: o.name ?? `${stem}+${batches.length}-batch${batches.length === 1 ? '' : 'es'}.csv`,
    csv: new TextEncoder().encode(lines.join('\n') + '\n'),
    rows,
    columns,
    lineage,
    notes,
  };
}

/** The lineage in words: "penguins.csv (sha256 1a2b3c4d…, 275 rows) + may.csv (…)". */
export function lineageText(lineage: readonly LineageEntry[]): string {
  return lineage.map((l) => `${l.name} (sha256 ${l.sha256.slice(0, 12)}…, ${l.rows} rows)`).join(' + ');
}

export type RetrainMode = 'search' | 'same';

export type RetrainPlan =
  | {
      readonly kind: 'search';
      readonly families: readonly string[];
      readonly metric: string;
      readonly seed: number;
      readonly budgetSeconds?: number;
      readonly maxTrials?: number;
      readonly exclude: readonly string[];
      readonly decision?: DecisionRequest;
      readonly description: string;
    }
  | {
      readonly kind: 'fit';
      readonly family: string;
      readonly params: Readonly<Record<string, unknown>>;
      readonly seed: number;
      readonly validFraction: number;
      readonly metric?: string;
      readonly exclude: readonly string[];
      readonly decision?: DecisionRequest;
      readonly description: string;
    };

/** The column types to read the combined data with: the training's, as the manifest records them. */
export function trainingTypes(manifest: BundleManifest): Record<string, SemanticType> {
  return Object.fromEntries(manifest.dataset.schema.map((c) => [c.name, c.type]));
}

/** What to train again (see the module comment). */
export function retrainPlan(manifest: BundleManifest, mode: RetrainMode): RetrainPlan {
  const exclude = manifest.training?.exclude ?? [];
  const decision = manifest.task === 'binary' ? requestOf(manifest.decision) : undefined;
  const s = manifest.search;
  if (mode === 'search') {
    if (!s)
      throw new RetrainInputError(
        'this model was not made by a search: retrain it with the same configuration instead',
      );
    const maxTrials = s.budget.maxTrials;
    const seconds = s.budget.seconds;
    return {
      kind: 'search',
      families: s.families,
      metric: s.metric,
      seed: s.seed,
      ...(seconds !== undefined ? { budgetSeconds: seconds } : {}),
      ...(maxTrials !== undefined ? { maxTrials } : {}),
      exclude,
      ...(decision ? { decision } : {}),
      description: `the search again: ${s.families.join(', ')}, ${s.metric}, seed ${s.seed}${maxTrials !== undefined ? `, at most ${maxTrials} trials` : ''}${seconds !== undefined ? `, ${seconds} s` : ''}`,
    };
  }
  let family = manifest.model.family;
  let params: Readonly<Record<string, unknown>> = manifest.model.config;
  let from = `its ${family} configuration`;
  if (family === 'ensemble' || s) {
    const members = [...(manifest.model.members ?? [])].sort((a, b) => b.weight - a.weight);
    const top = members[0];
    if (family === 'ensemble') {
      if (!top?.config)
        throw new RetrainInputError(
          'this ensemble does not record its members’ configurations: re-run its search',
        );
      family = top.family;
      params = top.config;
      from = `its heaviest ensemble member's configuration (trial ${top.trial}, ${top.family}, weight ${Number(top.weight.toFixed(3))})`;
    }
  }
  return {
    kind: 'fit',
    family,
    params,
    seed: manifest.seed,
    validFraction: manifest.training?.validFraction ?? s?.split.validFraction ?? 0.2,
    ...(s ? { metric: s.metric } : {}),
    exclude,
    ...(decision ? { decision } : {}),
    description: `one model with ${from}, seed ${manifest.seed}`,
  };
}

export interface ModelComparisonRow {
  readonly metric: string;
  readonly champion: number | null;
  readonly challenger: number | null;
  /** Which is better on this metric ('tie' when equal or not comparable). */
  readonly better: 'champion' | 'challenger' | 'tie';
}

/** Champion vs challenger on one labelled batch, metric by metric (both measured, not estimated). */
export function compareModels(
  champion: MonitoringPerformanceSummary,
  challenger: MonitoringPerformanceSummary,
): ModelComparisonRow[] {
  const b = new Map(challenger.metrics.map((m) => [m.metric, m.value]));
  return champion.metrics
    .filter((m) => b.has(m.metric))
    .map((m) => {
      const x = m.value;
      const y = b.get(m.metric) ?? null;
      const dir = METRICS[m.metric]?.direction ?? 'maximize';
      let better: ModelComparisonRow['better'] = 'tie';
      if (x !== null && y !== null && x !== y) {
        const challengerWins = dir === 'maximize' ? y > x : y < x;
        better = challengerWins ? 'challenger' : 'champion';
      }
      return { metric: m.metric, champion: x, challenger: y, better };
    });
}

/**
 * The CLI command that carries out a plan on the combined data (`fit` or `automl`, after the data
 * file and before `--out`): the recipe `cli monitor --retrain-data` prints.
 */
export function retrainArgs(plan: RetrainPlan, dataFile: string, target: string): string[] {
  const common = [...plan.exclude.flatMap((c) => ['--exclude', c])];
  const d = plan.decision;
  if (d) {
    if (d.positiveClass !== undefined) common.push('--positive-class', d.positiveClass);
    if (d.objective) common.push('--threshold-for', d.objective);
    if (d.costs) common.push('--cost-fp', String(d.costs.fp), '--cost-fn', String(d.costs.fn));
  }
  if (plan.kind === 'search')
    return [
      'automl',
      dataFile,
      '--target',
      target,
      '--families',
      plan.families.join(','),
      '--metric',
      plan.metric,
      '--seed',
      String(plan.seed),
      ...(plan.maxTrials !== undefined ? ['--max-trials', String(plan.maxTrials)] : []),
      ...(plan.budgetSeconds !== undefined ? ['--budget', String(plan.budgetSeconds)] : []),
      ...common,
    ];
  return [
    'fit',
    dataFile,
    '--target',
    target,
    '--model',
    plan.family,
    '--params',
    JSON.stringify(plan.params),
    '--seed',
    String(plan.seed),
    '--valid-fraction',
    String(plan.validFraction),
    ...common,
  ];
}
