/**
 * A model bundle as one ONNX graph (issue 19): the raw input columns → every pipeline step → the model
 * (or each ensemble member through its own pipeline, weighted and summed) → the outputs.
 *
 * Inputs: one 1-D tensor [N] per column the model reads, named as the column (MLflow's ONNX flavor
 * feeds `df[name].values` this way): double for numbers (integer, numeric; booleans as 1/0; dates as
 * epoch milliseconds UTC), string for categories ('' = missing). NaN = a missing number.
 * Outputs: classification — `label` (string [N], the predicted class, by the bundle's decision
 * threshold for binary models, else the most probable class) and `probabilities` (double [N, K], one
 * column per class in the manifest's class order); regression — `variable` (double [N, 1]).
 * Operators: ai.onnx opset 17 and ai.onnx.ml opset 3 (IR version 8), which Debian's onnx 1.12 checker
 * and onnxruntime accept. Anything without a faithful translation throws `OnnxExportError`.
 */
import type { SemanticType } from '../../data/table.ts';
import type { LoadedBundle } from '../bundle.ts';
import { EnsembleModel } from '../../search/ensemble.ts';
import type { FittedPipeline } from '../../pipeline/pipeline.ts';
import { encodeModel, DT } from './protobuf.ts';
import { GraphBuilder, ML_DOMAIN, ONNX_ML_OPSET, ONNX_OPSET, OnnxExportError, attr } from './builder.ts';
import {
  GraphInputs,
  translatePipeline,
  type InputKind,
  type NumericInput,
  type PipelineFeatures,
} from './pipeline.ts';
import { translateModel } from './models.ts';

export { OnnxExportError } from './builder.ts';
export type { InputKind, NumericInput } from './pipeline.ts';

export const ONNX_IR_VERSION = 8;
export const OUTPUT_NAMES = ['label', 'probabilities', 'variable'] as const;

export interface OnnxExport {
  /** The .onnx file's bytes. */
  readonly bytes: Uint8Array;
  /** The graph's inputs, in order: column name, its type in the bundle, and the tensor type. */
  readonly inputs: readonly {
    readonly name: string;
    readonly type: SemanticType;
    readonly kind: InputKind;
  }[];
  readonly outputs: readonly string[];
}

export interface OnnxExportOptions {
  /** producer_version written into the model (the studio's version). */
  readonly producerVersion?: string;
  /**
   * One value per row in every output, as MLflow's ONNX loader needs (it flattens each output into a
   * column): classification gives `label` and one double [N] output per class, `probability(<class>)`,
   * instead of the `probabilities` matrix; regression gives `variable` as [N].
   */
  readonly perRowOutputs?: boolean;
  /**
   * The tensor type of number inputs (numbers and booleans; dates stay double): `double` (default)
   * or `float32`, cast to double as the graph's first step, for runtimes and callers that hold
   * float32 data. A number that float32 cannot hold exactly (0.1, an integer over 2^24) is rounded
   * to the nearest float32 before the graph sees it.
   */
  readonly inputType?: NumericInput;
}

/** The name of a class's probability output with `perRowOutputs`. */
export const probabilityOutput = (label: string) => `probability(${label})`;

/** Exports a loaded bundle as an ONNX model; throws OnnxExportError naming what cannot be translated. */
export function bundleToOnnx(bundle: LoadedBundle, options: OnnxExportOptions = {}): OnnxExport {
  const m = bundle.manifest;
  const types = new Map(m.signature.inputs.map((c) => [c.name, c.type] as const));
  for (const name of OUTPUT_NAMES)
    if (types.has(name))
      throw new OnnxExportError(
        'signature',
        `the input column '${name}' has the name of an ONNX output (${OUTPUT_NAMES.join(', ')}): rename it before training to export`,
      );
  const perRow = options.perRowOutputs === true;
  const classNames = perRow ? (m.classes ?? []).map(probabilityOutput) : [];
  for (const name of classNames)
    if (types.has(name))
      throw new OnnxExportError('signature', `the input column '${name}' has the name of an ONNX output`);
  const g = new GraphBuilder([...types.keys(), ...OUTPUT_NAMES, ...classNames]);
  const inputType = options.inputType ?? 'double';
  if (inputType !== 'double' && inputType !== 'float32')
    throw new OnnxExportError('inputs', `input type '${String(inputType)}': use double or float32`);
  const inputs = new GraphInputs(g, types, inputType);
  const cache = new Map<FittedPipeline, PipelineFeatures>();
  const features = (p: FittedPipeline) => {
    let f = cache.get(p);
    if (!f) {
      f = translatePipeline(g, p, inputs);
      cache.set(p, f);
    }
    return f;
  };

  let pred: string;
  if (bundle.pipeline) pred = translateModel(g, bundle.model, features(bundle.pipeline));
  else if (bundle.model instanceof EnsembleModel) {
    const ens = bundle.model;
    const terms: string[] = [];
    for (const member of ens.members) {
      if (member.weight === 0) continue;
      const p = translateModel(g, member.model, features(ens.pipelines[member.pipeline]));
      terms.push(g.mul(g.double(member.weight), p));
    }
    if (!terms.length) throw new OnnxExportError('ensemble', 'every member of the ensemble has weight 0');
    // 0 + w0·p0 + w1·p1 + …, in member order, as EnsembleModel.combine
    pred = terms.reduce((acc, t) => g.add(acc, t));
  } else throw new OnnxExportError(m.model.family, 'the bundle has no pipeline for its model');

  const outputs: string[] = [];
  if (m.task === 'regression') {
    if (perRow) g.node('Reshape', [pred, g.int64([-1])], {}, { output: 'variable' });
    else g.node('Identity', [pred], {}, { output: 'variable' });
    g.outputs.push({
      name: 'variable',
      type: DT.DOUBLE,
      dims: perRow ? ['N'] : ['N', 1],
      doc: 'the predicted value',
    });
    outputs.push('variable');
  } else {
    const classes = m.classes;
    if (!classes) throw new OnnxExportError('manifest', 'a classification bundle without its class labels');
    const k = classes.length;
    let index: string;
    const d = m.decision;
    if (m.task === 'binary' && d && classes.length === 2) {
      const pos = classes.indexOf(d.positiveClass);
      if (pos < 0)
        throw new OnnxExportError('decision', `the positive class '${d.positiveClass}' is not a class`);
      const p1 = g.reshape(g.columns(pred, [1]), [-1]);
      const pk = pos === 1 ? p1 : g.sub(g.double(1), p1);
      const yes = g.op('GreaterOrEqual', [pk, g.double(d.threshold)]);
      index = g.where(yes, g.int64(pos), g.int64(1 - pos));
    } else {
      index = g.op('ArgMax', [pred], { axis: attr.int(1), keepdims: attr.int(0) });
    }
    g.node(
      'Gather',
      [g.constant(DT.STRING, [k], classes), index],
      { axis: attr.int(0) },
      { output: 'label' },
    );
    g.outputs.push({ name: 'label', type: DT.STRING, dims: ['N'], doc: 'the predicted class' });
    outputs.push('label');
    if (perRow) {
      classes.forEach((c, j) => {
        const name = classNames[j];
        g.node('Reshape', [g.columns(pred, [j]), g.int64([-1])], {}, { output: name });
        g.outputs.push({ name, type: DT.DOUBLE, dims: ['N'], doc: `probability of the class ${c}` });
        outputs.push(name);
      });
    } else {
      g.node('Identity', [pred], {}, { output: 'probabilities' });
      g.outputs.push({
        name: 'probabilities',
        type: DT.DOUBLE,
        dims: ['N', k],
        doc: `probability of each class, columns in this order: ${classes.join(', ')}`,
      });
      outputs.push('probabilities');
    }
  }

  const metadata: Record<string, string> = {
    task: m.task,
    target: m.target,
    family: m.model.family,
    inputs: JSON.stringify(inputs.used.map((c) => ({ name: c.name, type: c.type, tensor: c.kind }))),
    input_type: inputType,
  };
  if (m.classes) metadata.classes = JSON.stringify(m.classes);
  if (m.decision)
    metadata.decision = JSON.stringify({
      positiveClass: m.decision.positiveClass,
      threshold: m.decision.threshold,
    });
  const bytes = encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsets: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
    ],
    producerName: 'automl-studio',
    producerVersion: options.producerVersion ?? m.app.version,
    doc: `${m.model.family} model of '${m.target}' (${m.task}) with its preprocessing, exported by AutoML Studio`,
    metadata,
    graph: g.graph(
      'automl_studio',
      inputType === 'float32'
        ? 'Inputs: one 1-D tensor per column (float32, cast to double in the graph: numbers, booleans 1/0, NaN = missing; double: dates as epoch ms UTC; string: categories, empty = missing).'
        : 'Inputs: one 1-D tensor per column (double: numbers, booleans 1/0, dates as epoch ms UTC, NaN = missing; string: categories, empty = missing).',
    ),
  });
  return { bytes, inputs: inputs.used, outputs };
}

/**
 * A fitted pipeline alone as an ONNX graph: the raw columns → `features`, double [N, F] (the float32
 * values the model reads, columns in the pipeline's layout order, category codes as numbers, NaN =
 * missing). For checking the translation step by step, and for feeding another runtime's model.
 */
export function pipelineToOnnx(
  pipeline: FittedPipeline,
  types: ReadonlyMap<string, SemanticType>,
): OnnxExport {
  const g = new GraphBuilder([...types.keys(), 'features']);
  const inputs = new GraphInputs(g, types);
  const f = translatePipeline(g, pipeline, inputs);
  g.node('Identity', [f.X], {}, { output: 'features' });
  g.outputs.push({ name: 'features', type: DT.DOUBLE, dims: ['N', f.nFeatures] });
  const bytes = encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsets: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
    ],
    producerName: 'automl-studio',
    producerVersion: '0',
    graph: g.graph('automl_studio_pipeline'),
  });
  return { bytes, inputs: inputs.used, outputs: ['features'] };
}
