import { unzipSync, zipSync } from 'fflate';
import { CairnError, invalidBundle, limitExceeded } from './errors.js';

/** Files that make up a bundle, as bytes or text. */
export interface BundleFiles {
  /** cairn.json (text, bytes, or an already parsed object). */
  readonly manifest: string | Uint8Array | object;
  /** model.onnx */
  readonly model: Uint8Array;
  /** reference.csv */
  readonly reference?: string | Uint8Array;
  /** signature.jws */
  readonly signature?: string | Uint8Array;
  /** fhir-mapping.json */
  readonly fhirMapping?: string | Uint8Array;
}

/** File names inside a bundle folder or archive. */
export const BUNDLE_FILES = {
  manifest: 'cairn.json',
  model: 'model.onnx',
  reference: 'reference.csv',
  signature: 'signature.jws',
  fhirMapping: 'fhir-mapping.json',
} as const;

/** Limits applied when reading an archive. */
export interface ArchiveLimits {
  /**
   * Largest total uncompressed size accepted.
   * @defaultValue 512 MiB
   */
  maxTotalBytes?: number;
  /**
   * Largest ratio of uncompressed to compressed size for one entry (zip bombs).
   * @defaultValue 200
   */
  maxCompressionRatio?: number;
}

const KNOWN = new Set<string>(Object.values(BUNDLE_FILES));

/** Reads a `.cairn` archive (zip) into bundle files, refusing traversal, unknown entries and bombs. */
export function readBundleArchive(bytes: Uint8Array, limits: ArchiveLimits = {}): BundleFiles {
  const maxTotal = limits.maxTotalBytes ?? 512 * 1024 * 1024;
  const maxRatio = limits.maxCompressionRatio ?? 200;
  if (bytes.byteLength < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw invalidBundle('not a .cairn archive (expected a zip file)', ['archive']);
  }
  let total = 0;
  let prefix: string | undefined;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter(entry) {
        const name = entry.name;
        if (name.endsWith('/')) return false;
        if (name.includes('\\') || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) {
          throw invalidBundle(`archive entry '${name}' has an unsafe path`, ['archive', name]);
        }
        const parts = name.split('/');
        if (parts.length > 2) throw invalidBundle(`archive entry '${name}' is nested too deep`, ['archive', name]);
        if (parts.length === 2) {
          if (prefix !== undefined && prefix !== parts[0]) throw invalidBundle('archive holds more than one folder', ['archive', name]);
          prefix = parts[0];
        }
        const base = parts[parts.length - 1] as string;
        if (base.startsWith('.') || base === 'README.md') return false;
        if (!KNOWN.has(base)) throw invalidBundle(`archive entry '${name}' is not part of a Cairn bundle`, ['archive', name]);
        total += entry.originalSize;
        if (total > maxTotal) throw limitExceeded(`archive expands to more than ${maxTotal} bytes`, ['archive']);
        if (entry.size > 0 && entry.originalSize / entry.size > maxRatio) {
          throw limitExceeded(`archive entry '${name}' has a compression ratio over ${maxRatio}: refusing a possible zip bomb`, [
            'archive',
            name,
          ]);
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw invalidBundle(`archive is corrupt: ${error instanceof Error ? error.message : String(error)}`, ['archive'], error);
  }
  const byBase = new Map<string, Uint8Array>();
  let actual = 0;
  for (const [name, data] of Object.entries(files)) {
    actual += data.byteLength;
    byBase.set(name.split('/').pop() as string, data);
  }
  if (actual > maxTotal) throw limitExceeded(`archive expands to more than ${maxTotal} bytes`, ['archive']);
  const manifest = byBase.get(BUNDLE_FILES.manifest);
  const model = byBase.get(BUNDLE_FILES.model);
  if (!manifest) throw invalidBundle('archive has no cairn.json', ['cairn.json']);
  if (!model) throw invalidBundle('archive has no model.onnx', ['model.onnx']);
  const reference = byBase.get(BUNDLE_FILES.reference);
  const signature = byBase.get(BUNDLE_FILES.signature);
  const fhirMapping = byBase.get(BUNDLE_FILES.fhirMapping);
  return {
    manifest,
    model,
    ...(reference ? { reference } : {}),
    ...(signature ? { signature } : {}),
    ...(fhirMapping ? { fhirMapping } : {}),
  };
}

function bytesOf(value: string | Uint8Array | object): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes bundle files as a `.cairn` archive (zip; the model is stored, text is deflated). */
export function writeBundleArchive(files: BundleFiles): Uint8Array {
  const entries: Record<string, Uint8Array | [Uint8Array, { level: 0 | 6 }]> = {
    [BUNDLE_FILES.manifest]: bytesOf(files.manifest),
    [BUNDLE_FILES.model]: [files.model, { level: 6 }],
  };
  if (files.reference !== undefined) entries[BUNDLE_FILES.reference] = bytesOf(files.reference);
  if (files.signature !== undefined) entries[BUNDLE_FILES.signature] = bytesOf(files.signature);
  if (files.fhirMapping !== undefined) entries[BUNDLE_FILES.fhirMapping] = bytesOf(files.fhirMapping);
  return zipSync(entries, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
}
