/**
 * `cli serve`: a real HTTP server (in process, ephemeral port) over bundles fitted with the CLI. Every
 * route and error, and answers equal to `cli predict` on the same rows — alone and under parallel load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/cli/commands/serve.ts';
import {
  cli,
  csvRecords,
  fitZip,
  http,
  parsePredictions,
  postCsv,
  postJson,
  readCsv,
  type HttpResult,
} from './serve-helpers.ts';

const PENGUINS_TEST = datasetFile('penguins', 'test.csv');
const CHURN = join(REPO_ROOT, 'test/fixtures/decision/churn_imbalanced.csv');
const DIABETES_TEST = datasetFile('diabetes', 'test.csv');

interface Served {
  bundle: string;
  server: RunningServer;
  log: string[];
  inputs: { name: string; type: string }[];
}

const running: RunningServer[] = [];
async function serve(bundle: string, options: Parameters<typeof startServer>[1] = {}): Promise<Served> {
  const log: string[] = [];
  const server = await startServer(
    bundle,
    { port: 0, ...options },
    { stdout: () => {}, stderr: (t) => void log.push(t) },
  );
  running.push(server);
  const meta = (await http(`${server.url}/metadata`)).json();
  return { bundle, server, log, inputs: meta.inputs };
}

let penguins: Served;
let churn: Served;
let diabetes: Served;
let predictPenguins: string;

beforeAll(async () => {
  const [p, c, d] = [
    await fitZip(datasetFile('penguins'), 'species', ['--params', '{"rounds": 12}']),
    await fitZip(CHURN, 'churn', ['--params', '{"rounds": 20}']),
    await fitZip(datasetFile('diabetes'), 'target', ['--params', '{"rounds": 20}']),
  ];
  penguins = await serve(p);
  churn = await serve(c);
  diabetes = await serve(d);
  const pred = await cli(['predict', p, PENGUINS_TEST]);
  expect(pred.code).toBe(0);
  predictPenguins = pred.out;
}, 180_000);

afterAll(async () => {
  await Promise.all(running.map((s) => s.shutdown('test end')));
});

/** Checks a JSON answer's rows against `cli predict`'s CSV rows (exact numbers, same labels). */
interface Answer {
  readonly rows?: number;
  readonly warnings?: readonly string[];
  readonly classes?: readonly string[];
  readonly predictions: readonly { label: string; probabilities: Record<string, number> }[];
}
function expectSameAsPredict(answer: Answer, predictCsv: string, from = 0) {
  const { header, rows } = parsePredictions(predictCsv);
  const classes = header.slice(0, -1);
  expect(answer.classes).toEqual(classes);
  answer.predictions.forEach((p, i) => {
    const row = rows[from + i];
    expect(p.label).toBe(row.at(-1));
    classes.forEach((c, j) => expect(p.probabilities[c]).toBe(Number(row[j])));
  });
}

describe('serve: routes', () => {
  it('answers /ping, /health, /version, /metadata and / with JSON', async () => {
    const url = penguins.server.url;
    const ping = await http(`${url}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(ping.json()).toEqual({ status: 'ok' });

    const health = (await http(`${url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', model: { name: 'species-model' } });
    expect(health.model.version).toMatch(/^[0-9a-f]{16}$/);
    expect(health.requests.inFlight).toBeGreaterThanOrEqual(1); // this very request
    expect(health.requests.served).toBeGreaterThan(0);

    const version = (await http(`${url}/version`)).json();
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(version.server).toMatchObject({ name: pkg.name, version: pkg.version });
    expect(version.model).toEqual(health.model);

    const meta = (await http(`${url}/metadata`)).json();
    expect(meta).toMatchObject({
      name: 'species-model',
      task: 'multiclass',
      target: 'species',
      classes: ['Adelie', 'Chinstrap', 'Gentoo'],
      family: 'gbdt',
      decision: { rule: 'argmax' },
    });
    expect(meta.provenance).toMatch(/^signed by [0-9a-f]+ \(this studio\)$/);
    expect(meta.inputs.map((c: { name: string }) => c.name)).toEqual([
      'island',
      'bill_length_mm',
      'bill_depth_mm',
      'flipper_length_mm',
      'body_mass_g',
      'sex',
      'year',
    ]);
    expect(meta.inputs[0]).toMatchObject({ type: 'categorical', mlflowType: 'string', required: true });
    expect(meta.inputs[1]).toMatchObject({ type: 'numeric', mlflowType: 'double' });
    expect(meta.request.maxBodyBytes).toBe(32 << 20);

    const index = (await http(`${url}/`)).json();
    expect(Object.keys(index.routes)).toContain('POST /invocations');
  });

  it('HEAD has headers and no body; OPTIONS lists the methods', async () => {
    const head = await http(`${penguins.server.url}/ping`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const options = await http(`${penguins.server.url}/invocations`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('POST, OPTIONS');
  });

  it('404 for an unknown route, 405 with Allow for a wrong method', async () => {
    const nf = await http(`${penguins.server.url}/predict`);
    expect(nf.status).toBe(404);
    expect(nf.json()).toMatchObject({ error_code: 'NOT_FOUND', status: 404 });
    expect(nf.json().message).toContain('/invocations');

    const get = await http(`${penguins.server.url}/invocations`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    expect(get.json()).toMatchObject({ error_code: 'METHOD_NOT_ALLOWED', allow: ['POST', 'OPTIONS'] });

    const post = await http(`${penguins.server.url}/ping`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});

describe('serve: answers equal cli predict', () => {
  it('CSV in, CSV out: the very bytes predict prints', async () => {
    const r = await postCsv(penguins.server.url, readFileSync(PENGUINS_TEST, 'utf8'), { accept: 'text/csv' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.text).toBe(predictPenguins);
  });

  it('every JSON shape gives predict’s probabilities and labels', async () => {
    const csv = readCsv(PENGUINS_TEST);
    const records = csvRecords(csv, penguins.inputs);
    const columns = Object.keys(records[0]);
    const url = penguins.server.url;
    const bodies: unknown[] = [
      { dataframe_records: records },
      { dataframe_split: { columns, data: records.map((r) => columns.map((c) => r[c])), index: [] } },
      { inputs: Object.fromEntries(columns.map((c) => [c, records.map((r) => r[c])])) },
      { inputs: records },
      { instances: records },
      records,
    ];
    for (const body of bodies) {
      const r = await postJson(url, body);
      expect(r.status).toBe(200);
      const answer = r.json();
      expect(answer.rows).toBe(records.length);
      expect(answer.task).toBe('multiclass');
      expect(answer.model.name).toBe('species-model');
      expect(answer.warnings).toBeUndefined();
      expectSameAsPredict(answer, predictPenguins);
    }
    // MLflow 1's format parameter: the shape bare.
    const legacy = await postJson(url, records, {
      'content-type': 'application/json; format=pandas-records',
    });
    expectSameAsPredict(legacy.json(), predictPenguins);
    // The CSV body with the target column: the same answer in JSON.
    const fromCsv = await postCsv(url, readFileSync(PENGUINS_TEST, 'utf8'));
    expectSameAsPredict(fromCsv.json(), predictPenguins);
  });

  it('orient=columns gives the same numbers column by column', async () => {
    const records = csvRecords(readCsv(PENGUINS_TEST), penguins.inputs);
    const r = await http(`${penguins.server.url}/invocations?orient=columns`, {
      body: JSON.stringify({ dataframe_records: records }),
      headers: { 'content-type': 'application/json' },
    });
    const { header, rows } = parsePredictions(predictPenguins);
    const p = r.json().predictions;
    expect(p.label).toEqual(rows.map((row) => row.at(-1)));
    header
      .slice(0, -1)
      .forEach((c, j) => expect(p.probabilities[c]).toEqual(rows.map((row) => Number(row[j]))));
  });

  it('binary: the label follows the recorded decision threshold, which the answer states', async () => {
    const pred = await cli(['predict', churn.bundle, CHURN]);
    const csv = readCsv(CHURN);
    const slice = { header: csv.header, rows: csv.rows.slice(0, 300) };
    const r = await postJson(churn.server.url, { dataframe_records: csvRecords(slice, churn.inputs) });
    expect(r.status).toBe(200);
    const answer = r.json();
    expect(answer.decision).toMatchObject({ rule: 'threshold', positiveClass: 'Yes', chosenFor: 'f1' });
    const t = answer.decision.threshold;
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(0.5);
    expectSameAsPredict(answer, pred.out);
    for (const p of answer.predictions) expect(p.label).toBe(p.probabilities.Yes >= t ? 'Yes' : 'No');
    const meta = (await http(`${churn.server.url}/metadata`)).json();
    expect(meta.decision.threshold).toBe(t);
  });

  it('regression: one number per row, equal to predict', async () => {
    const pred = parsePredictions((await cli(['predict', diabetes.bundle, DIABETES_TEST])).out);
    const records = csvRecords(readCsv(DIABETES_TEST), diabetes.inputs);
    const answer = (await postJson(diabetes.server.url, { dataframe_records: records })).json();
    expect(answer.task).toBe('regression');
    expect(answer.decision).toBeUndefined();
    expect(answer.predictions).toEqual(pred.rows.map((r) => Number(r[0])));
  });

  it('huge finite numbers and nulls are scored exactly as predict scores them', async () => {
    const csv = readCsv(PENGUINS_TEST);
    const records = csvRecords({ header: csv.header, rows: csv.rows.slice(0, 3) }, penguins.inputs);
    records[0].bill_length_mm = 1.7976931348623157e308;
    records[1].body_mass_g = -1e300;
    records[2].sex = null;
    records[2].bill_depth_mm = null;
    const cols = Object.keys(records[0]);
    const text =
      [
        cols.join(','),
        ...records.map((r) => cols.map((c) => (r[c] === null ? '' : String(r[c]))).join(',')),
      ].join('\n') + '\n';
    const file = join(penguins.bundle, '..', 'huge.csv');
    (await import('node:fs')).writeFileSync(file, text);
    const pred = await cli(['predict', penguins.bundle, file]);
    expect(pred.code).toBe(0);
    const r = await postJson(penguins.server.url, { dataframe_records: records });
    expect(r.status).toBe(200);
    expectSameAsPredict(r.json(), pred.out);
  });

  it('zero rows: an empty list of predictions', async () => {
    const r = await postJson(penguins.server.url, { dataframe_records: [] });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ predictions: [], rows: 0 });
    // With columns named, they are checked.
    const split = await postJson(penguins.server.url, { dataframe_split: { columns: ['year'], data: [] } });
    expect(split.status).toBe(400);
    expect(split.json().error_code).toBe('MISSING_COLUMNS');
  });

  it('200 requests with 20 in parallel, mixed shapes and sizes: each equals predict on its rows', async () => {
    const csv = readCsv(PENGUINS_TEST);
    const records = csvRecords(csv, penguins.inputs);
    const columns = Object.keys(records[0]);
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const jobs = Array.from({ length: 200 }, (_, k) => {
      const from = rand(records.length);
      const to = from + 1 + rand(records.length - from);
      return { k, from, to, shape: k % 4 };
    });
    const results: { job: (typeof jobs)[number]; r: HttpResult }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const rows = records.slice(job.from, job.to);
        let r: HttpResult;
        if (job.shape === 0) r = await postJson(penguins.server.url, { dataframe_records: rows });
        else if (job.shape === 1)
          r = await postJson(penguins.server.url, {
            dataframe_split: { columns, data: rows.map((x) => columns.map((c) => x[c])) },
          });
        else if (job.shape === 2)
          r = await postJson(penguins.server.url, {
            inputs: Object.fromEntries(columns.map((c) => [c, rows.map((x) => x[c])])),
          });
        else
          r = await http(`${penguins.server.url}/invocations`, {
            body: [csv.header.join(','), ...csv.rows.slice(job.from, job.to).map((x) => x.join(','))].join(
              '\n',
            ),
            headers: { 'content-type': 'text/csv' },
            agent,
          });
        results.push({ job, r });
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    agent.destroy();
    expect(results).toHaveLength(200);
    for (const { job, r } of results) {
      expect(r.status).toBe(200);
      const answer = r.json();
      expect(answer.rows).toBe(job.to - job.from);
      expectSameAsPredict(answer, predictPenguins, job.from);
    }
  }, 120_000);
});

describe('serve: dynamic batching', () => {
  it('single-row requests 40 at a time are read together, each answer equal to predict on its row', async () => {
    const records = csvRecords(readCsv(PENGUINS_TEST), penguins.inputs);
    const url = penguins.server.url;
    const before = (await http(`${url}/health`)).json().requests.batched;
    const agent = new Agent({ keepAlive: true, maxSockets: 40 });
    const order = Array.from({ length: 400 }, (_, k) => (k * 7) % records.length);
    let next = 0;
    const answers: { i: number; answer: Answer }[] = [];
    const worker = async () => {
      while (next < order.length) {
        const i = order[next++];
        const r = await http(`${url}/invocations`, {
          body: JSON.stringify({ dataframe_records: [records[i]] }),
          headers: { 'content-type': 'application/json' },
          agent,
        });
        expect(r.status).toBe(200);
        answers.push({ i, answer: r.json() });
      }
    };
    await Promise.all(Array.from({ length: 40 }, worker));
    agent.destroy();
    expect(answers).toHaveLength(order.length);
    for (const { i, answer } of answers) {
      expect(answer.rows).toBe(1);
      expect(answer.warnings).toBeUndefined();
      expectSameAsPredict(answer, predictPenguins, i);
    }
    const after = (await http(`${url}/health`)).json().requests.batched;
    // some of them were answered by combined reads (40 requests in flight at once)
    expect(after.frames - before.frames).toBeGreaterThan(0);
    expect(after.reads - before.reads).toBeLessThan(after.frames - before.frames);
  }, 120_000);
});

describe('serve: bad requests are clear JSON errors, and the server keeps serving', () => {
  const rec = () => csvRecords(readCsv(PENGUINS_TEST), penguins.inputs).slice(0, 5);
  const err = async (r: Promise<HttpResult>, status: number, code: string) => {
    const res = await r;
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json();
    expect(body).toMatchObject({ error_code: code, status });
    expect(body.message).not.toMatch(/\n\s+at /); // never a stack trace
    return body;
  };

  it('malformed JSON names the line, column and reason', async () => {
    const url = penguins.server.url;
    let b = await err(postJson(url, '{"dataframe_records": [\n  {"island": NaN}\n]}'), 400, 'MALFORMED_JSON');
    expect(b.message).toBe(
      'malformed JSON at line 2, column 14: NaN is not JSON (send null for a missing value)',
    );
    expect(b).toMatchObject({ line: 2, position: 14 });
    b = await err(postJson(url, '{"dataframe_records": [{"x": 1},]}'), 400, 'MALFORMED_JSON');
    expect(b.message).toContain('trailing comma');
    b = await err(postJson(url, '{"inputs": {"year": [Infinity]}}'), 400, 'MALFORMED_JSON');
    expect(b.message).toContain('Infinity is not JSON');
    b = await err(postJson(url, '{"dataframe_records": ['), 400, 'MALFORMED_JSON');
    expect(b.message).toContain('unexpected end of the body');
    b = await err(
      http(`${url}/invocations`, {
        body: Buffer.from([0x7b, 0xff, 0x7d]),
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expect(b.message).toContain('not valid UTF-8');
  });

  it('empty bodies', async () => {
    await err(postJson(penguins.server.url, ''), 400, 'EMPTY_BODY');
    await err(postJson(penguins.server.url, '  \n'), 400, 'EMPTY_BODY');
    await err(postCsv(penguins.server.url, ''), 400, 'EMPTY_BODY');
  });

  it('missing and unknown columns are named', async () => {
    const rows = rec().map(({ sex: _sex, year: _year, ...rest }) => rest);
    let b = await err(postJson(penguins.server.url, { dataframe_records: rows }), 400, 'MISSING_COLUMNS');
    expect(b.columns).toEqual(['sex', 'year']);
    expect(b.message).toBe('the request lacks columns the model needs: "sex", "year"');
    const extra = rec().map((r) => ({ ...r, colour: 'blue' }));
    b = await err(postJson(penguins.server.url, { dataframe_records: extra }), 400, 'UNKNOWN_COLUMNS');
    expect(b).toMatchObject({ column: 'colour', columns: ['colour'] });
    // The target is not an unknown column.
    const withTarget = rec().map((r) => ({ ...r, species: 'Adelie' }));
    expect((await postJson(penguins.server.url, { dataframe_records: withTarget })).status).toBe(200);
    // CSV too.
    b = await err(postCsv(penguins.server.url, 'island,year\nBiscoe,2008\n'), 400, 'MISSING_COLUMNS');
    expect(b.columns).toContain('bill_length_mm');
    b = await err(
      postJson(penguins.server.url, { dataframe_split: { columns: ['year', 'year'], data: [[1, 2]] } }),
      400,
      'DUPLICATE_COLUMNS',
    );
    expect(b.columns).toEqual(['year']);
  });

  it('a wrong type names the row and column', async () => {
    const rows = rec();
    rows[3].flipper_length_mm = 'long' as never;
    let b = await err(postJson(penguins.server.url, { dataframe_records: rows }), 400, 'BAD_VALUE');
    expect(b).toMatchObject({ row: 3, column: 'flipper_length_mm' });
    expect(b.message).toBe(
      'row 3, column "flipper_length_mm": expected a number or null (the column is integer), got the string "long"',
    );
    const nested = rec();
    nested[1].island = { name: 'Biscoe' } as never;
    b = await err(postJson(penguins.server.url, { dataframe_records: nested }), 400, 'BAD_VALUE');
    expect(b).toMatchObject({ row: 1, column: 'island' });
    expect(b.message).toContain('got an object');
    // A number beyond a double: JSON.parse makes it Infinity; refused, not scored.
    b = await err(
      postJson(
        penguins.server.url,
        `{"dataframe_split": {"columns": ["bill_depth_mm"], "data": [[1], [1e400]]}}`,
      ),
      400,
      'BAD_VALUE',
    );
    expect(b).toMatchObject({ row: 1, column: 'bill_depth_mm' });
    expect(b.message).toContain('too large');
    // A CSV cell that is not a number in a numeric column: row (0-based) and CSV line.
    const csv = readFileSync(PENGUINS_TEST, 'utf8').trim().split('\n');
    const cells = csv[3].split(',');
    cells[2] = 'abc';
    csv[3] = cells.join(',');
    b = await err(postCsv(penguins.server.url, csv.join('\n')), 400, 'BAD_VALUE');
    expect(b).toMatchObject({ row: 2, column: 'bill_length_mm' });
    expect(b.message).toContain('line 4 of the CSV');
  });

  it('request shapes that are not a table', async () => {
    let b = await err(postJson(penguins.server.url, { data: [] }), 400, 'INVALID_INPUT');
    expect(b.message).toContain('unknown key "data"');
    b = await err(
      postJson(penguins.server.url, { dataframe_split: { columns: ['a', 'b'], data: [[1]] } }),
      400,
      'INVALID_INPUT',
    );
    expect(b.message).toBe('dataframe_split.data[0] has 1 value but there are 2 columns');
    b = await err(
      postJson(penguins.server.url, { inputs: { year: [1, 2], sex: ['male'] } }),
      400,
      'INVALID_INPUT',
    );
    expect(b.message).toContain('column "sex" has 1 value but column "year" has 2');
    await err(postJson(penguins.server.url, 42), 400, 'INVALID_INPUT');
    await err(postJson(penguins.server.url, { dataframe_records: [], inputs: [] }), 400, 'INVALID_INPUT');
    await err(
      http(`${penguins.server.url}/invocations?format=x`, {
        body: '[]',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'BAD_QUERY',
    );
    await err(postCsv(penguins.server.url, 'island,bill_length_mm\n"Biscoe,1\n'), 400, 'BAD_CSV');
  });

  it('415 for a missing or unsupported content type, 406 for an unsupported Accept', async () => {
    const url = `${penguins.server.url}/invocations`;
    let b = await err(http(url, { body: '[]' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(b.message).toContain('no Content-Type');
    b = await err(
      http(url, { body: '[]', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(b.message).toContain('"text/plain"');
    await err(
      http(url, { body: '[]', headers: { 'content-type': 'application/json; charset=latin1' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await err(
      postJson(url.replace('/invocations', ''), '[]', { accept: 'image/png' }),
      406,
      'NOT_ACCEPTABLE',
    );
  });

  it('411 without a length, 413 over the limit (declared or streamed)', async () => {
    const small = await serve(penguins.bundle, { maxBodyBytes: 1000 });
    const body = JSON.stringify({ dataframe_records: rec().concat(rec(), rec()) });
    expect(body.length).toBeGreaterThan(1000);
    let b = await err(postJson(small.server.url, body), 413, 'PAYLOAD_TOO_LARGE');
    expect(b.limit).toBe(1000);
    // Chunked (no Content-Length): refused once the limit is passed.
    b = await err(chunkedPost(small.server.port, body), 413, 'PAYLOAD_TOO_LARGE');
    expect(b.message).toContain("larger than the server's limit of 1000 bytes");
    // Under the limit: fine.
    expect((await postJson(small.server.url, { dataframe_records: rec().slice(0, 2) })).status).toBe(200);
    // No Content-Length and not chunked: 411 (raw HTTP, as node's client always sends one).
    const raw = await rawHttp(
      small.server.port,
      'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 411 /);
    expect(raw).toContain('"error_code":"LENGTH_REQUIRED"');
    // Garbage instead of HTTP: a 400, no stack.
    const garbage = await rawHttp(small.server.port, 'HELLO\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect((await http(`${small.server.url}/ping`)).status).toBe(200);
  });

  it('--lenient scores unreadable cells as missing (as predict does) and says so; --allow-extra-columns ignores extras', async () => {
    const lenient = await serve(penguins.bundle, { lenient: true, allowExtraColumns: true });
    const csv = readFileSync(PENGUINS_TEST, 'utf8').trim().split('\n');
    const cells = csv[3].split(',');
    cells[2] = 'abc';
    csv[3] = cells.join(',');
    const text = csv.map((l, i) => `${l},${i === 0 ? 'colour' : 'blue'}`).join('\n') + '\n';
    const file = join(penguins.bundle, '..', 'lenient.csv');
    (await import('node:fs')).writeFileSync(file, text);
    const pred = await cli(['predict', penguins.bundle, file]);
    const r = await postCsv(lenient.server.url, text);
    expect(r.status).toBe(200);
    const answer = r.json();
    expectSameAsPredict(answer, pred.out);
    expect(answer.warnings.join('\n')).toContain('ignored 1 column(s) the model does not use: colour');
    expect(answer.warnings.join('\n')).toMatch(/column bill_length_mm: 1 cell could not be read as numeric/);
    const meta = (await http(`${lenient.server.url}/metadata`)).json();
    expect(meta.request).toMatchObject({
      extraColumns: 'ignored',
      unreadableCells: 'scored as missing (warnings)',
    });
  });

  it('logs one line per request without data values', () => {
    const lines = penguins.log.join('').trim().split('\n');
    expect(lines.length).toBeGreaterThan(30);
    for (const l of lines) {
      expect(l).toMatch(
        /^\S+Z (GET|POST|HEAD|OPTIONS) \/\S* \d{3} [\d.]+ms( rows=\d+)? in=\d+B out=\d+B( error=[A-Z_]+)?$/,
      );
      for (const value of ['Torgersen', 'Biscoe', 'male', 'long', 'blue', 'colour'])
        expect(l).not.toContain(value);
    }
    expect(lines.some((l) => / 400 .* error=BAD_VALUE$/.test(l))).toBe(true);
  });
});

/** Raw HTTP over a socket: what the server answers to exactly these bytes. */
function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => (out += d.toString('utf8')));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => {
      s.destroy();
      resolve(out);
    }, 3000);
  });
}

/** A chunked POST (no Content-Length) of `body`, parsed as a response. */
async function chunkedPost(port: number, body: string): Promise<HttpResult> {
  const chunk = (t: string) => `${Buffer.byteLength(t).toString(16)}\r\n${t}\r\n`;
  const half = Math.floor(body.length / 2);
  const text = await rawHttp(
    port,
    'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
      chunk(body.slice(0, half)) +
      chunk(body.slice(half)) +
      '0\r\n\r\n',
  );
  const [head, ...rest] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)![1]);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const payload = rest.join('\r\n\r\n');
  return { status, headers, text: payload, json: () => JSON.parse(payload) };
}
