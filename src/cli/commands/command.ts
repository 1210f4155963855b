import type { IngestProgress } from '../../core/ingest/types.ts';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress display (stderr, only on a terminal); null clears it. */
  progress?: (p: IngestProgress | null) => void;
}

/** A CLI sub-command, registered under a stable name. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** stdout is data (e.g. CSV predictions) written as is; otherwise it is made terminal-safe (terminal.ts). */
  readonly rawStdout?: boolean;
  run(argv: string[], io: CliIO): Promise<number>;
}
