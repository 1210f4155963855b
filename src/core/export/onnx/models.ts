/**
 * Fitted models as ONNX nodes, from the feature matrix (double [N, F], the float32 features exactly)
 * to the model's output: probabilities [N, K] (binary: K = 2) or values [N, 1], double.
 *
 * - GBDT and random forests: one ai.onnx.ml `TreeEnsembleRegressor` summing leaf values per output
 *   group, with the thresholds and leaf values as double tensors (`*_as_tensor`), so a split compares
 *   exactly what ours compares; a learned missing-value direction is `nodes_missing_value_tracks_true`;
 *   a categorical split (a set of codes going left) reads an extra 0/1 column looked up from the code
 *   (`Gather` from a per-feature table: 0 = in the set, 1 = not, NaN = missing), split at 0.5. Then the
 *   base score and the link (sigmoid, softmax) or the forest's average, as `GbdtModel.predict`.
 * - Linear models and MLPs: standardisation with the stored means and deviations (missing → 0),
 *   embedding tables by `Gather`, `MatMul` + `Add` per layer (batch norm is already folded into the
 *   layers), ReLU or the tanh-approximated GELU, then sigmoid / softmax / the target's scale.
 */
import type { Fitted, SerializedModel } from '../../models/types.ts';
import { GbdtModel } from '../../models/gbdt/booster.ts';
import type { DenseNetState } from '../../models/nn/state.ts';
import { b64 } from '../../util/base64.ts';
import { DT } from './protobuf.ts';
import { GraphBuilder, ML_DOMAIN, OnnxExportError, attr } from './builder.ts';
import type { PipelineFeatures } from './pipeline.ts';

/** The model's prediction as ours gives it: [N, K] probabilities or [N, 1] values, double. */
export function translateModel(g: GraphBuilder, model: Fitted, features: PipelineFeatures): string {
  if (model.nFeatures !== features.nFeatures)
    throw new OnnxExportError(
      model.family,
      `the model reads ${model.nFeatures} features but its pipeline makes ${features.nFeatures}`,
    );
  if (model instanceof GbdtModel) return treeModel(g, model, features);
  if (model.family === 'linear' || model.family === 'mlp') return denseModel(g, model.toJSON(), features);
  throw new OnnxExportError(
    model.family,
    `model family '${model.family}': no faithful ONNX translation (GBDT, random forest, linear, MLP and their ensembles are translated)`,
  );
}

function treeModel(g: GraphBuilder, model: GbdtModel, features: PipelineFeatures): string {
  const p = model.forest.pack();
  const rounds = model.defaultRounds;
  const nGroups = model.nGroups;
  const nTrees = Math.min(p.nTrees, rounds * nGroups);
  const family = model.family;
  if (nTrees === 0)
    throw new OnnxExportError(family, `the ${family} model has no trees: nothing to translate`);
  const nF = features.nFeatures;

  // Categorical splits: per feature, one 0/1 column per split node (0 = the code goes left).
  const catNodes = new Map<number, number[]>();
  const lastNode = (t: number) => (t + 1 < p.nTrees ? p.treeRoot[t + 1] : p.nNodes);
  for (let node = 0; node < lastNode(nTrees - 1); node++) {
    if (p.left[node] < 0 || p.catStart[node] < 0) continue;
    const f = p.feature[node];
    const list = catNodes.get(f) ?? [];
    list.push(node);
    catNodes.set(f, list);
  }
  const extraFeature = new Map<number, number>();
  const extra: string[] = [];
  let next = nF;
  for (const [f, nodes] of [...catNodes].sort((a, b) => a[0] - b[0])) {
    const nCodes = features.nCategories[f] ?? 0;
    const table = new Float64Array((nCodes + 1) * nodes.length);
    nodes.forEach((node, s) => {
      const cs = p.catStart[node];
      for (let c = 0; c < nCodes; c++) {
        const word = c >> 5;
        const inSet = word < p.catBits[cs] && ((p.catBits[cs + 1 + word] >>> (c & 31)) & 1) === 1;
        table[c * nodes.length + s] = inSet ? 0 : 1;
      }
      table[nCodes * nodes.length + s] = NaN;
      extraFeature.set(node, next + s);
    });
    next += nodes.length;
    // codes are whole numbers in [0, nCodes) or NaN (missing) — the pipeline's lookup makes them so
    const code = g.columns(features.X, [f]);
    const row = g.cast(g.where(g.isNaN(code), g.double(nCodes), code), DT.INT64);
    extra.push(
      g.op('Gather', [g.double(table, [nCodes + 1, nodes.length]), g.reshape(row, [-1])], {
        axis: attr.int(0),
      }),
    );
  }
  const X = extra.length ? g.concat([features.X, ...extra]) : features.X;

  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const tTree: number[] = [];
  const tNode: number[] = [];
  const tTarget: number[] = [];
  const tWeight: number[] = [];
  for (let t = 0; t < nTrees; t++) {
    const lo = p.treeRoot[t];
    const hi = lastNode(t);
    for (let node = lo; node < hi; node++) {
      treeIds.push(t);
      nodeIds.push(node - lo);
      if (p.left[node] < 0) {
        featureIds.push(0);
        modes.push('LEAF');
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        tTree.push(t);
        tNode.push(node - lo);
        tTarget.push(p.treeGroup[t]);
        tWeight.push(p.value[node]);
        continue;
      }
      const cat = p.catStart[node] >= 0;
      featureIds.push(cat ? extraFeature.get(node)! : p.feature[node]);
      modes.push('BRANCH_LEQ');
      values.push(cat ? 0.5 : p.threshold[node]);
      trueIds.push(p.left[node] - lo);
      falseIds.push(p.right[node] - lo);
      missingTrue.push(p.defaultLeft[node] === 1 ? 1 : 0);
    }
  }
  const [sums] = g.node(
    'TreeEnsembleRegressor',
    [X],
    {
      n_targets: attr.int(nGroups),
      aggregate_function: attr.string('SUM'),
      post_transform: attr.string('NONE'),
      nodes_treeids: attr.ints(treeIds),
      nodes_nodeids: attr.ints(nodeIds),
      nodes_featureids: attr.ints(featureIds),
      nodes_modes: attr.strings(modes),
      nodes_values_as_tensor: attr.tensor({ dims: [values.length], type: DT.DOUBLE, data: values }),
      nodes_truenodeids: attr.ints(trueIds),
      nodes_falsenodeids: attr.ints(falseIds),
      nodes_missing_value_tracks_true: attr.ints(missingTrue),
      target_treeids: attr.ints(tTree),
      target_nodeids: attr.ints(tNode),
      target_ids: attr.ints(tTarget),
      target_weights_as_tensor: attr.tensor({ dims: [tWeight.length], type: DT.DOUBLE, data: tWeight }),
    },
    { domain: ML_DOMAIN },
  );
  // [N, nGroups]: the base score (0 for a forest) plus the trees, as predictRaw
  const raw = g.add(g.cast(sums, DT.DOUBLE), g.double(model.baseScore));
  const task = model.task;

  if (model.isForest) {
    const inv = g.double(1 / rounds);
    if (task === 'regression') return g.mul(raw, inv);
    if (task === 'binary') {
      const pr = g.op('Clip', [g.mul(raw, inv), g.double(0), g.double(1)]);
      return g.concat([g.sub(g.double(1), pr), pr]);
    }
    const r = g.op('Relu', [raw]);
    const s = g.op('ReduceSum', [r, g.int64([1])], { keepdims: attr.int(1) });
    return g.where(g.op('Greater', [s, g.double(0)]), g.div(r, s), g.double(1 / model.nClasses));
  }
  const margin = raw;
  switch (model.objective.name) {
    case 'logloss': {
      const pr = g.op('Sigmoid', [margin]);
      return g.concat([g.sub(g.double(1), pr), pr]);
    }
    case 'softmax':
      return g.op('Softmax', [margin], { axis: attr.int(1) });
    case 'squared_error':
    case 'huber':
      return margin;
  }
}

function denseModel(g: GraphBuilder, json: SerializedModel, features: PipelineFeatures): string {
  const family = json.family;
  const state = json.state as DenseNetState;
  const mean = b64.f64(json.inputMean as string, 'inputMean');
  const std = b64.f64(json.inputStd as string, 'inputStd');
  const embedded = state.embeddings ?? [];
  const isEmb = new Set(embedded.map((e) => e.column));
  const numeric = Array.from({ length: features.nFeatures }, (_, j) => j).filter((j) => !isEmb.has(j));
  const parts: string[] = [];
  if (numeric.length) {
    const x = g.columns(features.X, numeric);
    const z = g.div(g.sub(x, g.double(numeric.map((j) => mean[j]))), g.double(numeric.map((j) => std[j])));
    parts.push(g.where(g.isNaN(x), g.double(0), z));
  }
  for (const e of embedded) {
    const code = g.columns(features.X, [e.column]);
    // embeddingRow: the code when it is a whole number in [0, nCategories), else the reserved row
    const bad = g.op('Or', [
      g.isNaN(code),
      g.op('Or', [
        g.op('Less', [code, g.double(0)]),
        g.op('Not', [g.op('Less', [code, g.double(e.nCategories)])]),
      ]),
    ]);
    const row = g.cast(g.where(bad, g.double(e.nCategories), g.op('Floor', [code])), DT.INT64);
    const table = Float64Array.from(b64.f32(e.table, 'embedding table'));
    parts.push(
      g.op('Gather', [g.double(table, [e.nCategories + 1, e.dim]), g.reshape(row, [-1])], {
        axis: attr.int(0),
      }),
    );
  }
  if (!parts.length) throw new OnnxExportError(family, `the ${family} model reads no features`);
  let h = g.concat(parts);
  const gelu = state.config.activation === 'gelu';
  state.layers.forEach((l, k) => {
    const w = Float64Array.from(b64.f32(l.w, 'layer weights'));
    const b = Float64Array.from(b64.f32(l.b, 'layer biases'));
    h = g.add(g.op('MatMul', [h, g.double(w, [l.nIn, l.nOut])]), g.double(b, [l.nOut]));
    if (k < state.layers.length - 1) h = gelu ? geluOf(g, h) : g.op('Relu', [h]);
  });
  if (state.task === 'binary') {
    const pr = g.op('Sigmoid', [h]);
    return g.concat([g.sub(g.double(1), pr), pr]);
  }
  if (state.task === 'regression') return g.add(g.mul(h, g.double(state.yStd)), g.double(state.yMean));
  return g.op('Softmax', [h], { axis: attr.int(1) });
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as `gelu` in nn/state.ts. */
function geluOf(g: GraphBuilder, x: string): string {
  const cube = g.mul(g.mul(g.mul(g.double(0.044715), x), x), x);
  const inner = g.mul(g.double(Math.sqrt(2 / Math.PI)), g.add(x, cube));
  return g.mul(g.mul(g.double(0.5), x), g.add(g.double(1), g.op('Tanh', [inner])));
}
