/**
 * The one catalog of metric names in words, for every screen, the model card and the CLI: a metric
 * key (`roc_auc`, `balanced_accuracy_std`, `valid_loss`, …) → a label a person without ML training
 * can read, plus a one-line description. The raw key stays available (the UI shows it on hover).
 * Suffixes: `_std` (spread over folds), `_fold` (per fold), `train_` / `valid_` prefixes.
 */

export interface MetricLabel {
  readonly label: string;
  readonly description: string;
}

const BASE: Readonly<Record<string, MetricLabel>> = {
  roc_auc: {
    label: 'ROC AUC',
    description: 'how well the scores rank the positive class above the other (0.5 = chance, 1 = perfect)',
  },
  pr_auc: {
    label: 'PR AUC (average precision)',
    description: 'precision averaged over recall levels for the positive class (1 = perfect)',
  },
  log_loss: {
    label: 'Log loss',
    description: 'penalty for confident wrong probabilities (lower is better)',
  },
  accuracy: { label: 'Accuracy', description: 'share of rows predicted correctly' },
  balanced_accuracy: {
    label: 'Balanced accuracy',
    description: 'accuracy averaged over the classes, so a rare class counts as much as a common one',
  },
  f1: { label: 'F1 score', description: 'harmonic mean of precision and recall for the positive class' },
  macro_f1: { label: 'Macro F1', description: 'F1 averaged over the classes' },
  precision: {
    label: 'Precision',
    description: 'of the rows predicted positive, the share that are positive',
  },
  recall: { label: 'Recall', description: 'of the positive rows, the share predicted positive' },
  rmse: {
    label: 'RMSE (root mean squared error)',
    description: 'typical size of an error, in the target’s units',
  },
  mae: { label: 'MAE (mean absolute error)', description: 'average absolute error, in the target’s units' },
  r2: {
    label: 'R² (explained variance)',
    description: 'share of the target’s variance the model explains (1 = perfect)',
  },
  loss: { label: 'Loss', description: 'the training objective (lower is better)' },
  fit_seconds: { label: 'Fit time (s)', description: 'seconds spent training' },
  search_seconds: { label: 'Search time (s)', description: 'seconds spent searching' },
  refit_seconds: { label: 'Refit time (s)', description: 'seconds spent refitting the final model' },
  trials: { label: 'Trials', description: 'trials run' },
  trials_complete: { label: 'Trials complete', description: 'trials that finished' },
  trials_pruned: {
    label: 'Trials stopped early',
    description: 'trials stopped by successive halving or the clock',
  },
  trials_failed: { label: 'Trials failed', description: 'trials that failed' },
};

/** The label of a metric key in words (unknown keys come back as they are, underscores as spaces). */
export function metricLabel(key: string): string {
  return describeMetric(key).label;
}

/** Label and description of a metric key, with its suffix/prefix spelled out. */
export function describeMetric(key: string): MetricLabel {
  const direct = BASE[key];
  if (direct) return direct;
  let m = /^(.*)_std$/.exec(key);
  if (m) {
    const b = describeMetric(m[1]);
    return {
      label: `${b.label} spread (std over folds)`,
      description: `standard deviation over the folds of: ${b.description}`,
    };
  }
  m = /^(.*)_fold$/.exec(key);
  if (m) {
    const b = describeMetric(m[1]);
    return { label: `${b.label} per fold`, description: `${b.description}; one value per fold` };
  }
  m = /^(train|valid|validation|holdout)_(.*)$/.exec(key);
  if (m) {
    const b = describeMetric(m[2]);
    const where = m[1] === 'train' ? 'training' : m[1] === 'holdout' ? 'holdout' : 'validation';
    return { label: `${b.label} (${where})`, description: `${b.description}; on the ${where} rows` };
  }
  return { label: key.replace(/_/g, ' '), description: key };
}

/** True for spread metrics (`*_std`): never "best", never optimised. */
export function isSpreadMetric(key: string): boolean {
  return /_std$/.test(key);
}

/** True for per-fold series (`*_fold`): steps are folds, not time. */
export function isFoldSeries(key: string): boolean {
  return /_fold$/.test(key);
}
