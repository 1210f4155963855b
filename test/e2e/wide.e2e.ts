/**
 * Wide tables: 200 columns fit the layout (the schema table scrolls, the page does not), and 20,000
 * columns load without freezing the page (only the visible schema rows are rendered).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  openStudio,
  pickFile,
  schemaRow,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

let browser: Browser;
let studio: StudioPage | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'automl-wide-'));
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

function wideCsv(cols: number, rows: number): Buffer {
  const header = Array.from({ length: cols }, (_, j) => `feature_with_a_rather_long_name_${j}`);
  header[cols - 1] = 'outcome';
  const lines = [header.join(',')];
  for (let i = 0; i < rows; i++) {
    lines.push(
      Array.from({ length: cols }, (_, j) =>
        j === cols - 1 ? (i % 2 ? 'yes' : 'no') : (i * 31 + j * 7) % 97,
      ).join(','),
    );
  }
  return Buffer.from(lines.join('\n') + '\n');
}

describe('wide tables', () => {
  it('lays out 200 columns without breaking the page width', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, { name: 'wide200.csv', buffer: wideCsv(200, 60) });
    await waitForDataset(page, 'wide200.csv');
    expect(await page.getByTestId('summary-columns').textContent()).toBe('200');
    expect(await page.getByTestId('schema-row').count()).toBe(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const scroll = page.getByTestId('schema-scroll');
    const box = await scroll.boundingBox();
    expect(box?.height).toBeLessThan(600); // the table scrolls inside its box
    expect(await scroll.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  });

  it('loads 20,000 columns, rendering only the visible schema rows, and stays responsive', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await page.evaluate(() => {
      const w = window as unknown as { __gaps: number[]; __stop: boolean };
      w.__gaps = [];
      w.__stop = false;
      let last = performance.now();
      const tick = (t: number): void => {
        w.__gaps.push(t - last);
        last = t;
        if (!w.__stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    // From disk, so the measurement is not polluted by shipping the bytes into the page.
    const file = join(dir, 'wide20k.csv');
    writeFileSync(file, wideCsv(20_000, 20));
    await pickFile(page, file);
    await waitForDataset(page, 'wide20k.csv');
    expect(await page.getByTestId('summary-columns').textContent()).toBe('20,000');
    const rendered = await page.getByTestId('schema-row').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(200);
    const maxGap = await page.evaluate(() => {
      const w = window as unknown as { __gaps: number[]; __stop: boolean };
      w.__stop = true;
      return Math.max(...w.__gaps);
    });
    expect(maxGap, `longest frame gap ${maxGap.toFixed(0)} ms`).toBeLessThan(500);

    // The target is picked by typing (no select with 20,000 options).
    expect(await page.getByTestId('target-select').count()).toBe(0);
    const target = page.getByTestId('target-input');
    await target.fill('feature_with_a_rather_long_name_7');
    await target.press('Enter');
    await expect
      .poll(() => schemaRow(page, 'feature_with_a_rather_long_name_7').textContent(), { timeout: 30_000 })
      .toContain('target');
    expect(await page.getByTestId('task-select').inputValue()).not.toBe('binary');
    expect(await target.inputValue()).toBe('feature_with_a_rather_long_name_7');
    await target.fill('no such column');
    await target.press('Enter');
    expect(await target.getAttribute('aria-invalid')).toBe('true');

    // Keyboard: End jumps to the last column (rendered on demand), arrows move between rows.
    await page.getByTestId('column-open').first().focus();
    await page.keyboard.press('End');
    const focused = (): Promise<string | undefined> =>
      page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.name);
    await expect.poll(focused).toBe('outcome');
    await page.keyboard.press('ArrowUp');
    await expect.poll(focused).toBe('feature_with_a_rather_long_name_19998');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByTestId('detail-name').textContent())
      .toBe('feature_with_a_rather_long_name_19998');
    await page.keyboard.press('Home');
    await expect.poll(focused).toBe('feature_with_a_rather_long_name_0');
    expect(await page.getByTestId('schema-row').count()).toBeLessThan(200);

    // Scrolling to the end of the schema table renders the last columns there.
    await page.getByTestId('schema-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await schemaRow(page, 'outcome').waitFor();
    // The filter finds a column by name.
    await page.getByTestId('column-filter').fill('name_12345');
    await expect.poll(() => page.getByTestId('schema-row').count()).toBe(1);
    await schemaRow(page, 'feature_with_a_rather_long_name_12345').getByTestId('column-open').click();
    await expect
      .poll(() => page.getByTestId('detail-name').textContent())
      .toBe('feature_with_a_rather_long_name_12345');
  });
});
