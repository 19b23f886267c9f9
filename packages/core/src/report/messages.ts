/** Every user-visible string of a report, in one replaceable table (translate by passing your own). */
export interface ReportMessages {
  title: string;
  inputsTitle: string;
  resultTitle: string;
  contributionsTitle: string;
  narrativeTitle: string;
  modelCardTitle: string;
  disclaimerTitle: string;
  feature: string;
  value: string;
  unit: string;
  note: string;
  missing: string;
  flagImplausible: string;
  flagImputed: string;
  flagMissing: string;
  yes: string;
  no: string;
  probability: string;
  riskBand: string;
  threshold: string;
  aboveThreshold: (threshold: string) => string;
  belowThreshold: (threshold: string) => string;
  increasesRisk: string;
  decreasesRisk: string;
  otherFeatures: (count: number) => string;
  contributionsCaption: (method: string, space: string) => string;
  explanationUnavailable: string;
  modelCardUnavailable: string;
  logoUnavailable: string;
  intendedUse: string;
  limitations: string;
  metrics: string;
  noMetrics: string;
  trainingData: string;
  modelLabel: string;
  ci: (level: string) => string;
  disclaimer: readonly string[];
  footer: (generatedAt: string, model: string, hash: string) => string;
  page: (page: number, pages: number) => string;
}

/** English report wording. */
export const defaultReportMessages: ReportMessages = {
  title: 'Clinical risk report',
  inputsTitle: 'Patient data used',
  resultTitle: 'Result',
  contributionsTitle: 'Factors behind this result',
  narrativeTitle: 'In plain words',
  modelCardTitle: 'About the model',
  disclaimerTitle: 'Important',
  feature: 'Feature',
  value: 'Value',
  unit: 'Unit',
  note: 'Note',
  missing: 'not recorded',
  flagImplausible: 'outside the plausible range: check the value',
  flagImputed: 'missing: a default was used',
  flagMissing: 'missing',
  yes: 'yes',
  no: 'no',
  probability: 'Estimated probability',
  riskBand: 'Risk band',
  threshold: 'Decision threshold',
  aboveThreshold: (t) => `At or above the model's decision threshold of ${t}.`,
  belowThreshold: (t) => `Below the model's decision threshold of ${t}.`,
  increasesRisk: 'raises the risk',
  decreasesRisk: 'lowers the risk',
  otherFeatures: (n) => `${n} other ${n === 1 ? 'feature' : 'features'}`,
  contributionsCaption: (method, space) => `SHAP values (${method}), in ${space}; bars to the right raise the risk, to the left lower it.`,
  explanationUnavailable: 'The factors behind this result are unavailable for this prediction.',
  modelCardUnavailable: 'The model card is unavailable for this model.',
  logoUnavailable: 'logo unavailable',
  intendedUse: 'Intended use',
  limitations: 'Limitations',
  metrics: 'Performance',
  noMetrics: 'No performance metrics are recorded for this model: its accuracy on your patients is unknown.',
  trainingData: 'Training data',
  modelLabel: 'Model',
  ci: (level) => `${level} CI`,
  disclaimer: [
    'This estimate supports, and does not replace, clinical judgement. It applies only within the intended use of the model described above.',
    'Check every value in the patient data table: the result is only as good as the data it was given.',
  ],
  footer: (at, model, hash) => `Generated ${at} · ${model} · model SHA-256 ${hash}`,
  page: (p, n) => `Page ${p} of ${n}`,
};
