/**
 * Cross-runtime replay: the same seeded, trial-capped search (a table with a date and time of day,
 * log-uniform hyperparameters, TPE after 4 random trials, GBDT and linear trials, log loss as the
 * metric) run in Chromium and in Node gives bit-identical trial parameters, validation predictions,
 * final predictions and scores. Before the engine's Math was replaced on these paths (space.ts and
 * tpe.ts sampling, random.normal, date_parts' sin/cos, log loss), Chromium's Math.exp/log/sin/cos
 * differed from Node's in the last bit on 3–10% of arguments and the searches diverged.
 */
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import {
  crossRuntimeSearch,
  crossRuntimeTable,
  type CrossRuntimeResult,
  type PlainTable,
} from '../helpers/cross-runtime-search.ts';
import { launchBrowser, type Browser } from './helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

it('a seeded search gives the same bits in Chromium and in Node', { timeout: 240_000 }, async () => {
  const bundle = await build({
    entryPoints: [resolve(REPO_ROOT, 'test/helpers/cross-runtime-search.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'CrossRuntime',
    write: false,
    target: 'es2022',
    logLevel: 'silent',
  });
  const train = crossRuntimeTable(600, 5);
  const test = crossRuntimeTable(200, 6);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  page.setDefaultTimeout(200_000);
  const inChromium = await page.evaluate(
    ([a, b]) =>
      (
        globalThis as unknown as {
          CrossRuntime: { crossRuntimeSearch: (a: PlainTable, b: PlainTable) => Promise<CrossRuntimeResult> };
        }
      ).CrossRuntime.crossRuntimeSearch(a, b),
    [train, test] as const,
  );
  await page.close();
  expect(errors).toEqual([]);
  const inNode = await crossRuntimeSearch(train, test);

  expect(inNode.trials.length).toBe(12);
  expect(new Set(inNode.trials.map((t) => t.family))).toEqual(new Set(['gbdt', 'linear']));
  // first what was proposed, trial by trial (the clearest message), then everything
  inNode.trials.forEach((t, i) =>
    expect(inChromium.trials[i]?.params, `trial ${i} params`).toEqual(t.params),
  );
  expect(inChromium.trials).toEqual(inNode.trials);
  const firstDiff = (a: (number | null)[], b: (number | null)[]) =>
    a.findIndex((v, i) => !Object.is(v, b[i]));
  expect(firstDiff(inChromium.validation, inNode.validation), 'first differing validation prediction').toBe(
    -1,
  );
  // the date features themselves, in float64 (with the engine's sin/cos ~3% of angles differ by an ulp;
  // rounded to the float32 matrix a model sees that rarely shows, so the predictions alone would not)
  expect(inNode.features.length).toBeGreaterThan(0);
  expect(firstDiff(inChromium.features, inNode.features), 'first differing feature value').toBe(-1);
  expect(firstDiff(inChromium.test, inNode.test), 'first differing final prediction').toBe(-1);
  expect(inChromium.ensemble).toEqual(inNode.ensemble);
  // the search records that it used the portable functions (a replay uses them too)
  expect(inNode.math).toBe('portable');
});
