import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './__fixtures__/cli.js';
import { sharedDir } from './__fixtures__/shared-models.js';

const fixtures = join(import.meta.dirname, '__fixtures__');
const titanicOnnx = join(sharedDir, 'models/skl2onnx-docs/pipeline_titanic.onnx');

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-cli-'));
  const r = await cli(
    [
      'bundle',
      'create',
      '--onnx',
      titanicOnnx,
      '--features',
      join(fixtures, 'titanic.features.json'),
      '--reference',
      join(fixtures, 'titanic-reference.csv'),
      '--out',
      'titanic',
    ],
    dir,
  );
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
});

describe('cairn bundle create', () => {
  it('writes a checked bundle with reference rows', () => {
    expect(readdirSync(join(dir, 'titanic')).sort()).toEqual(['cairn.json', 'model.onnx', 'reference.csv']);
    const manifest = JSON.parse(readFileSync(join(dir, 'titanic/cairn.json'), 'utf8'));
    expect(manifest.inputs.layout).toBe('columns');
    expect(manifest.reference.rows).toBe(5);
    expect(manifest.provenance.tool).toMatch(/^cairn /);
  });

  it('refuses to overwrite without --force and leaves nothing half-written on failure', async () => {
    const again = await cli(
      ['bundle', 'create', '--onnx', titanicOnnx, '--features', join(fixtures, 'titanic.features.json'), '--out', 'titanic'],
      dir,
    );
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    const bad = await cli(
      [
        'bundle',
        'create',
        '--onnx',
        titanicOnnx,
        '--features',
        join(fixtures, 'titanic.features.json'),
        '--reference',
        join(fixtures, 'titanic.csv'),
        '--out',
        'broken',
      ],
      dir,
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Age must be a number, got 'abc'/);
    expect(existsSync(join(dir, 'broken'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('explains a features.json that disagrees with the graph', async () => {
    const spec = JSON.parse(readFileSync(join(fixtures, 'titanic.features.json'), 'utf8'));
    spec.features = spec.features.filter((f: { name: string }) => f.name !== 'fare');
    writeFileSync(join(dir, 'no-fare.json'), JSON.stringify(spec));
    const r = await cli(['bundle', 'create', '--onnx', titanicOnnx, '--features', 'no-fare.json', '--out', 'x'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot infer how features map to inputs/);
    writeFileSync(join(dir, 'broken.json'), '{ "id": ');
    const j = await cli(['bundle', 'create', '--onnx', titanicOnnx, '--features', 'broken.json', '--out', 'x'], dir);
    expect(j.err).toMatch(/broken.json is not valid JSON/);
  });
});

describe('cairn inspect', () => {
  it('describes a bundle and a bare model', async () => {
    const b = await cli(['inspect', 'titanic'], dir);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/Titanic survival/);
    expect(b.out).toMatch(/embarked\s+category/);
    expect(b.out).toMatch(/ZipMap removed on load/);
    const m = await cli(['inspect', titanicOnnx, '--json'], dir);
    const json = JSON.parse(m.out);
    expect(json.model.inputs.map((i: { name: string }) => i.name)).toEqual(['pclass', 'sex', 'age', 'fare', 'embarked']);
    expect(json.model.operators['ai.onnx.ml:LinearClassifier']).toBe(1);
  });

  it('fails cleanly on a missing path and a corrupt model', async () => {
    expect((await cli(['inspect', 'nowhere'], dir)).err).toMatch(/error \[not_found\]/);
    writeFileSync(join(dir, 'junk.onnx'), 'not a model at all');
    const r = await cli(['inspect', 'junk.onnx'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[invalid_model\]/);
  });
});

describe('cairn predict', () => {
  it('scores a CSV, keeps ids, and reports invalid rows in the error column', async () => {
    const r = await cli(['predict', '--bundle', 'titanic', '--input', join(fixtures, 'titanic.csv'), '--out', 'preds.csv'], dir);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'preds.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,probability,label,band,error');
    expect(lines).toHaveLength(7);
    expect(lines[5]).toMatch(/^p5,,,,"row 5: age: Age must be a number, got 'abc'"$/);
    expect(lines[1]).toMatch(/^p1,0\.\d+,1,high,$/);
    expect(r.err).toMatch(/Scored 5 of 6 rows; 1 failed/);
  });

  it('streams large CSVs in chunks with the same results', async () => {
    const body = readFileSync(join(fixtures, 'titanic.csv'), 'utf8').trim().split('\n').slice(1);
    const many = [
      'id,pclass,sex,age,fare,embarked',
      ...Array.from({ length: 2000 }, (_, i) => body[i % body.length]?.replace(/^p\d/, `r${i}`)),
    ].join('\n');
    writeFileSync(join(dir, 'many.csv'), many);
    const r = await cli(['predict', '--bundle', 'titanic', '--input', 'many.csv', '--chunk-size', '64', '--out', 'many-out.csv'], dir);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'many-out.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2001);
    expect(lines[1]?.split(',').slice(1)).toEqual(lines[7]?.split(',').slice(1));
    expect(r.err).toMatch(/Scored 1667 of 2000 rows; 333 failed/);
  });

  it('refuses a CSV whose header does not match the features', async () => {
    writeFileSync(join(dir, 'wrong.csv'), 'id,pclass,gender,age\n1,1,female,3\n');
    const r = await cli(['predict', '--bundle', 'titanic', '--input', 'wrong.csv', '--out', 'w.csv'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/missing column 'sex'/);
    expect(r.err).toMatch(/'gender' is not a feature/);
    expect(existsSync(join(dir, 'w.csv'))).toBe(false);
  });

  it('scores one patient from JSON and fails with every problem listed', async () => {
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ pclass: 1, sex: 'female', age: 30, fare: 50, embarked: 'C' }));
    const ok = await cli(['predict', '--bundle', 'titanic', '--input', 'p.json'], dir);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, modelId: 'titanic-survival', modelVersion: '1.0.0', band: { id: 'high' } });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ pclass: 5, sex: 'F', age: -3 }));
    const bad = await cli(['predict', '--bundle', 'titanic', '--input', 'bad.json'], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/pclass: Passenger class must be one of/);
    expect(bad.err).toMatch(/sex: Sex must be one of/);
    expect(bad.err).toMatch(/age: Age must be at least 0/);
    writeFileSync(join(dir, 'garbage.json'), '[{"pclass": ');
    expect((await cli(['predict', '--bundle', 'titanic', '--input', 'garbage.json'], dir)).err).toMatch(/not valid JSON/);
  });

  it('treats usage errors as exit code 2', async () => {
    const r = await cli(['predict', '--bundle', 'titanic'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/required option '--input <file>'/);
    expect((await cli(['predict', '--bundle', 'titanic', '--input', 'p.json', '--chunk-size', '0'], dir)).code).toBe(2);
  });
});

describe('cairn bundle sign / verify', () => {
  it('signs, verifies, and refuses tampered or unsigned bundles when keys are configured', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const other = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'other.pem'), other.publicKey.export({ type: 'spki', format: 'pem' }));

    const unsigned = await cli(['predict', '--bundle', 'titanic', '--input', 'p.json', '--trusted-key', 'public.pem'], dir);
    expect(unsigned.err).toMatch(/signature_required/);

    const signed = await cli(['bundle', 'sign', '--bundle', 'titanic', '--key', 'private.pem'], dir);
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(/Signed titanic \(ES256/);
    const verified = await cli(['bundle', 'verify', '--bundle', 'titanic'], dir, { CAIRN_TRUSTED_KEYS: 'public.pem' });
    expect(verified.code).toBe(0);
    expect((await cli(['predict', '--bundle', 'titanic', '--input', 'p.json', '--trusted-key', 'public.pem'], dir)).code).toBe(0);
    expect((await cli(['bundle', 'verify', '--bundle', 'titanic', '--trusted-key', 'other.pem'], dir)).err).toMatch(/signature_invalid/);

    const manifestPath = join(dir, 'titanic/cairn.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, threshold: 0.05 }));
    const tampered = await cli(['bundle', 'verify', '--bundle', 'titanic', '--trusted-key', 'public.pem'], dir);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/modified after signing/);
    writeFileSync(manifestPath, JSON.stringify(manifest));

    const packed = await cli(['bundle', 'pack', 'titanic', '--out', 'titanic.cairn'], dir);
    expect(packed.code).toBe(0);
    expect((await cli(['predict', '--bundle', 'titanic.cairn', '--input', 'p.json', '--trusted-key', 'public.pem'], dir)).code).toBe(0);
  });
});
