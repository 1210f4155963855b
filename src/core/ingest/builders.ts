/**
 * Column builders fed with field offsets from the tokenizer, one column at a time (a tight, monomorphic
 * loop per column). Numbers, booleans and datetimes are parsed straight from the bytes; strings are
 * dictionary-encoded through a byte-keyed hash table and decoded to JS strings once per distinct value.
 *
 * A builder in `strict` mode stops at the first cell it cannot read (the column is then read again as
 * strings); in lenient mode (a user's type override) such cells become missing and are counted.
 */
import type { Batch } from './tokenizer.ts';
import { decodeComplexField, Scratch } from './tokenizer.ts';
import type { NaMatcher } from './na.ts';
import { parseNumberBytes } from './number-parse.ts';
import { parseDateBytes, lastParse, type DateFormat } from './datetime.ts';
import { parseBoolBytes } from './bool-parse.ts';

export interface CellFailure {
  /** 1-based file line. */
  readonly row: number;
  readonly text: string;
}

const utf8 = new TextDecoder('utf-8');

function cellText(buf: Uint8Array, s: number, e: number): string {
  const t = utf8.decode(buf.subarray(s, Math.min(e, s + 60)));
  return e - s > 60 ? t + '…' : t;
}

/** Shared per-parse context. */
export interface FeedContext {
  readonly na: NaMatcher;
  readonly scratch: Scratch;
  /** Decimal separator byte (46 or 44). */
  readonly dec: number;
}

export abstract class ColumnBuilder {
  n = 0;
  /** Strict mode: first unreadable cell (then the builder stops). */
  failure: CellFailure | undefined;
  /** Lenient mode: unreadable cells made missing. */
  badCells = 0;
  badRows: number[] = [];

  /** Initial capacity (rows). */
  protected readonly cap0: number;

  constructor(
    readonly strict: boolean,
    capacity: number,
  ) {
    this.cap0 = Math.max(16, capacity);
  }

  protected abstract capacity(): number;
  protected abstract grow(capacity: number): void;
  abstract feed(buf: Uint8Array, batch: Batch, col: number, r0: number, ctx: FeedContext): void;

  protected reserve(extra: number): void {
    const need = this.n + extra;
    const cap = this.capacity();
    if (need > cap) this.grow(Math.max(need, Math.ceil(cap * 1.5)));
  }

  protected bad(buf: Uint8Array, s: number, e: number, row: number): boolean {
    if (this.strict) {
      this.failure = { row, text: cellText(buf, s, e) };
      return true;
    }
    this.badCells++;
    if (this.badRows.length < 5) this.badRows.push(row);
    return false;
  }
}

function growF64(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/** Trims a typed array to its used length (copying only when much space would be wasted). */
export function fit<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  if (a.length === n) return a;
  return (a.length - n > (n >> 4) + 64 ? a.slice(0, n) : a.subarray(0, n)) as T;
}

export class NumberBuilder extends ColumnBuilder {
  values = new Float64Array(this.cap0);
  protected capacity(): number {
    return this.values.length;
  }
  protected grow(c: number): void {
    this.values = growF64(this.values, c);
  }

  feed(buf: Uint8Array, batch: Batch, col: number, r0: number, ctx: FeedContext): void {
    if (this.failure) return;
    const nRows = batch.nRows;
    this.reserve(nRows - r0);
    const values = this.values;
    const { fs, fe, rowBase, rowLen } = batch;
    const dec = ctx.dec;
    let n = this.n;
    for (let r = r0; r < nRows; r++) {
      if (col >= rowLen[r]) {
        values[n++] = NaN;
        continue;
      }
      const i = rowBase[r] + col;
      let s = fs[i];
      let e = fe[i];
      let src = buf;
      if (e < 0) {
        e = decodeComplexField(buf, s, ~e, ctx.scratch);
        s = 0;
        src = ctx.scratch.buf;
      }
      const v = parseNumberBytes(src, s, e, dec);
      if (v !== v && !ctx.na.isNa(src, s, e) && this.bad(src, s, e, batch.rowLine[r])) {
        this.n = n;
        return;
      }
      values[n++] = v;
    }
    this.n = n;
  }
}

export class DateBuilder extends ColumnBuilder {
  values = new Float64Array(this.cap0);
  /** Union of time-part flags seen (for the format name). */
  flags = 0;
  constructor(
    strict: boolean,
    capacity: number,
    readonly format: DateFormat,
  ) {
    super(strict, capacity);
  }
  protected capacity(): number {
    return this.values.length;
  }
  protected grow(c: number): void {
    this.values = growF64(this.values, c);
  }

  feed(buf: Uint8Array, batch: Batch, col: number, r0: number, ctx: FeedContext): void {
    if (this.failure) return;
    const nRows = batch.nRows;
    this.reserve(nRows - r0);
    const values = this.values;
    const { fs, fe, rowBase, rowLen } = batch;
    const f = this.format;
    let flags = this.flags;
    let n = this.n;
    for (let r = r0; r < nRows; r++) {
      if (col >= rowLen[r]) {
        values[n++] = NaN;
        continue;
      }
      const i = rowBase[r] + col;
      let s = fs[i];
      let e = fe[i];
      let src = buf;
      if (e < 0) {
        e = decodeComplexField(buf, s, ~e, ctx.scratch);
        s = 0;
        src = ctx.scratch.buf;
      }
      const v = parseDateBytes(src, s, e, f);
      if (v !== v) {
        if (!ctx.na.isNa(src, s, e) && this.bad(src, s, e, batch.rowLine[r])) {
          this.n = n;
          return;
        }
      } else flags |= lastParse.flags;
      values[n++] = v;
    }
    this.flags = flags;
    this.n = n;
  }
}

export class BoolBuilder extends ColumnBuilder {
  values = new Uint8Array(this.cap0);
  /** First spelling seen for false and true (trimmed), e.g. 'No' / 'Yes'. */
  spellings: [string | null, string | null] = [null, null];
  protected capacity(): number {
    return this.values.length;
  }
  protected grow(c: number): void {
    const b = new Uint8Array(c);
    b.set(this.values);
    this.values = b;
  }

  feed(buf: Uint8Array, batch: Batch, col: number, r0: number, ctx: FeedContext): void {
    if (this.failure) return;
    const nRows = batch.nRows;
    this.reserve(nRows - r0);
    const values = this.values;
    const { fs, fe, rowBase, rowLen } = batch;
    let n = this.n;
    for (let r = r0; r < nRows; r++) {
      if (col >= rowLen[r]) {
        values[n++] = 255;
        continue;
      }
      const i = rowBase[r] + col;
      let s = fs[i];
      let e = fe[i];
      let src = buf;
      if (e < 0) {
        e = decodeComplexField(buf, s, ~e, ctx.scratch);
        s = 0;
        src = ctx.scratch.buf;
      }
      let v = parseBoolBytes(src, s, e);
      if (v < 0) {
        if (!ctx.na.isNa(src, s, e) && this.bad(src, s, e, batch.rowLine[r])) {
          this.n = n;
          return;
        }
        v = 255;
      } else if (this.spellings[v] === null) {
        this.spellings[v] = spellingOf(src, s, e);
      }
      values[n++] = v;
    }
    this.n = n;
  }
}

const spellingDecoder = new TextDecoder();

function spellingOf(src: Uint8Array, s: number, e: number): string {
  return spellingDecoder.decode(src.subarray(s, e)).trim();
}

/** The file's spellings for false/true, filling an unseen one with the usual partner word. */
export function boolLabels(spellings: readonly [string | null, string | null]): [string, string] | undefined {
  const [f, t] = spellings;
  if (f === null && t === null) return undefined;
  const partner: Record<string, string> = {
    yes: 'no',
    no: 'yes',
    true: 'false',
    false: 'true',
    y: 'n',
    n: 'y',
    t: 'f',
    f: 't',
  };
  const match = (w: string, like: string) =>
    like === like.toUpperCase()
      ? w.toUpperCase()
      : like[0] === like[0].toUpperCase()
        ? w[0].toUpperCase() + w.slice(1)
        : w;
  const other = (w: string) => match(partner[w.toLowerCase()] ?? '', w);
  return [f ?? other(t!), t ?? other(f!)];
}

/**
 * Strings dictionary-encoded by their exact bytes. Missing-value tokens are ordinary entries here and
 * are mapped to missing when the column is finished (see `finishDict`).
 */
export class DictBuilder extends ColumnBuilder {
  codes = new Int32Array(this.cap0);
  private table = new Int32Array(1024);
  hashes = new Int32Array(256);
  offs = new Int32Array(256);
  lens = new Int32Array(256);
  count = 0;
  arena = new Uint8Array(4096);
  arenaLen = 0;
  ascii = true;

  protected capacity(): number {
    return this.codes.length;
  }
  protected grow(c: number): void {
    const b = new Int32Array(c);
    b.set(this.codes);
    this.codes = b;
  }

  feed(buf: Uint8Array, batch: Batch, col: number, r0: number, ctx: FeedContext): void {
    const nRows = batch.nRows;
    this.reserve(nRows - r0);
    const codes = this.codes;
    const { fs, fe, rowBase, rowLen } = batch;
    let n = this.n;
    for (let r = r0; r < nRows; r++) {
      if (col >= rowLen[r]) {
        codes[n++] = -1;
        continue;
      }
      const i = rowBase[r] + col;
      let s = fs[i];
      let e = fe[i];
      let src = buf;
      if (e < 0) {
        e = decodeComplexField(buf, s, ~e, ctx.scratch);
        s = 0;
        src = ctx.scratch.buf;
      }
      codes[n++] = this.intern(src, s, e);
    }
    this.n = n;
  }

  /** Code of the bytes [s, e), adding them as a new entry if unseen. */
  intern(src: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5 | 0;
    for (let k = s; k < e; k++) h = Math.imul(h ^ src[k], 0x01000193);
    const len = e - s;
    let table = this.table;
    let mask = table.length - 1;
    let idx = h & mask;
    const hashes = this.hashes;
    const lens = this.lens;
    const offs = this.offs;
    const arena = this.arena;
    for (;;) {
      const slot = table[idx];
      if (slot === 0) break;
      const id = slot - 1;
      if (hashes[id] === h && lens[id] === len) {
        const o = offs[id] - s;
        let k = s;
        while (k < e && arena[o + k] === src[k]) k++;
        if (k === e) return id;
      }
      idx = (idx + 1) & mask;
    }
    const id = this.count;
    if (id >= this.hashes.length) this.growEntries();
    if (this.arenaLen + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arenaLen + len, this.arena.length * 2));
      a.set(this.arena.subarray(0, this.arenaLen));
      this.arena = a;
    }
    const a = this.arena;
    const off = this.arenaLen;
    for (let k = 0; k < len; k++) {
      const b = src[s + k];
      a[off + k] = b;
      if (b >= 128) this.ascii = false;
    }
    this.arenaLen += len;
    this.hashes[id] = h;
    this.offs[id] = off;
    this.lens[id] = len;
    this.count = id + 1;
    table[idx] = id + 1;
    if (this.count * 2 > table.length) {
      table = new Int32Array(table.length * 2);
      mask = table.length - 1;
      for (let j = 0; j < this.count; j++) {
        let x = this.hashes[j] & mask;
        while (table[x] !== 0) x = (x + 1) & mask;
        table[x] = j + 1;
      }
      this.table = table;
    }
    return id;
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    const h = new Int32Array(n);
    h.set(this.hashes);
    const o = new Int32Array(n);
    o.set(this.offs);
    const l = new Int32Array(n);
    l.set(this.lens);
    this.hashes = h;
    this.offs = o;
    this.lens = l;
  }

  /** Drops the hash table (after the last feed) to free memory. */
  release(): void {
    this.table = new Int32Array(0);
  }
}
