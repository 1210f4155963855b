/**
 * In-process timing of our GBDT (cold first fit, then warm fits), for profiling with node --cpu-prof.
 * Usage: node --import tsx bench/gbdt/profile.ts DATASET_DIR [fits=3] [configJSON]
 */
import { loadDataset } from './data.ts';
import { fitGbdt } from '../../src/core/models/gbdt/index.ts';
import type { GbdtConfig } from '../../src/core/models/gbdt/index.ts';

const [dir, fitsArg, configJson] = process.argv.slice(2);
if (!dir) throw new Error('usage: profile.ts DATASET_DIR [fits] [configJSON]');
const config = (configJson ? JSON.parse(configJson) : {}) as Partial<GbdtConfig>;
const d = loadDataset(dir);
const fits = Number(fitsArg ?? 3);
for (let i = 0; i < fits; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const model = fitGbdt(d.train.X, d.train.y, { task: d.meta.task, nClasses: d.nClasses, config });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  console.log(
    `fit ${i}: wall ${wall.toFixed(3)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(3)} s, ` +
      `nodes ${model.forest.nNodes}, train ${model.history.train.at(-1)?.toFixed(6)}`,
  );
}
