import { CairnError, invalidArgument, issue } from '@cairn/core';
import type { z } from 'zod';
import { throwIfAborted } from '../cancel.js';
import { concatDatasets, type Dataset, subsetDataset } from '../data/dataset.js';
import { describeDataset } from '../data/describe.js';
import { type DatasetSplit, splitDataset, stratifiedIndices } from '../data/split.js';
import { defineSubgroups, demographicColumns, evaluate } from '../evaluate/evaluate.js';
import { objectiveName, objectiveValue, type SearchObjective } from '../evaluate/objective.js';
import { chooseThreshold } from '../evaluate/threshold.js';
import { checkBundle, createBundleFiles, featureRecords, sampleRows } from '../export/bundle.js';
import type { BinaryClassifier, TrainingData } from '../learn/model.js';
import { createRandom } from '../random.js';
import type { Pipeline, PipelineContext, PipelineInput, PipelineResult, PipelineStage, SearchResult, SearchTrial } from './types.js';

/** Options a pipeline's `fit` receives. */
export interface FitOptions {
  /** Rows for early stopping (never the test rows). */
  readonly validation?: TrainingData;
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
}

/** What a training pipeline module supplies; {@link defineTrainingPipeline} adds data handling, evaluation, export and the self-check. */
export interface TrainingPipelineSpec<P> {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Zod schema of the parameters, with defaults. */
  readonly params: z.ZodType<P>;
  /** Draws one random configuration for hyperparameter search (`uniform` returns [0, 1)). */
  readonly sampleParams?: (uniform: () => number) => Record<string, unknown>;
  /** Fits a model to training rows. */
  fit(data: TrainingData, params: P, options: FitOptions): Promise<BinaryClassifier>;
}

const trainingData = (d: Dataset): TrainingData => ({ columns: d.columns, labels: d.target.labels });

function parseParams<P>(schema: z.ZodType<P>, raw: unknown, pipeline: string): P {
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) =>
      issue(['params', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], 'invalid', i.message),
    );
    throw new CairnError(
      'invalid_argument',
      `params of pipeline '${pipeline}': ${issues.map((i) => `${i.path.slice(1).join('.')}: ${i.message}`).join('; ')}`,
      {
        issues,
      },
    );
  }
  return result.data;
}

function checkDescription(input: PipelineInput): void {
  const m = input.model;
  if (!m || typeof m !== 'object') throw invalidArgument('model', 'describe the model: id, name, intendedUse and limitations');
  if (typeof m.intendedUse !== 'string' || m.intendedUse.trim() === '') {
    throw invalidArgument('model.intendedUse', 'state who should use the model, for whom, and for what decision');
  }
  if (!Array.isArray(m.limitations) || m.limitations.length === 0 || m.limitations.some((l) => typeof l !== 'string' || l.trim() === '')) {
    throw invalidArgument('model.limitations', 'give at least one known limitation');
  }
}

function checkSameColumns(data: Dataset, test: Dataset): void {
  const issues = [];
  const a = data.columns;
  const b = test.columns;
  if (a.length !== b.length || a.some((c, i) => c.name !== b[i]?.name || c.type !== b[i]?.type)) {
    issues.push(
      issue(
        ['testData', 'columns'],
        'mismatch',
        'the test file must have the training columns, in order and of the same types (read it with template: data)',
      ),
    );
  }
  if (issues.length > 0) throw new CairnError('invalid_argument', 'testData: its columns differ from the training data', { issues });
}

/** Runs k-fold cross-validated random search and returns the trials and the best configuration. */
async function search<P>(
  spec: TrainingPipelineSpec<P>,
  data: Dataset,
  rawParams: unknown,
  settings: { trials: number; folds: number; objective: SearchObjective },
  seed: number,
  context: PipelineContext,
  progress: (fraction: number) => void,
): Promise<{ result: SearchResult; params: P }> {
  const { trials, folds, objective } = settings;
  if (!Number.isInteger(trials) || trials < 1) throw invalidArgument('search.trials', 'must be a positive integer');
  if (!Number.isInteger(folds) || folds < 2) throw invalidArgument('search.folds', 'must be an integer ≥ 2');
  if (!spec.sampleParams) throw invalidArgument('search', `pipeline '${spec.id}' has no search space`);
  const random = createRandom(seed ^ 0x5eed);
  const uniform = () => random.next();
  const base = (rawParams ?? {}) as Record<string, unknown>;
  const parts = stratifiedIndices(
    data.target.labels,
    Array.from({ length: folds }, () => 1 / folds),
    seed,
  );
  const tried: SearchTrial[] = [];
  const candidates: P[] = [];
  for (let t = 0; t < trials; t++) {
    // Trial 0 is the configuration as given, so search never does worse than no search on the folds.
    const raw = t === 0 ? base : { ...base, ...spec.sampleParams(uniform) };
    const params = parseParams(spec.params, raw, spec.id);
    const foldScores: number[] = [];
    for (let k = 0; k < folds; k++) {
      throwIfAborted(context.signal);
      const held = parts[k] as number[];
      const rest = parts
        .filter((_, i) => i !== k)
        .flat()
        .sort((a, b) => a - b);
      const fitPart = subsetDataset(data, rest);
      const [inner, early] = stratifiedIndices(fitPart.target.labels, [0.8, 0.2], seed + k) as [number[], number[]];
      const model = await spec.fit(trainingData(subsetDataset(fitPart, inner)), params, {
        validation: trainingData(subsetDataset(fitPart, early)),
        seed: seed + k,
        signal: context.signal,
      });
      const heldOut = subsetDataset(data, held);
      foldScores.push(objectiveValue(model.predict(heldOut.columns.map((c) => c.values)), heldOut.target.labels, objective));
      progress((t * folds + k + 1) / (trials * folds));
    }
    const valid = foldScores.filter((s) => !Number.isNaN(s));
    const score = valid.length > 0 ? valid.reduce((a, b) => a + b, 0) / valid.length : Number.NaN;
    tried.push({ params: { ...(params as Record<string, unknown>) }, score, foldScores });
    candidates.push(params);
  }
  let bestIndex = 0;
  tried.forEach((t, i) => {
    if (t.score > (tried[bestIndex] as SearchTrial).score) bestIndex = i;
  });
  return {
    result: { objective: objectiveName(objective), folds, trials: tried, best: tried[bestIndex] as SearchTrial },
    params: candidates[bestIndex] as P,
  };
}

/**
 * Turns a learner into a {@link Pipeline}: the run splits the data (stratified, seeded), optionally
 * searches hyperparameters by k-fold cross-validation, fits, chooses the threshold on validation
 * rows, evaluates on the test rows, exports a bundle and checks it with the injected runtime.
 */
export function defineTrainingPipeline<P>(spec: TrainingPipelineSpec<P>): Pipeline<P> {
  return {
    id: spec.id,
    label: spec.label,
    description: spec.description,
    params: spec.params,
    async run(input: PipelineInput, context: PipelineContext): Promise<PipelineResult> {
      if (!context?.runtime?.InferenceSession) {
        throw invalidArgument('context.runtime', 'pass the onnxruntime module (onnxruntime-node) for the self-check');
      }
      const seed = context.seed ?? 1;
      if (!Number.isInteger(seed)) throw invalidArgument('context.seed', 'must be an integer');
      const signal = context.signal;
      const log = context.logger;
      const report = (stage: PipelineStage, fraction: number) =>
        context.onProgress?.({ stage, fraction: Math.min(1, Math.max(0, fraction)) });
      throwIfAborted(signal);
      checkDescription(input);
      let params = parseParams(spec.params, input.params, spec.id);

      report('data', 0);
      const data = input.data;
      let split: DatasetSplit;
      if (input.testData) {
        checkSameColumns(data, input.testData);
        const parts = splitDataset(data, { test: 0, validation: input.split?.validation ?? 0.2, seed });
        split = { ...parts, test: input.testData };
      } else {
        split = splitDataset(data, { test: input.split?.test ?? 0.2, validation: input.split?.validation ?? 0.2, seed });
      }
      const dataReport = describeDataset(data);
      log?.info?.('data split', { train: split.train.rows, validation: split.validation.rows, test: split.test.rows });
      report('data', 1);

      let searchResult: SearchResult | undefined;
      if (input.search && input.search.trials > 0) {
        report('search', 0);
        const found = await search(
          spec,
          concatDatasets([split.train, split.validation]),
          input.params,
          { trials: input.search.trials, folds: input.search.folds ?? 5, objective: input.search.objective ?? 'roc-auc' },
          seed,
          context,
          (f) => report('search', f),
        );
        params = found.params;
        searchResult = found.result;
        log?.info?.('search done', { objective: found.result.objective, best: found.result.best.score });
        report('search', 1);
      }

      report('train', 0);
      const model = await spec.fit(trainingData(split.train), params, {
        validation: trainingData(split.validation),
        seed,
        signal,
        onProgress: (f) => report('train', f),
      });
      report('train', 1);
      log?.info?.('model trained', { pipeline: spec.id, params: model.params as Record<string, unknown> });
      throwIfAborted(signal);

      report('evaluate', 0);
      const validScores = model.predict(split.validation.columns.map((c) => c.values));
      const threshold = chooseThreshold(validScores, split.validation.target.labels, input.threshold ?? { rule: 'f-beta', beta: 1 });
      log?.info?.('threshold chosen on validation rows', { ...threshold });
      const testScores = model.predict(split.test.columns.map((c) => c.values));
      const subgroupSpecs = input.subgroups ?? demographicColumns(split.test);
      const evaluation = evaluate(testScores, split.test.target.labels, {
        threshold: threshold.threshold,
        seed,
        ...(input.bootstrap !== undefined ? { bootstrap: input.bootstrap } : {}),
        subgroups: defineSubgroups(split.test, subgroupSpecs),
      });
      report('evaluate', 1);
      throwIfAborted(signal);

      report('export', 0);
      const plots = { roc: evaluation.curves.roc, pr: evaluation.curves.pr, calibration: evaluation.calibration };
      const content = {
        pipeline: { id: spec.id, label: spec.label },
        model,
        description: input.model,
        train: split.train,
        validationRows: split.validation.rows,
        test: split.test,
        testSource: input.testData ? ('file' as const) : ('split' as const),
        report: dataReport,
        evaluation,
        threshold,
        ...(input.riskBands ? { riskBands: input.riskBands } : {}),
        ...(searchResult ? { search: searchResult } : {}),
        seed,
        createdAt: (context.now ?? (() => new Date()))(),
      };
      let files = await createBundleFiles({ ...content, plots });
      report('export', 1);

      report('check', 0);
      let bundle = await checkBundle(files, model, split.test, context.runtime);
      let finalPlots: PipelineResult['plots'] = plots;
      if (context.explain) {
        const rows = sampleRows(split.test.rows, 500, seed);
        const shapSummary = await context.explain(bundle, featureRecords(split.test, rows));
        finalPlots = { ...plots, shapSummary };
        files = await createBundleFiles({ ...content, plots: finalPlots });
        bundle = await checkBundle(files, model, split.test, context.runtime);
      }
      log?.info?.('bundle checked: onnxruntime agrees with the trained model on every test row', { rows: split.test.rows });
      report('check', 1);
      return {
        files,
        manifest: bundle.manifest,
        model,
        params: model.params,
        metrics: evaluation,
        threshold,
        plots: finalPlots,
        report: dataReport,
        ...(searchResult ? { search: searchResult } : {}),
      };
    },
  };
}
