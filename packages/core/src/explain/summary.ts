import { invalidArgument } from '../errors.js';
import type { FeatureValue } from '../validate.js';
import type { Explanation, FeatureSummary, PopulationSummary } from './types.js';

function colorsOf(values: readonly FeatureValue[]): Array<number | null> {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const strings = values.filter((v): v is string => typeof v === 'string');
  if (strings.length > 0) {
    const distinct = [...new Set(strings)].sort();
    const rank = new Map(distinct.map((s, i) => [s, distinct.length === 1 ? 0.5 : i / (distinct.length - 1)]));
    return values.map((v) => (v === null ? null : (rank.get(String(v)) ?? null)));
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of numbers) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return values.map((v) => {
    if (v === null) return null;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v !== 'number') return null;
    return hi > lo ? (v - lo) / (hi - lo) : 0.5;
  });
}

/**
 * Summarises explanations of one model (same method and space): mean |contribution| per feature,
 * and per-point data for a beeswarm plot, features sorted by importance.
 */
export function summarizeExplanations(explanations: readonly Explanation[]): PopulationSummary {
  if (!Array.isArray(explanations) || explanations.length === 0)
    throw invalidArgument('explanations', 'must be a non-empty array of explanations');
  const first = explanations[0] as Explanation;
  explanations.forEach((e, i) => {
    if (e.modelId !== first.modelId || e.modelVersion !== first.modelVersion || e.space !== first.space || e.method !== first.method) {
      throw invalidArgument(`explanations[${i}]`, 'all explanations must come from one model version, method and space');
    }
    if (e.contributions.length !== first.contributions.length) throw invalidArgument(`explanations[${i}]`, 'has a different feature list');
  });
  const n = explanations.length;
  const features: FeatureSummary[] = first.contributions.map((c, j) => {
    const contributions = explanations.map((e) => (e.contributions[j] as (typeof e.contributions)[number]).contribution);
    const values = explanations.map((e) => (e.contributions[j] as (typeof e.contributions)[number]).value);
    let abs = 0;
    let sum = 0;
    for (const v of contributions) {
      abs += Math.abs(v);
      sum += v;
    }
    return {
      feature: c.feature,
      label: c.label,
      ...(c.unit ? { unit: c.unit } : {}),
      meanAbsContribution: abs / n,
      meanContribution: sum / n,
      contributions,
      values,
      colors: colorsOf(values),
    };
  });
  features.sort((a, b) => b.meanAbsContribution - a.meanAbsContribution);
  return {
    modelId: first.modelId,
    modelVersion: first.modelVersion,
    method: first.method,
    space: first.space,
    count: n,
    base: first.base,
    features,
  };
}
