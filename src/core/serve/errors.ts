/**
 * Errors of the scoring server: an HTTP status, a stable code and a message saying what is wrong and
 * where (row, column). Rendered as one JSON object; never a stack trace.
 */

export type ServeErrorCode =
  | 'MALFORMED_JSON'
  | 'INVALID_INPUT'
  | 'EMPTY_BODY'
  | 'MISSING_COLUMNS'
  | 'UNKNOWN_COLUMNS'
  | 'DUPLICATE_COLUMNS'
  | 'BAD_VALUE'
  | 'BAD_CSV'
  | 'BAD_QUERY'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'LENGTH_REQUIRED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** Where in the request the problem is: `row` is the 0-based index of the row in the request. */
export interface ServeErrorDetails {
  readonly row?: number;
  readonly column?: string;
  readonly columns?: readonly string[];
  /** JSON bodies: 1-based line and column of a syntax error. */
  readonly line?: number;
  readonly position?: number;
  readonly expected?: string;
  readonly allow?: readonly string[];
  readonly limit?: number;
}

export class ServeError extends Error {
  readonly status: number;
  readonly code: ServeErrorCode;
  readonly details: ServeErrorDetails;
  constructor(status: number, code: ServeErrorCode, message: string, details: ServeErrorDetails = {}) {
    super(message);
    this.name = 'ServeError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The response body: `{"error_code", "status", "message", …details}` (MLflow's keys plus ours). */
  toJSON(): Record<string, unknown> {
    return { error_code: this.code, status: this.status, message: this.message, ...this.details };
  }
}

export const badInput = (message: string, details: ServeErrorDetails = {}) =>
  new ServeError(400, 'INVALID_INPUT', message, details);

/** A short, single-line rendering of a client's value for an error message (never logged). */
export function showValue(v: unknown): string {
  let s: string;
  if (v === undefined) s = 'nothing';
  else if (Array.isArray(v)) s = 'a list';
  else if (v !== null && typeof v === 'object') s = 'an object';
  else if (typeof v === 'string')
    s = `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  else s = typeof v === 'boolean' ? `the boolean ${v}` : String(v);
  return s;
}
