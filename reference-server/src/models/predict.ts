import { buildReport, type Explanation, type Narrative, narrate, type Prediction, type Report } from '@cairn/node';
import { hashInputs } from '../audit/audit.js';
import type { ServerContext } from '../context.js';
import type { Actor, LoadedModel } from './registry.js';

/** What a prediction returns: the widget's `endpoint` mode reads exactly `{ prediction, explanation }`. */
export interface PredictResponse {
  readonly prediction: Prediction;
  readonly explanation: Explanation | null;
  readonly narrative: Narrative | null;
  /** Why there is no explanation, when there is none. */
  readonly explanationUnavailable?: string;
}

/** Scores and explains one patient. */
export async function predictAndExplain(model: LoadedModel, inputs: unknown, explain = true): Promise<PredictResponse> {
  const prediction = await model.predictor.predict(inputs);
  if (!explain) return { prediction, explanation: null, narrative: null, explanationUnavailable: 'not requested' };
  if (!model.explainer) {
    return { prediction, explanation: null, narrative: null, explanationUnavailable: model.explainerError ?? 'unavailable' };
  }
  const explanation = await model.explainer.explain(prediction.values);
  return { prediction, explanation, narrative: narrate(explanation) };
}

/**
 * Predicts, records monitoring counts and metrics, and writes the audit record (committed before
 * this resolves). Invalid inputs are audited as failures and rethrown.
 */
export async function predictAudited(
  ctx: ServerContext,
  model: LoadedModel,
  inputs: unknown,
  actor: Actor,
  action: 'predict' | 'report' | 'cds.predict' = 'predict',
  details: Record<string, unknown> = {},
  explain = true,
): Promise<PredictResponse> {
  const started = performance.now();
  let result: PredictResponse;
  try {
    result = await predictAndExplain(model, inputs, explain);
  } catch (error) {
    ctx.metrics.predictions.inc({ model: model.id, version: model.version, outcome: 'refused' });
    await ctx.writer.audit({
      ...actor,
      action,
      outcome: 'failure',
      modelId: model.id,
      modelVersion: model.version,
      details: { ...details, error: (error as { code?: string }).code ?? 'internal' },
    });
    throw error;
  }
  const ms = performance.now() - started;
  ctx.metrics.predictions.inc({ model: model.id, version: model.version, outcome: 'ok' });
  ctx.metrics.predictionDuration.observe({ model: model.id }, ms / 1000);
  ctx.monitoring.record(model, result.prediction.values, result.prediction.label === 1, ms);
  const [settings, key] = await Promise.all([ctx.settings.get(), ctx.settings.auditHashKey()]);
  await ctx.writer.audit({
    ...actor,
    action,
    outcome: 'success',
    modelId: model.id,
    modelVersion: model.version,
    inputsHash: hashInputs(key, result.prediction.values),
    ...(settings.storePatientInputs ? { inputs: result.prediction.values } : {}),
    details,
  });
  return result;
}

/** Builds the report of a prediction (PDF or HTML rendering is the caller's choice). */
export function reportOf(ctx: ServerContext, model: LoadedModel, result: PredictResponse): Report {
  return buildReport(
    {
      prediction: result.prediction,
      bundle: model.bundle,
      ...(result.explanation ? { explanation: result.explanation } : {}),
      ...(result.narrative ? { narrative: result.narrative.sentences } : {}),
    },
    { institution: ctx.config.reportInstitution },
  );
}
