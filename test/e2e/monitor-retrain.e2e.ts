/**
 * The monitoring loop in Chromium (issue 16): train → register as `champion` → monitor three
 * batches (the clean test split; one with a shifted column; a labelled batch, dated by its own date
 * column, where the model's accuracy dropped) → the timeline and alerts show them, with the
 * suggested actions → "Retrain with new data" (the training worker) → a new version with the alias
 * `challenger`, its lineage listing every input file → champion vs challenger on the latest labelled
 * batch → "Verify by replay" of the challenger → "✓ Reproduced" → "Promote" → a reload keeps it
 * all (timeline, aliases, lineage). Then the same loop for a model made by a search: "the model's
 * search again" is the default, the challenger is a new version made by a search, and the Models
 * screen's Verify of that version, given the training data the Monitor screen downloads, says
 * "✓ Reproduced".
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPath, launchBrowser, openStudio, waitForDataset, type Browser } from './helpers.ts';
import { populate } from './tour.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const csv = (name: string, text: string) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });

/** penguins test.csv with `edit` applied to each row's cells. */
function editedTest(
  edit: (cells: string[], header: string[], i: number) => void,
  extraHeader?: string,
): string {
  const lines = readFileSync(datasetPath('penguins', 'test.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const rows = lines.slice(1).map((l, i) => {
    const r = l.split(',');
    edit(r, header, i);
    return r.join(',');
  });
  return [extraHeader ? `${header.join(',')},${extraHeader}` : header.join(','), ...rows].join('\n') + '\n';
}

function shifted(column: string, sds: number): string {
  const lines = readFileSync(datasetPath('penguins', 'test.csv'), 'utf8').trim().split('\n');
  const j = lines[0]!.split(',').indexOf(column);
  const v = lines
    .slice(1)
    .map((l) => l.split(',')[j]!)
    .filter((x) => x !== '' && x !== 'NA')
    .map(Number);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return editedTest((r) => {
    if (r[j] !== '' && r[j] !== 'NA') r[j] = String(Number(r[j]) + sds * sd);
  });
}

async function monitor(page: Page, file: ReturnType<typeof csv> | string, date?: string): Promise<void> {
  const rows = page.getByTestId('monitor-timeline-row');
  const before = await rows.count();
  await page.getByTestId('monitor-batch-date').fill(date ?? '');
  await page.getByTestId('monitor-csv-input').setInputFiles(file);
  await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(before + 1);
  expect(await page.getByTestId('monitor-error').count()).toBe(0);
}

describe('Monitor: the retrain → challenger → promote loop', () => {
  it('train → champion → three batches → alerts → retrain → challenger → promote → reload', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await populate(page);

    // Register as champion (the Models screen's alias form).
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-item"][data-model="penguin-species"]').click();
    await page.getByTestId('alias-name').fill('champion');
    await page.getByTestId('alias-set').click();
    await page.locator('[data-testid="version-alias"][data-alias="champion"]').waitFor();

    await page.getByTestId('nav-monitor').click();
    await page.getByTestId('monitor-screen').waitFor();
    await expect.poll(() => page.getByTestId('monitor-model-select').inputValue()).toBe('penguin-species@1');
    expect(await page.locator('[data-testid="monitor-model-select"] option:checked').textContent()).toContain(
      '@champion',
    );

    // 1. The clean test split, dated by the user.
    await monitor(page, datasetPath('penguins', 'test.csv'), '2026-04-01');
    expect(await page.getByTestId('monitor-report').getAttribute('data-verdict')).toBe('no drift');
    expect(await page.getByTestId('monitor-batch-dated').getAttribute('data-source')).toBe('user');

    // 2. One column shifted by 2 sd: it drifts, and "what to do" lists data drift naming it.
    await monitor(page, csv('shifted-flipper.csv', shifted('flipper_length_mm', 2)), '2026-05-01');
    const dataDrift = page.locator('[data-testid="monitor-action"][data-kind="data_drift"]');
    expect(await dataDrift.textContent()).toContain('1 of');
    expect(await page.getByTestId('monitor-alerts').textContent()).toContain('flipper_length_mm drifted');

    // 3. A labelled batch where the model is now wrong: every Gentoo is labelled Chinstrap (the
    // concept changed), dated by its own date column — no date given.
    const dates = (i: number) => `2026-06-${String(1 + (i % 20)).padStart(2, '0')}`;
    const dropped = editedTest((r, h, i) => {
      const j = h.indexOf('species');
      if (r[j] === 'Gentoo') r[j] = 'Chinstrap';
      r.push(dates(i));
    }, 'observed_on');
    const n = dropped.trim().split('\n').length - 1;
    const sortedDates = Array.from({ length: n }, (_, i) => dates(i)).sort();
    const median = sortedDates[(n - 1) >> 1]!;
    await monitor(page, csv('june.csv', dropped));
    const dated = page.getByTestId('monitor-batch-dated');
    expect(await dated.getAttribute('data-source')).toBe('column');
    expect(await dated.textContent()).toContain(`the median date of column observed_on`);
    expect(await page.getByTestId('monitor-alerts').textContent()).toMatch(/concept drift: /);
    await page.locator('[data-testid="monitor-action"][data-kind="concept_drift"]').waitFor();
    expect(await page.getByTestId('monitor-performance').getAttribute('data-kind')).toBe('actual');

    // The timeline: three batches, oldest first, with their alerts.
    const timeline = page.getByTestId('monitor-timeline-row');
    expect(await timeline.count()).toBe(3);
    expect(await timeline.nth(0).getAttribute('data-alerts')).toBe('0');
    expect(await timeline.nth(1).textContent()).toContain('flipper_length_mm drifted');
    expect(await timeline.nth(2).getAttribute('data-batch')).toBe('june.csv');
    expect(await timeline.nth(2).textContent()).toContain(median);
    expect(await timeline.nth(2).textContent()).toContain('concept drift');

    // Retrain with new data (the same configuration: this model is one GBDT) → challenger v2.
    const panel = page.getByTestId('monitor-retrain-panel');
    await page.getByTestId('retrain-mode-same').check();
    await page.getByTestId('monitor-retrain').click();
    const challenger = page.getByTestId('monitor-challenger');
    await expect.poll(() => challenger.getAttribute('data-version'), { timeout: 120_000 }).toBe('2');
    expect(await page.getByTestId('retrain-error').count()).toBe(0);
    const lineage = await page.getByTestId('monitor-lineage').textContent();
    // Every input file with its SHA-256: the training file and the three labelled batches.
    expect(lineage).toMatch(/penguins\.csv \(sha256 [0-9a-f]{12}…, \d+ rows\)/);
    for (const b of ['test.csv', 'shifted-flipper.csv', 'june.csv'])
      expect(lineage).toMatch(new RegExp(`${b.replace('.', '\\.')} \\(sha256 [0-9a-f]{12}…, \\d+ rows\\)`));
    // Champion vs challenger side by side on the latest labelled batch (june.csv).
    const compare = page.getByTestId('monitor-compare');
    await compare.waitFor({ timeout: 60_000 });
    expect(await compare.locator('caption').textContent()).toContain('june.csv');
    const accuracy = page.locator('[data-testid="monitor-compare-row"][data-metric="accuracy"]');
    expect(['champion', 'challenger', 'tie']).toContain(await accuracy.getAttribute('data-better'));
    const cells = await accuracy.locator('td.num').allTextContents();
    expect(cells).toHaveLength(2);
    for (const c of cells) expect(Number(c)).toBeGreaterThan(0);
    expect(await panel.textContent()).toContain('penguin-species v2 (@challenger)');

    // Verify by replay: the challenger trains again from its manifest on its kept training data.
    await page.getByTestId('monitor-verify').click();
    const verdict = page.getByTestId('monitor-verify-verdict');
    await expect.poll(() => verdict.count(), { timeout: 180_000 }).toBe(1);
    expect(await page.getByTestId('retrain-error').count()).toBe(0);
    expect(await verdict.textContent()).toContain('✓ Reproduced');
    expect(await verdict.getAttribute('data-verdict')).toBe('reproduced');
    // the replay ran on the joined data: the training rows plus the three labelled batches
    const trainRows = readFileSync(datasetPath('penguins', 'test.csv'), 'utf8').trim().split('\n').length - 1;
    const joined = Number(/\((\d+) rows/.exec((await verdict.textContent())!)?.[1]);
    expect(joined).toBeGreaterThan(3 * trainRows);

    await page.screenshot({ path: 'test-results/monitor/retrain.png', fullPage: true });

    // Promote: champion moves to v2, the challenger alias goes.
    await page.getByTestId('monitor-promote').click();
    await expect.poll(() => page.getByTestId('monitor-challenger').count()).toBe(0);
    await expect
      .poll(() =>
        page.locator('[data-testid="monitor-model-select"] option[value="penguin-species@2"]').textContent(),
      )
      .toContain('@champion');

    // A reload keeps it all: the new champion preselected, the three batches, v2's lineage.
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.getByTestId('nav-monitor').click();
    await expect.poll(() => page.getByTestId('monitor-model-select').inputValue()).toBe('penguin-species@2');
    await expect.poll(() => timeline.count(), { timeout: 30_000 }).toBe(3);
    expect(await timeline.nth(2).getAttribute('data-batch')).toBe('june.csv');
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-item"][data-model="penguin-species"]').click();
    const versions = await page.getByTestId('versions-table').textContent();
    expect(versions).toMatch(/Retrained from penguin-species v1/);
    // the lineage tag reads as the files it learned from, not as JSON
    const v2tags = page.locator('[data-testid="version-tags"]').first();
    await expect
      .poll(() => v2tags.textContent())
      .toMatch(/^trained on penguins\.csv \(training, [\d,]+ rows\) \+ /);
    expect(await v2tags.textContent()).not.toContain('sha256');
    studio.assertNoErrors();
  }, 300_000);

  it('a model made by a search: retrain by searching again → challenger → Verify on the Models screen → ✓ Reproduced', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
    await waitForDataset(page, 'penguins.csv');
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('species');
    await page.getByTestId('nav-train').click();
    await page.getByTestId('search-panel').waitFor();
    await page.getByTestId('mode-automl').check();
    for (const f of ['gbdt', 'random_forest', 'linear', 'mlp']) {
      const box = page.getByTestId(`search-family-${f}`);
      if (f === 'gbdt') await box.check();
      else await box.uncheck();
    }
    await page.getByTestId('max-trials-input').fill('3');
    await page.getByTestId('max-trials-input').dispatchEvent('change');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 240_000 });

    // Register the search's model as `penguin-search` and make it the champion.
    // the search's run, in its experiment
    await page.getByTestId('search-open-run').click();
    await page.getByTestId('experiment-title').waitFor();
    const back = page.getByTestId('back-to-runs');
    if (await back.isVisible()) await back.click();
    const searchRow = page.locator('[data-testid="run-row"][data-run-name="automl search"]').first();
    await searchRow.getByTestId('run-select').check();
    await page.getByTestId('register-button').click();
    await page.getByTestId('register-dialog').waitFor();
    const select = page.getByTestId('register-model-select');
    if ((await select.locator('option[value="__new__"]').count()) > 0) await select.selectOption('__new__');
    await page.getByTestId('register-model-name').fill('penguin-search');
    await page.getByTestId('register-submit').click();
    await expect.poll(() => page.getByTestId('register-done').textContent()).toContain('penguin-search');
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-item"][data-model="penguin-search"]').click();
    await page.getByTestId('alias-name').fill('champion');
    await page.getByTestId('alias-set').click();
    await page.locator('[data-testid="version-alias"][data-alias="champion"]').waitFor();

    // One labelled batch, then retrain: searching again is offered and is the default.
    await page.getByTestId('nav-monitor').click();
    await page.getByTestId('monitor-screen').waitFor();
    await page.getByTestId('monitor-model-select').selectOption('penguin-search@1');
    const relabelled = editedTest((r, h) => {
      const j = h.indexOf('species');
      if (r[j] === 'Gentoo') r[j] = 'Chinstrap';
    });
    await monitor(page, csv('relabelled.csv', relabelled), '2026-07-01');
    const search = page.getByTestId('retrain-mode-search');
    await expect.poll(() => search.isChecked()).toBe(true);
    expect(await search.isDisabled()).toBe(false);
    await page.getByTestId('monitor-retrain').click();
    const challenger = page.getByTestId('monitor-challenger');
    await expect.poll(() => challenger.getAttribute('data-version'), { timeout: 240_000 }).toBe('2');
    expect(await page.getByTestId('retrain-error').count()).toBe(0);
    expect(await page.getByTestId('monitor-lineage').textContent()).toMatch(/relabelled\.csv \(sha256/);

    // The challenger's training data, as the Monitor screen downloads it …
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('monitor-download-training').click(),
    ]);
    const dataPath = (await download.path())!;
    const joined = readFileSync(dataPath, 'utf8').trim().split('\n');
    expect(joined[0]).toContain('species');
    // the relabelled batch is in it: no Gentoo among its last rows
    const nBatch = relabelled.trim().split('\n').length - 1;
    expect(joined.slice(-nBatch).some((l) => l.includes('Gentoo'))).toBe(false);

    // … given to the Models screen's Verify of version 2: the search replays to the same model.
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-item"][data-model="penguin-search"]').click();
    const row = page.locator('[data-testid="version-row"][data-version="2"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('challenger');
    await row.getByTestId('version-verify').click();
    await row.getByTestId('verify-bundle').waitFor();
    await row.getByTestId('verify-csv-input').setInputFiles({
      name: download.suggestedFilename(),
      mimeType: 'text/csv',
      buffer: readFileSync(dataPath),
    });
    await row.getByTestId('verify-button').click();
    await expect
      .poll(() => row.getByTestId('verify-verdict').textContent(), { timeout: 300_000 })
      .toContain('✓ Reproduced');
    expect(await row.getByTestId('verify-verdict').getAttribute('data-verdict')).toBe('reproduced');
    studio.assertNoErrors();
  }, 600_000);
});
