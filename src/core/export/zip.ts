/**
 * The zip form of a model bundle (format version 2), with fflate.
 *
 * Writing is deterministic (fixed entry order and timestamps) so the same files give the same bytes.
 * Reading never trusts the archive: the central directory is parsed here, every entry name is checked
 * (no `..`, absolute paths, backslashes, drive letters or control characters), declared sizes are
 * checked against the limits and a compression-ratio cap (per entry and for the whole archive) before
 * anything is inflated, each entry's local header must carry the central directory's name and the
 * entries' byte ranges must not overlap (several entries sharing one deflate stream is a zip bomb), and
 * inflation itself stops as soon as an entry produces more bytes than it declared. Each entry's CRC-32
 * is verified. Every problem is a BundleError with a specific message.
 */
import { Inflate, zipSync, strToU8, type Zippable } from 'fflate';
import { BundleError } from './bundle-error.ts';

export interface ZipLimits {
  /** Largest uncompressed size of one entry, bytes (default 512 MiB). */
  readonly maxEntryBytes?: number;
  /** Largest total uncompressed size, bytes (default 1 GiB). */
  readonly maxTotalBytes?: number;
  /** Most entries (default 64). */
  readonly maxEntries?: number;
  /** Largest uncompressed/compressed ratio of an entry above `ratioMinBytes` (default 200). */
  readonly maxRatio?: number;
  /** Entries smaller than this are not ratio-checked (default 1 MiB). */
  readonly ratioMinBytes?: number;
  /**
   * Largest ratio of the total uncompressed size to the zip file's size (default 200), checked when the
   * total is at least `ratioMinBytes`: many small, highly compressed entries are a zip bomb too.
   */
  readonly maxArchiveRatio?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 64,
  maxRatio: 200,
  ratioMinBytes: 1024 * 1024,
  maxArchiveRatio: 200,
};

/** DOS timestamps cannot go before 1980; a fixed one keeps the archive bytes reproducible. */
const FIXED_MTIME = new Date(1980, 0, 1, 12, 0, 0);

/** Zips bundle files (text or bytes) in the given order; files named *.json/*.md/*.csv/*.mjs are deflated. */
export function bundleToZip(files: Readonly<Record<string, string | Uint8Array>>): Uint8Array {
  const entries: Zippable = {};
  for (const [name, content] of Object.entries(files)) {
    checkEntryName(name);
    entries[name] = [
      typeof content === 'string' ? strToU8(content) : content,
      { level: 6, mtime: FIXED_MTIME },
    ];
  }
  return zipSync(entries);
}

/** The checks every entry name must pass (also used when writing, so we never produce a bad zip). */
export function checkEntryName(name: string): void {
  const show = JSON.stringify(name);
  if (name.length === 0) throw new BundleError('zip entry with an empty name');
  if (name.length > 255) throw new BundleError(`zip entry name too long: ${show.slice(0, 60)}…`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new BundleError(`zip entry ${show} has a control character`);
  if (name.includes('\\')) throw new BundleError(`zip entry ${show} contains a backslash`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    throw new BundleError(`zip entry ${show} is an absolute path`);
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) throw new BundleError(`zip entry ${show} leaves the bundle folder (..)`);
  if (parts.some((p, i) => (p === '' || p === '.') && !(i === parts.length - 1 && p === '')))
    throw new BundleError(`zip entry ${show} has an empty or '.' path segment`);
}

interface CentralEntry {
  readonly name: string;
  /** The name's raw bytes, compared with the local header's. */
  readonly nameBytes: Uint8Array;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

function readCentralDirectory(bytes: Uint8Array): { entries: CentralEntry[]; cdOffset: number } {
  if (bytes.length < 22) throw new BundleError('not a zip file (too short)');
  // End of central directory record: signature 0x06054b50, searched from the end (comment ≤ 64 KiB).
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new BundleError('not a zip file (no end-of-central-directory record)');
  const count = u16(bytes, eocd + 10);
  const cdSize = u32(bytes, eocd + 12);
  const cdOffset = u32(bytes, eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new BundleError('ZIP64 archives are not supported');
  if (cdOffset + cdSize > eocd) throw new BundleError('damaged zip: central directory out of range');
  const out: CentralEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || u32(bytes, p) !== 0x02014b50)
      throw new BundleError(`damaged zip: bad central directory entry ${i + 1}`);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    if (p + 46 + nameLen > eocd) throw new BundleError(`damaged zip: entry ${i + 1} name out of range`);
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    const name = new TextDecoder('utf-8', { fatal: false }).decode(nameBytes);
    out.push({
      name,
      nameBytes,
      flags: u16(bytes, p + 8),
      method: u16(bytes, p + 10),
      crc: u32(bytes, p + 16),
      compressedSize: u32(bytes, p + 20),
      size: u32(bytes, p + 24),
      localOffset: u32(bytes, p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries: out, cdOffset };
}

/** Where an entry's bytes lie: its local header at `start`, its (compressed) data in [dataStart, end). */
interface EntrySpan {
  readonly entry: CentralEntry;
  readonly start: number;
  readonly dataStart: number;
  readonly end: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Locates every entry's local header and data, and checks the layout a genuine archive has: the local
 * header names the same file as the central directory, every entry lies before the central directory,
 * and no two entries share bytes. Overlapping entries (many central records pointing at one deflate
 * stream, or one entry's data hiding another) are how a tiny zip expands into gigabytes.
 */
function locateEntries(bytes: Uint8Array, entries: readonly CentralEntry[], cdOffset: number): EntrySpan[] {
  const spans: EntrySpan[] = entries.map((e) => {
    const show = JSON.stringify(e.name);
    const lo = e.localOffset;
    if (lo + 30 > cdOffset || u32(bytes, lo) !== 0x04034b50)
      throw new BundleError(`damaged zip: no local header for ${show}`);
    const nameLen = u16(bytes, lo + 26);
    const dataStart = lo + 30 + nameLen + u16(bytes, lo + 28);
    const end = dataStart + e.compressedSize;
    if (end > cdOffset)
      throw new BundleError(
        `damaged zip: ${show} runs past the end of the file entries (into the central directory)`,
      );
    return { entry: e, start: lo, dataStart, end };
  });
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (b.start < a.end)
      throw new BundleError(
        `zip entries ${JSON.stringify(a.entry.name)} and ${JSON.stringify(b.entry.name)} overlap ` +
          `(bytes ${a.start}–${a.end - 1} and ${b.start}–${b.end - 1}): refusing a possible zip bomb`,
      );
  }
  for (const s of spans) {
    const lo = s.start;
    const local = bytes.subarray(lo + 30, lo + 30 + u16(bytes, lo + 26));
    if (!sameBytes(local, s.entry.nameBytes)) {
      const localName = new TextDecoder('utf-8', { fatal: false }).decode(local);
      throw new BundleError(
        `damaged zip: the central directory names an entry ${JSON.stringify(s.entry.name)} ` +
          `but its local header names it ${JSON.stringify(localName)}`,
      );
    }
  }
  return spans;
}

let crcTable: Int32Array | null = null;
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Inflates raw deflate data, refusing to produce more than `max` bytes. */
function inflateCapped(data: Uint8Array, max: number, name: string): Uint8Array {
  const out = new Uint8Array(max);
  let len = 0;
  const inf = new Inflate((chunk) => {
    if (len + chunk.length > max)
      throw new BundleError(`zip entry ${name} inflates to more than its declared ${max} bytes`);
    out.set(chunk, len);
    len += chunk.length;
  });
  const STEP = 1 << 16;
  try {
    for (let o = 0; o < data.length; o += STEP) {
      const end = Math.min(data.length, o + STEP);
      inf.push(data.subarray(o, end), end === data.length);
    }
    if (data.length === 0) inf.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`zip entry ${name} is damaged: ${(err as Error).message}`);
  }
  if (len !== max)
    throw new BundleError(`zip entry ${name} inflates to ${len} bytes, not the ${max} it declares`);
  return out;
}

/**
 * Reads a bundle zip into its files (as text, by name), checking names, sizes, ratios and CRCs.
 * Folder entries are skipped. It does not interpret the files: pass the result to `loadBundle`.
 */
export function readBundleZip(bytes: Uint8Array, limits: ZipLimits = {}): Record<string, string> {
  const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const { entries, cdOffset } = readCentralDirectory(bytes);
  if (entries.length > lim.maxEntries)
    throw new BundleError(`the zip has ${entries.length} entries; a bundle has at most ${lim.maxEntries}`);
  const seen = new Set<string>();
  let total = 0;
  // First pass: every check that needs no inflation.
  for (const e of entries) {
    checkEntryName(e.name);
    if (seen.has(e.name)) throw new BundleError(`zip entry ${JSON.stringify(e.name)} appears twice`);
    seen.add(e.name);
    if (e.flags & 1) throw new BundleError(`zip entry ${JSON.stringify(e.name)} is encrypted`);
    if (e.method !== 0 && e.method !== 8)
      throw new BundleError(
        `zip entry ${JSON.stringify(e.name)} uses compression method ${e.method} (only stored and deflate are read)`,
      );
    if (e.size === 0xffffffff || e.compressedSize === 0xffffffff)
      throw new BundleError('ZIP64 archives are not supported');
    if (e.size > lim.maxEntryBytes)
      throw new BundleError(
        `zip entry ${JSON.stringify(e.name)} is ${e.size} bytes uncompressed, over the ${lim.maxEntryBytes}-byte limit per file`,
      );
    total += e.size;
    if (total > lim.maxTotalBytes)
      throw new BundleError(
        `the zip's files add up to more than ${lim.maxTotalBytes} bytes uncompressed (limit for a bundle)`,
      );
    if (e.size >= lim.ratioMinBytes && e.size > lim.maxRatio * Math.max(1, e.compressedSize))
      throw new BundleError(
        `zip entry ${JSON.stringify(e.name)} has a suspicious compression ratio ` +
          `(${e.size} bytes from ${e.compressedSize}, over ${lim.maxRatio}:1): refusing a possible zip bomb`,
      );
    if (e.method === 0 && e.size !== e.compressedSize)
      throw new BundleError(`zip entry ${JSON.stringify(e.name)} is stored but its sizes differ`);
  }
  // Second pass, still without inflating: where each entry lies, and the archive's overall ratio.
  const spans = locateEntries(bytes, entries, cdOffset);
  if (total >= lim.ratioMinBytes && total > lim.maxArchiveRatio * bytes.length)
    throw new BundleError(
      `the zip's files add up to ${total} bytes uncompressed from a ${bytes.length}-byte archive ` +
        `(over ${lim.maxArchiveRatio}:1 for the whole zip): refusing a possible zip bomb`,
    );
  const files: Record<string, string> = {};
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const { entry: e, dataStart, end } of spans) {
    if (e.name.endsWith('/')) continue;
    const show = JSON.stringify(e.name);
    const raw = bytes.subarray(dataStart, end);
    const data = e.method === 0 ? raw : inflateCapped(raw, e.size, show);
    if (crc32(data) !== e.crc) throw new BundleError(`zip entry ${show} is damaged (CRC mismatch)`);
    try {
      files[e.name] = decoder.decode(data);
    } catch {
      throw new BundleError(`zip entry ${show} is not UTF-8 text`);
    }
  }
  return files;
}

/** True when the bytes start like a zip archive (local file header or empty-archive record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}
