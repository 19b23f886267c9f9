export { CairnContributions } from './contributions.js';
export type { ChartExplanation, ContributionBar, ContributionChart } from './contributions-model.js';
export { contributionChart } from './contributions-model.js';
export type { FetchBundleOptions } from './engine/local-engine.js';
export { fetchBundle, startLocalEngine } from './engine/local-engine.js';
export { startRemoteEngine } from './engine/remote-engine.js';
export type { PredictionEngine } from './engine/types.js';
export type { CairnEventMap, ErrorDetail, PredictionDetail, PredictionSource, SubmitDetail } from './events.js';
export { errorDetail } from './events.js';
export type { FetchSourceOptions } from './fhir/fetch-source.js';
export { createFetchSource } from './fhir/fetch-source.js';
export type { FhirContext, ReadPatientOptions } from './fhir/read-patient.js';
export { readPatientFeatures } from './fhir/read-patient.js';
export type { LaunchStorage, SmartLaunchConfig, SmartStep } from './fhir/smart-launch.js';
export { advanceSmartLaunch, DEFAULT_SMART_SCOPE } from './fhir/smart-launch.js';
export type { MissingDataRow, PatientDataSummary, UsedDataRow } from './fhir/summary.js';
export { summarizeExtraction } from './fhir/summary.js';
export type { FieldModel, FormValidation, RawValues } from './form-model.js';
export { buildFields, createFormValidator, issueText, toRawValues, validateForm } from './form-model.js';
export { fill, formatFeatureValue, formatNumber, formatPercent } from './format.js';
export type { ErrorStage, MissingDataReason, WidgetMessages } from './messages.js';
export { defaultMessages, mergeMessages } from './messages.js';
export { CairnModelCard } from './model-card.js';
export type { CardManifest, CurveData, CurveKind, MetricRow, ModelCardView } from './model-card-model.js';
export { modelCardView } from './model-card-model.js';
export type { OrtSettings } from './ort-runtime.js';
export { defaultThreads, loadOrt, wasmPrefix } from './ort-runtime.js';
export type {
  ModelInfo,
  ModelInfoResponse,
  PredictApiOptions,
  PredictRequest,
  PredictResponse,
  ProblemResponse,
} from './predict-api.js';
export {
  fetchModelInfo,
  modelInfoUrl,
  PREDICT_API_VERSION,
  parsePredictResponse,
  predictUrl,
  problemError,
  requestPrediction,
} from './predict-api.js';
export type { PageEnvironment, WidgetConfig, WidgetState } from './prediction-controller.js';
export { PredictionController } from './prediction-controller.js';
export { CairnPredictionWidget } from './prediction-widget.js';
export type { ReportFontUrls } from './report-fonts.js';
export { REPORT_FONT_FILES, reportFontUrls } from './report-fonts.js';
export type { PdfReportInput, PdfReportOptions } from './report-pdf.js';
export { createPdfReport, saveFile } from './report-pdf.js';
export type { BandSegment, ResultPrediction, ResultView } from './result-model.js';
export { resultView } from './result-model.js';
export { CairnRiskForm } from './risk-form.js';
export { CairnRiskResult } from './risk-result.js';
