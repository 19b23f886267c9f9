import type { DataColumn } from '../data/dataset.js';
import { stratifiedIndices } from '../data/split.js';
import { type GbdtParams, trainGbdt } from '../learn/gbdt.js';
import { type LogisticParams, trainLogistic } from '../learn/logistic.js';
import type { TrainingData } from '../learn/model.js';
import {
  type GbdtRegressor,
  type GbdtRegressorParams,
  type RegressionData,
  type RidgeParams,
  trainGbdtRegressor,
  trainRidge,
} from './regression.js';

/** Learners for the propensity score. */
export type PropensityLearner = 'logistic' | 'gbdt';
/** Learners for the outcome regressions (and the CATE model). */
export type OutcomeLearner = 'gbdt' | 'linear';

/** The data the estimators work on: covariates, a 0/1 treatment and a numeric outcome (0/1 when binary). */
export interface CausalFrame {
  readonly rows: number;
  readonly covariates: readonly DataColumn[];
  readonly treatment: Uint8Array;
  readonly outcome: Float64Array;
  readonly binaryOutcome: boolean;
}

/** Hyperparameters of the nuisance learners. */
export interface NuisanceSettings {
  readonly folds: number;
  readonly propensity: PropensityLearner;
  readonly outcome: OutcomeLearner;
  readonly logistic: LogisticParams;
  readonly gbdtClassifier: GbdtParams;
  readonly gbdtRegressor: GbdtRegressorParams;
  readonly ridge: RidgeParams;
}

/** Cross-fitted nuisance predictions: each row's values come from models that never saw it. */
export interface Nuisance {
  /** Fold of each row. */
  readonly fold: Int32Array;
  /** Estimated P(treated | x), unclipped. */
  readonly propensity: Float64Array;
  /** Estimated E[Y | x, untreated]. */
  readonly mu0: Float64Array;
  /** Estimated E[Y | x, treated]. */
  readonly mu1: Float64Array;
}

/** Hooks for cancellation and progress. */
export interface FitHooks {
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
}

const pick = (values: ArrayLike<number>, rows: readonly number[]) => Float64Array.from(rows, (r) => values[r] as number);

/** The covariates of some rows. */
export function subsetColumns(columns: readonly DataColumn[], rows: readonly number[]): DataColumn[] {
  return columns.map((c) => ({ ...c, values: pick(c.values, rows) }));
}

/** Rows split into K folds, stratified by treatment and seeded. */
export function foldsOf(treatment: Uint8Array, k: number, seed: number): number[][] {
  return stratifiedIndices(
    treatment,
    Array.from({ length: k }, () => 1 / k),
    seed,
  );
}

/** A stratified 80/20 split of some rows (for early stopping inside a fold). */
function innerSplit(labels: Uint8Array, rows: readonly number[], seed: number): [number[], number[]] {
  const local = Uint8Array.from(rows, (r) => labels[r] as number);
  const [fit, stop] = stratifiedIndices(local, [0.8, 0.2], seed) as [number[], number[]];
  return [fit.map((i) => rows[i] as number), stop.map((i) => rows[i] as number)];
}

/** A constant prediction when a group's labels leave nothing to learn (e.g. one class only). */
function constant(value: number) {
  return (columns: readonly ArrayLike<number>[]) => new Float64Array(columns[0]?.length ?? 0).fill(value);
}

type Predict = (columns: readonly ArrayLike<number>[]) => Float64Array;

/** Fits a classifier of 0/1 labels on some rows and returns its probability function. */
export async function fitClassifier(
  columns: readonly DataColumn[],
  labels: ArrayLike<number>,
  rows: readonly number[],
  learner: PropensityLearner,
  settings: Pick<NuisanceSettings, 'logistic' | 'gbdtClassifier'>,
  hooks: FitHooks,
): Promise<Predict> {
  const y = Uint8Array.from(rows, (r) => labels[r] as number);
  let positives = 0;
  for (const v of y) positives += v;
  if (positives === 0 || positives === y.length) return constant(positives / Math.max(1, y.length));
  if (learner === 'logistic') {
    const model = await trainLogistic({ columns: subsetColumns(columns, rows), labels: y }, settings.logistic, { signal: hooks.signal });
    return (c) => model.predict(c);
  }
  const asLabels = Uint8Array.from(labels as ArrayLike<number>);
  const [fit, stop] = innerSplit(asLabels, rows, hooks.seed);
  const data = (part: number[]): TrainingData => ({
    columns: subsetColumns(columns, part),
    labels: Uint8Array.from(part, (r) => labels[r] as number),
  });
  const fitData = data(fit);
  const stopData = data(stop);
  const single = (d: TrainingData) => d.labels.every((v) => v === d.labels[0]);
  const model = await trainGbdt(single(fitData) || single(stopData) ? data([...rows]) : fitData, settings.gbdtClassifier, {
    ...(single(fitData) || single(stopData) ? {} : { validation: stopData }),
    seed: hooks.seed,
    signal: hooks.signal,
    threads: 1,
  });
  return (c) => model.predict(c);
}

/** Fits an outcome regression (or a classifier for a binary outcome) on some rows. */
export async function fitOutcome(
  frame: CausalFrame,
  target: ArrayLike<number>,
  rows: readonly number[],
  learner: OutcomeLearner,
  settings: NuisanceSettings,
  hooks: FitHooks,
): Promise<Predict> {
  if (frame.binaryOutcome) {
    return fitClassifier(frame.covariates, target, rows, learner === 'linear' ? 'logistic' : 'gbdt', settings, hooks);
  }
  if (learner === 'linear') {
    const model = trainRidge({ columns: subsetColumns(frame.covariates, rows), target: pick(target, rows) }, settings.ridge);
    return (c) => model.predict(c);
  }
  const { model } = await fitRegressor(frame.covariates, target, rows, settings.gbdtRegressor, hooks);
  return (c) => model.predict(c);
}

/**
 * Fits gradient-boosted regression trees whose number of rounds is chosen by K-fold cross-validation
 * (validation curves averaged over the folds), then refits on every row with that many rounds.
 */
export async function fitRegressor(
  columns: readonly DataColumn[],
  target: ArrayLike<number>,
  rows: readonly number[],
  params: GbdtRegressorParams,
  hooks: FitHooks,
  extra: { readonly offset?: ArrayLike<number>; readonly folds?: number } = {},
): Promise<{ model: GbdtRegressor; rounds: number; curve: Float64Array }> {
  const k = Math.max(2, Math.min(extra.folds ?? 3, Math.floor(rows.length / 10)));
  const strata = new Uint8Array(rows.length);
  const parts = stratifiedIndices(
    strata,
    Array.from({ length: k }, () => 1 / k),
    hooks.seed,
  ).map((p) => p.map((i) => rows[i] as number));
  const part = (r: readonly number[]): RegressionData => ({
    columns: subsetColumns(columns, r),
    target: pick(target, r),
    ...(extra.offset ? { offset: pick(extra.offset, r) } : {}),
  });
  const curves: (readonly number[])[] = [];
  for (let f = 0; f < k; f++) {
    const held = parts[f] as number[];
    const train = parts.filter((_, j) => j !== f).flat();
    const m = await trainGbdtRegressor(part(train), params, { validation: part(held), seed: hooks.seed + f, signal: hooks.signal });
    curves.push(m.validationLoss);
  }
  const length = Math.min(...curves.map((c) => c.length));
  const curve = new Float64Array(length);
  for (const c of curves) for (let t = 0; t < length; t++) curve[t] = (curve[t] as number) + (c[t] as number) / curves.length;
  let best = 0;
  for (let t = 1; t < length; t++) if ((curve[t] as number) < (curve[best] as number)) best = t;
  const rounds = best + 1;
  const model = await trainGbdtRegressor(
    part(rows),
    { ...params, trees: rounds, earlyStoppingRounds: 0 },
    { seed: hooks.seed, signal: hooks.signal },
  );
  return { model, rounds, curve };
}

/**
 * Cross-fits the propensity score and the two outcome regressions: for each of K folds (stratified
 * by treatment, seeded), models are fitted on the other folds and predict the held-out rows.
 */
export async function crossFit(frame: CausalFrame, settings: NuisanceSettings, hooks: FitHooks): Promise<Nuisance> {
  const n = frame.rows;
  const folds = foldsOf(frame.treatment, settings.folds, hooks.seed);
  const fold = new Int32Array(n);
  const propensity = new Float64Array(n);
  const mu0 = new Float64Array(n);
  const mu1 = new Float64Array(n);
  for (let k = 0; k < folds.length; k++) {
    const held = folds[k] as number[];
    held.forEach((r) => {
      fold[r] = k;
    });
    const train = folds
      .filter((_, j) => j !== k)
      .flat()
      .sort((a, b) => a - b);
    const heldColumns = subsetColumns(frame.covariates, held).map((c) => c.values);
    const seed = hooks.seed + 101 * (k + 1);
    const sub = { seed, ...(hooks.signal ? { signal: hooks.signal } : {}) };
    const e = await fitClassifier(frame.covariates, frame.treatment, train, settings.propensity, settings, sub);
    const treated = train.filter((r) => frame.treatment[r] === 1);
    const control = train.filter((r) => frame.treatment[r] === 0);
    const m1 = await fitOutcome(frame, frame.outcome, treated, settings.outcome, settings, { ...sub, seed: seed + 1 });
    const m0 = await fitOutcome(frame, frame.outcome, control, settings.outcome, settings, { ...sub, seed: seed + 2 });
    const eh = e(heldColumns);
    const m1h = m1(heldColumns);
    const m0h = m0(heldColumns);
    held.forEach((r, i) => {
      propensity[r] = eh[i] as number;
      mu1[r] = m1h[i] as number;
      mu0[r] = m0h[i] as number;
    });
    hooks.onProgress?.((k + 1) / folds.length);
  }
  return { fold, propensity, mu0, mu1 };
}
