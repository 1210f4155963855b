/**
 * The reference profile written into every bundle at training time (reference.json): listed and
 * hashed in the manifest, equal to the profile of the training table with the out-of-fold
 * predictions, no rows of the data, checked on load; old bundles load without it; monitoring from
 * the bundle alone flags a shifted column and not the clean test split.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainModel, type TrainedModel } from '../../../src/core/train/train.ts';
import {
  BUNDLE_FILES,
  BundleError,
  createBundleFiles,
  createSearchBundleFiles,
  loadBundle,
} from '../../../src/core/export/bundle.ts';
import { sha256Hex } from '../../../src/core/export/integrity.ts';
import { exportBundleFiles } from '../../../src/core/export/package.ts';
import { bundleToZip, readBundleZip } from '../../../src/core/export/zip.ts';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../../src/core/ingest/index.ts';
import {
  REFERENCE_FILE,
  buildReference,
  columnReference,
  parseReference,
  predictionsColumn,
  referenceJson,
} from '../../../src/core/monitor/reference.ts';
import { monitorBatch } from '../../../src/core/monitor/monitor-batch.ts';
import { fitCalibration } from '../../../src/core/monitor/calibration.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { REPO_ROOT, datasetFile } from '../../helpers/paths.ts';
import { rehashed } from '../../helpers/rehash.ts';
import { cat, num, table } from '../../helpers/table.ts';
import { TEST_ENV, datasetOf } from '../../helpers/bundle.ts';

const env = TEST_ENV;

async function read(path: string): Promise<{ table: Table; source: ReturnType<typeof bytesSource> }> {
  const source = bytesSource(path.split('/').pop()!, new Uint8Array(readFileSync(path)));
  const { table: t } = await ingestCsv(source);
  return { table: t, source };
}

/** test.csv text with `column` shifted by `sds` of its standard deviation. */
function shiftedCsv(column: string, sds: number): string {
  const lines = readFileSync(datasetFile('penguins', 'test.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const j = header.indexOf(column);
  const rows = lines.slice(1).map((l) => l.split(','));
  const vals = rows.filter((r) => r[j] !== '' && r[j] !== 'NA').map((r) => Number(r[j]));
  const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
  const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
  for (const r of rows) if (r[j] !== '' && r[j] !== 'NA') r[j] = String(Number(r[j]) + sds * sd);
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

let train: Table;
let trained: TrainedModel;
let files: Record<string, string>;
beforeAll(async () => {
  train = (await read(datasetFile('penguins'))).table;
  trained = await trainModel({
    table: train,
    target: 'species',
    task: 'multiclass',
    family: 'gbdt',
    seed: 7,
    params: { rounds: 30 },
  });
  files = createBundleFiles(trained, datasetOf(train, 'train.csv'), env, { table: train, scorer: '//\n' });
}, 120_000);

describe('reference.json in a bundle', () => {
  it('is listed in the manifest with its SHA-256 and is the profile of the training table', () => {
    const manifest = JSON.parse(files['manifest.json']);
    expect(manifest.files[REFERENCE_FILE]).toBe(sha256Hex(files[REFERENCE_FILE]!));
    const bundle = loadBundle(files, { requireListedFiles: true });
    const inputs = manifest.signature.inputs.map((c: { name: string }) => c.name);
    const rows = trained.validation.y.length;
    const want = buildReference(train, {
      columns: inputs,
      target: 'species',
      predictions: predictionsColumn('multiclass', trained.classes, trained.validation.pred, rows),
      metrics: Object.fromEntries(
        Object.entries(trained.metrics.validation).map(([k, v]) => [k, { mean: v }]),
      ),
      // The calibration map for CBPE, fitted on the same holdout predictions and their labels.
      calibration: fitCalibration('multiclass', trained.validation.y, trained.validation.pred, 3),
    });
    expect(bundle.reference).toEqual(parseReference(referenceJson(want)));
    expect(bundle.reference!.calibration!.maps).toHaveLength(3);
    expect(bundle.reference!.columns.map((c) => c.name)).toEqual(inputs);
    expect(bundle.reference!.rows).toBe(train.nRows);
    // The target's counts are the training table's class counts.
    const target = bundle.reference!.target!;
    expect(target.kind).toBe('categorical');
    if (target.kind === 'categorical') {
      const col = train.columns.find((c) => c.name === 'species')!;
      const counts = new Map<string, number>();
      if (col.storage === 'dict')
        for (const code of col.codes)
          if (code >= 0) counts.set(col.dictionary[code]!, (counts.get(col.dictionary[code]!) ?? 0) + 1);
      expect(Object.fromEntries(target.categories.map((c, i) => [c, target.counts[i]]))).toEqual(
        Object.fromEntries(counts),
      );
    }
    // The predictions are the validation (holdout) predictions: one per validation row.
    expect(bundle.reference!.predictions!.rows).toBe(trained.split.validRows);
    // The model card says what the file holds.
    expect(files['MODEL_CARD.md']).toContain('`reference.json` keeps a summary of the training data');
  });

  it('holds no rows of the data: no array is as long as the table', () => {
    expect(train.nRows).toBeGreaterThan(150);
    const arrays: number[] = [];
    JSON.parse(files[REFERENCE_FILE]!, (_k, v: unknown) => {
      if (Array.isArray(v)) arrays.push(v.length);
      return v;
    });
    expect(Math.max(...arrays)).toBeLessThanOrEqual(101);
  });

  it('a changed reference.json is refused naming it; a malformed one (rehashed) names the problem', () => {
    const profile = JSON.parse(files[REFERENCE_FILE]!);
    profile.rows += 1;
    const tampered = { ...files, [REFERENCE_FILE]: JSON.stringify(profile) };
    expect(() => loadBundle(tampered)).toThrow(
      new BundleError('reference.json does not match its hash in manifest.json'),
    );
    const at = profile.columns.findIndex((c: { kind: string }) => c.kind === 'numeric');
    const columns = [...profile.columns];
    columns[at] = { ...columns[at], counts: [1] };
    const bad = { ...profile, columns };
    const forged = rehashed({ ...files, [REFERENCE_FILE]: JSON.stringify(bad) });
    delete forged['manifest.sig'];
    expect(() => loadBundle(forged)).toThrow(/^reference\.json: column "[^"]+": 1 counts for \d+ bin edges$/);
    const wrongVersion = rehashed({ ...files, [REFERENCE_FILE]: JSON.stringify({ ...profile, version: 2 }) });
    expect(() => loadBundle(wrongVersion)).toThrow(/^reference\.json: version must be 1/);
  });

  it('travels through a zip and an export with its hash; an unlisted reference.json is ignored', () => {
    const zipped = loadBundle(readBundleZip(bundleToZip(files)));
    expect(zipped.reference).toEqual(loadBundle(files).reference);
    const exported = exportBundleFiles(files, { scorer: '//\n' });
    expect(exported[REFERENCE_FILE]).toBe(files[REFERENCE_FILE]);
    expect(JSON.parse(exported['manifest.json']).files[REFERENCE_FILE]).toBe(
      sha256Hex(files[REFERENCE_FILE]!),
    );
    // An old bundle (before monitoring) with a reference.json slipped in: not listed, so not used.
    const dir = join(REPO_ROOT, 'test/fixtures/bundle/v2-fit-mlp');
    const old = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => (BUNDLE_FILES as readonly string[]).includes(f))
        .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
    );
    expect(old[REFERENCE_FILE]).toBeUndefined();
    expect(loadBundle(old).reference).toBeUndefined();
    expect(loadBundle({ ...old, [REFERENCE_FILE]: files[REFERENCE_FILE] }).reference).toBeUndefined();
  });

  it('a bundle made without the training table (a replay) has none', () => {
    const replay = createBundleFiles(trained, datasetOf(train, 'train.csv'), env, {});
    expect(replay[REFERENCE_FILE]).toBeUndefined();
    expect(loadBundle(replay).reference).toBeUndefined();
  });

  it('a search bundle keeps the out-of-fold predictions of its final model (P(positive class))', async () => {
    const x: number[] = [];
    const c: string[] = [];
    const y: string[] = [];
    for (let i = 0; i < 150; i++) {
      x.push((i * 37) % 101);
      c.push(['a', 'b', 'c'][i % 3]!);
      y.push((i * 37) % 101 > 50 !== (i % 7 === 0) ? 'yes' : 'no');
    }
    const data = table(num('x', x), cat('c', c), cat('y', y));
    const result = await runSearch({
      table: data,
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 5,
      maxTrials: 2,
      folds: 3,
    });
    const out = createSearchBundleFiles(result, datasetOf(data, 'small.csv'), env, { table: data });
    const ref = loadBundle(out).reference!;
    const oof = result.validation;
    const p = ref.predictions!;
    expect(p.kind).toBe('numeric');
    expect(p.rows).toBe(oof.y.length);
    if (p.kind === 'numeric') {
      const positive = Array.from({ length: oof.y.length }, (_, i) => oof.pred[2 * i + 1]!);
      expect(p.min).toBe(Math.min(...positive));
      expect(p.max).toBe(Math.max(...positive));
    }
    expect(ref.metrics?.[result.metric]?.mean).toBe(
      JSON.parse(out['manifest.json']).metrics.validation[result.metric],
    );
    // column references computed before the search (as runAutomlJob does) give the same bytes; a
    // column missing from the map is computed as before
    const columnRefs = new Map([['x', columnReference(data.columns[0]!)]]);
    const again = createSearchBundleFiles(result, datasetOf(data, 'small.csv'), env, {
      table: data,
      columnRefs,
    });
    expect(again[REFERENCE_FILE]).toBe(out[REFERENCE_FILE]);
    expect(again['manifest.json']).toBe(out['manifest.json']);
    // and they are used, not recomputed: a (deliberately wrong) given reference shows up
    const wrong = new Map([['x', { ...columnReference(data.columns[0]!), missing: 12345 }]]);
    const used = createSearchBundleFiles(result, datasetOf(data, 'small.csv'), env, {
      table: data,
      columnRefs: wrong,
    });
    expect(JSON.parse(used[REFERENCE_FILE]).columns[0].missing).toBe(12345);
  }, 60_000);
});

describe('monitoring from the bundle alone', () => {
  it('the clean test split: no drift; a column shifted by 1 sd: that column drifts', async () => {
    const bundle = loadBundle(files);
    const clean = await monitorBatch(
      bundle,
      bytesSource('test.csv', new Uint8Array(readFileSync(datasetFile('penguins', 'test.csv')))),
    );
    expect(clean.reference.basis).toBe('stored profile');
    expect(clean.drift.verdict).toBe('no drift');
    expect(clean.drift.columns.filter((c) => c.drifted).map((c) => c.column)).toEqual([]);
    expect(clean.drift.predictionDrift).toBeDefined();
    expect(clean.performance?.kind).toBe('actual');

    const shifted = await monitorBatch(
      bundle,
      bytesSource('shifted.csv', new TextEncoder().encode(shiftedCsv('flipper_length_mm', 1))),
    );
    const drifted = shifted.drift.columns.filter((c) => c.drifted).map((c) => c.column);
    expect(drifted).toEqual(['flipper_length_mm']);
    expect(shifted.drift.columns.find((c) => c.column === 'flipper_length_mm')!.basis).toMatch(/^profile/);
  });

  it('an old bundle without a reference: a clear message asking for the training data', async () => {
    const old = createBundleFiles(trained, datasetOf(train, 'train.csv'), env, {});
    const batch = bytesSource('test.csv', new Uint8Array(readFileSync(datasetFile('penguins', 'test.csv'))));
    await expect(monitorBatch(loadBundle(old), batch)).rejects.toThrow(
      /no stored reference profile .*give the training data as the reference/,
    );
  });
});

describe('Wasserstein distance from the stored percentiles', () => {
  it('a lone outlier at the maximum does not spread 1% of the mass over its range (no false alarm)', async () => {
    const { columnDrift, trimmedTails } = await import('../../../src/core/monitor/drift.ts');
    const { columnValues, numericReference } = await import('../../../src/core/monitor/reference.ts');
    const n = 2000;
    const train = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) train[i] = (i * 0.6180339887) % 1;
    train[n] = 50; // one outlier
    const batch = new Float64Array(n);
    for (let i = 0; i < n; i++) batch[i] = ((i + 7) * 0.4142135623) % 1;
    const ref = parseReference(
      referenceJson({ version: 1, rows: n + 1, columns: [numericReference('x', 'numeric', train)] }),
    ).columns[0]!;
    const col = { name: 'x', type: 'numeric', storage: 'float64', values: batch } as const;
    const fromProfile = columnDrift(ref, columnValues(col));
    const fromData = columnDrift(ref, columnValues(col), {
      referenceData: columnValues({ ...col, values: train }),
    });
    expect(fromProfile.method).toBe('wasserstein');
    expect(fromProfile.basis).toBe('profile (bins)');
    expect(fromData.drifted).toBe(false);
    expect(fromProfile.drifted).toBe(false);
    // Spread evenly over [p99, 50], the top 1% alone would move ≈ 0.24 / std ≈ 0.2 (a false alarm).
    expect(fromProfile.score).toBeLessThan(0.05);
    expect(Math.abs(fromProfile.score - fromData.score)).toBeLessThan(0.03);
    // The tails are cut to their neighbours' width; the inner percentiles are kept.
    expect(trimmedTails([0, 1, 2, 3, 100])).toEqual([0, 1, 2, 3, 4]);
    expect(trimmedTails([-50, 1, 2, 3, 4])).toEqual([0, 1, 2, 3, 4]);
    expect(trimmedTails([0, 1, 3])).toEqual([0, 1, 3]);
  });
});
