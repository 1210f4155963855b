/**
 * CSV ingest: detect the format on a sample, guess column types, stream the file through the tokenizer into
 * typed-array column builders, re-read (second pass) the columns whose guess a later cell contradicted,
 * then settle the semantic types. See index.ts for the public API.
 */
import type { Column, SemanticType, Table } from '../data/table.ts';
import {
  IngestError,
  type ByteSource,
  type ColumnSchema,
  type Delimiter,
  type Dialect,
  type Fixup,
  type IngestOptions,
  type IngestResult,
  type TextEncodingName,
} from './types.ts';
import { DecodedReader, throwIfAborted } from './reader.ts';
import { Batch, Scratch, tokenize, decodeComplexField, type TokenizerState } from './tokenizer.ts';
import { NaMatcher } from './na.ts';
import { detectDecimal, detectHeader, detectLineEnding, sniffDelimiter } from './dialect.ts';
import {
  bestDateFormat,
  convertDictionary,
  guessColumn,
  numberType,
  stringType,
  type Guess,
} from './infer.ts';
import {
  BoolBuilder,
  boolLabels,
  ColumnBuilder,
  DateBuilder,
  DictBuilder,
  NumberBuilder,
  fit,
  type FeedContext,
} from './builders.ts';
import { decodeUtf8, finishDict, NotUtf8 } from './dictionary.ts';
import { defaultNames, fixHeaderNames } from './header.ts';
import { defaultHasher, schemaHash } from './hash.ts';
import { formatName } from './datetime.ts';
import { SAMPLE_BYTES, SAMPLE_ROWS } from './limits.ts';

export async function ingestCsv(source: ByteSource, options: IngestOptions = {}): Promise<IngestResult> {
  try {
    return await ingestOnce(source, options, options.encoding, false);
  } catch (err) {
    if (!(err instanceof NotUtf8)) throw err;
    if (options.encoding === 'utf-8') {
      throw new IngestError('encoding', 'file is not valid UTF-8 (the encoding you chose)', {
        file: source.name,
      });
    }
    return await ingestOnce(source, options, 'windows-1252', true);
  }
}

const DICT_TYPES: readonly SemanticType[] = ['categorical', 'text', 'id'];

/** A growable byte buffer holding the not-yet-tokenized tail of the stream. */
class Pending {
  // Starts small and doubles to the reader's chunk size within a few appends: a one-row request (the
  // scoring server) must not pay for zero-filling megabytes.
  buf = new Uint8Array(1 << 16);
  len = 0;
  append(c: Uint8Array): void {
    if (this.len + c.length > this.buf.length) {
      const b = new Uint8Array(Math.max(this.len + c.length, this.buf.length * 2));
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    this.buf.set(c, this.len);
    this.len += c.length;
  }
  drop(n: number): void {
    if (n <= 0) return;
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

interface Plan {
  readonly delimiter: Delimiter;
  readonly delim: number;
  readonly hasHeader: boolean;
  readonly decimal: '.' | ',';
  readonly lineEnding: '\n' | '\r\n' | '\r';
  readonly names: string[];
  readonly originalNames: string[];
  readonly guesses: Guess[];
}

async function ingestOnce(
  source: ByteSource,
  options: IngestOptions,
  encoding: TextEncodingName | undefined,
  retried: boolean,
): Promise<IngestResult> {
  const file = source.name;
  const signal = options.signal;
  const na = new NaMatcher(options.naTokens);
  const scratch = new Scratch();
  const hasher = (options.createHasher ?? defaultHasher)();
  const fixups: Fixup[] = [];
  const overrides = options.typeOverrides ?? {};

  const reader = await DecodedReader.open(source, { signal, hasher, encoding });
  if (reader.fallback || retried) {
    fixups.push({
      kind: 'encoding-fallback',
      message: 'file is not valid UTF-8: read it as Windows-1252 (Latin-1)',
    });
  }
  const pending = new Pending();
  let eof = false;

  // ---- sample: enough bytes for at least a couple of complete rows
  const sampleBatch = new Batch();
  let target = SAMPLE_BYTES;
  let sampleState: TokenizerState;
  let sampleEnd: number;
  for (;;) {
    while (!eof && pending.len < target) {
      const c = await reader.next();
      if (c) pending.append(c);
      else eof = true;
    }
    sampleState = { line: 1, blankLines: 0, blankExamples: [], file };
    const delimiter0 = options.delimiter ?? sniffDelimiter(pending.buf, pending.len, eof);
    sampleEnd = tokenize(
      pending.buf,
      0,
      pending.len,
      eof,
      delimiter0.charCodeAt(0),
      sampleBatch,
      sampleState,
      SAMPLE_ROWS,
    );
    if (eof || sampleBatch.nRows >= 3) break;
    target = pending.len * 2;
  }
  if (sampleBatch.nRows === 0) {
    throw new IngestError(
      'empty',
      pending.len === 0
        ? 'file has no text (only a byte-order mark or NUL bytes)'
        : 'file has only blank lines',
      { file },
    );
  }
  if (reader.nulStripped > 0) {
    fixups.push({
      kind: 'stripped-nul',
      message: `removed ${reader.nulStripped} NUL byte${reader.nulStripped === 1 ? '' : 's'} (not valid in CSV text)`,
      count: reader.nulStripped,
    });
  }
  const plan = makePlan(pending.buf, pending.len, eof, sampleBatch, na, scratch, options, fixups, file);
  const ncols = plan.names.length;
  const ctx: FeedContext = { na, scratch, dec: plan.decimal === ',' ? 44 : 46 };

  // capacity estimate from the sample's bytes per row
  const dataRowsInSample = sampleBatch.nRows - (plan.hasHeader ? 1 : 0);
  const sampleBytesPerRow = Math.max(1, sampleEnd / Math.max(1, sampleBatch.nRows));
  const decodedPerRaw = reader.bytesRead > 0 ? pending.len / reader.bytesRead : 1;
  const capacity =
    source.size !== undefined && !eof
      ? Math.ceil(((source.size * decodedPerRaw) / sampleBytesPerRow) * 1.02) + 64
      : dataRowsInSample + 16;

  const builders: (ColumnBuilder | null)[] = plan.guesses.map((g, c) =>
    makeBuilder(
      g,
      overrides[plan.names[c]],
      capacity,
      pending,
      sampleBatch,
      plan.hasHeader ? 1 : 0,
      c,
      na,
      scratch,
    ),
  );

  // ---- main pass
  const ragged = {
    short: 0,
    long: 0,
    shortRows: [] as number[],
    longRows: [] as number[],
    maxLong: 0,
    minShort: ncols,
  };
  const st: TokenizerState = { line: 1, blankLines: 0, blankExamples: [], file };
  const batch = new Batch();
  let rows = 0;
  const progress = (phase: 'parse' | 'reparse', bytesRead: number): void =>
    options.onProgress?.({ bytesRead, totalBytes: source.size, rows, phase });

  const onBatch = (buf: Uint8Array, r0: number): void => {
    for (let r = r0; r < batch.nRows; r++) {
      const k = batch.rowLen[r];
      if (k < ncols) {
        ragged.short++;
        ragged.minShort = Math.min(ragged.minShort, k);
        if (ragged.shortRows.length < 5) ragged.shortRows.push(batch.rowLine[r]);
      } else if (k > ncols) {
        ragged.long++;
        ragged.maxLong = Math.max(ragged.maxLong, k);
        if (ragged.longRows.length < 5) ragged.longRows.push(batch.rowLine[r]);
      }
    }
    for (let c = 0; c < ncols; c++) builders[c]?.feed(buf, batch, c, r0, ctx);
  };

  let reads = 0;
  const runPass = async (
    rd: DecodedReader,
    pend: Pending,
    startEof: boolean,
    handle: (buf: Uint8Array, r0: number) => void,
    phase: 'parse' | 'reparse',
  ): Promise<number> => {
    let done = startEof;
    let skipFirst = plan.hasHeader;
    let nRows = 0;
    st.line = 1;
    st.blankLines = 0;
    st.blankExamples = [];
    for (;;) {
      const view = pend.view();
      const pos = tokenize(view, 0, view.length, done, plan.delim, batch, st);
      let r0 = 0;
      if (skipFirst && batch.nRows > 0) {
        r0 = 1;
        skipFirst = false;
      }
      handle(view, r0);
      nRows += batch.nRows - r0;
      if (phase === 'parse') rows = nRows;
      pend.drop(pos);
      if (done) break;
      const want = Math.max(1, pend.len * 2);
      let got = false;
      while (!done && (!got || pend.len < want)) {
        const c = await rd.next();
        if (c) {
          pend.append(c);
          got = true;
        } else done = true;
      }
      if (++reads % 4 === 0 || done) progress(phase, rd.bytesRead);
      throwIfAborted(signal, file);
    }
    return nRows;
  };

  rows = await runPass(reader, pending, eof, onBatch, 'parse');
  if (rows === 0) {
    throw new IngestError('no-data-rows', 'file has a header row but no data rows', { file });
  }
  const bytes = reader.bytesRead;
  const sha256 = await hasher.digestHex();

  // ---- second pass for columns whose guess failed
  const demoted: number[] = [];
  builders.forEach((b, c) => {
    if (b?.failure) demoted.push(c);
  });
  if (demoted.length) {
    const again: (ColumnBuilder | null)[] = builders.map(() => null);
    for (const c of demoted) {
      const f = builders[c]!.failure!;
      const was =
        builders[c] instanceof NumberBuilder
          ? 'numbers'
          : builders[c] instanceof BoolBuilder
            ? 'booleans'
            : 'dates';
      fixups.push({
        kind: 'type-demoted',
        column: plan.names[c],
        rows: [f.row],
        message: `column ${plan.names[c]} looked like ${was} in the first rows, but row ${f.row} has ${JSON.stringify(f.text)}: read as text values`,
      });
      builders[c] = null;
      again[c] = new DictBuilder(false, rows);
    }
    const rd2 = await DecodedReader.open(source, { signal, encoding: reader.encoding });
    const pend2 = new Pending();
    const n2 = await runPass(
      rd2,
      pend2,
      false,
      (buf, r0) => {
        for (const c of demoted) again[c]!.feed(buf, batch, c, r0, ctx);
      },
      'reparse',
    );
    if (n2 !== rows)
      throw new IngestError('io', `file changed while reading (${rows} rows, then ${n2})`, { file });
    for (const c of demoted) builders[c] = again[c];
  }

  // ---- fix-ups for ragged rows and blank lines
  if (ragged.short) {
    fixups.push({
      kind: 'padded-short-rows',
      message: `${ragged.short} row${ragged.short === 1 ? '' : 's'} had ${ragged.minShort === ncols - 1 || ragged.short === 1 ? ragged.minShort : `as few as ${ragged.minShort}`} field${ragged.minShort === 1 ? '' : 's'} instead of ${ncols}: padded with missing (e.g. row ${ragged.shortRows.join(', ')})`,
      rows: ragged.shortRows,
      count: ragged.short,
    });
  }
  if (ragged.long) {
    fixups.push({
      kind: 'merged-long-rows',
      message: `${ragged.long} row${ragged.long === 1 ? '' : 's'} had more than ${ncols} fields (up to ${ragged.maxLong}): the extra fields were dropped (e.g. row ${ragged.longRows.join(', ')})`,
      rows: ragged.longRows,
      count: ragged.long,
    });
  }
  if (st.blankLines) {
    fixups.push({
      kind: 'dropped-empty-lines',
      message: `skipped ${st.blankLines} empty line${st.blankLines === 1 ? '' : 's'} (e.g. line ${st.blankExamples.join(', ')})`,
      rows: st.blankExamples,
      count: st.blankLines,
    });
  }

  // ---- settle types and build the table
  const columns: Column[] = [];
  const schema: ColumnSchema[] = [];
  for (let c = 0; c < ncols; c++) {
    const name = plan.names[c];
    const override = overrides[name];
    const b = builders[c]!;
    builders[c] = null;
    const { column, inferred } = finishColumn(b, name, override, ctx.dec, na);
    if (b.badCells > 0 && override) {
      fixups.push({
        kind: 'other',
        column: name,
        rows: b.badRows,
        count: b.badCells,
        message: `column ${name}: ${b.badCells} cell${b.badCells === 1 ? '' : 's'} could not be read as ${override} (the type you chose) and ${b.badCells === 1 ? 'is' : 'are'} missing (e.g. row ${b.badRows.join(', ')})`,
      });
    }
    columns.push(column);
    schema.push({
      name,
      originalName: plan.originalNames[c],
      index: c,
      type: column.type,
      inferredType: inferred,
      overridden: override !== undefined,
      ...(column.storage === 'datetime' ? { format: column.format } : {}),
    });
  }
  const table: Table = { nRows: rows, columns };
  const dialect: Dialect = {
    delimiter: plan.delimiter,
    hasHeader: plan.hasHeader,
    encoding: reader.encoding,
    bom: reader.bom,
    lineEnding: plan.lineEnding,
    decimalSeparator: plan.decimal,
  };
  progress('parse', bytes);
  return {
    table,
    schema,
    dialect,
    fingerprint: { sha256, bytes, rows, columns: ncols, schemaHash: schemaHash(schema) },
    fixups,
    sourceName: file,
  };
}

function makePlan(
  buf: Uint8Array,
  len: number,
  eof: boolean,
  sample: Batch,
  na: NaMatcher,
  scratch: Scratch,
  options: IngestOptions,
  fixups: Fixup[],
  file: string,
): Plan {
  const delimiter = options.delimiter ?? sniffDelimiter(buf, len, eof);
  const delim = delimiter.charCodeAt(0);
  const lineEnding = detectLineEnding(buf, len);
  let decimal: '.' | ',' = '.';
  if (delimiter === ';' || delimiter === '\t') decimal = detectDecimal(buf, sample, 1, scratch);
  const dec = decimal === ',' ? 44 : 46;
  const hasHeader = options.hasHeader ?? detectHeader(buf, sample, na, scratch, dec);
  const ncols = sample.rowLen[0];
  let names: string[];
  let originalNames: string[];
  if (hasHeader) {
    originalNames = [];
    for (let c = 0; c < ncols; c++) {
      const i = sample.rowBase[0] + c;
      let s = sample.fs[i];
      let e = sample.fe[i];
      let src = buf;
      if (e < 0) {
        e = decodeComplexField(buf, s, ~e, scratch);
        s = 0;
        src = scratch.buf;
      }
      originalNames.push(decodeUtf8(src.subarray(s, e)));
    }
    const fixed = fixHeaderNames(originalNames);
    names = fixed.names;
    fixups.push(...fixed.fixups);
  } else {
    names = defaultNames(ncols);
    originalNames = names.slice();
  }
  if (sample.nRows === 1 && hasHeader && eof) {
    throw new IngestError('no-data-rows', 'file has a header row but no data rows', { file });
  }
  const r0 = hasHeader ? 1 : 0;
  const guesses = names.map((_, c) => guessColumn(buf, sample, c, r0, na, scratch, dec));
  return { delimiter, delim, hasHeader, decimal, lineEnding, names, originalNames, guesses };
}

function makeBuilder(
  g: Guess,
  override: SemanticType | undefined,
  capacity: number,
  pending: Pending,
  sample: Batch,
  r0: number,
  c: number,
  na: NaMatcher,
  scratch: Scratch,
): ColumnBuilder {
  if (override === undefined) {
    switch (g.kind) {
      case 'number':
        return new NumberBuilder(true, capacity);
      case 'bool':
        return new BoolBuilder(true, capacity);
      case 'date':
        return new DateBuilder(true, capacity, g.format!);
      case 'dict':
        return new DictBuilder(false, capacity);
    }
  }
  switch (override) {
    case 'numeric':
    case 'integer':
      return new NumberBuilder(false, capacity);
    case 'boolean':
      return new BoolBuilder(false, capacity);
    case 'datetime':
      return new DateBuilder(
        false,
        capacity,
        g.format ?? bestDateFormat(pending.buf, sample, c, r0, na, scratch),
      );
    default:
      return new DictBuilder(false, capacity);
  }
}

function finishColumn(
  b: ColumnBuilder,
  name: string,
  override: SemanticType | undefined,
  dec: number,
  na: NaMatcher,
): { column: Column; inferred: SemanticType } {
  if (b instanceof NumberBuilder) {
    const values = fit(b.values, b.n);
    const inferred = numberType(values, name);
    return { column: { name, type: override ?? inferred, storage: 'float64', values }, inferred };
  }
  if (b instanceof BoolBuilder) {
    const values = fit(b.values, b.n);
    const labels = boolLabels(b.spellings);
    return {
      column: { name, type: 'boolean', storage: 'bool', values, ...(labels ? { labels } : {}) },
      inferred: 'boolean',
    };
  }
  if (b instanceof DateBuilder) {
    const values = fit(b.values, b.n);
    const format = formatName(b.format, b.flags);
    return { column: { name, type: 'datetime', storage: 'datetime', values, format }, inferred: 'datetime' };
  }
  const d = b as DictBuilder;
  d.release();
  const { codes, dictionary } = finishDict(d, na);
  return finishStrings(codes, dictionary, name, override, dec);
}

function finishStrings(
  codes: Int32Array,
  dictionary: string[],
  name: string,
  override: SemanticType | undefined,
  dec: number,
): { column: Column; inferred: SemanticType } {
  if (override && DICT_TYPES.includes(override)) {
    return {
      column: { name, type: override, storage: 'dict', codes, dictionary },
      inferred: stringType(codes, dictionary, name),
    };
  }
  const conv = convertDictionary(dictionary, dec);
  if (conv?.kind === 'number') {
    const values = new Float64Array(codes.length);
    for (let i = 0; i < codes.length; i++) values[i] = codes[i] < 0 ? NaN : conv.values[codes[i]];
    const inferred = numberType(values, name);
    return { column: { name, type: inferred, storage: 'float64', values }, inferred };
  }
  if (conv?.kind === 'bool') {
    const values = new Uint8Array(codes.length);
    for (let i = 0; i < codes.length; i++) values[i] = codes[i] < 0 ? 255 : conv.values[codes[i]];
    const spellings: [string | null, string | null] = [null, null];
    for (let j = 0; j < dictionary.length; j++) spellings[conv.values[j]] ??= dictionary[j].trim();
    const labels = boolLabels(spellings);
    return {
      column: { name, type: 'boolean', storage: 'bool', values, ...(labels ? { labels } : {}) },
      inferred: 'boolean',
    };
  }
  if (conv?.kind === 'date') {
    const values = new Float64Array(codes.length);
    for (let i = 0; i < codes.length; i++) values[i] = codes[i] < 0 ? NaN : conv.values[codes[i]];
    const format = formatName(conv.format, conv.flags);
    return { column: { name, type: 'datetime', storage: 'datetime', values, format }, inferred: 'datetime' };
  }
  if (dictionary.length === 0) {
    const values = new Float64Array(codes.length).fill(NaN);
    return { column: { name, type: 'numeric', storage: 'float64', values }, inferred: 'numeric' };
  }
  const inferred = stringType(codes, dictionary, name);
  return { column: { name, type: inferred, storage: 'dict', codes, dictionary }, inferred };
}
