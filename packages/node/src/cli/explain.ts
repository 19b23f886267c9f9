import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  CairnError,
  createExplainer,
  createValidator,
  type Explainer,
  type ExplainerOptions,
  type FeatureRecord,
  type LoadBundleOptions,
  loadBundle,
  narrate,
} from '@cairn/core';
import { readBundleFiles } from '../files.js';
import { nodeRuntime } from '../runtime.js';
import { atomicWrite, rowError, transformCsv } from './csv-stream.js';
import type { CliIO } from './io.js';

/** Options of `cairn explain`. */
export interface ExplainCommandOptions {
  bundle: string;
  input: string;
  out?: string;
  space: 'margin' | 'probability';
  method: NonNullable<ExplainerOptions['method']>;
  chunkSize: number;
  progress?: boolean;
  ignoreUnknown?: boolean;
  load: LoadBundleOptions;
}

function number(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(8))) : '';
}

/** `cairn explain` */
export async function explainCommand(io: CliIO, options: ExplainCommandOptions): Promise<number> {
  const bundle = await loadBundle(await readBundleFiles(resolve(io.cwd, options.bundle)), options.load);
  const explainer: Explainer = await createExplainer(bundle, { runtime: nodeRuntime, method: options.method, space: options.space });
  const validator = createValidator(bundle.manifest.features, { unknownFields: options.ignoreUnknown ? 'ignore' : 'reject' });
  const features = bundle.manifest.features.map((f) => f.name);
  try {
    if (/\.json$/i.test(options.input)) {
      let data: unknown;
      try {
        data = JSON.parse(await readFile(resolve(io.cwd, options.input), 'utf8'));
      } catch (cause) {
        throw new CairnError('invalid_input', `--input: cannot read ${options.input} as JSON (${(cause as Error).message})`, { cause });
      }
      const records = Array.isArray(data) ? data : [data];
      const out = [];
      for (const record of records) {
        const { values } = validator.parse(record);
        const explanation = await explainer.explain(values);
        out.push({ ...explanation, narrative: narrate(explanation).text });
      }
      const text = `${JSON.stringify(Array.isArray(data) ? out : out[0], null, 2)}\n`;
      if (options.out) await atomicWrite(resolve(io.cwd, options.out), text);
      else io.stdout.write(text);
      return 0;
    }
    let failed = 0;
    const rows = await transformCsv(io, {
      input: options.input,
      ...(options.out ? { out: options.out } : {}),
      features,
      ignoreUnknown: options.ignoreUnknown ?? false,
      chunkSize: options.chunkSize,
      ...(options.progress !== undefined ? { progress: options.progress } : {}),
      label: 'explain',
      columns: ['base', ...features, 'output', 'error'],
      async transform(batch) {
        const valid: FeatureRecord[] = [];
        const cells: string[][] = batch.map((row) => {
          if (row.parseError || !row.record) {
            failed++;
            return [...Array(features.length + 2).fill(''), `row ${row.index}: ${row.parseError ?? 'unreadable'}`];
          }
          const r = validator.validate(row.record, [row.index]);
          if (!r.ok) {
            failed++;
            return [...Array(features.length + 2).fill(''), `row ${row.index}: ${rowError(r.error)}`];
          }
          valid.push(r.values);
          return [];
        });
        const explanations = await explainer.explainBatch(valid);
        let k = 0;
        return cells.map((c) => {
          if (c.length > 0) return c;
          const e = explanations[k++];
          if (!e) return [];
          return [number(e.base), ...e.contributions.map((x) => number(x.contribution)), number(e.output), ''];
        });
      },
    });
    io.stderr.write(
      `Explained ${rows - failed} of ${rows} rows with ${explainer.method} (${explainer.space})${failed > 0 ? `; ${failed} failed validation (see the error column)` : ''}.\n`,
    );
    return 0;
  } finally {
    await explainer.release();
  }
}
