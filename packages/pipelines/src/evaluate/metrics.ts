/** Ranking and threshold metrics of binary scores; every function takes optional row weights (bootstrap counts). */

/** Row order by score, descending (ties keep row order). */
export function orderByScore(scores: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** Area under the ROC curve (ties count one half); NaN without both classes. */
export function rocAuc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  order = orderByScore(scores),
): number {
  let pos = 0;
  let neg = 0;
  let area = 0;
  let k = 0;
  const n = order.length;
  // Walk from the highest score down: a positive scores above every negative not yet seen.
  while (k < n) {
    const s = scores[order[k] as number] as number;
    let gp = 0;
    let gn = 0;
    while (k < n && scores[order[k] as number] === s) {
      const i = order[k] as number;
      const w = weights ? (weights[i] as number) : 1;
      if (labels[i]) gp += w;
      else gn += w;
      k++;
    }
    area += gn * (pos + 0.5 * gp);
    pos += gp;
    neg += gn;
  }
  return pos > 0 && neg > 0 ? area / (pos * neg) : Number.NaN;
}

/** Average precision (area under the precision–recall curve, step-wise); NaN without positives. */
export function averagePrecision(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  order = orderByScore(scores),
): number {
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) totalPos += weights ? (weights[i] as number) : 1;
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let k = 0;
  const n = order.length;
  while (k < n) {
    const s = scores[order[k] as number] as number;
    let gp = 0;
    let gn = 0;
    while (k < n && scores[order[k] as number] === s) {
      const i = order[k] as number;
      const w = weights ? (weights[i] as number) : 1;
      if (labels[i]) gp += w;
      else gn += w;
      k++;
    }
    tp += gp;
    fp += gn;
    if (gp > 0) ap += (gp / totalPos) * (tp / (tp + fp));
  }
  return ap;
}

/** A confusion matrix at a threshold (predicted positive when score ≥ threshold). */
export interface ConfusionMatrix {
  readonly threshold: number;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Counts outcomes at a threshold. */
export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ConfusionMatrix {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const positive = (scores[i] as number) >= threshold;
    if (labels[i]) positive ? tp++ : fn++;
    else positive ? fp++ : tn++;
  }
  return { threshold, tp, fp, tn, fn };
}

/** Rates derived from a confusion matrix (NaN where undefined). */
export interface ThresholdMetrics {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly specificity: number;
  readonly npv: number;
  readonly f1: number;
  readonly f2: number;
}

/** F-beta from precision and recall (0 when both are 0). */
export function fBeta(precision: number, recall: number, beta: number): number {
  const b2 = beta * beta;
  const d = b2 * precision + recall;
  return d > 0 ? ((1 + b2) * precision * recall) / d : 0;
}

/** Accuracy, precision, recall, specificity, NPV, F1 and F2 of a confusion matrix. */
export function thresholdMetrics(c: ConfusionMatrix): ThresholdMetrics {
  const div = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  const precision = div(c.tp, c.tp + c.fp);
  const recall = div(c.tp, c.tp + c.fn);
  const p = Number.isNaN(precision) ? 0 : precision;
  const r = Number.isNaN(recall) ? 0 : recall;
  return {
    accuracy: div(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn),
    precision,
    recall,
    specificity: div(c.tn, c.tn + c.fp),
    npv: div(c.tn, c.tn + c.fn),
    f1: fBeta(p, r, 1),
    f2: fBeta(p, r, 2),
  };
}

/** Mean squared error of the probabilities. */
export function brierScore(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += ((scores[i] as number) - (labels[i] as number)) ** 2;
  return scores.length > 0 ? s / scores.length : Number.NaN;
}

/** One operating point of a curve. */
export interface CurvePoint {
  readonly x: number;
  readonly y: number;
  /** Scores at or above this are positive at this point. */
  readonly threshold: number;
}

/** Operating points at each distinct score, in decreasing threshold order: [fpr, tpr] and [recall, precision]. */
export function operatingPoints(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  order = orderByScore(scores),
): { roc: CurvePoint[]; pr: CurvePoint[] } {
  let P = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) P++;
  const N = labels.length - P;
  const roc: CurvePoint[] = [{ x: 0, y: 0, threshold: Number.POSITIVE_INFINITY }];
  const pr: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < order.length) {
    const s = scores[order[k] as number] as number;
    while (k < order.length && scores[order[k] as number] === s) {
      if (labels[order[k] as number]) tp++;
      else fp++;
      k++;
    }
    roc.push({ x: N > 0 ? fp / N : 0, y: P > 0 ? tp / P : 0, threshold: s });
    pr.push({ x: P > 0 ? tp / P : 0, y: tp / (tp + fp), threshold: s });
  }
  return { roc, pr };
}

/** Keeps at most `max` points of a curve, always the first and last. */
export function thinCurve(points: readonly CurvePoint[], max = 200): CurvePoint[] {
  if (points.length <= max) return [...points];
  const out: CurvePoint[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)] as CurvePoint);
  return out;
}

/** One bin of a calibration curve. */
export interface CalibrationBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanPredicted: number;
  readonly observed: number;
}

/** Calibration curve over equal-width probability bins (empty bins left out). */
export function calibrationCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(s * bins)));
    count[b] = (count[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + s;
    sumY[b] = (sumY[b] as number) + (labels[i] as number);
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number;
    if (c === 0) continue;
    out.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      count: c,
      meanPredicted: (sumP[b] as number) / c,
      observed: (sumY[b] as number) / c,
    });
  }
  return out;
}
