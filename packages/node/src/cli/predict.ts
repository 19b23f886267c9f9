import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  type BatchItem,
  CairnError,
  createPredictor,
  formatPath,
  issue,
  type LoadBundleOptions,
  loadBundle,
  type Predictor,
} from '@cairn/core';
import { SingleBar } from 'cli-progress';
import Papa from 'papaparse';
import { readBundleFiles } from '../files.js';
import { nodeRuntime } from '../runtime.js';
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

function errorText(error: CairnError): string {
  const errors = error.issues.filter((i) => i.severity === 'error');
  if (errors.length === 0) return error.message;
  return errors.map((i) => `${formatPath(i.path.slice(1))}: ${i.message}`).join('; ');
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
    return await predictCsv(io, predictor, inputPath, info.size, options);
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

async function atomicWrite(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

interface PendingRow {
  readonly index: number;
  readonly id: string | undefined;
  readonly record: Record<string, string> | undefined;
  readonly parseError: string | undefined;
}

async function predictCsv(io: CliIO, predictor: Predictor, path: string, size: number, options: PredictCommandOptions): Promise<number> {
  const outPath = options.out ? resolve(io.cwd, options.out) : undefined;
  const temp = outPath ? join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`) : undefined;
  const out = temp ? createWriteStream(temp) : io.stdout;
  const showProgress = options.progress ?? (Boolean(io.stderr.isTTY) && size > 1_000_000);
  const bar = showProgress
    ? new SingleBar({
        stream: io.stderr as NodeJS.WriteStream,
        format: 'predict [{bar}] {percentage}% | {rows} rows | {eta_formatted} left',
        hideCursor: true,
      })
    : undefined;
  let bytesRead = 0;
  let rows = 0;
  let failed = 0;
  let wroteHeader = false;
  let hasId = false;
  const features = new Set(predictor.bundle.manifest.features.map((f) => f.name));
  const effects = predictor.task === 'treatment-effect';

  const write = (chunk: string) =>
    new Promise<void>((res, rej) => {
      const ok = (out as NodeJS.WritableStream).write(chunk, (err?: Error | null) => (err ? rej(err) : undefined));
      if (ok) res();
      else (out as NodeJS.WritableStream).once('drain', () => res());
    });

  async function flush(batch: PendingRow[]): Promise<void> {
    if (batch.length === 0) return;
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
    // A treatment-effect bundle writes one effect column instead of probability, label and band.
    const empty = effects ? [''] : ['', '', ''];
    const lines = batch.map((r) => {
      const item = byIndex.get(r.index);
      const base = hasId ? [r.id ?? ''] : [];
      if (r.parseError !== undefined || !item) {
        failed++;
        return [...base, ...empty, `row ${r.index}: ${r.parseError ?? 'not scored'}`];
      }
      if (!item.ok) {
        failed++;
        return [...base, ...empty, `row ${r.index}: ${errorText(item.error)}`];
      }
      const p = item.prediction;
      if ('effect' in p) return [...base, p.effect.toFixed(6), ''];
      return [...base, p.probability.toFixed(6), String(p.label), p.band.id, ''];
    });
    const fields = [...(hasId ? ['id'] : []), ...(effects ? ['effect'] : ['probability', 'label', 'band']), 'error'];
    const text = Papa.unparse({ fields, data: lines }, { header: !wroteHeader, newline: '\n' });
    wroteHeader = true;
    await write(`${text}\n`);
    rows += batch.length;
    bar?.update(bytesRead, { rows });
  }

  try {
    bar?.start(size, 0, { rows: 0 });
    const stream = createReadStream(path);
    stream.on('data', (chunk) => {
      bytesRead += chunk.length;
    });
    await new Promise<void>((resolvePromise, reject) => {
      let batch: PendingRow[] = [];
      let index = 0;
      let checkedHeader = false;
      let busy: Promise<void> = Promise.resolve();
      Papa.parse<Record<string, string>>(stream, {
        header: true,
        skipEmptyLines: 'greedy',
        transformHeader: (h) => h.trim(),
        step(results, parser) {
          if (!checkedHeader) {
            checkedHeader = true;
            const fields = results.meta.fields ?? [];
            hasId = fields.includes('id');
            const unknown = fields.filter((f) => f !== 'id' && !features.has(f));
            const missing = [...features].filter((f) => !fields.includes(f));
            if ((unknown.length > 0 && !options.ignoreUnknown) || missing.length > 0) {
              parser.abort();
              reject(
                new CairnError('invalid_input', `--input: the CSV header does not match the model's features`, {
                  issues: [
                    ...missing.map((f) => issue(['header', f], 'required', `missing column '${f}'`)),
                    ...(options.ignoreUnknown
                      ? []
                      : unknown.map((f) =>
                          issue(['header', f], 'unknown_field', `'${f}' is not a feature (use --ignore-unknown to drop it)`),
                        )),
                  ],
                }),
              );
              return;
            }
          }
          index++;
          const record = { ...results.data };
          const id = hasId ? record.id : undefined;
          delete record.id;
          const parseError = results.errors.length > 0 ? results.errors.map((e) => e.message).join('; ') : undefined;
          batch.push({ index, id, record: parseError ? undefined : record, parseError });
          if (batch.length >= options.chunkSize) {
            const full = batch;
            batch = [];
            parser.pause();
            busy = busy
              .then(() => flush(full))
              .then(
                () => parser.resume(),
                (error) => {
                  parser.abort();
                  reject(error);
                },
              );
          }
        },
        complete() {
          busy.then(() => flush(batch)).then(() => resolvePromise(), reject);
        },
        error(error) {
          reject(new CairnError('invalid_input', `--input: cannot parse ${options.input}: ${error.message}`, { cause: error }));
        },
      });
    });
    if (!wroteHeader) await flush([]);
    bar?.update(size, { rows });
    bar?.stop();
    if (temp && outPath) {
      await new Promise<void>((res, rej) => (out as NodeJS.WritableStream).end((err?: Error | null) => (err ? rej(err) : res())));
      await rename(temp, outPath);
    }
  } catch (error) {
    bar?.stop();
    if (temp) {
      (out as NodeJS.WritableStream).end();
      await rm(temp, { force: true });
    }
    throw error;
  }
  io.stderr.write(`Scored ${rows - failed} of ${rows} rows${failed > 0 ? `; ${failed} failed validation (see the error column)` : ''}.\n`);
  return 0;
}
