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
import { explainView, viewForClass } from '../../../src/core/explain/view.ts';
import { explainRows } from '../../../src/core/explain/rows.ts';
import { gatherColumn } from '../../../src/core/explain/permutation.ts';
import { predictTable } from '../../../src/core/export/bundle.ts';
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

  it('multiclass: the view of class k is that class’s own values, adds up to its score, softmax = the probabilities', () => {
    const v = explainView(bundle, table, { rows: 40, seed: 2, iceRows: 40 });
    const classes = bundle.manifest.classes!;
    expect(v.classes?.byClass.map((c) => c.label)).toEqual(classes);
    // an independent computation of the same rows: explainRows on the sampled rows
    const rows = Int32Array.from(v.sample.row);
    const sub: Table = { nRows: rows.length, columns: table.columns.map((c) => gatherColumn(c, rows)) };
    const ex = explainRows(bundle, sub);
    const p = predictTable(bundle, sub);
    const K = classes.length;
    const C = ex.columns.length;
    // the default global class: the one predicted most often
    const counts = classes.map((_, k) => Array.from(p.labels!).filter((l) => l === k).length);
    expect(v.classes!.defaultClass).toBe(counts.indexOf(Math.max(...counts)));
    const views = classes.map((_, k) => viewForClass(v, k));
    views.forEach((cv, k) => {
      expect(cv.sample.explainedClass!.every((c) => c === classes[k])).toBe(true);
      expect(cv.pdpOutput).toBe(`probability of ${classes[k]}`);
      // ranked by this class's mean |contribution|
      cv.importance.forEach((imp, c) => {
        const mean = cv.sample.contributions[c]!.reduce((a, x) => a + Math.abs(x), 0) / 40;
        expect(imp.meanAbs).toBeCloseTo(mean, 12);
        if (c > 0) expect(cv.importance[c - 1]!.meanAbs).toBeGreaterThanOrEqual(imp.meanAbs);
      });
      for (let i = 0; i < 40; i++) {
        const at = (i * K + k) * (C + 1);
        expect(cv.sample.base[i]).toBe(ex.values[at + C]);
        let s = cv.sample.base[i]!;
        cv.importance.forEach((imp, c) => {
          // the contribution, the value and the text follow the column
          expect(cv.sample.contributions[c]![i]).toBe(ex.values[at + ex.columns.indexOf(imp.column)]);
          const top = v.importance.findIndex((x) => x.column === imp.column);
          expect(cv.sample.text[c]![i]).toBe(v.sample.text[top]![i]);
          expect(cv.sample.values[c]![i]).toBe(v.sample.values[top]![i]);
          s += cv.sample.contributions[c]![i]!;
        });
        expect(Math.abs(s - cv.sample.output[i]!)).toBeLessThan(1e-9);
        // the predicted class's view of a row is the default row view
        if (p.labels![i] === k) expect(cv.sample.output[i]).toBeCloseTo(v.sample.output[i]!, 12);
      }
      // partial dependence: the probability of this class
      for (const d of cv.pdp) for (const m of d.mean) expect(m >= 0 && m <= 1).toBe(true);
    });
    // the class scores are the model's: their softmax is its predicted probabilities
    for (let i = 0; i < 40; i++) {
      const z = views.map((cv) => cv.sample.output[i]!);
      const mx = Math.max(...z);
      const e = z.map((x) => Math.exp(x - mx));
      const tot = e.reduce((a, b) => a + b, 0);
      e.forEach((x, k) => expect(Math.abs(x / tot - p.values[i * K + k]!)).toBeLessThan(1e-9));
    }
    // the same column's partial dependence over all classes adds up to 1 at every grid point
    const col = views[0]!.pdp[0]!.column;
    const curves = views.map((cv) => cv.pdp.find((d) => d.column === col));
    if (curves.every(Boolean))
      curves[0]!.mean.forEach((_, g) =>
        expect(Math.abs(curves.reduce((a, d) => a + d!.mean[g]!, 0) - 1)).toBeLessThan(1e-9),
      );
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  }, 120_000);
});
