import { CairnError, issue } from '@cairn/core';
import { gbdtPipeline } from './gbdt.js';
import { logisticPipeline } from './logistic.js';
import { randomForestPipeline } from './random-forest.js';
import type { Pipeline, PipelineContext, PipelineInput, PipelineResult } from './types.js';

/** The built-in pipelines, in the order a user is offered them. */
export const pipelines: readonly Pipeline<unknown>[] = [logisticPipeline, gbdtPipeline, randomForestPipeline];

/** The pipeline with this id; throws `not_found` listing the ids there are. */
export function getPipeline(id: string): Pipeline<unknown> {
  const found = pipelines.find((p) => p.id === id);
  if (!found) {
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
