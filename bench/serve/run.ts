/**
 * Scoring server benchmark (issue 19): `cli serve` in its own process, a keep-alive load generator
 * (load.ts: raw sockets, requests built once) in another, one per scenario. Single-row and 1,000-row JSON requests (dataframe_split) at 1
 * and 50 concurrent connections, each bounded in time and count: requests/s, rows/s, p50/p99
 * latency, errors; and the server's rows/s at 1,000-row requests as a ratio of in-process scoring
 * (the code `cli predict` runs, on the same rows). Goals: 0 errors; p99 of single-row requests under
 * 20 ms at 50 connections; ratio ≥ 0.5. Prints the CPU share of the generator and of the server per
 * scenario (the machine's cores are shared: what the generator uses, the server cannot).
 *
 * Usage: npx tsx bench/serve/run.ts [--dataset diamonds] [--target price] [--seconds 5]
 *          [--max-requests 20000] [--bundle model.zip] [--workers N] [--no-batching]
 *          [--pipelining 1] [--only single|bulk] [--server-root DIR]
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../../src/cli/run.ts';
import { loadVerifiedBundleArg } from '../../src/cli/bundle-io.ts';
import { ServingModel } from '../../src/core/serve/index.ts';
import { frameFromJson } from '../../src/core/serve/frame.ts';
import { nodeHasher } from '../../src/cli/node-io.ts';
import { postRequest, type LoadResult } from './load.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'diamonds' },
    target: { type: 'string', default: 'price' },
    seconds: { type: 'string', default: '5' },
    'max-requests': { type: 'string', default: '20000' },
    bundle: { type: 'string' },
    workers: { type: 'string', default: '1' },
    'no-batching': { type: 'boolean', default: false },
    pipelining: { type: 'string', default: '1' },
    only: { type: 'string' },
    'server-root': { type: 'string' },
  },
});
const PIPELINING = Number(values.pipelining);
if (values.only !== undefined && values.only !== 'single' && values.only !== 'bulk')
  throw new Error(`--only takes single or bulk, got ${values.only}`);
const SECONDS = Number(values.seconds);
const MAX_REQUESTS = Number(values['max-requests']);
const dataDir = join(ROOT, 'test/fixtures/datasets', values.dataset!);

async function cli(argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  if (code !== 0) throw new Error(`${argv[0]} failed: ${err}`);
  return out;
}

let bundle = values.bundle;
if (!bundle) {
  bundle = join(mkdtempSync(join(tmpdir(), 'bench-serve-')), 'model.zip');
  process.stderr.write(`fitting a GBDT on ${values.dataset} (target ${values.target})…\n`);
  const t = performance.now();
  await cli([
    'fit',
    join(dataDir, 'train.csv'),
    '--target',
    values.target!,
    '--model',
    'gbdt',
    '--out',
    bundle,
    '--no-track',
    '--seed',
    '1',
  ]);
  process.stderr.write(`fitted in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

// Request bodies: rows of the test split as dataframe_split, typed by the model's signature.
const { bundle: loaded } = await loadVerifiedBundleArg(bundle);
const types = new Map(loaded.manifest.signature.inputs.map((c) => [c.name, c.type]));
const lines = readFileSync(join(dataDir, 'test.csv'), 'utf8').trim().split('\n');
const header = lines[0].split(',');
const keep = header.map((h, j) => [h, j] as const).filter(([h]) => types.has(h));
const columns = keep.map(([h]) => h);
const rows = lines.slice(1).map((l) => {
  const cells = l.split(',');
  return keep.map(([h, j]) => {
    const t = types.get(h);
    const v = cells[j];
    return t === 'numeric' || t === 'integer' ? (v === '' ? null : Number(v)) : v;
  });
});
const body = (from: number, n: number) => {
  const data = [];
  for (let i = 0; i < n; i++) data.push(rows[(from + i) % rows.length]);
  return Buffer.from(JSON.stringify({ dataframe_split: { columns, data } }));
};
const single = Array.from({ length: 64 }, (_, i) => body(i * 7, 1));
const thousand = Array.from({ length: 4 }, (_, i) => body(i * 1000, 1000));

// In-process throughput of the same scoring code (no HTTP), on the 1,000-row bodies.
const model = new ServingModel(loaded, { createHasher: nodeHasher });
const frames = thousand.map((b) => frameFromJson(JSON.parse(b.toString('utf8'))));
for (let i = 0; i < 3; i++) await model.scoreFrame(frames[i % frames.length]);
/** Rows/s of the in-process scorer over a fixed time (measured before and after the load: the better one). */
async function inProcess(): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    const s = await model.scoreFrame(frames[(n / 1000) % frames.length]);
    n += s.predictions.nRows;
  }
  return n / ((performance.now() - t0) / 1000);
}
const inBefore = await inProcess();

// The server, in its own process.
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    bundle,
    '--port',
    '0',
    '--json',
    '--quiet',
    '--workers',
    values.workers!,
    ...(values['no-batching'] ? ['--no-batching'] : []),
  ],
  {
    // --server-root: serve with another checkout's code (to compare two versions under one load)
    cwd: values['server-root'] ? resolve(values['server-root']) : ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
// never leave the server behind, whatever ends this process
process.on('exit', () => void child.kill('SIGKILL'));
const url: string = await new Promise((res, rej) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    const nl = out.indexOf('\n');
    if (nl >= 0) res(JSON.parse(out.slice(0, nl)).url);
  });
  child.on('exit', (code) => rej(new Error(`serve exited (${code})`)));
});
const { hostname, port } = new URL(url);

/** Bytes of CPU time (user + system, seconds) a process and its children (the --workers) used so far; Linux /proc. */
function serverCpuSeconds(pid: number): number | null {
  const tick = 100; // USER_HZ on Linux
  const read = (p: number): number[] | null => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
    } catch {
      return null;
    }
  };
  const own = read(pid);
  if (!own) return null;
  // fields after the name: state(0) ppid(1) … utime(11) stime(12)
  let ticks = own[11] + own[12];
  try {
    for (const d of readdirSync('/proc'))
      if (/^\d+$/.test(d)) {
        const f = read(Number(d));
        if (f && f[1] === pid) ticks += f[11] + f[12];
      }
  } catch {
    /* no /proc listing: the server process alone */
  }
  return ticks / tick;
}

interface Result {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  rowsPerRequest: number;
  latencies: Float64Array;
  /** CPU time of the load generator and of the server over the scenario, seconds. */
  generatorCpu: number;
  serverCpu: number | null;
}

/** One scenario, the generator in its own process (load.ts) so it never shares an event loop with the measuring. */
const results: Result[] = [];

async function load(
  name: string,
  payloads: Buffer[],
  rowsPerRequest: number,
  connections: number,
): Promise<Result> {
  const requests = payloads.map((b) =>
    postRequest(hostname, Number(port), '/invocations', 'application/json', b).toString('base64'),
  );
  const resultFile = join(resultDir, `load-${results.length}.json`);
  const gen = fork(join(import.meta.dirname, 'load.ts'), ['--load-child', resultFile], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const serverBefore = serverCpuSeconds(child.pid!);
  const code = await new Promise<number | null>((res) => {
    gen.once('exit', res);
    gen.send({
      host: hostname,
      port: Number(port),
      requests,
      connections,
      pipelining: PIPELINING,
      seconds: SECONDS,
      maxRequests: MAX_REQUESTS,
    });
  });
  if (code !== 0) throw new Error(`the load generator failed (exit ${code})`);
  const r = JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<LoadResult, 'latencies'> & {
    latencies: number[];
  };
  const serverAfter = serverCpuSeconds(child.pid!);
  return {
    name,
    requests: r.requests,
    errors: r.errors,
    seconds: r.seconds,
    rowsPerRequest,
    latencies: Float64Array.from(r.latencies),
    generatorCpu: r.cpuSeconds,
    // the server's CPU over the generator's whole life (warm-up included): an upper bound
    serverCpu: serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore,
  };
}

const pct = (xs: Float64Array, p: number) => {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const resultDir = mkdtempSync(join(tmpdir(), 'bench-serve-load-'));
const load0 = loadavg();
for (const [payloads, rowsPer] of [
  [single, 1],
  [thousand, 1000],
] as const) {
  if (values.only === (rowsPer === 1 ? 'bulk' : 'single')) continue;
  for (const connections of [1, 50])
    results.push(
      await load(
        `${rowsPer === 1 ? '1 row' : '1,000 rows'} × ${connections} conn`,
        payloads as Buffer[],
        rowsPer,
        connections,
      ),
    );
}
const load1 = loadavg();

child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
const inProcessRowsPerSec = Math.max(inBefore, await inProcess());

const pad = (s: string, n: number) => s.padStart(n);
const cores = availableParallelism();
console.log(
  `\nscoring server: ${values.dataset} GBDT (${loaded.manifest.task}), ${values.workers} worker(s), batching ${values['no-batching'] ? 'off' : 'on'}, ${SECONDS} s per scenario, ` +
    `load generator in its own process (raw sockets, ${PIPELINING} request${PIPELINING === 1 ? '' : 's'} in flight per connection), node ${process.version}, ${cores} cores`,
);
console.log(
  `load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`,
);
console.log(
  `${'scenario'.padEnd(22)}${pad('requests', 10)}${pad('req/s', 10)}${pad('rows/s', 12)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}${pad('gen CPU', 9)}${pad('srv CPU', 9)}`,
);
// CPU as a share of one core over the scenario (the machine has `cores` of them)
const share = (cpu: number | null, r: Result) =>
  cpu === null ? 'n/a' : `${((100 * cpu) / r.seconds).toFixed(0)}%`;
for (const r of results) {
  const rps = r.requests / r.seconds;
  console.log(
    `${r.name.padEnd(22)}${pad(String(r.requests), 10)}${pad(rps.toFixed(0), 10)}${pad((rps * r.rowsPerRequest).toFixed(0), 12)}` +
      `${pad(pct(r.latencies, 50).toFixed(2), 9)}${pad(pct(r.latencies, 99).toFixed(2), 9)}${pad(String(r.errors), 8)}` +
      `${pad(share(r.generatorCpu, r), 9)}${pad(share(r.serverCpu, r), 9)}`,
  );
}
console.log(
  `(gen/srv CPU: the load generator's and the server's CPU time as a share of one core; the server's counts its warm-up too. ` +
    `What neither uses of the ${cores * 100}% is left to other processes.)`,
);
console.log(`\nin-process scoring (same code, no HTTP): ${inProcessRowsPerSec.toFixed(0)} rows/s`);
const bulk = results.filter((r) => r.rowsPerRequest === 1000);
if (bulk.length) {
  const best1000 = Math.max(...bulk.map((r) => (r.requests * 1000) / r.seconds));
  console.log(
    `server rows/s at 1,000-row requests ÷ in-process: ${(best1000 / inProcessRowsPerSec).toFixed(2)} (goal ≥ 0.5)`,
  );
}
const single50 = results.find((r) => r.rowsPerRequest === 1 && r.name.endsWith('50 conn'));
if (single50)
  console.log(
    `p99 of single-row requests at 50 connections: ${pct(single50.latencies, 99).toFixed(2)} ms (goal < 20 ms)`,
  );
console.log(`errors: ${results.reduce((s, r) => s + r.errors, 0)} (goal 0)`);
