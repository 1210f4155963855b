/** Seeded generator of the benchmark CSV: mixed types, ~5% missing. Writes in blocks (no whole-file string). */
import { openSync, writeSync, closeSync, renameSync } from 'node:fs';
import { createRng } from '../../src/core/util/random.ts';

const WORDS = (
  'alpha beta gamma delta river stone cloud paper window garden yellow quiet rapid market ' +
  'silver orange table music winter summer forest ocean planet signal copper engine bridge ' +
  'little strong simple broken golden hidden modern purple'
).split(' ');

export const BENCH_COLUMNS = 30;

export function generateBenchCsv(path: string, rows: number, seed = 42): void {
  const rng = createRng(seed);
  const header: string[] = [];
  for (let i = 0; i < 10; i++) header.push(`f${i}`);
  for (let i = 0; i < 6; i++) header.push(`i${i}`);
  const cards = [3, 10, 50, 200, 1000, 10000];
  for (let i = 0; i < 6; i++) header.push(`c${i}`);
  for (let i = 0; i < 3; i++) header.push(`b${i}`);
  header.push('d0', 'd1', 't0', 't1', 't2');
  const tmp = path + '.tmp';
  const fd = openSync(tmp, 'w');
  writeSync(fd, header.join(',') + '\n');
  const miss = (): boolean => rng.next() < 0.05;
  let block: string[] = [];
  for (let r = 0; r < rows; r++) {
    const f: string[] = [];
    for (let i = 0; i < 10; i++) {
      if (miss()) f.push('');
      else if (i < 4) f.push((rng.normal() * 100).toFixed(3));
      else if (i < 8) f.push(String(Math.round(rng.normal() * 1e6) / 1e4));
      else f.push(String(rng.next() * 1000));
    }
    for (let i = 0; i < 6; i++)
      f.push(miss() ? '' : String(rng.int(i < 3 ? 100 : 1_000_000) - (i === 5 ? 500_000 : 0)));
    for (let i = 0; i < 6; i++) f.push(miss() ? '' : `cat${i}_${rng.int(cards[i])}`);
    for (let i = 0; i < 3; i++) f.push(miss() ? '' : rng.next() < 0.5 ? 'true' : 'false');
    const day = 18000 + rng.int(3000);
    f.push(miss() ? '' : new Date(day * 86400000).toISOString().slice(0, 10));
    f.push(
      miss()
        ? ''
        : new Date(day * 86400000 + rng.int(86400) * 1000).toISOString().slice(0, 19).replace('T', ' '),
    );
    for (let i = 0; i < 3; i++) {
      if (miss()) {
        f.push('');
        continue;
      }
      const n = 2 + rng.int(5);
      const w: string[] = [];
      for (let k = 0; k < n; k++) w.push(WORDS[rng.int(WORDS.length)]);
      const t = w.join(i === 2 ? ', ' : ' ');
      f.push(i === 2 ? `"${t}"` : t);
    }
    block.push(f.join(','));
    if (block.length === 10000) {
      writeSync(fd, block.join('\n') + '\n');
      block = [];
    }
  }
  if (block.length) writeSync(fd, block.join('\n') + '\n');
  closeSync(fd);
  renameSync(tmp, path);
}
