import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INTENDED_USE_PLACEHOLDER, withIntendedUse } from '../../../src/core/export/model-card.ts';

const card = [
  '# Model card: churn (binary, gbdt)',
  '',
  '## Intended use',
  '',
  `> **${INTENDED_USE_PLACEHOLDER}.** Describe what this model is for, who may use it, and uses that are`,
  '> out of scope. The studio cannot know this; the section stays a placeholder until you edit it.',
  '',
  '## Metrics',
  '',
  '| metric | value |',
].join('\n');

describe('intended use in the model card', () => {
  it('replaces the placeholder with the owner’s words and keeps every other line', () => {
    const out = withIntendedUse(card, 'Ranking customers for retention calls.\nNot for credit decisions.');
    expect(out).not.toContain(INTENDED_USE_PLACEHOLDER);
    expect(out).toContain(
      '## Intended use\n\nRanking customers for retention calls.\nNot for credit decisions.\n\n## Metrics',
    );
    expect(out.split('\n').slice(-3)).toEqual(card.split('\n').slice(-3));
  });

  it('leaves the card unchanged for empty text or a card already filled in', () => {
    expect(withIntendedUse(card, '   ')).toBe(card);
    const filled = withIntendedUse(card, 'Demo only.');
    expect(withIntendedUse(filled, 'Something else.')).toBe(filled);
  });

  it('never loses the sections around it (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        const out = withIntendedUse(card, text);
        expect(out.startsWith('# Model card: churn (binary, gbdt)\n\n## Intended use\n')).toBe(true);
        expect(out.endsWith('## Metrics\n\n| metric | value |')).toBe(true);
        if (text.trim()) expect(out).not.toContain(INTENDED_USE_PLACEHOLDER);
      }),
    );
  });
});
