/**
 * RFC 4180 tokenizer over UTF-8 bytes. It splits complete rows of a buffer into field offsets (no strings):
 * `fs[i]`/`fe[i]` are the start/end of field i; a negative `fe` (`~end`) marks a field that needs
 * `decodeComplexField` (doubled quotes, or text after the closing quote). Quoted fields without escapes
 * are given without their quotes. Rows end at LF, CRLF or CR; empty lines are skipped (and counted).
 */
import { IngestError } from './types.ts';
import { MAX_COLUMNS, MAX_FIELD_BYTES } from './limits.ts';

const LF = 10;
const CR = 13;
const QUOTE = 34;

export class Batch {
  fs = new Int32Array(1024);
  fe = new Int32Array(1024);
  nFields = 0;
  rowBase = new Int32Array(256);
  rowLen = new Int32Array(256);
  /** 1-based line number where each row starts. */
  rowLine = new Int32Array(256);
  nRows = 0;

  reset(): void {
    this.nFields = 0;
    this.nRows = 0;
  }

  growFields(): void {
    const n = this.fs.length * 2;
    const fs = new Int32Array(n);
    fs.set(this.fs);
    const fe = new Int32Array(n);
    fe.set(this.fe);
    this.fs = fs;
    this.fe = fe;
  }

  growRows(): void {
    const n = this.rowBase.length * 2;
    const a = new Int32Array(n);
    a.set(this.rowBase);
    const b = new Int32Array(n);
    b.set(this.rowLen);
    const c = new Int32Array(n);
    c.set(this.rowLine);
    this.rowBase = a;
    this.rowLen = b;
    this.rowLine = c;
  }
}

export interface TokenizerState {
  /** Line number (1-based) of the next row to read. */
  line: number;
  /** Empty lines skipped so far, with a few examples. */
  blankLines: number;
  blankExamples: number[];
  file: string;
}

/**
 * Tokenizes complete rows of `buf[pos, end)` into `batch` (which is reset first), at most `maxRows` rows.
 * Returns the offset of the first byte not consumed (the start of an incomplete row unless `final`).
 * With `final`, everything is consumed; an unclosed quote then throws `unclosed-quote`.
 */
export function tokenize(
  buf: Uint8Array,
  pos: number,
  end: number,
  final: boolean,
  delim: number,
  batch: Batch,
  st: TokenizerState,
  maxRows = 0x7fffffff,
): number {
  batch.reset();
  let nFields = 0;
  let nRows = 0;
  let fs = batch.fs;
  let fe = batch.fe;
  let line = st.line;
  rows: while (pos < end && nRows < maxRows) {
    let b = buf[pos];
    if (b === LF || b === CR) {
      if (b === CR && pos + 1 >= end && !final) break;
      pos += b === CR && pos + 1 < end && buf[pos + 1] === LF ? 2 : 1;
      if (st.blankExamples.length < 5) st.blankExamples.push(line);
      st.blankLines++;
      line++;
      continue;
    }
    const rowFirstField = nFields;
    const rowLine = line;
    let lines = 0;
    let p = pos;
    for (;;) {
      let s: number;
      let e: number;
      let complex = false;
      if (p < end && buf[p] === QUOTE) {
        const q0 = p;
        p++;
        s = p;
        for (;;) {
          if (p >= end) {
            if (!final) {
              checkFieldSize(end - q0, rowLine, st, nFields - rowFirstField, true);
              nFields = rowFirstField;
              break rows;
            }
            throw new IngestError(
              'unclosed-quote',
              `a quoted field opened on line ${rowLine + countLines(buf, pos, q0)} is never closed (missing closing ")`,
              { file: st.file, row: rowLine + countLines(buf, pos, q0), column: nFields - rowFirstField + 1 },
            );
          }
          b = buf[p];
          if (b === QUOTE) {
            if (p + 1 < end) {
              if (buf[p + 1] === QUOTE) {
                complex = true;
                p += 2;
                continue;
              }
            } else if (!final) {
              nFields = rowFirstField;
              break rows;
            }
            break;
          } else if (b === LF || (b === CR && (p + 1 >= end || buf[p + 1] !== LF))) lines++;
          p++;
        }
        e = p;
        p++;
        if (p < end) {
          b = buf[p];
          if (b !== delim && b !== LF && b !== CR) {
            complex = true;
            while (p < end) {
              b = buf[p];
              if (b === delim || b === LF || b === CR) break;
              p++;
            }
            if (p >= end && !final) {
              checkFieldSize(end - q0, rowLine, st, nFields - rowFirstField, false);
              nFields = rowFirstField;
              break rows;
            }
            e = p;
          }
        }
        if (complex) s = q0;
      } else {
        s = p;
        while (p < end) {
          b = buf[p];
          if (b === delim || b === LF || b === CR) break;
          p++;
        }
        if (p >= end && !final) {
          checkFieldSize(end - s, rowLine, st, nFields - rowFirstField, false);
          nFields = rowFirstField;
          break rows;
        }
        e = p;
      }
      if (nFields >= fs.length) {
        batch.growFields();
        fs = batch.fs;
        fe = batch.fe;
      }
      if (e - s > MAX_FIELD_BYTES) checkFieldSize(e - s, rowLine, st, nFields - rowFirstField, false);
      fs[nFields] = s;
      fe[nFields] = complex ? ~e : e;
      nFields++;
      if (nFields - rowFirstField > MAX_COLUMNS) {
        throw new IngestError('too-many-columns', `a row has more than ${MAX_COLUMNS} fields (the limit)`, {
          file: st.file,
          row: rowLine,
        });
      }
      if (p >= end) break;
      b = buf[p];
      if (b === delim) {
        p++;
        continue;
      }
      if (b === LF) p++;
      else {
        if (p + 1 >= end && !final) {
          nFields = rowFirstField;
          break rows;
        }
        p += p + 1 < end && buf[p + 1] === LF ? 2 : 1;
      }
      lines++;
      break;
    }
    if (nRows >= batch.rowBase.length) batch.growRows();
    batch.rowBase[nRows] = rowFirstField;
    batch.rowLen[nRows] = nFields - rowFirstField;
    batch.rowLine[nRows] = rowLine;
    nRows++;
    line += lines === 0 ? 1 : lines;
    pos = p;
  }
  batch.nFields = nFields;
  batch.nRows = nRows;
  st.line = line;
  return pos;
}

function checkFieldSize(len: number, row: number, st: TokenizerState, col: number, quoted: boolean): void {
  if (len <= MAX_FIELD_BYTES) return;
  const mb = MAX_FIELD_BYTES / 1024 / 1024;
  throw new IngestError(
    'field-too-large',
    quoted
      ? `a quoted field is larger than ${mb} MB (the limit per field); probably a quote is never closed`
      : `a field is larger than ${mb} MB (the limit per field)`,
    { file: st.file, row, column: col + 1 },
  );
}

/** Number of line breaks (LF, CRLF or lone CR) in buf[a, b). */
export function countLines(buf: Uint8Array, a: number, b: number): number {
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i];
    if (c === LF || (c === CR && buf[i + 1] !== LF)) n++;
  }
  return n;
}

/** Growable byte scratch buffer. */
export class Scratch {
  buf = new Uint8Array(256);
  ensure(n: number): Uint8Array {
    if (this.buf.length < n) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
    return this.buf;
  }
}

/**
 * Decodes a field that starts with a quote: doubled quotes inside the quoted part become one quote;
 * anything after the closing quote is kept verbatim. Writes into `scratch`, returns the length.
 */
export function decodeComplexField(buf: Uint8Array, s: number, e: number, scratch: Scratch): number {
  const out = scratch.ensure(e - s);
  let n = 0;
  let p = s + 1;
  while (p < e) {
    const b = buf[p];
    if (b === QUOTE) {
      if (p + 1 < e && buf[p + 1] === QUOTE) {
        out[n++] = QUOTE;
        p += 2;
        continue;
      }
      p++;
      break;
    }
    out[n++] = b;
    p++;
  }
  while (p < e) out[n++] = buf[p++];
  return n;
}
