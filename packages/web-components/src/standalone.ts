// Entry of the standalone widget bundle (dist/standalone/cairn-widget.js): defines every element
// and points the PDF fonts at the copies shipped beside the bundle. Everything heavy (the model
// runtime, the FHIR adapter, pdf-lib, uPlot) is in chunks loaded on first use.
import { CairnPredictionWidget } from './prediction-widget.js';

/** Replaced at build time by the path from the chunk holding this code back to dist/standalone/. */
declare const __CAIRN_STANDALONE_ROOT__: string;

CairnPredictionWidget.defaults = {
  ...CairnPredictionWidget.defaults,
  fontsBaseUrl: new URL(`${__CAIRN_STANDALONE_ROOT__}fonts/`, import.meta.url).href,
};

export { CairnContributions } from './contributions.js';
export type { ErrorDetail, PredictionDetail, SubmitDetail } from './events.js';
export { defaultMessages, mergeMessages, type WidgetMessages } from './messages.js';
export { CairnModelCard } from './model-card.js';
export { CairnPredictionWidget } from './prediction-widget.js';
export { CairnRiskForm } from './risk-form.js';
export { CairnRiskResult } from './risk-result.js';
