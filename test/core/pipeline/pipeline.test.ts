import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildAutoPipeline,
  describePipeline,
  fitPipeline,
  parsePipeline,
  PipelineError,
  transformTable,
  type PipelineSpec,
} from '../../../src/core/pipeline/index.ts';
import { bool, cat, date, feature, num, table } from '../../helpers/table.ts';

const ctx = { seed: 1 };

const numbersWithGaps = fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }), {
  minLength: 2,
  maxLength: 60,
});
const labelsWithGaps = fc.array(
  fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'é', '<b>x</b>'), { nil: null }),
  {
    minLength: 2,
    maxLength: 60,
  },
);

describe('impute', () => {
  it('fills every gap and leaves present values untouched (property)', () => {
    fc.assert(
      fc.property(
        numbersWithGaps,
        fc.constantFrom('mean', 'median', 'most_frequent', 'constant'),
        (xs, strategy) => {
          const t = table(num('x', xs));
          const spec: PipelineSpec = {
            steps: [{ kind: 'impute', columns: ['x'], config: { strategy, addIndicator: true } }],
          };
          const { matrix } = fitPipeline(spec, t, ctx);
          const x = feature(matrix, 'x');
          xs.forEach((v, i) => {
            if (v === null) expect(Number.isNaN(x[i])).toBe(false);
            else expect(x[i]).toBe(Math.fround(v));
          });
          if (xs.includes(null))
            expect(feature(matrix, 'x__missing')).toEqual(xs.map((v) => (v === null ? 1 : 0)));
          else expect(matrix.featureNames).toEqual(['x']);
        },
      ),
    );
  });

  it('uses statistics of the training rows only', () => {
    const spec: PipelineSpec = { steps: [{ kind: 'impute', columns: ['x'], config: { strategy: 'mean' } }] };
    const { pipeline } = fitPipeline(spec, table(num('x', [1, 2, 3, null])), ctx);
    const out = transformTable(pipeline, table(num('x', [null, 100, 100, 100])));
    expect(feature(out, 'x')[0]).toBe(2);
  });

  it('fills categories with the most frequent label', () => {
    const spec: PipelineSpec = {
      steps: [{ kind: 'impute', columns: ['c'], config: { strategy: 'most_frequent' } }],
    };
    const { pipeline } = fitPipeline(spec, table(cat('c', ['x', 'y', 'y', null])), ctx);
    const out = transformTable(pipeline, table(cat('c', [null, 'x'])));
    // layout vocabulary comes from training: x=0, y=1
    expect(feature(out, 'c')).toEqual([1, 0]);
  });
});

describe('scaling and encoders', () => {
  it('standard scaling gives mean 0 and std 1 on training data (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 80 }), (xs) => {
        fc.pre(new Set(xs).size > 1);
        const { matrix } = fitPipeline(
          { steps: [{ kind: 'standard_scale', columns: ['x'] }] },
          table(num('x', xs)),
          ctx,
        );
        const x = feature(matrix, 'x');
        const mean = x.reduce((a, b) => a + b, 0) / x.length;
        const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
        expect(mean).toBeCloseTo(0, 4);
        expect(sd).toBeCloseTo(1, 4);
      }),
    );
  });

  it('one-hot rows sum to 1 (0 when missing) and unseen labels go to (other) (property)', () => {
    fc.assert(
      fc.property(labelsWithGaps, labelsWithGaps, (train, test) => {
        fc.pre(train.some((v) => v !== null));
        const spec: PipelineSpec = {
          steps: [{ kind: 'one_hot', columns: ['c'], config: { maxCategories: 3 } }],
        };
        const { pipeline } = fitPipeline(spec, table(cat('c', train)), ctx);
        const out = transformTable(pipeline, table(cat('c', test)));
        for (let i = 0; i < test.length; i++) {
          let s = 0;
          for (let j = 0; j < out.nCols; j++) s += out.data[j * out.nRows + i];
          expect(s).toBe(test[i] === null ? 0 : 1);
        }
        const seen = new Set(train);
        const other = feature(out, 'c=(other)');
        test.forEach((v, i) => {
          if (v !== null && !seen.has(v)) expect(other[i]).toBe(1);
        });
      }),
    );
  });

  it('string index gives stable codes, most frequent first, and never fails on unseen labels', () => {
    const spec: PipelineSpec = { steps: [{ kind: 'string_index', columns: ['c'] }] };
    const { pipeline, matrix } = fitPipeline(spec, table(cat('c', ['b', 'a', 'a', null])), ctx);
    expect(feature(matrix, 'c')).toEqual([1, 0, 0, NaN]);
    expect(matrix.categorical).toEqual([true]);
    expect(matrix.nCategories).toEqual([2]);
    const out = transformTable(pipeline, table(cat('c', ['zzz', 'b'])));
    expect(feature(out, 'c')).toEqual([NaN, 1]);
  });

  it('groups rare labels beyond maxCategories into (other)', () => {
    const spec: PipelineSpec = {
      steps: [{ kind: 'string_index', columns: ['c'], config: { maxCategories: 3 } }],
    };
    const { pipeline } = fitPipeline(spec, table(cat('c', ['a', 'a', 'a', 'b', 'b', 'c', 'd'])), ctx);
    const out = transformTable(pipeline, table(cat('c', ['a', 'b', 'c', 'd', 'new'])));
    expect(feature(out, 'c')).toEqual([0, 1, 2, 2, 2]);
    expect(out.nCategories).toEqual([3]);
  });

  it('target encoding is out-of-fold on training rows: an ID column cannot leak the target', () => {
    const n = 200;
    const ids = Array.from({ length: n }, (_, i) => `id${i}`);
    const y = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 2);
    const spec: PipelineSpec = {
      steps: [{ kind: 'target_encode', columns: ['id'], config: { smoothing: 1, folds: 5 } }],
    };
    const { pipeline, matrix } = fitPipeline(spec, table(cat('id', ids)), { seed: 3, y, task: 'binary' });
    const oof = feature(matrix, 'id__te');
    // every id is unseen in the other folds: the encoding is the prior of the other folds, not the row's label
    for (let i = 0; i < n; i++) expect(Math.abs(oof[i] - 0.5)).toBeLessThan(0.1);
    // at predict time the full statistics are used: a training id now maps towards its own label
    const inSample = feature(transformTable(pipeline, table(cat('id', ids))), 'id__te');
    for (let i = 0; i < n; i++) expect(Math.abs(inSample[i] - y[i])).toBeLessThan(0.5);
  });

  it('date parts give UTC year, month, day, weekday and cyclic encodings', () => {
    const spec: PipelineSpec = { steps: [{ kind: 'date_parts', columns: ['d'] }] };
    const { matrix } = fitPipeline(spec, table(date('d', ['2024-02-29', null, '2023-12-31T18:30:00Z'])), ctx);
    expect(feature(matrix, 'd__year').slice(0, 1)).toEqual([2024]);
    expect(feature(matrix, 'd__month')[0]).toBe(2);
    expect(feature(matrix, 'd__day')[0]).toBe(29);
    expect(feature(matrix, 'd__weekday')[0]).toBe(3); // Thursday, Monday = 0
    expect(feature(matrix, 'd__hour')[2]).toBe(18.5);
    expect(Number.isNaN(feature(matrix, 'd__year')[1])).toBe(true);
    expect(feature(matrix, 'd__month_cos')[0]).toBeCloseTo(Math.cos((2 * Math.PI) / 12), 6);
  });
});

describe('fitted pipeline', () => {
  const train = table(
    num('age', [30, null, 50, 40, 22, 35]),
    cat('city', ['Paris', 'Lyon', 'Paris', null, 'Nice', 'Lyon']),
    bool('member', [true, false, null, true, true, false]),
    date('since', ['2020-01-01', '2021-06-15', null, '2019-03-03', '2022-12-01', '2020-07-07']),
    cat('user_id', ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'], 'id'),
  );

  it('round-trips through JSON and transforms identically (linear and tree pipelines)', () => {
    for (const family of ['tree', 'linear', 'neural'] as const) {
      const { spec } = buildAutoPipeline(train, { family, task: 'binary' });
      const { pipeline, matrix } = fitPipeline(spec, train, ctx);
      const restored = parsePipeline(JSON.parse(JSON.stringify(pipeline)));
      const again = transformTable(restored, train);
      expect(again.featureNames).toEqual(matrix.featureNames);
      expect(Array.from(again.data)).toEqual(Array.from(matrix.data));
      expect(matrix.sources.every((s) => ['age', 'city', 'member', 'since'].includes(s))).toBe(true);
    }
  });

  it('auto-builder: trees keep categories native and unscaled; linear models get impute + one-hot + scale', () => {
    const tree = buildAutoPipeline(train, { family: 'tree' });
    expect(tree.spec.steps.map((s) => s.kind)).toEqual(['drop', 'date_parts', 'string_index']);
    expect(tree.spec.steps[0].columns).toEqual(['user_id']);
    expect(tree.notes.join(' ')).toMatch(/user_id.*ID-like/);
    const lin = buildAutoPipeline(train, { family: 'linear', task: 'binary' });
    expect(lin.spec.steps.map((s) => s.kind)).toEqual([
      'drop',
      'date_parts',
      'impute',
      'one_hot',
      'standard_scale',
    ]);
    const { matrix } = fitPipeline(lin.spec, train, ctx);
    expect(Array.from(matrix.data).some((v) => Number.isNaN(v))).toBe(false);
    expect(matrix.categorical.every((k) => !k)).toBe(true);
    expect(describePipeline(lin.spec)[0]).toMatch(/^Drop user_id/);
  });

  it('auto-builder with embeddings: neural nets get unscaled category codes with their counts; linear unchanged', () => {
    const n = 300;
    const zips = Array.from({ length: n }, (_, i) => `z${(i * 7) % 120}`);
    const t = table(
      num(
        'income',
        Array.from({ length: n }, (_, i) => (i % 17) * 1000),
      ),
      cat('zip', zips),
      cat(
        'city',
        Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : ['Paris', 'Lyon', 'Nice'][i % 3])),
      ),
      cat(
        'yes_no',
        Array.from({ length: n }, (_, i) => (i % 2 ? 'y' : 'n')),
      ),
    );
    const y = Float64Array.from({ length: n }, (_, i) => i % 2);
    const neural = buildAutoPipeline(t, { family: 'neural', task: 'binary', embeddings: true });
    const kinds = neural.spec.steps.map((s) => s.kind);
    expect(kinds).toEqual(['impute', 'string_index', 'standard_scale']);
    const index = neural.spec.steps[1];
    expect(index.columns).toEqual(['zip', 'city', 'yes_no']);
    expect(neural.spec.steps.find((s) => s.kind === 'standard_scale')!.columns).not.toContain('zip');
    expect(neural.notes.join(' ')).toMatch(/zip, city, yes_no: categories as codes for learned embeddings/);
    const { pipeline, matrix } = fitPipeline(neural.spec, t, { y, task: 'binary', seed: 1 });
    const zipCol = matrix.featureNames.indexOf('zip');
    const cityCol = matrix.featureNames.indexOf('city');
    expect(matrix.categorical[zipCol]).toBe(true);
    expect(matrix.nCategories[zipCol]).toBe(120);
    expect(matrix.categorical[cityCol]).toBe(true);
    expect(matrix.nCategories[cityCol]).toBe(3);
    expect(matrix.categorical.filter(Boolean)).toHaveLength(3);
    for (let i = 0; i < n; i++) {
      const z = matrix.data[zipCol * n + i];
      expect(Number.isInteger(z) && z >= 0 && z < 120).toBe(true);
      const c = matrix.data[cityCol * n + i];
      expect(i % 5 === 0 ? Number.isNaN(c) : Number.isInteger(c) && c >= 0 && c < 3).toBe(true);
    }
    // unseen and missing labels at predict time: missing codes (the MLP's reserved vector), no error
    const fresh = table(
      num('income', [1, 2, 3]),
      cat('zip', ['z3', 'never-seen', null]),
      cat('city', ['Lyon', 'Berlin', null]),
      cat('yes_no', ['y', 'maybe', 'n']),
    );
    const out = transformTable(parsePipeline(JSON.parse(JSON.stringify(pipeline))), fresh);
    expect(out.featureNames).toEqual(matrix.featureNames);
    const zipCodes = Array.from(out.data.subarray(zipCol * 3, zipCol * 3 + 3));
    expect(Number.isInteger(zipCodes[0])).toBe(true);
    expect(zipCodes.slice(1).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(out.data[cityCol * 3 + 1])).toBe(true);
    expect(out.nCategories[zipCol]).toBe(120);

    // a higher threshold keeps the 3-label city and the 2-label yes_no one-hot
    const fewer = buildAutoPipeline(t, {
      family: 'neural',
      task: 'binary',
      embeddings: true,
      embeddingMinCategories: 10,
    });
    expect(fewer.spec.steps.find((s) => s.kind === 'string_index')!.columns).toEqual(['zip']);
    expect(fewer.spec.steps.find((s) => s.kind === 'one_hot')!.columns).toEqual(['city', 'yes_no']);
    // without the option, or for linear models, nothing changes: zip is target encoded
    for (const opts of [
      { family: 'neural', task: 'binary' },
      { family: 'linear', task: 'binary', embeddings: true },
    ] as const) {
      const plain = buildAutoPipeline(t, opts);
      expect(plain.spec.steps.map((s) => s.kind)).toEqual([
        'impute',
        'one_hot',
        'target_encode',
        'standard_scale',
      ]);
      expect(
        fitPipeline(plain.spec, t, { y, task: 'binary', seed: 1 }).matrix.categorical.some(Boolean),
      ).toBe(false);
    }
  });

  it('ignores extra columns and names missing ones at predict time', () => {
    const { spec } = buildAutoPipeline(train, { family: 'linear', task: 'binary' });
    const { pipeline } = fitPipeline(spec, train, ctx);
    const extra = table(...train.columns, num('unrelated', [1, 2, 3, 4, 5, 6]));
    expect(transformTable(pipeline, extra).nCols).toBe(fitPipeline(spec, train, ctx).matrix.nCols);
    const lacking = table(...train.columns.filter((c) => c.name !== 'city' && c.name !== 'user_id'));
    expect(() => transformTable(pipeline, lacking)).toThrow(PipelineError);
    expect(() => transformTable(pipeline, lacking)).toThrow(/lacks column\(s\) the model needs: city/);
  });

  it('rejects unknown steps and versions with clear errors', () => {
    expect(() => fitPipeline({ steps: [{ kind: 'nope', columns: [] }] }, train, ctx)).toThrow(
      /unknown pipeline step 'nope'/,
    );
    expect(() => parsePipeline({ formatVersion: 99, spec: { steps: [] }, states: [], layout: [] })).toThrow(
      /version 99/,
    );
    expect(() => fitPipeline({ steps: [{ kind: 'standard_scale', columns: ['city'] }] }, train, ctx)).toThrow(
      /'city' holds text/,
    );
  });
});
