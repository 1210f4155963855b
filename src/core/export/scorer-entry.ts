/**
 * Entry point of predict.mjs, the standalone scorer inside a bundle. It is bundled (with the real
 * ingest, pipeline and model code it imports, TensorFlow.js stubbed out: predictions are plain
 * JavaScript) into one dependency-free ES module by `buildScorerSource` (src/cli/bundle-io.ts).
 *
 *   node predict.mjs data.csv > predictions.csv
 *
 * It reads the bundle files next to itself (the extracted zip or the bundle folder) and writes the
 * same CSV as `npm run cli -- predict`, and the same `note: …` lines on stderr (ignored columns,
 * cells that could not be read as the type the model was trained on). Exit status 0, or 2 with one
 * `error: …` line on stderr.
 */
import { bytesSource } from '../ingest/index.ts';
import { IngestError } from '../ingest/types.ts';
import { BUNDLE_FILES, BundleError, loadBundle } from './bundle.ts';
import { MissingColumnsError, scoreCsv } from './score.ts';

interface NodeFs {
  existsSync(p: URL | string): boolean;
  readFileSync(p: URL | string, enc?: 'utf8'): string | Uint8Array;
}
interface NodeProcess {
  argv: string[];
  exitCode?: number;
  stdout: { write(t: string): boolean };
  stderr: { write(t: string): boolean };
}

const USAGE = 'usage: node predict.mjs <data.csv> [--out predictions.csv]\n';

/** Runs the scorer; `here` is the URL of the folder holding the bundle files. */
export async function runScorer(here: URL): Promise<number> {
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  // Not analysable by bundlers: predict.mjs imports Node's fs only when it runs.
  const fsName = ['node', 'fs'].join(':');
  const fs = (await import(/* @vite-ignore */ fsName)) as NodeFs;
  const args = proc.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    proc.stdout.write(USAGE);
    return 0;
  }
  let out: string | undefined;
  const at = args.indexOf('--out');
  if (at >= 0) {
    out = args[at + 1];
    args.splice(at, 2);
  }
  if (args.length !== 1 || out === '') {
    proc.stderr.write(USAGE);
    return 2;
  }
  const file = args[0];
  try {
    const files: Record<string, string | undefined> = {};
    for (const name of BUNDLE_FILES) {
      if (name === 'predict.mjs') continue;
      const url = new URL(name, here);
      if (fs.existsSync(url)) files[name] = fs.readFileSync(url, 'utf8') as string;
    }
    const bundle = loadBundle(files);
    if (!fs.existsSync(file)) throw new Error(`cannot read file: no such file (${file})`);
    const bytes = fs.readFileSync(file) as Uint8Array;
    const name = file.split(/[\\/]/).pop() ?? file;
    const result = await scoreCsv(bundle, bytesSource(name, bytes, 1 << 20));
    // The same notes as `cli predict`: ignored columns, unreadable cells (scored as missing), repairs.
    for (const note of result.notes) proc.stderr.write(`note: ${note}\n`);
    if (out !== undefined) {
      const w = fs as unknown as { writeFileSync(p: string, t: string): void };
      w.writeFileSync(out, result.csv);
    } else proc.stdout.write(result.csv);
    return 0;
  } catch (err) {
    let msg: string;
    if (err instanceof IngestError) msg = err.describe();
    else if (err instanceof MissingColumnsError) msg = `${file} ${err.message}`;
    else if (err instanceof BundleError) msg = `${err.message} (bundle next to predict.mjs)`;
    else msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    proc.stderr.write(`error: ${msg}\n`);
    return 2;
  }
}
