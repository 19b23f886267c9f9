import {
  assembleBundle,
  type Bundle,
  type BundleSpec,
  buildModel,
  type FeatureRecord,
  type TreeNodeSpec,
  treeEnsembleClassifierNode,
} from '@cairn/core';

/** `count` numeric features f0…f{count−1} that may be missing. */
export function numericFeatures(count: number): BundleSpec['features'] {
  return Array.from({ length: count }, (_, i) => ({
    name: `f${i}`,
    label: `Feature ${i}`,
    type: 'number' as const,
    unit: 'mg/dL',
    required: false,
  }));
}

/** A spec with the given features (other fields filled with test values). */
export function testSpec(features: BundleSpec['features'], extra: Partial<BundleSpec> = {}): BundleSpec {
  return {
    id: 'explain-test',
    name: 'Explanation test model',
    version: '1.0.0',
    intendedUse: 'Testing explanations only.',
    limitations: ['Synthetic.'],
    features,
    ...extra,
  };
}

/**
 * Random rows (float32 values, so JS and the model see the same numbers): half drawn from a grid
 * so EQ/NEQ splits fire, the rest continuous, with a share of missing values.
 */
export function randomRows(random: () => number, rows: number, features: number, missing = 0.05): number[][] {
  const grid = [-1, -0.5, 0, 0.5, 1];
  return Array.from({ length: rows }, () =>
    Array.from({ length: features }, () => {
      const u = random();
      if (u < missing) return Number.NaN;
      return random() < 0.5 ? (grid[Math.floor(random() * grid.length)] as number) : Math.fround((random() - 0.5) * 2.4);
    }),
  );
}

/** A row of numbers as a feature record (NaN → missing). */
export function toRecord(row: readonly number[]): FeatureRecord {
  return Object.fromEntries(row.map((v, i) => [`f${i}`, Number.isNaN(v) ? null : v]));
}

/** A binary tree-ensemble bundle over numeric features, with reference rows. */
export async function treeBundle(
  trees: ReadonlyArray<ReadonlyArray<TreeNodeSpec>>,
  features: number,
  reference: readonly (readonly number[])[],
  options: { baseValue?: number; postTransform?: 'NONE' | 'LOGISTIC' } = {},
): Promise<Bundle> {
  const model = buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', features] }],
    outputs: [
      { name: 'label', dtype: 'int64', shape: ['N'] },
      { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
    ],
    nodes: [treeEnsembleClassifierNode({ trees, input: 'input', outputs: ['label', 'probabilities'], ...options })],
  });
  const { bundle } = await assembleBundle(testSpec(numericFeatures(features)), model, { reference: reference.map(toRecord) });
  return bundle;
}
