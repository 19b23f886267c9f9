/**
 * Training benchmark: time and test ROC AUC of each learner on heart-cleveland, pima-diabetes and a
 * synthetic 1,000,000 × 30 set, with XGBoost (hist, same trees/depth/learning rate, 2 threads)
 * side by side when Debian's python3-xgboost is importable.
 *
 *   npx tsx --conditions=@cairn/source packages/pipelines/bench/train.bench.ts [--rows 1000000] [--no-synthetic]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DataColumn,
  type Dataset,
  evaluate,
  readCsv,
  splitDataset,
  type TrainingData,
  trainForest,
  trainGbdt,
  trainLogistic,
} from '@cairn/pipelines';

const args = process.argv.slice(2);
const rowsArg = args.indexOf('--rows');
const syntheticRows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
const withSynthetic = !args.includes('--no-synthetic');
const here = import.meta.dirname;
const datasets = join(here, '../../../../shared/datasets');

interface Row {
  dataset: string;
  learner: string;
  seconds: number;
  auc: number;
  note?: string;
}
const results: Row[] = [];

function findPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import xgboost, numpy'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}
const python = findPython();

const XGB_SCRIPT = `
import json, sys, time, numpy as np, xgboost as xgb
d = sys.argv[1]; cfg = json.load(open(d + '/cfg.json'))
f = cfg['features']
def load(name, n):
    x = np.fromfile(f'{d}/{name}.x', dtype=np.float32).reshape(n, f)
    y = np.fromfile(f'{d}/{name}.y', dtype=np.uint8)
    return x, y
xtr, ytr = load('train', cfg['train']); xte, yte = load('test', cfg['test'])
params = {'tree_method': 'hist', 'objective': 'binary:logistic', 'eval_metric': 'logloss', 'nthread': 2, 'max_bin': 256,
          'max_depth': cfg['maxDepth'], 'eta': cfg['learningRate'], 'lambda': 1, 'min_child_weight': 1,
          'subsample': cfg['subsample'], 'colsample_bytree': cfg['colsample'], 'seed': 1}
t = time.time()
dtr = xgb.DMatrix(xtr, label=ytr, missing=np.nan, nthread=2)
kw = {}
if cfg['validation'] > 0:
    xva, yva = load('valid', cfg['validation'])
    kw = {'evals': [(xgb.DMatrix(xva, label=yva, missing=np.nan, nthread=2), 'valid')], 'early_stopping_rounds': cfg['early'], 'verbose_eval': False}
b = xgb.train(params, dtr, cfg['trees'], **kw)
seconds = time.time() - t
it = (0, b.best_iteration + 1) if cfg['validation'] > 0 else (0, 0)
p = b.predict(xgb.DMatrix(xte, missing=np.nan), iteration_range=it)
print(json.dumps({'seconds': seconds, 'scores': p.tolist() if len(p) <= 5000 else None, 'auc': None, 'rounds': it[1]}))
if len(p) > 5000:
    p.astype(np.float64).tofile(d + '/scores.f64')
`;

function matrixOf(columns: readonly DataColumn[], rows: number): Float32Array {
  const out = new Float32Array(rows * columns.length);
  columns.forEach((c, j) => {
    for (let i = 0; i < rows; i++) out[i * columns.length + j] = c.values[i] as number;
  });
  return out;
}

interface GbdtSetting {
  trees: number;
  maxDepth: number;
  learningRate: number;
  subsample: number;
  colsample: number;
  early: number;
}

function runXgboost(train: TrainingData, validation: TrainingData | undefined, test: TrainingData, s: GbdtSetting) {
  if (!python) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-xgb-'));
  try {
    const write = (name: string, d: TrainingData) => {
      writeFileSync(join(dir, `${name}.x`), matrixOf(d.columns, d.labels.length));
      writeFileSync(join(dir, `${name}.y`), d.labels);
    };
    write('train', train);
    write('test', test);
    if (validation) write('valid', validation);
    writeFileSync(
      join(dir, 'cfg.json'),
      JSON.stringify({
        ...s,
        features: train.columns.length,
        train: train.labels.length,
        test: test.labels.length,
        validation: validation?.labels.length ?? 0,
      }),
    );
    writeFileSync(join(dir, 'xgb.py'), XGB_SCRIPT);
    const out = JSON.parse(execFileSync(python, [join(dir, 'xgb.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    const scores: ArrayLike<number> = out.scores ?? new Float64Array(readFileSync(join(dir, 'scores.f64')).buffer.slice(0));
    return {
      seconds: out.seconds as number,
      auc: evaluate(scores, test.labels, { bootstrap: 0 }).rocAuc.value,
      rounds: out.rounds as number,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const td = (d: Dataset): TrainingData => ({ columns: d.columns, labels: d.target.labels });

async function time<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

async function clinical(name: string, data: Dataset) {
  const { train, validation, test } = splitDataset(data, { seed: 1 });
  const cols = test.columns.map((c) => c.values);
  const auc = (p: Float64Array) => evaluate(p, test.target.labels, { bootstrap: 0 }).rocAuc.value;
  // The gbdt pipeline's defaults.
  const setting: GbdtSetting = { trees: 300, maxDepth: 3, learningRate: 0.05, subsample: 0.8, colsample: 0.8, early: 30 };
  const lr = await time(() => trainLogistic(td(train)));
  results.push({ dataset: name, learner: 'logistic', seconds: lr.seconds, auc: auc(lr.value.predict(cols)) });
  const gb = await time(() =>
    trainGbdt(
      td(train),
      { ...setting, earlyStoppingRounds: setting.early, lambda: 1, minChildWeight: 1 },
      { validation: td(validation), seed: 1 },
    ),
  );
  results.push({
    dataset: name,
    learner: 'gbdt',
    seconds: gb.seconds,
    auc: auc(gb.value.predict(cols)),
    note: `${gb.value.rounds} rounds`,
  });
  const rf = await time(() => trainForest(td(train), { trees: 300, maxDepth: 8, minLeafWeight: 2 }));
  results.push({ dataset: name, learner: 'random-forest', seconds: rf.seconds, auc: auc(rf.value.predict(cols)) });
  const xgb = runXgboost(td(train), td(validation), td(test), setting);
  if (xgb)
    results.push({ dataset: name, learner: 'xgboost hist (2 threads)', seconds: xgb.seconds, auc: xgb.auc, note: `${xgb.rounds} rounds` });
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** n × 30 rows: 10 informative features (linear terms, an interaction, a sine), 20 noise, 5% missing in two. */
function synthetic(n: number): { train: TrainingData; test: TrainingData } {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const f = 30;
  const values = Array.from({ length: f }, () => new Float64Array(n));
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = -1;
    for (let j = 0; j < f; j++) {
      const x = gaussian(next);
      (values[j] as Float64Array)[i] = x;
      if (j < 10) z += (j % 2 ? 0.5 : -0.4) * x;
    }
    const v = (j: number) => (values[j] as Float64Array)[i] as number;
    z += 0.7 * v(0) * v(1) + Math.sin(2 * v(2));
    labels[i] = next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    if (next() < 0.05) (values[3] as Float64Array)[i] = Number.NaN;
    if (next() < 0.05) (values[4] as Float64Array)[i] = Number.NaN;
  }
  const cut = Math.floor(n * 0.8);
  const part = (a: number, b: number): TrainingData => ({
    columns: values.map((c, j) => ({ name: `x${j}`, label: `x${j}`, type: 'number' as const, values: c.subarray(a, b) })),
    labels: labels.subarray(a, b),
  });
  return { train: part(0, cut), test: part(cut, n) };
}

async function large(n: number) {
  const name = `synthetic ${n.toLocaleString('en')} × 30`;
  const { train, test } = synthetic(n);
  const cols = test.columns.map((c) => c.values);
  const auc = (p: Float64Array) => evaluate(p, test.labels, { bootstrap: 0 }).rocAuc.value;
  const setting: GbdtSetting = { trees: 100, maxDepth: 6, learningRate: 0.1, subsample: 1, colsample: 1, early: 0 };
  const lr = await time(() => trainLogistic(train));
  results.push({ dataset: name, learner: 'logistic', seconds: lr.seconds, auc: auc(lr.value.predict(cols)) });
  const gb = await time(() => trainGbdt(train, { ...setting, earlyStoppingRounds: 0 }, { seed: 1 }));
  results.push({ dataset: name, learner: 'gbdt', seconds: gb.seconds, auc: auc(gb.value.predict(cols)), note: '100 trees, depth 6' });
  const rf = await time(() => trainForest(train, { trees: 20, maxDepth: 8 }));
  results.push({
    dataset: name,
    learner: 'random-forest',
    seconds: rf.seconds,
    auc: auc(rf.value.predict(cols)),
    note: '20 trees, depth 8',
  });
  const xgb = runXgboost(train, undefined, test, setting);
  if (xgb)
    results.push({ dataset: name, learner: 'xgboost hist (2 threads)', seconds: xgb.seconds, auc: xgb.auc, note: '100 trees, depth 6' });

  // Cancellation latency: abort two seconds into a long run.
  // Cancellation latency, measured from when the abort was due (two seconds into a long run), so a
  // training loop that starves the timer counts against it.
  const long: Array<[string, (signal: AbortSignal) => Promise<unknown>]> = [
    ['logistic', (signal) => trainLogistic(train, { maxIterations: 1000, tolerance: 0 }, { signal })],
    ['gbdt', (signal) => trainGbdt(train, { trees: 10_000, maxDepth: 6, earlyStoppingRounds: 0 }, { signal })],
    ['random-forest', (signal) => trainForest(train, { trees: 10_000, maxDepth: 12 }, { signal })],
  ];
  for (const [learner, run] of long) {
    const controller = new AbortController();
    const due = performance.now() + 2000;
    setTimeout(() => controller.abort(), 2000);
    await run(controller.signal).catch(() => undefined);
    results.push({
      dataset: name,
      learner: `${learner} cancel`,
      seconds: (performance.now() - due) / 1000,
      auc: Number.NaN,
      note: 'abort due → rejected',
    });
  }
}

const heart = await readCsv(readFileSync(join(datasets, 'heart-cleveland.csv')), { target: 'num', positive: 'num > 0' });
const pima = await readCsv(readFileSync(join(datasets, 'pima-diabetes.csv')), {
  target: 'Outcome',
  positive: 'Outcome == 1',
  columnMissing: { Glucose: [0], BloodPressure: [0], SkinThickness: [0], Insulin: [0], BMI: [0] },
});
await clinical('heart-cleveland', heart);
await clinical('pima-diabetes', pima);
if (withSynthetic) await large(syntheticRows);

console.log(python ? `XGBoost via ${python}` : 'XGBoost: not importable (apt-get install python3-xgboost), skipped');
console.log(['dataset', 'learner', 'train s', 'test AUC', 'note'].join('\t'));
for (const r of results) {
  console.log([r.dataset, r.learner, r.seconds.toFixed(3), Number.isNaN(r.auc) ? '' : r.auc.toFixed(4), r.note ?? ''].join('\t'));
}
const ratio = (dataset: string) => {
  const ours = results.find((r) => r.dataset === dataset && r.learner === 'gbdt');
  const xgb = results.find((r) => r.dataset === dataset && r.learner.startsWith('xgboost'));
  return ours && xgb ? { time: ours.seconds / xgb.seconds, auc: ours.auc - xgb.auc } : undefined;
};
for (const d of new Set(results.map((r) => r.dataset))) {
  const r = ratio(d);
  if (r) console.log(`${d}: gbdt/xgboost time ${r.time.toFixed(2)}×, AUC difference ${r.auc >= 0 ? '+' : ''}${r.auc.toFixed(4)}`);
}
