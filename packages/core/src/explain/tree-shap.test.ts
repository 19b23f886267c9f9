import { assembleBundle, buildModel, createExplainer, createPredictor, type TreeNodeSpec, treeEnsembleClassifierNode } from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { randomRows, toRecord, treeBundle } from '../__fixtures__/explain-bundles.js';
import { randomShapTree, rng } from '../__fixtures__/random-ensemble.js';
import { bruteForceShapley, countedCovers, coverExpectation, treeValue } from '../__fixtures__/shapley.js';

const BASE = Math.fround(-0.1);

function setup(seed: number, features: number, options: { noCovers?: boolean; trees?: number; depth?: number } = {}) {
  const random = rng(seed);
  const trees: TreeNodeSpec[][] = Array.from({ length: options.trees ?? 6 }, () =>
    randomShapTree(random, { depth: options.depth ?? 4, features, ...(options.noCovers ? { noCovers: true } : {}) }),
  );
  const reference = randomRows(random, 40, features);
  const patients = randomRows(random, 5, features);
  return { trees, reference, patients };
}

function margin(trees: readonly TreeNodeSpec[][], x: readonly number[]): number {
  return trees.reduce((s, t) => s + treeValue(t, x), BASE);
}

function specCovers(tree: readonly TreeNodeSpec[]): number[] {
  return tree.map((n) => n.cover ?? 0);
}

describe('path-dependent TreeSHAP', () => {
  for (const [seed, features] of [
    [1, 3],
    [2, 5],
    [3, 8],
    [4, 6],
  ] as const) {
    it(`equals brute-force Shapley values with the model's covers (seed ${seed}, ${features} features)`, async () => {
      const { trees, reference, patients } = setup(seed, features);
      const bundle = await treeBundle(trees, features, reference, { baseValue: BASE });
      const explainer = await createExplainer(bundle, { method: 'tree-path', runtime: ort });
      expect(explainer.method).toBe('tree-path');
      expect(explainer.space).toBe('log-odds');
      const base = trees.reduce((s, t) => s + coverExpectation(t, specCovers(t), [], () => false), BASE);
      expect(explainer.base).toBeCloseTo(base, 10);
      for (const x of patients) {
        const e = await explainer.explain(toRecord(x));
        const expected = bruteForceShapley(features, (mask) =>
          trees.reduce((s, t) => s + coverExpectation(t, specCovers(t), x, (c) => ((mask >> c) & 1) === 1), BASE),
        );
        e.contributions.forEach((c, i) => {
          expect(c.contribution).toBeCloseTo(expected[i] as number, 10);
        });
        expect(e.output).toBeCloseTo(margin(trees, x), 10);
        expect(e.additivityError).toBeLessThan(1e-10);
        expect(e.probability).toBeCloseTo(1 / (1 + Math.exp(-e.output)), 12);
      }
      await explainer.release();
    });
  }

  it('computes covers from the reference rows when the model has none', async () => {
    const features = 6;
    const { trees, reference, patients } = setup(21, features, { noCovers: true });
    const bundle = await treeBundle(trees, features, reference, { baseValue: BASE });
    const explainer = await createExplainer(bundle);
    expect(explainer.method).toBe('tree-path');
    const covers = trees.map((t) => countedCovers(t, reference));
    const meanOutput = reference.reduce((s, r) => s + margin(trees, r), 0) / reference.length;
    expect(explainer.base).toBeCloseTo(meanOutput, 10);
    for (const x of patients) {
      const e = await explainer.explain(toRecord(x));
      const expected = bruteForceShapley(features, (mask) =>
        trees.reduce((s, t, k) => s + coverExpectation(t, covers[k] as number[], x, (c) => ((mask >> c) & 1) === 1), BASE),
      );
      e.contributions.forEach((c, i) => {
        expect(c.contribution).toBeCloseTo(expected[i] as number, 10);
      });
    }
  });

  it('refuses a model without covers when the bundle has no reference rows', async () => {
    const { trees } = setup(5, 3, { noCovers: true });
    const bundle = await treeBundle(trees, 3, []);
    await expect(createExplainer(bundle, { method: 'tree-path' })).rejects.toMatchObject({ name: 'CairnError', code: 'invalid_bundle' });
    const withCovers = await treeBundle(setup(5, 3).trees, 3, []);
    await expect(createExplainer(withCovers)).resolves.toMatchObject({ method: 'tree-path' });
  });
});

describe('interventional TreeSHAP', () => {
  for (const [seed, features] of [
    [11, 4],
    [12, 7],
    [13, 8],
  ] as const) {
    it(`equals brute-force Shapley values against the background (seed ${seed}, ${features} features)`, async () => {
      const { trees, reference, patients } = setup(seed, features);
      const bundle = await treeBundle(trees, features, reference, { baseValue: BASE });
      const explainer = await createExplainer(bundle, { method: 'tree-interventional', runtime: ort });
      expect(explainer.method).toBe('tree-interventional');
      const meanOutput = reference.reduce((s, r) => s + margin(trees, r), 0) / reference.length;
      expect(explainer.base).toBeCloseTo(meanOutput, 10);
      for (const x of patients) {
        const e = await explainer.explain(toRecord(x));
        const expected = bruteForceShapley(features, (mask) => {
          let s = 0;
          for (const r of reference)
            s += margin(
              trees,
              r.map((v, c) => (((mask >> c) & 1) === 1 ? (x[c] as number) : v)),
            );
          return s / reference.length;
        });
        e.contributions.forEach((c, i) => {
          expect(c.contribution).toBeCloseTo(expected[i] as number, 10);
        });
        expect(e.additivityError).toBeLessThan(1e-10);
      }
    });
  }

  it('is selectable per bundle through manifest.explanation.method', async () => {
    const { trees, reference } = setup(14, 3);
    const bundle = await treeBundle(trees, 3, reference);
    const manifest = { ...bundle.manifest, explanation: { method: 'tree-interventional' as const } };
    const explainer = await createExplainer({ ...bundle, manifest });
    expect(explainer.method).toBe('tree-interventional');
    expect((await createExplainer({ ...bundle, manifest }, { method: 'tree-path' })).method).toBe('tree-path');
  });
});

describe('Shapley properties', () => {
  // f = g(x0) + g(x1) + h(x2): x0 and x1 are symmetric players, x3 is a dummy.
  const g = (feature: number): TreeNodeSpec[] => [
    { feature, threshold: 0.2, yes: 1, no: 2, cover: 10 },
    { leaf: -0.4, cover: 6 },
    { leaf: 0.7, cover: 4 },
  ];
  const h: TreeNodeSpec[] = [
    { feature: 2, threshold: -0.3, mode: 'BRANCH_GT', yes: 1, no: 2, cover: 8 },
    { feature: 2, threshold: 0.6, yes: 3, no: 4, cover: 5 },
    { leaf: 0.1, cover: 3 },
    { leaf: 0.25, cover: 2 },
    { leaf: -0.5, cover: 3 },
  ];
  const trees = [g(0), g(1), h];
  // The background is symmetric in x0 and x1.
  const reference = [
    [0.1, 0.9, 0.5, 1],
    [0.9, 0.1, -0.5, 0],
    [-0.6, 0.4, 0, 0.3],
    [0.4, -0.6, 0.7, 0.2],
  ].map((r) => r.map(Math.fround));

  for (const method of ['tree-path', 'tree-interventional'] as const) {
    it(`${method}: symmetry, dummy and efficiency`, async () => {
      const bundle = await treeBundle(method === 'tree-path' ? [g(0), g(1)] : trees, 4, reference);
      const explainer = await createExplainer(bundle, { method });
      const e = await explainer.explain({ f0: 0.5, f1: 0.5, f2: 0.1, f3: -2 });
      const [c0, c1, , c3] = e.contributions.map((c) => c.contribution);
      expect(c0).toBeCloseTo(c1 as number, 12);
      expect(c0).not.toBe(0);
      expect(c3).toBe(0);
      const sum = e.contributions.reduce((s, c) => s + c.contribution, 0);
      expect(e.base + sum).toBeCloseTo(e.output, 12);
    });
  }
});

describe('tree explanations against onnxruntime', () => {
  it('reports the margin, the probability the predictor gives, and JSON-safe values', async () => {
    const { trees, reference, patients } = setup(31, 5, { trees: 20, depth: 5 });
    const bundle = await treeBundle(trees, 5, reference, { baseValue: 0.3 });
    const explainer = await createExplainer(bundle, { runtime: ort });
    const predictor = await createPredictor(bundle, { runtime: ort });
    const records = patients.map(toRecord);
    const explanations = await explainer.explainBatch(records);
    const scores = await predictor.predictValues(records);
    explanations.forEach((e, i) => {
      expect(e.probability).toBeCloseTo(scores.probability[i] as number, 5);
      expect(JSON.parse(JSON.stringify(e))).toEqual(e);
      expect(e.contributions.map((c) => c.feature)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
      expect(e.contributions[0]).toMatchObject({ label: 'Feature 0', unit: 'mg/dL' });
    });
    await predictor.release();
    await explainer.release();
  });

  it('rescales margin contributions to probabilities when asked, and says so', async () => {
    const { trees, reference, patients } = setup(32, 4);
    const bundle = await treeBundle(trees, 4, reference);
    const margin = await createExplainer(bundle);
    const prob = await createExplainer(bundle, { space: 'probability' });
    expect(prob.space).toBe('probability-rescaled');
    expect(prob.base).toBeCloseTo(1 / (1 + Math.exp(-margin.base)), 12);
    const x = toRecord(patients[0] as number[]);
    const em = await margin.explain(x);
    const ep = await prob.explain(x);
    const sum = ep.contributions.reduce((s, c) => s + c.contribution, 0);
    expect(ep.base + sum).toBeCloseTo(ep.probability, 12);
    expect(ep.output).toBe(ep.probability);
    const ratio = (ep.probability - ep.base) / (em.output - em.base);
    ep.contributions.forEach((c, i) => {
      expect(c.contribution).toBeCloseTo((em.contributions[i]?.contribution as number) * ratio, 12);
    });
  });
});

describe('one-hot columns of a category', () => {
  it('are one player: TreeSHAP over categories equals brute force over coalitions of features', async () => {
    const random = rng(41);
    // Columns: 0–2 one-hot of `kind` (a, b, c), 3 = `x`, 4 = `y`.
    const trees = Array.from({ length: 6 }, () => randomShapTree(random, { depth: 4, features: 5, allModes: false }));
    const player = [0, 0, 0, 1, 2];
    const kinds = ['a', 'b', 'c'];
    const derived = (r: { kind: string; x: number; y: number }) => [...kinds.map((k) => (r.kind === k ? 1 : 0)), r.x, r.y];
    const rows = Array.from({ length: 30 }, () => ({
      kind: kinds[Math.floor(random() * 3)] as string,
      x: Math.fround(random() * 2 - 1),
      y: Math.fround(random() * 2 - 1),
    }));
    const model = buildModel({
      inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 5] }],
      outputs: [
        { name: 'label', dtype: 'int64', shape: ['N'] },
        { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
      ],
      nodes: [treeEnsembleClassifierNode({ trees, input: 'input', outputs: ['label', 'probabilities'] })],
    });
    const spec = {
      id: 'onehot',
      name: 'One-hot test',
      version: '1.0.0',
      intendedUse: 'Tests.',
      limitations: ['Synthetic.'],
      features: [
        { name: 'kind', label: 'Kind', type: 'category' as const, categories: kinds.map((k) => ({ value: k, label: k.toUpperCase() })) },
        { name: 'x', label: 'X', type: 'number' as const },
        { name: 'y', label: 'Y', type: 'number' as const },
      ],
      inputs: {
        layout: 'tensor' as const,
        name: 'input',
        columns: [...kinds.map((k) => ({ feature: 'kind', oneHot: k })), { feature: 'x' }, { feature: 'y' }],
      },
    };
    const { bundle } = await assembleBundle(spec, model, { reference: rows });
    for (const method of ['tree-path', 'tree-interventional'] as const) {
      const explainer = await createExplainer(bundle, { method, runtime: ort });
      for (const r of rows.slice(0, 4)) {
        const e = await explainer.explain(r);
        expect(e.contributions.map((c) => c.feature)).toEqual(['kind', 'x', 'y']);
        expect(e.contributions[0]).toMatchObject({ value: r.kind, valueLabel: r.kind.toUpperCase() });
        const x = derived(r);
        const m = (row: number[]) => trees.reduce((s, t) => s + treeValue(t, row), 0);
        const expected = bruteForceShapley(3, (mask) => {
          const known = (c: number) => ((mask >> (player[c] as number)) & 1) === 1;
          if (method === 'tree-path') return trees.reduce((s, t) => s + coverExpectation(t, specCovers(t), x, known), 0);
          let s = 0;
          for (const b of rows) {
            const z = derived(b);
            s += m(z.map((v, c) => (known(c) ? (x[c] as number) : v)));
          }
          return s / rows.length;
        });
        e.contributions.forEach((c, i) => {
          expect(c.contribution).toBeCloseTo(expected[i] as number, 10);
        });
      }
    }
  });
});
