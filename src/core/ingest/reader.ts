/**
 * The byte pipeline of one pass over a source: raw chunks → SHA-256 (raw bytes) → text encoding → UTF-8
 * bytes without BOM and without NUL bytes. Checks cancellation and yields to the event loop regularly so a
 * worker can receive messages.
 */
import { HEAD_BYTES } from './limits.ts';
import {
  checkMagic,
  controlCounts,
  detectEncoding,
  MAX_CONTROL_SHARE,
  MAX_NUL_FEW,
  MAX_NUL_SHARE,
} from './encoding.ts';
import { IngestError, type ByteSource, type IncrementalHasher, type TextEncodingName } from './types.ts';

export interface ReaderOptions {
  readonly signal?: AbortSignal;
  readonly hasher?: IncrementalHasher;
  /** Forced encoding (else detected). */
  readonly encoding?: TextEncodingName;
}

const YIELD_MS = 25;

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Lets queued tasks (e.g. worker messages, an abort) run. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => setTimeout(r, 0));
}

export function throwIfAborted(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new IngestError('cancelled', 'reading was cancelled', { file });
}

export class DecodedReader {
  bytesRead = 0;
  nulStripped = 0;
  encoding: TextEncodingName = 'utf-8';
  bom = false;
  /** The encoding was chosen because the bytes are not valid UTF-8. */
  fallback = false;
  private pending: Uint8Array[] = [];
  private it!: AsyncIterator<Uint8Array>;
  private done = false;
  private decoder: TextDecoder | null = null;
  private readonly encoder = new TextEncoder();
  private first = true;
  private lastYield = now();

  private constructor(
    private readonly source: ByteSource,
    private readonly opts: ReaderOptions,
  ) {}

  static async open(source: ByteSource, opts: ReaderOptions): Promise<DecodedReader> {
    const r = new DecodedReader(source, opts);
    await r.init();
    return r;
  }

  private async readRaw(): Promise<Uint8Array | null> {
    throwIfAborted(this.opts.signal, this.source.name);
    if (this.done) return null;
    let res: IteratorResult<Uint8Array>;
    try {
      res = await this.it.next();
    } catch (err) {
      if (err instanceof IngestError) throw err;
      throw new IngestError('io', `cannot read file: ${err instanceof Error ? err.message : String(err)}`, {
        file: this.source.name,
      });
    }
    if (res.done) {
      this.done = true;
      return null;
    }
    const chunk = res.value;
    this.bytesRead += chunk.length;
    this.opts.hasher?.update(chunk);
    const t = now();
    if (t - this.lastYield > YIELD_MS) {
      await yieldToEventLoop();
      this.lastYield = now();
      throwIfAborted(this.opts.signal, this.source.name);
    }
    return chunk;
  }

  private async init(): Promise<void> {
    this.it = this.source.open()[Symbol.asyncIterator]();
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < HEAD_BYTES) {
      const c = await this.readRaw();
      if (!c) break;
      if (c.length === 0) continue;
      parts.push(c);
      total += c.length;
    }
    const file = this.source.name;
    if (total === 0) throw new IngestError('empty', 'file is empty (0 bytes)', { file });
    const head = concat(parts, total);
    checkMagic(head, file);
    const det = detectEncoding(head);
    this.encoding = this.opts.encoding ?? det.encoding;
    this.bom = det.bom && det.encoding === this.encoding;
    this.fallback = this.opts.encoding === undefined && det.fallback;
    if (this.encoding !== 'utf-8') this.decoder = new TextDecoder(this.encoding);
    const text = new TextDecoder(this.encoding).decode(head.subarray(0, Math.min(head.length, HEAD_BYTES)));
    const cc = controlCounts(text);
    if (
      cc.control > cc.chars * MAX_CONTROL_SHARE ||
      (cc.nul > MAX_NUL_FEW && cc.nul > cc.chars * MAX_NUL_SHARE)
    ) {
      throw new IngestError(
        'binary',
        `file looks binary, not CSV text (${cc.nul + cc.control} control or NUL bytes in the first ${cc.chars} characters)`,
        { file },
      );
    }
    this.pending.push(head);
  }

  /** Next chunk of UTF-8 bytes, or null at the end. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      const raw = this.pending.length ? this.pending.shift()! : await this.readRaw();
      let out: Uint8Array;
      if (raw === null) {
        if (!this.decoder) return null;
        const rest = this.decoder.decode();
        this.decoder = null;
        if (!rest) return null;
        out = this.encoder.encode(rest);
      } else if (this.decoder) {
        out = this.encoder.encode(this.decoder.decode(raw, { stream: true }));
      } else out = raw;
      if (this.first && out.length > 0) {
        this.first = false;
        if (out.length >= 3 && out[0] === 0xef && out[1] === 0xbb && out[2] === 0xbf) out = out.subarray(3);
      }
      if (out.indexOf(0) >= 0) out = this.stripNul(out);
      if (out.length > 0) return out;
    }
  }

  private stripNul(a: Uint8Array): Uint8Array {
    const b = new Uint8Array(a.length);
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== 0) b[n++] = a[i];
      else this.nulStripped++;
    }
    return b.subarray(0, n);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
