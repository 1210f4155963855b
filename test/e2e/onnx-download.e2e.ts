/**
 * "Download ONNX" on a model version in Chromium: a bundle made by the CLI is imported as a version,
 * the button's file (converted in the bundle worker) is byte-identical to `cli export --format onnx`
 * of the same zip, and onnxruntime-node runs it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, datasetPath, launchBrowser, openStudio, registerBundle, type Browser } from './helpers.ts';
import { ort } from '../core/export/onnx-helpers.ts';

let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-onnx-'));

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
    const cliOnnx = join(work, 'cli.onnx');
    await cliOk(['export', zip, '--format', 'onnx', '--out', cliOnnx]);

    const { page, assertNoErrors } = await openStudio(browser.context);
    const row = await registerBundle(page, zip, 'penguins-onnx');
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
