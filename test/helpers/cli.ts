/** Runs the CLI in-process and captures what it printed (for tests). */
import { runCli } from '../../src/cli/run.ts';

export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}
