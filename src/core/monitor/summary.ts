/**
 * What the tracking store keeps of a monitored batch (`MonitoringRecord`): the report's summary —
 * per-column drift verdicts, prediction and label drift, performance, and the alerts in words —
 * shared by the CLI (`cli monitor` records every report unless `--no-track`) and the Monitor screen.
 */
import type { MonitoringColumnSummary, MonitoringRecord, MonitoringSummary } from '../tracking/types.ts';
import { DRIFT_METHODS, type ColumnDrift } from './drift.ts';
import type { MonitorBatchResult } from './monitor-batch.ts';

const finite = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

const short = (x: number): string =>
  x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(1) : String(Number(x.toPrecision(3)));

function columnSummary(c: ColumnDrift, name = c.column): MonitoringColumnSummary {
  return {
    column: name,
    method: c.method,
    statistic: finite(c.statistic),
    pvalue: finite(c.pvalue),
    score: finite(c.score),
    threshold: finite(c.threshold),
    drifted: c.drifted,
    psi: finite(c.psi),
    findings: c.findings.map((f) => f.message),
  };
}

/** "Kolmogorov–Smirnov p = 0.0012" or "Wasserstein distance (normed) 0.23". */
export function testInWords(c: { method: string | null; score: number | null }): string {
  if (c.method === null) return 'not compared';
  const m = DRIFT_METHODS[c.method as keyof typeof DRIFT_METHODS];
  if (!m) return c.method;
  if (c.score === null) return m.label;
  return m.score === 'pvalue' ? `${m.label} p = ${short(c.score)}` : `${m.label} ${short(c.score)}`;
}

/** The alerts of a report, in words: what someone watching the model must look at. */
export function monitoringAlerts(result: MonitorBatchResult): string[] {
  const d = result.drift;
  const alerts: string[] = [];
  if (d.verdict === 'drift')
    alerts.push(
      `dataset drift: ${d.drifted} of ${d.compared} columns drifted (${Math.round(100 * d.driftedShare)}%, alert from ${Math.round(100 * d.driftShare)}%)`,
    );
  for (const c of d.columns)
    if (c.drifted) alerts.push(`${c.column} drifted (${testInWords({ method: c.method, score: c.score })})`);
  if (d.missingColumns.length) alerts.push(`the batch lacks ${d.missingColumns.join(', ')}`);
  if (d.predictionDrift?.drifted)
    alerts.push(
      `prediction drift (${testInWords({ method: d.predictionDrift.method, score: d.predictionDrift.score })})`,
    );
  if (d.targetDrift?.drifted)
    alerts.push(
      `label drift: ${result.model.target} (${testInWords({ method: d.targetDrift.method, score: d.targetDrift.score })})`,
    );
  const p = result.performance;
  if (p?.kind === 'actual' && p.conceptDrift) {
    const m = p.metrics.find((x) => x.outsideBand) ?? p.metrics[0];
    alerts.push(
      m
        ? `concept drift: ${m.metric} ${short(m.value)} on the labelled rows, outside the validation band (validation ${m.validation !== undefined ? short(m.validation) : 'n/a'})`
        : 'concept drift',
    );
  } else if (p?.kind === 'estimated') {
    for (const m of p.metrics)
      if (m.outsideBand)
        alerts.push(
          `estimated ${m.metric} ${short(m.value)} (CBPE) is outside the validation band (validation ${m.validation !== undefined ? short(m.validation) : 'n/a'})`,
        );
  }
  return alerts;
}

export function monitoringSummary(result: MonitorBatchResult): MonitoringSummary {
  const d = result.drift;
  const p = result.performance;
  return {
    verdict: d.verdict,
    basis: result.reference.basis,
    compared: d.compared,
    drifted: d.drifted,
    driftedShare: d.driftedShare,
    driftShare: d.driftShare,
    columns: d.columns.map((c) => columnSummary(c)),
    missingColumns: [...d.missingColumns],
    newColumns: [...d.newColumns],
    predictionDrift: d.predictionDrift ? columnSummary(d.predictionDrift, '(predictions)') : null,
    targetDrift: d.targetDrift ? columnSummary(d.targetDrift, result.model.target) : null,
    performance: p
      ? {
          kind: p.kind,
          rows: p.rows,
          metrics: p.metrics.map((m) => ({
            metric: m.metric,
            value: finite(m.value),
            validation: finite(m.validation),
            standardError: 'standardError' in m ? finite(m.standardError as number) : null,
            outsideBand: m.outsideBand,
          })),
          conceptDrift: p.kind === 'actual' ? p.conceptDrift : false,
        }
      : null,
    alerts: monitoringAlerts(result),
  };
}

export interface MonitoringRecordOptions {
  readonly id: string;
  /** SHA-256 of the bundle's manifest.json. */
  readonly bundleSha256: string;
  readonly modelName?: string;
  readonly modelVersion?: number;
  readonly runId?: string;
  /** When the batch's data is from (default: the report's batch date, see batch-date.ts). */
  readonly batchTime?: number;
  readonly createdAt: number;
}

/** The record to store for a monitored batch. */
export function monitoringRecord(result: MonitorBatchResult, o: MonitoringRecordOptions): MonitoringRecord {
  return {
    id: o.id,
    modelName: o.modelName ?? null,
    modelVersion: o.modelVersion ?? null,
    runId: o.runId ?? null,
    bundleSha256: o.bundleSha256,
    batchName: result.batch.name,
    batchSha256: result.batch.sha256,
    batchRows: result.batch.rows,
    batchTime: o.batchTime ?? result.batch.date.time,
    createdAt: o.createdAt,
    summary: monitoringSummary(result),
  };
}
