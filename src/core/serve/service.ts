/**
 * The scoring server's use case, free of any HTTP library: routing, method and header checks before a
 * body is read, then scoring and the response body. The Node adapter (src/cli/commands/serve.ts) reads
 * bodies (with the size limit), writes responses, logs, and shuts down.
 *
 * Routes
 *   GET  /             the routes
 *   GET  /ping         200 {"status":"ok"} while serving; 503 while shutting down (MLflow's liveness)
 *   GET  /health       the same status with the model's name and version, uptime and request counts
 *   GET  /version      the server's and the model's version
 *   GET  /metadata     model name, version, task, target, classes, decision, input columns and types
 *   POST /invocations  score rows: JSON (MLflow shapes, see frame.ts) or CSV in; JSON (or CSV) out
 */
import { sha256Hex } from '../export/integrity.ts';
import { predictionsCsv } from '../export/bundle.ts';
import type { SemanticType } from '../data/table.ts';
import { ServeError } from './errors.ts';
import { frameFromJson, parseJsonBody, JSON_SHAPES } from './frame.ts';
import { negotiate, parseMediaType } from './http-headers.ts';
import { acceptsText, ServingModel, type Scored } from './model.ts';
import type { TextEncodingName } from '../ingest/types.ts';

export interface ServeInfo {
  /** The model's name (the bundle's file name unless given). */
  readonly name: string;
  /** "signed by … (this studio)" or "unsigned" (signing.ts). */
  readonly provenance: string;
  readonly integrity: string;
  readonly server: { readonly name: string; readonly version: string; readonly commit?: string };
  readonly maxBodyBytes: number;
  /** Milliseconds since the epoch (injected so responses can be tested). */
  readonly now: () => number;
  /** Requests being answered and answered so far (the adapter counts them). */
  readonly stats: () => { readonly inFlight: number; readonly served: number };
  /** The serving process (with --workers, which worker answered). */
  readonly process?: { readonly pid: number; readonly worker?: number };
}

export interface ServeRequestHead {
  readonly method: string;
  /** Path with the query string, as in the request line. */
  readonly url: string;
  /** Header names lowercase. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface ServeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Rows scored (for the request log). */
  readonly rows?: number;
  /** The error code of an error response (for the request log). */
  readonly error?: string;
}

/** How to read and answer a POST /invocations once its body is in. */
export interface InvocationPlan {
  readonly input: 'json' | 'csv';
  /** JSON with MLflow 1's `format=pandas-split|pandas-records` parameter: the body is that shape bare. */
  readonly legacy?: 'dataframe_split' | 'dataframe_records';
  readonly encoding?: TextEncodingName;
  readonly output: 'json' | 'csv';
  readonly orient: 'records' | 'columns';
}

export type Begin =
  | { readonly kind: 'respond'; readonly response: ServeResponse }
  | { readonly kind: 'read-body'; readonly plan: InvocationPlan };

const JSON_TYPE = 'application/json; charset=utf-8';
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/': ['GET', 'HEAD'],
  '/ping': ['GET', 'HEAD'],
  '/health': ['GET', 'HEAD'],
  '/version': ['GET', 'HEAD'],
  '/metadata': ['GET', 'HEAD'],
  '/invocations': ['POST'],
};
const CSV_CHARSETS: Readonly<Record<string, TextEncodingName>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'us-ascii': 'utf-8',
  'windows-1252': 'windows-1252',
  'iso-8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
};

/** MLflow's column types for ours (its `signature` column specs). */
const MLFLOW_TYPES: Readonly<Record<SemanticType, string>> = {
  numeric: 'double',
  integer: 'long',
  boolean: 'boolean',
  datetime: 'datetime',
  categorical: 'string',
  text: 'string',
  id: 'string',
};

/** One decoder for every JSON body (`fatal`: invalid UTF-8 is a 400). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Distinct request heads whose invocation plan is remembered (a client sends the same few). */
const PLAN_CACHE_SIZE = 256;

export function jsonResponse(
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): ServeResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, ...extra },
    body: JSON.stringify(value) + '\n',
  };
}

export function errorResponse(err: ServeError): ServeResponse {
  const allow: Record<string, string> = err.details.allow ? { allow: err.details.allow.join(', ') } : {};
  return { ...jsonResponse(err.status, err.toJSON(), allow), error: err.code };
}

export class ScoringService {
  readonly model: ServingModel;
  readonly info: ServeInfo;
  /** Short content hash of the manifest (which hashes every other file): the model's version. */
  readonly version: string;
  private readonly startedAt: number;
  private draining = false;
  /** POST /invocations plans by request head: the plan depends on nothing else. */
  private readonly plans = new Map<string, Begin>();
  /** The headers of a 200 in JSON and in CSV, built once. */
  private readonly okHeaders: {
    readonly json: ServeResponse['headers'];
    readonly csv: ServeResponse['headers'];
  };
  /** The members of a JSON answer after `rows`, up to `warnings` (the same for every request), as JSON text. */
  private readonly answerTail: string;

  constructor(model: ServingModel, info: ServeInfo) {
    this.model = model;
    this.info = info;
    this.version = sha256Hex(JSON.stringify(model.bundle.manifest)).slice(0, 16);
    this.startedAt = info.now();
    const modelHeaders = { 'x-model-name': encodeURIComponent(info.name), 'x-model-version': this.version };
    this.okHeaders = {
      json: Object.freeze({ 'content-type': JSON_TYPE, ...modelHeaders }),
      csv: Object.freeze({ 'content-type': 'text/csv; charset=utf-8', ...modelHeaders }),
    };
    const { manifest } = model.bundle;
    const classes = manifest.classes;
    // `{"task":…,"model":…}` without its braces: spliced into every answer after "rows"
    this.answerTail = JSON.stringify({
      task: manifest.task,
      ...(classes ? { classes } : {}),
      ...(manifest.task !== 'regression' ? { decision: this.decision() } : {}),
      model: this.modelRef,
    }).slice(1, -1);
  }

  /** From now on /ping and /health answer 503 (the adapter stops accepting connections). */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private get modelRef() {
    return { name: this.info.name, version: this.version };
  }

  /** Everything that can be decided before the body is read. */
  begin(head: ServeRequestHead): Begin {
    // POST /invocations: the plan (or the refusal) depends only on the path, query and two headers
    const post = head.method === 'POST';
    const key = post
      ? `${head.url}\n${head.headers['content-type'] ?? '\u0000'}\n${head.headers.accept ?? '\u0000'}`
      : '';
    if (post) {
      const known = this.plans.get(key);
      if (known) return known;
    }
    try {
      const b = this.beginOrThrow(head);
      if (post && b.kind === 'read-body') {
        if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.clear();
        this.plans.set(key, b);
      }
      return b;
    } catch (err) {
      if (err instanceof ServeError) return { kind: 'respond', response: errorResponse(err) };
      throw err;
    }
  }

  private beginOrThrow(head: ServeRequestHead): Begin {
    const q = head.url.indexOf('?');
    const path = q < 0 ? head.url : head.url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : head.url.slice(q + 1));
    const allowed = ROUTES[path];
    if (!allowed)
      throw new ServeError(
        404,
        'NOT_FOUND',
        `no route ${JSON.stringify(path.slice(0, 200))} (routes: ${Object.keys(ROUTES).join(', ')})`,
      );
    const method = head.method.toUpperCase();
    if (method === 'OPTIONS')
      return {
        kind: 'respond',
        response: { status: 204, headers: { allow: [...allowed, 'OPTIONS'].join(', ') }, body: '' },
      };
    if (!allowed.includes(method))
      throw new ServeError(
        405,
        'METHOD_NOT_ALLOWED',
        `${path} takes ${allowed.filter((m) => m !== 'HEAD').join(' or ')}, not ${method}`,
        {
          allow: [...allowed, 'OPTIONS'],
        },
      );
    switch (path) {
      case '/':
        return { kind: 'respond', response: jsonResponse(200, this.index()) };
      case '/ping':
        return { kind: 'respond', response: this.health(false) };
      case '/health':
        return { kind: 'respond', response: this.health(true) };
      case '/version':
        return {
          kind: 'respond',
          response: jsonResponse(200, { server: this.info.server, model: this.modelRef }),
        };
      case '/metadata':
        return { kind: 'respond', response: jsonResponse(200, this.metadata()) };
      default:
        return { kind: 'read-body', plan: this.plan(head, query) };
    }
  }

  private plan(head: ServeRequestHead, query: URLSearchParams): InvocationPlan {
    for (const key of query.keys())
      if (key !== 'orient')
        throw new ServeError(
          400,
          'BAD_QUERY',
          `unknown query parameter ${JSON.stringify(key)} (known: orient=records|columns)`,
        );
    const orient = query.get('orient') ?? 'records';
    if (orient !== 'records' && orient !== 'columns')
      throw new ServeError(
        400,
        'BAD_QUERY',
        `orient must be records or columns, got ${JSON.stringify(orient)}`,
      );
    const ct = head.headers['content-type'];
    const supported = 'application/json or text/csv';
    if (ct === undefined || ct.trim() === '')
      throw new ServeError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `the request has no Content-Type: send ${supported}`,
      );
    const media = parseMediaType(ct);
    if (!media || (media.type !== 'application/json' && media.type !== 'text/csv'))
      throw new ServeError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${JSON.stringify(ct.slice(0, 100))} is not supported: send ${supported}`,
      );
    const charset = media.params.charset?.toLowerCase();
    const output = negotiate(head.headers.accept, ['application/json', 'text/csv']);
    if (output === null)
      throw new ServeError(
        406,
        'NOT_ACCEPTABLE',
        `cannot answer in ${JSON.stringify(head.headers.accept)}: the server answers application/json or text/csv`,
      );
    const out = output === 'text/csv' ? 'csv' : 'json';
    if (media.type === 'text/csv') {
      const encoding = charset === undefined ? undefined : CSV_CHARSETS[charset];
      if (charset !== undefined && encoding === undefined)
        throw new ServeError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `charset ${JSON.stringify(charset)} is not supported for CSV (utf-8, windows-1252, iso-8859-1, utf-16le, utf-16be)`,
        );
      return { input: 'csv', ...(encoding ? { encoding } : {}), output: out, orient };
    }
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
      throw new ServeError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `JSON must be UTF-8, not charset ${JSON.stringify(charset)}`,
      );
    const format = media.params.format;
    if (format !== undefined && format !== 'pandas-split' && format !== 'pandas-records')
      throw new ServeError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `format=${format} is not supported (pandas-split or pandas-records, or none)`,
      );
    const legacy =
      format === 'pandas-split'
        ? 'dataframe_split'
        : format === 'pandas-records'
          ? 'dataframe_records'
          : undefined;
    return { input: 'json', ...(legacy ? { legacy } : {}), output: out, orient };
  }

  /** Scores a body read under `plan`; every failure is a JSON error response. */
  async invoke(plan: InvocationPlan, body: Uint8Array): Promise<ServeResponse> {
    try {
      if (body.length === 0) throw new ServeError(400, 'EMPTY_BODY', 'the request body is empty');
      let scored: Scored;
      if (plan.input === 'csv') scored = await this.model.scoreCsv(body, plan.encoding);
      else {
        let text: string;
        try {
          text = UTF8.decode(body);
        } catch {
          throw new ServeError(400, 'MALFORMED_JSON', 'the body is not valid UTF-8');
        }
        const parsed = parseJsonBody(text);
        scored = await this.model.scoreFrame(frameFromJson(plan.legacy ? { [plan.legacy]: parsed } : parsed));
      }
      return this.answer(plan, scored);
    } catch (err) {
      if (err instanceof ServeError) return errorResponse(err);
      throw err;
    }
  }

  private answer(plan: InvocationPlan, scored: Scored): ServeResponse {
    const { bundle } = this.model;
    const { manifest } = bundle;
    const p = scored.predictions;
    if (plan.output === 'csv')
      // Byte for byte what `cli predict` prints for the same rows.
      return { status: 200, headers: this.okHeaders.csv, body: predictionsCsv(bundle, p), rows: p.nRows };
    const n = p.nRows;
    let predictions: unknown;
    const classes = manifest.classes;
    if (manifest.task === 'regression' || !classes) predictions = Array.from(p.values.subarray(0, n));
    else {
      const k = classes.length;
      if (plan.orient === 'columns') {
        const probabilities: Record<string, number[]> = {};
        classes.forEach((c, j) => {
          const col = new Array<number>(n);
          for (let i = 0; i < n; i++) col[i] = p.values[i * k + j];
          probabilities[c] = col;
        });
        predictions = { label: Array.from(p.labels!, (l) => classes[l]), probabilities };
      } else {
        const rows = new Array<unknown>(n);
        for (let i = 0; i < n; i++) {
          const probabilities: Record<string, number> = {};
          for (let j = 0; j < k; j++) probabilities[classes[j]] = p.values[i * k + j];
          rows[i] = { label: classes[p.labels![i]], probabilities };
        }
        predictions = rows;
      }
    }
    // {predictions, rows, task, classes?, decision?, model, warnings?}: the constant middle is spliced
    // in as text (answerTail), the same bytes JSON.stringify gives for the whole object
    const body =
      `{"predictions":${JSON.stringify(predictions)},"rows":${n},${this.answerTail}` +
      (scored.warnings.length ? `,"warnings":${JSON.stringify(scored.warnings)}}\n` : '}\n');
    return { status: 200, headers: this.okHeaders.json, body, rows: n };
  }

  /** The rule that turns probabilities into the label. */
  private decision(): Record<string, unknown> {
    const { manifest } = this.model.bundle;
    const d = manifest.decision;
    if (manifest.task === 'binary' && d)
      return {
        rule: 'threshold',
        positiveClass: d.positiveClass,
        threshold: d.threshold,
        chosenFor: d.chosenFor,
        description: `${JSON.stringify(d.positiveClass)} when its probability is at least ${d.threshold}`,
      };
    return { rule: 'argmax', description: 'the class with the highest probability' };
  }

  private health(detailed: boolean): ServeResponse {
    const status = this.draining ? 'draining' : 'ok';
    const code = this.draining ? 503 : 200;
    const extra: Record<string, string> = this.draining ? { 'retry-after': '5' } : {};
    if (!detailed) return jsonResponse(code, { status }, extra);
    const stats = this.info.stats();
    return jsonResponse(
      code,
      {
        status,
        model: this.modelRef,
        uptimeSeconds: Math.round((this.info.now() - this.startedAt) / 100) / 10,
        requests: {
          inFlight: stats.inFlight,
          served: stats.served,
          ...(this.model.batching ? { batched: this.model.batching } : {}),
        },
        ...(this.info.process ? { process: this.info.process } : {}),
      },
      extra,
    );
  }

  private index(): unknown {
    return {
      server: this.info.server,
      model: this.modelRef,
      routes: {
        'GET /ping': 'liveness: 200 while serving, 503 while shutting down',
        'GET /health': 'status, model, uptime, request counts',
        'GET /version': 'server and model versions',
        'GET /metadata': 'the model: task, classes, decision, input columns and types',
        'POST /invocations': `score rows: application/json (${JSON_SHAPES.join(', ')}, or a list of row objects) or text/csv`,
      },
    };
  }

  metadata(): unknown {
    const { manifest, features } = this.model.bundle;
    // A model on recipe features takes rows of the recipe's target table (the features are computed).
    const columns = features
      ? [...this.model.types].map(([name, type]) => ({ name, type }))
      : manifest.signature.inputs;
    const inputs = columns.map((c) => ({
      name: c.name,
      type: c.type,
      mlflowType: MLFLOW_TYPES[c.type],
      required: !this.model.optional.has(c.name),
      accepts: acceptsText(c.type),
    }));
    const classes = manifest.classes;
    return {
      name: this.info.name,
      version: this.version,
      createdAt: manifest.createdAt,
      task: manifest.task,
      target: manifest.target,
      ...(classes ? { classes } : {}),
      ...(manifest.task !== 'regression' ? { decision: this.decision() } : {}),
      family: manifest.model.family,
      inputs,
      ...(features
        ? {
            features: {
              recipe: {
                name: features.recipe.name,
                version: features.recipe.version,
                target: features.recipe.target,
              },
              computed: features.recipe.features.map((f) => f.name),
              tables: Object.keys(features.tables),
            },
          }
        : {}),
      outputs:
        manifest.task === 'regression' || !classes
          ? { prediction: 'number' }
          : {
              label: `one of the classes`,
              probabilities: `one number per class, keyed by class name (${classes.join(', ')})`,
            },
      metrics: manifest.metrics,
      dataset: { name: manifest.dataset.name, rows: manifest.dataset.rows, sha256: manifest.dataset.sha256 },
      provenance: this.info.provenance,
      integrity: this.info.integrity,
      signature: {
        inputs: inputs.map((c) => ({ name: c.name, type: c.mlflowType, required: c.required })),
        outputs:
          manifest.task === 'regression' || !classes
            ? [{ name: 'prediction', type: 'double' }]
            : [...classes.map((c) => ({ name: c, type: 'double' })), { name: 'prediction', type: 'string' }],
      },
      request: {
        contentTypes: ['application/json', 'text/csv'],
        jsonShapes: [...JSON_SHAPES, 'a list of row objects'],
        maxBodyBytes: this.info.maxBodyBytes,
        extraColumns: this.model.options.allowExtraColumns ? 'ignored' : 'refused (400)',
        unreadableCells: this.model.options.lenient ? 'scored as missing (warnings)' : 'refused (400)',
      },
      server: this.info.server,
    };
  }
}
