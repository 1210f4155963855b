/**
 * Monitoring benchmark (issue 16): drift detection power and false alarms on every dataset in
 * ../shared/datasets (or $DATASETS_DIR), the report's speed on a 100,000-row batch, and the CBPE
 * estimate's error on the binary datasets.
 *
 *   npx tsx bench/monitor/run.ts [--datasets a,b] [--seed 7] [--no-cbpe | --only-cbpe] [--json out.json]
 *
 * Reference = train.csv (statistics on the data). For each dataset and each input column, batches
 * made from test.csv with only that column changed:
 * - numbers (more than 5 distinct values): shifted by 0.5 and by 1 standard deviation (of train);
 * - categories: the top category's share halved (half of its rows moved to the other categories,
 *   in proportion, seeded);
 * - any column: 30% of its values made missing (flagged when the column drifts or a warning names
 *   the missing-value jump).
 * And the unshifted test.csv: the share of columns flagged (false alarms) and the dataset verdict.
 * Goals: ≥ 95% of shifted numeric columns flagged at 1 sd; ≥ 80% at 0.5 sd where test.csv has
 * ≥ 1,000 rows; unshifted columns flagged on ≤ 5%; the verdict wrong on at most one unshifted
 * dataset; a 100,000-row × 30-column report in under 2 s.
 * CBPE: on each binary dataset a default GBDT is fitted (CLI code path), then test.csv is monitored
 * with and without its target: estimated vs actual ROC AUC and accuracy.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { columnByName, type Column, type Table } from '../../src/core/data/table.ts';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import {
  buildReference,
  columnDrift,
  columnValues,
  driftReport,
  type ColumnReference,
} from '../../src/core/monitor/index.ts';
import { createRng } from '../../src/core/util/random.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string' },
    seed: { type: 'string', default: '7' },
    'no-cbpe': { type: 'boolean', default: false },
    'only-cbpe': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'monitor');
mkdirSync(outDir, { recursive: true });
const all = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as {
  name: string;
  target: string;
  task: 'binary' | 'multiclass' | 'regression';
}[];
const wanted = values.datasets?.split(',');
const datasets = all.filter((d) => !wanted || wanted.includes(d.name));
const seed = Number(values.seed);
const onlyCbpe = values['only-cbpe'];

async function read(file: string, types?: Record<string, Column['type']>): Promise<Table> {
  return (
    await ingestCsv(fileSource(file), {
      createHasher: nodeHasher,
      ...(types ? { typeOverrides: types } : {}),
    })
  ).table;
}

function withValues(col: Column, values: Float64Array): Column {
  return { name: col.name, type: col.type, storage: 'float64', values } as Column;
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

/** A copy of a column with share `p` of its values made missing (seeded). */
function withMissing(col: Column, p: number, s: number): Column {
  const rng = createRng(s);
  switch (col.storage) {
    case 'float64':
    case 'datetime':
      return { ...col, values: col.values.map((v) => (rng.next() < p ? NaN : v)) };
    case 'dict':
      return { ...col, codes: col.codes.map((c) => (rng.next() < p ? -1 : c)) };
    case 'bool':
      return { ...col, values: col.values.map((v) => (rng.next() < p ? 255 : v)) };
  }
}

/** Halve the top category's share: half of its rows move to the other categories in proportion. */
function halveTop(col: Column, ref: ColumnReference, s: number): Column | null {
  if (ref.kind !== 'categorical' || ref.categories.length < 2) return null;
  const top = ref.categories[0]!;
  const others = ref.categories.slice(1);
  const weights = ref.counts.slice(1);
  const total = weights.reduce((a, b) => a + b, 0);
  const rng = createRng(s);
  const pickOther = () => {
    let u = rng.next() * total;
    for (let i = 0; i < others.length; i++) if ((u -= weights[i]!) < 0) return others[i]!;
    return others[others.length - 1]!;
  };
  if (col.storage === 'dict') {
    const dictionary = [...col.dictionary];
    const code = (v: string) => {
      let c = dictionary.indexOf(v);
      if (c < 0) c = dictionary.push(v) - 1;
      return c;
    };
    const topCode = dictionary.indexOf(top);
    const codes = col.codes.map((c) =>
      c === topCode && topCode >= 0 && rng.next() < 0.5 ? code(pickOther()) : c,
    );
    return { ...col, codes, dictionary };
  }
  if (col.storage === 'bool') {
    const labels = col.labels ?? ['false', 'true'];
    const topV = labels.indexOf(top);
    return { ...col, values: col.values.map((v) => (v === topV && rng.next() < 0.5 ? 1 - v : v)) };
  }
  return null;
}

interface Row {
  dataset: string;
  testRows: number;
  numeric: number;
  flagged1sd: number;
  flagged05sd: number;
  categorical: number;
  flaggedTopHalved: number;
  missing30: number;
  flaggedMissing30: number;
  unshiftedColumns: number;
  unshiftedFlagged: number;
  verdict: string;
  reportMs: number;
}
const rows: Row[] = [];

for (const d of onlyCbpe ? [] : datasets) {
  const dir = join(dsDir, d.name);
  const train = await read(join(dir, 'train.csv'));
  const types = Object.fromEntries(train.columns.map((c) => [c.name, c.type]));
  const test = await read(join(dir, 'test.csv'), types);
  const reference = buildReference(train, { target: d.target });
  const t0 = performance.now();
  const clean = driftReport({ reference, batch: test, referenceData: train });
  const reportMs = performance.now() - t0;
  const row: Row = {
    dataset: d.name,
    testRows: test.nRows,
    numeric: 0,
    flagged1sd: 0,
    flagged05sd: 0,
    categorical: 0,
    flaggedTopHalved: 0,
    missing30: 0,
    flaggedMissing30: 0,
    unshiftedColumns: clean.compared,
    unshiftedFlagged: clean.drifted,
    verdict: clean.verdict,
    reportMs,
  };
  let k = 0;
  for (const ref of reference.columns) {
    const col = columnByName(test, ref.name);
    const refCol = columnByName(train, ref.name);
    if (!col || !refCol || ref.kind === 'untracked') continue;
    const refData = columnValues(refCol);
    const flagged = (c: Column, quality = false) => {
      const r = columnDrift(ref, columnValues(c), { referenceData: refData });
      return r.drifted || (quality && r.findings.some((f) => f.kind === 'missing_jump'));
    };
    k++;
    if (
      ref.kind === 'numeric' &&
      ref.distinct > 5 &&
      (col.storage === 'float64' || col.storage === 'datetime')
    ) {
      const sd = std((refCol as { values: Float64Array }).values);
      row.numeric++;
      if (
        flagged(
          withValues(
            col,
            col.values.map((v) => v + sd),
          ),
        )
      )
        row.flagged1sd++;
      if (
        flagged(
          withValues(
            col,
            col.values.map((v) => v + 0.5 * sd),
          ),
        )
      )
        row.flagged05sd++;
    }
    const halved = halveTop(col, ref, seed + k);
    if (halved) {
      row.categorical++;
      if (flagged(halved)) row.flaggedTopHalved++;
    }
    row.missing30++;
    if (flagged(withMissing(col, 0.3, seed + 1000 + k), true)) row.flaggedMissing30++;
  }
  rows.push(row);
  process.stderr.write(`${d.name}: done\n`);
}

// Speed: a 100,000-row × 30-column batch against a 10,000-row reference, from the stored profile
// and from the data.
const speed = (() => {
  if (onlyCbpe) return { profileMs: NaN, dataMs: NaN };
  const rng = createRng(seed);
  const mk = (n: number, shift: number): Table => ({
    nRows: n,
    columns: Array.from({ length: 30 }, (_, j) =>
      j % 3 === 2
        ? ({
            name: `c${j}`,
            type: 'categorical',
            storage: 'dict',
            dictionary: Array.from({ length: 20 }, (_, i) => `v${i}`),
            codes: Int32Array.from({ length: n }, () =>
              Math.min(19, Math.floor(-Math.log(1 - rng.next()) * 4)),
            ),
          } as Column)
        : ({
            name: `c${j}`,
            type: 'numeric',
            storage: 'float64',
            values: Float64Array.from({ length: n }, () => rng.normal() + shift),
          } as Column),
    ),
  });
  const ref = mk(10_000, 0);
  const batch = mk(100_000, 0.1);
  const reference = buildReference(ref);
  let t = performance.now();
  driftReport({ reference, batch });
  const profileMs = performance.now() - t;
  t = performance.now();
  driftReport({ reference, batch, referenceData: ref });
  const dataMs = performance.now() - t;
  return { profileMs, dataMs };
})();

// CBPE on the binary datasets.
const cbpe: {
  dataset: string;
  aucActual: number;
  aucEstimated: number;
  accActual: number;
  accEstimated: number;
  /** The estimate's standard errors (the report's), to read the errors against. */
  aucSe: number;
  accSe: number;
  /** The model's validation ROC AUC (the holdout its calibration map was fitted on). */
  aucValidation: number;
  calibration: string;
}[] = [];
if (!values['no-cbpe']) {
  for (const d of datasets.filter((x) => x.task === 'binary')) {
    const dir = join(dsDir, d.name);
    const zip = join(outDir, `${d.name}.zip`);
    const cli = (args: string[]) =>
      execFileSync('npx', ['tsx', join(root, 'src/cli/main.ts'), ...args], {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 256 << 20,
      });
    cli(['fit', join(dir, 'train.csv'), '--target', d.target, '--out', zip, '--no-track', '--model', 'gbdt']);
    const noTarget = join(outDir, `${d.name}.no-target.csv`);
    // Drop the target column with the CLI's own reader semantics: rewrite through a tiny CSV pass.
    const test = await read(join(dir, 'test.csv'));
    const kept = test.columns.filter((c) => c.name !== d.target);
    writeFileSync(noTarget, toCsv({ nRows: test.nRows, columns: kept }));
    const actual = JSON.parse(
      cli([
        'monitor',
        zip,
        join(dir, 'test.csv'),
        '--reference',
        join(dir, 'train.csv'),
        '--json',
        '--no-track',
      ]),
    );
    const est = JSON.parse(
      cli(['monitor', zip, noTarget, '--reference', join(dir, 'train.csv'), '--json', '--no-track']),
    );
    type Perf = {
      performance: {
        metrics: { metric: string; value: number; standardError?: number; validation?: number }[];
      };
    };
    const find = (r: Perf, k: string) => r.performance.metrics.find((x) => x.metric === k)!;
    const m = (r: Perf, k: string) => find(r, k).value;
    cbpe.push({
      dataset: d.name,
      aucActual: m(actual, 'roc_auc'),
      aucEstimated: m(est, 'roc_auc'),
      accActual: m(actual, 'accuracy'),
      accEstimated: m(est, 'accuracy'),
      aucSe: find(est, 'roc_auc').standardError ?? NaN,
      accSe: find(est, 'accuracy').standardError ?? NaN,
      aucValidation: find(est, 'roc_auc').validation ?? NaN,
      calibration: (est as { performance: { calibration?: string } }).performance.calibration ?? 'not stored',
    });
    process.stderr.write(`${d.name}: cbpe done\n`);
  }
}

function toCsv(t: Table): string {
  const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [t.columns.map((c) => esc(c.name)).join(',')];
  for (let i = 0; i < t.nRows; i++) {
    lines.push(
      t.columns
        .map((c) => {
          switch (c.storage) {
            case 'float64':
              return Number.isNaN(c.values[i]!) ? '' : String(c.values[i]);
            case 'datetime':
              return Number.isNaN(c.values[i]!) ? '' : new Date(c.values[i]!).toISOString();
            case 'dict':
              return c.codes[i]! < 0 ? '' : esc(c.dictionary[c.codes[i]!]!);
            case 'bool':
              return c.values[i] === 255 ? '' : (c.labels ?? ['false', 'true'])[c.values[i]!]!;
          }
        })
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(0)}%` : '—');
if (!onlyCbpe) {
  console.log(
    '| dataset | test rows | numeric: 1 sd | 0.5 sd | categorical: top halved | 30% missing | unshifted flagged | verdict (unshifted) | report ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.dataset} | ${r.testRows} | ${r.flagged1sd}/${r.numeric} | ${r.flagged05sd}/${r.numeric} | ${r.flaggedTopHalved}/${r.categorical} | ${r.flaggedMissing30}/${r.missing30} | ${r.unshiftedFlagged}/${r.unshiftedColumns} | ${r.verdict} | ${r.reportMs.toFixed(0)} |`,
    );
  }
}
const sum = (f: (r: Row) => number, rs = rows) => rs.reduce((s, r) => s + f(r), 0);
const big = rows.filter((r) => r.testRows >= 1000);
const goals = {
  at1sd:
    sum((r) => r.flagged1sd) /
    Math.max(
      1,
      sum((r) => r.numeric),
    ),
  at05sdBig:
    sum((r) => r.flagged05sd, big) /
    Math.max(
      1,
      sum((r) => r.numeric, big),
    ),
  topHalved:
    sum((r) => r.flaggedTopHalved) /
    Math.max(
      1,
      sum((r) => r.categorical),
    ),
  missing30:
    sum((r) => r.flaggedMissing30) /
    Math.max(
      1,
      sum((r) => r.missing30),
    ),
  falseAlarms:
    sum((r) => r.unshiftedFlagged) /
    Math.max(
      1,
      sum((r) => r.unshiftedColumns),
    ),
  wrongVerdicts: rows.filter((r) => r.verdict !== 'no drift').length,
};
if (!onlyCbpe) {
  console.log('');
  console.log(`numeric columns flagged at 1 sd: ${pct(goals.at1sd, 1)} (goal ≥ 95%)`);
  console.log(
    `numeric columns flagged at 0.5 sd, test ≥ 1,000 rows: ${pct(goals.at05sdBig, 1)} (goal ≥ 80%)`,
  );
  console.log(`categorical columns flagged with the top share halved: ${pct(goals.topHalved, 1)}`);
  console.log(`columns flagged with 30% missing (drift or missing-jump warning): ${pct(goals.missing30, 1)}`);
  console.log(`unshifted columns flagged: ${pct(goals.falseAlarms, 1)} (goal ≤ 5%)`);
  console.log(`unshifted datasets with a drift verdict: ${goals.wrongVerdicts} (goal ≤ 1)`);
  console.log(
    `100,000 × 30 batch vs 10,000-row reference: ${speed.profileMs.toFixed(0)} ms from the stored profile, ${speed.dataMs.toFixed(0)} ms on the data (goal < 2,000 ms)`,
  );
}
if (cbpe.length) {
  console.log('');
  console.log(
    '| dataset | calibration | ROC AUC validation | actual | estimated (CBPE) | abs error | error / SE | accuracy actual | estimated | abs error | error / SE |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cbpe) {
    const auc = Math.abs(c.aucActual - c.aucEstimated);
    const acc = Math.abs(c.accActual - c.accEstimated);
    console.log(
      `| ${c.dataset} | ${c.calibration} | ${c.aucValidation.toFixed(4)} | ${c.aucActual.toFixed(4)} | ${c.aucEstimated.toFixed(4)} | ${auc.toFixed(4)} | ${(auc / c.aucSe).toFixed(2)} | ${c.accActual.toFixed(4)} | ${c.accEstimated.toFixed(4)} | ${acc.toFixed(4)} | ${(acc / c.accSe).toFixed(2)} |`,
    );
  }
  console.log(
    "error / SE: the absolute error in units of the estimate's standard error; the realized metric of a test split has a sampling error of about the same size, so errors up to ~2 SE are what an unbiased estimate gives.",
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ rows, goals, speed, cbpe }, null, 2));
