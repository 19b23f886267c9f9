/**
 * PDF generation time and size for a 13-feature report (prediction, TreeSHAP chart, narrative,
 * model card), without a logo. Run: npm run bench -w @cairn/core
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { assembleBundle, buildReport, createExplainer, createPredictor, narrate, renderReportHtml } from '@cairn/core';
import { renderReportPdf } from '@cairn/core/pdf';
import * as ort from 'onnxruntime-node';
import { randomEnsembleModel } from '../src/__fixtures__/random-ensemble.js';

const fontDir = join(import.meta.dirname, '../../../node_modules/dejavu-fonts-ttf/ttf');
const fonts = {
  regular: new Uint8Array(readFileSync(join(fontDir, 'DejaVuSans.ttf'))),
  bold: new Uint8Array(readFileSync(join(fontDir, 'DejaVuSans-Bold.ttf'))),
};
const names = ['age', 'sex', 'cp', 'trestbps', 'chol', 'fbs', 'restecg', 'thalach', 'exang', 'oldpeak', 'slope', 'ca', 'thal'];
const { bundle } = await assembleBundle(
  {
    id: 'heart-bench',
    name: 'Coronary artery disease (benchmark)',
    version: '1.0.0',
    intendedUse: 'Benchmark of report generation.',
    limitations: ['Random trees; not a clinical model.', 'Cleveland cohort 1981–1984 (µ, ≥ and accents: José Müller).'],
    features: names.map((name) => ({ name, label: `${name} (clinical label)`, type: 'number' as const, unit: 'mg/dL' })),
    metrics: [
      { name: 'roc_auc', value: 0.91, ci: [0.84, 0.97], dataset: 'test' },
      { name: 'brier', value: 0.11, dataset: 'test' },
    ],
  },
  randomEnsembleModel({ trees: 100, depth: 4, features: 13, seed: 5 }),
  { reference: Array.from({ length: 200 }, (_, i) => Object.fromEntries(names.map((n, k) => [n, Math.sin(i * (k + 1)) * 1.5]))) },
);
const predictor = await createPredictor(bundle, { runtime: ort });
const explainer = await createExplainer(bundle, { runtime: ort });
const prediction = await predictor.predict(Object.fromEntries(names.map((n, k) => [n, Math.cos(k) * 0.8])));
const explanation = await explainer.explain(prediction.values);
const report = buildReport(
  { prediction, bundle, explanation, narrative: narrate(explanation).sentences },
  { institution: 'Hôpital Saint-Éloi, Cardiologie' },
);

for (let i = 0; i < 5; i++) await renderReportPdf(report, { fonts });
const times: number[] = [];
let size = 0;
for (let i = 0; i < 40; i++) {
  const t = performance.now();
  size = (await renderReportPdf(report, { fonts })).byteLength;
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const html = performance.now();
for (let i = 0; i < 200; i++) renderReportHtml(report);
const htmlMs = (performance.now() - html) / 200;
const median = times[Math.floor(times.length / 2)] as number;
console.log(
  `report, 13 features, no logo: PDF median ${median.toFixed(1)} ms (p90 ${times[Math.floor(times.length * 0.9)]?.toFixed(1)} ms), ${(size / 1024).toFixed(1)} KB; HTML ${htmlMs.toFixed(2)} ms`,
);
console.log(`targets: median < 50 ms (${median < 50 ? 'met' : 'NOT met'}); file < 150 KB (${size < 150 * 1024 ? 'met' : 'NOT met'})`);
await predictor.release();
await explainer.release();
