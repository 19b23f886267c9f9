/** One feature's share of a prediction, as an explainer (e.g. SHAP in @cairn/core) reports it. */
export interface FeatureContribution {
  readonly feature: string;
  readonly label: string;
  readonly value: unknown;
  readonly unit?: string;
  /** Signed contribution to the model output; larger magnitude means more influence. */
  readonly contribution: number;
}

/** The minimal shape of an explanation this adapter reads (structural, so any explainer fits). */
export interface PredictionExplanation {
  readonly contributions: ReadonlyArray<FeatureContribution>;
}

/** The `n` contributions with the largest magnitude, largest first; non-finite ones are dropped. */
export function topContributions(explanation: PredictionExplanation | undefined, n: number): FeatureContribution[] {
  if (!explanation || !Array.isArray(explanation.contributions)) return [];
  return explanation.contributions
    .filter((c) => c && typeof c.contribution === 'number' && Number.isFinite(c.contribution))
    .slice()
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, Math.max(0, n));
}

/** Formats a value with its unit for clinicians (numbers to at most 3 significant decimals). */
export function formatValue(value: unknown, unit?: string): string {
  let text: string;
  if (typeof value === 'number') text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  else if (value === null || value === undefined) text = 'missing';
  else text = String(value);
  return unit && value !== null && value !== undefined ? `${text} ${unit}` : text;
}
