/**
 * A bundle made in the browser and replayed in Node gives the same predictions bit for bit, but its
 * validation log loss can differ in the last bits: metrics use the runtime's Math.log, and JavaScript
 * engines differ there (Node 20's V8 and Chromium 156's on ~1.6% of arguments; found by
 * export-import.e2e: "expected 0.011029429836545479, got 0.01102942983654548"). `reproduce` treats
 * a recomputed metric within `METRIC_RELATIVE_ULPS` as the recorded one and says so; anything further
 * away is still a difference.
 */
import { describe, expect, it } from 'vitest';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { nodeEnvironment } from '../../../src/cli/bundle-io.ts';
import { createSearchBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { METRIC_RELATIVE_ULPS, reproduceBundle } from '../../../src/core/export/reproduce.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { datasetFile } from '../../helpers/paths.ts';

/** The next double above `x` (x > 0). */
function nextUp(x: number): number {
  const b = new Float64Array([x]);
  const u = new BigUint64Array(b.buffer);
  u[0] += 1n;
  return b[0]!;
}

describe('reproduce: a validation metric one ulp away', () => {
  it('is the same metric (said so); one a billionth away is a difference', async () => {
    const path = datasetFile('penguins');
    const data = await ingestCsv(fileSource(path), { createHasher: nodeHasher });
    const result = await runSearch({
      table: data.table,
      target: 'species',
      task: 'multiclass',
      families: ['gbdt'],
      seed: 3,
      maxTrials: 2,
      folds: 3,
    });
    const dataset = { name: 'train.csv', fingerprint: data.fingerprint, schema: data.schema, warnings: [] };
    const files = createSearchBundleFiles(result, dataset, nodeEnvironment({ name: 'cpu' }), {
      table: data.table,
    });
    const withLogLoss = (f: (x: number) => number) => {
      const m = JSON.parse(files['manifest.json']);
      m.metrics.validation.log_loss = f(m.metrics.validation.log_loss);
      return { ...files, 'manifest.json': JSON.stringify(m, null, 2) + '\n' };
    };
    const replay = (made: Record<string, string>) =>
      reproduceBundle(loadBundle(made), {
        source: fileSource(path),
        createHasher: nodeHasher,
        environment: nodeEnvironment,
      });

    const exact = await replay(files);
    expect(exact.verdict).toBe('reproduced');
    expect(exact.lines.join('\n')).not.toMatch(/last bits/);

    const ulp = await replay(withLogLoss(nextUp));
    expect(ulp.metrics).toEqual([]);
    expect(ulp.verdict).toBe('reproduced');
    expect(ulp.lines.join('\n')).toMatch(/log_loss in the last bits only/);

    const far = await replay(withLogLoss((x) => x * (1 + 1000 * METRIC_RELATIVE_ULPS)));
    expect(far.metrics.map((d) => d.metric)).toEqual(['log_loss']);
    expect(far.verdict).toBe('not reproduced');
  }, 120_000);
});
