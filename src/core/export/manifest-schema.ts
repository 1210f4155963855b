/**
 * The published JSON Schema (draft 2020-12) of `manifest.json`, format version 2, and a small
 * validator for the subset of JSON Schema it uses (type, properties, required, items, enum, const,
 * pattern, minimum, minLength, additionalProperties, anyOf). The validator interprets the schema
 * object itself, so the two cannot drift apart. No network, no dependencies.
 */

export type JsonSchema = {
  readonly $schema?: string;
  readonly $id?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly minLength?: number;
  readonly anyOf?: readonly JsonSchema[];
};

const str: JsonSchema = { type: 'string' };
const nonEmpty: JsonSchema = { type: 'string', minLength: 1 };
const count: JsonSchema = { type: 'integer', minimum: 0 };
const num: JsonSchema = { type: 'number' };
const numOrNull: JsonSchema = { type: ['number', 'null'] };
const obj: JsonSchema = { type: 'object' };
const SEMANTIC = ['numeric', 'integer', 'boolean', 'categorical', 'datetime', 'text', 'id'];
const strList: JsonSchema = { type: 'array', items: str };
const metricMap: JsonSchema = { type: 'object', additionalProperties: numOrNull };

/**
 * `files`: the bundle's other files with the SHA-256 of each (integrity.ts), or — in bundles made
 * before integrity hashes — a plain list of their names.
 */
function manifestFilesSchema(): JsonSchema {
  return {
    anyOf: [
      {
        type: 'object',
        description: 'file name → SHA-256 of its bytes (lowercase hex)',
        additionalProperties: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      },
      {
        type: 'array',
        description: 'file names (bundles made before integrity hashes: not verified)',
        items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
      },
    ],
  };
}

export const MANIFEST_SCHEMA_V2: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://automl-studio.local/schema/manifest-v2.json',
  title: 'AutoML Studio model bundle manifest, format version 2',
  type: 'object',
  required: [
    'kind',
    'formatVersion',
    'createdAt',
    'app',
    'dataset',
    'target',
    'task',
    'split',
    'pipeline',
    'model',
    'seed',
    'backend',
    'metrics',
    'signature',
    'libraries',
    'environment',
    'training',
    'reproducibility',
    'files',
  ],
  properties: {
    kind: { const: 'automl-studio-model' },
    formatVersion: { const: 2 },
    createdAt: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT' },
    app: {
      type: 'object',
      required: ['name', 'version', 'commit'],
      properties: { name: nonEmpty, version: nonEmpty, commit: nonEmpty },
    },
    dataset: {
      type: 'object',
      required: ['name', 'sha256', 'bytes', 'rows', 'columns', 'schemaHash', 'schema'],
      properties: {
        name: str,
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        bytes: count,
        rows: count,
        columns: count,
        schemaHash: str,
        schema: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'type', 'inferredType', 'overridden'],
            properties: {
              name: str,
              type: { enum: SEMANTIC },
              inferredType: { enum: SEMANTIC },
              overridden: { type: 'boolean' },
              format: str,
            },
          },
        },
        warnings: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kind', 'severity', 'message'],
            properties: {
              kind: str,
              severity: { enum: ['info', 'warning', 'error'] },
              column: str,
              message: str,
            },
          },
        },
      },
    },
    target: nonEmpty,
    task: { enum: ['binary', 'multiclass', 'regression'] },
    classes: strList,
    positiveClass: str,
    // --- Binary decisions (issue 13): the positive class and the threshold every predictor applies.
    decision: {
      type: 'object',
      required: ['positiveClass', 'threshold', 'chosenFor'],
      properties: {
        positiveClass: str,
        threshold: { type: 'number', minimum: 0 },
        chosenFor: { enum: ['f1', 'balanced_accuracy', 'cost', 'default', 'manual'] },
        costs: {
          type: 'object',
          required: ['fp', 'fn'],
          properties: { fp: { type: 'number', minimum: 0 }, fn: { type: 'number', minimum: 0 } },
        },
        positiveReason: str,
      },
    },
    // --- end of binary decisions
    split: {
      type: 'object',
      required: ['strategy', 'seed', 'stratified'],
      properties: {
        strategy: { enum: ['holdout', 'kfold'] },
        seed: { type: 'integer' },
        stratified: { type: 'boolean' },
        validFraction: num,
        folds: count,
      },
    },
    search: {
      type: 'object',
      required: ['metric', 'seed', 'families', 'sampler', 'budget', 'split', 'replay', 'final'],
      properties: {
        metric: nonEmpty,
        seed: { type: 'integer' },
        families: strList,
        sampler: nonEmpty,
        trialScoring: {
          description:
            "How boosted trials' folds were scored: 'no-peek' — at the round count the other folds' mean " +
            "validation curve chooses; 'own-fold' — at the fold's own early-stopping round. Absent in " +
            "bundles made before no-peek scoring (replayed as 'own-fold').",
          enum: ['no-peek', 'own-fold'],
        },
        budget: obj,
        split: obj,
        replay: {
          description:
            "The trials in order, as a replay runs them. A trial's params are its family's sampled " +
            'parameters plus the allowance caps a time-budgeted search recorded (never sampled): roundCap ' +
            '(GBDT rounds), epochCap (linear/MLP epochs), maxIterations (iterations of a linear trial ' +
            "solved by 'glm'), treeCap (random-forest rounds of trees; absent " +
            "in bundles made before it was recorded: up to the maximum). A linear trial's solver: 'glm' " +
            "(the converged GLM solver, no epochs) or 'adam' (absent in bundles made before it was recorded).",
          type: 'array',
          items: { type: 'object', required: ['family', 'params', 'seed'] },
        },
        final: obj,
        ensemble: {
          type: 'object',
          properties: {
            estimate: {
              description:
                "The search metric of the final choice with its selection held out: for each group of validation rows (the folds, or 5 groups of a holdout's rows), the best candidate and greedy blend chosen on the other groups predict it. The selection's own score flatters the winner. Absent after a rescue, with one candidate, on data too big for it, and in bundles made before it.",
              type: 'object',
              required: ['groups', 'score'],
              properties: { groups: count, score: { type: 'number' } },
            },
          },
        },
        math: {
          description:
            "'portable': the search's features used the studio's portable sin/cos (src/core/util/portable-math.ts; " +
            'the same bits in every JavaScript engine), and a replay does the same. Absent in bundles made before: ' +
            "the runtime's Math.sin/cos, which a replay keeps (exact in the runtime that made the bundle).",
          const: 'portable',
        },
        clock: {
          description:
            'What the clock (or a stop) decided during the search, applied by a replay instead of the clock. ' +
            'Absent in bundles made before it was recorded.',
          type: 'object',
          required: ['told', 'asked', 'cuts', 'crashed', 'refit'],
          properties: {
            told: { type: 'array', items: count },
            asked: { type: 'array', items: count },
            cuts: {
              type: 'array',
              items: {
                type: 'object',
                required: ['trial', 'reason'],
                properties: {
                  trial: count,
                  reason: { enum: ['deadline', 'aborted'] },
                  fold: count,
                  round: count,
                  unscored: {
                    const: true,
                    description:
                      'The model trained so far was not scored (a trial had completed); a replay does the same.',
                  },
                },
              },
            },
            crashed: {
              type: 'array',
              items: {
                type: 'object',
                required: ['trial', 'error'],
                properties: {
                  trial: count,
                  error: str,
                  rungs: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['budget', 'value'],
                      properties: { budget: num, value: numOrNull },
                    },
                  },
                },
              },
            },
            refit: {
              type: 'array',
              items: {
                type: 'object',
                required: ['trial', 'action'],
                properties: {
                  trial: count,
                  action: { enum: ['refit', 'holdout', 'dropped'] },
                  rounds: count,
                },
              },
            },
            rescue: {
              description:
                "Set when no trial finished within the time budget: the trial whose fold-0 model is the search's " +
                "model ('cut': as the deadline left it; 'fit': trained after the deadline), where it was stopped " +
                'and the seconds the run took beyond the budget.',
              type: 'object',
              required: ['trial', 'how', 'fold', 'overrunSeconds'],
              properties: {
                trial: count,
                how: { enum: ['cut', 'fit'] },
                fold: count,
                minRounds: count,
                rounds: count,
                uncapped: { const: true },
                level: count,
                overrunSeconds: { type: 'number', minimum: 0 },
              },
            },
          },
        },
      },
    },
    refit: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: ['rows', 'iterations'], properties: { rows: count, iterations: count } },
      ],
    },
    pipeline: {
      type: 'object',
      required: ['file', 'steps', 'notes'],
      properties: {
        file: { anyOf: [{ const: 'pipeline.json' }, { type: 'null' }] },
        steps: strList,
        notes: strList,
        spec: obj,
      },
    },
    model: {
      type: 'object',
      required: ['file', 'family', 'config'],
      properties: {
        file: { const: 'model.json' },
        family: { enum: ['gbdt', 'random_forest', 'linear', 'mlp', 'ensemble'] },
        config: obj,
        iterations: { anyOf: [count, { type: 'null' }] },
        members: {
          type: 'array',
          items: {
            type: 'object',
            required: ['trial', 'family', 'weight'],
            properties: { trial: count, family: str, weight: num, resource: num, config: obj },
          },
        },
      },
    },
    seed: { type: 'integer' },
    backend: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: ['name'], properties: { name: nonEmpty, reason: str } },
      ],
    },
    metrics: {
      type: 'object',
      required: ['validation'],
      properties: { validation: metricMap, holdout: metricMap, labelsAt: { const: 'decision' } },
    },
    signature: {
      type: 'object',
      required: ['inputs'],
      properties: {
        inputs: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'type'],
            properties: { name: str, type: { enum: SEMANTIC } },
          },
        },
      },
    },
    libraries: { type: 'object', additionalProperties: str },
    environment: {
      type: 'object',
      required: ['runtime'],
      properties: { runtime: nonEmpty, cores: count, tfjs: str },
    },
    training: {
      type: 'object',
      required: ['command', 'exclude'],
      properties: {
        command: { enum: ['fit', 'automl'] },
        exclude: strList,
        validFraction: num,
        params: obj,
      },
    },
    reproducibility: {
      type: 'object',
      required: ['tolerance', 'deterministic', 'note'],
      properties: {
        tolerance: { type: 'number', minimum: 0 },
        deterministic: { type: 'boolean' },
        note: str,
      },
    },
    files: manifestFilesSchema(),
    droppedMissingTarget: count,
    fitSeconds: num,
  },
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(actual: string, wanted: string): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

const describe = (v: unknown) => {
  const t = typeOf(v);
  return t === 'string' || t === 'number' || t === 'integer' || t === 'boolean'
    ? `${t} ${JSON.stringify(v)}`
    : t;
};

/** Validates `value` against `schema`; returns the problems, each naming the field (e.g. `dataset.sha256`). */
export function validateJson(value: unknown, schema: JsonSchema, path = ''): string[] {
  const at = path || '(root)';
  if (schema.anyOf) {
    // Report against the alternatives of the value's own type when there are some.
    const sameType = schema.anyOf.filter(
      (s) => s.type !== undefined && [s.type].flat().some((w) => typeMatches(typeOf(value), w)),
    );
    const results = (sameType.length ? sameType : schema.anyOf).map((s) => validateJson(value, s, path));
    if (results.some((r) => r.length === 0)) return [];
    return results.sort((a, b) => a.length - b.length)[0];
  }
  if (schema.const !== undefined && value !== schema.const)
    return [`${at} must be ${JSON.stringify(schema.const)}, got ${describe(value)}`];
  if (schema.enum && !schema.enum.includes(value))
    return [
      `${at} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${describe(value)}`,
    ];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const wanted = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!wanted.some((w) => typeMatches(actual, w)))
      return [`${at} must be ${wanted.join(' or ')}, got ${describe(value)}`];
  }
  const errors: string[] = [];
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(`${at} must not be empty`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      errors.push(`${at} must match ${schema.pattern}, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (typeof value === 'number' && schema.minimum !== undefined && !(value >= schema.minimum))
    errors.push(`${at} must be ≥ ${schema.minimum}, got ${value}`);
  if (actual === 'array' && schema.items) {
    (value as unknown[]).forEach((item, i) =>
      errors.push(...validateJson(item, schema.items!, `${path}[${i}]`)),
    );
  }
  if (actual === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of schema.required ?? [])
      if (!(key in o) || o[key] === undefined) errors.push(`${path ? `${path}.` : ''}${key} is missing`);
    for (const [key, v] of Object.entries(o)) {
      const sub = schema.properties?.[key];
      const child = path ? `${path}.${key}` : key;
      if (sub) errors.push(...validateJson(v, sub, child));
      else if (schema.additionalProperties === false) errors.push(`${child} is not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validateJson(v, schema.additionalProperties, child));
    }
  }
  return errors;
}

/** Problems with a format-version-2 manifest (empty when valid). */
export function validateManifest(manifest: unknown): string[] {
  return validateJson(manifest, MANIFEST_SCHEMA_V2);
}
