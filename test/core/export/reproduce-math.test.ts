/**
 * The manifest's `search.math` gate (src/core/util/portable-math.ts). A search made before the portable
 * sin/cos existed computed its cyclic date features with the runtime's Math.sin/cos and records no
 * `math`: reproduce must replay it with the runtime's functions again, so it reproduces in the runtime
 * that made it. A search made now records `math: 'portable'` and reproduces in any runtime. "Another
 * runtime" is simulated by a Math.sin/cos slightly off (Chromium's differ from Node's by an ulp on ~3% of angles).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { nodeEnvironment } from '../../../src/cli/bundle-io.ts';
import { createBundleFiles, createSearchBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { trainModel } from '../../../src/core/train/train.ts';
import { reproduceBundle } from '../../../src/core/export/reproduce.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { crossRuntimeTable } from '../../helpers/cross-runtime-search.ts';

const dir = mkdtempSync(join(tmpdir(), 'reproduce-math-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The cross-runtime table as a CSV (ISO timestamps with a time of day). */
function writeCsv(): string {
  const t = crossRuntimeTable(300, 9);
  const cols = t.columns;
  const cell = (c: (typeof cols)[number], i: number) => {
    const v = c.values[i];
    if (c.kind === 'date') return new Date(v).toISOString();
    if (c.kind === 'cat') return c.levels![v];
    return Number.isNaN(v) ? '' : String(v);
  };
  const lines = [cols.map((c) => c.name).join(',')];
  for (let i = 0; i < t.n; i++) lines.push(cols.map((c) => cell(c, i)).join(','));
  const path = join(dir, 'train.csv');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/**
 * Runs `f` with Math.sin/cos off by up to a millionth, not in proportion (standard scaling would cancel a
 * uniform factor): a different runtime, its difference large enough to move a trained linear model.
 */
async function inOtherRuntime<T>(f: () => Promise<T>): Promise<T> {
  const { sin, cos } = Math;
  const up = (v: number) => v * (1 + 1e-6 * v);
  Math.sin = (x: number) => up(sin(x));
  Math.cos = (x: number) => up(cos(x));
  try {
    return await f();
  } finally {
    Math.sin = sin;
    Math.cos = cos;
  }
}

describe('reproduce and the recorded math', () => {
  it('replays a record without `math` with the runtime’s sin/cos, one with it with the portable ones', async () => {
    const path = writeCsv();
    const data = await ingestCsv(fileSource(path), { createHasher: nodeHasher });
    expect(data.schema.find((c) => c.name === 'when')?.type).toBe('datetime');
    const dataset = { name: 'train.csv', fingerprint: data.fingerprint, schema: data.schema, warnings: [] };
    const make = async (math: 'portable' | 'engine') => {
      const result = await runSearch({
        table: data.table,
        target: 'y',
        task: 'binary',
        families: ['linear'],
        seed: 4,
        maxTrials: 2,
        folds: 3,
        math,
      });
      const files = createSearchBundleFiles(result, dataset, nodeEnvironment({ name: 'cpu' }), {
        table: data.table,
      });
      return Object.assign(loadBundle(files), { files });
    };
    const replay = (bundle: ReturnType<typeof loadBundle>) =>
      reproduceBundle(bundle, {
        source: fileSource(path),
        createHasher: nodeHasher,
        environment: nodeEnvironment,
      });
    /** The date step's config as the bundle's files store it (pipeline and model files). */
    const dateConfig = (b: { files: Record<string, string> }) =>
      Object.values(b.files)
        .join('\n')
        .replace(/\s+/g, '')
        .match(/"kind":"date_parts"[^}]*"config":\{[^}]*\}/)?.[0] ?? '';

    // made "before": the other runtime's engine Math, nothing recorded
    const legacy = await inOtherRuntime(() => make('engine'));
    expect(legacy.manifest.search?.math).toBeUndefined();
    expect(dateConfig(legacy)).toMatch(/"cyclic":true/);
    expect(dateConfig(legacy)).not.toMatch(/math/);
    // replayed in the runtime that made it: exactly
    const same = await inOtherRuntime(() => replay(legacy));
    expect(same.lines.join('\n')).toMatch(/bit-identical/);
    expect(same.verdict).toBe('reproduced');
    // in another runtime the engine's sin/cos differ, and so do the features and predictions
    const other = await replay(legacy);
    expect(other.verdict).toBe('not reproduced');
    expect(other.firstDifference).not.toBeNull();

    // made now: portable, recorded, and the same in either runtime
    const now = await inOtherRuntime(() => make('portable'));
    expect(now.manifest.search?.math).toBe('portable');
    expect(dateConfig(now)).toMatch(/"math":"portable"/);
    const here = await replay(now);
    expect(here.lines.join('\n')).toMatch(/bit-identical/);
    expect(here.verdict).toBe('reproduced');
  }, 180_000);

  it('does the same for a fit bundle, by its recorded date step', async () => {
    const path = writeCsv();
    const data = await ingestCsv(fileSource(path), { createHasher: nodeHasher });
    const dataset = { name: 'train.csv', fingerprint: data.fingerprint, schema: data.schema, warnings: [] };
    const make = async (math: 'portable' | 'engine') => {
      const trained = await trainModel({
        table: data.table,
        target: 'y',
        task: 'binary',
        family: 'linear',
        params: { solver: 'glm' },
        seed: 4,
        math,
      });
      return loadBundle(
        createBundleFiles(trained, dataset, nodeEnvironment({ name: 'cpu' }), { table: data.table }),
      );
    };
    const replay = (bundle: ReturnType<typeof loadBundle>) =>
      reproduceBundle(bundle, {
        source: fileSource(path),
        createHasher: nodeHasher,
        environment: nodeEnvironment,
      });
    const dateStep = (b: ReturnType<typeof loadBundle>) =>
      (
        b.manifest.pipeline.spec as { steps: { kind: string; config?: Record<string, unknown> }[] }
      ).steps.find((s) => s.kind === 'date_parts');

    const legacy = await inOtherRuntime(() => make('engine'));
    expect(dateStep(legacy)?.config).toEqual({ cyclic: true });
    expect((await inOtherRuntime(() => replay(legacy))).verdict).toBe('reproduced');
    expect((await replay(legacy)).verdict).toBe('not reproduced');

    const now = await inOtherRuntime(() => make('portable'));
    expect(dateStep(now)?.config).toEqual({ cyclic: true, math: 'portable' });
    expect((await replay(now)).verdict).toBe('reproduced');
  }, 180_000);
});
