/** Steps registered under stable names (never constructor names: minification renames them). */
import type { StepImpl } from './types.ts';
import { PipelineError } from './types.ts';
import { dropStep } from './steps/drop.ts';
import { imputeStep } from './steps/impute.ts';
import { datePartsStep } from './steps/date-parts.ts';
import { stringIndexStep } from './steps/string-index.ts';
import { oneHotStep } from './steps/one-hot.ts';
import { frequencyEncodeStep } from './steps/frequency-encode.ts';
import { targetEncodeStep } from './steps/target-encode.ts';
import { scaleStep } from './steps/scale.ts';

const STEPS = new Map<string, StepImpl>(
  [
    dropStep,
    imputeStep,
    datePartsStep,
    stringIndexStep,
    oneHotStep,
    frequencyEncodeStep,
    targetEncodeStep,
    scaleStep,
  ].map((s) => [s.kind, s]),
);

export function stepImpl(kind: string): StepImpl {
  const impl = STEPS.get(kind);
  if (!impl)
    throw new PipelineError(`unknown pipeline step '${kind}' (known: ${[...STEPS.keys()].join(', ')})`);
  return impl;
}

export function stepKinds(): string[] {
  return [...STEPS.keys()];
}
