import { generateKeyPairSync } from 'node:crypto';
import { type BundleFiles, CairnError, loadBundle, readBundleArchive, sha256Hex, signManifest, writeBundleArchive } from '@cairn/core';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { heartBundleFiles } from './__fixtures__/bundles.js';
import { randomEnsembleModel } from './__fixtures__/random-ensemble.js';

async function rejects(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CairnError);
    return error as CairnError;
  }
  throw new Error('expected a rejection');
}

describe('loadBundle', () => {
  it('loads a consistent bundle and resolves the positive class', async () => {
    const bundle = await loadBundle(await heartBundleFiles());
    expect(bundle.io.output).toMatchObject({ tensor: 'probabilities', positiveIndex: 1, classLabels: [0, 1] });
    expect(bundle.io.inputs).toEqual([{ name: 'input', dtype: 'float32', rank: 2, width: 4 }]);
  });

  it('refuses a model whose checksum differs from the manifest', async () => {
    const files = await heartBundleFiles();
    const other = randomEnsembleModel({ trees: 5, depth: 3, features: 4, seed: 7 });
    const e = await rejects(loadBundle({ ...files, model: other }));
    expect(e.code).toBe('checksum_mismatch');
    expect(e.message).toMatch(/SHA-256/);
  });

  it('refuses corrupt and truncated model files with invalid_model', async () => {
    for (const model of [
      new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      randomEnsembleModel({ trees: 5, depth: 3, features: 4 }).subarray(0, 300),
    ]) {
      const files = await heartBundleFiles({}, model);
      const e = await rejects(loadBundle(files));
      expect(e.code).toBe('invalid_model');
    }
  });

  it('names every disagreement between manifest and graph', async () => {
    const files = await heartBundleFiles();
    const wrongWidth = await heartBundleFiles({}, randomEnsembleModel({ trees: 2, depth: 2, features: 6 }));
    let e = await rejects(loadBundle(wrongWidth));
    expect(e.code).toBe('model_mismatch');
    expect(e.message).toMatch(/has 6 columns, but the manifest maps 4/);

    e = await rejects(loadBundle({ ...files, manifest: { ...files.manifest, inputs: { ...files.manifest.inputs, name: 'X' } as never } }));
    expect(e.message).toMatch(/no input 'X'/);
    expect(e.issues.some((i) => /input 'input' is not fed/.test(i.message))).toBe(true);

    e = await rejects(loadBundle({ ...files, manifest: { ...files.manifest, output: { name: 'scores' } } }));
    expect(e.message).toMatch(/no output 'scores'/);

    e = await rejects(loadBundle({ ...files, manifest: { ...files.manifest, output: { name: 'probabilities', positiveClass: 'yes' } } }));
    expect(e.message).toMatch(/'yes' is not a class/);

    e = await rejects(loadBundle({ ...files, manifest: { ...files.manifest, output: { name: 'label' } } }));
    expect(e.message).toMatch(/a probability must be float/);

    e = await rejects(
      loadBundle({ ...files, manifest: { ...files.manifest, inputs: { ...files.manifest.inputs, dtype: 'float64' } as never } }),
    );
    expect(e.message).toMatch(/element type float32, but the manifest says float64/);
  });

  it('checks reference.csv against its hash, the features and the row count', async () => {
    const reference = 'age,chol,smoker,cp\n63,233,true,1\n41,,false,2\n';
    const files = await heartBundleFiles({ reference: { file: 'reference.csv', sha256: await sha256Hex(reference), rows: 2 } });
    const bundle = await loadBundle({ ...files, reference });
    expect(bundle.reference?.rows).toEqual([
      { age: 63, chol: 233, smoker: true, cp: 1 },
      { age: 41, chol: null, smoker: false, cp: 2 },
    ]);
    let e = await rejects(loadBundle({ ...files, reference: `${reference}50,200,false,3\n` }));
    expect(e.code).toBe('checksum_mismatch');
    const bad = 'age,chol,smoker,cp\n63,233,true,9\n';
    const badFiles = await heartBundleFiles({ reference: { file: 'reference.csv', sha256: await sha256Hex(bad), rows: 1 } });
    e = await rejects(loadBundle({ ...badFiles, reference: bad }));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/Chest pain type must be one of/);
    e = await rejects(loadBundle(files));
    expect(e.message).toMatch(/lists reference.csv, but the bundle has none/);
  });
});

describe('bundle archives', () => {
  it('round-trips through a .cairn archive', async () => {
    const files = await heartBundleFiles();
    const archive = writeBundleArchive(files);
    const back = readBundleArchive(archive);
    const bundle = await loadBundle(back);
    expect(bundle.manifest.id).toBe('heart-test');
  });

  it.each([
    ['path traversal', { '../evil.onnx': new Uint8Array([1]) }, /unsafe path/],
    ['absolute path', { '/etc/cairn.json': new Uint8Array([1]) }, /unsafe path/],
    ['unknown entry', { 'cairn.json': new Uint8Array([1]), 'run.sh': new Uint8Array([1]) }, /not part of a Cairn bundle/],
    ['two folders', { 'a/cairn.json': new Uint8Array([1]), 'b/model.onnx': new Uint8Array([1]) }, /more than one folder/],
    [
      'zip bomb',
      { 'cairn.json': new Uint8Array([1]), 'model.onnx': [new Uint8Array(20_000_000), { level: 9 }] as never },
      /compression ratio/,
    ],
  ])('refuses an archive with %s', (_, entries, message) => {
    const zip = zipSync(entries as never);
    expect(() => readBundleArchive(zip)).toThrow(message);
  });

  it('refuses non-zip and truncated archives', async () => {
    expect(() => readBundleArchive(new TextEncoder().encode('hello world, this is not a zip'))).toThrow(/not a .cairn archive/);
    const archive = writeBundleArchive(await heartBundleFiles());
    expect(() => readBundleArchive(archive.subarray(0, archive.length - 30))).toThrow(CairnError);
  });

  it('enforces a size limit', async () => {
    const archive = writeBundleArchive(await heartBundleFiles());
    expect(() => readBundleArchive(archive, { maxTotalBytes: 100 })).toThrow(/more than 100 bytes/);
  });
});

describe('bundle signatures', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ed25519');

  async function signed(): Promise<Omit<BundleFiles, 'manifest'> & { manifest: object; signature: string }> {
    const files = await heartBundleFiles();
    const loaded = await loadBundle(files);
    const signature = await signManifest(loaded.manifest, pair.privateKey, { alg: 'ES256' });
    return { ...files, signature };
  }

  it('verifies a bundle signed by a trusted key', async () => {
    const bundle = await loadBundle(await signed(), { trustedKeys: [{ key: pair.publicKey, name: 'test key' }] });
    expect(bundle.signature).toMatchObject({ alg: 'ES256', keyName: 'test key' });
  });

  it('refuses unsigned bundles when keys are configured', async () => {
    const e = await rejects(loadBundle(await heartBundleFiles(), { trustedKeys: [{ key: pair.publicKey }] }));
    expect(e.code).toBe('signature_required');
  });

  it('refuses a signature from an untrusted key', async () => {
    const e = await rejects(loadBundle(await signed(), { trustedKeys: [{ key: other.publicKey }] }));
    expect(e.code).toBe('signature_invalid');
  });

  it('refuses a manifest changed after signing (hash still valid)', async () => {
    const files = await signed();
    const tampered = { ...files, manifest: { ...(files.manifest as object), threshold: 0.1 } };
    const e = await rejects(loadBundle(tampered, { trustedKeys: [{ key: pair.publicKey }] }));
    expect(e.code).toBe('signature_invalid');
    expect(e.message).toMatch(/modified after signing/);
  });

  it('refuses a garbage signature', async () => {
    const files = { ...(await heartBundleFiles()), signature: 'not.a.jws' };
    const e = await rejects(loadBundle(files, { trustedKeys: [{ key: pair.publicKey }] }));
    expect(e.code).toBe('signature_invalid');
  });
});

describe('fhir-mapping.json in bundles', () => {
  it('travels in archives, is hash-checked, and refused when unlisted', async () => {
    const mapping = '{"features":{}}\n';
    const files = await heartBundleFiles({ fhirMapping: { file: 'fhir-mapping.json', sha256: await sha256Hex(mapping) } });
    const bundle = await loadBundle(readBundleArchive(writeBundleArchive({ ...files, fhirMapping: mapping })));
    expect(bundle.fhirMapping).toEqual({ features: {} });
    let e = await rejects(loadBundle({ ...files, fhirMapping: '{"features":{"x":1}}' }));
    expect(e.code).toBe('checksum_mismatch');
    e = await rejects(loadBundle({ ...(await heartBundleFiles()), fhirMapping: mapping }));
    expect(e.message).toMatch(/does not list it/);
  });
});
