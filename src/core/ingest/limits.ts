/** Hard limits: past these, ingest stops with a clear error instead of exhausting memory. */

/** Largest single field (bytes). */
export const MAX_FIELD_BYTES = 32 * 1024 * 1024;
/** Most fields in one row. */
export const MAX_COLUMNS = 100_000;
/** Bytes read at the start to detect the format. */
export const HEAD_BYTES = 64 * 1024;
/** Bytes (and rows) examined to guess column types. */
export const SAMPLE_BYTES = 512 * 1024;
export const SAMPLE_ROWS = 2000;
