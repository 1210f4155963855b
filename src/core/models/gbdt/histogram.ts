/**
 * Histogram builder, JavaScript kernels (sklearn's _hist_gradient_boosting/histogram.pyx): gradient and
 * hessian sums (and row counts) per bin over the rows of a node, for every feature at once; a sibling's
 * histogram is its parent's minus the smaller child's (subtractInto). The WebAssembly kernels
 * (wasm/kernels.wat: hist2, hist3, subtract) compute the same sums in the same order, bit for bit; which
 * of them runs is the grow kernel's choice (grow-kernel.ts).
 *
 * Layout: one histogram is all features' bins end to end (feature f's bins at offsets[f] .. + nBins[f],
 * bin 0 = missing), interleaved [g, h] (stride 2) or [g, h, count] (stride 3) per bin.
 */

/* Histogram kernels: rows of a node × all features, unrolled by 4 features (measured ~20% faster in
 * bench/gbdt/layout.ts). Interleaved [g, h] (stride 2) or [g, h, count] (stride 3) per bin. */
export function buildHist2(
  hist: Float64Array,
  bins: Uint8Array,
  F: number,
  off: Int32Array,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = (off[f] + bins[base + f]) << 1;
      const j1 = (off[f + 1] + bins[base + f + 1]) << 1;
      const j2 = (off[f + 2] + bins[base + f + 2]) << 1;
      const j3 = (off[f + 3] + bins[base + f + 3]) << 1;
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
      const j = (off[f] + bins[base + f]) << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

/** Root with every row (idx = 0..n-1): sequential rows, no index indirection. */
export function buildHist2All(
  hist: Float64Array,
  bins: Uint8Array,
  F: number,
  off: Int32Array,
  n: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let r = 0; r < n; r++) {
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = (off[f] + bins[base + f]) << 1;
      const j1 = (off[f + 1] + bins[base + f + 1]) << 1;
      const j2 = (off[f + 2] + bins[base + f + 2]) << 1;
      const j3 = (off[f + 3] + bins[base + f + 3]) << 1;
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
      const j = (off[f] + bins[base + f]) << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

export function buildHist3(
  hist: Float64Array,
  bins: Uint8Array,
  F: number,
  off: Int32Array,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = (off[f] + bins[base + f]) * 3;
      const j1 = (off[f + 1] + bins[base + f + 1]) * 3;
      const j2 = (off[f + 2] + bins[base + f + 2]) * 3;
      const j3 = (off[f + 3] + bins[base + f + 3]) * 3;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j0 + 2] += 1;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j1 + 2] += 1;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j2 + 2] += 1;
      hist[j3] += g;
      hist[j3 + 1] += h;
      hist[j3 + 2] += 1;
    }
    for (; f < F; f++) {
      const j = (off[f] + bins[base + f]) * 3;
      hist[j] += g;
      hist[j + 1] += h;
      hist[j + 2] += 1;
    }
  }
}

/* Kernels on the global bin index (offsets[f] + bin, precomputed per row and feature as Uint16): one load
 * per update instead of offset + bin (measured ~35% faster in bench/gbdt/layout.ts). */
export function buildHistG2(
  hist: Float64Array,
  gbin: Uint16Array,
  F: number,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = gbin[base + f] << 1;
      const j1 = gbin[base + f + 1] << 1;
      const j2 = gbin[base + f + 2] << 1;
      const j3 = gbin[base + f + 3] << 1;
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
      const j = gbin[base + f] << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

/** Root with every row (idx = 0..n-1): sequential rows, no index indirection. */
export function buildHistG2All(
  hist: Float64Array,
  gbin: Uint16Array,
  F: number,
  n: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let r = 0; r < n; r++) {
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = gbin[base + f] << 1;
      const j1 = gbin[base + f + 1] << 1;
      const j2 = gbin[base + f + 2] << 1;
      const j3 = gbin[base + f + 3] << 1;
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
      const j = gbin[base + f] << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

export function buildHistG3(
  hist: Float64Array,
  gbin: Uint16Array,
  F: number,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = gbin[base + f] * 3;
      const j1 = gbin[base + f + 1] * 3;
      const j2 = gbin[base + f + 2] * 3;
      const j3 = gbin[base + f + 3] * 3;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j0 + 2] += 1;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j1 + 2] += 1;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j2 + 2] += 1;
      hist[j3] += g;
      hist[j3 + 1] += h;
      hist[j3 + 2] += 1;
    }
    for (; f < F; f++) {
      const j = gbin[base + f] * 3;
      hist[j] += g;
      hist[j + 1] += h;
      hist[j + 2] += 1;
    }
  }
}

export function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let j = 0; j < parent.length; j++) parent[j] -= child[j];
}
