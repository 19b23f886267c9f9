import type { OnnxModel } from './model.js';
import { createValueInfoProto, refreshModel } from './model.js';

/** A ZipMap output that was replaced by the probability tensor feeding it. */
export interface ZipMapRewrite {
  /** The original graph output (sequence<map>). */
  readonly output: string;
  /** The tensor now exposed as a graph output instead. */
  readonly tensor: string;
  /** Class labels in column order, from the ZipMap attributes. */
  readonly classLabels: ReadonlyArray<string | number>;
}

/**
 * onnxruntime's JS API cannot read sequence<map> outputs, which scikit-learn's
 * converters emit by default through a ZipMap node. This removes each ZipMap whose
 * output is a graph output and exposes the [N, classes] tensor feeding it instead.
 * Returns the original model unchanged when there is nothing to rewrite.
 */
export function stripZipMap(model: OnnxModel): { model: OnnxModel; rewrites: ZipMapRewrite[] } {
  const graphOutputs = new Set(model.outputs.map((o) => o.name));
  const zipmaps = model.nodes.filter(
    (n) => n.opType === 'ZipMap' && n.domain === 'ai.onnx.ml' && n.outputs.some((o) => graphOutputs.has(o)),
  );
  if (zipmaps.length === 0) return { model, rewrites: [] };

  const consumers = new Map<string, number>();
  for (const n of model.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);

  const rewrites: ZipMapRewrite[] = [];
  const graph = model.proto.graph;
  const removed = new Set<unknown>();
  for (const zm of zipmaps) {
    const output = zm.outputs[0];
    const tensor = zm.inputs[0];
    if (!output || !tensor || (consumers.get(output) ?? 0) > 0) continue;
    const labels = (zm.attributes.get('classlabels_int64s') ?? zm.attributes.get('classlabels_strings') ?? []) as Array<string | number>;
    rewrites.push({ output, tensor, classLabels: [...labels] });
    const proto = graph.node.find((n: { opType?: string; output?: string[] }) => n.opType === 'ZipMap' && n.output?.[0] === output);
    removed.add(proto);
    const outIndex = graph.output.findIndex((o: { name?: string }) => o.name === output);
    graph.output.splice(
      outIndex,
      1,
      createValueInfoProto({
        name: tensor,
        type: {
          tensorType: {
            elemType: 1,
            shape: { dim: [{ dimParam: 'N' }, { dimValue: labels.length }] },
          },
        },
      }),
    );
  }
  graph.node = graph.node.filter((n: unknown) => !removed.has(n));
  return { model: refreshModel(model), rewrites };
}

const CLASSIFIER_OPS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);
const PASS_THROUGH_OPS = new Set(['Normalizer', 'Cast', 'Identity', 'ZipMap']);

/**
 * Class labels of the classifier that produces `tensor`, following Normalizer/Cast/Identity
 * back to a LinearClassifier, TreeEnsembleClassifier or SVMClassifier; undefined if unknown.
 */
export function classLabelsOf(model: OnnxModel, tensor: string): Array<string | number> | undefined {
  const producer = new Map<string, (typeof model.nodes)[number]>();
  for (const n of model.nodes) for (const o of n.outputs) producer.set(o, n);
  let name = tensor;
  for (let hops = 0; hops < 16; hops++) {
    const node = producer.get(name);
    if (!node) return undefined;
    if (node.domain === 'ai.onnx.ml' && CLASSIFIER_OPS.has(node.opType)) {
      const ints = node.attributes.get('classlabels_ints') ?? node.attributes.get('classlabels_int64s');
      const strings = node.attributes.get('classlabels_strings');
      if (Array.isArray(ints) && ints.length > 0) return [...(ints as number[])];
      if (Array.isArray(strings) && strings.length > 0) return [...(strings as string[])];
      return undefined;
    }
    if (!PASS_THROUGH_OPS.has(node.opType) || !node.inputs[0]) return undefined;
    name = node.inputs[0];
  }
  return undefined;
}
