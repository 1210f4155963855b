/**
 * Bundle integrity (SHA-256 of every file in the manifest) and provenance (Ed25519 signature over the
 * manifest): tampered files are refused by name, unlisted files and imported scorers never travel on,
 * signed bundles round-trip and a tampered signed bundle is refused; bundles made before the hashes
 * (the fixtures written by earlier versions) still load, with a note.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { rehashed } from '../../helpers/rehash.ts';
import { BundleError, loadBundle } from '../../../src/core/export/bundle.ts';
import { exportBundleFiles } from '../../../src/core/export/package.ts';
import { bundleToZip, readBundleZip } from '../../../src/core/export/zip.ts';
import {
  UNHASHED_NOTE,
  importableFiles,
  listedFiles,
  verifyFileHashes,
} from '../../../src/core/export/integrity.ts';
import {
  describeProvenance,
  fingerprintOf,
  generateSigningKey,
  normalizeFingerprint,
  signBundleFiles,
  verifyBundleSignature,
  webCryptoSigner,
} from '../../../src/core/export/signing.ts';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/bundle');
const readDir = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const SCORER = "// this studio's scorer\n";
const fresh = () => exportBundleFiles(readDir(join(FIXTURES, 'v2-fit-mlp')), { scorer: SCORER });
const manifestOf = (files: Record<string, string>) =>
  JSON.parse(files['manifest.json']) as { files: unknown };

function bundleError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BundleError);
    return (err as Error).message;
  }
  throw new Error('expected a BundleError');
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BundleError);
    return (err as Error).message;
  }
  throw new Error('expected a BundleError');
}

describe('integrity hashes', () => {
  it('the manifest hashes every other file (SHA-256 of its bytes) and the bundle loads verified', () => {
    const files = fresh();
    const hashes = manifestOf(files).files as Record<string, string>;
    expect(Object.keys(hashes).sort()).toEqual(
      Object.keys(files)
        .filter((f) => f !== 'manifest.json')
        .sort(),
    );
    for (const [name, hash] of Object.entries(hashes))
      expect(hash).toBe(createHash('sha256').update(Buffer.from(files[name], 'utf8')).digest('hex'));
    const loaded = loadBundle(readBundleZip(bundleToZip(files)), { requireListedFiles: true });
    expect(loaded.integrity).toMatchObject({ verified: true });
    expect(loaded.integrity?.checked).toHaveLength(Object.keys(hashes).length);
  });

  it.each([
    'model.json',
    'pipeline.json',
    'metrics.json',
    'MODEL_CARD.md',
    'predict.mjs',
    'input_example.csv',
  ])('a changed %s is refused, naming it', (name) => {
    const files = fresh();
    const tampered = { ...files, [name]: files[name].replace(/.$/s, (c) => (c === ' ' ? '_' : ' ')) + ' ' };
    expect(bundleError(() => loadBundle(tampered))).toBe(`${name} does not match its hash in manifest.json`);
    // Exporting it again does not launder it with fresh hashes.
    expect(bundleError(() => exportBundleFiles(tampered, { scorer: SCORER }))).toBe(
      `${name} does not match its hash in manifest.json`,
    );
  });

  it('a manifest whose hash is malformed is refused by the schema', () => {
    const files = fresh();
    const m = JSON.parse(files['manifest.json']);
    m.files['model.json'] = 'abc';
    expect(bundleError(() => loadBundle({ ...files, 'manifest.json': JSON.stringify(m) }))).toMatch(
      /files.model.json must match/,
    );
  });

  it('files the manifest does not list are dropped on import and never exported', () => {
    const files: Record<string, string> = { ...fresh(), 'evil.js': 'steal()', 'notes.txt': 'hi' };
    const kept = importableFiles(JSON.parse(files['manifest.json']), files);
    expect([...kept.dropped].sort()).toEqual(['evil.js', 'notes.txt']);
    expect(Object.keys(kept.files)).not.toContain('evil.js');
    const again = exportBundleFiles(files, { scorer: SCORER });
    expect(Object.keys(again)).not.toContain('evil.js');
    expect(Object.keys(again)).not.toContain('notes.txt');
    expect(listedFiles(manifestOf(again) as never)).not.toContain('evil.js');
  });

  it("an imported predict.mjs is not kept; export writes this studio's own, hashed", () => {
    const foreign = exportBundleFiles(readDir(join(FIXTURES, 'v2-fit-mlp')), {
      scorer: "import fs from 'node:fs'; fs.writeFileSync('/tmp/pwned', '1');\n",
    });
    const kept = importableFiles(JSON.parse(foreign['manifest.json']), foreign);
    expect(kept.scorerReplaced).toBe(true);
    expect(kept.files['predict.mjs']).toBeUndefined();
    // What is kept still loads and verifies (the manifest is untouched, so a signature stays valid).
    expect(loadBundle(kept.files).integrity?.verified).toBe(true);
    const out = exportBundleFiles(kept.files, { scorer: SCORER });
    expect(out['predict.mjs']).toBe(SCORER);
    expect(loadBundle(out, { requireListedFiles: true }).integrity?.verified).toBe(true);
  });

  it.each(['v1-fit-gbdt', 'v1-automl-linear', 'v2-fit-mlp', 'v2-automl-linear'])(
    'the older bundle %s (no hashes) loads with a note, and its export is hashed',
    (dir) => {
      const files = readDir(join(FIXTURES, dir));
      const loaded = loadBundle(files);
      expect(loaded.integrity).toEqual({ verified: false, checked: [], note: UNHASHED_NOTE });
      expect(UNHASHED_NOTE).toBe('made before integrity hashes: not verified');
      const out = exportBundleFiles(files, { scorer: SCORER });
      expect(verifyFileHashes(JSON.parse(out['manifest.json']), out).verified).toBe(true);
    },
  );
});

describe('signatures', () => {
  it('a signed bundle round-trips through a zip and names its signer', async () => {
    const pair = await generateSigningKey();
    const signer = await webCryptoSigner(pair);
    const fp = fingerprintOf(signer.publicKey);
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    const signed = (await signBundleFiles(fresh(), signer)) as Record<string, string>;
    const back = readBundleZip(bundleToZip(signed));
    const sig = JSON.parse(back['manifest.sig']);
    expect(sig).toMatchObject({ format: 'automl-studio-signature/1', algorithm: 'Ed25519', fingerprint: fp });
    // The manifest does not list its own signature.
    expect(listedFiles(manifestOf(back) as never)).not.toContain('manifest.sig');
    expect(importableFiles(manifestOf(back) as never, back).files['manifest.sig']).toBe(back['manifest.sig']);
    loadBundle(back, { requireListedFiles: true });
    const own = await verifyBundleSignature(back, { own: fp });
    expect(describeProvenance(own)).toBe(`signed by ${fp} (this studio)`);
    const known = await verifyBundleSignature(back, { trusted: { [fp]: 'Ada' } });
    expect(describeProvenance(known)).toBe(`signed by ${fp} (known: Ada)`);
    expect(describeProvenance(await verifyBundleSignature(back))).toBe(`signed by ${fp} (unknown)`);
    expect(describeProvenance(await verifyBundleSignature(fresh()))).toBe('unsigned');
    expect(normalizeFingerprint(fp.toUpperCase().replace(/(....)/g, '$1:'))).toBe(fp);
  });

  it('a tampered signed bundle is refused', async () => {
    const signer = await webCryptoSigner(await generateSigningKey());
    const signed = (await signBundleFiles(fresh(), signer)) as Record<string, string>;
    // A changed file whose hash is left alone: the hash check names it.
    const model = signed['model.json'].replace('"mlp"', '"mlp" ');
    expect(bundleError(() => loadBundle({ ...signed, 'model.json': model }))).toBe(
      'model.json does not match its hash in manifest.json',
    );
    // A forger who also re-hashes the manifest breaks the signature.
    const forged = rehashed({ ...signed, 'model.json': model });
    expect(() => loadBundle(forged)).not.toThrow(BundleError);
    expect(await rejection(verifyBundleSignature(forged))).toMatch(
      /^manifest.sig does not match manifest.json: the bundle was changed after it was signed by [0-9a-f]{32}$/,
    );
    // A signature re-made with another key is valid but from an unknown signer, not this studio.
    const other = await webCryptoSigner(await generateSigningKey());
    const resigned = (await signBundleFiles(forged, other)) as Record<string, string>;
    const p = await verifyBundleSignature(resigned, { own: fingerprintOf(signer.publicKey) });
    expect(p).toMatchObject({ status: 'signed', trust: 'unknown' });
    // A signature file that lies about its key, or is not one.
    const sig = JSON.parse(signed['manifest.sig']);
    const lying = { ...signed, 'manifest.sig': JSON.stringify({ ...sig, fingerprint: '0'.repeat(32) }) };
    expect(await rejection(verifyBundleSignature(lying))).toMatch(/fingerprint does not belong to publicKey/);
    expect(await rejection(verifyBundleSignature({ ...signed, 'manifest.sig': 'nope' }))).toMatch(
      /manifest.sig is not a valid signature file/,
    );
  });
});
