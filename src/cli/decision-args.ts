/**
 * Binary-decision options shared by `fit` and `automl`: the positive class and what the decision
 * threshold is chosen for (issue 13).
 */
import { CliError } from './errors.ts';
import type { DecisionRequest } from '../core/train/decision.ts';
import type { Task } from '../core/models/types.ts';

export const DECISION_OPTIONS = {
  'positive-class': { type: 'string' },
  'threshold-for': { type: 'string' },
  'cost-fp': { type: 'string' },
  'cost-fn': { type: 'string' },
} as const;

export const DECISION_USAGE = [
  '  --positive-class L   binary: the class metrics are for and the threshold is about',
  '                       (default: the minority class, or a label that reads as positive: yes/true/1/bad/…)',
  '  --threshold-for M    binary: choose the decision threshold on held-out predictions for f1,',
  '                       balanced_accuracy or cost (default: f1 when the minority class is under 20%,',
  '                       else default = 0.5)',
  '  --cost-fp N, --cost-fn N   with --threshold-for cost: the cost of a false positive / negative (default 1)',
];

function cost(text: string | undefined, name: string): number {
  if (text === undefined) return 1;
  const v = Number(text);
  if (!(v >= 0) || text.trim() === '') throw new CliError(`--${name} must be a number ≥ 0, got '${text}'`);
  return v;
}

export function parseDecisionArgs(
  values: Partial<Record<keyof typeof DECISION_OPTIONS, string | undefined>>,
): DecisionRequest | undefined {
  const objective = values['threshold-for'];
  const allowed = ['f1', 'balanced_accuracy', 'cost', 'default'];
  if (objective !== undefined && !allowed.includes(objective))
    throw new CliError(`--threshold-for must be one of ${allowed.join(', ')}, got '${objective}'`);
  if ((values['cost-fp'] !== undefined || values['cost-fn'] !== undefined) && objective !== 'cost')
    throw new CliError('--cost-fp/--cost-fn need --threshold-for cost');
  const costs =
    objective === 'cost'
      ? { fp: cost(values['cost-fp'], 'cost-fp'), fn: cost(values['cost-fn'], 'cost-fn') }
      : undefined;
  if (costs && costs.fp + costs.fn === 0) throw new CliError('--cost-fp and --cost-fn cannot both be 0');
  const positiveClass = values['positive-class'];
  if (positiveClass === undefined && objective === undefined) return undefined;
  return {
    ...(positiveClass !== undefined ? { positiveClass } : {}),
    ...(objective !== undefined ? { objective: objective as DecisionRequest['objective'] } : {}),
    ...(costs ? { costs } : {}),
  };
}

/** Checks the request against the target before training: binary only, a class that exists. */
export function checkDecisionArgs(
  request: DecisionRequest | undefined,
  task: Task,
  labels: readonly string[] | undefined,
): void {
  if (!request) return;
  if (task !== 'binary')
    throw new CliError(
      `--positive-class and --threshold-for apply to binary targets only (this target is ${task})`,
    );
  if (request.positiveClass !== undefined && labels && !labels.includes(request.positiveClass))
    throw new CliError(
      `--positive-class '${request.positiveClass}' is not a class of the target (classes: ${labels.join(', ')})`,
    );
}

/** One line about the decision for the text output. */
export function decisionLine(d: {
  positiveClass: string;
  threshold: number;
  chosenFor: string;
  positiveReason?: string;
}): string {
  const why =
    d.chosenFor === 'default'
      ? 'the default 0.5'
      : `chosen for ${d.chosenFor === 'balanced_accuracy' ? 'balanced accuracy' : d.chosenFor}`;
  return `positive class: ${d.positiveReason ?? d.positiveClass}; decision threshold ${Number(d.threshold.toPrecision(4))} (${why})`;
}
