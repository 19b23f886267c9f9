import { invalidArgument } from '@cairn/core';
import type { Dataset } from '../data/dataset.js';
import { createRandom } from '../random.js';
import {
  averagePrecision,
  brierScore,
  type CalibrationBin,
  type ConfusionMatrix,
  type CurvePoint,
  calibrationCurve,
  confusionAt,
  operatingPoints,
  orderByScore,
  rocAuc,
  type ThresholdMetrics,
  thinCurve,
  thresholdMetrics,
} from './metrics.js';

/** A value with its bootstrap confidence interval. */
export interface Estimate {
  readonly value: number;
  /** [low, high] percentile interval; absent when it could not be estimated. */
  readonly ci?: readonly [number, number];
}

/** Rows that belong to one subgroup (e.g. sex = female). */
export interface Subgroup {
  /** The attribute, e.g. `sex` or `age`. */
  readonly attribute: string;
  /** The group, e.g. `female` or `50–59`. */
  readonly group: string;
  readonly rows: readonly number[];
}

/** Performance in one subgroup. */
export interface SubgroupMetrics extends ThresholdMetrics {
  readonly attribute: string;
  readonly group: string;
  readonly n: number;
  readonly positives: number;
  /** NaN when the group lacks a class. */
  readonly rocAuc: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

/** Everything measured on held-out data. */
export interface Evaluation extends ThresholdMetrics {
  readonly n: number;
  readonly positives: number;
  readonly prevalence: number;
  readonly rocAuc: Estimate;
  readonly prAuc: Estimate;
  readonly brier: number;
  readonly threshold: number;
  readonly confusion: ConfusionMatrix;
  readonly calibration: readonly CalibrationBin[];
  /** Mean predicted probability (compare with prevalence: calibration in the large). */
  readonly meanPredicted: number;
  readonly curves: { readonly roc: readonly CurvePoint[]; readonly pr: readonly CurvePoint[] };
  readonly subgroups: readonly SubgroupMetrics[];
  readonly ciLevel: number;
  /** Bootstrap resamples behind the intervals. */
  readonly resamples: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** @defaultValue 0.5 */
  threshold?: number;
  /** Bootstrap resamples for the intervals (fewer are drawn on very large sets). @defaultValue 1000 */
  bootstrap?: number;
  /** @defaultValue 0.95 */
  ciLevel?: number;
  /** @defaultValue 1 */
  seed?: number;
  subgroups?: readonly Subgroup[];
  /** @defaultValue 10 */
  calibrationBins?: number;
}

function percentile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * Evaluates probabilities against labels: ROC AUC and PR AUC with seeded bootstrap intervals,
 * threshold metrics and confusion matrix, Brier score, calibration, curves and per-subgroup metrics.
 */
export function evaluate(scores: ArrayLike<number>, labels: Uint8Array, options: EvaluateOptions = {}): Evaluation {
  const n = labels.length;
  if (scores.length !== n) throw invalidArgument('scores', `has ${scores.length} values for ${n} labels`);
  const threshold = options.threshold ?? 0.5;
  const ciLevel = options.ciLevel ?? 0.95;
  if (!(ciLevel > 0 && ciLevel < 1)) throw invalidArgument('options.ciLevel', 'must be in (0, 1)');
  let positives = 0;
  let sumP = 0;
  for (let i = 0; i < n; i++) {
    positives += labels[i] as number;
    sumP += scores[i] as number;
  }
  const order = orderByScore(scores);
  const auc = rocAuc(scores, labels, undefined, order);
  const ap = averagePrecision(scores, labels, undefined, order);

  // Bootstrap: resample rows as counts, so each replicate reuses the one sort.
  const requested = options.bootstrap ?? 1000;
  const resamples = n === 0 ? 0 : Math.min(requested, Math.max(200, Math.floor(5e7 / n)));
  const random = createRandom(options.seed ?? 1);
  const aucs: number[] = [];
  const aps: number[] = [];
  const counts = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) {
      const i = random.int(n);
      counts[i] = (counts[i] as number) + 1;
    }
    const a = rocAuc(scores, labels, counts, order);
    if (!Number.isNaN(a)) aucs.push(a);
    const p = averagePrecision(scores, labels, counts, order);
    if (!Number.isNaN(p)) aps.push(p);
  }
  const interval = (values: number[]): readonly [number, number] | undefined => {
    if (values.length < 20) return undefined;
    const sorted = Float64Array.from(values).sort();
    const alpha = (1 - ciLevel) / 2;
    return [percentile(sorted, alpha), percentile(sorted, 1 - alpha)];
  };
  const estimate = (value: number, values: number[]): Estimate => {
    const ci = interval(values);
    return ci ? { value, ci } : { value };
  };

  const confusion = confusionAt(scores, labels, threshold);
  const curves = operatingPoints(scores, labels, order);
  const subgroups = (options.subgroups ?? []).map((g): SubgroupMetrics => {
    const s = new Float64Array(g.rows.length);
    const y = new Uint8Array(g.rows.length);
    let pos = 0;
    let mean = 0;
    g.rows.forEach((r, k) => {
      s[k] = scores[r] as number;
      y[k] = labels[r] as number;
      pos += y[k] as number;
      mean += s[k] as number;
    });
    const m = g.rows.length;
    return {
      attribute: g.attribute,
      group: g.group,
      n: m,
      positives: pos,
      rocAuc: rocAuc(s, y),
      meanPredicted: m > 0 ? mean / m : Number.NaN,
      observedRate: m > 0 ? pos / m : Number.NaN,
      ...thresholdMetrics(confusionAt(s, y, threshold)),
    };
  });
  return {
    n,
    positives,
    prevalence: n > 0 ? positives / n : Number.NaN,
    rocAuc: estimate(auc, aucs),
    prAuc: estimate(ap, aps),
    brier: brierScore(scores, labels),
    threshold,
    confusion,
    ...thresholdMetrics(confusion),
    calibration: calibrationCurve(scores, labels, options.calibrationBins ?? 10),
    meanPredicted: n > 0 ? sumP / n : Number.NaN,
    curves: { roc: thinCurve(curves.roc), pr: thinCurve(curves.pr) },
    subgroups,
    ciLevel,
    resamples,
  };
}

/** How to group rows by one column for fairness review: categories and booleans by level, numbers by bands. */
export interface SubgroupSpec {
  readonly column: string;
  /** Band edges for a numeric column: [40, 60] gives <40, 40–59, ≥60. @defaultValue quartile edges */
  readonly bands?: readonly number[];
}

const DEMOGRAPHIC =
  /^(sex|gender|gender_identity|sexual_orientation|race|ethnicity|ethnic_group|age|age_years|dob|birth_?date|date_of_birth|language|preferred_language|insurance|payer)$/i;

/** Columns that look demographic (sex, gender, race, ethnicity, age, date of birth, language, insurance): the default subgroups. */
export function demographicColumns(data: Dataset): string[] {
  return data.columns.filter((c) => DEMOGRAPHIC.test(c.name) || DEMOGRAPHIC.test(c.label)).map((c) => c.name);
}

/** Builds subgroups of a dataset's rows from column specs (missing values form their own group). */
export function defineSubgroups(data: Dataset, specs: readonly (string | SubgroupSpec)[]): Subgroup[] {
  const out: Subgroup[] = [];
  for (const raw of specs) {
    const spec = typeof raw === 'string' ? { column: raw } : raw;
    const column = data.columns.find((c) => c.name === spec.column || c.label === spec.column);
    if (!column) throw invalidArgument('subgroups', `there is no feature column '${spec.column}'`);
    const groups = new Map<string, number[]>();
    const add = (g: string, r: number) => {
      const list = groups.get(g);
      if (list) list.push(r);
      else groups.set(g, [r]);
    };
    let edges: readonly number[] = [];
    let nameOf: (v: number) => string;
    if (column.type === 'category') {
      const labels = new Map((column.categories ?? []).map((k) => [k.value, k.label]));
      nameOf = (v) => labels.get(v) ?? String(v);
    } else if (column.type === 'boolean') {
      nameOf = (v) => (v ? 'true' : 'false');
    } else {
      edges = spec.bands ?? defaultBands(column.name, column.values);
      nameOf = (v) => {
        let k = 0;
        while (k < edges.length && v >= (edges[k] as number)) k++;
        if (k === 0) return `<${edges[0]}`;
        if (k === edges.length) return `≥${edges[k - 1]}`;
        return `${edges[k - 1]}–<${edges[k]}`;
      };
    }
    column.values.forEach((v, r) => {
      add(Number.isNaN(v) ? 'missing' : nameOf(v), r);
    });
    const ordered = [...groups.entries()].sort(([a], [b]) => groupOrder(a, edges) - groupOrder(b, edges) || a.localeCompare(b));
    for (const [group, rows] of ordered) out.push({ attribute: column.name, group, rows });
  }
  return out;
}

function groupOrder(group: string, edges: readonly number[]): number {
  if (group === 'missing') return Number.POSITIVE_INFINITY;
  if (edges.length === 0) return 0;
  if (group.startsWith('<')) return -1;
  if (group.startsWith('≥')) return edges.length;
  return edges.indexOf(Number(group.split('–')[0]));
}

function defaultBands(name: string, values: Float64Array): number[] {
  if (/age/i.test(name)) return [40, 50, 60, 70];
  const present = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  if (present.length === 0) return [];
  const q = (p: number) => present[Math.floor((present.length - 1) * p)] as number;
  return [...new Set([q(0.25), q(0.5), q(0.75)])];
}
