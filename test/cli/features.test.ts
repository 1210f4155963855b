import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const FIX = resolve(REPO_ROOT, 'test', 'fixtures', 'features');
const TABLES = [
  '--table',
  `customers=${FIX}/customers.csv`,
  '--table',
  `purchases=${FIX}/purchases.csv`,
  '--table',
  `items=${FIX}/items.csv`,
];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('cli features', () => {
  it('suggest → recipe.json → build → features.csv, one row per target row, point-in-time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'automl-features-'));
    const recipePath = join(dir, 'recipe.json');
    const s = await cli([
      'features',
      'suggest',
      ...TABLES,
      '--target',
      'churned',
      '--cutoff',
      'cutoff',
      '--out',
      recipePath,
      '--json',
    ]);
    expect(s.err).toBe('');
    expect(s.code).toBe(0);
    const json = JSON.parse(s.out);
    expect(json.relationships.map((r: { text: string }) => r.text)).toContain(
      'purchases.customer_id → customers.id, 92.8% of values match',
    );
    expect(json.tables.purchases.rows).toBe(14);
    expect(json.features[0].name).toBe('purchases_count_14d');
    const recipe = JSON.parse(readFileSync(recipePath, 'utf8'));
    expect(recipe).toEqual(json.recipe);
    expect(recipe.schemaVersion).toBe(1);

    const outCsv = join(dir, 'features.csv');
    const b = await cli(['features', 'build', recipePath, ...TABLES, '--out', outCsv, '--json']);
    expect(b.code).toBe(0);
    const built = JSON.parse(b.out);
    expect(built.rows).toBe(6);
    const lines = readFileSync(outCsv, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    const header = lines[0].split(',');
    expect(header.slice(0, 5)).toEqual(['id', 'region', 'signup', 'cutoff', 'churned']);
    const row1 = lines[1].split(',');
    expect(row1[3]).toBe('2024-03-01'); // dates written in the file's own format
    // customer 1: three purchases before 2024-03-01; the one exactly at the cutoff (p3) is left out
    expect(row1[header.indexOf('purchases_count')]).toBe('3');
    // customer 6 has no purchases: count 0, time since last missing
    const row6 = lines[6].split(',');
    expect(row6[header.indexOf('purchases_count')]).toBe('0');
    expect(row6[header.indexOf('purchases_time_since_last')]).toBe('');

    // the same recipe on the same tables: the same bytes
    const again = join(dir, 'again.csv');
    expect((await cli(['features', 'build', recipePath, ...TABLES, '--out', again])).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(outCsv, 'utf8'));
  });

  it('prints relationships and features as text', async () => {
    const s = await cli([
      'features',
      'suggest',
      ...TABLES,
      '--target',
      'churned',
      '--cutoff',
      'cutoff',
      '--max-features',
      '3',
    ]);
    expect(s.code).toBe(0);
    expect(s.out).toContain('purchases.item_id → items.item_id, 100% of values match');
    expect(s.out).toContain('purchases: ts');
    expect(s.out).toMatch(/Features: 3 of \d+ candidates, by association with churned/);
  });

  it('bad input: one line, exit 2, naming what and where', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'automl-features-'));
    const recipePath = join(dir, 'r.json');
    writeFileSync(
      recipePath,
      JSON.stringify({
        schemaVersion: 1,
        name: 'r',
        version: 1,
        target: 'customers',
        timeIndex: {},
        features: [
          {
            kind: 'aggregate',
            name: 'n',
            aggregation: 'count',
            relationship: {
              child: 'orders',
              childColumn: 'customer_id',
              parent: 'customers',
              parentColumn: 'id',
            },
          },
        ],
      }),
    );
    const r = await cli(['features', 'build', recipePath, ...TABLES, '--out', join(dir, 'f.csv')]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      "error: feature 'n' names table 'orders', which was not given (tables: customers, purchases, items)\n",
    );
    const u = await cli(['features', 'suggest', ...TABLES, '--target', 'nope']);
    expect(u.code).toBe(2);
    expect(u.err).toContain("target column 'nope' not found in table 'customers'");
    const m = await cli(['features', 'frobnicate']);
    expect(m.err).toContain('features needs a sub-command: suggest, build, save or list');
  });
});
