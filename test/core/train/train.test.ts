import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/models/nn/backend.ts';
import { trainModel } from '../../../src/core/train/train.ts';
import { FAMILIES } from '../../../src/core/train/families.ts';
import {
  createBundleFiles,
  loadBundle,
  predictionsCsv,
  predictTable,
  BundleError,
} from '../../../src/core/export/bundle.ts';
import { takeRows } from '../../../src/core/data/select.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { cat, num, table } from '../../helpers/table.ts';
import type { Table } from '../../../src/core/data/table.ts';

beforeAll(async () => {
  await selectBackend('auto');
});

/** A churn-like table: churn depends on tenure, plan and a noisy charge; one ID column. */
function churnTable(n: number, seed: number): Table {
  const rng = createRng(seed);
  const tenure: number[] = [];
  const charges: (number | null)[] = [];
  const plan: (string | null)[] = [];
  const churn: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.floor(rng.next() * 72);
    const p = ['basic', 'plus', 'pro'][rng.int(3)];
    const c = 20 + rng.next() * 80;
    const logit = -0.06 * t + (p === 'basic' ? 1.2 : p === 'plus' ? 0 : -1) + 0.01 * c;
    tenure.push(t);
    charges.push(rng.next() < 0.05 ? null : c);
    plan.push(rng.next() < 0.03 ? null : p);
    churn.push(rng.next() < 1 / (1 + Math.exp(-logit)) ? 'Yes' : 'No');
    ids.push(`C${1000 + i}`);
  }
  return table(
    cat('customer_id', ids, 'id'),
    num('tenure', tenure, 'integer'),
    num('charges', charges),
    cat('plan', plan),
    cat('churn', churn),
  );
}

const env = {
  app: { name: 'automl-studio', version: 'test' },
  runtime: 'vitest',
  libraries: {},
  backend: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const dataset = {
  name: 'churn.csv',
  fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 600, columns: 5, schemaHash: 'b'.repeat(64) },
  schema: [],
};

describe.each(FAMILIES)('training and bundles: %s', (family) => {
  it('learns the churn signal and its bundle predicts bit-identically after a JSON round trip', async () => {
    const data = churnTable(600, 1);
    const params = family === 'mlp' ? { epochs: 30 } : family === 'gbdt' ? { rounds: 60 } : {};
    const trained = await trainModel({
      table: data,
      target: 'churn',
      task: 'binary',
      family,
      seed: 7,
      params,
    });
    expect(trained.classes).toEqual(['No', 'Yes']);
    expect(trained.metrics.validation.roc_auc).toBeGreaterThan(0.7);
    expect(trained.split.trainRows + trained.split.validRows).toBe(600);
    expect(trained.pipeline.inputs.map((c) => c.name)).not.toContain('churn');

    const files = createBundleFiles(trained, dataset, env);
    const manifest = JSON.parse(files['manifest.json']);
    expect(manifest).toMatchObject({
      target: 'churn',
      task: 'binary',
      positiveClass: 'Yes',
      seed: 7,
      model: { family },
    });
    const bundle = loadBundle(JSON.parse(JSON.stringify(files)));
    const fresh = churnTable(50, 99);
    const direct = trained.model.predict(
      (await import('../../../src/core/pipeline/index.ts')).transformTable(trained.pipeline, fresh),
    );
    const viaBundle = predictTable(bundle, fresh);
    expect(Array.from(viaBundle.values)).toEqual(Array.from(direct));

    const csv = predictionsCsv(bundle, viaBundle).trim().split('\n');
    expect(csv[0]).toBe('No,Yes,prediction');
    expect(csv).toHaveLength(51);
    for (const line of csv.slice(1)) {
      const [pNo, pYes, label] = line.split(',');
      expect(Number(pNo) + Number(pYes)).toBeCloseTo(1, 9);
      expect(label).toBe(Number(pYes) >= Number(pNo) ? 'Yes' : 'No');
    }
  });
});

describe('training edge cases', () => {
  it('is reproducible: same seed, same model', async () => {
    const data = churnTable(300, 2);
    const a = await trainModel({ table: data, target: 'churn', task: 'binary', family: 'linear', seed: 3 });
    const b = await trainModel({ table: data, target: 'churn', task: 'binary', family: 'linear', seed: 3 });
    expect(JSON.stringify(a.model.toJSON())).toBe(JSON.stringify(b.model.toJSON()));
    expect(a.metrics).toEqual(b.metrics);
  });

  it('refits on all rows with the epochs validation chose, unless refit is off', async () => {
    const data = churnTable(300, 5);
    const refit = await trainModel({
      table: data,
      target: 'churn',
      task: 'binary',
      family: 'linear',
      seed: 3,
    });
    const holdout = await trainModel({
      table: data,
      target: 'churn',
      task: 'binary',
      family: 'linear',
      seed: 3,
      refit: false,
    });
    expect(refit.refit?.rows).toBe(300);
    const chosen = (holdout.model as unknown as { state: { bestEpoch: number } }).state.bestEpoch;
    expect(refit.refit?.iterations).toBe(chosen);
    expect((refit.model as unknown as { state: { epochsRun: number } }).state.epochsRun).toBe(chosen);
    expect(holdout.refit).toBeUndefined();
    expect(refit.metrics).toEqual(holdout.metrics);
    expect(JSON.stringify(refit.model.toJSON())).not.toBe(JSON.stringify(holdout.model.toJSON()));
  });

  it('handles unseen categories at predict time and names missing columns', async () => {
    const data = churnTable(300, 3);
    const trained = await trainModel({
      table: data,
      target: 'churn',
      task: 'binary',
      family: 'linear',
      seed: 1,
    });
    const bundle = loadBundle(createBundleFiles(trained, dataset, env));
    const fresh = table(
      num('tenure', [5, 60], 'integer'),
      num('charges', [50, 50]),
      cat('plan', ['enterprise', null]),
    );
    const p = predictTable(bundle, fresh);
    expect(p.values.length).toBe(4);
    expect(Array.from(p.values).every(Number.isFinite)).toBe(true);
    const lacking = table(num('tenure', [5], 'integer'), cat('plan', ['basic']));
    expect(() => predictTable(bundle, lacking)).toThrow(/lacks column\(s\) the model needs: charges/);
  });

  it('regression and multiclass targets, rows without a target left out', async () => {
    const rng = createRng(4);
    const n = 300;
    const x = Array.from({ length: n }, () => rng.next() * 10);
    const y = x.map((v, i) => (i % 37 === 0 ? null : 3 * v + rng.normal()));
    const reg = await trainModel({
      table: table(num('x', x), num('y', y)),
      target: 'y',
      task: 'regression',
      family: 'gbdt',
      seed: 1,
    });
    expect(reg.droppedMissingTarget).toBe(Math.ceil(n / 37));
    expect(reg.metrics.validation.r2).toBeGreaterThan(0.9);
    const species = x.map((v) => (v < 3 ? 'a' : v < 6 ? 'b' : 'c'));
    const mc = await trainModel({
      table: table(num('x', x), cat('s', species)),
      target: 's',
      task: 'multiclass',
      family: 'gbdt',
      seed: 1,
    });
    expect(mc.classes).toEqual(['a', 'b', 'c']);
    expect(mc.metrics.validation.accuracy).toBeGreaterThan(0.9);
  });

  it('refuses impossible targets with a clear message', async () => {
    const t = table(num('x', [1, 2, 3, 4]), cat('y', ['a', 'a', 'a', 'a']));
    await expect(
      trainModel({ table: t, target: 'y', task: 'binary', family: 'gbdt', seed: 1 }),
    ).rejects.toThrow(/1 class; classification needs at least 2/);
    await expect(
      trainModel({ table: t, target: 'nope', task: 'binary', family: 'gbdt', seed: 1 }),
    ).rejects.toThrow(/'nope' is not in the data/);
    const three = table(num('x', [1, 2, 3]), cat('y', ['a', 'b', 'c']));
    await expect(
      trainModel({ table: three, target: 'y', task: 'binary', family: 'gbdt', seed: 1 }),
    ).rejects.toThrow(/3 classes; binary classification needs exactly 2/);
    expect(() => takeRows(t, [0, 1])).not.toThrow();
  });

  it('rejects broken bundles with a message naming the file', () => {
    expect(() => loadBundle({})).toThrow(BundleError);
    expect(() => loadBundle({ 'manifest.json': '{' })).toThrow(/manifest.json is not valid JSON/);
    expect(() => loadBundle({ 'manifest.json': '{"kind":"automl-studio-model","formatVersion":7}' })).toThrow(
      /format version 7/,
    );
  });
});

describe('the metric a model is judged by', () => {
  const t = churnTable(200, 5);
  it('defaults to the task default and is recorded', async () => {
    const m = await trainModel({
      table: t,
      target: 'churn',
      task: 'binary',
      family: 'gbdt',
      params: { rounds: 5 },
      seed: 1,
    });
    expect(m.metric).toBe('roc_auc');
    const chosen = await trainModel({
      table: t,
      target: 'churn',
      task: 'binary',
      family: 'gbdt',
      params: { rounds: 5 },
      seed: 1,
      metric: 'f1',
    });
    expect(chosen.metric).toBe('f1');
    expect(chosen.metrics.validation.f1).toBeCloseTo(m.metrics.validation.f1, 12);
  });
  it('refuses a metric of another task, naming the ones that apply', async () => {
    await expect(
      trainModel({ table: t, target: 'churn', task: 'binary', family: 'gbdt', seed: 1, metric: 'rmse' }),
    ).rejects.toThrow(/'rmse' does not apply to binary \(use one of .*roc_auc/);
    await expect(
      trainModel({ table: t, target: 'churn', task: 'binary', family: 'gbdt', seed: 1, metric: 'auc' }),
    ).rejects.toThrow(/unknown metric 'auc'/);
  });
});

describe('MLP embeddings through trainModel', () => {
  it('builds code columns for the categories when the MLP asks for embeddings', async () => {
    const t = churnTable(300, 9);
    const plain = await trainModel({
      table: t,
      target: 'churn',
      task: 'binary',
      family: 'mlp',
      params: { epochs: 3 },
      seed: 1,
    });
    const embedded = await trainModel({
      table: t,
      target: 'churn',
      task: 'binary',
      family: 'mlp',
      params: { epochs: 3, embeddings: true },
      seed: 1,
    });
    const kinds = (m: typeof plain) => m.pipeline.spec.steps.map((s) => s.kind);
    expect(kinds(plain)).toContain('one_hot');
    expect(kinds(embedded)).not.toContain('one_hot');
    expect(kinds(embedded)).toContain('string_index');
    expect(Number.isFinite(embedded.metrics.validation.log_loss)).toBe(true);
  });
});

describe('the default GBDT fit and its rounds (issue 17, glass)', () => {
  // A small numeric-only multiclass table like glass (214 rows, 6 unequal classes, 9 measurements).
  function glassLike(n: number, seed: number): Table {
    const rng = createRng(seed);
    const cols: number[][] = Array.from({ length: 4 }, () => []);
    const y: string[] = [];
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      const k = u < 0.33 ? 0 : u < 0.68 ? 1 : u < 0.76 ? 2 : u < 0.82 ? 3 : u < 0.86 ? 4 : 5;
      for (let j = 0; j < 4; j++) cols[j].push(Math.round((k * (j + 1) * 0.3 + rng.next() * 2) * 100) / 100);
      y.push(['1', '2', '3', '5', '6', '7'][k]);
    }
    return table(...cols.map((v, j) => num(`x${j}`, v)), cat('Type', y));
  }

  it('trains the configured 100 rounds on all rows, as xgb_default does: the holdout chooses nothing', async () => {
    const data = glassLike(171, 9);
    const trained = await trainModel({
      table: data,
      target: 'Type',
      task: 'multiclass',
      family: 'gbdt',
      seed: 42,
    });
    expect(trained.config.rounds).toBe(100);
    expect(trained.config.earlyStoppingRounds).toBe(0);
    expect(trained.refit).toEqual({ rows: 171, iterations: 100 });
    expect(trained.model.iterationsUsed).toBe(100);
    // The final model is the one a plain 100-round fit on every row gives (numeric columns pass the
    // pipeline unchanged): the 80/20 holdout does not shape it.
    const { fitGbdt } = await import('../../../src/core/models/gbdt/index.ts');
    const { encodeTarget } = await import('../../../src/core/train/target.ts');
    const enc = encodeTarget(data, 'Type', 'multiclass');
    const X = {
      nRows: 171,
      nCols: 4,
      data: Float64Array.from({ length: 4 * 171 }, (_, i) => {
        const c = data.columns[Math.floor(i / 171)];
        return c.storage === 'float64' ? c.values[i % 171] : NaN;
      }),
      featureNames: ['x0', 'x1', 'x2', 'x3'],
    };
    const direct = fitGbdt(X, enc.y, { task: 'multiclass', nClasses: 6, config: { seed: 42 } });
    expect(Array.from(trained.model.predict(X))).toEqual(Array.from(direct.predict(X)));
  });
});
