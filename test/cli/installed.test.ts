/**
 * The installed CLI (package.json "bin": automl-studio → src/cli/bin.mjs → dist-cli/, the
 * ahead-of-time build): same output as the sources run in process, trial workers start from the
 * compiled worker, and `npx automl-studio` resolves from the repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';

const BIN = join(REPO_ROOT, 'src/cli/bin.mjs');

function installed(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function inProcess(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: () => {} });
  return { code, out };
}

beforeAll(() => {
  // `npm ci` builds it (prepare); build again here (under a second) so that the build compared is
  // the one of the sources under test, not one left from before an edit.
  execFileSync('npm', ['run', 'build:cli'], { cwd: REPO_ROOT, stdio: 'ignore' });
  expect(existsSync(join(REPO_ROOT, 'dist-cli', 'main.mjs'))).toBe(true);
}, 120_000);

describe('installed CLI', () => {
  it('profile --json: the same JSON as the sources', async () => {
    const a = installed(['profile', datasetFile('penguins'), '--json']);
    const b = await inProcess(['profile', datasetFile('penguins'), '--json']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toEqual(JSON.parse(b.out));
  });

  it('automl with a trial worker thread and predict: the same predictions as the sources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'automl-installed-'));
    const args = (out: string) => [
      'automl',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      out,
      '--max-trials',
      '3',
      '--seed',
      '4',
      '--families',
      'gbdt',
      '--no-track',
    ];
    const fit = installed([...args(join(dir, 'a.zip')), '--workers', '1']);
    expect(fit.code, fit.err).toBe(0);
    expect((await inProcess([...args(join(dir, 'b.zip')), '--workers', '0'])).code).toBe(0);
    const pa = installed(['predict', join(dir, 'a.zip'), datasetFile('penguins', 'test.csv')]);
    const pb = await inProcess(['predict', join(dir, 'b.zip'), datasetFile('penguins', 'test.csv')]);
    expect(pa.code).toBe(0);
    expect(pa.out).toBe(pb.out);
  }, 180_000);

  it('exit codes and errors are the same; npx automl-studio runs from the repository', () => {
    const bad = installed(['predict', '/nonexistent.zip', datasetFile('penguins')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: /);
    const npx = spawnSync('npx', ['--no-install', 'automl-studio', 'profile', datasetFile('penguins')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout).toMatch(/275 rows × 8 columns/);
  }, 60_000);
});
