/**
 * Shared by the tests of time-budgeted searches (issue #12, #17, #21): synthetic tables, a fake
 * clock, a two-lane executor, the replay of a search result as `reproduce` runs it, and the holdout
 * context and first trial of the tests of one trial cut by its time limit.
 */
import { expect } from 'vitest';
import type { Table } from '../../../src/core/data/table.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { runSearch, type SearchOptions, type SearchResult } from '../../../src/core/search/runner.ts';
import { inProcessExecutor, type TrialExecutor } from '../../../src/core/search/executor.ts';
import { prepareSearchContext, type SearchContext } from '../../../src/core/search/context.ts';
import type { TrialTask } from '../../../src/core/search/evaluate-trial.ts';
import type { FamilyName } from '../../../src/core/train/families.ts';
import { mixedTable } from '../../../bench/search-scale/table.ts';

/** A binary target over `p` numeric columns (a few informative) and a category. */
export function wide(n: number, p: number, seed: number): Table {
  const rng = createRng(seed);
  const cols: Table['columns'][number][] = [];
  const xs: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = i % (19 + j) === 0 ? NaN : rng.normal();
    xs.push(v);
    cols.push({ name: `x${j}`, type: 'numeric', storage: 'float64', values: v });
  }
  const codes = new Int32Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    codes[i] = rng.int(4);
    const s =
      (xs[0][i] || 0) -
      0.8 * (xs[1][i] || 0) ** 2 +
      0.6 * (xs[2][i] || 0) * (xs[3][i] || 0) +
      (codes[i] === 2 ? 0.7 : 0) +
      0.8 * rng.normal();
    y[i] = s > 0 ? 1 : 0;
  }
  cols.push({ name: 'c', type: 'categorical', storage: 'dict', codes, dictionary: ['a', 'b', 'c', 'd'] });
  cols.push({ name: 'y', type: 'categorical', storage: 'dict', codes: y, dictionary: ['no', 'yes'] });
  return { nRows: n, columns: cols };
}

/** The mixed table of the row-subsample tests (bench/search-scale/table.ts): `rows` × 10 columns, binary `y`. */
export const mixedRows = (rows = 3000): Table => mixedTable(rows, 10, 7);

/**
 * A search context on a holdout plan of `mixedRows(rows)` (binary `y`, ROC AUC, seed 4) with one
 * row-subsample level of 600 rows, or none (`levels: false`).
 */
export function holdoutContext(
  families: FamilyName[],
  { rows = 3000, levels = true }: { rows?: number; levels?: boolean } = {},
): SearchContext {
  return prepareSearchContext({
    table: mixedRows(rows),
    spec: {
      target: 'y',
      task: 'binary',
      seed: 4,
      metric: 'roc_auc',
      families,
      folds: 1,
      ...(levels ? { subsample: { threshold: 800, rows: [600] } } : {}),
    },
  });
}

/** Trial 0 of `family` with `config`, seed 3, no rungs or halving peers; `extra` adds or overrides. */
export function firstTrial(
  family: FamilyName,
  config: TrialTask['config'],
  extra: Partial<TrialTask> = {},
): TrialTask {
  return { id: 't0', number: 0, family, config, seed: 3, rungs: [], halving: false, peers: {}, ...extra };
}

/**
 * A clock that advances `step` ms at every reading (so trials are cut at the deadline at the same
 * point every run), and can jump ahead (e.g. to the budget margin when the refit starts).
 */
export function fakeClock(step: number) {
  let t = 0;
  return { now: () => (t += step), jumpTo: (to: number) => void (t = Math.max(t, to)) };
}

/**
 * An in-process executor (one at a time) on which every trial of `family` "takes" `ms` more of the
 * fake clock, at its first report: a family measured slow (or, for GBDT, rounds that cost far more
 * than their size estimate) without training anything slowly.
 */
export function slowFamilyExecutor(
  clock: ReturnType<typeof fakeClock>,
  family: FamilyName,
  ms: number,
): TrialExecutor {
  const inner = inProcessExecutor({ now: clock.now });
  return {
    concurrency: 1,
    init: (data, local) => inner.init(data, local),
    evaluate(task, hooks) {
      let jumped = false;
      return inner.evaluate(task, {
        ...hooks,
        report: (step, value) => {
          if (task.family === family && !jumped) {
            jumped = true;
            clock.jumpTo(clock.now() + ms);
          }
          return hooks.report?.(step, value) ?? 'continue';
        },
      });
    },
    close: () => inner.close(),
  };
}

/**
 * An executor that runs two trials at once in process, each after a delay that depends on its
 * number: results arrive out of order, so halving peers are asynchronous snapshots.
 */
export function twoLaneExecutor(now: () => number): TrialExecutor {
  const inner = inProcessExecutor({ now });
  return {
    concurrency: 2,
    init: (data, local) => inner.init(data, local),
    async evaluate(task, hooks) {
      await new Promise((r) => setTimeout(r, task.number % 2 === 0 ? 40 : 0));
      return inner.evaluate(task, hooks);
    },
    close: () => inner.close(),
  };
}

export const summary = (r: SearchResult) =>
  r.trials.map((t) => ({
    number: t.number,
    family: t.family,
    params: t.params,
    seed: t.seed,
    state: t.state,
    reason: t.reason,
    value: t.value,
    foldValues: t.foldValues,
    rungs: t.rungs,
    resources: t.resources,
  }));

/**
 * Replays a search result as `reproduce` does: the recorded trials and clock decisions, no budget;
 * `extra`: options the manifest does not record that the search was given (e.g. `ensembleSize`).
 */
export function replayOf(
  r: SearchResult,
  base: SearchOptions,
  extra: Partial<SearchOptions> = {},
): Promise<SearchResult> {
  const m = r.manifest;
  return runSearch({
    table: base.table,
    target: base.target,
    task: base.task,
    families: m.families,
    metric: m.metric,
    seed: m.seed,
    sampler: m.sampler,
    folds: m.split.strategy === 'kfold' ? m.split.folds : 1,
    ...(m.split.validFraction !== undefined ? { holdoutFraction: m.split.validFraction } : {}),
    halving:
      m.halving === false
        ? false
        : { reductionFactor: m.halving.reductionFactor, minPeers: m.halving.minPeers },
    marginFraction: m.budget.marginFraction,
    ...(m.split.subsample ? { subsample: m.split.subsample } : {}),
    replay: m.replay,
    replayClock: JSON.parse(JSON.stringify(m.clock)),
    replayStoppedBy: m.stoppedBy,
    ...extra,
  });
}

export function expectSameSearch(a: SearchResult, b: SearchResult, table: Table): void {
  expect(summary(b)).toEqual(summary(a));
  expect(b.manifest.ensemble).toEqual(a.manifest.ensemble);
  expect(b.manifest.final).toEqual(a.manifest.final);
  expect(b.manifest.clock.cuts).toEqual(a.manifest.clock.cuts);
  expect(b.manifest.clock.refit).toEqual(a.manifest.clock.refit);
  expect(b.manifest.clock.rescue).toEqual(a.manifest.clock.rescue);
  expect(Array.from(b.validation.rows)).toEqual(Array.from(a.validation.rows));
  expect(Array.from(b.validation.pred)).toEqual(Array.from(a.validation.pred));
  expect(Array.from(b.model.predictTable(table))).toEqual(Array.from(a.model.predictTable(table)));
}
