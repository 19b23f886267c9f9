/**
 * Regenerates docs/widget-low-risk.png and docs/widget-high-risk.png: the prediction widget with the
 * heart test bundle, run in headless Chromium (Debian's /usr/bin/chromium).
 *
 *   npx tsx --conditions=@cairn/source scripts/screenshots-widget.ts
 */
import { join } from 'node:path';
import {
  buildStandalone,
  chromiumAvailable,
  launchChromium,
  startServer,
  widgetPage,
} from '../packages/web-components/src/__fixtures__/harness.js';
import { makeHeartBundle, PATIENTS } from '../packages/web-components/src/__fixtures__/heart-bundle.js';

if (!chromiumAvailable) {
  console.error('/usr/bin/chromium is not installed: apt-get install chromium');
  process.exit(1);
}

const docs = join(import.meta.dirname, '../docs');
const [dir, heart] = await Promise.all([buildStandalone(), makeHeartBundle()]);
const server = await startServer({ widgetDir: dir });
server.file('/bundles/heart.cairn', heart.archive);
const browser = await launchChromium();
try {
  for (const [name, patient] of [
    ['low', PATIENTS.low],
    ['high', PATIENTS.high],
  ] as const) {
    const page = await browser.newPage({ viewport: { width: 1040, height: 900 }, deviceScaleFactor: 1 });
    const html = widgetPage(
      { 'bundle-url': '/bundles/heart.cairn', 'wasm-base-url': '/ort/', patient: JSON.stringify(patient) },
      { head: '<style>main > h1, #host-button, #host-count { display: none; } body { background: #fff; }</style>' },
    );
    await page.goto(server.page(`screenshot-${name}`, html));
    await page.waitForFunction(() =>
      (window as unknown as { cairnEvents: Array<{ type: string }> }).cairnEvents.some((e) => e.type === 'cairn-prediction'),
    );
    await page.locator('cairn-prediction-widget rect[part^="bar-"]').first().waitFor();
    const file = join(docs, `widget-${name}-risk.png`);
    await page.locator('cairn-prediction-widget').screenshot({ path: file });
    console.log(`wrote ${file}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  await heart.predictor.release();
}
