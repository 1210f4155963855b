/**
 * Words for the feature engineering panel: a feature's definition ("mean of purchases.amount over the
 * last 30 days before the cutoff, per customer"), a link's label, and checks on a link the user adds.
 */
import type { FeatureSpec, Recipe, Relationship } from '../../core/features/index.ts';
import type { FeatureLink } from '../../../workers/types.ts';

const AGG_WORDS: Record<string, string> = {
  count: 'number of rows',
  sum: 'sum',
  mean: 'mean',
  min: 'minimum',
  max: 'maximum',
  std: 'standard deviation',
  distinct_count: 'number of distinct values',
  most_frequent: 'most frequent value',
  last: 'last value',
  time_since_last: 'days since the last row',
};

const PART_WORDS: Record<string, string> = {
  year: 'year',
  month: 'month',
  day: 'day of the month',
  weekday: 'weekday',
  is_weekend: 'whether it is a weekend',
  hour: 'hour',
  day_of_year: 'day of the year',
};

function window(days: number | undefined, cutoff: boolean): string {
  if (days !== undefined) return ` in the last ${days} days before the cutoff`;
  return cutoff ? ' before the cutoff' : ' (all rows)';
}

/** A feature's definition in words. */
export function describeFeature(spec: FeatureSpec, recipe: Pick<Recipe, 'cutoff' | 'target'>): string {
  const cutoff = recipe.cutoff !== undefined;
  switch (spec.kind) {
    case 'lookup':
      return `${spec.relationship.parent}.${spec.column} of the row's ${spec.relationship.childColumn}`;
    case 'aggregate': {
      const r = spec.relationship;
      const what =
        spec.aggregation === 'count' || spec.aggregation === 'time_since_last'
          ? `${AGG_WORDS[spec.aggregation]} of ${r.child}`
          : `${AGG_WORDS[spec.aggregation]} of ${r.child}.${spec.column ?? '?'}`;
      return `${what}${window(spec.windowDays, cutoff)}, per ${r.parent}.${r.parentColumn}`;
    }
    case 'date_part':
      return `${PART_WORDS[spec.part] ?? spec.part} of ${spec.column}`;
    case 'days_since':
      return `days from ${spec.column} to the cutoff`;
    case 'rolling':
      return `${AGG_WORDS[spec.aggregation]}${spec.column ? ` of ${spec.column}` : ''} over earlier rows${spec.windowDays !== undefined ? ` in the last ${spec.windowDays} days` : ''}${spec.entity ? ` of the same ${spec.entity}` : ''}`;
    case 'lag':
      return `${spec.column} ${spec.periods && spec.periods > 1 ? `${spec.periods} rows` : 'one row'} earlier${spec.entity ? ` for the same ${spec.entity}` : ''}`;
  }
}

/** "purchases.customer_id → customers.id". */
export function linkName(r: Relationship): string {
  return `${r.child}.${r.childColumn} → ${r.parent}.${r.parentColumn}`;
}

/** "purchases.customer_id → customers.id · 98% match" (or "· added by you"). */
export function linkLabel(l: FeatureLink): string {
  const rate =
    l.matchRate === null
      ? 'added by you'
      : `${l.matchRate >= 0.995 || l.matchRate < 0.01 ? Math.round(l.matchRate * 100) : Math.floor(l.matchRate * 100)}% match`;
  return `${linkName(l)} · ${rate}`;
}

export const sameLink = (a: Relationship, b: Relationship): boolean =>
  a.child === b.child &&
  a.childColumn === b.childColumn &&
  a.parent === b.parent &&
  a.parentColumn === b.parentColumn;

/** Why a link the user adds cannot be kept (in words), or null when it can. */
export function refuseLink(links: readonly Relationship[], add: Relationship): string | null {
  if (add.child === add.parent)
    return `${linkName(add)} links a table to itself: choose two different tables`;
  if (links.some((l) => sameLink(l, add))) return `${linkName(add)} is already there`;
  if (links.some((l) => l.child === add.parent && l.parent === add.child))
    return `${linkName(add)} refused: ${add.parent} already points to ${add.child} — a link goes one way only (a many-to-many pair needs a table between them)`;
  // a path parent → … → child would close a cycle
  const seen = new Set([add.parent]);
  const queue = [[add.parent]];
  while (queue.length) {
    const path = queue.shift()!;
    const at = path[path.length - 1];
    if (at === add.child)
      return `${linkName(add)} refused: it would close a cycle (${[...path, add.parent].join(' → ')}); features follow links one way only`;
    for (const l of links) {
      if (l.child === at && !seen.has(l.parent)) {
        seen.add(l.parent);
        queue.push([...path, l.parent]);
      }
    }
  }
  return null;
}
