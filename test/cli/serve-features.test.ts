/**
 * `serve --table` (issues 19 and 20): a model trained on recipe features serves rows of the recipe's
 * target table; the features are computed from the related tables given at start, as `predict
 * --table` computes them, so the answers equal predict's. A missing table stops the server before it
 * listens, naming the table; a request without a column the recipe reads is a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { startServer, type RunningServer } from '../../src/cli/commands/serve.ts';
import { RECIPE_TABLES, fitRecipeBundle, recipeFixture } from '../helpers/recipe-bundle.ts';
import { cli, csvRecords, http, parsePredictions, postCsv, postJson, readCsv } from './serve-helpers.ts';

const F = recipeFixture;
const TABLES = RECIPE_TABLES;

let bundle: string;
let server: RunningServer;
let predicted: { header: string[]; rows: string[][] };
const log: string[] = [];

beforeAll(async () => {
  bundle = await fitRecipeBundle();
  const pred = await cli(['predict', bundle, F('new_customers.csv'), ...TABLES]);
  expect(pred.code, pred.err).toBe(0);
  predicted = parsePredictions(pred.out);
  server = await startServer(
    bundle,
    { port: 0, tables: [`purchases=${F('purchases.csv')}`] },
    { stdout: () => {}, stderr: (t) => void log.push(t) },
  );
}, 120_000);
afterAll(async () => {
  await server?.shutdown();
});

interface Answer {
  readonly rows: number;
  readonly predictions: readonly { label: string; probabilities: Record<string, number> }[];
}

function expectSameAsPredict(answer: Answer, from: number) {
  const classes = predicted.header.slice(0, -1);
  answer.predictions.forEach((p, i) => {
    const row = predicted.rows[from + i];
    expect(p.label).toBe(row.at(-1));
    classes.forEach((c, j) => expect(p.probabilities[c]).toBe(Number(row[j])));
  });
}

describe('serve a model trained on recipe features', () => {
  it('metadata: the target table’s columns as inputs, the computed features and the tables', async () => {
    const meta = (await http(`${server.url}/metadata`)).json();
    expect(meta.inputs.map((c: { name: string }) => c.name).sort()).toEqual([
      'cutoff',
      'id',
      'region',
      'signup',
    ]);
    expect(meta.features.recipe).toEqual({ name: 'churn', version: 1, target: 'customers' });
    expect(meta.features.computed).toContain('purchases_count_30d');
    expect(meta.features.tables).toEqual(['purchases']);
    // the key and the cutoff are read by the recipe: required even where the model itself drops them
    const required = meta.inputs
      .filter((c: { required: boolean }) => c.required)
      .map((c: { name: string }) => c.name);
    expect(required).toEqual(expect.arrayContaining(['id', 'cutoff', 'signup']));
  });

  it('JSON and CSV requests answer what predict --table gives, whole file and row by row in parallel', async () => {
    const csv = readCsv(F('new_customers.csv'));
    const records = csvRecords(csv, [
      { name: 'id', type: 'integer' },
      { name: 'region', type: 'categorical' },
      { name: 'signup', type: 'datetime' },
      { name: 'cutoff', type: 'datetime' },
    ]);
    const whole = await postJson(server.url, { dataframe_records: records });
    expect(whole.status, whole.text).toBe(200);
    expect(whole.json().rows).toBe(predicted.rows.length);
    expectSameAsPredict(whole.json(), 0);

    const viaCsv = await postCsv(server.url, readFileSync(F('new_customers.csv'), 'utf8'), {
      accept: 'text/csv',
    });
    expect(viaCsv.status).toBe(200);
    expect(viaCsv.text).toBe(
      [predicted.header.join(','), ...predicted.rows.map((r) => r.join(','))].join('\n') + '\n',
    );

    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    let next = 0;
    const worker = async () => {
      while (next < records.length) {
        const i = next++;
        const r = await http(`${server.url}/invocations`, {
          body: JSON.stringify({ dataframe_records: [records[i]] }),
          headers: { 'content-type': 'application/json' },
          agent,
        });
        expect(r.status, r.text).toBe(200);
        expectSameAsPredict(r.json(), i);
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    agent.destroy();
  });

  it('a request without a column the recipe reads is a 400 naming it', async () => {
    const r = await postJson(server.url, {
      dataframe_records: [{ region: 'north', signup: '2024-01-06', cutoff: '2024-07-19' }],
    });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ error_code: 'MISSING_COLUMNS', column: 'id' });
    // and the server keeps serving
    const ok = await postJson(server.url, {
      dataframe_records: [{ id: 1002, region: 'north', signup: '2024-01-06', cutoff: '2024-07-19' }],
    });
    expect(ok.status).toBe(200);
  });

  it('without the related table the server does not start, and says which table to give', async () => {
    const r = await cli(['serve', bundle, '--port', '0']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("'purchases'");
    expect(r.err).toContain('--table purchases=FILE.csv');
    const many = await cli(['serve', bundle, '--port', '0', '--workers', '2']);
    expect(many.code).not.toBe(0);
    expect(many.err).toContain('--table purchases=FILE.csv');
  });
});
