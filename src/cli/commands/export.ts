import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

const FORMATS = ['zip', 'xgboost', 'onnx', 'mlflow', 'python'] as const;

export const exportCommand: Command = {
  name: 'export',
  summary:
    'Pack a model bundle folder into a .zip, or write it as an ONNX graph, an MLflow model directory or (GBDT) an XGBoost JSON model.',
  usage: [
    'export <bundle-dir> --out <model.zip>',
    'export <bundle-dir|model.zip> --format xgboost --out <model.json> [--data <data.csv> --features <X.csv>]',
    '',
    '  zip (default): writes the bundle as one zip: manifest.json, pipeline.json (not for an ensemble),',
    '  model.json, metrics.json, signature.json, input_example.csv (when the folder has it), MODEL_CARD.md',
    '  and predict.mjs. A format 1 folder is upgraded to format 2 on the way (fields it never recorded are',
    "  marked 'unknown').",
    '',
    'export <bundle-dir|model.zip> --format onnx --out <model.onnx> [--onnx-input-type double|float32]',
    'export <bundle-dir|model.zip> --format mlflow --out <dir>',
    'export <bundle-dir|model.zip> --format python --out <dir>',
    '',
    '  onnx: the whole model — every pipeline step and the model, or each ensemble member with its own',
    '  pipeline — as one ONNX graph (opset 17, ai.onnx.ml 3) that onnxruntime runs with the same',
    '  predictions. Inputs: one 1-D tensor per column, named as the column: double for numbers (booleans',
    "  1/0, dates as epoch milliseconds UTC, NaN = missing), string for categories ('' = missing).",
    '  Outputs: label (string) and probabilities (double, one column per class) for classification,',
    '  variable (double) for regression. Date parts are computed in the graph. A step or model without',
    '  an exact translation (e.g. an encoder applied to a numeric column) is refused, naming it.',
    '  --onnx-input-type float32: number and boolean inputs are float32 tensors, cast to double as the',
    "  graph's first step (dates stay double: epoch milliseconds need more than float32's 24 bits);",
    '  values float32 cannot hold exactly are rounded to the nearest float32 by the caller. Default double.',
    '',
    '  mlflow: an MLflow model directory (MLmodel with the onnx and python_function flavors, the',
    '  signature, input example, environment files, model.onnx and our bundle under automl-studio/).',
    "  For MLflow's ONNX loader every output has one value per row: classification gives label and",
    '  one probability output per class, probability(<class>).',
    '',
    "  xgboost: writes the bundle's gradient-boosted trees in XGBoost 1.7's JSON model format, for",
    '  xgboost.Booster(model_file=...): trees, base score, objective, categorical splits, feature names and',
    "  types. The model reads the pipeline's features, not the raw columns: with --data and --features the",
    "  data are put through the bundle's pipeline and written as a CSV of those features (header = the",
    '  feature names, category codes as numbers, missing values empty) to feed the Booster. Random forests,',
    '  the Huber objective, linear models, MLPs and ensembles have no exact XGBoost form and are refused.',
    '',
    '  python: a Python project (MLproject, python_env.yaml, requirements.txt, README.md, settings.json,',
    "  train.py, tune.py) that trains the model again: the bundle's preprocessing rebuilt with pandas and",
    "  fitted on the training rows, then XGBoost with the bundle's hyperparameters on a Dask LocalCluster",
    '  by default (a linear model: scikit-learn; an AutoML ensemble: its heaviest member):',
    '  python train.py --train data.csv [--predict new.csv --out predictions.csv] [--scheduler local|none|ADDRESS];',
    "  python tune.py --train data.csv --trials N searches the experiment's space again with Optuna.",
    '  Close to the bundle, not bit-identical. MLPs and random forests are refused.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        format: { type: 'string', default: 'zip' },
        data: { type: 'string' },
        features: { type: 'string' },
        'onnx-input-type': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new CliError('export takes one bundle');
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format))
      throw new CliError(`--format ${values.format}: unknown format (one of ${FORMATS.join(', ')})`);
    const ext = { zip: 'FILE.zip', xgboost: 'FILE.json', onnx: 'FILE.onnx', mlflow: 'DIR', python: 'DIR' }[
      format
    ];
    if (!values.out) throw new CliError(`export needs --out ${ext}`);
    const [path] = positionals as [string];
    if (format === 'xgboost') return exportXgboost(path, values.out, values.data, values.features, io);
    if (values.data || values.features) throw new CliError('--data and --features go with --format xgboost');
    const inputType = values['onnx-input-type'];
    if (inputType !== undefined && format !== 'onnx')
      throw new CliError('--onnx-input-type goes with --format onnx');
    if (inputType !== undefined && inputType !== 'double' && inputType !== 'float32')
      throw new CliError(`--onnx-input-type ${inputType}: use double or float32`);
    if (format === 'onnx') return exportOnnx(path, values.out, io, inputType ?? 'double');
    if (format === 'mlflow') return exportMlflow(path, values.out, io);
    if (format === 'python') return exportPython(path, values.out, io);
    if (!values.out.toLowerCase().endsWith('.zip'))
      throw new CliError(`--out must name a .zip file, got '${values.out}'`);
    const { BundleError, loadBundle } = await import('../../core/export/bundle.ts');
    const { exportBundleFiles } = await import('../../core/export/package.ts');
    const { readBundleDir, writeBundle, buildScorerSource } = await import('../bundle-io.ts');
    const files = readBundleDir(path);
    let out: Record<string, string>;
    try {
      loadBundle(files); // the model must load before it is shipped
      out = exportBundleFiles(files, { scorer: await buildScorerSource() });
    } catch (err) {
      if (err instanceof BundleError) throw new CliError(`${err.message} (${path})`);
      throw err;
    }
    writeBundle(values.out, out);
    io.stdout(`wrote ${values.out} (${Object.keys(out).join(', ')})\n`);
    return 0;
  },
};

async function exportXgboost(
  path: string,
  out: string,
  data: string | undefined,
  features: string | undefined,
  io: { stdout(text: string): void },
): Promise<number> {
  if (!out.toLowerCase().endsWith('.json')) throw new CliError(`--out must name a .json file, got '${out}'`);
  if (Boolean(data) !== Boolean(features)) throw new CliError('--data and --features go together');
  const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
  const { GbdtModel } = await import('../../core/models/gbdt/booster.ts');
  const { gbdtToXgboostJson, xgboostJsonText, XgboostExportError } =
    await import('../../core/explain/xgboost-json.ts');
  const { bundle } = await loadVerifiedBundleArg(path);
  const family = bundle.manifest.model.family;
  if (!bundle.pipeline) {
    throw new CliError(
      `${path} holds an ensemble (several models averaged): XGBoost's format holds one booster; export a GBDT bundle instead`,
    );
  }
  if (!(bundle.model instanceof GbdtModel)) {
    throw new CliError(`${path} holds a ${family} model: only gradient-boosted trees export to XGBoost`);
  }
  let text: string;
  try {
    text = xgboostJsonText(gbdtToXgboostJson(bundle.model));
  } catch (err) {
    if (err instanceof XgboostExportError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
  writeFileSync(out, text);
  io.stdout(`wrote ${out} (XGBoost 1.7 JSON: ${bundle.model.featureNames.length} features, ${family})\n`);
  if (data && features) {
    const { fileSource, nodeHasher } = await import('../node-io.ts');
    const { readForScoring } = await import('../../core/export/score.ts');
    const { transformTable } = await import('../../core/pipeline/pipeline.ts');
    const { featureMatrixCsv } = await import('../../core/explain/xgboost-json.ts');
    const { data: read } = await readForScoring(bundle, fileSource(data), { createHasher: nodeHasher });
    const X = transformTable(bundle.pipeline, read.table);
    writeFileSync(features, featureMatrixCsv(X, bundle.model.featureNames));
    io.stdout(`wrote ${features} (${X.nRows} rows × ${X.nCols} features through the bundle's pipeline)\n`);
  }
  return 0;
}

async function onnxOf(path: string, perRowOutputs: boolean, inputType: 'double' | 'float32' = 'double') {
  const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
  const { bundleToOnnx, OnnxExportError } = await import('../../core/export/onnx/index.ts');
  const { bundle } = await loadVerifiedBundleArg(path);
  try {
    return { bundle, exp: bundleToOnnx(bundle, { perRowOutputs, inputType }) };
  } catch (err) {
    if (err instanceof OnnxExportError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

async function exportOnnx(
  path: string,
  out: string,
  io: { stdout(text: string): void },
  inputType: 'double' | 'float32',
): Promise<number> {
  if (!out.toLowerCase().endsWith('.onnx')) throw new CliError(`--out must name a .onnx file, got '${out}'`);
  const { bundle, exp } = await onnxOf(path, false, inputType);
  writeFileSync(out, exp.bytes);
  const inputs = exp.inputs.map((c) => `${c.name} (${c.kind === 'float' ? 'float32' : c.kind})`).join(', ');
  io.stdout(
    `wrote ${out} (ONNX, ${bundle.manifest.model.family} ${bundle.manifest.task}, ${exp.bytes.length} bytes)\n` +
      `inputs: ${inputs}\noutputs: ${exp.outputs.join(', ')}\n`,
  );
  return 0;
}

async function exportMlflow(path: string, out: string, io: { stdout(text: string): void }): Promise<number> {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new CliError(`--out ${out} exists and is not empty: MLflow writes a new model directory`);
  const { bundle, exp } = await onnxOf(path, true);
  const { readBundleFiles } = await import('../bundle-io.ts');
  const { mlflowModelFiles } = await import('../../core/export/mlflow.ts');
  const { files: bundleFiles } = readBundleFiles(path);
  const files = await mlflowModelFiles(bundle, bundleFiles, {
    createdAt: new Date(),
    modelUuid: randomBytes(16).toString('hex'),
    onnx: exp.bytes,
  });
  for (const [name, content] of Object.entries(files)) {
    const file = join(out, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  io.stdout(`wrote ${out} (MLflow model: ${Object.keys(files).sort().join(', ')})\n`);
  return 0;
}

async function exportPython(path: string, out: string, io: { stdout(text: string): void }): Promise<number> {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new CliError(`--out ${out} exists and is not empty: the Python project goes in a new directory`);
  const { loadVerifiedBundleArg, readBundleFiles } = await import('../bundle-io.ts');
  const { pythonProjectFiles, PythonExportError } = await import('../../core/export/python/index.ts');
  const { bundle } = await loadVerifiedBundleArg(path);
  const manifest = readBundleFiles(path).files['manifest.json'] ?? '';
  let files: Record<string, string>;
  try {
    files = pythonProjectFiles(bundle, {
      manifestSha256: createHash('sha256').update(manifest).digest('hex'),
      source: basename(path),
    });
  } catch (err) {
    if (err instanceof PythonExportError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
  mkdirSync(out, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(out, name), content);
  io.stdout(
    `wrote ${out} (Python project: ${Object.keys(files).sort().join(', ')})\n` +
      `run: python ${join(out, 'train.py')} --train data.csv [--predict new.csv --out predictions.csv]\n`,
  );
  return 0;
}
