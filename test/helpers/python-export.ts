/**
 * Shared by the tests of the exported Python project: Debian's python3 with the project's libraries
 * (CI must have them: a missing one fails there instead of skipping), and a prediction CSV scored on
 * a dataset's test split by the datasets' own score.py.
 */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { datasetFile, scorePy } from './paths.ts';

export const PY = '/usr/bin/python3';

/** python3 can import `modules` (a comma-separated Python import list). */
export function pythonHas(modules: string): boolean {
  try {
    execFileSync(PY, ['-c', `import ${modules}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** python3 can import pandas, scikit-learn, XGBoost, dask.dataframe and Dask's distributed. */
export const hasPythonExportTools = pythonHas('pandas, sklearn, xgboost, dask.dataframe, distributed');
if (!hasPythonExportTools && process.env.CI)
  throw new Error(
    'CI must install python3-pandas, python3-sklearn, python3-xgboost, python3-dask, python3-distributed',
  );

/** The metrics of `predictions` by score.py on a dataset folder (meta.json and test.csv). */
export function scoreDatasetDir(datasetDir: string, predictions: string): Record<string, number> {
  const out = JSON.parse(execFileSync(PY, [scorePy(), datasetDir, predictions], { encoding: 'utf8' })) as {
    metrics: Record<string, number>;
  };
  return out.metrics;
}

/** The metrics of `predictions` on dataset `name`'s test split, by score.py. */
export function scoreTestSplit(name: string, predictions: string): Record<string, number> {
  return scoreDatasetDir(dirname(datasetFile(name, 'test.csv')), predictions);
}
