/**
 * Computing a recipe's features on a set of tables: validate the recipe against the tables (clear errors
 * naming the table, column or feature), then compute each feature as one column. The target table's row
 * count never changes: a lookup whose parent key is duplicated is refused, aggregations give one value per
 * target row.
 */
import { columnByName, type Column, type Table } from '../data/table.ts';
import {
  aggregate,
  codeUnitRank,
  indexChildRows,
  lagValues,
  type AggResult,
  type AggSource,
  type ChildIndex,
} from './aggregate.ts';
import { indexKeys, keyCodes, matchCodes, matchRate, percent, type KeyCodes } from './keys.ts';
import { cutoffValues, missingColumn, timeValues } from './time.ts';
import {
  AGGREGATIONS,
  DATE_PARTS,
  FeatureError,
  MS_PER_DAY,
  RECIPE_SCHEMA_VERSION,
  type AggregateFeature,
  type Aggregation,
  type LagFeature,
  type RollingFeature,
  type DatePart,
  type FeatureSpec,
  type LookupFeature,
  type Recipe,
  type Relationship,
  type Tables,
} from './types.ts';

export interface RelationshipReport {
  readonly relationship: Relationship;
  /** Child rows with a key, those whose key is found in the parent, and the rate. */
  readonly rows: number;
  readonly matched: number;
  readonly matchRate: number;
  /** Child rows left out because their time is missing (aggregations). */
  readonly missingTime: number;
  readonly text: string;
}

export interface BuildResult {
  /** One column per feature, target row order. */
  readonly features: Table;
  readonly relationships: readonly RelationshipReport[];
  /** Target rows without a cutoff: their aggregates are missing. */
  readonly missingCutoff: number;
  readonly warnings: readonly string[];
}

export interface BuildOptions {
  /** Keep only these features (by name), e.g. to preview. */
  readonly only?: readonly string[];
}

/** A relationship as text: `purchases.customer_id → customers.id`. */
export function linkText(r: Relationship): string {
  return `${r.child}.${r.childColumn} → ${r.parent}.${r.parentColumn}`;
}

/** Checks a parsed JSON value is a recipe (shape, schema version, known kinds) — not yet against tables. */
export function parseRecipe(value: unknown, where = 'recipe'): Recipe {
  const bad = (msg: string): FeatureError => new FeatureError('bad-recipe', `${where}: ${msg}`);
  /** The aggregation, its column and its window, shared by `aggregate` and `rolling` features. */
  const checkAggregation = (s: Record<string, unknown>, at: string): void => {
    if (!AGGREGATIONS.includes(s.aggregation as never)) {
      throw bad(
        `${at}: aggregation '${String(s.aggregation)}' is unknown (one of ${AGGREGATIONS.join(', ')})`,
      );
    }
    if (s.column !== undefined && typeof s.column !== 'string') throw bad(`${at}: column must be a name`);
    if (
      s.windowDays !== undefined &&
      !(typeof s.windowDays === 'number' && s.windowDays > 0 && Number.isFinite(s.windowDays))
    ) {
      throw bad(`${at}: windowDays must be a positive number of days`);
    }
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad('not a JSON object');
  const r = value as Record<string, unknown>;
  if (r.schemaVersion !== RECIPE_SCHEMA_VERSION) {
    throw bad(
      `schemaVersion ${JSON.stringify(r.schemaVersion)} is not supported (this studio reads ${RECIPE_SCHEMA_VERSION})`,
    );
  }
  if (typeof r.name !== 'string' || !r.name) throw bad('name must be a non-empty string');
  if (typeof r.version !== 'number' || !Number.isInteger(r.version) || r.version < 1)
    throw bad('version must be an integer ≥ 1');
  if (typeof r.target !== 'string' || !r.target) throw bad('target must name a table');
  if (r.label !== undefined && typeof r.label !== 'string') throw bad('label must be a column name');
  if (r.cutoff !== undefined) {
    const c = r.cutoff as Record<string, unknown>;
    if (!c || typeof c !== 'object' || (typeof c.column !== 'string' && typeof c.fixed !== 'string')) {
      throw bad('cutoff must be {"column": NAME} or {"fixed": "2024-03-01"}');
    }
  }
  if (!r.timeIndex || typeof r.timeIndex !== 'object' || Array.isArray(r.timeIndex))
    throw bad('timeIndex must be an object (table → column)');
  for (const [t, c] of Object.entries(r.timeIndex))
    if (typeof c !== 'string') throw bad(`timeIndex.${t} must be a column name`);
  if (!Array.isArray(r.features)) throw bad('features must be an array');
  const names = new Set<string>();
  r.features.forEach((f: unknown, i: number) => {
    const fw = `feature ${i + 1}`;
    if (!f || typeof f !== 'object') throw bad(`${fw} is not an object`);
    const s = f as Record<string, unknown>;
    if (typeof s.name !== 'string' || !s.name) throw bad(`${fw} has no name`);
    if (names.has(s.name)) throw bad(`two features are named '${s.name}'`);
    names.add(s.name);
    const at = `feature '${s.name}'`;
    switch (s.kind) {
      case 'lookup':
      case 'aggregate': {
        const rel = s.relationship as Record<string, unknown> | undefined;
        if (
          !rel ||
          ['child', 'childColumn', 'parent', 'parentColumn'].some((k) => typeof rel[k] !== 'string')
        ) {
          throw bad(`${at}: relationship must have child, childColumn, parent and parentColumn`);
        }
        if (s.kind === 'lookup' && typeof s.column !== 'string')
          throw bad(`${at}: a lookup names the parent column to copy`);
        if (s.kind === 'aggregate') {
          checkAggregation(s, at);
          for (const k of ['lookup', 'grandchild'] as const) {
            const r2 = s[k] as Record<string, unknown> | undefined;
            if (r2 === undefined) continue;
            if (
              !r2 ||
              typeof r2 !== 'object' ||
              ['child', 'childColumn', 'parent', 'parentColumn'].some((x) => typeof r2[x] !== 'string')
            ) {
              throw bad(`${at}: ${k} must be a relationship (child, childColumn, parent and parentColumn)`);
            }
          }
          if (s.lookup !== undefined && s.grandchild !== undefined)
            throw bad(`${at}: give lookup or grandchild, not both (depth 2 at most)`);
          if (s.lookup !== undefined && typeof s.column !== 'string')
            throw bad(`${at}: an aggregation of a lookup names the column of the looked-up table`);
        }
        break;
      }
      case 'date_part':
        if (typeof s.column !== 'string') throw bad(`${at}: names no column`);
        if (!DATE_PARTS.includes(s.part as never))
          throw bad(`${at}: part '${String(s.part)}' is unknown (one of ${DATE_PARTS.join(', ')})`);
        break;
      case 'days_since':
        if (typeof s.column !== 'string') throw bad(`${at}: names no column`);
        break;
      case 'rolling':
      case 'lag':
        if (typeof s.time !== 'string') throw bad(`${at}: a ${s.kind} names its time column ("time")`);
        if (s.entity !== undefined && typeof s.entity !== 'string')
          throw bad(`${at}: entity must be a column name`);
        if (s.kind === 'lag') {
          if (typeof s.column !== 'string') throw bad(`${at}: a lag names the column it shifts`);
          if (s.periods !== undefined && !(Number.isInteger(s.periods) && (s.periods as number) >= 1)) {
            throw bad(`${at}: periods must be a whole number ≥ 1`);
          }
        } else {
          checkAggregation(s, at);
        }
        break;
      default:
        throw bad(
          `${at}: kind '${String(s.kind)}' is unknown (lookup, aggregate, date_part, days_since, rolling, lag)`,
        );
    }
  });
  const recipe = value as Recipe;
  if (recipe.label !== undefined) {
    const label = recipe.label;
    const c = recipe.cutoff;
    if (c && 'column' in c && c.column === label) {
      throw bad(
        `the cutoff column '${label}' is the label: each row's prediction time cannot be the value to predict`,
      );
    }
    for (const f of recipe.features) {
      const how = labelUse(f, recipe.target, label);
      if (how) {
        throw bad(
          `feature '${f.name}' reads the label '${recipe.target}.${label}' (${how}): rows to score have no label, and it leaks the label into the features; remove the feature`,
        );
      }
    }
  }
  return recipe;
}

/**
 * How a feature reads column `label` of the target table (e.g. "its rolling column"), or null when it
 * does not. A feature that reads the label cannot be computed on rows to score (they have none) and
 * leaks the label into training.
 */
export function labelUse(f: FeatureSpec, target: string, label: string): string | null {
  switch (f.kind) {
    case 'lookup':
      return f.relationship.child === target && f.relationship.childColumn === label
        ? 'its lookup key'
        : null;
    case 'aggregate':
      return f.relationship.parent === target && f.relationship.parentColumn === label
        ? 'its aggregation key'
        : null;
    case 'date_part':
    case 'days_since':
      return f.column === label ? 'its date column' : null;
    case 'rolling':
    case 'lag':
      if (f.column === label) return `the column of its ${f.kind}`;
      if (f.time === label) return `the time column of its ${f.kind}`;
      if (f.entity === label) return `the entity column of its ${f.kind}`;
      return null;
  }
}

function getTable(tables: Tables, name: string, why: string): Table {
  const t = Object.prototype.hasOwnProperty.call(tables, name) ? tables[name] : undefined;
  if (!t) {
    const given = Object.keys(tables);
    throw new FeatureError(
      'missing-table',
      `${why} names table '${name}', which was not given (tables: ${given.length ? given.join(', ') : 'none'})`,
    );
  }
  return t;
}

function getColumn(table: Table, tableName: string, column: string): Column {
  const c = columnByName(table, column);
  if (!c) throw missingColumn(table, tableName, column);
  return c;
}

interface AggGroup {
  readonly index: ChildIndex;
  readonly targetEntity: Int32Array;
  readonly report: RelationshipReport;
}

/** Computes every feature of the recipe. Throws FeatureError on a recipe the tables cannot satisfy. */
export function buildFeatures(recipe: Recipe, tables: Tables, options: BuildOptions = {}): BuildResult {
  parseRecipe(recipe);
  const targetName = recipe.target;
  const target = getTable(tables, targetName, 'the recipe target');
  const warnings: string[] = [];
  if (recipe.label !== undefined) getColumn(target, targetName, recipe.label);
  const cutoffs = recipe.cutoff ? cutoffValues(target, targetName, recipe.cutoff) : null;
  let missingCutoff = 0;
  if (cutoffs) for (let i = 0; i < cutoffs.length; i++) if (Number.isNaN(cutoffs[i])) missingCutoff++;
  if (missingCutoff) {
    warnings.push(`${missingCutoff} target rows have no cutoff time: their aggregate features are missing`);
  }
  const specs = options.only
    ? recipe.features.filter((f) => options.only!.includes(f.name))
    : recipe.features;
  for (const f of specs) {
    if (columnByName(target, f.name)) {
      throw new FeatureError(
        'bad-recipe',
        `feature '${f.name}' has the name of a column of '${targetName}': rename the feature`,
      );
    }
  }

  const groups = new Map<string, AggGroup>();
  const childLinks = new Map<string, ChildLink>();
  const manyToOne = new Map<string, { rows: Int32Array; report: RelationshipReport }>();
  const lookups = new Map<string, { parentRow: Int32Array; report: RelationshipReport }>();
  // one report per link, in the order first used; a later one with more rows left out replaces it
  const reportOf = new Map<string, RelationshipReport>();
  const report = (r: RelationshipReport): void => {
    const k = relKey(r.relationship);
    const old = reportOf.get(k);
    if (!old || r.missingTime > old.missingTime) reportOf.set(k, r);
  };
  const columns: Column[] = [];
  const linkOf = (f: AggregateFeature): ChildLink => {
    const key = relKey(f.relationship);
    let l = childLinks.get(key);
    if (!l) {
      l = childLink(recipe, tables, target, f);
      childLinks.set(key, l);
    }
    return l;
  };
  /** A child-to-parent link of depth 2 (the parent's key unique), reported once. */
  const rowsOf = (rel: Relationship, at: string): { rows: Int32Array; report: RelationshipReport } => {
    const key = relKey(rel);
    let m = manyToOne.get(key);
    if (!m) {
      m = linkRows(tables, rel, at);
      manyToOne.set(key, m);
      report(m.report);
    }
    return m;
  };
  const addGroup = (key: string, g: AggGroup, table: string, extra = ''): AggGroup => {
    groups.set(key, g);
    report(g.report);
    if (g.index.missingTime) {
      warnings.push(
        `${g.index.missingTime} rows of '${table}' have no time${extra} and are left out of its aggregates`,
      );
    }
    return g;
  };

  for (const f of specs) {
    switch (f.kind) {
      case 'aggregate': {
        const rel = f.relationship;
        const at = `feature '${f.name}'`;
        const baseKey = relKey(rel);
        let g: AggGroup;
        let via: { table: string; rows: Int32Array | null } = { table: rel.child, rows: null };
        if (f.grandchild) {
          const g2 = f.grandchild;
          checkDepth2(recipe, f, g2, 'grandchild');
          const key = baseKey + relKey(g2);
          const link = linkOf(f);
          report(link.report);
          g =
            groups.get(key) ??
            addGroup(
              key,
              grandchildGroup(recipe, tables, f, link, cutoffs, rowsOf(g2, at)),
              g2.child,
              ` (its own or its ${rel.child} row's)`,
            );
          via = { table: g2.child, rows: null };
        } else {
          g =
            groups.get(baseKey) ??
            addGroup(baseKey, childGroup(recipe, tables, f, linkOf(f), cutoffs), rel.child);
          if (f.lookup) {
            checkDepth2(recipe, f, f.lookup, 'lookup');
            via = { table: f.lookup.parent, rows: rowsOf(f.lookup, at).rows };
          }
        }
        columns.push(aggregateColumn(tables, f, g, cutoffs, via));
        break;
      }
      case 'lookup': {
        const key = relKey(f.relationship);
        let l = lookups.get(key);
        if (!l) {
          l = lookupRows(recipe, tables, target, f);
          lookups.set(key, l);
          report(l.report);
        }
        const parent = getTable(tables, f.relationship.parent, `feature '${f.name}'`);
        columns.push(takeOrMissing(getColumn(parent, f.relationship.parent, f.column), l.parentRow, f.name));
        break;
      }
      case 'date_part': {
        const t = timeValues(target, targetName, f.column);
        columns.push({ name: f.name, type: 'integer', storage: 'float64', values: datePart(t, f.part) });
        break;
      }
      case 'rolling':
      case 'lag':
        columns.push(selfColumn(recipe, target, f));
        break;
      case 'days_since': {
        if (!cutoffs)
          throw new FeatureError(
            'bad-recipe',
            `feature '${f.name}': days_since needs a cutoff in the recipe`,
          );
        const t = timeValues(target, targetName, f.column);
        const v = new Float64Array(target.nRows);
        for (let i = 0; i < v.length; i++) v[i] = (cutoffs[i] - t[i]) / MS_PER_DAY;
        columns.push({ name: f.name, type: 'numeric', storage: 'float64', values: v });
        break;
      }
    }
  }
  const reports = [...reportOf.values()];
  for (const r of reports)
    if (r.matchRate < 0.5) warnings.push(`only ${percent(r.matchRate)} of ${linkText(r.relationship)} match`);
  return { features: { nRows: target.nRows, columns }, relationships: reports, missingCutoff, warnings };
}

function relKey(r: Relationship): string {
  return JSON.stringify([r.child, r.childColumn, r.parent, r.parentColumn]);
}

/** Each child row's target entity through `f.relationship` (child → target), with its match report. */
interface ChildLink {
  readonly entityOfRow: Int32Array;
  readonly targetEntity: Int32Array;
  readonly nEntities: number;
  readonly report: RelationshipReport;
}

function childLink(recipe: Recipe, tables: Tables, target: Table, f: AggregateFeature): ChildLink {
  const rel = f.relationship;
  if (rel.parent !== recipe.target) {
    throw new FeatureError(
      'bad-recipe',
      `feature '${f.name}': an aggregation links a child table to the target '${recipe.target}', but its relationship ends at '${rel.parent}'`,
    );
  }
  const child = getTable(tables, rel.child, `feature '${f.name}'`);
  const childKey = keyCodes(getColumn(child, rel.child, rel.childColumn));
  const targetKey = keyCodes(getColumn(target, rel.parent, rel.parentColumn));
  const toTarget = matchCodes(childKey, targetKey);
  const m = matchRate(childKey, toTarget);
  const text = `${linkText(rel)}: ${percent(m.rate)} of values match (${m.matched} of ${m.rows} rows)`;
  if (m.matched === 0) {
    throw new FeatureError(
      'no-matches',
      `${linkText(rel)}: no key matches (match rate 0%, 0 of ${m.rows} ${rel.child} rows with a key); check the columns of the relationship`,
    );
  }
  const entityOfRow = new Int32Array(childKey.codes.length);
  for (let i = 0; i < entityOfRow.length; i++) {
    const c = childKey.codes[i];
    entityOfRow[i] = c < 0 ? -1 : toTarget[c];
  }
  return {
    entityOfRow,
    targetEntity: targetKey.codes,
    nEntities: targetKey.keys.length,
    report: { relationship: rel, rows: m.rows, matched: m.matched, matchRate: m.rate, missingTime: 0, text },
  };
}

/** The child rows of each target entity, in time order (depth 1, and depth 2 through a lookup). */
function childGroup(
  recipe: Recipe,
  tables: Tables,
  f: AggregateFeature,
  link: ChildLink,
  cutoffs: Float64Array | null,
): AggGroup {
  const rel = f.relationship;
  const child = tables[rel.child];
  const timeCol = recipe.timeIndex[rel.child];
  let time: Float64Array | null = null;
  if (timeCol !== undefined) time = timeValues(child, rel.child, timeCol);
  else if (cutoffs) {
    throw new FeatureError(
      'bad-recipe',
      `feature '${f.name}': '${rel.child}' has no time index in the recipe, so rows after the cutoff cannot be left out (add "timeIndex": {"${rel.child}": "<date column>"})`,
    );
  }
  const index = indexChildRows(link.entityOfRow, link.nEntities, time);
  return {
    index,
    targetEntity: link.targetEntity,
    report: { ...link.report, missingTime: index.missingTime },
  };
}

/**
 * The grandchild rows of each target entity (grandchild → child → target). A row's time is the later of
 * its own and its child row's (each only when its table has a time index; missing at either level =
 * left out), so with a cutoff it counts only when both are before it.
 */
function grandchildGroup(
  recipe: Recipe,
  tables: Tables,
  f: AggregateFeature,
  link: ChildLink,
  cutoffs: Float64Array | null,
  link2: { readonly rows: Int32Array; readonly report: RelationshipReport },
): AggGroup {
  const childRow = link2.rows;
  const rel = f.relationship;
  const g2 = f.grandchild!;
  const n = childRow.length;
  const entityOfRow = new Int32Array(n);
  for (let i = 0; i < n; i++) entityOfRow[i] = childRow[i] < 0 ? -1 : link.entityOfRow[childRow[i]];
  const tcCol = recipe.timeIndex[rel.child];
  const tgCol = recipe.timeIndex[g2.child];
  const tc = tcCol !== undefined ? timeValues(tables[rel.child], rel.child, tcCol) : null;
  const tg = tgCol !== undefined ? timeValues(tables[g2.child], g2.child, tgCol) : null;
  let time: Float64Array | null = null;
  if (tc || tg) {
    time = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = childRow[i];
      const a = tg ? tg[i] : -Infinity;
      const b = tc ? (c < 0 ? NaN : tc[c]) : -Infinity;
      time[i] = Math.max(a, b);
    }
  } else if (cutoffs) {
    throw new FeatureError(
      'bad-recipe',
      `feature '${f.name}': neither '${g2.child}' nor '${rel.child}' has a time index in the recipe, so rows after the cutoff cannot be left out (add "timeIndex": {"${g2.child}": "<date column>"})`,
    );
  }
  const index = indexChildRows(entityOfRow, link.nEntities, time);
  return {
    index,
    targetEntity: link.targetEntity,
    report: { ...link2.report, missingTime: index.missingTime },
  };
}

/** A depth-2 link must start (lookup) or end (grandchild) at the feature's child table, and add a third table. */
function checkDepth2(
  recipe: Recipe,
  f: AggregateFeature,
  r2: Relationship,
  kind: 'lookup' | 'grandchild',
): void {
  const child = f.relationship.child;
  const bad = (msg: string) => new FeatureError('bad-recipe', `feature '${f.name}': ${msg}`);
  if (kind === 'lookup') {
    if (r2.child !== child)
      throw bad(`its lookup ${linkText(r2)} must start at the aggregated child table '${child}'`);
    if (r2.parent === child || r2.parent === recipe.target)
      throw bad(`its lookup ${linkText(r2)} must lead to a third table (not '${r2.parent}')`);
  } else {
    if (r2.parent !== child)
      throw bad(`its grandchild link ${linkText(r2)} must end at the child table '${child}'`);
    if (r2.child === child || r2.child === recipe.target)
      throw bad(`its grandchild link ${linkText(r2)} must start at a third table (not '${r2.child}')`);
  }
}

function aggregateColumn(
  tables: Tables,
  f: AggregateFeature,
  g: AggGroup,
  cutoffs: Float64Array | null,
  via: { readonly table: string; readonly rows: Int32Array | null },
): Column {
  const at = `feature '${f.name}'`;
  if ((f.windowDays !== undefined || f.aggregation === 'time_since_last') && !cutoffs) {
    throw new FeatureError(
      'bad-recipe',
      `${at}: ${f.windowDays !== undefined ? 'a window' : 'time_since_last'} needs a cutoff in the recipe`,
    );
  }
  const table = getTable(tables, via.table, at);
  const read = aggSource(table, via.table, f.column, f.aggregation, at);
  const { dictionary } = read;
  const source = via.rows ? throughRows(read.source, via.rows) : read.source;
  const res = aggregate(g.index, {
    aggregation: f.aggregation,
    source,
    targetEntity: g.targetEntity,
    cutoffs,
    windowDays: f.windowDays,
  });
  return resultColumn(f.name, f.aggregation, res, dictionary);
}

function resultColumn(
  name: string,
  aggregation: Aggregation | 'lag',
  res: AggResult,
  dictionary: readonly string[],
): Column {
  if (res.kind === 'cat') return { name, type: 'categorical', storage: 'dict', codes: res.codes, dictionary };
  const integral = aggregation === 'count' || aggregation === 'distinct_count';
  return { name, type: integral ? 'integer' : 'numeric', storage: 'float64', values: res.values };
}

/** What an aggregation reads from a column (or from rows when `column` is undefined), with type checks. */
function aggSource(
  table: Table,
  tableName: string,
  column: string | undefined,
  aggregation: Aggregation | 'lag',
  at: string,
): { source: AggSource; dictionary: readonly string[] } {
  if (column === undefined) {
    if (aggregation !== 'count' && aggregation !== 'time_since_last') {
      throw new FeatureError('bad-recipe', `${at}: ${aggregation} needs a column of '${tableName}'`);
    }
    return { source: { kind: 'none' }, dictionary: [] };
  }
  const col = getColumn(table, tableName, column);
  if (col.storage === 'dict') {
    if (!['count', 'distinct_count', 'most_frequent', 'last', 'lag'].includes(aggregation)) {
      throw new FeatureError(
        'bad-type',
        `${at}: ${aggregation} needs numbers, but ${tableName}.${column} holds text (use count, distinct_count, most_frequent or last)`,
      );
    }
    return {
      source: { kind: 'cat', codes: col.codes, rank: codeUnitRank(col.dictionary) },
      dictionary: col.dictionary,
    };
  }
  if (col.storage === 'bool') {
    const v = new Float64Array(col.values.length);
    for (let i = 0; i < v.length; i++) v[i] = col.values[i] > 1 ? NaN : col.values[i];
    return { source: { kind: 'num', values: v }, dictionary: [] };
  }
  if (col.storage === 'datetime' && !['count', 'distinct_count'].includes(aggregation)) {
    throw new FeatureError(
      'bad-type',
      `${at}: ${aggregation} of a date column (${tableName}.${column}) is not supported (use time_since_last)`,
    );
  }
  return { source: { kind: 'num', values: col.values }, dictionary: [] };
}

/** Rolling statistics and lags of the target table itself, ordered by its time column, per entity. */
function selfColumn(recipe: Recipe, target: Table, f: RollingFeature | LagFeature): Column {
  const at = `feature '${f.name}'`;
  const name = recipe.target;
  const time = timeValues(target, name, f.time);
  let entity: Int32Array;
  let nEntities: number;
  if (f.entity !== undefined) {
    const k = keyCodes(getColumn(target, name, f.entity));
    entity = k.codes;
    nEntities = k.keys.length;
  } else {
    entity = new Int32Array(target.nRows);
    nEntities = 1;
  }
  const index = indexChildRows(entity, nEntities, time);
  if (f.kind === 'lag') {
    const { source, dictionary } = aggSource(target, name, f.column, 'lag', at);
    if (source.kind === 'none') throw new FeatureError('bad-recipe', `${at}: a lag names a column`);
    return resultColumn(f.name, 'lag', lagValues(index, entity, time, f.periods ?? 1, source), dictionary);
  }
  const { source, dictionary } = aggSource(target, name, f.column, f.aggregation, at);
  const res = aggregate(index, {
    aggregation: f.aggregation,
    source,
    targetEntity: entity,
    cutoffs: time,
    windowDays: f.windowDays,
  });
  return resultColumn(f.name, f.aggregation, res, dictionary);
}

function lookupRows(
  recipe: Recipe,
  tables: Tables,
  target: Table,
  f: LookupFeature,
): { parentRow: Int32Array; report: RelationshipReport } {
  const rel = f.relationship;
  if (rel.child !== recipe.target) {
    throw new FeatureError(
      'bad-recipe',
      `feature '${f.name}': a lookup links the target '${recipe.target}' to a parent, but its relationship starts at '${rel.child}'`,
    );
  }
  const { rows, report } = linkRows({ ...tables, [recipe.target]: target }, rel, `feature '${f.name}'`);
  return { parentRow: rows, report };
}

/**
 * For each row of `rel.child`, the row of `rel.parent` its key finds (-1 when none). The parent's key
 * must be unique (else a row would have several matches), and at least one key must match.
 */
function linkRows(
  tables: Tables,
  rel: Relationship,
  at: string,
): { rows: Int32Array; report: RelationshipReport } {
  const child = getTable(tables, rel.child, at);
  const parent = getTable(tables, rel.parent, at);
  const childKey: KeyCodes = keyCodes(getColumn(child, rel.child, rel.childColumn));
  const pk = indexKeys(getColumn(parent, rel.parent, rel.parentColumn));
  if (pk.duplicateRows > 0) {
    throw new FeatureError(
      'duplicate-keys',
      `${linkText(rel)}: ${rel.parent}.${rel.parentColumn} is not unique (${pk.duplicateRows} repeated rows, e.g. ${pk.duplicateExamples.map((k) => `'${k}'`).join(', ')}); ` +
        `joining would give some ${rel.child} rows several matches and change its row count — remove the duplicates or aggregate instead`,
    );
  }
  const toParent = matchCodes(childKey, pk.keyCodes);
  const m = matchRate(childKey, toParent);
  if (m.matched === 0) {
    throw new FeatureError(
      'no-matches',
      `${linkText(rel)}: no key matches (match rate 0%, 0 of ${m.rows} ${rel.child} rows with a key); check the columns of the relationship`,
    );
  }
  const rowOfCode = new Int32Array(childKey.keys.length);
  for (let c = 0; c < rowOfCode.length; c++)
    rowOfCode[c] = toParent[c] < 0 ? -1 : pk.rowOf.get(pk.keyCodes.keys[toParent[c]])!;
  const rows = new Int32Array(child.nRows);
  for (let i = 0; i < rows.length; i++) {
    const c = childKey.codes[i];
    rows[i] = c < 0 ? -1 : rowOfCode[c];
  }
  const text = `${linkText(rel)}: ${percent(m.rate)} of values match (${m.matched} of ${m.rows} rows)`;
  return {
    rows,
    report: { relationship: rel, rows: m.rows, matched: m.matched, matchRate: m.rate, missingTime: 0, text },
  };
}

/** A source read through a many-to-one link: row i reads the source at rows[i] (-1 → missing). */
function throughRows(source: AggSource, rows: Int32Array): AggSource {
  const n = rows.length;
  switch (source.kind) {
    case 'none':
      return source;
    case 'num': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = rows[i] < 0 ? NaN : source.values[rows[i]];
      return { kind: 'num', values };
    }
    case 'cat': {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = rows[i] < 0 ? -1 : source.codes[rows[i]];
      return { kind: 'cat', codes, rank: source.rank };
    }
  }
}

/** The parent's values at the given rows (-1 → missing), as a column named `name`. */
function takeOrMissing(col: Column, rows: Int32Array, name: string): Column {
  const n = rows.length;
  switch (col.storage) {
    case 'dict': {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = rows[i] < 0 ? -1 : col.codes[rows[i]];
      return {
        name,
        type: col.type === 'id' ? 'categorical' : col.type,
        storage: 'dict',
        codes,
        dictionary: col.dictionary,
      };
    }
    case 'bool': {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = rows[i] < 0 ? 255 : col.values[rows[i]];
      return { name, type: 'boolean', storage: 'bool', values, labels: col.labels };
    }
    case 'float64':
    case 'datetime': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = rows[i] < 0 ? NaN : col.values[rows[i]];
      return col.storage === 'datetime'
        ? { name, type: 'datetime', storage: 'datetime', values, format: col.format }
        : { name, type: col.type, storage: 'float64', values };
    }
  }
}

/** A date part of epoch-ms values, UTC (no time zone or locale of the machine). weekday: 0 = Monday. */
export function datePart(t: Float64Array, part: DatePart): Float64Array {
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const ms = t[i];
    if (Number.isNaN(ms)) {
      out[i] = NaN;
      continue;
    }
    const d = new Date(ms);
    switch (part) {
      case 'year':
        out[i] = d.getUTCFullYear();
        break;
      case 'month':
        out[i] = d.getUTCMonth() + 1;
        break;
      case 'day':
        out[i] = d.getUTCDate();
        break;
      case 'hour':
        out[i] = d.getUTCHours();
        break;
      case 'weekday':
        out[i] = (d.getUTCDay() + 6) % 7;
        break;
      case 'is_weekend': {
        const w = d.getUTCDay();
        out[i] = w === 0 || w === 6 ? 1 : 0;
        break;
      }
      case 'day_of_year':
        out[i] = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / MS_PER_DAY) + 1;
        break;
    }
  }
  return out;
}

export type { FeatureSpec };
