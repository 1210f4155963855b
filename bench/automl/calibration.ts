/**
 * Post-hoc calibration of the search's final model (issue 17: overconfident probabilities on small
 * multiclass data). Per dataset and seed it runs the search as run.ts does, then fits two one-parameter
 * corrections on the search's validation predictions of the chosen combination (`SearchResult.validation`:
 * out-of-fold rows on a k-fold plan, the holdout's rows otherwise):
 *
 * - temperature: p'_k ∝ p_k^(1/T) (a temperature on the log-probabilities), T by golden section on
 *   β = 1/T ∈ [0.05, 5] (the log loss is convex in β);
 * - soften: the same with T ≥ 1 only (β ∈ [0.05, 1]);
 * - shrinkage toward the class prior: p' = (1−ε)p + ε·prior (prior = the validation rows' class
 *   frequencies), ε by golden section on [0, 0.5] (convex in ε).
 *
 * The nested rule: the validation rows are cut into 5 interleaved groups (row position mod 5, as
 * estimate.ts groups a holdout); for each group the parameter is fitted on the other four and applied
 * to it, and the correction would be applied only when that held-out log loss is below the
 * uncorrected one. The parameter used on test is fitted on all validation rows. Test predictions are
 * scored by score.py before and after each correction; "rule" is the test score the nested rule
 * gives (after when it applies, before otherwise).
 *
 *   npx tsx bench/automl/calibration.ts --datasets penguins,wine [--seeds 42,43,44] [--max-trials 40]
 *                                       [--budget 60] [--workers N] [--json out.json]
 *
 * --max-trials caps the trials (comparable runs whatever the load); without it the search runs for
 * --budget seconds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { splitOf } from './split.ts';
import { loadBaselines, predictionsCsv, scoreFile, searchDataset, type DatasetEntry } from './common.ts';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '60' },
    datasets: { type: 'string', default: 'penguins,letter,income_survey,wine,glass,digits,soybean,dna' },
    seeds: { type: 'string', default: '42,43,44' },
    'max-trials': { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    workers: { type: 'string' },
    json: { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'automl', 'calibration');
mkdirSync(outDir, { recursive: true });
const manifest = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as DatasetEntry[];
const wanted = values.datasets.split(',');
const datasets = wanted.map((n) => {
  const d = manifest.find((m) => m.name === n);
  if (!d) throw new Error(`unknown dataset '${n}' (not in ${join(dsDir, 'datasets.json')})`);
  if (d.task !== 'multiclass' && d.task !== 'binary')
    throw new Error(`'${n}' is ${d.task}: calibration applies to classification`);
  return d;
});
const seeds = values.seeds.split(',').map(Number);
const baselines = loadBaselines(dsDir);
const EPS = 1e-15;

// ---- the corrections (on `width` probabilities per row; binary preds are P(positive), width 1) ----

/** Rows as full probability vectors (k per row): a binary task's P(1) becomes [1−p, p]. */
function toProbs(pred: Float64Array, width: number): { p: Float64Array; k: number } {
  if (width > 1) return { p: pred, k: width };
  const p = new Float64Array(pred.length * 2);
  for (let i = 0; i < pred.length; i++) {
    p[2 * i] = 1 - pred[i];
    p[2 * i + 1] = pred[i];
  }
  return { p, k: 2 };
}
function fromProbs(p: Float64Array, width: number): Float64Array {
  if (width > 1) return p;
  return Float64Array.from({ length: p.length / 2 }, (_, i) => p[2 * i + 1]);
}

function temperature(p: Float64Array, k: number, beta: number): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += k) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, beta * Math.log(Math.max(p[i + j], EPS)));
    let s = 0;
    for (let j = 0; j < k; j++) s += out[i + j] = Math.exp(beta * Math.log(Math.max(p[i + j], EPS)) - m);
    for (let j = 0; j < k; j++) out[i + j] /= s;
  }
  return out;
}
function shrink(p: Float64Array, k: number, eps: number, prior: Float64Array): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = (1 - eps) * p[i] + eps * prior[i % k];
  return out;
}
/** Mean log loss (probabilities clipped at 1e-15 and renormalised, as sklearn). */
function logLoss(p: Float64Array, k: number, y: ArrayLike<number>, rows?: readonly number[]): number {
  const idx = rows ?? Array.from({ length: y.length }, (_, i) => i);
  let s = 0;
  for (const r of idx) {
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.min(Math.max(p[r * k + j], EPS), 1 - EPS);
    s -= Math.log(Math.min(Math.max(p[r * k + y[r]], EPS), 1 - EPS) / z);
  }
  return s / idx.length;
}
function golden(f: (x: number) => number, lo: number, hi: number, iters = 60): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo,
    b = hi;
  let c = b - g * (b - a),
    d = a + g * (b - a);
  let fc = f(c),
    fd = f(d);
  for (let i = 0; i < iters; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const x = (a + b) / 2;
  // The ends: the optimum may sit on a bound (ε = 0: no shrinkage).
  return [lo, x, hi].reduce((best, v) => (f(v) < f(best) ? v : best), x);
}

interface Candidate {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
  /** The identity parameter (no correction). */
  readonly none: number;
  apply(p: Float64Array, k: number, param: number, prior: Float64Array): Float64Array;
  /** The reported parameter (T = 1/β for the temperature). */
  shown(param: number): number;
}
const CANDIDATES: Candidate[] = [
  {
    name: 'temperature',
    lo: 0.05,
    hi: 5,
    none: 1,
    apply: (p, k, beta) => temperature(p, k, beta),
    shown: (beta) => 1 / beta,
  },
  // Softening only (T ≥ 1): on separable small data the out-of-fold log loss is lowest at T < 1.
  {
    name: 'soften',
    lo: 0.05,
    hi: 1,
    none: 1,
    apply: (p, k, beta) => temperature(p, k, beta),
    shown: (beta) => 1 / beta,
  },
  { name: 'shrinkage', lo: 0, hi: 0.5, none: 0, apply: shrink, shown: (e) => e },
];

function priorOf(y: ArrayLike<number>, k: number, rows: readonly number[]): Float64Array {
  const prior = new Float64Array(k);
  for (const r of rows) prior[y[r]] += 1;
  for (let j = 0; j < k; j++) prior[j] /= rows.length;
  return prior;
}
function fit(c: Candidate, p: Float64Array, k: number, y: ArrayLike<number>, rows: readonly number[]) {
  const prior = priorOf(y, k, rows);
  const param = golden((x) => logLoss(c.apply(p, k, x, prior), k, y, rows), c.lo, c.hi);
  return { param, prior };
}

const GROUPS = 5;
/** The nested log loss: each group corrected by the parameter fitted on the other groups. */
function nested(c: Candidate, p: Float64Array, k: number, y: ArrayLike<number>): number {
  const out = new Float64Array(p.length);
  for (let g = 0; g < GROUPS; g++) {
    const inRows: number[] = [];
    const outRows: number[] = [];
    for (let i = 0; i < y.length; i++) (i % GROUPS === g ? outRows : inRows).push(i);
    const { param, prior } = fit(c, p, k, y, inRows);
    const q = c.apply(p, k, param, prior);
    for (const r of outRows) for (let j = 0; j < k; j++) out[r * k + j] = q[r * k + j];
  }
  return logLoss(out, k, y);
}

// ---- the runs ----

interface CandRun {
  param: number;
  applies: boolean;
  nestedValidation: number;
  test: number;
}
interface Run {
  dataset: string;
  side: string;
  seed: number;
  trials: number;
  final: string;
  split: string;
  validationRows: number;
  validation: number;
  test: number;
  xgbDefault: number;
  candidates: Record<string, CandRun>;
}

async function once(d: DatasetEntry, seed: number): Promise<Run> {
  const { result, test } = await searchDataset(dsDir, d, {
    seed,
    budgetSeconds: Number(values.budget),
    ...(values['max-trials'] ? { maxTrials: Number(values['max-trials']) } : {}),
    ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
  });
  const testPred = result.model.predictTable(test);
  const v = result.validation;
  const width = v.pred.length / v.y.length;
  const { p, k } = toProbs(v.pred, width);
  const { p: pt } = toProbs(testPred, width);
  const y = Int32Array.from(v.y);
  const all = Array.from({ length: y.length }, (_, i) => i);
  const score = (pred: Float64Array, tag: string) => {
    const file = join(outDir, `${d.name}.${seed}.${tag}.csv`);
    writeFileSync(file, predictionsCsv(d.task, pred, test.nRows, result.classes));
    return scoreFile(values.python, dsDir, d, file);
  };
  const validation = logLoss(p, k, y);
  const candidates: Record<string, CandRun> = {};
  for (const c of CANDIDATES) {
    const { param, prior } = fit(c, p, k, y, all);
    const nestedValidation = nested(c, p, k, y);
    candidates[c.name] = {
      param: c.shown(param),
      applies: nestedValidation < validation * (1 - 1e-6), // beyond rounding (T = 1, ε = 0 give it back)
      nestedValidation,
      test: score(fromProbs(c.apply(pt, k, param, prior), width), c.name),
    };
  }
  const m = result.manifest;
  return {
    dataset: d.name,
    side: splitOf(d.name),
    seed,
    trials: result.trials.length,
    final: `${m.final.kind}(${m.final.members.length})`,
    split: `${m.split.strategy}${m.split.strategy === 'kfold' ? m.split.folds : ''}`,
    validationRows: y.length,
    validation,
    test: score(testPred, 'raw'),
    xgbDefault: baselines.metric(d.name, 'xgb_default', d.primary_metric),
    candidates,
  };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'NaN');
const runs: Run[] = [];
const header = [
  'dataset',
  'side',
  'seed',
  'trials',
  'final',
  'split',
  'n val',
  'val LL',
  'test LL',
  'xgb_def',
];
for (const c of CANDIDATES)
  header.push(
    c.name === 'shrinkage' ? 'ε' : c.name === 'soften' ? 'T≥1' : 'T',
    'nested',
    'applies',
    'test',
    'rule',
  );
const lines: string[][] = [];
const row = (r: Run) => [
  r.dataset,
  r.side,
  String(r.seed),
  String(r.trials),
  r.final,
  r.split,
  String(r.validationRows),
  fmt(r.validation),
  fmt(r.test),
  fmt(r.xgbDefault),
  ...CANDIDATES.flatMap((c) => {
    const x = r.candidates[c.name];
    return [
      fmt(x.param),
      fmt(x.nestedValidation),
      x.applies ? 'yes' : 'no',
      fmt(x.test),
      fmt(x.applies ? x.test : r.test),
    ];
  }),
];
for (const d of datasets) {
  for (const seed of seeds) {
    try {
      const r = await once(d, seed);
      runs.push(r);
      lines.push(row(r));
      process.stderr.write(`${JSON.stringify(r)}\n`);
    } catch (err) {
      process.stderr.write(`${d.name} seed ${seed}: ${(err as Error).stack}\n`);
    }
  }
}
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
for (const d of datasets) {
  const rs = runs.filter((r) => r.dataset === d.name);
  if (!rs.length) continue;
  lines.push([
    d.name,
    splitOf(d.name),
    'mean',
    '',
    '',
    '',
    '',
    fmt(mean(rs.map((r) => r.validation))),
    fmt(mean(rs.map((r) => r.test))),
    fmt(rs[0].xgbDefault),
    ...CANDIDATES.flatMap((c) => [
      fmt(mean(rs.map((r) => r.candidates[c.name].param))),
      fmt(mean(rs.map((r) => r.candidates[c.name].nestedValidation))),
      `${rs.filter((r) => r.candidates[c.name].applies).length}/${rs.length}`,
      fmt(mean(rs.map((r) => r.candidates[c.name].test))),
      fmt(mean(rs.map((r) => (r.candidates[c.name].applies ? r.candidates[c.name].test : r.test)))),
    ]),
  ]);
}
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const line = (l: string[]) => l.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log([line(header), ...lines.map(line)].join('\n'));
if (values.json) writeFileSync(values.json, JSON.stringify(runs, null, 1));
