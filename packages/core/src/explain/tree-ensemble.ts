import { invalidModel, unsupported } from '../errors.js';
import type { OnnxNode } from '../onnx/model.js';
import { floatList, intList } from './structure.js';

/** Split rules, numbered for the flat arrays (0 is a leaf). */
export const LEAF = 0;
const MODES: Record<string, number> = { LEAF: 0, BRANCH_LEQ: 1, BRANCH_LT: 2, BRANCH_GTE: 3, BRANCH_GT: 4, BRANCH_EQ: 5, BRANCH_NEQ: 6 };

/** A tree ensemble flattened into typed arrays (node indices are global across trees). */
export interface FlatEnsemble {
  readonly nodes: number;
  readonly trees: number;
  readonly roots: Int32Array;
  /** Input column of each split (−1 at leaves). */
  readonly column: Int32Array;
  readonly mode: Uint8Array;
  readonly threshold: Float64Array;
  readonly missingYes: Uint8Array;
  readonly yes: Int32Array;
  readonly no: Int32Array;
  /** Leaf weights per score slot (class or target), zero elsewhere; AVERAGE already divided out. */
  readonly weights: readonly Float64Array[];
  /** Covers from nodes_hitrates, when the model carries consistent ones. */
  readonly hitrates: Float64Array | undefined;
  readonly maxDepth: number;
  /** True when some split sends missing values its own way (the model was trained with missing values). */
  readonly tracksMissing: boolean;
}

/**
 * Reads a TreeEnsembleClassifier/Regressor (opset 1 and 3 attributes, `*_as_tensor` included).
 * `float32` inputs round thresholds to float as onnxruntime does.
 */
export function readEnsemble(node: OnnxNode, slots: number, inputDtype: string): FlatEnsemble {
  const where = `${node.opType} '${node.name}'`;
  const treeIds = intList(node, 'nodes_treeids');
  const nodeIds = intList(node, 'nodes_nodeids');
  const featureIds = intList(node, 'nodes_featureids');
  const modes = (node.attributes.get('nodes_modes') as string[] | undefined) ?? [];
  const values = floatList(node, 'nodes_values') ?? [];
  const trueIds = intList(node, 'nodes_truenodeids');
  const falseIds = intList(node, 'nodes_falsenodeids');
  const missing = intList(node, 'nodes_missing_value_tracks_true');
  const hitrates = floatList(node, 'nodes_hitrates');
  const n = treeIds.length;
  for (const [name, list] of [
    ['nodes_nodeids', nodeIds],
    ['nodes_featureids', featureIds],
    ['nodes_modes', modes],
    ['nodes_truenodeids', trueIds],
    ['nodes_falsenodeids', falseIds],
  ] as const) {
    if (list.length !== n) throw invalidModel(`${where}: ${name} has ${list.length} entries, nodes_treeids has ${n}`);
  }
  if (values.length !== n) throw invalidModel(`${where}: nodes_values has ${values.length} entries for ${n} nodes`);
  if (n === 0) throw invalidModel(`${where} has no nodes`);

  const index = new Map<string, number>();
  const rootList: number[] = [];
  const seenTrees = new Set<number>();
  for (let i = 0; i < n; i++) {
    const key = `${treeIds[i]}:${nodeIds[i]}`;
    if (index.has(key)) throw invalidModel(`${where}: node ${nodeIds[i]} of tree ${treeIds[i]} appears twice`);
    index.set(key, i);
    if (i === 0 || treeIds[i] !== treeIds[i - 1]) {
      // onnxruntime takes the first node listed for each tree as its root.
      if (seenTrees.has(treeIds[i] as number)) throw unsupported(`${where}: the nodes of tree ${treeIds[i]} are not listed together`);
      seenTrees.add(treeIds[i] as number);
      rootList.push(i);
    }
  }
  const fround = inputDtype === 'float64' ? (v: number) => v : Math.fround;
  const column = new Int32Array(n);
  const mode = new Uint8Array(n);
  const threshold = new Float64Array(n);
  const missingYes = new Uint8Array(n);
  const yes = new Int32Array(n);
  const no = new Int32Array(n);
  let tracksMissing = false;
  for (let i = 0; i < n; i++) {
    const m = MODES[modes[i] as string];
    if (m === undefined) throw invalidModel(`${where}: node ${i} has unknown mode '${modes[i]}'`);
    mode[i] = m;
    if (m === LEAF) {
      column[i] = -1;
      continue;
    }
    column[i] = featureIds[i] as number;
    threshold[i] = fround(values[i] as number);
    missingYes[i] = missing[i] === 1 ? 1 : 0;
    if (missingYes[i]) tracksMissing = true;
    const t = index.get(`${treeIds[i]}:${trueIds[i]}`);
    const f = index.get(`${treeIds[i]}:${falseIds[i]}`);
    if (t === undefined || f === undefined || t === i || f === i)
      throw invalidModel(`${where}: node ${nodeIds[i]} of tree ${treeIds[i]} has a bad child`);
    yes[i] = t;
    no[i] = f;
  }

  const isClassifier = node.opType === 'TreeEnsembleClassifier';
  const prefix = isClassifier ? 'class' : 'target';
  const wTree = intList(node, `${prefix}_treeids`);
  const wNode = intList(node, `${prefix}_nodeids`);
  const wIds = intList(node, `${prefix}_ids`);
  const wValues = floatList(node, `${prefix}_weights`) ?? [];
  if (wTree.length !== wValues.length || wNode.length !== wValues.length || wIds.length !== wValues.length) {
    throw invalidModel(`${where}: the ${prefix}_* attributes have different lengths`);
  }
  const average = !isClassifier && node.attributes.get('aggregate_function') === 'AVERAGE';
  const weights = Array.from({ length: slots }, () => new Float64Array(n));
  for (let k = 0; k < wValues.length; k++) {
    const i = index.get(`${wTree[k]}:${wNode[k]}`);
    if (i === undefined) throw invalidModel(`${where}: a weight refers to missing node ${wNode[k]} of tree ${wTree[k]}`);
    if (mode[i] !== LEAF) continue; // onnxruntime ignores weights on splits
    const slot = wIds[k] as number;
    const target = weights[slot];
    if (!target) throw invalidModel(`${where}: a weight is for ${prefix} ${slot}, beyond the ${slots} outputs`);
    target[i] = (target[i] as number) + (wValues[k] as number);
  }
  if (average) for (const w of weights) for (let i = 0; i < n; i++) w[i] = (w[i] as number) / rootList.length;

  const roots = Int32Array.from(rootList);
  // Depth and reachability: every node must hang from its tree's root exactly once (no cycles).
  let maxDepth = 0;
  const depth = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  for (const r of roots) {
    depth[r] = 0;
    stack.push(r);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const d = depth[i] as number;
      if (d > maxDepth) maxDepth = d;
      if (mode[i] === LEAF) continue;
      for (const c of [yes[i] as number, no[i] as number]) {
        if (depth[c] !== -1) throw unsupported(`${where}: node ${nodeIds[c]} of tree ${treeIds[c]} is reached twice; Cairn needs trees`);
        depth[c] = d + 1;
        stack.push(c);
      }
    }
  }
  let covers: Float64Array | undefined;
  if (hitrates && hitrates.length === n) {
    covers = Float64Array.from(hitrates);
    if (!coversConsistent(covers, mode, yes, no, roots)) covers = undefined;
  }
  return {
    nodes: n,
    trees: roots.length,
    roots,
    column,
    mode,
    threshold,
    missingYes,
    yes,
    no,
    weights,
    hitrates: covers,
    maxDepth,
    tracksMissing,
  };
}

/**
 * Covers usable by path-dependent TreeSHAP: non-negative, positive at roots, and each split's
 * cover equal to its children's sum (converters that write placeholder hit rates of 1 fail this).
 */
function coversConsistent(c: Float64Array, mode: Uint8Array, yes: Int32Array, no: Int32Array, roots: Int32Array): boolean {
  for (const r of roots) if (!((c[r] as number) > 0)) return false;
  for (let i = 0; i < c.length; i++) {
    const v = c[i] as number;
    if (!(v >= 0) || !Number.isFinite(v)) return false;
    if (mode[i] === LEAF) continue;
    const sum = (c[yes[i] as number] as number) + (c[no[i] as number] as number);
    if (Math.abs(sum - v) > 1e-3 * Math.max(1, v)) return false;
  }
  return true;
}

/** 1 when the row goes to the `yes` child of `node`, as onnxruntime decides. */
export function goesYes(e: FlatEnsemble, node: number, v: number): number {
  if (Number.isNaN(v)) return e.missingYes[node] === 1 || e.mode[node] === 6 ? 1 : 0;
  const t = e.threshold[node] as number;
  switch (e.mode[node]) {
    case 1:
      return v <= t ? 1 : 0;
    case 2:
      return v < t ? 1 : 0;
    case 3:
      return v >= t ? 1 : 0;
    case 4:
      return v > t ? 1 : 0;
    case 5:
      return v === t ? 1 : 0;
    default:
      return v !== t ? 1 : 0;
  }
}

/** Writes the direction (1 = yes) of every split for one row into `out`. */
export function decide(e: FlatEnsemble, row: Float64Array, offset: number, out: Uint8Array): void {
  const { column, mode, threshold, missingYes } = e;
  for (let i = 0; i < e.nodes; i++) {
    const m = mode[i] as number;
    if (m === LEAF) continue;
    const v = row[offset + (column[i] as number)] as number;
    let d: boolean;
    if (Number.isNaN(v)) d = missingYes[i] === 1 || m === 6;
    else {
      const t = threshold[i] as number;
      d = m === 1 ? v <= t : m === 2 ? v < t : m === 3 ? v >= t : m === 4 ? v > t : m === 5 ? v === t : v !== t;
    }
    out[i] = d ? 1 : 0;
  }
}

/** The leaf each tree sends a row to, written into `leaves`. */
export function route(e: FlatEnsemble, row: Float64Array, offset: number, leaves: Int32Array): void {
  const { roots, mode, column, yes, no } = e;
  for (let t = 0; t < roots.length; t++) {
    let i = roots[t] as number;
    while (mode[i] !== LEAF) i = goesYes(e, i, row[offset + (column[i] as number)] as number) ? (yes[i] as number) : (no[i] as number);
    leaves[t] = i;
  }
}

/** Covers counted by sending rows (a `rows × width` matrix) through the trees. */
export function countCovers(e: FlatEnsemble, matrix: Float64Array, rows: number, width: number): Float64Array {
  const covers = new Float64Array(e.nodes);
  const { roots, mode, column, yes, no } = e;
  for (let r = 0; r < rows; r++) {
    const off = r * width;
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t] as number;
      covers[i] = (covers[i] as number) + 1;
      while (mode[i] !== LEAF) {
        i = goesYes(e, i, matrix[off + (column[i] as number)] as number) ? (yes[i] as number) : (no[i] as number);
        covers[i] = (covers[i] as number) + 1;
      }
    }
  }
  return covers;
}
