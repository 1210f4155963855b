/**
 * A seeded sample of a CSV file's rows, taken before parsing (issue 21: a file too big for memory can
 * be loaded as N rows instead of crashing the tab). Two streaming passes over the bytes: the first
 * counts the records (and, when stratified, the class of each in one column), the second — every
 * time the returned source is opened — yields the header and the chosen records in file order. Only
 * the records' positions are held (4 bytes a row when stratified, 1 otherwise), never the file.
 *
 * Records end at a line feed outside double quotes (RFC 4180: quoted fields may hold line breaks; a
 * CR before the LF stays with the record). Single-byte and UTF-8 files only: a UTF-16 file is refused
 * with a clear error (its bytes do not split on 0x0A).
 */
import { IngestError, type ByteSource } from './types.ts';

export interface RowSampleOptions {
  /** How many data rows to keep (all of them when the file has fewer). */
  readonly rows: number;
  readonly seed: number;
  /** Column (by header name) whose classes keep their proportions in the sample. */
  readonly stratifyOn?: string;
  readonly signal?: AbortSignal;
}

export interface RowSample {
  readonly source: ByteSource;
  /** Data rows in the file (records after the header). */
  readonly ofRows: number;
  /** Data rows in the sample. */
  readonly rows: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const OUT_CHUNK = 1 << 20;

/** mulberry32: a small seeded generator (the same seed gives the same sample everywhere). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  let n = 0;
  for (const p of pieces) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Calls `onRecord` with each record's bytes (without its LF) as one or more pieces, in order, and
 * yields after each chunk of the source (so a caller can pass on what it kept so far); returns the
 * number of records.
 */
async function* scanning(
  source: ByteSource,
  signal: AbortSignal | undefined,
  onRecord: (index: number, pieces: Uint8Array[]) => void,
): AsyncGenerator<void, number> {
  let inQuotes = false;
  let pieces: Uint8Array[] = [];
  let index = 0;
  let first = true;
  for await (const chunk of source.open()) {
    if (signal?.aborted) throw new IngestError('cancelled', 'sampling was cancelled', { file: source.name });
    if (first) {
      first = false;
      if (
        chunk.length >= 2 &&
        ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))
      )
        throw new IngestError(
          'encoding',
          'sampling rows needs a UTF-8 or single-byte file; this one is UTF-16 (save it as UTF-8, or load it whole)',
          { file: source.name },
        );
    }
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === LF && !inQuotes) {
        pieces.push(chunk.subarray(start, i));
        onRecord(index++, pieces);
        pieces = [];
        start = i + 1;
      }
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
    yield;
  }
  if (pieces.some((p) => p.length > 0)) onRecord(index++, pieces);
  return index;
}

/** {@link scanning} to the end: the number of records. */
async function scan(
  source: ByteSource,
  signal: AbortSignal | undefined,
  onRecord: (index: number, pieces: Uint8Array[]) => void,
): Promise<number> {
  const it = scanning(source, signal, onRecord);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
  }
}

/** The delimiter a header line uses most (outside quotes) among , ; tab |. */
function delimiterOf(header: Uint8Array): number {
  const counts = new Map<number, number>([
    [0x2c, 0],
    [0x3b, 0],
    [0x09, 0],
    [0x7c, 0],
  ]);
  let q = false;
  for (const b of header) {
    if (b === QUOTE) q = !q;
    else if (!q && counts.has(b)) counts.set(b, counts.get(b)! + 1);
  }
  let best = 0x2c;
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

const decoder = new TextDecoder('utf-8');

/** The fields of one record as text (quotes removed, "" read as "). */
export function recordFields(record: Uint8Array, delimiter: number): string[] {
  let end = record.length;
  if (end > 0 && record[end - 1] === CR) end--;
  const out: string[] = [];
  let q = false;
  let start = 0;
  const push = (s: number, e: number): void => {
    let text = decoder.decode(record.subarray(s, e)).trim();
    if (text.length >= 2 && text.startsWith('"') && text.endsWith('"'))
      text = text.slice(1, -1).replaceAll('""', '"');
    out.push(text);
  };
  for (let i = 0; i < end; i++) {
    const b = record[i];
    if (b === QUOTE) q = !q;
    else if (b === delimiter && !q) {
      push(start, i);
      start = i + 1;
    }
  }
  push(start, end);
  return out;
}

/** Split `n` over classes in proportion to their sizes (largest remainders), at most each class's size. */
export function allocate(sizes: readonly number[], n: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (n >= total) return [...sizes];
  const exact = sizes.map((s) => (s * n) / total);
  const out = exact.map((e) => Math.floor(e));
  let left = n - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    if (out[i] < sizes[i]) {
      out[i]++;
      left--;
    }
  }
  return out;
}

/**
 * Choose a seeded sample of `rows` data rows of `source` (stratified on a column when asked). The
 * file's first record is taken as the header and always kept.
 */
export async function sampleRows(source: ByteSource, options: RowSampleOptions): Promise<RowSample> {
  if (!Number.isInteger(options.rows) || options.rows < 1)
    throw new RangeError(`the sample size must be a whole number of rows ≥ 1, not ${options.rows}`);
  let delimiter = 0x2c;
  let target = -1;
  const classOf: number[] = [];
  const classes = new Map<string, number>();
  // Each record's bytes with its line feed (4 bytes a row): the sample's exact size, so that ingest
  // sizes its columns once instead of growing them by doubling (twice the memory at the end).
  let lengths = new Uint32Array(1 << 16);
  const total = await scan(source, options.signal, (i, pieces) => {
    if (i >= lengths.length) {
      const bigger = new Uint32Array(2 * lengths.length);
      bigger.set(lengths);
      lengths = bigger;
    }
    let n = 1;
    for (const p of pieces) n += p.length;
    lengths[i] = n;
    if (i === 0) {
      const header = concat(pieces);
      delimiter = delimiterOf(header);
      if (options.stratifyOn !== undefined) {
        target = recordFields(header, delimiter).indexOf(options.stratifyOn);
        if (target < 0)
          throw new RangeError(
            `cannot stratify the sample on "${options.stratifyOn}": ${source.name} has no such column`,
          );
      }
      return;
    }
    if (target < 0) return;
    const value = recordFields(concat(pieces), delimiter)[target] ?? '';
    let k = classes.get(value);
    if (k === undefined) classes.set(value, (k = classes.size));
    classOf.push(k);
  });
  const ofRows = Math.max(0, total - 1);
  const keep = new Uint8Array(total);
  keep[0] = 1;
  const random = rng(options.seed);
  const groups: number[][] = [];
  if (target < 0) groups.push(Array.from({ length: ofRows }, (_, i) => i + 1));
  else {
    for (let k = 0; k < classes.size; k++) groups.push([]);
    classOf.forEach((k, i) => groups[k].push(i + 1));
  }
  const counts = allocate(
    groups.map((g) => g.length),
    Math.min(options.rows, ofRows),
  );
  let rows = 0;
  groups.forEach((g, k) => {
    // partial Fisher–Yates: the first counts[k] of a seeded shuffle
    for (let j = 0; j < counts[k]; j++) {
      const r = j + Math.floor(random() * (g.length - j));
      [g[j], g[r]] = [g[r], g[j]];
      keep[g[j]] = 1;
      rows++;
    }
  });
  let size = 0;
  for (let i = 0; i < total; i++) if (keep[i]) size += lengths[i];
  lengths = new Uint32Array(0);
  const sampled: ByteSource = {
    name: source.name,
    size,
    // Streams: the kept records are copied into an output buffer that is passed on (as a chunk of
    // about OUT_CHUNK bytes) while the file is still being read, so the sample's bytes are never all
    // held at once next to the table being parsed from them.
    async *open() {
      let buf = new Uint8Array(2 * OUT_CHUNK);
      let filled = 0;
      const put = (p: Uint8Array): void => {
        if (filled + p.length > buf.length) {
          const bigger = new Uint8Array(Math.max(2 * buf.length, filled + p.length));
          bigger.set(buf.subarray(0, filled));
          buf = bigger;
        }
        buf.set(p, filled);
        filled += p.length;
      };
      const lf = new Uint8Array([LF]);
      for await (const _ of scanning(source, options.signal, (i, pieces) => {
        if (!keep[i]) return;
        for (const p of pieces) put(p);
        put(lf);
      })) {
        if (filled >= OUT_CHUNK) {
          yield buf.slice(0, filled);
          filled = 0;
        }
      }
      if (filled > 0) yield buf.slice(0, filled);
    },
  };
  return { source: sampled, ofRows, rows };
}
