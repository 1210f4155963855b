import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compareValues,
  decodePageToken,
  encodePageToken,
  matchesFilter,
  runComparator,
} from '../../../src/core/tracking/query.ts';
import type { RunRecord } from '../../../src/core/tracking/types.ts';

const run = (id: string, over: Partial<RunRecord> = {}): RunRecord => ({
  id,
  experimentId: 'e',
  parentRunId: null,
  name: id,
  state: 'COMPLETE',
  startTime: 0,
  endTime: 10,
  params: {},
  tags: {},
  latestMetrics: {},
  datasetFingerprint: null,
  error: null,
  ...over,
});
const metric = (value: number) => ({ auc: { value, step: 0, timestamp: 0 } });

describe('run query semantics', () => {
  it('compareValues is a total order (antisymmetric, transitive) over mixed param values', () => {
    const v = fc.oneof(fc.boolean(), fc.double({ noNaN: false }), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(v, v, v, (a, b, c) => {
        expect(Math.sign(compareValues(a, b))).toBe(-Math.sign(compareValues(b, a)) || 0);
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0)
          expect(compareValues(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('missing and NaN metrics sort last in both directions', () => {
    const runs = [
      run('a', { latestMetrics: metric(0.5) }),
      run('b'),
      run('c', { latestMetrics: metric(NaN) }),
      run('d', { latestMetrics: metric(0.9) }),
    ];
    const asc = [...runs]
      .sort(runComparator({ field: { kind: 'metric', key: 'auc' }, direction: 'asc' }))
      .map((r) => r.id);
    const desc = [...runs]
      .sort(runComparator({ field: { kind: 'metric', key: 'auc' }, direction: 'desc' }))
      .map((r) => r.id);
    expect(asc.slice(0, 2)).toEqual(['a', 'd']);
    expect(desc.slice(0, 2)).toEqual(['d', 'a']);
    expect(asc.slice(2).sort()).toEqual(['b', 'c']);
  });

  it('filters compare like with like; strings never satisfy numeric bounds', () => {
    const r = run('x', { params: { depth: 6, booster: 'gbtree' } });
    expect(matchesFilter(r, { field: { kind: 'param', key: 'depth' }, op: '>', value: 5 })).toBe(true);
    expect(matchesFilter(r, { field: { kind: 'param', key: 'depth' }, op: '>', value: '5' })).toBe(false);
    expect(
      matchesFilter(r, { field: { kind: 'param', key: 'booster' }, op: 'contains', value: 'TREE' }),
    ).toBe(true);
    expect(matchesFilter(r, { field: { kind: 'param', key: 'lr' }, op: '!=', value: 1 })).toBe(true);
    expect(matchesFilter(r, { field: { kind: 'param', key: 'lr' }, op: '=', value: 1 })).toBe(false);
    expect(matchesFilter(r, { field: { kind: 'attr', key: 'duration' }, op: '=', value: 10 })).toBe(true);
  });

  it('page tokens round-trip and reject garbage', () => {
    fc.assert(
      fc.property(fc.nat(), (n) => {
        expect(decodePageToken(encodePageToken(n))).toBe(n);
      }),
    );
    expect(() => decodePageToken('o-1')).toThrow(/invalid pageToken/);
  });
});
