import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/util/random.ts';
import { blend, EnsembleModel, selectEnsemble } from '../../../src/core/search/ensemble.ts';
import { evaluate } from '../../../src/core/metrics/index.ts';
import { ModelConfigError, type Task } from '../../../src/core/models/types.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { fitPipeline } from '../../../src/core/pipeline/index.ts';
import { num, table } from '../../helpers/table.ts';

function problem(task: Task, seed: number, n = 200, k = 3, models = 6) {
  const rng = createRng(seed);
  const nc = task === 'regression' ? 1 : task === 'binary' ? 2 : k;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = task === 'regression' ? rng.normal() * 3 : rng.int(nc);
  const preds: Float64Array[] = [];
  for (let m = 0; m < models; m++) {
    const noise = 0.5 + rng.next() * 2;
    if (task === 'regression') {
      preds.push(Float64Array.from(y, (v) => v + noise * rng.normal()));
    } else {
      const p = new Float64Array(n * nc);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < nc; c++) {
          const z = Math.exp((c === y[i] ? 1 : 0) + noise * rng.normal());
          p[i * nc + c] = z;
          s += z;
        }
        for (let c = 0; c < nc; c++) p[i * nc + c] /= s;
      }
      preds.push(p);
    }
  }
  return { y, preds, nc };
}

const CASES: [Task, string][] = [
  ['binary', 'roc_auc'],
  ['binary', 'log_loss'],
  ['multiclass', 'log_loss'],
  ['multiclass', 'accuracy'],
  ['regression', 'rmse'],
];

describe('greedy ensemble selection (Caruana)', () => {
  it.each(CASES)(
    '%s / %s: weights sum to 1 and the ensemble is never worse than the best single',
    (task, metric) => {
      const maximize = metric === 'roc_auc' || metric === 'accuracy';
      for (const seed of [1, 2, 3, 4]) {
        const { y, preds, nc } = problem(task, seed);
        const sel = selectEnsemble(preds, y, { task, nClasses: nc, metric });
        const sum = sel.weights.reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 12);
        for (const w of sel.weights) expect(w).toBeGreaterThanOrEqual(0);
        const singles = preds.map((p) => evaluate(task, y, p, nc)[metric]);
        const bestSingle = maximize ? Math.max(...singles) : Math.min(...singles);
        expect(sel.bestSingle.score).toBe(bestSingle);
        if (maximize) expect(sel.score).toBeGreaterThanOrEqual(bestSingle);
        else expect(sel.score).toBeLessThanOrEqual(bestSingle);
        // the reported score is the score of the blended predictions
        expect(evaluate(task, y, blend(preds, sel.weights), nc)[metric]).toBeCloseTo(sel.score, 9);
      }
    },
  );

  it('combines models with independent errors (and beats each of them)', () => {
    const rng = createRng(9);
    const n = 500;
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const preds = [0, 1, 2].map(() => Float64Array.from(y, (v) => v + rng.normal()));
    const sel = selectEnsemble(preds, y, { task: 'regression', nClasses: 1, metric: 'rmse' });
    expect(sel.weights.filter((w) => w > 0).length).toBeGreaterThanOrEqual(2);
    expect(sel.score).toBeLessThan(sel.bestSingle.score * 0.9);
  });

  it('keeps the single best model when the others only add noise', () => {
    const rng = createRng(3);
    const n = 300;
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const good = Float64Array.from(y, (v) => v + 0.01 * rng.normal());
    const bad = Float64Array.from(y, () => rng.normal() * 5);
    const sel = selectEnsemble([bad, good], y, { task: 'regression', nClasses: 1, metric: 'rmse' });
    expect(sel.weights).toEqual([0, 1]);
    expect(sel.bestSingle.index).toBe(1);
  });
});

describe('ensemble model files', () => {
  const rng = createRng(5);
  const n = 120;
  const x0 = Array.from({ length: n }, () => rng.normal());
  const x1 = Array.from({ length: n }, () => rng.normal());
  const y = Float64Array.from(x0, (v, i) => (v + 0.5 * x1[i] > 0 ? 1 : 0));
  const t = table(num('x0', x0), num('x1', x1));
  const { pipeline, matrix } = fitPipeline({ steps: [] }, t, { y, task: 'binary', seed: 1 });
  const members = [2, 5].map((rounds, k) => ({
    weight: k + 1,
    pipeline: 0,
    model: fitGbdt(matrix, y, { task: 'binary', config: { rounds } }),
  }));
  const ensemble = new EnsembleModel('binary', 2, [pipeline], members);
  const text = JSON.stringify(ensemble.toJSON());
  /** The ensemble's JSON text with member weights replaced by these literals (as a file would hold them). */
  const withWeights = (...weights: string[]) => {
    const j = JSON.parse(text) as { members: { weight: number }[] };
    j.members.forEach((m, k) => (m.weight = -(k + 1)));
    let out = JSON.stringify(j);
    weights.forEach((w, k) => (out = out.replace(`"weight":${-(k + 1)}`, `"weight":${w}`)));
    return JSON.parse(out) as Parameters<typeof EnsembleModel.fromJSON>[0];
  };

  it('round-trips exactly', () => {
    const back = EnsembleModel.fromJSON(JSON.parse(text));
    expect(JSON.stringify(back.toJSON())).toBe(text);
    expect(Array.from(back.predictTable(t))).toEqual(Array.from(ensemble.predictTable(t)));
    expect(back.members.map((m) => m.weight)).toEqual([1 / 3, 2 / 3]);
  });

  it('an infinite weight (1e309 in the file) or weights whose sum overflows are errors', () => {
    expect(() => EnsembleModel.fromJSON(withWeights('1e309', '1'))).toThrow(ModelConfigError);
    expect(() => EnsembleModel.fromJSON(withWeights('1e309', '1'))).toThrow(
      'ensemble member 0: weight Infinity must be a finite number >= 0',
    );
    expect(() => EnsembleModel.fromJSON(withWeights('1e308', '1e308'))).toThrow(
      'ensemble weights sum to Infinity: too large to normalise',
    );
    expect(() => EnsembleModel.fromJSON(withWeights('1', '-1'))).toThrow(
      'ensemble member 1: weight -1 must be a finite number >= 0',
    );
    expect(() => EnsembleModel.fromJSON(withWeights('0', '0'))).toThrow(/sum to more than 0/);
    // Large but finite weights still normalise.
    const big = EnsembleModel.fromJSON(withWeights('1e307', '1e307'));
    expect(big.members.map((m) => m.weight)).toEqual([0.5, 0.5]);
  });

  it('a member pipeline index that is not a whole number in range, or a class count that differs, is an error', () => {
    const j = JSON.parse(text) as { nClasses: number; members: { pipeline: number }[] };
    j.members[1].pipeline = 0.5;
    expect(() => EnsembleModel.fromJSON(j as never)).toThrow(
      'ensemble member 1: pipeline index 0.5 out of range',
    );
    const k = JSON.parse(text) as { nClasses: number };
    k.nClasses = 3;
    expect(() => EnsembleModel.fromJSON(k as never)).toThrow('ensemble member 0: 2 classes, the ensemble 3');
  });
});
