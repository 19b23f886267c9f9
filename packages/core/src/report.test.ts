import {
  type Bundle,
  buildReport,
  createPredictor,
  loadBundle,
  type Prediction,
  type Predictor,
  renderReportHtml,
  renderReportText,
} from '@cairn/core';
import { renderReportPdf } from '@cairn/core/pdf';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartBundleFiles } from './__fixtures__/bundles.js';
import { readPdf, testFonts } from './__fixtures__/pdf-text.js';

const fonts = testFonts();
let bundle: Bundle;
let predictor: Predictor;
let prediction: Prediction;

const explanation = {
  method: 'tree-path',
  space: 'log-odds',
  base: -0.4,
  output: 0.35,
  contributions: [
    { feature: 'age', label: 'Age', value: 67, unit: 'a', contribution: 0.52 },
    { feature: 'chol', label: 'Cholesterol', value: 286, unit: 'mg/dL', contribution: 0.31 },
    { feature: 'smoker', label: 'Smoker', value: false, contribution: -0.18 },
    { feature: 'cp', label: 'Chest pain type', value: 4, valueLabel: 'Asymptomatic', contribution: 0.1 },
  ],
};

beforeAll(async () => {
  bundle = await loadBundle(
    await heartBundleFiles({
      metrics: [{ name: 'roc_auc', value: 0.871, ci: [0.812, 0.923], dataset: 'test' }],
      limitations: ['Derived from the Cleveland cohort (1988); µ-level lab drift ≥ 5% not assessed.'],
    }),
  );
  predictor = await createPredictor(bundle, { runtime: ort });
  prediction = await predictor.predict({ age: 67, chol: 286, smoker: 'no', cp: 4 });
});
afterAll(() => predictor.release());

const all = (pages: string[]) => pages.join('\n');

describe('buildReport', () => {
  it('assembles every section as data', () => {
    const report = buildReport(
      { prediction, bundle, explanation, narrative: ['Age raises the risk most.'] },
      { institution: 'Hôpital Saint-Éloi', now: new Date('2026-03-01T10:00:00Z') },
    );
    expect(report.sections.map((s) => s.id)).toEqual([
      'header',
      'result',
      'inputs',
      'contributions',
      'narrative',
      'model-card',
      'disclaimer',
    ]);
    expect(report.modelId).toBe('heart-test');
    expect(report.footer).toContain(bundle.modelSha256);
    expect(report.footer).toContain('2026-03-01 10:00:00 UTC');
    const result = report.sections.find((s) => s.kind === 'result');
    expect(result?.kind === 'result' && result.probabilityText).toBe(`${Math.round(prediction.probability * 100)}%`);
  });

  it('leaves optional sections out and inserts custom ones', () => {
    const report = buildReport(
      { prediction, bundle, explanation },
      {
        omit: ['model-card', 'disclaimer'],
        custom: [{ section: { id: 'note', title: 'Local protocol', paragraphs: ['Call cardiology if high.'] }, after: 'result' }],
      },
    );
    expect(report.sections.map((s) => s.id)).toEqual(['header', 'result', 'note', 'inputs', 'contributions']);
  });

  it('refuses a prediction from another model', () => {
    expect(() => buildReport({ prediction: { ...prediction, modelVersion: '9.9.9' }, bundle })).toThrow(/not by heart-test 1.2.0/);
  });
});

describe('renderReportPdf', () => {
  it('renders every section, readable back from the PDF', async () => {
    const report = buildReport(
      { prediction, bundle, explanation, narrative: ['Age and cholesterol raise the risk most.'] },
      { institution: 'Hôpital Saint-Éloi' },
    );
    const pdf = await renderReportPdf(report, { fonts });
    const { pages, info } = await readPdf(pdf);
    const text = all(pages);
    expect(pages).toHaveLength(1);
    for (const expected of [
      'Hôpital Saint-Éloi',
      'Clinical risk report',
      'Heart disease (test) (heart-test 1.2.0)',
      `${Math.round(prediction.probability * 100)}%`,
      prediction.band.label,
      'Patient data used',
      'Cholesterol',
      '286',
      'mg/dL',
      'Asymptomatic',
      'Factors behind this result',
      'Age = 67 a',
      '+0.520',
      '−0.180',
      'In plain words',
      'Age and cholesterol raise the risk most.',
      'About the model',
      'Testing only.',
      'µ-level lab drift ≥ 5%',
      'ROC AUC: 0.871 (95% CI 0.812–0.923), test',
      'Important',
      'Page 1 of 1',
      bundle.modelSha256.slice(0, 20),
    ]) {
      // NFKC: the font draws µ (U+00B5) with the glyph of μ (U+03BC), which is what extraction returns.
      expect(text.normalize('NFKC')).toContain(expected.normalize('NFKC'));
    }
    expect(info.Title).toBe('Clinical risk report: Heart disease (test)');
    expect(String(info.Subject)).toContain('heart-test 1.2.0');
    expect(info.CreationDate).toBeTruthy();
  });

  it('spans pages for 60 features and numbers them', async () => {
    const features = Array.from({ length: 60 }, (_, i) => ({
      name: `lab${i}`,
      label: `Laboratory value number ${i} with a long descriptive name`,
      type: 'number' as const,
      unit: 'µmol/L',
      required: true,
    }));
    const manifest = { ...bundle.manifest, features };
    const values = Object.fromEntries(features.map((f, i) => [f.name, i * 1.5]));
    const p = { ...prediction, values };
    const expl = {
      ...explanation,
      contributions: features.map((f, i) => ({
        feature: f.name,
        label: f.label,
        value: i * 1.5,
        unit: 'µmol/L',
        contribution: Math.sin(i) / 3,
      })),
    };
    const report = buildReport(
      { prediction: p, bundle: { manifest, modelSha256: bundle.modelSha256 }, explanation: expl },
      { topFeatures: 60 },
    );
    const { pages } = await readPdf(await renderReportPdf(report, { fonts, pageSize: 'Letter' }));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    pages.forEach((page, i) => {
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });
    const text = all(pages);
    for (let i = 0; i < 60; i++) expect(text).toContain(`number ${i} with`);
  });

  it('marks the chart unavailable without an explanation and says when no metrics exist', async () => {
    const plain = await loadBundle(await heartBundleFiles());
    const report = buildReport({ prediction, bundle: plain });
    const text = all((await readPdf(await renderReportPdf(report, { fonts }))).pages);
    expect(text).toContain('The factors behind this result are unavailable');
    expect(text).toContain('No performance metrics are recorded');
  });

  it('survives absurdly long strings and a broken logo', async () => {
    const long = `Clinique ${'très-longue-'.repeat(20_000)}`;
    const report = buildReport(
      {
        prediction,
        bundle,
        explanation: { ...explanation, contributions: [{ ...explanation.contributions[0]!, label: 'x'.repeat(5000) }] },
        narrative: [long],
      },
      { institution: long, logo: { bytes: new Uint8Array([137, 80, 78, 71, 1, 2, 3]), type: 'image/png' } },
    );
    const pdf = await renderReportPdf(report, { fonts });
    const { pages } = await readPdf(pdf);
    expect(all(pages)).toContain('(logo unavailable)');
    expect(pdf.byteLength).toBeLessThan(400_000);
  });

  it('embeds a valid PNG logo', async () => {
    // 1×1 red PNG.
    const png = Uint8Array.from(
      atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='),
      (c) => c.charCodeAt(0),
    );
    const report = buildReport({ prediction, bundle, explanation }, { institution: 'Clinic', logo: { bytes: png, type: 'image/png' } });
    const text = all((await readPdf(await renderReportPdf(report, { fonts }))).pages);
    expect(text).not.toContain('logo unavailable');
  });

  it('replaces characters the font cannot draw instead of failing', async () => {
    const report = buildReport({ prediction, bundle, explanation }, { institution: '病院 Clinic' });
    const text = all((await readPdf(await renderReportPdf(report, { fonts }))).pages);
    expect(text).toContain('?? Clinic');
  });

  it('needs a usable font, with a typed error', async () => {
    const report = buildReport({ prediction, bundle });
    await expect(renderReportPdf(report, { fonts: { regular: new Uint8Array([1, 2, 3]) } })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(renderReportPdf(report, {} as never)).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('renderReportHtml and renderReportText', () => {
  it('render the same content, escaped', () => {
    const report = buildReport(
      { prediction, bundle, explanation, narrative: ['Age raises the risk most.'] },
      { institution: '<script>alert(1)</script> & Co' },
    );
    const html = renderReportHtml(report);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
    expect(html).toContain('<svg role="img"');
    expect(html).toContain('Age = 67 a');
    expect(html).toContain('data-model-version="1.2.0"');
    const inline = renderReportHtml(report, { inlineStyles: true, document: true });
    expect(inline.startsWith('<!doctype html>')).toBe(true);
    expect(inline).not.toContain('<style>');
    const text = renderReportText(report);
    expect(text).toContain('PATIENT DATA USED');
    expect(text).toMatch(/Cholesterol\s+286 mg\/dL/);
    expect(text).toContain('+0.52    Age = 67 a');
    expect(text).toContain(bundle.modelSha256);
  });
});
