/**
 * Detection on the first bytes of a file: compressed/binary formats (by magic numbers), text encoding
 * (BOM, UTF-16 by the pattern of NUL bytes, UTF-8 validity, else Windows-1252), and binary content.
 */
import { IngestError, type TextEncodingName } from './types.ts';

interface Magic {
  readonly bytes: readonly number[];
  readonly code: 'compressed' | 'binary';
  readonly message: string;
}

const MAGICS: readonly Magic[] = [
  { bytes: [0x1f, 0x8b], code: 'compressed', message: 'file is gzip-compressed; decompress it first' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    code: 'compressed',
    message:
      'file is a zip archive (an Excel .xlsx workbook is one too); extract it or export it as CSV first',
  },
  { bytes: [0x50, 0x4b, 0x05, 0x06], code: 'compressed', message: 'file is an (empty) zip archive, not CSV' },
  { bytes: [0x42, 0x5a, 0x68], code: 'compressed', message: 'file is bzip2-compressed; decompress it first' },
  {
    bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    code: 'compressed',
    message: 'file is xz-compressed; decompress it first',
  },
  {
    bytes: [0x28, 0xb5, 0x2f, 0xfd],
    code: 'compressed',
    message: 'file is zstd-compressed; decompress it first',
  },
  {
    bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c],
    code: 'compressed',
    message: 'file is a 7-Zip archive; extract it first',
  },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], code: 'binary', message: 'file is a PDF document, not CSV text' },
  { bytes: [0x50, 0x41, 0x52, 0x31], code: 'binary', message: 'file is a Parquet file, not CSV text' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    code: 'binary',
    message: 'file is an old Excel .xls (OLE) document; export it as CSV first',
  },
  { bytes: [0x89, 0x50, 0x4e, 0x47], code: 'binary', message: 'file is a PNG image, not CSV text' },
  { bytes: [0xff, 0xd8, 0xff], code: 'binary', message: 'file is a JPEG image, not CSV text' },
];

/** Throws `compressed` or `binary` when the file starts with a known non-text signature. */
export function checkMagic(head: Uint8Array, file: string): void {
  for (const m of MAGICS) {
    if (head.length >= m.bytes.length && m.bytes.every((b, i) => head[i] === b)) {
      throw new IngestError(m.code, m.message, { file });
    }
  }
}

export interface DetectedEncoding {
  readonly encoding: TextEncodingName;
  readonly bom: boolean;
  /** True when chosen because the bytes are not valid UTF-8. */
  readonly fallback: boolean;
}

export function detectEncoding(head: Uint8Array): DetectedEncoding {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: 'utf-8', bom: true, fallback: false };
  }
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) {
    return { encoding: 'utf-16le', bom: true, fallback: false };
  }
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) {
    return { encoding: 'utf-16be', bom: true, fallback: false };
  }
  const pairs = Math.min(head.length, 8192) >> 1;
  if (pairs >= 1) {
    let zeroEven = 0;
    let zeroOdd = 0;
    for (let i = 0; i < pairs; i++) {
      if (head[2 * i] === 0) zeroEven++;
      if (head[2 * i + 1] === 0) zeroOdd++;
    }
    if (zeroOdd > pairs * 0.3 && zeroEven < pairs * 0.05)
      return { encoding: 'utf-16le', bom: false, fallback: false };
    if (zeroEven > pairs * 0.3 && zeroOdd < pairs * 0.05)
      return { encoding: 'utf-16be', bom: false, fallback: false };
  }
  if (!isValidUtf8Prefix(head)) return { encoding: 'windows-1252', bom: false, fallback: true };
  return { encoding: 'utf-8', bom: false, fallback: false };
}

/** Valid UTF-8, allowing a code point cut at the end. */
export function isValidUtf8Prefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

export interface BinaryVerdict {
  readonly nul: number;
  readonly control: number;
  readonly chars: number;
}

/** Counts NUL and other control characters (not tab, LF, CR, FF) in decoded head text. */
export function controlCounts(text: string): BinaryVerdict {
  let nul = 0;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) nul++;
    else if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0x7f || c === 0xfffd) control++;
  }
  return { nul, control, chars: text.length };
}

/** Up to this many NUL characters in the head are always stripped (with a fix-up). */
export const MAX_NUL_FEW = 16;
/** At most this share of NUL characters is stripped (with a fix-up); more means binary. */
export const MAX_NUL_SHARE = 0.01;
/** More than this share of other control characters means binary. */
export const MAX_CONTROL_SHARE = 0.02;
