/**
 * Issue #12 in Chromium: a time-budgeted search (the smallest budget, no trial cap) stopped by its
 * deadline is downloaded, registered as a model version and verified by replay: the replay shows
 * which recorded trial it is on, can be cancelled, and then says "✓ Reproduced", applying what the
 * clock decided. (The round and epoch allowances size trials to fit, so a cut is no longer certain
 * here; replays of cut trials are staged on a fake clock in reproduce-deadline and replay-clock.)
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';
import {
  datasetPath,
  launchBrowser,
  openStudio,
  pickFile,
  registerBundle,
  waitForDataset,
  type Browser,
} from './helpers.ts';

let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-replay-'));
const trainPath = join(work, 'letter-x4.csv');

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('Verify a time-budgeted search stopped by its deadline', () => {
  it('search (30 s, no cap) → register → Verify shows replay progress, cancels, then "✓ Reproduced"', async () => {
    const s = await openStudio(browser.context);
    const { page } = s;
    // letter's training split four times over (64,000 rows, 26 classes): one boosting trial takes
    // longer than the 30 s budget even on an idle machine (the split alone, 16,000 rows, sometimes
    // finishes its first trial in time, and then nothing is cut)
    const [header, ...body] = readFileSync(datasetPath('letter'), 'utf8').trimEnd().split('\n');
    writeFileSync(trainPath, [header, ...body, ...body, ...body, ...body].join('\n') + '\n');
    await pickFile(page, trainPath);
    await waitForDataset(page, 'letter-x4.csv');
    if ((await page.getByTestId('target-select').inputValue()) !== 'lettr') {
      await page.getByTestId('target-select').selectOption('lettr');
      await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('lettr');
    }
    await page.getByTestId('nav-train').click();
    await page.getByTestId('search-panel').waitFor();
    // GBDT and MLP trials: the round and epoch allowances size them to fit the budget, so the deadline
    // may cut one (a slow first trial) or none; either way the search is stopped by the deadline and
    // the clock's decisions (which trials ran, cuts, refits) are what the replay must apply
    for (const f of ['random_forest', 'linear']) await page.getByTestId(`search-family-${f}`).uncheck();
    await page.getByTestId('budget-select').selectOption('30');
    expect(await page.getByTestId('max-trials-input').inputValue()).toBe('');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 180_000 });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('search-download-zip').getByTestId('download-zip').click(),
    ]);
    const zipPath = join(work, 'letter.zip');
    copyFileSync((await download.path())!, zipPath);
    const manifest = JSON.parse(readBundleZip(new Uint8Array(readFileSync(zipPath)))['manifest.json']);
    expect(manifest.search.stoppedBy).toBe('deadline');
    const cuts = manifest.search.clock.cuts.filter((c: { reason: string }) => c.reason === 'deadline');
    console.log(`${manifest.search.replay.length} trials, clock: ${JSON.stringify(manifest.search.clock)}`);

    // Register it as a model version.
    const row = await registerBundle(page, zipPath, 'letter-deadline');

    // Verify: progress names the trial being replayed; Cancel ends it with a clear message.
    await row.getByTestId('version-verify').click();
    await row.getByTestId('verify-bundle').waitFor();
    await row.getByTestId('verify-csv-input').setInputFiles(trainPath);
    await row.getByTestId('verify-button').click();
    const total = manifest.search.replay.length;
    await expect
      .poll(() => row.getByTestId('verify-progress').textContent(), { timeout: 120_000 })
      .toMatch(new RegExp(`Replaying trial 1 of ${total} \\(trial \\d+, gbdt\\)`));
    await row.getByTestId('verify-cancel').click();
    await expect.poll(() => row.getByTestId('verify-error').textContent()).toBe('Verification cancelled.');
    expect(await row.getByTestId('verify-verdict').count()).toBe(0);

    // Again, to the end.
    await row.getByTestId('verify-button').click();
    await expect
      .poll(() => row.getByTestId('verify-verdict').textContent(), { timeout: 240_000 })
      .toContain('✓ Reproduced');
    expect(await row.getByTestId('verify-verdict').getAttribute('data-verdict')).toBe('reproduced');
    const lines = (await row.getByTestId('verify-lines').textContent())!;
    expect(lines).toContain('bit-identical');
    expect(lines).toContain(
      `the search was stopped by deadline; the replay runs the same ${total} trials without the clock, applying what the clock decided`,
    );
    if (cuts.length) expect(lines).toContain(`${cuts.length} trial(s) cut at the deadline`);
    s.assertNoErrors();
  }, 600_000);
});
