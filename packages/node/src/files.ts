import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BUNDLE_FILES, type BundleFiles, CairnError, invalidBundle, readBundleArchive, writeBundleArchive } from '@cairn/core';

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads a bundle from a folder or a `.cairn` archive on disk. */
export async function readBundleFiles(path: string): Promise<BundleFiles> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new CairnError('not_found', `no bundle at ${path}`, { cause });
  }
  if (info.isFile()) return readBundleArchive(new Uint8Array(await readFile(path)));
  const manifest = await readOptional(join(path, BUNDLE_FILES.manifest));
  if (!manifest) throw invalidBundle(`${path} has no cairn.json: it is not a Cairn bundle`, ['cairn.json']);
  const model = await readOptional(join(path, BUNDLE_FILES.model));
  if (!model) throw invalidBundle(`${path} has no model.onnx`, ['model.onnx']);
  const reference = await readOptional(join(path, BUNDLE_FILES.reference));
  const signature = await readOptional(join(path, BUNDLE_FILES.signature));
  const fhirMapping = await readOptional(join(path, BUNDLE_FILES.fhirMapping));
  return {
    ...(fhirMapping ? { fhirMapping: new Uint8Array(fhirMapping) } : {}),
    manifest: new Uint8Array(manifest),
    model: new Uint8Array(model),
    ...(reference ? { reference: new Uint8Array(reference) } : {}),
    ...(signature ? { signature: signature.toString('utf8') } : {}),
  };
}

function toBytes(value: string | Uint8Array | object): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes bundle files to a folder, or to a `.cairn` archive when `path` ends in `.cairn`.
 * Writes go to a temporary sibling first and are renamed into place, so a failure never
 * leaves a half-written bundle; an existing bundle is replaced only when `overwrite` is set.
 */
export async function writeBundleFiles(path: string, files: BundleFiles, options: { overwrite?: boolean } = {}): Promise<void> {
  const target = resolve(path);
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  if (exists && !options.overwrite) throw new CairnError('invalid_argument', `${path} already exists (use overwrite to replace it)`);
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    if (target.endsWith('.cairn')) {
      await writeFile(temp, writeBundleArchive(files));
    } else {
      await mkdir(temp);
      await writeFile(join(temp, BUNDLE_FILES.manifest), toBytes(files.manifest));
      await writeFile(join(temp, BUNDLE_FILES.model), files.model);
      if (files.reference !== undefined) await writeFile(join(temp, BUNDLE_FILES.reference), toBytes(files.reference));
      if (files.signature !== undefined) await writeFile(join(temp, BUNDLE_FILES.signature), toBytes(files.signature));
      if (files.fhirMapping !== undefined) await writeFile(join(temp, BUNDLE_FILES.fhirMapping), toBytes(files.fhirMapping));
    }
    if (exists) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
