import { fBeta, operatingPoints, rocAuc } from './metrics.js';

/** What hyperparameter search maximises: ROC AUC, the best F1 or F2 over thresholds, or the best recall at a minimum precision. */
export type SearchObjective = 'roc-auc' | 'f1' | 'f2' | { readonly recallAtPrecision: number };

/** The objective's value (higher is better) on scores and labels. */
export function objectiveValue(scores: ArrayLike<number>, labels: ArrayLike<number>, objective: SearchObjective): number {
  if (objective === 'roc-auc') return rocAuc(scores, labels);
  const { pr } = operatingPoints(scores, labels);
  let best = 0;
  if (objective === 'f1' || objective === 'f2') {
    const beta = objective === 'f1' ? 1 : 2;
    for (const p of pr) best = Math.max(best, fBeta(p.y, p.x, beta));
    return best;
  }
  for (const p of pr) if (p.y >= objective.recallAtPrecision) best = Math.max(best, p.x);
  return best;
}

/** A readable name of an objective. */
export function objectiveName(objective: SearchObjective): string {
  return typeof objective === 'string' ? objective : `recall at precision ≥ ${objective.recallAtPrecision}`;
}
