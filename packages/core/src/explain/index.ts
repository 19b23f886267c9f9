// Explanations (SHAP): see README-explain.md of @cairn/core.
export { createExplainer } from './explainer.js';
export type { NarrateOptions, NarrativeMessages } from './narrate.js';
export { narrate, narrativeMessages } from './narrate.js';
export { summarizeExplanations } from './summary.js';
export type {
  Contribution,
  Explainer,
  ExplainerOptions,
  Explanation,
  ExplanationMethod,
  ExplanationSpace,
  FeatureSummary,
  Narrative,
  NarrativeFactor,
  PopulationSummary,
} from './types.js';
