import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createExplainer, type Explainer } from '@cairn/core';
import { formatPercent } from '@cairn/web-components';
import * as ort from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildStandalone,
  chromiumAvailable,
  launchChromium,
  pdfText,
  startServer,
  type TestServer,
  widgetPage,
} from './__fixtures__/harness.js';
import { type HeartBundle, makeHeartBundle, PATIENTS } from './__fixtures__/heart-bundle.js';
import { fhirPatient, fhirRoute, predictApiRoute } from './__fixtures__/routes.js';

const require = createRequire(import.meta.url);

if (!chromiumAvailable) console.warn('Skipping the browser tests of @cairn/web-components: /usr/bin/chromium is not installed.');

const TOKEN = 'secret-token';
const LOCAL = { 'bundle-url': '/bundles/heart.cairn', 'wasm-base-url': '/ort/', 'fonts-base-url': '/fonts/' };

interface RecordedEvent {
  type: string;
  detail: {
    prediction?: { probability: number; band: { id: string } };
    explanation?: { contributions: unknown[] } | null;
    stage?: string;
    code?: string;
  };
}

describe.skipIf(!chromiumAvailable)('prediction widget in Chromium', () => {
  let heart: HeartBundle;
  let explainer: Explainer;
  let server: TestServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const [dir, h] = await Promise.all([buildStandalone(), makeHeartBundle()]);
    heart = h;
    explainer = await createExplainer(await import('@cairn/core').then((c) => c.loadBundle(heart.files)), { runtime: ort });
    server = await startServer({
      widgetDir: dir,
      routes: [
        fhirRoute('/fhir', TOKEN, fhirPatient('p1')),
        predictApiRoute({
          prefix: '/server',
          manifest: heart.manifest,
          predictor: heart.predictor,
          explainer,
          fhirMapping: JSON.parse(String(heart.files.fhirMapping)),
        }),
      ],
    });
    server.file('/bundles/heart.cairn', heart.archive);
    server.file('/example/heart.cairn', heart.archive);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await explainer?.release();
    await heart?.predictor.release();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    return page;
  }

  async function nextEvent(page: Page, type: string, after = 0): Promise<RecordedEvent> {
    await page.waitForFunction(
      ([t, n]) =>
        (window as unknown as { cairnEvents: Array<{ type: string }> }).cairnEvents.filter((e) => e.type === t).length > (n as number),
      [type, after] as const,
      {
        timeout: 30_000,
      },
    );
    return page.evaluate(
      ([t, n]) => (window as unknown as { cairnEvents: Array<{ type: string }> }).cairnEvents.filter((e) => e.type === t)[n as number],
      [type, after] as const,
    ) as Promise<RecordedEvent>;
  }

  async function fillPatient(page: Page, patient: Record<string, number | boolean>) {
    for (const f of heart.manifest.features) {
      const v = patient[f.name];
      const field = page.locator(`cairn-prediction-widget #f-${f.name}`);
      if (f.type === 'boolean' || f.type === 'category') await field.selectOption(String(v));
      else await field.fill(String(v));
    }
  }

  it('fills the form, shows the prediction, band and chart, and downloads a PDF report', async () => {
    const page = await open(server.page('local', widgetPage(LOCAL)));
    await page.locator('cairn-prediction-widget #f-age').waitFor();
    await fillPatient(page, PATIENTS.high);
    await page.locator('cairn-prediction-widget [part="submit"]').click();
    const event = await nextEvent(page, 'cairn-prediction');
    const expected = await heart.predictor.predict(PATIENTS.high);
    expect(event.detail.prediction?.probability).toBeCloseTo(expected.probability, 6);
    expect(event.detail.prediction?.band.id).toBe('high');
    expect(event.detail.explanation?.contributions).toHaveLength(heart.manifest.features.length);

    const result = page.locator('cairn-prediction-widget cairn-risk-result');
    await expect.poll(() => result.locator('[part="probability"]').textContent()).toContain(formatPercent(expected.probability, 'en'));
    expect(await result.locator('[part="band"]').textContent()).toContain('High risk');
    expect(await result.locator('[part="model"]').textContent()).toContain('version 1.0.0');
    const bars = page.locator('cairn-prediction-widget cairn-contributions rect[part^="bar-"]');
    expect(await bars.count()).toBe(9);
    const alternative = await page.locator('cairn-prediction-widget cairn-contributions ul.sr-only li').allTextContents();
    expect(alternative[0]).toMatch(/(raises|lowers) the risk by/);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('cairn-prediction-widget [part="download"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('heart-cleveland-1.0.0-report.pdf');
    const path = await download.path();
    const bytes = new Uint8Array(readFileSync(path));
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe('%PDF-');
    const text = (await pdfText(bytes)).join('\n');
    expect(text).toContain('Coronary artery disease risk');
    expect(text).toContain('Chest pain type');
    expect(text).toContain('Asymptomatic');
    expect(text).toContain('High risk');
    expect(text).toContain(formatPercent(expected.probability, 'en'));
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('predicts in the browser exactly as onnxruntime-node does (to 1e-6)', async () => {
    const page = await open(server.page('equality', widgetPage(LOCAL)));
    await page.locator('cairn-prediction-widget #f-age').waitFor();
    const rows = heart.rows.slice(0, 25);
    const browserProbabilities = await page.evaluate(
      async (records) => {
        const widget = document.querySelector('cairn-prediction-widget') as HTMLElement & { patient: unknown };
        const out: number[] = [];
        for (const record of records) {
          const done = new Promise<number>((resolve, reject) => {
            widget.addEventListener('cairn-prediction', (e) => resolve((e as CustomEvent).detail.prediction.probability), { once: true });
            widget.addEventListener('cairn-error', (e) => reject(new Error((e as CustomEvent).detail.message)), { once: true });
          });
          widget.patient = { ...record };
          out.push(await done);
        }
        return out;
      },
      rows as Array<Record<string, unknown>>,
    );
    const node = await heart.predictor.predictValues(rows);
    expect(browserProbabilities).toHaveLength(rows.length);
    const worst = Math.max(...browserProbabilities.map((p, i) => Math.abs(p - (node.probability[i] as number))));
    expect(worst).toBeLessThan(1e-6);
    // Not cross-origin isolated: single-threaded WASM, no worker.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(page.workers()).toHaveLength(0);
    await page.close();
  });

  it('is usable with the keyboard alone: tab order, inline errors and focus on the first invalid field', async () => {
    const page = await open(server.page('keyboard', widgetPage(LOCAL)));
    await page.locator('cairn-prediction-widget #f-age').waitFor();
    await page.locator('#host-button').focus();
    await page.keyboard.press('Tab');
    const focused = () =>
      page.evaluate(
        () =>
          document.querySelector('cairn-prediction-widget')?.shadowRoot?.querySelector('cairn-risk-form')?.shadowRoot?.activeElement?.id,
      );
    expect(await focused()).toBe('f-age');
    await page.keyboard.type('67');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('f-sex');
    // Submitting an incomplete form with Enter shows the errors and moves focus to the first one.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('f-sex');
    const summary = page.locator('cairn-prediction-widget [part="summary"]');
    expect(await summary.textContent()).toMatch(/Check \d+ fields before calculating/);
    expect(await page.locator('cairn-prediction-widget #f-sex').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('cairn-prediction-widget #f-sex-error').textContent()).toContain('Male sex is required');
    // A value past the hard limit is refused inline with core's message; a merely unusual one only warns.
    await page.locator('cairn-prediction-widget #f-trestbps').fill('400');
    await page.locator('cairn-prediction-widget #f-trestbps').press('Tab');
    expect(
      await page.locator('cairn-prediction-widget #f-trestbps-warning, cairn-prediction-widget #f-trestbps-error').first().textContent(),
    ).toMatch(/400/);
    await page.close();
  });

  it('reads the patient from a FHIR server, shows the data used and what is missing, and predicts once the form is complete', async () => {
    const attrs = {
      ...LOCAL,
      'fhir-server': `${server.origin}/fhir`,
      'patient-id': 'p1',
      'access-token': TOKEN,
      'as-of': '2026-01-15T00:00:00Z',
    };
    const page = await open(server.page('fhir', widgetPage(attrs)));
    const panel = page.locator('cairn-prediction-widget [part="patient-data"]');
    await panel.waitFor();
    expect(await page.locator('cairn-prediction-widget #f-age').inputValue()).toBe('65');
    expect(await page.locator('cairn-prediction-widget #f-sex').inputValue()).toBe('true');
    expect(await page.locator('cairn-prediction-widget #f-trestbps').inputValue()).toBe('148');
    expect(await page.locator('cairn-prediction-widget #f-thalach').inputValue()).toBe('163');
    expect(Number(await page.locator('cairn-prediction-widget #f-chol').inputValue())).toBeCloseTo(239.7, 0);
    const used = await panel.locator('ul.used li').allTextContents();
    expect(used).toHaveLength(5);
    expect(used.find((t) => t.startsWith('Serum cholesterol'))).toContain('converted from 6.2 mmol/L');
    const missing = await panel.locator('ul.missing li').evaluateAll((els) => els.map((e) => e.getAttribute('data-feature')));
    expect(missing).toEqual(['cp', 'fbs', 'restecg', 'exang', 'oldpeak', 'slope', 'ca', 'thal']);
    const fhirCalls = server.requests.filter((r) => r.path.startsWith('/fhir/'));
    expect(fhirCalls.length).toBeGreaterThan(0);
    expect(fhirCalls.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // Nothing is predicted from an incomplete record; the clinician fills the gaps.
    expect(await page.evaluate(() => (window as unknown as { cairnEvents: unknown[] }).cairnEvents.length)).toBe(0);
    const rest = { cp: 4, fbs: false, restecg: 2, exang: true, oldpeak: 1.5, slope: 2, ca: 3, thal: 3 } as Record<string, number | boolean>;
    for (const [name, v] of Object.entries(rest)) {
      const field = page.locator(`cairn-prediction-widget #f-${name}`);
      if (typeof v === 'boolean' || ['cp', 'restecg', 'slope', 'thal'].includes(name)) await field.selectOption(String(v));
      else await field.fill(String(v));
    }
    await page.locator('cairn-prediction-widget [part="submit"]').click();
    const event = await nextEvent(page, 'cairn-prediction');
    const chol = Number(await page.locator('cairn-prediction-widget #f-chol').inputValue());
    const expected = await heart.predictor.predict({ age: 65, sex: true, trestbps: 148, chol, thalach: 163, ...rest });
    expect(event.detail.prediction?.probability).toBeCloseTo(expected.probability, 6);
    await page.close();
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    const attrs = {
      ...LOCAL,
      'fhir-server': `${server.origin}/fhir`,
      'patient-id': 'p1',
      'access-token': TOKEN,
      'as-of': '2026-01-15T00:00:00Z',
    };
    const page = await open(server.page('axe', widgetPage(attrs)));
    await page.locator('cairn-prediction-widget [part="patient-data"]').waitFor();
    await page.evaluate((p) => {
      (document.querySelector('cairn-prediction-widget') as HTMLElement & { patient: unknown }).patient = p;
    }, PATIENTS.low);
    await nextEvent(page, 'cairn-prediction');
    await page.locator('cairn-prediction-widget details summary').click();
    await page.locator('cairn-prediction-widget cairn-model-card canvas').first().waitFor();
    await page.locator('cairn-prediction-widget #f-age').fill('');
    await page.locator('cairn-prediction-widget [part="submit"]').click();
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run: (
              ctx: unknown,
              opts: unknown,
            ) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> }>;
          };
        }
      ).axe;
      const r = await axe.run({ include: [['cairn-prediction-widget']] }, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3) }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.close();
  });

  it('runs the example page out of the box: default WASM and font paths, theming through custom properties and parts', async () => {
    const page = await open(`${server.origin}/example/index.html`);
    await expect
      .poll(() => page.locator('#log').textContent(), { timeout: 30_000 })
      .toMatch(/cairn-prediction: \d+\.\d % \(High risk\) from the bundle/);
    const submit = page.locator('cairn-prediction-widget [part="submit"]');
    expect(await submit.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(91, 42, 134)');
    // The host page's own styles do not leak in (it sets body to Georgia).
    expect(await submit.evaluate((el) => getComputedStyle(el).fontFamily)).not.toContain('Georgia');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('cairn-prediction-widget [part="download"]').click(),
    ]);
    const text = (await pdfText(new Uint8Array(readFileSync(await download.path())))).join('\n');
    expect(text).toContain('Example Hospital');
    await page.close();
  });

  it('uses WASM threads only on a cross-origin isolated page, with the same result', async () => {
    const isolated = await startServer({ widgetDir: await buildStandalone(), isolated: true });
    try {
      isolated.file('/bundles/heart.cairn', heart.archive);
      const page = await open(isolated.page('isolated', widgetPage({ ...LOCAL, patient: JSON.stringify(PATIENTS.high) })));
      const event = await nextEvent(page, 'cairn-prediction');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      // onnxruntime-web starts its thread pool as workers of the same script.
      expect(isolated.requests.some((r) => r.path.includes('ort-wasm-simd-threaded'))).toBe(true);
      expect(page.workers().length).toBeGreaterThan(0);
      expect(event.detail.prediction?.probability).toBeCloseTo((await heart.predictor.predict(PATIENTS.high)).probability, 6);
      await page.close();
    } finally {
      await isolated.close();
    }
  });

  it('calls a Cairn server in endpoint mode and shows its prediction', async () => {
    const page = await open(
      server.page(
        'endpoint',
        widgetPage({ endpoint: `${server.origin}/server`, 'model-id': 'heart-cleveland', patient: JSON.stringify(PATIENTS.low) }),
      ),
    );
    const event = await nextEvent(page, 'cairn-prediction');
    const expected = await heart.predictor.predict(PATIENTS.low);
    expect(event.detail.prediction?.probability).toBeCloseTo(expected.probability, 12);
    expect(event.detail.prediction?.band.id).toBe('low');
    expect(server.requests.some((r) => r.method === 'POST' && r.path === '/server/api/v1/models/heart-cleveland/predict')).toBe(true);
    expect(await page.locator('cairn-prediction-widget [part="band"]').textContent()).toContain('Low risk');
    expect(await page.locator('cairn-prediction-widget cairn-contributions rect[part^="bar-"]').count()).toBeGreaterThan(0);
    await page.close();
  });
});
