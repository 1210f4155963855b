import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/cli/sqlite-store.ts';
import { isStoreError } from '../../src/core/tracking/errors.ts';
import { runStoreContract } from './contract.ts';

const root = mkdtempSync(join(tmpdir(), 'automl-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', () => openSqliteStore(join(root, `c${n++}`, 'tracking.db')));

describe('sqlite store specifics', () => {
  it('data survives close and reopen; blobs are content-addressed files beside the database', async () => {
    const dir = join(root, 'persist');
    const a = openSqliteStore(join(dir, 'tracking.db'));
    await a.write([
      { op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 },
      { op: 'startRun', id: 'r', experimentId: 'e', startTime: 1 },
      { op: 'logMetrics', runId: 'r', metrics: [{ key: 'auc', value: NaN, step: 0, timestamp: 2 }] },
      { op: 'logParams', runId: 'r', params: { depth: 3 } },
      {
        op: 'putArtifact',
        id: 'a',
        runId: 'r',
        name: 'm',
        kind: 'model',
        bytes: Uint8Array.of(1, 2),
        createdAt: 3,
        meta: { inf: Infinity },
      },
    ]);
    await a.close();
    expect(readdirSync(join(dir, 'artifacts'))).toEqual([
      'a12871fee210fb8619291eaea194581cbd2531e4b23759d225f6806923f63222',
    ]);
    const b = openSqliteStore(join(dir, 'tracking.db'));
    const run = await b.getRun('r');
    expect(run?.params).toEqual({ depth: 3 });
    expect(run?.latestMetrics.auc.value).toBeNaN();
    expect((await b.getMetricHistory('r', 'auc'))[0].value).toBeNaN();
    expect((await b.getArtifact('a'))?.meta).toEqual({ inf: Infinity });
    expect(await b.getArtifactBytes('a')).toEqual(Uint8Array.of(1, 2));
    expect(await b.markInterrupted(10)).toBe(1);
    await b.close();
  });

  it('a damaged or missing blob file is named in the error', async () => {
    const dir = join(root, 'damaged');
    const s = openSqliteStore(join(dir, 'tracking.db'));
    await s.write([
      { op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 },
      { op: 'startRun', id: 'r', experimentId: 'e', startTime: 1 },
      {
        op: 'putArtifact',
        id: 'a',
        runId: 'r',
        name: 'm',
        kind: 'model',
        bytes: Uint8Array.of(7),
        createdAt: 3,
      },
    ]);
    const [file] = readdirSync(join(dir, 'artifacts'));
    writeFileSync(join(dir, 'artifacts', file), 'x');
    const err = await s.getArtifactBytes('a').catch((e: unknown) => e);
    expect(isStoreError(err, 'STORAGE')).toBe(true);
    expect((err as Error).message).toContain(file);
    rmSync(join(dir, 'artifacts', file));
    await expect(s.getArtifactBytes('a')).rejects.toThrow(/missing/);
    await s.close();
  });

  it('refuses a database written by a newer schema, changing nothing', async () => {
    const path = join(root, 'newer', 'tracking.db');
    const s = openSqliteStore(path);
    await s.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema'`).run();
    db.close();
    expect(() => openSqliteStore(path)).toThrow(/newer version.*schema 99.*Nothing was changed/);
  });

  it('migrates a schema 1 database (before monitoring): the table is added, the data kept', async () => {
    const path = join(root, 'v1', 'tracking.db');
    const s = openSqliteStore(path);
    await s.write([
      { op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 },
      { op: 'startRun', id: 'r', experimentId: 'e', startTime: 2 },
      { op: 'endRun', runId: 'r', state: 'COMPLETE', endTime: 3 },
      { op: 'createRegisteredModel', name: 'm', createdAt: 4 },
      { op: 'createModelVersion', name: 'm', sourceRunId: 'r', createdAt: 5 },
    ]);
    await s.close();
    // As schema 1 left it: no monitoring table, schema 1 in meta.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.exec('DROP TABLE monitoring');
    db.prepare(`UPDATE meta SET value = '1' WHERE key = 'schema'`).run();
    db.close();
    const again = openSqliteStore(path);
    expect((await again.getModelVersion('m', 1))?.sourceRunId).toBe('r');
    expect(await again.listMonitoringRecords({ modelName: 'm' })).toEqual([]);
    await again.write([
      {
        op: 'putMonitoringRecord',
        record: {
          id: 'mon',
          modelName: 'm',
          modelVersion: 1,
          runId: 'r',
          bundleSha256: 'a'.repeat(64),
          batchName: 'b.csv',
          batchSha256: 'b'.repeat(64),
          batchRows: 3,
          batchTime: 10,
          createdAt: 10,
          summary: {
            verdict: 'no drift',
            basis: 'stored profile',
            compared: 0,
            drifted: 0,
            driftedShare: 0,
            driftShare: 0.5,
            columns: [],
            missingColumns: [],
            newColumns: [],
            predictionDrift: null,
            targetDrift: null,
            performance: null,
            alerts: [],
          },
        },
      },
    ]);
    expect((await again.listMonitoringRecords({ runId: 'r' })).map((r) => r.id)).toEqual(['mon']);
    await again.close();
    const check = new Database(path);
    expect(check.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get()).toEqual({ value: '2' });
    check.close();
  });
});
