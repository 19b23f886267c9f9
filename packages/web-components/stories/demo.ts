// Demo data for the stories: the heart test bundle (stories/assets, made by make-demo-assets.ts),
// its patients, predictions and explanations computed in the browser.
import { type Bundle, createExplainer, type Explanation, loadBundle, readBundleArchive } from '@cairn/core';
import regularFont from 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf?url';
import boldFont from 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf?url';
import demo from './assets/demo.json';
import bundleUrl from './assets/heart.cairn?url';

/** URL of the demo `.cairn` archive. */
export const demoBundleUrl = bundleUrl;
/** The PDF fonts, served by Storybook. */
export const demoFonts = { regular: regularFont, bold: boldFont };
/** Patients of low, medium and high risk, a FHIR record with gaps, and its as-of date. */
export const demoData = demo as {
  patients: Record<'low' | 'medium' | 'high', Record<string, unknown>>;
  fhirBundle: unknown;
  asOf: string;
};

let loaded: Promise<{ bundle: Bundle; explain: (record: Record<string, unknown>) => Promise<Explanation> }> | undefined;

/** Loads the demo bundle once (no inference runtime: the linear explanation is exact in JS). */
export function loadDemo() {
  loaded ??= (async () => {
    const bytes = new Uint8Array(await (await fetch(bundleUrl)).arrayBuffer());
    const bundle = await loadBundle(readBundleArchive(bytes));
    const explainer = await createExplainer(bundle);
    return { bundle, explain: (record: Record<string, unknown>) => explainer.explain(record as never) };
  })();
  return loaded;
}

/** A prediction-shaped object for a probability, using the bundle's bands (result stories need no runtime). */
export function demoPrediction(bundle: Bundle, probability: number) {
  const band = bundle.manifest.riskBands.find((b) => b.below === undefined || probability < b.below) ?? bundle.manifest.riskBands[0];
  return {
    modelId: bundle.manifest.id,
    modelVersion: bundle.manifest.version,
    probability,
    threshold: bundle.manifest.threshold,
    band: { id: band?.id ?? 'low', label: band?.label ?? 'Low' },
  };
}
