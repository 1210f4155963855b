/**
 * The retrain loop's core (src/core/monitor/retrain.ts): the joined training data reads back to the
 * same values as its parts (property test over generated tables), the lineage, what a batch must
 * have, the plan from a manifest, the CLI recipe, and champion vs challenger by metric direction.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellText, columnByName, type Table } from '../../../src/core/data/table.ts';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../../src/core/ingest/index.ts';
import type { BundleManifest } from '../../../src/core/export/bundle.ts';
import {
  RetrainInputError,
  combineTrainingData,
  compareModels,
  retrainArgs,
  retrainPlan,
} from '../../../src/core/monitor/retrain.ts';
import type { MonitoringPerformanceSummary } from '../../../src/core/tracking/types.ts';

const enc = new TextEncoder();
const src = (name: string, text: string) => bytesSource(name, enc.encode(text));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const TYPES = { x: 'numeric', c: 'categorical', d: 'datetime', y: 'categorical' } as const;

async function read(text: string): Promise<Table> {
  return (await ingestCsv(src('t.csv', text), { typeOverrides: TYPES })).table;
}

describe('combineTrainingData', () => {
  it('training rows then the labelled batch rows, in the training column order, with the lineage', async () => {
    const train = 'x,c,d,y\n1.5,a,2026-01-01,yes\n-2,"b,c",2026-01-02,no\n,NA,,yes\n';
    const batch = 'y,c,x,extra,d\nno,a,3.25,9,2026-04-01\n,a,1,9,2026-04-02\nyes,z,0.1,9,\n';
    const out = await combineTrainingData(
      [
        { role: 'training', source: src('train.csv', train) },
        { role: 'batch', source: src('april.csv', batch), batchTime: 7 },
      ],
      { target: 'y', types: TYPES },
    );
    expect(out.name).toBe('train+1-batch.csv');
    expect(out.columns).toEqual(['x', 'c', 'd', 'y']);
    expect(out.rows).toBe(5);
    expect(out.lineage).toEqual([
      { role: 'training', name: 'train.csv', sha256: sha(train), rows: 3 },
      { role: 'batch', name: 'april.csv', sha256: sha(batch), rows: 2, batchTime: 7 },
    ]);
    expect(out.notes).toEqual([
      'april.csv: columns the training data does not have were left out (extra)',
      'april.csv: 1 rows without a y value left out',
    ]);
    const t = await read(new TextDecoder().decode(out.csv));
    const text = (n: string) => Array.from({ length: t.nRows }, (_, i) => cellText(columnByName(t, n)!, i));
    expect(text('x')).toEqual(['1.5', '-2', '', '3.25', '0.1']);
    expect(text('c')).toEqual(['a', 'b,c', '', 'a', 'z']);
    expect(text('y')).toEqual(['yes', 'no', 'yes', 'no', 'yes']);
    expect(text('d')).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
      '',
      '2026-04-01T00:00:00.000Z',
      '',
    ]);
  });

  it('property: every number and category reads back exactly as in its part', async () => {
    const word = fc.stringMatching(/^[a-z][a-z ,"]{0,6}$/);
    const row = fc.record({
      x: fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
        fc.constant(NaN),
      ),
      c: word,
      y: fc.constantFrom('yes', 'no'),
    });
    const csv = (rows: { x: number; c: string; y: string }[], cols: string[]) =>
      [
        cols.join(','),
        ...rows.map((r) =>
          cols
            .map((k) => {
              const v = r[k as 'x' | 'c' | 'y'];
              const s = typeof v === 'number' ? (Number.isNaN(v) ? '' : String(v)) : v;
              return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
            })
            .join(','),
        ),
      ].join('\n') + '\n';
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 20 }),
        fc.array(row, { minLength: 1, maxLength: 20 }),
        async (a, b) => {
          const types = { x: 'numeric', c: 'categorical', y: 'categorical' } as const;
          const out = await combineTrainingData(
            [
              { role: 'training', source: src('a.csv', csv(a, ['x', 'c', 'y'])) },
              { role: 'batch', source: src('b.csv', csv(b, ['y', 'x', 'c'])) },
            ],
            { target: 'y', types },
          );
          const readAs = async (name: string, bytes: Uint8Array) =>
            (await ingestCsv(bytesSource(name, bytes), { typeOverrides: types })).table;
          const t = await readAs('o.csv', out.csv);
          const pa = await readAs('a.csv', enc.encode(csv(a, ['x', 'c', 'y'])));
          const pb = await readAs('b.csv', enc.encode(csv(b, ['y', 'x', 'c'])));
          expect(t.nRows).toBe(a.length + b.length);
          for (const name of ['x', 'c', 'y']) {
            const got = columnByName(t, name)!;
            const want = [pa, pb].flatMap((p) => {
              const col = columnByName(p, name)!;
              return Array.from({ length: p.nRows }, (_, i) =>
                col.storage === 'float64' ? col.values[i] : cellText(col, i),
              );
            });
            const have = Array.from({ length: t.nRows }, (_, i) =>
              got.storage === 'float64' ? got.values[i] : cellText(got, i),
            );
            expect(have, name).toEqual(want);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a batch must have the target and a labelled row; one training file and at least one batch', async () => {
    const train = src('train.csv', 'x,y\n1,a\n');
    await expect(
      combineTrainingData(
        [
          { role: 'training', source: train },
          { role: 'batch', source: src('b.csv', 'x\n2\n') },
        ],
        {
          target: 'y',
          types: {},
        },
      ),
    ).rejects.toThrow(/b\.csv has no target column y: only labelled batches/);
    await expect(
      combineTrainingData(
        [
          { role: 'training', source: src('train.csv', 'x,y\n1,a\n') },
          { role: 'batch', source: src('b.csv', 'x,y\n2,\n') },
        ],
        { target: 'y', types: {} },
      ),
    ).rejects.toThrow(/b\.csv has no row with a y value/);
    await expect(
      combineTrainingData([{ role: 'training', source: train }], { target: 'y', types: {} }),
    ).rejects.toThrow(RetrainInputError);
    // A batch lacking a training column: empty for its rows, with a note.
    const out = await combineTrainingData(
      [
        { role: 'training', source: src('train.csv', 'x,z,y\n1,5,a\n') },
        { role: 'batch', source: src('b.csv', 'x,y\n2,b\n') },
      ],
      { target: 'y', types: {} },
    );
    expect(new TextDecoder().decode(out.csv)).toBe('x,z,y\n1,5,a\n2,,b\n');
    expect(out.notes).toEqual(['b.csv lacks z: empty for its rows']);
  });
});

const base = {
  task: 'binary',
  target: 'churn',
  seed: 9,
  classes: ['no', 'yes'],
  decision: { positiveClass: 'yes', threshold: 0.3, chosenFor: 'f1', positiveReason: 'minority' },
  training: { command: 'fit', exclude: ['id'], validFraction: 0.25 },
  model: { file: 'model.json', family: 'gbdt', config: { rounds: 40, learningRate: 0.1 } },
} as unknown as BundleManifest;

describe('retrainPlan and retrainArgs', () => {
  it('a fit: the same family, hyperparameters, seed, holdout, exclusions and decision', () => {
    const plan = retrainPlan(base, 'same');
    expect(plan).toMatchObject({
      kind: 'fit',
      family: 'gbdt',
      params: { rounds: 40, learningRate: 0.1 },
      seed: 9,
      validFraction: 0.25,
      exclude: ['id'],
      decision: { positiveClass: 'yes', objective: 'f1' },
    });
    expect(retrainArgs(plan, 'all.csv', 'churn')).toEqual([
      'fit',
      'all.csv',
      '--target',
      'churn',
      '--model',
      'gbdt',
      '--params',
      '{"rounds":40,"learningRate":0.1}',
      '--seed',
      '9',
      '--valid-fraction',
      '0.25',
      '--exclude',
      'id',
      '--positive-class',
      'yes',
      '--threshold-for',
      'f1',
    ]);
    expect(() => retrainPlan(base, 'search')).toThrow(/not made by a search/);
  });

  it('a search: the search again, or its heaviest ensemble member', () => {
    const m = {
      ...base,
      training: { command: 'automl', exclude: [] },
      search: {
        families: ['gbdt', 'linear'],
        metric: 'roc_auc',
        seed: 4,
        budget: { seconds: 60, maxTrials: 5, marginFraction: 0.1 },
        split: { strategy: 'kfold', folds: 5, stratified: true, seed: 4, rows: 100 },
      },
      model: {
        file: 'model.json',
        family: 'ensemble',
        config: {},
        members: [
          { trial: 1, family: 'linear', weight: 0.3, resource: 1, config: { l2: 1 } },
          { trial: 3, family: 'gbdt', weight: 0.7, resource: 1, config: { rounds: 80 } },
        ],
      },
    } as unknown as BundleManifest;
    const search = retrainPlan(m, 'search');
    expect(search).toMatchObject({
      kind: 'search',
      families: ['gbdt', 'linear'],
      metric: 'roc_auc',
      seed: 4,
      budgetSeconds: 60,
      maxTrials: 5,
    });
    expect(retrainArgs(search, 'all.csv', 'churn').slice(0, 12)).toEqual([
      'automl',
      'all.csv',
      '--target',
      'churn',
      '--families',
      'gbdt,linear',
      '--metric',
      'roc_auc',
      '--seed',
      '4',
      '--max-trials',
      '5',
    ]);
    const same = retrainPlan(m, 'same');
    expect(same).toMatchObject({
      kind: 'fit',
      family: 'gbdt',
      params: { rounds: 80 },
      metric: 'roc_auc',
      validFraction: 0.2,
    });
    expect(same.description).toMatch(
      /heaviest ensemble member's configuration \(trial 3, gbdt, weight 0\.7\)/,
    );
  });
});

describe('compareModels', () => {
  const perf = (values: Record<string, number | null>): MonitoringPerformanceSummary => ({
    kind: 'actual',
    rows: 10,
    conceptDrift: false,
    metrics: Object.entries(values).map(([metric, value]) => ({
      metric,
      value,
      validation: null,
      standardError: null,
      outsideBand: false,
    })),
  });
  it('higher is better for scores, lower for losses; equal or missing is a tie', () => {
    const rows = compareModels(
      perf({ accuracy: 0.8, log_loss: 0.5, roc_auc: 0.9, f1: null }),
      perf({ accuracy: 0.85, log_loss: 0.6, roc_auc: 0.9, f1: 0.7 }),
    );
    expect(rows.map((r) => [r.metric, r.better])).toEqual([
      ['accuracy', 'challenger'],
      ['log_loss', 'champion'],
      ['roc_auc', 'tie'],
      ['f1', 'tie'],
    ]);
  });
});
