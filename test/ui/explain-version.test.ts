/** A model version's Explain action: available when its run and bundle exist, else the reason in words. */
import { describe, expect, it } from 'vitest';
import { whyNotExplainable } from '../../src/ui/components/explain/explain-version.ts';
import type { ModelVersionRecord, RunRecord } from '../../src/core/tracking/types.ts';

const version: ModelVersionRecord = {
  name: 'penguins-species',
  version: 1,
  sourceRunId: 'run-1',
  experimentId: 'exp-1',
  datasetFingerprint: null,
  artifactId: 'art-1',
  description: '',
  tags: {},
  createdAt: 0,
  updatedAt: 0,
};
const run = { id: 'run-1' } as RunRecord;

describe('whyNotExplainable', () => {
  it('is null for a version whose run and bundle exist', () => {
    expect(whyNotExplainable(version, run)).toBeNull();
  });
  it('names the deleted run', () => {
    expect(whyNotExplainable(version, null)).toMatch(/^Cannot explain: its run run-1 was deleted/);
  });
  it('says when no bundle was recorded', () => {
    expect(whyNotExplainable({ ...version, artifactId: null }, run)).toMatch(/no model bundle was recorded/);
  });
});
