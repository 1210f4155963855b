/**
 * Responsive layout: every screen (Data, Train, Experiments, Compare, Models, Score) at a phone size
 * (390 × 844) and a desktop size (1440 × 900), with content from real training. No element may stick
 * out of the viewport sideways unless a scrolling box of its own holds it, the page never scrolls
 * sideways, every tab is reachable, and the schema table's column names stay visible (also with a
 * column detail open). Screenshots go to test-results/layout/ for a look by eye.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import {
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';
import { populate, SCREENS, visit } from './tour.ts';

const OUT = resolve(REPO_ROOT, 'test-results', 'layout');
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

let browser: Browser;
let studio: StudioPage;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Elements whose box leaves the viewport sideways and that no ancestor clips inside the viewport
 * (an ancestor with overflow other than visible, itself inside the viewport, makes it a scroll/clip
 * box of its own: fine). Also the page's own horizontal scroll width.
 */
async function overflow(page: Page): Promise<{ scrollWidth: number; width: number; offenders: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const offenders: string[] = [];
    const inside = (r: DOMRect) => r.left >= -1 && r.right <= width + 1;
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if ((r.width === 0 && r.height === 0) || inside(r)) continue;
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible' && inside(a.getBoundingClientRect())) {
          clipped = true;
          break;
        }
      }
      if (clipped) continue;
      const id = el.getAttribute('data-testid');
      offenders.push(
        `${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} ` +
          `(${Math.round(r.left)}…${Math.round(r.right)} of ${width}): ${(el.textContent ?? '').trim().slice(0, 40)}`,
      );
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, offenders: offenders.slice(0, 20) };
  });
}

/** The schema table's name buttons: each wide enough to show text and inside its scroll box. */
async function schemaNames(page: Page): Promise<{ name: string; width: number; visible: boolean }[]> {
  return page.evaluate(() => {
    const box = document.querySelector('[data-testid="schema-scroll"]')!.getBoundingClientRect();
    return Array.from(document.querySelectorAll<HTMLElement>('[data-testid="column-open"]')).map((b) => {
      const r = b.getBoundingClientRect();
      return {
        name: b.dataset.name ?? '',
        width: r.width,
        // left edge shown in the scroll box and in the viewport
        visible: r.left >= box.left - 1 && r.left < box.right && r.left >= 0 && r.right <= window.innerWidth,
      };
    });
  });
}

async function expectNamesVisible(page: Page): Promise<void> {
  const names = await schemaNames(page);
  expect(names.length).toBeGreaterThan(3);
  for (const n of names) {
    expect.soft(n.visible, `name ${n.name} in view`).toBe(true);
    // at least a few characters' worth: the column never collapses to types without names
    expect.soft(n.width, `name ${n.name} width`).toBeGreaterThanOrEqual(Math.min(60, n.name.length * 6));
  }
}

async function expectNoSidewaysOverflow(page: Page, where: string): Promise<void> {
  const o = await overflow(page);
  expect.soft(o.offenders, `${where}: elements sticking out`).toEqual([]);
  expect.soft(o.scrollWidth, `${where}: page scroll width`).toBeLessThanOrEqual(o.width);
}

describe('responsive layout', () => {
  it('every screen fits at 390 × 844 and 1440 × 900, tabs reachable, column names visible', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await page.setViewportSize({ width: 1440, height: 900 });
    await populate(page);

    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      // every tab is on screen (the Score tab used to be off to the right on phones)
      for (const tab of [
        'nav-data',
        'nav-train',
        'nav-experiments',
        'nav-models',
        'nav-score',
        'nav-monitor',
      ]) {
        const r = (await page.getByTestId(tab).boundingBox())!;
        expect.soft(r.x, `${tab} at ${size.width}`).toBeGreaterThanOrEqual(0);
        expect.soft(r.x + r.width, `${tab} at ${size.width}`).toBeLessThanOrEqual(size.width);
      }
      for (const screen of SCREENS) {
        await visit(page, screen);
        await expectNoSidewaysOverflow(page, `${screen} at ${size.width}`);
        if (screen === 'data') await expectNamesVisible(page);
        await page.screenshot({ path: resolve(OUT, `${screen}-${size.width}.png`), fullPage: true });
      }
      // the Train screen's AutoML search settings too
      await visit(page, 'train');
      await page.getByTestId('mode-automl').check();
      await expectNoSidewaysOverflow(page, `automl settings at ${size.width}`);
      await page.screenshot({ path: resolve(OUT, `train-automl-${size.width}.png`), fullPage: true });
      await page.getByTestId('mode-single').check();
      // a column detail open beside the table (desktop) or below it (phone): names stay visible,
      // the target row's included
      await visit(page, 'data');
      await page.locator('[data-testid="column-open"][data-name="species"]').click();
      await page.getByTestId('column-detail').waitFor();
      await expectNamesVisible(page);
      await expectNoSidewaysOverflow(page, `column detail at ${size.width}`);
      await page.screenshot({ path: resolve(OUT, `data-detail-${size.width}.png`), fullPage: true });
      await page.getByRole('button', { name: 'Close column detail' }).click();
    }
    studio.assertNoErrors();
    await page.close();
  });

  it('a phone-sized Data screen with dates, a long field and an imbalanced target', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await page.setViewportSize({ width: 390, height: 844 });
    const lines = ['signup_date,customer_reference_number_long_name,notes,amount,bad_loan'];
    for (let i = 0; i < 200; i++) {
      const day = String((i % 28) + 1).padStart(2, '0');
      const note = i === 3 ? 'x'.repeat(200_000) : `note ${i}`;
      lines.push(
        `${day}/0${(i % 9) + 1}/2012,${1_000_000_000 + i * 7919},${note},${1234567.25 + i},${i % 20 === 0 ? 'bad' : 'good'}`,
      );
    }
    await pickFile(page, { name: 'loans.csv', buffer: Buffer.from(lines.join('\n') + '\n') });
    await waitForDataset(page, 'loans.csv');
    await page.getByTestId('target-select').selectOption('bad_loan');
    await expect.poll(() => page.getByTestId('task-select').inputValue()).toBe('binary');

    // dates in the file's own format, in the preview and the column detail
    const preview = page.getByTestId('preview');
    await expect
      .poll(() => preview.locator('tbody tr').first().locator('td').first().textContent())
      .toBe('01/01/2012');
    await page.locator('[data-testid="column-open"][data-name="signup_date"]').click();
    await expect.poll(() => page.getByTestId('column-detail').textContent()).toContain('01/01/2012');
    await page.getByRole('button', { name: 'Close column detail' }).click();

    // the long field is cut, the full value opens on demand
    const cut = preview.getByTestId('cell-cut');
    expect(await cut.count()).toBe(1);
    expect((await cut.textContent())!.length).toBeLessThan(200);
    await cut.getByTestId('cell-more').click();
    const full = page.getByTestId('cell-full').locator('textarea');
    expect((await full.inputValue()).length).toBe(200_000);

    // the imbalance warning reads "<column>: The classes…", and the default metric is balanced accuracy
    await expect
      .poll(() => page.locator('[data-testid="warnings"] li[data-kind="class-imbalance"]').textContent())
      .toMatch(/^\s*bad_loan: The classes/);
    await page.getByTestId('nav-train').click();
    await expect.poll(() => page.getByTestId('metric-select').inputValue()).toBe('balanced_accuracy');
    expect(await page.getByTestId('metric-explanation').textContent()).toContain('bad_loan');

    await visit(page, 'data');
    await expectNamesVisible(page);
    await expectNoSidewaysOverflow(page, 'loans data at 390');
    await page.screenshot({ path: resolve(OUT, 'data-loans-390.png'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    await expectNoSidewaysOverflow(page, 'loans data at 360');
    studio.assertNoErrors();
    await page.close();
  });
});
