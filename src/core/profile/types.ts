/** Public types of the dataset profile. Implementation lives beside this file; see `index.ts`. */
import type { SemanticType } from '../data/table.ts';

export type Task = 'binary' | 'multiclass' | 'regression';

export interface HistogramBin {
  /**
   * Inclusive lower edge; upper edge is the next bin's lower edge (the last bin includes `hi`).
   * Integer columns spanning few values get one bin per integer v: [v − 0.5, v + 0.5).
   */
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

export interface TopValue {
  readonly value: string;
  readonly count: number;
}

export interface NumericStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
  readonly p1: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p99: number;
  readonly zeros: number;
  readonly histogram: readonly HistogramBin[];
}

export interface DatetimeStats {
  /** Epoch ms. */
  readonly min: number;
  readonly max: number;
  /** Counts by weekday, Monday = index 0 (UTC). */
  readonly weekdays: readonly number[];
  /** Counts by month, January = index 0 (UTC). */
  readonly months: readonly number[];
  readonly histogram: readonly HistogramBin[];
}

export interface ColumnProfile {
  readonly name: string;
  readonly type: SemanticType;
  readonly count: number;
  readonly missing: number;
  readonly missingPct: number;
  readonly distinct: number;
  /** Most frequent values (as text), most frequent first, at most 20. */
  readonly top: readonly TopValue[];
  readonly numeric?: NumericStats;
  readonly datetime?: DatetimeStats;
  /** For text columns: mean and max length in characters. */
  readonly text?: { readonly meanLength: number; readonly maxLength: number };
}

export type WarningKind =
  | 'constant'
  | 'all-missing'
  | 'mostly-missing'
  | 'id-like'
  | 'high-cardinality'
  | 'duplicate-rows'
  | 'class-imbalance'
  | 'leakage-suspect'
  | 'target-missing'
  /** The chosen target cannot be predicted (single value, dates, or no values). */
  | 'target-unusable';

export interface ProfileWarning {
  readonly kind: WarningKind;
  readonly severity: 'info' | 'warning' | 'error';
  /** The column the warning concerns; absent for whole-table warnings (duplicate rows). */
  readonly column?: string;
  readonly message: string;
}

export type AssociationMethod = 'pearson' | 'cramers-v' | 'correlation-ratio';

export interface Association {
  readonly a: string;
  readonly b: string;
  readonly method: AssociationMethod;
  /** Pearson r in [-1, 1]; Cramér's V and correlation ratio η in [0, 1]. NaN when undefined. */
  readonly value: number;
}

export interface TargetAssociation {
  readonly column: string;
  readonly method: AssociationMethod;
  readonly value: number;
  /** |value| scaled to [0, 1] for ranking. */
  readonly strength: number;
}

export interface TargetSuggestion {
  readonly column: string;
  readonly task: Task;
  /** Human reason, e.g. "last column, 2 distinct values: yes/no". */
  readonly reason: string;
  /** Other plausible targets, best first. */
  readonly alternatives: readonly string[];
}

export interface TaskDetection {
  readonly task: Task;
  readonly reason: string;
  /** Class labels with counts, for classification. */
  readonly classes?: readonly TopValue[];
}

export interface DatasetProfile {
  readonly nRows: number;
  readonly nColumns: number;
  readonly duplicateRows: number;
  readonly columns: readonly ColumnProfile[];
  /** Pairwise associations between columns (capped for wide tables; see `associationsTruncated`). */
  readonly associations: readonly Association[];
  readonly associationsTruncated: boolean;
  readonly warnings: readonly ProfileWarning[];
  readonly suggestion: TargetSuggestion | null;
  /** Present when a target is chosen (given or suggested). */
  readonly target?: string;
  readonly task?: TaskDetection;
  readonly targetAssociations?: readonly TargetAssociation[];
}

export interface ProfileOptions {
  /** Target column chosen by the user; when absent the suggested target is used. */
  readonly target?: string;
  /** Override task detection. */
  readonly task?: Task;
  readonly histogramBins?: number;
  /** Cap on columns in the pairwise association matrix (the most informative kept). */
  readonly maxAssociationColumns?: number;
  /** Row sample for associations on large tables; seeded. */
  readonly sampleRows?: number;
  readonly seed?: number;
}
