/**
 * The published JSON Schema of `cli monitor --json` (format version 1), served by the app at
 * /schema/monitor-report-v1.json (a test keeps the two equal). Non-finite numbers are written as null.
 */
import type { JsonSchema } from '../export/manifest-schema.ts';

const num: JsonSchema = { type: ['number', 'null'] };
const str: JsonSchema = { type: 'string' };
const count: JsonSchema = { type: 'integer', minimum: 0 };
const methodEnum: JsonSchema = {
  anyOf: [{ enum: ['ks', 'chi2', 'z', 'wasserstein', 'jensenshannon'] }, { type: 'null' }],
};

const finding: JsonSchema = {
  type: 'object',
  required: ['kind', 'severity', 'message'],
  properties: {
    kind: { enum: ['type_changed', 'missing_jump', 'all_missing', 'out_of_range', 'new_categories'] },
    severity: { enum: ['info', 'warning', 'error'] },
    message: str,
    share: num,
  },
  additionalProperties: false,
};

const columnDrift: JsonSchema = {
  type: 'object',
  required: [
    'column',
    'method',
    'methodReason',
    'threshold',
    'statistic',
    'score',
    'drifted',
    'psi',
    'basis',
    'referenceMissingShare',
    'batchMissingShare',
    'findings',
    'buckets',
  ],
  properties: {
    column: str,
    method: methodEnum,
    methodReason: str,
    threshold: num,
    statistic: num,
    pvalue: num,
    score: num,
    drifted: { type: 'boolean' },
    psi: num,
    basis: { enum: ['data', 'profile (exact)', 'profile (bins)', 'none'] },
    referenceMissingShare: num,
    batchMissingShare: num,
    findings: { type: 'array', items: finding },
    buckets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'reference', 'batch'],
        properties: { label: str, reference: num, batch: num },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

const metricCheck: JsonSchema = {
  type: 'object',
  required: ['metric', 'value', 'outsideBand'],
  properties: {
    metric: str,
    value: num,
    validation: num,
    validationStd: num,
    bandLimit: num,
    outsideBand: { type: 'boolean' },
    standardError: num,
  },
  additionalProperties: false,
};

const suggestedAction: JsonSchema = {
  type: 'object',
  required: ['kind', 'title', 'severity', 'subjects', 'why', 'steps', 'retrain'],
  properties: {
    kind: {
      enum: [
        'data_quality',
        'data_drift',
        'prediction_drift',
        'label_drift',
        'concept_drift',
        'estimated_performance_drop',
      ],
    },
    title: str,
    severity: { enum: ['alert', 'warning'] },
    subjects: { type: 'array', items: str },
    why: str,
    steps: { type: 'array', items: str },
    retrain: { type: 'boolean' },
  },
  additionalProperties: false,
};

export const MONITOR_REPORT_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://automl-studio.local/schema/monitor-report-v1.json',
  title: 'AutoML Studio monitoring report',
  description:
    'Drift, data quality and performance of one batch against a model’s reference (cli monitor --json).',
  type: 'object',
  required: ['kind', 'formatVersion', 'model', 'batch', 'reference', 'drift', 'actions', 'notes'],
  properties: {
    kind: { const: 'automl-studio-monitor-report' },
    formatVersion: { const: 1 },
    model: {
      type: 'object',
      required: ['task', 'target', 'metric'],
      properties: {
        task: { enum: ['binary', 'multiclass', 'regression'] },
        target: str,
        metric: str,
        bundle: str,
      },
      additionalProperties: false,
    },
    batch: {
      type: 'object',
      required: ['name', 'rows', 'sha256', 'date'],
      properties: {
        name: str,
        rows: count,
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        date: {
          description:
            'When the batch is from: the median date of a date column, else the date given, else the file time, else when monitored (epoch ms).',
          type: 'object',
          required: ['time', 'source', 'reason'],
          properties: {
            time: { type: 'number' },
            source: { enum: ['column', 'user', 'file', 'monitored'] },
            column: str,
            from: { type: 'number' },
            to: { type: 'number' },
            rows: count,
            reason: str,
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    reference: {
      type: 'object',
      required: ['basis', 'rows'],
      properties: {
        basis: { enum: ['training data', 'stored profile'] },
        name: str,
        rows: count,
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      },
      additionalProperties: false,
    },
    drift: {
      type: 'object',
      required: [
        'rows',
        'columns',
        'missingColumns',
        'newColumns',
        'compared',
        'drifted',
        'driftedShare',
        'driftShare',
        'verdict',
      ],
      properties: {
        rows: count,
        columns: { type: 'array', items: columnDrift },
        missingColumns: { type: 'array', items: str },
        newColumns: { type: 'array', items: str },
        compared: count,
        drifted: count,
        driftedShare: num,
        driftShare: num,
        verdict: { enum: ['drift', 'no drift'] },
        predictionDrift: columnDrift,
        targetDrift: columnDrift,
      },
      additionalProperties: false,
    },
    performance: {
      type: 'object',
      required: ['kind', 'rows', 'metrics'],
      properties: {
        kind: { enum: ['actual', 'estimated'] },
        method: { const: 'CBPE' },
        assumption: str,
        calibration: {
          description:
            "CBPE: how the probabilities were calibrated first (the reference's map; 'not stored' for an older bundle)",
          enum: ['isotonic', 'platt', 'none', 'not stored'],
        },
        rows: count,
        metrics: { type: 'array', items: metricCheck },
        conceptDrift: { type: 'boolean' },
        confusion: {
          description:
            "counts[t][p]: rows of true class t given label p, the labels predict gives (the bundle's decision threshold)",
          type: 'object',
          required: ['classes', 'counts'],
          properties: {
            classes: { type: 'array', items: str },
            counts: { type: 'array', items: { type: 'array', items: count } },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    actions: {
      description: 'What to do, per kind of problem found (src/core/monitor/actions.ts), most urgent first.',
      type: 'array',
      items: suggestedAction,
    },
    notes: { type: 'array', items: str },
  },
  additionalProperties: false,
};
