/**
 * "Download as Python project" on a model version in Chromium: a bundle made by the CLI is imported as
 * a version, and the button's zip (made in the bundle worker) holds, under one folder, exactly the files
 * `cli export --format python` writes for the same bundle zip, byte for byte.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, datasetPath, launchBrowser, openStudio, registerBundle, type Browser } from './helpers.ts';

let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-pydl-'));

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('Download as Python project on a model version', () => {
  it('gives the files cli export --format python writes for the same bundle', async () => {
    const zip = join(work, 'penguins.zip');
    await cliOk([
      'fit',
      datasetPath('penguins'),
      '--target',
      'species',
      '--out',
      zip,
      '--params',
      '{"rounds": 15}',
      '--no-track',
    ]);
    const project = join(work, 'cli-project');
    await cliOk(['export', zip, '--format', 'python', '--out', project]);

    const { page, assertNoErrors } = await openStudio(browser.context);
    const row = await registerBundle(page, zip, 'penguins-py');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByTestId('version-download-python').click(),
    ]);
    expect(download.suggestedFilename()).toBe('penguins-py-v1-python.zip');
    const entries = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    const names = Object.keys(entries).sort();
    const expected = readdirSync(project).sort();
    expect(expected).toEqual(expect.arrayContaining(['MLproject', 'README.md', 'train.py', 'settings.json']));
    expect(names).toEqual(expected.map((f) => `penguins-py-v1-python/${f}`));
    const text = new TextDecoder();
    for (const f of expected)
      expect(text.decode(entries[`penguins-py-v1-python/${f}`]), f).toBe(
        readFileSync(join(project, f), 'utf8'),
      );
    // the README names the bundle the project came from, as the CLI does
    expect(text.decode(entries['penguins-py-v1-python/README.md'])).toContain('`penguins.zip`');
    assertNoErrors();
  });

  it('an MLP with batch normalisation says why it has no Python project, in the page', async () => {
    const zip = join(work, 'mlp.zip');
    await cliOk([
      'fit',
      datasetPath('penguins'),
      '--target',
      'species',
      '--model',
      'mlp',
      '--out',
      zip,
      '--params',
      '{"epochs": 2, "batchNorm": true}',
      '--no-track',
    ]);
    const { page } = await openStudio(browser.context);
    await page.getByTestId('nav-models').click();
    const importBox = page.getByTestId('models-import');
    await importBox.locator('summary').click();
    await importBox.getByTestId('bundle-zip-input').setInputFiles(zip);
    await importBox.getByTestId('import-model-name').fill('penguins-mlp');
    await importBox.getByTestId('import-register').click();
    await expect
      .poll(() => importBox.getByTestId('import-registered').textContent())
      .toContain('penguins-mlp version 1');
    const row = page.locator('[data-testid="version-row"][data-version="1"]');
    await row.getByTestId('version-download-python').click();
    await expect
      .poll(() => row.getByTestId('version-action-error').textContent())
      .toMatch(/mlp model with batch normalisation: train.py's MLP has no counterpart/);
  });
});
