/**
 * Batch throughput and single-patient latency of Cairn's predictor against onnxruntime-node
 * called directly on the same tensors, for a 100-tree depth-4 ensemble on 30 features.
 * Run: npm run bench -w @cairn/node
 */
import { performance } from 'node:perf_hooks';
import { assembleBundle, type BundleSpec, createPredictor } from '@cairn/node';
import * as ort from 'onnxruntime-node';
import { randomEnsembleModel, rng } from '../../core/src/__fixtures__/random-ensemble.js';

const FEATURES = 30;
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 20_000);

const model = randomEnsembleModel({ trees: 100, depth: 4, features: FEATURES, seed: 1 });
const spec: BundleSpec = {
  id: 'bench',
  name: 'Benchmark ensemble',
  version: '1.0.0',
  intendedUse: 'Benchmark only.',
  limitations: ['Random trees.'],
  features: Array.from({ length: FEATURES }, (_, i) => ({
    name: `f${i}`,
    label: `Feature ${i}`,
    type: 'number' as const,
    unit: 'mg/dL',
    limits: { min: -100, max: 100 },
    plausible: { min: -5, max: 5 },
  })),
};

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main() {
  const { bundle } = await assembleBundle(spec, model);
  const predictor = await createPredictor(bundle);
  const raw = await ort.InferenceSession.create(bundle.modelBytes, {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    executionMode: 'sequential',
  });

  const random = rng(7);
  const data = new Float32Array(ROWS * FEATURES);
  for (let i = 0; i < data.length; i++) data[i] = (random() - 0.5) * 4;

  // Warm up both paths.
  await predictor.predictMatrix(data.subarray(0, 10_000 * FEATURES), 10_000);
  await raw.run({ input: new ort.Tensor('float32', data.subarray(0, 10_000 * FEATURES), [10_000, FEATURES]) }, ['probabilities']);

  const batchTimes: { cairn: number[]; raw: number[] } = { cairn: [], raw: [] };
  for (let rep = 0; rep < 3; rep++) {
    let t = performance.now();
    const scores = await predictor.predictMatrix(data, ROWS);
    batchTimes.cairn.push(performance.now() - t);
    t = performance.now();
    const out = await raw.run({ input: new ort.Tensor('float32', data, [ROWS, FEATURES]) }, ['probabilities']);
    batchTimes.raw.push(performance.now() - t);
    if (rep === 0) {
      const probs = out.probabilities?.data as Float32Array;
      for (let i = 0; i < ROWS; i += 9973) {
        if (Math.abs((scores.probability[i] as number) - (probs[i * 2 + 1] as number)) > 1e-7) throw new Error(`mismatch at row ${i}`);
      }
    }
  }
  const best = (xs: number[]) => Math.min(...xs);
  const cairnRate = ROWS / (best(batchTimes.cairn) / 1000);
  const rawRate = ROWS / (best(batchTimes.raw) / 1000);

  // Single patient: validate + encode + infer + band, from a plain JSON-like record.
  const records = Array.from({ length: 256 }, () =>
    Object.fromEntries(spec.features.map((f) => [f.name, Math.round((random() - 0.5) * 400) / 100])),
  );
  const rawTensors = records.map(
    (r) => new ort.Tensor('float32', Float32Array.from(spec.features.map((f) => r[f.name] as number)), [1, FEATURES]),
  );
  for (let i = 0; i < 2000; i++) {
    await predictor.predict(records[i % records.length]);
    await raw.run({ input: rawTensors[i % rawTensors.length] as ort.Tensor }, ['probabilities']);
  }
  const cairnLat = new Float64Array(SINGLE);
  const rawLat = new Float64Array(SINGLE);
  for (let i = 0; i < SINGLE; i++) {
    let t = performance.now();
    await predictor.predict(records[i % records.length]);
    cairnLat[i] = performance.now() - t;
    t = performance.now();
    await raw.run({ input: rawTensors[i % rawTensors.length] as ort.Tensor }, ['probabilities']);
    rawLat[i] = performance.now() - t;
  }
  cairnLat.sort();
  rawLat.sort();
  const t = performance.now();
  for (let i = 0; i < SINGLE; i++) predictor.validate(records[i % records.length]);
  const validateUs = ((performance.now() - t) / SINGLE) * 1000;

  const rows = [
    ['', 'Cairn', 'onnxruntime-node', 'Cairn / raw'],
    [`batch rows/s (${fmt(ROWS)} rows, best of 3)`, fmt(cairnRate), fmt(rawRate), `${fmt((cairnRate / rawRate) * 100, 1)}%`],
    ['single patient p50 (ms)', fmt(quantile(cairnLat, 0.5), 4), fmt(quantile(rawLat, 0.5), 4), ''],
    ['single patient p99 (ms)', fmt(quantile(cairnLat, 0.99), 4), fmt(quantile(rawLat, 0.99), 4), ''],
    ['validate only, mean (µs)', fmt(validateUs, 2), '', ''],
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  console.log('100 trees, depth 4, 30 features; single = validate + encode + infer + band from a JSON record');
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '));
  console.log(
    `targets: batch within 20% of raw (${cairnRate >= rawRate * 0.8 ? 'met' : 'NOT met'}); single p50 < 0.1 ms (${quantile(cairnLat, 0.5) < 0.1 ? 'met' : 'NOT met'})`,
  );
  await predictor.release();
  await raw.release();
}

await main();
