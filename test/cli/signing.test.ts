/**
 * The CLI's signing identity: `export` writes manifest.sig with the install's key (a 0600 key file),
 * `predict` scores a signed bundle and refuses a tampered one (exit 2, naming the problem), and the
 * trusted-keys file / --trust values are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';
import { rehashed } from '../helpers/rehash.ts';
import { runCli } from '../../src/cli/run.ts';
import { bundleToZip, readBundleZip } from '../../src/core/export/zip.ts';
import { cliSigner, cliTrustStore } from '../../src/cli/signing-key.ts';
import { describeProvenance, fingerprintOf, verifyBundleSignature } from '../../src/core/export/signing.ts';

const dir = mkdtempSync(join(tmpdir(), 'automl-signing-'));
const FIXTURE = join(REPO_ROOT, 'test/fixtures/bundle');
const saved = { key: process.env.AUTOML_SIGNING_KEY, trusted: process.env.AUTOML_TRUSTED_KEYS };

beforeAll(() => {
  process.env.AUTOML_SIGNING_KEY = join(dir, 'keys', 'signing-key.json');
  process.env.AUTOML_TRUSTED_KEYS = join(dir, 'trusted-keys.json');
});
afterAll(() => {
  for (const [k, v] of [
    ['AUTOML_SIGNING_KEY', saved.key],
    ['AUTOML_TRUSTED_KEYS', saved.trusted],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('CLI signing', () => {
  it('export signs with the install key; predict accepts it and refuses it tampered', async () => {
    const zip = join(dir, 'model.zip');
    const r = await cli(['export', join(FIXTURE, 'v2-fit-mlp'), '--out', zip]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(statSync(process.env.AUTOML_SIGNING_KEY!).mode & 0o777).toBe(0o600);
    const files = readBundleZip(new Uint8Array(readFileSync(zip)));
    const fp = fingerprintOf(cliSigner().publicKey);
    expect(JSON.parse(files['manifest.sig']).fingerprint).toBe(fp);
    expect(describeProvenance(await verifyBundleSignature(files, cliTrustStore()))).toBe(
      `signed by ${fp} (this studio)`,
    );

    const score = join(FIXTURE, 'score.csv');
    const ok = await cli(['predict', zip, score, '--out', join(dir, 'p.csv')]);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'p.csv'), 'utf8')).toBe(
      readFileSync(join(FIXTURE, 'v2-fit-mlp.predictions.csv'), 'utf8'),
    );

    const model = files['model.json'].replace(/"mlp"/, '"mlp" ');
    const plain = join(dir, 'plain.zip');
    writeFileSync(plain, bundleToZip({ ...files, 'model.json': model }));
    const p1 = await cli(['predict', plain, score]);
    expect(p1.code).toBe(2);
    expect(p1.err).toBe(`error: model.json does not match its hash in manifest.json (${plain})\n`);

    const forged = join(dir, 'forged.zip');
    writeFileSync(forged, bundleToZip(rehashed({ ...files, 'model.json': model })));
    const p2 = await cli(['predict', forged, score]);
    expect(p2.code).toBe(2);
    expect(p2.err).toMatch(
      /^error: manifest.sig does not match manifest.json: the bundle was changed after it was signed/,
    );
  });

  it('trusted keys come from the trusted-keys file and --trust', () => {
    const other = 'AB12'.repeat(8);
    writeFileSync(process.env.AUTOML_TRUSTED_KEYS!, JSON.stringify({ [other.toLowerCase()]: 'Ada' }));
    const store = cliTrustStore(['cd34'.repeat(8)]);
    const trusted = store.trusted as Map<string, string>;
    expect(trusted.get(other.toLowerCase())).toBe('Ada');
    expect(trusted.has('cd34'.repeat(8))).toBe(true);
    expect(() => cliTrustStore(['xyz'])).toThrow(/--trust xyz is not a fingerprint/);
  });
});
