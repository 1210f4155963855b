/**
 * Issue #21: a deadline-cut search with row-subsample rungs replays bit for bit through the
 * reproduce job (the recorded `split.subsample` plan is what the replay uses: a default plan would
 * not subsample this small table at all), and the deadline holds on the recorded clock.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from '../../../src/core/data/table.ts';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { nodeEnvironment } from '../../../src/cli/bundle-io.ts';
import { createSearchBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { reproduceBundle } from '../../../src/core/export/reproduce.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { mixedTable } from '../../../bench/search-scale/table.ts';
import { fakeClock, twoLaneExecutor } from './clock-helpers.ts';

function toCsv(t: Table): string {
  const cell = (c: Table['columns'][number], i: number): string => {
    switch (c.storage) {
      case 'float64':
        return Number.isNaN(c.values[i]) ? '' : String(c.values[i]);
      case 'dict':
        return c.codes[i] < 0 ? '' : c.dictionary[c.codes[i]];
      case 'bool':
        return c.values[i] === 255 ? '' : c.values[i] ? 'true' : 'false';
      case 'datetime':
        return new Date(c.values[i]).toISOString().slice(0, 10);
    }
  };
  const lines = [t.columns.map((c) => c.name).join(',')];
  for (let i = 0; i < t.nRows; i++) lines.push(t.columns.map((c) => cell(c, i)).join(','));
  return lines.join('\n') + '\n';
}

describe('reproduce of a deadline-cut search with row-subsample rungs', () => {
  it('two trials at once on a fake clock: a deadline cut at a subsample level, the plan recorded, reproduce → bit-identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subsample-replay-'));
    const path = join(dir, 'mixed.csv');
    writeFileSync(path, toCsv(mixedTable(3000, 10, 7)));
    const data = await ingestCsv(fileSource(path), { createHasher: nodeHasher });
    const clock = fakeClock(1);
    const budget = 5;
    const r = await runSearch({
      table: data.table,
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 4,
      timeBudgetSeconds: budget,
      folds: 1,
      subsample: { threshold: 800 },
      now: clock.now,
      executor: twoLaneExecutor(clock.now),
      // uncapped trials, so that one is cut at a level (the round allowance would make them fit)
      roundAllowance: false,
    });
    const m = r.manifest;
    expect(m.split.subsample).toEqual({
      threshold: 800,
      rows: [267, 800],
      trainRows: 2400,
      seed: 4,
      stratified: true,
    });
    expect(m.stoppedBy).toBe('deadline');
    // trials ran on subsamples and the deadline cut one at a subsample level (a trial that cannot
    // finish is no longer started, so the cut lands on a running trial's next level or fold)
    expect(r.trials.some((t) => t.state === 'COMPLETE' && t.rows !== undefined)).toBe(true);
    expect(m.clock.cuts.some((c) => c.reason === 'deadline' && c.level !== undefined)).toBe(true);
    // the deadline holds, by the search's own (recorded) clock
    expect(m.timings.totalSeconds).toBeLessThanOrEqual(m.budget.statedMaxSeconds!);

    const files = createSearchBundleFiles(
      r,
      { name: 'mixed.csv', fingerprint: data.fingerprint, schema: data.schema, warnings: [] },
      nodeEnvironment({ name: 'cpu' }),
      { table: data.table },
    );
    const saved = JSON.parse(files['manifest.json']);
    expect(saved.search.split.subsample.rows).toEqual([267, 800]);
    const report = await reproduceBundle(loadBundle(files), {
      source: fileSource(path),
      createHasher: nodeHasher,
      environment: nodeEnvironment,
    });
    expect(report.lines.join('\n')).toMatch(/predictions on 3000 rows: bit-identical/);
    expect(report.verdict).toBe('reproduced');
    expect(report.maxDifference).toBe(0);

    // Without the recorded plan (a manifest made before subsampling) the replay trains on all rows,
    // so this search is not reproduced: the plan is what makes it exact.
    const { subsample: _, ...split } = saved.search.split;
    const old = {
      ...files,
      'manifest.json': JSON.stringify({ ...saved, search: { ...saved.search, split } }),
    };
    delete (old as Record<string, string>)['manifest.sig'];
    const report2 = await reproduceBundle(loadBundle(old), {
      source: fileSource(path),
      createHasher: nodeHasher,
      environment: nodeEnvironment,
    });
    expect(report2.verdict).toBe('not reproduced');
  }, 300_000);
});
