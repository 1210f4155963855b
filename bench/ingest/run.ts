/**
 * Ingest benchmark: a seeded 1,000,000 × 30 mixed CSV (cached under .bench-out/), parsed (and profiled when
 * src/core/profile/index.ts exists) in Node, against pandas read_csv + describe(include='all').
 * Run: npx tsx bench/ingest/run.ts [--rows N] [--no-profile] [--no-pandas]
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBenchCsv } from './generate.ts';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import type { Table } from '../../src/core/data/table.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2);
const rowsArg = args.indexOf('--rows');
const rows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
const outDir = resolve(root, '.bench-out');
const file = resolve(outDir, `ingest-${rows}x30.csv`);

if (args.includes('--generate')) {
  generateBenchCsv(file, rows);
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
if (!existsSync(file)) {
  console.log(`generating ${file} …`);
  const g = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--generate', '--rows', String(rows)],
    {
      stdio: 'inherit',
    },
  );
  if (g.status !== 0) process.exit(g.status ?? 1);
}
const size = statSync(file).size;
const mb = size / 1024 / 1024;

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);

type ProfileFn = (t: Table) => unknown;
let profileTable: ProfileFn | undefined;
const profilePath = resolve(root, 'src/core/profile/index.ts');
if (existsSync(profilePath) && !args.includes('--no-profile')) {
  try {
    const mod = (await import(profilePath)) as { profileTable?: ProfileFn };
    profileTable = mod.profileTable;
  } catch (err) {
    console.log(`profile module failed to load: ${(err as Error).message}`);
  }
}

const t0 = performance.now();
const result = await ingestCsv(fileSource(file), { createHasher: nodeHasher });
const t1 = performance.now();
if (profileTable) profileTable(result.table);
const t2 = performance.now();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const maxRss = process.resourceUsage().maxRSS * 1024;

const parseS = (t1 - t0) / 1000;
const totalS = (t2 - t0) / 1000;
console.log(
  `file: ${file} (${mb.toFixed(1)} MB, ${result.table.nRows} rows × ${result.table.columns.length} cols)`,
);
console.log(`types: ${result.schema.map((c) => `${c.name}:${c.type}`).join(' ')}`);
if (result.fixups.length) console.log(`fixups: ${result.fixups.map((f) => f.message).join('; ')}`);
console.log(
  `ours: parse ${parseS.toFixed(2)} s (${(result.table.nRows / parseS / 1e6).toFixed(2)} M rows/s, ${(mb / parseS).toFixed(0)} MB/s)` +
    (profileTable
      ? `, profile ${(totalS - parseS).toFixed(2)} s, total ${totalS.toFixed(2)} s`
      : ' (profile module not present: parse only)'),
);
console.log(
  `ours: peak RSS sampled ${(peak / 2 ** 20).toFixed(0)} MB, maxRSS ${(maxRss / 2 ** 20).toFixed(0)} MB = ${(maxRss / size).toFixed(2)} × file size`,
);

const py = `
import pandas as pd, time, resource, sys
t=time.time()
df=pd.read_csv(sys.argv[1])
t1=time.time()
d=df.describe(include='all')
t2=time.time()
print(t1-t, t2-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss*1024)
`;
if (args.includes('--no-pandas')) process.exit(0);
const p = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
if (p.status !== 0) {
  console.log(`pandas failed: ${p.stderr}`);
} else {
  const [pRead, pTotal, pRss] = p.stdout.trim().split(/\s+/).map(Number);
  console.log(
    `pandas: read_csv ${pRead.toFixed(2)} s, + describe ${pTotal.toFixed(2)} s, maxRSS ${(pRss / 2 ** 20).toFixed(0)} MB`,
  );
  const ours = profileTable ? totalS : parseS;
  const theirs = profileTable ? pTotal : pRead;
  console.log(
    `ratio time ours/pandas (${profileTable ? 'parse+profile vs read_csv+describe' : 'parse vs read_csv'}): ${(ours / theirs).toFixed(2)} (goal ≤ 1.5); ` +
      `peak memory / file size: ${(maxRss / size).toFixed(2)} (goal ≤ 3)`,
  );
}
