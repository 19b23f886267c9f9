import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStandalone, chromiumAvailable, launchChromium, startServer, type TestServer, widgetPage } from './__fixtures__/harness.js';
import { corruptModelArchive, type HeartBundle, makeHeartBundle, PATIENTS } from './__fixtures__/heart-bundle.js';
import { fhirPatient, fhirRoute, predictApiRoute } from './__fixtures__/routes.js';

if (!chromiumAvailable) console.warn('Skipping the browser tests of @cairn/web-components: /usr/bin/chromium is not installed.');

interface ErrorEvent {
  type: string;
  detail: { stage: string; code: string; message: string };
}

describe.skipIf(!chromiumAvailable)('prediction widget failures in Chromium', () => {
  let heart: HeartBundle;
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    const [dir, h] = await Promise.all([buildStandalone(), makeHeartBundle()]);
    heart = h;
    server = await startServer({
      widgetDir: dir,
      routes: [
        fhirRoute('/fhir', 'the-right-token', fhirPatient('p1')),
        predictApiRoute({ prefix: '/failing', manifest: heart.manifest, predictor: heart.predictor, failPredict: 500 }),
      ],
    });
    server.file('/bundles/heart.cairn', heart.archive);
    server.file('/bundles/corrupt.cairn', await corruptModelArchive(heart.files));
    server.file('/bundles/not-cairn.json', JSON.stringify({ hello: 'world', model: 'nope' }), 'application/json');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await heart?.predictor.release();
  });

  /** Opens a page with the widget, waits for its error and checks the host page still works. */
  async function expectFailure(name: string, attributes: Record<string, string>, stage: string, code: string, text: RegExp): Promise<Page> {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.page(name, widgetPage({ 'wasm-base-url': '/ort/', ...attributes })));
    await page.waitForFunction(
      () => (window as unknown as { cairnEvents: Array<{ type: string }> }).cairnEvents.some((e) => e.type === 'cairn-error'),
      undefined,
      {
        timeout: 30_000,
      },
    );
    const events = (await page.evaluate(() => (window as unknown as { cairnEvents: unknown[] }).cairnEvents)) as ErrorEvent[];
    const error = events.find((e) => e.type === 'cairn-error');
    expect(error?.detail).toMatchObject({ stage, code });
    expect(error?.detail.message).toMatch(text);
    const shown = page.locator('cairn-prediction-widget [part="error"]');
    expect(await shown.getAttribute('role')).toBe('alert');
    expect(await shown.textContent()).toMatch(text);
    // The host page keeps working: its own button still counts, and nothing was thrown at it.
    await page.locator('#host-button').click();
    await page.locator('#host-button').click();
    expect(await page.locator('#host-count').textContent()).toBe('2');
    expect(pageErrors).toEqual([]);
    return page;
  }

  it('says so when the bundle URL answers 404', async () => {
    const page = await expectFailure('missing', { 'bundle-url': '/bundles/nowhere.cairn' }, 'bundle', 'not_found', /HTTP 404/);
    expect(await page.locator('cairn-prediction-widget [part="error"] strong').textContent()).toBe('The model bundle could not be loaded.');
    expect(await page.locator('cairn-prediction-widget cairn-risk-form').count()).toBe(0);
    await page.close();
  });

  it('says so when the model inside the bundle is corrupt', async () => {
    const page = await expectFailure('corrupt', { 'bundle-url': '/bundles/corrupt.cairn' }, 'bundle', 'invalid_model', /model/i);
    await page.close();
  });

  it('says so when the URL holds JSON that is not a Cairn bundle', async () => {
    const page = await expectFailure(
      'json',
      { 'bundle-url': '/bundles/not-cairn.json' },
      'bundle',
      'invalid_bundle',
      /is JSON, not a \.cairn archive/,
    );
    await page.close();
  });

  it('says so when the prediction endpoint answers 500, and keeps the form', async () => {
    const page = await expectFailure(
      'endpoint-500',
      { endpoint: `${server.origin}/failing`, 'model-id': 'heart-cleveland', patient: JSON.stringify(PATIENTS.low) },
      'predict',
      'internal',
      /answered 500: the model server is down/,
    );
    expect(await page.locator('cairn-prediction-widget #f-age').inputValue()).toBe('41');
    await page.close();
  });

  it('says so when the FHIR server refuses the token, and leaves the form to fill by hand', async () => {
    const page = await expectFailure(
      'fhir-401',
      { 'bundle-url': '/bundles/heart.cairn', 'fhir-server': `${server.origin}/fhir`, 'patient-id': 'p1', 'access-token': 'a-stale-token' },
      'fhir',
      'unauthorized',
      /401/,
    );
    expect(await page.locator('cairn-prediction-widget [part="error"] strong').textContent()).toBe('The patient record could not be read.');
    expect(await page.locator('cairn-prediction-widget #f-age').inputValue()).toBe('');
    await page.close();
  });
});
