import { decide, type FlatEnsemble, LEAF } from './tree-ensemble.js';

/**
 * Exact TreeSHAP over a flattened ensemble.
 *
 * Path-dependent: Lundberg, Erion et al. (2020), "From local explanations to global understanding
 * with explainable AI for trees", Algorithm 2 — the polynomial-time recursion that carries, for the
 * unique features on the current path, the proportion of coalitions of each size that reach the
 * node, extending it at each split and unwinding it when a feature repeats.
 *
 * Interventional: the same paper's independent TreeSHAP — for one background row, walk the tree
 * with the patient and the background row together; where they part on a feature not seen yet,
 * follow both sides; a leaf reached with `a` features taken from the patient and `b` from the
 * background adds v·(a−1)!b!/(a+b)! to each of the first and −v·a!(b−1)!/(a+b)! to each of the second.
 *
 * Features here are user-facing features: `group` maps each split to the feature its input column
 * derives from, so one-hot columns of a category are one player of the game.
 */
export interface TreeShapSpec {
  readonly ensemble: FlatEnsemble;
  /** Feature index of each split (ignored at leaves). */
  readonly group: Int32Array;
  /** Leaf values of the explained output. */
  readonly value: Float64Array;
  /** Number of features. */
  readonly features: number;
}

/** Trees whose explained leaf values are not all zero (others add nothing). */
function activeTrees(e: FlatEnsemble, value: Float64Array): Int32Array {
  const owner = new Int32Array(e.nodes);
  for (let t = 0; t < e.trees; t++) {
    const stack = [e.roots[t] as number];
    while (stack.length > 0) {
      const i = stack.pop() as number;
      owner[i] = t;
      if (e.mode[i] !== LEAF) stack.push(e.yes[i] as number, e.no[i] as number);
    }
  }
  const active = new Uint8Array(e.trees);
  for (let i = 0; i < e.nodes; i++) if (e.mode[i] === LEAF && value[i] !== 0) active[owner[i] as number] = 1;
  const out: number[] = [];
  for (let t = 0; t < e.trees; t++) if (active[t]) out.push(t);
  return Int32Array.from(out);
}

/** Fraction of its parent's cover each node holds (1 at roots; 1/2 each under a node of zero cover). */
export function coverFractions(e: FlatEnsemble, covers: Float64Array): Float64Array {
  const f = new Float64Array(e.nodes);
  for (const r of e.roots) f[r] = 1;
  for (let i = 0; i < e.nodes; i++) {
    if (e.mode[i] === LEAF) continue;
    const c = covers[i] as number;
    const y = e.yes[i] as number;
    const n = e.no[i] as number;
    if (c > 0) {
      f[y] = (covers[y] as number) / c;
      f[n] = (covers[n] as number) / c;
    } else {
      f[y] = 0.5;
      f[n] = 0.5;
    }
  }
  return f;
}

/** Cover-weighted expectation of each tree's leaf values, summed over trees. */
export function expectedValue(e: FlatEnsemble, fractions: Float64Array, value: Float64Array): number {
  let total = 0;
  const weight = new Float64Array(e.nodes);
  const stack: number[] = [];
  for (const r of e.roots) {
    weight[r] = 1;
    stack.push(r);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const w = weight[i] as number;
      if (e.mode[i] === LEAF) {
        total += w * (value[i] as number);
        continue;
      }
      const y = e.yes[i] as number;
      const n = e.no[i] as number;
      weight[y] = w * (fractions[y] as number);
      weight[n] = w * (fractions[n] as number);
      stack.push(y, n);
    }
  }
  return total;
}

/** Path-dependent TreeSHAP: `explain` adds each feature's SHAP value for the row to `phi`. */
export function createPathTreeShap(spec: TreeShapSpec, fractions: Float64Array) {
  const e = spec.ensemble;
  const { roots, mode, yes, no } = e;
  const { group, value } = spec;
  const trees = activeTrees(e, value);
  const D = e.maxDepth + 2;
  const cap = ((D + 2) * (D + 3)) / 2 + 2;
  const pf = new Int32Array(cap);
  const pz = new Float64Array(cap);
  const po = new Float64Array(cap);
  const pw = new Float64Array(cap);
  const dirs = new Uint8Array(e.nodes);
  let phi: Float64Array = new Float64Array(0);

  function extend(s: number, depth: number, zero: number, one: number, feature: number): void {
    pf[s + depth] = feature;
    pz[s + depth] = zero;
    po[s + depth] = one;
    pw[s + depth] = depth === 0 ? 1 : 0;
    const invD1 = inv[depth + 1] as number;
    for (let i = depth - 1; i >= 0; i--) {
      const w = pw[s + i] as number;
      pw[s + i + 1] = (pw[s + i + 1] as number) + one * w * (i + 1) * invD1;
      pw[s + i] = zero * w * (depth - i) * invD1;
    }
  }

  // Reciprocals of small integers: the recursions below divide by them in their inner loops.
  const inv = new Float64Array(D + 4);
  for (let i = 1; i < inv.length; i++) inv[i] = 1 / i;

  function unwind(s: number, depth: number, k: number): void {
    const one = po[s + k] as number;
    const zero = pz[s + k] as number;
    const d1 = depth + 1;
    const invD1 = inv[d1] as number;
    let next = pw[s + depth] as number;
    if (one !== 0) {
      const invOne = 1 / one;
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = pw[s + i] as number;
        const w = next * d1 * (inv[i + 1] as number) * invOne;
        pw[s + i] = w;
        next = tmp - w * zero * (depth - i) * invD1;
      }
    } else {
      const invZero = 1 / zero;
      for (let i = depth - 1; i >= 0; i--) pw[s + i] = (pw[s + i] as number) * d1 * invZero * (inv[depth - i] as number);
    }
    for (let i = k; i < depth; i++) {
      pf[s + i] = pf[s + i + 1] as number;
      pz[s + i] = pz[s + i + 1] as number;
      po[s + i] = po[s + i + 1] as number;
    }
  }

  function unwoundSum(s: number, depth: number, k: number): number {
    const one = po[s + k] as number;
    const zero = pz[s + k] as number;
    const d1 = depth + 1;
    let total = 0;
    if (one !== 0) {
      const invD1 = inv[d1] as number;
      const scale = d1 / one;
      let next = pw[s + depth] as number;
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = next * scale * (inv[i + 1] as number);
        total += tmp;
        next = (pw[s + i] as number) - tmp * zero * (depth - i) * invD1;
      }
    } else {
      const scale = d1 / zero;
      for (let i = depth - 1; i >= 0; i--) total += (pw[s + i] as number) * scale * (inv[depth - i] as number);
    }
    return total;
  }

  function recurse(node: number, parent: number, depth: number, zero: number, one: number, feature: number): void {
    const s = parent + depth + 1;
    for (let i = 0; i < depth; i++) {
      pf[s + i] = pf[parent + i] as number;
      pz[s + i] = pz[parent + i] as number;
      po[s + i] = po[parent + i] as number;
      pw[s + i] = pw[parent + i] as number;
    }
    extend(s, depth, zero, one, feature);
    if (mode[node] === LEAF) {
      const v = value[node] as number;
      if (v === 0) return;
      for (let k = 1; k <= depth; k++) {
        const w = unwoundSum(s, depth, k);
        const g = pf[s + k] as number;
        phi[g] = (phi[g] as number) + w * ((po[s + k] as number) - (pz[s + k] as number)) * v;
      }
      return;
    }
    const hot = dirs[node] === 1 ? (yes[node] as number) : (no[node] as number);
    const cold = dirs[node] === 1 ? (no[node] as number) : (yes[node] as number);
    const g = group[node] as number;
    let inZero = 1;
    let inOne = 1;
    let d = depth;
    for (let k = 1; k <= d; k++) {
      if (pf[s + k] === g) {
        inZero = pz[s + k] as number;
        inOne = po[s + k] as number;
        unwind(s, d, k);
        d -= 1;
        break;
      }
    }
    // A branch no coalition reaches adds nothing (and would divide by its zero fraction).
    const hotZero = (fractions[hot] as number) * inZero;
    if (hotZero !== 0 || inOne !== 0) recurse(hot, s, d + 1, hotZero, inOne, g);
    const coldZero = (fractions[cold] as number) * inZero;
    if (coldZero !== 0) recurse(cold, s, d + 1, coldZero, 0, g);
  }

  return {
    /** Adds SHAP values of the row at `matrix[offset…]` into `out` (length = features). */
    explain(matrix: Float64Array, offset: number, out: Float64Array): void {
      phi = out;
      decide(e, matrix, offset, dirs);
      for (let j = 0; j < trees.length; j++) recurse(roots[trees[j] as number] as number, 0, 0, 1, 1, -1);
    },
  };
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** Interventional TreeSHAP against fixed background rows. */
export function createInterventionalTreeShap(spec: TreeShapSpec, background: Float64Array, rows: number, width: number) {
  const e = spec.ensemble;
  const { roots, mode, yes, no } = e;
  const { group, value } = spec;
  const trees = activeTrees(e, value);
  const D = e.maxDepth + 1;
  const stride = D + 1;
  const wPos = new Float64Array(stride * stride);
  const wNeg = new Float64Array(stride * stride);
  for (let a = 0; a <= D; a++) {
    for (let b = 0; a + b <= D; b++) {
      const all = factorial(a + b);
      if (a > 0) wPos[a * stride + b] = (factorial(a - 1) * factorial(b)) / all;
      if (b > 0) wNeg[a * stride + b] = (factorial(a) * factorial(b - 1)) / all;
    }
  }
  const bgDirs = new Uint8Array(rows * e.nodes);
  for (let r = 0; r < rows; r++) decide(e, background, r * width, bgDirs.subarray(r * e.nodes, (r + 1) * e.nodes));
  const xDirs = new Uint8Array(e.nodes);
  const state = new Uint8Array(spec.features);
  const fromX = new Int32Array(D + 1);
  const fromBg = new Int32Array(D + 1);
  let phi: Float64Array = new Float64Array(0);
  let bgOffset = 0;

  function recurse(node: number, a: number, b: number): void {
    while (mode[node] !== LEAF) {
      const xd = xDirs[node] as number;
      const xc = xd === 1 ? (yes[node] as number) : (no[node] as number);
      const rd = bgDirs[bgOffset + node] as number;
      if (xd === rd) {
        node = xc;
        continue;
      }
      const rc = rd === 1 ? (yes[node] as number) : (no[node] as number);
      const g = group[node] as number;
      const s = state[g] as number;
      if (s === 1) {
        node = xc;
        continue;
      }
      if (s === 2) {
        node = rc;
        continue;
      }
      state[g] = 1;
      fromX[a] = g;
      recurse(xc, a + 1, b);
      state[g] = 2;
      fromBg[b] = g;
      recurse(rc, a, b + 1);
      state[g] = 0;
      return;
    }
    const v = value[node] as number;
    if (v === 0 || a + b === 0) return;
    if (a > 0) {
      const w = v * (wPos[a * stride + b] as number);
      for (let i = 0; i < a; i++) {
        const g = fromX[i] as number;
        phi[g] = (phi[g] as number) + w;
      }
    }
    if (b > 0) {
      const w = v * (wNeg[a * stride + b] as number);
      for (let i = 0; i < b; i++) {
        const g = fromBg[i] as number;
        phi[g] = (phi[g] as number) - w;
      }
    }
  }

  return {
    /** Adds interventional SHAP values (averaged over the background) of the row into `out`. */
    explain(matrix: Float64Array, offset: number, out: Float64Array): void {
      phi = out;
      decide(e, matrix, offset, xDirs);
      for (let r = 0; r < rows; r++) {
        bgOffset = r * e.nodes;
        for (let j = 0; j < trees.length; j++) recurse(roots[trees[j] as number] as number, 0, 0);
      }
      for (let g = 0; g < out.length; g++) out[g] = (out[g] as number) / rows;
    },
  };
}
