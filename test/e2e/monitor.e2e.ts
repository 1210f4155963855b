/**
 * Monitor screen (issue 16): a model trained and registered in the studio, then two batches
 * monitored in the bundle worker against the reference profile stored in its bundle — the clean
 * test split (no alert) and a copy with one column shifted by 2 standard deviations (that column
 * drifts, an alert names it) — and after a reload both batches are in the timeline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPath, injectScript, launchBrowser, openStudio, type Browser } from './helpers.ts';
import { populate } from './tour.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe violations inside the Monitor screen. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await injectScript(page, AXE_SOURCE);
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    return (await axe.run('[data-testid="monitor-screen"]', { resultTypes: ['violations'] })).violations;
  })) as { id: string; impact: string | null; nodes: { target: string[] }[] }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** penguins test.csv with `column` shifted by `sds` of its standard deviation. */
function shiftedTest(column: string, sds: number): Buffer {
  const lines = readFileSync(datasetPath('penguins', 'test.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const j = header.indexOf(column);
  const rows = lines.slice(1).map((l) => l.split(','));
  const present = rows.filter((r) => r[j] !== '' && r[j] !== 'NA').map((r) => Number(r[j]));
  const mean = present.reduce((s, v) => s + v, 0) / present.length;
  const sd = Math.sqrt(present.reduce((s, v) => s + (v - mean) ** 2, 0) / present.length);
  for (const r of rows) if (r[j] !== '' && r[j] !== 'NA') r[j] = String(Number(r[j]) + sds * sd);
  return Buffer.from([header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

async function monitorBatch(
  page: Page,
  date: string,
  file: string | { name: string; mimeType: string; buffer: Buffer },
): Promise<void> {
  const before = await page.getByTestId('monitor-timeline-row').count();
  await page.getByTestId('monitor-batch-date').fill(date);
  await page.getByTestId('monitor-csv-input').setInputFiles(file);
  await expect
    .poll(() => page.getByTestId('monitor-timeline-row').count(), { timeout: 60_000 })
    .toBe(before + 1);
  await expect(page.getByTestId('monitor-error').count()).resolves.toBe(0);
}

describe('Monitor screen', () => {
  it('train → register → monitor a clean and a shifted batch → reload keeps the timeline', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await populate(page);

    await page.getByTestId('nav-monitor').click();
    await page.getByTestId('monitor-screen').waitFor();
    await expect.poll(() => page.getByTestId('monitor-model-select').inputValue()).toBe('penguin-species@1');
    await page.getByTestId('monitor-timeline-empty').waitFor();

    // The clean test split: no column drifts, no alert.
    await monitorBatch(page, '2026-04-01', datasetPath('penguins', 'test.csv'));
    const report = page.getByTestId('monitor-report');
    expect(await report.getAttribute('data-verdict')).toBe('no drift');
    const rows = page.getByTestId('monitor-column-row');
    const inputs = ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex'];
    for (const c of inputs) {
      const row = rows.and(page.locator(`[data-column="${c}"]`));
      expect(await row.getAttribute('data-drifted'), c).toBe('false');
    }
    // Each column row names its test and its p-value or distance.
    const flipperRow = rows.and(page.locator('[data-column="flipper_length_mm"]'));
    expect(await flipperRow.textContent()).toMatch(/Kolmogorov–Smirnov|Wasserstein|chi-square/);
    expect(await page.getByTestId('monitor-alerts').count()).toBe(0);
    await page.locator('[data-testid="monitor-column-row"][data-column="(predictions)"]').waitFor();
    // test.csv has the target: performance measured on the labelled rows.
    expect(await page.getByTestId('monitor-performance').getAttribute('data-kind')).toBe('actual');

    // One column shifted by 2 sd: that column drifts and an alert names it.
    await monitorBatch(page, '2026-05-01', {
      name: 'shifted-flipper.csv',
      mimeType: 'text/csv',
      buffer: shiftedTest('flipper_length_mm', 2),
    });
    expect(await flipperRow.getAttribute('data-drifted')).toBe('true');
    for (const c of ['island', 'bill_length_mm', 'bill_depth_mm', 'sex']) {
      const row = rows.and(page.locator(`[data-column="${c}"]`));
      expect(await row.getAttribute('data-drifted'), c).toBe('false');
    }
    expect(await page.getByTestId('monitor-alerts').textContent()).toContain('flipper_length_mm drifted');
    // The column's training vs batch distributions, overlaid.
    await flipperRow.getByTestId('monitor-show-column').click();
    await page.locator('[data-testid="monitor-overlay"][data-column="flipper_length_mm"] canvas').waitFor();
    // With a report and a timeline on screen: no serious or critical axe violation.
    expect(await axeViolations(page)).toEqual([]);

    // After a reload, both batches are in the timeline (oldest batch first), with their alerts.
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.getByTestId('nav-monitor').click();
    const timeline = page.getByTestId('monitor-timeline-row');
    await expect.poll(() => timeline.count(), { timeout: 30_000 }).toBe(2);
    expect(await timeline.nth(0).getAttribute('data-batch')).toBe('test.csv');
    expect(await timeline.nth(0).getAttribute('data-alerts')).toBe('0');
    expect(await timeline.nth(0).textContent()).toContain('2026-04-01');
    expect(await timeline.nth(1).getAttribute('data-batch')).toBe('shifted-flipper.csv');
    expect(Number(await timeline.nth(1).getAttribute('data-alerts'))).toBeGreaterThan(0);
    expect(await timeline.nth(1).textContent()).toContain('flipper_length_mm drifted');
    expect(await timeline.nth(1).textContent()).toContain('2026-05-01');
    studio.assertNoErrors();
  }, 300_000);
});
