import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BatchItem, CairnError, createPredictor, issue, type LoadBundleOptions, loadBundle, type Predictor } from '@cairn/core';
import { readBundleFiles } from '../files.js';
import { nodeRuntime } from '../runtime.js';
import { atomicWrite, rowError, transformCsv } from './csv-stream.js';
import type { CliIO } from './io.js';

/** Options of `cairn predict`. */
export interface PredictCommandOptions {
  bundle: string;
  input: string;
  out?: string;
  chunkSize: number;
  progress?: boolean;
  ignoreUnknown?: boolean;
  load: LoadBundleOptions;
}

/** One row's outcome, for either task. */
type AnyItem = BatchItem | Awaited<ReturnType<Predictor['predictEffectBatch']>>[number];

function predictionJson(item: AnyItem) {
  if (!item.ok) return { ok: false, error: item.error.toJSON() };
  if ('effect' in item.prediction) {
    const e = item.prediction;
    return {
      ok: true,
      modelId: e.modelId,
      modelVersion: e.modelVersion,
      effect: e.effect,
      warnings: e.warnings.map((w) => ({ path: w.path, rule: w.rule, message: w.message })),
    };
  }
  const p = item.prediction;
  return {
    ok: true,
    modelId: p.modelId,
    modelVersion: p.modelVersion,
    probability: p.probability,
    label: p.label,
    classLabel: p.classLabel,
    band: p.band,
    threshold: p.threshold,
    warnings: p.warnings.map((w) => ({ path: w.path, rule: w.rule, message: w.message })),
  };
}

/** `cairn predict` */
export async function predictCommand(io: CliIO, options: PredictCommandOptions): Promise<number> {
  const bundle = await loadBundle(await readBundleFiles(resolve(io.cwd, options.bundle)), options.load);
  const predictor = await createPredictor(bundle, { runtime: nodeRuntime, unknownFields: options.ignoreUnknown ? 'ignore' : 'reject' });
  try {
    const inputPath = resolve(io.cwd, options.input);
    const info = await stat(inputPath).catch((cause) => {
      throw new CairnError('not_found', `--input: cannot read ${options.input}`, { cause });
    });
    if (!info.isFile()) throw new CairnError('invalid_argument', `--input: ${options.input} is not a file`);
    if (/\.json$/i.test(inputPath)) return await predictJson(io, predictor, inputPath, options);
    return await predictCsv(io, predictor, options);
  } finally {
    await predictor.release();
  }
}

async function predictJson(io: CliIO, predictor: Predictor, path: string, options: PredictCommandOptions): Promise<number> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new CairnError('invalid_input', `--input: ${options.input} is not valid JSON (${(cause as Error).message})`, {
      cause,
      issues: [issue([], 'format', 'not valid JSON')],
    });
  }
  const many = Array.isArray(data);
  if (!many) {
    // One patient: an invalid record is an error (exit 1), reported with paths relative to the record.
    const item: AnyItem =
      predictor.task === 'treatment-effect'
        ? { ok: true, prediction: await predictor.predictEffect(data) }
        : { ok: true, prediction: await predictor.predict(data) };
    const text = `${JSON.stringify(predictionJson(item), null, 2)}\n`;
    if (options.out) await atomicWrite(resolve(io.cwd, options.out), text);
    else io.stdout.write(text);
    return 0;
  }
  const items: AnyItem[] = await scoreBatch(predictor, data as unknown[], options.chunkSize);
  const text = `${JSON.stringify(items.map(predictionJson), null, 2)}\n`;
  if (options.out) await atomicWrite(resolve(io.cwd, options.out), text);
  else io.stdout.write(text);
  const failed = items.filter((i) => !i.ok).length;
  if (failed > 0) io.stderr.write(`${failed} of ${items.length} records failed validation; see their "error".\n`);
  return 0;
}

/** Probabilities for a classification bundle, effects for a treatment-effect bundle. */
function scoreBatch(predictor: Predictor, records: readonly unknown[], chunkSize: number): Promise<AnyItem[]> {
  return predictor.task === 'treatment-effect'
    ? predictor.predictEffectBatch(records, { chunkSize })
    : predictor.predictBatch(records, { chunkSize });
}

async function predictCsv(io: CliIO, predictor: Predictor, options: PredictCommandOptions): Promise<number> {
  // A treatment-effect bundle writes one effect column instead of probability, label and band.
  const effects = predictor.task === 'treatment-effect';
  const empty = effects ? [''] : ['', '', ''];
  let failed = 0;
  const rows = await transformCsv(io, {
    input: options.input,
    ...(options.out ? { out: options.out } : {}),
    features: predictor.bundle.manifest.features.map((f) => f.name),
    ignoreUnknown: options.ignoreUnknown ?? false,
    chunkSize: options.chunkSize,
    ...(options.progress !== undefined ? { progress: options.progress } : {}),
    label: 'predict',
    columns: [...(effects ? ['effect'] : ['probability', 'label', 'band']), 'error'],
    async transform(batch) {
      const toScore = batch.filter((r) => r.record !== undefined);
      const items = await scoreBatch(
        predictor,
        toScore.map((r) => r.record),
        options.chunkSize,
      );
      const byIndex = new Map<number, AnyItem>();
      toScore.forEach((r, k) => {
        byIndex.set(r.index, items[k] as AnyItem);
      });
      return batch.map((r) => {
        const item = byIndex.get(r.index);
        if (r.parseError !== undefined || !item) {
          failed++;
          return [...empty, `row ${r.index}: ${r.parseError ?? 'not scored'}`];
        }
        if (!item.ok) {
          failed++;
          return [...empty, `row ${r.index}: ${rowError(item.error)}`];
        }
        const p = item.prediction;
        if ('effect' in p) return [p.effect.toFixed(6), ''];
        return [p.probability.toFixed(6), String(p.label), p.band.id, ''];
      });
    },
  });
  io.stderr.write(`Scored ${rows - failed} of ${rows} rows${failed > 0 ? `; ${failed} failed validation (see the error column)` : ''}.\n`);
  return 0;
}
