/**
 * `cli monitor`: a clean and a shifted batch (exit codes with --fail-on-drift), the JSON report
 * against its published schema, the statistics on the reference data against the core functions,
 * and bad input (each a clear message, exit 2, or a report of what could be computed).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { validateJson } from '../../src/core/export/manifest-schema.ts';
import { MONITOR_REPORT_SCHEMA } from '../../src/core/monitor/report-schema.ts';
import { ks2samp } from '../../src/core/monitor/stats/index.ts';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'automl-monitor-'));
// Reports are recorded in the tracking store: this file's own.
const STORE = join(dir, 'tracking.db');
process.env.AUTOML_STORE = STORE;
const model = join(dir, 'penguins.zip');
const TRAIN = () => datasetFile('penguins');
const TEST = () => datasetFile('penguins', 'test.csv');

/** test.csv with a numeric column shifted by `sds` of its standard deviation (and optionally more). */
function shifted(
  name: string,
  column: string,
  sds: number,
  edit?: (cells: string[], header: string[]) => void,
): string {
  const lines = readFileSync(TEST(), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const j = header.indexOf(column);
  const rows = lines.slice(1).map((l) => l.split(','));
  const vals = rows.map((r) => Number(r[j])).filter((v) => r_ok(v));
  const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
  const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
  for (const r of rows) {
    if (r[j] !== '' && r[j] !== 'NA') r[j] = String(Number(r[j]) + sds * sd);
    edit?.(r, header);
  }
  const path = join(dir, name);
  writeFileSync(path, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return path;
}
const r_ok = (v: number) => Number.isFinite(v);

beforeAll(async () => {
  const fit = await cli(['fit', TRAIN(), '--target', 'species', '--out', model, '--no-track', '--seed', '5']);
  expect(fit.code, fit.err).toBe(0);
}, 120_000);

describe('cli monitor', () => {
  it('a clean batch: no drift, exit 0 even with --fail-on-drift; the JSON validates against the schema', async () => {
    const r = await cli(['monitor', model, TEST(), '--reference', TRAIN(), '--json', '--fail-on-drift']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(validateJson(report, MONITOR_REPORT_SCHEMA)).toEqual([]);
    expect(report.drift.verdict).toBe('no drift');
    expect(report.reference.basis).toBe('training data');
    expect(report.performance.kind).toBe('actual');
    expect(report.performance.metrics.map((m: { metric: string }) => m.metric)).toContain('accuracy');
    // Statistics on the data equal the core KS on the raw values (penguins train: < 1,000 rows).
    const bill = report.drift.columns.find((c: { column: string }) => c.column === 'bill_length_mm');
    expect(bill.method).toBe('ks');
    const col = (file: string) => {
      const [h, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
      const j = h!.split(',').indexOf('bill_length_mm');
      return rows
        .map((l) => l.split(',')[j]!)
        .filter((v) => v !== '' && v !== 'NA')
        .map(Number);
    };
    const want = ks2samp(col(TRAIN()), col(TEST()));
    expect(bill.statistic).toBeCloseTo(want.statistic, 12);
    expect(bill.pvalue).toBeCloseTo(want.pvalue, 12);
  });

  it('a shifted batch: the column drifts, predictions drift, exit 1 with --fail-on-drift', async () => {
    const file = shifted('shift.csv', 'bill_length_mm', 1, (r, h) => {
      for (const c of ['bill_depth_mm', 'flipper_length_mm', 'body_mass_g']) {
        const j = h.indexOf(c);
        if (r[j] !== '' && r[j] !== 'NA') r[j] = String(Number(r[j]) * 1.3);
      }
    });
    const r = await cli(['monitor', model, file, '--reference', TRAIN(), '--json', '--fail-on-drift']);
    expect(r.code, r.err).toBe(1);
    const report = JSON.parse(r.out);
    expect(validateJson(report, MONITOR_REPORT_SCHEMA)).toEqual([]);
    const drifted = report.drift.columns
      .filter((c: { drifted: boolean }) => c.drifted)
      .map((c: { column: string }) => c.column);
    expect(drifted).toEqual(
      expect.arrayContaining(['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']),
    );
    expect(report.drift.verdict).toBe('drift');
    // The suggested actions: data drift (an alert: the dataset drifted) naming the drifted columns.
    const dataDrift = report.actions.find((a: { kind: string }) => a.kind === 'data_drift');
    expect(dataDrift).toMatchObject({ severity: 'alert', retrain: true });
    expect(dataDrift.subjects).toEqual(expect.arrayContaining(drifted));
    const plain = await cli(['monitor', model, file, '--reference', TRAIN()]);
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^verdict: DRIFT — \d+ of 7 columns drifted/m);
    expect(plain.out).toMatch(/^what to do:$/m);
    expect(plain.out).toMatch(/^ {2}! Data drift: \d+ of 7 input columns drifted/m);
  });

  it('from the bundle alone (its reference.json): clean → exit 0, shifted → exit 1 with --fail-on-drift', async () => {
    const clean = await cli(['monitor', model, TEST(), '--json', '--fail-on-drift']);
    expect(clean.code, clean.err).toBe(0);
    const report = JSON.parse(clean.out);
    expect(validateJson(report, MONITOR_REPORT_SCHEMA)).toEqual([]);
    expect(report.reference.basis).toBe('stored profile');
    expect(report.drift.verdict).toBe('no drift');
    expect(report.drift.predictionDrift.drifted).toBe(false);
    const file = shifted('shift-alone.csv', 'bill_length_mm', 1, (r, h) => {
      for (const c of ['bill_depth_mm', 'flipper_length_mm', 'body_mass_g']) {
        const j = h.indexOf(c);
        if (r[j] !== '' && r[j] !== 'NA') r[j] = String(Number(r[j]) * 1.3);
      }
    });
    const r = await cli(['monitor', model, file, '--json', '--fail-on-drift']);
    expect(r.code, r.err).toBe(1);
    const drifted = JSON.parse(r.out)
      .drift.columns.filter((c: { drifted: boolean }) => c.drifted)
      .map((c: { column: string }) => c.column);
    expect(drifted).toEqual(
      expect.arrayContaining(['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']),
    );
    const plain = await cli(['monitor', model, file]);
    expect(plain.out).toMatch(/compared with the stored reference profile \(\d+ rows\)/);
  });

  it('the published schema is the one the CLI validates against', () => {
    const published = JSON.parse(
      readFileSync(join(REPO_ROOT, 'public/schema/monitor-report-v1.json'), 'utf8'),
    );
    expect(published).toEqual(JSON.parse(JSON.stringify(MONITOR_REPORT_SCHEMA)));
  });

  it('per-column method and threshold overrides are applied and checked', async () => {
    const r = await cli([
      'monitor',
      model,
      TEST(),
      '--reference',
      TRAIN(),
      '--json',
      '--method',
      'bill_length_mm=wasserstein',
      '--threshold',
      'bill_length_mm=0.5',
    ]);
    expect(r.code, r.err).toBe(0);
    const bill = JSON.parse(r.out).drift.columns.find(
      (c: { column: string }) => c.column === 'bill_length_mm',
    );
    expect(bill).toMatchObject({ method: 'wasserstein', threshold: 0.5, methodReason: 'chosen by the user' });
    expect(
      (await cli(['monitor', model, TEST(), '--reference', TRAIN(), '--method', 'nope=ks'])).err,
    ).toMatch(/not a column the model reads/);
    expect(
      (await cli(['monitor', model, TEST(), '--reference', TRAIN(), '--method', 'island=bogus'])).code,
    ).toBe(2);
  });

  it('bad input: a clear message and exit 2, or a report of what could be computed', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'island,bill_length_mm\n');
    const e = await cli(['monitor', model, empty, '--reference', TRAIN()]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/^error: .*no data rows/);

    const other = await cli([
      'monitor',
      model,
      datasetFile('telco_churn', 'test.csv'),
      '--reference',
      TRAIN(),
    ]);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/none of the model's columns/);

    // A bundle made before reference profiles (reference.json removed from the files and the
    // manifest, unsigned): a clear message asking for --reference; with it, the report.
    const old = join(dir, 'old-bundle');
    const fitOld = await cli([
      'fit',
      TRAIN(),
      '--target',
      'species',
      '--out',
      old,
      '--no-track',
      '--seed',
      '5',
    ]);
    expect(fitOld.code, fitOld.err).toBe(0);
    const manifest = JSON.parse(readFileSync(join(old, 'manifest.json'), 'utf8'));
    expect(manifest.files['reference.json']).toMatch(/^[0-9a-f]{64}$/);
    delete manifest.files['reference.json'];
    writeFileSync(join(old, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    rmSync(join(old, 'reference.json'));
    rmSync(join(old, 'manifest.sig'), { force: true });
    const noRef = await cli(['monitor', old, TEST()]);
    expect(noRef.code).toBe(2);
    expect(noRef.err).toMatch(
      /^error: .*old-bundle has no stored reference profile .*--reference train\.csv/,
    );
    const withRef = await cli(['monitor', old, TEST(), '--reference', TRAIN(), '--json']);
    expect(withRef.code, withRef.err).toBe(0);
    expect(JSON.parse(withRef.out).reference.basis).toBe('training data');

    // A batch lacking one model column and with an all-missing column: a report for the rest.
    const lacking = join(dir, 'lacking.csv');
    const [h, ...rows] = readFileSync(TEST(), 'utf8').trim().split('\n');
    const header = h!.split(',');
    const drop = header.indexOf('island');
    const blank = header.indexOf('body_mass_g');
    const keep = (cells: string[]) => cells.filter((_, j) => j !== drop);
    writeFileSync(
      lacking,
      [
        keep(header).join(','),
        ...rows.map((l) => keep(l.split(',').map((v, j) => (j === blank ? '' : v))).join(',')),
      ].join('\n') + '\n',
    );
    const l = await cli(['monitor', model, lacking, '--reference', TRAIN(), '--json']);
    expect(l.code, l.err).toBe(0);
    const report = JSON.parse(l.out);
    expect(report.drift.missingColumns).toEqual(['island']);
    expect(report.performance).toBeUndefined();
    expect(report.notes.join(' ')).toMatch(/cannot score this batch: it lacks island/);
    const mass = report.drift.columns.find((c: { column: string }) => c.column === 'body_mass_g');
    expect(mass.findings.map((f: { kind: string }) => f.kind)).toContain('all_missing');

    // Target classes the model never saw: left out of the metrics, with a note.
    const unseen = shifted('unseen.csv', 'bill_length_mm', 0, (r, hh) => {
      const j = hh.indexOf('species');
      if (r[j] === 'Gentoo') r[j] = 'Emperor';
    });
    const u = await cli(['monitor', model, unseen, '--reference', TRAIN(), '--json']);
    expect(u.code, u.err).toBe(0);
    expect(JSON.parse(u.out).notes.join(' ')).toMatch(/"Emperor" \(\d+ rows\)/);
  });

  it('dates a batch by its date column (the median), else --batch-time, else the file time', async () => {
    const store = join(dir, 'dates.db');
    const [h, ...rows] = readFileSync(TEST(), 'utf8').trim().split('\n');
    // Dates spread over April; one mistyped far-future date does not move the median.
    const dates = rows.map((_, i) =>
      i === 0 ? '2099-01-01' : `2026-04-${String(1 + (i % 28)).padStart(2, '0')}`,
    );
    const dated = join(dir, 'dated.csv');
    writeFileSync(dated, [`${h},order_date`, ...rows.map((l, i) => `${l},${dates[i]}`)].join('\n') + '\n');
    const sorted = dates.map(Date.parse).sort((a, b) => a - b);
    const median = sorted[(sorted.length - 1) >> 1]!;
    const r = await cli(['monitor', model, dated, '--json', '--store', store, '--batch-time', '2020-01-01']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(validateJson(report, MONITOR_REPORT_SCHEMA)).toEqual([]);
    expect(report.batch.date).toMatchObject({ source: 'column', column: 'order_date', time: median });
    expect(report.drift.newColumns).toEqual(['order_date']);
    const text = await cli(['monitor', model, dated, '--no-track']);
    expect(text.out).toContain(
      `dated ${new Date(median).toISOString().slice(0, 10)}: the median date of column order_date`,
    );
    // No date column: the date given; nothing given: the file's modification time.
    const given = await cli([
      'monitor',
      model,
      TEST(),
      '--json',
      '--store',
      store,
      '--batch-time',
      '2026-05-01',
    ]);
    expect(JSON.parse(given.out).batch.date).toMatchObject({
      source: 'user',
      time: Date.parse('2026-05-01'),
    });
    const { utimesSync } = await import('node:fs');
    const copy = join(dir, 'copy.csv');
    writeFileSync(copy, readFileSync(TEST()));
    utimesSync(copy, new Date('2026-06-15T10:00:00Z'), new Date('2026-06-15T10:00:00Z'));
    const byFile = await cli(['monitor', model, copy, '--json', '--store', store]);
    expect(JSON.parse(byFile.out).batch.date).toMatchObject({
      source: 'file',
      time: Date.parse('2026-06-15T10:00:00Z'),
    });
    const { openSqliteStore } = await import('../../src/cli/sqlite-store.ts');
    const s = openSqliteStore(store);
    const { sha256Hex } = await import('../../src/core/export/integrity.ts');
    const { readBundleZip } = await import('../../src/core/export/zip.ts');
    const manifest = readBundleZip(new Uint8Array(readFileSync(model)))['manifest.json']!;
    // Oldest batch first: the dated batch is from April.
    const records = await s.listMonitoringRecords({ bundleSha256: sha256Hex(manifest) });
    await s.close();
    expect(records.map((x) => [x.batchName, x.batchTime])).toEqual([
      ['dated.csv', median],
      ['test.csv', Date.parse('2026-05-01')],
      ['copy.csv', Date.parse('2026-06-15T10:00:00Z')],
    ]);
    const bad = await cli(['monitor', model, dated, '--no-track', '--date-column', 'island']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/island is not read as dates/);
  });

  it('records each report in the tracking store (unless --no-track): summary, alerts, linked to --run', async () => {
    const store = join(dir, 'records.db');
    const fit = await cli([
      'fit',
      TRAIN(),
      '--target',
      'species',
      '--out',
      join(dir, 'tracked.zip'),
      '--store',
      store,
      '--seed',
      '5',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const runId = /recorded run (\S+)/.exec(fit.err)![1]!;
    const clean = await cli([
      'monitor',
      join(dir, 'tracked.zip'),
      TEST(),
      '--store',
      store,
      '--run',
      runId,
      '--batch-time',
      '2026-04-01',
    ]);
    expect(clean.code, clean.err).toBe(0);
    expect(clean.err).toMatch(/recorded monitoring record \S+ in .*records\.db/);
    const file = shifted('shift-recorded.csv', 'flipper_length_mm', 2);
    const drift = await cli([
      'monitor',
      join(dir, 'tracked.zip'),
      file,
      '--store',
      store,
      '--run',
      runId,
      '--batch-time',
      '2026-05-01',
    ]);
    expect(drift.code, drift.err).toBe(0);
    const untracked = await cli(['monitor', join(dir, 'tracked.zip'), file, '--store', store, '--no-track']);
    expect(untracked.code, untracked.err).toBe(2);
    expect(untracked.err).toMatch(/--no-track records nothing/);
    const quiet = await cli(['monitor', join(dir, 'tracked.zip'), file, '--no-track']);
    expect(quiet.code).toBe(0);
    expect(quiet.err).not.toMatch(/recorded/);

    const { openSqliteStore } = await import('../../src/cli/sqlite-store.ts');
    const { sha256Hex } = await import('../../src/core/export/integrity.ts');
    const { readBundleZip } = await import('../../src/core/export/zip.ts');
    const s = openSqliteStore(store);
    const records = await s.listMonitoringRecords({ runId });
    await s.close();
    expect(records.map((r) => r.batchName)).toEqual(['test.csv', 'shift-recorded.csv']);
    expect(records.map((r) => r.batchTime)).toEqual([Date.parse('2026-04-01'), Date.parse('2026-05-01')]);
    const manifest = readBundleZip(new Uint8Array(readFileSync(join(dir, 'tracked.zip'))))['manifest.json']!;
    expect(records.every((r) => r.bundleSha256 === sha256Hex(manifest))).toBe(true);
    const [first, second] = records;
    expect(first!.summary.alerts).toEqual([]);
    expect(first!.summary.columns.some((c) => c.drifted)).toBe(false);
    expect(first!.summary.performance?.kind).toBe('actual');
    const flipper = second!.summary.columns.find((c) => c.column === 'flipper_length_mm')!;
    expect(flipper).toMatchObject({ drifted: true, method: expect.any(String) });
    expect(second!.summary.alerts).toContain(
      `flipper_length_mm drifted (${(await import('../../src/core/monitor/summary.ts')).testInWords(flipper)})`,
    );
    expect(second!.batchRows).toBe(first!.batchRows);

    const badRun = await cli([
      'monitor',
      join(dir, 'tracked.zip'),
      TEST(),
      '--store',
      store,
      '--run',
      'nope',
    ]);
    expect(badRun.code).toBe(2);
    expect(badRun.err).toMatch(/--run nope: no such run/);
    const badTime = await cli(['monitor', join(dir, 'tracked.zip'), TEST(), '--batch-time', 'someday']);
    expect(badTime.code).toBe(2);
    expect(badTime.err).toMatch(/--batch-time someday: not a date/);
  });
});
