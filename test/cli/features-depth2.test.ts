/** `features suggest --depth 2` (issue 20): depth-2 candidates, their cap, and a build of the recipe. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
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
const SUGGEST = ['features', 'suggest', ...TABLES, '--target', 'churned', '--cutoff', 'cutoff'];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

type Spec = { name: string; lookup?: unknown; grandchild?: unknown };

describe('cli features suggest --depth 2', () => {
  it('adds aggregations of the items looked up by each purchase, capped by --max-candidates', async () => {
    const d1 = JSON.parse((await cli([...SUGGEST, '--json'])).out);
    expect(d1.recipe.features.filter((f: Spec) => f.lookup || f.grandchild)).toEqual([]);
    expect(d1.depth2).toBeUndefined();

    const dir = mkdtempSync(join(tmpdir(), 'automl-depth2-'));
    const recipePath = join(dir, 'recipe.json');
    const s = await cli([...SUGGEST, '--depth', '2', '--json', '--out', recipePath]);
    expect(s.err).toBe('');
    expect(s.code).toBe(0);
    const json = JSON.parse(s.out);
    const deep: Spec[] = json.recipe.features.filter((f: Spec) => f.lookup || f.grandchild);
    expect(deep.map((f) => f.name)).toContain('purchases_items_price_mean');
    expect(deep.map((f) => f.name)).toContain('purchases_items_category_most_frequent_30d');
    expect(json.depth2).toEqual({ candidates: deep.length, leftOut: 0 });

    const capped = JSON.parse(
      (await cli([...SUGGEST, '--depth', '2', '--max-candidates', '2', '--json'])).out,
    );
    const cappedDeep = capped.recipe.features.filter((f: Spec) => f.lookup || f.grandchild);
    // the main statistic of each column first
    expect(cappedDeep.map((f: Spec) => f.name)).toEqual([
      'purchases_items_category_most_frequent',
      'purchases_items_price_mean',
    ]);
    expect(capped.depth2).toEqual({ candidates: deep.length, leftOut: deep.length - 2 });

    // the recipe builds, and the price mean is the mean item price of the purchases before the cutoff
    const outCsv = join(dir, 'features.csv');
    const b = await cli(['features', 'build', recipePath, ...TABLES, '--out', outCsv]);
    expect(b.code).toBe(0);
    const lines = readFileSync(outCsv, 'utf8').trimEnd().split('\n');
    const header = lines[0].split(',');
    const at = header.indexOf('purchases_items_price_mean');
    const items = Object.fromEntries(
      readFileSync(`${FIX}/items.csv`, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map(([id, , price]) => [id, Number(price)]),
    );
    const purchases = readFileSync(`${FIX}/purchases.csv`, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const [id, , , cutoff] = cells;
      const prices = purchases
        .filter(([, cid, , ts]) => cid === id && ts < cutoff)
        .map(([, , item]) => items[item])
        .filter((p) => p !== undefined);
      const want = prices.length ? prices.reduce((a, b) => a + b, 0) / prices.length : null;
      const got = cells[at] === '' ? null : Number(cells[at]);
      if (want === null) expect(got).toBeNull();
      else expect(got).toBeCloseTo(want, 12);
    }
  });

  it('refuses a bad --depth or --max-candidates without --depth 2', async () => {
    const a = await cli([...SUGGEST, '--depth', '3']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--depth must be 1 or 2, got '3'/);
    const b = await cli([...SUGGEST, '--max-candidates', '5']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--max-candidates goes with --depth 2/);
  });

  it('a model trained on a depth-2 recipe needs the third table to score, and reproduces with it', async () => {
    const T = resolve(REPO_ROOT, 'test', 'fixtures', 'features-train');
    const dir = mkdtempSync(join(tmpdir(), 'automl-depth2-model-'));
    const recipe = join(dir, 'recipe.json');
    const tables = ['--table', `purchases=${T}/purchases.csv`, '--table', `items=${T}/items.csv`];
    const s = await cli([
      'features',
      'suggest',
      '--table',
      `customers=${T}/customers.csv`,
      ...tables,
      '--target',
      'churned',
      '--cutoff',
      'cutoff',
      '--depth',
      '2',
      '--out',
      recipe,
    ]);
    expect(s.code, s.err).toBe(0);
    const zip = join(dir, 'm.zip');
    const fit = await cli([
      'fit',
      `${T}/customers.csv`,
      '--target',
      'churned',
      '--recipe',
      recipe,
      ...tables,
      '--params',
      '{"rounds": 10}',
      '--out',
      zip,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const p = await cli(['predict', zip, `${T}/new_customers.csv`, ...tables]);
    expect(p.code, p.err).toBe(0);
    const missing = await cli(['predict', zip, `${T}/new_customers.csv`, ...tables.slice(0, 2)]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--table items=FILE.csv');
    const r = await cli(['reproduce', zip, `${T}/customers.csv`, ...tables]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('verdict: reproduced');
  });
});
