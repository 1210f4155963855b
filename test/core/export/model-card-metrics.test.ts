import { describe, expect, it } from 'vitest';
import { cat, num, table } from '../../helpers/table.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { createSearchBundleFiles } from '../../../src/core/export/bundle.ts';
import { evaluate } from '../../../src/core/metrics/index.ts';

function small(n: number) {
  const x: number[] = [];
  const c: string[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    x.push((i * 37) % 101);
    c.push(['a', 'b', 'c'][i % 3]);
    y.push((i * 37) % 101 > 50 !== (i % 7 === 0) ? 'yes' : 'no');
  }
  return table(num('x', x), cat('c', c), cat('y', y));
}

describe('model card of a search bundle', () => {
  it('lists every metric of the task (out-of-fold), in words with the key, the search metric as scored', async () => {
    const data = small(150);
    const result = await runSearch({
      table: data,
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 5,
      maxTrials: 2,
      folds: 3,
    });
    const files = createSearchBundleFiles(
      result,
      {
        name: 'small.csv',
        fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 150, columns: 3, schemaHash: 'b'.repeat(64) },
        schema: [
          {
            name: 'x',
            originalName: 'x',
            index: 0,
            type: 'numeric',
            inferredType: 'numeric',
            overridden: false,
          },
          {
            name: 'c',
            originalName: 'c',
            index: 1,
            type: 'categorical',
            inferredType: 'categorical',
            overridden: false,
          },
          {
            name: 'y',
            originalName: 'y',
            index: 2,
            type: 'categorical',
            inferredType: 'categorical',
            overridden: false,
          },
        ] as never,
      },
      {
        app: { name: 'automl-studio', version: 'test', commit: 'abc' },
        runtime: 'vitest',
        libraries: {},
        backend: { name: 'cpu' },
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    );
    const m = JSON.parse(files['manifest.json']);
    const expected = evaluate('binary', result.validation.y, result.validation.pred, 2);
    for (const k of ['roc_auc', 'pr_auc', 'log_loss', 'accuracy', 'f1', 'balanced_accuracy'])
      expect(m.metrics.validation[k], k).toBeCloseTo(expected[k], 12);
    const score = result.manifest.ensemble.used ? result.manifest.ensemble.score : result.best.value;
    expect(m.metrics.validation[result.metric]).toBe(score);
    const card = files['MODEL_CARD.md'];
    expect(card).toContain('| Balanced accuracy | `balanced_accuracy` |');
    expect(card).toContain('| ROC AUC | `roc_auc` |');
    expect(card).toContain('| Log loss | `log_loss` |');
  });
});
