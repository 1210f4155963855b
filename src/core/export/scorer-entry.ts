/**
 * Entry point of predict.mjs, the standalone scorer inside a bundle. It is bundled (with the real
 * ingest, pipeline and model code it imports, TensorFlow.js stubbed out: predictions are plain
 * JavaScript) into one dependency-free ES module by `buildScorerSource` (src/cli/bundle-io.ts).
 *
 *   node predict.mjs data.csv > predictions.csv
 *   node predict.mjs data.csv --out predictions.csv --explain [--top K]
 *   node predict.mjs customers.csv --table purchases=purchases.csv   (a model on recipe features)
 *
 * It reads the bundle files next to itself (the extracted zip or the bundle folder) and writes the
 * same CSV as `npm run cli -- predict`, and the same `note: …` lines on stderr (ignored columns,
 * cells that could not be read as the type the model was trained on). Exit status 0, or 2 with one
 * `error: …` line on stderr. `--explain` adds the same per-row reasons columns as `cli predict
 * --explain` (with its `--top`, `--permutations`, `--background` and `--seed`), computed by the same
 * code (src/core/explain/rows.ts, reasons.ts), so the two files are identical.
 */
import { bytesSource } from '../ingest/index.ts';
import { IngestError } from '../ingest/types.ts';
import { BUNDLE_FILES, BundleError, loadBundle } from './bundle.ts';
import { MissingColumnsError, scoreCsv } from './score.ts';
import { explainRows } from '../explain/rows.ts';
import { rowReasons, withReasonsCsv } from '../explain/reasons.ts';
import { ingestCsv } from '../ingest/index.ts';
import { checkScoringTables, scoreWithFeatures } from '../features/score.ts';
import type { Table } from '../data/table.ts';

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

const USAGE =
  'usage: node predict.mjs <data.csv> [--out predictions.csv] [--table NAME=FILE.csv ...]\n' +
  '       [--explain [--top K] [--permutations N] [--background N] [--seed N]]\n' +
  '  --table gives each related table a model trained on recipe features reads (as `cli predict`).\n' +
  '  --explain adds per row the K largest contributions to the output (default --top 3), as\n' +
  '  `cli predict --explain` does: explained_class, base_value, reason_k, reason_k_value,\n' +
  '  reason_k_contribution, other_contribution, explained_output.\n';

/** `--explain` and its options, as `cli predict` reads them; throws a usage error in words. */
function explainOptions(
  args: string[],
): { top: number; permutations: number; background: number; seed: number } | null {
  const explain = args.indexOf('--explain');
  if (explain >= 0) args.splice(explain, 1);
  const int = (name: string, min: number, max: number, dflt: number): number => {
    const at = args.indexOf(`--${name}`);
    if (at < 0) return dflt;
    const text = args[at + 1];
    args.splice(at, 2);
    if (explain < 0) throw new UsageError(`--${name} goes with --explain`);
    const v = Number(text);
    if (text === undefined || text === '' || !Number.isInteger(v) || v < min || v > max)
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${text ?? 'nothing'}`);
    return v;
  };
  const opts = {
    top: int('top', 1, 1000, 3),
    permutations: int('permutations', 2, 10_000, 8),
    background: int('background', 1, 10_000, 32),
    seed: int('seed', 0, 2 ** 31 - 1, 0),
  };
  return explain >= 0 ? opts : null;
}

class UsageError extends Error {}

/** Takes every `--table NAME=FILE.csv` out of args: name → file, in order. */
function tableOptions(args: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let at = args.indexOf('--table'); at >= 0; at = args.indexOf('--table')) {
    const spec = args[at + 1];
    args.splice(at, 2);
    const eq = spec?.indexOf('=') ?? -1;
    if (spec === undefined || eq <= 0 || eq === spec.length - 1)
      throw new UsageError(`bad --table '${spec ?? ''}' (expected NAME=FILE.csv)`);
    const name = spec.slice(0, eq);
    if (out.some(([n]) => n === name)) throw new UsageError(`two --table options are named '${name}'`);
    out.push([name, spec.slice(eq + 1)]);
  }
  return out;
}

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
  let explain: ReturnType<typeof explainOptions>;
  let tableFiles: [string, string][];
  try {
    tableFiles = tableOptions(args);
    explain = explainOptions(args);
  } catch (err) {
    proc.stderr.write(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
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
    const read = (path: string) => {
      if (!fs.existsSync(path)) throw new Error(`cannot read file: no such file (${path})`);
      return bytesSource(path.split(/[\\/]/).pop() ?? path, fs.readFileSync(path) as Uint8Array, 1 << 20);
    };
    const source = read(file);
    let result;
    if (bundle.features || tableFiles.length) {
      // Recipe features: computed from the related tables with the recorded recipe (as `cli predict`).
      const tables: Record<string, Table> = {};
      for (const [name, path] of tableFiles) tables[name] = (await ingestCsv(read(path))).table;
      checkScoringTables(bundle, tables);
      result = await scoreWithFeatures(bundle, source, tables);
    } else result = await scoreCsv(bundle, source);
    // The same notes as `cli predict`: ignored columns, unreadable cells (scored as missing), repairs.
    for (const note of result.notes) proc.stderr.write(`note: ${note}\n`);
    let text = result.csv;
    if (explain) {
      // as `cli predict --explain`: the same rows, reasons and columns
      const table = result.data.table;
      const { permutations, background, seed, top } = explain;
      const ex = explainRows(bundle, table, { permutations, background, seed });
      proc.stderr.write(`note: explanations: ${ex.description}\n`);
      for (const note of ex.notes) proc.stderr.write(`note: ${note}\n`);
      text = withReasonsCsv(result.csv, ex, rowReasons(ex, table, result.predictions, top), top);
    }
    if (out !== undefined) {
      const w = fs as unknown as { writeFileSync(p: string, t: string): void };
      w.writeFileSync(out, text);
    } else proc.stdout.write(text);
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
