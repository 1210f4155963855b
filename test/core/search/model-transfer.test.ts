/**
 * Models handed back by a trial worker in binary form (trial-endpoint.ts `wireModel`, issues 17/21): a
 * forest's arrays as typed arrays with their buffers transferred instead of base64 JSON. The model read
 * back from that form is the model read back from its JSON: the same serialization, the same
 * predictions, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { estimatorFor, ensureFamiliesRegistered } from '../../../src/core/train/families.ts';
import { deserializeModel } from '../../../src/core/models/registry.ts';
import type { FeatureMatrix, Fitted } from '../../../src/core/models/types.ts';
import { wireModel } from '../../../src/core/search/trial-endpoint.ts';
import { createRng } from '../../../src/core/util/random.ts';

function data(n: number, p: number, classes: number, seed: number): { X: FeatureMatrix; y: Float64Array } {
  const rng = createRng(seed);
  const X = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) {
      const v = j === p - 1 ? rng.int(5) : i % (7 + j) === 0 ? NaN : rng.normal();
      X[j * n + i] = v;
      s += Number.isNaN(v) ? 0 : v * (j + 1);
    }
    y[i] = Math.abs(Math.floor(s + rng.normal())) % classes;
  }
  const categorical = Array.from({ length: p }, (_, j) => j === p - 1);
  return { X: { nRows: n, nCols: p, data: X, categorical }, y };
}

async function fit(family: 'random_forest' | 'gbdt', classes: number): Promise<Fitted> {
  ensureFamiliesRegistered();
  const { X, y } = data(600, 5, classes, classes);
  const task = classes > 2 ? 'multiclass' : 'binary';
  const config = family === 'random_forest' ? { rounds: 15, maxDepth: 12, extraTrees: true } : { rounds: 20 };
  return estimatorFor(family).fit(X, y, { task, nClasses: classes, config });
}

describe('binary model hand-back', () => {
  for (const [family, classes] of [
    ['random_forest', 3],
    ['random_forest', 2],
    ['gbdt', 3],
  ] as const) {
    it(`${family} (${classes} classes): the transferred form reads back as the JSON form`, async () => {
      const model = await fit(family, classes);
      const buffers: ArrayBuffer[] = [];
      const wire = wireModel(model, buffers, true);
      const forest = (wire as unknown as { forest: Record<string, unknown> }).forest;
      // the arrays travel as typed arrays (own buffers), not base64 text
      expect(forest.threshold).toBeInstanceOf(Float64Array);
      expect(forest.catBits).toBeInstanceOf(Uint32Array);
      expect(buffers.length).toBeGreaterThanOrEqual(12);
      // as a worker sends it: structured clone with the buffers transferred
      const received = structuredClone(wire, { transfer: buffers });
      expect(buffers.every((b) => b.byteLength === 0)).toBe(true);
      const fromBinary = deserializeModel(received);
      const fromJson = deserializeModel(JSON.parse(JSON.stringify(model.toJSON())));
      expect(fromBinary.toJSON()).toEqual(fromJson.toJSON());
      expect(fromBinary.toJSON()).toEqual(model.toJSON());
      const { X } = data(200, 5, classes, 99);
      expect(fromBinary.predict(X)).toEqual(fromJson.predict(X));
      expect(fromBinary.predict(X)).toEqual(model.predict(X));
      // the model that was sent still predicts (its arrays were copied, not detached)
      expect(model.predict(X)).toEqual(fromJson.predict(X));
    });
  }

  it('sends JSON when buffers cannot be transferred; refuses arrays of the wrong kind', async () => {
    const model = await fit('random_forest', 3);
    const buffers: ArrayBuffer[] = [];
    expect(wireModel(model, buffers, false)).toEqual(model.toJSON());
    expect(buffers).toEqual([]);
    const wire = wireModel(model, [], true);
    const forest = wire.forest as Record<string, unknown>;
    const bad = { ...wire, forest: { ...forest, threshold: new Float32Array(1) } };
    expect(() => deserializeModel(bad)).toThrow(/threshold is neither base64 text nor a Float64Array/);
  });
});
