/**
 * Search spaces as plain data: each parameter has a name, a type (float / int / categorical), a range
 * (optionally on a log scale) and an optional condition on an earlier parameter's value. A space is
 * recorded with every trial, so a result can be read without the code that produced it.
 *
 * Conditions: a parameter is active when the parameter it names is active and has one of the listed
 * values. Conditions may only refer to parameters declared earlier (a tree, sampled top-down).
 */
import { StudioError } from '../errors.ts';
import type { Rng } from '../util/random.ts';
import { exp, log } from '../util/portable-math.ts';

export type ParamValue = number | string | boolean;
/** Sampled values of the active parameters only (inactive parameters are absent). */
export type Params = Readonly<Record<string, ParamValue>>;

export interface Condition {
  readonly param: string;
  readonly in: readonly ParamValue[];
}

export interface FloatParam {
  readonly name: string;
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log?: boolean;
  readonly condition?: Condition;
  readonly doc?: string;
}

export interface IntParam {
  readonly name: string;
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log?: boolean;
  readonly condition?: Condition;
  readonly doc?: string;
}

export interface CategoricalParam {
  readonly name: string;
  readonly type: 'categorical';
  readonly choices: readonly ParamValue[];
  readonly condition?: Condition;
  readonly doc?: string;
}

export type ParamSpec = FloatParam | IntParam | CategoricalParam;

export interface SearchSpace {
  readonly params: readonly ParamSpec[];
}

export class SearchSpaceError extends StudioError {
  readonly kind = 'input';
  constructor(message: string) {
    super(message);
    this.name = 'SearchSpaceError';
  }
}

/** Throws SearchSpaceError on duplicate names, bad ranges, empty choices or forward conditions. */
export function validateSpace(space: SearchSpace): void {
  const seen = new Map<string, ParamSpec>();
  for (const p of space.params) {
    if (!p.name) throw new SearchSpaceError('a parameter needs a name');
    if (seen.has(p.name)) throw new SearchSpaceError(`parameter '${p.name}' is declared twice`);
    if (p.type === 'float' || p.type === 'int') {
      if (!Number.isFinite(p.low) || !Number.isFinite(p.high) || p.low > p.high) {
        throw new SearchSpaceError(`parameter '${p.name}': range [${p.low}, ${p.high}] is not valid`);
      }
      if (p.log && p.low <= 0) {
        throw new SearchSpaceError(`parameter '${p.name}': a log scale needs low > 0, got ${p.low}`);
      }
      if (p.type === 'int' && (!Number.isInteger(p.low) || !Number.isInteger(p.high))) {
        throw new SearchSpaceError(`parameter '${p.name}': int bounds must be integers`);
      }
    } else if (p.type === 'categorical') {
      if (!p.choices.length) throw new SearchSpaceError(`parameter '${p.name}' has no choices`);
    } else {
      throw new SearchSpaceError(`parameter '${(p as ParamSpec).name}': unknown type`);
    }
    if (p.condition) {
      const parent = seen.get(p.condition.param);
      if (!parent) {
        throw new SearchSpaceError(
          `parameter '${p.name}' depends on '${p.condition.param}', which must be declared before it`,
        );
      }
      if (!p.condition.in.length) throw new SearchSpaceError(`parameter '${p.name}': empty condition`);
    }
    seen.set(p.name, p);
  }
}

/** True when `spec` is active given the (partial) parameter values sampled so far. */
export function isActive(spec: ParamSpec, params: Params): boolean {
  if (!spec.condition) return true;
  const v = params[spec.condition.param];
  return v !== undefined && spec.condition.in.includes(v);
}

/** One value of a parameter, uniformly (log-uniformly on a log scale). */
export function sampleParamRandom(spec: ParamSpec, rng: Rng): ParamValue {
  switch (spec.type) {
    case 'categorical':
      return spec.choices[rng.int(spec.choices.length)];
    case 'float': {
      if (spec.log) {
        // portable log/exp: the engine's differ in the last bit between runtimes (so would the trial)
        const a = log(spec.low);
        const b = log(spec.high);
        return clamp(exp(a + rng.next() * (b - a)), spec.low, spec.high);
      }
      return spec.low + rng.next() * (spec.high - spec.low);
    }
    case 'int': {
      if (spec.log) {
        const a = log(spec.low - 0.5);
        const b = log(spec.high + 0.5);
        return clamp(Math.round(exp(a + rng.next() * (b - a))), spec.low, spec.high);
      }
      return spec.low + rng.int(spec.high - spec.low + 1);
    }
  }
}

/** Samples every active parameter independently and uniformly, top-down. */
export function sampleRandom(space: SearchSpace, rng: Rng): Params {
  const out: Record<string, ParamValue> = {};
  for (const p of space.params) if (isActive(p, out)) out[p.name] = sampleParamRandom(p, rng);
  return out;
}

/**
 * Problems with `params` against `space`: out-of-range or wrong-type values, missing active
 * parameters, values for inactive or unknown parameters. Empty when valid.
 */
export function checkParams(space: SearchSpace, params: Params): string[] {
  const problems: string[] = [];
  const known = new Set(space.params.map((p) => p.name));
  for (const k of Object.keys(params)) if (!known.has(k)) problems.push(`unknown parameter '${k}'`);
  for (const p of space.params) {
    const v = params[p.name];
    const active = isActive(p, params);
    if (!active) {
      if (v !== undefined) problems.push(`'${p.name}' is set but inactive`);
      continue;
    }
    if (v === undefined) {
      problems.push(`'${p.name}' is active but missing`);
      continue;
    }
    if (p.type === 'categorical') {
      if (!p.choices.includes(v)) problems.push(`'${p.name}' = ${JSON.stringify(v)} is not a choice`);
    } else if (typeof v !== 'number' || !(v >= p.low && v <= p.high)) {
      problems.push(`'${p.name}' = ${JSON.stringify(v)} is outside [${p.low}, ${p.high}]`);
    } else if (p.type === 'int' && !Number.isInteger(v)) {
      problems.push(`'${p.name}' = ${v} is not an integer`);
    }
  }
  return problems;
}

/** Keeps only the parameters that are active (fills nothing); use to clean a hand-written config. */
export function activeParams(space: SearchSpace, params: Params): Params {
  const out: Record<string, ParamValue> = {};
  for (const p of space.params) {
    if (isActive(p, out) && params[p.name] !== undefined) out[p.name] = params[p.name];
  }
  return out;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
