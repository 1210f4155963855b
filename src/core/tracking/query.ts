/**
 * Run filtering/sorting semantics shared by every store implementation, so that all stores return
 * the same pages for the same query (the contract suite checks this).
 */
import { StoreError } from './errors.ts';
import type { ParamValue, RunField, RunFilter, RunOrder, RunQuery, RunRecord } from './types.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 10_000;
const FILTER_OPS = new Set(['=', '!=', '<', '<=', '>', '>=', 'exists', 'missing', 'contains']);
const ATTR_KEYS = new Set(['name', 'state', 'startTime', 'endTime', 'duration']);

export const DEFAULT_ORDER: RunOrder = { field: { kind: 'attr', key: 'startTime' }, direction: 'desc' };

/** The value of a field on a run; undefined when the run doesn't have it. */
export function runFieldValue(run: RunRecord, field: RunField): ParamValue | undefined {
  switch (field.kind) {
    case 'metric': {
      // NaN (e.g. a diverged loss) counts as "no value": it sorts last and fails comparisons.
      const v = run.latestMetrics[field.key]?.value;
      return v === undefined || Number.isNaN(v) ? undefined : v;
    }
    case 'param':
      return Object.hasOwn(run.params, field.key) ? run.params[field.key] : undefined;
    case 'tag':
      return Object.hasOwn(run.tags, field.key) ? run.tags[field.key] : undefined;
    case 'attr':
      switch (field.key) {
        case 'name':
          return run.name;
        case 'state':
          return run.state;
        case 'startTime':
          return run.startTime;
        case 'endTime':
          return run.endTime ?? undefined;
        case 'duration':
          return run.endTime === null ? undefined : run.endTime - run.startTime;
      }
  }
}

function typeRank(v: ParamValue): number {
  return typeof v === 'boolean' ? 0 : typeof v === 'number' ? 1 : 2;
}

/** Total order on present values: booleans < numbers < strings; NaN after other numbers. */
export function compareValues(a: ParamValue, b: ParamValue): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const isMissing = (v: ParamValue | undefined): v is undefined | null => v === undefined || v === null;

export function matchesFilter(run: RunRecord, f: RunFilter): boolean {
  const v = runFieldValue(run, f.field);
  if (f.op === 'exists') return !isMissing(v);
  if (f.op === 'missing') return isMissing(v);
  if (isMissing(v) || f.value === undefined || f.value === null) return f.op === '!=' && !isMissing(f.value);
  if (f.op === 'contains') return String(v).toLowerCase().includes(String(f.value).toLowerCase());
  const comparable = typeRank(v) === typeRank(f.value);
  if (f.op === '=') return comparable && compareValues(v, f.value) === 0;
  if (f.op === '!=') return !comparable || compareValues(v, f.value) !== 0;
  if (!comparable) return false;
  const c = compareValues(v, f.value);
  switch (f.op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

export function matchesAll(run: RunRecord, filters: readonly RunFilter[] | undefined): boolean {
  if (!filters) return true;
  for (const f of filters) if (!matchesFilter(run, f)) return false;
  return true;
}

/** Comparator for `orderBy`: missing values last in both directions; ties by startTime desc, id desc. */
export function runComparator(order: RunOrder = DEFAULT_ORDER): (a: RunRecord, b: RunRecord) => number {
  const sign = order.direction === 'asc' ? 1 : -1;
  return (a, b) => {
    const va = runFieldValue(a, order.field);
    const vb = runFieldValue(b, order.field);
    const ma = isMissing(va);
    const mb = isMissing(vb);
    if (ma !== mb) return ma ? 1 : -1;
    if (!ma && !mb) {
      const c = compareValues(va, vb);
      if (c !== 0) return sign * c;
    }
    if (a.startTime !== b.startTime) return b.startTime - a.startTime;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  };
}

export function validateField(field: RunField, where: string): void {
  if (!field || typeof field !== 'object') throw new StoreError('INVALID', `${where}: missing field`);
  if (field.kind === 'attr') {
    if (!ATTR_KEYS.has(field.key)) {
      throw new StoreError('INVALID', `${where}: unknown run attribute ${JSON.stringify(field.key)}`);
    }
  } else if (field.kind === 'metric' || field.kind === 'param' || field.kind === 'tag') {
    if (typeof field.key !== 'string' || field.key === '') {
      throw new StoreError('INVALID', `${where}: ${field.kind} key must be a non-empty string`);
    }
  } else {
    throw new StoreError(
      'INVALID',
      `${where}: unknown field kind ${JSON.stringify((field as { kind: unknown }).kind)}`,
    );
  }
}

export interface NormalizedQuery {
  readonly experimentId: string;
  readonly parentRunId: string | null | undefined;
  readonly filter: readonly RunFilter[];
  readonly orderBy: RunOrder;
  readonly limit: number;
  readonly offset: number;
}

export function normalizeQuery(q: RunQuery): NormalizedQuery {
  if (!q || typeof q.experimentId !== 'string' || q.experimentId === '') {
    throw new StoreError('INVALID', 'searchRuns: experimentId is required');
  }
  const limit = q.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new StoreError(
      'INVALID',
      `searchRuns: limit must be an integer in 1..${MAX_PAGE_SIZE}, got ${limit}`,
    );
  }
  const filter = q.filter ?? [];
  filter.forEach((f, i) => {
    validateField(f.field, `searchRuns filter #${i}`);
    if (!FILTER_OPS.has(f.op))
      throw new StoreError('INVALID', `searchRuns filter #${i}: unknown operator ${JSON.stringify(f.op)}`);
  });
  const orderBy = q.orderBy ?? DEFAULT_ORDER;
  validateField(orderBy.field, 'searchRuns orderBy');
  if (orderBy.direction !== 'asc' && orderBy.direction !== 'desc') {
    throw new StoreError('INVALID', `searchRuns orderBy: direction must be 'asc' or 'desc'`);
  }
  return {
    experimentId: q.experimentId,
    parentRunId: q.parentRunId,
    filter,
    orderBy,
    limit,
    offset: q.pageToken === undefined ? 0 : decodePageToken(q.pageToken),
  };
}

export function encodePageToken(offset: number): string {
  return `o${offset.toString(36)}`;
}

export function decodePageToken(token: string): number {
  const m = /^o([0-9a-z]+)$/.exec(token);
  const n = m ? parseInt(m[1], 36) : NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new StoreError('INVALID', `searchRuns: invalid pageToken ${JSON.stringify(token)}`);
  return n;
}

/** Reference implementation: filter + sort + page over all candidate runs. */
export function pageRuns(
  candidates: Iterable<RunRecord>,
  q: NormalizedQuery,
): { runs: RunRecord[]; nextPageToken: string | null } {
  const all: RunRecord[] = [];
  for (const r of candidates) {
    if (r.experimentId !== q.experimentId) continue;
    if (q.parentRunId !== undefined && r.parentRunId !== q.parentRunId) continue;
    if (matchesAll(r, q.filter)) all.push(r);
  }
  all.sort(runComparator(q.orderBy));
  const runs = all.slice(q.offset, q.offset + q.limit);
  const next = q.offset + runs.length;
  return { runs, nextPageToken: next < all.length ? encodePageToken(next) : null };
}
