/** The CLI's dispatcher, separate from process handling so tests can run it in-process. */
import { describeError } from '../core/errors.ts';
import { CliError } from './errors.ts';
import { terminalLine, terminalSafe } from './terminal.ts';
import type { CliIO, Command } from './commands/command.ts';
import { profileCommand } from './commands/profile.ts';
import { fitCommand } from './commands/fit.ts';
import { predictCommand } from './commands/predict.ts';
import { runsCommand } from './commands/runs.ts';
import { automlCommand } from './commands/automl.ts';
import { exportCommand } from './commands/export.ts';
import { reproduceCommand } from './commands/reproduce.ts';
import { monitorCommand } from './commands/monitor.ts';
import { explainCommand } from './commands/explain.ts';
import { serveCommand } from './commands/serve.ts';
import { featuresCommand } from './commands/features.ts';

export const COMMANDS: readonly Command[] = [
  profileCommand,
  fitCommand,
  automlCommand,
  predictCommand,
  serveCommand,
  exportCommand,
  reproduceCommand,
  monitorCommand,
  explainCommand,
  featuresCommand,
  runsCommand,
];

export function usage(): string {
  const lines = ['usage: npm run cli -- <command> [options]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'npm run cli -- <command> --help' for a command's options.");
  return lines.join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 a negative verdict, 2 bad input or usage). */
export async function runCli(argv: string[], rawIo: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  // Every printed text is made terminal-safe (control characters in user text escaped), except a
  // command's data output (rawStdout).
  const command = COMMANDS.find((c) => c.name === name);
  const io: CliIO = {
    ...rawIo,
    stdout: command?.rawStdout ? rawIo.stdout : (t) => rawIo.stdout(terminalSafe(t)),
    stderr: (t) => rawIo.stderr(terminalSafe(t)),
  };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage() + '\n');
    return name ? 0 : 2;
  }
  if (!command) {
    io.stderr(
      `error: unknown command '${terminalLine(name)}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`usage: npm run cli -- ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr(`error: ${terminalLine(errorLine(err, command.name))}\n`);
    return err instanceof CliError ? err.exitCode : 2;
  }
}

/** One line, never a stack trace (src/core/errors.ts: the same words as in the studio). */
export function errorLine(err: unknown, command?: string): string {
  const code = (err as { code?: string } | null)?.code;
  if (code && code.startsWith('ERR_PARSE_ARGS')) return (err as Error).message.split('\n')[0];
  return describeError(err, command ? `running ${command}` : 'working').message;
}
