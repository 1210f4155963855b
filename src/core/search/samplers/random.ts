/** Independent uniform (log-uniform on log scales) sampling of the active parameters. */
import { sampleRandom } from '../space.ts';
import type { Sampler } from './types.ts';

export function randomSampler(): Sampler {
  return { name: 'random', sample: (space, _history, rng) => sampleRandom(space, rng) };
}
