/**
 * Adds rows `index[start … start + m)` into `hist` for features `features[from … to)`: for each
 * feature, (gradient, hessian) pairs `gh[2k], gh[2k + 1]` are summed per bin.
 *
 * Self-contained on purpose (no imports, no closures): the same source runs in a worker thread,
 * which receives it as text, so both threads compute every feature's histogram identically.
 */
export function histogramKernel(
  bins: Uint8Array,
  n: number,
  index: Uint32Array,
  start: number,
  m: number,
  gh: Float64Array,
  hist: Float64Array,
  offsets: Int32Array,
  features: Int32Array,
  from: number,
  to: number,
): void {
  const rows = index.subarray(start, start + m);
  // Four features per pass: each row index and gradient pair is read once for four histograms,
  // which roughly halves the time of this, the hottest loop of training.
  let f = from;
  for (; f + 4 <= to; f += 4) {
    const j0 = features[f] as number;
    const j1 = features[f + 1] as number;
    const j2 = features[f + 2] as number;
    const j3 = features[f + 3] as number;
    const c0 = j0 * n;
    const c1 = j1 * n;
    const c2 = j2 * n;
    const c3 = j3 * n;
    const o0 = 2 * (offsets[j0] as number);
    const o1 = 2 * (offsets[j1] as number);
    const o2 = 2 * (offsets[j2] as number);
    const o3 = 2 * (offsets[j3] as number);
    for (let k = 0; k < m; k++) {
      const r = rows[k] as number;
      const gv = gh[2 * k] as number;
      const hv = gh[2 * k + 1] as number;
      let b = o0 + 2 * (bins[c0 + r] as number);
      hist[b] = (hist[b] as number) + gv;
      hist[b + 1] = (hist[b + 1] as number) + hv;
      b = o1 + 2 * (bins[c1 + r] as number);
      hist[b] = (hist[b] as number) + gv;
      hist[b + 1] = (hist[b + 1] as number) + hv;
      b = o2 + 2 * (bins[c2 + r] as number);
      hist[b] = (hist[b] as number) + gv;
      hist[b + 1] = (hist[b + 1] as number) + hv;
      b = o3 + 2 * (bins[c3 + r] as number);
      hist[b] = (hist[b] as number) + gv;
      hist[b + 1] = (hist[b + 1] as number) + hv;
    }
  }
  for (; f < to; f++) {
    const j = features[f] as number;
    const c = j * n;
    const o = 2 * (offsets[j] as number);
    for (let k = 0; k < m; k++) {
      const b = o + 2 * (bins[c + (rows[k] as number)] as number);
      hist[b] = (hist[b] as number) + (gh[2 * k] as number);
      hist[b + 1] = (hist[b + 1] as number) + (gh[2 * k + 1] as number);
    }
  }
}
