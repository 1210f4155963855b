import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildAutoPipeline,
  fitPipeline,
  PipelineError,
  type PipelineSpec,
  type StepSpec,
} from '../../../src/core/pipeline/index.ts';
import {
  checkOption,
  editableSteps,
  removeStep,
  setStepOption,
  stepOptions,
} from '../../../src/core/pipeline/edit.ts';
import { cat, date, num, table } from '../../helpers/table.ts';

const n = 40;
const t = table(
  num(
    'x',
    Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : (i * 37) % 11)),
  ),
  cat(
    'c',
    Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : ['a', 'b', 'c', 'd', 'e'][(i * 3) % 5])),
  ),
  date(
    'd',
    Array.from({ length: n }, (_, i) => `2024-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:00:00Z`),
  ),
);
const y = Float64Array.from({ length: n }, (_, i) => i % 2);
const ctx = { y, task: 'binary' as const, seed: 3 };

/** One step of each kind that has settings, on the columns it can take. */
const stepsWithOptions: StepSpec[] = [
  { kind: 'impute', columns: ['x'] },
  { kind: 'one_hot', columns: ['c'] },
  { kind: 'string_index', columns: ['c'] },
  { kind: 'target_encode', columns: ['c'] },
  { kind: 'date_parts', columns: ['d'] },
];

describe('pipeline editing', () => {
  it('every kind with settings is covered here', () => {
    const covered = new Set(stepsWithOptions.map((s) => s.kind));
    for (const kind of ['impute', 'one_hot', 'string_index', 'target_encode', 'date_parts'])
      expect(stepOptions(kind).length, kind).toBeGreaterThan(0);
    expect(covered.size).toBe(stepsWithOptions.length);
  });

  it('the advertised defaults are the steps’ own defaults (setting them changes nothing)', () => {
    for (const step of stepsWithOptions) {
      const bare: PipelineSpec = { steps: [step] };
      let explicit: PipelineSpec = bare;
      for (const o of stepOptions(step.kind)) explicit = setStepOption(explicit, 0, o.key, o.default);
      const a = fitPipeline(bare, t, ctx).matrix;
      const b = fitPipeline(explicit, t, ctx).matrix;
      expect(b.featureNames, step.kind).toEqual(a.featureNames);
      expect(Array.from(b.data), step.kind).toEqual(Array.from(a.data));
    }
  });

  it('a changed setting changes the fitted result and the description', () => {
    const spec: PipelineSpec = {
      steps: [{ kind: 'impute', columns: ['x'], config: { strategy: 'median' } }],
    };
    const edited = setStepOption(spec, 0, 'strategy', 'constant');
    const withFill = setStepOption(edited, 0, 'fillValue', -5);
    expect(spec.steps[0].config).toEqual({ strategy: 'median' }); // input untouched
    const filled = fitPipeline(withFill, t, ctx).matrix;
    expect(filled.data[0]).toBe(-5); // row 0 is missing
    const [step] = editableSteps(withFill);
    expect(step.description).toContain('-5');
    const fill = step.options.find((o) => o.option.key === 'fillValue')!;
    expect(fill.applies).toBe(true);
    expect(editableSteps(spec)[0].options.find((o) => o.option.key === 'fillValue')!.applies).toBe(false);
  });

  it('rejects bad values with the setting and the reason', () => {
    const spec: PipelineSpec = { steps: [{ kind: 'one_hot', columns: ['c'] }] };
    expect(() => setStepOption(spec, 0, 'maxCategories', 2.5)).toThrow(/whole number/);
    expect(() => setStepOption(spec, 0, 'maxCategories', 0)).toThrow(/outside 1…1000/);
    expect(() => setStepOption(spec, 0, 'nope', 1)).toThrow(/no setting 'nope'/);
    expect(() => setStepOption(spec, 3, 'maxCategories', 3)).toThrow(/no step 4/);
    expect(() => checkOption('impute', 'strategy', 'mode')).toThrow(PipelineError);
    expect(checkOption('one_hot', 'maxCategories', '12')).toBe(12);
  });

  it('numeric settings accept exactly the values in range (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -2000, max: 2000, noNaN: true }), (v) => {
        const inRange = Number.isInteger(v) && v >= 1 && v <= 1000;
        let ok = true;
        try {
          checkOption('one_hot', 'maxCategories', v);
        } catch (err) {
          ok = false;
          expect(err).toBeInstanceOf(PipelineError);
        }
        expect(ok).toBe(inRange);
      }),
    );
  });

  it('only removable steps can be removed, and the rest still fits', () => {
    const auto = buildAutoPipeline(t, { family: 'linear', task: 'binary' }).spec;
    const scaleAt = auto.steps.findIndex((s) => s.kind === 'standard_scale');
    const imputeAt = auto.steps.findIndex((s) => s.kind === 'impute');
    expect(scaleAt).toBeGreaterThanOrEqual(0);
    const without = removeStep(auto, scaleAt);
    expect(without.steps.some((s) => s.kind === 'standard_scale')).toBe(false);
    expect(() => fitPipeline(without, t, ctx)).not.toThrow();
    expect(() => removeStep(auto, imputeAt)).toThrow(/cannot be removed/);
  });
});
