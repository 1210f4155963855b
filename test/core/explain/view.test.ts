/**
 * The Explain view's data (what the run page's Explain tab draws and stores as explain.json), on a real
 * GBDT bundle and penguins: a seeded sample whose every row adds up (base + contributions = output),
 * importance = the mean |contribution| per column, largest first, permutation importance from the
 * target, PDP = the mean of the ICE curves, plain JSON (survives a round trip unchanged), seeded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadVerifiedBundleArg } from '../../../src/cli/bundle-io.ts';
import { fileSource } from '../../../src/cli/node-io.ts';
import { readForScoring } from '../../../src/core/export/score.ts';
import type { LoadedBundle } from '../../../src/core/export/bundle.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { explainView } from '../../../src/core/explain/view.ts';
import { cli } from '../../helpers/cli.ts';
import { datasetFile } from '../../helpers/paths.ts';

let bundle: LoadedBundle;
let table: Table;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'automl-view-'));
  const out = join(dir, 'gbdt');
  const fit = await cli(['fit', datasetFile('penguins'), '--target', 'species', '--out', out, '--no-track']);
  expect(fit.code, fit.err).toBe(0);
  bundle = (await loadVerifiedBundleArg(out)).bundle;
  table = (await readForScoring(bundle, fileSource(datasetFile('penguins')))).data.table;
}, 120_000);

describe('explain view', () => {
  it('adds up per row, ranks columns by mean |contribution|, has permutation importance and PDP/ICE', () => {
    const v = explainView(bundle, table, { rows: 60, seed: 4, iceRows: 60, now: () => 1234 });
    expect(v).toMatchObject({
      kind: 'automl-studio-explain-view',
      rows: 60,
      totalRows: table.nRows,
      seed: 4,
    });
    expect(v.computedAt).toBe(1234);
    expect(v.method).toBe('treeshap');
    // a seeded sample of distinct rows, in order
    expect(new Set(v.sample.row).size).toBe(60);
    expect([...v.sample.row].sort((a, b) => a - b)).toEqual(v.sample.row);
    const C = v.importance.length;
    expect(C).toBeGreaterThanOrEqual(5);
    for (let i = 0; i < 60; i++) {
      let s = v.sample.base[i]!;
      for (let c = 0; c < C; c++) s += v.sample.contributions[c]![i]!;
      expect(Math.abs(s - v.sample.output[i]!)).toBeLessThan(1e-9);
      expect(v.sample.explainedClass![i]).toBe(v.sample.prediction[i]);
    }
    v.importance.forEach((imp, c) => {
      const mean = v.sample.contributions[c]!.reduce((a, x) => a + Math.abs(x), 0) / 60;
      expect(imp.meanAbs).toBeCloseTo(mean, 12);
      if (c > 0) expect(v.importance[c - 1]!.meanAbs).toBeGreaterThanOrEqual(imp.meanAbs);
    });
    // the measurements of the body separate the species: one of them leads
    expect(['bill_length_mm', 'flipper_length_mm', 'bill_depth_mm', 'body_mass_g', 'island']).toContain(
      v.importance[0]!.column,
    );
    expect(v.permutation?.metric).toBe('log_loss');
    expect(v.permutation?.results.length).toBe(table.columns.length - 1);
    expect(v.pdp.length).toBe(3);
    for (const d of v.pdp) {
      expect(d.grid.length).toBeGreaterThan(1);
      expect(d.ice).toHaveLength(60);
      d.mean.forEach((m, g) => {
        const ice = d.ice.reduce((a, curve) => a + curve[g]!, 0) / 60;
        expect(Math.abs(m - ice)).toBeLessThan(1e-12);
        expect(m).toBeGreaterThanOrEqual(0);
        expect(m).toBeLessThanOrEqual(1); // a probability
      });
    }
    // plain JSON: what is stored is what is read back
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
    // seeded
    expect(explainView(bundle, table, { rows: 60, seed: 4, iceRows: 60, now: () => 1234 })).toEqual(v);
    expect(explainView(bundle, table, { rows: 60, seed: 5, now: () => 1234 }).sample.row).not.toEqual(
      v.sample.row,
    );
  }, 120_000);

  it('without the target: no permutation importance, said in a note', () => {
    const noTarget: Table = {
      nRows: table.nRows,
      columns: table.columns.filter((c) => c.name !== 'species'),
    };
    const v = explainView(bundle, noTarget, { rows: 20 });
    expect(v.permutation).toBeUndefined();
    expect(v.notes.join(' ')).toMatch(/no permutation importance: the data has no species column/);
  }, 60_000);
});
