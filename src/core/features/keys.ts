/**
 * Join keys as text: any column (numbers, dictionary strings, booleans, dates) is read as one key code per
 * row over a list of distinct key texts, so `purchases.customer_id` (numbers) can meet `customers.id`
 * (text "17") as the same key. Maps are used only for lookups, never iterated, so nothing depends on
 * their order.
 */
import { cellText, type Column } from '../data/table.ts';

export interface KeyCodes {
  /** Per row: index into `keys`, -1 when the cell is missing. */
  readonly codes: Int32Array;
  /** Distinct key texts in order of first appearance. */
  readonly keys: readonly string[];
}

export function keyCodes(col: Column): KeyCodes {
  if (col.storage === 'dict') return { codes: col.codes, keys: col.dictionary };
  const n = col.values.length;
  const codes = new Int32Array(n);
  const keys: string[] = [];
  if (col.storage === 'float64' || col.storage === 'datetime') {
    const index = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = col.values[i];
      if (Number.isNaN(v)) {
        codes[i] = -1;
        continue;
      }
      let c = index.get(v);
      if (c === undefined) {
        c = keys.length;
        index.set(v, c);
        keys.push(cellText(col, i));
      }
      codes[i] = c;
    }
    return { codes, keys };
  }
  const index = new Int32Array(2).fill(-1);
  for (let i = 0; i < n; i++) {
    const v = col.values[i];
    if (v > 1) {
      codes[i] = -1;
      continue;
    }
    if (index[v] < 0) {
      index[v] = keys.length;
      keys.push(cellText(col, i));
    }
    codes[i] = index[v];
  }
  return { codes, keys };
}

/** How the "one" side's key column looks: the row of each distinct key, and keys found more than once. */
export interface KeyIndex {
  /** key text → first row holding it. */
  readonly rowOf: ReadonlyMap<string, number>;
  /** Key code → number of rows holding it. */
  readonly countOfCode: Int32Array;
  readonly keyCodes: KeyCodes;
  /** Keys held by more than one row, in order of first appearance (at most `maxExamples`). */
  readonly duplicateExamples: readonly string[];
  /** Rows whose key was already held by an earlier row. */
  readonly duplicateRows: number;
  readonly nonMissing: number;
}

export function indexKeys(col: Column, maxExamples = 3): KeyIndex {
  const kc = keyCodes(col);
  const countOfCode = new Int32Array(kc.keys.length);
  const rowOf = new Map<string, number>();
  let nonMissing = 0;
  for (let i = 0; i < kc.codes.length; i++) {
    const c = kc.codes[i];
    if (c < 0) continue;
    nonMissing++;
    if (countOfCode[c]++ === 0 && !rowOf.has(kc.keys[c])) rowOf.set(kc.keys[c], i);
  }
  let duplicateRows = 0;
  const duplicateExamples: string[] = [];
  for (let c = 0; c < countOfCode.length; c++) {
    if (countOfCode[c] > 1) {
      duplicateRows += countOfCode[c] - 1;
      if (duplicateExamples.length < maxExamples) duplicateExamples.push(kc.keys[c]);
    }
  }
  return { rowOf, countOfCode, keyCodes: kc, duplicateExamples, duplicateRows, nonMissing };
}

/** Per child key code: the code of the same key text on the other side, or -1. */
export function matchCodes(child: KeyCodes, other: KeyCodes): Int32Array {
  const otherCode = new Map<string, number>();
  for (let c = 0; c < other.keys.length; c++)
    if (!otherCode.has(other.keys[c])) otherCode.set(other.keys[c], c);
  const out = new Int32Array(child.keys.length);
  for (let c = 0; c < child.keys.length; c++) out[c] = otherCode.get(child.keys[c]) ?? -1;
  return out;
}

export interface MatchRate {
  /** Child rows with a key (not missing). */
  readonly rows: number;
  /** Of those, rows whose key is found on the other side. */
  readonly matched: number;
  readonly rate: number;
}

export function matchRate(child: KeyCodes, map: Int32Array): MatchRate {
  let rows = 0;
  let matched = 0;
  for (let i = 0; i < child.codes.length; i++) {
    const c = child.codes[i];
    if (c < 0) continue;
    rows++;
    if (map[c] >= 0) matched++;
  }
  return { rows, matched, rate: rows ? matched / rows : 0 };
}

/** "98%" (no locale; floor, so 99.6% is never shown as a perfect 100%). */
export function percent(rate: number): string {
  const p = Math.floor(rate * 1000) / 10;
  return `${p % 1 === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}
