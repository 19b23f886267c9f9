import type { IssueRule, NarrativeMessages, ReportMessages } from '@cairn/core';
import { narrativeMessages } from '@cairn/core';

/** Why a FHIR-derived feature has no value (the reasons @cairn/fhir-adapter reports). */
export type MissingDataReason = 'no-data' | 'stale' | 'data-absent' | 'unit' | 'invalid' | 'unmapped';

/** Stages of the widget an error can come from. */
export type ErrorStage = 'bundle' | 'model' | 'endpoint' | 'fhir' | 'smart' | 'predict' | 'report';

/**
 * Every user-visible string of the elements, in one table: replace it (or part of it) to
 * translate or reword. Templates fill `{placeholders}`; functions handle plurals.
 */
export interface WidgetMessages {
  /** BCP 47 locale used to format numbers and dates. */
  readonly locale: string;
  /** Words shown after values, by UCUM code (codes not listed are shown as they are). */
  readonly units: Readonly<Record<string, string>>;

  readonly formLabel: string;
  readonly submit: string;
  readonly reset: string;
  readonly requiredMark: string;
  readonly optionalMark: string;
  readonly choose: string;
  readonly yes: string;
  readonly no: string;
  readonly notRecorded: string;
  readonly allowedRange: string;
  readonly allowedMin: string;
  readonly allowedMax: string;
  readonly usualRange: string;
  readonly formErrors: (count: number) => string;
  readonly formWarnings: (count: number) => string;
  /** Replaces core's wording of validation issues, by rule; rules not listed keep core's message. Placeholders: {label}, {value}, {min}, {max}, {unit}. */
  readonly issues: Readonly<Partial<Record<IssueRule, string>>>;

  readonly resultLabel: string;
  readonly probability: string;
  readonly riskBand: string;
  readonly threshold: string;
  readonly aboveThreshold: string;
  readonly belowThreshold: string;
  readonly modelVersion: string;
  /** Wording shown under the band, by band id; bands not listed use the manifest's description. */
  readonly bands: Readonly<Record<string, string>>;
  readonly noResult: string;

  readonly contributionsLabel: string;
  readonly raisesRisk: string;
  readonly lowersRisk: string;
  readonly otherFeatures: (count: number) => string;
  readonly contributionItem: string;
  readonly contributionsCaption: Readonly<Record<string, string>>;
  readonly noExplanation: string;

  readonly modelCardLabel: string;
  readonly intendedUse: string;
  readonly intendedUsers: string;
  readonly population: string;
  readonly decisionRole: string;
  readonly limitations: string;
  readonly metrics: string;
  readonly metricName: string;
  readonly metricValue: string;
  readonly metricInterval: string;
  readonly metricDataset: string;
  readonly metricNames: Readonly<Record<string, string>>;
  readonly interval: string;
  readonly noMetrics: string;
  readonly trainingData: string;
  readonly trainingRows: string;
  readonly curves: string;
  readonly rocCurve: string;
  readonly prCurve: string;
  readonly calibrationCurve: string;
  readonly rocSummary: string;
  readonly prSummary: string;
  readonly calibrationSummary: string;
  readonly falsePositiveRate: string;
  readonly truePositiveRate: string;
  readonly recall: string;
  readonly precision: string;
  readonly predicted: string;
  readonly observed: string;
  readonly curveAbsent: string;
  readonly chartsLoading: string;

  readonly empty: string;
  readonly loadingModel: string;
  readonly loadingPatient: string;
  readonly predicting: string;
  readonly downloadPdf: string;
  readonly preparingPdf: string;
  readonly patientData: string;
  readonly dataUsed: string;
  readonly dataMissing: string;
  readonly provenanceValue: string;
  readonly provenanceConverted: string;
  readonly missingReasons: Readonly<Record<MissingDataReason, string>>;
  readonly noMissingData: string;
  readonly smartLaunching: string;
  readonly errorTitle: string;
  readonly errorDetails: string;
  readonly errors: Readonly<Record<ErrorStage, string>>;
  readonly aboutModel: string;

  /** Words of the plain-language summary (see @cairn/core's narrate). */
  readonly narrative: NarrativeMessages;
  /** Wording of the PDF report (see @cairn/core's buildReport); unset keys keep core's English. */
  readonly report: Partial<ReportMessages>;
}

/** The English message table. */
export const defaultMessages: WidgetMessages = {
  locale: 'en',
  units: narrativeMessages.units,

  formLabel: 'Patient data',
  submit: 'Calculate risk',
  reset: 'Clear',
  requiredMark: 'required',
  optionalMark: 'optional',
  choose: 'Choose…',
  yes: 'Yes',
  no: 'No',
  notRecorded: 'Not recorded',
  allowedRange: 'Allowed {min}–{max}{unit}',
  allowedMin: 'At least {min}{unit}',
  allowedMax: 'At most {max}{unit}',
  usualRange: 'usual {min}–{max}{unit}',
  formErrors: (n) => `Check ${n === 1 ? 'one field' : `${n} fields`} before calculating.`,
  formWarnings: (n) => `${n === 1 ? 'One value is' : `${n} values are`} unusual: check before relying on the result.`,
  issues: {},

  resultLabel: 'Estimated risk',
  probability: 'Probability',
  riskBand: 'Risk band',
  threshold: 'Decision threshold',
  aboveThreshold: 'At or above the decision threshold of {threshold}',
  belowThreshold: 'Below the decision threshold of {threshold}',
  modelVersion: '{name}, version {version}',
  bands: {},
  noResult: 'No result yet.',

  contributionsLabel: 'Factors behind this estimate',
  raisesRisk: 'raises the risk',
  lowersRisk: 'lowers the risk',
  otherFeatures: (n) => `${n} other ${n === 1 ? 'feature' : 'features'}`,
  contributionItem: '{label} ({value}) {direction} by {amount}',
  contributionsCaption: {
    'log-odds': 'Bars show each factor’s effect on the log-odds of the outcome; right raises the risk, left lowers it.',
    probability: 'Bars show each factor’s effect on the probability; right raises the risk, left lowers it.',
    'probability-rescaled': 'Bars show each factor’s effect on the probability; right raises the risk, left lowers it.',
    'raw-score': 'Bars show each factor’s effect on the model’s score; right raises the risk, left lowers it.',
  },
  noExplanation: 'The factors behind this estimate are not available for this model.',

  modelCardLabel: 'Model card',
  intendedUse: 'Intended use',
  intendedUsers: 'Intended users',
  population: 'Population',
  decisionRole: 'Role in decisions',
  limitations: 'Limitations',
  metrics: 'Performance',
  metricName: 'Metric',
  metricValue: 'Value',
  metricInterval: 'Interval',
  metricDataset: 'Data',
  metricNames: {
    roc_auc: 'ROC AUC',
    pr_auc: 'PR AUC',
    brier_score: 'Brier score',
    brier: 'Brier score',
    accuracy: 'Accuracy',
    sensitivity: 'Sensitivity',
    specificity: 'Specificity',
    ppv: 'Positive predictive value',
    npv: 'Negative predictive value',
    recall: 'Recall',
    precision: 'Precision',
    f1: 'F1 score',
    f2: 'F2 score',
  },
  interval: '{level} CI {low}–{high}',
  noMetrics: 'No performance metrics are recorded for this model: its accuracy on your patients is unknown.',
  trainingData: 'Training data',
  trainingRows: '{rows} rows from {source}',
  curves: 'Curves',
  rocCurve: 'ROC curve',
  prCurve: 'Precision–recall curve',
  calibrationCurve: 'Calibration',
  rocSummary: 'ROC curve with {points} points: true positive rate against false positive rate.',
  prSummary: 'Precision–recall curve with {points} points: precision against recall.',
  calibrationSummary: 'Calibration in {points} bins: observed rate against mean predicted probability.',
  falsePositiveRate: 'False positive rate',
  truePositiveRate: 'True positive rate',
  recall: 'Recall',
  precision: 'Precision',
  predicted: 'Predicted',
  observed: 'Observed',
  curveAbsent: 'This model’s card has no {curve} data.',
  chartsLoading: 'Drawing charts…',

  empty: 'No model is configured: set bundle-url or endpoint.',
  loadingModel: 'Loading the model…',
  loadingPatient: 'Reading the patient record…',
  predicting: 'Calculating…',
  downloadPdf: 'Download PDF report',
  preparingPdf: 'Preparing the report…',
  patientData: 'From the patient record',
  dataUsed: 'Data used',
  dataMissing: 'Missing or not usable',
  provenanceValue: '{value} on {date}',
  provenanceConverted: 'converted from {value} {unit}',
  missingReasons: {
    'no-data': 'no value in the record',
    stale: 'latest value is too old to use',
    'data-absent': 'recorded as not available',
    unit: 'unit could not be converted',
    invalid: 'value could not be read',
    unmapped: 'not read from the record',
  },
  noMissingData: 'Every feature was found in the record.',
  smartLaunching: 'Connecting to the EHR…',
  errorTitle: 'The risk could not be calculated',
  errorDetails: 'Details',
  errors: {
    bundle: 'The model bundle could not be loaded.',
    model: 'The model could not be started in this browser.',
    endpoint: 'The prediction service did not answer as expected.',
    fhir: 'The patient record could not be read.',
    smart: 'The EHR launch did not complete.',
    predict: 'The prediction failed.',
    report: 'The PDF report could not be made.',
  },
  aboutModel: 'About this model',

  narrative: narrativeMessages,
  report: {},
};

/** Merges a partial table over the defaults (nested tables are merged one level deep). */
export function mergeMessages(overrides: Partial<WidgetMessages> | undefined, base: WidgetMessages = defaultMessages): WidgetMessages {
  if (!overrides) return base;
  return {
    ...base,
    ...overrides,
    units: { ...base.units, ...overrides.units },
    issues: { ...base.issues, ...overrides.issues },
    bands: { ...base.bands, ...overrides.bands },
    metricNames: { ...base.metricNames, ...overrides.metricNames },
    contributionsCaption: { ...base.contributionsCaption, ...overrides.contributionsCaption },
    missingReasons: { ...base.missingReasons, ...overrides.missingReasons },
    errors: { ...base.errors, ...overrides.errors },
    narrative: { ...base.narrative, ...overrides.narrative },
    report: { ...base.report, ...overrides.report },
  };
}
