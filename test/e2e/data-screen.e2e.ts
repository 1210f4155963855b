/** The Data screen over a real dataset: schema, types, charts, target and task; type overrides. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  columnType,
  datasetPath,
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

describe('data screen', () => {
  it('profiles telco_churn: types, a column chart, the suggested target and task', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await expect.poll(() => page.getByTestId('privacy-note').textContent()).toContain('never leaves');
    await pickFile(page, datasetPath('telco_churn'));
    await waitForDataset(page, 'train.csv');

    expect(await page.getByTestId('summary-rows').textContent()).toBe('5,634');
    expect(await page.getByTestId('summary-columns').textContent()).toBe('20');
    expect(await page.getByTestId('summary-sha').textContent()).toMatch(/^[0-9a-f]{12}$/);
    expect(await page.getByTestId('schema-row').count()).toBe(20);

    // Known columns: numeric charges, integer tenure, categorical contract.
    expect(['numeric', 'integer']).toContain(await columnType(page, 'monthly_charges'));
    expect(await columnType(page, 'tenure')).toBe('integer');
    expect(await columnType(page, 'contract')).toBe('categorical');
    expect(await columnType(page, 'payment_method')).toBe('categorical');
    // total_charges has 8 blanks in 5,634 rows.
    expect(await schemaRow(page, 'total_charges').getByTestId('missing').textContent()).toBe('0.1%');
    expect(await schemaRow(page, 'contract').getByTestId('missing').textContent()).toBe('0%');

    // Keyboard: focus the column's button and press Enter: the detail panel opens with a chart.
    await schemaRow(page, 'monthly_charges').getByTestId('column-open').focus();
    await page.keyboard.press('Enter');
    const detail = page.getByTestId('column-detail');
    await expect.poll(() => detail.getByTestId('detail-name').textContent()).toBe('monthly_charges');
    await detail.locator('[data-testid="echart"] canvas').first().waitFor();
    expect(await detail.getByTestId('chart-title').allTextContents()).toEqual(['Histogram']);
    const drawn = await detail
      .locator('[data-testid="echart"] canvas')
      .first()
      .evaluate((c: HTMLCanvasElement) => {
        const ctx = c.getContext('2d');
        if (!ctx || c.width === 0 || c.height === 0) return 0;
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
        return painted;
      });
    expect(drawn).toBeGreaterThan(500);

    // Clicking a categorical row shows a top-values chart.
    await schemaRow(page, 'contract').getByTestId('missing').click();
    await expect.poll(() => detail.getByTestId('detail-name').textContent()).toBe('contract');
    await expect.poll(() => detail.locator('canvas').count()).toBeGreaterThan(0);
    expect(await detail.getByTestId('chart-title').allTextContents()).toEqual(['Most frequent values']);

    // Suggested target and detected task.
    expect(await page.getByTestId('target-select').inputValue()).toBe('churn');
    expect(await page.getByTestId('task-select').inputValue()).toBe('binary');
    expect(await page.getByTestId('target-reason').textContent()).toContain('churn');
    expect((await page.getByTestId('task-reason').textContent())?.length).toBeGreaterThan(20);
    expect(await page.getByTestId('task-reason').textContent()).toContain('Detected task');
    // Choosing the task by hand is kept and said so.
    await page.getByTestId('task-select').selectOption('multiclass');
    await expect.poll(() => page.getByTestId('task-reason').textContent()).toContain('Task chosen by you');
    expect(await page.getByTestId('task-select').inputValue()).toBe('multiclass');
    expect(await page.getByTestId('target-select').inputValue()).toBe('churn');
    await page.getByTestId('associations').waitFor();
    expect(await page.getByTestId('associations').locator('tbody tr').count()).toBeGreaterThan(3);
  });

  it('loads a file dropped on the drop zone', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    // Datasets kept by the tests before reopen on a new page (issue 21): start from an empty studio.
    await page.evaluate(
      () =>
        new Promise<void>((done) => {
          const req = indexedDB.deleteDatabase('automl-studio-datasets');
          req.onsuccess = req.onerror = req.onblocked = () => done();
        }),
    );
    await page.reload();
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('empty-state').count()).toBe(1);
    await page.getByTestId('drop-zone').evaluate((el) => {
      const dt = new DataTransfer();
      dt.items.add(new File(['when,amount\n2024-01-05,1.5\n2024-02-10,2.5\n2024-03-15,4\n'], 'dropped.csv'));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await waitForDataset(page, 'dropped.csv');
    expect(await columnType(page, 'when')).toBe('datetime');
    // A datetime column's detail shows weekday and month charts.
    await schemaRow(page, 'when').getByTestId('column-open').click();
    const titles = page.getByTestId('column-detail').getByTestId('chart-title');
    await expect.poll(() => titles.allTextContents()).toEqual(['By weekday (UTC)', 'By month (UTC)']);
    await expect.poll(() => page.getByTestId('column-detail').locator('canvas').count()).toBe(2);
  });

  it('keeps a type override across the re-read and shows it', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, datasetPath('telco_churn'));
    await waitForDataset(page, 'train.csv');
    expect(await columnType(page, 'tenure')).toBe('integer');

    await schemaRow(page, 'tenure').getByTestId('type-select').selectOption('categorical');
    await expect.poll(() => columnType(page, 'tenure'), { timeout: 60_000 }).toBe('categorical');
    await page.getByTestId('load-progress').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await schemaRow(page, 'tenure').textContent()).toContain('set');
    // The re-read profile treats it as categorical: the detail shows top values, not a histogram.
    await schemaRow(page, 'tenure').getByTestId('column-open').click();
    const detail = page.getByTestId('column-detail');
    await expect
      .poll(() => detail.getByTestId('chart-title').allTextContents())
      .toEqual(['Most frequent values']);
    expect(await detail.textContent()).toContain('your choice; inferred integer');
    // Other columns keep their inferred types, the target is kept.
    expect(await columnType(page, 'contract')).toBe('categorical');
    expect(await page.getByTestId('target-select').inputValue()).toBe('churn');

    // A second override keeps the first one.
    await schemaRow(page, 'monthly_charges').getByTestId('type-select').selectOption('text');
    await expect.poll(() => columnType(page, 'monthly_charges'), { timeout: 60_000 }).toBe('text');
    expect(await columnType(page, 'tenure')).toBe('categorical');
  });
});
