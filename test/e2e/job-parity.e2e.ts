/**
 * One job layer (issue 15): a `fit` and an `automl` search made in the studio (Chromium, the training
 * worker, IndexedDB) and the same made with the CLI (Node, SQLite) record the same things — the same
 * artifacts (names and kinds), params, metrics and tag keys on the run, on the search's parent run and
 * on its trial runs. Only who ran it (`source`), where the CLI wrote the bundle (`bundle`) and how each
 * runtime marks the runs it owns differ.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { openFileStore } from '../../src/cli/file-store.ts';
import type { ArtifactRecord, RunRecord } from '../../src/core/tracking/types.ts';
import {
  datasetPath,
  launchBrowser,
  openStudio,
  pickFile,
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

type RunLike = Pick<RunRecord, 'id' | 'parentRunId' | 'name' | 'params' | 'tags' | 'latestMetrics'>;
type ArtifactLike = Pick<ArtifactRecord, 'runId' | 'name' | 'kind'>;

interface Shape {
  readonly params: string[];
  readonly tags: string[];
  readonly metrics: string[];
  readonly artifacts: string[];
}

/** What a run records, by name and kind — values (timings, seeds, paths) are not compared. */
function shape(runs: readonly RunLike[], artifacts: readonly ArtifactLike[]): Shape {
  const ids = new Set(runs.map((r) => r.id));
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    params: uniq(runs.flatMap((r) => Object.keys(r.params))),
    // Where the CLI wrote the bundle, and how a runtime marks the runs it owns (the CLI: its pid, host
    // and heartbeat in `automl.*` tags; the browser: Web Locks, nothing stored), are the only expected
    // differences besides the value of `source`.
    tags: uniq(runs.flatMap((r) => Object.keys(r.tags))).filter(
      (k) => k !== 'bundle' && !k.startsWith('automl.'),
    ),
    metrics: uniq(runs.flatMap((r) => Object.keys(r.latestMetrics))),
    artifacts: uniq(artifacts.filter((a) => ids.has(a.runId)).map((a) => `${a.name} (${a.kind})`)),
  };
}

interface Recorded {
  readonly runs: RunLike[];
  readonly artifacts: ArtifactLike[];
}

/** Every run and artifact row in the studio's IndexedDB (read as stored, without the app's code). */
async function readStudioStore(page: Page): Promise<Recorded> {
  return page.evaluate(
    () =>
      new Promise<Recorded>((resolve, reject) => {
        const open = indexedDB.open('automl-studio-tracking');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['runs', 'artifacts'], 'readonly');
          const runs = tx.objectStore('runs').getAll();
          const artifacts = tx.objectStore('artifacts').getAll();
          tx.oncomplete = () => {
            db.close();
            resolve({
              runs: (runs.result as RunLike[]).map((r) => ({
                id: r.id,
                parentRunId: r.parentRunId,
                name: r.name,
                params: r.params,
                tags: r.tags,
                latestMetrics: r.latestMetrics,
              })),
              artifacts: (artifacts.result as ArtifactLike[]).map((a) => ({
                runId: a.runId,
                name: a.name,
                kind: a.kind,
              })),
            });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

async function readCliStore(path: string): Promise<Recorded> {
  const store = await openFileStore(path);
  try {
    const runs: RunLike[] = [];
    for (const e of await store.listExperiments()) {
      let pageToken: string | null = null;
      do {
        const page = await store.searchRuns({
          experimentId: e.id,
          limit: 500,
          ...(pageToken ? { pageToken } : {}),
        });
        runs.push(...page.runs);
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    const artifacts: ArtifactLike[] = [];
    for (const r of runs) artifacts.push(...(await store.listArtifacts(r.id)));
    return { runs, artifacts };
  } finally {
    await store.close();
  }
}

/** The fit run, the search's parent run and its trial runs of one store's records. */
function split(rec: Recorded, source: 'studio' | 'cli') {
  const fit = rec.runs.filter((r) => r.tags.source === `${source} ${source === 'cli' ? 'fit' : 'train'}`);
  const parents = rec.runs.filter((r) => r.tags.source === `${source} automl`);
  const trials = rec.runs.filter((r) => parents.some((p) => p.id === r.parentRunId));
  return {
    fit: shape(fit, rec.artifacts),
    search: shape(parents, rec.artifacts),
    trials: shape(trials, rec.artifacts),
    counts: { fit: fit.length, search: parents.length, trials: trials.length },
  };
}

describe('one job layer: the studio and the CLI record the same runs', () => {
  it('fit and automl on penguins: same artifacts, params, metrics and tags', async () => {
    // --- the studio
    studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, datasetPath('penguins'));
    await waitForDataset(page, 'train.csv');
    if ((await page.getByTestId('target-select').inputValue()) !== 'species') {
      await page.getByTestId('target-select').selectOption('species');
      await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('species');
    }
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-screen').waitFor();
    await page.getByTestId('mode-single').check();
    await page.getByTestId('family-select').selectOption('gbdt');
    await page.getByTestId('iterations-input').fill('30');
    await page.getByTestId('iterations-input').dispatchEvent('change');
    await page.getByTestId('train-button').click();
    await page.getByTestId('train-results').waitFor({ timeout: 180_000 });

    await page.getByTestId('mode-automl').check();
    await page.getByTestId('search-panel').waitFor();
    for (const f of ['gbdt', 'random_forest', 'linear', 'mlp']) {
      const box = page.getByTestId(`search-family-${f}`);
      if ((await box.isChecked()) !== (f === 'gbdt')) await box.setChecked(f === 'gbdt');
    }
    await page.getByTestId('max-trials-input').fill('2');
    await page.getByTestId('max-trials-input').dispatchEvent('change');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 180_000 });
    // the search's records are complete once the parent run has its bundle
    let studioRec: Recorded | undefined;
    await expect
      .poll(
        async () => {
          studioRec = await readStudioStore(page);
          return split(studioRec, 'studio').search.artifacts.some((a) => a.endsWith('(model)'));
        },
        { timeout: 30_000 },
      )
      .toBe(true);

    // --- the CLI, same data and settings
    const dir = mkdtempSync(join(tmpdir(), 'job-parity-'));
    const db = join(dir, 'tracking.db');
    const io = { stdout: () => {}, stderr: () => {} };
    const data = datasetPath('penguins');
    expect(
      await runCli(
        [
          'fit',
          data,
          '--target',
          'species',
          '--model',
          'gbdt',
          '--params',
          '{"rounds":30}',
          '--out',
          join(dir, 'fit'),
          '--store',
          db,
        ],
        io,
      ),
    ).toBe(0);
    expect(
      await runCli(
        [
          'automl',
          data,
          '--target',
          'species',
          '--families',
          'gbdt',
          '--max-trials',
          '2',
          // the studio's default budget: with a budget the search is asynchronous, as in the studio
          '--budget',
          '60',
          '--out',
          join(dir, 'automl'),
          '--store',
          db,
          '--workers',
          '1',
        ],
        io,
      ),
    ).toBe(0);
    const cliRec = await readCliStore(db);

    const s = split(studioRec!, 'studio');
    const c = split(cliRec, 'cli');
    expect(s.counts).toEqual({ fit: 1, search: 1, trials: 2 });
    expect(c.counts).toEqual(s.counts);
    // the bundle as one zip (what Register links), its manifest and model card, and chart data
    expect(s.fit.artifacts).toEqual(
      expect.arrayContaining([
        'species-gbdt.zip (model)',
        'manifest.json (report)',
        'MODEL_CARD.md (report)',
      ]),
    );
    expect(s.search.artifacts).toContain('species-automl.zip (model)');
    expect(c.fit).toEqual(s.fit);
    expect(c.search).toEqual(s.search);
    expect(c.trials).toEqual(s.trials);
  }, 400_000);
});
