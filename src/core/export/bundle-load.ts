/**
 * Reads a model bundle from its files' text and validates it: the manifest on its own (kind, format
 * version, nesting depth, schema), the files' hashes, and manifest.json, pipeline.json and model.json
 * against each other, so that a bundle that loads also scores. Every problem is a BundleError naming the
 * file and the field.
 */
import type { SemanticType } from '../data/table.ts';
import { deserializeModel } from '../models/registry.ts';
import { parsePipeline } from '../pipeline/index.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import { predictionWidth } from '../models/types.ts';
import type { Fitted } from '../models/types.ts';
import { ensureFamiliesRegistered } from '../train/families.ts';
import { BundleError } from './bundle-error.ts';
import { EnsembleModel, ensureEnsembleRegistered } from '../search/ensemble.ts';
import { validateManifest } from './manifest-schema.ts';
import { REFERENCE_FILE, parseReference } from '../monitor/reference.ts';
import type { ReferenceProfile } from '../monitor/reference.ts';
import { listedFiles, verifyFileHashes } from './integrity.ts';
import type { IntegrityResult } from './integrity.ts';
import { READABLE_FORMAT_VERSIONS } from './bundle-manifest.ts';
import { FEATURES_FILE, parseFeaturesRecord, type FeaturesRecord } from '../features/spec.ts';
import type { BundleManifest } from './bundle-manifest.ts';

export interface LoadedBundle {
  readonly manifest: BundleManifest;
  /** Whether the files were checked against the manifest's SHA-256 hashes (integrity.ts). */
  readonly integrity?: IntegrityResult;
  /** null for an ensemble: its members carry their pipelines. */
  readonly pipeline: FittedPipeline | null;
  readonly model: Fitted;
  /** The reference profile for monitoring (reference.json); absent in bundles made before it. */
  readonly reference?: ReferenceProfile;
  /**
   * The recipe the model's features are computed with and the related tables it was trained on
   * (features.json); absent when the model reads the data file's own columns only.
   */
  readonly features?: FeaturesRecord;
}

function parseJson(text: string | undefined, file: string): unknown {
  if (text === undefined) throw new BundleError(`the bundle has no ${file}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export interface LoadOptions {
  /** Require every file the manifest lists (format 2) to be present (default false: a scorer or card may be left out). */
  readonly requireListedFiles?: boolean;
}

/** Deepest nesting of arrays and objects a manifest may have (the app writes fewer than 10 levels). */
export const MAX_MANIFEST_DEPTH = 64;

/** Throws when the JSON value nests deeper than `max` levels (checked without recursion). */
function checkDepth(value: unknown, max: number, file: string): void {
  const stack: [unknown, number, string][] = [[value, 0, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max)
      throw new BundleError(
        `${file} nests deeper than ${max} levels (at ${path.length > 80 ? `${path.slice(0, 80)}…` : path || '(root)'})`,
      );
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, `${path}[${i}]`]));
    else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, path ? `${path}.${k}` : k]);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A format 1 manifest in the shape of format 2, for validation only: format 1 wrote every field format
 * 2 requires except `app.commit`, `training`, `reproducibility` and `files` (see `upgradeManifest` in
 * package.ts, which fills them in the same way on export).
 */
function format1AsFormat2(v1: Record<string, unknown>): Record<string, unknown> {
  return {
    ...v1,
    formatVersion: 2,
    app: isObject(v1.app) && v1.app.commit === undefined ? { ...v1.app, commit: 'unknown' } : v1.app,
    training: v1.training ?? { command: v1.search !== undefined ? 'automl' : 'fit', exclude: [] },
    reproducibility: v1.reproducibility ?? { tolerance: 0, deterministic: true, note: 'format 1' },
    files: v1.files ?? [],
  };
}

function schemaProblem(problems: readonly string[]): string {
  const more =
    problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return `${problems[0]}${more}`;
}

/**
 * The manifest checked on its own: kind, a readable format version, its nesting depth and the schema
 * (format 1: the fields format 1 always wrote, checked with the format 2 schema after filling in the
 * ones it never recorded).
 */
export function checkManifest(text: string | undefined): BundleManifest {
  const manifest = parseJson(text, 'manifest.json') as Partial<BundleManifest> | null;
  if (!isObject(manifest)) throw new BundleError('manifest.json is not a JSON object');
  if (manifest.kind !== 'automl-studio-model')
    throw new BundleError(
      'manifest.json is not an AutoML Studio model manifest (kind is not "automl-studio-model")',
    );
  if (!READABLE_FORMAT_VERSIONS.includes(manifest.formatVersion as number)) {
    throw new BundleError(
      `unsupported bundle format version ${JSON.stringify(manifest.formatVersion)} (this studio reads ${READABLE_FORMAT_VERSIONS.join(' and ')})`,
    );
  }
  checkDepth(manifest, MAX_MANIFEST_DEPTH, 'manifest.json');
  if (manifest.formatVersion === 2) {
    const problems = validateManifest(manifest);
    if (problems.length)
      throw new BundleError(`manifest.json does not match the format 2 schema: ${schemaProblem(problems)}`);
  } else {
    const problems = validateManifest(format1AsFormat2(manifest));
    const missing = problems.flatMap((p) => /^(\S+) is missing$/.exec(p)?.[1] ?? []);
    if (missing.length)
      throw new BundleError(
        `manifest.json (format 1) lacks ${missing.length === 1 ? 'a required field' : 'required fields'}: ${missing.join(', ')}`,
      );
    if (problems.length)
      throw new BundleError(`manifest.json (format 1) is not valid: ${schemaProblem(problems)}`);
  }
  return manifest as BundleManifest;
}

/** Output columns of a model per row: regression 1, binary 2, multiclass one per class. */
function outputWidth(model: Fitted): number {
  return predictionWidth(model.task, model.nClasses);
}

const listNames = (names: readonly string[], max = 5) =>
  names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)` : names.join(', ');

/** The fitted pipeline's output (its feature layout) must be the model's input. */
function checkPipelineWidth(pipeline: FittedPipeline, model: Fitted, pipeWhere: string, modelWhere: string) {
  const width = pipeline.layout.length;
  if (width !== model.nFeatures)
    throw new BundleError(
      `${pipeWhere} produces ${width} feature${width === 1 ? '' : 's'} (${listNames(pipeline.layout.map((f) => String((f as { name?: unknown } | null)?.name)))}) ` +
        `but ${modelWhere} takes ${model.nFeatures}`,
    );
  if (!Array.isArray(pipeline.sources) || pipeline.sources.length !== width)
    throw new BundleError(`${pipeWhere}: sources does not list one input column per feature`);
}

function pipelineInputs(pipeline: FittedPipeline, where: string): Map<string, string> {
  const inputs = pipeline.inputs as unknown;
  if (
    !Array.isArray(inputs) ||
    inputs.some((c) => !isObject(c) || typeof c.name !== 'string' || typeof c.type !== 'string')
  )
    throw new BundleError(`${where}: inputs is missing or is not a list of columns with a name and a type`);
  return new Map((inputs as { name: string; type: string }[]).map((c) => [c.name, c.type]));
}

/**
 * The manifest's signature (how a scoring file's columns are read) must be what the pipeline was
 * fitted on: the same columns with the same types. With several pipelines (an ensemble), every
 * pipeline's columns must be in the signature with its type, and every signature column read by one.
 */
function checkSignature(
  manifest: BundleManifest,
  pipelines: readonly { pipeline: FittedPipeline; where: string }[],
): void {
  const signature = new Map(manifest.signature.inputs.map((c) => [c.name, c.type]));
  const read = new Set<string>();
  for (const { pipeline, where } of pipelines) {
    for (const [name, type] of pipelineInputs(pipeline, where)) {
      read.add(name);
      const declared = signature.get(name);
      if (declared === undefined)
        throw new BundleError(
          `manifest.json signature.inputs lacks column ${JSON.stringify(name)}, which ${where} reads (as ${type})`,
        );
      if (declared !== type)
        throw new BundleError(
          `manifest.json signature.inputs reads column ${JSON.stringify(name)} as ${declared} ` +
            `but ${where} was fitted on it as ${type}`,
        );
    }
  }
  const unread = [...signature.keys()].filter((n) => !read.has(n));
  if (unread.length)
    throw new BundleError(
      `manifest.json signature.inputs lists column${unread.length === 1 ? '' : 's'} ${listNames(unread.map((n) => JSON.stringify(n)))} ` +
        `that ${pipelines.length === 1 ? pipelines[0].where : "no member's pipeline in model.json"} does not read`,
    );
}

/** What manifest.json says about the task and classes must be what model.json predicts. */
function checkManifestAgainstModel(manifest: BundleManifest, model: Fitted): void {
  if (manifest.model.family !== model.family)
    throw new BundleError(
      `manifest.json model.family is ${JSON.stringify(manifest.model.family)} but model.json is a ${JSON.stringify(model.family)} model`,
    );
  if (manifest.task !== model.task)
    throw new BundleError(
      `manifest.json task is ${JSON.stringify(manifest.task)} but model.json is a ${model.task} model`,
    );
  const classes = manifest.classes;
  if (model.task === 'regression') {
    if (classes !== undefined)
      throw new BundleError(
        `manifest.json lists classes (${listNames(classes.map((c) => JSON.stringify(c)))}) but its task is regression`,
      );
    return;
  }
  const width = outputWidth(model);
  if (classes === undefined)
    throw new BundleError(
      `manifest.json has no classes, but model.json is a ${model.task} model predicting ${width} classes`,
    );
  if (classes.length !== width)
    throw new BundleError(
      `manifest.json classes has ${classes.length} label${classes.length === 1 ? '' : 's'} ` +
        `(${listNames(classes.map((c) => JSON.stringify(c)))}) but model.json predicts ${width} classes`,
    );
  const seen = new Set<string>();
  const dup = classes.find((c) => seen.size === seen.add(c).size);
  if (dup !== undefined)
    throw new BundleError(`manifest.json classes lists the label ${JSON.stringify(dup)} twice`);
  if (
    model.task === 'binary' &&
    manifest.positiveClass !== undefined &&
    manifest.positiveClass !== classes[1]
  )
    throw new BundleError(
      `manifest.json positiveClass is ${JSON.stringify(manifest.positiveClass)} but the model predicts the probability ` +
        `of classes[1], ${JSON.stringify(classes[1])}`,
    );
  const d = manifest.decision;
  if (d !== undefined) {
    if (model.task !== 'binary')
      throw new BundleError(`manifest.json has a decision, but model.json is a ${model.task} model`);
    if (!classes.includes(d.positiveClass))
      throw new BundleError(
        `manifest.json decision.positiveClass is ${JSON.stringify(d.positiveClass)}, not one of the classes ` +
          `(${listNames(classes.map((c) => JSON.stringify(c)))})`,
      );
    if (!(d.threshold >= 0 && d.threshold <= 1))
      throw new BundleError(
        `manifest.json decision.threshold is ${d.threshold}; it must be a probability (0 to 1)`,
      );
  }
}

/**
 * Checks manifest.json, pipeline.json and model.json against each other, so that a bundle that loads
 * also scores: the task and classes, the pipeline's output width and the model's input width, and the
 * signature and the pipeline's input columns and types; for an ensemble, each member the same way.
 * Each failure names the file and the field that disagree.
 */
function checkBundleConsistency(
  manifest: BundleManifest,
  pipeline: FittedPipeline | null,
  model: Fitted,
): void {
  checkManifestAgainstModel(manifest, model);
  if (model instanceof EnsembleModel) {
    if (pipeline !== null)
      throw new BundleError(
        'manifest.json names pipeline.json, but model.json is an ensemble whose members carry their own pipelines',
      );
    const width = outputWidth(model);
    model.members.forEach((m, i) => {
      const where = `model.json members[${i}]`;
      if (outputWidth(m.model) !== width)
        throw new BundleError(
          `${where} (${m.model.family}) predicts ${outputWidth(m.model)} value${outputWidth(m.model) === 1 ? '' : 's'} per row ` +
            `but the ensemble predicts ${width}`,
        );
      checkPipelineWidth(model.pipelines[m.pipeline], m.model, `model.json pipelines[${m.pipeline}]`, where);
    });
    checkSignature(
      manifest,
      model.pipelines.map((p, k) => ({ pipeline: p, where: `model.json pipelines[${k}]` })),
    );
    return;
  }
  if (pipeline === null) return; // reported by loadBundle
  checkPipelineWidth(pipeline, model, 'pipeline.json', 'model.json');
  checkSignature(manifest, [{ pipeline, where: 'pipeline.json' }]);
}

/** Reads a bundle from its files' text; every problem is a BundleError naming the file. */
export function loadBundle(
  files: Readonly<Record<string, string | undefined>>,
  options: LoadOptions = {},
): LoadedBundle {
  const manifest = checkManifest(files['manifest.json']);
  if (manifest.formatVersion >= 2) {
    const listed = listedFiles(manifest);
    const required = options.requireListedFiles
      ? listed
      : listed.filter((f) => f === 'model.json' || f === 'pipeline.json');
    if (manifest.pipeline.file && !required.includes(manifest.pipeline.file))
      required.push(manifest.pipeline.file);
    if (!required.includes('model.json')) required.push('model.json');
    // A model on recipe features cannot score without its recipe.
    if (manifest.features !== undefined) {
      if (!listed.includes(FEATURES_FILE))
        throw new BundleError(`manifest.json has features but does not list ${FEATURES_FILE} in files`);
      if (!required.includes(FEATURES_FILE)) required.push(FEATURES_FILE);
    }
    const missing = required.filter((f) => files[f] === undefined);
    if (missing.length)
      throw new BundleError(`the bundle lacks ${missing.join(', ')}, listed in manifest.json`);
  }
  // Every present file the manifest hashes must match (a mismatch names the file).
  const integrity = verifyFileHashes(manifest, files);
  let pipeline: FittedPipeline | null = null;
  if (manifest.pipeline.file !== null) {
    try {
      pipeline = parsePipeline(parseJson(files['pipeline.json'], 'pipeline.json'));
    } catch (err) {
      throw err instanceof BundleError ? err : new BundleError(`pipeline.json: ${(err as Error).message}`);
    }
  }
  ensureEnsembleRegistered();
  ensureFamiliesRegistered();
  let model: Fitted;
  try {
    model = deserializeModel(parseJson(files['model.json'], 'model.json') as never);
  } catch (err) {
    throw err instanceof BundleError ? err : new BundleError(`model.json: ${(err as Error).message}`);
  }
  if (pipeline === null && !(model instanceof EnsembleModel)) {
    throw new BundleError('the bundle has no pipeline.json and its model does not carry its own pipelines');
  }
  checkBundleConsistency(manifest, pipeline, model);
  let reference: ReferenceProfile | undefined;
  // Only a reference the manifest lists (and so hashes) is used; an unlisted one is ignored.
  const referenceText = listedFiles(manifest).includes(REFERENCE_FILE) ? files[REFERENCE_FILE] : undefined;
  if (referenceText !== undefined) {
    try {
      reference = parseReference(referenceText);
    } catch (err) {
      throw new BundleError(`${REFERENCE_FILE}: ${(err as Error).message}`);
    }
  }
  let features: FeaturesRecord | undefined;
  const featuresText = listedFiles(manifest).includes(FEATURES_FILE) ? files[FEATURES_FILE] : undefined;
  if (featuresText !== undefined) {
    try {
      features = parseFeaturesRecord(featuresText);
    } catch (err) {
      throw new BundleError((err as Error).message);
    }
  }
  return {
    manifest,
    pipeline,
    model,
    integrity,
    ...(reference ? { reference } : {}),
    ...(features ? { features } : {}),
  };
}

/** Columns the model drops anyway (ID-like, constant): a scoring file may lack them. */
export function droppedColumns(bundle: LoadedBundle): Set<string> {
  const pipelines = bundle.pipeline ? [bundle.pipeline] : (bundle.model as EnsembleModel).pipelines;
  return new Set(
    pipelines.flatMap((p) => p.spec.steps.filter((s) => s.kind === 'drop').flatMap((s) => s.columns)),
  );
}

/** Type overrides that make a new file read its columns as the training data was read. */
export function signatureTypes(bundle: LoadedBundle): Record<string, SemanticType> {
  return Object.fromEntries(bundle.manifest.signature.inputs.map((c) => [c.name, c.type]));
}
