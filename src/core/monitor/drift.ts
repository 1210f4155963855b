/**
 * Drift of one column: a batch's values against the column's reference.
 *
 * The test is chosen automatically (the rule Evidently documents, stated to the user):
 * - reference of at most 1,000 non-missing values: a two-valued column → two-proportion z-test;
 *   other categories, and numbers with at most 5 distinct values → χ² test of the counts;
 *   numbers → two-sample Kolmogorov–Smirnov. Drift when p < 0.05 (95% confidence).
 * - larger reference: numbers (more than 5 distinct values) → Wasserstein distance divided by the
 *   reference's standard deviation; everything else → Jensen–Shannon distance of the shares.
 *   Drift when the distance ≥ 0.1.
 * The user can override the method and threshold per column. PSI (over the reference's decile bins
 * or categories) is always reported beside it.
 *
 * Basis: with the reference's raw values (`referenceData`) every statistic is computed on the data
 * (equal to SciPy's); from the stored profile alone it is computed on what the profile keeps — exact
 * when the profile kept every distinct value (≤ 50) or every category, else on the stored percentiles:
 * the KS statistic at the percentiles (for continuous data at most the true D) and the Wasserstein distance
 * with each percentile gap's 1% spread evenly over the gap, the extreme gaps cut to the width of
 * their neighbours (approximate). `basis` says which.
 *
 * Data quality is reported beside drift: a type change, a jump in the missing share, values outside
 * the training range, categories never seen in training.
 */
import type { ColumnReference, ColumnValues } from './reference.ts';
import { binCounts, labelCounts, sortedPresent } from './reference.ts';
import {
  chi2Contingency,
  jensenShannon,
  ksFromStatistic,
  ksStatisticSorted,
  proportionZTest,
  psi,
  stdDev,
  wasserstein1,
} from './stats/index.ts';

export type DriftMethod = 'ks' | 'chi2' | 'z' | 'wasserstein' | 'jensenshannon';

export const DRIFT_METHODS: Readonly<
  Record<
    DriftMethod,
    { readonly label: string; readonly score: 'pvalue' | 'distance'; readonly threshold: number }
  >
> = {
  ks: { label: 'Kolmogorov–Smirnov', score: 'pvalue', threshold: 0.05 },
  chi2: { label: 'chi-square', score: 'pvalue', threshold: 0.05 },
  z: { label: 'two-proportion z-test', score: 'pvalue', threshold: 0.05 },
  wasserstein: { label: 'Wasserstein distance (normed)', score: 'distance', threshold: 0.1 },
  jensenshannon: { label: 'Jensen–Shannon distance', score: 'distance', threshold: 0.1 },
};

/** Largest reference (non-missing values) tested with p-values; above it, distances. */
export const SMALL_REFERENCE_MAX = 1000;
/** Numbers with at most this many distinct values are compared as categories. */
export const FEW_VALUES_MAX = 5;

export interface MethodChoice {
  readonly method: DriftMethod;
  readonly threshold: number;
  readonly reason: string;
}

/** The automatic test for a reference column (see the header), or null for untracked columns. */
export function chooseMethod(ref: ColumnReference): MethodChoice | null {
  if (ref.kind === 'untracked') return null;
  const n = ref.rows - ref.missing;
  const small = n <= SMALL_REFERENCE_MAX;
  const size = `${n.toLocaleString('en-US')} reference values`;
  const pick = (method: DriftMethod, why: string): MethodChoice => ({
    method,
    threshold: DRIFT_METHODS[method].threshold,
    reason: `${why}, ${size}`,
  });
  const twoValued = ref.distinct <= 2;
  const asCategories = ref.kind === 'categorical' || ref.distinct <= FEW_VALUES_MAX;
  if (small) {
    if (twoValued) return pick('z', 'two values');
    if (asCategories) return pick('chi2', ref.kind === 'categorical' ? 'categories' : 'few distinct numbers');
    return pick('ks', 'numbers');
  }
  if (asCategories)
    return pick('jensenshannon', ref.kind === 'categorical' ? 'categories' : 'few distinct numbers');
  return pick('wasserstein', 'numbers');
}

export type FindingKind = 'type_changed' | 'missing_jump' | 'all_missing' | 'out_of_range' | 'new_categories';

export interface QualityFinding {
  readonly kind: FindingKind;
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
  /** The share of the batch's rows concerned, when it applies. */
  readonly share?: number;
}

export interface ColumnDrift {
  readonly column: string;
  readonly method: DriftMethod | null;
  readonly methodReason: string;
  readonly threshold: number;
  /** The test statistic (D, χ², z) or the distance. */
  readonly statistic: number;
  readonly pvalue?: number;
  /** The value compared with the threshold: the p-value or the distance. */
  readonly score: number;
  readonly drifted: boolean;
  readonly psi: number;
  readonly basis: 'data' | 'profile (exact)' | 'profile (bins)' | 'none';
  readonly referenceMissingShare: number;
  readonly batchMissingShare: number;
  readonly findings: readonly QualityFinding[];
  /** Shares per bucket for the overlay chart: numbers over the reference's bins, else categories. */
  readonly buckets: readonly { readonly label: string; readonly reference: number; readonly batch: number }[];
}

export interface ColumnDriftOptions {
  readonly referenceData?: ColumnValues;
  readonly method?: DriftMethod;
  readonly threshold?: number;
  /** Why `method` was chosen (default: 'chosen by the user'). */
  readonly reason?: string;
}

const MISSING_JUMP = 0.1;
const fmtPct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

/** Drift and data quality of one column (see the header). */
export function columnDrift(
  ref: ColumnReference,
  batch: ColumnValues,
  options: ColumnDriftOptions = {},
): ColumnDrift {
  const findings: QualityFinding[] = [];
  const refMissingShare = ref.rows ? ref.missing / ref.rows : 0;
  const batchRows =
    batch.kind === 'numeric'
      ? batch.values.length
      : batch.kind === 'categorical'
        ? batch.labels.length
        : batch.rows;
  const batchMissing =
    batch.kind === 'numeric'
      ? countNaN(batch.values)
      : batch.kind === 'categorical'
        ? batch.labels.reduce((s, l) => s + (l === null ? 1 : 0), 0)
        : batch.missing;
  const batchMissingShare = batchRows ? batchMissing / batchRows : 0;
  const base = {
    column: ref.name,
    referenceMissingShare: refMissingShare,
    batchMissingShare,
  };
  if (batchMissingShare - refMissingShare >= MISSING_JUMP) {
    findings.push({
      kind: 'missing_jump',
      severity: 'warning',
      share: batchMissingShare,
      message: `missing values went from ${fmtPct(refMissingShare)} in training to ${fmtPct(batchMissingShare)}`,
    });
  }
  const none = (methodReason: string, drifted: boolean): ColumnDrift => ({
    ...base,
    method: null,
    methodReason,
    threshold: NaN,
    statistic: NaN,
    score: NaN,
    drifted,
    psi: NaN,
    basis: 'none',
    findings,
    buckets: [],
  });
  if (ref.kind === 'untracked') return none('text and id columns are not compared', false);
  if (batch.kind === 'untracked' || (ref.kind === 'numeric' && batch.kind === 'categorical')) {
    findings.push({
      kind: 'type_changed',
      severity: 'error',
      message: `the column held ${ref.kind === 'numeric' ? 'numbers' : 'categories'} in training but does not here`,
    });
    return none('type changed', true);
  }
  if (batchRows - batchMissing === 0) {
    findings.push({ kind: 'all_missing', severity: 'error', share: 1, message: 'every value is missing' });
    return none('every value is missing', true);
  }
  const auto = chooseMethod(ref)!;
  const method = options.method ?? auto.method;
  const threshold = options.threshold ?? (options.method ? DRIFT_METHODS[method].threshold : auto.threshold);
  const methodReason = options.method ? (options.reason ?? 'chosen by the user') : auto.reason;
  const asCategories = method === 'chi2' || method === 'z' || method === 'jensenshannon';

  if (ref.kind === 'numeric' && batch.kind === 'numeric') {
    const { sorted: b } = sortedPresent(batch.values);
    const below = lowerBound(b, ref.min);
    const above = b.length - upperBound(b, ref.max);
    if (below + above > 0) {
      const share = (below + above) / batchRows;
      findings.push({
        kind: 'out_of_range',
        severity: share >= 0.01 ? 'warning' : 'info',
        share,
        message: `${fmtPct(share)} of values are outside the training range [${ref.min}, ${ref.max}]`,
      });
    }
    const refData =
      options.referenceData?.kind === 'numeric' ? sortedPresent(options.referenceData.values).sorted : null;
    // The batch over the reference's decile bins: for PSI and the overlay chart.
    const bb = binCounts(b, ref.edges);
    const psiValue = psi(ref.counts, bb);
    const buckets = ref.counts.map((c, i) => ({
      label: `${ref.edges[i]} – ${ref.edges[i + 1]}`,
      reference: c / Math.max(1, ref.rows - ref.missing),
      batch: bb[i]! / b.length,
    }));
    if (!asCategories) {
      const r = numericTest(method as 'ks' | 'wasserstein', ref, refData, b);
      return {
        ...base,
        method,
        methodReason,
        threshold,
        statistic: r.statistic,
        ...(r.pvalue !== undefined ? { pvalue: r.pvalue } : {}),
        score: r.score,
        drifted: DRIFT_METHODS[method].score === 'pvalue' ? r.score < threshold : r.score >= threshold,
        psi: psiValue,
        basis: r.basis,
        findings,
        buckets,
      };
    }
    // Numbers with few values compared as categories.
    const refLabels = refData
      ? labelCounts(Array.from(refData, String))
      : ref.values
        ? { values: ref.values.map(String), counts: [...ref.valueCounts!] }
        : null;
    // Without the distinct values (a binned profile), both sides are compared over the bins.
    const batchLabels = refLabels
      ? labelCounts(Array.from(b, String))
      : { values: binsAsLabels(ref).values, counts: bb };
    const cat = categoricalTest(method, refLabels ?? binsAsLabels(ref), 0, batchLabels);
    return finish(
      cat,
      psiValue,
      refLabels ? (refData ? 'data' : 'profile (exact)') : 'profile (bins)',
      buckets,
    );
  }

  // Categories (ref categorical; batch categorical).
  if (ref.kind !== 'categorical') throw new Error(`column ${ref.name}: no comparison for these types`);
  // Categories in training read as numbers here (e.g. codes "1", "2"): compared as their text.
  const labels =
    batch.kind === 'categorical'
      ? batch.labels
      : Array.from(batch.values, (v) => (Number.isNaN(v) ? null : String(v)));
  const batchCounts = labelCounts(labels);
  const refData =
    options.referenceData?.kind === 'categorical' ? labelCounts(options.referenceData.labels) : null;
  const refCounts = refData ?? { values: [...ref.categories], counts: [...ref.counts] };
  const refOther = refData ? 0 : ref.other;
  const known = new Set(refCounts.values);
  if (refOther === 0) {
    const fresh = batchCounts.values.filter((v) => !known.has(v));
    if (fresh.length) {
      const n = fresh.reduce((s, v) => s + batchCounts.counts[batchCounts.values.indexOf(v)]!, 0);
      findings.push({
        kind: 'new_categories',
        severity: 'warning',
        share: n / batchRows,
        message: `${fresh.length} value${fresh.length > 1 ? 's' : ''} never seen in training (${fresh
          .slice(0, 5)
          .map((v) => JSON.stringify(v))
          .join(', ')}${fresh.length > 5 ? ', …' : ''}) in ${fmtPct(n / batchRows)} of rows`,
      });
    }
  }
  const cat = categoricalTest(method, refCounts, refOther, batchCounts);
  const catPsi = psi(cat.refBuckets, cat.batchBuckets);
  return finish(cat, catPsi, refData ? 'data' : refOther ? 'profile (bins)' : 'profile (exact)', null);

  function finish(
    cat: CategoricalTest,
    psiValue: number,
    basis: ColumnDrift['basis'],
    buckets: ColumnDrift['buckets'] | null,
  ): ColumnDrift {
    const refTotal = cat.refBuckets.reduce((s, v) => s + v, 0) || 1;
    const batchTotal = cat.batchBuckets.reduce((s, v) => s + v, 0) || 1;
    return {
      ...base,
      method,
      methodReason,
      threshold,
      statistic: cat.statistic,
      ...(cat.pvalue !== undefined ? { pvalue: cat.pvalue } : {}),
      score: cat.score,
      drifted: DRIFT_METHODS[method].score === 'pvalue' ? cat.score < threshold : cat.score >= threshold,
      psi: psiValue,
      basis,
      findings,
      buckets:
        buckets ??
        cat.labels.map((label, i) => ({
          label,
          reference: cat.refBuckets[i]! / refTotal,
          batch: cat.batchBuckets[i]! / batchTotal,
        })),
    };
  }
}

function countNaN(x: Float64Array): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i]!)) n++;
  return n;
}

function lowerBound(s: Float64Array, v: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(s: Float64Array, v: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface NumericTestResult {
  readonly statistic: number;
  readonly pvalue?: number;
  readonly score: number;
  readonly basis: ColumnDrift['basis'];
}

/** KS or normed Wasserstein on the reference's data, its exact values, or its bins. */
function numericTest(
  method: 'ks' | 'wasserstein',
  ref: Extract<ColumnReference, { kind: 'numeric' }>,
  refData: Float64Array | null,
  b: Float64Array,
): NumericTestResult {
  const nRef = ref.rows - ref.missing;
  const std = refData ? stdDev(refData) : ref.std;
  const norm = Math.max(std, 1e-3);
  if (refData) {
    if (method === 'ks') {
      const r = ksFromStatistic(ksStatisticSorted(refData, b), refData.length, b.length);
      return { statistic: r.statistic, pvalue: r.pvalue, score: r.pvalue, basis: 'data' };
    }
    const w = wasserstein1(refData, b) / norm;
    return { statistic: w, score: w, basis: 'data' };
  }
  // From the profile: a weighted reference sample (exact values, or each percentile gap's 1%
  // spread evenly over the gap — the two extreme gaps no wider than their neighbours, so that one
  // outlier at the minimum or maximum does not spread 1% of the mass over its whole range).
  const exact = ref.values !== undefined;
  const pct = ref.quantiles;
  const pctCounts = pct.slice(1).map(() => nRef / (pct.length - 1));
  const { points, weights } = exact
    ? { points: ref.values!, weights: ref.valueCounts! }
    : spreadBins(trimmedTails(pct), pctCounts);
  if (method === 'ks') {
    const d = exact ? weightedKs(points, weights, b) : ksAtEdges(pct, pctCounts, b);
    const r = ksFromStatistic(d, nRef, b.length);
    return {
      statistic: d,
      pvalue: r.pvalue,
      score: r.pvalue,
      basis: exact ? 'profile (exact)' : 'profile (bins)',
    };
  }
  const w = weightedWasserstein(points, weights, b) / norm;
  return { statistic: w, score: w, basis: exact ? 'profile (exact)' : 'profile (bins)' };
}

const SPREAD_POINTS = 16;

/**
 * Percentiles with the first and last gaps cut to the width of the gap next to them (the extreme
 * percentiles are the minimum and maximum, often a lone outlier far from the rest of the tail).
 */
export function trimmedTails(pct: readonly number[]): number[] {
  const q = [...pct];
  const n = q.length;
  if (n < 4) return q;
  q[0] = Math.max(q[0]!, q[1]! - (q[2]! - q[1]!));
  q[n - 1] = Math.min(q[n - 1]!, q[n - 2]! + (q[n - 2]! - q[n - 3]!));
  return q;
}

function spreadBins(
  edges: readonly number[],
  counts: readonly number[],
): { points: number[]; weights: number[] } {
  const points: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    const lo = edges[i]!;
    const hi = edges[i + 1]!;
    if (!(hi > lo)) {
      points.push(lo);
      weights.push(counts[i]!);
      continue;
    }
    for (let k = 0; k < SPREAD_POINTS; k++) {
      points.push(lo + ((k + 0.5) / SPREAD_POINTS) * (hi - lo));
      weights.push(counts[i]! / SPREAD_POINTS);
    }
  }
  return { points, weights };
}

/** sup |F_ref − F_batch| with the reference given as ascending points with weights. */
function weightedKs(points: readonly number[], weights: readonly number[], b: Float64Array): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let i = 0;
  let j = 0;
  let fa = 0;
  let d = 0;
  while (i < points.length || j < b.length) {
    const v = j >= b.length || (i < points.length && points[i]! <= b[j]!) ? points[i]! : b[j]!;
    while (i < points.length && points[i]! <= v) fa += weights[i++]! / total;
    while (j < b.length && b[j]! <= v) j++;
    d = Math.max(d, Math.abs(fa - j / b.length));
  }
  return d;
}

/** The KS distance evaluated only where the reference's ECDF is known: at its bin edges. */
function ksAtEdges(edges: readonly number[], counts: readonly number[], b: Float64Array): number {
  const total = counts.reduce((s, c) => s + c, 0);
  let cum = 0;
  let d = 0;
  for (let i = 0; i < counts.length; i++) {
    cum += counts[i]!;
    // Bins are [e_i, e_{i+1}) except the last, closed: the ECDF at the upper edge (exclusive).
    const edge = edges[i + 1]!;
    const isLast = i === counts.length - 1;
    const fb = (isLast ? upperBound(b, edge) : lowerBound(b, edge)) / b.length;
    d = Math.max(d, Math.abs(cum / total - fb));
  }
  return d;
}

function weightedWasserstein(points: readonly number[], weights: readonly number[], b: Float64Array): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let i = 0;
  let j = 0;
  let fa = 0;
  let prev = Math.min(points[0]!, b[0]!);
  let dist = 0;
  while (i < points.length || j < b.length) {
    const v = j >= b.length || (i < points.length && points[i]! <= b[j]!) ? points[i]! : b[j]!;
    dist += Math.abs(fa - j / b.length) * (v - prev);
    prev = v;
    while (i < points.length && points[i]! <= v) fa += weights[i++]! / total;
    while (j < b.length && b[j]! <= v) j++;
  }
  return dist;
}

function binsAsLabels(ref: Extract<ColumnReference, { kind: 'numeric' }>): {
  values: string[];
  counts: number[];
} {
  return {
    values: ref.counts.map((_, i) => `${ref.edges[i]} – ${ref.edges[i + 1]}`),
    counts: [...ref.counts],
  };
}

interface CategoricalTest {
  readonly statistic: number;
  readonly pvalue?: number;
  readonly score: number;
  readonly labels: readonly string[];
  readonly refBuckets: readonly number[];
  readonly batchBuckets: readonly number[];
}

const OTHER = '(other)';

/** χ², z or Jensen–Shannon over the union of categories (batch values the profile lumped → other). */
function categoricalTest(
  method: DriftMethod,
  ref: { values: readonly string[]; counts: readonly number[] },
  refOther: number,
  batch: { values: readonly string[]; counts: readonly number[] },
): CategoricalTest {
  const labels = [...ref.values];
  const refBuckets = [...ref.counts];
  const index = new Map(labels.map((l, i) => [l, i]));
  if (refOther > 0) {
    labels.push(OTHER);
    refBuckets.push(refOther);
  }
  const batchBuckets = new Array<number>(labels.length).fill(0);
  for (let k = 0; k < batch.values.length; k++) {
    const v = batch.values[k]!;
    let i = index.get(v);
    if (i === undefined && refOther > 0) i = labels.length - 1;
    if (i === undefined) {
      labels.push(v);
      refBuckets.push(0);
      batchBuckets.push(0);
      i = labels.length - 1;
      index.set(v, i);
    }
    batchBuckets[i]! += batch.counts[k]!;
  }
  const out = { labels, refBuckets, batchBuckets };
  if (method === 'jensenshannon') {
    const d = jensenShannon(refBuckets, batchBuckets);
    return { ...out, statistic: d, score: d };
  }
  if (method === 'z') {
    const n1 = refBuckets.reduce((s, v) => s + v, 0);
    const n2 = batchBuckets.reduce((s, v) => s + v, 0);
    const r = proportionZTest(refBuckets[0]!, n1, batchBuckets[0]!, n2);
    return { ...out, statistic: r.statistic, pvalue: r.pvalue, score: r.pvalue };
  }
  if (method !== 'chi2') throw new Error(`${method} compares numbers, not categories`);
  const keep = labels.map((_, i) => refBuckets[i]! + batchBuckets[i]! > 0);
  const table = [refBuckets.filter((_, i) => keep[i]), batchBuckets.filter((_, i) => keep[i])];
  if (table[0]!.length < 2) return { ...out, statistic: 0, pvalue: 1, score: 1 };
  const r = chi2Contingency(table);
  return { ...out, statistic: r.statistic, pvalue: r.pvalue, score: r.pvalue };
}
