import type { Bundle } from '../bundle.js';
import { unsupported } from '../errors.js';
import type { OnnxNode, OnnxTensor } from '../onnx/model.js';
import { normalizeRows } from './preprocess.js';

/** How the core model's raw per-class sums become the output the manifest reads. */
export interface Head {
  /** Number of raw score slots (classes or regression targets). */
  readonly slots: number;
  /** Per output column j: s_j = sign_j × raw[src_j] + bias_j. */
  readonly src: Int32Array;
  readonly sign: Float64Array;
  readonly bias: Float64Array;
  readonly transform: 'none' | 'logistic' | 'softmax';
  /** Normalizer norms applied after the model, in order. */
  readonly post: readonly string[];
  /** Column the manifest reads. */
  readonly positive: number;
  /** What the positive column's score is before the transform. */
  readonly link: 'identity' | 'logistic' | 'softmax';
  /** How the manifest reads the column. */
  readonly kind: 'probabilities' | 'probability' | 'logit';
}

/** The operator at the heart of the model, with its input tensor and output head. */
export interface CoreModel {
  readonly node: OnnxNode;
  readonly family: 'tree' | 'linear';
  readonly input: string;
  readonly head: Head;
}

const POST_OPS = new Set(['Identity', 'Cast', 'Normalizer']);
const CORE_OPS: Record<string, { family: 'tree' | 'linear'; output: number }> = {
  TreeEnsembleClassifier: { family: 'tree', output: 1 },
  TreeEnsembleRegressor: { family: 'tree', output: 0 },
  LinearClassifier: { family: 'linear', output: 1 },
  LinearRegressor: { family: 'linear', output: 0 },
};

/** Reads a float list attribute or its `_as_tensor` (double) variant. */
export function floatList(node: OnnxNode, name: string): number[] | undefined {
  const plain = node.attributes.get(name);
  if (Array.isArray(plain) && plain.length > 0) return plain as number[];
  const tensor = node.attributes.get(`${name}_as_tensor`) as OnnxTensor | null | undefined;
  if (tensor && typeof tensor === 'object' && 'data' in tensor) return Array.from(tensor.data as ArrayLike<number>, Number);
  return undefined;
}

/** Reads an int list attribute. */
export function intList(node: OnnxNode, name: string): number[] {
  const v = node.attributes.get(name);
  return Array.isArray(v) ? (v as number[]) : [];
}

function transformOf(node: OnnxNode): 'none' | 'logistic' | 'softmax' {
  const t = node.attributes.get('post_transform');
  const name = typeof t === 'string' ? t : 'NONE';
  if (name === 'NONE') return 'none';
  if (name === 'LOGISTIC') return 'logistic';
  if (name === 'SOFTMAX') return 'softmax';
  throw unsupported(`${node.opType} '${node.name}' uses post_transform ${name}, which Cairn's exact explainers do not model`);
}

interface Column {
  src: number;
  sign: number;
  bias: number;
}

/** Classifier tree ensembles: reproduces onnxruntime's binary and multi-class score layouts. */
function treeClassifierColumns(node: OnnxNode, transform: Head['transform']): { columns: Column[]; transform: Head['transform'] } {
  const labels =
    intList(node, 'classlabels_int64s').length || ((node.attributes.get('classlabels_strings') as string[] | undefined)?.length ?? 0);
  const classIds = intList(node, 'class_ids');
  const weights = floatList(node, 'class_weights') ?? [];
  const base = floatList(node, 'base_values') ?? [];
  const used = new Set(classIds);
  const where = `TreeEnsembleClassifier '${node.name}'`;
  if (labels > 2) {
    return {
      columns: Array.from({ length: labels }, (_, k) => ({ src: k, sign: 1, bias: base.length > k ? (base[k] as number) : 0 })),
      transform,
    };
  }
  if (labels !== 2) throw unsupported(`${where} has ${labels} class labels`);
  const binaryCase = used.size === 1;
  const always = (k: number) => leavesAllScored(node, k);
  if (binaryCase) {
    const only = used.values().next().value as number;
    if (only !== 0 || base.length === 2) {
      throw unsupported(`${where} puts all weights on class ${only} with ${base.length} base values, a layout Cairn does not model`);
    }
    const b = base.length === 1 ? (base[0] as number) : 0;
    const allPositive = weights.every((w) => w >= 0);
    if (allPositive) {
      // onnxruntime writes [1 − s, s] without applying the post-transform in this case.
      return {
        columns: [
          { src: 0, sign: -1, bias: 1 - b },
          { src: 0, sign: 1, bias: b },
        ],
        transform: 'none',
      };
    }
    return {
      columns: [
        { src: 0, sign: -1, bias: -b },
        { src: 0, sign: 1, bias: b },
      ],
      transform: transform === 'logistic' ? 'logistic' : 'none',
    };
  }
  // Both classes carry weights: every leaf must score class 1, or onnxruntime's layout changes per row.
  if (!always(1)) throw unsupported(`${where} scores class 1 at some leaves only, a layout Cairn does not model`);
  if (base.length === 2) {
    // onnxruntime: s1 = base[1] + raw[0], s0 = −s1.
    return {
      columns: [
        { src: 0, sign: -1, bias: -(base[1] as number) },
        { src: 0, sign: 1, bias: base[1] as number },
      ],
      transform,
    };
  }
  return {
    columns: [
      { src: 0, sign: 1, bias: base.length === 1 ? (base[0] as number) : 0 },
      { src: 1, sign: 1, bias: 0 },
    ],
    transform,
  };
}

function leavesAllScored(node: OnnxNode, cls: number): boolean {
  const modes = (node.attributes.get('nodes_modes') as string[] | undefined) ?? [];
  const treeIds = intList(node, 'nodes_treeids');
  const nodeIds = intList(node, 'nodes_nodeids');
  const scored = new Set<string>();
  const ct = intList(node, 'class_treeids');
  const cn = intList(node, 'class_nodeids');
  intList(node, 'class_ids').forEach((c, i) => {
    if (c === cls) scored.add(`${ct[i]}:${cn[i]}`);
  });
  return modes.every((m, i) => m !== 'LEAF' || scored.has(`${treeIds[i]}:${nodeIds[i]}`));
}

function treeRegressorColumns(node: OnnxNode, transform: Head['transform']): { columns: Column[]; transform: Head['transform'] } {
  const targets = (node.attributes.get('n_targets') as number | undefined) ?? 1;
  const base = floatList(node, 'base_values') ?? [];
  const agg = (node.attributes.get('aggregate_function') as string | undefined) ?? 'SUM';
  if (agg !== 'SUM' && agg !== 'AVERAGE') {
    throw unsupported(`TreeEnsembleRegressor '${node.name}' aggregates with ${agg}, which is not additive over trees`);
  }
  if (targets === 1) {
    // onnxruntime applies no post-transform (other than PROBIT) to a single target.
    return { columns: [{ src: 0, sign: 1, bias: base.length === 1 ? (base[0] as number) : 0 }], transform: 'none' };
  }
  const useBase = base.length === targets;
  return { columns: Array.from({ length: targets }, (_, k) => ({ src: k, sign: 1, bias: useBase ? (base[k] as number) : 0 })), transform };
}

function linearColumns(node: OnnxNode, transform: Head['transform']): { columns: Column[]; transform: Head['transform'] } {
  const intercepts = floatList(node, 'intercepts') ?? [];
  if (node.opType === 'LinearRegressor') {
    const targets = (node.attributes.get('targets') as number | undefined) ?? 1;
    const use = intercepts.length === targets;
    const columns = Array.from({ length: targets }, (_, k) => ({ src: k, sign: 1, bias: use ? (intercepts[k] as number) : 0 }));
    return { columns, transform: targets === 1 ? 'none' : transform };
  }
  const labels =
    intList(node, 'classlabels_ints').length || ((node.attributes.get('classlabels_strings') as string[] | undefined)?.length ?? 0);
  const classes = intercepts.length;
  if (classes === 1 && labels === 2) {
    const b = intercepts[0] as number;
    if (transform === 'logistic') {
      // onnxruntime 1.30 writes [1 − σ(s), σ(s)] = [σ(−s), σ(s)] with LOGISTIC (skl2onnx's binary logistic regression).
      return {
        columns: [
          { src: 0, sign: -1, bias: -b },
          { src: 0, sign: 1, bias: b },
        ],
        transform: 'logistic',
      };
    }
    // With NONE (and SOFTMAX, which it does not apply here) onnxruntime writes [1 − s, s].
    return {
      columns: [
        { src: 0, sign: -1, bias: 1 - b },
        { src: 0, sign: 1, bias: b },
      ],
      transform: 'none',
    };
  }
  const columns = Array.from({ length: classes }, (_, k) => ({ src: k, sign: 1, bias: intercepts[k] as number }));
  return { columns, transform: classes === 1 ? 'none' : transform };
}

/**
 * Finds the tree ensemble or linear model that produces the bundle's output (through Identity,
 * Cast and Normalizer only) and describes its output head. Throws `unsupported` otherwise.
 */
export function findCoreModel(bundle: Bundle): CoreModel {
  const { model, io } = bundle;
  const producer = new Map<string, OnnxNode>();
  for (const n of model.nodes) for (const o of n.outputs) producer.set(o, n);
  const post: string[] = [];
  let name = io.output.tensor;
  for (let hops = 0; hops < 32; hops++) {
    const node = producer.get(name);
    if (!node) break;
    const core = node.domain === 'ai.onnx.ml' ? CORE_OPS[node.opType] : undefined;
    if (core) {
      if (node.outputs[core.output] !== name)
        throw unsupported(`the bundle reads output ${name} of ${node.opType}, which is not its scores`);
      const input = node.inputs[0];
      if (!input) throw unsupported(`${node.opType} '${node.name}' has no input`);
      const transform = transformOf(node);
      const { columns, transform: effective } =
        core.family === 'linear'
          ? linearColumns(node, transform)
          : node.opType === 'TreeEnsembleClassifier'
            ? treeClassifierColumns(node, transform)
            : treeRegressorColumns(node, transform);
      const positive = io.output.kind === 'probabilities' ? io.output.positiveIndex : 0;
      const col = columns[positive];
      if (!col) throw unsupported(`${node.opType} '${node.name}' has no output column ${positive}`);
      const head: Head = {
        slots: Math.max(...columns.map((c) => c.src)) + 1,
        src: Int32Array.from(columns, (c) => c.src),
        sign: Float64Array.from(columns, (c) => c.sign),
        bias: Float64Array.from(columns, (c) => c.bias),
        transform: effective,
        post: post.reverse(),
        positive,
        link: effective === 'none' ? 'identity' : effective,
        kind: io.output.kind,
      };
      return { node, family: core.family, input, head };
    }
    if (!POST_OPS.has(node.opType) || !node.inputs[0]) break;
    if (node.opType === 'Normalizer') post.push((node.attributes.get('norm') as string | undefined) ?? 'MAX');
    if (node.opType === 'Cast' && ![1, 11].includes(node.attributes.get('to') as number)) break;
    name = node.inputs[0];
  }
  const last = producer.get(name);
  throw unsupported(
    `output '${io.output.tensor}' comes from ${last ? `${last.opType} '${last.name}'` : 'no operator'}, not from a TreeEnsembleClassifier/Regressor or LinearClassifier/Regressor (through Identity, Cast or Normalizer only)`,
  );
}

/** Applies a head to raw per-slot scores: returns the probability the manifest reads and the margin. */
export function applyHead(head: Head, raw: ArrayLike<number>, columns: Float64Array): { probability: number; margin: number } {
  const n = head.src.length;
  for (let j = 0; j < n; j++) {
    columns[j] = (head.sign[j] as number) * (raw[head.src[j] as number] as number) + (head.bias[j] as number);
  }
  const margin = columns[head.positive] as number;
  if (head.transform === 'logistic') for (let j = 0; j < n; j++) columns[j] = sigmoid(columns[j] as number);
  else if (head.transform === 'softmax') softmax(columns, n);
  for (const norm of head.post) normalizeRows(columns.subarray(0, n), columns, n, norm);
  const value = columns[head.positive] as number;
  const probability = head.kind === 'logit' ? sigmoid(value) : value;
  return { probability, margin };
}

/** Numerically safe logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softmax(v: Float64Array, n: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, v[j] as number);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp((v[j] as number) - max);
    v[j] = e;
    sum += e;
  }
  for (let j = 0; j < n; j++) v[j] = (v[j] as number) / sum;
}
