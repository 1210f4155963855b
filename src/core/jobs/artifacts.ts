/**
 * The artifacts a finished training run records, the same from the studio and the CLI: the bundle as
 * one zip (kind 'model': the file a registered version links to), its manifest and model card, and
 * chart data in the shapes the Experiments/Compare screens read (src/ui/state/tracking-artifacts.ts).
 */
import type { ArtifactInput } from '../tracking/tracker.ts';
import { bundleToZip } from '../export/zip.ts';
import type { TrainCharts } from './charts.ts';

const enc = new TextEncoder();
const json = (name: string, value: unknown): ArtifactInput => ({
  name,
  kind: 'chart-data',
  bytes: enc.encode(JSON.stringify(value)),
  contentType: 'application/json',
});

/** The bundle zip first (kind 'model': what "Register" links), then its manifest and model card. */
export function bundleArtifacts(files: Readonly<Record<string, string>>, zipName: string): ArtifactInput[] {
  const out: ArtifactInput[] = [
    {
      name: zipName,
      kind: 'model',
      bytes: bundleToZip(files),
      contentType: 'application/zip',
      meta: { format: 'automl-studio-bundle' },
    },
  ];
  if (files['manifest.json'] !== undefined)
    out.push({
      name: 'manifest.json',
      kind: 'report',
      bytes: enc.encode(files['manifest.json']),
      contentType: 'application/json',
    });
  if (files['MODEL_CARD.md'] !== undefined)
    out.push({
      name: 'MODEL_CARD.md',
      kind: 'report',
      bytes: enc.encode(files['MODEL_CARD.md']),
      contentType: 'text/markdown',
    });
  return out;
}

/** Chart data of a model's validation predictions, for the Compare view. */
export function chartArtifacts(
  charts: TrainCharts,
  metrics: Readonly<Record<string, number>>,
  classes: readonly string[] | undefined,
): ArtifactInput[] {
  const out: ArtifactInput[] = [];
  if (charts.confusion) out.push(json('charts/confusion-matrix.json', charts.confusion));
  if (charts.roc) {
    const label = classes?.[1] ?? 'positive';
    out.push(
      json('charts/roc.json', {
        curves: [
          {
            label,
            fpr: charts.roc.fpr,
            tpr: charts.roc.tpr,
            ...(Number.isFinite(metrics.roc_auc) ? { auc: metrics.roc_auc } : {}),
          },
        ],
      }),
    );
  }
  if (charts.regression) out.push(json('charts/predicted-vs-actual.json', charts.regression));
  if (charts.importance) out.push(json('charts/feature-importance.json', charts.importance));
  return out;
}
