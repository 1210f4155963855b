/**
 * TreeSHAP in headless Chromium (issue #18's speed goal is "in Node and Chromium"): src/core/explain/
 * treeshap.ts bundled by esbuild into a page of its own, given the same packed forest and rows as the
 * Node measurement (their bytes, base64), timed there (best of `repeats`). Returns the rows/s by wall
 * time and by the page's main-thread CPU time (DevTools' ThreadTime metric), and the largest difference
 * from the values computed in Node, so the page is shown to compute the same thing.
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { PackedForest } from '../../src/core/models/gbdt/forest.ts';
import type { FeatureMatrix } from '../../src/core/models/types.ts';
import { findChromium } from '../../test/e2e/global-setup.ts';
import type { TreeShapOptions } from '../../src/core/explain/treeshap.ts';

type Typed = Int32Array | Uint32Array | Float32Array | Float64Array;
const b64 = (a: Typed) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export async function treeShapInChromium(
  f: PackedForest,
  X: FeatureMatrix,
  options: TreeShapOptions,
  expected: Float64Array,
  repeats = 3,
): Promise<{ rowsPerS: number; rowsPerCpuS: number; maxAbsDiff: number }> {
  const bundled = await build({
    stdin: {
      contents: "import { treeShap } from './src/core/explain/treeshap.ts'; globalThis.treeShap = treeShap;",
      resolveDir: new URL('../..', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
  });
  const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: bundled.outputFiles[0]!.text });
    const arrays: Record<string, [string, string]> = {};
    for (const [k, v] of Object.entries(f))
      if (ArrayBuffer.isView(v)) arrays[k] = [v.constructor.name, b64(v as Typed)];
    const scalars = { nTrees: f.nTrees, nNodes: f.nNodes };
    await page.evaluate('globalThis.__name = (f) => f;');
    await page.evaluate(
      ({ arrays, scalars, x, shape }) => {
        const decode = ([type, s]: [string, string]) => {
          const bytes = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
          const T = { Int32Array, Uint32Array, Float32Array, Float64Array }[type as 'Int32Array']!;
          return new T(bytes.buffer);
        };
        const g = globalThis as unknown as Record<string, unknown>;
        g.__decode = decode;
        g.__forest = {
          ...scalars,
          ...Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, decode(v)])),
        };
        g.__X = { ...shape, data: decode(x) };
      },
      {
        arrays,
        scalars,
        x: [X.data.constructor.name, b64(X.data)] as [string, string],
        shape: {
          nRows: X.nRows,
          nCols: X.nCols,
          ...(X.categorical ? { categorical: [...X.categorical] } : {}),
          ...(X.nCategories ? { nCategories: [...X.nCategories] } : {}),
        },
      },
    );
    // the main thread's CPU time (DevTools' ThreadTime metric) around each run, beside its wall time
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const threadTime = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN;
    let best = Infinity;
    let bestCpu = Infinity;
    for (let r = 0; r < repeats; r++) {
      const c0 = await threadTime();
      const wall = await page.evaluate((options) => {
        const g = globalThis as unknown as Record<string, unknown>;
        const run = g.treeShap as (...a: unknown[]) => Float64Array;
        const t0 = performance.now();
        g.__out = run(g.__forest, g.__X, options);
        return performance.now() - t0;
      }, options);
      const c1 = await threadTime();
      best = Math.min(best, wall / 1000);
      bestCpu = Math.min(bestCpu, c1 - c0);
    }
    const maxAbsDiff = await page.evaluate(
      (expected) => {
        const g = globalThis as unknown as Record<string, unknown>;
        const want = (g.__decode as (a: [string, string]) => Float64Array)(expected);
        const out = g.__out as Float64Array;
        let d = 0;
        for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(out[i]! - want[i]!));
        return d;
      },
      ['Float64Array', b64(expected)] as [string, string],
    );
    return { rowsPerS: X.nRows / best, rowsPerCpuS: X.nRows / bestCpu, maxAbsDiff };
  } finally {
    await browser.close();
  }
}
