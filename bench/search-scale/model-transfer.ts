/**
 * How long a big model takes to come back from a trial worker (issues 17/21): a random forest of 120
 * rounds of deep trees (the portfolio's first forest: extra trees, depth 20, leaves of 1 row) on
 * letter-like data (20,000 rows × 16 columns, 26 classes; a 20% holdout, so the worker sends its
 * fold-0 model back), in one Node worker thread. Prints, per trial: the trial's own time (measured
 * in the worker), the hand-back (the call's time less the trial's and the worker's start-up:
 * encoding, crossing the boundary, decoding the message) and the coordinator's `deserializeModel`.
 *
 *   npx tsx bench/search-scale/model-transfer.ts [--rows 20000] [--trees 120] [--runs 1]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { letterLikeTable } from '../automl/letter-like.ts';
import { prepareSearchContext } from '../../src/core/search/context.ts';
import { toFamilyConfig } from '../../src/core/search/spaces.ts';
import { createNodeTrialPool } from '../../src/cli/worker-pool.ts';
import { deserializeModel } from '../../src/core/models/registry.ts';
import { ensureFamiliesRegistered } from '../../src/core/train/families.ts';
import type { SerializedModel } from '../../src/core/models/types.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    trees: { type: 'string', default: '120' },
    runs: { type: 'string', default: '1' },
  },
});
ensureFamiliesRegistered();
const table = letterLikeTable({ rows: Number(values.rows) });
const data = {
  table,
  spec: {
    target: 'letter',
    task: 'multiclass' as const,
    seed: 42,
    metric: 'log_loss',
    families: ['random_forest' as const],
    folds: 'auto' as const,
    kfoldMaxRows: 10_000,
  },
};
const ctx = prepareSearchContext(data);
const pool = createNodeTrialPool({ size: 1 });
await pool.init(data, ctx);
const params = {
  extraTrees: true,
  featureFraction: 'sqrt',
  maxDepth: 20,
  minSamplesLeaf: 1,
  classWeight: 'none',
};
const trees = Number(values.trees);
// 120 = the family's maximum (no cap: also runs on code from before the tree allowance)
const config = { ...toFamilyConfig('random_forest', params), ...(trees < 120 ? { treeCap: trees } : {}) };
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
console.log(`before: ${load()}`);
for (let number = 0; number < Number(values.runs); number++) {
  const t0 = performance.now();
  const out = await pool.evaluate(
    {
      id: `trial-${number}`,
      number,
      family: 'random_forest',
      config,
      seed: 7 + number,
      rungs: [],
      halving: false,
      peers: {},
      keepHoldoutModel: true,
    },
    {},
  );
  // the first call also started the worker: its start-up is not part of the hand-back
  const startup = number === 0 ? ((pool.stats as { startupMs?: readonly number[] }).startupMs?.[0] ?? 0) : 0;
  const call = performance.now() - t0 - startup;
  if (!out.holdout) throw new Error(`no model came back: ${JSON.stringify(out.result)}`);
  const t1 = performance.now();
  const model = deserializeModel(out.holdout.model as SerializedModel);
  const deser = performance.now() - t1;
  const trial = (out.result.durations?.total ?? 0) * 1000;
  const forest = (out.holdout.model as { forest?: { nNodes?: number; treeRoot?: unknown } }).forest;
  console.log(
    `trial ${number}: ${model.iterationsUsed} rounds, ${forest?.nNodes} nodes, sent as ` +
      `${typeof forest?.treeRoot === 'string' ? 'base64 JSON' : 'typed arrays'}; trial ${(trial / 1000).toFixed(1)} s, ` +
      `hand-back ${((call - trial) / 1000).toFixed(2)} s, deserializeModel ${(deser / 1000).toFixed(2)} s`,
  );
}
console.log(`after: ${load()}`);
await pool.close();
