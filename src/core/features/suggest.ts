/**
 * Automatic suggestion (depth 1, and with `depth: 2` also depth 2): from the proposed relationships, every lookup of a parent of the target,
 * aggregations of each child of the target (counts and time since last over all history and windows,
 * numeric statistics, categorical distinct count and most frequent value), and date parts of the cutoff.
 * Each candidate is computed and scored by its association with the label (|Pearson r|, the correlation
 * ratio or Cramér's V, on the rows where both are known); with more candidates than the cap, the most
 * associated are kept (ties in the order generated).
 *
 * Depth 2 (opt-in) adds, for each child of the target, aggregations of its parents' columns (the mean
 * item price of a customer's purchases, the most frequent item category in the last 30 days) and of its
 * own children's rows (the sum of order_lines.amount per customer through orders), at most
 * `maxCandidates` of them — each is computed and scored, so the cap bounds the time. Under the cap the
 * main statistic of each column comes first (mean or sum, most frequent, row count), then the other
 * all-history ones, then the windowed ones.
 */
import { columnByName, type Column } from '../data/table.ts';
import { correlationRatio, cramersV, pearson } from '../profile/association-stats.ts';
import { buildFeatures, labelUse } from './build.ts';
import { proposeRelationships, type RelationshipProposals } from './relationships.ts';
import {
  FeatureError,
  RECIPE_SCHEMA_VERSION,
  type Aggregation,
  type Cutoff,
  type FeatureSpec,
  type Recipe,
  type Relationship,
  type Tables,
} from './types.ts';

export interface SuggestOptions {
  /** The table whose rows get features (default: the first table given). */
  readonly target?: string;
  /** The column to predict. */
  readonly label?: string;
  readonly cutoff?: Cutoff;
  /** At most this many features (default 40). */
  readonly maxFeatures?: number;
  /** Windows in days (default 7, 14, 30). */
  readonly windows?: readonly number[];
  readonly name?: string;
  /** Relationships to use instead of the proposed ones. */
  readonly relationships?: readonly Relationship[];
  /**
   * The target table's own time column: adds lags and rolling statistics of its numeric columns (never
   * of the label: rows to score have none), per `entity` when given.
   */
  readonly time?: string;
  readonly entity?: string;
  /** 1 (default) or 2: also aggregations through a second link (see the module comment). */
  readonly depth?: 1 | 2;
  /** Depth 2: at most this many depth-2 candidates are generated (default 60). */
  readonly maxCandidates?: number;
}

export interface FeatureAssociation {
  readonly name: string;
  readonly kind: FeatureSpec['kind'];
  /** 'pearson' | 'correlation_ratio' | 'cramers_v', null without a label. */
  readonly method: string | null;
  /** In [0, 1] (|r| for Pearson); NaN when it cannot be computed. */
  readonly association: number;
  readonly missingShare: number;
}

export interface Suggestion {
  readonly proposals: RelationshipProposals;
  readonly recipe: Recipe;
  /** The kept features, most associated first. */
  readonly features: readonly FeatureAssociation[];
  /** How many candidates were generated before the cap. */
  readonly candidates: number;
  /** Depth 2: the depth-2 candidates generated, and those left out by `maxCandidates`. */
  readonly depth2?: { readonly candidates: number; readonly leftOut: number };
}

const NUM_AGGS: readonly Aggregation[] = ['mean', 'sum', 'min', 'max', 'std'];
const MAX_LEVELS = 50;

function usable(
  col: Column,
  keys: ReadonlySet<string>,
  time: string | null | undefined,
): 'num' | 'cat' | null {
  if (keys.has(col.name) || col.name === time) return null;
  if (col.type === 'id' || col.type === 'text' || col.storage === 'datetime') return null;
  if (col.storage === 'dict') return col.dictionary.length <= MAX_LEVELS ? 'cat' : null;
  return 'num';
}

export function suggestFeatures(tables: Tables, options: SuggestOptions = {}): Suggestion {
  const names = Object.keys(tables);
  const targetName = options.target ?? names[0];
  const target = tables[targetName];
  if (!target) {
    return suggestFeaturesError(targetName, names);
  }
  const proposals = proposeRelationships(tables, { target: targetName });
  const rels = options.relationships ?? proposals.relationships;
  const cutoff = options.cutoff;
  const windows = cutoff ? (options.windows ?? [7, 14, 30]) : [];
  const timeIndex: Record<string, string> = {};
  const specs: FeatureSpec[] = [];
  const keysOf = (table: string): Set<string> => {
    const s = new Set<string>();
    for (const r of rels) {
      if (r.child === table) s.add(r.childColumn);
      if (r.parent === table) s.add(r.parentColumn);
    }
    return s;
  };

  for (const rel of rels) {
    if (rel.parent === targetName && rel.child !== targetName) {
      const child = tables[rel.child];
      const time = proposals.timeIndexes.find((t) => t.table === rel.child)?.column ?? null;
      if (cutoff && !time) continue; // no point-in-time rule possible for this child
      if (time) timeIndex[rel.child] = time;
      const base = rel.child;
      const agg = (aggregation: Aggregation, column?: string, windowDays?: number): void => {
        const name = [base, column, aggregation, windowDays !== undefined ? `${windowDays}d` : undefined]
          .filter(Boolean)
          .join('_');
        specs.push({
          kind: 'aggregate',
          name,
          relationship: rel,
          aggregation,
          ...(column !== undefined ? { column } : {}),
          ...(windowDays !== undefined ? { windowDays } : {}),
        });
      };
      agg('count');
      for (const w of windows) agg('count', undefined, w);
      if (cutoff) agg('time_since_last');
      const keys = keysOf(rel.child);
      for (const col of child.columns) {
        const u = usable(col, keys, time);
        if (u === 'num') {
          for (const a of NUM_AGGS) agg(a, col.name);
          for (const w of windows) {
            agg('sum', col.name, w);
            agg('mean', col.name, w);
          }
        } else if (u === 'cat') {
          agg('most_frequent', col.name);
          agg('distinct_count', col.name);
        }
      }
    } else if (rel.child === targetName && rel.parent !== targetName) {
      const parent = tables[rel.parent];
      const keys = keysOf(rel.parent);
      // a parent looked up through two links (flights.origin and flights.destination → airports.iata)
      // names its features after each link's column: origin_latitude, destination_latitude
      const twice = rels.filter((r) => r.child === targetName && r.parent === rel.parent).length > 1;
      for (const col of parent.columns) {
        if (!usable(col, keys, null)) continue;
        specs.push({
          kind: 'lookup',
          name: twice ? `${rel.childColumn}_${col.name}` : `${rel.parent}_${col.name}`,
          relationship: rel,
          column: col.name,
        });
      }
    }
  }
  let depth2: Suggestion['depth2'];
  if (options.depth === 2) {
    const more = depth2Candidates(tables, targetName, rels, proposals, cutoff, windows, keysOf, timeIndex);
    const cap = options.maxCandidates ?? 60;
    const taken = new Set(specs.map((s) => s.name));
    const fresh = more.filter((s) => !taken.has(s.name));
    specs.push(...fresh.slice(0, cap));
    depth2 = { candidates: fresh.length, leftOut: Math.max(0, fresh.length - cap) };
  }
  if (options.time !== undefined) {
    const time = options.time;
    const entity = options.entity;
    const rollWindows = options.windows ?? [7, 14, 30];
    const base = { time, ...(entity !== undefined ? { entity } : {}) };
    for (const w of rollWindows) {
      specs.push({
        kind: 'rolling',
        name: `rows_rolling_count_${w}d`,
        ...base,
        aggregation: 'count',
        windowDays: w,
      });
    }
    const keys = keysOf(targetName);
    if (entity !== undefined) keys.add(entity);
    for (const col of target.columns) {
      if (col.storage === 'dict' || usable(col, keys, time) !== 'num') continue;
      specs.push({ kind: 'lag', name: `${col.name}_lag1`, ...base, column: col.name, periods: 1 });
      for (const w of rollWindows) {
        specs.push({
          kind: 'rolling',
          name: `${col.name}_rolling_mean_${w}d`,
          ...base,
          aggregation: 'mean',
          column: col.name,
          windowDays: w,
        });
        specs.push({
          kind: 'rolling',
          name: `${col.name}_rolling_max_${w}d`,
          ...base,
          aggregation: 'max',
          column: col.name,
          windowDays: w,
        });
      }
    }
  }
  if (cutoff && 'column' in cutoff && cutoff.column !== options.label) {
    for (const part of ['month', 'weekday', 'is_weekend'] as const) {
      specs.push({ kind: 'date_part', name: `${cutoff.column}_${part}`, column: cutoff.column, part });
    }
  }
  if (cutoff) {
    const dates = proposals.timeIndexes.find((t) => t.table === targetName)?.candidates ?? [];
    for (const c of dates) {
      if ('column' in cutoff && c === cutoff.column) continue;
      if (c === options.label) continue;
      specs.push({ kind: 'days_since', name: `days_since_${c}`, column: c });
    }
  }
  const taken = new Set(target.columns.map((c) => c.name));
  // Never a feature that reads the label: rows to score have none, and it would leak the label.
  const label = options.label;
  const unique = specs.filter(
    (s) =>
      (label === undefined || labelUse(s, targetName, label) === null) &&
      !taken.has(s.name) &&
      (taken.add(s.name), true),
  );

  const recipe: Recipe = {
    schemaVersion: RECIPE_SCHEMA_VERSION,
    name: options.name ?? `${targetName}-features`,
    version: 1,
    target: targetName,
    ...(options.label !== undefined ? { label: options.label } : {}),
    ...(cutoff ? { cutoff } : {}),
    timeIndex,
    features: unique,
  };
  const built = buildFeatures(recipe, tables);
  const labelCol = options.label !== undefined ? columnByName(target, options.label) : undefined;
  const scored = built.features.columns.map((col, i) => ({
    i,
    spec: unique[i],
    a: associate(col, labelCol),
  }));
  const cap = options.maxFeatures ?? 40;
  let kept = scored;
  if (scored.length > cap) {
    kept = [...scored]
      .sort(
        (x, y) =>
          (Number.isNaN(y.a.value) ? -1 : y.a.value) - (Number.isNaN(x.a.value) ? -1 : x.a.value) ||
          x.i - y.i,
      )
      .slice(0, cap)
      .sort((x, y) => x.i - y.i);
  }
  const features = kept
    .map((k) => ({
      name: k.spec.name,
      kind: k.spec.kind,
      method: k.a.method,
      association: k.a.value,
      missingShare: k.a.missingShare,
    }))
    .sort(
      (x, y) =>
        (Number.isNaN(y.association) ? -1 : y.association) -
        (Number.isNaN(x.association) ? -1 : x.association),
    );
  return {
    proposals,
    recipe: { ...recipe, features: kept.map((k) => k.spec) },
    features,
    candidates: unique.length,
    ...(depth2 ? { depth2 } : {}),
  };
}

/**
 * Depth-2 candidates, in a fixed order: for each child C of the target (as at depth 1), aggregations of
 * the columns of each parent P of C (`lookup`: mean, max, min of numbers and windowed means; most frequent
 * and distinct count of categories, and the windowed most frequent), then of the rows of each child G of
 * C (`grandchild`: counts over all history and windows, time since last; sum, mean, max of numbers and
 * windowed sums; most frequent and distinct count of categories). With a cutoff, C needs a time index
 * (lookups) or C or G one (grandchildren); G's is added to the recipe's time indexes.
 */
function depth2Candidates(
  tables: Tables,
  targetName: string,
  rels: readonly Relationship[],
  proposals: RelationshipProposals,
  cutoff: Cutoff | undefined,
  windows: readonly number[],
  keysOf: (table: string) => Set<string>,
  timeIndex: Record<string, string>,
): FeatureSpec[] {
  const out: { spec: FeatureSpec; tier: number }[] = [];
  const timeOf = (t: string): string | null =>
    proposals.timeIndexes.find((x) => x.table === t)?.column ?? null;
  for (const rel of rels) {
    if (rel.parent !== targetName || rel.child === targetName) continue;
    const c = rel.child;
    const cTime = timeOf(c);
    for (const r2 of rels) {
      const agg = (
        name: string,
        aggregation: Aggregation,
        column: string | undefined,
        windowDays: number | undefined,
        via: { lookup: Relationship } | { grandchild: Relationship },
      ): void => {
        const primary =
          column === undefined
            ? aggregation === 'count'
            : aggregation === 'most_frequent' || aggregation === ('lookup' in via ? 'mean' : 'sum');
        const spec: FeatureSpec = {
          kind: 'aggregate',
          name: [name, column, aggregation, windowDays !== undefined ? `${windowDays}d` : undefined]
            .filter(Boolean)
            .join('_'),
          relationship: rel,
          aggregation,
          ...(column !== undefined ? { column } : {}),
          ...(windowDays !== undefined ? { windowDays } : {}),
          ...via,
        };
        out.push({ spec, tier: windowDays !== undefined ? 2 : primary ? 0 : 1 });
      };
      if (r2.child === c && r2.parent !== targetName && r2.parent !== c) {
        // a column of C's parent, over C's rows
        if (cutoff && !cTime) continue;
        const via = { lookup: r2 };
        const base = `${c}_${r2.parent}`;
        for (const col of tables[r2.parent].columns) {
          const u = usable(col, keysOf(r2.parent), null);
          if (u === 'num') {
            for (const a of ['mean', 'max', 'min'] as const) agg(base, a, col.name, undefined, via);
            for (const w of windows) agg(base, 'mean', col.name, w, via);
          } else if (u === 'cat') {
            agg(base, 'most_frequent', col.name, undefined, via);
            agg(base, 'distinct_count', col.name, undefined, via);
            for (const w of windows) agg(base, 'most_frequent', col.name, w, via);
          }
        }
        if (cTime) timeIndex[c] = cTime;
      } else if (r2.parent === c && r2.child !== targetName && r2.child !== c) {
        // rows of C's child
        const g = r2.child;
        const gTime = timeOf(g);
        if (cutoff && !cTime && !gTime) continue;
        const via = { grandchild: r2 };
        const base = `${c}_${g}`;
        agg(base, 'count', undefined, undefined, via);
        for (const w of windows) agg(base, 'count', undefined, w, via);
        if (cutoff) agg(base, 'time_since_last', undefined, undefined, via);
        for (const col of tables[g].columns) {
          const u = usable(col, keysOf(g), gTime);
          if (u === 'num') {
            for (const a of ['sum', 'mean', 'max'] as const) agg(base, a, col.name, undefined, via);
            for (const w of windows) agg(base, 'sum', col.name, w, via);
          } else if (u === 'cat') {
            agg(base, 'most_frequent', col.name, undefined, via);
            agg(base, 'distinct_count', col.name, undefined, via);
          }
        }
        if (cTime) timeIndex[c] = cTime;
        if (gTime) timeIndex[g] = gTime;
      }
    }
  }
  // under a cap, first the main statistic of every table (mean or sum, most frequent, count), then the
  // other all-history ones, then the windowed ones (a stable sort: generation order within a tier)
  return out.sort((a, b) => a.tier - b.tier).map((x) => x.spec);
}

function suggestFeaturesError(target: string, names: readonly string[]): never {
  throw new FeatureError(
    'missing-table',
    `target table '${target}' was not given (tables: ${names.join(', ')})`,
  );
}

/** Association of a feature with the label, on the rows where both are known. */
export function associate(
  feature: Column,
  label: Column | undefined,
): { method: string | null; value: number; missingShare: number } {
  const n = feature.storage === 'dict' ? feature.codes.length : feature.values.length;
  let missing = 0;
  for (let i = 0; i < n; i++) if (isMiss(feature, i)) missing++;
  const missingShare = n ? missing / n : 0;
  if (!label) return { method: null, value: NaN, missingShare };
  const labelNumeric = label.storage === 'float64' && distinctAtLeast(label.values, 11);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (!isMiss(feature, i) && !isMiss(label, i)) rows.push(i);
  if (rows.length < 3) return { method: null, value: NaN, missingShare };
  const num = (c: Column): Float64Array => Float64Array.from(rows, (i) => numAt(c, i));
  const cat = (c: Column): { codes: Int32Array; k: number } => {
    const map = new Map<number, number>();
    const codes = Int32Array.from(rows, (i) => {
      const v = c.storage === 'dict' ? c.codes[i] : numAt(c, i);
      let code = map.get(v);
      if (code === undefined) map.set(v, (code = map.size));
      return code;
    });
    return { codes, k: map.size };
  };
  const featureCat = feature.storage === 'dict';
  let method: string;
  let value: number;
  if (labelNumeric && !featureCat) {
    method = 'pearson';
    value = Math.abs(pearson(num(feature), num(label)));
  } else if (labelNumeric && featureCat) {
    const f = cat(feature);
    method = 'correlation_ratio';
    value = correlationRatio(num(label), f.codes, f.k);
  } else if (!featureCat) {
    const l = cat(label);
    method = 'correlation_ratio';
    value = correlationRatio(num(feature), l.codes, l.k);
  } else {
    const f = cat(feature);
    const l = cat(label);
    method = 'cramers_v';
    value = cramersV(f.codes, f.k, l.codes, l.k);
  }
  return { method, value: Number.isFinite(value) ? value : NaN, missingShare };
}

function isMiss(c: Column, i: number): boolean {
  if (c.storage === 'dict') return c.codes[i] < 0;
  if (c.storage === 'bool') return c.values[i] > 1;
  return Number.isNaN(c.values[i]);
}

function numAt(c: Column, i: number): number {
  return c.storage === 'dict' ? c.codes[i] : c.values[i];
}

function distinctAtLeast(values: Float64Array, k: number): boolean {
  const s = new Set<number>();
  for (let i = 0; i < values.length && s.size < k; i++) if (!Number.isNaN(values[i])) s.add(values[i]);
  return s.size >= k;
}
