import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  assembleBundle,
  type BundleSpec,
  CairnError,
  createPredictor,
  issue,
  type LoadBundleOptions,
  loadBundle,
  parseManifest,
  referenceFromCsv,
  signManifest,
} from '@cairn/core';
import { readBundleFiles, writeBundleFiles } from '../files.js';
import { readPrivateKey } from '../keys.js';
import { nodeRuntime } from '../runtime.js';
import { VERSION } from '../version.js';
import type { CliIO } from './io.js';

async function readInput(io: CliIO, path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(resolve(io.cwd, path));
  } catch (cause) {
    throw new CairnError('not_found', `${what}: cannot read ${path}`, {
      cause,
      issues: [issue([what], 'required', `cannot read ${path}`)],
    });
  }
}

/** `cairn bundle create` */
export async function createBundleCommand(
  io: CliIO,
  options: { onnx: string; features: string; reference?: string; referenceRows: number; out: string; force?: boolean },
): Promise<void> {
  const model = new Uint8Array(await readInput(io, options.onnx, '--onnx'));
  const text = (await readInput(io, options.features, '--features')).toString('utf8');
  let spec: BundleSpec;
  try {
    spec = JSON.parse(text) as BundleSpec;
  } catch (cause) {
    throw new CairnError('invalid_manifest', `--features: ${options.features} is not valid JSON (${(cause as Error).message})`, { cause });
  }
  const tool = `cairn ${VERSION}`;
  let { files, bundle } = await assembleBundle(spec, model, { tool });
  if (options.reference) {
    const csv = (await readInput(io, options.reference, '--reference')).toString('utf8');
    const rows = referenceFromCsv(csv, bundle.manifest.features, { maxRows: options.referenceRows });
    ({ files, bundle } = await assembleBundle({ ...spec, provenance: bundle.manifest.provenance }, model, { tool, reference: rows }));
  }
  // A real inference through onnxruntime-node before anything is written.
  const predictor = await createPredictor(bundle, { runtime: nodeRuntime });
  const sample = bundle.reference?.rows[0];
  const probe = sample ? (await predictor.predictValues([sample])).probability[0] : undefined;
  await predictor.release();
  await writeBundleFiles(resolve(io.cwd, options.out), files, { overwrite: options.force ?? false });
  const m = bundle.manifest;
  io.stdout.write(
    `Created ${options.out}: ${m.name} (${m.id} ${m.version}), ${m.features.length} features, inputs ${m.inputs.layout}` +
      `${bundle.rewrites.length > 0 ? ', ZipMap output read as its probability tensor' : ''}` +
      `${bundle.reference ? `, ${bundle.reference.rows.length} reference rows` : ''}.\n` +
      `${probe !== undefined ? `Test prediction on the first reference row: ${probe.toFixed(4)}\n` : 'Test prediction on a synthetic row: OK\n'}`,
  );
}

/** `cairn bundle sign` */
export async function signBundleCommand(io: CliIO, options: { bundle: string; key: string }): Promise<void> {
  const path = resolve(io.cwd, options.bundle);
  const files = await readBundleFiles(path);
  // Check the bundle is sound (hash, graph) before putting a signature on it.
  const bundle = await loadBundle({ ...files, signature: undefined } as typeof files);
  const { key, alg, kid } = await readPrivateKey(resolve(io.cwd, options.key));
  const signature = await signManifest(bundle.manifest, key, { alg, kid });
  await writeBundleFiles(path, { ...files, signature }, { overwrite: true });
  io.stdout.write(`Signed ${options.bundle} (${alg}, kid ${kid}).\n`);
}

/** `cairn bundle verify` */
export async function verifyBundleCommand(io: CliIO, options: { bundle: string; load: LoadBundleOptions }): Promise<void> {
  if (!options.load.trustedKeys || options.load.trustedKeys.length === 0) {
    throw new CairnError('invalid_argument', 'verify needs at least one --trusted-key (or CAIRN_TRUSTED_KEYS)');
  }
  const bundle = await loadBundle(await readBundleFiles(resolve(io.cwd, options.bundle)), options.load);
  io.stdout.write(
    `Verified ${options.bundle}: signed with ${bundle.signature?.alg} by ${bundle.signature?.keyName ?? bundle.signature?.kid}.\n`,
  );
}

/** `cairn bundle pack` */
export async function packBundleCommand(io: CliIO, options: { bundle: string; out: string; force?: boolean }): Promise<void> {
  const src = resolve(io.cwd, options.bundle);
  if (!(await stat(src).catch(() => undefined))?.isDirectory())
    throw new CairnError('invalid_argument', `${options.bundle} is not a bundle folder`);
  if (!options.out.endsWith('.cairn')) throw new CairnError('invalid_argument', '--out must end in .cairn');
  const files = await readBundleFiles(src);
  parseManifest(new TextDecoder().decode(files.manifest as Uint8Array));
  await loadBundle({ ...files, signature: undefined } as typeof files);
  await writeBundleFiles(resolve(io.cwd, options.out), files, { overwrite: options.force ?? false });
  io.stdout.write(`Packed ${options.bundle} into ${options.out}.\n`);
}
