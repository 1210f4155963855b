/**
 * The Train screen in Chromium: training in the worker (GBDT, MLP on WASM and on WebGPU), the page
 * stays responsive (no long task over 100 ms while training), and bundles fitted in Node predict
 * the same in the browser's worker.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { bundleToZip, readBundleZip } from '../../src/core/export/zip.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { nodeEnvironment } from '../../src/cli/bundle-io.ts';
import { selectBackend } from '../../src/core/models/nn/backend.ts';
import { trainModel } from '../../src/core/train/train.ts';
import type { FamilyName } from '../../src/core/train/families.ts';
import type { Task } from '../../src/core/models/types.ts';
import {
  createBundleFiles,
  loadBundle,
  predictionsCsv,
  predictTable,
  signatureTypes,
} from '../../src/core/export/bundle.ts';
import {
  datasetPath,
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

let browser: Browser;
let studio: StudioPage | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

async function loadAndOpenTrain(
  file: string | { name: string; buffer: Buffer },
  target: string,
  task: string,
): Promise<StudioPage> {
  const s = await openStudio(browser.context);
  const { page } = s;
  await pickFile(page, file);
  await waitForDataset(page, typeof file === 'string' ? 'train.csv' : file.name);
  if ((await page.getByTestId('target-select').inputValue()) !== target) {
    await page.getByTestId('target-select').selectOption(target);
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe(target);
  }
  await expect.poll(() => page.getByTestId('task-select').inputValue()).toBe(task);
  await page.getByTestId('nav-train').click();
  await page.getByTestId('train-screen').waitFor();
  await expect.poll(() => page.getByTestId('train-what').textContent()).toContain(target);
  await page.getByTestId('mode-single').check();
  return s;
}

interface Shape {
  metrics: string[];
  confusionRows: number;
  confusionCells: number;
  validRows: string | null;
  curvePoints: string | null;
  backend: string | null;
}

async function train(
  page: Page,
  opts: { family: FamilyName; backend?: string; iterations?: number },
): Promise<Shape> {
  await page.getByTestId('family-select').selectOption(opts.family);
  if (opts.backend) await page.getByTestId('backend-select').selectOption(opts.backend);
  await page.getByTestId('iterations-input').fill(opts.iterations ? String(opts.iterations) : '');
  await page.getByTestId('iterations-input').dispatchEvent('change');
  await page.getByTestId('train-button').click();
  const results = page.getByTestId('train-results');
  await results.waitFor({ timeout: 180_000 });
  return {
    metrics: await results
      .getByTestId('metric-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-metric') ?? '').sort()),
    confusionRows: await results.getByTestId('confusion-row').count(),
    confusionCells: await results.getByTestId('confusion-cell').count(),
    validRows: await results.getByTestId('valid-rows').textContent(),
    curvePoints: await page.getByTestId('learning-curve').getAttribute('data-points'),
    backend: await results.getByTestId('result-backend').textContent(),
  };
}

describe('train screen', () => {
  it('trains GBDT on penguins in the worker: progress, metrics, confusion matrix, pipeline, bundle', async () => {
    studio = await loadAndOpenTrain(datasetPath('penguins'), 'species', 'multiclass');
    const { page } = studio;
    // multiclass defaults to log loss
    expect(await page.getByTestId('metric-select').inputValue()).toBe('log_loss');
    await page.getByTestId('metric-select').selectOption('accuracy');
    const shape = await train(page, { family: 'gbdt', iterations: 60 });
    expect(shape.metrics).toEqual(['accuracy', 'balanced_accuracy', 'log_loss', 'macro_f1']);
    expect(shape.backend).toBe('cpu');
    expect(shape.confusionRows).toBe(3);
    expect(shape.confusionCells).toBe(9);
    expect(Number(shape.curvePoints)).toBe(60);
    const results = page.getByTestId('train-results');
    // the chosen metric comes first
    expect(await results.getByTestId('metric-row').first().getAttribute('data-metric')).toBe('accuracy');
    const accuracy = Number(await results.getByTestId('metric-value').first().textContent());
    expect(accuracy).toBeGreaterThan(0.9);
    // confusion counts add up to the validation rows
    const cells = (await results.getByTestId('confusion-cell').allTextContents()).map(Number);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(Number(shape.validRows));
    expect((await results.getByTestId('pipeline-steps').locator('li').count()) > 0).toBe(true);
    // tree models show which features carried the splits (and record them for the Compare view)
    expect(await results.getByTestId('importance-row').count()).toBeGreaterThan(2);
    await page.locator('[data-testid="learning-curve"] canvas').first().waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('train-download-zip').getByTestId('download-zip').click(),
    ]);
    const bundle = readBundleZip(new Uint8Array(readFileSync((await download.path())!)));
    for (const name of ['manifest.json', 'model.json', 'pipeline.json', 'MODEL_CARD.md', 'signature.json'])
      expect(Object.keys(bundle)).toContain(name);
    const manifest = JSON.parse(bundle['manifest.json']);
    expect(manifest.model.family).toBe('gbdt');
    expect(manifest.environment.runtime).toContain('Chrome');
    expect(manifest.libraries['@tensorflow/tfjs']).toBe('4.22.0');
    // the browser-made bundle loads and predicts in Node
    const loaded = loadBundle(bundle);
    const test = await ingestCsv(fileSource(datasetPath('penguins', 'test.csv')), {
      typeOverrides: signatureTypes(loaded),
    });
    expect(predictTable(loaded, test.table).nRows).toBe(test.table.nRows);

    // Determinism across runtimes: the same data, config and seed give the same trees in Node.
    const data = await ingestCsv(fileSource(datasetPath('penguins')));
    const again = await trainModel({
      table: data.table,
      target: 'species',
      task: 'multiclass',
      family: 'gbdt',
      params: manifest.model.config,
      seed: manifest.seed,
      validFraction: manifest.split.validFraction,
    });
    expect(JSON.stringify(again.model.toJSON()) + '\n').toBe(bundle['model.json']);
  });

  it('shows the automatic pipeline before training, lets the user edit a step and exclude a column', async () => {
    studio = await loadAndOpenTrain(datasetPath('penguins'), 'species', 'multiclass');
    const { page } = studio;
    await page.getByTestId('family-select').selectOption('linear');
    const panel = page.getByTestId('pipeline-panel');
    const impute = panel.locator('li[data-kind="impute"]');
    await impute.waitFor();
    expect(await page.getByTestId('pipeline-state').textContent()).toBe('automatic');
    expect(await impute.getByTestId('pipeline-step-text').textContent()).toContain('median');

    // exclude a column: the automatic pipeline is rebuilt without it
    await panel.getByTestId('exclude-columns').locator('summary').click();
    await page.getByTestId('use-column-island').uncheck();
    await expect.poll(() => panel.locator('li[data-kind="drop"]').textContent()).toContain('island');
    await expect.poll(() => panel.locator('li[data-kind="one_hot"]').textContent()).not.toContain('island');

    // edit a step: mean instead of median
    await impute.locator('select[data-testid$="-strategy"]').selectOption('mean');
    await expect.poll(() => page.getByTestId('pipeline-state').textContent()).toBe('edited by you');
    expect(await impute.getByTestId('pipeline-step-text').textContent()).toContain('mean');

    // a bad value is refused with the reason, and the last good pipeline stays
    const maxCats = panel.locator('li[data-kind="one_hot"] input[data-testid$="-maxCategories"]');
    await maxCats.fill('0');
    await maxCats.dispatchEvent('change');
    await expect.poll(() => page.getByTestId('pipeline-error').textContent()).toMatch(/outside 1…1000/);
    expect(await impute.getByTestId('pipeline-step-text').textContent()).toContain('mean');

    const shape = await train(page, { family: 'linear', iterations: 20 });
    expect(shape.metrics).toContain('log_loss');
    const steps = await page.getByTestId('train-results').getByTestId('pipeline-steps').textContent();
    expect(steps).toContain('mean');
    expect(steps).toMatch(/Drop[^\n]*island/);
    // the bundle's pipeline is the edited one
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('train-download-zip').getByTestId('download-zip').click(),
    ]);
    const bundle = readBundleZip(new Uint8Array(readFileSync((await download.path())!)));
    const pipeline = JSON.parse(bundle['pipeline.json']);
    const imputeStep = pipeline.spec.steps.find((s: { kind: string }) => s.kind === 'impute');
    expect(imputeStep.config.strategy).toBe('mean');

    await page.getByTestId('pipeline-reset').click();
    await expect.poll(() => page.getByTestId('pipeline-state').textContent()).toBe('automatic');
    expect(await impute.getByTestId('pipeline-step-text').textContent()).toContain('median');
  });

  it('trains the MLP on WASM with no long task over 100 ms on the page', async () => {
    studio = await loadAndOpenTrain(datasetPath('telco_churn'), 'churn', 'binary');
    const { page } = studio;
    await page.getByTestId('family-select').selectOption('mlp');
    await expect
      .poll(() => page.getByTestId('backend-explanation').textContent())
      .toMatch(/software fallback|No WebGPU adapter|Hardware WebGPU/);
    const registeredAt = await page.evaluate(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: false });
      return performance.now();
    });
    const t0 = Date.now();
    const trainDone = train(page, { family: 'mlp', backend: 'wasm', iterations: 15 });
    // live progress: the epoch counter moves and the loss curve is drawn while training runs
    await expect
      .poll(() => page.getByTestId('progress-round').textContent(), { timeout: 60_000 })
      .toBeTruthy();
    await page.locator('[data-testid="train-progress"] [data-testid="echart"] canvas').first().waitFor();
    // the page answers while the worker trains
    const roundTrip = await page.evaluate(async () => {
      const s = performance.now();
      await new Promise((r) => setTimeout(r, 0));
      return performance.now() - s;
    });
    expect(roundTrip).toBeLessThan(100);
    const shape = await trainDone;
    const seconds = (Date.now() - t0) / 1000;
    const longTasks = await page.evaluate(
      () => (window as unknown as { __longTasks: { duration: number }[] }).__longTasks,
    );
    console.log(
      `MLP (telco, 15 epochs, wasm) trained in ${seconds.toFixed(1)} s; observing from ${registeredAt.toFixed(0)} ms; long tasks:`,
      longTasks,
    );
    expect(shape.backend).toBe('wasm');
    expect(shape.metrics).toEqual(['accuracy', 'balanced_accuracy', 'f1', 'log_loss', 'pr_auc', 'roc_auc']);
    expect(shape.confusionRows).toBe(2);
    await page.getByTestId('roc-chart').locator('canvas').first().waitFor();
    const auc = Number(
      await page
        .locator('[data-testid="metric-row"][data-metric="roc_auc"] [data-testid="metric-value"]')
        .textContent(),
    );
    expect(auc).toBeGreaterThan(0.75);
    expect(longTasks.filter((t) => t.duration > 100)).toEqual([]);
  });

  it('stops a running MLP after the current epoch and keeps what it learned', async () => {
    studio = await loadAndOpenTrain(datasetPath('penguins'), 'species', 'multiclass');
    const { page } = studio;
    await page.getByTestId('family-select').selectOption('mlp');
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('iterations-input').fill('5000');
    await page.getByTestId('iterations-input').dispatchEvent('change');
    await page.getByTestId('train-button').click();
    await expect
      .poll(async () => Number(await page.getByTestId('progress-round').textContent()), { timeout: 60_000 })
      .toBeGreaterThan(3);
    await page.getByTestId('stop-button').click();
    const results = page.getByTestId('train-results');
    await results.waitFor({ timeout: 60_000 });
    expect(await results.locator('#results-heading').textContent()).toContain('stopped early');
    expect(Number(await page.getByTestId('learning-curve').getAttribute('data-points'))).toBeLessThan(5000);
    expect(await page.getByTestId('train-button').isEnabled()).toBe(true);
  });

  it('trains the MLP on WebGPU (SwiftShader) in the worker, same-shaped results as WASM', async () => {
    // 60 rows, all three species
    const lines = readFileSync(datasetPath('penguins'), 'utf8').trim().split('\n');
    const rows = lines
      .slice(1)
      .filter((_, i) => i % 4 === 0)
      .slice(0, 60);
    const csv = [lines[0], ...rows].join('\n') + '\n';
    studio = await loadAndOpenTrain({ name: 'tiny.csv', buffer: Buffer.from(csv) }, 'species', 'multiclass');
    const { page } = studio;
    const wasm = await train(page, { family: 'mlp', backend: 'wasm', iterations: 4 });
    const gpu = await train(page, { family: 'mlp', backend: 'webgpu', iterations: 4 });
    expect(wasm.backend).toBe('wasm');
    expect(gpu.backend).toBe('webgpu');
    expect(await page.getByTestId('result-backend-reason').textContent()).toContain('webgpu requested');
    expect(gpu.metrics).toEqual(wasm.metrics);
    expect(gpu.confusionRows).toBe(3);
    expect({ ...gpu, backend: '' }).toEqual({ ...wasm, backend: '' });
    const values = await page.getByTestId('metric-value').allTextContents();
    expect(values.every((v) => v !== '—')).toBe(true);
  });

  it('predicts bundles fitted in Node identically in the browser worker (GBDT, linear, MLP)', async () => {
    const trainData = await ingestCsv(fileSource(datasetPath('penguins')), { createHasher: nodeHasher });
    const testCsv = readFileSync(datasetPath('penguins', 'test.csv'));
    const choice = await selectBackend('auto');
    /**
     * tolerance 0 = the predictions CSV is byte-identical (every float64 written with round-trip
     * precision). Math.exp/log differ in the last bit between Node 20's and Chromium's V8, so every
     * predictor uses src/core/util/portable-math.ts.
     */
    const cases: {
      family: FamilyName;
      target: string;
      task: Task;
      params: Record<string, unknown>;
      tolerance: number;
    }[] = [
      { family: 'gbdt', target: 'body_mass_g', task: 'regression', params: { rounds: 50 }, tolerance: 0 },
      { family: 'linear', target: 'species', task: 'multiclass', params: { epochs: 40 }, tolerance: 0 },
      { family: 'mlp', target: 'species', task: 'multiclass', params: { epochs: 15 }, tolerance: 1e-5 },
      { family: 'gbdt', target: 'species', task: 'multiclass', params: { rounds: 50 }, tolerance: 0 },
      { family: 'gbdt', target: 'sex', task: 'binary', params: { rounds: 50 }, tolerance: 0 },
    ];
    const fitted: { name: string; files: Record<string, string>; csv: string; tolerance: number }[] = [];
    for (const c of cases) {
      const trained = await trainModel({ table: trainData.table, ...c, seed: 7 });
      const files = createBundleFiles(
        trained,
        { name: trainData.sourceName, fingerprint: trainData.fingerprint, schema: trainData.schema },
        nodeEnvironment(c.family === 'gbdt' ? null : { name: choice.name, reason: choice.reason }),
      );
      const bundle = loadBundle(files);
      const test = await ingestCsv(fileSource(datasetPath('penguins', 'test.csv')), {
        typeOverrides: signatureTypes(bundle),
      });
      const csv = predictionsCsv(bundle, predictTable(bundle, test.table));
      fitted.push({ name: `${c.family} ${c.task}`, files, csv, tolerance: c.tolerance });
    }

    studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, datasetPath('penguins'));
    await waitForDataset(page, 'train.csv');
    await page.getByTestId('nav-score').click();
    const screen = page.getByTestId('score-screen');
    await screen.waitFor();
    await screen
      .getByTestId('score-csv-input')
      .setInputFiles({ name: 'test.csv', mimeType: 'text/csv', buffer: testCsv });
    for (const [n, f] of fitted.entries()) {
      // each Node-made bundle as a zip, loaded on the Score screen (it scores the chosen CSV at once)
      await screen.getByTestId('bundle-zip-input').setInputFiles({
        name: `model-${n}.zip`,
        mimeType: 'application/zip',
        buffer: Buffer.from(bundleToZip(f.files)),
      });
      await expect
        .poll(() => screen.getByTestId('score-model-select').inputValue())
        .toMatch(new RegExp(`^imported:${n + 1}:`));
      await screen.getByTestId('score-result').waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        screen.getByTestId('score-download').click(),
      ]);
      const browserCsv = readFileSync((await download.path())!, 'utf8');
      if (f.tolerance === 0) {
        expect(browserCsv, f.name).toBe(f.csv);
        continue;
      }
      const a = f.csv.trim().split('\n');
      const b = browserCsv.trim().split('\n');
      expect(b.length, f.name).toBe(a.length);
      expect(b[0], f.name).toBe(a[0]);
      let maxDiff = 0;
      for (let i = 1; i < a.length; i++) {
        const x = a[i].split(',');
        const y = b[i].split(',');
        expect(y[y.length - 1], f.name).toBe(x[x.length - 1]);
        for (let j = 0; j < x.length - 1; j++)
          maxDiff = Math.max(maxDiff, Math.abs(Number(x[j]) - Number(y[j])));
      }
      console.log(
        `${f.name} bundle: max |node - browser| = ${maxDiff} (${browserCsv === f.csv ? 'identical' : 'not identical'})`,
      );
      expect(maxDiff, f.name).toBeLessThanOrEqual(f.tolerance);
    }
  });
});
