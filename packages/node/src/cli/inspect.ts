import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type Bundle,
  decodeModel,
  formatValueType,
  loadBundle,
  type OnnxModel,
  operatorCounts,
  stripZipMap,
  type ZipMapRewrite,
} from '@cairn/core';
import { readBundleFiles } from '../files.js';
import { type CliIO, table } from './io.js';

function describeModel(model: OnnxModel, known?: readonly ZipMapRewrite[]) {
  const rewrites = known ?? stripZipMap(model).rewrites;
  return {
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    irVersion: model.irVersion,
    opsets: model.opsets.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    inputs: model.inputs.map((i) => ({ name: i.name, type: formatValueType(i.type) })),
    outputs: model.outputs.map((o) => ({
      name: o.name,
      type: formatValueType(o.type),
      ...rewriteNote(rewrites, o.name),
    })),
    operators: Object.fromEntries([...operatorCounts(model)].sort()),
  };
}

function rewriteNote(rewrites: readonly ZipMapRewrite[], name: string): { readAs?: string } {
  const r = rewrites.find((x) => x.output === name || x.tensor === name);
  if (!r) return {};
  return {
    readAs: r.output === name ? `${r.tensor} (ZipMap removed on load)` : `replaces ZipMap output ${r.output} (ZipMap removed on load)`,
  };
}

function describeBundle(bundle: Bundle) {
  const m = bundle.manifest;
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    task: m.task,
    intendedUse: m.intendedUse,
    limitations: m.limitations,
    threshold: m.threshold,
    riskBands: m.riskBands,
    metrics: m.metrics,
    output: {
      ...m.output,
      tensor: bundle.io.output.tensor,
      positiveIndex: bundle.io.output.positiveIndex,
      classLabels: bundle.io.output.classLabels,
    },
    features: m.features.map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      unit: f.unit,
      required: f.required,
      ...(f.limits ? { limits: f.limits } : {}),
      ...(f.categories ? { categories: f.categories.map((c) => c.value) } : {}),
    })),
    modelSha256: bundle.modelSha256,
    reference: m.reference ? { rows: m.reference.rows } : undefined,
    signature: bundle.signature ?? null,
    provenance: m.provenance,
  };
}

/** `cairn inspect <bundle|model.onnx>` */
export async function inspectCommand(
  io: CliIO,
  target: string,
  options: { json?: boolean; trustedKeys: Parameters<typeof loadBundle>[1] },
): Promise<void> {
  const path = resolve(io.cwd, target);
  const info = await stat(path).catch(() => undefined);
  const isOnnx = info?.isFile() && path.endsWith('.onnx');
  if (isOnnx) {
    const model = describeModel(decodeModel(new Uint8Array(await readFile(path))));
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ model }, null, 2)}\n`);
      return;
    }
    printModel(io, model);
    return;
  }
  const bundle = await loadBundle(await readBundleFiles(path), options.trustedKeys);
  const model = describeModel(bundle.model, bundle.rewrites);
  const summary = describeBundle(bundle);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ bundle: summary, model }, null, 2)}\n`);
    return;
  }
  const out = io.stdout;
  out.write(`${summary.name} (${summary.id} ${summary.version}) — ${summary.task}\n`);
  out.write(`Intended use: ${summary.intendedUse}\n`);
  out.write(`Limitations:\n${summary.limitations.map((l) => `  - ${l}`).join('\n')}\n`);
  if (bundle.manifest.task === 'treatment-effect') {
    const e = bundle.manifest.effect;
    out.write(
      `Estimates: effect of ${e?.treatment ?? 'the treatment'} on ${e?.outcome ?? 'the outcome'}${e?.unit ? ` (${e.unit})` : ''}, ${e?.scale ?? 'difference'}\n`,
    );
  } else {
    out.write(
      `Threshold: ${summary.threshold}; bands: ${summary.riskBands.map((b) => `${b.label}${b.below ? ` <${b.below}` : ''}`).join(', ')}\n`,
    );
  }
  out.write(
    `Output: ${summary.output.tensor}[:, ${summary.output.positiveIndex}]${summary.output.classLabels ? ` (classes ${summary.output.classLabels.join(', ')})` : ''}\n`,
  );
  if (summary.metrics.length > 0) {
    out.write(
      `Metrics:\n${summary.metrics.map((m) => `  ${m.name}: ${m.value.toFixed(3)}${m.ci ? ` (95% CI ${m.ci[0].toFixed(3)}–${m.ci[1].toFixed(3)})` : ''}${m.dataset ? ` on ${m.dataset}` : ''}`).join('\n')}\n`,
    );
  }
  out.write(`Signature: ${summary.signature ? `verified (${summary.signature.alg}, kid ${summary.signature.kid})` : 'not verified'}\n`);
  out.write(`Model SHA-256: ${summary.modelSha256}\n\nFeatures:\n`);
  out.write(
    `${table([
      ['name', 'type', 'unit', 'required', 'allowed'],
      ...summary.features.map((f) => [
        f.name,
        f.type,
        f.unit ?? '',
        f.required ? 'yes' : 'no',
        f.categories ? f.categories.join('|') : f.limits ? `${f.limits.min ?? ''}..${f.limits.max ?? ''}` : '',
      ]),
    ])}\n\n`,
  );
  printModel(io, model);
}

function printModel(io: CliIO, model: ReturnType<typeof describeModel>): void {
  const out = io.stdout;
  out.write(
    `ONNX model: ${model.producer || 'unknown producer'}, IR ${model.irVersion}, opsets ${model.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}\n`,
  );
  out.write(`Inputs:\n${table(model.inputs.map((i) => ['  ', i.name, i.type]))}\n`);
  out.write(`Outputs:\n${table(model.outputs.map((o) => ['  ', o.name, o.type, o.readAs ? `→ ${o.readAs}` : '']))}\n`);
  out.write(`Operators:\n${table(Object.entries(model.operators).map(([k, v]) => ['  ', k, String(v)]))}\n`);
}
