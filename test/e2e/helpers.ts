/** Shared helpers for the Chromium end-to-end tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { datasetFile } from '../helpers/paths.ts';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

/** A real dataset's file: the vendored copy, else `../shared/datasets` (see test/helpers/paths.ts). */
export function datasetPath(
  name: string,
  file: 'train.csv' | 'test.csv' | 'meta.json' = 'train.csv',
): string {
  return datasetFile(name, file);
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh persistent Chromium profile in its own temp dir (so service workers and storage work). */
export async function launchBrowser(): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'automl-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: inject('chromiumPath'),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  context.setDefaultTimeout(30_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface StudioPage {
  readonly page: Page;
  /** Uncaught page errors and console errors seen so far. */
  readonly errors: string[];
  /** Fail the test when the page reported uncaught errors (optionally ignoring some console errors). */
  assertNoErrors(ignore?: RegExp): void;
}

/** Open the studio in a new tab and capture uncaught errors and console errors. */
export async function openStudio(context: BrowserContext): Promise<StudioPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('crash', () => errors.push('page crashed'));
  await page.goto(inject('baseUrl'));
  await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
  return {
    page,
    errors,
    assertNoErrors(ignore) {
      expect(errors.filter((e) => !(ignore && ignore.test(e)))).toEqual([]);
    },
  };
}

/** Wait until a dataset with this file name is on screen and no load is running. */
export async function waitForDataset(page: Page, fileName: string): Promise<void> {
  await expect.poll(() => page.getByTestId('dataset-name').textContent(), { timeout: 60_000 }).toBe(fileName);
  await page.getByTestId('load-progress').waitFor({ state: 'detached', timeout: 60_000 });
}

/** Give the file input a file (from disk or from memory). */
export async function pickFile(
  page: Page,
  file: string | { name: string; mimeType?: string; buffer: Buffer },
): Promise<void> {
  const input = page.getByTestId('file-input');
  if (typeof file === 'string') await input.setInputFiles(file);
  else await input.setInputFiles({ mimeType: 'text/csv', ...file });
}

/** The type shown in the schema table for a column. */
export async function columnType(page: Page, column: string): Promise<string> {
  return page
    .locator(`[data-testid="schema-row"][data-column="${cssEscape(column)}"] [data-testid="type-select"]`)
    .inputValue();
}

export function schemaRow(page: Page, column: string) {
  return page.locator(`[data-testid="schema-row"][data-column="${cssEscape(column)}"]`);
}

function cssEscape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}

/**
 * Runs a script's source in the page's main world (like a <script> tag, but through the DevTools
 * protocol): the app's Content-Security-Policy refuses inline scripts, which is what
 * `page.addScriptTag({ content })` adds.
 */
export async function injectScript(page: Page, source: string): Promise<void> {
  await page.evaluate(source);
}

/** What the CLI wrote for one command run in process. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs one CLI command in process (the same entry as `npm run cli`). */
export async function cli(argv: readonly string[]): Promise<CliRun> {
  // loaded on first use: most e2e files never run the CLI and need not load the engine
  const { runCli } = await import('../../src/cli/run.ts');
  let out = '';
  let err = '';
  const code = await runCli([...argv], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

/** Runs one CLI command in process; a non-zero exit throws with the command's stderr. */
export async function cliOk(argv: readonly string[]): Promise<CliRun> {
  const run = await cli(argv);
  if (run.code !== 0) throw new Error(`cli ${argv[0]} exited ${run.code}: ${run.err}`);
  return run;
}

/**
 * Registers a bundle zip as a model version through the Models screen's import box and returns the
 * version's row once it is shown.
 */
export async function registerBundle(
  page: Page,
  zipPath: string,
  name: string,
  version = 1,
): Promise<Locator> {
  await page.getByTestId('nav-models').click();
  const importBox = page.getByTestId('models-import');
  await importBox.locator('summary').click();
  await importBox.getByTestId('bundle-zip-input').setInputFiles(zipPath);
  await importBox.getByTestId('import-model-name').fill(name);
  await importBox.getByTestId('import-register').click();
  await expect
    .poll(() => importBox.getByTestId('import-registered').textContent())
    .toContain(`${name} version ${version}`);
  const row = page.locator(`[data-testid="version-row"][data-version="${version}"]`);
  await row.waitFor();
  return row;
}
