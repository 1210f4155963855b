import { describe, expect, it } from 'vitest';
import { binColumns, binMatrix, fitBinMapper, sortFloats } from '../../../src/core/models/gbdt/binning.ts';
import { fastExp, makeObjective } from '../../../src/core/models/gbdt/objective.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { synth } from './synth.ts';

/** Columns with awkward values: wide ranges, heavy ties, ±0, ±Infinity, tiny magnitudes. */
function column(kind: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => {
    const r = rng.next();
    if (kind === 0) return (r - 0.5) * 1e6;
    if (kind === 1) return Math.round(rng.normal() * 10) / 4;
    if (kind === 2) {
      if (r < 0.05) return -0;
      if (r < 0.1) return 0;
      if (r < 0.12) return Infinity;
      if (r < 0.14) return -Infinity;
      return Math.exp(rng.normal() * 20) * (r < 0.5 ? -1 : 1);
    }
    return rng.normal() * 1e-300;
  });
}

describe('gbdt kernels', () => {
  it('sortFloats orders exactly like Float64Array.prototype.sort', () => {
    // Small sizes use the built-in sort, large ones (>= 65536) the radix sort.
    for (let t = 0; t < 28; t++) {
      const a = column(t % 4, t < 24 ? 500 + 300 * t : 65536 + 997 * t, t + 1);
      const expected = Array.from(a.slice().sort());
      sortFloats(a);
      expect(Array.from(a).map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(
        expected.map((v) => (Object.is(v, -0) ? '-0' : v)),
      );
    }
  });

  it('bins every value to 1 + #{cuts < x} (bucketed search == linear count)', () => {
    for (let t = 0; t < 12; t++) {
      const n = 3000 + 400 * t;
      const data = column(t % 4, n, 100 + t);
      data[7] = NaN;
      const X = { nRows: n, nCols: 1, data };
      const mapper = fitBinMapper(X, 255, 200_000, 0);
      const bins = binMatrix(mapper, X);
      const cuts = mapper.features[0].cuts;
      for (let i = 0; i < n; i++) {
        let c = 0;
        while (c < cuts.length && cuts[c] < data[i]) c++;
        expect(bins[i]).toBe(data[i] === data[i] ? c + 1 : 0);
      }
    }
  });

  it('column-major bins (training) are the transpose of binMatrix', () => {
    const d = synth('binary', 3000, 9, { missing: 0.1 });
    const mapper = fitBinMapper(d.X, 64, 200_000, 0);
    const rows = binMatrix(mapper, d.X);
    const cols = binColumns(mapper, d.X);
    const { nRows: n, nCols: F } = d.X;
    for (let r = 0; r < n; r++) for (let f = 0; f < F; f++) expect(cols[f * n + r]).toBe(rows[r * F + f]);
  });

  it('the training-loss curve matches the objective loss at the same margins', () => {
    // Unweighted curves come from a rescaled product of probabilities (one log per round): check it,
    // rescaling included (n large enough that the product passes 2^-900 many times), against the
    // per-row portable log; weighted curves keep a log per row.
    for (const task of ['binary', 'multiclass'] as const) {
      const d = synth(task, 6000, 4);
      const w = Float64Array.from({ length: d.y.length }, (_, i) => 0.5 + (i % 3));
      for (const weights of [undefined, w]) {
        const m = fitGbdt(d.X, d.y, { task, nClasses: d.nClasses, weights, config: { rounds: 5 } });
        const obj = makeObjective(task === 'binary' ? 'logloss' : 'softmax', 1);
        const h = m.history.train;
        for (const r of [1, 5]) {
          const want = obj.loss(m.predictRaw(d.X, r), d.y, weights ?? null, d.y.length);
          expect(Math.abs(h[r - 1] - want)).toBeLessThan(1e-12 * want);
        }
      }
    }
  });

  it('fastExp is within a few ulp of Math.exp', () => {
    const rng = createRng(5);
    for (let i = 0; i < 20000; i++) {
      const x = -rng.next() * (i % 2 ? 700 : 3);
      const want = Math.exp(x);
      if (want < 1e-300) continue;
      expect(Math.abs(fastExp(x) - want) / want).toBeLessThan(8e-16);
    }
    expect(fastExp(-Infinity)).toBe(0);
    expect(fastExp(0)).toBe(1);
    expect(Number.isNaN(fastExp(NaN))).toBe(true);
  });
});
