/**
 * Registry tags in the Models screen (src/ui/state/tracking-models.svelte.ts): the edit form offers
 * only tags its one-line "a=1, b=x" text can carry and keeps the others (a retrain's JSON lineage)
 * as they are; the retrain lineage is displayed as words, not JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  displayTags,
  formatTags,
  LINEAGE_TAG,
  parseTags,
  splitEditableTags,
  tagChanges,
} from '../../src/ui/state/tracking-models.svelte.ts';

const lineage = JSON.stringify([
  { role: 'training', name: 'march.csv', sha256: 'a'.repeat(64), rows: 1200 },
  { role: 'batch', name: 'april.csv', sha256: 'b'.repeat(64), rows: 300, batchTime: 1 },
]);

describe('registry tags', () => {
  it('saving the form unchanged changes no tag, the lineage JSON included', () => {
    const tags = { [LINEAGE_TAG]: lineage, 'retrain.from': '3', team: 'risk' };
    const { editable, kept } = splitEditableTags(tags);
    expect(kept).toEqual([LINEAGE_TAG]);
    expect(tagChanges(editable, parseTags(formatTags(editable)))).toEqual({});
    // removing every editable tag in the form leaves the lineage alone
    expect(tagChanges(editable, parseTags(''))).toEqual({ 'retrain.from': null, team: null });
  });

  it('any tags the text can carry survive format → parse unchanged (property)', () => {
    const part = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() === s);
    fc.assert(
      fc.property(fc.dictionary(part, fc.oneof(part, fc.constant(''))), (tags) => {
        const { editable } = splitEditableTags(tags);
        expect(parseTags(formatTags(editable))).toEqual(editable);
        // every tag is either offered or kept
        expect(Object.keys(editable).length + splitEditableTags(tags).kept.length).toBe(
          Object.keys(tags).length,
        );
      }),
    );
  });

  it('shows the lineage as the files and rows it learned from; other JSON stays as it is', () => {
    expect(displayTags({ [LINEAGE_TAG]: lineage, 'retrain.from': '3' })).toBe(
      'trained on march.csv (training, 1,200 rows) + april.csv (batch, 300 rows), retrain.from=3',
    );
    expect(displayTags({ [LINEAGE_TAG]: 'not json' })).toBe(`${LINEAGE_TAG}=not json`);
    expect(displayTags({ note: '{"a":1}' })).toBe('note={"a":1}');
  });
});
