/**
 * Micro-benchmark of the histogram kernel: row-major vs column-major binned data, and kernel variants.
 * Usage: tsx bench/gbdt/layout.ts [nRows] [nFeatures] [binsPerFeature]
 */
import { createRng } from '../../src/core/util/random.ts';

const n = Number(process.argv[2] ?? 16000);
const F = Number(process.argv[3] ?? 16);
const B = Number(process.argv[4] ?? 16);
const rng = createRng(1);
const rowMajor = new Uint8Array(n * F);
const colMajor = new Uint8Array(n * F);
for (let i = 0; i < n; i++) {
  for (let f = 0; f < F; f++) {
    const b = 1 + rng.int(B);
    rowMajor[i * F + f] = b;
    colMajor[f * n + i] = b;
  }
}
const off = Int32Array.from({ length: F + 1 }, (_, f) => f * (B + 1));
const T = off[F];
const gh = Float64Array.from({ length: 2 * n }, () => rng.normal());
const hist = new Float64Array(2 * T);
const histG = new Float64Array(T);
const histH = new Float64Array(T);
// Row subsets like tree nodes: 1/2, 1/4, ... of the rows (sorted index lists).
const subsets: Int32Array[] = [];
for (const frac of [1, 0.5, 0.25, 0.12, 0.06]) {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (rng.next() < frac) rows.push(i);
  subsets.push(Int32Array.from(rows));
}

function rowMajorKernel(idx: Int32Array): void {
  hist.fill(0);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    for (let f = 0; f < F; f++) {
      const j = (off[f] + rowMajor[base + f]) << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}
function rowMajorSplitArrays(idx: Int32Array): void {
  histG.fill(0);
  histH.fill(0);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    for (let f = 0; f < F; f++) {
      const j = off[f] + rowMajor[base + f];
      histG[j] += g;
      histH[j] += h;
    }
  }
}
function colMajorKernel(idx: Int32Array): void {
  hist.fill(0);
  const m = idx.length;
  for (let f = 0; f < F; f++) {
    const o = off[f];
    const col = f * n;
    for (let k = 0; k < m; k++) {
      const r = idx[k];
      const j = (o + colMajor[col + r]) << 1;
      hist[j] += gh[2 * r];
      hist[j + 1] += gh[2 * r + 1];
    }
  }
}
const globalIdx = new Uint16Array(n * F);
for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) globalIdx[i * F + f] = off[f] + rowMajor[i * F + f];
function rowMajorGlobalIndex(idx: Int32Array): void {
  histG.fill(0);
  histH.fill(0);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    for (let f = 0; f < F; f++) {
      const j = globalIdx[base + f];
      histG[j] += g;
      histH[j] += h;
    }
  }
}
function globalInterleavedUnrolled(idx: Int32Array): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = globalIdx[base + f] << 1;
      const j1 = globalIdx[base + f + 1] << 1;
      const j2 = globalIdx[base + f + 2] << 1;
      const j3 = globalIdx[base + f + 3] << 1;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j3] += g;
      hist[j3 + 1] += h;
    }
    for (; f < F; f++) {
      const j = globalIdx[base + f] << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}
function globalInterleaved(idx: Int32Array): void {
  hist.fill(0);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    const e = base + F;
    for (let q = base; q < e; q++) {
      const j = globalIdx[q] << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}
function rowMajorUnrolled(idx: Int32Array): void {
  histG.fill(0);
  histH.fill(0);
  const F4 = F & ~3;
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = off[f] + rowMajor[base + f];
      const j1 = off[f + 1] + rowMajor[base + f + 1];
      const j2 = off[f + 2] + rowMajor[base + f + 2];
      const j3 = off[f + 3] + rowMajor[base + f + 3];
      histG[j0] += g;
      histH[j0] += h;
      histG[j1] += g;
      histH[j1] += h;
      histG[j2] += g;
      histH[j2] += h;
      histG[j3] += g;
      histH[j3] += h;
    }
    for (; f < F; f++) {
      const j = off[f] + rowMajor[base + f];
      histG[j] += g;
      histH[j] += h;
    }
  }
}
// CPU time (robust to a loaded machine); the best of the rounds is reported.
const bestNs = new Map<string, number>();
function time(name: string, fn: (idx: Int32Array) => void): void {
  for (let w = 0; w < 20; w++) for (const s of subsets) fn(s);
  const reps = 100;
  const c0 = process.cpuUsage();
  let updates = 0;
  for (let r = 0; r < reps; r++) {
    for (const s of subsets) {
      fn(s);
      updates += s.length * F;
    }
  }
  const c = process.cpuUsage(c0);
  const ns = ((c.user + c.system) * 1e3) / updates;
  bestNs.set(name, Math.min(bestNs.get(name) ?? Infinity, ns));
}
for (let round = 0; round < 5; round++) {
  time('row-major interleaved g/h', rowMajorKernel);
  time('row-major separate g, h', rowMajorSplitArrays);
  time('row-major global u16 index', rowMajorGlobalIndex);
  time('row-major unrolled x4', rowMajorUnrolled);
  time('global interleaved x4', globalInterleavedUnrolled);
  time('global interleaved', globalInterleaved);
  time('column-major interleaved', colMajorKernel);
}
for (const [name, ns] of bestNs) console.log(`${name.padEnd(28)} ${ns.toFixed(2)} ns/update`);
