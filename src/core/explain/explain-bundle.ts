/**
 * Global explanations of a model bundle on a labelled table (the use case behind `cli explain`):
 * permutation importance per input column for every family, and for tree and linear models (a GBDT,
 * a random forest, a linear model, or those members of an ensemble, combined by their weights) the mean
 * |SHAP| per input column — exact TreeSHAP, or the linear closed form — summed back to the user's
 * columns. Attributions explain the raw margin (log-odds, per-class scores, or the value).
 */
import { columnByName, type Table } from '../data/table.ts';
import { predictTable, type LoadedBundle } from '../export/bundle.ts';
import { METRICS, evaluate, DEFAULT_METRIC } from '../metrics/evaluate.ts';
import { GbdtModel } from '../models/gbdt/booster.ts';
import { transformTable } from '../pipeline/pipeline.ts';
import type { FittedPipeline } from '../pipeline/pipeline.ts';
import type { EnsembleModel } from '../search/ensemble.ts';
import { targetValues } from '../monitor/monitor-batch.ts';
import { meanAbsByColumn, sumBySource } from './columns.ts';
import { permutationImportance, type PermutationResult } from './permutation.ts';
import { treeShap } from './treeshap.ts';
import { isLinearModel, linearGroups, linearShap, type LinearLike } from './linear.ts';
import type { FeatureMatrix } from '../models/types.ts';

export interface BundleExplanation {
  readonly rows: number;
  readonly metric: string;
  readonly baseline: number;
  readonly permutation: readonly PermutationResult[];
  /** Mean |SHAP| per column (tree models only), largest first. */
  readonly shap?: readonly { readonly column: string; readonly meanAbs: number }[];
  readonly notes: readonly string[];
}

export interface ExplainOptions {
  readonly repeats?: number;
  readonly seed?: number;
  readonly metric?: string;
}

type Explainable = GbdtModel | LinearLike;

/** Members with exact SHAP values (trees, linear models): model, its pipeline, weight. */
function shapMembers(
  bundle: LoadedBundle,
): { model: Explainable; pipeline: FittedPipeline; weight: number }[] {
  const exact = (m: unknown): m is Explainable => m instanceof GbdtModel || isLinearModel(m);
  if (bundle.pipeline) {
    return exact(bundle.model) ? [{ model: bundle.model, pipeline: bundle.pipeline, weight: 1 }] : [];
  }
  const ens = bundle.model as EnsembleModel;
  return ens.members.flatMap((m) =>
    exact(m.model) ? [{ model: m.model, pipeline: ens.pipelines[m.pipeline]!, weight: m.weight }] : [],
  );
}

/** Exact SHAP values of one member on its features, [row][group][feature…, bias]. */
function memberShap(model: Explainable, X: FeatureMatrix): { phi: Float64Array; groups: number } {
  if (model instanceof GbdtModel) {
    const G = model.nGroups;
    const phi = treeShap(model.forest.pack(), X, {
      nGroups: G,
      trees: [0, model.defaultRounds * G],
      baseScore: model.baseScore,
      scale: model.isForest ? 1 / Math.max(1, model.defaultRounds) : 1,
    });
    return { phi, groups: G };
  }
  return { phi: linearShap(model, X), groups: linearGroups(model) };
}

export function explainBundle(
  bundle: LoadedBundle,
  table: Table,
  options: ExplainOptions = {},
): BundleExplanation {
  const { manifest } = bundle;
  const notes: string[] = [];
  const target = columnByName(table, manifest.target);
  if (!target) throw new Error(`explanations need the target column ${manifest.target} in the data`);
  const { y } = targetValues(bundle, target);
  const keep: number[] = [];
  for (let i = 0; i < y.length; i++) if (!Number.isNaN(y[i]!)) keep.push(i);
  if (keep.length < 10) throw new Error('explanations need at least 10 rows with a known target value');
  const metric = options.metric ?? manifest.search?.metric ?? DEFAULT_METRIC[manifest.task];
  const info = METRICS[metric];
  if (!info) throw new Error(`unknown metric ${metric}`);
  const nClasses = manifest.classes?.length ?? 1;
  const yKept = Float64Array.from(keep, (i) => y[i]!);
  const score = (t: Table) => {
    const p = predictTable(bundle, t).values;
    const width = p.length / t.nRows;
    const pk = new Float64Array(keep.length * width);
    keep.forEach((i, k) => {
      for (let c = 0; c < width; c++) pk[k * width + c] = p[i * width + c]!;
    });
    const v = evaluate(manifest.task, yKept, pk, nClasses)[metric]!;
    return info.direction === 'maximize' ? v : -v;
  };
  const inputs = manifest.signature.inputs.map((c) => c.name).filter((n) => columnByName(table, n));
  const perm = permutationImportance(table, {
    score,
    columns: inputs,
    repeats: options.repeats ?? 5,
    seed: options.seed ?? 0,
  });
  const sign = info.direction === 'maximize' ? 1 : -1;
  let shap: BundleExplanation['shap'];
  const members = shapMembers(bundle);
  if (members.length) {
    const totals = new Map<string, number>();
    let weightSum = 0;
    for (const { model, pipeline, weight } of members) {
      const X = transformTable(pipeline, table);
      const { phi, groups } = memberShap(model, X);
      for (const { column, meanAbs } of meanAbsByColumn(sumBySource(phi, X.nRows, groups, X.sources))) {
        totals.set(column, (totals.get(column) ?? 0) + weight * meanAbs);
      }
      weightSum += weight;
    }
    shap = [...totals]
      .map(([column, v]) => ({ column, meanAbs: v / Math.max(weightSum, 1e-300) }))
      .sort((a, b) => b.meanAbs - a.meanAbs);
    if (!bundle.pipeline && members.length < (bundle.model as EnsembleModel).members.length) {
      notes.push(
        'SHAP covers the ensemble’s tree and linear members only (weighted); other members are not included',
      );
    }
  } else {
    notes.push(
      'SHAP values are exact for tree and linear models; this model has permutation importance only',
    );
  }
  return {
    rows: keep.length,
    metric,
    baseline: sign * perm.baseline,
    permutation: perm.importances,
    ...(shap ? { shap } : {}),
    notes,
  };
}
