/**
 * Bad input in the browser: every failure shows a clear, specific message, never a stack trace, and the
 * dataset already on screen stays. Hostile header/cell text is rendered as text, never as HTML.
 */
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
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

const XSS = '<img src=x onerror=window.__pwned=1>';

let browser: Browser;
let studio: StudioPage | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

async function loadPenguins(page: Page): Promise<void> {
  await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
  await waitForDataset(page, 'penguins.csv');
}

/** Load bad bytes; expect an error whose message matches, and penguins still on screen. */
async function expectRejected(page: Page, name: string, bytes: Buffer, message: RegExp): Promise<string> {
  await pickFile(page, { name, buffer: bytes });
  const error = page.getByTestId('error');
  await error.waitFor();
  const text = (await page.getByTestId('error-message').textContent()) ?? '';
  expect(text).toMatch(message);
  expect(text).toContain(name); // says where
  expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|Error:/); // no stack trace
  expect(await error.textContent()).toContain(`Could not open ${name}`);
  // The previous dataset stays, fully usable.
  expect(await page.getByTestId('dataset-name').textContent()).toBe('penguins.csv');
  expect(await page.getByTestId('schema-row').count()).toBe(8);
  expect(await page.getByTestId('load-progress').count()).toBe(0);
  await page.getByRole('button', { name: 'Dismiss error' }).click();
  await error.waitFor({ state: 'detached' });
  return text;
}

describe('bad input', () => {
  it('rejects empty, compressed and binary files with clear errors and keeps the loaded dataset', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await loadPenguins(page);

    await expectRejected(page, 'empty.csv', Buffer.alloc(0), /empty/i);

    const gz = gzipSync(Buffer.from('a,b\n1,2\n3,4\n'.repeat(200)));
    await expectRejected(page, 'archive.csv', gz, /compress|gzip/i);

    const garbage = Buffer.alloc(64 * 1024);
    let x = 12345;
    for (let i = 0; i < garbage.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      garbage[i] = x >>> 24;
    }
    await expectRejected(page, 'garbage.csv', garbage, /binary|not.*text/i);

    // The dataset still reacts: change the target after all the failures.
    await page.getByTestId('target-select').selectOption('island');
    await expect.poll(() => page.getByTestId('task-select').inputValue()).toBe('multiclass');
  });

  it('reads a UTF-16 file and repairs ragged rows, showing the fix-up', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;

    const text = 'name,city,score\r\nZoë,Köln,1.5\r\nÅsa,Malmö,2.5\r\nJosé,São Paulo,3\r\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    await pickFile(page, { name: 'utf16.csv', buffer: utf16 });
    await waitForDataset(page, 'utf16.csv');
    expect(await page.getByTestId('summary-dialect').textContent()).toMatch(/UTF-16/i);
    expect(await page.getByTestId('schema-row').count()).toBe(3);
    expect(await page.getByTestId('preview').textContent()).toContain('São Paulo');

    const ragged = 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n13,14,15\n';
    await pickFile(page, { name: 'ragged.csv', buffer: Buffer.from(ragged) });
    await waitForDataset(page, 'ragged.csv');
    const fixups = page.getByTestId('fixups');
    await fixups.waitFor();
    const kinds = await fixups
      .locator('li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toContain('padded-short-rows');
    expect(kinds).toContain('merged-long-rows');
    expect(await fixups.textContent()).toMatch(/row/);
  });

  it('renders HTML/script in headers and cells as literal text', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    const csv = `id,"${XSS}",label\n1,"${XSS}",a\n2,plain,b\n3,"${XSS}",a\n4,"<b>bold</b>",b\n`;
    await pickFile(page, { name: 'xss.csv', buffer: Buffer.from(csv) });
    await waitForDataset(page, 'xss.csv');

    const row = schemaRow(page, XSS);
    expect(await row.getByTestId('column-open').textContent()).toContain(XSS);
    expect(await page.getByTestId('preview').textContent()).toContain(XSS);
    expect(await page.getByTestId('preview').textContent()).toContain('<b>bold</b>');
    expect(await page.locator('img[src="x"], #app b').count()).toBe(0);

    // The detail panel and its chart tooltip show the value as text too.
    await row.getByTestId('column-open').click();
    const detail = page.getByTestId('column-detail');
    expect(await detail.getByTestId('detail-name').textContent()).toBe(XSS);
    const chart = detail.getByTestId('echart').first();
    await chart.locator('canvas').waitFor();
    // The panel may open below the fold (the target panel grew): hover where the chart is on screen.
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.boundingBox();
    if (!box) throw new Error('chart has no box');
    // Hover down the bars (one per value): the tooltip names the value as literal text.
    const tips: string[] = [];
    for (let i = 1; i < 10; i++) {
      await page.mouse.move(box.x + box.width * 0.5, box.y + (box.height * i) / 10);
      await page.waitForTimeout(100);
      tips.push(await chart.evaluate((el) => el.textContent ?? ''));
    }
    expect(tips.some((t) => t.includes(XSS) && t.includes('count: 2'))).toBe(true);
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  });
});
