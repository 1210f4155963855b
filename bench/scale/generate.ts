/**
 * Seeded generator of the scale benchmark's CSVs (issue 21): 30 columns of mixed types — 12 numbers,
 * 8 categories with 3 to 1,000 levels, 3 booleans, 3 dates, 3 integers and a binary target that
 * depends on some of them — with 5% missing cells. Written in blocks (never a whole-file string).
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { createRng } from '../../src/core/util/random.ts';

export const SCALE_COLUMNS = 30;
const LEVELS = [3, 5, 10, 30, 100, 300, 600, 1000];

export function scaleHeader(): string[] {
  const h: string[] = [];
  for (let i = 0; i < 12; i++) h.push(`num${i}`);
  for (let i = 0; i < LEVELS.length; i++) h.push(`cat${i}`);
  for (let i = 0; i < 3; i++) h.push(`flag${i}`);
  for (let i = 0; i < 3; i++) h.push(`date${i}`);
  for (let i = 0; i < 3; i++) h.push(`int${i}`);
  h.push('target');
  return h;
}

export function generateScaleCsv(path: string, rows: number, seed = 42): void {
  const rng = createRng(seed);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, scaleHeader().join(',') + '\n');
  const miss = (): boolean => rng.next() < 0.05;
  let block: string[] = [];
  for (let r = 0; r < rows; r++) {
    const f: string[] = [];
    let score = 0;
    for (let i = 0; i < 12; i++) {
      const v = rng.normal() * (i + 1);
      if (i < 3) score += v / (i + 1);
      f.push(miss() ? '' : v.toFixed(4));
    }
    for (let i = 0; i < LEVELS.length; i++) {
      const level = rng.int(LEVELS[i]);
      if (i === 1) score += level % 2 ? 0.5 : -0.5;
      f.push(miss() ? '' : `L${i}_${level}`);
    }
    for (let i = 0; i < 3; i++) f.push(miss() ? '' : rng.next() < 0.5 ? 'yes' : 'no');
    for (let i = 0; i < 3; i++) {
      const day = 17000 + rng.int(4000);
      f.push(miss() ? '' : new Date(day * 86_400_000).toISOString().slice(0, 10));
    }
    for (let i = 0; i < 3; i++) f.push(miss() ? '' : String(rng.int(10 ** (i + 2))));
    f.push(score + rng.normal() * 0.5 > 0 ? 'yes' : 'no');
    block.push(f.join(','));
    if (block.length === 10_000) {
      writeSync(fd, block.join('\n') + '\n');
      block = [];
    }
  }
  if (block.length) writeSync(fd, block.join('\n') + '\n');
  closeSync(fd);
  renameSync(tmp, path);
}
