/**
 * A real lookup case (README.md beside this file): US flights of 2001 joined with the airports they fly
 * from and to, from the `vega-datasets` npm package (a devDependency; no network at run time).
 *
 *   npx tsx bench/features/flights.ts [--dir DIR] [--budget 30] [--max-trials N] [--size 20k] [--seed 1]
 *
 * 1. reads data/flights-<size>.json (date, delay, distance, origin, destination) and data/airports.csv
 *    (iata, name, city, state, country, latitude, longitude); the target is `delayed` (delay > 15 min,
 *    the BTS definition of a late arrival), the raw delay is dropped; the flights in time order are cut
 *    80/20 into train and test (the test flights are all later);
 * 2. suggests lookup features over flights.origin → airports.iata and flights.destination → airports.iata
 *    (given: their names do not say so) and builds them;
 * 3. runs `cli automl --time-column date` on the flights alone, with the recipe (`--recipe --table
 *    airports=…`, scored by `cli predict --table`), and with the recipe but without the airport codes
 *    themselves (`--exclude origin,destination`); reports validation and test ROC AUC.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource } from '../../src/cli/node-io.ts';
import { buildFeatures, suggestFeatures, type Relationship } from '../../src/core/features/index.ts';
import { rocAuc } from '../../src/core/metrics/classification.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'automl-flights-bench') },
    budget: { type: 'string', default: '30' },
    'max-trials': { type: 'string' },
    size: { type: 'string', default: '20k' },
    seed: { type: 'string', default: '1' },
  },
});
const dir = values.dir;
mkdirSync(dir, { recursive: true });

const DATA = join(ROOT, 'node_modules', 'vega-datasets', 'data');
const flightsFile = join(DATA, `flights-${values.size}.json`);
if (!existsSync(flightsFile)) {
  console.error(
    `${flightsFile} not found: install the devDependencies (npm ci) — vega-datasets ships flights-2k/5k/10k/20k.json`,
  );
  process.exit(2);
}
const version = JSON.parse(readFileSync(join(DATA, '..', 'package.json'), 'utf8')).version as string;

interface Flight {
  date: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}
const flights = (JSON.parse(readFileSync(flightsFile, 'utf8')) as Flight[])
  .map((f, i) => ({ f, i }))
  // "2001/01/01 00:47" sorts as text in time order; ties keep the file's order
  .sort((a, b) => (a.f.date < b.f.date ? -1 : a.f.date > b.f.date ? 1 : a.i - b.i))
  .map((x) => x.f);
const cut = Math.floor(flights.length * 0.8);
const csv = (rows: Flight[]): string =>
  'date,distance,origin,destination,delayed\n' +
  rows
    .map((f) => `${f.date},${f.distance},${f.origin},${f.destination},${f.delay > 15 ? 'yes' : 'no'}`)
    .join('\n') +
  '\n';
const trainPath = join(dir, 'flights_train.csv');
const testPath = join(dir, 'flights_test.csv');
const airportsPath = join(dir, 'airports.csv');
writeFileSync(trainPath, csv(flights.slice(0, cut)));
writeFileSync(testPath, csv(flights.slice(cut)));
writeFileSync(airportsPath, readFileSync(join(DATA, 'airports.csv')));
const late = (rows: Flight[]) => rows.filter((f) => f.delay > 15).length;
console.log(
  `vega-datasets ${version}: flights-${values.size}.json ${flights.length} flights (${flights[0].date} … ${flights[flights.length - 1].date}), ` +
    `train ${cut} (${late(flights.slice(0, cut))} late), test ${flights.length - cut} (${late(flights.slice(cut))} late, from ${flights[cut].date}); ` +
    `airports.csv`,
);

const load = async (p: string) => (await ingestCsv(fileSource(p))).table;
const tables = { flights: await load(trainPath), airports: await load(airportsPath) };
console.log(`airports: ${tables.airports.nRows} rows`);
const link = (column: string): Relationship => ({
  child: 'flights',
  childColumn: column,
  parent: 'airports',
  parentColumn: 'iata',
});
const s = suggestFeatures(tables, {
  target: 'flights',
  label: 'delayed',
  relationships: [link('origin'), link('destination')],
  name: 'flights-airports',
});
console.log(
  `relationships proposed from names and values alone: ${s.proposals.relationships.length ? s.proposals.relationships.map((r) => r.text).join('; ') : 'none'} (the two links are given)`,
);
const recipePath = join(dir, 'recipe.json');
writeFileSync(recipePath, JSON.stringify(s.recipe, null, 2) + '\n');
let t0 = performance.now();
const built = buildFeatures(s.recipe, tables);
const buildMs = performance.now() - t0;
for (const r of built.relationships) console.log(`  ${r.text}`);
console.log(
  `lookup features (${s.recipe.features.length}, built in ${buildMs.toFixed(0)} ms), association with delayed:`,
);
for (const f of s.features)
  console.log(`  ${f.name.padEnd(24)} ${f.association.toFixed(4)} ${f.method ?? ''}`);

function cli(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** automl on train (validated in time order), predict on test: validation and test ROC AUC. */
function automl(name: string, extra: string[], tableArgs: string[]): { valid: number; test: number } {
  const out = join(dir, `m-${name}.zip`);
  const manifest = JSON.parse(
    cli([
      'automl',
      trainPath,
      '--target',
      'delayed',
      '--time-column',
      'date',
      '--out',
      out,
      '--budget',
      values.budget,
      '--seed',
      values.seed,
      ...(values['max-trials'] ? ['--max-trials', values['max-trials']] : []),
      ...extra,
      ...tableArgs,
      '--no-track',
      '--json',
    ]),
  );
  const predPath = join(dir, `m-${name}-pred.csv`);
  cli(['predict', out, testPath, ...tableArgs, '--out', predPath]);
  const lines = readFileSync(predPath, 'utf8').trimEnd().split('\n');
  const j = lines[0].split(',').indexOf('yes');
  if (j < 0) throw new Error(`${predPath}: no 'yes' probability column (${lines[0]})`);
  const score = lines.slice(1).map((l) => Number(l.split(',')[j]));
  const y = Int32Array.from(flights.slice(cut), (f) => (f.delay > 15 ? 1 : 0));
  return { valid: manifest.metrics.validation.roc_auc, test: rocAuc(y, score) };
}

const recipeArgs = ['--recipe', recipePath];
const airportArgs = ['--table', `airports=${airportsPath}`];
const rows: [string, { valid: number; test: number }][] = [];
t0 = performance.now();
rows.push(['flights alone', automl('alone', [], [])]);
rows.push(['+ airport lookups (origin, destination)', automl('lookup', recipeArgs, airportArgs)]);
rows.push([
  '+ airport lookups, without the airport codes',
  automl('lookup-nocodes', [...recipeArgs, '--exclude', 'origin', '--exclude', 'destination'], airportArgs),
]);
const trials = values['max-trials'] ? `, --max-trials ${values['max-trials']}` : '';
console.log(
  `\nAutoML (--budget ${values.budget}${trials}, --seed ${values.seed}, --time-column date), ROC AUC of delayed (${((performance.now() - t0) / 1000).toFixed(0)} s):`,
);
console.log(`${'run'.padEnd(46)} ${'validation'.padStart(10)} ${'test'.padStart(8)}`);
for (const [name, m] of rows)
  console.log(`${name.padEnd(46)} ${m.valid.toFixed(4).padStart(10)} ${m.test.toFixed(4).padStart(8)}`);
