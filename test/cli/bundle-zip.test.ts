import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { searchReplayProblems } from '../../src/core/export/reproduce.ts';
import { readBundleZip } from '../../src/core/export/zip.ts';
import { datasetFile } from '../helpers/paths.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-zip-'));
const TRAIN = () => datasetFile('penguins');
const TEST = () => datasetFile('penguins', 'test.csv');

/** Extracts a bundle zip into a fresh temp folder with no node_modules anywhere above it. */
function extract(zip: string): string {
  const dir = join(tmp(), 'bundle');
  mkdirSync(dir);
  for (let d = dir; ; d = dirname(d)) {
    expect(existsSync(join(d, 'node_modules'))).toBe(false);
    if (d === parse(d).root) break;
  }
  for (const [name, text] of Object.entries(readBundleZip(new Uint8Array(readFileSync(zip)))))
    writeFileSync(join(dir, name), text);
  return dir;
}

function runScorer(dir: string, csv: string): string {
  return execFileSync(process.execPath, ['predict.mjs', csv], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    maxBuffer: 64 << 20,
  });
}

async function fitZip(model: string, params?: string): Promise<string> {
  const out = join(tmp(), `${model}.zip`);
  const r = await cli([
    'fit',
    TRAIN(),
    '--target',
    'species',
    '--model',
    model,
    '--out',
    out,
    '--no-track',
    '--seed',
    '7',
    ...(params ? ['--params', params] : []),
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/bundle written to .*\.zip/);
  return out;
}

/** A copy of a zip bundle as a folder whose manifest.json went through `change`. */
function editedBundle(zip: string, change: (manifest: Record<string, unknown>) => void): string {
  const dir = extract(zip);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  change(manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  // An edited manifest no longer matches the signature: the edited bundle is an unsigned one (a
  // signed bundle whose manifest changed is refused, see test/cli/signing.test.ts).
  rmSync(join(dir, 'manifest.sig'), { force: true });
  return dir;
}

/** The training data with the rows and columns `change` returns (the header is row 0). */
function trainingCopy(change: (rows: string[][]) => string[][]): string {
  const rows = readFileSync(TRAIN(), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const out = join(tmp(), 'train.csv');
  writeFileSync(
    out,
    change(rows)
      .map((r) => r.join(','))
      .join('\n') + '\n',
  );
  return out;
}

let automl: Promise<string> | undefined;
/** One automl ensemble bundle (--max-trials 4, gbdt and linear, seed 5) as a zip, made once. */
function automlZip(): Promise<string> {
  automl ??= (async () => {
    const zip = join(tmp(), 'automl.zip');
    const a = await cli([
      'automl',
      TRAIN(),
      '--target',
      'species',
      '--out',
      zip,
      '--max-trials',
      '4',
      '--families',
      'gbdt,linear',
      '--seed',
      '5',
      '--no-track',
    ]);
    expect(a.code).toBe(0);
    return zip;
  })();
  return automl;
}

const bundles: Record<string, string> = {};
const MODELS: [string, string | undefined][] = [
  ['gbdt', '{"rounds": 40}'],
  ['rf', '{"rounds": 30}'],
  ['linear', '{"epochs": 40}'],
  ['mlp', '{"epochs": 15, "hidden": [16]}'],
];

describe('zip bundles: fit --out x.zip, predict, predict.mjs', () => {
  it.each(MODELS)(
    '%s: the zip holds the format 2 files and predict.mjs in an empty folder matches cli predict byte for byte',
    async (model, params) => {
      const zip = await fitZip(model, params);
      bundles[model] = zip;
      const files = readBundleZip(new Uint8Array(readFileSync(zip)));
      expect(Object.keys(files)).toEqual([
        'manifest.json',
        'pipeline.json',
        'model.json',
        'metrics.json',
        'signature.json',
        'input_example.csv',
        'reference.json',
        'MODEL_CARD.md',
        'predict.mjs',
        'manifest.sig',
      ]);
      const manifest = JSON.parse(files['manifest.json']);
      expect(manifest.formatVersion).toBe(2);
      expect(manifest.app.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
      expect(files['predict.mjs']).not.toMatch(/^import .* from ['"](?!node:)/m);

      const viaCli = await cli(['predict', zip, TEST()]);
      expect(viaCli.code).toBe(0);
      const dir = extract(zip);
      const viaScorer = runScorer(dir, TEST());
      expect(viaScorer).toBe(viaCli.out);
      expect(viaScorer.split('\n')[0]).toBe('Adelie,Chinstrap,Gentoo,prediction');
      // The example rows score too.
      expect(runScorer(dir, 'input_example.csv').trim().split('\n')).toHaveLength(6);
    },
    120_000,
  );

  it('regression (diabetes, gbdt): predict.mjs output equals cli predict; reproduced', async () => {
    const zip = join(tmp(), 'reg.zip');
    const train = datasetFile('diabetes');
    const fit = [
      'fit',
      train,
      '--target',
      'target',
      '--out',
      zip,
      '--no-track',
      '--params',
      '{"rounds": 30}',
    ];
    expect((await cli(fit)).code).toBe(0);
    const viaCli = await cli(['predict', zip, datasetFile('diabetes', 'test.csv')]);
    expect(viaCli.out.split('\n')[0]).toBe('prediction');
    expect(runScorer(extract(zip), datasetFile('diabetes', 'test.csv'))).toBe(viaCli.out);
    expect((await cli(['reproduce', zip, '--data', train])).code).toBe(0);
  }, 120_000);

  it('predict.mjs fails like the CLI: usage and missing columns exit 2 with one error line', async () => {
    const dir = extract(bundles.gbdt ?? (await fitZip('gbdt', '{"rounds": 40}')));
    writeFileSync(join(dir, 'partial.csv'), 'island,bill_length_mm\nBiscoe,40\n');
    const r = spawnSync(process.execPath, ['predict.mjs', 'partial.csv'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: partial\.csv lacks column\(s\) the model needs: bill_depth_mm/);
    expect(spawnSync(process.execPath, ['predict.mjs'], { cwd: dir, encoding: 'utf8' }).status).toBe(2);
  });

  it('predict and predict.mjs report cells that cannot be read as the model type on stderr; stdout is unchanged', async () => {
    const zip = bundles.gbdt ?? (await fitZip('gbdt', '{"rounds": 40}'));
    const dir = extract(zip);
    const lines = readFileSync(TEST(), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const at = header.indexOf('bill_length_mm');
    expect(at).toBeGreaterThanOrEqual(0);
    // File row 3 (the header is row 1) gets "oops", file row 5 gets an empty cell: both are missing.
    const withCell = (cell: string, also = '') =>
      lines
        .map((l, i) => {
          const cells = l.split(',');
          if (i === 2) cells[at] = cell;
          if (i === 4) cells[at] = also;
          return cells.join(',');
        })
        .join('\n') + '\n';
    writeFileSync(join(dir, 'oops.csv'), withCell('oops'));
    writeFileSync(join(dir, 'blank.csv'), withCell(''));
    const blank = await cli(['predict', zip, join(dir, 'blank.csv')]);
    expect(blank.code).toBe(0);
    expect(blank.err).toBe('');
    const oops = await cli(['predict', zip, join(dir, 'oops.csv')]);
    expect(oops.code).toBe(0);
    // An unreadable cell is scored as missing: the same predictions as an empty cell, nothing else on stdout.
    expect(oops.out).toBe(blank.out);
    expect(oops.out).not.toMatch(/note|could not/);
    expect(oops.err).toBe(
      'note: column bill_length_mm: 1 cell could not be read as numeric (the type the model was trained on) ' +
        'and was scored as missing (row 3)\n',
    );
    const s = spawnSync(process.execPath, ['predict.mjs', 'oops.csv'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(s.status).toBe(0);
    expect(s.stdout).toBe(oops.out);
    expect(s.stderr).toBe(oops.err);
    // Several cells: the count and the rows (an extra column is still noted first).
    writeFileSync(
      join(dir, 'more.csv'),
      withCell('n/a?', 'x')
        .trim()
        .split('\n')
        .map((l, i) => `${l},${i === 0 ? 'comment' : 'c'}`)
        .join('\n') + '\n',
    );
    const more = await cli(['predict', zip, join(dir, 'more.csv')]);
    expect(more.code).toBe(0);
    expect(more.err).toBe(
      'note: ignored 1 column(s) the model does not use: comment\n' +
        'note: column bill_length_mm: 2 cells could not be read as numeric (the type the model was trained on) ' +
        'and were scored as missing (rows 3, 5)\n',
    );
    expect(more.out).toBe(blank.out);
    const s2 = spawnSync(process.execPath, ['predict.mjs', 'more.csv'], { cwd: dir, encoding: 'utf8' });
    expect(s2.stderr).toBe(more.err);
    expect(s2.stdout).toBe(more.out);
  }, 120_000);

  it('export packs a folder bundle into a zip that predicts the same as the folder', async () => {
    const dir = tmp();
    const folder = join(dir, 'model');
    expect(
      (
        await cli([
          'fit',
          TRAIN(),
          '--target',
          'species',
          '--out',
          folder,
          '--no-track',
          '--params',
          '{"rounds": 30}',
        ])
      ).code,
    ).toBe(0);
    expect(existsSync(join(folder, 'predict.mjs'))).toBe(true);
    const zip = join(dir, 'model.zip');
    const ex = await cli(['export', folder, '--out', zip]);
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(/wrote .*model\.zip/);
    const a = await cli(['predict', folder, TEST()]);
    const b = await cli(['predict', zip, TEST()]);
    expect(b.out).toBe(a.out);
    expect((await cli(['export', folder, '--out', join(dir, 'x.tar')])).code).toBe(2);
    expect((await cli(['export', join(dir, 'nope'), '--out', zip])).err).toMatch(/model bundle not found/);
  });

  it('predict rejects a damaged zip with exit 2 and a specific error', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.zip');
    const good = readFileSync(bundles.gbdt ?? (await fitZip('gbdt', '{"rounds": 40}')));
    writeFileSync(bad, good.subarray(0, good.length - 100));
    const r = await cli(['predict', bad, TEST()]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*(zip|central directory).*bad\.zip\)\n$/);
    writeFileSync(join(dir, 'text.zip'), 'hello');
    expect((await cli(['predict', join(dir, 'text.zip'), TEST()])).err).toMatch(
      /neither a bundle folder nor a zip file/,
    );
  });
});

describe('cli reproduce', () => {
  it.each(MODELS)(
    '%s fit bundle: reproduced (exit 0), bit-identical',
    async (model, params) => {
      const zip = bundles[model] ?? (await fitZip(model, params));
      const r = await cli(['reproduce', zip, '--data', TRAIN()]);
      expect(r.err).toBe('');
      expect(r.out).toMatch(/data fingerprint matches/);
      expect(r.out).toMatch(/predictions on 275 rows: bit-identical/);
      expect(r.out).toMatch(/verdict: reproduced\n$/);
      expect(r.code).toBe(0);
    },
    120_000,
  );

  it('one changed cell: data fingerprint differs and the first differing prediction (exit 1)', async () => {
    const zip = bundles.linear ?? (await fitZip('linear', '{"epochs": 40}'));
    const dir = tmp();
    const lines = readFileSync(TRAIN(), 'utf8').split('\n');
    const cells = lines[1].split(',');
    cells[2] = String(Number(cells[2]) + 5); // bill_length_mm of the first row
    lines[1] = cells.join(',');
    const changed = join(dir, 'changed.csv');
    writeFileSync(changed, lines.join('\n'));
    const r = await cli(['reproduce', zip, '--data', changed]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/data fingerprint differs: manifest sha256 [0-9a-f]{64}/);
    expect(r.out).toMatch(
      /first differing prediction: row \d+, column (Adelie|Chinstrap|Gentoo|prediction): expected [\d.e-]+, got [\d.e-]+/,
    );
    expect(r.out).toMatch(/verdict: not reproduced\n$/);
    const j = await cli(['reproduce', zip, '--data', changed, '--json']);
    const v = JSON.parse(j.out);
    expect(v).toMatchObject({ verdict: 'not reproduced', fingerprint: { same: false } });
    expect(v.firstDifference).toMatchObject({ row: expect.any(Number), column: expect.any(String) });
  }, 120_000);

  it('bad input exits 2', async () => {
    const dir = tmp();
    const zip = bundles.gbdt ?? (await fitZip('gbdt', '{"rounds": 40}'));
    const r1 = await cli(['reproduce', zip, '--data', join(dir, 'missing.csv')]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/no such file/);
    writeFileSync(join(dir, 'bad.zip'), 'not a zip');
    expect((await cli(['reproduce', join(dir, 'bad.zip'), '--data', TRAIN()])).code).toBe(2);
    expect((await cli(['reproduce', zip])).err).toMatch(/reproduce needs --data/);
    writeFileSync(join(dir, 'other.csv'), 'a,b\n1,2\n3,4\n');
    const r4 = await cli(['reproduce', zip, '--data', join(dir, 'other.csv')]);
    expect(r4.code).toBe(2);
    expect(r4.err).toMatch(/target column 'species' not found/);
  });

  it('data lacking a column the model reads: exit 2 naming the file and the column, before any refit', async () => {
    const zip = bundles.gbdt ?? (await fitZip('gbdt', '{"rounds": 40}'));
    const at = readFileSync(TRAIN(), 'utf8').split('\n')[0].split(',').indexOf('bill_depth_mm');
    const data = trainingCopy((rows) => rows.map((r) => r.filter((_, i) => i !== at)));
    const r = await cli(['reproduce', zip, '--data', data]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`error: the data lacks column(s) the model needs: bill_depth_mm (${data})\n`);
    const auto = await cli(['reproduce', await automlZip(), '--data', data]);
    expect(auto.code).toBe(2);
    expect(auto.err).toMatch(
      /^error: the data lacks column\(s\) the model needs: bill_depth_mm \(.*train\.csv\)\n$/,
    );
  }, 180_000);

  it('data that cannot be trained on (one class) or invalid recorded hyperparameters: bad input, exit 2', async () => {
    const zip = bundles.gbdt ?? (await fitZip('gbdt', '{"rounds": 40}'));
    const oneClass = trainingCopy((rows) => rows.map((r, i) => (i === 0 ? r : ['Adelie', ...r.slice(1)])));
    const r = await cli(['reproduce', zip, '--data', oneClass]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `error: cannot train on ${oneClass}: target 'species' has 1 class; classification needs at least 2\n`,
    );
    const bad = editedBundle(zip, (m) => {
      (m.model as { config: unknown }).config = { rounds: 'many' };
    });
    const c = await cli(['reproduce', bad, '--data', TRAIN()]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(
      /^error: cannot train the bundle's model again \(.*bundle\): gbdt config 'rounds' .*"many"\n$/,
    );
  }, 120_000);

  it('an automl manifest whose search record lacks what the replay reads: exit 2 naming the fields', async () => {
    const zip = await automlZip();
    const noHalving = editedBundle(zip, (m) => {
      delete (m.search as Record<string, unknown>).halving;
    });
    const r = await cli(['reproduce', noHalving, '--data', TRAIN()]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `error: manifest.json: the search record cannot be replayed: it lacks search.halving (${noHalving})\n`,
    );
    const several = editedBundle(zip, (m) => {
      const s = m.search as Record<string, Record<string, unknown>>;
      delete s.halving;
      delete s.budget.marginFraction;
      s.split.strategy = 'bootstrap';
    });
    const r2 = await cli(['reproduce', several, '--data', TRAIN()]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(
      /cannot be replayed: it lacks search\.halving, search\.budget\.marginFraction; search\.split\.strategy must be 'kfold' or 'holdout'/,
    );
    // The record automl writes is complete; each field the replay reads is named when it is missing.
    const search = JSON.parse(readBundleZip(new Uint8Array(readFileSync(zip)))['manifest.json']).search;
    expect(searchReplayProblems(search)).toEqual({ missing: [], invalid: [] });
    for (const key of [
      'metric',
      'seed',
      'families',
      'sampler',
      'replay',
      'stoppedBy',
      'split',
      'halving',
      'budget',
    ]) {
      const { [key]: _, ...rest } = search;
      expect(searchReplayProblems(rest).missing).toEqual([`search.${key}`]);
    }
    expect(searchReplayProblems({ ...search, halving: false })).toEqual({ missing: [], invalid: [] });
    expect(searchReplayProblems({ ...search, halving: { minPeers: 3 } }).missing).toEqual([
      'search.halving.reductionFactor',
    ]);
  }, 180_000);

  it('automl ensemble bundle (--max-trials): zip written directly, replayed and reproduced (exit 0); predict.mjs matches', async () => {
    const zip = await automlZip();
    const files = readBundleZip(new Uint8Array(readFileSync(zip)));
    expect(files['pipeline.json']).toBeUndefined();
    const manifest = JSON.parse(files['manifest.json']);
    expect(manifest.search.replay).toHaveLength(4);
    expect(manifest.model.members.length).toBeGreaterThan(1);
    expect(manifest.training.command).toBe('automl');
    const r = await cli(['reproduce', zip, '--data', TRAIN()]);
    expect(r.out).toMatch(/bit-identical/);
    expect(r.out).toMatch(/verdict: reproduced/);
    expect(r.code).toBe(0);
    const viaCli = await cli(['predict', zip, TEST()]);
    expect(runScorer(extract(zip), TEST())).toBe(viaCli.out);
  }, 180_000);
});
