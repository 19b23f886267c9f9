/**
 * Explanation throughput, one thread: exact path-dependent TreeSHAP in JS against XGBoost's own C++
 * TreeSHAP (`pred_contribs`, nthread=1) on the same ensembles — XGBoost trains them on synthetic
 * data, Cairn reads the trained trees as an ONNX TreeEnsembleClassifier. Without Python's xgboost
 * it times random ensembles of the same size and depth instead.
 *
 *   npx tsx packages/core/bench/explain.bench.ts [--quick]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../src/__fixtures__/random-ensemble.js';
import {
  assembleBundle,
  buildModel,
  createExplainer,
  type FeatureRecord,
  type TreeNodeSpec,
  treeEnsembleClassifierNode,
} from '../src/index.js';

const FEATURES = 30;
const quick = process.argv.includes('--quick');
const CONFIGS = [
  { name: '(a) 100 trees, depth 4', trees: 100, depth: 4, rows: quick ? 200 : 2000 },
  { name: '(b) 500 trees, depth 6', trees: 500, depth: 6, rows: quick ? 20 : 200 },
];

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Synthetic classification data: interactions and thresholds, so boosted trees grow full. */
function syntheticData(rows: number, seed: number): { x: number[][]; y: number[] } {
  const random = rng(seed);
  const x = Array.from({ length: rows }, () => Array.from({ length: FEATURES }, () => Math.fround(normal(random))));
  const y = x.map((r) => {
    const z =
      r[0]! * r[1]! +
      Math.sin(2 * r[2]!) +
      (r[3]! > 0.5 ? 1 : -0.5) +
      0.5 * r[4]! ** 2 -
      0.3 * r[5]! +
      0.2 * r[6]! * r[7]! +
      0.5 * normal(random);
    return z > 0.3 ? 1 : 0;
  });
  return { x, y };
}

function findPython(): string | undefined {
  for (const bin of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(bin, ['-c', 'import xgboost'], { stdio: 'ignore' });
      return bin;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

const PYTHON = `
import json, sys, time
import numpy as np
import xgboost as xgb
cfg = json.load(open(sys.argv[1]))
data = np.loadtxt(cfg["train"], delimiter=",", dtype=np.float32)
X, y = data[:, :-1], data[:, -1]
Xe = np.loadtxt(cfg["explain"], delimiter=",", dtype=np.float32, ndmin=2)
booster = xgb.train({"objective": "binary:logistic", "max_depth": cfg["depth"], "eta": 0.1, "nthread": 1,
                     "tree_method": "hist", "min_child_weight": 0, "lambda": 1},
                    xgb.DMatrix(X, label=y, nthread=1), num_boost_round=cfg["trees"])
booster.save_model(cfg["model"])
d = xgb.DMatrix(Xe, nthread=1)
booster.set_param({"nthread": 1})
contribs = booster.predict(d, pred_contribs=True)
best = float("inf")
for _ in range(cfg["repeats"]):
    t0 = time.perf_counter()
    booster.predict(d, pred_contribs=True)
    best = min(best, time.perf_counter() - t0)
json.dump({"seconds": best, "rows": len(Xe), "contribs": contribs[:20].tolist(), "version": xgb.__version__}, open(cfg["out"], "w"))
`;

interface XgbTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: number[];
  sum_hessian: number[];
}

/** XGBoost's JSON model as ONNX trees: `x < threshold` goes left, missing values go the default way. */
function treesFromXgboost(modelJson: string): { trees: TreeNodeSpec[][]; baseMargin: number } {
  const model = JSON.parse(modelJson);
  const baseScore = Number(model.learner.learner_model_param.base_score);
  const trees = (model.learner.gradient_booster.model.trees as XgbTree[]).map((t) =>
    t.left_children.map((left, i): TreeNodeSpec => {
      if (left === -1) return { leaf: t.split_conditions[i]!, cover: t.sum_hessian[i]! };
      return {
        feature: t.split_indices[i]!,
        threshold: t.split_conditions[i]!,
        mode: 'BRANCH_LT',
        yes: left,
        no: t.right_children[i]!,
        missingGoesYes: t.default_left[i] === 1,
        cover: t.sum_hessian[i]!,
      };
    }),
  );
  return { trees, baseMargin: Math.log(baseScore / (1 - baseScore)) };
}

function randomFullTree(random: () => number, depth: number): TreeNodeSpec[] {
  const nodes: TreeNodeSpec[] = [];
  const build = (d: number): { id: number; cover: number } => {
    const id = nodes.length;
    nodes.push({ leaf: 0 });
    if (d === depth) {
      const cover = 1 + Math.floor(random() * 50);
      nodes[id] = { leaf: (random() - 0.5) * 0.2, cover };
      return { id, cover };
    }
    const yes = build(d + 1);
    const no = build(d + 1);
    const cover = yes.cover + no.cover;
    nodes[id] = { feature: Math.floor(random() * FEATURES), threshold: normal(random), mode: 'BRANCH_LT', yes: yes.id, no: no.id, cover };
    return { id, cover };
  };
  build(0);
  return nodes;
}

async function timeCairn(trees: TreeNodeSpec[][], baseMargin: number, rows: FeatureRecord[]) {
  const model = buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', FEATURES] }],
    outputs: [
      { name: 'label', dtype: 'int64', shape: ['N'] },
      { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
    ],
    nodes: [treeEnsembleClassifierNode({ trees, input: 'input', outputs: ['label', 'probabilities'], baseValue: baseMargin })],
  });
  const features = Array.from({ length: FEATURES }, (_, i) => ({
    name: `f${i}`,
    label: `f${i}`,
    type: 'number' as const,
    required: false,
  }));
  const spec = { id: 'bench', name: 'Bench', version: '1.0.0', intendedUse: 'Benchmark.', limitations: ['Synthetic.'], features };
  const { bundle } = await assembleBundle(spec, model);
  const explainer = await createExplainer(bundle, { method: 'tree-path' });
  await explainer.explainBatch(rows.slice(0, Math.min(rows.length, 20))); // warm up the JIT
  let best = Number.POSITIVE_INFINITY;
  let explanations = await explainer.explainBatch(rows);
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    explanations = await explainer.explainBatch(rows);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { rate: rows.length / best, explanations };
}

const toRecord = (r: readonly number[]): FeatureRecord => Object.fromEntries(r.map((v, i) => [`f${i}`, v]));
const fmt = (v: number) => v.toLocaleString('en', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  const python = findPython();
  const dir = mkdtempSync(join(tmpdir(), 'cairn-explain-bench-'));
  console.log(
    `Explanations per second, one thread, ${FEATURES} features${python ? '' : ' (python3 with xgboost not found: random ensembles, Cairn only)'}`,
  );
  const lines: string[] = [];
  try {
    const train = syntheticData(quick ? 2000 : 10000, 1);
    writeFileSync(join(dir, 'train.csv'), train.x.map((r, i) => [...r, train.y[i]].join(',')).join('\n'));
    for (const cfg of CONFIGS) {
      const explain = syntheticData(cfg.rows, 2).x;
      writeFileSync(join(dir, 'explain.csv'), explain.map((r) => r.join(',')).join('\n'));
      const rows = explain.map(toRecord);
      if (python) {
        const conf = {
          train: join(dir, 'train.csv'),
          explain: join(dir, 'explain.csv'),
          model: join(dir, 'model.json'),
          out: join(dir, 'out.json'),
          trees: cfg.trees,
          depth: cfg.depth,
          repeats: 3,
        };
        writeFileSync(join(dir, 'bench.py'), PYTHON);
        writeFileSync(join(dir, 'conf.json'), JSON.stringify(conf));
        execFileSync(python, [join(dir, 'bench.py'), join(dir, 'conf.json')], {
          stdio: 'inherit',
          env: { ...process.env, OMP_NUM_THREADS: '1' },
        });
        const xgb = JSON.parse(readFileSync(conf.out, 'utf8')) as { seconds: number; rows: number; contribs: number[][]; version: string };
        const { trees, baseMargin } = treesFromXgboost(readFileSync(conf.model, 'utf8'));
        const nodes = trees.reduce((s, t) => s + t.length, 0);
        const cairn = await timeCairn(trees, baseMargin, rows);
        let maxDiff = 0;
        xgb.contribs.forEach((c, i) => {
          cairn.explanations[i]?.contributions.forEach((k, j) => {
            maxDiff = Math.max(maxDiff, Math.abs(k.contribution - (c[j] as number)));
          });
        });
        const xgbRate = xgb.rows / xgb.seconds;
        lines.push(
          `${cfg.name} (${nodes} nodes): Cairn ${fmt(cairn.rate)}/s, XGBoost ${xgb.version} pred_contribs ${fmt(xgbRate)}/s, ratio ${(cairn.rate / xgbRate).toFixed(2)} (target ≥ 0.5); max |Δφ| vs XGBoost ${maxDiff.toExponential(1)}`,
        );
      } else {
        const random = rng(7);
        const trees = Array.from({ length: cfg.trees }, () => randomFullTree(random, cfg.depth));
        const cairn = await timeCairn(trees, 0, rows);
        lines.push(`${cfg.name}: Cairn ${fmt(cairn.rate)}/s`);
      }
      console.log(lines[lines.length - 1]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
