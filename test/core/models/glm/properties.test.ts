/**
 * Properties of the GLM objective and solver (fast-check): the gradient equals central finite
 * differences; the objective never increases along the solver's accepted steps and ends no higher than
 * at θ = 0; with l1 at or above the smallest all-zero penalty every weight is exactly 0 (and just below
 * it some weight is not); a row weight of 2 is the row duplicated; fits are deterministic.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bestShift,
  fitGlm,
  GlmObjective,
  minimizeGlm,
  type GlmLoss,
  type GlmProblem,
} from '../../../../src/core/models/glm/index.ts';
import { createRng } from '../../../../src/core/util/random.ts';
import { glmData } from './data.ts';

const LOSSES: GlmLoss[] = ['logistic', 'softmax', 'squared', 'huber'];

/** A random problem: standard-normal design, labels / targets from a noisy linear model. */
function randomProblem(
  seed: number,
  n: number,
  p: number,
  loss: GlmLoss,
  K: number,
  weighted: boolean,
): GlmProblem {
  const rng = createRng(seed);
  const nOut = loss === 'softmax' ? K : 1;
  const X = Float64Array.from({ length: n * p }, () => rng.normal());
  const beta = Float64Array.from({ length: p * nOut }, () => rng.normal());
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = new Float64Array(nOut);
    for (let k = 0; k < nOut; k++) {
      for (let j = 0; j < p; j++) z[k] += X[j * n + i] * beta[j * nOut + k];
      z[k] += rng.normal();
    }
    if (loss === 'logistic') y[i] = z[0] > 0 ? 1 : 0;
    else if (loss === 'softmax') y[i] = z.indexOf(Math.max(...z));
    else y[i] = 2 * z[0] + (loss === 'huber' && i % 7 === 0 ? 8 : 0);
  }
  const rowWeights = weighted ? Float64Array.from({ length: n }, () => 0.1 + 2 * rng.next()) : undefined;
  return { X, nRows: n, nCols: p, y, loss, nOutputs: nOut, rowWeights };
}

const problemArb = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  n: fc.integer({ min: 3, max: 40 }),
  p: fc.integer({ min: 1, max: 5 }),
  loss: fc.constantFrom(...LOSSES),
  K: fc.integer({ min: 2, max: 4 }),
  weighted: fc.boolean(),
});

describe('glm objective and solver properties', () => {
  it('the gradient equals central finite differences', () => {
    fc.assert(
      fc.property(problemArb, fc.double({ min: 0, max: 1, noNaN: true }), (a, l2) => {
        const pr = randomProblem(a.seed, a.n, a.p, a.loss, a.K, a.weighted);
        const obj = new GlmObjective(pr, l2);
        const rng = createRng(a.seed + 1);
        const theta = Float64Array.from({ length: obj.nParams }, () => rng.normal());
        const g = new Float64Array(obj.nParams);
        obj.evaluate(theta, g);
        const h = 1e-6;
        for (let j = 0; j < obj.nParams; j++) {
          const tp = Float64Array.from(theta);
          const tm = Float64Array.from(theta);
          tp[j] += h;
          tm[j] -= h;
          const fd = (obj.evaluate(tp) - obj.evaluate(tm)) / (2 * h);
          expect(Math.abs(fd - g[j])).toBeLessThan(1e-6 * (1 + Math.abs(g[j])));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never increases the objective along accepted steps, and ends no higher than at θ = 0', () => {
    fc.assert(
      fc.property(
        problemArb,
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        (a, l2, l1) => {
          const pr = randomProblem(a.seed, a.n, a.p, a.loss, a.K, a.weighted);
          const obj = new GlmObjective(pr, l2);
          const seen: number[] = [];
          const r = minimizeGlm(obj, l1, undefined, {
            maxIterations: 200,
            onIteration: (_, f) => void seen.push(f),
          });
          const f0 = obj.objective(new Float64Array(obj.nParams), l1);
          let prev = f0;
          for (const f of seen) {
            expect(f).toBeLessThanOrEqual(prev);
            prev = f;
          }
          expect(r.objective).toBeLessThanOrEqual(f0);
          expect(r.objective).toBe(seen.length ? seen[seen.length - 1] : f0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('l1 at or above max |∂ loss/∂W| at the intercept-only optimum zeroes every weight exactly; just below, not', () => {
    fc.assert(
      fc.property(problemArb, fc.double({ min: 0, max: 0.5, noNaN: true }), (a, l2) => {
        const pr = randomProblem(a.seed, Math.max(a.n, 10), a.p, a.loss, a.K, a.weighted);
        const obj = new GlmObjective(pr, l2);
        const nul = minimizeGlm(obj, Infinity, undefined, { gradientTolerance: 1e-12 });
        for (let j = 0; j < obj.nPenalised; j++) expect(nul.theta[j]).toBe(0);
        const g = new Float64Array(obj.nParams);
        obj.evaluate(nul.theta, g);
        let gmax = 0;
        for (let j = 0; j < obj.nPenalised; j++) gmax = Math.max(gmax, Math.abs(g[j]));
        fc.pre(gmax > 1e-6);
        const above = minimizeGlm(obj, gmax * 1.001, undefined, { gradientTolerance: 1e-12 });
        for (let j = 0; j < obj.nPenalised; j++) expect(above.theta[j]).toBe(0);
        const below = minimizeGlm(obj, gmax * 0.9, undefined, { gradientTolerance: 1e-12 });
        let nonZero = 0;
        for (let j = 0; j < obj.nPenalised; j++) if (below.theta[j] !== 0) nonZero++;
        expect(nonZero).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });

  it('Huber: a stalled quasi-Newton model restarts, so l1 above the threshold still zeroes every weight', () => {
    // fast-check's counterexamples from before the restart: the solver stopped on a flat objective
    // with a weight at −1.44 (and at 2.9e-10), at an objective above the intercept-only optimum.
    for (const [seed, n, p, l2] of [
      [402775, 10, 5, 2.8745276116309816e-16],
      [555181, 24, 3, 0],
    ]) {
      const obj = new GlmObjective(randomProblem(seed, n, p, 'huber', 2, true), l2);
      const nul = minimizeGlm(obj, Infinity, undefined, { gradientTolerance: 1e-12 });
      const g = new Float64Array(obj.nParams);
      obj.evaluate(nul.theta, g);
      let gmax = 0;
      for (let j = 0; j < obj.nPenalised; j++) gmax = Math.max(gmax, Math.abs(g[j]));
      const above = minimizeGlm(obj, gmax * 1.001, undefined, { gradientTolerance: 1e-12 });
      expect(Array.from(above.theta.subarray(0, obj.nPenalised))).toEqual(new Array(obj.nPenalised).fill(0));
      expect(above.objective).toBeLessThanOrEqual(nul.objective + 1e-12 * Math.abs(nul.objective));
    }
  });

  it('a row weight of 2 is the row duplicated', () => {
    fc.assert(
      fc.property(
        problemArb,
        fc.nat(),
        fc.double({ min: 1e-3, max: 0.1, noNaN: true }),
        fc.constantFrom(0, 1e-3),
        (a, pick, l2, l1) => {
          const pr = randomProblem(a.seed, a.n, a.p, a.loss, a.K, a.weighted);
          const n = pr.nRows;
          const r = pick % n;
          const w = pr.rowWeights ? Float64Array.from(pr.rowWeights) : new Float64Array(n).fill(1);
          const w2 = Float64Array.from(w);
          w2[r] *= 2;
          const doubled: GlmProblem = { ...pr, rowWeights: w2 };
          // The duplicate appended as row n.
          const X = new Float64Array((n + 1) * pr.nCols);
          for (let j = 0; j < pr.nCols; j++) {
            X.set(pr.X.subarray(j * n, (j + 1) * n), j * (n + 1));
            X[j * (n + 1) + n] = pr.X[j * n + r];
          }
          const dup: GlmProblem = {
            ...pr,
            X,
            nRows: n + 1,
            y: Float64Array.from([...pr.y, pr.y[r]]),
            rowWeights: Float64Array.from([...w, w[r]]),
          };
          const opts = { gradientTolerance: 1e-11 };
          const o1 = new GlmObjective(doubled, l2);
          const o2 = new GlmObjective(dup, l2);
          const a1 = minimizeGlm(o1, l1, undefined, opts);
          const a2 = minimizeGlm(o2, l1, undefined, opts);
          expect(Math.abs(a1.objective - a2.objective)).toBeLessThan(1e-12 * (1 + Math.abs(a1.objective)));
          // Same objective function: each solution is optimal for the other problem too.
          expect(o2.objective(a1.theta, l1)).toBeCloseTo(a1.objective, 11);
          for (let j = 0; j < o1.nPenalised; j++)
            expect(Math.abs(a1.theta[j] - a2.theta[j])).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("bestShift minimises Σ l1·|vₖ − c| + l2·(vₖ − c)² (softmax's flat directions)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2, maxLength: 7 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: 5, maxLength: 20 }),
        (v, l1, l2, probes) => {
          const h = (c: number) => v.reduce((s, x) => s + l1 * Math.abs(x - c) + l2 * (x - c) ** 2, 0);
          const c = bestShift(v, l1, l2);
          const hc = h(c);
          for (const t of [...probes, ...v, c + 1e-7, c - 1e-7])
            expect(hc).toBeLessThanOrEqual(h(t) + 1e-12 * (1 + hc));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same inputs give the same JSON, bit for bit', () => {
    const { X, y, nClasses } = glmData('multiclass', 500, 6, 3, 3);
    const a = fitGlm(X, y, { task: 'multiclass', nClasses, l2: 1e-3, l1: 1e-3 });
    const b = fitGlm(X, y, { task: 'multiclass', nClasses, l2: 1e-3, l1: 1e-3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.converged).toBe(true);
  });
});
