/**
 * Typed arrays ↔ base64 (little-endian bytes), for compact, bit-exact JSON. Pure TypeScript (no Buffer,
 * no atob), so it behaves the same in Node, workers and the page.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    chunk += ALPHABET[v >>> 18] + ALPHABET[(v >>> 12) & 63] + ALPHABET[(v >>> 6) & 63] + ALPHABET[v & 63];
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (i < n) {
    const rem = n - i;
    const v = (bytes[i] << 16) | (rem === 2 ? bytes[i + 1] << 8 : 0);
    chunk += ALPHABET[v >>> 18] + ALPHABET[(v >>> 12) & 63];
    chunk += rem === 2 ? ALPHABET[(v >>> 6) & 63] + '=' : '==';
  }
  parts.push(chunk);
  return parts.join('');
}

export function base64ToBytes(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new Error(`invalid base64: length ${s.length} is not a multiple of 4`);
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      const d = c === 61 ? 0 : c < 128 ? LOOKUP[c] : -1;
      if (d < 0) throw new Error(`invalid base64 character at ${i + k}`);
      v = (v << 6) | d;
    }
    if (o < out.length) out[o++] = (v >>> 16) & 255;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

type Typed = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;

function checkEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('typed-array base64 encoding needs a little-endian platform');
}

export function typedToBase64(a: Typed): string {
  checkEndian();
  return bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function aligned(s: string, bytesPer: number, what: string): ArrayBuffer {
  checkEndian();
  const bytes = base64ToBytes(s);
  if (bytes.length % bytesPer !== 0)
    throw new Error(`${what}: ${bytes.length} bytes is not a multiple of ${bytesPer}`);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export const b64 = {
  f64: (s: string, what = 'float64 array'): Float64Array => new Float64Array(aligned(s, 8, what)),
  i32: (s: string, what = 'int32 array'): Int32Array => new Int32Array(aligned(s, 4, what)),
  u32: (s: string, what = 'uint32 array'): Uint32Array => new Uint32Array(aligned(s, 4, what)),
  f32: (s: string, what = 'float32 array'): Float32Array => new Float32Array(aligned(s, 4, what)),
  u8: (s: string): Uint8Array => base64ToBytes(s),
};
