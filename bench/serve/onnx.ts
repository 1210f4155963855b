/**
 * ONNX benchmark (issue 19): rows/s of onnxruntime-node running our exported graph vs our own
 * in-process `predict` (pipeline + model, the code `cli predict` runs) on the same test split, for a
 * GBDT on diamonds (regression) and letter (26 classes). Both sides start from the table already read
 * (our reader), so only transform + model time is compared; the ONNX side includes building its input
 * tensors. Prints a table and the ratio onnxruntime / ours (> 1: onnxruntime is faster). onnxruntime
 * runs on one thread by default (`--threads`), as our predict does.
 *
 * Usage: npx tsx bench/serve/onnx.ts [--rounds 100] [--repeats 5] [--datasets diamonds,letter] [--threads 1]
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../../src/cli/run.ts';
import { loadBundleArg } from '../../src/cli/bundle-io.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { predictTable } from '../../src/core/export/bundle.ts';
import { readForScoring } from '../../src/core/export/score.ts';
import { bundleToOnnx, onnxFeeds } from '../../src/core/export/onnx/index.ts';

type Ort = typeof import('onnxruntime-node');
const ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;

const ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '100' },
    repeats: { type: 'string', default: '5' },
    datasets: { type: 'string', default: 'diamonds,letter' },
    threads: { type: 'string', default: '1' },
  },
});
const TARGETS: Record<string, string> = { diamonds: 'price', letter: 'lettr' };
const dir = mkdtempSync(join(tmpdir(), 'bench-onnx-'));
const repeats = Number(values.repeats);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: string[] = [];
for (const name of values.datasets!.split(',')) {
  const data = join(ROOT, 'test/fixtures/datasets', name);
  const out = join(dir, name);
  let err = '';
  const code = await runCli(
    [
      'fit',
      join(data, 'train.csv'),
      '--target',
      TARGETS[name] ?? 'target',
      '--out',
      out,
      '--params',
      JSON.stringify({ rounds: Number(values.rounds) }),
      '--no-track',
    ],
    { stdout: () => {}, stderr: (t) => void (err += t) },
  );
  if (code !== 0) throw new Error(`fit ${name}: ${err}`);
  const bundle = loadBundleArg(out);
  const { data: read } = await readForScoring(bundle, fileSource(join(data, 'test.csv')), {
    createHasher: nodeHasher,
  });
  const table = read.table;
  const exp = bundleToOnnx(bundle);
  const threads = Number(values.threads);
  const session = await ort.InferenceSession.create(
    exp.bytes,
    threads > 0 ? { intraOpNumThreads: threads } : {},
  );
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    predictTable(bundle, table);
    ours.push(performance.now() - t);
    t = performance.now();
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [col, f] of Object.entries(onnxFeeds(table, exp.inputs)))
      feeds[col] = new ort.Tensor(
        f.kind === 'string' ? 'string' : f.kind === 'float' ? 'float32' : 'float64',
        f.data,
        [f.data.length],
      );
    await session.run(feeds);
    theirs.push(performance.now() - t);
  }
  await session.release();
  const n = table.nRows;
  const oursRate = n / (median(ours) / 1000);
  const ortRate = n / (median(theirs) / 1000);
  rows.push(
    `${name.padEnd(10)} ${String(n).padStart(6)} rows  ours ${oursRate.toFixed(0).padStart(9)} rows/s  ` +
      `onnxruntime ${ortRate.toFixed(0).padStart(9)} rows/s  ratio ${(ortRate / oursRate).toFixed(2)}  ` +
      `(${exp.bytes.length} bytes)`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
process.stdout.write(
  `GBDT, ${values.rounds} rounds, median of ${repeats}, onnxruntime threads ${values.threads}; ` +
    `ratio = onnxruntime rows/s ÷ ours\n${rows.join('\n')}\n`,
);
