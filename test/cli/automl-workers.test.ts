import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { openFileStore } from '../../src/cli/file-store.ts';
import { datasetFile } from '../helpers/paths.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-workers-'));

describe('cli automl --workers', () => {
  it('searches in 2 worker threads with progress on stderr, pure JSON on stdout and live child runs', async () => {
    const dir = tmp();
    const store = join(dir, 'runs.jsonl');
    const args = (workers: string, out: string) => [
      'automl',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      join(dir, out),
      '--max-trials',
      '5',
      '--families',
      'gbdt,random_forest',
      '--seed',
      '5',
      '--workers',
      workers,
      '--store',
      store,
    ];
    const r = await cli([...args('2', 'b2'), '--json']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(r.out);
    expect(manifest.search.execution).toEqual({ mode: 'batched', workers: 2, batchSize: 4 });
    expect(r.err).toMatch(/search: 5-fold, stratified, seed 5, \d+ rows; log_loss \(minimize\); 2 workers/);
    expect(r.err).toMatch(/trial 0 gbdt started/);
    expect(r.err).toMatch(/trial 4 \w+ (COMPLETE|PRUNED|FAILED)/);

    const fs = await openFileStore(store);
    const exps = await fs.listExperiments();
    const parent = (await fs.searchRuns({ experimentId: exps[0].id, parentRunId: null })).runs[0];
    expect(parent).toMatchObject({ state: 'COMPLETE', name: 'automl search' });
    expect(parent.params).toMatchObject({ workers: 2, batch_size: 4, maxTrials: 5, seed: 5 });
    expect(parent.tags.split).toMatch(/^5-fold, stratified, seed 5/);
    const children = (await fs.searchRuns({ experimentId: exps[0].id, parentRunId: parent.id })).runs;
    expect(children).toHaveLength(5);
    for (const c of children) expect(['COMPLETE', 'PRUNED', 'FAILED']).toContain(c.state);
    // each trial was recorded while the search ran: started after the search and ended before it
    for (const c of children) {
      expect(c.startTime).toBeGreaterThanOrEqual(parent.startTime);
      expect(c.endTime!).toBeLessThanOrEqual(parent.endTime!);
    }
    expect(existsSync(join(dir, 'runs.db'))).toBe(true); // a .jsonl --store path means runs.db

    // the same search in process: same trials and scores; the text output ends with a leaderboard
    const t = await cli([...args('0', 'b0')]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/leaderboard \(log_loss, lower is better\):/);
    const m0 = JSON.parse(readFileSync(join(dir, 'b0', 'manifest.json'), 'utf8'));
    expect(m0.search.replay).toEqual(manifest.search.replay);
    expect(m0.metrics).toEqual(manifest.metrics);
  }, 120_000);

  it('rejects a bad --workers value', async () => {
    const r = await cli([
      'automl',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      tmp(),
      '--workers',
      '1.5',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--workers must be a whole number ≥ 0/);
  });
});
