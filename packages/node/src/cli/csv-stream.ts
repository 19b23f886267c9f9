import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CairnError, formatPath, issue } from '@cairn/core';
import { SingleBar } from 'cli-progress';
import Papa from 'papaparse';
import type { CliIO } from './io.js';

/** One CSV data row: its 1-based index, `id` cell, feature cells, or why it could not be parsed. */
export interface CsvRow {
  readonly index: number;
  readonly id: string | undefined;
  readonly record: Record<string, string> | undefined;
  readonly parseError: string | undefined;
}

/** Options of {@link transformCsv}. */
export interface TransformCsvOptions {
  readonly input: string;
  readonly out?: string;
  /** Feature columns the CSV must have. */
  readonly features: readonly string[];
  readonly ignoreUnknown?: boolean;
  readonly chunkSize: number;
  readonly progress?: boolean;
  /** Shown before the progress bar, e.g. `predict`. */
  readonly label: string;
  /** Output columns after `id` (when the input has one). */
  readonly columns: readonly string[];
  /** Turns a chunk of rows into output cells (one array per row, same order, without the id). */
  readonly transform: (rows: readonly CsvRow[]) => Promise<ReadonlyArray<ReadonlyArray<string>>>;
}

/** The message for a failed row: each issue's path (without the row index) and message. */
export function rowError(error: CairnError): string {
  const errors = error.issues.filter((i) => i.severity === 'error');
  if (errors.length === 0) return error.message;
  return errors.map((i) => `${formatPath(i.path.slice(1))}: ${i.message}`).join('; ');
}

/** Writes text to `path` through a temporary sibling, so a failure leaves nothing half-written. */
export async function atomicWrite(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Streams a CSV through `transform` in chunks (bounded memory, backpressure), with a progress
 * bar on large files, writing the output atomically. Returns the number of rows read.
 */
export async function transformCsv(io: CliIO, options: TransformCsvOptions): Promise<number> {
  const path = resolve(io.cwd, options.input);
  const info = await stat(path).catch((cause) => {
    throw new CairnError('not_found', `--input: cannot read ${options.input}`, { cause });
  });
  if (!info.isFile()) throw new CairnError('invalid_argument', `--input: ${options.input} is not a file`);
  const outPath = options.out ? resolve(io.cwd, options.out) : undefined;
  const temp = outPath ? join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`) : undefined;
  const out: NodeJS.WritableStream = temp ? createWriteStream(temp) : io.stdout;
  const showProgress = options.progress ?? (Boolean(io.stderr.isTTY) && info.size > 1_000_000);
  const bar = showProgress
    ? new SingleBar({
        stream: io.stderr as NodeJS.WriteStream,
        format: `${options.label} [{bar}] {percentage}% | {rows} rows | {eta_formatted} left`,
        hideCursor: true,
      })
    : undefined;
  const features = new Set(options.features);
  let bytesRead = 0;
  let rows = 0;
  let wroteHeader = false;
  let hasId = false;

  const write = (chunk: string) =>
    new Promise<void>((res, rej) => {
      const ok = out.write(chunk, (err?: Error | null) => (err ? rej(err) : undefined));
      if (ok) res();
      else out.once('drain', () => res());
    });

  async function flush(batch: CsvRow[]): Promise<void> {
    if (batch.length === 0 && wroteHeader) return;
    const cells = batch.length > 0 ? await options.transform(batch) : [];
    const data = batch.map((r, i) => [...(hasId ? [r.id ?? ''] : []), ...(cells[i] ?? [])]);
    const fields = [...(hasId ? ['id'] : []), ...options.columns];
    await write(`${Papa.unparse({ fields, data }, { header: !wroteHeader, newline: '\n' })}\n`);
    wroteHeader = true;
    rows += batch.length;
    bar?.update(bytesRead, { rows });
  }

  try {
    bar?.start(info.size, 0, { rows: 0 });
    const stream = createReadStream(path);
    stream.on('data', (chunk) => {
      bytesRead += chunk.length;
    });
    await new Promise<void>((resolvePromise, reject) => {
      let batch: CsvRow[] = [];
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
    bar?.update(info.size, { rows });
    bar?.stop();
    if (temp && outPath) {
      await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
      await rename(temp, outPath);
    }
  } catch (error) {
    bar?.stop();
    if (temp) {
      out.end();
      await rm(temp, { force: true });
    }
    throw error;
  }
  return rows;
}
