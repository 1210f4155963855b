/** Time-ordered split plans (src/core/search/time-split.ts): validation never earlier than training. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { timeOrderedSplit } from '../../../src/core/search/time-split.ts';
import { prepareSearchContext } from '../../../src/core/search/context.ts';
import { TrainingError } from '../../../src/core/train/target.ts';
import { trainModel } from '../../../src/core/train/train.ts';
import { cat, date, num, table } from '../../helpers/table.ts';

const times = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 2, maxLength: 120 });

describe('timeOrderedSplit', () => {
  it('k folds are expanding windows: every training row is at or before every validation row of its fold', () => {
    fc.assert(
      fc.property(times, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 99 }), (t, k, seed) => {
        fc.pre(k === 1 || t.length >= k + 1);
        const s = timeOrderedSplit(t, k, 0.25, seed);
        const n = t.length;
        const validatedBy = new Int32Array(n).fill(-1);
        let previousTrain = 0;
        s.foldRows.forEach(({ train, valid }, f) => {
          expect(valid.length).toBeGreaterThan(0);
          expect(train.length).toBeGreaterThan(0);
          let latestTrain = -Infinity;
          for (const r of train) latestTrain = Math.max(latestTrain, t[r]);
          for (const r of valid) {
            // The property: no validation row is earlier than any of its training rows.
            expect(t[r]).toBeGreaterThanOrEqual(latestTrain);
            expect(validatedBy[r]).toBe(-1);
            validatedBy[r] = f;
          }
          // Train and valid are disjoint and ascending.
          const trainSet = new Set(train);
          for (const r of valid) expect(trainSet.has(r)).toBe(false);
          expect([...train]).toEqual([...train].sort((a, b) => a - b));
          // Expanding: each fold trains on more rows than the one before, including all of them.
          expect(train.length).toBeGreaterThan(previousTrain);
          if (f > 0) for (const r of s.foldRows[f - 1].train) expect(trainSet.has(r)).toBe(true);
          previousTrain = train.length;
        });
        // evalRows: exactly the validated rows, each once; the earliest block never validated.
        expect([...s.evalRows]).toEqual([...validatedBy.keys()].filter((r) => validatedBy[r] >= 0));
        expect(s.plan.stratified).toBe(false);
        expect(s.plan.strategy).toBe(k >= 2 ? 'kfold' : 'holdout');
        for (let r = 0; r < n; r++) expect(s.plan.foldOf[r]).toBe(validatedBy[r]);
      }),
      { numRuns: 300 },
    );
  });

  it('a holdout validates the latest rows; the plan depends on the times only (the seed is recorded)', () => {
    const t = [5, 1, 9, 3, 7, 2, 8, 6, 4, 0];
    const a = timeOrderedSplit(t, 1, 0.3, 1);
    expect([...a.foldRows[0].valid].map((r) => t[r]).sort()).toEqual([7, 8, 9]);
    expect(a.plan.validFraction).toBe(0.3);
    const b = timeOrderedSplit(t, 1, 0.3, 2);
    expect([...b.foldRows[0].valid]).toEqual([...a.foldRows[0].valid]);
    expect(b.plan.seed).toBe(2);
  });

  it('the search context uses it: fold data of a time-ordered spec trains on earlier rows only', () => {
    const n = 40;
    const days = Array.from(
      { length: n },
      (_, i) => `2024-01-${String(1 + ((i * 7) % 28)).padStart(2, '0')}`,
    );
    const tbl = table(
      date('when', days),
      num(
        'x',
        Array.from({ length: n }, (_, i) => (i * 13) % 17),
      ),
      cat(
        'y',
        Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'a' : 'b')),
      ),
    );
    const ctx = prepareSearchContext({
      table: tbl,
      spec: {
        target: 'y',
        task: 'binary',
        seed: 3,
        metric: 'roc_auc',
        families: ['gbdt'],
        folds: 3,
        timeOrder: { column: 'when' },
      },
    });
    const when = Float64Array.from(days, (d) => Date.parse(d));
    expect(ctx.nFolds).toBe(3);
    expect(ctx.spec.timeOrder).toEqual({ column: 'when' });
    for (let f = 0; f < 3; f++) {
      const d = ctx.foldData('tree', f);
      // Expanding windows: fold f trains on the rows of the blocks before its own (foldOf < f).
      const train = [...ctx.plan.foldOf.keys()].filter((r) => ctx.plan.foldOf[r] < f);
      expect(d.ytr.length).toBe(train.length);
      expect([...d.valid]).toEqual([...ctx.plan.foldOf.keys()].filter((r) => ctx.plan.foldOf[r] === f));
      const latestTrain = Math.max(...train.map((r) => when[r]));
      for (const r of d.valid) expect(when[r]).toBeGreaterThanOrEqual(latestTrain);
    }
    // The earliest quarter of the rows is never validated.
    expect(ctx.evalRows.length).toBe(n - Math.floor(n / 4));
  });

  it('refuses a time column with missing times or of another type, naming it', () => {
    const base = {
      target: 'y',
      task: 'binary' as const,
      seed: 1,
      metric: 'roc_auc',
      families: ['gbdt' as const],
      folds: 1,
    };
    const y = cat('y', ['a', 'b', 'a', 'b', 'a', 'b']);
    expect(() =>
      prepareSearchContext({
        table: table(
          date('when', ['2024-01-01', null, '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06']),
          y,
        ),
        spec: { ...base, timeOrder: { column: 'when' } },
      }),
    ).toThrow(/time column 'when' has 1 row with no time \(first: data row 2\)/);
    expect(() =>
      prepareSearchContext({
        table: table(cat('when', ['a', 'b', 'c', 'd', 'e', 'f']), y),
        spec: { ...base, timeOrder: { column: 'when' } },
      }),
    ).toThrow(TrainingError);
    expect(() =>
      prepareSearchContext({
        table: table(num('x', [1, 2, 3, 4, 5, 6]), y),
        spec: { ...base, timeOrder: { column: 'nope' } },
      }),
    ).toThrow(/time column 'nope'/);
  });

  it('trainModel with timeOrder holds out the latest rows (here: every row from the last fifth of the time)', async () => {
    const n = 50;
    // Rows shuffled in the file; the label says whether the row is in the latest 10 by time.
    const order = Array.from({ length: n }, (_, i) => (i * 17) % n);
    const tbl = table(
      num('t', order),
      num(
        'x',
        Array.from({ length: n }, (_, i) => (i * 7) % 11),
      ),
      cat(
        'late',
        order.map((v) => (v >= n - 10 ? 'yes' : 'no')),
      ),
    );
    const req = {
      table: tbl,
      target: 'late',
      task: 'binary' as const,
      family: 'gbdt' as const,
      seed: 1,
      params: { rounds: 5 },
    };
    const timed = await trainModel({ ...req, timeOrder: { column: 't' } });
    expect(timed.split).toMatchObject({ validRows: 10, stratified: false, timeOrder: { column: 't' } });
    const yes = timed.classes!.indexOf('yes');
    expect([...timed.validation.y].every((v) => v === yes)).toBe(true);
    // Without it: a seeded, stratified sample (both classes in validation).
    const plain = await trainModel(req);
    expect(new Set(plain.validation.y).size).toBe(2);
  });
});
