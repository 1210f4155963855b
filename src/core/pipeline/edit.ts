/**
 * Editing a pipeline spec step by step (the Train screen's "Preprocessing" panel): which settings
 * each step kind exposes, with their ranges and defaults, and pure functions that return a new,
 * validated spec. The defaults here are the step implementations' own defaults (a step without the
 * key behaves exactly as if it held the default), so showing a default never changes a pipeline.
 */
import type { PipelineSpec, StepSpec } from './types.ts';
import { PipelineError } from './types.ts';
import { stepImpl } from './registry.ts';

export type StepOption =
  | {
      readonly key: string;
      readonly label: string;
      readonly type: 'choice';
      readonly choices: readonly string[];
      readonly default: string;
    }
  | {
      readonly key: string;
      readonly label: string;
      readonly type: 'integer' | 'number';
      readonly min: number;
      readonly max: number;
      readonly default: number;
      /** Shown (and used) only when another option has this value. */
      readonly when?: { readonly key: string; readonly equals: string };
    }
  | { readonly key: string; readonly label: string; readonly type: 'boolean'; readonly default: boolean };

const OPTIONS: Readonly<Record<string, readonly StepOption[]>> = {
  impute: [
    {
      key: 'strategy',
      label: 'Fill missing values with',
      type: 'choice',
      choices: ['median', 'mean', 'most_frequent', 'constant'],
      default: 'median',
    },
    {
      key: 'fillValue',
      label: 'Constant',
      type: 'number',
      min: -1e12,
      max: 1e12,
      default: 0,
      when: { key: 'strategy', equals: 'constant' },
    },
    { key: 'addIndicator', label: 'Add "was missing" columns', type: 'boolean', default: false },
  ],
  one_hot: [
    {
      key: 'maxCategories',
      label: 'Most categories per column',
      type: 'integer',
      min: 1,
      max: 1000,
      default: 20,
    },
    {
      key: 'minCount',
      label: 'Least rows per category',
      type: 'integer',
      min: 1,
      max: 1_000_000,
      default: 1,
    },
  ],
  string_index: [
    {
      key: 'maxCategories',
      label: 'Most categories per column',
      type: 'integer',
      min: 2,
      max: 254,
      default: 254,
    },
  ],
  target_encode: [
    { key: 'smoothing', label: 'Smoothing (rows)', type: 'number', min: 0, max: 1e6, default: 10 },
    { key: 'folds', label: 'Out-of-fold folds', type: 'integer', min: 2, max: 20, default: 5 },
  ],
  date_parts: [{ key: 'cyclic', label: 'Cyclic (sin/cos) encodings', type: 'boolean', default: true }],
};

/** Steps a user may take out without breaking the pipeline (the model still gets numbers). */
const REMOVABLE = new Set(['standard_scale']);

export function stepOptions(kind: string): readonly StepOption[] {
  return OPTIONS[kind] ?? [];
}

export function isRemovable(kind: string): boolean {
  return REMOVABLE.has(kind);
}

/** The value a step uses for an option: its own setting, else the default. */
export function optionValue(step: StepSpec, option: StepOption): string | number | boolean {
  const v = step.config?.[option.key];
  if (option.type === 'choice')
    return typeof v === 'string' && option.choices.includes(v) ? v : option.default;
  if (option.type === 'boolean') return typeof v === 'boolean' ? v : option.default;
  return typeof v === 'number' && Number.isFinite(v) ? v : option.default;
}

/** Whether an option applies given the step's other settings (e.g. the constant of a constant fill). */
export function optionApplies(step: StepSpec, option: StepOption): boolean {
  if (option.type !== 'integer' && option.type !== 'number') return true;
  if (!option.when) return true;
  const other = stepOptions(step.kind).find((o) => o.key === option.when!.key);
  return other !== undefined && optionValue(step, other) === option.when.equals;
}

function stepAt(spec: PipelineSpec, index: number): StepSpec {
  const step = spec.steps[index];
  if (!step) throw new PipelineError(`the pipeline has no step ${index + 1}`);
  return step;
}

/** Validates a value for an option; returns it normalised, or throws a PipelineError saying why. */
export function checkOption(kind: string, key: string, value: unknown): string | number | boolean {
  const option = stepOptions(kind).find((o) => o.key === key);
  if (!option) throw new PipelineError(`the ${kind} step has no setting '${key}'`, { step: kind });
  const where = { step: kind };
  switch (option.type) {
    case 'choice':
      if (typeof value !== 'string' || !option.choices.includes(value))
        throw new PipelineError(
          `${option.label}: '${String(value)}' is not one of ${option.choices.join(', ')}`,
          where,
        );
      return value;
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new PipelineError(`${option.label}: expected true or false`, where);
      return value;
    default: {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n))
        throw new PipelineError(`${option.label}: '${String(value)}' is not a number`, where);
      if (option.type === 'integer' && !Number.isInteger(n))
        throw new PipelineError(`${option.label}: ${n} is not a whole number`, where);
      if (n < option.min || n > option.max)
        throw new PipelineError(`${option.label}: ${n} is outside ${option.min}…${option.max}`, where);
      return n;
    }
  }
}

/** A new spec with one setting of step `index` changed (validated; the input spec is not modified). */
export function setStepOption(spec: PipelineSpec, index: number, key: string, value: unknown): PipelineSpec {
  const step = stepAt(spec, index);
  const v = checkOption(step.kind, key, value);
  const next: StepSpec = { ...step, config: { ...(step.config ?? {}), [key]: v } };
  return { steps: spec.steps.map((s, i) => (i === index ? next : s)) };
}

/** A new spec without step `index`; only steps whose removal keeps the pipeline valid can go. */
export function removeStep(spec: PipelineSpec, index: number): PipelineSpec {
  const step = stepAt(spec, index);
  if (!isRemovable(step.kind))
    throw new PipelineError(`the ${step.kind} step is needed by the model and cannot be removed`, {
      step: step.kind,
    });
  return { steps: spec.steps.filter((_, i) => i !== index) };
}

/** A step as the UI shows it: its sentence, its settings with current values, and whether it can go. */
export interface EditableStep {
  readonly kind: string;
  readonly columns: readonly string[];
  readonly description: string;
  readonly options: readonly {
    readonly option: StepOption;
    readonly value: string | number | boolean;
    readonly applies: boolean;
  }[];
  readonly removable: boolean;
}

export function editableSteps(spec: PipelineSpec): EditableStep[] {
  return spec.steps.map((step) => ({
    kind: step.kind,
    columns: step.columns,
    description: stepImpl(step.kind).describe(step),
    options: stepOptions(step.kind).map((option) => ({
      option,
      value: optionValue(step, option),
      applies: optionApplies(step, option),
    })),
    removable: isRemovable(step.kind),
  }));
}
