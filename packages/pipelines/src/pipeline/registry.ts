import { CairnError, issue } from '@cairn/core';
import { causalDrPipeline } from '../causal/pipeline.js';
import type { CausalInput, CausalPipeline, CausalResult } from '../causal/types.js';
import { gbdtPipeline } from './gbdt.js';
import { logisticPipeline } from './logistic.js';
import { randomForestPipeline } from './random-forest.js';
import type { Pipeline, PipelineContext, PipelineInput, PipelineResult } from './types.js';

/** The built-in pipelines, in the order a user is offered them. */
export const pipelines: readonly Pipeline<unknown>[] = [logisticPipeline, gbdtPipeline, randomForestPipeline];

/** The built-in treatment-effect pipelines (they take a treatment and an outcome instead of a target). */
export const causalPipelines: readonly CausalPipeline[] = [causalDrPipeline];

/** The pipeline with this id; throws `not_found` listing the ids there are. */
export function getPipeline(id: string): Pipeline<unknown> {
  const found = pipelines.find((p) => p.id === id);
  if (!found) {
    if (causalPipelines.some((p) => p.id === id)) {
      throw new CairnError('not_found', `'${id}' estimates treatment effects: run it with runCausalPipeline (getCausalPipeline)`, {
        issues: [issue(['pipeline'], 'not_allowed', `'${id}' is a treatment-effect pipeline`)],
      });
    }
    const ids = pipelines.map((p) => p.id).join(', ');
    throw new CairnError('not_found', `there is no pipeline '${id}' (pipelines: ${ids})`, {
      issues: [issue(['pipeline'], 'not_allowed', `must be one of ${ids}`)],
    });
  }
  return found;
}

/** Runs a built-in pipeline by id. */
export async function runPipeline(id: string, input: PipelineInput, context: PipelineContext): Promise<PipelineResult> {
  return getPipeline(id).run(input, context);
}

/** The treatment-effect pipeline with this id; throws `not_found` listing the ids there are. */
export function getCausalPipeline(id: string): CausalPipeline {
  const found = causalPipelines.find((p) => p.id === id);
  if (!found) {
    const ids = causalPipelines.map((p) => p.id).join(', ');
    throw new CairnError('not_found', `there is no treatment-effect pipeline '${id}' (pipelines: ${ids})`, {
      issues: [issue(['pipeline'], 'not_allowed', `must be one of ${ids}`)],
    });
  }
  return found;
}

/** Runs a built-in treatment-effect pipeline by id. */
export async function runCausalPipeline(id: string, input: CausalInput, context: PipelineContext): Promise<CausalResult> {
  return getCausalPipeline(id).run(input, context);
}
