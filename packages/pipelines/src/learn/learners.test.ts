import { isCairnError } from '@cairn/core';
import { type DataColumn, type LogisticModel, type TrainingData, trainForest, trainGbdt, trainLogistic } from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

/** A small seeded generator so the fixtures do not depend on the code under test. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const num = (name: string, values: number[]): DataColumn => ({ name, label: name, type: 'number', values: Float64Array.from(values) });

function synthetic(n: number, seed: number): TrainingData {
  const u = lcg(seed);
  const x0: number[] = [];
  const x1: number[] = [];
  const cat: number[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = u() * 4 - 2;
    const b = u() * 4 - 2;
    const c = Math.floor(u() * 3) * 5; // codes 0, 5, 10
    const z = 1.2 * a - 0.8 * b + (c === 10 ? 1 : c === 5 ? -0.5 : 0) + a * b * 0.5;
    labels[i] = u() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    x0.push(u() < 0.1 ? Number.NaN : a);
    x1.push(b);
    cat.push(u() < 0.05 ? Number.NaN : c);
  }
  const category: DataColumn = {
    name: 'c',
    label: 'c',
    type: 'category',
    values: Float64Array.from(cat),
    categories: [
      { value: 0, label: 'zero' },
      { value: 5, label: 'five' },
      { value: 10, label: 'ten' },
    ],
  };
  return { columns: [num('x0', x0), num('x1', x1), category], labels };
}

async function onnxProbabilities(model: Uint8Array, columns: readonly Float64Array[]): Promise<Float32Array> {
  const n = columns[0]?.length ?? 0;
  const width = columns.length;
  const x = new Float32Array(n * width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) x[i * width + j] = columns[j]?.[i] as number;
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ input: new ort.Tensor('float32', x, [n, width]) });
  const probs = out.probabilities?.data as Float32Array;
  await session.release();
  return Float32Array.from({ length: n }, (_, i) => probs[2 * i + 1] as number);
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j]) continue;
      pairs++;
      wins += (scores[i] as number) > (scores[j] as number) ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

/** The design matrix the model says it uses, rebuilt here from its impute values, offsets and scales. */
function designOf(model: LogisticModel, columns: readonly Float64Array[], row: number): number[] {
  return model.design.map((d) => {
    let x = Math.fround(columns[d.feature]?.[row] as number);
    if (Number.isNaN(x)) x = model.impute[d.feature] as number;
    return d.kind === 'scaled' ? (x - d.offset) * d.scale : x === d.value ? 1 : 0;
  });
}

describe('trainLogistic', () => {
  it('meets the optimality condition of the penalised likelihood', async () => {
    const data = synthetic(600, 1);
    const l2 = 0.7;
    const model = await trainLogistic(data, { l2 });
    expect(model.converged).toBe(true);
    const columns = data.columns.map((c) => c.values);
    const p = model.predict(columns);
    const grad = new Float64Array(model.design.length + 1);
    for (let i = 0; i < 600; i++) {
      const r = (p[i] as number) - (data.labels[i] as number);
      designOf(model, columns, i).forEach((z, k) => {
        grad[k] = (grad[k] as number) + r * z;
      });
      grad[model.design.length] = (grad[model.design.length] as number) + r;
    }
    model.coefficients.forEach((b, k) => {
      grad[k] = (grad[k] as number) + l2 * b;
    });
    // Zero up to the float32 rounding of the stored coefficients.
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-3);
    // The penalty shrinks: a larger l2 gives a smaller coefficient norm.
    const stiff = await trainLogistic(data, { l2: 50 });
    const norm = (m: LogisticModel) => m.coefficients.reduce((s, b) => s + b * b, 0);
    expect(norm(stiff)).toBeLessThan(norm(model));
  });

  it('matches the closed form for one binary feature without penalty', async () => {
    // Group rates: x = 0 → 3/10 positive, x = 1 → 8/10 positive; the MLE reproduces them exactly.
    const x = [...Array(10).fill(0), ...Array(10).fill(1)];
    const y = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const model = await trainLogistic(
      { columns: [{ name: 'x', label: 'x', type: 'boolean', values: Float64Array.from(x) }], labels: y },
      { l2: 0 },
    );
    const p = model.predict([Float64Array.from([0, 1])]);
    expect(p[0]).toBeCloseTo(0.3, 6);
    expect(p[1]).toBeCloseTo(0.8, 6);
    // The log odds ratio, on the standardised scale: b = (logit .8 − logit .3) · sd(x).
    const logit = (q: number) => Math.log(q / (1 - q));
    expect(model.coefficients[0]).toBeCloseTo((logit(0.8) - logit(0.3)) * 0.5, 5);
  });

  it('exports an ONNX graph that onnxruntime scores identically (imputation, scaling, one-hot)', async () => {
    const data = synthetic(400, 2);
    const model = await trainLogistic(data);
    const test = synthetic(300, 3).columns.map((c) => c.values);
    test[2]?.set([7], 0); // an unseen category: every one-hot column is 0
    expect(maxDifference(await onnxProbabilities(model.toOnnx(), test), model.predict(test))).toBeLessThan(1e-5);
  });

  it('refuses bad parameters', async () => {
    await expect(trainLogistic(synthetic(50, 1), { l2: -1 })).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('trainGbdt', () => {
  it('separates separable data and puts the split between the classes', async () => {
    const x = Array.from({ length: 200 }, (_, i) => i / 200);
    const labels = Uint8Array.from(x, (v) => (v > 0.3 ? 1 : 0));
    const model = await trainGbdt({ columns: [num('x', x)], labels }, { trees: 20, maxDepth: 1, earlyStoppingRounds: 0 });
    expect(auc(model.predict([Float64Array.from(x)]), labels)).toBe(1);
    const root = model.trees[0];
    expect(root?.feature[0]).toBe(0);
    expect(root?.threshold[0]).toBeGreaterThanOrEqual(0.3);
    expect(root?.threshold[0]).toBeLessThan(0.305);
  });

  it('grows leaves and covers that match a brute-force recount of the rows', async () => {
    const data = synthetic(500, 4);
    const lambda = 2;
    const learningRate = 0.3;
    const model = await trainGbdt(data, { trees: 1, maxDepth: 4, lambda, learningRate, earlyStoppingRounds: 0, maxBins: 16 });
    const tree = model.trees[0];
    if (!tree) throw new Error('no tree');
    const p0 = 1 / (1 + Math.exp(-model.baseMargin));
    const g = new Float64Array(tree.feature.length);
    const h = new Float64Array(tree.feature.length);
    const columns = data.columns.map((c) => c.values);
    for (let i = 0; i < 500; i++) {
      let node = 0;
      for (;;) {
        g[node] = (g[node] as number) + p0 - (data.labels[i] as number);
        h[node] = (h[node] as number) + p0 * (1 - p0);
        const f = tree.feature[node] as number;
        if (f < 0) break;
        const v = Math.fround(columns[f]?.[i] as number);
        const left = Number.isNaN(v) ? tree.missingLeft[node] === 1 : v <= (tree.threshold[node] as number);
        node = (left ? tree.left[node] : tree.right[node]) as number;
      }
    }
    expect(tree.feature.filter((f) => f < 0).length).toBeGreaterThan(4);
    tree.feature.forEach((f, node) => {
      expect(tree.cover[node]).toBeCloseTo(h[node] as number, 4);
      if (f < 0) expect(tree.value[node]).toBeCloseTo((-(g[node] as number) / ((h[node] as number) + lambda)) * learningRate, 6);
    });
  });

  it('caps leaves with maxLeaves, splitting the best-gain leaf first', async () => {
    const data = synthetic(500, 16);
    const model = await trainGbdt(data, { trees: 5, maxDepth: 6, maxLeaves: 4, earlyStoppingRounds: 0 });
    for (const tree of model.trees) expect(tree.feature.filter((f) => f < 0).length).toBe(4);
    const deep = await trainGbdt(data, { trees: 1, maxDepth: 6, earlyStoppingRounds: 0 });
    const tree = model.trees[0];
    // The root split does not depend on the cap; the capped tree is much smaller than the uncapped one.
    expect(tree?.feature[0]).toBe(deep.trees[0]?.feature[0]);
    expect(tree?.threshold[0]).toBe(deep.trees[0]?.threshold[0]);
    expect(deep.trees[0]?.feature.filter((f) => f < 0).length).toBeGreaterThan(8);
  });

  it('learns where missing values go', async () => {
    const x: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) {
        x.push(Number.NaN);
        labels.push(1);
      } else {
        x.push(i / 300);
        labels.push(i / 300 > 0.8 ? 1 : 0);
      }
    }
    const model = await trainGbdt({ columns: [num('x', x)], labels: Uint8Array.from(labels) }, { trees: 30, earlyStoppingRounds: 0 });
    const [missing, low, high] = model.predict([Float64Array.from([Number.NaN, 0.1, 0.95])]);
    expect(missing).toBeGreaterThan(0.9);
    expect(low).toBeLessThan(0.1);
    expect(high).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed, and the seed matters when sampling', async () => {
    const data = synthetic(400, 5);
    const params = { trees: 15, subsample: 0.6, colsample: 0.7, earlyStoppingRounds: 0 };
    const cols = data.columns.map((c) => c.values);
    const a = (await trainGbdt(data, params, { seed: 9 })).predict(cols);
    const b = (await trainGbdt(data, params, { seed: 9 })).predict(cols);
    const c = (await trainGbdt(data, params, { seed: 10 })).predict(cols);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('stops early when the validation loss stops improving', async () => {
    const data = synthetic(400, 6);
    const noise: TrainingData = {
      columns: synthetic(200, 7).columns,
      labels: Uint8Array.from({ length: 200 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
    };
    const model = await trainGbdt(data, { trees: 300, earlyStoppingRounds: 10, learningRate: 0.3 }, { validation: noise });
    expect(model.rounds).toBeLessThan(300);
    expect(model.validationLoss.length).toBe(model.rounds + 10);
  });

  it('weights positive rows with positiveWeight', async () => {
    const data = synthetic(300, 8);
    const cols = data.columns.map((c) => c.values);
    const mean = (p: Float64Array) => p.reduce((s, v) => s + v, 0) / p.length;
    const plain = await trainGbdt(data, { trees: 10, earlyStoppingRounds: 0 });
    const heavy = await trainGbdt(data, { trees: 10, earlyStoppingRounds: 0, positiveWeight: 5 });
    expect(mean(heavy.predict(cols))).toBeGreaterThan(mean(plain.predict(cols)) + 0.1);
  });

  it('exports trees that onnxruntime scores identically, missing values included', async () => {
    const data = synthetic(500, 9);
    const model = await trainGbdt(data, { trees: 40, maxDepth: 4, subsample: 0.8 });
    const test = synthetic(300, 10).columns.map((c) => c.values);
    expect(maxDifference(await onnxProbabilities(model.toOnnx(), test), model.predict(test))).toBeLessThan(1e-5);
  });

  it('stops with CairnError cancelled when the signal fires mid-training', async () => {
    const data = synthetic(20_000, 11);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 30);
    const error = await trainGbdt(data, { trees: 5000, earlyStoppingRounds: 0 }, { signal: controller.signal }).catch((e) => e);
    expect(isCairnError(error)).toBe(true);
    expect(error.code).toBe('cancelled');
    const aborted = AbortSignal.abort();
    await expect(trainForest(data, {}, { signal: aborted })).rejects.toMatchObject({ code: 'cancelled' });
    await expect(trainLogistic(data, {}, { signal: aborted })).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('trainForest', () => {
  it('separates separable data and averages class fractions', async () => {
    const u = lcg(12);
    const x = Array.from({ length: 300 }, () => u());
    const noise = Array.from({ length: 300 }, () => u());
    const labels = Uint8Array.from(x, (v) => (v > 0.6 ? 1 : 0));
    const model = await trainForest({ columns: [num('x', x), num('noise', noise)], labels }, { trees: 30, maxFeatures: 1 });
    const test = [Float64Array.from({ length: 100 }, (_, i) => i / 100), Float64Array.from({ length: 100 }, () => u())];
    const p = model.predict(test);
    expect(
      auc(
        p,
        Uint8Array.from(test[0] ?? [], (v) => (v > 0.6 ? 1 : 0)),
      ),
    ).toBeGreaterThan(0.99);
    for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
    expect(p[0]).toBeLessThan(0.05);
    expect(p[99]).toBeGreaterThan(0.95);
  });

  it('exports a forest that onnxruntime scores identically', async () => {
    const data = synthetic(400, 13);
    const model = await trainForest(data, { trees: 25, maxDepth: 6 });
    const test = synthetic(200, 14).columns.map((c) => c.values);
    expect(maxDifference(await onnxProbabilities(model.toOnnx(), test), model.predict(test))).toBeLessThan(1e-5);
  });

  it('is deterministic for a seed', async () => {
    const data = synthetic(300, 15);
    const cols = data.columns.map((c) => c.values);
    const a = (await trainForest(data, { trees: 10 }, { seed: 2 })).predict(cols);
    const b = (await trainForest(data, { trees: 10 }, { seed: 2 })).predict(cols);
    const c = (await trainForest(data, { trees: 10 }, { seed: 3 })).predict(cols);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});

describe('two threads', () => {
  it('build the same trees as one thread', async () => {
    const base = synthetic(60_000, 21);
    // Ten features so the helper thread gets some: the synthetic three plus seven copies.
    const columns = [
      ...base.columns,
      ...Array.from({ length: 7 }, (_, k) =>
        num(
          `copy${k}`,
          Array.from(base.columns[k % 2]?.values ?? [], (v) => v * (k + 1)),
        ),
      ),
    ];
    const data = { columns, labels: base.labels };
    const params = { trees: 8, maxDepth: 5, subsample: 0.8, earlyStoppingRounds: 0 };
    const one = await trainGbdt(data, params, { threads: 1 });
    const two = await trainGbdt(data, params, { threads: 2 });
    expect(two.trees.map((t) => Array.from(t.value))).toEqual(one.trees.map((t) => Array.from(t.value)));
    expect(two.trees.map((t) => Array.from(t.cover))).toEqual(one.trees.map((t) => Array.from(t.cover)));
    const forestOne = await trainForest(data, { trees: 3, maxDepth: 6 }, { threads: 1 });
    const forestTwo = await trainForest(data, { trees: 3, maxDepth: 6 }, { threads: 2 });
    expect(forestTwo.trees.map((t) => Array.from(t.threshold))).toEqual(forestOne.trees.map((t) => Array.from(t.threshold)));
  });
});
