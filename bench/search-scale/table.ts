/**
 * An in-memory mixed-type table for the search-scale bench and tests: `p` columns (numbers with 5%
 * missing, categories with up to 1,000 levels, a date, a boolean) and a binary target `y` that
 * depends on a few of them non-linearly. Seeded: the same `(n, p, seed)` gives the same table.
 */
import type { Column, Table } from '../../src/core/data/table.ts';
import { createRng } from '../../src/core/util/random.ts';

export function mixedTable(n: number, p = 30, seed = 1): Table {
  const rng = createRng(seed);
  const cols: Column[] = [];
  const nums: Float64Array[] = [];
  const cats: Int32Array[] = [];
  for (let j = 0; j < p - 1; j++) {
    const kind = j % 5 === 3 ? 'cat' : j === p - 2 ? 'date' : j === p - 3 ? 'bool' : 'num';
    if (kind === 'cat') {
      const levels = [5, 40, 1000][cats.length % 3];
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = rng.next() < 0.05 ? -1 : Math.floor(levels * rng.next() ** 2);
      cats.push(codes);
      cols.push({
        name: `c${j}`,
        type: 'categorical',
        storage: 'dict',
        codes,
        dictionary: Array.from({ length: levels }, (_, k) => `L${k}`),
      });
    } else if (kind === 'date') {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = Date.UTC(2020, 0, 1) + rng.int(1500) * 86_400_000;
      cols.push({ name: `d${j}`, type: 'datetime', storage: 'datetime', values: v, format: 'iso' });
    } else if (kind === 'bool') {
      const v = new Uint8Array(n);
      for (let i = 0; i < n; i++) v[i] = rng.next() < 0.05 ? 255 : rng.next() < 0.4 ? 1 : 0;
      cols.push({ name: `b${j}`, type: 'boolean', storage: 'bool', values: v });
    } else {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = rng.next() < 0.05 ? NaN : rng.normal();
      nums.push(v);
      cols.push({ name: `x${j}`, type: 'numeric', storage: 'float64', values: v });
    }
  }
  const y = new Int32Array(n);
  const at = (a: Float64Array, i: number) => (Number.isNaN(a[i]) ? 0 : a[i]);
  for (let i = 0; i < n; i++) {
    const s =
      at(nums[0], i) -
      0.7 * at(nums[1], i) ** 2 +
      0.6 * at(nums[2], i) * at(nums[3], i) +
      0.4 * Math.sin(2 * at(nums[4], i)) +
      (cats[0][i] === 1 ? 0.8 : 0) +
      (cats[1] && cats[1][i] % 7 === 0 ? 0.5 : 0) +
      0.9 * rng.normal();
    y[i] = s > 0.3 ? 1 : 0;
  }
  cols.push({ name: 'y', type: 'categorical', storage: 'dict', codes: y, dictionary: ['no', 'yes'] });
  return { nRows: n, columns: cols };
}
