import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleBundle, writeBundleFiles } from '@cairn/node';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardioBundle, cardioMapping } from '../../fhir-adapter/src/__fixtures__/model.js';
import { variedPatient } from '../../fhir-adapter/src/__fixtures__/synthetic.js';
import { cli } from './__fixtures__/cli.js';
import { sharedDir } from './__fixtures__/shared-models.js';

const heartCsv = join(sharedDir, 'datasets/heart-cleveland.csv');
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-workflows-'));
  const r = await cli(
    [
      'train',
      '--data',
      heartCsv,
      '--target',
      'num > 0',
      '--pipeline',
      'logistic',
      '--out',
      'heart',
      '--intended-use',
      'Testing the CLI.',
      '--limitation',
      'Cleveland cohort only.',
      '--no-progress',
    ],
    dir,
  );
  expect(r.err).not.toMatch(/error/);
  expect(r.code).toBe(0);
});

describe('cairn train', () => {
  it('trains from a CSV, prints metrics with intervals and writes a loadable bundle', async () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'heart/cairn.json'), 'utf8'));
    expect(manifest.id).toBe('heart');
    expect(manifest.metrics.find((m: { name: string }) => m.name === 'roc_auc').ci).toHaveLength(2);
    expect(existsSync(join(dir, 'heart/reference.csv'))).toBe(true);
    const inspect = await cli(['inspect', 'heart'], dir);
    expect(inspect.out).toMatch(/roc_auc: 0\.\d+ \(95% CI/);
  });

  it('refuses to train without intended use and limitations, and explains bad targets', async () => {
    const r = await cli(['train', '--data', heartCsv, '--target', 'num > 0', '--out', 'x', '--no-progress'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/intended use and at least one limitation/);
    const t = await cli(
      ['train', '--data', heartCsv, '--target', 'nope > 0', '--out', 'x', '--intended-use', 'x', '--limitation', 'y', '--no-progress'],
      dir,
    );
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/nope/);
    const p = await cli(['train', '--data', heartCsv, '--target', 'num > 0', '--pipeline', 'magic', '--out', 'x'], dir);
    expect(p.err).toMatch(/no pipeline 'magic' \(available: logistic, gbdt, random-forest/);
  });
});

describe('cairn explain', () => {
  it('writes base, one column per feature and output, adding up', async () => {
    const reference = readFileSync(join(dir, 'heart/reference.csv'), 'utf8').trim().split('\n');
    writeFileSync(
      join(dir, 'patients.csv'),
      [`id,${reference[0]}`, ...reference.slice(1, 6).map((l, i) => `p${i},${l}`), 'bad,1,2,3'].join('\n'),
    );
    const r = await cli(['explain', '--bundle', 'heart', '--input', 'patients.csv', '--out', 'contrib.csv'], dir);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'contrib.csv'), 'utf8').trim().split('\n');
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 2)).toEqual(['id', 'base']);
    expect(header.slice(-2)).toEqual(['output', 'error']);
    for (const line of lines.slice(1, 6)) {
      const cells = line.split(',');
      const nums = cells.slice(1, -1).map(Number);
      const base = nums[0] as number;
      const output = nums[nums.length - 1] as number;
      const sum = nums.slice(1, -1).reduce((a, b) => a + b, 0);
      expect(Math.abs(base + sum - output)).toBeLessThan(1e-4);
    }
    expect(lines[6]).toMatch(/^bad,.*row 6: /);
  });

  it('explains one patient from JSON with a narrative', async () => {
    const [head, first] = readFileSync(join(dir, 'heart/reference.csv'), 'utf8').trim().split('\n');
    const keys = head?.split(',') ?? [];
    const values = first?.split(',') ?? [];
    writeFileSync(join(dir, 'p.json'), JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, values[i] === '' ? null : values[i]]))));
    const r = await cli(['explain', '--bundle', 'heart', '--input', 'p.json'], dir);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    expect(e.method).toBe('linear');
    expect(e.narrative).toMatch(/risk/i);
    expect(e.additivityError).toBeLessThan(1e-4);
  });
});

describe('cairn report', () => {
  it('writes a PDF with the prediction, factors and model card, and HTML/text variants', async () => {
    const r = await cli(
      ['report', '--bundle', 'heart', '--input', 'p.json', '--out', 'report.pdf', '--institution', 'Clinique Sainte-Thérèse'],
      dir,
    );
    expect(r.code).toBe(0);
    const pdf = new Uint8Array(readFileSync(join(dir, 'report.pdf')));
    const doc = await getDocument({ data: pdf, isEvalSupported: false }).promise;
    let text = '';
    for (let i = 1; i <= doc.numPages; i++) {
      const content = await (await doc.getPage(i)).getTextContent();
      text += content.items.map((x) => ('str' in x ? x.str : '')).join(' ');
    }
    await doc.destroy();
    expect(text).toContain('Clinique Sainte-Thérèse');
    expect(text).toContain('Factors behind this result');
    expect(text).toContain('Testing the CLI.');
    const html = await cli(['report', '--bundle', 'heart', '--input', 'p.json', '--out', 'report.html'], dir);
    expect(html.code).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const bad = await cli(['report', '--bundle', 'heart', '--input', 'patients.csv', '--out', 'x.pdf'], dir);
    expect(bad.code).toBe(1);
    expect(existsSync(join(dir, 'x.pdf'))).toBe(false);
  });
});

describe('cairn fhir', () => {
  beforeAll(async () => {
    const bundle = await cardioBundle();
    const { schemaVersion: _s, model: _m, reference: _r, fhirMapping: _f, ...spec } = bundle.manifest;
    const { files } = await assembleBundle(spec, bundle.modelBytes, { fhirMapping: cardioMapping });
    await writeBundleFiles(join(dir, 'cardio'), files);
    writeFileSync(join(dir, 'patient.json'), JSON.stringify(variedPatient('syn-1')));
  });

  it('prints features with provenance and the missing list', async () => {
    const r = await cli(['fhir', 'features', '--bundle', 'cardio', '--fhir', 'patient.json', '--as-of', '2025-01-01'], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(Object.keys(out.record).sort()).toEqual(['age', 'cholesterol', 'diabetes', 'sbp', 'sex', 'smoker']);
    expect(out.provenance.sbp.resources.length).toBeGreaterThan(0);
    expect(Array.isArray(out.missing)).toBe(true);
  });

  it('assesses: prediction, explanation and a RiskAssessment naming the model', async () => {
    const r = await cli(['fhir', 'assess', '--bundle', 'cardio', '--fhir', 'patient.json', '--as-of', '2025-01-01'], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.riskAssessment.resourceType).toBe('RiskAssessment');
    expect(JSON.stringify(out.riskAssessment.method)).toContain('cardio-test');
    expect(out.prediction.modelVersion).toBe('2.1.0');
    expect(out.riskAssessment.prediction[0].probabilityDecimal).toBeCloseTo(out.prediction.probability, 6);
  });
});

describe('cairn train --pipeline causal-dr', () => {
  it('estimates ATE and ATT with intervals and diagnostics on IHDP, and predict gives each row its effect', async () => {
    const ihdp = join(sharedDir, 'datasets/ihdp_npci_1.csv');
    const columns = ['treatment', 'y_factual', 'y_cfactual', 'mu0', 'mu1', ...Array.from({ length: 25 }, (_, i) => `x${i + 1}`)];
    const r = await cli(
      [
        'train',
        '--pipeline',
        'causal-dr',
        '--data',
        ihdp,
        '--columns',
        columns.join(','),
        '--treatment',
        'treatment',
        '--outcome',
        'y_factual',
        '--exclude',
        'y_cfactual,mu0,mu1',
        '--out',
        'ihdp',
        '--intended-use',
        'Testing the causal CLI.',
        '--limitation',
        'Semi-synthetic benchmark.',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const ate = /ATE\s+AIPW \(doubly robust\)\s+([\d.]+)\s+[\d.]+\s+\[([\d.]+), ([\d.]+)\]/.exec(r.out);
    expect(ate).not.toBeNull();
    const [estimate, low, high] = (ate?.slice(1) ?? []).map(Number) as [number, number, number];
    expect(Math.abs(estimate - 4.016)).toBeLessThan(0.15);
    expect(low).toBeLessThan(4.016);
    expect(high).toBeGreaterThan(4.016);
    expect(r.out).toMatch(/ATT\s+AIPW/);
    expect(r.out).toMatch(/overlap\s+WARN/);
    expect(r.out).toMatch(/E-value/);

    const rows = readFileSync(ihdp, 'utf8').trim().split('\n').slice(0, 20);
    const covariates = rows.map((line, i) => `r${i},${line.split(',').slice(5).join(',')}`);
    writeFileSync(join(dir, 'covariates.csv'), [`id,${columns.slice(5).join(',')}`, ...covariates].join('\n'));
    const p = await cli(['predict', '--bundle', 'ihdp', '--input', 'covariates.csv', '--out', 'effects.csv'], dir);
    expect(p.code).toBe(0);
    const out = readFileSync(join(dir, 'effects.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe('id,effect,error');
    const effects = out.slice(1).map((l) => Number(l.split(',')[1]));
    expect(effects.every((e) => Number.isFinite(e))).toBe(true);
    expect(Math.abs(effects.reduce((a, b) => a + b, 0) / effects.length - 4)).toBeLessThan(1.5);
  });
});
