/** Node entry of the CLI: `npm run cli -- <command> [options]` (run through tsx, no build step). */
import { runCli } from './run.ts';
import type { IngestProgress } from '../core/ingest/types.ts';

const isTty = Boolean(process.stderr.isTTY);
let lastDraw = 0;

function progress(p: IngestProgress | null): void {
  if (!isTty) return;
  if (p === null) {
    process.stderr.write('\r\x1b[K');
    return;
  }
  const now = Date.now();
  if (now - lastDraw < 100) return;
  lastDraw = now;
  const pct = p.totalBytes ? ` ${Math.floor((100 * p.bytesRead) / p.totalBytes)}%` : '';
  process.stderr.write(`\r\x1b[K${p.phase}: ${p.rows.toLocaleString('en-US')} rows${pct}`);
}

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  progress,
});
process.exitCode = code;
