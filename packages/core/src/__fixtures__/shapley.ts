import type { TreeNodeSpec } from '../onnx/build.js';

/** Shapley values by enumerating all 2^M coalitions of `v` (a function of a bitmask). */
export function bruteForceShapley(M: number, v: (mask: number) => number): number[] {
  const values = new Float64Array(2 ** M);
  for (let mask = 0; mask < 2 ** M; mask++) values[mask] = v(mask);
  const fact = [1];
  for (let i = 1; i <= M; i++) fact.push((fact[i - 1] as number) * i);
  const phi = new Array<number>(M).fill(0);
  for (let mask = 0; mask < 2 ** M; mask++) {
    let size = 0;
    for (let i = 0; i < M; i++) size += (mask >> i) & 1;
    const w = ((fact[size] as number) * (fact[M - size - 1] as number)) / (fact[M] as number);
    for (let i = 0; i < M; i++) {
      if ((mask >> i) & 1) continue;
      phi[i] = (phi[i] as number) + w * ((values[mask | (1 << i)] as number) - (values[mask] as number));
    }
  }
  return phi;
}

type Split = Extract<TreeNodeSpec, { feature: number }>;

/** Split decision as ONNX defines it (float32 threshold; NaN follows missingGoesYes, or NEQ). */
export function splitGoesYes(node: Split, value: number): boolean {
  const t = Math.fround(node.threshold);
  if (Number.isNaN(value)) return Boolean(node.missingGoesYes) || node.mode === 'BRANCH_NEQ';
  switch (node.mode ?? 'BRANCH_LEQ') {
    case 'BRANCH_LEQ':
      return value <= t;
    case 'BRANCH_LT':
      return value < t;
    case 'BRANCH_GTE':
      return value >= t;
    case 'BRANCH_GT':
      return value > t;
    case 'BRANCH_EQ':
      return value === t;
    default:
      return value !== t;
  }
}

/** The leaf value a row reaches (float32, as the model stores it). */
export function treeValue(tree: readonly TreeNodeSpec[], x: readonly number[]): number {
  let n = tree[0] as TreeNodeSpec;
  while (!('leaf' in n)) n = tree[splitGoesYes(n, x[n.feature] as number) ? n.yes : n.no] as TreeNodeSpec;
  return Math.fround(n.leaf);
}

/** Covers counted by sending rows through a tree. */
export function countedCovers(tree: readonly TreeNodeSpec[], rows: readonly (readonly number[])[]): number[] {
  const covers = new Array<number>(tree.length).fill(0);
  for (const x of rows) {
    let i = 0;
    covers[0] = (covers[0] as number) + 1;
    for (;;) {
      const n = tree[i] as TreeNodeSpec;
      if ('leaf' in n) break;
      i = splitGoesYes(n, x[n.feature] as number) ? n.yes : n.no;
      covers[i] = (covers[i] as number) + 1;
    }
  }
  return covers;
}

/**
 * E[tree | x_S] with cover weights: splits on a known feature follow x, others average their
 * children by cover (half each under a node of zero cover). `groupOf` maps columns to players.
 */
export function coverExpectation(
  tree: readonly TreeNodeSpec[],
  covers: readonly number[],
  x: readonly number[],
  known: (column: number) => boolean,
): number {
  const walk = (i: number): number => {
    const n = tree[i] as TreeNodeSpec;
    if ('leaf' in n) return Math.fround(n.leaf);
    if (known(n.feature)) return walk(splitGoesYes(n, x[n.feature] as number) ? n.yes : n.no);
    const c = covers[i] as number;
    const fy = c > 0 ? (covers[n.yes] as number) / c : 0.5;
    const fn = c > 0 ? (covers[n.no] as number) / c : 0.5;
    return fy * walk(n.yes) + fn * walk(n.no);
  };
  return walk(0);
}
