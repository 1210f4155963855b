/**
 * Moving a parsed Explain view (or any JSON value) between threads cheaply: `packJson` replaces each
 * long array of numbers (and nulls) by a Float64Array (null as NaN: JSON holds no NaN) and each long
 * array of strings by one string joined with NUL, so the value crosses postMessage as a few
 * transferable buffers and big strings instead of hundreds of thousands of cloned elements;
 * `unpackJson` restores the same value. The explain-parse worker (workers/explain-parse.worker.ts)
 * parses a stored explain.json and packs it, so the page's main thread never runs the multi-megabyte
 * JSON.parse of a 10,000-row view.
 */

/** Arrays shorter than this are left as they are (packing them saves nothing). */
const MIN_PACKED = 64;
const NUMS = '\u0000f64';
const STRS = '\u0000str';
const SEP = '\u0000';

export interface PackedJson {
  readonly value: unknown;
  readonly numbers: Float64Array[];
  readonly strings: string[];
}

type NumMarker = { [NUMS]: number; nulls: boolean };
type StrMarker = { [STRS]: number; n: number };

function numberArray(a: unknown[]): { nulls: boolean } | null {
  let nulls = false;
  for (const x of a) {
    if (x === null) nulls = true;
    else if (typeof x !== 'number') return null;
  }
  return { nulls };
}

function stringArray(a: unknown[]): boolean {
  for (const x of a) if (typeof x !== 'string' || x.includes(SEP)) return false;
  return true;
}

/** Packs a JSON value (as JSON.parse returns it); the buffers of `numbers` can be transferred. */
export function packJson(value: unknown): PackedJson {
  const numbers: Float64Array[] = [];
  const strings: string[] = [];
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length >= MIN_PACKED) {
        const num = numberArray(v);
        if (num) {
          const f = new Float64Array(v.length);
          for (let i = 0; i < v.length; i++) f[i] = v[i] === null ? NaN : (v[i] as number);
          numbers.push(f);
          return { [NUMS]: numbers.length - 1, nulls: num.nulls } satisfies NumMarker;
        }
        if (stringArray(v)) {
          strings.push(v.join(SEP));
          return { [STRS]: strings.length - 1, n: v.length } satisfies StrMarker;
        }
      }
      return v.map(walk);
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return { value: walk(value), numbers, strings };
}

/** The value `packJson` was given. */
export function unpackJson(p: PackedJson): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      if (NUMS in v) {
        const m = v as NumMarker;
        const f = p.numbers[m[NUMS]]!;
        const a: (number | null)[] = new Array<number | null>(f.length);
        if (m.nulls) for (let i = 0; i < f.length; i++) a[i] = Number.isNaN(f[i]!) ? null : f[i]!;
        else for (let i = 0; i < f.length; i++) a[i] = f[i]!;
        return a;
      }
      if (STRS in v) {
        const m = v as StrMarker;
        const s = p.strings[m[STRS]]!;
        // one empty string joins to '', which split would read as one element: n says how many
        return m.n === 1 ? [s] : s.split(SEP);
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(p.value);
}
