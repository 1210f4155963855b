/**
 * State of the Train screen (Svelte 5 runes). One instance per app, shared through context.
 * Training runs in the training worker; this keeps the choices, the live learning curve and the
 * (small) results. The target and task come from the data screen's choice.
 */
import { getContext, setContext } from 'svelte';
import { DEFAULT_METRIC, METRICS } from '../../core/metrics/evaluate.ts';
import type { Task } from '../../core/profile/types.ts';
import type {
  AdapterReport,
  BackendPreference,
  BackendReport,
  FamilyName,
  PipelinePreview,
  RoundPoint,
  TrainFailure,
  TrainOutcome,
  TrainPhase,
} from '../../../workers/types.ts';
import type { PipelineSpec } from '../../core/pipeline/types.ts';
import { PipelineError } from '../../core/pipeline/types.ts';
import { removeStep, setStepOption } from '../../core/pipeline/edit.ts';
import type { DataStore } from './data-store.svelte.ts';
import { SearchState } from './search-store.svelte.ts';
import { TrainClient } from './train-client.ts';
import { recipeRunFor } from './features-store.svelte.ts';
import { suggestPositiveClass } from '../../core/profile/target.ts';
import type { DecisionCosts, ThresholdObjective } from '../../core/metrics/threshold.ts';
import type { DecisionRequest } from '../../core/train/decision.ts';

export const FAMILY_LABELS: Readonly<Record<FamilyName, string>> = {
  gbdt: 'Gradient boosted trees',
  random_forest: 'Random forest',
  linear: 'Linear model',
  mlp: 'Neural network (MLP)',
};
export const FAMILY_NAMES = Object.keys(FAMILY_LABELS) as FamilyName[];
const NN_FAMILY_LIST: readonly FamilyName[] = ['linear', 'mlp'];
/** Families trained with TensorFlow.js (a backend choice applies; they count epochs, not rounds). */
export const isNnFamily = (f: FamilyName): boolean => NN_FAMILY_LIST.includes(f);

/** The metrics shown (and selectable) for a task, in registry order. */
export function metricsFor(task: Task): string[] {
  return Object.values(METRICS)
    .filter((m) => m.tasks.includes(task))
    .map((m) => m.name);
}

/** Families that share a preprocessing pipeline (edits carry over between them). */
const PIPELINE_KIND: Readonly<Record<FamilyName, string>> = {
  gbdt: 'tree',
  random_forest: 'tree',
  linear: 'linear',
  mlp: 'neural',
};

export interface RunState {
  readonly phase: TrainPhase;
  readonly family: FamilyName;
  readonly backend?: BackendReport;
  readonly startedAt: number;
}

export class TrainStore {
  readonly #client: TrainClient;
  readonly #data: DataStore;
  #seq = 0;

  /** AutoML search (the default) or one model family with its settings. */
  mode = $state<'automl' | 'single'>('automl');
  /** The AutoML search's state (shares the worker, target, metric, seed and exclusions). */
  readonly search: SearchState;
  family = $state<FamilyName>('gbdt');
  /** The chosen metric; null = the task's default. */
  chosenMetric = $state<string | null>(null);
  backend = $state<BackendPreference>('auto');
  seed = $state(42);
  /** Rounds (trees) or epochs; null = the family's default. */
  iterations = $state<number | null>(null);

  run = $state.raw<RunState | null>(null);
  stopping = $state(false);
  curve = $state.raw<readonly RoundPoint[]>([]);
  curveMetric = $state('loss');
  outcome = $state.raw<TrainOutcome | null>(null);
  error = $state.raw<TrainFailure | null>(null);
  /** undefined = not probed yet; null = no WebGPU adapter. */
  adapter = $state.raw<AdapterReport | null | undefined>(undefined);

  /** Feature columns the user excluded (per dataset: cleared when another file is loaded). */
  excluded = $state.raw<readonly string[]>([]);
  #excludedFor = $state<string | null>(null);
  /** The automatic pipeline for `pipelineKey`, as the worker built it. */
  pipelinePreview = $state.raw<{ readonly key: string; readonly preview: PipelinePreview } | null>(null);
  /** The user's edits of that pipeline (kept while the key stays the same). */
  pipelineEdits = $state.raw<{ readonly key: string; readonly spec: PipelineSpec } | null>(null);
  pipelineError = $state.raw<string | null>(null);
  pipelineLoading = $state(false);

  readonly target = $derived.by(() => this.#data.target);
  readonly task = $derived.by(() => this.#data.task as Task | undefined);
  readonly metric = $derived.by(() => {
    const task = this.task;
    if (!task) return null;
    const m = this.chosenMetric;
    if (m && METRICS[m]?.tasks.includes(task)) return m;
    return this.imbalanced ? 'balanced_accuracy' : DEFAULT_METRIC[task];
  });
  /**
   * The target's classes are very unequal (the profile's class-imbalance warning). The default metric
   * is then balanced accuracy, as that warning advises: the mean of the per-class recalls, so a model
   * that always guesses the majority scores 0.5 however rare the other class; unlike PR AUC or F1 it
   * does not depend on which class is called positive.
   */
  readonly imbalanced = $derived.by(() => {
    const target = this.target;
    const task = this.task;
    if (target === undefined || (task !== 'binary' && task !== 'multiclass')) return false;
    return (this.#data.dataset?.profile.warnings ?? []).some(
      (w) => w.kind === 'class-imbalance' && w.column === target,
    );
  });
  /** What the preprocessing depends on: the file and its types, target, task, family kind, exclusions. */
  readonly pipelineKey = $derived.by(() => {
    const ds = this.#data.dataset;
    if (!ds || this.target === undefined || !this.task) return null;
    return JSON.stringify([
      ds.fingerprint.sha256,
      ds.fingerprint.schemaHash,
      this.target,
      this.task,
      PIPELINE_KIND[this.family],
      this.currentExcluded,
    ]);
  });
  /** Exclusions that apply to the dataset on screen. */
  readonly currentExcluded = $derived.by(() =>
    this.#excludedFor !== null && this.#excludedFor === this.#data.dataset?.fingerprint.sha256
      ? this.excluded
      : [],
  );
  /** The pipeline a Train click uses: the edited one, else the automatic one (null until loaded). */
  readonly pipelineSpec = $derived.by(() => {
    const key = this.pipelineKey;
    if (key === null) return null;
    if (this.pipelineEdits?.key === key) return this.pipelineEdits.spec;
    return this.pipelinePreview?.key === key ? this.pipelinePreview.preview.spec : null;
  });
  readonly pipelineEdited = $derived.by(
    () => this.pipelineKey !== null && this.pipelineEdits?.key === this.pipelineKey,
  );
  readonly canTrain = $derived.by(
    () =>
      this.run === null && this.#data.file !== null && this.target !== undefined && this.task !== undefined,
  );

  // --- Binary decisions (issue 13): positive class and what the threshold is chosen for.
  /** The positive class the user picked, for one dataset and target (else the default applies). */
  #positiveChoice = $state.raw<{ readonly key: string; readonly label: string } | null>(null);
  /** What the decision threshold is chosen for; `auto`: F1 when unbalanced, else 0.5. */
  thresholdFor = $state<'auto' | 'default' | ThresholdObjective>('auto');
  costs = $state.raw<DecisionCosts>({ fp: 1, fn: 1 });
  readonly #positiveKey = $derived.by(() => {
    const ds = this.#data.dataset;
    return ds && this.target !== undefined ? `${ds.fingerprint.sha256}\u0000${this.target}` : null;
  });
  /** The default positive class of a binary target, with the reason in words. */
  readonly positiveSuggestion = $derived.by(() => {
    const t = this.#data.dataset?.profile.task;
    return t?.task === 'binary' && t.classes ? suggestPositiveClass(t.classes) : null;
  });
  /** The positive class in effect (the user's choice for this dataset and target, else the default). */
  readonly positiveClass = $derived.by(() => {
    const c = this.#positiveChoice;
    if (c && c.key === this.#positiveKey) return c.label;
    return this.positiveSuggestion?.label;
  });
  readonly positiveChosen = $derived.by(() => this.#positiveChoice?.key === this.#positiveKey);
  setPositiveClass(label: string): void {
    const key = this.#positiveKey;
    if (key !== null) this.#positiveChoice = { key, label };
  }
  /** What a binary training asks for; undefined for other tasks. */
  readonly decisionRequest = $derived.by((): DecisionRequest | undefined => {
    if (this.task !== 'binary') return undefined;
    const objective = this.thresholdFor === 'auto' ? undefined : this.thresholdFor;
    return {
      // The default is chosen again by training (same rule, same rows), with its reason in words.
      ...(this.positiveChosen && this.positiveClass !== undefined
        ? { positiveClass: this.positiveClass }
        : {}),
      ...(objective ? { objective } : {}),
      ...(objective === 'cost' ? { costs: this.costs } : {}),
    };
  });
  // --- end of binary decisions

  constructor(data: DataStore, client: TrainClient = new TrainClient()) {
    this.#data = data;
    this.#client = client;
    this.search = new SearchState({
      data,
      client,
      target: () => this.target,
      task: () => this.task,
      metric: () => this.metric,
      seed: () => this.seed,
      backend: () => this.backend,
      excluded: () => this.currentExcluded,
      decision: () => this.decisionRequest,
    });
  }

  async probe(): Promise<void> {
    if (this.adapter !== undefined) return;
    this.adapter = await this.#client.probe();
  }

  /** Fetch the automatic pipeline for the current choices (no-op when it is already there). */
  async loadPipeline(): Promise<void> {
    const key = this.pipelineKey;
    const file = this.#data.file;
    const ds = this.#data.dataset;
    const target = this.target;
    const task = this.task;
    if (key === null || !file || !ds || target === undefined || !task) return;
    if (this.pipelinePreview?.key === key) return;
    this.pipelineLoading = true;
    const res = await this.#client.pipeline({
      input: file,
      typeOverrides: ds.typeOverrides,
      target,
      task,
      family: this.family,
      exclude: this.currentExcluded,
    });
    if (this.pipelineKey !== key) return; // the choices changed meanwhile; a newer call follows
    this.pipelineLoading = false;
    if (res.ok) {
      this.pipelinePreview = { key, preview: res.value };
      this.pipelineError = null;
    } else this.pipelineError = res.error.message;
  }

  #edit(change: (spec: PipelineSpec) => PipelineSpec): void {
    const key = this.pipelineKey;
    const spec = this.pipelineSpec;
    if (key === null || !spec) return;
    try {
      this.pipelineEdits = { key, spec: change(spec) };
      this.pipelineError = null;
    } catch (err) {
      this.pipelineError = err instanceof PipelineError ? err.message : String(err);
    }
  }

  setStepOption(index: number, key: string, value: unknown): void {
    this.#edit((spec) => setStepOption(spec, index, key, value));
  }

  removeStep(index: number): void {
    this.#edit((spec) => removeStep(spec, index));
  }

  resetPipeline(): void {
    this.pipelineEdits = null;
    this.pipelineError = null;
  }

  setExcluded(columns: readonly string[]): void {
    this.#excludedFor = this.#data.dataset?.fingerprint.sha256 ?? null;
    this.excluded = [...columns];
  }

  async train(): Promise<void> {
    const ds = this.#data.dataset;
    const file = this.#data.file;
    const target = this.target;
    const task = this.task;
    if (!ds || !file || target === undefined || task === undefined || this.run) return;
    const seq = ++this.#seq;
    const family = this.family;
    const params: Record<string, unknown> = {};
    if (this.iterations !== null && this.iterations > 0)
      params[isNnFamily(family) ? 'epochs' : 'rounds'] = this.iterations;
    this.error = null;
    this.outcome = null;
    this.stopping = false;
    this.curve = [];
    this.curveMetric = 'loss';
    this.run = { phase: 'read', family, startedAt: performance.now() };
    const metric = this.metric;
    // On a project's feature table: train on the target table with the recipe (the bundle carries it).
    const recipe = await recipeRunFor(this.#data, ds.sourceName);
    if (seq !== this.#seq) return;
    if (recipe && !recipe.ok) {
      this.run = null;
      this.error = { code: 'training', message: recipe.error.message };
      return;
    }
    let settled = false;
    const res = await this.#client.train(
      {
        ...(recipe ? { features: recipe.value } : {}),
        input: file,
        typeOverrides: ds.typeOverrides,
        target,
        task,
        family,
        backend: this.backend,
        seed: this.seed,
        params,
        ...(metric ? { metric } : {}),
        exclude: this.currentExcluded,
        ...(this.pipelineEdited && this.pipelineSpec ? { pipeline: this.pipelineSpec } : {}),
        ...(this.decisionRequest ? { decision: $state.snapshot(this.decisionRequest) } : {}),
      },
      (p) => {
        if (settled || seq !== this.#seq || !this.run) return;
        if (p.phase !== this.run.phase || p.backend)
          this.run = { ...this.run, phase: p.phase, ...(p.backend ? { backend: p.backend } : {}) };
        if (p.metric) this.curveMetric = p.metric;
        if (p.rounds?.length) this.curve = [...this.curve, ...p.rounds];
      },
    );
    settled = true;
    if (seq !== this.#seq) return;
    this.run = null;
    this.stopping = false;
    if (res.ok) {
      this.outcome = res.value;
      this.curve = res.value.charts.curve;
      this.curveMetric = res.value.charts.curveMetric;
    } else {
      this.error = res.error;
    }
  }

  stop(): void {
    if (!this.run) return;
    this.stopping = true;
    this.#client.stop();
  }

  dismissError(): void {
    this.error = null;
  }

  dispose(): void {
    this.#client.dispose();
  }
}

const KEY = Symbol('train-store');

export function setTrainStore(store: TrainStore): TrainStore {
  return setContext(KEY, store);
}

export function getTrainStore(): TrainStore {
  const store = getContext<TrainStore | undefined>(KEY);
  if (!store) throw new Error('TrainStore missing from context');
  return store;
}
