/**
 * Shared by the ONNX tests and bench: run an exported graph in onnxruntime-node on a table, compare
 * with our predictions, and run Debian's onnx checker on the file.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Table } from '../../../src/core/data/table.ts';
import { onnxFeeds, type OnnxExport } from '../../../src/core/export/onnx/index.ts';

type Ort = typeof import('onnxruntime-node');
export const ort: Ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;

export const PY = '/usr/bin/python3';
export const hasPythonOnnx = (() => {
  try {
    execFileSync(PY, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// A checker that is missing verifies nothing: in CI (which installs python3-onnx) that is an error.
if (!hasPythonOnnx && process.env.CI) throw new Error('CI must install python3-onnx (see .ci/run)');

export interface OnnxOutputs {
  readonly label?: string[];
  readonly probabilities?: Float64Array;
  readonly variable?: Float64Array;
}

/** Runs the exported graph on the table's columns (one 1-D tensor per input). */
export async function runOnnx(exp: OnnxExport, table: Table): Promise<OnnxOutputs> {
  const session = await ort.InferenceSession.create(exp.bytes);
  try {
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, f] of Object.entries(onnxFeeds(table, exp.inputs)))
      feeds[name] =
        f.kind === 'string'
          ? new ort.Tensor('string', f.data, [f.data.length])
          : f.kind === 'float'
            ? new ort.Tensor('float32', f.data, [f.data.length])
            : new ort.Tensor('float64', f.data, [f.data.length]);
    const out = await session.run(feeds);
    return {
      ...(out.label ? { label: out.label.data as string[] } : {}),
      ...(out.probabilities ? { probabilities: out.probabilities.data as Float64Array } : {}),
      ...(out.variable ? { variable: out.variable.data as Float64Array } : {}),
    };
  } finally {
    await session.release();
  }
}

/** onnx.checker.check_model on the file (throws with the checker's message when it fails). */
export function checkWithPythonOnnx(bytes: Uint8Array, path: string): void {
  writeFileSync(path, bytes);
  execFileSync(
    PY,
    ['-c', 'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m); print("ok")', path],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Largest |a − b| / max(1, |b|) (relative above 1: a float32 output of large values). */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
