import type { OrtRuntime } from '../runtime.js';
import type { FeatureRecord, FeatureValue } from '../validate.js';

/** How an explanation was computed. */
export type ExplanationMethod = 'tree-path' | 'tree-interventional' | 'linear' | 'kernel';

/**
 * What the numbers of an explanation add up to:
 * - `log-odds`: the log-odds of the positive class (probability = 1 / (1 + e^−output));
 * - `raw-score`: the positive class's raw score before the model's post-transform (e.g. one
 *   class's softmax input), so the probability is not a function of this score alone;
 * - `probability`: the probability itself, exactly (the model has no link function, e.g. a random
 *   forest averaging leaf probabilities, or KernelSHAP run on probabilities);
 * - `probability-rescaled`: margin contributions scaled by (p(x) − p(base)) / (margin(x) − margin(base)),
 *   so they sum to p(x) − p(base), where p(base) is the probability at the base margin;
 * - `value`: the model's real-valued output itself (treatment-effect models: the estimated effect).
 */
export type ExplanationSpace = 'log-odds' | 'raw-score' | 'probability' | 'probability-rescaled' | 'value';

/** One user-facing feature's share of the prediction. */
export interface Contribution {
  /** Feature name (manifest key). */
  readonly feature: string;
  readonly label: string;
  /** The value explained (null when missing). */
  readonly value: FeatureValue;
  /** The category label, or yes/no for booleans, when it reads better than the value. */
  readonly valueLabel?: string;
  readonly unit?: string;
  /** Amount this feature moves the output away from the base, in the explanation's space. */
  readonly contribution: number;
}

/** A per-patient explanation; plain JSON (finite numbers only). */
export interface Explanation {
  readonly modelId: string;
  readonly modelVersion: string;
  readonly method: ExplanationMethod;
  readonly space: ExplanationSpace;
  /** Expected output over the background (or the covers), in `space`. */
  readonly base: number;
  /** The model's output for this patient in `space`; base + Σ contributions should equal it. */
  readonly output: number;
  /** The model's probability of the positive class. */
  readonly probability: number;
  /** |base + Σ contributions − output|. */
  readonly additivityError: number;
  /** One per manifest feature, in manifest order. */
  readonly contributions: readonly Contribution[];
  /** Model evaluations used (KernelSHAP only). */
  readonly evaluations?: number;
  /** False when KernelSHAP sampled coalitions instead of enumerating all of them (KernelSHAP only). */
  readonly exact?: boolean;
}

/** Options of {@link createExplainer}. */
export interface ExplainerOptions {
  /** onnxruntime-node or onnxruntime-web; needed for KernelSHAP, and used to cross-check exact methods. */
  runtime?: OrtRuntime;
  /**
   * `auto` picks tree-path for tree ensembles, linear for linear models and kernel otherwise.
   * @defaultValue the manifest's explanation.method, else 'auto'
   */
  method?: 'auto' | ExplanationMethod;
  /**
   * `margin`: the model's raw output (see {@link ExplanationSpace}); `probability`: the probability.
   * @defaultValue 'margin'
   */
  space?: 'margin' | 'probability';
  /** Background rows (validated records); default: the bundle's reference rows. */
  background?: readonly FeatureRecord[];
  /**
   * Most background rows used by interventional TreeSHAP and linear SHAP (evenly spaced rows beyond that).
   * Path-dependent TreeSHAP computes covers from all rows. KernelSHAP uses at most `min(backgroundSize, 32)`.
   * @defaultValue 200
   */
  backgroundSize?: number;
  /**
   * KernelSHAP: model evaluations (rows run through the model) per explanation.
   * @defaultValue 4096
   */
  kernelBudget?: number;
  /**
   * KernelSHAP: seed of the coalition sampler (one set of coalitions per explainer, so explanations are reproducible).
   * @defaultValue 1
   */
  seed?: number;
}

/** Explains patients with one loaded bundle. */
export interface Explainer {
  readonly modelId: string;
  readonly modelVersion: string;
  readonly method: ExplanationMethod;
  readonly space: ExplanationSpace;
  /** The base value every explanation starts from. */
  readonly base: number;
  /** Explains one patient (values are validated like a prediction's). */
  explain(values: FeatureRecord): Promise<Explanation>;
  /** Explains many patients; throws `invalid_input` naming the first bad row. */
  explainBatch(rows: readonly FeatureRecord[]): Promise<Explanation[]>;
  /** Frees the inference session, if one was opened. */
  release(): Promise<void>;
}

/** One factor of a narrative. */
export interface NarrativeFactor {
  readonly feature: string;
  readonly label: string;
  readonly contribution: number;
  /** The factor as words, e.g. `Age (67 years)`. */
  readonly text: string;
}

/** A short plain-words account of an explanation. */
export interface Narrative {
  /** All sentences joined. */
  readonly text: string;
  readonly sentences: readonly string[];
  /** Top factors pushing the risk up, largest first. */
  readonly raising: readonly NarrativeFactor[];
  /** Top factors pushing the risk down, largest first. */
  readonly lowering: readonly NarrativeFactor[];
}

/** Per-feature data of a {@link PopulationSummary}. */
export interface FeatureSummary {
  readonly feature: string;
  readonly label: string;
  readonly unit?: string;
  /** Mean |contribution| over the explanations (the usual global importance). */
  readonly meanAbsContribution: number;
  readonly meanContribution: number;
  /** Beeswarm data: one entry per explanation, in input order. */
  readonly contributions: readonly number[];
  readonly values: readonly FeatureValue[];
  /**
   * Colour scale of each point in [0, 1]: min–max scaled numbers, booleans as 0/1, categories by
   * the rank of their value among the distinct values seen; null when missing.
   */
  readonly colors: ReadonlyArray<number | null>;
}

/** Global view of a model from many explanations, for model pages. */
export interface PopulationSummary {
  readonly modelId: string;
  readonly modelVersion: string;
  readonly method: ExplanationMethod;
  readonly space: ExplanationSpace;
  readonly count: number;
  readonly base: number;
  /** Sorted by mean |contribution|, largest first. */
  readonly features: readonly FeatureSummary[];
}
