import type { Prediction, RiskBand } from '@cairn/core';
import { fill, formatPercent } from './format.js';
import type { WidgetMessages } from './messages.js';

/** The prediction fields the result shows (core's Prediction, or a server's JSON of it). */
export type ResultPrediction = Pick<Prediction, 'probability' | 'threshold' | 'band' | 'modelId' | 'modelVersion'>;

/** One segment of the band scale. */
export interface BandSegment {
  readonly id: string;
  readonly label: string;
  readonly from: number;
  readonly to: number;
  readonly index: number;
}

/** A prediction in words, with the band scale. */
export interface ResultView {
  readonly probability: number;
  readonly probabilityText: string;
  readonly bandId: string;
  readonly bandLabel: string;
  readonly bandIndex: number;
  readonly bandCount: number;
  /** The configured wording for the band (message table, else the manifest's description). */
  readonly bandText: string;
  readonly thresholdText: string;
  readonly modelText: string;
  readonly segments: readonly BandSegment[];
}

/** Puts a prediction into words: probability, band and its wording, threshold and model version. */
export function resultView(
  prediction: ResultPrediction,
  model: { readonly name?: string | undefined; readonly riskBands?: readonly RiskBand[] | undefined },
  messages: WidgetMessages,
): ResultView {
  const bands =
    model.riskBands && model.riskBands.length > 0 ? model.riskBands : [{ id: prediction.band.id, label: prediction.band.label }];
  let from = 0;
  const segments = bands.map((b, index) => {
    const to = 'below' in b && b.below !== undefined ? b.below : 1;
    const s = { id: b.id, label: b.label, from, to, index };
    from = to;
    return s;
  });
  const found = bands.findIndex((b) => b.id === prediction.band.id);
  const bandIndex = Math.max(found, 0);
  const band = bands[bandIndex] as Partial<RiskBand> & { id: string; label: string };
  const threshold = formatPercent(prediction.threshold, messages.locale);
  return {
    probability: prediction.probability,
    probabilityText: formatPercent(prediction.probability, messages.locale),
    bandId: prediction.band.id,
    bandLabel: prediction.band.label,
    bandIndex,
    bandCount: bands.length,
    bandText: messages.bands[prediction.band.id] ?? band.description ?? '',
    thresholdText: fill(prediction.probability >= prediction.threshold ? messages.aboveThreshold : messages.belowThreshold, { threshold }),
    modelText: fill(messages.modelVersion, { name: model.name ?? prediction.modelId, version: prediction.modelVersion }),
    segments,
  };
}
