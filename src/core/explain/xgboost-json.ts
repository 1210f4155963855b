/**
 * Our GBDT as an XGBoost 1.7 JSON model (`Booster.save_raw('json')` layout), so that Python users can
 * load it with `xgboost.Booster(model_file=…)` on the model's feature matrix, and so that our
 * TreeSHAP can be checked against XGBoost's `pred_contribs=True` on the very same trees.
 *
 * Translation (exact up to XGBoost's float32 storage of thresholds and leaf values):
 * - numeric split: ours sends x ≤ t left; XGBoost sends x < c left, so c is the next float32 above
 *   the largest float32 ≤ t (XGBoost compares float32 features);
 * - categorical split: ours sends the codes in the node's set left and every other code right;
 *   XGBoost sends the listed categories right. So the children are swapped: XGBoost's right child is
 *   our left, its listed categories are our set, and its default (missing) direction is flipped;
 * - base score: XGBoost 1.7 has one scalar; ours has one per output group, so each group's base score
 *   is added to every leaf of the group's first tree and XGBoost's base score is neutral (margin 0);
 * - `sum_hessian` is our cover, so path-dependent TreeSHAP weights children identically.
 * Random forests (averaged trees) and the Huber objective are refused with a reason.
 */
import { StudioError } from '../errors.ts';
import type { GbdtModel } from '../models/gbdt/booster.ts';
import type { FeatureMatrix } from '../models/types.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest float32 ≤ x. */
function f32Down(x: number): number {
  f32[0] = x;
  if (f32[0]! > x) {
    // Rounded up: step one float32 towards −∞.
    if (f32[0]! > 0) u32[0] = u32[0]! - 1;
    else if (f32[0]! < 0) u32[0] = u32[0]! + 1;
    else u32[0] = 0x80000001;
  }
  return f32[0]!;
}

/** The smallest float32 > x, for x a float32. */
function f32Up(x: number): number {
  f32[0] = x;
  if (x === Infinity || Number.isNaN(x)) return x;
  if (f32[0] === 0) {
    u32[0] = 1;
    return f32[0]!;
  }
  if (f32[0]! > 0) u32[0] = u32[0]! + 1;
  else u32[0] = u32[0]! - 1;
  return f32[0]!;
}

export class XgboostExportError extends StudioError {
  readonly kind = 'input';
}

export interface XgboostJson {
  readonly learner: Record<string, unknown>;
  readonly version: readonly number[];
}

export function gbdtToXgboostJson(model: GbdtModel): XgboostJson {
  if (model.isForest) {
    throw new XgboostExportError('random forests average their trees; XGBoost models sum them: not exported');
  }
  const objective = model.objective.name;
  const xgbObjective =
    objective === 'logloss'
      ? { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } }
      : objective === 'softmax'
        ? { name: 'multi:softprob', softmax_multiclass_param: { num_class: String(model.nClasses) } }
        : objective === 'squared_error'
          ? { name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } }
          : null;
  if (!xgbObjective) {
    throw new XgboostExportError(
      `the ${objective} objective has no exact XGBoost 1.7 counterpart: not exported`,
    );
  }
  const p = model.forest.pack();
  const G = model.nGroups;
  const nTrees = model.defaultRounds * G;
  const trees: Record<string, unknown>[] = [];
  const treeInfo: number[] = [];
  const firstOfGroup = new Set<number>();
  for (let g = 0; g < G; g++) {
    for (let t = 0; t < nTrees; t++) {
      if (p.treeGroup[t] === g) {
        firstOfGroup.add(t);
        break;
      }
    }
  }
  for (let t = 0; t < nTrees; t++) {
    const group = p.treeGroup[t]!;
    const shift = firstOfGroup.has(t) ? model.baseScore[group]! : 0;
    // Renumber the tree's nodes breadth-first from 0 (XGBoost's layout: root 0, children after).
    const order: number[] = [p.treeRoot[t]!];
    const local = new Map<number, number>([[p.treeRoot[t]!, 0]]);
    for (let k = 0; k < order.length; k++) {
      const node = order[k]!;
      if (p.left[node]! >= 0) {
        for (const child of [p.left[node]!, p.right[node]!]) {
          local.set(child, order.length);
          order.push(child);
        }
      }
    }
    const n = order.length;
    const left = new Array<number>(n).fill(-1);
    const right = new Array<number>(n).fill(-1);
    const parents = new Array<number>(n).fill(2147483647);
    const cond = new Array<number>(n).fill(0);
    const weights = new Array<number>(n).fill(0);
    const defaultLeft = new Array<number>(n).fill(0);
    const splitIdx = new Array<number>(n).fill(0);
    const splitType = new Array<number>(n).fill(0);
    const hess = new Array<number>(n).fill(0);
    const gains = new Array<number>(n).fill(0);
    const catNodes: number[] = [];
    const catSegments: number[] = [];
    const catSizes: number[] = [];
    const categories: number[] = [];
    order.forEach((node, id) => {
      hess[id] = p.cover[node]!;
      if (p.left[node]! < 0) {
        const v = p.value[node]! + shift;
        cond[id] = v;
        weights[id] = v;
        return;
      }
      const l = local.get(p.left[node]!)!;
      const r = local.get(p.right[node]!)!;
      parents[l] = id;
      parents[r] = id;
      splitIdx[id] = p.feature[node]!;
      gains[id] = p.gain[node]!;
      const cs = p.catStart[node]!;
      if (cs < 0) {
        left[id] = l;
        right[id] = r;
        defaultLeft[id] = p.defaultLeft[node]!;
        cond[id] = f32Up(f32Down(p.threshold[node]!));
      } else {
        // Categories in our set go left; XGBoost sends listed categories right: swap the children.
        left[id] = r;
        right[id] = l;
        defaultLeft[id] = p.defaultLeft[node] === 1 ? 0 : 1;
        splitType[id] = 1;
        cond[id] = NaN;
        const words = p.catBits[cs]!;
        const set: number[] = [];
        for (let w = 0; w < words; w++) {
          const bits = p.catBits[cs + 1 + w]!;
          for (let b = 0; b < 32; b++) if ((bits >>> b) & 1) set.push(w * 32 + b);
        }
        catNodes.push(id);
        catSegments.push(categories.length);
        catSizes.push(set.length);
        categories.push(...set);
      }
    });
    trees.push({
      base_weights: weights,
      categories,
      categories_nodes: catNodes,
      categories_segments: catSegments,
      categories_sizes: catSizes,
      default_left: defaultLeft,
      id: t,
      left_children: left,
      loss_changes: gains,
      parents,
      right_children: right,
      split_conditions: cond,
      split_indices: splitIdx,
      split_type: splitType,
      sum_hessian: hess,
      tree_param: {
        num_deleted: '0',
        num_feature: String(model.nFeatures),
        num_nodes: String(n),
        size_leaf_vector: '0',
      },
    });
    treeInfo.push(group);
  }
  const baseScore = objective === 'logloss' ? '5E-1' : '0E0';
  return {
    learner: {
      attributes: {},
      feature_names: [...model.featureNames],
      feature_types: model.categorical.map((c) => (c ? 'c' : 'q')),
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(nTrees), size_leaf_vector: '0' },
          tree_info: treeInfo,
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: baseScore,
        boost_from_average: '0',
        num_class: objective === 'softmax' ? String(model.nClasses) : '0',
        num_feature: String(model.nFeatures),
        num_target: '1',
      },
      objective: xgbObjective,
    },
    version: [1, 7, 4],
  };
}

/** Arrays XGBoost reads as floats: their integral values must be written with a decimal point. */
const FLOAT_ARRAYS = new Set(['base_weights', 'loss_changes', 'split_conditions', 'sum_hessian']);

/**
 * The model as JSON text the way XGBoost's parser wants it: numbers in float arrays always with a
 * decimal point (an integral `0` would be read as an integer and refused), NaN (categorical nodes'
 * split conditions) as the bare `NaN` XGBoost itself writes.
 */
export function xgboostJsonText(json: XgboostJson): string {
  const text = JSON.stringify(json, (key, v: unknown) =>
    FLOAT_ARRAYS.has(key) && Array.isArray(v) ? v.map((x: number) => `__F__${floatText(x)}`) : v,
  );
  return text.replace(/"__F__([^"]*)"/g, '$1');
}

function floatText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '1e999' : '-1e999';
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/**
 * A feature matrix as CSV for XGBoost users: a header of the feature names (quoted when needed), one
 * row per row, numbers in shortest round-trip form (category codes are integers), missing values empty.
 */
export function featureMatrixCsv(X: FeatureMatrix, names: readonly string[]): string {
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [names.map(quote).join(',')];
  const n = X.nRows;
  for (let i = 0; i < n; i++) {
    const cells = new Array<string>(X.nCols);
    for (let j = 0; j < X.nCols; j++) {
      const v = X.data[j * n + i]!;
      cells[j] = Number.isNaN(v) ? '' : String(v);
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}
