import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/run.ts';
import { datasetFile, REPO_ROOT } from '../helpers/paths.ts';

const exec = promisify(execFile);

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

function tmpFile(name: string, content: string | Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'automl-cli-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('cli profile', () => {
  it('prints JSON with a type for every column and the right row count (diamonds)', async () => {
    const file = datasetFile('diamonds');
    const meta = JSON.parse(readFileSync(datasetFile('diamonds', 'meta.json'), 'utf8'));
    const { code, out, err } = await cli(['profile', file, '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.fingerprint.rows).toBe(meta.n_train);
    expect(json.profile.nRows).toBe(meta.n_train);
    expect(json.schema).toHaveLength(meta.columns);
    for (const col of json.schema) expect(typeof col.type).toBe('string');
    const byName = Object.fromEntries(
      json.schema.map((c: { name: string; type: string }) => [c.name, c.type]),
    );
    expect(['numeric', 'integer']).toContain(byName.price);
    expect(byName.carat).toBe('numeric');
    expect(byName.cut).toBe('categorical');
    expect(json.fingerprint.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(json.profile.suggestion.column).toBe('price');
    expect(json.profile.task.task).toBe('regression');
  });

  it('prints a readable human summary naming every column', async () => {
    const { code, out } = await cli(['profile', datasetFile('penguins')]);
    expect(code).toBe(0);
    for (const name of ['species', 'island', 'bill_length_mm', 'sex']) expect(out).toContain(name);
    expect(out).toMatch(/rows/);
    expect(out).toContain('species');
  });

  it('honours --target and rejects an unknown target with exit 2 and one line', async () => {
    const ok = await cli(['profile', datasetFile('penguins'), '--json', '--target', 'island']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).profile.target).toBe('island');
    const bad = await cli(['profile', datasetFile('penguins'), '--target', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/^error: target column 'nope' not found/);
  });

  it('reports unreadable input as one error line with exit 2', async () => {
    const missing = await cli(['profile', '/nonexistent/dir/x.csv']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('error: cannot read file: no such file (/nonexistent/dir/x.csv)\n');

    const empty = await cli(['profile', tmpFile('empty.csv', '')]);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/^error: .*empty.*\(.*empty\.csv.*\)\n$/i);

    const gz = await cli([
      'profile',
      tmpFile('data.csv', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2])),
    ]);
    expect(gz.code).toBe(2);
    expect(gz.err).toMatch(/^error: .*gzip/i);
    expect(gz.err.split('\n').filter(Boolean)).toHaveLength(1);

    const quote = await cli(['profile', tmpFile('q.csv', 'a,b\n1,2\n3,"oops\n4,5\n')]);
    expect(quote.code).toBe(2);
    expect(quote.err).toMatch(/^error: .*quote.*row 3/i);
  });

  it('rejects unknown commands and options with exit 2', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const bad = await cli(['profile', datasetFile('penguins'), '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: .*bogus/);
  });

  it('works through `npm run -s cli` (the documented JSON command) with stdout that is pure JSON', async () => {
    const { stdout } = await exec(
      'npm',
      ['run', '-s', 'cli', '--', 'profile', datasetFile('penguins'), '--json'],
      {
        cwd: REPO_ROOT,
        maxBuffer: 64 << 20,
      },
    );
    const json = JSON.parse(stdout);
    expect(json.profile.nColumns).toBe(8);
  });
});
