/** Helpers of the `serve` tests: bundles fitted with the CLI, HTTP requests with node:http, CSV rows. */
import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';

export { cli };

export const tmp = () => mkdtempSync(join(tmpdir(), 'automl-serve-'));

/** Fits a bundle zip with the CLI (`fit … --out x.zip --no-track`); throws with the CLI's stderr on failure. */
export async function fitZip(data: string, target: string, extra: string[] = []): Promise<string> {
  const out = join(tmp(), `${target}-model.zip`);
  const r = await cli(['fit', data, '--target', target, '--out', out, '--no-track', '--seed', '7', ...extra]);
  if (r.code !== 0) throw new Error(`fit failed: ${r.err}`);
  return out;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function http(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: Agent;
    /** Give up (reject) after this long without an answer. */
    timeoutMs?: number;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = httpRequest(
      url,
      {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

export const postJson = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  http(`${url}/invocations`, {
    body: typeof value === 'string' ? value : JSON.stringify(value),
    headers: { 'content-type': 'application/json', ...headers },
  });

export const postCsv = (url: string, csv: string, headers: Record<string, string> = {}) =>
  http(`${url}/invocations`, { body: csv, headers: { 'content-type': 'text/csv', ...headers } });

/** A simple CSV (no quoted fields; the fixtures' test files are such) as a header and rows of text. */
export function readCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/**
 * Rows of a CSV as JSON records, typed as the model's signature reads them: numbers for numeric and
 * integer columns (null when empty), strings otherwise; the target and unknown columns left out.
 */
export function csvRecords(
  csv: { header: string[]; rows: string[][] },
  inputs: readonly { name: string; type: string }[],
): Record<string, string | number | null>[] {
  const types = new Map(inputs.map((c) => [c.name, c.type]));
  return csv.rows.map((r) => {
    const rec: Record<string, string | number | null> = {};
    csv.header.forEach((h, j) => {
      const t = types.get(h);
      if (t === undefined) return;
      const v = r[j];
      rec[h] = t === 'numeric' || t === 'integer' ? (v === '' || v === 'NA' ? null : Number(v)) : v;
    });
    return rec;
  });
}

/** A predictions CSV as class-probability rows and labels (or regression values). */
export function parsePredictions(csv: string): { header: string[]; rows: string[][] } {
  const lines = csv.trim().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}
