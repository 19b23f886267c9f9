import { invalidArgument, type RiskBand } from '@cairn/core';
import { fBeta, orderByScore } from './metrics.js';

/** How the decision threshold is chosen (on validation data). */
export type ThresholdRule =
  /** Maximise F-beta (beta 1 = F1, 2 = recall weighs twice). */
  | { readonly rule: 'f-beta'; readonly beta?: number }
  /** The highest threshold whose recall meets the target (screening). */
  | { readonly rule: 'recall'; readonly recall: number }
  /** A threshold given by the user. */
  | { readonly rule: 'fixed'; readonly threshold: number };

/** A chosen threshold and what it achieved on the data it was chosen on. */
export interface ThresholdChoice {
  readonly threshold: number;
  readonly rule: ThresholdRule;
  readonly precision: number;
  readonly recall: number;
}

const MIN = 1e-6;
const clamp = (t: number) => Math.min(1 - MIN, Math.max(MIN, t));

/** Scans the operating points (distinct scores, descending) and calls `visit` with counts and the threshold between this score and the next. */
function scan(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  visit: (tp: number, fp: number, threshold: number) => boolean | undefined,
): void {
  const order = orderByScore(scores);
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
    const next = k < order.length ? (scores[order[k] as number] as number) : 0;
    // Halfway to the next score, so float32 rounding in the deployed model cannot flip a row.
    if (visit(tp, fp, clamp((s + next) / 2))) return;
  }
}

/** Chooses the decision threshold by a rule, on scores and labels not used for training. */
export function chooseThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, rule: ThresholdRule): ThresholdChoice {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] ? 1 : 0;
  if (rule.rule === 'fixed') {
    if (!(rule.threshold > 0 && rule.threshold < 1)) throw invalidArgument('threshold.threshold', 'must be in (0, 1)');
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < scores.length; i++) {
      if ((scores[i] as number) >= rule.threshold) labels[i] ? tp++ : fp++;
    }
    return { threshold: rule.threshold, rule, precision: tp + fp > 0 ? tp / (tp + fp) : Number.NaN, recall: tp / positives };
  }
  if (positives === 0) throw invalidArgument('labels', 'a threshold cannot be chosen without positive rows');
  let best: ThresholdChoice | undefined;
  if (rule.rule === 'recall') {
    if (!(rule.recall > 0 && rule.recall <= 1)) throw invalidArgument('threshold.recall', 'must be in (0, 1]');
    scan(scores, labels, (tp, fp, threshold) => {
      if (tp / positives >= rule.recall) {
        best = { threshold, rule, precision: tp / (tp + fp), recall: tp / positives };
        return true;
      }
      return false;
    });
  } else {
    const beta = rule.beta ?? 1;
    if (!(beta > 0)) throw invalidArgument('threshold.beta', 'must be > 0');
    let bestF = -1;
    scan(scores, labels, (tp, fp, threshold) => {
      const precision = tp / (tp + fp);
      const recall = tp / positives;
      const f = fBeta(precision, recall, beta);
      if (f > bestF) {
        bestF = f;
        best = { threshold, rule: { rule: 'f-beta', beta }, precision, recall };
      }
      return false;
    });
  }
  return best as ThresholdChoice;
}

/** Two risk bands split at the threshold. */
export function bandsAt(threshold: number): RiskBand[] {
  return [
    { id: 'low', label: 'Low risk', below: threshold, description: 'Probability below the decision threshold' },
    { id: 'high', label: 'High risk', description: 'Probability at or above the decision threshold' },
  ];
}
