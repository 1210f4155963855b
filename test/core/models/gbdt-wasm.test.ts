import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { binColumns, fitBinMapper, serializeMapper } from '../../../src/core/models/gbdt/binning.ts';
import { TreeGrower } from '../../../src/core/models/gbdt/grower.ts';
import type { GrowParams } from '../../../src/core/models/gbdt/grower.ts';
import type { GbdtConfig } from '../../../src/core/models/gbdt/index.ts';
import {
  KERNEL_BASE,
  createKernels,
  setWasmKernels,
  wasmKernelsAvailable,
} from '../../../src/core/models/gbdt/wasm/kernels.ts';
import { makeObjective } from '../../../src/core/models/gbdt/objective.ts';
import type { FeatureMatrix, Task } from '../../../src/core/models/types.ts';
import { matrixFromColumns } from '../../../src/core/models/types.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { BYTES_PATH, assemble, bytesModule } from '../../../bench/gbdt/build-wasm.ts';
import { synth } from './synth.ts';

/** Numeric columns with ties and missing values, a 40-level categorical (sorted splits) and a 4-level one. */
function wide(task: Task, n: number, seed: number): { X: FeatureMatrix; y: Float64Array; nClasses: number } {
  const rng = createRng(seed);
  const cols: Float64Array[] = [];
  for (let j = 0; j < 7; j++) cols.push(new Float64Array(n));
  const y = new Float64Array(n);
  const effect = Float64Array.from({ length: 40 }, () => rng.normal());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 5; j++) {
      const v = j === 3 ? Math.round(rng.normal() * 3) : rng.normal();
      cols[j][i] = rng.next() < 0.08 * j ? NaN : v;
    }
    const c40 = rng.int(40);
    cols[5][i] = rng.next() < 0.05 ? NaN : c40;
    cols[6][i] = rng.int(4);
    const s = cols[0][i] * 1.5 + effect[c40] + (cols[6][i] === 2 ? 1 : 0) + 0.5 * rng.normal();
    const s1 = Number.isNaN(cols[1][i]) ? 0 : cols[1][i];
    y[i] =
      task === 'regression' ? s + s1 * s1 : task === 'binary' ? (s > 0 ? 1 : 0) : s < -1 ? 0 : s < 1 ? 1 : 2;
  }
  const X = matrixFromColumns(cols, { categorical: [false, false, false, false, false, true, true] });
  return { X, y, nClasses: task === 'regression' ? 1 : task === 'binary' ? 2 : 3 };
}

interface Case {
  name: string;
  task: Task;
  data: () => { X: FeatureMatrix; y: Float64Array; nClasses: number };
  config: Partial<GbdtConfig>;
}

const cases: Case[] = [
  { name: 'binary', task: 'binary', data: () => synth('binary', 2000, 1), config: { rounds: 20 } },
  {
    name: 'binary, missing values, categoricals',
    task: 'binary',
    data: () => wide('binary', 3000, 2),
    config: { rounds: 15, maxDepth: 5 },
  },
  {
    name: 'multiclass, subsampling, column sampling',
    task: 'multiclass',
    data: () => wide('multiclass', 2500, 3),
    config: { rounds: 10, subsample: 0.7, colsampleByTree: 0.8, colsampleByNode: 0.7 },
  },
  {
    name: 'regression, minSamplesLeaf (counted histograms), L1',
    task: 'regression',
    data: () => wide('regression', 3000, 4),
    config: { rounds: 12, minSamplesLeaf: 7, alpha: 0.5 },
  },
  {
    name: 'lossguide, many leaves, unlimited depth (histograms spill out of the kernel memory)',
    task: 'regression',
    data: () => synth('regression', 3000, 5, { missing: 0.1 }),
    config: { rounds: 5, growPolicy: 'lossguide', maxLeaves: 200, maxDepth: 0, minChildWeight: 0 },
  },
  {
    name: 'depth-wise, unlimited depth',
    task: 'binary',
    data: () => wide('binary', 2000, 6),
    config: { rounds: 4, maxDepth: 0, minChildWeight: 0 },
  },
  {
    name: 'random forest (bootstrap), extra trees',
    task: 'multiclass',
    data: () => wide('multiclass', 2000, 7),
    config: { mode: 'random_forest', rounds: 8, extraTrees: true },
  },
  {
    name: 'random forest regression',
    task: 'regression',
    data: () => synth('regression', 1500, 8, { missing: 0.05 }),
    config: { mode: 'random_forest', rounds: 6 },
  },
];

function fitJson(c: Case, wasm: boolean): string {
  setWasmKernels(wasm);
  const d = c.data();
  return JSON.stringify(fitGbdt(d.X, d.y, { task: c.task, nClasses: d.nClasses, config: c.config }).toJSON());
}

describe('gbdt WebAssembly kernels', () => {
  afterEach(() => setWasmKernels(true));

  it('are available in Node', () => {
    expect(wasmKernelsAvailable()).toBe(true);
  });

  for (const c of cases) {
    it(`train the same model as the JavaScript kernels, byte for byte: ${c.name}`, () => {
      const js = fitJson(c, false);
      const wasm = fitJson(c, true);
      expect(wasm.length).toBeGreaterThan(1000);
      expect(wasm === js).toBe(true);
    });
  }

  it('bin columns exactly like binColumns (awkward values, Float32 data, odd category codes)', () => {
    const params: GrowParams = {
      lambda: 1,
      alpha: 0,
      minChildWeight: 1,
      minSamplesLeaf: 1,
      minSplitGain: 0,
      maxDepth: 6,
      maxLeaves: 0,
      lossguide: false,
      learningRate: 0.3,
      maxCatToOnehot: 4,
      maxCatThreshold: 32,
      catSmooth: 10,
      catL2: 10,
      minDataPerGroup: 0,
      extraTrees: false,
      colsampleByNode: 1,
    };
    for (let t = 0; t < 6; t++) {
      const n = 2000 + 777 * t;
      const rng = createRng(50 + t);
      const cols: Float64Array[] = [];
      const categorical: boolean[] = [];
      for (let kind = 0; kind < 6; kind++) {
        cols.push(
          Float64Array.from({ length: n }, () => {
            const r = rng.next();
            if (r < 0.03) return NaN;
            if (kind === 0) return (r - 0.5) * 1e6;
            if (kind === 1) return Math.round(rng.normal() * 10) / 4; // ties, few distinct values
            if (kind === 2) {
              if (r < 0.08) return -0;
              if (r < 0.1) return 0;
              if (r < 0.12) return Infinity;
              if (r < 0.14) return -Infinity;
              return Math.exp(rng.normal() * 20) * (r < 0.5 ? -1 : 1);
            }
            if (kind === 3) return rng.normal() * 1e-300;
            if (kind === 4) return r < 0.1 ? 7 : 7; // constant
            return rng.int(300 + 100 * t); // categorical codes, many levels
          }),
        );
        categorical.push(kind === 5);
      }
      const X64 = matrixFromColumns(cols, { categorical });
      const mapper = fitBinMapper(X64, t === 5 ? 15 : 255, t === 4 ? 500 : 200_000, t);
      // Codes the mapper never saw: negative, fractional, past the map.
      const codes = X64.data.subarray(5 * n, 6 * n);
      codes[0] = -1;
      codes[1] = 2.5;
      codes[2] = 1e9;
      codes[3] = Infinity;
      codes[4] = -0.5;
      const X = t % 2 === 0 ? X64 : { ...X64, data: Float32Array.from(X64.data) };
      setWasmKernels(true);
      const grower = new TreeGrower(mapper, X, params, 0);
      expect(Array.from(grower.columnBins())).toEqual(Array.from(binColumns(mapper, X)));
    }
  });

  it('fit the same bin mapper as JavaScript (odd codes, hints, many levels; awkward numbers)', () => {
    for (let t = 0; t < 4; t++) {
      const n = 3000 + 500 * t;
      const rng = createRng(70 + t);
      const levels = [3, 40, 600, 5000][t];
      const cols = [0, 1, 2].map((j) =>
        Float64Array.from({ length: n }, () => {
          const r = rng.next();
          if (r < 0.05) return NaN;
          if (r < 0.07) return -1 - rng.int(3);
          if (r < 0.08) return -0;
          if (r < 0.1) return rng.int(levels) + 0.5;
          return j === 2 ? rng.normal() : Math.floor(levels * rng.next() ** (1 + j));
        }),
      );
      // Numeric columns: ties (few distinct values), ±0 / ±Infinity / huge (midpoints that overflow), tiny.
      const special = [-0, 0, Infinity, -Infinity, 1e308, -1e308, 1.7e308, 5e-324];
      cols.push(Float64Array.from({ length: n }, () => Math.round(rng.normal() * 10) / 4));
      cols.push(
        Float64Array.from({ length: n }, () => {
          const r = rng.next();
          return r < 0.3 ? special[rng.int(special.length)] : r < 0.35 ? NaN : rng.normal() * 1e300;
        }),
      );
      cols.push(Float64Array.from({ length: n }, () => rng.normal() * 1e-300));
      // Many distinct values with heavy ties (equal-frequency bins closed early around heavy values).
      cols.push(Float64Array.from({ length: n }, () => Math.round(rng.normal() ** 3 * 100)));
      cols.push(new Float64Array(n).fill(NaN));
      const X0 = matrixFromColumns(cols, {
        categorical: [true, true, false, false, false, false, false, false],
      });
      const X = t === 1 ? { ...X0, nCategories: [levels + 7, levels, 0, 0, 0, 0, 0, 0] } : X0;
      const mappers = [true, false].map((w) => {
        setWasmKernels(w);
        return JSON.stringify(serializeMapper(fitBinMapper(X, t === 3 ? 64 : 255, 200_000, t)));
      });
      expect(mappers[0] === mappers[1]).toBe(true);
    }
  });

  it('logloss gradients and loss: the same bits as JavaScript, extreme margins included', () => {
    const n = 20000;
    const kern = createKernels(KERNEL_BASE + 32 * n);
    expect(kern).not.toBeNull();
    if (!kern) return;
    const buf = kern.memory.buffer;
    const raw = new Float64Array(buf, KERNEL_BASE, n);
    const y = new Float64Array(buf, KERNEL_BASE + 8 * n, n);
    const g = new Float64Array(buf, KERNEL_BASE + 16 * n, 2 * n);
    const rng = createRng(11);
    // prettier-ignore
    const special = [
      0, -0, 709, 709.5, -709, -709.5, 744, 744.2, 744.5, 744.99, -744.5, -745, -745.5, 745, 800, -800,
      1e308, -1e308, Infinity, -Infinity, NaN,
    ];
    for (let i = 0; i < n; i++) {
      const r = rng.next();
      raw[i] = i < special.length ? special[i] : r < 0.5 ? rng.normal() * 3 : (r - 0.75) * 3000;
      y[i] = rng.next() < 0.4 ? 1 : 0;
    }
    const obj = makeObjective('logloss', 1);
    const g2 = new Float64Array(2 * n);
    const lossJs = obj.gradients(raw.slice(), y.slice(), null, n, [g2]);
    const lossWasm = obj.gradients(raw, y, null, n, [g]);
    expect(kern.table[0]).not.toBe(0); // the kernel ran
    expect(Number.isNaN(g2[2 * 8])).toBe(false); // raw 744.5: fastExp(-744.5) was NaN once
    expect(Object.is(lossWasm, lossJs)).toBe(true);
    for (let i = 0; i < 2 * n; i++) if (!Object.is(g[i], g2[i])) expect([i, g[i]]).toEqual([i, g2[i]]);
  });

  it('the committed bytes are kernels.wat assembled (npx tsx bench/gbdt/build-wasm.ts)', async () => {
    expect(readFileSync(BYTES_PATH, 'utf8')).toBe(bytesModule(await assemble()));
  });
});
