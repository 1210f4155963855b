/**
 * Words about a search's recorded clock decisions for a bundle's `reproducibility.note` (kept apart
 * from runner.ts so a bundle writer, e.g. the standalone scorer build, does not pull in the search).
 */
import type { SearchManifest } from './runner.ts';

/**
 * The search's part of a bundle's `reproducibility.note`: what the clock decided is recorded and a
 * replay applies it; what a replay takes as recorded instead of reproducing (crashed workers).
 * Undefined when the clock decided nothing (a trial-capped search that ran to its cap).
 */
export function clockNote(m: SearchManifest): string | undefined {
  const c = m.clock;
  const deadline = c.cuts.filter((x) => x.reason === 'deadline').length;
  const parts: string[] = [];
  const budget = budgetNote(m);
  if (budget) parts.push(budget);
  if (m.stoppedBy !== 'maxTrials' || c.cuts.length || c.refit.some((r) => r.action !== 'refit' || r.rounds))
    parts.push(
      `the search was stopped by ${m.stoppedBy === 'maxTrials' ? 'its trial cap' : m.stoppedBy}` +
        `${deadline ? ` with ${deadline} trial(s) cut at the deadline` : ''}; ` +
        'what its clock decided is recorded in search.clock and a replay applies it',
    );
  if (c.crashed.length)
    parts.push(
      `${c.crashed.map((x) => `trial ${x.trial}`).join(', ')} failed because the worker crashed ` +
        '(not a property of the trial): a replay counts them as failed without running them, so it cannot ' +
        'show that they would have failed again',
    );
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * Plain words for a search whose time budget was too small for any trial to finish (`clock.rescue`):
 * which model was kept, how much training it had and by how much the run exceeded the budget.
 * Undefined when some trial finished.
 */
export function budgetNote(m: SearchManifest): string | undefined {
  const r = m.clock?.rescue;
  if (!r) return undefined;
  const seconds = m.budget.seconds;
  const family = m.replay[r.trial]?.family ?? 'model';
  // a linear trial solved by the GLM solver (`solver: 'glm'`) counts its solver's iterations, not epochs
  const unit =
    family === 'linear' && m.replay[r.trial]?.params.solver === 'glm'
      ? 'solver iterations'
      : family === 'linear' || family === 'mlp'
        ? 'epochs'
        : family === 'random_forest'
          ? 'trees'
          : 'rounds';
  const refit = m.clock.refit.find((x) => x.trial === r.trial)?.action === 'refit';
  const fmt = (s: number) => String(Number(s.toPrecision(3)));
  const used = m.final.members.find((x) => x.trial === r.trial)?.resource;
  const what =
    r.how === 'fit'
      ? `trial ${r.trial} (${family}) trained after the deadline on one fold's training rows` +
        (used !== undefined ? ` (${used} ${unit})` : '')
      : `trial ${r.trial} (${family}) as the deadline left it, after ${r.rounds} ${unit} on the holdout's training rows`;
  const over =
    r.overrunSeconds > 0
      ? `the run took ${fmt(r.overrunSeconds)} s more than the budget` +
        (seconds ? ` (${Math.round((100 * r.overrunSeconds) / seconds)}% over)` : '')
      : 'the run stayed within the budget';
  return (
    `the time budget${seconds !== undefined ? ` of ${fmt(seconds)} s` : ''} was too small: no trial finished in time, ` +
    `so the model is ${what}${refit ? ', then refitted on all rows' : ', not refitted on all rows'}; ${over}. ` +
    'A larger budget gives a better model'
  );
}
