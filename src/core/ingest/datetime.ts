/**
 * Dates and date-times parsed from UTF-8 bytes, as UTC epoch milliseconds.
 * Date orders: y-m-d (separators - / .), d/m/y and m/d/y (/ . -), 4-digit years.
 * Optional time after 'T' or ' ': HH:MM[:SS][.fff][Z|±hh[:mm]]. Offsets are applied (result is UTC).
 */

export type DateOrder = 'ymd' | 'dmy' | 'mdy';

export interface DateFormat {
  readonly order: DateOrder;
  /** Byte of the date separator: 45 '-', 47 '/', 46 '.'. */
  readonly sep: number;
  /** Base name, e.g. 'yyyy-mm-dd', 'dd/mm/yyyy'. */
  readonly name: string;
}

function fmt(order: DateOrder, sep: string): DateFormat {
  const parts =
    order === 'ymd' ? ['yyyy', 'mm', 'dd'] : order === 'dmy' ? ['dd', 'mm', 'yyyy'] : ['mm', 'dd', 'yyyy'];
  return { order, sep: sep.charCodeAt(0), name: parts.join(sep) };
}

/** Candidate formats in order of preference (month-first before day-first when both fit). */
export const DATE_FORMATS: readonly DateFormat[] = [
  fmt('ymd', '-'),
  fmt('ymd', '/'),
  fmt('ymd', '.'),
  fmt('mdy', '/'),
  fmt('dmy', '/'),
  fmt('dmy', '.'),
  fmt('mdy', '-'),
  fmt('dmy', '-'),
];

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Bit flags describing the time part seen, used to name the format. */
export const TIME_HM = 1;
export const TIME_S = 2;
export const TIME_FRAC = 4;
export const TIME_TZ = 8;
export const TIME_T = 16;

/** Scratch output: the time-part flags of the last successful parse. */
export const lastParse = { flags: 0 };

/** Parses bytes [s, e) with a format; NaN when they do not match. */
export function parseDateBytes(buf: Uint8Array, s: number, e: number, f: DateFormat): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  let p = s;
  let a = 0;
  let na = 0;
  while (p < e && na < 4) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) break;
    a = a * 10 + d;
    na++;
    p++;
  }
  if (p >= e || buf[p] !== f.sep) return NaN;
  p++;
  let b = 0;
  let nb = 0;
  while (p < e && nb < 2) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) break;
    b = b * 10 + d;
    nb++;
    p++;
  }
  if (nb === 0 || p >= e || buf[p] !== f.sep) return NaN;
  p++;
  let c = 0;
  let nc = 0;
  while (p < e && nc < 4) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) break;
    c = c * 10 + d;
    nc++;
    p++;
  }
  let y: number, m: number, day: number;
  if (f.order === 'ymd') {
    if (na !== 4 || nc === 0 || nc > 2) return NaN;
    y = a;
    m = b;
    day = c;
  } else {
    if (na === 0 || na > 2 || nc !== 4) return NaN;
    y = c;
    if (f.order === 'dmy') {
      day = a;
      m = b;
    } else {
      m = a;
      day = b;
    }
  }
  if (m < 1 || m > 12 || day < 1 || day > daysInMonth(y, m)) return NaN;
  let ms = daysFromCivil(y, m, day) * MS_PER_DAY;
  let flags = 0;
  if (p < e) {
    const t = buf[p];
    if (t !== 84 && t !== 32) return NaN;
    if (t === 84) flags |= TIME_T;
    p++;
    const hh = twoDigits(buf, p, e);
    if (hh < 0 || hh > 23 || buf[p + 2] !== 58 || p + 2 >= e) return NaN;
    p += 3;
    const mm = twoDigits(buf, p, e);
    if (mm < 0 || mm > 59) return NaN;
    p += 2;
    flags |= TIME_HM;
    let ss = 0;
    let frac = 0;
    if (p < e && buf[p] === 58) {
      ss = twoDigits(buf, p + 1, e);
      if (ss < 0 || ss > 59) return NaN;
      p += 3;
      flags |= TIME_S;
      if (p < e && (buf[p] === 46 || buf[p] === 44)) {
        p++;
        let nf = 0;
        let scale = 100;
        while (p < e) {
          const d = buf[p] - 48;
          if (d < 0 || d > 9) break;
          if (nf < 3) frac += d * scale;
          scale /= 10;
          nf++;
          p++;
        }
        if (nf === 0 || nf > 9) return NaN;
        flags |= TIME_FRAC;
      }
    }
    let offsetMin = 0;
    if (p < e) {
      const z = buf[p];
      if (z === 90 && p + 1 === e) {
        p++;
      } else if (z === 43 || z === 45) {
        const oh = twoDigits(buf, p + 1, e);
        if (oh < 0 || oh > 23) return NaN;
        p += 3;
        let om = 0;
        if (p < e && buf[p] === 58) p++;
        if (p < e) {
          om = twoDigits(buf, p, e);
          if (om < 0 || om > 59) return NaN;
          p += 2;
        }
        offsetMin = (oh * 60 + om) * (z === 45 ? -1 : 1);
      } else return NaN;
      flags |= TIME_TZ;
    }
    if (p !== e) return NaN;
    ms += ((hh * 60 + mm) * 60 + ss) * 1000 + frac - offsetMin * 60_000;
  } else if (p !== e) return NaN;
  lastParse.flags = flags;
  return ms;
}

function twoDigits(buf: Uint8Array, p: number, e: number): number {
  if (p + 2 > e) return -1;
  const a = buf[p] - 48;
  const b = buf[p + 1] - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Format name including the time part seen (e.g. 'yyyy-mm-ddTHH:MM:SS.sssZ'). */
export function formatName(f: DateFormat, flags: number): string {
  if (!(flags & TIME_HM)) return f.name;
  let n = f.name + (flags & TIME_T ? 'T' : ' ') + 'HH:MM';
  if (flags & TIME_S) n += ':SS';
  if (flags & TIME_FRAC) n += '.sss';
  if (flags & TIME_TZ) n += '±hh:mm';
  return n;
}

const enc = new TextEncoder();

/** Parses a string with a format (NaN when it does not match). */
export function parseDateText(text: string, f: DateFormat): number {
  const b = enc.encode(text);
  return parseDateBytes(b, 0, b.length, f);
}
