import { createHash } from 'node:crypto';
import { rehashed } from '../../helpers/rehash.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { zipSync, strToU8 } from 'fflate';
import { trainModel } from '../../../src/core/train/train.ts';
import {
  BundleError,
  createBundleFiles,
  loadBundle,
  predictTable,
  type BundleManifest,
} from '../../../src/core/export/bundle.ts';
import { bundleToZip, readBundleZip, looksLikeZip } from '../../../src/core/export/zip.ts';
import { MANIFEST_SCHEMA_V2, validateManifest } from '../../../src/core/export/manifest-schema.ts';
import { exportBundleFiles, upgradeManifest } from '../../../src/core/export/package.ts';
import { INTENDED_USE_PLACEHOLDER } from '../../../src/core/export/model-card.ts';
import { cat, num, table } from '../../helpers/table.ts';
import { nestedZip, rawZip } from './raw-zip.ts';
import type { Table } from '../../../src/core/data/table.ts';

function small(n: number): Table {
  const x: number[] = [];
  const c: string[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    x.push((i * 37) % 101);
    c.push(['a', 'b', 'c'][i % 3]);
    y.push((i * 37) % 101 > 50 !== (i % 3 === 0) ? 'yes' : 'no');
  }
  return table(num('x', x), cat('c', c), cat('y', y));
}

const env = {
  app: { name: 'automl-studio', version: 'test', commit: 'abc123' },
  runtime: 'vitest',
  libraries: { '@tensorflow/tfjs': '4.22.0' },
  backend: { name: 'cpu', reason: 'trees' },
  createdAt: '2026-01-01T00:00:00.000Z',
};
const dataset = {
  name: 'small.csv',
  fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 120, columns: 3, schemaHash: 'b'.repeat(64) },
  schema: [
    { name: 'x', originalName: 'x', index: 0, type: 'numeric', inferredType: 'numeric', overridden: false },
    { name: 'c', originalName: 'c', index: 1, type: 'categorical', inferredType: 'text', overridden: true },
    {
      name: 'y',
      originalName: 'y',
      index: 2,
      type: 'categorical',
      inferredType: 'categorical',
      overridden: false,
    },
  ] as const,
  warnings: [
    { kind: 'class-imbalance', severity: 'warning', column: 'y', message: 'y is imbalanced' },
  ] as never,
};

let files: Record<string, string>;
let data: Table;
beforeAll(async () => {
  data = small(120);
  const trained = await trainModel({
    table: data,
    target: 'y',
    task: 'binary',
    family: 'gbdt',
    seed: 3,
    params: { rounds: 20 },
  });
  files = createBundleFiles(trained, dataset, env, {
    exclude: [],
    params: { rounds: 20 },
    table: data,
    scorer: '// scorer\n',
  });
});

const zipOf = (entries: Record<string, string | Uint8Array>) =>
  zipSync(
    Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? strToU8(v) : v])),
  );
const withManifest = (edit: (m: Record<string, unknown>) => void) => {
  const m = JSON.parse(files['manifest.json']);
  edit(m);
  return { ...files, 'manifest.json': JSON.stringify(m) };
};

describe('bundle format 2', () => {
  it('writes every file, and a manifest that matches the published schema', () => {
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
    ]);
    const m = JSON.parse(files['manifest.json']) as BundleManifest;
    expect(validateManifest(m)).toEqual([]);
    expect(m).toMatchObject({
      formatVersion: 2,
      app: { version: 'test', commit: 'abc123' },
      training: { command: 'fit', exclude: [], validFraction: 0.2, params: { rounds: 20 } },
      reproducibility: { tolerance: 0, deterministic: true },
      model: { family: 'gbdt', iterations: 20 },
      environment: { tfjs: '4.22.0' },
    });
    expect(Object.keys(m.files as object)).toEqual(Object.keys(files).filter((f) => f !== 'manifest.json'));
    for (const [name, hash] of Object.entries(m.files as Record<string, string>))
      expect(hash).toBe(createHash('sha256').update(files[name], 'utf8').digest('hex'));
    expect(MANIFEST_SCHEMA_V2.$schema).toMatch(/json-schema.org/);
    // The published copy (served by the app at /schema/manifest-v2.json) is the same schema.
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'public/schema/manifest-v2.json'), 'utf8'))).toEqual(
      MANIFEST_SCHEMA_V2,
    );
    expect(files['input_example.csv'].split('\n')[0]).toBe('x,c');
    expect(files['input_example.csv'].trim().split('\n')).toHaveLength(6);
    const card = files['MODEL_CARD.md'];
    for (const h of ['## Model details', '## Intended use', '## Metrics', '## Training data', '## Caveats'])
      expect(card).toContain(h);
    expect(card).toContain(INTENDED_USE_PLACEHOLDER);
    expect(card).toContain('y is imbalanced');
    expect(card).toContain('`c` text → categorical');
    expect(JSON.parse(files['signature.json']).outputs.map((o: { name: string }) => o.name)).toEqual([
      'no',
      'yes',
      'prediction',
    ]);
  });

  it('round-trips through a zip byte-for-byte, deterministically, and predicts the same', () => {
    const zip = bundleToZip(files);
    expect(looksLikeZip(zip)).toBe(true);
    expect(bundleToZip(files)).toEqual(zip);
    const back = readBundleZip(zip);
    expect(back).toEqual(files);
    const a = predictTable(loadBundle(files), data);
    const b = predictTable(loadBundle(back, { requireListedFiles: true }), data);
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
  });

  it('still loads a format 1 folder, and upgrades it on export', () => {
    const v1 = JSON.parse(files['manifest.json']);
    v1.formatVersion = 1;
    for (const k of ['training', 'reproducibility', 'files']) delete v1[k];
    delete v1.app.commit;
    const v1files = {
      'manifest.json': JSON.stringify(v1),
      'pipeline.json': files['pipeline.json'],
      'model.json': files['model.json'],
    };
    expect(loadBundle(v1files).manifest.formatVersion).toBe(1);
    const up = upgradeManifest(v1);
    expect(validateManifest({ ...up, files: ['pipeline.json', 'model.json'] })).toEqual([]);
    const exported = exportBundleFiles(v1files, { scorer: '//\n' });
    const m = JSON.parse(exported['manifest.json']);
    expect(m.formatVersion).toBe(2);
    expect(m.app.commit).toBe('unknown');
    expect(Object.keys(exported)).toEqual([
      'manifest.json',
      'pipeline.json',
      'model.json',
      'metrics.json',
      'signature.json',
      'MODEL_CARD.md',
      'predict.mjs',
    ]);
    expect(() =>
      loadBundle(readBundleZip(bundleToZip(exported)), { requireListedFiles: true }),
    ).not.toThrow();
  });
});

describe('importing a bundle zip rejects', () => {
  const load = (zip: Uint8Array) => loadBundle(readBundleZip(zip), { requireListedFiles: true });

  it('a file that is not a zip', () => {
    expect(() => readBundleZip(strToU8('hello, this is not a zip archive at all'))).toThrow(/not a zip file/);
  });

  it('a missing manifest', () => {
    const { 'manifest.json': _m, ...rest } = files;
    expect(() => load(zipOf(rest))).toThrow(/the bundle has no manifest.json/);
  });

  it('a manifest that is not JSON', () => {
    expect(() => load(zipOf({ ...files, 'manifest.json': '{"kind":' }))).toThrow(
      /manifest.json is not valid JSON/,
    );
  });

  it('a manifest of something else', () => {
    expect(() => load(zipOf(withManifest((m) => (m.kind = 'other'))))).toThrow(
      /not an AutoML Studio model manifest/,
    );
  });

  it('an unknown format version', () => {
    expect(() => load(zipOf(withManifest((m) => (m.formatVersion = 3))))).toThrow(
      /unsupported bundle format version 3 \(this studio reads 1 and 2\)/,
    );
    expect(() => load(zipOf(withManifest((m) => (m.formatVersion = '2'))))).toThrow(
      /unsupported bundle format version "2"/,
    );
  });

  it('schema violations, naming the field', () => {
    expect(() =>
      load(zipOf(withManifest((m) => ((m.dataset as Record<string, unknown>).sha256 = 'xyz')))),
    ).toThrow(/schema: dataset.sha256 must match/);
    expect(() => load(zipOf(withManifest((m) => delete m.reproducibility)))).toThrow(
      /schema: reproducibility is missing/,
    );
    expect(() => load(zipOf(withManifest((m) => (m.task = 'ranking'))))).toThrow(
      /schema: task must be one of "binary", "multiclass", "regression", got string "ranking"/,
    );
    expect(() =>
      load(
        zipOf(
          withManifest((m) => ((m.signature as { inputs: { type: string }[] }).inputs[0].type = 'float')),
        ),
      ),
    ).toThrow(/signature.inputs\[0\].type must be one of/);
    expect(() => load(zipOf(withManifest((m) => (m.files = ['../model.json']))))).toThrow(
      /files\[0\] must match/,
    );
  });

  it('a missing model file', () => {
    const { 'model.json': _m, ...rest } = files;
    expect(() => load(zipOf(rest))).toThrow(/the bundle lacks model.json, listed in manifest.json/);
    const { 'pipeline.json': _p, ...noPipe } = files;
    expect(() => load(zipOf(noPipe))).toThrow(/lacks pipeline.json/);
    const { 'MODEL_CARD.md': _c, ...noCard } = files;
    expect(() => load(zipOf(noCard))).toThrow(/lacks MODEL_CARD.md/);
  });

  it('a damaged model file', () => {
    expect(() => load(zipOf({ ...files, 'model.json': '{"family":"gbdt"}' }))).toThrow(
      /^model.json does not match its hash in manifest.json$/,
    );
    // Re-hashed (as a forger would), the model's own checks still refuse it.
    expect(() => load(zipOf(rehashed({ ...files, 'model.json': '{"family":"gbdt"}' })))).toThrow(
      /^model.json: /,
    );
  });

  it.each([
    ['../evil.json', /leaves the bundle folder/],
    ['a/../../evil.json', /leaves the bundle folder/],
    ['/etc/passwd', /absolute path/],
    ['C:/evil.json', /absolute path/],
    ['dir\\evil.json', /backslash/],
    ['./model.json', /empty or '.' path segment/],
    ['a//b.json', /empty or '.' path segment/],
    ['evil\u0000.json', /control character/],
  ])('path traversal and unsafe names: %j', (name, msg) => {
    expect(() => readBundleZip(zipOf({ ...files, [name]: 'x' }))).toThrow(msg);
  });

  it('an entry over the per-file size limit, checked before inflating', () => {
    expect(() => readBundleZip(bundleToZip(files), { maxEntryBytes: 1000 })).toThrow(
      /zip entry "manifest.json" is \d+ bytes uncompressed, over the 1000-byte limit per file/,
    );
  });

  it('a total over the limit', () => {
    expect(() => readBundleZip(bundleToZip(files), { maxTotalBytes: 5000 })).toThrow(
      /add up to more than 5000 bytes uncompressed/,
    );
  });

  it('too many entries', () => {
    expect(() => readBundleZip(bundleToZip(files), { maxEntries: 3 })).toThrow(
      /9 entries; a bundle has at most 3/,
    );
  });

  it('a suspicious compression ratio (zip bomb)', () => {
    const bomb = zipOf({ ...files, 'pad.txt': new Uint8Array(4 * 1024 * 1024) });
    expect(() => readBundleZip(bomb)).toThrow(/"pad.txt" has a suspicious compression ratio .* zip bomb/);
  });

  it('an entry that inflates to more than it declares (capped while inflating)', () => {
    const zip = zipOf({ 'manifest.json': files['manifest.json'], 'big.txt': 'A'.repeat(100_000) });
    // Lower the declared uncompressed size of big.txt in the central directory and local header.
    const patch = (sig: number, sizeAt: number) => {
      for (let i = 0; i + 4 < zip.length; i++) {
        if (
          zip[i] === (sig & 0xff) &&
          zip[i + 1] === ((sig >> 8) & 0xff) &&
          zip[i + 2] === ((sig >> 16) & 0xff) &&
          zip[i + 3] === sig >>> 24
        ) {
          const nameLen =
            zip[i + (sig === 0x02014b50 ? 28 : 26)] | (zip[i + (sig === 0x02014b50 ? 29 : 27)] << 8);
          const nameAt = i + (sig === 0x02014b50 ? 46 : 30);
          const name = new TextDecoder().decode(zip.subarray(nameAt, nameAt + nameLen));
          if (name === 'big.txt') new DataView(zip.buffer, zip.byteOffset).setUint32(i + sizeAt, 1000, true);
        }
      }
    };
    patch(0x02014b50, 24);
    patch(0x04034b50, 22);
    expect(() => readBundleZip(zip)).toThrow(/"big.txt" inflates to more than its declared 1000 bytes/);
  });

  it('a damaged entry (CRC mismatch)', () => {
    const zip = bundleToZip({ 'manifest.json': files['manifest.json'], 'a.txt': 'plain' });
    const copy = zipSync({ 'a.txt': [strToU8('plain text here'), { level: 0 }] });
    // Stored entry: flip one data byte.
    const at = copy.indexOf(strToU8('plain')[0], 30 + 5);
    copy[at] ^= 1;
    expect(() => readBundleZip(copy)).toThrow(/"a.txt" is damaged \(CRC mismatch\)/);
    expect(() => readBundleZip(zip.subarray(0, zip.length - 30))).toThrow(/not a zip file|damaged zip/);
  });

  it('an encrypted entry or an unknown compression method', () => {
    const zip = zipOf({ 'a.txt': 'hello' });
    const cd = zip.lastIndexOf(0x50, zip.length - 22);
    void cd;
    const find = (sig: number) => {
      for (let i = zip.length - 22; i >= 0; i--)
        if (new DataView(zip.buffer, zip.byteOffset).getUint32(i, true) === sig) return i;
      return -1;
    };
    const central = find(0x02014b50);
    const enc = zip.slice();
    enc[central + 8] |= 1;
    expect(() => readBundleZip(enc)).toThrow(/"a.txt" is encrypted/);
    const bz = zip.slice();
    bz[central + 10] = 12;
    expect(() => readBundleZip(bz)).toThrow(/compression method 12/);
  });

  it('a duplicate entry name', () => {
    const one = zipOf({ 'a.txt': 'x', 'b.txt': 'y' });
    // Rename b.txt to a.txt everywhere.
    for (let i = 0; i + 5 <= one.length; i++)
      if (new TextDecoder().decode(one.subarray(i, i + 5)) === 'b.txt') one[i] = 'a'.charCodeAt(0);
    expect(() => readBundleZip(one)).toThrow(/"a.txt" appears twice/);
  });

  it('overlapping entries: several central records sharing one deflate stream (zip bomb)', () => {
    // 8 names, one 512 KiB stream: 4 MiB of output from a 1 KiB archive if each record were inflated.
    const zeros = new Uint8Array(512 * 1024);
    const bomb = rawZip([
      { name: 'manifest.json', data: zeros },
      ...Array.from({ length: 7 }, (_, i) => ({ name: `copy${i}.json`, data: zeros, shareWith: 0 })),
    ]);
    expect(bomb.length).toBeLessThan(4096);
    expect(() => readBundleZip(bomb)).toThrow(
      /zip entries "manifest.json" and "copy\d.json" overlap \(bytes 0–\d+ and 0–\d+\): refusing a possible zip bomb/,
    );
    expect(() => readBundleZip(bomb)).toThrow(BundleError);
  });

  it('overlapping entries: one entry hidden inside another stored entry', () => {
    const zip = nestedZip('outer.txt', 'inner.txt', strToU8('hello'));
    expect(() => readBundleZip(zip)).toThrow(/zip entries "outer.txt" and "inner.txt" overlap/);
  });

  it("a local header whose name is not the central directory's", () => {
    const zip = rawZip([
      { name: 'manifest.json', data: strToU8(files['manifest.json']) },
      { name: 'model.json', localName: 'other.json', data: strToU8('{}') },
    ]);
    expect(() => readBundleZip(zip)).toThrow(
      /damaged zip: the central directory names an entry "model.json" but its local header names it "other.json"/,
    );
  });

  it("the whole archive's expansion: many small entries, each under the per-entry ratio check", () => {
    // 8 × 512 KiB of zeros: no entry reaches the 1 MiB per-entry check, but 4 MiB from ~5 KB is a bomb.
    const zeros = new Uint8Array(512 * 1024);
    const zip = rawZip(Array.from({ length: 8 }, (_, i) => ({ name: `pad${i}.txt`, data: zeros })));
    expect(() => readBundleZip(zip)).toThrow(
      /the zip's files add up to 4194304 bytes uncompressed from a \d+-byte archive \(over 200:1 for the whole zip\): refusing a possible zip bomb/,
    );
    // The same files stored (ratio 1:1) are read; a lower limit on the total still applies.
    const stored = rawZip(
      Array.from({ length: 8 }, (_, i) => ({ name: `pad${i}.txt`, data: zeros, method: 0 })),
    );
    expect(Object.keys(readBundleZip(stored))).toHaveLength(8);
    expect(() => readBundleZip(stored, { maxTotalBytes: 3 * 1024 * 1024 })).toThrow(
      /add up to more than 3145728 bytes uncompressed/,
    );
  });

  it('but reads every zip the app writes, and honest zips with folders and empty files', () => {
    expect(readBundleZip(bundleToZip(files))).toEqual(files);
    const withFolder = zipSync({
      'bundle/': new Uint8Array(0),
      'bundle/empty.txt': new Uint8Array(0),
      'bundle/a.json': strToU8('{"a":1}'),
    });
    expect(readBundleZip(withFolder)).toEqual({ 'bundle/empty.txt': '', 'bundle/a.json': '{"a":1}' });
    expect(readBundleZip(rawZip([{ name: 'a.txt', data: strToU8('x'.repeat(5000)) }]))).toEqual({
      'a.txt': 'x'.repeat(5000),
    });
  });

  it('every problem is a BundleError', () => {
    try {
      readBundleZip(zipOf({ '../x': 'y' }));
    } catch (err) {
      expect(err).toBeInstanceOf(BundleError);
    }
  });
});
