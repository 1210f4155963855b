/**
 * The runs table's data work, on the experiment's runs held in memory (one frozen record per run):
 * columns, sort, filter and the parent/child row layout. Everything returns index arrays into the
 * `runs` array, so a sort or a filter never copies records and never touches the DOM; at 10,000
 * runs a sort takes a few milliseconds (see bench/compare).
 *
 * Sorting follows the store's semantics (`src/core/tracking/query.ts`): missing values last in both
 * directions, booleans < numbers < strings, ties by start time (newest first) then id.
 */
import { compareValues, runFieldValue } from '../../core/tracking/query.ts';
import { METRICS } from '../../core/metrics/evaluate.ts';
import type { ParamValue, RunField, RunOrder, RunRecord } from '../../core/tracking/types.ts';
import { formatMetricValue, formatValue } from '../format.ts';
import { metricLabel } from '../../core/metrics/labels.ts';

export interface RunColumns {
  readonly metrics: readonly string[];
  readonly params: readonly string[];
  readonly tags: readonly string[];
}

/** Tags that only repeat what other columns show. */
const HIDDEN_TAGS = new Set<string>([]);

/** Metric, param and tag keys present in any run (metrics in first-seen order, the rest sorted). */
export function collectColumns(runs: readonly RunRecord[]): RunColumns {
  const metrics = new Set<string>();
  const params = new Set<string>();
  const tags = new Set<string>();
  for (const r of runs) {
    for (const k in r.latestMetrics) metrics.add(k);
    for (const k in r.params) params.add(k);
    for (const k in r.tags) if (!HIDDEN_TAGS.has(k)) tags.add(k);
  }
  return { metrics: [...metrics], params: [...params].sort(), tags: [...tags].sort() };
}

/** True when a larger value of this metric is better. */
export function higherIsBetter(metric: string): boolean {
  const info = METRICS[metric];
  if (info) return info.direction === 'maximize';
  return !/(loss|error|rmse|mae|mse|seconds|time)/i.test(metric);
}

export function fieldId(f: RunField): string {
  return `${f.kind}:${f.key}`;
}

export function fieldLabel(f: RunField): string {
  if (f.kind === 'attr') {
    return { name: 'Name', state: 'State', startTime: 'Started', endTime: 'Ended', duration: 'Duration' }[
      f.key
    ];
  }
  return f.kind === 'metric' ? metricLabel(f.key) : f.key;
}

/** Indices 0..n-1 of `runs` sorted by `order` (store semantics). */
export function sortIndices(
  runs: readonly RunRecord[],
  order: RunOrder,
  subset?: ArrayLike<number>,
): Uint32Array {
  const n = runs.length;
  const idx = subset ? Uint32Array.from(subset) : Uint32Array.from({ length: n }, (_, i) => i);
  const sign = order.direction === 'asc' ? 1 : -1;
  // Extract the keys once: numbers in a Float64Array when every present value is a number.
  const values: (ParamValue | undefined)[] = new Array(n);
  let allNumeric = true;
  for (const i of idx) {
    const v = runFieldValue(runs[i], order.field);
    values[i] = v;
    if (v !== undefined && v !== null && typeof v !== 'number') allNumeric = false;
  }
  const start = new Float64Array(n);
  for (const i of idx) start[i] = runs[i].startTime;
  const tie = (a: number, b: number): number =>
    start[b] - start[a] || (runs[a].id < runs[b].id ? 1 : runs[a].id > runs[b].id ? -1 : 0);
  if (allNumeric) {
    const num = new Float64Array(n);
    for (const i of idx) {
      const v = values[i];
      num[i] = v === undefined || v === null ? NaN : (v as number);
    }
    return idx.sort((a, b) => {
      const va = num[a];
      const vb = num[b];
      const ma = Number.isNaN(va);
      const mb = Number.isNaN(vb);
      if (ma !== mb) return ma ? 1 : -1;
      if (!ma && va !== vb) return sign * (va < vb ? -1 : 1);
      return tie(a, b);
    });
  }
  return idx.sort((a, b) => {
    const va = values[a];
    const vb = values[b];
    const ma = va === undefined || va === null;
    const mb = vb === undefined || vb === null;
    if (ma !== mb) return ma ? 1 : -1;
    if (!ma && !mb) {
      const c = compareValues(va, vb);
      if (c !== 0) return sign * c;
    }
    return tie(a, b);
  });
}

export type NumericOp = '>' | '>=' | '<' | '<=' | '=';

export interface RunsFilter {
  /** Case-insensitive text matched against the name and every `param=value` / `tag=value`. */
  readonly text: string;
  /** Numeric condition on a metric's latest value (runs without the metric fail it). */
  readonly metric?: { readonly key: string; readonly op: NumericOp; readonly value: number } | null;
  /** Only these states (empty/undefined: all). */
  readonly states?: readonly string[];
}

const haystacks = new WeakMap<RunRecord, string>();

/** The lowercased text a run is searched in (cached per frozen record). */
export function runHaystack(r: RunRecord): string {
  let h = haystacks.get(r);
  if (h === undefined) {
    const parts = [r.name, r.id];
    for (const k in r.params) parts.push(`${k}=${r.params[k]}`);
    for (const k in r.tags) parts.push(`${k}=${r.tags[k]}`);
    h = parts.join('\n').toLowerCase();
    haystacks.set(r, h);
  }
  return h;
}

export function isFilterActive(f: RunsFilter): boolean {
  return f.text.trim() !== '' || !!f.metric || (f.states?.length ?? 0) > 0;
}

export function matchesRunsFilter(r: RunRecord, f: RunsFilter): boolean {
  if (f.states?.length && !f.states.includes(r.state)) return false;
  const text = f.text.trim().toLowerCase();
  if (text) {
    const h = runHaystack(r);
    // Several words: all must match (each anywhere).
    for (const word of text.split(/\s+/)) if (!h.includes(word)) return false;
  }
  const m = f.metric;
  if (m && Number.isFinite(m.value)) {
    const v = r.latestMetrics[m.key]?.value;
    if (v === undefined || Number.isNaN(v)) return false;
    switch (m.op) {
      case '>':
        if (!(v > m.value)) return false;
        break;
      case '>=':
        if (!(v >= m.value)) return false;
        break;
      case '<':
        if (!(v < m.value)) return false;
        break;
      case '<=':
        if (!(v <= m.value)) return false;
        break;
      case '=':
        if (v !== m.value) return false;
        break;
    }
  }
  return true;
}

/** Indices of `order` (kept in order) whose runs pass the filter. */
export function filterIndices(runs: readonly RunRecord[], order: Uint32Array, f: RunsFilter): Uint32Array {
  if (!isFilterActive(f)) return order;
  const out = new Uint32Array(order.length);
  let n = 0;
  for (const i of order) if (matchesRunsFilter(runs[i], f)) out[n++] = i;
  return out.slice(0, n);
}

/** The table's rows: run index, depth (0 top-level, 1 child) and whether it only gives context. */
export interface RowLayout {
  readonly run: Uint32Array;
  readonly depth: Uint8Array;
  /** 1 when the row is a parent shown only because some of its children matched the filter. */
  readonly context: Uint8Array;
  /** Children per parent run id that matched (for "n trials" labels). */
  readonly childCount: ReadonlyMap<string, number>;
  readonly length: number;
}

/**
 * Groups children under their parent: each top-level run (in sorted order) is followed by its
 * matching children (in sorted order) unless it is collapsed. A parent that didn't match but has
 * matching children is shown as context at its first child's position. `grouped: false` = flat list.
 */
export function layoutRows(
  runs: readonly RunRecord[],
  byId: ReadonlyMap<string, number>,
  matched: Uint32Array,
  options: { grouped: boolean; collapsed: ReadonlySet<string> },
): RowLayout {
  const n = matched.length;
  if (!options.grouped) {
    return {
      run: matched,
      depth: new Uint8Array(n),
      context: new Uint8Array(n),
      childCount: new Map(),
      length: n,
    };
  }
  const children = new Map<number, number[]>();
  const isMatched = new Uint8Array(runs.length);
  for (const i of matched) isMatched[i] = 1;
  const rootOf = (i: number): number => {
    const p = runs[i].parentRunId;
    if (p === null) return i;
    const pi = byId.get(p);
    return pi === undefined ? i : pi;
  };
  for (const i of matched) {
    const root = rootOf(i);
    if (root === i) continue;
    let list = children.get(root);
    if (!list) children.set(root, (list = []));
    list.push(i);
  }
  const run = new Uint32Array(n + children.size);
  const depth = new Uint8Array(n + children.size);
  const context = new Uint8Array(n + children.size);
  const emitted = new Uint8Array(runs.length);
  const childCount = new Map<string, number>();
  let k = 0;
  for (const i of matched) {
    const root = rootOf(i);
    if (emitted[root]) continue;
    emitted[root] = 1;
    run[k] = root;
    context[k] = isMatched[root] ? 0 : 1;
    k++;
    const kids = children.get(root);
    if (kids) {
      childCount.set(runs[root].id, kids.length);
      if (!options.collapsed.has(runs[root].id)) {
        for (const c of kids) {
          emitted[c] = 1;
          run[k] = c;
          depth[k] = 1;
          k++;
        }
      } else for (const c of kids) emitted[c] = 1;
    }
  }
  return {
    run: run.subarray(0, k),
    depth: depth.subarray(0, k),
    context: context.subarray(0, k),
    childCount,
    length: k,
  };
}

/** A parameter value: numbers through the one formatter (seeds and ids whole), others as text. */
export function formatParam(v: ParamValue | undefined, key?: string): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'number') return formatValue(v, { ...(key ? { key } : {}), empty: '' });
  return String(v);
}

/** A metric value (src/ui/format.ts: 4 significant digits, integers whole); '' when missing. */
export function formatMetric(v: number | undefined, key?: string): string {
  return key ? formatMetricValue(key, v, '') : formatValue(v, { kind: 'metric', empty: '' });
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTime(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Label of a run's state for badges: PRUNED shows as "pruned", COMPLETE as "FINISHED" (MLflow's word). */
export function stateLabel(r: RunRecord): string {
  switch (r.state) {
    case 'COMPLETE':
      return 'FINISHED';
    case 'PRUNED':
      return 'pruned';
    case 'FAILED':
      return r.error?.reason === 'interrupted' ? 'FAILED (interrupted)' : 'FAILED';
    default:
      return 'RUNNING';
  }
}

/** The primary metric of an experiment's runs: the `metric` tag when set, else the first metric key. */
export function primaryMetric(
  experimentTags: Readonly<Record<string, string>>,
  sample: readonly RunRecord[],
): string | null {
  if (experimentTags.metric) return experimentTags.metric;
  for (const r of sample) if (r.tags.metric) return r.tags.metric;
  for (const r of sample) for (const k in r.latestMetrics) return k;
  return null;
}
