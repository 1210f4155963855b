/**
 * The Monitor screen's store side: which registered model versions can be monitored, the timeline
 * of a model's monitored batches, and the record written for a batch (the report itself is computed
 * in the bundle worker: `BundleClient.monitor`, the same use case as `cli monitor`).
 */
import type { TrackingStore } from '../../core/tracking/store.ts';
import type { ModelVersionRecord, MonitoringRecord } from '../../core/tracking/types.ts';
import type { MonitorOutcome } from '../../../workers/bundle-types.ts';
import type { ChartOption } from '../charts/echarts.ts';

export interface MonitorChoice {
  /** "name@version" */
  readonly id: string;
  readonly label: string;
  readonly version: ModelVersionRecord;
  readonly aliases: readonly string[];
}

/** Every registered version with a stored model, models by name, newest version first. */
export async function monitorChoices(store: TrackingStore): Promise<MonitorChoice[]> {
  const out: MonitorChoice[] = [];
  for (const m of await store.listRegisteredModels()) {
    const versions = [...(await store.listModelVersions(m.name))].reverse();
    for (const v of versions) {
      if (!v.artifactId) continue;
      const aliases = Object.entries(m.aliases)
        .filter(([, at]) => at === v.version)
        .map(([a]) => a);
      out.push({
        id: `${v.name}@${v.version}`,
        label: `${v.name} v${v.version}${aliases.length ? ` (${aliases.map((a) => `@${a}`).join(', ')})` : ''}`,
        version: v,
        aliases,
      });
    }
  }
  return out;
}

/** The version to preselect: a `champion`, else the newest version of the first model. */
export function defaultChoice(choices: readonly MonitorChoice[]): MonitorChoice | undefined {
  return choices.find((c) => c.aliases.includes('champion')) ?? choices[0];
}

/** A model's monitored batches (every version), oldest batch first. */
export function timeline(store: TrackingStore, modelName: string): Promise<readonly MonitoringRecord[]> {
  return store.listMonitoringRecords({ modelName });
}

/** The record of a monitored batch of a registered version. */
export function recordOf(
  outcome: MonitorOutcome,
  version: ModelVersionRecord,
  o: { readonly id: string; readonly batchTime?: number; readonly createdAt: number },
): MonitoringRecord {
  const r = outcome.result;
  return {
    id: o.id,
    modelName: version.name,
    modelVersion: version.version,
    runId: version.sourceRunId,
    bundleSha256: outcome.bundleSha256,
    batchName: r.batch.name,
    batchSha256: r.batch.sha256,
    batchRows: r.batch.rows,
    batchTime: o.batchTime ?? r.batch.date.time,
    createdAt: o.createdAt,
    summary: outcome.summary,
  };
}

/** The main metric of a record's performance, in words: "accuracy 0.91" or "accuracy ≈ 0.88 (estimated)". */
export function performanceText(rec: MonitoringRecord): string {
  const p = rec.summary.performance;
  const m = p?.metrics[0];
  if (!p || !m || m.value === null) return '—';
  const v = Number(m.value.toPrecision(4));
  return p.kind === 'actual' ? `${m.metric} ${v}` : `${m.metric} ≈ ${v} (estimated)`;
}

/** `yyyy-mm-dd` of an epoch-ms time (UTC), for a date input. */
export function dateInputValue(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Reference vs batch shares of one column (the report's buckets) as a grouped bar chart. */
export function overlayOption(
  buckets: readonly { readonly label: string; readonly reference: number; readonly batch: number }[],
): ChartOption {
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 32, bottom: 56 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: buckets.map((b) => b.label), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: 'share of rows', min: 0 },
    series: [
      { type: 'bar', name: 'training (reference)', data: buckets.map((b) => b.reference) },
      { type: 'bar', name: 'batch', data: buckets.map((b) => b.batch) },
    ],
  };
}
