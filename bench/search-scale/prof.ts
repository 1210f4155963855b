/** Profiles one trial of a family on the generated table, in process: npx tsx bench/search-scale/prof.ts [rows] [family] [portfolio index] */
import { mixedTable } from './table.ts';
import { prepareSearchContext } from '../../src/core/search/context.ts';
import { Study } from '../../src/core/search/study.ts';
import { evaluateTrial } from '../../src/core/search/evaluate-trial.ts';
import { ensureFamiliesRegistered, type FamilyName } from '../../src/core/train/families.ts';
import { pipeKey } from '../../src/core/search/context.ts';
import { DEFAULT_PORTFOLIO } from '../../src/core/search/samplers/portfolio.ts';
import { splitJoint } from '../../src/core/search/spaces.ts';

ensureFamiliesRegistered();
const n = Number(process.argv[2] ?? 1000000);
const index = Number(process.argv[3] ?? 0);
const { family } = splitJoint(DEFAULT_PORTFOLIO[index]);
const table = mixedTable(n, 30, 1);
let t = performance.now();
const lap = (s: string) => {
  const x = performance.now();
  console.log(s, ((x - t) / 1000).toFixed(2));
  t = x;
};
if (family === 'linear' || family === 'mlp') {
  const { selectBackend } = await import('../../src/core/models/nn/backend.ts');
  await selectBackend('auto');
  lap('tf backend');
}
const families: FamilyName[] = [family];
const ctx = prepareSearchContext({
  table,
  spec: { target: 'y', task: 'binary', seed: 0, metric: 'roc_auc', families, folds: 1 },
});
lap('prepare');
const study = new Study({ task: 'binary', metric: 'roc_auc', families, seed: 0, sampler: 'portfolio' });
study.enqueue(splitJoint(DEFAULT_PORTFOLIO[index]));
const tr = study.ask();
ctx.levelData(pipeKey(tr.family, tr.config), 0);
lap('level 0');
const out = await evaluateTrial(
  ctx,
  {
    id: tr.id,
    number: 0,
    family: tr.family,
    config: tr.config,
    seed: tr.seed,
    rungs: [],
    halving: {},
    peers: {},
    ...(ctx.subsample ? { rowLevels: ctx.subsample.rows } : {}),
    keepHoldoutModel: true,
  },
  { report: (s, v) => void console.log('rung', s, v) },
);
lap(`trial ${tr.family}`);
console.log(out.result.state, out.result.value, out.result.resources, out.result.durations);
