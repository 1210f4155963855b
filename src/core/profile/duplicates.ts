/**
 * Exact duplicate rows across all columns, without building row objects: each row gets a 32-bit
 * hash mixed column by column from the typed arrays, rows are inserted into an open-addressing
 * table of row indices, and rows whose hashes collide are compared cell by cell. Missing values
 * compare equal to each other; -0 equals +0.
 */
import type { Column, Table } from '../data/table.ts';

/** Number of rows that repeat an earlier row exactly (a row appearing 3 times counts 2). */
export function countDuplicateRows(table: Table): number {
  const n = table.nRows;
  const cols = table.columns;
  if (n < 2 || cols.length === 0) return 0;
  const hashes = new Uint32Array(n).fill(0x811c9dc5);
  for (const col of cols) mixColumn(hashes, col);
  for (let i = 0; i < n; i++) hashes[i] = fmix(hashes[i]);

  let size = 1;
  while (size < 2 * n) size <<= 1;
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  let dups = 0;
  for (let i = 0; i < n; i++) {
    const h = hashes[i];
    let s = h & mask;
    let dup = false;
    for (;;) {
      const j = slots[s];
      if (j < 0) break;
      if (hashes[j] === h && rowsEqual(cols, i, j)) {
        dup = true;
        break;
      }
      s = (s + 1) & mask;
    }
    if (dup) dups++;
    else slots[s] = i;
  }
  return dups;
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixColumn(hashes: Uint32Array, col: Column): void {
  const n = hashes.length;
  switch (col.storage) {
    case 'dict': {
      const codes = col.codes;
      for (let i = 0; i < n; i++) hashes[i] = mix(hashes[i], codes[i]);
      return;
    }
    case 'bool': {
      const v = col.values;
      for (let i = 0; i < n; i++) hashes[i] = mix(hashes[i], v[i]);
      return;
    }
    case 'float64':
    case 'datetime': {
      const v = col.values;
      const words = new Uint32Array(v.buffer, v.byteOffset, n * 2);
      for (let i = 0; i < n; i++) {
        const x = v[i];
        // Both halves folded into one 32-bit key (collisions are settled by rowsEqual).
        if (x !== x) hashes[i] = mix(hashes[i], 0x7ff80000);
        else if (x === 0) hashes[i] = mix(hashes[i], 0);
        else hashes[i] = mix(hashes[i], words[2 * i] ^ Math.imul(words[2 * i + 1], 0x9e3779b1));
      }
      return;
    }
  }
}

function rowsEqual(cols: readonly Column[], i: number, j: number): boolean {
  for (const col of cols) {
    if (col.storage === 'dict') {
      if (col.codes[i] !== col.codes[j]) return false;
    } else if (col.storage === 'bool') {
      if (col.values[i] !== col.values[j]) return false;
    } else {
      const a = col.values[i];
      const b = col.values[j];
      if (a !== b && !(a !== a && b !== b)) return false;
    }
  }
  return true;
}
