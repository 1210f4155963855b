/**
 * Turns a DictBuilder's byte entries into JS strings (one decode of the whole arena) and maps entries that
 * are missing-value tokens to code -1. Invalid UTF-8 raises `NotUtf8`, so the caller can re-read the file
 * as Windows-1252.
 */
import type { DictBuilder } from './builders.ts';
import { fit } from './builders.ts';
import type { NaMatcher } from './na.ts';

export class NotUtf8 extends Error {
  constructor() {
    super('not valid UTF-8');
    this.name = 'NotUtf8';
  }
}

const fatal = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('windows-1252');

/** Decodes bytes as UTF-8, throwing NotUtf8 when they are not valid. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    throw new NotUtf8();
  }
}

/** The distinct entries as strings, in first-seen order. */
export function entryStrings(b: DictBuilder): string[] {
  const out = new Array<string>(b.count);
  const arena = b.arena.subarray(0, b.arenaLen);
  if (b.ascii) {
    const big = latin1.decode(arena);
    for (let j = 0; j < b.count; j++) out[j] = big.slice(b.offs[j], b.offs[j] + b.lens[j]);
    return out;
  }
  const big = decodeUtf8(arena);
  // Map byte offsets to UTF-16 offsets in one walk; every entry must start on a code point boundary.
  let bytePos = 0;
  let unitPos = 0;
  for (let j = 0; j < b.count; j++) {
    const start = unitPos;
    const end = b.offs[j] + b.lens[j];
    if (b.lens[j] > 0 && (arena[bytePos] & 0xc0) === 0x80) throw new NotUtf8();
    for (; bytePos < end; bytePos++) {
      const c = arena[bytePos];
      if ((c & 0xc0) !== 0x80) unitPos += c >= 0xf0 ? 2 : 1;
    }
    out[j] = big.slice(start, unitPos);
  }
  return out;
}

export interface FinishedDict {
  readonly codes: Int32Array;
  readonly dictionary: string[];
}

/** Final codes and dictionary, with missing-value entries removed (codes -1). */
export function finishDict(b: DictBuilder, na: NaMatcher | null): FinishedDict {
  const strings = entryStrings(b);
  const codes = fit(b.codes, b.n);
  if (!na) return { codes, dictionary: strings };
  const map = new Int32Array(b.count);
  const dictionary: string[] = [];
  let dropped = false;
  for (let j = 0; j < b.count; j++) {
    if (na.isNaText(strings[j])) {
      map[j] = -1;
      dropped = true;
    } else {
      map[j] = dictionary.length;
      dictionary.push(strings[j]);
    }
  }
  if (dropped) {
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c >= 0) codes[i] = map[c];
    }
  }
  return { codes, dictionary };
}
