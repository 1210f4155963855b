/**
 * A bundle as an MLflow model directory (issue 19), following MLflow's `MLmodel` schema as its
 * `Model.save` writes it (mlflow/models/model.py, mlflow/onnx/__init__.py: `save_model`):
 *
 *   MLmodel                     YAML: the `onnx` flavor (data: model.onnx) and a `python_function`
 *                               flavor loading it through `mlflow.onnx`; the signature as MLflow column
 *                               specs; the input example's info; creation time and a model UUID
 *   model.onnx                  the whole pipeline as one ONNX graph (given by the ONNX exporter)
 *   input_example.json          the bundle's example rows, pandas "split" orient
 *   serving_input_example.json  the same as a /invocations body ({"dataframe_split": …})
 *   requirements.txt, python_env.yaml, conda.yaml   the Python environment
 *   automl-studio/manifest.json (and the other bundle files)   our bundle beside it
 *
 * How MLflow's ONNX pyfunc feeds a DataFrame (mlflow/onnx `_OnnxModelWrapper.predict`): with more than
 * one graph input, `{name: df[name].values}` — one 1-D array per column, so the graph's inputs must be
 * 1-D (`[N]`) tensors named as the columns; each output is flattened (`reshape(-1)`) and the outputs
 * become DataFrame columns, so every output must have one element per row (a label, a value, or a
 * ZipMap of class → probability), never an `[N, K]` matrix.
 */
import type { SemanticType } from '../data/table.ts';
import { bytesSource, ingestCsv } from '../ingest/index.ts';
import { cellText, isMissing } from '../data/table.ts';
import { signatureTypes, type LoadedBundle } from './bundle.ts';

/** MLflow's column types (mlflow.types.DataType) for ours. */
export const MLFLOW_COLUMN_TYPES: Readonly<Record<SemanticType, string>> = {
  numeric: 'double',
  integer: 'long',
  boolean: 'boolean',
  datetime: 'datetime',
  categorical: 'string',
  text: 'string',
  id: 'string',
};

/** Versions the environment files name: Debian's python3-onnx is 1.12 (the checker the tests run). */
export const MLFLOW_REQUIREMENTS = [
  'mlflow>=2.4,<3',
  'onnx>=1.12',
  'onnxruntime>=1.12',
  'numpy',
  'pandas',
] as const;
export const MLFLOW_PYTHON_VERSION = '3.11';
export const BUNDLE_SUBDIR = 'automl-studio';

export interface MlflowExportOptions {
  /** UTC time of creation (passed in so the files are a pure function of their inputs). */
  readonly createdAt: Date;
  /** 32 hex digits, as MLflow's `uuid.uuid4().hex`. */
  readonly modelUuid: string;
  /** The ONNX graph's bytes (from the ONNX exporter); its size goes into `model_size_bytes`. */
  readonly onnx: Uint8Array;
  /** The onnx package version the graph was checked with. */
  readonly onnxVersion?: string;
}

export interface ColumnSpec {
  readonly type: string;
  readonly name: string;
  readonly required: boolean;
}

/** The signature's inputs as MLflow column specs (the model's columns and their types). */
export function mlflowInputs(bundle: LoadedBundle): ColumnSpec[] {
  return bundle.manifest.signature.inputs.map((c) => ({
    type: MLFLOW_COLUMN_TYPES[c.type],
    name: c.name,
    required: true,
  }));
}

/**
 * The graph's per-row outputs as MLflow column specs: regression `variable`; classification `label`
 * and one `probability(<class>)` per class (the graph exported with `perRowOutputs`, whose names
 * `probabilityOutput` gives — repeated here so that this module needs no ONNX code).
 */
export function mlflowOutputs(bundle: LoadedBundle): ColumnSpec[] {
  const m = bundle.manifest;
  if (m.task === 'regression') return [{ type: 'double', name: 'variable', required: true }];
  return [
    { type: 'string', name: 'label', required: true },
    ...(m.classes ?? []).map((c) => ({ type: 'double', name: `probability(${c})`, required: true })),
  ];
}

/** A YAML double-quoted scalar (a JSON string is one). */
const q = (s: string) => JSON.stringify(s);

/** `YYYY-MM-DD HH:MM:SS.ffffff`, as MLflow writes `utc_time_created`. */
function mlflowTime(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/** The example rows (input_example.csv, read with the model's types) in pandas "split" orient. */
export async function inputExample(
  bundle: LoadedBundle,
  csv: string | undefined,
): Promise<{ columns: string[]; data: (string | number | boolean | null)[][] } | null> {
  if (csv === undefined) return null;
  const data = await ingestCsv(bytesSource('input_example.csv', new TextEncoder().encode(csv)), {
    typeOverrides: signatureTypes(bundle),
    delimiter: ',',
    hasHeader: true,
    encoding: 'utf-8',
  });
  const wanted = new Set(bundle.manifest.signature.inputs.map((c) => c.name));
  const cols = data.table.columns.filter((c) => wanted.has(c.name));
  const rows: (string | number | boolean | null)[][] = [];
  for (let i = 0; i < data.table.nRows; i++)
    rows.push(
      cols.map((c) => {
        if (isMissing(c, i)) return null;
        if (c.storage === 'float64') return c.values[i];
        if (c.storage === 'bool') return c.values[i] === 1;
        return cellText(c, i);
      }),
    );
  return { columns: cols.map((c) => c.name), data: rows };
}

/**
 * The files of the MLflow model directory, by path (text, or bytes for model.onnx). `bundleFiles` are
 * the bundle's own files; they go under automl-studio/.
 */
export async function mlflowModelFiles(
  bundle: LoadedBundle,
  bundleFiles: Readonly<Record<string, string | undefined>>,
  options: MlflowExportOptions,
): Promise<Record<string, string | Uint8Array>> {
  if (!/^[0-9a-f]{32}$/.test(options.modelUuid)) throw new Error('modelUuid must be 32 lowercase hex digits');
  const example = await inputExample(bundle, bundleFiles['input_example.csv']);
  const files: Record<string, string | Uint8Array> = {};
  files['model.onnx'] = options.onnx;
  if (example) {
    files['input_example.json'] = JSON.stringify(example) + '\n';
    files['serving_input_example.json'] = JSON.stringify({ dataframe_split: example }, null, 2) + '\n';
  }
  files['requirements.txt'] = MLFLOW_REQUIREMENTS.join('\n') + '\n';
  files['python_env.yaml'] = [
    `python: ${q(MLFLOW_PYTHON_VERSION)}`, // quoted: a bare 3.11 is a YAML float
    'build_dependencies:',
    '- pip',
    '- setuptools',
    '- wheel',
    'dependencies:',
    '- -r requirements.txt',
    '',
  ].join('\n');
  files['conda.yaml'] = [
    'channels:',
    '- conda-forge',
    'dependencies:',
    `- python=${MLFLOW_PYTHON_VERSION}`,
    '- pip',
    '- pip:',
    ...MLFLOW_REQUIREMENTS.map((r) => `  - ${q(r)}`),
    'name: mlflow-env',
    '',
  ].join('\n');
  for (const [name, text] of Object.entries(bundleFiles))
    if (text !== undefined) files[`${BUNDLE_SUBDIR}/${name}`] = text;

  const m = bundle.manifest;
  const onnxVersion = options.onnxVersion ?? '1.12.0';
  const lines = [
    'flavors:',
    '  onnx:',
    '    code: null',
    '    data: model.onnx',
    `    onnx_version: ${q(onnxVersion)}`,
    '    onnx_session_options: null',
    '    providers:',
    '    - CPUExecutionProvider',
    '  python_function:',
    '    data: model.onnx',
    '    env:',
    '      conda: conda.yaml',
    '      virtualenv: python_env.yaml',
    '    loader_module: mlflow.onnx',
    `    python_version: ${q(MLFLOW_PYTHON_VERSION)}`,
    'metadata:',
    `  automl_studio_bundle: ${q(`${BUNDLE_SUBDIR}/manifest.json`)}`,
    `  task: ${q(m.task)}`,
    `  target: ${q(m.target)}`,
    `  family: ${q(m.model.family)}`,
    ...(m.classes ? ['  classes:', ...m.classes.map((c) => `  - ${q(c)}`)] : []),
    ...(m.decision
      ? [
          '  decision:',
          `    positive_class: ${q(m.decision.positiveClass)}`,
          `    threshold: ${m.decision.threshold}`,
        ]
      : []),
    `model_size_bytes: ${Object.values(files).reduce((s, f) => s + (typeof f === 'string' ? new TextEncoder().encode(f).length : f.length), 0)}`,
    `model_uuid: ${options.modelUuid}`,
    ...(example
      ? [
          'saved_input_example_info:',
          '  artifact_path: input_example.json',
          '  pandas_orient: split',
          '  serving_input_path: serving_input_example.json',
          '  type: dataframe',
        ]
      : []),
    'signature:',
    `  inputs: ${q(JSON.stringify(mlflowInputs(bundle)))}`,
    `  outputs: ${q(JSON.stringify(mlflowOutputs(bundle)))}`,
    '  params: null',
    `utc_time_created: ${q(mlflowTime(options.createdAt))}`,
    '',
  ];
  files.MLmodel = lines.join('\n');
  return files;
}
