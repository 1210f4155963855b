/**
 * Chooses preprocessing steps from the data and the model family: trees keep categories native and
 * get no scaling; linear models and neural nets get imputation, encoding and scaling. With
 * `embeddings`, neural nets get categories as integer codes for the MLP's embedding tables instead.
 */
import type { Column, Table } from '../data/table.ts';
import type { PipelineSpec, StepSpec, TaskKind } from './types.ts';
import { datePartsStep } from './steps/date-parts.ts';
import type { MathMode } from '../util/portable-math.ts';

export type FamilyKind = 'tree' | 'linear' | 'neural';

/** The most categories a column may have to be one-hot encoded (linear/neural) when `oneHotMax` is not given. */
export const ONE_HOT_MAX = 50;

export interface AutoPipelineOptions {
  readonly family: FamilyKind;
  /** Task, when known (target encoding of high-cardinality categories needs it). */
  readonly task?: TaskKind;
  readonly nClasses?: number;
  /** Columns the user excluded. */
  readonly exclude?: readonly string[];
  /** Categories up to this many distinct values are one-hot encoded (linear/neural; default `ONE_HOT_MAX`). */
  readonly oneHotMax?: number;
  /**
   * 'neural' only (ignored for the other families): categorical columns with at least
   * `embeddingMinCategories` distinct training values are string-indexed — integer codes, most frequent
   * first, at most EMBEDDING_MAX_CATEGORIES per column with the rest grouped as '(other)', unseen and
   * missing labels → missing — and left unscaled, for an MLP trained with `embeddings: true` (which
   * learns a vector per code, missing/unseen sharing a reserved one). Other categoricals are encoded as
   * without this option. Default false.
   */
  readonly embeddings?: boolean;
  /**
   * With `embeddings`: the fewest distinct training values for a column to be embedded; fewer → encoded
   * as without the option. Default 2 = every categorical column (measured: embedding the two-label
   * columns too did as well or better on german_credit and telco_churn).
   */
  readonly embeddingMinCategories?: number;
  /**
   * 'portable': the date step's cyclic encodings use the portable sin/cos (recorded in its config as
   * `math: 'portable'`, so scoring uses them too); default: the engine's Math (older bundles).
   */
  readonly math?: MathMode;
}

/** Most categories (per column) kept as their own embedding code; rarer ones share '(other)'. */
export const EMBEDDING_MAX_CATEGORIES = 1000;

export interface AutoPipeline {
  readonly spec: PipelineSpec;
  /** Why each column was dropped or treated specially, in plain words. */
  readonly notes: readonly string[];
}

function distinctUpTo(col: Column, cap: number): number {
  const seen = new Set<number | string>();
  if (col.storage === 'dict') {
    for (let i = 0; i < col.codes.length && seen.size <= cap; i++)
      if (col.codes[i] >= 0) seen.add(col.codes[i]);
  } else {
    for (let i = 0; i < col.values.length && seen.size <= cap; i++) {
      const v = col.values[i];
      if (col.storage === 'bool' ? v !== 255 : !Number.isNaN(v)) seen.add(v);
    }
  }
  return seen.size;
}

export function buildAutoPipeline(table: Table, opts: AutoPipelineOptions): AutoPipeline {
  const notes: string[] = [];
  const drop: string[] = [];
  const excluded = new Set(opts.exclude ?? []);
  const numeric: string[] = [];
  const dates: string[] = [];
  const cats: string[] = [];
  for (const col of table.columns) {
    if (excluded.has(col.name)) {
      drop.push(col.name);
      notes.push(`${col.name}: excluded by you`);
      continue;
    }
    if (col.type === 'id') {
      drop.push(col.name);
      notes.push(`${col.name}: dropped, it identifies rows (ID-like) and cannot generalise`);
      continue;
    }
    if (col.type === 'text') {
      drop.push(col.name);
      notes.push(`${col.name}: dropped, free text is not used by the models yet`);
      continue;
    }
    const distinct = distinctUpTo(col, 1);
    if (distinct <= 1) {
      drop.push(col.name);
      notes.push(
        `${col.name}: dropped, ${distinct === 0 ? 'it has no values' : 'it has the same value in every row'}`,
      );
      continue;
    }
    if (col.storage === 'datetime') dates.push(col.name);
    else if (col.storage === 'dict') cats.push(col.name);
    else numeric.push(col.name);
  }

  const steps: StepSpec[] = [];
  if (drop.length) steps.push({ kind: 'drop', columns: drop });
  const tree = opts.family === 'tree';
  let dateParts: string[] = [];
  if (dates.length) {
    const dateStep: StepSpec = {
      kind: 'date_parts',
      columns: dates,
      config: { cyclic: !tree, ...(!tree && opts.math === 'portable' ? { math: 'portable' } : {}) },
    };
    steps.push(dateStep);
    dateParts = datePartsStep.fit(table, dateStep, { seed: 0 }).produced.map(([o]) => o);
  }

  if (tree) {
    if (cats.length) steps.push({ kind: 'string_index', columns: cats, config: { maxCategories: 254 } });
    notes.push('trees: categories kept as categories, missing values handled by the trees, no scaling');
    return { spec: { steps }, notes };
  }

  const oneHotMax = opts.oneHotMax ?? ONE_HOT_MAX;
  const low: string[] = [];
  const high: string[] = [];
  const embedded: string[] = [];
  const embedMin = Math.max(2, Math.floor(opts.embeddingMinCategories ?? 2));
  const embed = opts.embeddings === true && opts.family === 'neural';
  for (const name of cats) {
    const col = table.columns.find((c) => c.name === name)!;
    const distinct = distinctUpTo(col, Math.max(oneHotMax, embedMin));
    if (embed && distinct >= embedMin) embedded.push(name);
    else (distinct <= oneHotMax ? low : high).push(name);
  }
  const numericIn = [...numeric, ...dateParts];
  if (numericIn.length) {
    steps.push({ kind: 'impute', columns: numericIn, config: { strategy: 'median', addIndicator: true } });
  }
  if (embedded.length) {
    steps.push({
      kind: 'string_index',
      columns: embedded,
      config: { maxCategories: EMBEDDING_MAX_CATEGORIES },
    });
    notes.push(
      `${embedded.join(', ')}: categories as codes for learned embeddings (unseen and missing share one vector)`,
    );
  }
  if (low.length) steps.push({ kind: 'one_hot', columns: low, config: { maxCategories: oneHotMax } });
  const scaled = [...numericIn];
  if (high.length) {
    if (opts.task) {
      const k = opts.task === 'multiclass' ? (opts.nClasses ?? 2) : 1;
      steps.push({ kind: 'target_encode', columns: high, config: { smoothing: 10, folds: 5 } });
      for (const c of high) {
        if (k === 1) scaled.push(`${c}__te`);
        else for (let j = 0; j < k; j++) scaled.push(`${c}__te${j}`);
      }
      notes.push(`${high.join(', ')}: many categories, encoded by the target's mean (out-of-fold)`);
    } else {
      steps.push({ kind: 'frequency_encode', columns: high });
      steps.push({ kind: 'impute', columns: high, config: { strategy: 'constant', fillValue: 0 } });
      scaled.push(...high);
    }
  }
  if (scaled.length) steps.push({ kind: 'standard_scale', columns: scaled });
  return { spec: { steps }, notes };
}
