/**
 * The Monitor screen's retrain loop (issue 16), page side: keeps the file of each labelled batch
 * (so it can be trained on later), finds the labelled batches of a model, retrains — the bundle
 * worker joins the training data and the batches into one CSV (src/core/monitor/retrain.ts), the
 * training worker trains on it (the page never trains) and records the run — registers the result
 * as a new version with the alias `challenger` and its lineage, compares champion and challenger on
 * the latest labelled batch, and promotes the challenger to `champion`.
 */
import { compareModels, lineageText, retrainPlan, trainingTypes } from '../../core/monitor/retrain.ts';
import type {
  LineageEntry,
  ModelComparisonRow,
  RetrainMode,
  RetrainPlan,
} from '../../core/monitor/retrain.ts';
import type { BundleManifest } from '../../core/export/bundle.ts';
import type { TrackingStore } from '../../core/tracking/store.ts';
import type {
  ModelVersionRecord,
  MonitoringPerformanceSummary,
  MonitoringRecord,
  WriteOp,
  WriteResult,
} from '../../core/tracking/types.ts';
import type { BundleClient } from './bundle-client.ts';
import type { TrainClient } from './train-client.ts';
import type { FamilyName } from '../../../workers/types.ts';
import { versionBundleFiles } from './bundle-registry.ts';
import { checkCompatibility, loadModelShape, loadRunShape, modelArtifact } from './tracking-registry.ts';

/** Batch files up to this size are kept for retraining (as the training worker keeps training files). */
export const MAX_KEPT_BATCH_BYTES = 64 * 1024 * 1024;

/** Version tags written on a retrained version. */
export { LINEAGE_TAG } from './tracking-models.svelte.ts';
import { LINEAGE_TAG } from './tracking-models.svelte.ts';
export const RETRAINED_FROM_TAG = 'retrain.from';

type Write = (ops: readonly WriteOp[]) => Promise<WriteResult>;

/**
 * The ops that keep a labelled batch's file (by its SHA-256, as datasets are kept), unless it is
 * kept already. Only batches with the target are kept: only they can be trained on.
 */
export async function keepBatchOps(
  store: TrackingStore,
  record: MonitoringRecord,
  file: Blob,
  now: number,
): Promise<WriteOp[]> {
  if (record.summary.performance?.kind !== 'actual' || file.size > MAX_KEPT_BATCH_BYTES) return [];
  const known = await store.getDataset(record.batchSha256);
  if (known && (await store.getDatasetFile(record.batchSha256))) return [];
  return [
    {
      op: 'putDataset',
      fingerprint: record.batchSha256,
      name: known?.name ?? record.batchName,
      schema: known?.schema ?? [],
      raw: new Uint8Array(await file.arrayBuffer()),
      createdAt: now,
    },
  ];
}

/** The lineage recorded on a retrained version (empty for a version trained otherwise). */
export function versionLineage(v: ModelVersionRecord): LineageEntry[] {
  const raw = v.tags[LINEAGE_TAG];
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as LineageEntry[]) : [];
  } catch {
    return [];
  }
}

export interface LabelledBatch {
  readonly record: MonitoringRecord;
  readonly kept: boolean;
}

/**
 * A model's labelled batches (every version's records, one per file, oldest batch first) and
 * whether each file is kept here.
 */
export async function labelledBatches(
  store: TrackingStore,
  records: readonly MonitoringRecord[],
): Promise<LabelledBatch[]> {
  const seen = new Set<string>();
  const out: LabelledBatch[] = [];
  for (const r of records) {
    if (r.summary.performance?.kind !== 'actual' || seen.has(r.batchSha256)) continue;
    seen.add(r.batchSha256);
    out.push({ record: r, kept: (await store.getDatasetFile(r.batchSha256)) !== undefined });
  }
  return out;
}

export type RetrainStep = 'data' | 'train' | 'register' | 'compare';

export interface RetrainResult {
  readonly version: number;
  readonly plan: RetrainPlan;
  readonly lineage: readonly LineageEntry[];
  readonly notes: readonly string[];
}

export class RetrainError extends Error {}

/** Retrain `champion` on its training data plus the labelled batches not yet in its lineage. */
export async function retrain(args: {
  readonly store: TrackingStore;
  readonly write: Write;
  readonly bundles: BundleClient;
  readonly trainer: TrainClient;
  readonly champion: ModelVersionRecord;
  readonly records: readonly MonitoringRecord[];
  readonly mode: RetrainMode;
  readonly onStep?: (step: RetrainStep, detail?: string) => void;
}): Promise<RetrainResult> {
  const { store, champion } = args;
  const step = args.onStep ?? (() => undefined);
  step('data');
  const files = await versionBundleFiles(store, args.bundles, champion);
  const manifest = JSON.parse(files['manifest.json'] ?? '{}') as BundleManifest;
  const plan = retrainPlan(manifest, args.mode);
  const fp = champion.datasetFingerprint;
  const trainingBytes = fp ? await store.getDatasetFile(fp) : undefined;
  if (!fp || !trainingBytes)
    throw new RetrainError(
      `the training data of ${champion.name} v${champion.version} is not kept here: retrain it from the Train screen`,
    );
  const ds = await store.getDataset(fp);
  // Batches already in the champion's training data (a retrained champion) are not added twice.
  const inLineage = new Set(versionLineage(champion).map((l) => l.sha256));
  const batches = (await labelledBatches(store, args.records)).filter(
    (b) => b.kept && !inLineage.has(b.record.batchSha256) && b.record.batchSha256 !== fp,
  );
  if (batches.length === 0)
    throw new RetrainError(
      'there is no new labelled batch to train on: monitor a batch that has the target column first',
    );
  const inputs = [];
  for (const b of batches) {
    const bytes = await store.getDatasetFile(b.record.batchSha256);
    if (!bytes) continue;
    inputs.push({
      input: { name: b.record.batchName, bytes: bytes.slice().buffer },
      batchTime: b.record.batchTime,
    });
  }
  const combined = await args.bundles.combineTraining(
    files,
    { name: ds?.name ?? manifest.dataset.name, bytes: trainingBytes.slice().buffer },
    inputs,
  );
  if (!combined.ok) throw new RetrainError(combined.error.message);
  const data = combined.value;
  // A File: the training worker keeps its bytes with the run's dataset (for Verify / reproduce).
  const input = new File([data.bytes], data.name, { type: 'text/csv' });
  const typeOverrides = trainingTypes(manifest);
  step('train', plan.description);
  let runId: string | undefined;
  let trackingError: string | undefined;
  if (plan.kind === 'search') {
    const res = await args.trainer.search({
      input,
      typeOverrides,
      target: manifest.target,
      task: manifest.task,
      metric: plan.metric,
      families: plan.families as readonly FamilyName[],
      ...(plan.budgetSeconds !== undefined ? { budgetSeconds: plan.budgetSeconds } : {}),
      ...(plan.maxTrials !== undefined ? { maxTrials: plan.maxTrials } : {}),
      seed: plan.seed,
      backend: 'auto',
      exclude: plan.exclude,
      ...(plan.decision ? { decision: plan.decision } : {}),
    });
    if (!res.ok) throw new RetrainError(`the search failed: ${res.error.message}`);
    runId = res.value.runId;
    trackingError = res.value.trackingError;
  } else {
    const res = await args.trainer.train({
      input,
      typeOverrides,
      target: manifest.target,
      task: manifest.task,
      family: plan.family as FamilyName,
      backend: 'auto',
      seed: plan.seed,
      params: plan.params,
      validFraction: plan.validFraction,
      ...(plan.metric ? { metric: plan.metric } : {}),
      exclude: plan.exclude,
      ...(plan.decision ? { decision: plan.decision } : {}),
    });
    if (!res.ok) throw new RetrainError(`training failed: ${res.error.message}`);
    runId = res.value.runId;
    trackingError = res.value.trackingError;
  }
  if (!runId) throw new RetrainError(trackingError ?? 'the retrained model was not recorded');

  step('register');
  const artifacts = await store.listArtifacts(runId);
  const zip = modelArtifact(artifacts);
  if (!zip) throw new RetrainError('the retrained run has no stored model');
  const existing = await loadModelShape(store, champion.name);
  const candidate = await loadRunShape(store, runId, artifacts);
  if (existing && candidate) {
    const c = checkCompatibility(existing, candidate);
    if (c.level === 'refuse')
      throw new RetrainError(
        `the retrained model cannot be a version of ${champion.name}: ${c.reasons.join('; ')} (it stays as a run)`,
      );
  }
  const now = Date.now();
  const lineage = data.lineage;
  const lineageJson = JSON.stringify(lineage);
  const from = `${champion.name} v${champion.version}`;
  const res = await args.write([
    {
      op: 'setTags',
      runId,
      tags: { [LINEAGE_TAG]: lineageJson, [RETRAINED_FROM_TAG]: from },
    },
    {
      op: 'createModelVersion',
      name: champion.name,
      sourceRunId: runId,
      artifactId: zip.id,
      description: `Retrained from ${from} with ${plan.description}, on ${lineageText(lineage)}.`,
      tags: { [LINEAGE_TAG]: lineageJson, [RETRAINED_FROM_TAG]: from, 'retrain.mode': args.mode },
      createdAt: now,
    },
  ]);
  const version = res.modelVersions[0]!.version;
  await args.write([{ op: 'setAlias', name: champion.name, alias: 'challenger', version, updatedAt: now }]);
  return { version, plan, lineage, notes: data.notes };
}

export interface Comparison {
  readonly batch: MonitoringRecord;
  readonly champion: { readonly version: number; readonly performance: MonitoringPerformanceSummary };
  readonly challenger: { readonly version: number; readonly performance: MonitoringPerformanceSummary };
  readonly rows: readonly ModelComparisonRow[];
  /** Whether the challenger was trained on this batch (its score on it is then in-sample). */
  readonly challengerSawBatch: boolean;
}

/** Champion vs challenger on the latest kept labelled batch. */
export async function compareOnLatestBatch(args: {
  readonly store: TrackingStore;
  readonly bundles: BundleClient;
  readonly champion: ModelVersionRecord;
  readonly challenger: ModelVersionRecord;
  readonly records: readonly MonitoringRecord[];
}): Promise<Comparison> {
  const { store, bundles } = args;
  const kept = (await labelledBatches(store, args.records)).filter((b) => b.kept);
  const latest = [...kept].sort((a, b) => a.record.batchTime - b.record.batchTime).at(-1);
  if (!latest) throw new RetrainError('no labelled batch is kept here to compare the two models on');
  const bytes = await store.getDatasetFile(latest.record.batchSha256);
  if (!bytes) throw new RetrainError(`the file of ${latest.record.batchName} is no longer kept`);
  const perf = async (v: ModelVersionRecord): Promise<MonitoringPerformanceSummary> => {
    const files = await versionBundleFiles(store, bundles, v);
    const res = await bundles.monitor(files, { name: latest.record.batchName, bytes: bytes.slice().buffer });
    if (!res.ok) throw new RetrainError(`${v.name} v${v.version}: ${res.error.message}`);
    const p = res.value.summary.performance;
    if (!p || p.kind !== 'actual')
      throw new RetrainError(`${v.name} v${v.version} could not be measured on ${latest.record.batchName}`);
    return p;
  };
  const a = await perf(args.champion);
  const b = await perf(args.challenger);
  return {
    batch: latest.record,
    champion: { version: args.champion.version, performance: a },
    challenger: { version: args.challenger.version, performance: b },
    rows: compareModels(a, b),
    challengerSawBatch: versionLineage(args.challenger).some((l) => l.sha256 === latest.record.batchSha256),
  };
}

/**
 * Promote: `champion` moves to `version`; the `challenger` alias is removed when it pointed there.
 * `aliases`: the model's aliases before the promotion.
 */
export async function promote(
  write: Write,
  name: string,
  version: number,
  aliases: Readonly<Record<string, number>>,
): Promise<void> {
  const now = Date.now();
  await write([
    { op: 'setAlias', name, alias: 'champion', version, updatedAt: now },
    ...(aliases.challenger === version
      ? [{ op: 'deleteAlias' as const, name, alias: 'challenger', updatedAt: now }]
      : []),
  ]);
}
