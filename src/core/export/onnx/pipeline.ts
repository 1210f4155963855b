/**
 * A fitted preprocessing pipeline as ONNX nodes, from the raw input columns to the model's feature
 * matrix, step by step as `transformTable` and `assemble` do it:
 *
 * - numbers (numeric, integer, boolean 0/1, datetime as epoch milliseconds) travel as double [N, 1]
 *   tensors, NaN = missing; imputation is `Where(IsNaN(x), fill, x)`, scaling `(x − mean) / std`, both
 *   in double like ours;
 * - categories travel as the raw string tensor plus a relabelling learned so far (label → label or
 *   missing, and what unseen labels become), so imputation and string indexing compose exactly; every
 *   encoder (one-hot, frequency, target, the category codes the trees read, missing indicators) is then
 *   one lookup: `LabelEncoder` (string → row) and `Gather` from a double table of the encoder's values;
 * - the features are clamped to ±float32 max and rounded to float32 as `assemble` does, and handed to
 *   the model as double [N, F] (the float32 values exactly).
 *
 * - date parts are computed from the epoch milliseconds in the graph (see `dateParts`).
 *
 * Steps without a faithful translation (an encoder applied to a numeric or boolean column, whose
 * labels would be the numbers' text; a step this file does not know) are refused with an
 * `OnnxExportError` naming the step and column.
 */
import type { SemanticType } from '../../data/table.ts';
import type { FittedPipeline } from '../../pipeline/pipeline.ts';
import { OTHER_LABEL } from '../../pipeline/steps/string-index.ts';
import { DT } from './protobuf.ts';
import { GraphBuilder, ML_DOMAIN, OnnxExportError, attr } from './builder.ts';

const F32_MAX = 3.4028234663852886e38;
/** The label `impute` gives a missing category when it has no fill label (steps/impute.ts). */
const MISSING_LABEL = '(missing)';

const IDENTITY = Symbol('identity');

/** A numeric column: column `col` of a double [N, W] tensor (or the [N, 1] tensor itself). */
interface NumRep {
  readonly kind: 'num';
  readonly t: string;
  readonly col?: number;
}

/**
 * A categorical column: the raw string input and what each raw label has become (a label, or null for
 * missing); labels not in `map` become `dflt` (IDENTITY: themselves). The empty string is missing.
 */
interface CatRep {
  readonly kind: 'cat';
  readonly t: string;
  readonly map: ReadonlyMap<string, string | null>;
  readonly dflt: string | null | typeof IDENTITY;
}

type Rep = NumRep | CatRep;

/** What an encoder gives for a label it knows, for any other label, and for a missing value. */
interface Encoder {
  readonly width: number;
  readonly known: ReadonlyMap<string, readonly number[]>;
  readonly unseen: readonly number[];
  readonly missing: readonly number[];
}

/** How a column is fed to the graph. */
/** A graph input's tensor type: double or float32 numbers, or strings. */
export type InputKind = 'double' | 'float' | 'string';

/** How numbers enter the graph: as double (the default) or as float32 tensors cast to double inside. */
export type NumericInput = 'double' | 'float32';

/**
 * The tensor of a column: strings for categories; numbers as `numeric` says, except dates, which
 * stay double (epoch milliseconds need 41 bits; float32 would round them to about 2 minutes).
 */
export function inputKindOf(type: SemanticType, numeric: NumericInput = 'double'): InputKind {
  if (type === 'categorical' || type === 'text' || type === 'id') return 'string';
  return numeric === 'float32' && type !== 'datetime' ? 'float' : 'double';
}

/** The graph inputs: one 1-D tensor [N] per column the pipelines read, created when first read. */
export class GraphInputs {
  private readonly made = new Map<string, string>();
  readonly used: { name: string; type: SemanticType; kind: InputKind }[] = [];
  constructor(
    private readonly g: GraphBuilder,
    private readonly types: ReadonlyMap<string, SemanticType>,
    private readonly numeric: NumericInput = 'double',
  ) {}

  get(name: string): Rep {
    const type = this.types.get(name);
    if (type === undefined)
      throw new OnnxExportError(
        'signature',
        `column '${name}' is read by the pipeline but not in the signature`,
      );
    const kind = inputKindOf(type, this.numeric);
    let t = this.made.get(name);
    if (t === undefined) {
      this.g.inputs.push({
        name,
        type: kind === 'string' ? DT.STRING : kind === 'float' ? DT.FLOAT : DT.DOUBLE,
        dims: ['N'],
        doc: inputDoc(type) + (kind === 'float' ? ' (float32, cast to double in the graph)' : ''),
      });
      this.used.push({ name, type, kind });
      // float32 inputs are cast to double first: every step after reads doubles as with double inputs
      t = this.g.reshape(kind === 'float' ? this.g.cast(name, DT.DOUBLE) : name, [-1, 1]);
      this.made.set(name, t);
    }
    return kind === 'string'
      ? { kind: 'cat', t, map: new Map([['', null]]), dflt: IDENTITY }
      : { kind: 'num', t };
  }
}

export function inputDoc(type: SemanticType): string {
  switch (type) {
    case 'boolean':
      return 'boolean column: 1 = true, 0 = false, NaN = missing';
    case 'datetime':
      return 'date/time column: milliseconds since 1970-01-01T00:00:00Z (UTC), NaN = missing';
    case 'categorical':
    case 'text':
    case 'id':
      return `${type} column: the cell's text, '' = missing`;
    default:
      return `${type} column: the number, NaN = missing`;
  }
}

const numKey = (v: readonly number[]) => v.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(',');

/** One lookup for a categorical column: [N, enc.width] double. */
function lookup(g: GraphBuilder, rep: CatRep, enc: Encoder): string {
  const rows: (readonly number[])[] = [];
  const rowIndex = new Map<string, number>();
  const rowOf = (v: readonly number[]) => {
    const k = numKey(v);
    let r = rowIndex.get(k);
    if (r === undefined) {
      r = rows.length;
      rows.push(v);
      rowIndex.set(k, r);
    }
    return r;
  };
  const valueOf = (eff: string | null) => (eff === null ? enc.missing : (enc.known.get(eff) ?? enc.unseen));
  const keys: string[] = [];
  const values: number[] = [];
  for (const [k, eff] of rep.map) {
    keys.push(k);
    values.push(rowOf(valueOf(eff)));
  }
  let dflt: number;
  if (rep.dflt === IDENTITY) {
    for (const [label, v] of enc.known) {
      if (rep.map.has(label)) continue;
      keys.push(label);
      values.push(rowOf(v));
    }
    dflt = rowOf(enc.unseen);
  } else dflt = rowOf(valueOf(rep.dflt));
  const [idx] = g.node(
    'LabelEncoder',
    [rep.t],
    {
      keys_strings: attr.strings(keys),
      values_int64s: attr.ints(values),
      default_int64: attr.int(dflt),
    },
    { domain: ML_DOMAIN },
  );
  const table = g.double(rows.flat(), [rows.length, enc.width]);
  return g.op('Gather', [table, g.reshape(idx, [-1])], { axis: attr.int(0) });
}

/** A relabelling applied after the one a column has: `f` on known labels, `unseen` for the rest. */
function relabel(
  rep: CatRep,
  f: (label: string | null) => string | null,
  knownLabels: Iterable<string>,
): CatRep {
  const map = new Map<string, string | null>();
  for (const [k, v] of rep.map) map.set(k, f(v));
  let dflt: CatRep['dflt'];
  if (rep.dflt === IDENTITY) {
    for (const l of knownLabels) if (!map.has(l)) map.set(l, f(l));
    dflt = f(UNSEEN);
  } else dflt = f(rep.dflt);
  return { kind: 'cat', t: rep.t, map, dflt };
}
/** Stands for "a label the relabelling does not know" (never a real label: it holds a NUL). */
const UNSEEN = '\u0000unseen';

function refuse(step: string, message: string): never {
  throw new OnnxExportError(step, `pipeline step '${step}': ${message}; no faithful ONNX translation`);
}

function needNum(rep: Rep, step: string, column: string): NumRep {
  if (rep.kind !== 'num') refuse(step, `column '${column}' holds text where the step expects numbers`);
  return rep;
}

function needCat(rep: Rep, step: string, column: string): CatRep {
  if (rep.kind !== 'cat')
    refuse(
      step,
      `column '${column}' is numeric or boolean here; encoding numbers as category labels (their text) is not translated`,
    );
  return rep;
}

export interface PipelineFeatures {
  /** [N, F] double: the float32 features exactly, as the model reads them. */
  readonly X: string;
  readonly nFeatures: number;
  /** Per feature: the number of category codes (0 for numeric features). */
  readonly nCategories: readonly number[];
}

/** Translates a fitted pipeline into graph nodes reading `inputs`; returns the feature matrix. */
export function translatePipeline(
  g: GraphBuilder,
  pipeline: FittedPipeline,
  inputs: GraphInputs,
): PipelineFeatures {
  const cols = new Map<string, Rep>();
  const get = (name: string, step: string): Rep => {
    const r = cols.get(name);
    if (r) return r;
    const known = !dropped.has(name) && pipeline.inputs.some((c) => c.name === name);
    if (!known) refuse(step, `column '${name}' does not exist at this point`);
    const rep = inputs.get(name);
    cols.set(name, rep);
    return rep;
  };
  const dropped = new Set<string>();
  const materialized = new Map<string, string>();
  const column = (rep: NumRep): string => {
    if (rep.col === undefined) return rep.t;
    const key = `${rep.t}#${rep.col}`;
    let t = materialized.get(key);
    if (t === undefined) {
      t = g.columns(rep.t, [rep.col]);
      materialized.set(key, t);
    }
    return t;
  };

  pipeline.spec.steps.forEach((step, k) => {
    const values = pipeline.states[k]?.values as Record<string, unknown>;
    const kind = step.kind;
    switch (kind) {
      case 'drop':
        for (const c of step.columns) {
          cols.delete(c);
          dropped.add(c);
        }
        return;
      case 'impute': {
        const { fills, indicators } = values as {
          fills: Record<string, { kind: string; value: number | string }>;
          indicators: string[];
        };
        for (const name of step.columns) {
          const rep = get(name, kind);
          const fill = fills[name];
          if (indicators.includes(name)) {
            const ind =
              rep.kind === 'num'
                ? g.cast(g.isNaN(column(rep)), DT.DOUBLE)
                : lookup(g, rep, { width: 1, known: new Map(), unseen: [0], missing: [1] });
            cols.set(`${name}__missing`, { kind: 'num', t: ind });
          }
          if (rep.kind === 'num') {
            const v = fill.kind === 'label' ? 0 : (fill.value as number);
            const x = column(rep);
            cols.set(name, { kind: 'num', t: g.where(g.isNaN(x), g.double(v), x) });
          } else {
            const label = fill.kind === 'label' ? (fill.value as string) : MISSING_LABEL;
            const map = new Map([...rep.map].map(([k, v]) => [k, v ?? label] as const));
            cols.set(name, { ...rep, map, dflt: rep.dflt === null ? label : rep.dflt });
          }
        }
        return;
      }
      case 'string_index': {
        const { vocab, other } = values as {
          vocab: Record<string, string[]>;
          other: Record<string, boolean>;
        };
        for (const name of step.columns) {
          const rep = needCat(get(name, kind), kind, name);
          const words = new Set(vocab[name]);
          const f = (l: string | null) =>
            l === null ? null : words.has(l) ? l : other[name] ? OTHER_LABEL : null;
          cols.set(name, relabel(rep, f, vocab[name]));
        }
        return;
      }
      case 'one_hot': {
        const { categories } = values as { categories: Record<string, string[]> };
        for (const name of step.columns) {
          const rep = needCat(get(name, kind), kind, name);
          const cats = categories[name];
          const w = cats.length + 1;
          const unit = (i: number) => Array.from({ length: w }, (_, j) => (j === i ? 1 : 0));
          const t = lookup(g, rep, {
            width: w,
            known: new Map(cats.map((c, i) => [c, unit(i)])),
            unseen: unit(cats.length),
            missing: new Array<number>(w).fill(0),
          });
          cols.delete(name);
          cats.forEach((c, i) => cols.set(`${name}=${c}`, { kind: 'num', t, col: i }));
          cols.set(`${name}=${OTHER_LABEL}`, { kind: 'num', t, col: cats.length });
        }
        return;
      }
      case 'frequency_encode': {
        const { freq } = values as { freq: Record<string, Record<string, number>> };
        for (const name of step.columns) {
          const rep = needCat(get(name, kind), kind, name);
          const m = freq[name];
          const t = lookup(g, rep, {
            width: 1,
            known: new Map(Object.entries(m).map(([l, f]) => [l, [f]])),
            unseen: [0],
            missing: [NaN],
          });
          cols.set(name, { kind: 'num', t });
        }
        return;
      }
      case 'target_encode': {
        const v = values as {
          outputs: number;
          prior: number[];
          smoothing: number;
          stats: Record<string, Record<string, number[]>>;
        };
        const m = v.smoothing;
        for (const name of step.columns) {
          const rep = needCat(get(name, kind), kind, name);
          const known = new Map<string, number[]>();
          for (const [l, s] of Object.entries(v.stats[name]))
            known.set(
              l,
              v.prior.map((p, j) => (s[1 + j] + m * p) / (s[0] + m)),
            );
          const t = lookup(g, rep, { width: v.outputs, known, unseen: v.prior, missing: v.prior });
          cols.delete(name);
          const names =
            v.outputs === 1
              ? [`${name}__te`]
              : Array.from({ length: v.outputs }, (_, j) => `${name}__te${j}`);
          names.forEach((o, j) => cols.set(o, { kind: 'num', t, col: j }));
        }
        return;
      }
      case 'standard_scale': {
        const { mean, std } = values as { mean: Record<string, number>; std: Record<string, number> };
        for (const name of step.columns) {
          const x = column(needNum(get(name, kind), kind, name));
          cols.set(name, { kind: 'num', t: g.div(g.sub(x, g.double(mean[name])), g.double(std[name])) });
        }
        return;
      }
      case 'date_parts': {
        const { hasTime } = values as { hasTime: Record<string, boolean> };
        const cyclic = step.config?.cyclic !== false;
        for (const name of step.columns) {
          const v = column(needNum(get(name, kind), kind, name));
          const parts = dateParts(g, v, hasTime[name], cyclic);
          cols.delete(name);
          for (const [part, t] of parts) cols.set(`${name}__${part}`, { kind: 'num', t });
        }
        return;
      }
      default:
        refuse(kind, 'an unknown step');
    }
  });

  // assemble: the layout's features in order; neighbouring columns of one tensor taken together
  const items: { t: string; col?: number }[] = [];
  const nCategories: number[] = [];
  for (const f of pipeline.layout) {
    const rep = get(f.name, 'assemble');
    if (f.kind === 'cat') {
      const vocab = f.vocab ?? [];
      const t = lookup(g, needCat(rep, 'assemble', f.name), {
        width: 1,
        known: new Map(vocab.map((l, i) => [l, [i]])),
        unseen: [NaN],
        missing: [NaN],
      });
      items.push({ t });
      nCategories.push(vocab.length);
    } else {
      const num = needNum(rep, 'assemble', f.name);
      items.push(num.col === undefined ? { t: num.t } : { t: num.t, col: num.col });
      nCategories.push(0);
    }
  }
  const parts: string[] = [];
  for (let i = 0; i < items.length;) {
    const { t, col } = items[i];
    if (col === undefined) {
      parts.push(t);
      i++;
      continue;
    }
    const run = [col];
    let j = i + 1;
    while (j < items.length && items[j].t === t && items[j].col !== undefined) run.push(items[j++].col!);
    parts.push(g.columns(t, run));
    i = j;
  }
  if (parts.length === 0) refuse('assemble', 'the pipeline produces no features');
  const all = g.concat(parts);
  const max = g.double(F32_MAX);
  const min = g.double(-F32_MAX);
  const clamped = g.where(g.op('Greater', [all, max]), max, g.where(g.op('Less', [all, min]), min, all));
  const X = g.cast(g.cast(clamped, DT.FLOAT), DT.DOUBLE);
  return { X, nFeatures: pipeline.layout.length, nCategories };
}

const DAY_MS = 86_400_000;

/**
 * The calendar parts of epoch milliseconds (UTC) in double arithmetic, as `date_parts` computes them
 * with `Date`: Howard Hinnant's days → civil date algorithm (every division a whole-number division of
 * values below 2^53, so `Floor(a / b)` is exact), weekday with Monday = 0, day of the year, hour with
 * minutes as a fraction, and the optional sin/cos encodings. NaN stays NaN in every part.
 */
function dateParts(g: GraphBuilder, v: string, hasTime: boolean, cyclic: boolean): [string, string][] {
  const c = (x: number) => g.double(x);
  const fdiv = (a: string, b: number) => g.op('Floor', [g.div(a, c(b))]);
  const days = fdiv(v, DAY_MS);
  const z = g.add(days, c(719_468));
  const era = fdiv(z, 146_097);
  const doe = g.sub(z, g.mul(era, c(146_097)));
  const yoe = fdiv(g.sub(g.add(g.sub(doe, fdiv(doe, 1460)), fdiv(doe, 36_524)), fdiv(doe, 146_096)), 365);
  const y = g.add(yoe, g.mul(era, c(400)));
  const doy0 = g.sub(doe, g.sub(g.add(g.mul(yoe, c(365)), fdiv(yoe, 4)), fdiv(yoe, 100)));
  const mp = fdiv(g.add(g.mul(doy0, c(5)), c(2)), 153);
  const day = g.add(g.sub(doy0, fdiv(g.add(g.mul(mp, c(153)), c(2)), 5)), c(1));
  const janFeb = g.op('Not', [g.op('Less', [mp, c(10)])]);
  const month = g.where(janFeb, g.sub(mp, c(9)), g.add(mp, c(3)));
  const year = g.where(janFeb, g.add(y, c(1)), y);
  const divisible = (a: string, b: number) => g.op('Equal', [g.sub(a, g.mul(fdiv(a, b), c(b))), c(0)]);
  const leap = g.op('Or', [
    g.op('And', [divisible(year, 4), g.op('Not', [divisible(year, 100)])]),
    divisible(year, 400),
  ]);
  // day of the year: March 1 is day 60 (61 in a leap year); January 1 is doy0 = 306
  const marchOn = g.add(g.add(doy0, c(60)), g.cast(leap, DT.DOUBLE));
  const dayOfYear = g.where(janFeb, g.sub(doy0, c(305)), marchOn);
  const shifted = g.add(days, c(3));
  const weekday = g.sub(shifted, g.mul(fdiv(shifted, 7), c(7)));
  const out: [string, string][] = [
    ['year', year],
    ['month', month],
    ['day', day],
    ['weekday', weekday],
    ['dayofyear', dayOfYear],
  ];
  let hour = '';
  if (hasTime) {
    const ms = g.sub(v, g.mul(days, c(DAY_MS)));
    const hours = fdiv(ms, 3_600_000);
    const minutes = fdiv(g.sub(ms, g.mul(hours, c(3_600_000))), 60_000);
    hour = g.add(hours, g.div(minutes, c(60)));
    out.push(['hour', hour]);
  }
  if (cyclic) {
    const cyc = (src: string, period: number, offset: number, label: string) => {
      const a = g.div(g.mul(c(2 * Math.PI), g.sub(src, c(offset))), c(period));
      out.push([`${label}_sin`, g.op('Sin', [a])], [`${label}_cos`, g.op('Cos', [a])]);
    };
    cyc(month, 12, 1, 'month');
    cyc(weekday, 7, 0, 'weekday');
    if (hasTime) cyc(hour, 24, 0, 'hour');
  }
  // NaN input: Where/Equal above turn NaN into numbers in places; put NaN back in every part
  const missing = g.isNaN(v);
  const nan = c(NaN);
  return out.map(([name, t]) => [name, g.where(missing, nan, t)]);
}
