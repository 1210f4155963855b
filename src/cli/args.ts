/** Option values and inputs shared by the CLI commands, checked with the same one-line errors. */
import type { Task } from '../core/models/types.ts';
import type { IngestResult } from '../core/ingest/types.ts';
import { CliError } from './errors.ts';
import type { CliIO } from './commands/command.ts';

const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

/** `--task`: undefined when not given. */
export function parseTask(value: string | undefined): Task | undefined {
  if (value !== undefined && !TASKS.includes(value as Task)) {
    throw new CliError(`unknown task '${value}' (expected one of ${TASKS.join(', ')})`);
  }
  return value as Task | undefined;
}

export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed)) throw new CliError(`--seed must be a whole number, got '${value}'`);
  return seed;
}

/**
 * Reads a training CSV, checks that the target and the excluded columns exist, and settles the task
 * (given, or detected from the target).
 */
export async function readTrainingData(
  file: string,
  target: string,
  exclude: readonly string[],
  task: Task | undefined,
  io: CliIO,
): Promise<{ data: IngestResult; task: Task }> {
  const { ingestCsv } = await import('../core/ingest/index.ts');
  const { detectTask } = await import('../core/profile/index.ts');
  const { fileSource, nodeHasher } = await import('./node-io.ts');
  const data = await ingestCsv(fileSource(file), { createHasher: nodeHasher, onProgress: io.progress });
  io.progress?.(null);
  if (!data.schema.some((c) => c.name === target))
    throw new CliError(`target column '${target}' not found (${file})`);
  for (const c of exclude) {
    if (!data.schema.some((s) => s.name === c)) {
      throw new CliError(`--exclude names column '${c}', which is not in the file (${file})`);
    }
  }
  return { data, task: task ?? detectTask(data.table, target).task };
}
