/**
 * One XGBoost check case (bench/explain/check_xgboost.py's input): our GBDT as XGBoost 1.7 JSON, a
 * feature matrix, and our margins and TreeSHAP values on it. Shared by test/core/explain/xgboost.test.ts
 * and bench/explain/run.ts.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeShap } from '../../src/core/explain/treeshap.ts';
import { gbdtToXgboostJson, xgboostJsonText } from '../../src/core/explain/xgboost-json.ts';
import type { GbdtModel } from '../../src/core/models/gbdt/index.ts';
import type { FeatureMatrix } from '../../src/core/models/types.ts';
import { REPO_ROOT } from './paths.ts';

export const PY = '/usr/bin/python3';

export function hasPythonXgboost(): boolean {
  try {
    execFileSync(PY, ['-c', 'import xgboost'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface CaseResult {
  case: string;
  rows: number;
  margin_max_abs_diff: number;
  shap_max_abs_diff: number;
  margin_scale: number;
  /** With `time`: XGBoost's pred_contribs rows/s on one thread (best of 3). */
  xgb_contribs_rows_per_s?: number;
  /** The same by the process's CPU time. */
  xgb_contribs_rows_per_cpu_s?: number;
}

/** Writes the case file into `dir`; returns its path and how long our TreeSHAP took (ms). */
export function writeXgboostCase(
  dir: string,
  name: string,
  m: GbdtModel,
  X: FeatureMatrix,
): { path: string; shapMs: number } {
  const n = X.nRows;
  const G = m.nGroups;
  const packed = m.forest.pack();
  const t0 = performance.now();
  const phi = treeShap(packed, X, { nGroups: G, trees: [0, m.defaultRounds * G], baseScore: m.baseScore });
  const shapMs = performance.now() - t0;
  const raw = m.predictRaw(X);
  const margin = Array.from({ length: n * G }, (_, k) => raw[(k % G) * n + Math.floor(k / G)]!);
  const rows = Array.from({ length: n }, (_, i) =>
    Array.from({ length: X.nCols }, (_, j) => {
      const v = X.data[j * n + i]!;
      return Number.isNaN(v) ? null : v;
    }),
  );
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    `{"model":${xgboostJsonText(gbdtToXgboostJson(m))},"X":${JSON.stringify(rows)},` +
      `"feature_types":${JSON.stringify(m.categorical.map((c) => (c ? 'c' : 'q')))},` +
      `"margin":${JSON.stringify(margin)},"shap":${JSON.stringify(Array.from(phi))}}`,
  );
  return { path, shapMs };
}

/** Runs check_xgboost.py over the case files; `time` also times XGBoost's pred_contribs on 1 thread. */
export function checkXgboostCases(paths: string[], options: { time?: boolean } = {}): CaseResult[] {
  const args = [
    join(REPO_ROOT, 'bench/explain/check_xgboost.py'),
    ...(options.time ? ['--time'] : []),
    ...paths,
  ];
  const out = execFileSync(PY, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CaseResult);
}
