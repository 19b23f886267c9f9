/**
 * Widget benchmark (npm run bench -w @cairn/web-components): the gzipped size of the widget's
 * JavaScript without onnxruntime-web, and the time from page load to the first prediction in
 * headless Chromium (bundle mode: archive download, WASM start, inference and explanation).
 * Reports numbers against the targets; it is a benchmark, not a test, and never fails on them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildStandalone, chromiumAvailable, launchChromium, startServer, staticClosure, widgetPage } from '../src/__fixtures__/harness.js';
import { makeHeartBundle, PATIENTS } from '../src/__fixtures__/heart-bundle.js';

const RUNS = 5;
const SIZE_TARGET_KB = 60;
const TIME_TARGET_MS = 1500;

const gz = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).byteLength;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const isOrt = (path: string) => /\/ort[.-]|ort-wasm|\/ort\//.test(path);

const dir = await buildStandalone();
const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.js'));
const sizeOf = (path: string) => gz(readFileSync(join(dir, path)));

const initial = staticClosure(dir);
const initialGz = initial.reduce((s, p) => s + sizeOf(p), 0);
const allGz = chunks.filter((c) => !isOrt(`/${c}`)).reduce((s, c) => s + sizeOf(`chunks/${c}`), 0) + sizeOf('cairn-widget.js');

console.log('\n@cairn/web-components bench\n');
console.log('Standalone bundle, gzipped (level 9), without onnxruntime-web:');
console.log(
  `  initial widget JS (entry + static imports, ${initial.length} files): ${kb(initialGz)}   target ≤ ${SIZE_TARGET_KB} KB: ${initialGz <= SIZE_TARGET_KB * 1024 ? 'met' : 'NOT met'}`,
);
console.log(`  every chunk (incl. lazy pdf-lib, FHIR adapter, uPlot):            ${kb(allGz)}`);

if (!chromiumAvailable) {
  console.log('\n/usr/bin/chromium is not installed: skipping the timing.');
  process.exit(0);
}

const heart = await makeHeartBundle();
const server = await startServer({ widgetDir: dir });
server.file('/bundles/heart.cairn', heart.archive);
const url = server.page(
  'bench',
  widgetPage({ 'bundle-url': '/bundles/heart.cairn', 'wasm-base-url': '/ort/', patient: JSON.stringify(PATIENTS.high) }),
);
const browser = await launchChromium();
const times: number[] = [];
let loadedJs = new Map<string, number>();
try {
  for (let run = 0; run < RUNS; run++) {
    // A fresh context per run: nothing cached, as on a first visit.
    const context = await browser.newContext();
    const page = await context.newPage();
    const js = new Map<string, number>();
    page.on('response', async (r) => {
      const path = new URL(r.url()).pathname;
      if (!path.endsWith('.js') && !path.endsWith('.mjs')) return;
      try {
        js.set(path, gz(new Uint8Array(await r.body())));
      } catch {
        // The page may close before a late body arrives.
      }
    });
    await page.goto(url);
    const ms = await page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const done = (window as unknown as { cairnEvents: Array<{ type: string }> }).cairnEvents;
          if (done.some((e) => e.type === 'cairn-prediction')) resolve(performance.now());
          document.addEventListener('cairn-prediction', () => resolve(performance.now()), { once: true });
          document.addEventListener('cairn-error', (e) => reject(new Error((e as CustomEvent).detail.message)), { once: true });
        }),
    );
    times.push(ms);
    loadedJs = js;
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  await heart.predictor.release();
}

const toPrediction = [...loadedJs].filter(([p]) => p.startsWith('/widget/') && !isOrt(p)).reduce((s, [, n]) => s + n, 0);
const ortJs = [...loadedJs].filter(([p]) => isOrt(p)).reduce((s, [, n]) => s + n, 0);
console.log(
  `  fetched up to the first prediction (bundle mode):                 ${kb(toPrediction)}  (+ ${kb(ortJs)} onnxruntime-web JS, + the WASM binary)`,
);
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
console.log(`\nPage load → first prediction in headless Chromium (${RUNS} cold runs, heart bundle, patient given as JSON):`);
console.log(
  `  median ${median.toFixed(0)} ms, min ${times[0]?.toFixed(0)} ms, max ${times[times.length - 1]?.toFixed(0)} ms   target < ${TIME_TARGET_MS} ms: ${median < TIME_TARGET_MS ? 'met' : 'NOT met'}`,
);
