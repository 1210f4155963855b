/** Missing-value tokens ('' after trimming counts as missing too). */

export const DEFAULT_NA_TOKENS: readonly string[] = [
  'NA',
  'N/A',
  'n/a',
  'null',
  'NULL',
  'NaN',
  'nan',
  'None',
  '?',
  '-',
  '--',
  '#N/A',
];

/** Matches missing-value tokens on raw bytes (ASCII tokens byte-wise, others via their UTF-8 bytes). */
export class NaMatcher {
  private readonly tokens: Uint8Array[];
  private readonly strings: Set<string>;
  private readonly maxLen: number;
  private readonly firstByte = new Uint8Array(256);

  constructor(extra: readonly string[] = []) {
    const enc = new TextEncoder();
    this.strings = new Set(
      [...DEFAULT_NA_TOKENS, ...extra.map((t) => trimSpaces(t))].filter((t) => t !== ''),
    );
    this.tokens = [...this.strings].map((t) => enc.encode(t));
    this.maxLen = Math.max(0, ...this.tokens.map((t) => t.length));
    for (const t of this.tokens) this.firstByte[t[0]] = 1;
  }

  /** True when the bytes, trimmed of spaces and tabs, are empty or a missing-value token. */
  isNa(buf: Uint8Array, s: number, e: number): boolean {
    while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
    while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
    const len = e - s;
    if (len === 0) return true;
    if (len > this.maxLen || this.firstByte[buf[s]] === 0) return false;
    outer: for (const t of this.tokens) {
      if (t.length !== len) continue;
      for (let i = 0; i < len; i++) if (t[i] !== buf[s + i]) continue outer;
      return true;
    }
    return false;
  }

  isNaText(text: string): boolean {
    const t = trimSpaces(text);
    return t === '' || this.strings.has(t);
  }
}

/** Trims spaces and tabs only (the same rule as the byte-level parsers). */
export function trimSpaces(text: string): string {
  let s = 0;
  let e = text.length;
  while (s < e && (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9)) s++;
  while (e > s && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
  return s === 0 && e === text.length ? text : text.slice(s, e);
}
