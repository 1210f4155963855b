/**
 * IndexedDB schema of the tracking store, with its version history. Never edit a released
 * version's stores: add a new version with an upgrade function instead (and a fixture test).
 *
 * v1: first release. Runs carry params/tags only; latest metric values must be derived from the
 *     `metrics` history; top-level runs have `parentRunId: null` (so they're absent from that index).
 * v2: sorting/filtering runs by metric at 10k runs. Adds `runMetrics` (latest value per run and key,
 *     indexed by [experimentId+key+value] and [experimentId+parentKey+key+value]) and
 *     `runs.latestMetrics`; replaces the `parentRunId` index
 *     with [experimentId+parentKey+startTime] (parentKey '' = top-level) for paged children lists;
 *     adds `blobs.size` (indexed, so usage is summed from keys without loading bytes).
 * v3: monitoring. Adds `monitoring` (one record per monitored batch), indexed by model version
 *     [modelName+modelVersion], runId and bundleSha256. Nothing to migrate: the table starts empty.
 * v4: the feature store (issue 20, `feature-store.ts`). Adds `featureRecipes` (one row per recipe
 *     version, [name+version], by name and content hash), `featureTables` (materialized tables'
 *     records by key, [recipeName+recipeVersion]), `featureTableData` (their columns as bytes, by
 *     key) and `featureRecipeNames` (the highest version each name ever had, so that a deleted
 *     version's number is never reused). Nothing to migrate: the tables start empty; every earlier table is kept as it was.
 */
import type { Dexie, Transaction } from 'dexie';
import type { LatestMetric, MetricPoint, RunRecord } from '../core/tracking/types.ts';

export const SCHEMA_V1 = {
  experiments: 'id, &name, createdAt',
  runs: 'id, experimentId, parentRunId, state, [experimentId+startTime]',
  metrics: '++seq, [runId+key], runId',
  artifacts: 'id, runId, experimentId, contentHash',
  blobs: 'hash',
  datasets: 'fingerprint, contentHash',
  registeredModels: 'name',
  modelVersions: '[name+version], name, sourceRunId',
} as const;

export const SCHEMA_V2 = {
  ...SCHEMA_V1,
  runs: 'id, experimentId, state, [experimentId+startTime], [experimentId+parentKey+startTime]',
  runMetrics: '[runId+key], runId, [experimentId+key+value], [experimentId+parentKey+key+value]',
  blobs: 'hash, size',
} as const;

export const SCHEMA_V3 = {
  ...SCHEMA_V2,
  monitoring: 'id, [modelName+modelVersion], runId, bundleSha256',
} as const;

export const SCHEMA_V4 = {
  ...SCHEMA_V3,
  featureRecipes: '[name+version], name, hash',
  featureTables: 'key, [recipeName+recipeVersion], recipeName',
  featureTableData: 'key',
  featureRecipeNames: 'name',
} as const;

export const CURRENT_SCHEMA_VERSION = 4;

/** Row of `runs` (v2): the record plus the index helper `parentKey`. */
export type RunRow = RunRecord & { parentKey: string };
export type MetricRow = MetricPoint & { runId: string; seq?: number };
/** Row of `runMetrics` (v2): latest value of one metric of one run, denormalized for sorting. */
export interface RunMetricRow {
  readonly runId: string;
  readonly key: string;
  readonly experimentId: string;
  readonly parentKey: string;
  readonly startTime: number;
  readonly value: number;
  readonly step: number;
  readonly timestamp: number;
}
export interface BlobRow {
  readonly hash: string;
  readonly bytes: Uint8Array;
  readonly size: number;
}

export function runMetricRow(run: RunRecord, key: string, m: LatestMetric): RunMetricRow {
  return {
    runId: run.id,
    key,
    experimentId: run.experimentId,
    parentKey: run.parentRunId ?? '',
    startTime: run.startTime,
    value: m.value,
    step: m.step,
    timestamp: m.timestamp,
  };
}

/** v1 → v2: derive latest metrics from the history, add parentKey and blob sizes. */
export async function upgradeV1toV2(tx: Transaction): Promise<void> {
  const latest = new Map<string, Record<string, LatestMetric>>();
  // Primary-key (seq) order = write order, so on equal step+timestamp the later write wins.
  await tx
    .table('metrics')
    .toCollection()
    .each((m: MetricRow) => {
      let byKey = latest.get(m.runId);
      if (!byKey) latest.set(m.runId, (byKey = {}));
      const cur = byKey[m.key];
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) {
        byKey[m.key] = { value: m.value, step: m.step, timestamp: m.timestamp };
      }
    });
  const rows: RunMetricRow[] = [];
  await tx
    .table('runs')
    .toCollection()
    .modify((r: Record<string, unknown>) => {
      const run = r as unknown as RunRecord;
      const lm = latest.get(run.id) ?? {};
      r.parentKey = run.parentRunId ?? '';
      r.latestMetrics = lm;
      for (const [k, m] of Object.entries(lm)) rows.push(runMetricRow({ ...run, latestMetrics: lm }, k, m));
    });
  await tx.table('runMetrics').bulkPut(rows);
  await tx
    .table('blobs')
    .toCollection()
    .modify((b: Record<string, unknown>) => {
      b.size = (b.bytes as Uint8Array).byteLength;
    });
}

/** Declares every schema version on `db` (Dexie runs the needed upgrades on open). */
export function declareSchema(db: Dexie, upTo: number = CURRENT_SCHEMA_VERSION): void {
  db.version(1).stores(SCHEMA_V1);
  if (upTo >= 2) db.version(2).stores(SCHEMA_V2).upgrade(upgradeV1toV2);
  if (upTo >= 3) db.version(3).stores(SCHEMA_V3);
  if (upTo >= 4) db.version(4).stores(SCHEMA_V4);
}
