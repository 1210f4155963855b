/**
 * Faithful predictions: for every public dataset, `cli fit` (a small GBDT) then `cli predict` on its
 * fixed test split, and `../shared/datasets/score.py` — an independent reader (Python's csv module) —
 * must score the file by class name: every probability header is a class label exactly as it appears
 * in the target column (income_survey's bands such as `-10.000)` included), the labels in the
 * `prediction` column are the classes themselves, and the metrics come out finite.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/run.ts';
import { datasetFile, datasetsDir } from '../helpers/paths.ts';

const exec = promisify(execFile);

interface Meta {
  name: string;
  visibility: string;
  task: string;
  target: string;
  classes?: string[];
  primary_metric: string;
}

const all = JSON.parse(readFileSync(join(datasetsDir(), 'datasets.json'), 'utf8')) as Meta[];
const PUBLIC = all.filter((d) => d.visibility === 'public' && existsSync(datasetFile(d.name, 'test.csv')));

/** Python's csv module's view of the header (quoting and all), independent of our writer. */
async function pyHeader(file: string): Promise<string[]> {
  const { stdout } = await exec('/usr/bin/python3', [
    '-c',
    'import csv,json,sys; print(json.dumps(next(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))',
    file,
  ]);
  return JSON.parse(stdout) as string[];
}

async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(argv, { stdout: () => {}, stderr: (t) => void (err += t) });
  return { code, err };
}

describe('predictions.csv of every public dataset scores with score.py by class name', () => {
  it('covers income_survey, whose class labels start with "-"', () => {
    const income = PUBLIC.find((d) => d.name === 'income_survey');
    expect(income?.classes?.some((c) => /^[-+=@]/.test(c))).toBe(true);
  });

  it.each(PUBLIC.map((d) => [d.name, d] as const))(
    '%s',
    async (_name, meta) => {
      const dir = mkdtempSync(join(tmpdir(), `automl-score-${meta.name}-`));
      const fit = await cli([
        'fit',
        datasetFile(meta.name),
        '--target',
        meta.target,
        '--model',
        'gbdt',
        '--params',
        '{"rounds": 3}',
        '--out',
        join(dir, 'bundle'),
        '--no-track',
      ]);
      expect(fit.err.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
      expect(fit.code).toBe(0);
      const out = join(dir, 'predictions.csv');
      const predict = await cli([
        'predict',
        join(dir, 'bundle'),
        datasetFile(meta.name, 'test.csv'),
        '--out',
        out,
      ]);
      expect(predict.code).toBe(0);
      const header = await pyHeader(out);
      if (meta.task === 'regression') expect(header).toEqual(['prediction']);
      else {
        const manifest = JSON.parse(readFileSync(join(dir, 'bundle', 'manifest.json'), 'utf8')) as {
          classes: string[];
        };
        expect(header).toEqual([...manifest.classes, 'prediction']);
        // The labels the model learned are the dataset's classes, exactly.
        if (meta.classes) expect([...manifest.classes].sort()).toEqual([...meta.classes].map(String).sort());
      }
      const { stdout } = await exec('/usr/bin/python3', [
        join(datasetsDir(), 'score.py'),
        join(datasetsDir(), meta.name),
        out,
      ]);
      const score = JSON.parse(stdout) as { mode: string; metrics: Record<string, number> };
      if (meta.task !== 'regression') expect(score.mode).not.toMatch(/label/);
      expect(Number.isFinite(score.metrics[meta.primary_metric])).toBe(true);
    },
    600_000,
  );
});
