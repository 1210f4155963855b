/**
 * What `loadBundle` checks beyond the zip: a format 1 manifest holds what format 1 always wrote, and
 * manifest.json, pipeline.json and model.json agree with each other (task, classes, output width,
 * the pipeline's width and the model's inputs, the signature and the pipeline's columns and types;
 * ensemble members the same way). And that genuine bundles, format 1 and 2, still load and predict
 * the same bytes as before (test/fixtures/bundle: written by the studio itself, see its README).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { trainModel } from '../../../src/core/train/train.ts';
import {
  BUNDLE_FILES,
  BundleError,
  createBundleFiles,
  loadBundle as loadVerified,
  predictionsCsv,
  predictTable,
  signatureTypes,
} from '../../../src/core/export/bundle.ts';
import { bundleToZip, readBundleZip } from '../../../src/core/export/zip.ts';
import { exportBundleFiles } from '../../../src/core/export/package.ts';
import { EnsembleModel } from '../../../src/core/search/ensemble.ts';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import { cat, num, table } from '../../helpers/table.ts';
import type { Table } from '../../../src/core/data/table.ts';
import type { Task } from '../../../src/core/models/types.ts';
import { typedToBase64 } from '../../../src/core/util/base64.ts';
import { rehashed } from '../../helpers/rehash.ts';

/**
 * These tests hand the loader inconsistent files with the manifest's hashes updated to match (the
 * integrity check itself is tested in integrity.test.ts), so the consistency checks are what fails.
 */
const loadBundle = (files: Readonly<Record<string, string>>, options?: Parameters<typeof loadVerified>[1]) =>
  loadVerified(rehashed(files), options);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Files = Record<string, string>;

function small(task: Task, n = 120): Table {
  const x: number[] = [];
  const c: string[] = [];
  const y: string[] = [];
  const yr: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push((i * 37) % 101);
    c.push(['a', 'b', 'c'][i % 3]);
    y.push(
      task === 'multiclass'
        ? ['p', 'q', 'r'][((i * 37) % 101) % 3]
        : (i * 37) % 101 > 50 !== (i % 3 === 0)
          ? 'yes'
          : 'no',
    );
    yr.push(((i * 37) % 101) - 50.5);
  }
  return task === 'regression'
    ? table(num('x', x), cat('c', c), num('y', yr))
    : table(num('x', x), cat('c', c), cat('y', y));
}

const env = {
  app: { name: 'automl-studio', version: 'test', commit: 'abc123' },
  runtime: 'vitest',
  libraries: {},
  backend: { name: 'cpu' },
  createdAt: '2026-01-01T00:00:00.000Z',
};
const dataset = (task: Task) => ({
  name: 'small.csv',
  fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 120, columns: 3, schemaHash: 'b'.repeat(64) },
  schema: [
    { name: 'x', originalName: 'x', index: 0, type: 'numeric', inferredType: 'numeric', overridden: false },
    {
      name: 'c',
      originalName: 'c',
      index: 1,
      type: 'categorical',
      inferredType: 'categorical',
      overridden: false,
    },
    {
      name: 'y',
      originalName: 'y',
      index: 2,
      type: task === 'regression' ? 'numeric' : 'categorical',
      inferredType: task === 'regression' ? 'numeric' : 'categorical',
      overridden: false,
    },
  ] as never,
});

async function bundleFor(
  task: Task,
  family: 'gbdt' | 'linear' = 'gbdt',
  exclude: readonly string[] = [],
): Promise<Files> {
  const data = small(task);
  const trained = await trainModel({
    table: data,
    target: 'y',
    task,
    family,
    seed: 3,
    params: family === 'gbdt' ? { rounds: 5 } : { epochs: 3 },
    exclude,
  });
  return createBundleFiles(trained, dataset(task), env, { table: data });
}

const edit = (files: Files, name: string, change: (j: Json) => void): Files => {
  const j = JSON.parse(files[name]) as Json;
  change(j);
  return { ...files, [name]: JSON.stringify(j) };
};

/** The message of the BundleError `f` throws (fails the test if it throws anything else or nothing). */
function bundleError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BundleError);
    return (err as Error).message;
  }
  throw new Error('expected a BundleError, nothing was thrown');
}

let binary: Files;
let regression: Files;
let multiclass: Files;
let linearMulti: Files;
/** A binary model trained on column x alone: one feature, where the binary bundle's pipeline gives two. */
let oneFeatureModel: string;
beforeAll(async () => {
  let xOnly: Files;
  [binary, regression, multiclass, linearMulti, xOnly] = await Promise.all([
    bundleFor('binary'),
    bundleFor('regression'),
    bundleFor('multiclass'),
    bundleFor('multiclass', 'linear'),
    bundleFor('binary', 'gbdt', ['c']),
  ]);
  oneFeatureModel = xOnly['model.json'];
  expect(JSON.parse(oneFeatureModel).featureNames).toHaveLength(1);
});

describe('a format 1 manifest', () => {
  const v1Of = (files: Files): Files => {
    const m = JSON.parse(files['manifest.json']) as Json;
    m.formatVersion = 1;
    for (const k of ['training', 'reproducibility', 'files']) delete m[k];
    delete m.app.commit;
    return {
      'manifest.json': JSON.stringify(m),
      'pipeline.json': files['pipeline.json'],
      'model.json': files['model.json'],
    };
  };

  it('with only kind and version is rejected, naming the fields it lacks (load and export)', () => {
    const files = {
      'manifest.json': JSON.stringify({ kind: 'automl-studio-model', formatVersion: 1 }),
      'pipeline.json': binary['pipeline.json'],
      'model.json': binary['model.json'],
    };
    const expected =
      'manifest.json (format 1) lacks required fields: createdAt, app, dataset, target, task, split, ' +
      'pipeline, model, seed, backend, metrics, signature, libraries, environment';
    expect(bundleError(() => loadBundle(files))).toBe(expected);
    expect(bundleError(() => loadBundle(readBundleZip(bundleToZip(files))))).toBe(expected);
    // export upgrades format 1 to format 2: it reports the same, never a TypeError.
    expect(bundleError(() => exportBundleFiles(files, { scorer: '//\n' }))).toBe(expected);
  });

  it('lacking one field, or with a bad value, is rejected naming it', () => {
    const good = v1Of(binary);
    expect(() => loadBundle(good)).not.toThrow();
    expect(bundleError(() => loadBundle(edit(good, 'manifest.json', (m) => delete m.signature)))).toBe(
      'manifest.json (format 1) lacks a required field: signature',
    );
    expect(bundleError(() => loadBundle(edit(good, 'manifest.json', (m) => delete m.app.version)))).toBe(
      'manifest.json (format 1) lacks a required field: app.version',
    );
    expect(
      bundleError(() =>
        loadBundle(
          edit(good, 'manifest.json', (m) => {
            m.task = 'banana';
            m.signature = { inputs: 'x' };
          }),
        ),
      ),
    ).toBe(
      'manifest.json (format 1) is not valid: task must be one of "binary", "multiclass", "regression", ' +
        'got string "banana" (and 1 more problem)',
    );
  });

  it('is checked against its model like format 2', () => {
    const v1 = edit(v1Of(binary), 'manifest.json', (m) => (m.classes = ['no', 'yes', 'maybe']));
    expect(bundleError(() => loadBundle(v1))).toMatch(/^manifest.json classes has 3 labels/);
  });
});

describe('manifest.json, pipeline.json and model.json must agree', () => {
  it('classes: as many labels as the model has classes', () => {
    expect(
      bundleError(() =>
        loadBundle(edit(binary, 'manifest.json', (m) => (m.classes = ['no', 'yes', 'maybe']))),
      ),
    ).toBe('manifest.json classes has 3 labels ("no", "yes", "maybe") but model.json predicts 2 classes');
    expect(
      bundleError(() =>
        loadBundle(
          edit(binary, 'manifest.json', (m) => {
            m.classes = ['only'];
            delete m.positiveClass;
          }),
        ),
      ),
    ).toBe('manifest.json classes has 1 label ("only") but model.json predicts 2 classes');
    expect(
      bundleError(() => loadBundle(edit(multiclass, 'manifest.json', (m) => (m.classes = ['p', 'q'])))),
    ).toBe('manifest.json classes has 2 labels ("p", "q") but model.json predicts 3 classes');
    expect(
      bundleError(() =>
        loadBundle(
          edit(binary, 'manifest.json', (m) => {
            delete m.classes;
            delete m.positiveClass;
          }),
        ),
      ),
    ).toBe('manifest.json has no classes, but model.json is a binary model predicting 2 classes');
    expect(
      bundleError(() => loadBundle(edit(multiclass, 'manifest.json', (m) => (m.classes = ['p', 'q', 'p'])))),
    ).toBe('manifest.json classes lists the label "p" twice');
    expect(
      bundleError(() => loadBundle(edit(binary, 'manifest.json', (m) => (m.positiveClass = 'no')))),
    ).toBe('manifest.json positiveClass is "no" but the model predicts the probability of classes[1], "yes"');
  });

  it('task: the manifest task is the model task', () => {
    const asRegression = edit(binary, 'manifest.json', (m) => {
      m.task = 'regression';
      delete m.classes;
      delete m.positiveClass;
    });
    expect(bundleError(() => loadBundle(asRegression))).toBe(
      'manifest.json task is "regression" but model.json is a binary model',
    );
    expect(bundleError(() => loadBundle({ ...binary, 'model.json': regression['model.json'] }))).toBe(
      'manifest.json task is "binary" but model.json is a regression model',
    );
    expect(
      bundleError(() => loadBundle(edit(regression, 'manifest.json', (m) => (m.classes = ['a', 'b'])))),
    ).toBe('manifest.json lists classes ("a", "b") but its task is regression');
    expect(
      bundleError(() => loadBundle(edit(binary, 'manifest.json', (m) => (m.model.family = 'linear')))),
    ).toBe('manifest.json model.family is "linear" but model.json is a "gbdt" model');
  });

  it("pipeline width: the fitted pipeline's features are the model's inputs", () => {
    const oneFeature = { ...binary, 'model.json': oneFeatureModel };
    expect(bundleError(() => loadBundle(oneFeature))).toBe(
      'pipeline.json produces 2 features (x, c) but model.json takes 1',
    );
    const missingSources = edit(binary, 'pipeline.json', (p) => (p.sources = ['x']));
    expect(bundleError(() => loadBundle(missingSources))).toBe(
      'pipeline.json: sources does not list one input column per feature',
    );
  });

  it('model shape: a dense network whose last layer is not as wide as its classes', () => {
    expect(() => loadBundle(linearMulti)).not.toThrow();
    // A last layer with 2 units (weights and biases to match): a network for 2 classes, not 3.
    const narrow = edit(linearMulti, 'model.json', (m) => {
      const last = m.state.layers[m.state.layers.length - 1];
      last.nOut = 2;
      last.w = typedToBase64(new Float32Array(last.nIn * 2));
      last.b = typedToBase64(new Float32Array(2));
    });
    // (caught by the dense-net deserializer's check of its learned state)
    expect(bundleError(() => loadBundle(narrow))).toMatch(/^model.json: .*nOut is 2, expected 3/);
    // (caught by the gbdt deserializer)
    const binaryThree = edit(binary, 'model.json', (m) => (m.nClasses = 3));
    expect(bundleError(() => loadBundle(binaryThree))).toMatch(/^model.json: .*nClasses = 2, got 3/);
  });

  it('signature: the columns and types the pipeline was fitted on', () => {
    const asCategorical = edit(binary, 'manifest.json', (m) => (m.signature.inputs[0].type = 'categorical'));
    expect(bundleError(() => loadBundle(asCategorical))).toBe(
      'manifest.json signature.inputs reads column "x" as categorical but pipeline.json was fitted on it as numeric',
    );
    const lacking = edit(binary, 'manifest.json', (m) => m.signature.inputs.splice(1, 1));
    expect(bundleError(() => loadBundle(lacking))).toBe(
      'manifest.json signature.inputs lacks column "c", which pipeline.json reads (as categorical)',
    );
    const extra = edit(binary, 'manifest.json', (m) =>
      m.signature.inputs.push({ name: 'z', type: 'numeric' }),
    );
    expect(bundleError(() => loadBundle(extra))).toBe(
      'manifest.json signature.inputs lists column "z" that pipeline.json does not read',
    );
    const noInputs = edit(binary, 'pipeline.json', (p) => delete p.inputs);
    expect(bundleError(() => loadBundle(noInputs))).toBe(
      'pipeline.json: inputs is missing or is not a list of columns with a name and a type',
    );
  });

  describe('an ensemble: each member with its own pipeline', () => {
    /** A search-style bundle (no pipeline.json) whose ensemble holds the binary model twice. */
    function ensembleOf(files: Files, memberModel = files['model.json']): Files {
      const pipeline = JSON.parse(files['pipeline.json']);
      const model = JSON.parse(memberModel);
      const ensemble = {
        family: 'ensemble',
        formatVersion: 1,
        task: model.task,
        nClasses: model.nClasses,
        pipelines: [pipeline],
        members: [
          { weight: 0.5, pipeline: 0, model: JSON.parse(files['model.json']), trial: 0 },
          { weight: 0.5, pipeline: 0, model, trial: 1 },
        ],
      };
      const manifest = JSON.parse(files['manifest.json']) as Json;
      manifest.pipeline = { file: null, steps: [], notes: ['ensemble'] };
      manifest.model = {
        file: 'model.json',
        family: 'ensemble',
        config: {},
        iterations: null,
        members: [
          { trial: 0, family: 'gbdt', weight: 0.5 },
          { trial: 1, family: 'gbdt', weight: 0.5 },
        ],
      };
      manifest.files = ['model.json'];
      return { 'manifest.json': JSON.stringify(manifest), 'model.json': JSON.stringify(ensemble) };
    }

    it('loads and predicts like its members', () => {
      const b = loadBundle(ensembleOf(binary));
      expect(b.model).toBeInstanceOf(EnsembleModel);
      const data = small('binary');
      expect(Array.from(predictTable(b, data).values)).toEqual(
        Array.from(predictTable(loadBundle(binary), data).values),
      );
    });

    it("a member whose model does not take its pipeline's features", () => {
      expect(bundleError(() => loadBundle(ensembleOf(binary, oneFeatureModel)))).toBe(
        'model.json pipelines[0] produces 2 features (x, c) but model.json members[1] takes 1',
      );
    });

    it('a member that predicts another width, a signature that differs, a pipeline.json beside it', () => {
      const wide = edit(binary, 'model.json', (m) => (m.nClasses = 3));
      expect(bundleError(() => loadBundle(ensembleOf(binary, wide['model.json'])))).toMatch(
        /^model.json: .*nClasses = 2, got 3/,
      );
      const sig = edit(ensembleOf(binary), 'manifest.json', (m) => (m.signature.inputs[1].type = 'text'));
      expect(bundleError(() => loadBundle(sig))).toBe(
        'manifest.json signature.inputs reads column "c" as text but model.json pipelines[0] was fitted on it as categorical',
      );
      const withPipeline = edit(
        { ...ensembleOf(binary), 'pipeline.json': binary['pipeline.json'] },
        'manifest.json',
        (m) => (m.pipeline.file = 'pipeline.json'),
      );
      expect(bundleError(() => loadBundle(withPipeline))).toBe(
        'manifest.json names pipeline.json, but model.json is an ensemble whose members carry their own pipelines',
      );
    });
  });
});

describe('genuine bundles still load and predict unchanged', () => {
  const FIXTURES = join(REPO_ROOT, 'test/fixtures/bundle');
  const read = (dir: string): Files =>
    Object.fromEntries(
      readdirSync(join(FIXTURES, dir))
        .filter((f) => (BUNDLE_FILES as readonly string[]).includes(f))
        .map((f) => [f, readFileSync(join(FIXTURES, dir, f), 'utf8')]),
    );

  it.each([
    ['v1-fit-gbdt', 1],
    ['v1-automl-linear', 1],
    ['v2-fit-mlp', 2],
    ['v2-automl-linear', 2],
  ])('%s (format %i): the predictions the studio wrote when it made the bundle', async (dir, version) => {
    const files = read(dir);
    const bundle = loadBundle(files);
    expect(bundle.manifest.formatVersion).toBe(version);
    const csv = readFileSync(join(FIXTURES, 'score.csv'));
    const data = await ingestCsv(bytesSource('score.csv', new Uint8Array(csv)), {
      typeOverrides: signatureTypes(bundle),
    });
    const out = predictionsCsv(bundle, predictTable(bundle, data.table));
    expect(out).toBe(readFileSync(join(FIXTURES, `${dir}.predictions.csv`), 'utf8'));
    // Through a zip, and (format 1) after export's upgrade to format 2, the same.
    const zipped = loadBundle(readBundleZip(bundleToZip(files)));
    expect(predictionsCsv(zipped, predictTable(zipped, data.table))).toBe(out);
    const exported = loadBundle(exportBundleFiles(files, { scorer: '//\n' }), { requireListedFiles: true });
    expect(exported.manifest.formatVersion).toBe(2);
    expect(predictionsCsv(exported, predictTable(exported, data.table))).toBe(out);
  });

  it('bundles written now, for every task, load and score', () => {
    for (const files of [binary, regression, multiclass, linearMulti]) {
      const b = loadBundle(readBundleZip(bundleToZip(files)), { requireListedFiles: true });
      const task = b.manifest.task;
      const p = predictTable(b, small(task));
      expect(p.values.length).toBe(120 * (task === 'regression' ? 1 : (b.manifest.classes?.length ?? 0)));
    }
  });
});
