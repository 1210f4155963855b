/**
 * How much memory a CSV file will need once parsed, estimated before loading it from its size and a
 * sniffed sample of its first bytes (issue 21: a file that will not fit is offered as a sample of N
 * rows instead of crashing the tab).
 *
 * The parsed table holds 8 bytes a cell (numbers and dates as Float64, categories as Int32 codes plus
 * a dictionary; 8 is the safe side), and while a column is being read its typed array grows by
 * doubling, so the peak is about twice that: `bytes ≈ rows × columns × 8 × 2`, with
 * `rows ≈ (file size − header) ÷ mean bytes a row in the sample`.
 */

export const BYTES_PER_CELL = 8;
/** Growth of the column builders while parsing (typed arrays grow by doubling). */
export const PARSE_PEAK_FACTOR = 2;
/** How much of a file is sniffed for the estimate. */
export const SNIFF_BYTES = 256 * 1024;
/** The default memory limit for one dataset in the browser when the device's memory is unknown (1 GiB). */
export const DEFAULT_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;
/** The share of the device's memory (`navigator.deviceMemory`) a dataset's estimate may take. */
export const DEVICE_MEMORY_SHARE = 1 / 4;
/** Bounds of the limit taken from the device's memory: 512 MiB … 2 GiB. */
export const MIN_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;
export const MAX_MEMORY_LIMIT_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * The default limit for a device with `deviceMemoryGiB` of memory (`navigator.deviceMemory`: rounded
 * to a power of two and capped by the browser — Chromium 156 reports 16 on a 24 GiB machine; Firefox
 * and Safari do not report it): a quarter of it, within 512 MiB … 2 GiB — 2 GiB on an 8 GiB laptop
 * and bigger machines, 1 GiB on 4 GiB; 1 GiB when unknown.
 *
 * Measured (bench/scale, Chromium): loading a file takes about half this estimate at its peak (page +
 * workers JS heap 667 MB for 3,000,000 rows × 30 columns, estimated 1.34 GiB; Chromium's resident
 * memory grew 681 MB), so 2 GiB estimated is about 1 GiB used, a quarter of an 8 GiB laptop's memory
 * with half the estimate to spare.
 */
export function deviceMemoryLimit(deviceMemoryGiB: number | undefined): number {
  if (deviceMemoryGiB === undefined || !Number.isFinite(deviceMemoryGiB) || deviceMemoryGiB <= 0)
    return DEFAULT_MEMORY_LIMIT_BYTES;
  const share = Math.round(deviceMemoryGiB * DEVICE_MEMORY_SHARE * 1024 * 1024 * 1024);
  return Math.min(MAX_MEMORY_LIMIT_BYTES, Math.max(MIN_MEMORY_LIMIT_BYTES, share));
}

export interface MemoryEstimate {
  readonly fileBytes: number;
  readonly rows: number;
  readonly columns: number;
  /** Estimated peak bytes while parsing. */
  readonly bytes: number;
  /** Estimated bytes a data row takes (`bytes ÷ rows`). */
  readonly bytesPerRow: number;
  readonly header: readonly string[];
}

const QUOTE = 0x22;
const LF = 0x0a;

/**
 * Estimate from the file's size and its first bytes (`sample`, up to {@link SNIFF_BYTES}). The
 * sample's last, possibly cut, record is not counted.
 */
export function estimateMemory(fileBytes: number, sample: Uint8Array): MemoryEstimate {
  const ends: number[] = [];
  let q = false;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i];
    if (b === QUOTE) q = !q;
    else if (b === LF && !q) ends.push(i);
  }
  const whole = sample.length >= fileBytes;
  if (whole && sample.length > 0 && sample[sample.length - 1] !== LF) ends.push(sample.length);
  const headerEnd = ends.length ? ends[0] : sample.length;
  const headerText = new TextDecoder('utf-8').decode(sample.subarray(0, headerEnd)).replace(/\r$/, '');
  const delimiter = [',', ';', '\t', '|']
    .map((d) => [d, headerText.split(d).length] as const)
    .sort((a, b) => b[1] - a[1])[0][0];
  const header = headerText.split(delimiter).map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  const columns = Math.max(1, header.length);
  const dataRecords = Math.max(0, ends.length - 1);
  let rows: number;
  if (whole) rows = dataRecords;
  else if (dataRecords === 0) rows = Math.max(1, Math.round(fileBytes / Math.max(1, sample.length)));
  else {
    const meanRow = (ends[ends.length - 1] - headerEnd) / dataRecords;
    rows = Math.round((fileBytes - headerEnd - 1) / meanRow);
  }
  const bytesPerRow = columns * BYTES_PER_CELL * PARSE_PEAK_FACTOR;
  return { fileBytes, rows, columns, bytes: rows * bytesPerRow, bytesPerRow, header };
}

/** How many rows fit under `limit` (at least 1). */
export function rowsWithin(estimate: MemoryEstimate, limit: number): number {
  return Math.max(1, Math.floor(limit / estimate.bytesPerRow));
}

/**
 * The memory limit in effect: `?memoryLimitMB=N` in the page's URL, else `automl.memoryLimitMB` in
 * localStorage, else {@link deviceMemoryLimit} of the device's memory (tests lower it to see the
 * sampling offer).
 */
export function memoryLimit(
  search: string | undefined,
  stored: string | null | undefined,
  deviceMemoryGiB?: number,
): number {
  const fromUrl = search ? new URLSearchParams(search).get('memoryLimitMB') : null;
  for (const text of [fromUrl, stored]) {
    if (text === null || text === undefined || text.trim() === '') continue;
    const mb = Number(text);
    if (Number.isFinite(mb) && mb > 0) return Math.round(mb * 1024 * 1024);
  }
  return deviceMemoryLimit(deviceMemoryGiB);
}
