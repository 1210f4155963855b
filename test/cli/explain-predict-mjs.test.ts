/**
 * `node predict.mjs data.csv --explain` (the standalone scorer inside a bundle, no studio, no
 * node_modules) writes exactly what `cli predict --explain` writes — the same reasons columns, byte for
 * byte, and the same notes — for TreeSHAP (GBDT, binary and multiclass), with `--top`, and for the seeded
 * sampling method (MLP) with its `--permutations`, `--background` and `--seed`; wrong options fail like
 * the CLI (exit 2, one error line).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-mjs-explain-'));

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

function scorer(dir: string, args: string[]) {
  return spawnSync(process.execPath, ['predict.mjs', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    maxBuffer: 64 << 20,
  });
}

async function fitZip(dataset: string, target: string, extra: string[]): Promise<string> {
  const out = join(tmp(), 'model.zip');
  const r = await cli([
    'fit',
    datasetFile(dataset),
    '--target',
    target,
    '--out',
    out,
    '--no-track',
    ...extra,
  ]);
  expect(r.code, r.err).toBe(0);
  return out;
}

/** Both ways with the same options: identical stdout and identical explanation notes. */
async function same(zip: string, data: string, opts: string[]): Promise<string> {
  const viaCli = await cli(['predict', zip, data, '--explain', ...opts]);
  expect(viaCli.code, viaCli.err).toBe(0);
  const r = scorer(extract(zip), [data, '--explain', ...opts]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toBe(viaCli.out);
  const notes = (t: string) => t.split('\n').filter((l) => l.startsWith('note: '));
  expect(notes(r.stderr)).toEqual(notes(viaCli.err));
  expect(r.stderr).toMatch(/^note: explanations: /m);
  return r.stdout;
}

describe('predict.mjs --explain = cli predict --explain', () => {
  it('GBDT binary (german_credit, TreeSHAP): the same reasons, default top 3 and --top 5; --out too', async () => {
    const zip = await fitZip('german_credit', 'class', ['--params', '{"rounds": 40}', '--seed', '3']);
    const test = datasetFile('german_credit', 'test.csv');
    const out = await same(zip, test, []);
    const head = out.split('\n')[0]!.split(',');
    for (const h of [
      'explained_class',
      'base_value',
      'reason_3_contribution',
      'other_contribution',
      'explained_output',
    ])
      expect(head).toContain(h);
    expect(head).not.toContain('reason_4');
    const five = await same(zip, test, ['--top', '5']);
    expect(five.split('\n')[0]!.split(',')).toContain('reason_5_contribution');
    // --out writes the same file
    const dir = extract(zip);
    const file = join(dir, 'out.csv');
    expect(scorer(dir, [test, '--explain', '--out', file]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(out);
    // without --explain: the plain predictions, unchanged
    const plain = await cli(['predict', zip, test]);
    expect(scorer(dir, [test]).stdout).toBe(plain.out);
  }, 180_000);

  it('GBDT multiclass (penguins): the predicted class explained, the same as the CLI', async () => {
    const zip = await fitZip('penguins', 'species', ['--params', '{"rounds": 30}', '--seed', '1']);
    const out = await same(zip, datasetFile('penguins', 'test.csv'), ['--top', '2']);
    const [head, ...rows] = out
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const cls = head!.indexOf('explained_class');
    const pred = head!.indexOf('prediction');
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect(r[cls]).toBe(r[pred]);
  }, 180_000);

  it('MLP (sampling Shapley values): seeded, the same with --permutations, --background and --seed', async () => {
    const zip = await fitZip('penguins', 'species', [
      '--model',
      'mlp',
      '--params',
      '{"epochs": 10, "hidden": [8]}',
      '--seed',
      '2',
    ]);
    const out = await same(zip, datasetFile('penguins', 'test.csv'), [
      '--permutations',
      '4',
      '--background',
      '8',
      '--seed',
      '5',
    ]);
    expect(out.split('\n')[0]!.split(',')).toContain('reason_1_stderr');
  }, 180_000);

  it('wrong options fail like the CLI: exit 2 and one error line', async () => {
    const zip = await fitZip('penguins', 'species', ['--params', '{"rounds": 10}']);
    const dir = extract(zip);
    const test = datasetFile('penguins', 'test.csv');
    const stray = scorer(dir, [test, '--top', '2']);
    expect(stray.status).toBe(2);
    expect(stray.stderr).toMatch(/^error: --top goes with --explain\n/);
    const bad = scorer(dir, [test, '--explain', '--top', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: --top must be an integer from 1 to 1000, got 0\n/);
    const cliBad = await cli(['predict', zip, test, '--explain', '--top', '0']);
    expect(cliBad.err).toMatch(/--top must be an integer from 1 to 1000, got 0/);
  }, 120_000);
});
