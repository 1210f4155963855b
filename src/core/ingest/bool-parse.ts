/**
 * Boolean tokens, case-insensitive, spaces trimmed: true/false, yes/no, t/f, y/n, 1/0.
 * Returns 1, 0, or -1 when the bytes are not a boolean token.
 */
export function parseBoolBytes(buf: Uint8Array, s: number, e: number): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  const len = e - s;
  if (len === 0 || len > 5) return -1;
  const c0 = buf[s] | 32;
  if (len === 1) {
    if (c0 === 116 || c0 === 121 || buf[s] === 49) return 1; // t y 1
    if (c0 === 102 || c0 === 110 || buf[s] === 48) return 0; // f n 0
    return -1;
  }
  let w = '';
  for (let i = s; i < e; i++) w += String.fromCharCode(buf[i] | 32);
  if (w === 'true' || w === 'yes') return 1;
  if (w === 'false' || w === 'no') return 0;
  return -1;
}

/** True when every byte of the token is a digit 0/1 (such columns are integers, not booleans). */
export function isZeroOneBytes(buf: Uint8Array, s: number, e: number): boolean {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  return e - s === 1 && (buf[s] === 48 || buf[s] === 49);
}
