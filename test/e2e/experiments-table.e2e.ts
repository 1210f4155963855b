/**
 * The runs table's in-memory sort/filter/layout (src/ui/state/tracking-table.ts) agrees with the
 * store's own query semantics (src/core/tracking/query.ts, the contract every store implements),
 * and the chart downsampling keeps its promises. Pure functions: runs in Node with the e2e project
 * so it sits beside the screens' browser tests.
 */
import { describe, expect, it } from 'vitest';
import { normalizeQuery, pageRuns } from '../../src/core/tracking/query.ts';
import type { ParamValue, RunOrder, RunRecord } from '../../src/core/tracking/types.ts';
import {
  filterIndices,
  layoutRows,
  matchesRunsFilter,
  sortIndices,
} from '../../src/ui/state/tracking-table.ts';
import { lttb, MAX_DRAW_POINTS, strideSample } from '../../src/ui/charts/tracking-options.ts';
import { loadRunCharts, CHART_ARTIFACTS } from '../../src/ui/state/tracking-artifacts.ts';

function makeRuns(n: number): RunRecord[] {
  let x = 7;
  const rnd = () => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const runs: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    const params: Record<string, ParamValue> = { lr: Math.round(rnd() * 5) / 10 };
    if (i % 3) params.depth = Math.floor(rnd() * 4);
    if (i % 5 === 0) params.mixed = i % 2 ? 'a' : i % 4 ? true : 3;
    const metrics: Record<string, { value: number; step: number; timestamp: number }> = {};
    if (i % 7) metrics.auc = { value: Math.round(rnd() * 20) / 20, step: 0, timestamp: 0 };
    runs.push({
      id: `r${String(i).padStart(4, '0')}`,
      experimentId: 'e',
      parentRunId: i === 0 ? null : i % 4 === 0 ? null : 'r0000',
      name: `run ${i}`,
      state: i % 9 === 0 ? 'FAILED' : 'COMPLETE',
      startTime: 1000 + Math.floor(i / 3),
      endTime: 2000 + i,
      params,
      tags: i % 2 ? { sampler: i % 3 ? 'tpe' : 'random' } : {},
      latestMetrics: metrics,
      datasetFingerprint: null,
      error: null,
    });
  }
  return runs;
}

describe('runs table sort/filter', () => {
  const runs = makeRuns(500);
  const orders: RunOrder[] = [
    { field: { kind: 'metric', key: 'auc' }, direction: 'desc' },
    { field: { kind: 'metric', key: 'auc' }, direction: 'asc' },
    { field: { kind: 'param', key: 'lr' }, direction: 'asc' },
    { field: { kind: 'param', key: 'depth' }, direction: 'desc' },
    { field: { kind: 'param', key: 'mixed' }, direction: 'asc' },
    { field: { kind: 'tag', key: 'sampler' }, direction: 'desc' },
    { field: { kind: 'attr', key: 'name' }, direction: 'asc' },
    { field: { kind: 'attr', key: 'duration' }, direction: 'desc' },
    { field: { kind: 'attr', key: 'startTime' }, direction: 'desc' },
  ];
  for (const order of orders) {
    it(`sorts like the store: ${order.field.kind}:${order.field.key} ${order.direction}`, () => {
      const expected = pageRuns(
        runs,
        normalizeQuery({ experimentId: 'e', orderBy: order, limit: 10_000 }),
      ).runs;
      const got = Array.from(sortIndices(runs, order), (i) => runs[i].id);
      expect(got).toEqual(expected.map((r) => r.id));
    });
  }

  it('filters by text on params/tags and numerically on a metric', () => {
    const order = sortIndices(runs, orders[0]);
    const f = { text: 'sampler=tpe', metric: { key: 'auc', op: '>=' as const, value: 0.5 } };
    const got = filterIndices(runs, order, f);
    expect(got.length).toBeGreaterThan(0);
    for (const i of got) {
      expect(runs[i].tags.sampler).toBe('tpe');
      expect(runs[i].latestMetrics.auc.value).toBeGreaterThanOrEqual(0.5);
    }
    const all = runs.filter((r) => matchesRunsFilter(r, f)).length;
    expect(got.length).toBe(all);
  });

  it('groups children under their parent, parents shown as context when only children match', () => {
    const byId = new Map(runs.map((r, i) => [r.id, i]));
    const order = sortIndices(runs, orders[2]);
    const matched = filterIndices(runs, order, { text: 'run 5' }); // run 5, 50..59: children of r0000 or top-level
    const layout = layoutRows(runs, byId, matched, { grouped: true, collapsed: new Set() });
    const ids = Array.from(layout.run, (i) => runs[i].id);
    expect(ids[0]).toBe('r0000'); // context parent first
    expect(layout.context[0]).toBe(1);
    expect(new Set(ids).size).toBe(ids.length);
    const collapsed = layoutRows(runs, byId, matched, { grouped: true, collapsed: new Set(['r0000']) });
    expect(Array.from(collapsed.run, (i) => runs[i].parentRunId)).not.toContain('r0000');
  });
});

describe('chart downsampling and artifacts', () => {
  it('LTTB keeps ends and at most the threshold', () => {
    const xs = Array.from({ length: 50_000 }, (_, i) => i);
    const ys = xs.map((x) => Math.sin(x / 500) + (x === 25_000 ? 10 : 0));
    const out = lttb(xs, ys);
    expect(out.length).toBe(MAX_DRAW_POINTS);
    expect(out[0]).toEqual([0, ys[0]]);
    expect(out.at(-1)).toEqual([49_999, ys[49_999]]);
    expect(out.some(([x]) => x === 25_000)).toBe(true); // the spike survives
    expect(strideSample(10_000, 2000, [1, 3]).length).toBeLessThanOrEqual(2002);
  });

  it('reads contract artifacts and reports malformed ones', async () => {
    const enc = new TextEncoder();
    const blobs: Record<string, unknown> = {
      a: { labels: ['x', 'y'], counts: [1, 2, 3, 4] },
      b: { features: ['f'], importance: [1, 2] },
    };
    const charts = await loadRunCharts(
      [
        { id: 'a', name: CHART_ARTIFACTS.confusion, createdAt: 1 },
        { id: 'b', name: CHART_ARTIFACTS.featureImportance, createdAt: 1 },
      ],
      async (id) => enc.encode(JSON.stringify(blobs[id])),
    );
    expect(charts.confusion?.labels).toEqual(['x', 'y']);
    expect(charts.featureImportance).toBeUndefined();
    expect(charts.invalid).toEqual([CHART_ARTIFACTS.featureImportance]);
  });
});
