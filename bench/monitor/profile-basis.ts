/**
 * Drift from the bundle alone vs from the training data (issue 16): on every dataset in
 * ../shared/datasets (or $DATASETS_DIR) the reference profile is built from train.csv and passed
 * through reference.json's text (as a bundle stores it); test.csv, and copies with one numeric
 * column shifted by 0.5 and 1 standard deviation, are compared with it twice — on the stored
 * profile only, and on train.csv's values — and the flagged shares are printed side by side.
 *
 *   npx tsx bench/monitor/profile-basis.ts [--datasets a,b]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Column, Table } from '../../src/core/data/table.ts';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import {
  buildReference,
  columnDrift,
  columnValues,
  parseReference,
  referenceJson,
} from '../../src/core/monitor/index.ts';

const { values } = parseArgs({ options: { datasets: { type: 'string' } } });
const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const all = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as {
  name: string;
  target: string;
}[];
const wanted = values.datasets?.split(',');

async function read(file: string, types?: Record<string, Column['type']>): Promise<Table> {
  return (
    await ingestCsv(fileSource(file), {
      createHasher: nodeHasher,
      ...(types ? { typeOverrides: types } : {}),
    })
  ).table;
}

function std(x: Float64Array): number {
  let n = 0;
  let m = 0;
  let s = 0;
  for (const v of x) {
    if (Number.isNaN(v)) continue;
    n++;
    const d = v - m;
    m += d / n;
    s += d * (v - m);
  }
  return Math.sqrt(s / n);
}

const rows: string[][] = [
  [
    'dataset',
    'test rows',
    'cols',
    'clean: profile',
    'clean: data',
    '0.5 sd: profile',
    '0.5 sd: data',
    '1 sd: profile',
    '1 sd: data',
    'bytes',
  ],
];
const pct = (a: number, b: number) => (b ? `${a}/${b}` : '—');
for (const d of all.filter((x) => !wanted || wanted.includes(x.name))) {
  const train = await read(join(dsDir, d.name, 'train.csv'));
  const types = Object.fromEntries(train.columns.map((c) => [c.name, c.type]));
  const test = await read(join(dsDir, d.name, 'test.csv'), types);
  const text = referenceJson(buildReference(train, { target: d.target }));
  const profile = parseReference(text);
  let cleanP = 0;
  let cleanD = 0;
  let compared = 0;
  const shift = { p05: 0, d05: 0, p1: 0, d1: 0, n: 0 };
  for (const ref of profile.columns) {
    const col = test.columns.find((c) => c.name === ref.name);
    const trainCol = train.columns.find((c) => c.name === ref.name)!;
    if (!col || ref.kind === 'untracked') continue;
    const refData = columnValues(trainCol);
    const p = columnDrift(ref, columnValues(col));
    const q = columnDrift(ref, columnValues(col), { referenceData: refData });
    compared++;
    if (p.drifted) cleanP++;
    if (q.drifted) cleanD++;
    if (ref.kind !== 'numeric' || ref.distinct <= 5 || col.storage !== 'float64') continue;
    const sd = std((trainCol as Extract<Column, { storage: 'float64' }>).values);
    shift.n++;
    for (const [k, sds] of [
      ['05', 0.5],
      ['1', 1],
    ] as const) {
      const moved = { ...col, values: col.values.map((v) => v + sds * sd) } as Column;
      if (columnDrift(ref, columnValues(moved)).drifted) shift[`p${k}`]++;
      if (columnDrift(ref, columnValues(moved), { referenceData: refData }).drifted) shift[`d${k}`]++;
    }
  }
  rows.push([
    d.name,
    String(test.nRows),
    String(compared),
    pct(cleanP, compared),
    pct(cleanD, compared),
    pct(shift.p05, shift.n),
    pct(shift.d05, shift.n),
    pct(shift.p1, shift.n),
    pct(shift.d1, shift.n),
    String(text.length),
  ]);
}
const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
for (const r of rows) console.log(r.map((c, j) => c.padEnd(widths[j]!)).join('  '));
