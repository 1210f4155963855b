/**
 * Whether a registered model version can be explained: its Explain action opens its source run's
 * Explain tab, which computes from the run's stored model bundle.
 */
import type { ModelVersionRecord, RunRecord } from '../../../core/tracking/types.ts';

/** Why `version` cannot be explained, in words; null when it can. `run` is its source run, if it still exists. */
export function whyNotExplainable(version: ModelVersionRecord, run: RunRecord | null): string | null {
  if (!run)
    return `Cannot explain: its run ${version.sourceRunId} was deleted, and explanations are computed on the run’s page from its model.`;
  if (!version.artifactId)
    return 'Cannot explain: no model bundle was recorded with this version, so there is nothing to compute explanations from.';
  return null;
}
