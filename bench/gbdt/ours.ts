/**
 * One benchmark fit of our GBDT in a fresh process (so peak RSS is its own; taken before a second,
 * warm fit that is timed separately). Prints JSON.
 * Usage: tsx bench/gbdt/ours.ts DATASET_DIR PREDICTIONS.csv [configJSON]   (GBDT_WASM=0: JS kernels)
 */
import { writeFileSync } from 'node:fs';
import { loadDataset, predictionsCsv } from './data.ts';
import { fitGbdt } from '../../src/core/models/gbdt/index.ts';
import type { GbdtConfig } from '../../src/core/models/gbdt/index.ts';
import { setWasmKernels } from '../../src/core/models/gbdt/wasm/kernels.ts';

const [dir, predPath, configJson] = process.argv.slice(2);
if (!dir || !predPath) throw new Error('usage: ours.ts DATASET_DIR PREDICTIONS.csv [configJSON]');
// GBDT_WASM=0: the grower's JavaScript kernels instead of the WebAssembly ones (same trees).
if (process.env.GBDT_WASM === '0') setWasmKernels(false);
const config = (configJson ? JSON.parse(configJson) : {}) as Partial<GbdtConfig>;
const d = loadDataset(dir);
global.gc?.();
const rssBefore = process.memoryUsage().rss / 2 ** 20;
const c0 = process.cpuUsage();
const t0 = performance.now();
const model = fitGbdt(d.train.X, d.train.y, { task: d.meta.task, nClasses: d.nClasses, config });
const fitSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const peakRss = process.resourceUsage().maxRSS / 1024;
const t1 = performance.now();
const pred = model.predict(d.test.X);
const predictSeconds = (performance.now() - t1) / 1000;
// A second, identical fit in the same process: JIT-warm (what a long-lived worker sees from its 2nd fit).
const c2 = process.cpuUsage();
const t2 = performance.now();
fitGbdt(d.train.X, d.train.y, { task: d.meta.task, nClasses: d.nClasses, config });
const warmSeconds = (performance.now() - t2) / 1000;
const warmCpu = process.cpuUsage(c2);
writeFileSync(predPath, predictionsCsv(d.meta, pred, d.test.X.nRows));
console.log(
  JSON.stringify({
    fit_seconds: fitSeconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    predict_seconds: predictSeconds,
    warm_fit_seconds: warmSeconds,
    warm_cpu_seconds: (warmCpu.user + warmCpu.system) / 1e6,
    peak_rss_mb: peakRss,
    rss_before_fit_mb: rssBefore,
    n_features: d.train.X.nCols,
    nodes: model.forest.nNodes,
  }),
);
