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
