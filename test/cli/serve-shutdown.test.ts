/**
 * `npm run cli -- serve` as a process: the --json startup line, SIGTERM with slow requests in flight
 * (they finish with the right answers, new connections are refused, exit 0), SIGINT when idle.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';
import { cli, csvRecords, fitZip, http, parsePredictions, readCsv } from './serve-helpers.ts';

const TEST = datasetFile('penguins', 'test.csv');

interface Proc {
  child: ChildProcess;
  url: string;
  port: number;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function startProcess(args: string[]): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  // --json: {"event":"listening","url":…}; else "serving <name> (…) at <url> — …".
  const url: string = line.startsWith('{') ? JSON.parse(line).url : /at (http:\/\/\S+)/.exec(line)![1];
  return { child, url, port: Number(new URL(url).port), stderr: () => err, exit };
}

/** A POST whose body is sent in two halves: the server holds it in flight until `finish()`. */
function slowPost(port: number, body: string): { finish: () => void; response: Promise<string> } {
  const bytes = Buffer.from(body);
  const half = bytes.subarray(0, bytes.length >> 1);
  let socket: Socket;
  const response = new Promise<string>((resolve, reject) => {
    socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`,
      );
      socket.write(half);
    });
    let out = '';
    socket.on('data', (d) => (out += d.toString('utf8')));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
  return { finish: () => socket.end(bytes.subarray(half.length)), response };
}

let bundle: string;
let predicted: string[][];
let records: Record<string, string | number | null>[];

beforeAll(async () => {
  bundle = await fitZip(datasetFile('penguins'), 'species', ['--params', '{"rounds": 6}']);
  predicted = parsePredictions((await cli(['predict', bundle, TEST])).out).rows;
}, 120_000);

describe('serve as a process', () => {
  it('SIGTERM: stops accepting, finishes the slow requests in flight with the right answers, exits 0', async () => {
    const proc = await startProcess([bundle, '--port', '0', '--json']);
    expect(proc.url).toBe(`http://127.0.0.1:${proc.port}`);
    const inputs = (await http(`${proc.url}/metadata`)).json().inputs;
    records = csvRecords(readCsv(TEST), inputs);
    const slices = [
      [0, 10],
      [10, 40],
      [40, records.length],
    ];
    const slow = slices.map(([a, b]) =>
      slowPost(proc.port, JSON.stringify({ dataframe_records: records.slice(a, b) })),
    );
    // Wait until the server has all three in flight (and this health request).
    for (let i = 0; ; i++) {
      const h = (await http(`${proc.url}/health`)).json();
      if (h.requests.inFlight >= 4) break;
      if (i > 100) throw new Error(`the slow requests never arrived: ${JSON.stringify(h)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.child.kill('SIGTERM');
    // New connections are refused once the server has closed its listening socket.
    for (let i = 0; ; i++) {
      const refused = await http(`${proc.url}/ping`).then(
        () => false,
        (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
      );
      if (refused) break;
      if (i > 100) throw new Error('still accepting connections after SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(proc.child.exitCode).toBeNull(); // still finishing
    for (const s of slow) s.finish();
    const answers = await Promise.all(slow.map((s) => s.response));
    answers.forEach((text, k) => {
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text.toLowerCase()).toContain('connection: close');
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      const [a, b] = slices[k];
      expect(body.rows).toBe(b - a);
      body.predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
        const row = predicted[a + i];
        expect(p.label).toBe(row[3]);
        expect(p.probabilities.Adelie).toBe(Number(row[0]));
      });
    });
    expect(await proc.exit).toBe(0);
    const log = proc
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.find((l) => l.event === 'draining')).toMatchObject({ reason: 'SIGTERM', inFlight: 3 });
    expect(log.filter((l) => l.path === '/invocations' && l.status === 200)).toHaveLength(3);
  }, 60_000);

  it('SIGINT when idle exits 0 at once; a busy port is a clear error (exit 2)', async () => {
    const proc = await startProcess([bundle, '--port', '0']);
    expect((await http(`${proc.url}/ping`)).status).toBe(200);
    const busy = await cli(['serve', bundle, '--port', String(proc.port), '--quiet']);
    expect(busy.code).toBe(2);
    expect(busy.err).toBe(
      `error: port ${proc.port} on 127.0.0.1 is in use (choose another with --port, or --port 0 for any free port)\n`,
    );
    proc.child.kill('SIGINT');
    expect(await proc.exit).toBe(0);
    expect(proc.stderr()).toMatch(/shutting down \(SIGINT\): finishing 0 requests in flight/);
  }, 60_000);

  it('--workers 2: two processes share the port, answer as predict, a dead worker is replaced, SIGTERM drains both', async () => {
    const proc = await startProcess([bundle, '--port', '0', '--json', '--workers', '2', '--quiet']);
    const inputs = (await http(`${proc.url}/metadata`)).json().inputs;
    const rows = csvRecords(readCsv(TEST), inputs);
    // A new connection each time: node:cluster hands connections to the workers in turn.
    for (let i = 0; i < 20; i++) {
      const r = await http(`${proc.url}/invocations`, {
        body: JSON.stringify({ dataframe_records: rows.slice(i, i + 5) }),
        headers: { 'content-type': 'application/json', connection: 'close' },
      });
      expect(r.status).toBe(200);
      r.json().predictions.forEach(
        (p: { label: string; probabilities: Record<string, number> }, k: number) => {
          expect(p.label).toBe(predicted[i + k][3]);
          expect(p.probabilities.Gentoo).toBe(Number(predicted[i + k][2]));
        },
      );
    }
    const pids = new Set<number>();
    for (let i = 0; i < 20 && pids.size < 2; i++)
      pids.add((await http(`${proc.url}/health`, { headers: { connection: 'close' } })).json().process.pid);
    expect(pids.size).toBe(2);
    // Kill one worker: another takes its place.
    const victim = [...pids][0];
    process.kill(victim, 'SIGKILL');
    for (let i = 0; ; i++) {
      // (a connection handed to the killed worker before the cluster noticed gets no answer)
      const h = await http(`${proc.url}/health`, { headers: { connection: 'close' }, timeoutMs: 2000 }).then(
        (r) => r.json(),
        () => null,
      );
      if (h && !pids.has(h.process.pid)) break;
      if (i > 200) throw new Error('no replacement worker');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(proc.stderr()).toContain(`worker ${victim} exited (SIGKILL): starting another`);
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  }, 90_000);

  it('refuses a tampered bundle before listening (exit 2), as predict does', async () => {
    const { readBundleFiles } = await import('../../src/cli/bundle-io.ts');
    const { bundleToZip } = await import('../../src/core/export/zip.ts');
    const { writeFileSync } = await import('node:fs');
    const files = readBundleFiles(bundle).files as Record<string, string>;
    const tampered = { ...files, 'model.json': files['model.json'].replace(/(\d)\.(\d)/, '$1.9$2') };
    expect(tampered['model.json']).not.toBe(files['model.json']);
    const path = bundle.replace(/\.zip$/, '-tampered.zip');
    writeFileSync(path, bundleToZip(tampered));
    const r = await cli(['serve', path, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/model\.json/);
  });
});
