import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { datasetFile } from '../helpers/paths.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-fit-'));

describe('cli fit / predict / runs', () => {
  it('fits a bundle, predicts test.csv in score.py format and records the run', async () => {
    const dir = tmp();
    const store = join(dir, 'runs.jsonl');
    const bundle = join(dir, 'model');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      bundle,
      '--store',
      store,
      '--seed',
      '3',
    ]);
    expect(fit.err).toMatch(/recorded run \w+/);
    expect(fit.code).toBe(0);
    for (const f of ['manifest.json', 'pipeline.json', 'model.json'])
      expect(existsSync(join(bundle, f))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      target: 'species',
      task: 'multiclass',
      seed: 3,
      classes: ['Adelie', 'Chinstrap', 'Gentoo'],
    });
    expect(manifest.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);

    const preds = join(dir, 'p.csv');
    const pred = await cli(['predict', bundle, datasetFile('penguins', 'test.csv'), '--out', preds]);
    expect(pred.code).toBe(0);
    expect(pred.err).toBe(''); // the target column in test.csv is expected, not an extra column
    const lines = readFileSync(preds, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('Adelie,Chinstrap,Gentoo,prediction');
    const truth = readFileSync(datasetFile('penguins', 'test.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(truth.length);
    const speciesCol = truth[0].split(',').indexOf('species');
    let correct = 0;
    for (let i = 1; i < lines.length; i++)
      if (lines[i].split(',')[3] === truth[i].split(',')[speciesCol]) correct++;
    expect(correct / (lines.length - 1)).toBeGreaterThan(0.9);

    const list = await cli(['runs', 'list', '--store', store]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/COMPLETE\s+log_loss 0\.\d+/);
    const runId = /recorded run (\w+)/.exec(fit.err)![1];
    const show = await cli(['runs', 'show', runId, '--store', store, '--json']);
    const rec = JSON.parse(show.out);
    expect(rec.params).toMatchObject({ family: 'gbdt', seed: 3 });
    expect(rec.tags).toMatchObject({ task: 'multiclass', target: 'species' });
    // the same artifacts as a run made in the studio (src/core/jobs/fit.ts): the bundle as one zip
    // (what a registered version links to), its manifest and model card, and the chart data
    expect(rec.tags).toMatchObject({ source: 'cli fit', bundle, family: 'gbdt', backend: 'cpu' });
    expect(rec.artifacts.map((a: { name: string; kind: string }) => `${a.name} ${a.kind}`).sort()).toEqual([
      'MODEL_CARD.md report',
      'charts/confusion-matrix.json chart-data',
      'charts/feature-importance.json chart-data',
      'manifest.json report',
      'species-gbdt.zip model',
    ]);
    expect(rec.latestMetrics.fit_seconds.value).toBeGreaterThan(0);
  });

  it('names the missing columns when a data file lacks what the model needs (exit 2)', async () => {
    const dir = tmp();
    const bundle = join(dir, 'model');
    expect(
      (await cli(['fit', datasetFile('penguins'), '--target', 'species', '--out', bundle, '--no-track']))
        .code,
    ).toBe(0);
    const partial = join(dir, 'partial.csv');
    writeFileSync(partial, 'island,bill_length_mm\nBiscoe,40\n');
    const extra = join(dir, 'extra.csv');
    const test = readFileSync(datasetFile('penguins', 'test.csv'), 'utf8').trim().split('\n');
    writeFileSync(extra, test.map((l, i) => `${l},${i === 0 ? 'comment' : 'x'}`).join('\n') + '\n');
    const ok = await cli(['predict', bundle, extra]);
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('note: ignored 1 column(s) the model does not use: comment\n');
    const r = await cli(['predict', bundle, partial]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^error: .*partial\.csv lacks column\(s\) the model needs: bill_depth_mm, flipper_length_mm, body_mass_g, sex/,
    );
  });

  it('rejects bad fit usage with one clear line', async () => {
    const r1 = await cli(['fit', datasetFile('penguins'), '--out', tmp()]);
    expect(r1.err).toBe('error: fit needs --target COL\n');
    const r2 = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      tmp(),
      '--model',
      'svm',
    ]);
    expect(r2.err).toMatch(/unknown model family 'svm'/);
    const r3 = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      tmp(),
      '--params',
      '{bad',
    ]);
    expect(r3.err).toMatch(/--params is not valid JSON/);
    const r4 = await cli(['predict', '/nonexistent', datasetFile('penguins')]);
    expect(r4.code).toBe(2);
    expect(r4.err).toMatch(/model bundle not found/);
  });
});

describe('cli automl', () => {
  it('searches with a trial budget reproducibly, writes an ensemble-capable bundle that predicts', async () => {
    const dir = tmp();
    const args = (out: string) => [
      'automl',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      out,
      '--max-trials',
      '4',
      '--families',
      'gbdt,linear',
      '--seed',
      '5',
      '--store',
      join(dir, 'runs.jsonl'),
    ];
    const a = await cli(args(join(dir, 'a')));
    expect(a.err).toMatch(/recorded run/);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/searched 4 trials .*stopped by maxTrials/);
    const b = await cli(args(join(dir, 'b')));
    expect(b.code).toBe(0);
    const ma = JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8'));
    const mb = JSON.parse(readFileSync(join(dir, 'b', 'manifest.json'), 'utf8'));
    expect(ma.search.replay).toEqual(mb.search.replay);
    expect(ma.search.replay).toHaveLength(4);
    expect(ma.model.family).toBe('ensemble');
    expect(ma.pipeline.file).toBeNull();
    expect(existsSync(join(dir, 'a', 'pipeline.json'))).toBe(false);
    expect(readFileSync(join(dir, 'a', 'model.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'b', 'model.json'), 'utf8'),
    );

    const preds = join(dir, 'p.csv');
    expect(
      (await cli(['predict', join(dir, 'a'), datasetFile('penguins', 'test.csv'), '--out', preds])).code,
    ).toBe(0);
    const lines = readFileSync(preds, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('Adelie,Chinstrap,Gentoo,prediction');
    for (const line of lines.slice(1)) {
      const p = line.split(',').slice(0, 3).map(Number);
      expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 9);
    }
    const top = await cli(['runs', 'list', '--store', join(dir, 'runs.jsonl'), '--json']);
    expect(JSON.parse(top.out)).toHaveLength(2);
    const all = await cli(['runs', 'list', '--trials', '--store', join(dir, 'runs.jsonl'), '--json']);
    expect(JSON.parse(all.out)).toHaveLength(10);
  });
});
