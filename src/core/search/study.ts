/**
 * A study: the ask/tell loop over trials. `ask()` proposes a trial (family, parameters, seed) from the
 * sampler; the caller trains it anywhere (in process or in a worker pool: see runner.ts), reports rung values
 * with `report()` (which answers continue/prune by successive halving) and finishes it with `tell()`.
 * Trial records are frozen snapshots; the study keeps the live state.
 */
import { createRng } from '../util/random.ts';
import { METRICS } from '../metrics/index.ts';
import type { Task } from '../models/types.ts';
import type { FamilyName } from '../train/families.ts';
import type { Params, SearchSpace } from './space.ts';
import { checkParams } from './space.ts';
import {
  FAMILY_PARAM,
  checkTrialParams,
  familySpace,
  joinParams,
  jointSpace,
  splitJoint,
  toFamilyConfig,
  netAllowanceParam,
  withLegacyDefaults,
} from './spaces.ts';
import type { Observation, Sampler, TrialState } from './samplers/index.ts';
import { createSampler } from './samplers/index.ts';
import type { HalvingConfig, HalvingDecision } from './halving.ts';
import { halvingDecision, promotionDecision, rungBudgets } from './halving.ts';

export type { TrialState } from './samplers/index.ts';

export interface RungRecord {
  /** Resource at the rung (rounds, trees or epochs). */
  readonly budget: number;
  /** Validation loss there (lower is better). */
  readonly value: number;
  readonly decision: HalvingDecision;
}

/** Why a trial ended early ('error' also covers a crashed worker: see `Trial.error`). */
export type EndReason = 'halving' | 'deadline' | 'aborted' | 'error';

export interface Trial {
  readonly id: string;
  readonly number: number;
  readonly family: FamilyName;
  /** The family's own parameters (as in spaces.ts). */
  readonly params: Params;
  /** The family config the model was trained with (resource excluded; it is per fold). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** The sampler that proposed it, or 'replay' / 'enqueued'. */
  readonly source: string;
  readonly state: TrialState;
  readonly rungs: readonly RungRecord[];
  /** Metric over all validation predictions (out-of-fold for k-fold). */
  readonly value?: number;
  readonly foldValues?: readonly number[];
  /** Resource used per fold (rounds/trees or epochs actually trained, best iteration for boosting). */
  readonly resources?: readonly number[];
  readonly durations: TrialDurations;
  readonly reason?: EndReason;
  readonly error?: string;
  /**
   * Training rows its value, predictions and model come from when that is a row subsample (a trial
   * not promoted past a subsample level: subsample.ts); absent: all of the plan's training rows.
   */
  readonly rows?: number;
}

/** How long a trial took, seconds (timings only: never recorded in a manifest, so never replayed). */
export interface TrialDurations {
  readonly total?: number;
  /** Each fold's (or its last level's) fit, scoring included, its data's preparation excluded. */
  readonly folds?: readonly number[];
  /** The fit of the pipeline its outcome's model reads (`FoldData.fit`; rows and seconds). */
  readonly pipeline?: { readonly rows: number; readonly secs: number };
}

export interface TrialResult {
  readonly state: Exclude<TrialState, 'RUNNING'>;
  readonly value?: number;
  readonly foldValues?: readonly number[];
  readonly resources?: readonly number[];
  readonly durations?: TrialDurations;
  readonly reason?: EndReason;
  readonly error?: string;
  /** See `Trial.rows`. */
  readonly rows?: number;
}

/** A configuration to run as is (replay of a recorded trial list, or a user's own). */
export interface TrialSpec {
  readonly family: FamilyName;
  readonly params: Params;
  readonly seed?: number;
}

export interface StudyOptions {
  readonly task: Task;
  readonly metric: string;
  readonly families: readonly FamilyName[];
  readonly seed: number;
  /** A sampler or a registered name; default 'portfolio' (then TPE). */
  readonly sampler?: Sampler | string;
  /** Successive halving settings (η, minimum peers), or false to never prune. */
  readonly halving?: false | Pick<HalvingConfig, 'reductionFactor' | 'minPeers'>;
  /**
   * Row-subsample rung budgets (training rows, subsample.ts): at these rungs a trial's peers are the
   * trials of every family (the value there is the search metric as a loss, comparable across
   * families); at the round rungs only its own family's.
   */
  readonly rowRungs?: readonly number[];
}

/**
 * Rounds × learning rate a capped GBDT trial keeps at least (`capGbdtRounds`): XGBoost's defaults'
 * (0.3 × 100 rounds). On letter a slow learner cut to a few dozen rounds is wasted: at 40–75 rounds,
 * learning rate 0.3 reached log loss 0.25–0.26 on the synthetic set where 0.1 reached 0.41 and 0.05
 * 0.88; on the real set, 15 (0.18 at 84 rounds) gave 0.129 on test where 0.3 × 100 gave 0.107.
 */
export const CAPPED_RATE_ROUNDS = 30;
/** The GBDT space's highest learning rate. */
const MAX_RATE = 0.3;

/**
 * A GBDT point with its round cap lowered to `cap` and its learning rate raised, if need be, so that
 * cap × rate ≥ CAPPED_RATE_ROUNDS (at most the space's 0.3): the round allowance's cheap trials learn
 * what a few dozen rounds can. Both values are the trial's recorded parameters.
 */
export function capGbdtRounds(joint: Params, cap: number): Params {
  const lr = joint['gbdt.learningRate'];
  if (typeof lr !== 'number' || lr * cap >= CAPPED_RATE_ROUNDS) return { ...joint, 'gbdt.roundCap': cap };
  const rate = Math.min(MAX_RATE, Math.max(lr, CAPPED_RATE_ROUNDS / cap));
  return { ...joint, 'gbdt.roundCap': cap, 'gbdt.learningRate': rate };
}

function mix(seed: number, n: number): number {
  let h = (Math.floor(seed) ^ 0x5bd1e995) >>> 0;
  h = Math.imul(h ^ (n + 0x27d4eb2f), 0x85ebca6b) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

interface LiveTrial {
  trial: Trial;
  joint: Params;
}

/** Allowance caps for a sampled trial (`Study.ask`). */
export interface AskOptions {
  readonly roundCap?: number;
  /**
   * A sampled net's epoch allowance for its parameters (recorded as `epochCap` when below the family's
   * maximum); for a linear trial solved by 'glm', its iteration allowance (`maxIterations`).
   */
  readonly epochCap?: (family: FamilyName, params: Params) => number | undefined;
  /** A sampled random forest's tree allowance for its parameters (recorded as `treeCap` when below the maximum). */
  readonly treeCap?: (params: Params) => number | undefined;
}

export class Study {
  readonly task: Task;
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly families: readonly FamilyName[];
  readonly seed: number;
  readonly space: SearchSpace;
  readonly sampler: Sampler;
  readonly halving: false | Pick<HalvingConfig, 'reductionFactor' | 'minPeers'>;
  readonly rowRungs: ReadonlySet<number>;
  private readonly live: LiveTrial[] = [];
  private readonly queue: TrialSpec[] = [];

  constructor(opts: StudyOptions) {
    const info = METRICS[opts.metric];
    if (!info) throw new Error(`unknown metric '${opts.metric}'`);
    if (!info.tasks.includes(opts.task))
      throw new Error(`metric '${opts.metric}' does not fit task '${opts.task}'`);
    this.task = opts.task;
    this.metric = opts.metric;
    this.direction = info.direction;
    this.families = [...opts.families];
    this.seed = opts.seed;
    this.space = jointSpace(this.families);
    this.sampler =
      typeof opts.sampler === 'object' ? opts.sampler : createSampler(opts.sampler ?? 'portfolio');
    this.halving = opts.halving ?? {};
    this.rowRungs = new Set(opts.rowRungs ?? []);
  }

  get trials(): readonly Trial[] {
    return this.live.map((l) => l.trial);
  }

  /** Queues configurations to run before sampling (replay, or the user's own). */
  enqueue(...specs: TrialSpec[]): void {
    for (const spec of specs) {
      // a trial recorded before a parameter joined the space ran with its legacy value
      const s = { ...spec, params: withLegacyDefaults(spec.family, spec.params) };
      const problems = checkTrialParams(s.family, s.params);
      if (problems.length) throw new Error(`enqueued ${s.family} trial: ${problems.join('; ')}`);
      this.queue.push(s);
    }
  }

  /** Objective to minimise for the samplers. */
  loss(value: number): number {
    return this.direction === 'maximize' ? -value : value;
  }

  observations(): Observation[] {
    return this.live.map((l) => ({
      number: l.trial.number,
      params: l.joint,
      state: l.trial.state,
      ...(l.trial.state === 'COMPLETE' && l.trial.value !== undefined
        ? { loss: this.loss(l.trial.value) }
        : {}),
    }));
  }

  /**
   * Proposes the next trial (state RUNNING). `roundCap`: a sampled GBDT trial's `roundCap` is lowered
   * to it (the time-budgeted search's round allowance, allowance.ts); `epochCap`: a sampled net's
   * epochs are capped at what it answers for the trial's parameters (recorded as `epochCap` when
   * below the family's maximum); `treeCap`: likewise a sampled random forest's trees (`treeCap`).
   * The trial records the values it trains with. Enqueued trials
   * (replays, the user's own) run as given.
   */
  ask(opts: AskOptions = {}): Trial {
    const number = this.live.length;
    const queued = this.queue.shift();
    let joint: Params;
    let seed = mix(this.seed, number);
    let source = this.sampler.name;
    if (queued) {
      joint = joinParams(queued.family, queued.params);
      if (queued.seed !== undefined) seed = queued.seed;
      source = 'enqueued';
    } else {
      joint = this.sampler.sample(
        this.space,
        this.observations(),
        createRng(mix(this.seed ^ 0x9e3779b9, number)),
      );
      const problems = checkParams(this.space, joint);
      if (problems.length)
        throw new Error(`sampler '${this.sampler.name}' proposed an invalid point: ${problems.join('; ')}`);
      const cap = joint['gbdt.roundCap'];
      if (
        opts.roundCap !== undefined &&
        joint[FAMILY_PARAM] === 'gbdt' &&
        typeof cap === 'number' &&
        cap > opts.roundCap
      )
        joint = capGbdtRounds(joint, Math.max(1, Math.round(opts.roundCap)));
      const fam = joint[FAMILY_PARAM] as FamilyName;
      // a glm linear trial has no epochs: its allowance is the solver's iterations (`maxIterations`)
      const allow = opts.epochCap ? netAllowanceParam(fam, splitJoint(joint).params) : undefined;
      if (opts.epochCap && allow) {
        const own = splitJoint(joint).params;
        const want = own[allow.name] === undefined ? opts.epochCap(fam, own) : undefined;
        if (want !== undefined && want < allow.max)
          joint = { ...joint, [`${fam}.${allow.name}`]: Math.max(1, Math.round(want)) };
      }
      if (opts.treeCap && familySpace(fam).recorded?.some((p) => p.name === 'treeCap')) {
        const own = splitJoint(joint).params;
        const max = familySpace(fam).resource.max;
        const want = own.treeCap === undefined ? opts.treeCap(own) : undefined;
        if (want !== undefined && want < max)
          joint = { ...joint, [`${fam}.treeCap`]: Math.max(1, Math.round(want)) };
      }
    }
    const { family, params } = splitJoint(joint);
    if (!this.families.includes(family)) throw new Error(`family '${family}' is not part of this study`);
    const trial: Trial = freezeTrial({
      id: `trial-${number}`,
      number,
      family,
      params,
      config: toFamilyConfig(family, params, this.task),
      seed,
      source,
      state: 'RUNNING',
      rungs: [],
      durations: {},
    });
    this.live.push({ trial, joint });
    return trial;
  }

  private find(id: string): LiveTrial {
    const l = this.live.find((t) => t.trial.id === id);
    if (!l) throw new Error(`unknown trial '${id}'`);
    return l;
  }

  /**
   * Records a rung value (validation loss at `budget` rounds/epochs) and answers whether the trial
   * should go on. Peers are the same family's values at the same budget: `peerValues` when given (a
   * snapshot, e.g. from `peerSnapshot` when the trial was asked), else every other trial's.
   */
  report(id: string, budget: number, value: number, peerValues?: readonly number[]): HalvingDecision {
    const l = this.find(id);
    if (l.trial.state !== 'RUNNING') throw new Error(`trial '${id}' is ${l.trial.state}, not RUNNING`);
    const peers: number[] = [];
    if (peerValues) peers.push(...peerValues);
    else {
      for (const o of this.live) {
        if (o === l || (o.trial.family !== l.trial.family && !this.rowRungs.has(budget))) continue;
        for (const r of o.trial.rungs) if (r.budget === budget) peers.push(r.value);
      }
    }
    const decision =
      this.halving === false
        ? 'continue'
        : this.rowRungs.has(budget)
          ? promotionDecision(value, peers, this.halving)
          : halvingDecision(value, peers, this.halving);
    l.trial = freezeTrial({ ...l.trial, rungs: [...l.trial.rungs, { budget, value, decision }] });
    return decision;
  }

  /**
   * Rung values of the family's finished trials (not RUNNING), per rung resource: the peers a trial
   * asked now is judged against (see the runner's determinism rule). `report(id, b, v, snap[b])`.
   */
  peerSnapshot(family: FamilyName): Record<number, number[]> {
    return this.peersAmong(
      family,
      this.live.filter((o) => o.trial.state !== 'RUNNING').map((o) => o.trial.number),
    );
  }

  /**
   * Peer values for a trial of `family` judged against the trials `numbers` (ascending order is
   * used): their rung values at the round rungs for the same family, at the row rungs for any family.
   */
  peersAmong(family: FamilyName, numbers: readonly number[]): Record<number, number[]> {
    const out: Record<number, number[]> = {};
    for (const num of [...numbers].sort((a, b) => a - b)) {
      const o = this.live[num].trial;
      const same = o.family === family;
      for (const r of o.rungs) if (same || this.rowRungs.has(r.budget)) (out[r.budget] ??= []).push(r.value);
    }
    return out;
  }

  /** Rung resources for a family (empty when halving is off). */
  rungs(family: FamilyName): number[] {
    if (this.halving === false) return [];
    const r = familySpace(family).resource;
    return rungBudgets({
      minResource: r.min,
      maxResource: r.max,
      reductionFactor: this.halving.reductionFactor,
    });
  }

  tell(id: string, result: TrialResult): Trial {
    const l = this.find(id);
    if (l.trial.state !== 'RUNNING') throw new Error(`trial '${id}' was already told (${l.trial.state})`);
    if (result.state === 'COMPLETE' && !(typeof result.value === 'number' && !Number.isNaN(result.value))) {
      throw new Error(`a COMPLETE trial needs a value`);
    }
    const t: Trial = {
      ...l.trial,
      state: result.state,
      ...(result.value !== undefined ? { value: result.value } : {}),
      ...(result.foldValues ? { foldValues: [...result.foldValues] } : {}),
      ...(result.resources ? { resources: [...result.resources] } : {}),
      durations: { ...result.durations },
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.rows !== undefined ? { rows: result.rows } : {}),
    };
    l.trial = freezeTrial(t);
    return l.trial;
  }

  /**
   * Gives a finished (PRUNED) trial the value and resources of the model rescued from it when no
   * trial of a time-budgeted search finished (runner.ts); its state and reason stay as told.
   */
  rescued(
    id: string,
    result: { readonly value: number; readonly resources: readonly number[]; readonly rows?: number },
  ): Trial {
    const l = this.find(id);
    if (l.trial.state !== 'PRUNED') throw new Error(`trial '${id}' is ${l.trial.state}, not PRUNED`);
    l.trial = freezeTrial({
      ...l.trial,
      value: result.value,
      resources: [...result.resources],
      ...(result.rows !== undefined ? { rows: result.rows } : {}),
    });
    return l.trial;
  }

  /** True when a is better than b under the study's metric. */
  better(a: number, b: number): boolean {
    return this.direction === 'maximize' ? a > b : a < b;
  }

  /** Complete trials, best first (ties: earlier first). */
  ranked(): Trial[] {
    return this.trials
      .filter((t) => t.state === 'COMPLETE' && t.value !== undefined && Number.isFinite(t.value))
      .sort((a, b) => this.loss(a.value!) - this.loss(b.value!) || a.number - b.number);
  }

  best(): Trial | undefined {
    return this.ranked()[0];
  }

  /** Everything needed to replay: per trial the family, parameters and seed, in order. */
  replayList(): TrialSpec[] {
    return this.trials.map((t) => ({ family: t.family, params: t.params, seed: t.seed }));
  }

  toJSON(): Record<string, unknown> {
    return {
      task: this.task,
      metric: this.metric,
      direction: this.direction,
      seed: this.seed,
      families: this.families,
      sampler: this.sampler.name,
      halving: this.halving,
      familyParam: FAMILY_PARAM,
      space: this.space,
      trials: this.trials,
    };
  }
}

function freezeTrial(t: Trial): Trial {
  Object.freeze(t.params);
  Object.freeze(t.config);
  for (const r of t.rungs) Object.freeze(r);
  Object.freeze(t.rungs);
  Object.freeze(t.durations);
  if (t.foldValues) Object.freeze(t.foldValues);
  if (t.resources) Object.freeze(t.resources);
  return Object.freeze(t);
}
