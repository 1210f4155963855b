import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMemoryStore } from '../../src/store/memory.ts';
import { Tracker } from '../../src/core/tracking/tracker.ts';
import { bundleToZip } from '../../src/core/export/zip.ts';
import type { TrackingStore } from '../../src/core/tracking/store.ts';
import {
  ModelExistsError,
  checkCompatibility,
  defaultModelName,
  freeName,
  loadModelShape,
  registerVersion,
  shapeOfZip,
  whyNotRegistrable,
  type ModelShape,
} from '../../src/ui/state/tracking-registry.ts';

const penguins: ModelShape = {
  task: 'multiclass',
  target: 'species',
  classes: ['Adelie', 'Chinstrap', 'Gentoo'],
  inputs: [
    { name: 'bill_length_mm', type: 'numeric' },
    { name: 'island', type: 'categorical' },
  ],
};

describe('checkCompatibility', () => {
  it('accepts the same shape', () => {
    expect(checkCompatibility(penguins, { ...penguins })).toEqual({ level: 'ok', reasons: [] });
  });

  it('refuses another task, target or classes with the reason', () => {
    const binary: ModelShape = {
      task: 'binary',
      target: 'diagnosis',
      classes: ['B', 'M'],
      inputs: [{ name: 'radius', type: 'numeric' }],
    };
    const c = checkCompatibility(penguins, binary);
    expect(c.level).toBe('refuse');
    expect(c.reasons.join('; ')).toContain('the model is multiclass and this run is binary');
    expect(c.reasons.join('; ')).toContain('"species"');
    const c2 = checkCompatibility(penguins, { ...penguins, classes: ['Adelie', 'Gentoo'] });
    expect(c2.level).toBe('refuse');
    expect(c2.reasons[0]).toMatch(/classes differ/);
  });

  it('refuses a column read with another type, names it', () => {
    const c = checkCompatibility(penguins, {
      ...penguins,
      inputs: [
        { name: 'bill_length_mm', type: 'categorical' },
        { name: 'island', type: 'categorical' },
      ],
    });
    expect(c.level).toBe('refuse');
    expect(c.reasons[0]).toContain('"bill_length_mm" numeric → categorical');
  });

  it('warns for added or dropped columns', () => {
    const added = checkCompatibility(penguins, {
      ...penguins,
      inputs: [...penguins.inputs, { name: 'sex', type: 'categorical' }],
    });
    expect(added.level).toBe('warn');
    expect(added.reasons[0]).toContain('"sex"');
    const dropped = checkCompatibility(penguins, { ...penguins, inputs: penguins.inputs.slice(0, 1) });
    expect(dropped.level).toBe('warn');
    expect(dropped.reasons[0]).toContain('no longer reads "island"');
  });

  it('is ok exactly when the shapes agree (property)', () => {
    const col = fc.record({
      name: fc.constantFrom('a', 'b', 'c', 'd'),
      type: fc.constantFrom('numeric', 'categorical'),
    });
    const shape = fc.record({
      task: fc.constantFrom('binary', 'regression'),
      target: fc.constantFrom('y', 'z'),
      inputs: fc.uniqueArray(col, { selector: (c) => c.name, maxLength: 4 }),
    });
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        const c = checkCompatibility(a, b);
        const same =
          a.task === b.task &&
          a.target === b.target &&
          JSON.stringify([...a.inputs].sort((x, y) => (x.name < y.name ? -1 : 1))) ===
            JSON.stringify([...b.inputs].sort((x, y) => (x.name < y.name ? -1 : 1)));
        expect(c.level === 'ok').toBe(same);
        if (a.task !== b.task || a.target !== b.target) expect(c.level).toBe('refuse');
        expect(checkCompatibility(a, a).level).toBe('ok');
      }),
    );
  });
});

describe('names', () => {
  it('defaults to dataset and target, without the extension', () => {
    expect(defaultModelName('train.csv', 'income')).toBe('train-income');
    expect(defaultModelName('my data.CSV', 'y')).toBe('my_data-y');
    expect(defaultModelName(null, null)).toBe('model');
    expect(freeName('a', new Set(['a', 'a-2']))).toBe('a-3');
    expect(freeName('b', new Set(['a']))).toBe('b');
  });
});

async function runWithZip(store: TrackingStore, manifest: unknown, opts: { parent?: string } = {}) {
  const tracker = new Tracker(store);
  const exp = (await store.getExperimentByName('e')) ?? (await tracker.createExperiment({ name: 'e' }));
  const run = await tracker.startRun({
    experimentId: exp.id,
    name: 'r',
    ...(opts.parent ? { parent: opts.parent } : {}),
  });
  const artifactId = run.logArtifact({
    name: 'm.zip',
    kind: 'model',
    bytes: bundleToZip({ 'manifest.json': JSON.stringify(manifest), 'model.json': '{}' }),
    contentType: 'application/zip',
  });
  await run.end('COMPLETE');
  return { runId: run.id, artifactId };
}

describe('registerVersion', () => {
  it('creates a model, refuses to create it twice (another tab), adds versions on request', async () => {
    const store = createMemoryStore();
    const write = (ops: Parameters<TrackingStore['write']>[0]) => store.write(ops);
    const manifest = {
      task: 'multiclass',
      target: 'species',
      classes: penguins.classes,
      signature: { inputs: penguins.inputs },
    };
    const a = await runWithZip(store, manifest);
    const v1 = await registerVersion(write, store, { name: 'penguins-species', create: true, ...a });
    expect(v1).toEqual({ name: 'penguins-species', version: 1 });
    const b = await runWithZip(store, manifest);
    await expect(
      registerVersion(write, store, { name: 'penguins-species', create: true, ...b }),
    ).rejects.toBeInstanceOf(ModelExistsError);
    expect((await store.getRegisteredModel('penguins-species'))!.latestVersion).toBe(1);
    const v2 = await registerVersion(write, store, { name: 'penguins-species', create: false, ...b });
    expect(v2.version).toBe(2);
    expect(await loadModelShape(store, 'penguins-species')).toEqual(penguins);
  });

  it('a model created between the check and the write is reported, not added to', async () => {
    const store = createMemoryStore();
    const a = await runWithZip(store, { task: 'binary', target: 'y', signature: { inputs: [] } });
    // The other tab's write lands after our existence check: the atomic batch is refused.
    const racing = Object.assign(Object.create(store) as TrackingStore, {
      getRegisteredModel: async () => undefined,
    });
    await store.write([{ op: 'createRegisteredModel', name: 'm', createdAt: 1 }]);
    await expect(
      registerVersion((ops) => store.write(ops), racing, { name: 'm', create: true, ...a }),
    ).rejects.toBeInstanceOf(ModelExistsError);
    expect(await store.listModelVersions('m')).toEqual([]);
  });

  it('reads the shape from a bundle zip and explains runs without a model', async () => {
    const zip = bundleToZip({
      'manifest.json': JSON.stringify({
        task: 'regression',
        target: 't',
        signature: { inputs: [{ name: 'x', type: 'numeric' }] },
      }),
    });
    expect(shapeOfZip(zip)).toEqual({
      task: 'regression',
      target: 't',
      inputs: [{ name: 'x', type: 'numeric' }],
    });
    expect(shapeOfZip(new Uint8Array([1, 2, 3]))).toBeNull();
    const run = { state: 'COMPLETE', parentRunId: 'p' } as Parameters<typeof whyNotRegistrable>[0];
    expect(whyNotRegistrable(run, [])).toMatch(/trial of a search/);
    expect(whyNotRegistrable({ ...run, parentRunId: null }, [])).toMatch(/no stored model/);
  });
});
