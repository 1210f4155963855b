/** The sampler interface: given a space, what was tried so far and a seeded RNG, propose a point. */
import type { Rng } from '../../util/random.ts';
import type { Params, SearchSpace } from '../space.ts';

export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAILED';

/** What a sampler sees of a past (or running) trial. */
export interface Observation {
  readonly number: number;
  readonly params: Params;
  readonly state: TrialState;
  /** Objective to minimise (the study negates maximised metrics). Set for COMPLETE trials. */
  readonly loss?: number;
}

export interface Sampler {
  /** The registered name ('portfolio', 'random', 'tpe'). */
  readonly name: string;
  /**
   * A point of `space`: every active parameter set, inactive ones absent, values within bounds.
   * Pure given (space, history, rng state): the same inputs give the same point.
   */
  sample(space: SearchSpace, history: readonly Observation[], rng: Rng): Params;
}
