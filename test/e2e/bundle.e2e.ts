/**
 * Model bundles in real Chromium: importing a zip made by the CLI, batch scoring (score.py accepts
 * the downloaded predictions), rejected zips, missing columns and unreadable cells, verify by replay,
 * zip download, and the browser build's predict.mjs. Builds its own small page
 * (test/fixtures/bundle/e2e-page: the components over the real bundle worker, without the app) with
 * Vite and serves it on a free port; Chromium comes from the e2e global setup.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { zipSync, strToU8 } from 'fflate';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scorerPlugin } from '../../src/cli/scorer-build.ts';
import { bundleToZip, readBundleZip } from '../../src/core/export/zip.ts';
import { REPO_ROOT, datasetFile, scorePy } from '../helpers/paths.ts';
import { CHROMIUM_ARGS, cli } from './helpers.ts';

let server: PreviewServer;
let baseUrl = '';
let outDir = '';
let work = '';
let context: BrowserContext;
let profile = '';
/** A gbdt bundle made by `cli fit --out x.zip`. */
let gbdtZip = '';
const TRAIN = () => datasetFile('penguins');
const TEST = () => datasetFile('penguins', 'test.csv');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bundle-e2e-'));
  gbdtZip = join(work, 'gbdt.zip');
  const fit = await cli(['fit', TRAIN(), '--target', 'species', '--out', gbdtZip, '--no-track']);
  expect(fit.code, fit.err).toBe(0);

  outDir = join(work, 'dist');
  await build({
    configFile: false,
    root: resolve(REPO_ROOT, 'test/fixtures/bundle/e2e-page'),
    base: './',
    logLevel: 'warn',
    plugins: [svelte({ configFile: resolve(REPO_ROOT, 'svelte.config.js') }), scorerPlugin()],
    worker: { format: 'es', plugins: () => [scorerPlugin()] },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  server = await preview({
    configFile: false,
    root: dirname(outDir), // preview refuses root === outDir
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  baseUrl = server.resolvedUrls?.local[0] ?? '';
  expect(baseUrl).not.toBe('');
  profile = mkdtempSync(join(tmpdir(), 'bundle-e2e-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: inject('chromiumPath'),
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
  context.setDefaultTimeout(60_000);
}, 240_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  for (const d of [work, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

async function openPage(errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  await page.goto(baseUrl);
  await page.getByTestId('score-screen').waitFor();
  return page;
}

async function importZip(page: Page, file: string | { name: string; buffer: Buffer }): Promise<void> {
  const input = page.getByTestId('bundle-zip-input');
  if (typeof file === 'string') await input.setInputFiles(file);
  else await input.setInputFiles({ mimeType: 'application/zip', ...file });
}

async function pickCsv(page: Page, testId: string, file: string | { name: string; buffer: Buffer }) {
  const input = page.getByTestId(testId);
  if (typeof file === 'string') await input.setInputFiles(file);
  else await input.setInputFiles({ mimeType: 'text/csv', ...file });
}

/** penguins train.csv with one cell changed (bill_length_mm of the first row). */
function changedTrain(): Buffer {
  const lines = readFileSync(TRAIN(), 'utf8').split('\n');
  const cells = lines[1].split(',');
  cells[2] = String(Number(cells[2]) + 5);
  lines[1] = cells.join(',');
  return Buffer.from(lines.join('\n'));
}

describe('bundles in Chromium', () => {
  it('imports a CLI zip, scores test.csv, downloads predictions.csv that score.py accepts (= cli predict)', async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    await importZip(page, gbdtZip);
    const imported = page.getByTestId('bundle-imported');
    await imported.waitFor();
    expect(await imported.getAttribute('data-family')).toBe('gbdt');
    expect(await imported.textContent()).toMatch(/multiclass on\s+species/);
    await pickCsv(page, 'score-csv-input', TEST());
    const result = page.getByTestId('score-result');
    await result.waitFor();
    const rows = Number(await result.getAttribute('data-rows'));
    const testRows = readFileSync(TEST(), 'utf8').trim().split('\n').length - 1;
    expect(rows).toBe(testRows);
    // The preview table: header = classes + prediction, at most 100 rows.
    const headers = await page.locator('[data-testid="score-preview"] thead th').allTextContents();
    expect(headers).toEqual(['row', 'Adelie', 'Chinstrap', 'Gentoo', 'prediction']);
    expect(await page.locator('[data-testid="score-preview"] tbody tr').count()).toBe(Math.min(100, rows));

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('score-download').click(),
    ]);
    // Named after the model and the file (issue 13), so several downloads are told apart.
    expect(download.suggestedFilename()).toMatch(/^[\w.-]+-test-predictions\.csv$/);
    const saved = join(work, 'predictions.csv');
    await download.saveAs(saved);
    const csv = readFileSync(saved, 'utf8');
    const viaCli = await cli(['predict', gbdtZip, TEST()]);
    expect(csv).toBe(viaCli.out);
    const scored = execFileSync(
      '/usr/bin/python3',
      [scorePy(), dirname(datasetFile('penguins', 'meta.json')), saved],
      {
        encoding: 'utf8',
      },
    );
    const report = JSON.parse(scored);
    expect(report.n).toBe(testRows);
    expect(report.metrics.accuracy).toBeGreaterThan(0.9);

    // test.csv has the target: the Score screen evaluates, and agrees with score.py.
    const acc = page.locator('[data-testid="score-metric"][data-metric="accuracy"] td');
    expect(Number(await acc.textContent())).toBeCloseTo(report.metrics.accuracy, 3);
    await page.getByTestId('score-confusion').locator('canvas').first().waitFor();
    // Chosen columns of the file are kept in front of the predictions.
    await page.getByTestId('score-keep').locator('summary').click();
    await page.locator('[data-testid="score-keep-column"][data-column="island"]').check();
    await expect
      .poll(() => page.getByTestId('score-keep').locator('summary').textContent())
      .toContain('island');
    await page.getByTestId('score-result').waitFor();
    const [kept] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('score-download').click(),
    ]);
    const keptPath = join(work, 'kept.csv');
    await kept.saveAs(keptPath);
    const keptLines = readFileSync(keptPath, 'utf8').trim().split('\n');
    const testLines = readFileSync(TEST(), 'utf8').trim().split('\n');
    expect(keptLines[0]).toBe(`island,${viaCli.out.split('\n')[0]}`);
    expect(keptLines[1].split(',')[0]).toBe(testLines[1].split(',')[1]);
    expect(keptLines.length).toBe(testLines.length);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('rejects unsafe or invalid zips with a specific error', async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    const good = readBundleZip(new Uint8Array(readFileSync(gbdtZip)));
    const error = page.getByTestId('bundle-import-error');

    // Path traversal: an entry name with '..' (written with fflate directly: bundleToZip refuses it).
    const traversal = zipSync({
      'manifest.json': strToU8(good['manifest.json']),
      '../evil.txt': strToU8('x'),
    });
    await importZip(page, { name: 'traversal.zip', buffer: Buffer.from(traversal) });
    await expect
      .poll(() => error.textContent())
      .toMatch(/zip entry "\.\.\/evil\.txt" leaves the bundle folder \(\.\.\)/);

    // A manifest that breaks the schema names the field.
    const manifest = JSON.parse(good['manifest.json']);
    delete manifest.dataset.sha256;
    const badSchema = bundleToZip({ ...good, 'manifest.json': JSON.stringify(manifest) });
    await importZip(page, { name: 'bad-schema.zip', buffer: Buffer.from(badSchema) });
    await expect
      .poll(() => error.textContent())
      .toMatch(/manifest\.json does not match the format 2 schema: .*sha256/);

    // Wrong format version.
    const v9 = bundleToZip({ ...good, 'manifest.json': JSON.stringify({ ...manifest, formatVersion: 9 }) });
    await importZip(page, { name: 'v9.zip', buffer: Buffer.from(v9) });
    await expect
      .poll(() => error.textContent())
      .toMatch(/unsupported bundle format version 9 \(this studio reads 1 and 2\) \(v9\.zip\)/);

    // Not a zip at all.
    await importZip(page, { name: 'notes.zip', buffer: Buffer.from('hello, not a zip') });
    await expect.poll(() => error.textContent()).toMatch(/notes\.zip is not a zip file/);
    expect(await page.getByTestId('bundle-imported').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a CSV lacking a column names it; extra columns and unreadable cells are noted by column and row', async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    await importZip(page, gbdtZip);
    await page.getByTestId('bundle-imported').waitFor();

    const lines = readFileSync(TEST(), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const drop = header.indexOf('bill_depth_mm');
    const lacking =
      lines
        .map((l) =>
          l
            .split(',')
            .filter((_, i) => i !== drop)
            .join(','),
        )
        .join('\n') + '\n';
    await pickCsv(page, 'score-csv-input', { name: 'lacking.csv', buffer: Buffer.from(lacking) });
    const error = page.getByTestId('score-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(
      /lacking\.csv lacks column\(s\) the model needs: bill_depth_mm/,
    );
    expect(await page.getByTestId('score-missing-column').allTextContents()).toEqual(['bill_depth_mm']);
    expect(await page.getByTestId('score-result').count()).toBe(0);

    // An extra column, and a text cell in a numeric column (file row 3 = the second data row).
    const bill = header.indexOf('bill_length_mm');
    const odd = lines.map((l, r) => {
      const cells = l.split(',');
      if (r === 2) cells[bill] = 'n/k?';
      return [...cells, r === 0 ? 'comment' : 'x'].join(',');
    });
    await pickCsv(page, 'score-csv-input', { name: 'odd.csv', buffer: Buffer.from(odd.join('\n') + '\n') });
    await page.getByTestId('score-result').waitFor();
    const notes = await page.getByTestId('score-notes').textContent();
    expect(notes).toMatch(/ignored 1 column\(s\) the model does not use: comment/);
    expect(notes).toMatch(/column bill_length_mm: 1 cell could not be read as numeric .* \(row 3\)/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('verify: "reproduced" with the right train.csv, "not reproduced" with one cell changed', async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    await importZip(page, gbdtZip);
    await page.getByTestId('verify-bundle').waitFor();
    await pickCsv(page, 'verify-csv-input', TRAIN());
    await page.getByTestId('verify-button').click();
    const verdict = page.getByTestId('verify-verdict');
    await verdict.waitFor({ timeout: 120_000 });
    expect(await verdict.getAttribute('data-verdict')).toBe('reproduced');
    const lines = await page.getByTestId('verify-lines').textContent();
    expect(lines).toMatch(/data fingerprint matches/);
    expect(lines).toMatch(/predictions on 275 rows: bit-identical/);
    // who signed it: the CLI's key, not this browser profile's
    expect(await page.getByTestId('verify-provenance').textContent()).toMatch(
      /Bundle signed by [0-9a-f:]+ \((unknown|known: .+)\)\./,
    );
    // The same verdict as the CLI.
    expect((await cli(['reproduce', gbdtZip, '--data', TRAIN()])).code).toBe(0);

    await pickCsv(page, 'verify-csv-input', { name: 'changed.csv', buffer: changedTrain() });
    await page.getByTestId('verify-button').click();
    await verdict.waitFor({ timeout: 120_000 });
    expect(await verdict.getAttribute('data-verdict')).toBe('not reproduced');
    const changed = await page.getByTestId('verify-lines').textContent();
    expect(changed).toMatch(/data fingerprint differs: manifest sha256 [0-9a-f]{64}/);
    expect(changed).toMatch(
      /first differing prediction: row \d+, column (Adelie|Chinstrap|Gentoo|prediction): expected [\d.e-]+, got [\d.e-]+/,
    );

    // Data without the target: a clear error, no verdict.
    await pickCsv(page, 'verify-csv-input', { name: 'other.csv', buffer: Buffer.from('a,b\n1,2\n3,4\n') });
    await page.getByTestId('verify-button').click();
    await expect
      .poll(() => page.getByTestId('verify-error').textContent())
      .toMatch(/target column 'species' not found \(other\.csv\)/);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it.each([
    ['linear', ['fit', '--model', 'linear', '--params', '{"epochs": 40}']],
    ['automl ensemble', ['automl', '--max-trials', '4', '--families', 'gbdt,linear', '--seed', '5']],
  ])(
    'verify: a CLI-made %s bundle is "reproduced" in the browser (WASM)',
    async (_kind, args) => {
      const zip = join(work, `${args[0]}-${args[2]}.zip`);
      const [command, ...rest] = args;
      const made = await cli([command, TRAIN(), '--target', 'species', '--out', zip, '--no-track', ...rest]);
      expect(made.code, made.err).toBe(0);
      const errors: string[] = [];
      const page = await openPage(errors);
      await importZip(page, zip);
      await page.getByTestId('verify-bundle').waitFor();
      await pickCsv(page, 'verify-csv-input', TRAIN());
      await page.getByTestId('verify-button').click();
      const verdict = page.getByTestId('verify-verdict');
      await verdict.waitFor({ timeout: 240_000 });
      const lines = await page.getByTestId('verify-lines').textContent();
      expect(await verdict.getAttribute('data-verdict'), lines ?? '').toBe('reproduced');
      expect(errors).toEqual([]);
      await page.close();
    },
    300_000,
  );

  it('downloads the imported bundle as a zip with the CLI files, signed by this studio, without the imported predict.mjs', async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    await importZip(page, gbdtZip);
    const plain = page.getByTestId('plain-zip').getByTestId('download-zip');
    await plain.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), plain.click()]);
    expect(download.suggestedFilename()).toBe('again.zip');
    const saved = join(work, 'again.zip');
    await download.saveAs(saved);
    // The same manifest and model files as the CLI wrote; the imported predict.mjs is not carried on
    // (a completed download adds this studio's own), and this studio signs what it hands out.
    const again = readBundleZip(new Uint8Array(readFileSync(saved)));
    const cliFiles = readBundleZip(new Uint8Array(readFileSync(gbdtZip)));
    for (const name of Object.keys(cliFiles).filter((n) => n !== 'predict.mjs' && n !== 'manifest.sig'))
      expect(again[name], name).toBe(cliFiles[name]);
    expect(again['predict.mjs']).toBeUndefined();
    expect(JSON.parse(again['manifest.sig']).fingerprint).not.toBe(
      JSON.parse(cliFiles['manifest.sig']).fingerprint,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('completing a bundle without predict.mjs adds the worker build of the scorer, which runs in node', async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    await importZip(page, gbdtZip);
    const button = page.getByTestId('complete-zip').getByTestId('download-zip');
    await button.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const saved = join(work, 'completed.zip');
    await download.saveAs(saved);
    const files = readBundleZip(new Uint8Array(readFileSync(saved)));
    expect(Object.keys(JSON.parse(files['manifest.json']).files)).toContain('predict.mjs');
    const dir = join(work, 'completed', 'bundle');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync(process.execPath, ['predict.mjs', TEST()], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      maxBuffer: 64 << 20,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe((await cli(['predict', gbdtZip, TEST()])).out);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the browser build's predict.mjs is the CLI's: it runs with plain node in an empty folder", async () => {
    const errors: string[] = [];
    const page = await openPage(errors);
    const source = await page.evaluate(() => window.bundleE2E.scorerSource());
    expect(source).toMatch(/^\/\/ predict\.mjs — standalone scorer/);
    const dir = join(work, 'empty', 'bundle');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(readBundleZip(new Uint8Array(readFileSync(gbdtZip)))))
      writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'predict.mjs'), source);
    const r = spawnSync(process.execPath, ['predict.mjs', TEST()], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      maxBuffer: 64 << 20,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe((await cli(['predict', gbdtZip, TEST()])).out);
    expect(errors).toEqual([]);
    await page.close();
  });
});
