/**
 * Drift statistics against SciPy: reference values from test/fixtures/monitor/scipy-stats.json
 * (made by make-scipy-fixtures.py with python3-scipy; regenerated and compared when it is present),
 * plus property tests (symmetry, bounds, invariances) with fast-check.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chi2Contingency,
  chi2Sf,
  jensenShannon,
  ks2samp,
  normalSf,
  proportionZTest,
  psi,
  stdDev,
  wasserstein1,
} from '../../../src/core/monitor/stats/index.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';

const FIXTURE_DIR = resolve(REPO_ROOT, 'test/fixtures/monitor');
interface Fixture {
  scipy: string;
  ks: { a: number[]; b: number[]; statistic: number; pvalue: number; exact: boolean }[];
  chi2: { table: number[][]; statistic: number; pvalue: number; dof: number }[];
  wasserstein: { a: number[]; b: number[]; distance: number; std_a: number }[];
  jensenshannon: { p: number[]; q: number[]; distance: number }[];
  special: { chi2_sf: { x: number; dof: number; sf: number }[]; normal_sf: { z: number; sf: number }[] };
  ztest: { counts: [number, number, number, number]; statistic: number; pvalue: number }[];
}
const fx = JSON.parse(readFileSync(resolve(FIXTURE_DIR, 'scipy-stats.json'), 'utf8')) as Fixture;

const close = (got: number, want: number, tol = 1e-9) =>
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(
    tol * Math.max(1, Math.abs(want)),
  );

describe('drift statistics equal SciPy ' + fx.scipy, () => {
  it('ks_2samp: statistic and exact p-value within 1e-9 (sizes up to 10,000)', () => {
    const exact = fx.ks.filter((c) => c.exact);
    expect(exact.length).toBeGreaterThanOrEqual(10);
    for (const c of exact) {
      const r = ks2samp(c.a, c.b);
      expect(r.method).toBe('exact');
      close(r.statistic, c.statistic);
      close(r.pvalue, c.pvalue);
    }
  });

  it('ks_2samp above 10,000 values: the same statistic, an asymptotic p-value within 5e-3', () => {
    const big = fx.ks.filter((c) => !c.exact);
    expect(big.length).toBeGreaterThan(0);
    for (const c of big) {
      const r = ks2samp(c.a, c.b);
      expect(r.method).toBe('asymptotic');
      close(r.statistic, c.statistic);
      expect(Math.abs(r.pvalue - c.pvalue)).toBeLessThan(5e-3);
    }
  });

  it('chi2_contingency (Yates on one degree of freedom) within 1e-9', () => {
    for (const c of fx.chi2) {
      const r = chi2Contingency(c.table);
      expect(r.dof).toBe(c.dof);
      close(r.statistic, c.statistic);
      close(r.pvalue, c.pvalue);
    }
  });

  it('wasserstein_distance and the reference std within 1e-9', () => {
    for (const c of fx.wasserstein) {
      close(wasserstein1(c.a, c.b), c.distance);
      close(stdDev(c.a), c.std_a);
    }
  });

  it('jensenshannon within 1e-9', () => {
    for (const c of fx.jensenshannon) close(jensenShannon(c.p, c.q), c.distance);
  });

  it('chi2.sf and norm.sf within 1e-9 (relative in the tails)', () => {
    for (const c of fx.special.chi2_sf) close(chi2Sf(c.x, c.dof), c.sf);
    for (const c of fx.special.normal_sf) {
      const got = normalSf(c.z);
      expect(Math.abs(got - c.sf)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(c.sf), 1e-300) + 1e-15);
    }
  });

  it('two-proportion z-test within 1e-9', () => {
    for (const c of fx.ztest) {
      const r = proportionZTest(...c.counts);
      close(r.statistic, c.statistic);
      close(r.pvalue, c.pvalue);
    }
  });

  it('the fixture is what make-scipy-fixtures.py produces with this machine’s SciPy', () => {
    const py = '/usr/bin/python3';
    const probe = existsSync(py)
      ? execFileSync(py, ['-c', 'import scipy; print(scipy.__version__)'], { encoding: 'utf8' }).trim()
      : '';
    if (!probe) {
      // Without python3-scipy the checked-in fixture is the reference; CI installs it (.ci/run).
      console.warn('python3-scipy not found: fixture not regenerated');
      return;
    }
    const fresh = JSON.parse(
      execFileSync(py, [resolve(FIXTURE_DIR, 'make-scipy-fixtures.py')], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      }),
    ) as Fixture;
    expect(fresh.ks.length).toBe(fx.ks.length);
    for (let i = 0; i < fresh.ks.length; i++) {
      close(fresh.ks[i]!.pvalue, fx.ks[i]!.pvalue, 1e-12);
      close(ks2samp(fresh.ks[i]!.a, fresh.ks[i]!.b).statistic, fresh.ks[i]!.statistic);
    }
    for (let i = 0; i < fresh.chi2.length; i++)
      close(chi2Contingency(fresh.chi2[i]!.table).pvalue, fresh.chi2[i]!.pvalue);
  });
});

const sample = fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 60 });

describe('drift statistics: properties', () => {
  it('KS: symmetric, D in [0, 1], p in [0, 1], identical samples give D = 0 and p = 1', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = ks2samp(a, b);
        const ba = ks2samp(b, a);
        expect(ab.statistic).toBe(ba.statistic);
        expect(Math.abs(ab.pvalue - ba.pvalue)).toBeLessThan(1e-12);
        expect(ab.statistic).toBeGreaterThanOrEqual(0);
        expect(ab.statistic).toBeLessThanOrEqual(1);
        expect(ab.pvalue).toBeGreaterThanOrEqual(0);
        expect(ab.pvalue).toBeLessThanOrEqual(1);
        const same = ks2samp(a, a);
        expect(same.statistic).toBe(0);
        expect(same.pvalue).toBe(1);
      }),
    );
  });

  it('KS and Wasserstein ignore missing values and the order of the values', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const withNaN = [...a, NaN, ...a.slice(0, 1)].reverse();
        const base = ks2samp([...a, a[0]!], b);
        expect(ks2samp(withNaN, b)).toEqual(base);
        expect(wasserstein1(withNaN, b)).toBeCloseTo(wasserstein1([...a, a[0]!], b), 12);
      }),
    );
  });

  it('Wasserstein: a shift by c moves the distance by exactly |c| between a sample and itself', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: -20, max: 20 }), (a, c) => {
        expect(wasserstein1(a, a)).toBe(0);
        expect(
          wasserstein1(
            a,
            a.map((v) => v + c),
          ),
        ).toBeCloseTo(Math.abs(c), 9);
      }),
    );
  });

  it('Jensen–Shannon: symmetric, in [0, √ln 2], 0 for equal distributions; PSI ≥ 0', () => {
    const dist = fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 12 });
    fc.assert(
      fc.property(dist, dist, (p0, q0) => {
        const n = Math.min(p0.length, q0.length);
        const p = p0.slice(0, n).map((v, i) => v + (i === 0 ? 1 : 0));
        const q = q0.slice(0, n).map((v, i) => v + (i === 0 ? 1 : 0));
        const d = jensenShannon(p, q);
        expect(Math.abs(d - jensenShannon(q, p))).toBeLessThan(1e-15);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
        expect(jensenShannon(p, p)).toBeLessThan(1e-7);
        expect(psi(p, q)).toBeGreaterThanOrEqual(-1e-12);
      }),
    );
  });

  it('bad input is refused with a message, never NaN', () => {
    expect(() => ks2samp([], [1])).toThrow(/non-missing/);
    expect(() => ks2samp([NaN], [1])).toThrow(/non-missing/);
    expect(() =>
      chi2Contingency([
        [1, 0],
        [2, 0],
      ]),
    ).toThrow(/column 1 has no counts/);
    expect(() => jensenShannon([0, 0], [1, 1])).toThrow(/no mass/);
    expect(() => proportionZTest(5, 3, 1, 2)).toThrow(/outside/);
  });
});
