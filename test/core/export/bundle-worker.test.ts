/**
 * The bundle worker (workers/bundle.worker.ts) driven in Node over a MessageChannel with comlink, as
 * the page drives it: what it returns must survive postMessage, and every failure is a value naming
 * the bundle, never a thrown error or an internal error quoting a TypeError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import { zipSync, strToU8 } from 'fflate';
import { trainModel } from '../../../src/core/train/train.ts';
import { createBundleFiles } from '../../../src/core/export/bundle.ts';
import type { BundleWorkerApi } from '../../../workers/bundle-types.ts';
import { cat, num, table } from '../../helpers/table.ts';

const { port1, port2 } = new MessageChannel();
let worker: Remote<BundleWorkerApi>;
let files: Record<string, string>;

const zipBuffer = (entries: Record<string, string>): ArrayBuffer => {
  const z = zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, strToU8(v)])));
  return z.buffer.slice(z.byteOffset, z.byteOffset + z.byteLength) as ArrayBuffer;
};
/** The manifest with `extra` added under `app` (which allows keys it does not know). */
const withApp = (extra: string) => ({
  ...files,
  'manifest.json': files['manifest.json'].replace('"app": {', `"app": {"x": ${extra}, `),
});
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

beforeAll(async () => {
  // The worker's global scope is this module's: comlink's expose() listens on globalThis.
  const g = globalThis as Record<string, unknown>;
  g.addEventListener = port1.addEventListener.bind(port1);
  g.removeEventListener = port1.removeEventListener.bind(port1);
  g.postMessage = port1.postMessage.bind(port1);
  port1.start();
  await import('../../../workers/bundle.worker.ts');
  worker = wrap<BundleWorkerApi>(port2 as never);

  const x: number[] = [];
  const c: string[] = [];
  const y: string[] = [];
  for (let i = 0; i < 120; i++) {
    x.push((i * 37) % 101);
    c.push(['a', 'b', 'c'][i % 3]);
    y.push((i * 37) % 101 > 50 !== (i % 3 === 0) ? 'yes' : 'no');
  }
  const data = table(num('x', x), cat('c', c), cat('y', y));
  const trained = await trainModel({
    table: data,
    target: 'y',
    task: 'binary',
    family: 'gbdt',
    seed: 3,
    params: { rounds: 5 },
  });
  files = createBundleFiles(
    trained,
    {
      name: 'small.csv',
      fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 120, columns: 3, schemaHash: 'b' },
      schema: [],
    },
    {
      app: { name: 'automl-studio', version: 'test', commit: 'abc' },
      runtime: 'vitest',
      libraries: {},
      backend: { name: 'cpu' },
      createdAt: '2026-01-01T00:00:00.000Z',
    },
    { table: data },
  );
});

afterAll(() => {
  port1.close();
  port2.close();
});

describe('bundle worker', () => {
  it('readZip: a manifest nested too deep under app is a bundle failure naming the zip', async () => {
    const r = await worker.readZip(zipBuffer(withApp(nested(20000))), 'deep.zip');
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'bundle',
        message: expect.stringMatching(
          /^manifest.json nests deeper than 64 levels \(at app\.x\[0\].*\(deep\.zip\)$/,
        ),
      },
    });
  });

  it('readZip: extra values under app never reach the page; the summary holds the known fields', async () => {
    const r = await worker.readZip(zipBuffer(withApp(`{"deep": ${nested(40)}, "f": "x"}`)), 'extra.zip');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.summary.app).toEqual({ name: 'automl-studio', version: 'test', commit: 'abc' });
    expect(r.value.summary).toMatchObject({
      source: 'extra.zip',
      formatVersion: 2,
      training: 'fit',
      family: 'gbdt',
      task: 'binary',
      classes: ['no', 'yes'],
      signature: [
        { name: 'x', type: 'numeric' },
        { name: 'c', type: 'categorical' },
      ],
    });
  });

  it('readZip and score: a manifest that disagrees with its model is a bundle failure', async () => {
    const m = JSON.parse(files['manifest.json']);
    m.classes = ['no', 'yes', 'maybe'];
    const bad = { ...files, 'manifest.json': JSON.stringify(m) };
    const r = await worker.readZip(zipBuffer(bad), 'm.zip');
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'bundle',
        message:
          'manifest.json classes has 3 labels ("no", "yes", "maybe") but model.json predicts 2 classes (m.zip)',
      },
    });
    const csv = { name: 'data.csv', bytes: strToU8('x,c\n10,a\n80,b\n').buffer as ArrayBuffer };
    const s = await worker.score(bad, csv);
    expect(s).toMatchObject({
      ok: false,
      error: { code: 'bundle', message: /^manifest.json classes has 3/ },
    });
    const good = await worker.score(files, csv);
    expect(good.ok && good.value.header).toEqual(['no', 'yes', 'prediction']);
  });

  it('inspect: an unexpected exception is a failure value naming the bundle, not a raw TypeError', async () => {
    const r = await worker.inspect(null as never, 'stored model v3');
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'bundle',
        message:
          'could not read the model bundle stored model v3: it is damaged or was not made by this studio',
      },
    });
    const s = await worker.score(null as never, { name: 'd.csv', bytes: new ArrayBuffer(0) });
    expect(s).toMatchObject({
      ok: false,
      error: { code: 'bundle', message: /^could not read the model bundle: / },
    });
  });
});

describe('bundle worker: monitor (the Monitor screen)', () => {
  const enc = new TextEncoder();
  // A model of a realistic size (the 5-round one above has a handful of probability levels, which
  // its holdout model and its refit place differently: prediction drift by construction).
  let model: Record<string, string>;
  beforeAll(async () => {
    const rows = Array.from({ length: 120 }, (_, i) => i);
    const x = rows.map((i) => (i * 37) % 101);
    const data = table(
      num('x', x),
      cat(
        'c',
        rows.map((i) => ['a', 'b', 'c'][i % 3]!),
      ),
      cat(
        'y',
        rows.map((i) => (x[i]! > 50 !== (i % 3 === 0) ? 'yes' : 'no')),
      ),
    );
    const trained = await trainModel({
      table: data,
      target: 'y',
      task: 'binary',
      family: 'gbdt',
      seed: 3,
      params: { rounds: 60 },
    });
    model = createBundleFiles(
      trained,
      {
        name: 'small.csv',
        fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 120, columns: 3, schemaHash: 'b' },
        schema: [],
      },
      {
        app: { name: 'automl-studio', version: 'test', commit: 'abc' },
        runtime: 'vitest',
        libraries: {},
        backend: { name: 'cpu' },
        createdAt: '2026-01-01T00:00:00.000Z',
      },
      { table: data },
    );
  });
  /** Rows like the training rows (from `from`: new rows of the same distribution) as CSV, x shifted by `dx`. */
  const csv = (dx = 0, from = 0) => {
    const lines = ['x,c,y'];
    for (let i = from; i < from + 120; i++) {
      const x = (i * 37) % 101;
      lines.push(`${x + dx},${['a', 'b', 'c'][i % 3]},${x > 50 !== (i % 3 === 0) ? 'yes' : 'no'}`);
    }
    return lines.join('\n') + '\n';
  };
  const input = (name: string, text: string) => {
    const bytes = enc.encode(text);
    return {
      name,
      bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    };
  };

  it('a clean batch: no drift, no alert, measured performance; the bundle named by its manifest hash', async () => {
    const { sha256Hex } = await import('../../../src/core/export/integrity.ts');
    const res = await worker.monitor(model, input('new.csv', csv(0, 1000)));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value.result.reference.basis).toBe('stored profile');
    expect(res.value.result.drift.verdict).toBe('no drift');
    expect(res.value.summary.alerts).toEqual([]);
    expect(res.value.summary.performance?.kind).toBe('actual');
    expect(res.value.bundleSha256).toBe(sha256Hex(model['manifest.json']!));
  });

  it('a shifted column drifts and is named in the alerts', async () => {
    const res = await worker.monitor(model, input('shifted.csv', csv(60)));
    if (!res.ok) throw new Error(res.error.message);
    const x = res.value.summary.columns.find((c) => c.column === 'x')!;
    expect(x.drifted).toBe(true);
    expect(res.value.summary.columns.find((c) => c.column === 'c')!.drifted).toBe(false);
    expect(res.value.summary.alerts.some((a) => a.startsWith('x drifted ('))).toBe(true);
  });

  it('a bundle without reference.json: a clear failure, or the training data as the reference', async () => {
    const { rehashed } = await import('../../helpers/rehash.ts');
    const m = JSON.parse(model['manifest.json']!);
    delete m.files['reference.json'];
    const { 'reference.json': _dropped, ...rest } = model;
    const old = rehashed({ ...rest, 'manifest.json': JSON.stringify(m) });
    const bare = await worker.monitor(old, input('same.csv', csv()));
    expect(bare.ok).toBe(false);
    if (!bare.ok) {
      expect(bare.error.code).toBe('data');
      expect(bare.error.message).toMatch(/no stored reference profile/);
    }
    const withData = await worker.monitor(old, input('same.csv', csv()), {
      reference: input('small.csv', csv()),
    });
    if (!withData.ok) throw new Error(withData.error.message);
    expect(withData.value.result.reference.basis).toBe('training data');
    expect(withData.value.result.drift.verdict).toBe('no drift');
  });

  it('a batch of another dataset: a failure naming the file', async () => {
    const res = await worker.monitor(model, input('other.csv', 'a,b\n1,2\n'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toMatch(/other\.csv has none of the model's columns/);
  });
});
