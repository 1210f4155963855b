/**
 * ONNX parity over every dataset (issue 19's acceptance): for each dataset of `../shared/datasets`
 * (or DATASETS_DIR; the vendored subset otherwise) and each family (GBDT, random forest, linear, MLP)
 * plus a weighted ensemble of the GBDT, linear and RF members with their own pipelines: fit a small
 * model, export it as ONNX, run it in onnxruntime-node on the test split and compare with our
 * `predict` (largest |Δ| / max(1, scale) over probabilities or values, the scale being |ours| or, for
 * an ensemble, Σ weight·|member's value|: the tree operator's float32 output is exact to ~6e-8 of
 * what it sums; labels that differ), and run
 * Debian's onnx checker on the file. A refusal (OnnxExportError) is reported as such.
 *
 * Usage: npx tsx bench/serve/onnx-parity.ts [--datasets a,b] [--families gbdt,rf,linear,mlp,ensemble]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../../src/cli/run.ts';
import { loadBundleArg } from '../../src/cli/bundle-io.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { predictTable, type LoadedBundle } from '../../src/core/export/bundle.ts';
import { readForScoring } from '../../src/core/export/score.ts';
import { bundleToOnnx, onnxFeeds, OnnxExportError } from '../../src/core/export/onnx/index.ts';
import { EnsembleModel } from '../../src/core/search/ensemble.ts';
import type { FittedPipeline } from '../../src/core/pipeline/pipeline.ts';
import { datasetsDir } from '../../test/helpers/paths.ts';

type Ort = typeof import('onnxruntime-node');
const ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;

const { values } = parseArgs({
  options: {
    datasets: { type: 'string' },
    families: { type: 'string', default: 'gbdt,rf,linear,mlp,ensemble' },
  },
});
const root = datasetsDir();
const meta = JSON.parse(readFileSync(join(root, 'datasets.json'), 'utf8')) as {
  name: string;
  target: string;
  path?: string;
}[];
const wanted = values.datasets ? new Set(values.datasets.split(',')) : null;
const families = values.families!.split(',');
const dir = mkdtempSync(join(tmpdir(), 'bench-onnx-parity-'));
const PARAMS: Record<string, Record<string, unknown>> = {
  gbdt: { rounds: 30 },
  rf: { rounds: 15 },
  linear: { epochs: 3 },
  mlp: { epochs: 3, hidden: [32, 16] },
};

async function fit(train: string, target: string, family: string, out: string): Promise<LoadedBundle> {
  let err = '';
  const code = await runCli(
    [
      'fit',
      train,
      '--target',
      target,
      '--out',
      out,
      '--model',
      family,
      '--params',
      JSON.stringify(PARAMS[family]),
      '--no-track',
    ],
    { stdout: () => {}, stderr: (t) => void (err += t) },
  );
  if (code !== 0) throw new Error(`fit ${family}: ${err.trim()}`);
  return loadBundleArg(out);
}

function checker(bytes: Uint8Array, path: string): string {
  writeFileSync(path, bytes);
  try {
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))', path],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return 'ok';
  } catch (e) {
    return `FAIL ${String((e as { stderr?: Buffer }).stderr ?? e)
      .trim()
      .split('\n')
      .at(-1)}`;
  }
}

const lines: string[] = [];
let failures = 0;
for (const d of meta) {
  if (wanted && !wanted.has(d.name)) continue;
  const base = join(root, d.name);
  const made: Record<string, LoadedBundle> = {};
  for (const family of families) {
    const label = `${d.name.padEnd(18)} ${family.padEnd(8)}`;
    try {
      let bundle: LoadedBundle;
      if (family === 'ensemble') {
        const parts = ['gbdt', 'linear', 'rf'].filter((f) => made[f]);
        if (parts.length < 2) continue;
        const weights = parts.map((_, k) => (k === 0 ? 0.5 : 0.5 / (parts.length - 1)));
        const ens = new EnsembleModel(
          made[parts[0]!]!.manifest.task,
          made[parts[0]!]!.model.nClasses,
          parts.map((f) => made[f]!.pipeline as FittedPipeline),
          parts.map((f, k) => ({ weight: weights[k]!, pipeline: k, model: made[f]!.model })),
        );
        bundle = { ...made[parts[0]!]!, pipeline: null, model: ens };
      } else {
        bundle = await fit(join(base, 'train.csv'), d.target, family, join(dir, `${d.name}-${family}`));
        made[family] = bundle;
      }
      const exp = bundleToOnnx(bundle);
      const check = checker(exp.bytes, join(dir, `${d.name}-${family}.onnx`));
      const { data } = await readForScoring(bundle, fileSource(join(base, 'test.csv')), {
        createHasher: nodeHasher,
      });
      const table = data.table;
      const ours = predictTable(bundle, table);
      const session = await ort.InferenceSession.create(exp.bytes);
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const [name, f] of Object.entries(onnxFeeds(table, exp.inputs)))
        feeds[name] = new ort.Tensor(
          f.kind === 'string' ? 'string' : f.kind === 'float' ? 'float32' : 'float64',
          f.data,
          [f.data.length],
        );
      const out = await session.run(feeds);
      await session.release();
      const got = (out.probabilities ?? out.variable)!.data as Float64Array;
      // The scale of each value: |ours|, or for an ensemble the sum of its weighted members' |values|
      // (a weighted sum of large values that nearly cancel carries their float32 rounding).
      const scale = Float64Array.from(ours.values, Math.abs);
      if (bundle.model instanceof EnsembleModel) {
        scale.fill(0);
        const ens = bundle.model;
        const { transformTable } = await import('../../src/core/pipeline/pipeline.ts');
        for (const m of ens.members) {
          const p = m.model.predict(transformTable(ens.pipelines[m.pipeline]!, table));
          for (let i = 0; i < scale.length; i++) scale[i] += m.weight * Math.abs(p[i]!);
        }
      }
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(got[i]! - ours.values[i]!) / Math.max(1, scale[i]!));
      if (got.length !== ours.values.length) maxDiff = Infinity;
      let labels = 0;
      if (out.label) {
        const classes = bundle.manifest.classes!;
        (out.label.data as string[]).forEach((l, i) => (labels += l === classes[ours.labels![i]!] ? 0 : 1));
      }
      const ok = maxDiff <= 1e-5 && labels === 0 && check === 'ok';
      if (!ok) failures++;
      lines.push(
        `${label} ${String(table.nRows).padStart(6)} rows  max|Δ| ${maxDiff.toExponential(1).padStart(8)}  ` +
          `labels differing ${labels}  checker ${check}  ${ok ? 'OK' : 'MISMATCH'}`,
      );
    } catch (err) {
      const refused = err instanceof OnnxExportError;
      if (!refused) failures++;
      lines.push(`${label} ${refused ? 'refused' : 'ERROR'}: ${(err as Error).message}`);
    }
    process.stderr.write(`${lines.at(-1)}\n`);
  }
}
process.stdout.write(`${lines.join('\n')}\n${failures} mismatch(es) or error(s)\n`);
process.exitCode = failures ? 1 : 0;
