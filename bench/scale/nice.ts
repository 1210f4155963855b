/**
 * Keeps a bench's Chromium at the bench's own niceness. Chromium sets its threads' priorities itself
 * (renderers back to nice 0, display-critical threads to −8 when it may, e.g. as root), so
 * `nice -n 19` on the bench does not reach the browser it launches; these put every thread of it back
 * (raising a nice value is always allowed). Linux (/proc) only; elsewhere they do nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The bench's own niceness. */
export const NICE = getPriority();

/** Sets every thread of process `pid` to {@link NICE} where Chromium made it more urgent. */
export function renice(pid: string): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return; // gone
  }
  for (const tid of tids) {
    try {
      if (getPriority(Number(tid)) < NICE) setPriority(Number(tid), NICE);
    } catch {
      // gone
    }
  }
}

/**
 * Every second, renices the Chromium processes whose command line holds `marker` (the profile
 * directory's name, e.g. `bench-scale-search`); returns the function that stops it.
 */
export function keepChromiumNiced(marker: string): () => void {
  const tick = (): void => {
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (/chrom/i.test(cmd.split('\0')[0] ?? '') && cmd.includes(marker)) renice(pid);
      } catch {
        // gone
      }
    }
  };
  tick();
  const t = setInterval(tick, 1000);
  return () => clearInterval(t);
}
