import type { Random } from '../random.js';
import type { BinnedMatrix } from './binning.js';
import { histogramKernel } from './histogram-kernel.js';
import { createHistogramHelper, type HistogramHelper, sharedArray } from './parallel.js';

/** Growth limits and regularisation of one tree. */
export interface TreeParams {
  /** Deepest split level (root = depth 0). */
  readonly maxDepth: number;
  /** Most leaves; 0 = limited by depth only. With a limit, the best-gain leaf is split first. */
  readonly maxLeaves: number;
  /** Least hessian (row weight for forests) in each child. */
  readonly minChildWeight: number;
  /** L2 penalty on leaf values. */
  readonly lambda: number;
  /** Least loss reduction for a split. */
  readonly gamma: number;
  /** Multiplier of leaf values (shrinkage). */
  readonly learningRate: number;
  /** Features tried at each split, as a count (0 = all of the tree's features). */
  readonly featuresPerSplit: number;
}

/** A tree grown on binned data, with float32 thresholds for raw inputs. */
export interface Tree {
  /** Split feature per node, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Split bin: bins 1..bin go left. */
  readonly bin: Uint8Array;
  /** The same rule on raw inputs: x ≤ threshold goes left. */
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when missing values go left. */
  readonly missingLeft: Uint8Array;
  /** Leaf output (learning rate applied); 0 on splits. */
  readonly value: Float64Array;
  /** Sum of hessians (forests: weighted rows) that reached each node. */
  readonly cover: Float64Array;
  /** Loss reduction of each split; 0 on leaves. */
  readonly gain: Float64Array;
}

/** Rows from which a helper thread is worth starting (per training set and per node). */
const MIN_PARALLEL_ROWS = 50_000;
const MIN_PARALLEL_NODE_ROWS = 8_192;

interface OpenNode {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly g: number;
  readonly h: number;
  hist: Float64Array | undefined;
  split: Split | undefined;
}

interface Split {
  readonly feature: number;
  readonly bin: number;
  readonly missingLeft: boolean;
  readonly gain: number;
  readonly gl: number;
  readonly hl: number;
}

/**
 * Grows regression trees on gradients and hessians over a binned matrix: histograms per node
 * (only the smaller child is built; its sibling is the parent minus it), rows partitioned in
 * place in one index buffer, buffers reused from tree to tree.
 */
export class TreeBuilder {
  readonly matrix: BinnedMatrix;
  /** Row indices; after {@link build}, each leaf owns a contiguous range of it. */
  readonly index: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly gathered: Float64Array;
  private readonly offsets: Int32Array;
  private readonly binCounts: Int32Array;
  private readonly histSize: number;
  private readonly pool: Float64Array[] = [];
  /** Leaf ranges of the last tree: [node, start, end] triples. */
  leafRanges: number[] = [];
  private rows = 0;

  private helper: HistogramHelper | undefined;

  /**
   * A builder whose histograms are split over two threads when `threads` is 2 and the data is large
   * (the matrix must then be on shared memory, see `applyCuts`). Call {@link close} when done.
   */
  static async create(matrix: BinnedMatrix, threads = 1): Promise<TreeBuilder> {
    const parallel =
      threads >= 2 && matrix.rows >= MIN_PARALLEL_ROWS && matrix.features >= 8 && matrix.bins.buffer instanceof SharedArrayBuffer;
    const builder = new TreeBuilder(matrix, parallel);
    if (parallel) {
      builder.helper = await createHistogramHelper({
        bins: matrix.bins,
        rows: matrix.rows,
        index: builder.index,
        gathered: builder.gathered,
        offsets: builder.offsets,
        histSize: builder.histSize,
      });
    }
    return builder;
  }

  constructor(matrix: BinnedMatrix, shared = false) {
    this.matrix = matrix;
    this.index = shared ? sharedArray(Uint32Array, matrix.rows) : new Uint32Array(matrix.rows);
    this.scratch = new Uint32Array(matrix.rows);
    this.gathered = shared ? sharedArray(Float64Array, 2 * matrix.rows) : new Float64Array(2 * matrix.rows);
    this.offsets = shared ? sharedArray(Int32Array, matrix.features + 1) : new Int32Array(matrix.features + 1);
    this.binCounts = new Int32Array(matrix.features);
    let total = 0;
    for (let j = 0; j < matrix.features; j++) {
      this.offsets[j] = total;
      const k = (matrix.cuts.edges[j] as Float32Array).length + 2; // missing bin + value bins
      this.binCounts[j] = k;
      total += k;
    }
    this.offsets[matrix.features] = total;
    this.histSize = 2 * total;
  }

  /**
   * Grows one tree on the first `rows` entries of {@link index} (filled by the caller), using
   * gradients `g` and hessians `h` indexed by row, over the given features. `pause` runs between
   * node splits, so a large tree does not hold the event loop (and a cancellation) for long.
   */
  async build(
    g: ArrayLike<number>,
    h: ArrayLike<number>,
    rows: number,
    features: Int32Array,
    params: TreeParams,
    random: Random,
    pause: () => Promise<void> = async () => {},
  ): Promise<Tree> {
    this.rows = rows;
    this.leafRanges = [];
    const nodes = {
      feature: [] as number[],
      bin: [] as number[],
      left: [] as number[],
      right: [] as number[],
      missingLeft: [] as number[],
      value: [] as number[],
      cover: [] as number[],
      gain: [] as number[],
    };
    const addNode = (gs: number, hs: number) => {
      nodes.feature.push(-1);
      nodes.bin.push(0);
      nodes.left.push(-1);
      nodes.right.push(-1);
      nodes.missingLeft.push(0);
      nodes.value.push(leafValue(gs, hs, params));
      nodes.cover.push(hs);
      nodes.gain.push(0);
      return nodes.feature.length - 1;
    };
    let gs = 0;
    let hs = 0;
    const index = this.index;
    for (let k = 0; k < rows; k++) {
      const r = index[k] as number;
      gs += g[r] as number;
      hs += h[r] as number;
    }
    const canSplit = (n: OpenNode) => n.depth < params.maxDepth && n.end - n.start >= 2 && n.h >= 2 * params.minChildWeight && n.h > 0;
    const root: OpenNode = { id: addNode(gs, hs), start: 0, end: rows, depth: 0, g: gs, h: hs, hist: undefined, split: undefined };
    const open: OpenNode[] = [];
    if (canSplit(root)) {
      root.hist = this.histogram(g, h, root.start, root.end, features);
      root.split = this.findSplit(root, features, params, random);
    }
    open.push(root);
    let leaves = 1;
    const lossguide = params.maxLeaves > 0;
    while (open.length > 0) {
      await pause();
      // Without a leaf limit the order does not change the tree, and depth-first keeps few histograms alive.
      let pick = open.length - 1;
      if (lossguide) {
        let best = -1;
        open.forEach((n, i) => {
          const gain = n.split?.gain ?? -1;
          if (gain > best) {
            best = gain;
            pick = i;
          }
        });
      }
      const node = open.splice(pick, 1)[0] as OpenNode;
      const split = node.split;
      if (!split || (lossguide && leaves >= params.maxLeaves)) {
        this.release(node.hist);
        this.leafRanges.push(node.id, node.start, node.end);
        continue;
      }
      const mid = this.partition(node.start, node.end, split);
      const gl = split.gl;
      const hl = split.hl;
      const left: OpenNode = {
        id: addNode(gl, hl),
        start: node.start,
        end: mid,
        depth: node.depth + 1,
        g: gl,
        h: hl,
        hist: undefined,
        split: undefined,
      };
      const right: OpenNode = {
        id: addNode(node.g - gl, node.h - hl),
        start: mid,
        end: node.end,
        depth: node.depth + 1,
        g: node.g - gl,
        h: node.h - hl,
        hist: undefined,
        split: undefined,
      };
      leaves++;
      const id = node.id;
      nodes.feature[id] = split.feature;
      nodes.bin[id] = split.bin;
      nodes.left[id] = left.id;
      nodes.right[id] = right.id;
      nodes.missingLeft[id] = split.missingLeft ? 1 : 0;
      nodes.value[id] = 0;
      nodes.gain[id] = split.gain;
      const needLeft = canSplit(left);
      const needRight = canSplit(right);
      const parentHist = node.hist as Float64Array;
      if (needLeft || needRight) {
        const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
        small.hist = this.histogram(g, h, small.start, small.end, features);
        if (canSplit(large)) {
          for (const j of features) {
            const a = 2 * (this.offsets[j] as number);
            const b = a + 2 * (this.binCounts[j] as number);
            const sh = small.hist;
            for (let k = a; k < b; k++) parentHist[k] = (parentHist[k] as number) - (sh[k] as number);
          }
          large.hist = parentHist;
        } else this.release(parentHist);
        if (!canSplit(small)) {
          this.release(small.hist);
          small.hist = undefined;
        }
      } else this.release(parentHist);
      for (const child of [left, right]) {
        if (child.hist) child.split = this.findSplit(child, features, params, random);
        if (child.split) open.push(child);
        else {
          this.release(child.hist);
          this.leafRanges.push(child.id, child.start, child.end);
        }
      }
    }
    const thresholds = nodes.feature.map((f, i) =>
      f < 0 ? 0 : ((this.matrix.cuts.edges[f] as Float32Array)[(nodes.bin[i] as number) - 1] as number),
    );
    return {
      feature: Int32Array.from(nodes.feature),
      bin: Uint8Array.from(nodes.bin),
      threshold: Float32Array.from(thresholds),
      left: Int32Array.from(nodes.left),
      right: Int32Array.from(nodes.right),
      missingLeft: Uint8Array.from(nodes.missingLeft),
      value: Float64Array.from(nodes.value),
      cover: Float64Array.from(nodes.cover),
      gain: Float64Array.from(nodes.gain),
    };
  }

  /** Stops the helper thread, if any. */
  async close(): Promise<void> {
    const helper = this.helper;
    this.helper = undefined;
    await helper?.close();
  }

  private acquire(): Float64Array {
    const h = this.pool.pop();
    if (h) {
      h.fill(0);
      return h;
    }
    return new Float64Array(this.histSize);
  }

  private release(hist: Float64Array | undefined): void {
    if (hist) this.pool.push(hist);
  }

  private histogram(g: ArrayLike<number>, h: ArrayLike<number>, start: number, end: number, features: Int32Array): Float64Array {
    const hist = this.acquire();
    const index = this.index;
    const gh = this.gathered;
    const m = end - start;
    for (let k = 0; k < m; k++) {
      const r = index[start + k] as number;
      gh[2 * k] = g[r] as number;
      gh[2 * k + 1] = h[r] as number;
    }
    const bins = this.matrix.bins;
    const n = this.matrix.rows;
    const helper = this.helper;
    const count = features.length;
    if (helper && m >= MIN_PARALLEL_NODE_ROWS && count >= 8) {
      // The helper takes the second half of the features; each feature is summed by one thread in
      // row order, so the result does not depend on the number of threads.
      const half = Math.max(4, Math.floor(count / 8) * 4);
      helper.start(start, m, features, half, count);
      histogramKernel(bins, n, index, start, m, gh, hist, this.offsets, features, 0, half);
      helper.finish(hist, features, half, count);
    } else histogramKernel(bins, n, index, start, m, gh, hist, this.offsets, features, 0, count);
    return hist;
  }

  private findSplit(node: OpenNode, features: Int32Array, params: TreeParams, random: Random): Split | undefined {
    const hist = node.hist as Float64Array;
    const { lambda, minChildWeight, gamma } = params;
    const G = node.g;
    const H = node.h;
    const parentScore = (G * G) / (H + lambda);
    let candidates = features;
    if (params.featuresPerSplit > 0 && params.featuresPerSplit < features.length) {
      const pool = Int32Array.from(features);
      for (let i = 0; i < params.featuresPerSplit; i++) {
        const j = i + random.int(pool.length - i);
        const t = pool[i] as number;
        pool[i] = pool[j] as number;
        pool[j] = t;
      }
      candidates = pool.subarray(0, params.featuresPerSplit).sort();
    }
    let best: Split | undefined;
    let bestGain = 0;
    const minH = Math.max(minChildWeight, 1e-12);
    for (const j of candidates) {
      const o = 2 * (this.offsets[j] as number);
      const k = this.binCounts[j] as number;
      if (k <= 2) continue; // a single value bin: nothing to split
      const gMiss = hist[o] as number;
      const hMiss = hist[o + 1] as number;
      const hasMissing = hMiss > 0;
      let gl = 0;
      let hl = 0;
      for (let b = 1; b < k - 1; b++) {
        gl += hist[o + 2 * b] as number;
        hl += hist[o + 2 * b + 1] as number;
        // Missing values right.
        {
          const gr = G - gl;
          const hr = H - hl;
          if (hl >= minH && hr >= minH) {
            const gain = 0.5 * ((gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore) - gamma;
            if (gain > bestGain) {
              bestGain = gain;
              // Without missing rows here, send unseen missing values to the heavier side.
              best = { feature: j, bin: b, missingLeft: !hasMissing && hl > hr, gain, gl, hl };
            }
          }
        }
        if (hasMissing) {
          const gl2 = gl + gMiss;
          const hl2 = hl + hMiss;
          const gr = G - gl2;
          const hr = H - hl2;
          if (hl2 >= minH && hr >= minH) {
            const gain = 0.5 * ((gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parentScore) - gamma;
            if (gain > bestGain) {
              bestGain = gain;
              best = { feature: j, bin: b, missingLeft: true, gain, gl: gl2, hl: hl2 };
            }
          }
        }
      }
    }
    return best && best.gain > 1e-12 * Math.max(1, parentScore) ? best : undefined;
  }

  /** Moves rows going left to the front of [start, end), keeping order on both sides; returns the boundary. */
  private partition(start: number, end: number, split: Split): number {
    const index = this.index;
    const scratch = this.scratch;
    const bins = this.matrix.bins;
    const base = split.feature * this.matrix.rows;
    const t = split.bin;
    const missingLeft = split.missingLeft;
    let l = start;
    let r = 0;
    for (let k = start; k < end; k++) {
      const row = index[k] as number;
      const b = bins[base + row] as number;
      if (b === 0 ? missingLeft : b <= t) index[l++] = row;
      else scratch[r++] = row;
    }
    index.set(scratch.subarray(0, r), l);
    return l;
  }
}

function leafValue(g: number, h: number, params: TreeParams): number {
  return h + params.lambda > 0 ? (-g / (h + params.lambda)) * params.learningRate : 0;
}

/** Output of a tree for one row of a binned matrix. */
export function treeOutputBinned(tree: Tree, bins: Uint8Array, rows: number, row: number): number {
  let node = 0;
  const { feature, bin, left, right, missingLeft } = tree;
  for (;;) {
    const f = feature[node] as number;
    if (f < 0) return tree.value[node] as number;
    const b = bins[f * rows + row] as number;
    node = (b === 0 ? missingLeft[node] === 1 : b <= (bin[node] as number)) ? (left[node] as number) : (right[node] as number);
  }
}

/** Output of a tree for one row of raw columns (float32 comparison, NaN follows the default branch). */
export function treeOutput(tree: Tree, columns: readonly ArrayLike<number>[], row: number): number {
  let node = 0;
  const { feature, threshold, left, right, missingLeft } = tree;
  for (;;) {
    const f = feature[node] as number;
    if (f < 0) return tree.value[node] as number;
    const x = Math.fround((columns[f] as ArrayLike<number>)[row] as number);
    node = (Number.isNaN(x) ? missingLeft[node] === 1 : x <= (threshold[node] as number))
      ? (left[node] as number)
      : (right[node] as number);
  }
}
