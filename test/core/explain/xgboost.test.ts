/**
 * Our GBDT exported as XGBoost 1.7 JSON, loaded by Debian's python3-xgboost: its margins equal ours
 * and its `pred_contribs=True` equals our TreeSHAP, on synthetic data (categorical splits, missing
 * values) and on real datasets through the automatic pipeline (binary, multiclass, regression).
 * Tolerance: 1e-6 relative to the largest margin — XGBoost stores thresholds and leaf values as
 * float32. Runs bench/explain/check_xgboost.py; CI installs python3-xgboost (.ci/run).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';
import { loadBundleArg } from '../../../src/cli/bundle-io.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { gbdtToXgboostJson, XgboostExportError } from '../../../src/core/explain/xgboost-json.ts';
import { readForScoring } from '../../../src/core/export/score.ts';
import { GbdtModel, fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { randomForestDefaults } from '../../../src/core/models/gbdt/config.ts';
import type { FeatureMatrix } from '../../../src/core/models/types.ts';
import { transformTable } from '../../../src/core/pipeline/pipeline.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { datasetFile } from '../../helpers/paths.ts';
import { checkXgboostCases, hasPythonXgboost, writeXgboostCase } from '../../helpers/xgboost-case.ts';

const hasXgboost = hasPythonXgboost();
if (!hasXgboost && process.env.CI) throw new Error('CI must install python3-xgboost (see .ci/run)');

const dir = mkdtempSync(join(tmpdir(), 'automl-xgb-'));
const writeCase = (name: string, m: GbdtModel, X: FeatureMatrix) => writeXgboostCase(dir, name, m, X).path;
const check = (paths: string[]) => checkXgboostCases(paths);

describe.runIf(hasXgboost)('GBDT → XGBoost JSON, checked by python3-xgboost', () => {
  it('synthetic data with categorical splits and missing values: margins and TreeSHAP agree', () => {
    const rng = createRng(11);
    const n = 400;
    const cols = [
      Float64Array.from({ length: n }, () => rng.normal()),
      Float64Array.from({ length: n }, () => rng.int(6)),
      Float64Array.from({ length: n }, () => (rng.next() < 0.15 ? NaN : rng.normal())),
      Float64Array.from({ length: n }, () => (rng.next() < 0.1 ? NaN : rng.int(3))),
    ];
    const data = new Float64Array(n * 4);
    cols.forEach((c, j) => data.set(c, j * n));
    const X = {
      nRows: n,
      nCols: 4,
      data,
      featureNames: ['a', 'c', 'b', 'd'],
      categorical: [false, true, false, true],
    };
    const y = Float64Array.from({ length: n }, (_, i) =>
      cols[0]![i]! + (cols[1]![i] === 2 ? 1.2 : 0) + (Number.isNaN(cols[2]![i]!) ? 0.8 : cols[2]![i]!) > 0.6
        ? 1
        : 0,
    );
    const y3 = Float64Array.from({ length: n }, (_, i) =>
      cols[0]![i]! > 0.5 ? 2 : cols[1]![i]! > 2 ? 1 : 0,
    );
    const yr = Float64Array.from({ length: n }, (_, i) => cols[0]![i]! * 3 + cols[1]![i]!);
    const paths = [
      writeCase('syn-binary', fitGbdt(X, y, { task: 'binary', config: { rounds: 40 } }), X),
      writeCase('syn-multi', fitGbdt(X, y3, { task: 'multiclass', nClasses: 3, config: { rounds: 20 } }), X),
      writeCase('syn-reg', fitGbdt(X, yr, { task: 'regression', config: { rounds: 50 } }), X),
    ];
    for (const r of check(paths)) {
      expect(r.margin_max_abs_diff, r.case).toBeLessThanOrEqual(1e-6 * Math.max(1, r.margin_scale));
      expect(r.shap_max_abs_diff, r.case).toBeLessThanOrEqual(1e-6 * Math.max(1, r.margin_scale));
    }
  });

  it('real datasets through the automatic pipeline (binary, multiclass, regression)', async () => {
    const paths: string[] = [];
    for (const [name, target] of [
      ['telco_churn', 'churn'],
      ['penguins', 'species'],
      ['diabetes', 'target'],
    ] as const) {
      const out = join(dir, name);
      let err = '';
      const code = await runCli(['fit', datasetFile(name), '--target', target, '--out', out, '--no-track'], {
        stdout: () => {},
        stderr: (t) => void (err += t),
      });
      expect(code, err).toBe(0);
      const bundle = loadBundleArg(out);
      const { data } = await readForScoring(bundle, fileSource(datasetFile(name, 'test.csv')), {
        createHasher: nodeHasher,
      });
      paths.push(writeCase(name, bundle.model as GbdtModel, transformTable(bundle.pipeline!, data.table)));
    }
    const results = check(paths);
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.margin_max_abs_diff, r.case).toBeLessThanOrEqual(1e-6 * Math.max(1, r.margin_scale));
      expect(r.shap_max_abs_diff, r.case).toBeLessThanOrEqual(1e-6 * Math.max(1, r.margin_scale));
    }
  }, 120_000);
});

describe('XGBoost export refusals', () => {
  it('a random forest is refused with the reason', () => {
    const X = { nRows: 20, nCols: 1, data: Float64Array.from({ length: 20 }, (_, i) => i) };
    const m = fitGbdt(
      X,
      Float64Array.from({ length: 20 }, (_, i) => i % 3),
      {
        task: 'regression',
        config: { ...randomForestDefaults('regression'), rounds: 3 },
      },
    );
    expect(() => gbdtToXgboostJson(m)).toThrow(XgboostExportError);
    expect(() => gbdtToXgboostJson(m)).toThrow(/random forests average/);
  });
});
