/**
 * Type inference. Before the main pass, a sample of rows gives each column a storage guess (number, bool,
 * date with a format, or strings). After reading, the semantic type is settled on the whole column:
 * integer vs numeric, id, text vs categorical; string columns whose every distinct value is a number,
 * boolean or date are converted through their dictionary (exactly, value by value).
 */
import type { Batch } from './tokenizer.ts';
import { decodeComplexField, type Scratch } from './tokenizer.ts';
import type { NaMatcher } from './na.ts';
import { parseNumberBytes } from './number-parse.ts';
import { parseBoolBytes, isZeroOneBytes } from './bool-parse.ts';
import { DATE_FORMATS, parseDateBytes, lastParse, type DateFormat } from './datetime.ts';
import type { SemanticType } from '../data/table.ts';

export type Kind = 'number' | 'bool' | 'date' | 'dict';

export interface Guess {
  readonly kind: Kind;
  readonly format?: DateFormat;
}

/** Calls `fn` with the bytes of every cell of column `col` in rows [r0, nRows) (missing cells skipped). */
export function forEachCell(
  buf: Uint8Array,
  batch: Batch,
  col: number,
  r0: number,
  scratch: Scratch,
  fn: (src: Uint8Array, s: number, e: number, r: number) => boolean | void,
): void {
  for (let r = r0; r < batch.nRows; r++) {
    if (col >= batch.rowLen[r]) continue;
    const i = batch.rowBase[r] + col;
    let s = batch.fs[i];
    let e = batch.fe[i];
    let src = buf;
    if (e < 0) {
      e = decodeComplexField(buf, s, ~e, scratch);
      s = 0;
      src = scratch.buf;
    }
    if (fn(src, s, e, r) === false) return;
  }
}

interface CellVerdict {
  nonNa: number;
  number: boolean;
  zeroOne: boolean;
  bool: boolean;
  /** Bit i set while DATE_FORMATS[i] still fits every value. */
  dates: number;
}

function newVerdict(): CellVerdict {
  return { nonNa: 0, number: true, zeroOne: true, bool: true, dates: (1 << DATE_FORMATS.length) - 1 };
}

function judge(v: CellVerdict, src: Uint8Array, s: number, e: number, dec: number): boolean {
  v.nonNa++;
  if (v.number && parseNumberBytes(src, s, e, dec) !== parseNumberBytes(src, s, e, dec)) v.number = false;
  if (v.zeroOne && !isZeroOneBytes(src, s, e)) v.zeroOne = false;
  if (v.bool && parseBoolBytes(src, s, e) < 0) v.bool = false;
  if (v.dates) {
    for (let k = 0; k < DATE_FORMATS.length; k++) {
      if (
        v.dates & (1 << k) &&
        parseDateBytes(src, s, e, DATE_FORMATS[k]) !== parseDateBytes(src, s, e, DATE_FORMATS[k])
      )
        v.dates &= ~(1 << k);
    }
  }
  return v.number || v.bool || v.dates !== 0;
}

function verdictGuess(v: CellVerdict): Guess {
  if (v.nonNa === 0) return { kind: 'dict' };
  if (v.number) return { kind: 'number' };
  if (v.bool && !v.zeroOne) return { kind: 'bool' };
  if (v.dates) {
    for (let k = 0; k < DATE_FORMATS.length; k++)
      if (v.dates & (1 << k)) return { kind: 'date', format: DATE_FORMATS[k] };
  }
  return { kind: 'dict' };
}

/** Storage guess for one column from sample rows [r0, nRows). */
export function guessColumn(
  buf: Uint8Array,
  batch: Batch,
  col: number,
  r0: number,
  na: NaMatcher,
  scratch: Scratch,
  dec: number,
): Guess {
  const v = newVerdict();
  forEachCell(buf, batch, col, r0, scratch, (src, s, e) => {
    if (na.isNa(src, s, e)) return true;
    return judge(v, src, s, e, dec);
  });
  return verdictGuess(v);
}

/** The date format that reads the most sample cells (for a user's datetime override). */
export function bestDateFormat(
  buf: Uint8Array,
  batch: Batch,
  col: number,
  r0: number,
  na: NaMatcher,
  scratch: Scratch,
): DateFormat {
  const hits = new Array<number>(DATE_FORMATS.length).fill(0);
  forEachCell(buf, batch, col, r0, scratch, (src, s, e) => {
    if (na.isNa(src, s, e)) return;
    DATE_FORMATS.forEach((f, k) => {
      if (!Number.isNaN(parseDateBytes(src, s, e, f))) hits[k]++;
    });
  });
  let best = 0;
  for (let k = 1; k < hits.length; k++) if (hits[k] > hits[best]) best = k;
  return DATE_FORMATS[best];
}

const encoder = new TextEncoder();

export type DictConversion =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'bool'; values: Uint8Array }
  | { kind: 'date'; values: Float64Array; format: DateFormat; flags: number };

/**
 * When every dictionary entry reads as a number (or boolean, or date in one format), the per-entry values;
 * else null. Entries are the non-missing distinct strings.
 */
export function convertDictionary(dictionary: readonly string[], dec: number): DictConversion | null {
  const n = dictionary.length;
  if (n === 0) return null;
  let scratch = new Uint8Array(256);
  const bytesOf = (j: number): number => {
    const d = dictionary[j];
    if (scratch.length < d.length * 3) scratch = new Uint8Array(d.length * 3);
    return encoder.encodeInto(d, scratch).written;
  };
  const nums = new Float64Array(n);
  let ok = true;
  for (let j = 0; j < n && ok; j++) {
    const len = bytesOf(j);
    nums[j] = parseNumberBytes(scratch, 0, len, dec);
    if (Number.isNaN(nums[j])) ok = false;
  }
  if (ok) return { kind: 'number', values: nums };
  const bools = new Uint8Array(n);
  ok = true;
  for (let j = 0; j < n && ok; j++) {
    const len = bytesOf(j);
    const v = parseBoolBytes(scratch, 0, len);
    if (v < 0) ok = false;
    bools[j] = v;
  }
  if (ok) return { kind: 'bool', values: bools };
  for (const f of DATE_FORMATS) {
    const vals = new Float64Array(n);
    let flags = 0;
    ok = true;
    for (let j = 0; j < n && ok; j++) {
      const len = bytesOf(j);
      vals[j] = parseDateBytes(scratch, 0, len, f);
      if (Number.isNaN(vals[j])) ok = false;
      else flags |= lastParse.flags;
    }
    if (ok) return { kind: 'date', values: vals, format: f, flags };
  }
  return null;
}

const ID_EXACT = /^(?:id|uuid|guid|key|index|idx|row_?id|row_?num(?:ber)?)$/i;
const ID_SUFFIX = /[_\s.-](?:id|uuid|guid|key)$/i;
const ID_CAMEL = /[a-z](?:Id|ID|Uuid|UUID|Key)$/;

/** Column names that suggest an identifier: id, uuid, key, customer_id, customerId, … */
export function looksLikeIdName(name: string): boolean {
  const t = name.trim();
  return ID_EXACT.test(t) || ID_SUFFIX.test(t) || ID_CAMEL.test(t);
}

/** integer / numeric / id for a number column. */
export function numberType(values: Float64Array, name: string): SemanticType {
  const n = values.length;
  let integral = true;
  let finite = 0;
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      missing++;
      continue;
    }
    if (v === Infinity || v === -Infinity) continue;
    finite++;
    if (integral && Math.floor(v) !== v) integral = false;
  }
  if (finite === 0 || !integral) return 'numeric';
  if (missing === 0 && n >= 2) {
    if (looksLikeIdName(name) && allUnique(values)) return 'id';
    if (n >= 20 && (values[0] === 0 || values[0] === 1)) {
      let seq = true;
      for (let i = 1; i < n && seq; i++) if (values[i] !== values[0] + i) seq = false;
      if (seq) return 'id';
    }
  }
  return 'integer';
}

function allUnique(values: Float64Array): boolean {
  const s = values.slice().sort();
  for (let i = 1; i < s.length; i++) if (s[i] === s[i - 1]) return false;
  return true;
}

/** id / text / categorical for a string column. */
export function stringType(codes: Int32Array, dictionary: readonly string[], name: string): SemanticType {
  let nonMissing = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) nonMissing++;
  const distinct = dictionary.length;
  if (nonMissing === 0 || distinct === 0) return 'categorical';
  let totalLen = 0;
  let withSpace = 0;
  for (const d of dictionary) {
    totalLen += d.length;
    if (hasInnerSpace(d)) withSpace++;
  }
  const avgLen = totalLen / distinct;
  const spaceFrac = withSpace / distinct;
  const unique = distinct === nonMissing;
  const n = codes.length;
  if (unique && nonMissing === n && n >= 2) {
    if (looksLikeIdName(name)) return 'id';
    if (n >= 20 && spaceFrac < 0.05 && avgLen <= 64) return 'id';
  }
  if (avgLen >= 40 && distinct >= 0.2 * nonMissing) return 'text';
  if (spaceFrac >= 0.5 && distinct >= 0.5 * nonMissing && distinct >= 10) return 'text';
  return 'categorical';
}

/** True when a space or tab occurs between non-blank characters. */
function hasInnerSpace(d: string): boolean {
  let s = 0;
  let e = d.length;
  while (s < e && d.charCodeAt(s) <= 32) s++;
  while (e > s && d.charCodeAt(e - 1) <= 32) e--;
  for (let i = s; i < e; i++) {
    const c = d.charCodeAt(i);
    if (c === 32 || c === 9) return true;
  }
  return false;
}
