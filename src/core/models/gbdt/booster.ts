/**
 * Gradient boosting / random forest on the shared tree learner. `fitGbdt` returns a `GbdtModel` that
 * predicts, serialises, reports its learning curve and feature importance, and can continue training
 * (`continueTraining(n)`) — what successive halving needs. Every random choice derives from
 * (seed, round, group), so fit(100) + continue(50) grows the same trees as fit(150).
 */
import type {
  FeatureMatrix,
  FitOptions,
  Fitted,
  RoundInfo,
  SerializedModel,
  Task,
  ValidationSet,
} from '../types.ts';
import { ModelConfigError, resolveNClasses, validateFitInputs, validateMatrix } from '../types.ts';
import { createRng } from '../../util/random.ts';
import { log } from '../../util/portable-math.ts';
import type { Rng } from '../../util/random.ts';
import type { GbdtConfig } from './config.ts';
import {
  GBDT_DEFAULTS,
  cappedRounds,
  randomForestDefaults,
  resolveGbdtConfig,
  resolvedObjective,
} from './config.ts';
import type { BinMapper, SerializedFeatureBins } from './binning.ts';
import { binColumns, deserializeMapper, fitBinMapper, serializeMapper } from './binning.ts';
import type { BinaryForest, SerializedForest } from './forest.ts';
import { Forest, SplitBins, addTreeBinned, addTreesRaw } from './forest.ts';
import type { Objective, ObjectiveName } from './objective.ts';
import { makeObjective } from './objective.ts';
import { TreeGrower } from './grower.ts';
import type { GrowParams } from './grower.ts';

export const GBDT_FORMAT_VERSION = 1;

export interface LearningCurve {
  /** 'logloss' | 'mlogloss' | 'rmse' | 'huber' — lower is better. */
  readonly metric: string;
  /** Metric on the training data after each round. */
  readonly train: number[];
  /** Metric on the validation set after each round (empty without one). */
  readonly valid: number[];
}

export interface SerializedGbdt extends SerializedModel {
  readonly family: string;
  readonly formatVersion: number;
  readonly task: Task;
  readonly nClasses: number;
  readonly objective: ObjectiveName;
  readonly config: GbdtConfig;
  readonly nFeatures: number;
  readonly featureNames: string[];
  readonly categorical: boolean[];
  readonly baseScore: number[];
  readonly rounds: number;
  readonly bestIteration: number;
  readonly history: LearningCurve;
  readonly bins: SerializedFeatureBins[];
  readonly forest: SerializedForest;
}

interface TrainState {
  X: FeatureMatrix;
  y: Float64Array;
  w: Float64Array | null;
  raw: Float64Array;
  gh: Float64Array[];
  grower: TreeGrower;
  idx: Int32Array;
  base: Int32Array;
  counts: Uint8Array;
  valid: {
    X: FeatureMatrix;
    y: Float64Array;
    w: Float64Array | null;
    raw: Float64Array;
    /** X binned with the model's mapper (column-major), for addTreeBinned. */
    bins: Uint8Array;
  } | null;
  bestValid: number;
  onRound?: (info: RoundInfo) => void | boolean;
}

export interface TrainingData {
  readonly X: FeatureMatrix;
  readonly y: Float64Array;
  readonly weights?: Float64Array;
  readonly validation?: ValidationSet;
  readonly onRound?: (info: RoundInfo) => void | boolean;
}

function hashSeed(seed: number, round: number, group: number): number {
  let h = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (round + 0x632be5ab), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h ^ Math.imul(group + 1, 0x27d4eb2f), 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function classWeights(
  y: Float64Array,
  w: Float64Array | undefined,
  task: Task,
  K: number,
  cfg: GbdtConfig,
): Float64Array | null {
  if (cfg.classWeight === 'none' || task === 'regression') return w ?? null;
  const n = y.length;
  const cnt = new Float64Array(K);
  for (let i = 0; i < n; i++) cnt[y[i]] += w ? w[i] : 1;
  let present = 0;
  let total = 0;
  for (let k = 0; k < K; k++) {
    if (cnt[k] > 0) present++;
    total += cnt[k];
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (w ? w[i] : 1) * (total / (present * cnt[y[i]]));
  return out;
}

export class GbdtModel implements Fitted {
  readonly family: string;
  readonly task: Task;
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly featureNames: string[];
  readonly categorical: boolean[];
  readonly config: GbdtConfig;
  readonly objective: Objective;
  /** Output groups: trees per round (1, or nClasses for multiclass). */
  readonly nGroups: number;
  readonly baseScore: Float64Array;
  readonly mapper: BinMapper;
  readonly forest: Forest;
  private rounds_ = 0;
  private bestIteration_ = -1;
  private readonly train_: number[] = [];
  private readonly valid_: number[] = [];
  private state: TrainState | null = null;
  /** The forest's numeric splits as bin thresholds (addTreeBinned), extended as trees are added. */
  private readonly splitBins = new SplitBins();

  constructor(args: {
    family: string;
    task: Task;
    nClasses: number;
    featureNames: string[];
    categorical: boolean[];
    config: GbdtConfig;
    baseScore: Float64Array;
    mapper: BinMapper;
    forest?: Forest;
  }) {
    this.family = args.family;
    this.task = args.task;
    this.nClasses = args.nClasses;
    this.nFeatures = args.featureNames.length;
    this.featureNames = args.featureNames;
    this.categorical = args.categorical;
    this.config = args.config;
    this.objective = makeObjective(resolvedObjective(args.config, args.task), args.config.huberDelta);
    this.nGroups = args.task === 'multiclass' ? args.nClasses : 1;
    this.baseScore = args.baseScore;
    this.mapper = args.mapper;
    this.forest = args.forest ?? new Forest();
  }

  get isForest(): boolean {
    return this.config.mode === 'random_forest';
  }
  /** Completed rounds (trees per group). */
  get nRounds(): number {
    return this.rounds_;
  }
  /** Round index with the best validation metric when early stopping is on, else -1. */
  get bestIteration(): number {
    return this.bestIteration_;
  }
  get history(): LearningCurve {
    return { metric: this.metricName, train: this.train_.slice(), valid: this.valid_.slice() };
  }
  get metricName(): string {
    if (!this.isForest) return this.objective.metric;
    return this.task === 'binary' ? 'logloss' : this.task === 'multiclass' ? 'mlogloss' : 'rmse';
  }
  /** True while the training data is held (continueTraining without data). */
  get canContinue(): boolean {
    return this.state !== null;
  }
  /** Frees the training data and buffers; continueTraining then needs the data again. */
  dropTrainingState(): void {
    this.state = null;
  }

  /** Rounds used by predict by default: up to the best validation round when early stopping is on. */
  get defaultRounds(): number {
    return this.bestIteration_ >= 0 && this.config.earlyStoppingRounds > 0
      ? this.bestIteration_ + 1
      : this.rounds_;
  }

  /** Fitted.iterationsUsed: the rounds predict uses by default (defaultRounds). */
  get iterationsUsed(): number {
    return this.defaultRounds;
  }
  /** Fitted.iterationsRun: the rounds trained (nRounds). */
  get iterationsRun(): number {
    return this.rounds_;
  }

  /** Raw margins (class-major, nGroups × nRows) using the first `rounds` rounds. */
  predictRaw(X: FeatureMatrix, rounds = this.defaultRounds): Float64Array {
    validateMatrix(X);
    if (X.nCols !== this.nFeatures) {
      throw new ModelConfigError(`model has ${this.nFeatures} features, X has ${X.nCols} columns`);
    }
    const r = Math.max(0, Math.min(this.rounds_, Math.floor(rounds)));
    const out = new Float64Array(this.nGroups * X.nRows);
    for (let k = 0; k < this.nGroups; k++) out.fill(this.baseScore[k], k * X.nRows, (k + 1) * X.nRows);
    this.addTrees(X, 0, r * this.nGroups, out);
    return out;
  }

  /**
   * Adds trees [t0, t1) to raw margins (class-major) of X's rows: as addTreesRaw, through X's bins (one
   * binning pass, then a branch-free step per numeric split: addTreeBinned) when there are enough rows
   * and trees for the binning to pay; the same values either way.
   */
  private addTrees(X: FeatureMatrix, t0: number, t1: number, out: Float64Array, bins?: Uint8Array): void {
    const p = this.forest.pack();
    if (t1 <= t0) return;
    if (!bins && (t1 - t0 < 8 || X.nRows < 256)) {
      addTreesRaw(p, X, t0, t1, out);
      return;
    }
    const b = bins ?? binColumns(this.mapper, X);
    this.splitBins.update(p, this.numericCuts);
    for (let t = t0; t < t1; t++)
      addTreeBinned(p, this.splitBins, t, b, X, out, p.treeGroup[t] * X.nRows, null);
  }

  predict(X: FeatureMatrix, opts: { rounds?: number } = {}): Float64Array {
    const rounds = Math.max(0, Math.min(this.rounds_, Math.floor(opts.rounds ?? this.defaultRounds)));
    const raw = this.predictRaw(X, rounds);
    return this.transform(raw, X.nRows, rounds);
  }

  private transform(raw: Float64Array, n: number, rounds: number): Float64Array {
    const width = this.task === 'regression' ? 1 : this.nClasses;
    const out = new Float64Array(n * width);
    if (!this.isForest) {
      this.objective.transform(raw, n, out);
      return out;
    }
    const inv = rounds > 0 ? 1 / rounds : 0;
    if (this.task === 'regression') {
      for (let i = 0; i < n; i++) out[i] = raw[i] * inv;
    } else if (this.task === 'binary') {
      for (let i = 0; i < n; i++) {
        const p = rounds > 0 ? Math.min(1, Math.max(0, raw[i] * inv)) : 0.5;
        out[2 * i] = 1 - p;
        out[2 * i + 1] = p;
      }
    } else {
      const K = this.nClasses;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += Math.max(0, raw[k * n + i]);
        for (let k = 0; k < K; k++) out[i * K + k] = s > 0 ? Math.max(0, raw[k * n + i]) / s : 1 / K;
      }
    }
    return out;
  }

  /** Metric (lower is better) of raw margins after `rounds` rounds. */
  private metricOf(
    raw: Float64Array,
    y: Float64Array,
    w: Float64Array | null,
    n: number,
    rounds: number,
  ): number {
    if (!this.isForest) return this.objective.loss(raw, y, w, n);
    const pred = this.transform(raw, n, rounds);
    let loss = 0;
    let sw = 0;
    const K = this.nClasses;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      sw += wi;
      if (this.task === 'regression') {
        const r = pred[i] - y[i];
        loss += wi * r * r;
      } else {
        const p = Math.min(1 - 1e-15, Math.max(1e-15, pred[i * K + y[i]]));
        loss -= wi * log(p);
      }
    }
    return this.task === 'regression' ? Math.sqrt(loss / sw) : loss / sw;
  }

  /**
   * The training metric (as the validation curve: logloss / mlogloss / rmse / huber, unweighted) after
   * each round 1..nRounds on each block of rows of (X, y): out[b][r − 1]. One pass over the trees.
   */
  stagedLoss(X: FeatureMatrix, y: Float64Array, blocks: readonly Int32Array[]): number[][] {
    validateMatrix(X);
    if (X.nCols !== this.nFeatures) {
      throw new ModelConfigError(`model has ${this.nFeatures} features, X has ${X.nCols} columns`);
    }
    if (y.length !== X.nRows) throw new ModelConfigError(`y has ${y.length} values for ${X.nRows} rows`);
    const n = X.nRows;
    const G = this.nGroups;
    const raw = new Float64Array(G * n);
    for (let k = 0; k < G; k++) raw.fill(this.baseScore[k], k * n, (k + 1) * n);
    const bins = binColumns(this.mapper, X);
    const bufs = blocks.map((b) => ({
      raw: new Float64Array(G * b.length),
      y: Float64Array.from(b, (i) => y[i]),
    }));
    const out = blocks.map(() => [] as number[]);
    for (let r = 0; r < this.rounds_; r++) {
      this.addTrees(X, r * G, (r + 1) * G, raw, bins);
      for (let bi = 0; bi < blocks.length; bi++) {
        const b = blocks[bi];
        const m = b.length;
        const buf = bufs[bi];
        for (let k = 0; k < G; k++) for (let j = 0; j < m; j++) buf.raw[k * m + j] = raw[k * n + b[j]];
        out[bi].push(this.metricOf(buf.raw, buf.y, null, m, r + 1));
      }
    }
    return out;
  }

  /** Total split gain ('gain') or number of splits ('split') per feature, over the default rounds. */
  featureImportance(kind: 'gain' | 'split' = 'gain'): Float64Array {
    const out = new Float64Array(this.nFeatures);
    const p = this.forest.pack();
    const nTrees = this.defaultRounds * this.nGroups;
    const end = nTrees < p.nTrees ? p.treeRoot[nTrees] : p.nNodes;
    for (let node = 0; node < end; node++) {
      if (p.left[node] < 0) continue;
      out[p.feature[node]] += kind === 'gain' ? p.gain[node] : 1;
    }
    return out;
  }

  private growParams(): GrowParams {
    const c = this.config;
    const nf = Math.max(1, Math.round(c.colsampleByTree * this.nFeatures));
    return {
      lambda: c.lambda,
      alpha: c.alpha,
      minChildWeight: c.minChildWeight,
      minSamplesLeaf: c.minSamplesLeaf,
      minSplitGain: c.minSplitGain,
      maxDepth: c.maxDepth,
      maxLeaves: c.maxLeaves,
      lossguide: c.growPolicy === 'lossguide',
      learningRate: this.isForest ? 1 : c.learningRate,
      maxCatToOnehot: c.maxCatToOnehot,
      maxCatThreshold: c.maxCatThreshold,
      catSmooth: c.catSmooth,
      catL2: c.catL2,
      minDataPerGroup: c.minDataPerGroup,
      extraTrees: c.extraTrees,
      colsampleByNode: c.colsampleByNode === 'sqrt' ? Math.min(1, Math.sqrt(nf) / nf) : c.colsampleByNode,
    };
  }

  /** Builds the training state from data (fresh fit, or continuing a deserialized model). */
  private makeState(data: TrainingData): TrainState {
    const { X, y } = data;
    const K = this.nClasses;
    validateFitInputs(X, y, this.task, K, data.weights);
    if (X.nCols !== this.nFeatures) {
      throw new ModelConfigError(`model has ${this.nFeatures} features, X has ${X.nCols} columns`);
    }
    const n = X.nRows;
    const w = classWeights(y, data.weights, this.task, K, this.config);
    const grower = new TreeGrower(this.mapper, X, this.growParams(), n * this.nGroups);
    // The margins live where the grow kernel adds leaf values to them (grow-kernel.ts).
    const raw = grower.margins(this.predictRaw(X, this.rounds_));
    // One group, boosting: targets and gradients live there too (the objective's kernel reads and writes
    // them). A forest scales its targets per tree into another array: they must survive grow().
    const one = this.nGroups === 1 && !this.isForest;
    const yt = one ? grower.targets(y) : y;
    const gh = one
      ? [grower.gradientPairs()]
      : Array.from({ length: this.nGroups }, () => new Float64Array(2 * n));
    let valid: TrainState['valid'] = null;
    if (data.validation) {
      const v = data.validation;
      validateFitInputs(v.X, v.y, this.task, K, v.weights, 'validation');
      if (v.X.nCols !== this.nFeatures) {
        throw new ModelConfigError(`validation X has ${v.X.nCols} columns, training has ${this.nFeatures}`);
      }
      valid = {
        X: v.X,
        y: v.y,
        w: v.weights ?? null,
        raw: this.predictRaw(v.X, this.rounds_),
        bins: binColumns(this.mapper, v.X),
      };
    }
    const state: TrainState = {
      X,
      y: yt,
      w,
      raw,
      gh,
      grower,
      idx: new Int32Array(n),
      base: new Int32Array(n),
      counts: new Uint8Array(n),
      valid,
      bestValid: Infinity,
      onRound: data.onRound,
    };
    if (!this.isForest) this.objective.gradients(raw, yt, w, n, gh);
    else this.forestTargets(state);
    if (valid && this.bestIteration_ >= 0) {
      state.bestValid = this.valid_[this.bestIteration_];
    }
    return state;
  }

  /** The bin cuts of a numeric feature (null for a categorical one): SplitBins.update. */
  private readonly numericCuts = (f: number): Float64Array | null => {
    const fb = this.mapper.features[f];
    return fb.categorical ? null : fb.cuts;
  };

  /** Random forest: gh[k] holds (-target · w, w) once; each tree scales by its bootstrap counts. */
  private forestTargets(s: TrainState): void {
    const n = s.y.length;
    for (let k = 0; k < this.nGroups; k++) {
      const g = s.gh[k];
      for (let i = 0; i < n; i++) {
        const wi = s.w ? s.w[i] : 1;
        const t =
          this.task === 'regression' ? s.y[i] : this.task === 'binary' ? s.y[i] : s.y[i] === k ? 1 : 0;
        g[2 * i] = -t * wi;
        g[2 * i + 1] = wi;
      }
    }
  }

  /** Adds up to `rounds` rounds (fewer on early stopping or when onRound returns false). */
  continueTraining(rounds: number, data?: TrainingData): this {
    if (!Number.isInteger(rounds) || rounds < 0)
      throw new ModelConfigError(`rounds must be an integer >= 0, got ${rounds}`);
    if (data) this.state = this.makeState(data);
    if (!this.state) {
      throw new ModelConfigError(
        'this model holds no training data (deserialized or dropped): pass { X, y } to continueTraining',
      );
    }
    this.trainRounds(rounds, this.state);
    return this;
  }

  private trainRounds(nRounds: number, s: TrainState): void {
    const cfg = this.config;
    const n = s.y.length;
    const K = this.nGroups;
    const F = this.nFeatures;
    const forestMode = this.isForest;
    const treeGh = forestMode ? new Float64Array(2 * n) : null;
    const allFeats = Int32Array.from({ length: F }, (_, f) => f);
    for (let r = 0; r < nRounds; r++) {
      const round = this.rounds_;
      const rng = createRng(hashSeed(cfg.seed, round, 0));
      // Row sample for this round (shared by the round's trees).
      let m = 0;
      const counts = s.counts;
      if (forestMode && cfg.bootstrap) {
        counts.fill(0);
        for (let i = 0; i < n; i++) {
          const j = rng.int(n);
          if (counts[j] < 255) counts[j]++;
        }
        for (let i = 0; i < n; i++) if (counts[i] > 0) s.base[m++] = i;
      } else if (cfg.subsample < 1) {
        counts.fill(0);
        for (let i = 0; i < n; i++) {
          if (rng.next() < cfg.subsample) {
            counts[i] = 1;
            s.base[m++] = i;
          }
        }
      } else {
        for (let i = 0; i < n; i++) s.base[i] = i;
        m = n;
      }
      for (let k = 0; k < K; k++) {
        const trng = createRng(hashSeed(cfg.seed, round, k + 1));
        const feats =
          cfg.colsampleByTree < 1 ? sampleFeatures(allFeats, cfg.colsampleByTree, trng) : allFeats;
        let gh = s.gh[k];
        if (treeGh) {
          for (let i = 0; i < n; i++) {
            const c = cfg.bootstrap ? counts[i] : m === n ? 1 : counts[i];
            treeGh[2 * i] = gh[2 * i] * c;
            treeGh[2 * i + 1] = gh[2 * i + 1] * c;
          }
          gh = treeGh;
        }
        s.idx.set(s.base.subarray(0, m));
        const t = this.forest.nTrees;
        const raw = s.raw;
        const off = k * n;
        // The grower adds the new tree's leaf values of the sampled rows to raw[off + row].
        s.grower.grow(this.forest, k, s.idx, m, gh, feats, trng, raw, off);
        if (m < n || s.valid) {
          // The new tree on the rows outside the sample and on the validation rows, through their bins.
          const p = this.forest.pack();
          this.splitBins.update(p, this.numericCuts);
          if (m < n) addTreeBinned(p, this.splitBins, t, s.grower.columnBins(), s.X, raw, off, counts);
          if (s.valid) {
            const v = s.valid;
            addTreeBinned(p, this.splitBins, t, v.bins, v.X, v.raw, p.treeGroup[t] * v.X.nRows, null);
          }
        }
      }
      this.rounds_++;
      const trainLoss = forestMode
        ? this.metricOf(s.raw, s.y, s.w, n, this.rounds_)
        : this.objective.gradients(s.raw, s.y, s.w, n, s.gh);
      this.train_.push(trainLoss);
      let validLoss: number | undefined;
      let stop = false;
      if (s.valid) {
        validLoss = this.metricOf(s.valid.raw, s.valid.y, s.valid.w, s.valid.y.length, this.rounds_);
        this.valid_.push(validLoss);
        if (cfg.earlyStoppingRounds > 0) {
          if (validLoss < s.bestValid || this.bestIteration_ < 0) {
            s.bestValid = validLoss;
            this.bestIteration_ = round;
          } else if (round - this.bestIteration_ >= cfg.earlyStoppingRounds) stop = true;
        }
      }
      if (s.onRound) {
        const info: RoundInfo =
          validLoss === undefined
            ? { round, metric: this.metricName, train: trainLoss }
            : { round, metric: this.metricName, train: trainLoss, valid: validLoss };
        if (s.onRound(info) === false) stop = true;
      }
      if (stop) break;
    }
  }

  toJSON(): SerializedGbdt {
    return this.serialized(this.forest.toJSON());
  }

  /** `toJSON()`'s fields with the forest given (base64 text, or typed arrays: `toTransferable`). */
  private serialized<F extends SerializedForest | BinaryForest>(forest: F) {
    return {
      family: this.family,
      formatVersion: GBDT_FORMAT_VERSION,
      task: this.task,
      nClasses: this.nClasses,
      objective: this.objective.name,
      config: { ...this.config },
      nFeatures: this.nFeatures,
      featureNames: this.featureNames.slice(),
      categorical: this.categorical.slice(),
      baseScore: Array.from(this.baseScore),
      rounds: this.rounds_,
      bestIteration: this.bestIteration_,
      history: this.history,
      bins: serializeMapper(this.mapper),
      forest,
    };
  }

  /** `toJSON()` with the forest's arrays as typed arrays (own copies) and their buffers to transfer. */
  toTransferable(): { json: SerializedModel; buffers: ArrayBuffer[] } {
    const forest = this.forest.toBinary();
    const buffers: ArrayBuffer[] = [];
    for (const v of Object.values(forest)) if (ArrayBuffer.isView(v)) buffers.push(v.buffer as ArrayBuffer);
    return { json: this.serialized(forest), buffers };
  }

  static fromJSON(json: SerializedModel): GbdtModel {
    const j = json as SerializedGbdt;
    if (j.formatVersion !== GBDT_FORMAT_VERSION) {
      throw new ModelConfigError(
        `gbdt model format version ${String(j.formatVersion)} is not supported (expected ${GBDT_FORMAT_VERSION})`,
      );
    }
    for (const key of [
      'task',
      'nClasses',
      'config',
      'featureNames',
      'categorical',
      'baseScore',
      'bins',
      'history',
      'forest',
    ] as const) {
      if (j[key] === undefined) throw new ModelConfigError(`serialized gbdt model lacks '${key}'`);
    }
    const bad = (what: string): never => {
      throw new ModelConfigError(`serialized gbdt model: ${what}`);
    };
    if (j.task !== 'binary' && j.task !== 'multiclass' && j.task !== 'regression')
      bad(`unknown task '${String(j.task)}'`);
    if (j.task !== 'regression') resolveNClasses(j.task, j.nClasses, new Float64Array(0));
    const nGroups = j.task === 'multiclass' ? j.nClasses : 1;
    const nFeatures = Array.isArray(j.featureNames) ? j.featureNames.length : -1;
    if (nFeatures < 0) bad('featureNames is not an array');
    if (j.nFeatures !== undefined && j.nFeatures !== nFeatures)
      bad(`nFeatures is ${j.nFeatures} but there are ${nFeatures} feature names`);
    for (const [key, a] of [
      ['categorical', j.categorical],
      ['bins', j.bins],
    ] as const) {
      if (!Array.isArray(a) || a.length !== nFeatures)
        bad(`${key} should have one entry per feature (${nFeatures})`);
    }
    if (
      !Array.isArray(j.baseScore) ||
      j.baseScore.length !== nGroups ||
      !j.baseScore.every((v) => Number.isFinite(v))
    ) {
      bad(`baseScore should hold ${nGroups} finite number(s)`);
    }
    if (!(Number.isSafeInteger(j.rounds) && j.rounds >= 0))
      bad(`rounds is ${j.rounds}, expected an integer >= 0`);
    if (!(Number.isInteger(j.bestIteration) && j.bestIteration >= -1 && j.bestIteration < j.rounds))
      bad(`bestIteration is ${j.bestIteration}, expected -1 or a round in [0, ${j.rounds})`);
    if (!Array.isArray(j.history.train) || !Array.isArray(j.history.valid))
      bad('history should hold train and valid arrays');
    const config = resolveGbdtConfig(j.config, { ...GBDT_DEFAULTS }, j.task);
    if (config.mode !== (j.family === 'random_forest' ? 'random_forest' : 'boosting')) {
      throw new ModelConfigError(`serialized model: family '${j.family}' with mode '${config.mode}'`);
    }
    const m = new GbdtModel({
      family: j.family,
      task: j.task,
      nClasses: j.nClasses,
      featureNames: j.featureNames.slice(),
      categorical: j.categorical.slice(),
      config,
      baseScore: Float64Array.from(j.baseScore),
      mapper: deserializeMapper(j.bins),
      // base64 text, or typed arrays from a worker (`toTransferable`)
      forest: Forest.fromJSON(j.forest as SerializedForest | BinaryForest, { nFeatures, nGroups }),
    });
    m.rounds_ = j.rounds;
    m.bestIteration_ = j.bestIteration;
    m.train_.push(...j.history.train);
    m.valid_.push(...j.history.valid);
    if (m.forest.nTrees !== m.rounds_ * m.nGroups) {
      throw new ModelConfigError(
        `serialized gbdt model: ${m.forest.nTrees} trees for ${m.rounds_} rounds × ${m.nGroups} groups`,
      );
    }
    return m;
  }
}

function sampleFeatures(all: Int32Array, frac: number, rng: Rng): Int32Array {
  const a = all.slice();
  const k = Math.max(1, Math.round(frac * a.length));
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.subarray(0, k).sort();
}

/**
 * Fits a booster (config.mode 'boosting', family 'gbdt') or a forest (config.mode 'random_forest',
 * family 'random_forest'); missing config keys take that mode's defaults.
 */
export function fitGbdt(X: FeatureMatrix, y: Float64Array, opts: FitOptions<GbdtConfig>): GbdtModel {
  const forestMode = opts.config?.mode === 'random_forest';
  const family = forestMode ? 'random_forest' : 'gbdt';
  const base = forestMode ? randomForestDefaults(opts.task) : GBDT_DEFAULTS;
  const task = opts.task;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression') {
    throw new ModelConfigError(`unknown task '${String(task)}' (binary, multiclass or regression)`);
  }
  const config = resolveGbdtConfig(opts.config, base, task);
  const K = resolveNClasses(task, opts.nClasses, y);
  validateFitInputs(X, y, task, K, opts.weights);
  const mapper = fitBinMapper(X, config.maxBins, config.binSampleSize, config.seed);
  const objective = makeObjective(resolvedObjective(config, task), config.huberDelta);
  const nGroups = task === 'multiclass' ? K : 1;
  const w = classWeights(y, opts.weights, task, K, config);
  const baseScore =
    config.mode === 'random_forest' ? new Float64Array(nGroups) : objective.init(y, w, nGroups);
  const model = new GbdtModel({
    family,
    task,
    nClasses: K,
    featureNames: X.featureNames
      ? X.featureNames.slice()
      : Array.from({ length: X.nCols }, (_, j) => `f${j}`),
    categorical: X.categorical ? X.categorical.slice() : new Array<boolean>(X.nCols).fill(false),
    config,
    baseScore,
    mapper,
  });
  model.continueTraining(cappedRounds(config), {
    X,
    y,
    weights: opts.weights,
    validation: opts.validation,
    onRound: opts.onRound,
  });
  return model;
}
