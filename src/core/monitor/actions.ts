/**
 * What to do about a monitored batch: one entry per kind of problem the report found, with the
 * steps to take, as plain data (the CLI prints them, the report JSON carries them, the Monitor
 * screen lists them). Computed from the summary a monitoring record keeps, so the actions of an old
 * batch can be shown again from the store.
 *
 * The table follows the usual playbook (Evidently's and NannyML's guides): input drift is first
 * investigated (is the change real, does the model lean on that column?), performance loss is
 * confirmed with labels and answered by retraining on recent labelled data, and a retrained model is
 * promoted only after it beats the current one on the latest labelled batch.
 */
import type { MonitoringSummary } from '../tracking/types.ts';

export type DriftKind =
  | 'data_quality'
  | 'data_drift'
  | 'prediction_drift'
  | 'label_drift'
  | 'concept_drift'
  | 'estimated_performance_drop';

export interface ActionPlaybook {
  /** The problem in words. */
  readonly title: string;
  readonly steps: readonly string[];
}

/** The steps for each kind of problem (the same words everywhere). */
export const ACTION_PLAYBOOK: Readonly<Record<DriftKind, ActionPlaybook>> = {
  data_quality: {
    title: 'Data quality',
    steps: [
      'Check the data pipeline that produced the batch: missing or renamed columns, changed types or units, a new export format.',
      'Fix the data at its source when it is an error; predictions on the affected rows are not reliable meanwhile.',
      'When new categories or values outside the training range are real, retrain with labelled data that includes them.',
    ],
  },
  data_drift: {
    title: 'Data drift',
    steps: [
      'Open the drifted columns to compare their training and batch distributions.',
      'Decide whether the change is real (new customers, a season, a new market) or an upstream data change.',
      'Check how much the model relies on those columns (feature importance, explanations): drift in an unimportant column can wait.',
      'If the change is real and lasting, collect labels for recent data and retrain with it.',
    ],
  },
  prediction_drift: {
    title: 'Prediction drift',
    steps: [
      'Look at which input columns drifted: they usually explain the shift in predictions.',
      'Check what acts on the predictions (the share flagged positive, a decision threshold, capacity downstream).',
      'Get labels for a sample of the batch to see whether performance changed.',
    ],
  },
  label_drift: {
    title: 'Label drift',
    steps: [
      'The target’s distribution changed: recheck the decision threshold and the class balance the model assumes.',
      'Compare the model’s performance on this batch with its validation performance.',
      'Retrain with the new labelled data so the model learns the new class balance.',
    ],
  },
  concept_drift: {
    title: 'Concept drift (performance drop)',
    steps: [
      'Retrain with the new labelled data (“Retrain with new data”, or train on the training data plus the labelled batches).',
      'Compare the retrained model (challenger) with the current one (champion) on the latest labelled batch before promoting it.',
      'If retraining does not recover the performance, revisit the features and the problem definition; meanwhile consider a fallback or human review.',
    ],
  },
  estimated_performance_drop: {
    title: 'Estimated performance drop',
    steps: [
      'Get labels for a sample of the batch to confirm the drop (the estimate assumes calibrated probabilities).',
      'Check whether input or prediction drift explains it.',
      'Prepare to retrain with recent labelled data.',
    ],
  },
};

export interface SuggestedAction {
  readonly kind: DriftKind;
  readonly title: string;
  /** 'alert' when the report raised an alert for it, 'warning' otherwise. */
  readonly severity: 'alert' | 'warning';
  /** What it is about: columns, "(predictions)", the target, a metric. */
  readonly subjects: readonly string[];
  /** Why it is suggested, in words. */
  readonly why: string;
  readonly steps: readonly string[];
  /** Whether retraining with new labelled data is one of the steps. */
  readonly retrain: boolean;
}

const RETRAIN_KINDS: ReadonlySet<DriftKind> = new Set(['label_drift', 'concept_drift', 'data_drift']);

function action(
  kind: DriftKind,
  severity: SuggestedAction['severity'],
  subjects: readonly string[],
  why: string,
): SuggestedAction {
  const p = ACTION_PLAYBOOK[kind];
  return { kind, title: p.title, severity, subjects, why, steps: p.steps, retrain: RETRAIN_KINDS.has(kind) };
}

const short = (x: number | null): string => (x === null ? 'n/a' : String(Number(x.toPrecision(3))));

/** The actions for a batch's summary, most urgent first (performance, then labels, inputs, quality). */
export function suggestedActions(s: MonitoringSummary, target?: string): SuggestedAction[] {
  const out: SuggestedAction[] = [];
  const p = s.performance;
  if (p?.kind === 'actual' && p.conceptDrift) {
    const bad = p.metrics.filter((m) => m.outsideBand);
    const m = bad[0] ?? p.metrics[0];
    out.push(
      action(
        'concept_drift',
        'alert',
        bad.map((x) => x.metric),
        m
          ? `${m.metric} is ${short(m.value)} on ${p.rows} labelled rows, outside its validation band (validation ${short(m.validation)})`
          : 'the model’s metric is outside its validation band',
      ),
    );
  } else if (p?.kind === 'estimated' && p.metrics.some((m) => m.outsideBand)) {
    const bad = p.metrics.filter((m) => m.outsideBand);
    out.push(
      action(
        'estimated_performance_drop',
        'alert',
        bad.map((m) => m.metric),
        `estimated ${bad.map((m) => `${m.metric} ${short(m.value)} (validation ${short(m.validation)})`).join(', ')} — outside the validation band`,
      ),
    );
  }
  if (s.targetDrift?.drifted) {
    const name = target ?? s.targetDrift.column;
    out.push(
      action(
        'label_drift',
        'alert',
        [name],
        `the distribution of ${name} in the batch differs from training`,
      ),
    );
  }
  if (s.predictionDrift?.drifted) {
    out.push(
      action(
        'prediction_drift',
        'alert',
        ['(predictions)'],
        'the model’s predictions are distributed differently than on its validation data',
      ),
    );
  }
  const drifted = s.columns.filter((c) => c.drifted).map((c) => c.column);
  if (drifted.length) {
    out.push(
      action(
        'data_drift',
        s.verdict === 'drift' ? 'alert' : 'warning',
        drifted,
        `${drifted.length} of ${s.compared} input columns drifted${s.verdict === 'drift' ? ` — dataset drift (alert from ${Math.round(100 * s.driftShare)}%)` : ''}`,
      ),
    );
  }
  const quality = s.columns.filter((c) => c.findings.length);
  if (quality.length || s.missingColumns.length) {
    const parts = [
      ...(s.missingColumns.length ? [`missing columns: ${s.missingColumns.join(', ')}`] : []),
      ...quality.map((c) => `${c.column}: ${c.findings.join('; ')}`),
    ];
    out.push(
      action(
        'data_quality',
        s.missingColumns.length ? 'alert' : 'warning',
        [...s.missingColumns, ...quality.map((c) => c.column)],
        parts.join(' · '),
      ),
    );
  }
  return out;
}
