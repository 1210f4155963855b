/** Samplers registered under stable names. */
import type { Sampler } from './types.ts';
import { randomSampler } from './random.ts';
import { tpeSampler, type TpeOptions } from './tpe.ts';
import { portfolioSampler, type PortfolioOptions } from './portfolio.ts';

export type { Observation, Sampler, TrialState } from './types.ts';
export { randomSampler } from './random.ts';
export { tpeSampler, defaultGamma, defaultWeights, type TpeOptions } from './tpe.ts';
export {
  portfolioSampler,
  DEFAULT_PORTFOLIO,
  FRUGAL_PROBES,
  frugalAllowance,
  type PortfolioOptions,
} from './portfolio.ts';

export type SamplerFactory = (options?: Readonly<Record<string, unknown>>) => Sampler;

const registry = new Map<string, SamplerFactory>();

export function registerSampler(name: string, factory: SamplerFactory): void {
  if (registry.has(name) && registry.get(name) !== factory)
    throw new Error(`sampler '${name}' is already registered`);
  registry.set(name, factory);
}

export function createSampler(name: string, options?: Readonly<Record<string, unknown>>): Sampler {
  const f = registry.get(name);
  if (!f) throw new Error(`unknown sampler '${name}'; registered: ${listSamplers().join(', ')}`);
  return f(options);
}

export function listSamplers(): string[] {
  return [...registry.keys()].sort();
}

registerSampler('random', () => randomSampler());
registerSampler('tpe', (o) => tpeSampler(o as TpeOptions | undefined));
registerSampler('portfolio', (o) => portfolioSampler(o as PortfolioOptions | undefined));
// The portfolio with a cost-frugal start (cheap probes, round caps grown when they pay).
registerSampler('frugal', (o) =>
  portfolioSampler({ ...(o as PortfolioOptions | undefined), costFrugal: true }),
);
