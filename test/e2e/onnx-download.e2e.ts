/**
 * "Download ONNX" on a model version in Chromium: a bundle made by the CLI is imported as a version,
 * the button's file (converted in the bundle worker) is byte-identical to `cli export --format onnx`
 * of the same zip, and onnxruntime-node runs it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { datasetPath, launchBrowser, openStudio, type Browser } from './helpers.ts';
import { ort } from '../core/export/onnx-helpers.ts';

let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-onnx-'));

async function cli(argv: string[]): Promise<void> {
  let err = '';
  const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => void (err += t) });
  if (code !== 0) throw new Error(`${argv[0]}: ${err}`);
}

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('Download ONNX on a model version', () => {
  it('gives the bytes cli export --format onnx writes for the same bundle', async () => {
    const zip = join(work, 'penguins.zip');
    await cli([
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
    const cliOnnx = join(work, 'cli.onnx');
    await cli(['export', zip, '--format', 'onnx', '--out', cliOnnx]);

    const { page, assertNoErrors } = await openStudio(browser.context);
    await page.getByTestId('nav-models').click();
    const importBox = page.getByTestId('models-import');
    await importBox.locator('summary').click();
    await importBox.getByTestId('bundle-zip-input').setInputFiles(zip);
    await importBox.getByTestId('import-model-name').fill('penguins-onnx');
    await importBox.getByTestId('import-register').click();
    await expect
      .poll(() => importBox.getByTestId('import-registered').textContent())
      .toContain('penguins-onnx version 1');
    const row = page.locator('[data-testid="version-row"][data-version="1"]');
    await row.waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByTestId('version-download-onnx').click(),
    ]);
    expect(download.suggestedFilename()).toBe('penguins-onnx-v1.onnx');
    const fromBrowser = new Uint8Array(readFileSync((await download.path())!));
    const fromCli = new Uint8Array(readFileSync(cliOnnx));
    expect(fromBrowser.length).toBeGreaterThan(1000);
    expect(Buffer.from(fromBrowser).equals(Buffer.from(fromCli))).toBe(true);
    const session = await ort.InferenceSession.create(fromBrowser);
    expect(session.outputNames).toEqual(['label', 'probabilities']);
    await session.release();
    assertNoErrors();
  });
});
