/**
 * The retrain loop in the CLI: `monitor --reference train.csv --retrain-data OUT.csv` joins the
 * training data and a labelled batch (the lineage names every input file's SHA-256) and prints the
 * fit/automl command that retrains the model; the retrained bundle — one model (same configuration)
 * and a search (the search again) — replays with `reproduce` on OUT.csv.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'automl-retrain-'));
const TRAIN = () => datasetFile('penguins');
const TEST = () => datasetFile('penguins', 'test.csv');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

/** Splits the printed command line into words (the test's own shell-word reader). */
function words(command: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m; (m = re.exec(command));) out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return out;
}

const fitModel = join(dir, 'fit.zip');
const searchModel = join(dir, 'search.zip');

beforeAll(async () => {
  const fit = await cli([
    'fit',
    TRAIN(),
    '--target',
    'species',
    '--out',
    fitModel,
    '--no-track',
    '--seed',
    '5',
  ]);
  expect(fit.code, fit.err).toBe(0);
  const search = await cli([
    'automl',
    TRAIN(),
    '--target',
    'species',
    '--out',
    searchModel,
    '--no-track',
    '--seed',
    '3',
    '--max-trials',
    '3',
    '--budget',
    '120',
    '--families',
    'gbdt,linear',
  ]);
  expect(search.code, search.err).toBe(0);
}, 300_000);

describe('cli monitor --retrain-data', () => {
  for (const [label, model, mode] of [
    ['one model, same configuration', fitModel, 'same'],
    ['a search, the search again', searchModel, 'search'],
  ] as const) {
    it(`${label}: joined data with lineage, the printed command retrains, reproduce replays it`, async () => {
      const data = join(dir, `combined-${mode}.csv`);
      const r = await cli([
        'monitor',
        model,
        TEST(),
        '--reference',
        TRAIN(),
        '--no-track',
        '--retrain-data',
        data,
        '--retrain-mode',
        mode,
      ]);
      expect(r.code, r.err).toBe(0);
      // The joined file: the training header, its rows, then the batch's labelled rows.
      const train = lines(TRAIN());
      const test = lines(TEST());
      const joined = lines(data);
      expect(joined.length).toBe(train.length + test.length - 1);
      expect(joined[0]).toBe(train[0]);
      // The lineage names both files with their SHA-256 (first 12 hex digits) and rows.
      const wrote = new RegExp(
        `wrote .*combined-${mode}\\.csv: ${joined.length - 1} rows from train\\.csv \\(sha256 ${sha(TRAIN()).slice(0, 12)}…, ${train.length - 1} rows\\) \\+ test\\.csv \\(sha256 ${sha(TEST()).slice(0, 12)}…, ${test.length - 1} rows\\)`,
      );
      expect(r.err).toMatch(wrote);
      const command = /with: npm run cli -- (.*) --out retrained\.zip$/m.exec(r.err)?.[1];
      expect(command, r.err).toBeDefined();
      const argv = words(command!);
      expect(argv[0]).toBe(mode === 'search' ? 'automl' : 'fit');
      const out = join(dir, `retrained-${mode}.zip`);
      const trained = await cli([...argv, '--out', out, '--no-track']);
      expect(trained.code, trained.err).toBe(0);
      const rep = await cli(['reproduce', out, '--data', data]);
      expect(rep.out, rep.err).toMatch(/data fingerprint matches/);
      expect(rep.out).toMatch(/verdict: reproduced\n$/);
      expect(rep.code).toBe(0);
    }, 300_000);
  }

  it('bad input: no training data, an unlabelled batch, an unknown mode', async () => {
    const data = join(dir, 'x.csv');
    const noRef = await cli(['monitor', fitModel, TEST(), '--no-track', '--retrain-data', data]);
    expect(noRef.code).toBe(2);
    expect(noRef.err).toMatch(/--retrain-data needs the training data: give it with --reference/);
    const [h, ...rows] = lines(TEST());
    const j = h!.split(',').indexOf('species');
    const unlabelled = join(dir, 'unlabelled.csv');
    writeFileSync(
      unlabelled,
      [
        h!
          .split(',')
          .filter((_, k) => k !== j)
          .join(','),
        ...rows.map((l) =>
          l
            .split(',')
            .filter((_, k) => k !== j)
            .join(','),
        ),
      ].join('\n') + '\n',
    );
    const u = await cli([
      'monitor',
      fitModel,
      unlabelled,
      '--reference',
      TRAIN(),
      '--no-track',
      '--retrain-data',
      data,
    ]);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(
      /unlabelled\.csv has no target column species: only labelled batches can be trained on/,
    );
    const m = await cli([
      'monitor',
      fitModel,
      TEST(),
      '--reference',
      TRAIN(),
      '--no-track',
      '--retrain-data',
      data,
      '--retrain-mode',
      'x',
    ]);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/--retrain-mode must be search or same/);
    const notSearch = await cli([
      'monitor',
      fitModel,
      TEST(),
      '--reference',
      TRAIN(),
      '--no-track',
      '--retrain-data',
      data,
      '--retrain-mode',
      'search',
    ]);
    expect(notSearch.code).toBe(2);
    expect(notSearch.err).toMatch(/not made by a search/);
  });
});
