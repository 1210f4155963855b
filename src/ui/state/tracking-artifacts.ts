/**
 * ARTIFACT CONTRACT between whatever records runs (the browser search worker, the Train screen, the
 * CLI) and the Experiments/Compare screens, which draw these artifacts when a run has them.
 * Plain data only: this module imports nothing from the core, the store or Svelte.
 *
 * How to write one (any `TrackingStore`, e.g. through `RunHandle.logArtifact` of
 * src/core/tracking/tracker.ts):
 *
 *   run.logArtifact({
 *     name: CHART_ARTIFACTS.confusion,            // exact name, see below
 *     kind: 'chart-data',
 *     contentType: 'application/json',
 *     bytes: new TextEncoder().encode(JSON.stringify(payload)),
 *   });
 *
 * One artifact per name per run (if several exist, the newest is used). Keep payloads small: at
 * most ~2,000 points per curve / scatter (the writer downsamples; the viewer downsamples again to
 * be safe). All numbers finite; `null` is allowed where noted.
 *
 * | name                              | task            | JSON payload                                      |
 * |-----------------------------------|-----------------|---------------------------------------------------|
 * | charts/confusion-matrix.json      | classification  | ConfusionArtifact                                 |
 * | charts/roc.json                   | classification  | RocArtifact (binary: one curve; multiclass: 1-vs-rest) |
 * | charts/pr.json                    | classification  | PrArtifact                                        |
 * | charts/predicted-vs-actual.json   | regression      | PredictedActualArtifact (residuals = predicted − actual, derived) |
 * | charts/feature-importance.json    | any             | FeatureImportanceArtifact                         |
 *
 * Learning curves are NOT artifacts: log them as metric history (`logMetric(key, value, step)`,
 * one point per boosting round/epoch, e.g. key `valid_loss`); the compare view overlays the history
 * of any metric with more than one step. The models themselves: kind 'model' (the CLI writes the
 * bundle files `model.json`, `pipeline.json`, `manifest.json` with kinds model/pipeline/report);
 * registering a run's model links the run's first 'model' artifact to the new version.
 *
 * Tags read by the screens: run tag `metric` = the metric the run/search optimises (used as the
 * primary metric; direction from src/core/metrics), `task`, `target`, `family`; experiment tag
 * `target` (and optionally `metric`).
 */

export const CHART_ARTIFACTS = {
  confusion: 'charts/confusion-matrix.json',
  roc: 'charts/roc.json',
  pr: 'charts/pr.json',
  predictedActual: 'charts/predicted-vs-actual.json',
  featureImportance: 'charts/feature-importance.json',
} as const;

export type ChartArtifactName = (typeof CHART_ARTIFACTS)[keyof typeof CHART_ARTIFACTS];

/** Row = true class, column = predicted class; `counts` is row-major, labels.length² long. */
export interface ConfusionArtifact {
  readonly labels: readonly string[];
  readonly counts: readonly number[];
}

export interface RocCurve {
  /** Class the curve is for (binary: the positive class). */
  readonly label: string;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  readonly auc?: number | null;
}
export interface RocArtifact {
  readonly curves: readonly RocCurve[];
}

export interface PrCurve {
  readonly label: string;
  readonly recall: readonly number[];
  readonly precision: readonly number[];
  /** Average precision / PR AUC. */
  readonly ap?: number | null;
}
export interface PrArtifact {
  readonly curves: readonly PrCurve[];
}

/** Validation rows (or a seeded sample of them), same length. `total` = rows before sampling. */
export interface PredictedActualArtifact {
  readonly actual: readonly number[];
  readonly predicted: readonly number[];
  readonly total?: number;
}

/** Parallel arrays; any scale (the viewer normalises to the largest). */
export interface FeatureImportanceArtifact {
  readonly features: readonly string[];
  readonly importance: readonly number[];
  /** e.g. 'gain', 'split', 'permutation'. */
  readonly method?: string;
}

export interface RunCharts {
  confusion?: ConfusionArtifact;
  roc?: RocArtifact;
  pr?: PrArtifact;
  predictedActual?: PredictedActualArtifact;
  featureImportance?: FeatureImportanceArtifact;
  /** Artifacts with a contract name whose payload didn't match it (shown, not thrown). */
  invalid: string[];
}

const isNumArray = (x: unknown): x is number[] =>
  Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v));
const isStrArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');

export function parseConfusion(x: unknown): ConfusionArtifact | null {
  const o = x as Partial<ConfusionArtifact> | null;
  if (!o || !isStrArray(o.labels) || !isNumArray(o.counts)) return null;
  return o.counts.length === o.labels.length ** 2 ? (o as ConfusionArtifact) : null;
}

export function parseRoc(x: unknown): RocArtifact | null {
  const o = x as Partial<RocArtifact> | null;
  if (!o || !Array.isArray(o.curves)) return null;
  for (const c of o.curves) {
    if (!c || typeof c.label !== 'string' || !isNumArray(c.fpr) || !isNumArray(c.tpr)) return null;
    if (c.fpr.length !== c.tpr.length) return null;
  }
  return o as RocArtifact;
}

export function parsePr(x: unknown): PrArtifact | null {
  const o = x as Partial<PrArtifact> | null;
  if (!o || !Array.isArray(o.curves)) return null;
  for (const c of o.curves) {
    if (!c || typeof c.label !== 'string' || !isNumArray(c.recall) || !isNumArray(c.precision)) return null;
    if (c.recall.length !== c.precision.length) return null;
  }
  return o as PrArtifact;
}

export function parsePredictedActual(x: unknown): PredictedActualArtifact | null {
  const o = x as Partial<PredictedActualArtifact> | null;
  if (!o || !isNumArray(o.actual) || !isNumArray(o.predicted)) return null;
  return o.actual.length === o.predicted.length ? (o as PredictedActualArtifact) : null;
}

export function parseFeatureImportance(x: unknown): FeatureImportanceArtifact | null {
  const o = x as Partial<FeatureImportanceArtifact> | null;
  if (!o || !isStrArray(o.features) || !isNumArray(o.importance)) return null;
  return o.features.length === o.importance.length ? (o as FeatureImportanceArtifact) : null;
}

/** Minimal view of an artifact record (so this module needs no store types). */
export interface ArtifactRef {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

/**
 * Reads the contract artifacts of one run. `artifacts` = the run's artifact records (oldest first,
 * as `listArtifacts` returns them); `readBytes` = `store.getArtifactBytes`.
 */
export async function loadRunCharts(
  artifacts: readonly ArtifactRef[],
  readBytes: (id: string) => Promise<Uint8Array>,
): Promise<RunCharts> {
  const out: RunCharts = { invalid: [] };
  const newest = new Map<string, ArtifactRef>();
  for (const a of artifacts) newest.set(a.name, a);
  const parsers: [keyof Omit<RunCharts, 'invalid'>, string, (x: unknown) => unknown][] = [
    ['confusion', CHART_ARTIFACTS.confusion, parseConfusion],
    ['roc', CHART_ARTIFACTS.roc, parseRoc],
    ['pr', CHART_ARTIFACTS.pr, parsePr],
    ['predictedActual', CHART_ARTIFACTS.predictedActual, parsePredictedActual],
    ['featureImportance', CHART_ARTIFACTS.featureImportance, parseFeatureImportance],
  ];
  const dec = new TextDecoder();
  await Promise.all(
    parsers.map(async ([key, name, parse]) => {
      const a = newest.get(name);
      if (!a) return;
      try {
        const value = parse(JSON.parse(dec.decode(await readBytes(a.id))));
        if (value) (out as unknown as Record<string, unknown>)[key] = value;
        else out.invalid.push(name);
      } catch {
        out.invalid.push(name);
      }
    }),
  );
  return out;
}
