/**
 * Numbers parsed straight from UTF-8 bytes. Results equal `Number(text)` exactly (correctly rounded):
 * a fast path for up to 15 significant digits with a power-of-ten exponent ≤ 22 (one exact-operand
 * multiplication or division, so a single rounding — Clinger's fast path); anything else is turned into a
 * string and handed to `Number` after a strict syntax check. Surrounding spaces/tabs are ignored.
 * Returns NaN when the bytes are not a number (the caller decides whether that is a missing-value token).
 */
import { trimSpaces } from './na.ts';

const POW10 = new Float64Array(23);
for (let i = 0, p = 1; i < 23; i++, p *= 10) POW10[i] = p;

const PLAIN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const GROUPED_DOT = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;
const GROUPED_COMMA = /^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?$/;
const INF = /^([+-]?)(?:inf|infinity)$/i;
/** Longer byte runs are not treated as numbers (keeps the slow path bounded). */
const MAX_NUMBER_BYTES = 400;

/**
 * @param dec byte of the decimal separator (46 '.' or 44 ',')
 */
export function parseNumberBytes(buf: Uint8Array, s: number, e: number, dec: number): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  if (s === e) return NaN;
  let p = s;
  const c = buf[p];
  let neg = false;
  if (c === 45) {
    neg = true;
    p++;
  } else if (c === 43) p++;
  let mant = 0;
  let nd = 0;
  let exp = 0;
  let digits = 0;
  while (p < e) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) break;
    if (nd >= 15) return slowParse(buf, s, e, dec);
    mant = mant * 10 + d;
    if (mant !== 0) nd++;
    digits++;
    p++;
  }
  if (p < e && buf[p] === dec) {
    p++;
    while (p < e) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      if (nd >= 15) return slowParse(buf, s, e, dec);
      mant = mant * 10 + d;
      if (mant !== 0) nd++;
      exp--;
      digits++;
      p++;
    }
  }
  if (digits === 0) return slowParse(buf, s, e, dec);
  if (p < e && (buf[p] | 32) === 101) {
    p++;
    let eneg = false;
    if (p < e && (buf[p] === 45 || buf[p] === 43)) {
      eneg = buf[p] === 45;
      p++;
    }
    let ev = 0;
    let ed = 0;
    while (p < e) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      if (ed >= 5) return slowParse(buf, s, e, dec);
      ev = ev * 10 + d;
      ed++;
      p++;
    }
    if (ed === 0) return NaN;
    exp += eneg ? -ev : ev;
  }
  if (p !== e) return slowParse(buf, s, e, dec);
  let v: number;
  if (mant === 0) v = 0;
  else if (exp === 0) v = mant;
  else if (exp > 0 && exp <= 22) v = mant * POW10[exp];
  else if (exp < 0 && exp >= -22) v = mant / POW10[-exp];
  else return slowParse(buf, s, e, dec);
  return neg ? -v : v;
}

function slowParse(buf: Uint8Array, s: number, e: number, dec: number): number {
  if (e - s > MAX_NUMBER_BYTES) return NaN;
  let text = '';
  for (let i = s; i < e; i++) {
    const b = buf[i];
    if (b >= 128) return NaN;
    text += String.fromCharCode(b);
  }
  return parseNumberText(text, dec === 44 ? ',' : '.');
}

/** The same rules on a (trimmed or not) string. */
export function parseNumberText(raw: string, decimal: '.' | ',' = '.'): number {
  let text = trimSpaces(raw);
  if (text === '') return NaN;
  if (decimal === '.') {
    if (GROUPED_DOT.test(text)) text = text.replace(/,/g, '');
  } else if (GROUPED_COMMA.test(text)) {
    text = text.replace(/\./g, '').replace(',', '.');
  } else {
    if (text.includes('.')) return NaN;
    text = text.replace(',', '.');
  }
  if (PLAIN.test(text)) return Number(text);
  const inf = INF.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return NaN;
}
