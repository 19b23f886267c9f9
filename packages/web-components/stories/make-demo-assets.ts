/**
 * Regenerates the Storybook demo assets: stories/assets/heart.cairn (the heart test bundle) and
 * stories/assets/demo.json (patients of low, medium and high risk, and a FHIR record with gaps).
 *
 *   npx tsx --conditions=@cairn/source packages/web-components/stories/make-demo-assets.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHeartBundle, PATIENTS } from '../src/__fixtures__/heart-bundle.js';
import { fhirPatient } from '../src/__fixtures__/routes.js';

const heart = await makeHeartBundle();
const scores = await heart.predictor.predictValues(heart.rows);
// The reference row closest to the middle of the medium band.
let medium = 0;
heart.rows.forEach((_, i) => {
  if (Math.abs((scores.probability[i] as number) - 0.4) < Math.abs((scores.probability[medium] as number) - 0.4)) medium = i;
});
const demo = {
  patients: { low: PATIENTS.low, medium: heart.rows[medium], high: PATIENTS.high },
  fhirBundle: { resourceType: 'Bundle', type: 'collection', entry: fhirPatient('p1').map((resource) => ({ resource })) },
  asOf: '2026-01-15T00:00:00Z',
};
const dir = join(import.meta.dirname, 'assets');
writeFileSync(join(dir, 'heart.cairn'), heart.archive);
writeFileSync(join(dir, 'demo.json'), `${JSON.stringify(demo, null, 2)}\n`);
await heart.predictor.release();
process.stdout.write(
  `wrote ${dir}/heart.cairn (${heart.archive.byteLength} bytes) and demo.json; medium patient p=${scores.probability[medium]}\n`,
);
