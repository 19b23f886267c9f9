import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { CairnError, createExplainer, issue, summarizeExplanations } from '@cairn/core';
import {
  causalPipelines,
  type DataSchema,
  dataSchemaSchema,
  formatCausalSummary,
  type ModelDescription,
  type PipelineResult,
  type PipelineStage,
  pipelines,
  readCausalCsv,
  readCsv,
  runCausalPipeline,
  runPipeline,
} from '@cairn/pipelines';
import { SingleBar } from 'cli-progress';
import { writeBundleFiles } from '../files.js';
import { nodeRuntime } from '../runtime.js';
import { type CliIO, table } from './io.js';

/** Options of `cairn train`. */
export interface TrainCommandOptions {
  data: string;
  /** Classification: the target column and positive condition. */
  target?: string;
  /** Treatment effects: the treatment and outcome columns (and how a row counts as treated). */
  treatment?: string;
  treated?: string;
  outcome?: string;
  /** Column names of a file without a header row. */
  columns?: string;
  missingOutcome?: 'error' | 'drop';
  pipeline: string;
  out: string;
  test?: string;
  trials: number;
  folds: number;
  objective: string;
  threshold: string;
  missing?: string;
  missingIn?: string[];
  exclude?: string;
  schema?: string;
  card?: string;
  id?: string;
  name?: string;
  modelVersion?: string;
  intendedUse?: string;
  limitation?: string[];
  params?: string;
  seed: number;
  force?: boolean;
  progress?: boolean;
  shap?: boolean;
}

const STAGES: readonly PipelineStage[] = ['data', 'search', 'train', 'evaluate', 'export', 'check'];
const WEIGHTS: Record<PipelineStage, number> = { data: 0.05, search: 0.35, train: 0.35, evaluate: 0.1, export: 0.05, check: 0.1 };

/** Splits `num > 0` into the column and the condition; a bare column name keeps the default positive value. */
export function parseTarget(expression: string): { target: string; positive?: string } {
  const m = /^\s*(.+?)\s*(==|!=|>=|<=|>|<|=)\s*(.+?)\s*$/.exec(expression);
  if (!m) return { target: expression.trim() };
  return { target: m[1] as string, positive: expression.trim() };
}

function parseThreshold(text: string) {
  const t = text.trim().toLowerCase();
  if (t === 'f1') return { rule: 'f-beta' as const, beta: 1 };
  if (t === 'f2') return { rule: 'f-beta' as const, beta: 2 };
  const recall = /^recall\s*[=:]\s*([0-9.]+)$/.exec(t);
  if (recall) return { rule: 'recall' as const, recall: Number(recall[1]) };
  const fixed = /^([0-9.]+)$/.exec(t);
  if (fixed) return { rule: 'fixed' as const, threshold: Number(fixed[1]) };
  throw new CairnError('invalid_argument', `--threshold: '${text}' is not f1, f2, recall=0.9 or a probability such as 0.3`);
}

function parseObjective(text: string) {
  const t = text.trim().toLowerCase();
  if (t === 'roc-auc' || t === 'f1' || t === 'f2') return t;
  const m = /^recall@precision\s*[=:]?\s*([0-9.]+)$/.exec(t);
  if (m) return { recallAtPrecision: Number(m[1]) };
  throw new CairnError('invalid_argument', `--objective: '${text}' is not roc-auc, f1, f2 or recall@precision=0.8`);
}

async function readJson(io: CliIO, path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, path), 'utf8');
  } catch (cause) {
    throw new CairnError('not_found', `${what}: cannot read ${path}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CairnError('invalid_argument', `${what}: ${path} is not valid JSON (${(cause as Error).message})`, { cause });
  }
}

function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

/** The metrics table printed at the end of a run. */
export function metricsTable(result: PipelineResult): string {
  const m = result.metrics;
  const ci = (e: { value: number; ci?: readonly [number, number] }) => `${fmt(e.value)}${e.ci ? ` (${fmt(e.ci[0])}–${fmt(e.ci[1])})` : ''}`;
  const rows: string[][] = [
    ['metric (test set)', 'value (95% CI)'],
    ['ROC AUC', ci(m.rocAuc)],
    ['PR AUC', ci(m.prAuc)],
    ['Brier score', fmt(m.brier)],
    [`threshold`, fmt(m.threshold)],
    ['accuracy', fmt(m.accuracy)],
    ['precision', fmt(m.precision)],
    ['recall (sensitivity)', fmt(m.recall)],
    ['specificity', fmt(m.specificity)],
    ['F1 / F2', `${fmt(m.f1)} / ${fmt(m.f2)}`],
    ['test rows (positives)', `${m.n} (${m.positives})`],
  ];
  return table(rows);
}

/** The model's identity and intended use, from options and an optional --card file. */
async function describeModel(io: CliIO, options: TrainCommandOptions): Promise<ModelDescription> {
  const card = (options.card ? await readJson(io, options.card, '--card') : {}) as Partial<ModelDescription>;
  const id = options.id ?? card.id ?? basename(resolve(io.cwd, options.out)).replace(/\.cairn$/, '');
  const model: ModelDescription = {
    ...card,
    id,
    name: options.name ?? card.name ?? id,
    ...((options.modelVersion ?? card.version) ? { version: options.modelVersion ?? card.version } : {}),
    intendedUse: options.intendedUse ?? card.intendedUse ?? '',
    limitations: options.limitation ?? card.limitations ?? [],
  };
  if (!model.intendedUse || model.limitations.length === 0) {
    throw new CairnError(
      'invalid_argument',
      'a model needs its intended use and at least one limitation: give --intended-use and --limitation, or a --card file',
      {
        issues: [
          ...(model.intendedUse
            ? []
            : [issue(['intendedUse'], 'required', 'give --intended-use (who uses the model, for whom, for what decision)')]),
          ...(model.limitations.length > 0 ? [] : [issue(['limitations'], 'required', 'give at least one --limitation')]),
        ],
      },
    );
  }
  return model;
}

/** `cairn train` */
export async function trainCommand(io: CliIO, options: TrainCommandOptions): Promise<void> {
  const causal = causalPipelines.find((p) => p.id === options.pipeline);
  const pipeline = pipelines.find((p) => p.id === options.pipeline);
  if (!pipeline && !causal) {
    const available = [...pipelines, ...causalPipelines].map((p) => p.id).join(', ');
    throw new CairnError('invalid_argument', `--pipeline: no pipeline '${options.pipeline}' (available: ${available})`);
  }
  if (causal ? !options.treatment || !options.outcome : !options.target) {
    throw new CairnError(
      'invalid_argument',
      causal ? `--pipeline ${causal.id} needs --treatment and --outcome` : '--target is required (e.g. --target "num > 0")',
    );
  }
  const read = async (path: string, what: string) => {
    try {
      return await readFile(resolve(io.cwd, path));
    } catch (cause) {
      throw new CairnError('not_found', `${what}: cannot read ${path}`, {
        cause,
        issues: [issue([what], 'required', `cannot read ${path}`)],
      });
    }
  };
  let schema: DataSchema | undefined;
  if (options.schema) {
    const parsed = dataSchemaSchema.safeParse(await readJson(io, options.schema, '--schema'));
    if (!parsed.success)
      throw new CairnError(
        'invalid_argument',
        `--schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    schema = parsed.data;
  }
  const columnMissing: Record<string, string[]> = {};
  for (const spec of options.missingIn ?? []) {
    const m = /^([^:=]+)[:=](.*)$/.exec(spec);
    if (!m) throw new CairnError('invalid_argument', `--missing-in: '${spec}' is not COLUMN:VALUE[,VALUE]`);
    columnMissing[(m[1] as string).trim()] = (m[2] as string).split(',').map((s) => s.trim());
  }
  const commonCsv = {
    ...(options.missing !== undefined ? { missing: options.missing.split(',').map((x) => x.trim()) } : {}),
    ...(Object.keys(columnMissing).length > 0 ? { columnMissing } : {}),
    ...(options.exclude
      ? {
          exclude: options.exclude
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        }
      : {}),
    ...(schema ? { schema } : {}),
  };
  const model = await describeModel(io, options);
  const params = options.params ? await readJson(io, options.params, '--params') : undefined;
  if (causal) {
    const data = await readCausalCsv(await read(options.data, '--data'), {
      ...commonCsv,
      treatment: options.treatment as string,
      outcome: options.outcome as string,
      ...(options.treated ? { treated: options.treated } : {}),
      ...(options.columns ? { columns: options.columns.split(',').map((c) => c.trim()) } : {}),
      ...(options.missingOutcome ? { missingOutcome: options.missingOutcome } : {}),
      name: basename(options.data),
    });
    io.stderr.write(`train: ${causal.id} on ${basename(options.data)}\n`);
    const result = await runCausalPipeline(
      causal.id,
      { data, model, ...(params !== undefined ? { params } : {}) },
      // Warnings are printed once, in the summary's Warnings section.
      { runtime: nodeRuntime, seed: options.seed },
    );
    await writeBundleFiles(resolve(io.cwd, options.out), result.files, { overwrite: options.force ?? false });
    io.stdout.write(`${formatCausalSummary(result)}\nWrote ${options.out}.\n`);
    return;
  }
  const { target, positive } = parseTarget(options.target as string);
  const csvOptions = { target, ...(positive ? { positive } : {}), ...commonCsv };
  const data = await readCsv(await read(options.data, '--data'), { ...csvOptions, name: basename(options.data) });
  const testData = options.test
    ? await readCsv(await read(options.test, '--test'), { ...csvOptions, template: data, name: basename(options.test) })
    : undefined;

  const showBar = options.progress ?? Boolean(io.stderr.isTTY);
  const bar = showBar
    ? new SingleBar({ stream: io.stderr as NodeJS.WriteStream, format: 'train [{bar}] {percentage}% | {stage}', hideCursor: true })
    : undefined;
  bar?.start(100, 0, { stage: 'data' });
  let lastStage = '';
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  let result: PipelineResult;
  try {
    result = await runPipeline(
      options.pipeline,
      {
        data,
        ...(testData ? { testData } : {}),
        ...(params !== undefined ? { params } : {}),
        model,
        threshold: parseThreshold(options.threshold),
        ...(options.trials > 0
          ? { search: { trials: options.trials, folds: options.folds, objective: parseObjective(options.objective) } }
          : {}),
      },
      {
        runtime: nodeRuntime,
        seed: options.seed,
        signal: controller.signal,
        onProgress: ({ stage, fraction }) => {
          const before = STAGES.slice(0, STAGES.indexOf(stage)).reduce((s, k) => s + WEIGHTS[k], 0);
          bar?.update(Math.round((before + WEIGHTS[stage] * fraction) * 100), { stage });
          if (!bar && stage !== lastStage) io.stderr.write(`train: ${stage}\n`);
          lastStage = stage;
        },
        ...(options.shap === false
          ? {}
          : {
              explain: async (bundle, rows) => {
                const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
                try {
                  return summarizeExplanations(await explainer.explainBatch(rows));
                } finally {
                  await explainer.release();
                }
              },
            }),
      },
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
    bar?.update(100, { stage: 'done' });
    bar?.stop();
  }
  await writeBundleFiles(resolve(io.cwd, options.out), result.files, { overwrite: options.force ?? false });
  const r = result.report;
  io.stdout.write(
    `Trained ${pipeline?.label} '${result.manifest.id}' ${result.manifest.version} on ${r.rows} rows (${data.source?.name ?? options.data}); wrote ${options.out}.\n\n`,
  );
  io.stdout.write(`${metricsTable(result)}\n`);
  if (result.search)
    io.stdout.write(
      `\nSearch: best ${result.search.objective} ${fmt(result.search.best.score)} over ${result.search.trials.length} trials (${result.search.folds}-fold CV).\n`,
    );
}
