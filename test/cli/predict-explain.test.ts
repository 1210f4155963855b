/**
 * `cli predict --explain`: per row the top K reasons (column, the row's value, contribution), the base
 * value, the rest and the explained output, which add up — and the output is the model's own
 * prediction in the explained scale (log-odds of the positive class for a GBDT, the value for a linear
 * regression, the predicted class's probability for an MLP). The predictions themselves are unchanged;
 * exact methods explain a row the same whatever other rows are scored with it; the sampling method is
 * seeded and states its standard errors; JSON carries the same numbers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';

/** RFC 4180 records of a CSV text. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** Objects keyed by the header. */
function records(text: string): Record<string, string>[] {
  const [head, ...rest] = parseCsv(text);
  return rest.map((r) => Object.fromEntries(head!.map((h, k) => [h, r[k]!])));
}

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-predict-explain-'));

/** base + Σ reasons + other = output, for every row; returns the reasons' contributions per row. */
function checkAdditivity(rows: Record<string, string>[], k: number): number[][] {
  return rows.map((r) => {
    const cs: number[] = [];
    for (let j = 1; j <= k; j++) cs.push(Number(r[`reason_${j}_contribution`]));
    const sum = Number(r.base_value) + cs.reduce((a, b) => a + b, 0) + Number(r.other_contribution);
    const out = Number(r.explained_output);
    expect(Math.abs(sum - out)).toBeLessThan(1e-9 * Math.max(1, Math.abs(out)));
    // largest first
    for (let j = 1; j < cs.length; j++) expect(Math.abs(cs[j - 1]!)).toBeGreaterThanOrEqual(Math.abs(cs[j]!));
    return cs;
  });
}

describe('cli predict --explain', () => {
  it('GBDT (binary, positive class first): TreeSHAP reasons add up to the log-odds of the positive class', async () => {
    const dir = tmp();
    const bundle = join(dir, 'gbdt');
    const fit = await cli([
      'fit',
      datasetFile('german_credit'),
      '--target',
      'class',
      '--out',
      bundle,
      '--no-track',
      '--seed',
      '2',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const test = datasetFile('german_credit', 'test.csv');
    const plain = await cli(['predict', bundle, test]);
    expect(plain.code, plain.err).toBe(0);
    const res = await cli(['predict', bundle, test, '--explain', '--top', '3']);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/note: explanations: exact TreeSHAP.*log-odds of the positive class/);
    const [head] = parseCsv(res.out);
    expect(head).toEqual([
      'bad',
      'good',
      'prediction',
      'explained_class',
      'base_value',
      'reason_1',
      'reason_1_value',
      'reason_1_contribution',
      'reason_2',
      'reason_2_value',
      'reason_2_contribution',
      'reason_3',
      'reason_3_value',
      'reason_3_contribution',
      'other_contribution',
      'explained_output',
    ]);
    const rows = records(res.out);
    const before = records(plain.out);
    const input = records(readFileSync(test, 'utf8'));
    expect(rows).toHaveLength(input.length);
    checkAdditivity(rows, 3);
    const base = rows[0]!.base_value;
    rows.forEach((r, i) => {
      // predictions unchanged
      expect([r.bad, r.good, r.prediction]).toEqual([before[i]!.bad, before[i]!.good, before[i]!.prediction]);
      expect(r.explained_class).toBe('bad'); // the positive class (the minority), though it is classes[0]
      expect(r.base_value).toBe(base);
      // the output is the log-odds of P(bad)
      const p = 1 / (1 + Math.exp(-Number(r.explained_output)));
      expect(Math.abs(p - Number(r.bad))).toBeLessThan(1e-9);
      // each reason names a column of the file and shows this row's value of it
      for (let j = 1; j <= 3; j++) {
        const col = r[`reason_${j}`]!;
        expect(Object.keys(input[i]!)).toContain(col);
        const want = input[i]![col]!;
        const got = r[`reason_${j}_value`]!;
        if (Number.isFinite(Number(want)) && want !== '') expect(Number(got)).toBe(Number(want));
        else expect(got).toBe(want);
      }
    });
    // the reasons vary between rows (not one fixed ranking)
    expect(new Set(rows.map((r) => r.reason_1)).size).toBeGreaterThan(1);

    // exact: a row's explanation does not depend on the other rows scored with it
    const head6 = readFileSync(test, 'utf8').split('\n').slice(0, 7).join('\n') + '\n';
    const small = join(dir, 'six.csv');
    writeFileSync(small, head6);
    const part = await cli(['predict', bundle, small, '--explain', '--top', '3']);
    expect(part.code, part.err).toBe(0);
    expect(records(part.out)).toEqual(rows.slice(0, 6));

    // JSON: the same numbers
    const js = await cli(['predict', bundle, test, '--explain', '--top', '3', '--json']);
    expect(js.code, js.err).toBe(0);
    const doc = JSON.parse(js.out);
    expect(doc.explanation).toMatchObject({ method: 'treeshap', scale: 'log-odds', top: 3 });
    expect(doc.rows).toHaveLength(rows.length);
    doc.rows.forEach(
      (
        jr: {
          prediction: string;
          explainedClass: string;
          base: number;
          output: number;
          other: number;
          probabilities: Record<string, number>;
          reasons: { column: string; value: string; contribution: number }[];
        },
        i: number,
      ) => {
        const r = rows[i]!;
        expect(jr.prediction).toBe(r.prediction);
        expect(jr.explainedClass).toBe('bad');
        expect(jr.probabilities.bad).toBe(Number(r.bad));
        expect(jr.base).toBe(Number(r.base_value));
        expect(jr.output).toBe(Number(r.explained_output));
        expect(jr.other).toBe(Number(r.other_contribution));
        expect(jr.reasons.map((x) => [x.column, x.value, x.contribution])).toEqual(
          [1, 2, 3].map((j) => [
            r[`reason_${j}`],
            r[`reason_${j}_value`],
            Number(r[`reason_${j}_contribution`]),
          ]),
        );
      },
    );
  }, 180_000);

  it('linear regression: exact reasons add up to the predicted value; --top beyond the columns lists them all', async () => {
    const dir = tmp();
    const bundle = join(dir, 'linear');
    const fit = await cli([
      'fit',
      datasetFile('diabetes'),
      '--target',
      'target',
      '--model',
      'linear',
      '--out',
      bundle,
      '--no-track',
      '--params',
      '{"epochs":40}',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const res = await cli([
      'predict',
      bundle,
      datasetFile('diabetes', 'test.csv'),
      '--explain',
      '--top',
      '50',
    ]);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/exact linear SHAP/);
    const [head] = parseCsv(res.out);
    expect(head).not.toContain('explained_class');
    expect(head).toContain('reason_10_contribution');
    expect(head).not.toContain('reason_11');
    const rows = records(res.out);
    checkAdditivity(rows, 10);
    for (const r of rows) {
      expect(Number(r.other_contribution)).toBe(0);
      const want = Number(r.prediction);
      expect(Math.abs(Number(r.explained_output) - want)).toBeLessThan(1e-9 * Math.max(1, Math.abs(want)));
      // all ten columns, each once
      expect(new Set(Array.from({ length: 10 }, (_, j) => r[`reason_${j + 1}`])).size).toBe(10);
    }
  }, 180_000);

  it('MLP (multiclass): seeded sampling reasons add up to the predicted class’s probability, with standard errors', async () => {
    const dir = tmp();
    const bundle = join(dir, 'mlp');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--model',
      'mlp',
      '--out',
      bundle,
      '--no-track',
      '--params',
      '{"epochs":30,"hidden":[16]}',
      '--seed',
      '1',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const test = datasetFile('penguins', 'test.csv');
    const args = [
      'predict',
      bundle,
      test,
      '--explain',
      '--top',
      '2',
      '--permutations',
      '6',
      '--background',
      '12',
    ];
    const res = await cli(args);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/sampling Shapley values \(6 seeded permutations.*background: 12 seeded rows/);
    const [head] = parseCsv(res.out);
    expect(head).toContain('reason_1_stderr');
    const rows = records(res.out);
    checkAdditivity(rows, 2);
    for (const r of rows) {
      expect(r.explained_class).toBe(r.prediction);
      const p = Number(r[r.prediction!]);
      expect(Math.abs(Number(r.explained_output) - p)).toBeLessThan(1e-9);
      for (const j of [1, 2]) {
        const se = Number(r[`reason_${j}_stderr`]);
        expect(Number.isFinite(se) && se >= 0).toBe(true);
      }
    }
    expect(rows.some((r) => Number(r.reason_1_stderr) > 0)).toBe(true);
    // seeded: the same text again; another seed moves the split between columns, not the output
    expect((await cli(args)).out).toBe(res.out);
    const other = records((await cli([...args, '--seed', '5'])).out);
    other.forEach((r, i) =>
      expect(Math.abs(Number(r.explained_output) - Number(rows[i]!.explained_output))).toBeLessThan(1e-9),
    );
    expect(other[0]!.base_value).not.toBe(rows[0]!.base_value); // another background sample
    expect(other.map((r) => r.prediction)).toEqual(rows.map((r) => r.prediction));
    expect(other.map((r) => r.reason_1_contribution)).not.toEqual(rows.map((r) => r.reason_1_contribution));
  }, 240_000);

  it('an AutoML ensemble (binary): sampling reasons add up to the probability of the positive class', async () => {
    const dir = tmp();
    const out = join(dir, 'ensemble');
    const fit = await cli([
      'automl',
      datasetFile('german_credit'),
      '--target',
      'class',
      '--out',
      out,
      '--no-track',
      '--max-trials',
      '4',
      '--families',
      'gbdt,linear',
      '--seed',
      '3',
      '--workers',
      '0',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const ensemble = manifest.model.family === 'ensemble';
    const test = datasetFile('german_credit', 'test.csv');
    const res = await cli(['predict', out, test, '--explain', '--top', '4', '--background', '8']);
    expect(res.code, res.err).toBe(0);
    if (ensemble) expect(res.err).toMatch(/sampling Shapley values.*probability of the positive class/);
    const rows = records(res.out);
    expect(rows).toHaveLength(readFileSync(test, 'utf8').trim().split('\n').length - 1);
    checkAdditivity(rows, 4);
    for (const r of rows) {
      expect(r.explained_class).toBe('bad');
      const out = Number(r.explained_output);
      // the probability itself (ensemble) or its log-odds (a single GBDT or linear model)
      const p = ensemble ? out : 1 / (1 + Math.exp(-out));
      expect(Math.abs(p - Number(r.bad))).toBeLessThan(1e-9);
    }
  }, 300_000);

  it('refuses bad options with a clear message (exit 2)', async () => {
    const dir = tmp();
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, 'a\n1\n');
    const top0 = await cli(['predict', dir, csv, '--explain', '--top', '0']);
    expect(top0.code).toBe(2);
    expect(top0.err).toMatch(/--top must be an integer from 1 to 1000, got 0/);
    const stray = await cli(['predict', dir, csv, '--top', '3']);
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/--top goes with --explain/);
  });
});
