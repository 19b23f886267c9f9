// Stopgap: @cairn/core does not export its ONNX builder (packages/core/src/onnx/build.ts) from its
// public entry yet. This is a verbatim copy; once core exports buildModel and
// treeEnsembleClassifierNode, delete this file and import them from '@cairn/core'.
import { createModelProto, encodeModel, invalidArgument, TensorDataType } from '@cairn/core';

/** Element types the builder writes. */
export type BuildDtype = 'float32' | 'float64' | 'int64' | 'string';

const DATA_TYPE: Record<BuildDtype, number> = {
  float32: TensorDataType.FLOAT,
  float64: TensorDataType.DOUBLE,
  int64: TensorDataType.INT64,
  string: TensorDataType.STRING,
};

/** A graph input or output: name, element type and shape (strings are symbolic dims). */
export interface TensorSignature {
  readonly name: string;
  readonly dtype: BuildDtype;
  readonly shape: ReadonlyArray<number | string>;
}

/** A typed attribute value: ONNX distinguishes ints from floats, so the builder is told which. */
export type AttributeSpec =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: ArrayLike<number> }
  | { readonly strings: readonly string[] };

/** A node to add to the graph. */
export interface NodeSpec {
  readonly opType: string;
  readonly domain?: string;
  readonly name?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeSpec>>;
}

/** A constant tensor (initializer). */
export interface InitializerSpec {
  readonly name: string;
  readonly dtype: 'float32' | 'int64';
  readonly dims: readonly number[];
  readonly values: ArrayLike<number>;
}

/** Everything needed to write an ONNX model. */
export interface ModelSpec {
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
  /**
   * Operator set versions by domain.
   * @defaultValue `{ '': 15, 'ai.onnx.ml': 3 }`
   */
  readonly opsets?: Readonly<Record<string, number>>;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly graphName?: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

const utf8 = new TextEncoder();

function valueInfo(sig: TensorSignature) {
  return {
    name: sig.name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[sig.dtype],
        shape: { dim: sig.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, spec: AttributeSpec) {
  if ('int' in spec) return { name, type: 2, i: spec.int };
  if ('float' in spec) return { name, type: 1, f: spec.float };
  if ('string' in spec) return { name, type: 3, s: utf8.encode(spec.string) };
  if ('ints' in spec) return { name, type: 7, ints: [...spec.ints] };
  if ('floats' in spec) return { name, type: 6, floats: Array.from(spec.floats) };
  if ('strings' in spec) return { name, type: 8, strings: spec.strings.map((s) => utf8.encode(s)) };
  throw invalidArgument(`attributes.${name}`, 'unknown attribute kind');
}

function initializer(spec: InitializerSpec) {
  const size = spec.dims.reduce((a, b) => a * b, 1);
  if (size !== spec.values.length)
    throw invalidArgument(`initializers.${spec.name}`, `dims ${spec.dims} need ${size} values, got ${spec.values.length}`);
  return spec.dtype === 'float32'
    ? { name: spec.name, dims: [...spec.dims], dataType: TensorDataType.FLOAT, floatData: Array.from(spec.values) }
    : { name: spec.name, dims: [...spec.dims], dataType: TensorDataType.INT64, int64Data: Array.from(spec.values) };
}

/** Writes an ONNX model (IR version 8) from a plain description. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const opsets = spec.opsets ?? { '': 15, 'ai.onnx.ml': 3 };
  const proto = createModelProto({
    irVersion: 8,
    producerName: spec.producerName ?? 'cairn',
    producerVersion: spec.producerVersion ?? '0.1.0',
    docString: spec.docString ?? '',
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName ?? 'cairn',
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(initializer),
      node: spec.nodes.map((n, i) => ({
        opType: n.opType,
        domain: n.domain ?? '',
        name: n.name ?? `${n.opType}_${i}`,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => attribute(name, value)),
      })),
    },
  });
  return encodeModel(proto);
}

/** Split rule of a tree node, as ONNX names it. */
export type SplitMode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';

/** One node of a tree: a split (children are node indices in the same tree) or a leaf. */
export type TreeNodeSpec =
  | {
      readonly feature: number;
      readonly threshold: number;
      readonly mode?: SplitMode;
      /** Child taken when the rule holds. */
      readonly yes: number;
      readonly no: number;
      /** Where a missing (NaN) value goes. @defaultValue false (the `no` branch) */
      readonly missingGoesYes?: boolean;
      /** Training rows that reached the node (stored as hit rates; used by path-dependent TreeSHAP). */
      readonly cover?: number;
    }
  | { readonly leaf: number; readonly cover?: number };

/** Options of {@link treeEnsembleClassifierNode}. */
export interface TreeEnsembleSpec {
  readonly trees: ReadonlyArray<ReadonlyArray<TreeNodeSpec>>;
  readonly input: string;
  /** Outputs: label and [N, 2] probabilities. */
  readonly outputs: readonly [string, string];
  /** @defaultValue 'LOGISTIC' */
  readonly postTransform?: 'NONE' | 'LOGISTIC';
  /** Margin added to every row before the transform. */
  readonly baseValue?: number;
}

/**
 * A binary TreeEnsembleClassifier (ai.onnx.ml): leaves hold margin contributions to the
 * positive class; with LOGISTIC the probability is sigmoid(base + Σ leaves).
 */
export function treeEnsembleClassifierNode(spec: TreeEnsembleSpec): NodeSpec {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const yesIds: number[] = [];
  const noIds: number[] = [];
  const missing: number[] = [];
  const hitrates: number[] = [];
  const classTree: number[] = [];
  const classNode: number[] = [];
  const classIds: number[] = [];
  const classWeights: number[] = [];
  let hasCover = false;
  spec.trees.forEach((tree, t) => {
    tree.forEach((n, id) => {
      treeIds.push(t);
      nodeIds.push(id);
      if (n.cover !== undefined) hasCover = true;
      hitrates.push(n.cover ?? 1);
      if ('leaf' in n) {
        featureIds.push(0);
        modes.push('LEAF');
        values.push(0);
        yesIds.push(0);
        noIds.push(0);
        missing.push(0);
        classTree.push(t);
        classNode.push(id);
        classIds.push(0);
        classWeights.push(n.leaf);
      } else {
        if (n.yes >= tree.length || n.no >= tree.length) throw invalidArgument(`trees[${t}][${id}]`, 'child index out of range');
        featureIds.push(n.feature);
        modes.push(n.mode ?? 'BRANCH_LEQ');
        values.push(n.threshold);
        yesIds.push(n.yes);
        noIds.push(n.no);
        missing.push(n.missingGoesYes ? 1 : 0);
      }
    });
  });
  return {
    opType: 'TreeEnsembleClassifier',
    domain: 'ai.onnx.ml',
    inputs: [spec.input],
    outputs: [...spec.outputs],
    attributes: {
      nodes_treeids: { ints: treeIds },
      nodes_nodeids: { ints: nodeIds },
      nodes_featureids: { ints: featureIds },
      nodes_modes: { strings: modes },
      nodes_values: { floats: values },
      nodes_truenodeids: { ints: yesIds },
      nodes_falsenodeids: { ints: noIds },
      nodes_missing_value_tracks_true: { ints: missing },
      ...(hasCover ? { nodes_hitrates: { floats: hitrates } } : {}),
      class_treeids: { ints: classTree },
      class_nodeids: { ints: classNode },
      class_ids: { ints: classIds },
      class_weights: { floats: classWeights },
      classlabels_int64s: { ints: [0, 1] },
      post_transform: { string: spec.postTransform ?? 'LOGISTIC' },
      base_values: { floats: [spec.baseValue ?? 0] },
    },
  };
}
