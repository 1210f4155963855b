/**
 * A large generated file (~200k rows, several MB): progress is shown, the main thread stays
 * responsive while it is read (no frame gap over 200 ms), and Cancel stops it, keeping the dataset
 * already on screen.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

const ROWS = 200_000;
let browser: Browser;
let studio: StudioPage | undefined;
let dir: string;
let bigFile: string;
/** Bigger still, so that Cancel surely lands while it is being read. */
let hugeFile: string;

/** Deterministic CSV: id, numbers, categories, a date, a boolean, free text. */
function generate(rows: number): string {
  const cities = ['Lisbon', 'Oslo', 'Nairobi', 'Lima', 'Hanoi', 'Perth', 'Quito', 'Riga'];
  const parts: string[] = ['id,amount,count,city,signup,active,note,label\n'];
  let x = 42;
  const rnd = (): number => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  for (let i = 0; i < rows; i++) {
    const amount = (rnd() * 1000).toFixed(2);
    const count = Math.floor(rnd() * 50);
    const city = cities[Math.floor(rnd() * cities.length)];
    const day = 1 + Math.floor(rnd() * 28);
    const month = 1 + Math.floor(rnd() * 12);
    const signup = `2023-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const active = rnd() < 0.5 ? 'true' : 'false';
    const label = rnd() < 0.3 ? 'yes' : 'no';
    parts.push(`${i},${amount},${count},${city},${signup},${active},"note ${i % 997}, free text",${label}\n`);
  }
  return parts.join('');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'automl-big-'));
  bigFile = join(dir, 'big.csv');
  writeFileSync(bigFile, generate(ROWS));
  hugeFile = join(dir, 'huge.csv');
  writeFileSync(hugeFile, generate(ROWS * 4));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

/** Record the gaps between animation frames (and long tasks) from now on. */
async function startJankMonitor(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __gaps: number[]; __long: number[]; __stop: boolean };
    w.__gaps = [];
    w.__long = [];
    w.__stop = false;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push(e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t: number): void => {
      w.__gaps.push(t - last);
      last = t;
      if (!w.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function stopJankMonitor(page: Page): Promise<{ maxGap: number; frames: number; longTasks: number[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __gaps: number[]; __long: number[]; __stop: boolean };
    w.__stop = true;
    return { maxGap: Math.max(0, ...w.__gaps), frames: w.__gaps.length, longTasks: w.__long };
  });
}

describe('large file', () => {
  it('shows progress, keeps the page responsive, and Cancel keeps the previous dataset', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
    await waitForDataset(page, 'penguins.csv');

    // 1. Cancel part-way: loading stops and the penguins stay.
    await pickFile(page, hugeFile);
    const progress = page.getByTestId('load-progress');
    await progress.waitFor();
    await page.getByTestId('cancel-load').click();
    await progress.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.getByTestId('notice').textContent()).toContain('cancelled');
    expect(await page.getByTestId('dataset-name').textContent()).toBe('penguins.csv');
    expect(await page.getByTestId('schema-row').count()).toBe(8);
    // ... and the studio still works after the cancel (the worker kept or got back the dataset).
    await page.getByTestId('target-select').selectOption('island');
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('island');
    expect(await page.getByTestId('error').count()).toBe(0);

    // 2. The whole file: progress with rows and MB, no main-thread stall, the profile arrives.
    await startJankMonitor(page);
    await pickFile(page, bigFile);
    await progress.waitFor();
    const seen = new Set<string>();
    const t0 = Date.now();
    while ((await progress.count()) > 0 && Date.now() - t0 < 90_000) {
      const text = await page
        .getByTestId('progress-text')
        .textContent({ timeout: 1000 })
        .catch(() => null);
      if (text) seen.add(text.replace(/\s+/g, ' ').trim());
      await page.waitForTimeout(30);
    }
    await waitForDataset(page, 'big.csv');
    const jank = await stopJankMonitor(page);
    expect(jank.frames).toBeGreaterThan(10);
    expect(jank.maxGap, `longest frame gap ${jank.maxGap.toFixed(0)} ms`).toBeLessThan(200);
    expect(jank.longTasks.filter((d) => d > 200)).toEqual([]);
    expect(
      [...seen].some((t) => /[1-9][\d,]* rows · [\d.]+ (KB|MB) of [\d.]+ MB/.test(t)),
      [...seen].join(' | '),
    ).toBe(true);
    expect(await page.getByTestId('summary-rows').textContent()).toBe('200,000');
    expect(await page.getByTestId('schema-row').count()).toBe(8);
    // The first rows are built a few per frame (no long task): all 50 arrive, in order.
    const previewRows = page.getByTestId('preview').locator('tbody tr');
    await expect.poll(() => previewRows.count()).toBe(50);
    expect(await previewRows.nth(49).locator('th').textContent()).toBe('50');
    expect(await previewRows.nth(49).locator('td').first().textContent()).toBe('49'); // the id column
    // each sparkline is one path with its bars (amount: a histogram)
    const spark = page.locator('[data-testid="schema-row"][data-column="amount"] svg');
    expect(Number(await spark.getAttribute('data-bars'))).toBeGreaterThan(5);
    expect((await spark.locator('path').getAttribute('d'))?.match(/M/g)?.length).toBeGreaterThan(5);
  });
});
