import type { Random } from '../random.js';
import { sharedArray } from './parallel.js';

/**
 * Bin edges per feature. Bin 0 holds missing values; value bins are 1..k, where bin b holds
 * x ≤ edges[b - 1] (and > edges[b - 2]); the last bin is open above. Edges are float32 values
 * and inputs are compared as float32, so a split `bin ≤ b` is exactly the ONNX rule
 * `x ≤ edges[b - 1]` (BRANCH_LEQ) on the model's float input.
 */
export interface BinCuts {
  readonly edges: readonly Float32Array[];
}

/** A uint8 bin matrix in column-major order (feature j's rows at j·rows … (j+1)·rows − 1). */
export interface BinnedMatrix {
  readonly rows: number;
  readonly features: number;
  readonly bins: Uint8Array;
  readonly cuts: BinCuts;
}

const f32 = Math.fround;

/**
 * Chooses bin edges from (a seeded sample of) the rows: every distinct value gets a bin when there
 * are few, otherwise edges sit at quantiles.
 */
export async function computeCuts(
  columns: readonly ArrayLike<number>[],
  maxBins: number,
  random: Random,
  pause: () => Promise<void> = async () => {},
  sampleRows = 200_000,
): Promise<BinCuts> {
  const valueBins = Math.min(Math.max(Math.floor(maxBins), 2), 256) - 1;
  const n = columns[0]?.length ?? 0;
  let sample: Uint32Array | undefined;
  if (n > sampleRows) {
    sample = new Uint32Array(sampleRows);
    for (let i = 0; i < sampleRows; i++) sample[i] = random.int(n);
  }
  const edges: Float32Array[] = [];
  for (const col of columns) {
    await pause();
    edges.push(columnCuts(col, n, valueBins, sample));
  }
  return { edges };
}

function columnCuts(col: ArrayLike<number>, n: number, valueBins: number, sample: Uint32Array | undefined): Float32Array {
  const m = sample ? sample.length : n;
  const values = new Float32Array(m);
  let k = 0;
  for (let i = 0; i < m; i++) {
    const v = col[sample ? (sample[i] as number) : i] as number;
    if (!Number.isNaN(v)) values[k++] = v;
  }
  const sorted = values.subarray(0, k).sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  if (distinct.length <= 1) return new Float32Array(0);
  const cut: number[] = [];
  if (distinct.length <= valueBins) {
    for (let i = 0; i + 1 < distinct.length; i++) cut.push(midpoint(distinct[i] as number, distinct[i + 1] as number));
  } else {
    // Walk the distinct values, closing a bin once it holds its share of the rows.
    const share = sorted.length / valueBins;
    let acc = 0;
    let target = share;
    for (let i = 0; i + 1 < distinct.length && cut.length < valueBins - 1; i++) {
      acc += counts[i] as number;
      if (acc >= target) {
        cut.push(midpoint(distinct[i] as number, distinct[i + 1] as number));
        target = acc + share;
      }
    }
  }
  return Float32Array.from(cut);
}

/** A float32 edge between two adjacent float32 values a < b, with a ≤ edge < b. */
function midpoint(a: number, b: number): number {
  const m = f32((a + b) / 2);
  return m >= b ? a : m;
}

/** Bins columns with the given cuts into a column-major uint8 matrix (on shared memory when a helper thread will read it). */
export async function applyCuts(
  columns: readonly ArrayLike<number>[],
  cuts: BinCuts,
  shared = false,
  pause: () => Promise<void> = async () => {},
): Promise<BinnedMatrix> {
  const n = columns[0]?.length ?? 0;
  const features = columns.length;
  const bins = shared ? sharedArray(Uint8Array, n * features) : new Uint8Array(n * features);
  for (let j = 0; j < features; j++) {
    await pause();
    const col = columns[j] as ArrayLike<number>;
    const edges = cuts.edges[j] as Float32Array;
    const offset = j * n;
    const count = edges.length;
    for (let i = 0; i < n; i++) {
      const v = col[i] as number;
      if (Number.isNaN(v)) continue; // bin 0
      const x = f32(v);
      let lo = 0;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (x <= (edges[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      bins[offset + i] = lo + 1;
    }
  }
  return { rows: n, features, bins, cuts };
}
