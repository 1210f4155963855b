import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Table } from '../../../src/core/data/table.ts';
import { spreadsheetLine } from '../../../src/core/export/csv-write.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { recordSearch } from '../../../src/core/search/record.ts';
import { Tracker } from '../../../src/core/tracking/tracker.ts';
import { createMemoryStore } from '../../../src/store/memory.ts';
import {
  EVIDENCE_ARTIFACTS,
  MAX_EVIDENCE_POINTS,
  addImportance,
  computeEvidence,
  evaluateScored,
  importanceEvidence,
  withKeptColumns,
  spreadIndices,
} from '../../../src/core/tracking/evidence.ts';
import { CHART_ARTIFACTS } from '../../../src/ui/state/tracking-artifacts.ts';

const PY = '/usr/bin/python3';
const hasSklearn = (() => {
  if (!existsSync(PY)) return false;
  try {
    execFileSync(PY, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** scikit-learn's answer for the same inputs (an independent reference). */
function sklearn(kind: string, y: number[], pred: number[], k = 2): Record<string, unknown> {
  const script = `
import json, sys
import numpy as np
from sklearn import metrics as M
d = json.load(sys.stdin)
y = np.array(d['y']); p = np.array(d['pred']); k = d['k']
out = {}
if d['kind'] == 'binary':
    hard = (p >= 0.5).astype(int)
    out = dict(accuracy=M.accuracy_score(y, hard), balanced_accuracy=M.balanced_accuracy_score(y, hard),
               f1=M.f1_score(y, hard, zero_division=0), precision=M.precision_score(y, hard, zero_division=0),
               recall=M.recall_score(y, hard), roc_auc=M.roc_auc_score(y, p),
               pr_auc=M.average_precision_score(y, p), log_loss=M.log_loss(y, p, labels=[0, 1]),
               confusion=M.confusion_matrix(y, hard, labels=[0, 1]).ravel().tolist())
elif d['kind'] == 'multiclass':
    P = p.reshape(-1, k); hard = P.argmax(axis=1)
    out = dict(accuracy=M.accuracy_score(y, hard), balanced_accuracy=M.balanced_accuracy_score(y, hard),
               macro_f1=M.f1_score(y, hard, average='macro'), log_loss=M.log_loss(y, P, labels=list(range(k))),
               confusion=M.confusion_matrix(y, hard, labels=list(range(k))).ravel().tolist())
else:
    out = dict(rmse=float(np.sqrt(M.mean_squared_error(y, p))), mae=M.mean_absolute_error(y, p), r2=M.r2_score(y, p))
print(json.dumps(out))
`;
  const text = execFileSync(PY, ['-c', script], {
    input: JSON.stringify({ kind, y, pred, k }),
    encoding: 'utf8',
  });
  return JSON.parse(text) as Record<string, unknown>;
}

function binaryData(n: number, seed: number) {
  const rng = createRng(seed);
  const y: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = rng.next() < 0.3 ? 1 : 0;
    y.push(c);
    p.push(Math.min(0.999, Math.max(0.001, 0.35 * c + 0.65 * rng.next())));
  }
  return { y, p };
}

describe('computeEvidence', () => {
  it('uses the artifact names the Compare screen reads', () => {
    expect(EVIDENCE_ARTIFACTS).toEqual(CHART_ARTIFACTS);
  });

  it.skipIf(!hasSklearn)('binary: every metric and the confusion matrix agree with scikit-learn', () => {
    const { y, p } = binaryData(500, 7);
    const ev = computeEvidence({ task: 'binary', classes: ['no', 'yes'], y, pred: p });
    const ref = sklearn('binary', y, p);
    for (const k of [
      'accuracy',
      'balanced_accuracy',
      'f1',
      'precision',
      'recall',
      'roc_auc',
      'pr_auc',
      'log_loss',
    ]) {
      expect(ev.metrics[k], k).toBeCloseTo(ref[k] as number, 9);
    }
    const cm = ev.charts[EVIDENCE_ARTIFACTS.confusion] as { labels: string[]; counts: number[] };
    expect(cm.labels).toEqual(['no', 'yes']);
    expect(cm.counts).toEqual(ref.confusion);
    const roc = ev.charts[EVIDENCE_ARTIFACTS.roc] as { curves: { label: string; auc: number }[] };
    expect(roc.curves[0].label).toBe('yes');
    expect(roc.curves[0].auc).toBeCloseTo(ref.roc_auc as number, 9);
    expect(ev.charts[EVIDENCE_ARTIFACTS.pr]).toBeDefined();
  });

  it.skipIf(!hasSklearn)('multiclass: metrics and confusion matrix agree with scikit-learn', () => {
    const rng = createRng(11);
    const n = 300;
    const k = 3;
    const y: number[] = [];
    const pred: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rng.next() * k);
      y.push(c);
      const raw = Array.from({ length: k }, (_, j) => rng.next() + (j === c ? 0.6 : 0));
      const s = raw.reduce((a, b) => a + b, 0);
      pred.push(...raw.map((v) => v / s));
    }
    const ev = computeEvidence({ task: 'multiclass', classes: ['a', 'b', 'c'], y, pred });
    const ref = sklearn('multiclass', y, pred, k);
    for (const m of ['accuracy', 'balanced_accuracy', 'macro_f1', 'log_loss'])
      expect(ev.metrics[m], m).toBeCloseTo(ref[m] as number, 9);
    const cm = ev.charts[EVIDENCE_ARTIFACTS.confusion] as { labels: string[]; counts: number[] };
    expect(cm.labels).toEqual(['a', 'b', 'c']);
    expect(cm.counts).toEqual(ref.confusion);
    expect(ev.charts[EVIDENCE_ARTIFACTS.roc]).toBeUndefined();
  });

  it.skipIf(!hasSklearn)('regression: rmse, mae, r2 as scikit-learn; predicted-vs-actual kept small', () => {
    const rng = createRng(5);
    const n = 2500;
    const y = Array.from({ length: n }, () => rng.normal() * 3);
    const pred = y.map((v) => v + rng.normal());
    const ev = computeEvidence({ task: 'regression', y, pred });
    const ref = sklearn('regression', y, pred);
    for (const m of ['rmse', 'mae', 'r2']) expect(ev.metrics[m], m).toBeCloseTo(ref[m] as number, 9);
    const pa = ev.charts[EVIDENCE_ARTIFACTS.predictedActual] as {
      actual: number[];
      predicted: number[];
      total: number;
    };
    expect(pa.total).toBe(n);
    expect(pa.actual.length).toBe(MAX_EVIDENCE_POINTS);
    expect(pa.actual[0]).toBe(y[0]);
    expect(pa.predicted.at(-1)).toBe(pred[n - 1]);
    expect(ev.charts[EVIDENCE_ARTIFACTS.confusion]).toBeUndefined();
  });

  it('confusion matrix rows sum to the class counts (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
          ),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        (k, rows) => {
          const task = k === 2 ? 'binary' : 'multiclass';
          const y = rows.map(([c]) => c % k);
          const pred =
            k === 2 ? rows.map(([, p]) => p[0] / (p[0] + p[1])) : rows.flatMap(([, p]) => p.slice(0, k));
          const ev = computeEvidence({ task, y, pred });
          const cm = ev.charts[EVIDENCE_ARTIFACTS.confusion] as { labels: string[]; counts: number[] };
          expect(cm.labels.length).toBe(k);
          for (let c = 0; c < k; c++) {
            const row = cm.counts.slice(c * k, c * k + k).reduce((a, b) => a + b, 0);
            expect(row).toBe(y.filter((v) => v === c).length);
          }
          for (const v of Object.values(ev.metrics)) expect(Number.isFinite(v)).toBe(true);
        },
      ),
    );
  });

  it('spreadIndices keeps first and last, never more than asked', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.integer({ min: 2, max: 300 }), (n, max) => {
        const idx = spreadIndices(n, max);
        expect(idx.length).toBe(Math.min(n, max));
        if (n) {
          expect(idx[0]).toBe(0);
          expect(idx.at(-1)).toBe(n - 1);
        }
        for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
      }),
    );
  });

  it('importance is summed per input column, most important first', () => {
    const totals = new Map<string, number>();
    const model = { featureImportance: () => Float64Array.from([1, 2, 0, 4]) };
    expect(addImportance(totals, model, ['a', 'b', 'b', 'c'])).toBe(true);
    expect(addImportance(totals, model, ['a', 'b', 'b', 'c'])).toBe(true);
    expect(addImportance(totals, { predict: () => 0 }, ['a'])).toBe(false);
    expect(importanceEvidence(totals)).toEqual({
      features: ['c', 'b', 'a'],
      importance: [8, 4, 2],
      method: 'gain',
    });
    expect(importanceEvidence(new Map())).toBeUndefined();
  });
});

describe('search trials record their evidence', () => {
  it('each COMPLETE trial of a binary search has the full metric set, a confusion matrix and importance', async () => {
    const rng = createRng(9);
    const n = 240;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = rng.normal();
      b[i] = rng.normal();
      codes[i] = a[i] + 0.5 * rng.normal() > 0 ? 1 : 0;
    }
    const table: Table = {
      nRows: n,
      columns: [
        { name: 'signal', type: 'numeric', storage: 'float64', values: a },
        { name: 'noise', type: 'numeric', storage: 'float64', values: b },
        { name: 'label', type: 'categorical', storage: 'dict', codes, dictionary: ['no', 'yes'] },
      ],
    } as unknown as Table;
    const store = createMemoryStore();
    const tracker = new Tracker(store);
    const exp = await tracker.createExperiment({ name: 'e' });
    const parent = await tracker.startRun({ experimentId: exp.id, name: 'search' });
    const rec = recordSearch({ parent });
    const result = await runSearch({
      table,
      target: 'label',
      task: 'binary',
      families: ['gbdt'],
      seed: 2,
      maxTrials: 3,
      folds: 3,
      ...rec.hooks,
    });
    await rec.finish(result, { end: true });
    const children = (await store.searchRuns({ experimentId: exp.id, parentRunId: parent.id })).runs;
    const complete = children.filter((r) => r.state === 'COMPLETE');
    expect(complete.length).toBeGreaterThan(0);
    for (const r of complete) {
      for (const k of [
        'roc_auc',
        'accuracy',
        'balanced_accuracy',
        'f1',
        'precision',
        'recall',
        'pr_auc',
        'log_loss',
      ])
        expect(Number.isFinite(r.latestMetrics[k]?.value), `${r.name} ${k}`).toBe(true);
      const trial = result.trials.find((t) => `trial ${t.number} gbdt` === r.name)!;
      expect(r.latestMetrics.roc_auc.value).toBe(trial.value);
      const arts = await store.listArtifacts(r.id);
      const names = arts.map((x) => x.name);
      expect(names).toContain(EVIDENCE_ARTIFACTS.confusion);
      expect(names).toContain(EVIDENCE_ARTIFACTS.featureImportance);
      const cmArt = arts.find((x) => x.name === EVIDENCE_ARTIFACTS.confusion)!;
      const cm = JSON.parse(new TextDecoder().decode(await store.getArtifactBytes(cmArt.id))) as {
        labels: string[];
        counts: number[];
      };
      expect(cm.labels).toEqual(['no', 'yes']);
      expect(cm.counts.reduce((x, y) => x + y, 0)).toBe(n);
      const impArt = arts.find((x) => x.name === EVIDENCE_ARTIFACTS.featureImportance)!;
      const imp = JSON.parse(new TextDecoder().decode(await store.getArtifactBytes(impArt.id))) as {
        features: string[];
      };
      expect(imp.features[0]).toBe('signal');
    }
  });
});

describe('scored files', () => {
  const table = {
    nRows: 4,
    columns: [
      {
        name: 'id',
        type: 'id',
        storage: 'dict',
        codes: Int32Array.from([0, 1, 2, 3]),
        dictionary: ['a', 'b,c', '=x', 'd'],
      },
      {
        name: 'y',
        type: 'categorical',
        storage: 'dict',
        codes: Int32Array.from([0, 1, -1, 2]),
        dictionary: ['no', 'yes', 'maybe'],
      },
    ],
  } as unknown as Table;

  it('evaluates against the file’s own target; missing and unknown classes are left out and named', () => {
    const values = [0.8, 0.2, 0.3, 0.7, 0.5, 0.5, 0.1, 0.9];
    const ev = evaluateScored({ task: 'binary', classes: ['no', 'yes'], target: 'y', table, values })!;
    expect(ev.rows).toBe(2);
    expect(ev.skipped).toBe(2);
    expect(ev.unknown).toEqual(['maybe']);
    expect(ev.evidence.metrics.accuracy).toBe(1);
    expect(
      evaluateScored({ task: 'binary', classes: ['no', 'yes'], target: 'absent', table, values }),
    ).toBeNull();
  });

  it('keeps chosen columns in front of predictions.csv, written like every cell of that file', () => {
    const csv = 'no,yes,prediction\n0.8,0.2,no\n0.3,0.7,yes\n0.5,0.5,"multi\nline"\n0.1,0.9,yes\n';
    // predictions.csv is faithful (RFC 4180 quoting only) …
    expect(withKeptColumns(csv, table, ['id'])).toBe(
      'id,no,yes,prediction\na,0.8,0.2,no\n"b,c",0.3,0.7,yes\n=x,0.5,0.5,"multi\nline"\nd,0.1,0.9,yes\n',
    );
    // … and the spreadsheet-safe copy escapes the kept column's formula-like cell too.
    expect(withKeptColumns(csv, table, ['id'], spreadsheetLine)).toBe(
      'id,no,yes,prediction\na,0.8,0.2,no\n"b,c",0.3,0.7,yes\n\'=x,0.5,0.5,"multi\nline"\nd,0.1,0.9,yes\n',
    );
    expect(withKeptColumns(csv, table, [])).toBe(csv);
  });
});
