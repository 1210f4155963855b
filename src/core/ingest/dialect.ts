/**
 * Dialect sniffing on a sample of UTF-8 bytes: delimiter (the candidate giving the most consistent field
 * count > 1), line ending, decimal comma (only with ';' or tab), and header presence.
 */
import { Batch, tokenize, type TokenizerState, type Scratch } from './tokenizer.ts';
import type { Delimiter } from './types.ts';
import type { NaMatcher } from './na.ts';
import { forEachCell, guessColumn } from './infer.ts';
import { parseNumberBytes } from './number-parse.ts';
import { DATE_FORMATS, parseDateBytes } from './datetime.ts';

const CANDIDATES: readonly Delimiter[] = [',', ';', '\t', '|'];
const SNIFF_ROWS = 200;

export function sniffDelimiter(buf: Uint8Array, end: number, final: boolean): Delimiter {
  let best: Delimiter = ',';
  let bestScore = -1;
  let bestMode = 1;
  const batch = new Batch();
  for (const d of CANDIDATES) {
    const st: TokenizerState = { line: 1, blankLines: 0, blankExamples: [], file: '' };
    try {
      tokenize(buf, 0, end, final, d.charCodeAt(0), batch, st, SNIFF_ROWS);
    } catch {
      continue;
    }
    if (batch.nRows === 0) continue;
    const counts = new Map<number, number>();
    for (let r = 0; r < batch.nRows; r++) counts.set(batch.rowLen[r], (counts.get(batch.rowLen[r]) ?? 0) + 1);
    let mode = 1;
    let modeCount = 0;
    for (const [k, c] of counts)
      if (c > modeCount || (c === modeCount && k > mode)) [mode, modeCount] = [k, c];
    if (mode < 2) continue;
    const score = Math.round((modeCount / batch.nRows) * 100);
    if (score > bestScore || (score === bestScore && mode > bestMode)) {
      best = d;
      bestScore = score;
      bestMode = mode;
    }
  }
  return best;
}

export function detectLineEnding(buf: Uint8Array, end: number): '\n' | '\r\n' | '\r' {
  for (let i = 0; i < end; i++) {
    if (buf[i] === 10) return '\n';
    if (buf[i] === 13) return buf[i + 1] === 10 ? '\r\n' : '\r';
  }
  return '\n';
}

const COMMA_DECIMAL = /^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$/;
const DOT_DECIMAL = /^[+-]?\d+\.\d+$/;

/** ',' when sample cells like `1,5` outnumber cells like `1.5` (caller only asks for ';' or tab files). */
export function detectDecimal(buf: Uint8Array, batch: Batch, r0: number, scratch: Scratch): '.' | ',' {
  let comma = 0;
  let dot = 0;
  const dec = new TextDecoder();
  let ncols = 0;
  for (let r = r0; r < batch.nRows; r++) ncols = Math.max(ncols, batch.rowLen[r]);
  for (let c = 0; c < ncols; c++) {
    forEachCell(buf, batch, c, r0, scratch, (src, s, e) => {
      if (e - s > 40) return;
      const t = dec.decode(src.subarray(s, e)).trim();
      if (COMMA_DECIMAL.test(t)) comma++;
      else if (DOT_DECIMAL.test(t)) dot++;
    });
  }
  return comma > 0 && comma >= dot ? ',' : '.';
}

/**
 * A first row is data (not a header) when one of its cells is a number or date in a column whose other
 * sample values are numbers or dates, or when most of its cells repeat further down their columns.
 */
export function detectHeader(
  buf: Uint8Array,
  batch: Batch,
  na: NaMatcher,
  scratch: Scratch,
  dec: number,
): boolean {
  if (batch.nRows === 0) return true;
  const first = batch.rowLen[0];
  const td = new TextDecoder();
  const cell = (r: number, c: number): [Uint8Array, number, number] | null => {
    if (c >= batch.rowLen[r]) return null;
    const i = batch.rowBase[r] + c;
    if (batch.fe[i] < 0) {
      const out: [Uint8Array, number, number][] = [];
      forEachCell(buf, batch, c, r, scratch, (src, s, e) => {
        out.push([src.slice(s, e), 0, e - s]);
        return false;
      });
      return out[0] ?? null;
    }
    return [buf, batch.fs[i], batch.fe[i]];
  };
  const isNumberOrDate = (src: Uint8Array, s: number, e: number): boolean =>
    !Number.isNaN(parseNumberBytes(src, s, e, dec)) ||
    DATE_FORMATS.some((f) => !Number.isNaN(parseDateBytes(src, s, e, f)));
  if (batch.nRows === 1) {
    for (let c = 0; c < first; c++) {
      const x = cell(0, c);
      if (x && !na.isNa(...x) && isNumberOrDate(...x)) return false;
    }
    return true;
  }
  let repeats = 0;
  let nonEmpty = 0;
  for (let c = 0; c < first; c++) {
    const x = cell(0, c);
    if (!x || na.isNa(...x)) continue;
    nonEmpty++;
    const g = guessColumn(buf, batch, c, 1, na, scratch, dec);
    if ((g.kind === 'number' || g.kind === 'date') && isNumberOrDate(...x)) return false;
    const text = td.decode(x[0].subarray(x[1], x[2]));
    let seen = false;
    forEachCell(buf, batch, c, 1, scratch, (src, s, e) => {
      if (e - s === x[2] - x[1] && td.decode(src.subarray(s, e)) === text) {
        seen = true;
        return false;
      }
    });
    if (seen) repeats++;
  }
  return !(nonEmpty > 0 && repeats * 2 > nonEmpty);
}
