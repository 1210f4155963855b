/**
 * A model bundle as a runnable Python project (MLflow Projects layout): train.py rebuilds the
 * bundle's preprocessing with pandas, fitted again on the training rows, and trains gradient-boosted
 * trees with XGBoost (plain, or xgboost.dask on a Dask cluster) using the bundle's hyperparameters.
 * The files are plain text; the caller writes them. Single-model GBDT bundles only, so far.
 */
import { PythonExportError } from './errors.ts';
import type { LoadedBundle } from '../bundle.ts';
import { GbdtModel } from '../../models/gbdt/booster.ts';
import type { Fitted } from '../../models/types.ts';
import type { DenseNetConfig } from '../../models/nn/config.ts';
import type { FittedPipeline } from '../../pipeline/pipeline.ts';
import { EnsembleModel } from '../../search/ensemble.ts';
import type { GbdtConfig } from '../../models/gbdt/config.ts';
import { xgboostParams } from './xgboost-params.ts';
import { TRAIN_PY } from './train-py.ts';
import { TUNE_PY } from './tune-py.ts';
import { tuneSettings, type TuneSettings } from './tune.ts';

export { PythonExportError } from './errors.ts';
export { xgboostParams };

/** Pipeline steps train.py translates (src/core/pipeline/steps). */
export const PYTHON_STEPS = [
  'drop',
  'impute',
  'string_index',
  'one_hot',
  'frequency_encode',
  'target_encode',
  'standard_scale',
  'date_parts',
] as const;

export interface PythonProjectOptions {
  /** SHA-256 (hex) of the source bundle's manifest.json, recorded in the README and settings. */
  readonly manifestSha256: string;
  /** How the source bundle is called (its file or folder name), for the README. */
  readonly source: string;
}

/** What the project does differently from the studio's own training, in the user's words. */
function differences(cfg: GbdtConfig, steps: readonly { kind: string }[]): string[] {
  const out = [
    "The trees are grown by XGBoost's `hist` method, not the studio's own GBDT: bin edges, split search and " +
      'floating-point order differ, so predictions are close to the bundle but not bit-identical.',
    `The number of rounds is fixed at the bundle's final count; no early stopping or validation split is run.`,
    `Categorical splits: XGBoost has no counterpart of catSmooth (${cfg.catSmooth}) and catL2 (${cfg.catL2}).`,
    'CSV reading uses pandas with the column types the bundle recorded; dates are parsed by pandas ' +
      '(`pd.to_datetime`, UTC), which accepts more formats than the studio.',
  ];
  if (typeof cfg.colsampleByNode !== 'number')
    out.push(
      `colsampleByNode '${cfg.colsampleByNode}' has no XGBoost form: all features are tried at each node.`,
    );
  if (cfg.minSamplesLeaf > 1)
    out.push(`minSamplesLeaf (${cfg.minSamplesLeaf}) has no XGBoost form: only min_child_weight applies.`);
  if (cfg.extraTrees)
    out.push('extraTrees (random thresholds) has no XGBoost form: ordinary splits are searched.');
  if (cfg.bootstrap)
    out.push('bootstrap sampling has no XGBoost form: subsample draws rows without replacement.');
  if (steps.some((s) => s.kind === 'target_encode'))
    out.push(
      "Target encoding is out-of-fold on the training rows as in the studio, but the folds come from NumPy's " +
        "random generator, not the studio's: the encoded training values differ slightly.",
    );
  return out;
}

function stepKinds(pipeline: FittedPipeline): { kind: string; columns: string[]; config?: unknown }[] {
  const steps = pipeline.spec.steps as unknown as {
    kind: string;
    columns: string[];
    config?: unknown;
  }[];
  steps.forEach((s, k) => {
    if (!(PYTHON_STEPS as readonly string[]).includes(s.kind))
      throw new PythonExportError(
        `pipeline step ${k + 1} (${s.kind}) has no pandas translation: not exported`,
      );
  });
  return steps;
}

/** A model the project trains: the bundle's own, or one member of an AutoML ensemble. */
interface Chosen {
  readonly model: Fitted;
  readonly pipeline: FittedPipeline;
  readonly family: string;
  /** For an ensemble: the member taken, its weight and how many members there are. */
  readonly member?: { readonly trial: number | null; readonly weight: number; readonly of: number };
  /** The trial's own parameters (an ensemble member's), e.g. its classWeight. */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** The models of the bundle: its one model, or every member of its ensemble with a weight above 0, heaviest first. */
function chooseMembers(bundle: LoadedBundle): Chosen[] {
  const m = bundle.manifest;
  const model = bundle.model;
  if (model instanceof EnsembleModel) {
    const of = model.members.filter((x) => x.weight > 0).length;
    return model.members
      .filter((x) => x.weight > 0)
      .sort((a, b) => b.weight - a.weight)
      .map((member) => {
        const trial = member.trial ?? null;
        const family =
          (m.model.members ?? []).find((x) => trial !== null && x.trial === trial)?.family ??
          member.model.family;
        return {
          model: member.model,
          pipeline: model.pipelines[member.pipeline]!,
          family,
          member: { trial, weight: member.weight, of },
          ...(member.params ? { params: member.params } : {}),
        };
      });
  }
  if (!bundle.pipeline) {
    const members = (m.model.members ?? []).map((x) => x.family).join(', ');
    throw new PythonExportError(
      `the bundle holds an ensemble (${members || 'several models'} averaged) without its members' pipelines: not exported`,
    );
  }
  const config = (m.model as { config?: Record<string, unknown> }).config;
  return [
    { model, pipeline: bundle.pipeline, family: m.model.family, ...(config ? { params: config } : {}) },
  ];
}

/** A member translated for train.py, with its settings and README lines. */
interface Translated {
  readonly chosen: Chosen;
  readonly steps: ReturnType<typeof stepKinds>;
  readonly family: FamilySettings;
  /** Its weight among the kept members (they sum to 1). */
  readonly share: number;
}

/** A member with no faithful Python translation, left out of the exported ensemble. */
interface LeftOut {
  readonly trial: number | null;
  readonly family: string;
  readonly weight: number;
  readonly reason: string;
}

/**
 * Translates every member; an ensemble's member with no translation is left out (and said so) as
 * long as one member remains; a single model with no translation is refused.
 */
function translateMembers(bundle: LoadedBundle): { kept: Translated[]; leftOut: LeftOut[] } {
  const chosen = chooseMembers(bundle);
  const kept: Translated[] = [];
  const leftOut: LeftOut[] = [];
  let first: unknown = null;
  for (const c of chosen) {
    try {
      const steps = stepKinds(c.pipeline);
      kept.push({ chosen: c, steps, family: familySettings(c, steps), share: c.member?.weight ?? 1 });
    } catch (err) {
      if (!(err instanceof PythonExportError) || chosen.length === 1) throw err;
      first ??= err;
      leftOut.push({
        trial: c.member?.trial ?? null,
        family: c.family,
        weight: c.member?.weight ?? 1,
        reason: err.message,
      });
    }
  }
  if (kept.length === 0) throw first instanceof Error ? first : new PythonExportError('no member exports');
  const total = kept.reduce((a, t) => a + t.share, 0);
  return { kept: kept.map((t) => ({ ...t, share: t.share / total })), leftOut };
}

/** The project's files (name → text): MLproject, python_env.yaml, requirements.txt, README.md, train.py, tune.py, settings.json. */
export function pythonProjectFiles(bundle: LoadedBundle, opts: PythonProjectOptions): Record<string, string> {
  const m = bundle.manifest;
  const { kept, leftOut } = translateMembers(bundle);
  // the heaviest member is also the project's single model: tune.py searches from its pipeline
  const top = kept[0]!;
  const chosen = top.chosen;
  const members =
    kept.length > 1
      ? kept.map((t) => ({
          trial: t.chosen.member?.trial ?? null,
          weight: t.share,
          inputs: t.chosen.pipeline.inputs,
          steps: t.steps,
          ...t.family.settings,
        }))
      : null;
  const inputs = new Map<string, unknown>();
  for (const t of kept)
    for (const c of t.chosen.pipeline.inputs) if (!inputs.has(c.name)) inputs.set(c.name, c);
  const settings = {
    source: {
      bundle: opts.source,
      manifestSha256: opts.manifestSha256,
      createdAt: m.createdAt,
      app: m.app,
      dataset: { name: m.dataset.name, sha256: m.dataset.sha256, rows: m.dataset.rows },
      family: m.model.family,
      ...(chosen.member ? { member: chosen.member } : {}),
    },
    target: m.target,
    task: m.task,
    classes: m.classes ?? null,
    positiveClass: m.decision?.positiveClass ?? m.positiveClass ?? null,
    threshold: m.decision?.threshold ?? 0.5,
    seed: m.seed,
    inputs: [...inputs.values()],
    steps: top.steps,
    ...top.family.settings,
    ...(members ? { members } : {}),
    ...(leftOut.length ? { leftOut } : {}),
    search: tuneSettings(
      bundle,
      TASK_OBJECTIVE[m.task]!,
      m.classes?.length ?? 1,
      chosen.pipeline.layout.some((f) => f.kind === 'cat'),
    ),
  };
  return {
    MLproject: mlproject(),
    'python_env.yaml': PYTHON_ENV,
    'requirements.txt': REQUIREMENTS,
    'README.md': readme(bundle, kept, leftOut, opts, settings.search),
    'train.py': TRAIN_PY,
    'tune.py': TUNE_PY,
    'settings.json': JSON.stringify(settings, null, 2) + '\n',
  };
}

/** The objective of the studio's GBDT per task (what tune.py's trials train). */
const TASK_OBJECTIVE: Record<string, string> = {
  binary: 'logloss',
  multiclass: 'softmax',
  regression: 'squared_error',
};

/** The model part of settings.json, the README's line on the model and what differs from the studio. */
interface FamilySettings {
  readonly settings: Record<string, unknown>;
  readonly modelLine: string;
  readonly diffs: string[];
}

function familySettings(chosen: Chosen, steps: readonly { kind: string }[]): FamilySettings {
  const model = chosen.model;
  const which = chosen.member
    ? `the ensemble's member of trial ${chosen.member.trial ?? '?'} is a ${chosen.family} model`
    : `the bundle holds a ${chosen.family} model`;
  const only = 'gradient-boosted trees, random forests, linear models and MLPs export to a Python project';
  if (model instanceof GbdtModel) {
    if (model.isForest) return forestSettings(model, steps);
    const cfg = model.config;
    const params = xgboostParams(cfg, model.objective.name, model.nClasses);
    const shown = Object.entries(params).map(([k, v]) => `\`${k}=${v}\``);
    return {
      settings: {
        family: 'gbdt',
        classWeight: cfg.classWeight,
        xgboost: { params, num_boost_round: model.defaultRounds },
      },
      modelLine:
        `Model: XGBoost, ${model.defaultRounds} rounds, ${shown.join(', ')}` +
        (model.task === 'binary' || model.task === 'regression' ? ', base score = training mean.' : '.'),
      diffs: differences(cfg, steps),
    };
  }
  const dense = (model as { state?: { format?: string; config?: DenseNetConfig } }).state;
  if (model.family === 'linear' && dense?.format === 'dense-net' && dense.config?.hidden.length === 0) {
    const cfg = dense.config;
    if (cfg.regressionLoss !== 'squared_error' && model.task === 'regression')
      throw new PythonExportError(
        `${which} with the ${cfg.regressionLoss} loss: scikit-learn's linear models have no counterpart; not exported`,
      );
    const classWeight = chosen.params?.classWeight ?? 'none';
    const kind = model.task === 'regression' ? (cfg.l1 > 0 ? 'ElasticNet' : 'Ridge') : 'LogisticRegression';
    return {
      settings: { family: 'linear', classWeight, linear: { l1: cfg.l1, l2: cfg.l2 } },
      modelLine:
        `Model: scikit-learn \`${kind}\` on standardised features with the bundle's penalty ` +
        `(l2 = ${cfg.l2 === 'auto' ? '1 / (2 × rows)' : cfg.l2}, l1 = ${cfg.l1}` +
        `${classWeight === 'balanced' ? ', balanced class weights' : ''}), fitted in the Python process.`,
      diffs: [
        cfg.solver === 'glm' && cfg.maxIterations !== undefined
          ? "The studio's GLM solver (OWL-QN) was held to " +
            `${cfg.maxIterations} iterations (the search's time allowance) and may have stopped short of ` +
            'the optimum scikit-learn solves here to convergence on the same rows: the coefficients can differ.'
          : cfg.solver === 'glm'
            ? "The studio solved the same penalised objective to its optimum (its GLM solver, OWL-QN, on the bundle's " +
              'training rows) as scikit-learn solves here on the same rows: the two models are the same optimum, ' +
              "the studio's weights rounded to float32 (and each solver's tolerance) aside."
            : 'The studio trains the linear model with Adam for a few epochs and stops early on a validation split; ' +
              'scikit-learn solves the same penalised objective to convergence on all the rows, so the ' +
              'coefficients are close, not identical.',
        'The linear model does not train on Dask: with `--scheduler`, its features are collected into the driver.',
        ...(steps.some((s) => s.kind === 'target_encode')
          ? ["Target encoding's out-of-fold split uses NumPy's generator, not the studio's."]
          : []),
      ],
    };
  }
  if (model.family === 'mlp' && dense?.format === 'dense-net' && dense.config)
    return mlpSettings(model, dense.config, chosen, which);
  throw new PythonExportError(`${which}: only ${only}`);
}

/** A random forest as scikit-learn's RandomForest / ExtraTrees (the studio averages leaf means, as they do). */
function forestSettings(model: GbdtModel, steps: readonly { kind: string }[]): FamilySettings {
  const cfg = model.config;
  const kind =
    (cfg.extraTrees ? 'ExtraTrees' : 'RandomForest') +
    (model.task === 'regression' ? 'Regressor' : 'Classifier');
  const forest = {
    estimator: kind,
    n_estimators: model.defaultRounds,
    max_depth: cfg.maxDepth > 0 ? cfg.maxDepth : null,
    max_leaf_nodes: cfg.growPolicy === 'lossguide' && cfg.maxLeaves > 1 ? cfg.maxLeaves : null,
    min_samples_leaf: Math.max(1, cfg.minSamplesLeaf),
    max_features: cfg.colsampleByNode,
    bootstrap: cfg.bootstrap,
    seed: cfg.seed,
  };
  const diffs = [
    "scikit-learn grows the trees on exact thresholds, not the studio's value bins, with its own random " +
      'numbers: the forest is close to the bundle, not identical.',
    'Missing numbers go to the low side of every split (they are set below the training minimum); the ' +
      'studio sends them to the side that fits better.',
  ];
  if (model.task !== 'regression' || steps.some((s) => s.kind === 'string_index'))
    diffs.push(
      'Categories reach scikit-learn as ordinal codes (most frequent first), split by thresholds; the studio ' +
        'splits categories into subsets.',
    );
  if (!cfg.bootstrap && cfg.subsample < 1)
    diffs.push(
      `subsample (${cfg.subsample}) without bootstrap has no scikit-learn form: each tree sees all rows.`,
    );
  if (cfg.colsampleByTree < 1)
    diffs.push(
      `colsampleByTree (${cfg.colsampleByTree}) has no scikit-learn form: only max_features applies.`,
    );
  if (cfg.minChildWeight > 0 || cfg.lambda > 0 || cfg.minSplitGain > 0)
    diffs.push('min_child_weight, lambda and gamma have no scikit-learn forest form: not applied.');
  return {
    settings: { family: 'random_forest', classWeight: cfg.classWeight, forest },
    modelLine:
      `Model: scikit-learn \`${kind}\`, ${forest.n_estimators} trees, max_depth=${forest.max_depth ?? 'None'}, ` +
      `max_features=${forest.max_features}, min_samples_leaf=${forest.min_samples_leaf}, ` +
      `bootstrap=${cfg.bootstrap ? 'True' : 'False'}, fitted in the Python process.`,
    diffs,
  };
}

/** A multilayer perceptron, trained by train.py the studio's way in NumPy (the same layers, activation, dropout, penalties, Adam, epochs and random numbers). */
function mlpSettings(model: Fitted, cfg: DenseNetConfig, chosen: Chosen, which: string): FamilySettings {
  const refuse = (why: string): never => {
    throw new PythonExportError(`${which} with ${why}: train.py's MLP has no counterpart; not exported`);
  };
  if (cfg.batchNorm) refuse('batch normalisation');
  if (cfg.embeddings) refuse('learned category embeddings');
  const classWeight = chosen.params?.classWeight ?? 'none';
  const epochs = Math.max(1, model.iterationsUsed ?? cfg.epochs);
  const huber = model.task === 'regression' && cfg.regressionLoss === 'huber';
  return {
    settings: {
      family: 'mlp',
      classWeight,
      mlp: {
        hidden: [...cfg.hidden],
        activation: cfg.activation,
        dropout: cfg.dropout,
        learning_rate: cfg.learningRate,
        batch_size: cfg.batchSize,
        l2: cfg.l2,
        l1: cfg.l1,
        huber,
        epochs,
        seed: cfg.seed,
      },
    },
    modelLine:
      `Model: an MLP in NumPy, hidden layers ${cfg.hidden.join(' × ')}, ${cfg.activation === 'relu' ? 'ReLU' : 'GELU (tanh form)'}` +
      `${cfg.dropout > 0 ? `, dropout ${cfg.dropout}` : ''}, Adam (learning rate ${cfg.learningRate}), ` +
      `${epochs} epochs (the bundle's), batches of up to ${cfg.batchSize} rows` +
      `${huber ? ', Huber loss' : ''}${classWeight === 'balanced' ? ', balanced class weights' : ''}, trained in the Python process.`,
    diffs: [
      "The net is trained by the studio's procedure written in NumPy, with the studio's random numbers: its " +
        "starting weights, each epoch's row order and each batch's dropout masks are the studio's (its seeded " +
        "generator and TensorFlow.js's dropout noise, ported). On the bundle's training rows it follows the " +
        "studio's training step by step; NumPy computes in float64 where TensorFlow.js computes in float32, so " +
        'the predictions agree to rounding (about 1e-5 of a probability), not bit for bit. On other rows or in ' +
        'another order it is a different draw of the same procedure.',
      "The net trains the bundle's number of epochs on all the rows; no validation split or early stopping is run.",
      'The net does not train on Dask: with `--scheduler`, its features are collected into the driver.',
    ],
  };
}

const REQUIREMENTS = [
  'pandas>=1.5',
  'numpy>=1.21',
  'xgboost>=1.7',
  'dask>=2022.12',
  'distributed>=2022.12',
  'scikit-learn>=1.2',
  'optuna>=3.1',
  '',
].join('\n');

const PYTHON_ENV = [
  'python: "3.11"',
  'build_dependencies:',
  '  - pip',
  'dependencies:',
  '  - -r requirements.txt',
  '',
].join('\n');

function mlproject(): string {
  return [
    'name: automl-studio-export',
    'python_env: python_env.yaml',
    'entry_points:',
    '  train:',
    '    parameters:',
    '      train: path',
    '      predict: {type: string, default: ""}',
    '      out: {type: string, default: predictions.csv}',
    '      scheduler: {type: string, default: local}',
    '    command: "python train.py --train {train} --predict \'{predict}\' --out {out} --scheduler {scheduler}"',
    '  tune:',
    '    parameters:',
    '      train: path',
    '      trials: {type: float, default: 20}',
    '      scheduler: {type: string, default: local}',
    '      workers: {type: float, default: 2}',
    '      out: {type: string, default: tuned.json}',
    '    command: "python tune.py --train {train} --trials {trials} --scheduler {scheduler} --workers {workers} --out {out}"',
    '',
  ].join('\n');
}

function readme(
  bundle: LoadedBundle,
  kept: readonly Translated[],
  leftOut: readonly LeftOut[],
  opts: PythonProjectOptions,
  search: TuneSettings,
): string {
  const m = bundle.manifest;
  const top = kept[0]!;
  const chosen = top.chosen;
  const member = chosen.member;
  const ensemble = kept.length > 1;
  const stepLines = (t: Translated): string[] => {
    const described = t.chosen.member
      ? t.chosen.pipeline.spec.steps.map((s) => `${s.kind}: ${s.columns.join(', ')}`)
      : m.pipeline.steps;
    return described.length ? described.map((s) => `- ${s}`) : ['- (none)'];
  };
  const what = ensemble
    ? `${member?.of ?? kept.length}-model ensemble`
    : member
      ? member.of > 1
        ? `${chosen.family} model of trial ${member.trial ?? '?'}, the only member of the ${member.of}-model ensemble with a Python translation`
        : `${chosen.family} model of trial ${member.trial ?? '?'} (the search's final model)`
      : `${m.model.family} model`;
  const library = (t: Translated): string => (t.chosen.family === 'gbdt' ? 'XGBoost' : 'scikit-learn');
  const libraries = [...new Set(kept.map(library))].join(' and ');
  const notRefitted = new Set(
    (m.search?.clock?.refit ?? []).filter((r) => r.action === 'holdout').map((r) => r.trial),
  );
  const fromHoldout = kept.filter((t) => notRefitted.has(t.chosen.member?.trial ?? -1));
  const diffs = [
    ...new Set(kept.flatMap((t) => t.family.diffs)),
    ...(fromHoldout.length
      ? [
          `The search ran out of time before refitting ${fromHoldout.map((t) => `trial ${t.chosen.member!.trial}`).join(', ')} on all ` +
            "rows, so the bundle keeps that model as trained on its validation split's training rows; train.py " +
            'trains it on all the rows of `--train`, so it usually scores a little better than the bundle.',
        ]
      : []),
  ];
  const modelPart = ensemble
    ? [
        `The ${kept.length} models below are each trained on the rows with their own preprocessing; the project`,
        "predicts their weighted average of probabilities (or values), as the studio's ensemble does:",
        '',
        ...kept.flatMap((t, k) => [
          `### Member ${k + 1}: trial ${t.chosen.member?.trial ?? '?'} (${t.chosen.family}), weight ${t.share.toFixed(3)}`,
          '',
          'Preprocessing, in order (each step fitted on the training rows):',
          '',
          ...stepLines(t),
          '',
          t.family.modelLine,
          '',
        ]),
      ]
    : [
        'Preprocessing, in order (each step fitted on the training rows; settings in `settings.json`):',
        '',
        ...stepLines(top),
        '',
        top.family.modelLine,
        '',
      ];
  return [
    `# ${m.task} model on '${m.target}' — AutoML Studio export`,
    '',
    `A Python project that trains again the ${what} of the AutoML Studio bundle \`${opts.source}\``,
    `(manifest SHA-256 \`${opts.manifestSha256}\`, created ${m.createdAt}, trained on \`${m.dataset.name}\`,`,
    `${m.dataset.rows} rows, SHA-256 \`${m.dataset.sha256}\`). It is not the bundle's model: it rebuilds the same`,
    `preprocessing with pandas, fitted on the rows you give it, and trains the model${ensemble ? 's' : ''} with ${libraries}`,
    "using the bundle's hyperparameters, so its scores are close to the bundle's, not bit-identical.",
    ...(leftOut.length
      ? [
          '',
          `Left out of the ensemble (no faithful Python translation; the other members' weights are scaled up to sum to 1):`,
          '',
          ...leftOut.map(
            (l) => `- trial ${l.trial ?? '?'} (${l.family}, weight ${l.weight.toFixed(3)}): ${l.reason}`,
          ),
          '',
          "Expect the project's score to be a little below the studio ensemble's.",
        ]
      : []),
    '',
    '## Run',
    '',
    '```sh',
    'pip install -r requirements.txt',
    'python train.py --train data.csv --predict new.csv --out predictions.csv',
    'python train.py --train data.csv --scheduler none              # plain xgboost, no Dask',
    'python train.py --train data.csv --scheduler tcp://host:8786   # an existing Dask cluster',
    'python train.py --train s3://bucket/big.csv --blocksize 32MB    # any fsspec URL, read in 32 MB blocks',
    'mlflow run . -P train=data.csv -P predict=new.csv              # as an MLflow project',
    'python tune.py --train data.csv --trials 40                    # search again (Optuna, Dask)',
    'python train.py --settings tuned.json --train data.csv         # train the best trial',
    '```',
    '',
    '`--scheduler local` (the default) starts a Dask `LocalCluster` (2 workers, 1 thread each, in this process);',
    'an address uses that cluster. With a scheduler, memory is bounded by partitions: `--train` (a path or any',
    'fsspec URL) is read by `dask.dataframe.read_csv` in blocks of `--blocksize` bytes (default 64MB); each',
    "preprocessing step's statistics (label counts, means and scaling moments, target-encoding sums per level)",
    'are reduced partition by partition, each transform runs on each partition, and the gradient-boosted trees',
    'train with `xgboost.dask` (`DaskDMatrix` on the workers). Exceptions: the median of `impute` is approximate',
    "over Dask (the partitions' percentiles merged); target encoding's out-of-fold folds are drawn per partition",
    "(not the pandas path's folds); random forests, linear models and MLPs have no distributed trainer, so their",
    'features are collected into the driver (train.py says so); `--predict` is read, predicted and written',
    "block by block in the file's order (the driver keeps only each row's prediction and known target, to score).",
    '`--scheduler none` reads with pandas and trains in this process. The training',
    'CSV needs the target column; the columns the bundle read are',
    `${[...new Map(kept.flatMap((t) => t.chosen.pipeline.inputs.map((c) => [c.name, c] as const))).values()].map((c) => `\`${c.name}\` (${c.type})`).join(', ')}.`,
    '`--model FILE` also saves the model (XGBoost JSON, the linear or MLP weights as JSON, or a pickle of a forest' +
      (ensemble ? '; one file per member, `FILE` with `.member1`, `.member2`… before its extension).' : ').'),
    '',
    'The predictions CSV has the format of `automl-studio predict`: ' +
      (m.task === 'regression'
        ? 'one `prediction` column.'
        : `one probability column per class (${(m.classes ?? []).join(', ')}) and \`prediction\`` +
          (m.task === 'binary'
            ? ` (${m.decision?.positiveClass ?? m.positiveClass} from probability ${m.decision?.threshold ?? 0.5}).`
            : ' (the most probable class).')),
    "When the `--predict` CSV has the target column, train.py also scores the predictions (the experiment's",
    'metric and the usual ones), prints them and writes them to `--metrics` (default `metrics.json` beside `--out`).',
    '',
    '**MLflow:** when `mlflow` is importable, train.py logs its parameters (the settings), the metrics, the',
    'predictions and the model file(s) to an MLflow run (`MLFLOW_TRACKING_URI` as usual; `--no-mlflow` to skip).',
    'mlflow is optional: it is not in requirements.txt.',
    '',
    '## What it does',
    '',
    ...modelPart,
    ...tuneReadme(search),
    '## What differs from the bundle',
    '',
    ...diffs.map((d) => `- ${d}`),
    '',
    `Steps without a pandas translation are refused when exporting; train.py itself stops with an \`error:\``,
    'line (exit status 2) on a step it does not know, a missing column or an unknown class label.',
    '',
  ].join('\n');
}

/** The README's section on tune.py. */
function tuneReadme(search: TuneSettings): string[] {
  const families = Object.keys(search.families);
  const split =
    search.split.strategy === 'kfold'
      ? `${search.split.folds} folds${search.split.stratified ? ' stratified by class' : ''}, seed ${search.split.seed}`
      : `a holdout of ${search.split.validFraction ?? 0.2} of the rows${search.split.stratified ? ' stratified by class' : ''}, seed ${search.split.seed}`;
  return [
    '## Tuning (tune.py)',
    '',
    search.from === 'automl'
      ? "`tune.py` runs the experiment's search again as an Optuna study:"
      : "The bundle was trained by `fit` (no search recorded): `tune.py` searches its family's space with the studio's defaults:",
    '',
    `- families: ${families.join(', ') || '(none)'}; the ranges are the studio's (\`settings.json\`, \`search.families\`);`,
    `- metric: ${search.metric} (${search.direction}), on ${split} (the same plan, not the same rows: the folds`,
    "  come from scikit-learn's shuffling), the pipeline fitted on each fold's training rows;",
    `- sampler: Optuna's TPE, seed ${search.seed}` +
      (search.families.gbdt
        ? `; a gbdt trial trains up to ${search.families.gbdt.maxRounds} rounds with early stopping on the fold`
        : ''),
    ...(search.families.gbdt
      ? ["  (patience ≈ 2.5 / learning rate, within [40, 250]); the rounds kept are the folds' mean."]
      : []),
    ...(search.families.linear
      ? [
          `- linear trials search l1, l2${search.families.linear.params.some((p) => (p as { name: string }).name === 'classWeight') ? ' and class weights' : ''} (scikit-learn solves exactly: the studio’s`,
          '  learning rate and batch size do not apply);',
        ]
      : []),
    ...(search.families.random_forest
      ? [
          `- random_forest trials train ${search.families.random_forest.trees} trees (the studio's most; no halving on the trees);`,
        ]
      : []),
    ...(search.families.mlp
      ? [
          `- mlp trials train train.py's NumPy net up to ${search.families.mlp.maxEpochs} epochs, stopped after ${search.families.mlp.epochPatience}`,
          "  without a better validation loss (the best epoch is scored; the tuned net trains the folds' mean",
          '  best epoch); learned embeddings are not searched (train.py has none);',
        ]
      : []),
    ...(search.leftOut.length
      ? [`- not searched: ${search.leftOut.join(', ')} (tune.py says so when it starts).`]
      : []),
    '',
    '`--scheduler none` runs the trials in this process, one after another: the same trials every time.',
    '`--scheduler local` (default) starts a Dask `LocalCluster` of `--workers` workers and runs one optimize',
    "loop per worker on one study shared through Optuna's Dask integration (`optuna.integration.DaskStorage`:",
    'the Dask scheduler holds the trials), or through `--storage URL` (any Optuna storage, e.g. `sqlite:///tune.db`);',
    'each loop has its own TPE seed (seed + k), so a parallel search is not repeatable trial for trial.',
    '`--scheduler tcp://host:8786` does the same on an existing cluster (train.py is uploaded to its workers).',
    'Successive halving is not run: every trial trains to its early stop. `--out` (default `tuned.json`) is',
    "train.py's settings with the best trial's parameters and rounds.",
    '',
  ];
}
