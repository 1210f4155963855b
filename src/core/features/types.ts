/**
 * Feature recipes: plain JSON data (named, versioned, with a schema version) that say how to compute
 * features for the rows of one target table from related tables. See README "Feature engineering".
 */
import { StudioError, type ErrorKind } from '../errors.ts';
import type { Table } from '../data/table.ts';

export const RECIPE_SCHEMA_VERSION = 1;

/** Tables by name (the names a recipe uses). */
export type Tables = Readonly<Record<string, Table>>;

/** A many-to-one link: every row of `child` points (by `childColumn`) to at most one row of `parent`. */
export interface Relationship {
  readonly child: string;
  readonly childColumn: string;
  readonly parent: string;
  readonly parentColumn: string;
}

/** When each target row is "now": no child row at or after it contributes. */
export type Cutoff =
  | { readonly column: string }
  | {
      /** ISO 8601 date or date-time (UTC). */
      readonly fixed: string;
    };

export const AGGREGATIONS = [
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'std',
  'distinct_count',
  'most_frequent',
  'last',
  'time_since_last',
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const DATE_PARTS = ['year', 'month', 'day', 'weekday', 'is_weekend', 'hour', 'day_of_year'] as const;
export type DatePart = (typeof DATE_PARTS)[number];

/** A parent's column copied onto each target row (target.childColumn → parent.parentColumn). */
export interface LookupFeature {
  readonly kind: 'lookup';
  readonly name: string;
  /** The link from the target table to the parent (relationship.child is the target table). */
  readonly relationship: Relationship;
  readonly column: string;
}

/** An aggregation over the child rows of each target row (child.childColumn → target.parentColumn). */
export interface AggregateFeature {
  readonly kind: 'aggregate';
  readonly name: string;
  /** The link from the child table to the target table (relationship.parent is the target table). */
  readonly relationship: Relationship;
  readonly aggregation: Aggregation;
  /** The child column aggregated; omitted for `count` (rows) and `time_since_last`. */
  readonly column?: string;
  /** Only child rows in the last N days before the cutoff; omitted = all history before the cutoff. */
  readonly windowDays?: number;
  /**
   * Depth 2, a column of the child's parent: `column` is read from table `lookup.parent`, reached from
   * each child row through the many-to-one link `lookup` (`lookup.child` is `relationship.child`) — e.g.
   * the mean `items.price` of a customer's purchases. The child rows are chosen (cutoff, window) as at
   * depth 1; the parent is a lookup table and has no time of its own.
   */
  readonly lookup?: Relationship;
  /**
   * Depth 2, rows of a grandchild: the rows aggregated are those of table `grandchild.child`, each linked
   * to one row of the child by `grandchild` (`grandchild.parent` is `relationship.child`) — e.g. the sum
   * of `order_lines.amount` per customer through orders. With a cutoff the rule holds at every level: a
   * row counts only when its own time (if its table has a time index) and its child row's time (likewise)
   * are both before the cutoff; the window and the order of `last` use the later of the two.
   */
  readonly grandchild?: Relationship;
}

/** A part of a datetime column of the target table (or of the cutoff). UTC, no locale. */
export interface DatePartFeature {
  readonly kind: 'date_part';
  readonly name: string;
  readonly column: string;
  readonly part: DatePart;
}

/** Days from a datetime column of the target table to the cutoff (an event's age at prediction time). */
export interface DaysSinceFeature {
  readonly kind: 'days_since';
  readonly name: string;
  readonly column: string;
}

/**
 * A rolling statistic of one time-indexed table (the target itself): for each row, `aggregation` over the
 * earlier rows (time strictly before the row's) of the same entity (all rows without `entity`), over all
 * history or the last `windowDays` days — e.g. the 7-day mean of a sensor per machine.
 */
export interface RollingFeature {
  readonly kind: 'rolling';
  readonly name: string;
  /** The datetime column ordering the rows. */
  readonly time: string;
  readonly entity?: string;
  readonly aggregation: Aggregation;
  readonly column?: string;
  readonly windowDays?: number;
}

/** The value of `column` in the `periods`-th previous row (time strictly before) of the same entity. */
export interface LagFeature {
  readonly kind: 'lag';
  readonly name: string;
  readonly time: string;
  readonly entity?: string;
  readonly column: string;
  /** 1 = the previous row (default). */
  readonly periods?: number;
}

export type FeatureSpec =
  LookupFeature | AggregateFeature | DatePartFeature | DaysSinceFeature | RollingFeature | LagFeature;

export interface Recipe {
  readonly schemaVersion: number;
  readonly name: string;
  readonly version: number;
  /** The table whose rows get features; its row count never changes. */
  readonly target: string;
  /** The column to predict (kept out of features; used for associations). */
  readonly label?: string;
  readonly cutoff?: Cutoff;
  /** The time index of each child table used by aggregations (table name → datetime column). */
  readonly timeIndex: Readonly<Record<string, string>>;
  readonly features: readonly FeatureSpec[];
}

export type FeatureErrorCode =
  | 'bad-recipe'
  | 'missing-table'
  | 'missing-column'
  | 'no-matches'
  | 'duplicate-keys'
  | 'bad-time'
  | 'bad-type'
  | 'many-to-many'
  | 'cycle';

/** A clear error about a recipe or the tables it reads: what is wrong and where. */
export class FeatureError extends StudioError {
  readonly kind: ErrorKind;
  readonly code: FeatureErrorCode;
  constructor(code: FeatureErrorCode, message: string) {
    super(message);
    this.name = 'FeatureError';
    this.code = code;
    this.kind = code === 'bad-recipe' || code === 'missing-table' ? 'input' : 'data';
  }
}

export const MS_PER_DAY = 86_400_000;
