/**
 * Issue #12: a time-budgeted search always gives a model. With a budget far too small for any
 * trial to finish (a fraction of a second on a k-fold plan whose trials take seconds), `automl`
 * still writes a bundle — one trial trained on fold 0 with a minimum of rounds, recorded in
 * `search.clock.rescue` — says in plain words that the budget was too small and by how much it was
 * exceeded, and `reproduce` replays it bit for bit; in process and with a worker thread.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';
import { createRng } from '../../src/core/util/random.ts';

/** 3,000 rows (a k-fold plan) × 30 numeric columns, a binary target that boosting learns slowly. */
function slowCsv(path: string): void {
  const rng = createRng(21);
  const p = 30;
  const lines = [[...Array.from({ length: p }, (_, j) => `x${j}`), 'y'].join(',')];
  for (let i = 0; i < 3000; i++) {
    const x = Array.from({ length: p }, () => rng.normal());
    const s = x.reduce((a, v, j) => a + (j % 2 ? 0.25 : -0.2) * v, 0) - 0.5 * x[1] * x[2] + rng.normal();
    lines.push([...x.map((v) => v.toFixed(4)), s > 0 ? 'yes' : 'no'].join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('automl with a budget too small for any trial to finish', () => {
  const dir = mkdtempSync(join(tmpdir(), 'automl-rescue-'));
  const data = join(dir, 'slow.csv');
  slowCsv(data);
  const tooSmall =
    /the time budget of ([\d.]+) s was too small: no trial finished in time, so the model is trial (\d+) \((\w+)\) trained after the deadline on one fold's training rows \((\d+) (rounds|trees|epochs|solver iterations)\), not refitted on all rows; the run took ([\d.]+) s more than the budget \((\d+)% over\)\. A larger budget gives a better model/;

  for (const workers of [0, 1]) {
    it(`${workers} worker(s): a model, the overrun in words and in the manifest, then reproduce → reproduced`, async () => {
      const out = join(dir, `w${workers}.zip`);
      const budget = workers === 0 ? '0.3' : '0.5';
      const s = await cli([
        'automl',
        data,
        '--target',
        'y',
        '--out',
        out,
        '--budget',
        budget,
        '--seed',
        '3',
        '--workers',
        String(workers),
        '--no-track',
        '--json',
      ]);
      expect(s.err).not.toMatch(/no trial completed/);
      expect(s.code).toBe(0);
      const m = JSON.parse(s.out);
      const rescue = m.search.clock.rescue;
      expect(rescue).toMatchObject({ how: 'fit', fold: 0 });
      expect(rescue.minRounds).toBeGreaterThanOrEqual(5);
      // far past the budget margin: stopped as soon as the minimum was done — unless the trial ended
      // by itself first (a time-budgeted search caps each GBDT trial's rounds: its round allowance)
      // (then `rounds` is absent and the replay below fits it to its end as well)
      if (rescue.rounds !== undefined) expect(rescue.rounds).toBe(rescue.minRounds);
      expect(rescue.overrunSeconds).toBeGreaterThan(0);
      expect(m.search.split).toMatchObject({ strategy: 'kfold' });
      expect(m.search.final).toMatchObject({ kind: 'single', members: [{ trial: rescue.trial, weight: 1 }] });
      expect(m.search.clock.refit).toEqual([{ trial: rescue.trial, action: 'holdout' }]);
      expect(m.search.replay.length).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(m.metrics.validation.roc_auc)).toBe(true);
      // stderr (stdout is the JSON): the budget, the kept trial, its rounds and the overrun
      const w = s.err.match(tooSmall);
      expect(w).not.toBeNull();
      expect(w![1]).toBe(budget);
      expect(Number(w![2])).toBe(rescue.trial);
      expect(Number(w![4])).toBe(m.search.final.members[0].resource);
      if (rescue.rounds !== undefined) expect(Number(w![4])).toBeLessThanOrEqual(rescue.rounds);
      expect(Number(w![6])).toBeCloseTo(rescue.overrunSeconds, 1);
      expect(m.reproducibility.note).toMatch(tooSmall);

      const r = await cli(['reproduce', out, '--data', data]);
      expect(r.out).toMatch(
        new RegExp(
          `note: no trial of the search finished within its time budget \\(exceeded by [\\d.]+ s\\); the replay trains trial ${rescue.trial} on one fold as the search did, ` +
            (rescue.rounds !== undefined
              ? `stopping it after ${rescue.rounds} rounds/epochs where the budget margin stopped it\n`
              : 'to its end\n'),
        ),
      );
      expect(r.out).toMatch(/predictions on 3000 rows: bit-identical/);
      expect(r.out).toMatch(/verdict: reproduced\n$/);
      expect(r.code).toBe(0);
    }, 300_000);
  }

  it('the text output says it first, before the leaderboard', async () => {
    const s = await cli([
      'automl',
      data,
      '--target',
      'y',
      '--out',
      join(dir, 'text'),
      '--budget',
      '0.001',
      '--families',
      'linear',
      '--workers',
      '0',
      '--no-track',
    ]);
    expect(s.code).toBe(0);
    const first = s.out.split('\n')[0];
    expect(first).toMatch(/^warning: the time budget of 0\.001 s was too small: no trial finished in time/);
    // a new search's linear trial is solved by the GLM solver: its resource is the solver's iterations
    expect(first).toMatch(
      /\(linear\) trained after the deadline on one fold's training rows \(\d+ solver iterations\)/,
    );
    expect(s.out).toMatch(/bundle written to /);
  }, 300_000);

  it('a budget of 0 or less is a clear error, not a search', async () => {
    for (const b of ['0', '-1', 'abc']) {
      const s = await cli([
        'automl',
        data,
        '--target',
        'y',
        '--out',
        join(dir, 'x'),
        `--budget=${b}`,
        '--no-track',
      ]);
      expect(s.code).toBe(2);
      expect(s.err).toContain(`--budget must be a number of seconds > 0, got '${b}'`);
    }
  });
});
