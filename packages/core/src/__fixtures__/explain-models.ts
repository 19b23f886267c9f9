import { type AttributeSpec, buildModel, decodeModel, encodeModel, type TreeNodeSpec } from '@cairn/core';

type Leaf = Extract<TreeNodeSpec, { leaf: number }>;

/**
 * nodes_* and class_/target_* attributes of a tree ensemble; `weights` says which class (or target)
 * each leaf votes for and with what weight.
 */
export function treeAttributes(
  trees: ReadonlyArray<ReadonlyArray<TreeNodeSpec>>,
  prefix: 'class' | 'target',
  weights: (tree: number, leaf: Leaf) => ReadonlyArray<readonly [number, number]>,
): Record<string, AttributeSpec> {
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    features: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    yes: [] as number[],
    no: [] as number[],
    missing: [] as number[],
    wTree: [] as number[],
    wNode: [] as number[],
    wIds: [] as number[],
    wValues: [] as number[],
  };
  trees.forEach((tree, t) => {
    tree.forEach((n, id) => {
      a.treeIds.push(t);
      a.nodeIds.push(id);
      if ('leaf' in n) {
        a.features.push(0);
        a.modes.push('LEAF');
        a.values.push(0);
        a.yes.push(0);
        a.no.push(0);
        a.missing.push(0);
        for (const [k, w] of weights(t, n)) {
          a.wTree.push(t);
          a.wNode.push(id);
          a.wIds.push(k);
          a.wValues.push(w);
        }
      } else {
        a.features.push(n.feature);
        a.modes.push(n.mode ?? 'BRANCH_LEQ');
        a.values.push(n.threshold);
        a.yes.push(n.yes);
        a.no.push(n.no);
        a.missing.push(n.missingGoesYes ? 1 : 0);
      }
    });
  });
  return {
    nodes_treeids: { ints: a.treeIds },
    nodes_nodeids: { ints: a.nodeIds },
    nodes_featureids: { ints: a.features },
    nodes_modes: { strings: a.modes },
    nodes_values: { floats: a.values },
    nodes_truenodeids: { ints: a.yes },
    nodes_falsenodeids: { ints: a.no },
    nodes_missing_value_tracks_true: { ints: a.missing },
    [`${prefix}_treeids`]: { ints: a.wTree },
    [`${prefix}_nodeids`]: { ints: a.wNode },
    [`${prefix}_ids`]: { ints: a.wIds },
    [`${prefix}_weights`]: { floats: a.wValues },
  };
}

/** A model with one float tensor input `input` of `features` columns and the given nodes. */
export function singleInputModel(
  features: number,
  nodes: Parameters<typeof buildModel>[0]['nodes'],
  outputs: Parameters<typeof buildModel>[0]['outputs'],
  initializers: Parameters<typeof buildModel>[0]['initializers'] = [],
): Uint8Array {
  return buildModel({ inputs: [{ name: 'input', dtype: 'float32', shape: ['N', features] }], outputs, nodes, initializers });
}

/** Rewrites float list attributes of the first node as opset-3 `*_as_tensor` doubles. */
export function asTensorAttributes(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const model = decodeModel(bytes);
  const node = model.proto.graph.node[0];
  node.attribute = node.attribute.map((a: { name: string; floats: number[] }) =>
    names.includes(a.name)
      ? { name: `${a.name}_as_tensor`, type: 4, t: { dataType: 11, dims: [a.floats.length], doubleData: Array.from(a.floats) } }
      : a,
  );
  return encodeModel(model);
}
