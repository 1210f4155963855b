/**
 * One base for the errors the studio expects (bad input, data it cannot use, a training that cannot
 * run, a damaged bundle, a store that refuses), each with a kind, and ONE mapping from any thrown
 * value to what the user reads. The three workers and the CLI all use `describeError`, so an expected
 * error reads the same everywhere and only a real bug is called "unexpected".
 *
 * - 'input': what the user asked for is not possible (an option, a parameter, a request).
 * - 'data': the file's content cannot be used (unreadable cell, missing column, wrong type).
 * - 'training': the model could not be trained on this data with these settings.
 * - 'bundle': a model bundle is damaged, altered or from another tool.
 * - 'store': the tracking database refused (full disk, newer schema, conflict).
 * - 'cancelled': the user stopped it.
 */
export type ErrorKind = 'input' | 'data' | 'training' | 'bundle' | 'store' | 'cancelled';

export abstract class StudioError extends Error {
  abstract readonly kind: ErrorKind;
  /** The message the user reads (subclasses add where: file, row, column). */
  describe(): string {
    return this.message;
  }
}

export interface DescribedError {
  /** 'internal' for anything the code did not expect (a bug): the message says so. */
  readonly kind: ErrorKind | 'internal';
  readonly message: string;
}

/** What the user reads for any thrown value: one line, never a stack trace. */
export function describeError(err: unknown, during = 'working'): DescribedError {
  if (err instanceof StudioError) return { kind: err.kind, message: err.describe() };
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return { kind: 'cancelled', message: 'cancelled' };
  const reason = err instanceof Error ? err.message : String(err);
  return { kind: 'internal', message: `Unexpected error while ${during}: ${reason.split('\n')[0]}` };
}
