import { describe, expect, it } from 'vitest';
import { detectTask, suggestTarget } from '../../../src/core/profile/index.ts';
import { targetNameScore } from '../../../src/core/profile/target.ts';
import { bool, cat, date, num, table } from './helpers.ts';

const N = 100;
const seq = <T>(f: (i: number) => T) => Array.from({ length: N }, (_, i) => f(i));
const wobble = (i: number) => Math.round(Math.abs(Math.sin(i * 3.7)) * 1000) / 10;

describe('detectTask', () => {
  it('boolean → binary', () => {
    const d = detectTask(
      table(
        bool(
          'b',
          seq((i) => i % 3 === 0),
        ),
      ),
      'b',
    );
    expect(d.task).toBe('binary');
    expect(d.classes?.map((c) => c.value).sort()).toEqual(['false', 'true']);
  });

  it('two distinct strings → binary with the labels in the reason', () => {
    const d = detectTask(
      table(
        cat(
          'churn',
          seq((i) => (i % 4 ? 'No' : 'Yes')),
        ),
      ),
      'churn',
    );
    expect(d).toMatchObject({ task: 'binary', reason: '2 distinct values: No / Yes' });
    expect(d.classes).toEqual([
      { value: 'No', count: 75 },
      { value: 'Yes', count: 25 },
    ]);
  });

  it('two distinct numbers → binary', () => {
    expect(
      detectTask(
        table(
          num(
            'y',
            seq((i) => i % 2),
          ),
        ),
        'y',
      ).task,
    ).toBe('binary');
  });

  it('strings with several values → multiclass', () => {
    const d = detectTask(
      table(
        cat(
          's',
          seq((i) => ['a', 'b', 'c', 'd'][i % 4]),
        ),
      ),
      's',
    );
    expect(d.task).toBe('multiclass');
    expect(d.classes).toHaveLength(4);
    expect(d.reason).toContain('4 distinct');
  });

  it('integers with few values (≤ 20 and ≤ 5% of rows) → multiclass, else regression', () => {
    const many = Array.from({ length: 400 }, (_, i) => i % 10);
    const d = detectTask({ nRows: 400, columns: [num('digit', many)] }, 'digit');
    expect(d.task).toBe('multiclass');
    expect(d.reason).toMatch(/10 distinct values \(0–9\)/);
    // 10 values in 100 rows is 10% of rows: a count, not classes.
    expect(
      detectTask(
        table(
          num(
            'n',
            seq((i) => i % 10),
          ),
        ),
        'n',
      ).task,
    ).toBe('regression');
    // 25 distinct integers, even in many rows → regression.
    const wide = Array.from({ length: 2000 }, (_, i) => i % 25);
    expect(detectTask({ nRows: 2000, columns: [num('n', wide)] }, 'n').task).toBe('regression');
    // Decimal numbers with few values are still regression.
    const dec = Array.from({ length: 400 }, (_, i) => (i % 5) + 0.5);
    expect(detectTask({ nRows: 400, columns: [num('d', dec)] }, 'd').task).toBe('regression');
  });

  it('continuous numbers → regression', () => {
    const d = detectTask(table(num('price', seq(wobble))), 'price');
    expect(d.task).toBe('regression');
    expect(d.classes).toBeUndefined();
  });

  it('throws specific errors for unusable targets', () => {
    expect(() =>
      detectTask(
        table(
          num(
            'k',
            seq(() => 4),
          ),
        ),
        'k',
      ),
    ).toThrow(/single value \('4'\)/);
    expect(() =>
      detectTask(
        table(
          num(
            'e',
            seq(() => null),
          ),
        ),
        'e',
      ),
    ).toThrow(/no values/);
    expect(() =>
      detectTask(
        table(
          date(
            'd',
            seq((i) => i * 1000),
          ),
        ),
        'd',
      ),
    ).toThrow(/dates/);
    expect(() => detectTask(table(num('a', [1])), 'zzz')).toThrow(/'zzz' not found; columns are: a/);
  });
});

describe('targetNameScore', () => {
  it('ranks exact names over words over camel-case parts', () => {
    expect(targetNameScore('Target')).toBe(3);
    expect(targetNameScore('is_fraud')).toBe(3);
    expect(targetNameScore('customer_churn')).toBe(2);
    expect(targetNameScore('Sale_Price')).toBe(3);
    expect(targetNameScore('house_price')).toBe(2);
    expect(targetNameScore('MS_SubClass')).toBe(1);
    expect(targetNameScore('y')).toBe(2);
    expect(targetNameScore('y', ['x', 'y', 'z'])).toBe(0);
    expect(targetNameScore('y.ege')).toBe(0);
    expect(targetNameScore('glass')).toBe(0);
  });
});

describe('suggestTarget', () => {
  const features = () => [
    num('a', seq(wobble)),
    num(
      'b',
      seq((i) => wobble(i + 7)),
    ),
    cat(
      'c',
      seq((i) => ['u', 'v'][i % 2]),
    ),
  ];

  it('prefers a column named like a target wherever it is', () => {
    const s = suggestTarget(
      table(
        cat(
          'outcome',
          seq((i) => (i % 3 ? 'x' : 'y')),
        ),
        ...features(),
      ),
    )!;
    expect(s.column).toBe('outcome');
    expect(s.task).toBe('binary');
    expect(s.reason).toContain('named like a target');
    expect(s.alternatives).toContain('c');
  });

  it('otherwise takes the last plausible column', () => {
    const s = suggestTarget(
      table(
        ...features(),
        num(
          'score',
          seq((i) => wobble(i * 3)),
        ),
      ),
    )!;
    expect(s.column).toBe('score');
    expect(s.task).toBe('regression');
    expect(s.reason).toMatch(/^last column; numbers/);
  });

  it('skips an id-like, constant or date last column for the best other plausible one', () => {
    for (const last of [
      num(
        'row_id',
        seq((i) => i),
      ),
      num(
        'k',
        seq(() => 2),
      ),
      date(
        'when',
        seq((i) => i * 86_400_000),
      ),
    ]) {
      const s = suggestTarget(
        table(
          num('first', seq(wobble)),
          cat(
            'c',
            seq((i) => ['p', 'q', 'r'][i % 3]),
          ),
          last,
        ),
      )!;
      expect(s.column).not.toBe(last.name);
      expect(s.alternatives).not.toContain(last.name);
    }
  });

  it('the lone categorical column in a numeric table beats a numeric last column', () => {
    const s = suggestTarget(
      table(
        cat(
          'letter',
          seq((i) => 'ABCDE'[i % 5]),
        ),
        num('f1', seq(wobble)),
        num(
          'f2',
          seq((i) => i % 16),
        ),
      ),
    )!;
    expect(s.column).toBe('letter');
    expect(s.task).toBe('multiclass');
    expect(s.reason).toContain('only categorical');
  });

  it('returns null when nothing is plausible', () => {
    expect(
      suggestTarget(
        table(
          cat(
            'id',
            seq((i) => `k${i}`),
          ),
          num(
            'k',
            seq(() => 1),
          ),
        ),
      ),
    ).toBeNull();
    expect(suggestTarget({ nRows: 0, columns: [] })).toBeNull();
  });

  it('a string column with too many values is not suggested', () => {
    const s = suggestTarget(
      table(
        num('a', seq(wobble)),
        cat(
          'city',
          seq((i) => `c${i % 60}`),
        ),
      ),
    );
    expect(s?.column).toBe('a');
  });
});
