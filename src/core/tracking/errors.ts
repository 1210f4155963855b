/** Typed errors of the tracking store. A failed `write` leaves the store exactly as it was. */
import { StudioError } from '../errors.ts';

export type StoreErrorCode =
  /** A referenced experiment/run/artifact/model/version/alias does not exist. */
  | 'NOT_FOUND'
  /** An id or unique name is already taken. */
  | 'ALREADY_EXISTS'
  /** Writing to a run that has already ended. */
  | 'RUN_FINISHED'
  /** Malformed input (bad name, non-finite metric, unknown op, …). */
  | 'INVALID'
  /** The operation would lose something still in use (e.g. deleting a run behind a model version). */
  | 'IN_USE'
  /** The browser's storage quota is exhausted; nothing of the failed batch was written. */
  | 'QUOTA_EXCEEDED'
  /** The underlying database failed for another reason. */
  | 'STORAGE';

export class StoreError extends StudioError {
  readonly kind = 'store';
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** Index of the offending op in the batch, when the error concerns one op. */
  readonly opIndex: number | undefined;

  constructor(code: StoreErrorCode, message: string, options?: { opIndex?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.opIndex = options?.opIndex;
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}

/** True for a quota error from IndexedDB/Dexie (DOMException or Dexie's wrapper, possibly nested). */
export function isQuotaError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const name = (cur as { name?: unknown }).name;
    if (name === 'QuotaExceededError') return true;
    const c = cur as { inner?: unknown; cause?: unknown };
    cur = c.inner ?? c.cause;
  }
  return false;
}

export function formatBytes(n: number | null): string {
  if (n === null) return 'unknown';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function quotaExceededError(
  opCount: number,
  usage: { usedBytes: number | null; quotaBytes: number | null } | null,
  cause: unknown,
): StoreError {
  const used =
    usage && usage.usedBytes !== null
      ? ` (${formatBytes(usage.usedBytes)} used of ${formatBytes(usage.quotaBytes)})`
      : '';
  return new StoreError(
    'QUOTA_EXCEEDED',
    `Browser storage is full${used}: the last ${opCount} write(s) were not saved. ` +
      'Everything saved earlier is intact. Free space by deleting old experiments or datasets, ' +
      'or allow this site more storage, then retry.',
    { cause },
  );
}
