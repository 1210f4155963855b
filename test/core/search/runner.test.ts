import { describe, expect, it } from 'vitest';
import type { Table } from '../../../src/core/data/table.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { runSearch, type SearchResult } from '../../../src/core/search/runner.ts';
import { EnsembleModel } from '../../../src/core/search/ensemble.ts';
import { gbdtPatience } from '../../../src/core/search/spaces.ts';
import { deserializeModel } from '../../../src/core/models/registry.ts';
import { evaluate } from '../../../src/core/metrics/index.ts';
import type { Task } from '../../../src/core/models/types.ts';

/** y depends on x1, x2 and a category; x3 is noise. */
function synth(task: Task, n: number, seed: number): Table {
  const rng = createRng(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const x3 = new Float64Array(n);
  const codes = new Int32Array(n);
  const yNum = new Float64Array(n);
  const yCodes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = rng.normal();
    x2[i] = rng.normal();
    x3[i] = i % 17 === 0 ? NaN : rng.normal();
    codes[i] = rng.int(3);
    const s = 1.5 * x1[i] - x2[i] * x2[i] + (codes[i] === 1 ? 1 : 0) + 0.5 * rng.normal();
    yNum[i] = s;
    yCodes[i] = task === 'binary' ? (s > 0 ? 1 : 0) : s < -0.8 ? 0 : s < 0.8 ? 1 : 2;
  }
  const target =
    task === 'regression'
      ? { name: 'y', type: 'numeric' as const, storage: 'float64' as const, values: yNum }
      : {
          name: 'y',
          type: 'categorical' as const,
          storage: 'dict' as const,
          codes: yCodes,
          dictionary: task === 'binary' ? ['no', 'yes'] : ['lo', 'mid', 'hi'],
        };
  return {
    nRows: n,
    columns: [
      { name: 'x1', type: 'numeric', storage: 'float64', values: x1 },
      { name: 'x2', type: 'numeric', storage: 'float64', values: x2 },
      { name: 'x3', type: 'numeric', storage: 'float64', values: x3 },
      { name: 'c', type: 'categorical', storage: 'dict', codes, dictionary: ['a', 'b', 'c'] },
      target,
    ],
  };
}

const summary = (r: SearchResult) =>
  r.trials.map((t) => ({
    number: t.number,
    family: t.family,
    params: t.params,
    seed: t.seed,
    state: t.state,
    value: t.value,
    foldValues: t.foldValues,
    rungs: t.rungs,
    resources: t.resources,
  }));

describe('runSearch', () => {
  it('is deterministic with a seed and a trial budget, and its trial list replays', async () => {
    const table = synth('binary', 240, 1);
    const opts = {
      table,
      target: 'y',
      task: 'binary' as const,
      families: ['gbdt', 'random_forest'] as const,
      seed: 7,
      maxTrials: 7,
      folds: 3,
      sampler: 'tpe',
    };
    const a = await runSearch({ ...opts, families: [...opts.families] });
    const b = await runSearch({ ...opts, families: [...opts.families] });
    expect(summary(b)).toEqual(summary(a));
    expect(a.trials).toHaveLength(7);
    expect(a.manifest.split).toMatchObject({ strategy: 'kfold', folds: 3, stratified: true, seed: 7 });
    expect(a.trials.every((t) => t.state !== 'RUNNING')).toBe(true);
    const p1 = a.model.predictTable(table);
    expect(Array.from(b.model.predictTable(table))).toEqual(Array.from(p1));
    // replay the recorded list with a different sampler: same trials and scores
    const c = await runSearch({
      ...opts,
      families: [...opts.families],
      sampler: 'random',
      replay: a.manifest.replay,
    });
    expect(summary(c)).toEqual(summary(a));
    // a good model: in-sample AUC well above chance
    const y = Float64Array.from((table.columns[4] as { codes: Int32Array }).codes);
    expect(evaluate('binary', y, p1, 2).roc_auc).toBeGreaterThan(0.85);
  });

  it('an MLP trial with embeddings reads its own pipeline (category codes) and learns embedding tables', async () => {
    const table = synth('binary', 160, 9);
    const mlp = {
      layers: 1,
      width: 16,
      activation: 'relu',
      dropout: 0,
      learningRate: 0.01,
      l2: 1e-6,
      batchSize: 64,
    } as const;
    const run = (params: Record<string, string | number | boolean>) =>
      runSearch({
        table,
        target: 'y',
        task: 'binary',
        families: ['mlp'],
        seed: 3,
        maxTrials: 1,
        folds: 2,
        halving: false,
        ensembleSize: 1,
        replay: [{ family: 'mlp', params }],
      });
    const embedded = await run({ ...mlp, embeddings: true });
    const plain = await run({ ...mlp, embeddings: false });
    // an MLP recorded before `embeddings` joined the space replays as embeddings: false
    const legacy = await run({ ...mlp });
    for (const r of [embedded, plain, legacy]) expect(r.trials[0].state).toBe('COMPLETE');
    expect(embedded.trials[0].config.embeddings).toBe(true);
    expect(legacy.trials[0].params.embeddings).toBe(false);
    expect(summary(legacy)).toEqual(summary(plain));
    const stateOf = (r: SearchResult) => {
      const json = JSON.parse(JSON.stringify(r.model.toJSON())) as {
        members: { model: { state: { embeddings?: { column: number }[] } } }[];
      };
      return json.members[0].model.state;
    };
    // the embedded trial's final model has a table for the category column; the plain one one-hot encodes it
    expect(stateOf(embedded).embeddings?.length).toBe(1);
    expect(stateOf(plain).embeddings ?? []).toHaveLength(0);
    const pe = embedded.model.predictTable(table);
    expect(pe.every((v) => Number.isFinite(v))).toBe(true);
    expect(Array.from(pe)).not.toEqual(Array.from(plain.model.predictTable(table)));
  });

  it('records complete trials with per-fold values and a value from the out-of-fold predictions', async () => {
    const r = await runSearch({
      table: synth('regression', 200, 2),
      target: 'y',
      task: 'regression',
      families: ['gbdt'],
      seed: 1,
      maxTrials: 4,
      folds: 3,
      halving: false,
    });
    for (const t of r.trials) {
      expect(t.state).toBe('COMPLETE');
      expect(t.foldValues).toHaveLength(3);
      expect(t.resources).toHaveLength(3);
      expect(t.value).toBeGreaterThan(0);
      // patience scaled to the learning rate (spaces.ts gbdtPatience)
      expect(t.config.earlyStoppingRounds).toBe(gbdtPatience(t.params.learningRate as number));
    }
    expect(r.best.value).toBe(Math.min(...r.trials.map((t) => t.value!)));
    expect(r.manifest.metric).toBe('rmse');
  });

  it('builds an ensemble model that serialises, deserialises and predicts like any model', async () => {
    const table = synth('multiclass', 240, 3);
    const r = await runSearch({
      table,
      target: 'y',
      task: 'multiclass',
      families: ['gbdt', 'random_forest'],
      seed: 3,
      maxTrials: 5,
      folds: 3,
    });
    const m = r.manifest;
    expect(m.ensemble.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(m.ensemble.score).toBeLessThanOrEqual(m.ensemble.bestSingleScore); // log loss
    expect(r.kind).toBe(m.ensemble.used ? 'ensemble' : 'single');
    // the chosen combination's out-of-fold predictions score what the manifest says
    expect(r.validation.pred.length).toBe(240 * 3);
    expect(evaluate('multiclass', r.validation.y, r.validation.pred, 3).log_loss).toBeCloseTo(
      m.ensemble.used ? m.ensemble.score : r.best.value!,
      10,
    );
    const p = r.model.predictTable(table);
    expect(p.length).toBe(240 * 3);
    for (let i = 0; i < 240; i++) expect(p[3 * i] + p[3 * i + 1] + p[3 * i + 2]).toBeCloseTo(1, 6);
    expect(Array.from(r.model.predict(r.model.transform(table)))).toEqual(Array.from(p));
    const back = deserializeModel(JSON.parse(JSON.stringify(r.model.toJSON())));
    expect(back).toBeInstanceOf(EnsembleModel);
    const q = (back as EnsembleModel).predictTable(table);
    for (let i = 0; i < p.length; i++) expect(q[i]).toBeCloseTo(p[i], 12);
  });

  it('respects a time budget on small data (within budget + stated margin)', async () => {
    const budget = 4;
    const t0 = performance.now();
    const r = await runSearch({
      table: synth('binary', 400, 4),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 1,
      timeBudgetSeconds: budget,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(seconds).toBeLessThanOrEqual(r.manifest.budget.statedMaxSeconds! + 0.3);
    expect(r.manifest.stoppedBy).toBe('deadline');
    expect(r.trials.length).toBeGreaterThan(2);
    const cut = r.trials.filter((t) => t.reason === 'deadline');
    for (const t of cut) expect(t.state).toBe('PRUNED');
  });

  it('stops cleanly on abort and still returns the best model so far', async () => {
    const ctrl = new AbortController();
    const r = await runSearch({
      table: synth('binary', 200, 5),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 1,
      maxTrials: 50,
      signal: ctrl.signal,
      onTrial: (t) => {
        if (t.number === 2) ctrl.abort();
      },
    });
    // Trials are asked in batches of 4 (deterministic mode): trial 3 was asked with trial 2 and ends
    // 'aborted' without running; no further batch is asked.
    expect(r.trials).toHaveLength(4);
    expect(r.trials[3]).toMatchObject({ state: 'PRUNED', reason: 'aborted' });
    expect(r.manifest.stoppedBy).toBe('aborted');
    expect(r.model.members.length).toBeGreaterThanOrEqual(1);
  });

  it('keeps the best trials of every family as ensemble candidates and scales refit rounds', async () => {
    const r = await runSearch({
      table: synth('binary', 240, 8),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 4,
      maxTrials: 8,
      folds: 3,
      ensembleSize: 2,
      halving: false,
    });
    const complete = r.trials.filter((t) => t.state === 'COMPLETE');
    const ranked = [...complete].sort((a, b) => b.value! - a.value! || a.number - b.number);
    const expected = new Set(ranked.slice(0, 2).map((t) => t.number));
    for (const fam of ['gbdt', 'random_forest'])
      for (const t of ranked.filter((x) => x.family === fam).slice(0, 2)) expected.add(t.number);
    expect(new Set(r.manifest.ensemble.candidates)).toEqual(expected);
    // candidates best first
    const values = r.manifest.ensemble.candidates.map((n) => r.trials[n].value!);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    // gbdt refits: mean best iteration × √(3/2) (3 folds train on 2/3 of the rows)
    for (const m of r.manifest.final.members) {
      const t = r.trials[m.trial];
      if (t.family !== 'gbdt') continue;
      const mean = t.resources!.reduce((a, b) => a + b, 0) / t.resources!.length;
      expect(m.resource).toBe(Math.max(1, Math.round(mean * Math.sqrt(1.5))));
    }
  });

  it('searches the linear family on WASM deterministically', async () => {
    const opts = {
      table: synth('binary', 150, 6),
      target: 'y',
      task: 'binary' as const,
      seed: 2,
      maxTrials: 2,
      folds: 3,
    };
    const a = await runSearch({ ...opts, families: ['linear'] });
    const b = await runSearch({ ...opts, families: ['linear'] });
    expect(summary(b)).toEqual(summary(a));
    expect(a.trials[0].state).toBe('COMPLETE');
  }, 60_000);
});
