/**
 * The pandas translation of every pipeline step in the exported train.py against the studio's own
 * steps (src/core/pipeline/steps): both fit the same spec on the same training CSV, then transform
 * new rows (with unseen labels and missing values); the features must agree value by value.
 * (On the training rows target encoding is out-of-fold with different random folds, so new rows are
 * the exact check.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/core/ingest/index.ts';
import { ingestCsv } from '../../src/core/ingest/ingest.ts';
import { fitPipeline, transformTable } from '../../src/core/pipeline/pipeline.ts';
import type { PipelineSpec } from '../../src/core/pipeline/types.ts';
import type { Table } from '../../src/core/data/table.ts';
import { TRAIN_PY } from '../../src/core/export/python/train-py.ts';

const PY = '/usr/bin/python3';
const hasPandas = (() => {
  try {
    execFileSync(PY, ['-c', 'import pandas, xgboost'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPandas && process.env.CI)
  throw new Error('CI must install python3-pandas and python3-xgboost (see .ci/run)');

/** A seeded CSV: numbers with gaps, categories (rare, missing, many labels), booleans, date-times. */
function makeCsv(rows: number, seed: number, unseen: boolean): string {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const colors = ['red', 'green', 'blue', 'teal', 'plum'];
  const out = ['id,x,n2,color,city,shape,flag,when,y'];
  for (let i = 0; i < rows; i++) {
    const x = rand() < 0.1 ? '' : (rand() * 100 - 20).toFixed(3);
    const n2 = (rand() * 5).toFixed(2);
    const color = rand() < 0.08 ? 'NA' : colors[Math.floor(rand() ** 2 * colors.length)]!;
    const city = unseen && rand() < 0.2 ? 'nowhere' : `c${Math.floor(rand() * 12)}`;
    const shape = unseen && rand() < 0.2 ? 'hexagon' : ['round', 'square', 'oval'][Math.floor(rand() * 3)]!;
    const flag = rand() < 0.05 ? '' : rand() < 0.6 ? 'yes' : 'no';
    const day = 1 + Math.floor(rand() * 27);
    const month = 1 + Math.floor(rand() * 12);
    const hour = Math.floor(rand() * 24);
    const when = `2023-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${String(hour).padStart(2, '0')}:30:00`;
    const y = rand() < 0.3 + (color === 'red' ? 0.4 : 0) ? 1 : 0;
    out.push([`r${i}`, x, n2, color, city, shape, flag, when, y].join(','));
  }
  return out.join('\n') + '\n';
}

const SPEC: PipelineSpec = {
  steps: [
    { kind: 'drop', columns: ['id'] },
    { kind: 'impute', columns: ['x', 'color', 'flag'], config: { strategy: 'median', addIndicator: true } },
    { kind: 'date_parts', columns: ['when'] },
    { kind: 'one_hot', columns: ['color'], config: { maxCategories: 3 } },
    { kind: 'frequency_encode', columns: ['city'] },
    { kind: 'target_encode', columns: ['shape'], config: { smoothing: 5 } },
    { kind: 'standard_scale', columns: ['x', 'n2'] },
  ],
} as unknown as PipelineSpec;

async function read(text: string): Promise<{ table: Table; y: Float64Array }> {
  const { table } = await ingestCsv(bytesSource('data.csv', new TextEncoder().encode(text)));
  const target = table.columns.find((c) => c.name === 'y')!;
  const y = Float64Array.from(target.storage === 'dict' ? [] : (target.values as ArrayLike<number>));
  return { table: { nRows: table.nRows, columns: table.columns.filter((c) => c.name !== 'y') }, y };
}

describe.runIf(hasPandas)('train.py pipeline steps = the studio pipeline steps', () => {
  it('drop, impute (+indicators), date parts, one-hot, frequency and target encoding, scaling agree on new rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-py-steps-'));
    const trainCsv = makeCsv(300, 7, false);
    const newCsv = makeCsv(80, 99, true);
    writeFileSync(join(dir, 'train.csv'), trainCsv);
    writeFileSync(join(dir, 'new.csv'), newCsv);
    writeFileSync(join(dir, 'train.py'), TRAIN_PY);

    const train = await read(trainCsv);
    const types = Object.fromEntries(train.table.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ x: 'numeric', color: 'categorical', flag: 'boolean', when: 'datetime' });
    const { pipeline } = fitPipeline(SPEC, train.table, { y: train.y, task: 'binary', seed: 42 });
    const fresh = await read(newCsv);
    const X = transformTable(pipeline, fresh.table);

    const settings = {
      target: 'y',
      task: 'binary',
      classes: ['0', '1'],
      seed: 42,
      inputs: pipeline.inputs,
      steps: SPEC.steps,
    };
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'import train as t',
      `s = json.load(open(${JSON.stringify(join(dir, 'settings.json'))}))`,
      `df, y = t.read_table(${JSON.stringify(join(dir, 'train.csv'))}, s, need_target=True)`,
      'states, layout, _ = t.fit_pipeline(df, y, s)',
      `new, _ = t.read_table(${JSON.stringify(join(dir, 'new.csv'))}, s, need_target=False)`,
      'X = t.transform(new, states, layout, s)',
      'print(json.dumps({c: [None if v != v else (v if isinstance(v, str) else float(v)) for v in X[c].astype(object)] for c in X.columns}))',
    ].join('\n');
    const py = JSON.parse(execFileSync(PY, ['-c', script], { encoding: 'utf8' })) as Record<
      string,
      (number | string | null)[]
    >;
    expect(Object.keys(py).sort()).toEqual([...X.featureNames].sort());
    expect(X.featureNames).toContain('color=(other)');
    expect(X.featureNames).toContain('x__missing');
    expect(X.featureNames).toContain('when__hour_sin');
    expect(X.featureNames).toContain('shape__te');
    let compared = 0;
    X.featureNames.forEach((name, j) => {
      const theirs = py[name]!;
      for (let i = 0; i < X.nRows; i++) {
        const ours = X.data[j * X.nRows + i]!;
        const v = theirs[i];
        if (Number.isNaN(ours)) expect(v, `${name}[${i}]`).toBeNull();
        else {
          expect(typeof v, `${name}[${i}]`).toBe('number');
          // the studio's features are float32
          expect(Math.abs((v as number) - ours), `${name}[${i}]: ${v} vs ${ours}`).toBeLessThanOrEqual(
            1e-6 * Math.max(1, Math.abs(ours)),
          );
        }
        compared++;
      }
    });
    expect(compared).toBe(X.nRows * X.nCols);
  }, 60_000);
});
