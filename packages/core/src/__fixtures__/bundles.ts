import { type BundleFiles, type ManifestInput, sha256Hex } from '@cairn/core';
import { heartManifest } from './manifests.js';
import { randomEnsembleModel } from './random-ensemble.js';

/** Bundle files for a random 4-feature tree ensemble matching {@link heartManifest}. */
export async function heartBundleFiles(
  overrides: Partial<ManifestInput> = {},
  model = randomEnsembleModel({ trees: 5, depth: 3, features: 4 }),
): Promise<Omit<BundleFiles, 'manifest'> & { manifest: ManifestInput }> {
  const manifest = heartManifest({ ...overrides, model: { file: 'model.onnx', sha256: await sha256Hex(model) } });
  return { manifest, model };
}
