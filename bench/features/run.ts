/**
 * Multi-table feature benchmark (README.md beside this file):
 *
 *   npx tsx bench/features/run.ts [--dir DIR] [--budget 30] [--customers 20000] [--purchases 1000000] [--seed 7]
 *       [--skip-automl] [--max-trials N]
 *
 * 1. generates the shop twice (no leak, and a leak variant whose rows after the cutoff carry the label);
 * 2. times the suggestion and the build of the suggested features on 1,000,000 purchases in Node;
 * 3. checks that the point-in-time features of the leak variant are the same bytes as without the leak;
 * 4. runs `cli automl --budget B` on the target table alone, with the features, on the leak variant with
 *    the same point-in-time recipe, and with a naive recipe (no cutoff), and scores each model on the
 *    held-out customers (ROC AUC of `cli predict`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource } from '../../src/cli/node-io.ts';
import {
  buildFeatures,
  suggestFeatures,
  tableCsvLines,
  withFeatures,
  type Recipe,
  type Tables,
} from '../../src/core/features/index.ts';
import type { Table } from '../../src/core/data/table.ts';
import { rocAuc } from '../../src/core/metrics/classification.ts';
import { writeGenerated } from './generate.ts';
import { generate } from './shop.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'automl-features-bench') },
    budget: { type: 'string', default: '30' },
    customers: { type: 'string', default: '20000' },
    purchases: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '7' },
    'skip-automl': { type: 'boolean', default: false },
    'max-trials': { type: 'string' },
  },
});
const dir = values.dir;
const gen = {
  customers: Number(values.customers),
  purchases: Number(values.purchases),
  seed: Number(values.seed),
};

async function load(path: string): Promise<Table> {
  return (await ingestCsv(fileSource(path))).table;
}

function writeCsv(path: string, t: Table): void {
  writeFileSync(path, [...tableCsvLines(t)].join('\n') + '\n');
}

interface Variant {
  readonly name: string;
  readonly dir: string;
  train: Table;
  test: Table;
  purchases: Table;
  items: Table;
}

async function variant(name: string, leak: boolean): Promise<Variant> {
  const d = join(dir, name);
  const g = generate({ ...gen, leak });
  writeGenerated(d, g);
  console.log(`${name}: ${g.purchaseRows} purchases, ${g.positives} of ${gen.customers} customers positive`);
  return {
    name,
    dir: d,
    train: await load(join(d, 'customers_train.csv')),
    test: await load(join(d, 'customers_test.csv')),
    purchases: await load(join(d, 'purchases.csv')),
    items: await load(join(d, 'items.csv')),
  };
}

function tablesOf(v: Variant, split: 'train' | 'test'): Tables {
  return { customers: split === 'train' ? v.train : v.test, purchases: v.purchases, items: v.items };
}

/** Builds a recipe on train and test; writes the feature CSVs; returns their paths and the build time. */
function materialize(
  v: Variant,
  recipe: Recipe,
  tag: string,
): { train: string; test: string; seconds: number } {
  const t0 = performance.now();
  const ftrain = buildFeatures(recipe, tablesOf(v, 'train')).features;
  const ftest = buildFeatures(recipe, tablesOf(v, 'test')).features;
  const seconds = (performance.now() - t0) / 1000;
  const train = join(v.dir, `${tag}_train.csv`);
  const test = join(v.dir, `${tag}_test.csv`);
  writeCsv(train, withFeatures(v.train, ftrain));
  writeCsv(test, withFeatures(v.test, ftest));
  return { train, test, seconds };
}

function cli(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** automl on train, predict on test: validation metric (from the manifest) and test ROC AUC. */
function automl(train: string, test: string, out: string): { valid: number; test: number } {
  const manifest = JSON.parse(
    cli([
      'automl',
      train,
      '--target',
      'label',
      '--out',
      out,
      '--budget',
      values.budget,
      '--seed',
      '1',
      ...(values['max-trials'] ? ['--max-trials', values['max-trials']] : []),
      '--exclude',
      'customer_id',
      '--no-track',
      '--json',
    ]),
  );
  const predPath = `${out}-pred.csv`;
  cli(['predict', out, test, '--out', predPath]);
  const lines = readFileSync(predPath, 'utf8').trimEnd().split('\n');
  const header = lines[0].split(',');
  const j = header.indexOf('yes');
  const score = lines.slice(1).map((l) => Number(l.split(',')[j]));
  const labels = readFileSync(test, 'utf8').trimEnd().split('\n');
  const li = labels[0].split(',').indexOf('label');
  const y = Int32Array.from(labels.slice(1), (l) => (l.split(',')[li] === 'yes' ? 1 : 0));
  return { valid: manifest.metrics.validation.roc_auc, test: rocAuc(y, score) };
}

mkdirSync(dir, { recursive: true });
const noleak = await variant('noleak', false);
const leak = await variant('leak', true);

// --- suggestion and build times (1,000,000 purchases)
const cutoff = { column: 'cutoff' };
let t0 = performance.now();
const suggestion = suggestFeatures(tablesOf(noleak, 'train'), {
  target: 'customers',
  label: 'label',
  cutoff,
});
const suggestSeconds = (performance.now() - t0) / 1000;
const recipe = suggestion.recipe;
writeFileSync(join(dir, 'recipe.json'), JSON.stringify(recipe, null, 2) + '\n');
const all: Table = {
  nRows: noleak.train.nRows + noleak.test.nRows,
  columns: noleak.train.columns.map((c, j) => {
    const d = noleak.test.columns[j];
    if (c.storage === 'dict' && d.storage === 'dict') {
      const dictionary = [...c.dictionary];
      const idx = new Map(dictionary.map((s, i) => [s, i]));
      const codes = new Int32Array(c.codes.length + d.codes.length);
      codes.set(c.codes);
      d.codes.forEach((k, i) => {
        if (k < 0) return void (codes[c.codes.length + i] = -1);
        let code = idx.get(d.dictionary[k]);
        if (code === undefined) idx.set(d.dictionary[k], (code = dictionary.push(d.dictionary[k]) - 1));
        codes[c.codes.length + i] = code;
      });
      return { ...c, codes, dictionary };
    }
    const cv = (c as { values: Float64Array }).values;
    const dv = (d as { values: Float64Array }).values;
    const v = new Float64Array(cv.length + dv.length);
    v.set(cv);
    v.set(dv, cv.length);
    return { ...c, values: v } as typeof c;
  }),
};
const runs: number[] = [];
for (let k = 0; k < 3; k++) {
  t0 = performance.now();
  buildFeatures(recipe, { customers: all, purchases: noleak.purchases, items: noleak.items });
  runs.push((performance.now() - t0) / 1000);
}
runs.sort((a, b) => a - b);
console.log(
  `suggest (${suggestion.candidates} candidates scored, ${recipe.features.length} kept; ${noleak.purchases.nRows} purchases, ${noleak.train.nRows} target rows): ${suggestSeconds.toFixed(2)} s`,
);
console.log(
  `build the suggested features (${recipe.features.length} features, ${noleak.purchases.nRows} purchases, ${all.nRows} target rows): median ${runs[1].toFixed(2)} s (min ${runs[0].toFixed(2)}, max ${runs[2].toFixed(2)}; goal < 5 s)`,
);
console.log(
  'top features:',
  suggestion.features
    .slice(0, 5)
    .map((f) => `${f.name} ${f.association.toFixed(3)}`)
    .join(', '),
);

// --- leak check: the point-in-time features must not see the rows after the cutoff
const a = materialize(noleak, recipe, 'pit');
const b = materialize(leak, recipe, 'pit');
const same =
  readFileSync(a.train, 'utf8') === readFileSync(b.train, 'utf8') &&
  readFileSync(a.test, 'utf8') === readFileSync(b.test, 'utf8');
console.log(
  `leak variant, point-in-time recipe: features ${same ? 'IDENTICAL to' : 'DIFFER from'} the no-leak features`,
);
const naive = suggestFeatures(tablesOf(leak, 'train'), { target: 'customers', label: 'label' }).recipe;
const n = materialize(leak, naive, 'naive');

// the planted truth's own score: P(yes) rises with n14, which is exactly purchases_count_14d
{
  const lines = readFileSync(a.test, 'utf8').trimEnd().split('\n');
  const h = lines[0].split(',');
  const jn = h.indexOf('purchases_count_14d');
  const jl = h.indexOf('label');
  if (jn >= 0) {
    const rows = lines.slice(1).map((l) => l.split(','));
    const auc = rocAuc(
      Int32Array.from(rows, (r) => (r[jl] === 'yes' ? 1 : 0)),
      rows.map((r) => Number(r[jn])),
    );
    console.log(
      `planted truth (n14 = purchases_count_14d) on the test customers: ROC AUC ${auc.toFixed(4)} (the best any model can do)`,
    );
  }
}

if (!values['skip-automl']) {
  const rows: [string, { valid: number; test: number }][] = [];
  rows.push([
    'target table alone',
    automl(
      join(noleak.dir, 'customers_train.csv'),
      join(noleak.dir, 'customers_test.csv'),
      join(dir, 'm-alone'),
    ),
  ]);
  rows.push(['with point-in-time features', automl(a.train, a.test, join(dir, 'm-pit'))]);
  rows.push(['leak variant, point-in-time features', automl(b.train, b.test, join(dir, 'm-pit-leak'))]);
  rows.push(['leak variant, naive features (no cutoff)', automl(n.train, n.test, join(dir, 'm-naive-leak'))]);
  const trials = values['max-trials'] ? `, --max-trials ${values['max-trials']}` : '';
  console.log(`\nAutoML (--budget ${values.budget}${trials}, --seed 1), ROC AUC:`);
  console.log(`${'run'.padEnd(44)} ${'validation'.padStart(10)} ${'test'.padStart(8)}`);
  for (const [name, m] of rows)
    console.log(`${name.padEnd(44)} ${m.valid.toFixed(4).padStart(10)} ${m.test.toFixed(4).padStart(8)}`);
}
