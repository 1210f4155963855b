/**
 * Scoring server benchmark (issue 19): `cli serve` in its own process, a keep-alive load generator
 * written with node:http in this one. Single-row and 1,000-row JSON requests (dataframe_split) at 1
 * and 50 concurrent connections, each bounded in time and count: requests/s, rows/s, p50/p99
 * latency, errors; and the server's rows/s at 1,000-row requests as a ratio of in-process scoring
 * (the code `cli predict` runs, on the same rows). Goals: 0 errors; p99 of single-row requests under
 * 20 ms at 50 connections; ratio ≥ 0.5.
 *
 * Usage: npx tsx bench/serve/run.ts [--dataset diamonds] [--target price] [--seconds 5]
 *          [--max-requests 20000] [--bundle model.zip] [--workers N] [--no-batching]
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../../src/cli/run.ts';
import { loadVerifiedBundleArg } from '../../src/cli/bundle-io.ts';
import { ServingModel } from '../../src/core/serve/index.ts';
import { frameFromJson } from '../../src/core/serve/frame.ts';
import { nodeHasher } from '../../src/cli/node-io.ts';

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
  },
});
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
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
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

function post(agent: Agent, payload: Buffer): Promise<number> {
  return new Promise((res) => {
    const req = request(
      {
        host: hostname,
        port,
        path: '/invocations',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
        r.on('error', () => res(0));
      },
    );
    req.on('error', () => res(0));
    req.end(payload);
  });
}

interface Result {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  rowsPerRequest: number;
  latencies: number[];
}

async function load(
  name: string,
  payloads: Buffer[],
  rowsPerRequest: number,
  connections: number,
): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  // Warm-up: a few requests per connection.
  await Promise.all(
    Array.from({ length: connections }, (_, i) => post(agent, payloads[i % payloads.length])),
  );
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const worker = async (w: number) => {
    let k = w;
    while (performance.now() < deadline && requests < MAX_REQUESTS) {
      requests++;
      const t = performance.now();
      const status = await post(agent, payloads[k++ % payloads.length]);
      latencies.push(performance.now() - t);
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { name, requests, errors, seconds, rowsPerRequest, latencies };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const results: Result[] = [];
for (const [payloads, rowsPer] of [
  [single, 1],
  [thousand, 1000],
] as const)
  for (const connections of [1, 50])
    results.push(
      await load(
        `${rowsPer === 1 ? '1 row' : '1,000 rows'} × ${connections} conn`,
        payloads as Buffer[],
        rowsPer,
        connections,
      ),
    );

child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
const inProcessRowsPerSec = Math.max(inBefore, await inProcess());

const pad = (s: string, n: number) => s.padStart(n);
console.log(
  `\nscoring server: ${values.dataset} GBDT (${loaded.manifest.task}), ${values.workers} worker(s), batching ${values['no-batching'] ? 'off' : 'on'}, ${SECONDS} s per scenario, node ${process.version}`,
);
console.log(
  `${'scenario'.padEnd(22)}${pad('requests', 10)}${pad('req/s', 10)}${pad('rows/s', 12)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}`,
);
for (const r of results) {
  const rps = r.requests / r.seconds;
  console.log(
    `${r.name.padEnd(22)}${pad(String(r.requests), 10)}${pad(rps.toFixed(0), 10)}${pad((rps * r.rowsPerRequest).toFixed(0), 12)}` +
      `${pad(pct(r.latencies, 50).toFixed(2), 9)}${pad(pct(r.latencies, 99).toFixed(2), 9)}${pad(String(r.errors), 8)}`,
  );
}
const best1000 = Math.max(
  ...results.filter((r) => r.rowsPerRequest === 1000).map((r) => (r.requests * 1000) / r.seconds),
);
const p99single50 = pct(
  results.find((r) => r.rowsPerRequest === 1 && r.name.endsWith('50 conn'))!.latencies,
  99,
);
console.log(`\nin-process scoring (same code, no HTTP): ${inProcessRowsPerSec.toFixed(0)} rows/s`);
console.log(
  `server rows/s at 1,000-row requests ÷ in-process: ${(best1000 / inProcessRowsPerSec).toFixed(2)} (goal ≥ 0.5)`,
);
console.log(`p99 of single-row requests at 50 connections: ${p99single50.toFixed(2)} ms (goal < 20 ms)`);
console.log(`errors: ${results.reduce((s, r) => s + r.errors, 0)} (goal 0)`);
