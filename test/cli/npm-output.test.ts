/**
 * Quiet set-up without silencing npm: the repository does not turn npm's log level down (so `npm ci`
 * shows its progress), and the documented JSON command, `npm run -s cli -- … --json`, still prints
 * nothing but JSON on stdout — while plain `npm run cli` shows why the `-s` is needed.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { datasetFile, REPO_ROOT } from '../helpers/paths.ts';

const exec = promisify(execFile);
/** npm as a user runs it: without the npm_config_* variables of a surrounding `npm test`. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}
const opts = { cwd: REPO_ROOT, env: cleanEnv(), maxBuffer: 64 << 20 };

describe('npm output', () => {
  it("keeps npm's default log level in this repository (no silencing .npmrc)", async () => {
    const { stdout } = await exec('npm', ['config', 'get', 'loglevel'], opts);
    expect(stdout.trim()).not.toBe('silent');
    expect(['notice', 'http', 'timing', 'info', 'verbose', 'silly', 'warn']).toContain(stdout.trim());
  });

  it('`npm run -s cli -- profile … --json` prints only JSON on stdout', async () => {
    const { stdout } = await exec(
      'npm',
      ['run', '-s', 'cli', '--', 'profile', datasetFile('penguins'), '--json'],
      opts,
    );
    expect(stdout.trimStart().startsWith('{')).toBe(true);
    const json = JSON.parse(stdout) as { profile: { nColumns: number } };
    expect(json.profile.nColumns).toBe(8);
  });

  it('plain `npm run cli` prefixes its banner (why the README asks for -s with --json)', async () => {
    const { stdout } = await exec('npm', ['run', 'cli', '--', '--help'], opts);
    expect(stdout).toMatch(/^\s*> automl-studio@[^\n]* cli\n/);
    expect(stdout).toContain('usage: npm run cli');
  });
});
