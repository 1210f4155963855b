/**
 * A minimal zip writer for tests that need archives no honest writer produces: central directory
 * records that point at another entry's local header (overlapping entries), a local header whose
 * name differs from the central directory's, or an entry hidden inside another entry's stored data.
 */
import { deflateSync } from 'fflate';

export function crc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) {
    c ^= data[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ -1) >>> 0;
}

export interface RawEntry {
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 stored, 8 deflate (default). */
  readonly method?: 0 | 8;
  /** The name written in the local header (default: `name`). */
  readonly localName?: string;
  /** Write no local header and data: the central record points at entry `shareWith`'s. */
  readonly shareWith?: number;
}

interface Local {
  readonly offset: number;
  readonly compressed: number;
  readonly size: number;
  readonly crc: number;
  readonly method: number;
}

const enc = new TextEncoder();

/** A local file header followed by the entry's (compressed) data. */
export function localRecord(name: string, data: Uint8Array, method: 0 | 8 = 8): Uint8Array {
  const nm = enc.encode(name);
  const body = method === 8 ? deflateSync(data) : data;
  const out = new Uint8Array(30 + nm.length + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, 20, true);
  v.setUint16(8, method, true);
  v.setUint32(14, crc32(data), true);
  v.setUint32(18, body.length, true);
  v.setUint32(22, data.length, true);
  v.setUint16(26, nm.length, true);
  out.set(nm, 30);
  out.set(body, 30 + nm.length);
  return out;
}

function centralRecord(name: string, l: Local): Uint8Array {
  const nm = enc.encode(name);
  const out = new Uint8Array(46 + nm.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, 20, true);
  v.setUint16(6, 20, true);
  v.setUint16(10, l.method, true);
  v.setUint32(16, l.crc, true);
  v.setUint32(20, l.compressed, true);
  v.setUint32(24, l.size, true);
  v.setUint16(28, nm.length, true);
  v.setUint32(42, l.offset, true);
  out.set(nm, 46);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes the entries' local records, then a central directory with one record per entry. */
export function rawZip(entries: readonly RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const locals: Local[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    if (e.shareWith !== undefined) {
      locals.push(locals[e.shareWith]);
    } else {
      const method = e.method ?? 8;
      const rec = localRecord(e.localName ?? e.name, e.data, method);
      const nameLen = enc.encode(e.localName ?? e.name).length;
      locals.push({
        offset,
        compressed: rec.length - 30 - nameLen,
        size: e.data.length,
        crc: crc32(e.data),
        method,
      });
      parts.push(rec);
      offset += rec.length;
    }
    central.push(centralRecord(e.name, locals[locals.length - 1]));
  }
  return withCentralDirectory(concat(parts), central);
}

/** Appends the central directory records and the end-of-central-directory record. */
export function withCentralDirectory(body: Uint8Array, central: readonly Uint8Array[]): Uint8Array {
  const cd = concat(central);
  const end = new Uint8Array(22);
  const v = new DataView(end.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, central.length, true);
  v.setUint16(10, central.length, true);
  v.setUint32(12, cd.length, true);
  v.setUint32(16, body.length, true);
  return concat([body, cd, end]);
}

/**
 * An archive whose first entry, stored, holds a complete second entry (local header and data) inside
 * its own bytes; the central directory lists both, so the second overlaps the first.
 */
export function nestedZip(outer: string, inner: string, innerData: Uint8Array): Uint8Array {
  const innerRec = localRecord(inner, innerData, 0);
  const outerName = enc.encode(outer);
  const outerRec = localRecord(outer, innerRec, 0);
  const innerOffset = 30 + outerName.length;
  const central = [
    centralRecord(outer, {
      offset: 0,
      compressed: innerRec.length,
      size: innerRec.length,
      crc: crc32(innerRec),
      method: 0,
    }),
    centralRecord(inner, {
      offset: innerOffset,
      compressed: innerData.length,
      size: innerData.length,
      crc: crc32(innerData),
      method: 0,
    }),
  ];
  return withCentralDirectory(outerRec, central);
}
