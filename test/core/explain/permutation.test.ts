/**
 * Permutation importance: a planted useless column scores ~0, a leaked copy of the target dominates;
 * per-column sums of SHAP keep additivity; `cli explain` prints both views for a fitted bundle.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';
import { sumBySource } from '../../../src/core/explain/columns.ts';
import { createRng } from '../../../src/core/util/random.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('columns: attributions summed back to their source columns', () => {
  it('keeps each row’s total and bias (additivity) and sums exactly the features of each column', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 1e6 }),
        (sources, nRows, nGroups, seed) => {
          const rng = createRng(seed);
          const nF = sources.length;
          const phi = Float64Array.from({ length: nRows * nGroups * (nF + 1) }, () => rng.normal());
          const s = sumBySource(phi, nRows, nGroups, sources);
          expect(s.columns).toEqual([...new Set(sources)]);
          const C = s.columns.length;
          for (let r = 0; r < nRows * nGroups; r++) {
            let a = 0;
            let b = 0;
            for (let j = 0; j <= nF; j++) a += phi[r * (nF + 1) + j]!;
            for (let c = 0; c <= C; c++) b += s.values[r * (C + 1) + c]!;
            expect(b).toBeCloseTo(a, 10);
            expect(s.values[r * (C + 1) + C]).toBe(phi[r * (nF + 1) + nF]);
            s.columns.forEach((col, c) => {
              let want = 0;
              sources.forEach((src, j) => (want += src === col ? phi[r * (nF + 1) + j]! : 0));
              expect(s.values[r * (C + 1) + c]).toBeCloseTo(want, 12);
            });
          }
        },
      ),
    );
  });
});

describe('permutation importance through cli explain', () => {
  it('a leaked column dominates, a planted useless column is ~0; SHAP ranks the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'automl-explain-'));
    const rng = createRng(5);
    const make = (n: number) => {
      const lines = ['signal,noise,useless,leak,label'];
      for (let i = 0; i < n; i++) {
        const signal = rng.normal();
        const noise = rng.normal();
        const y = signal + 0.8 * noise + 0.5 * rng.normal() > 0 ? 'yes' : 'no';
        const leak = y === 'yes' ? 1 + 0.01 * rng.normal() : 0.01 * rng.normal();
        lines.push(
          `${signal.toFixed(4)},${noise.toFixed(4)},${rng.normal().toFixed(4)},${leak.toFixed(4)},${y}`,
        );
      }
      return lines.join('\n') + '\n';
    };
    writeFileSync(join(dir, 'train.csv'), make(800));
    writeFileSync(join(dir, 'test.csv'), make(400));
    const fit = await cli([
      'fit',
      join(dir, 'train.csv'),
      '--target',
      'label',
      '--out',
      join(dir, 'm'),
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const r = await cli(['explain', join(dir, 'm'), join(dir, 'test.csv'), '--json', '--repeats', '4']);
    expect(r.code, r.err).toBe(0);
    const e = JSON.parse(r.out);
    const drop = (c: string) => e.permutation.find((p: { column: string }) => p.column === c);
    expect(e.permutation[0].column).toBe('leak');
    expect(drop('leak').drop).toBeGreaterThan(0.2);
    expect(Math.abs(drop('useless').drop)).toBeLessThan(0.01);
    expect(Math.abs(drop('useless').drop)).toBeLessThan(drop('leak').drop / 20);
    expect(e.shap[0].column).toBe('leak');
    const text = await cli(['explain', join(dir, 'm'), join(dir, 'test.csv')]);
    expect(text.out).toMatch(/permutation importance/);
    expect(text.out).toMatch(/mean \|SHAP\| per column/);
    const bad = await cli(['explain', join(dir, 'm'), join(dir, 'train.csv'), '--repeats', '0']);
    expect(bad.code).toBe(2);
    // a linear model gets exact SHAP values too (closed form), ranked the same way
    const lin = await cli([
      'fit',
      join(dir, 'train.csv'),
      '--target',
      'label',
      '--model',
      'linear',
      '--out',
      join(dir, 'lin'),
      '--no-track',
    ]);
    expect(lin.code, lin.err).toBe(0);
    const l = JSON.parse((await cli(['explain', join(dir, 'lin'), join(dir, 'test.csv'), '--json'])).out);
    const shapOf = (c: string) => l.shap.find((p: { column: string }) => p.column === c).meanAbs as number;
    expect(l.shap[0].column).toBe('leak');
    expect(shapOf('useless')).toBeLessThan(shapOf('leak') / 10);
  }, 180_000);
});
