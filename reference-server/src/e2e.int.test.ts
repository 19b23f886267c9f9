// End to end in Chromium: register, approval, sign-in, prediction with its chart and PDF, a training
// run followed live, the trained model under Models, and all of it in the audit log.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, heartArchive, PATIENT } from './__fixtures__/bundles.js';
import { ADMIN, startTestServer, type TestServer } from './__fixtures__/server.js';
import { widgetsDir } from './http/static.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM) ? `Chromium not found at ${CHROMIUM}` : !widgetsDir() ? 'the web components are not built' : '';
if (missing) process.stderr.write(`\n[@cairn/reference-server] end-to-end test skipped: ${missing}\n`);

describe.skipIf(missing !== '')('end to end in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  const email = `e2e-${Date.now()}@example.org`;
  const password = 'e2e-password-long-enough';

  beforeAll(async () => {
    t = await startTestServer({ TRAINING_CONCURRENCY: '1' });
    const admin = await t.admin();
    const form = new FormData();
    form.append('bundle', new Blob([await heartArchive('heart-e2e', '1.0.0')]), 'heart.cairn');
    expect((await admin.request('POST', '/api/v1/models', { body: form })).status).toBe(201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, who: string, secret: string): Promise<void> {
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email').fill(who);
    await page.getByLabel('Password').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');
  }

  it('registers, is approved, predicts, downloads the report, trains a model and finds it all in the audit log', async () => {
    const errors: string[] = [];
    const user = await (await browser.newContext({ acceptDownloads: true })).newPage();
    user.on('pageerror', (e) => errors.push(e.message));
    user.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    user.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });

    // Register: the account waits for an administrator.
    await user.goto(`${t.url}/register`);
    await user.getByLabel('Name').fill('Erin Example');
    await user.getByLabel('Email').fill(email);
    await user.getByLabel(/^Password/).fill(password);
    await user.getByLabel('Role you need').selectOption('data_scientist');
    await user.getByRole('button', { name: 'Register' }).click();
    await expect(user.getByText('An administrator will review your registration')).toBeDefined();
    await user.getByText('An administrator will review your registration').waitFor();
    await signIn(user, email, password);
    expect(await user.getByTestId('account-status').textContent()).toBe('pending');

    // An administrator approves it with two roles.
    const admin = await (await browser.newContext()).newPage();
    await signIn(admin, ADMIN.email, ADMIN.password);
    await admin.goto(`${t.url}/admin`);
    const row = admin.locator('tr', { hasText: email });
    await row.getByLabel('Clinician').check();
    await row.getByLabel('Data scientist').check();
    await row.getByRole('button', { name: 'Approve' }).click();
    await admin.locator('tr', { hasText: email }).locator('.status-active').waitFor();

    // The user predicts by filling the generated form.
    await user.goto(`${t.url}/predict?model=heart-e2e`);
    const form = user.locator('cairn-risk-form');
    await form.locator('input, select').first().waitFor();
    for (const [name, value] of Object.entries(PATIENT)) {
      const control = form.locator(`[name="${name}"]`);
      if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(String(value));
      else await control.fill(String(value));
    }
    await form.getByRole('button', { name: /predict|calculate|estimate/i }).click();
    await user.waitForURL(`${t.url}/result`);
    await user.locator('cairn-risk-result').getByText(/%/).first().waitFor();
    const bars = user.locator('cairn-contributions svg rect, cairn-contributions svg path');
    await bars.first().waitFor();
    expect(await bars.count()).toBeGreaterThan(2);
    expect(await user.locator('#data-used tbody tr').count()).toBe(13);
    expect((await user.locator('#narrative').textContent())?.length).toBeGreaterThan(10);

    const [download] = await Promise.all([
      user.waitForEvent('download'),
      user.getByRole('button', { name: 'Download PDF report' }).click(),
    ]);
    const pdf = await readFile((await download.path()) as string);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    // Training from a CSV, followed live until the model is installed.
    await user.goto(`${t.url}/train`);
    await user.locator('input[name="train"]').setInputFiles(join(DATASETS, 'pima-diabetes.csv'));
    await user.getByLabel('Target column').fill('Outcome');
    await user.getByLabel(/^Positive when/).fill('Outcome == 1');
    await user.getByLabel('Model id').fill('pima-e2e');
    await user.getByLabel('Name', { exact: true }).fill('Diabetes (end-to-end)');
    await user.getByLabel('Intended use').fill('Testing the reference server.');
    await user.getByLabel(/^Limitations/).fill('A test model');
    await user.getByLabel('Pipeline').selectOption('gbdt');
    await user.getByLabel('Parameters (JSON)').fill('{"trees": 5}');
    await user.getByRole('button', { name: 'Start training' }).click();
    await user.waitForURL(/\/train\/[0-9a-f-]{36}$/);
    const seen = new Set<string>();
    const status = user.locator('#run-status');
    for (let i = 0; i < 240; i++) {
      seen.add((await status.textContent()) ?? '');
      if (seen.has('succeeded') || seen.has('failed')) break;
      await user.waitForTimeout(250);
    }
    expect(seen.has('succeeded'), `statuses seen: ${[...seen].join(', ')}; ${await user.locator('#run-message').textContent()}`).toBe(true);
    expect(seen.has('running') || seen.has('queued')).toBe(true);
    expect(await user.locator('#run-progress').getAttribute('value')).toBe('1');
    await user.locator('#run-model').click();
    await user.waitForURL(/\/models\/pima-e2e/);
    await user.getByText('roc_auc').waitFor();
    await user.goto(`${t.url}/models`);
    await user.getByText('Diabetes (end-to-end)').waitFor();

    // Everything is in the audit log, and exportable.
    await admin.goto(`${t.url}/audit`);
    const log = (await admin.locator('table.audit').textContent()) ?? '';
    for (const action of [
      'auth.register',
      'user.approve',
      'auth.login',
      'predict',
      'report',
      'training.create',
      'training.start',
      'training.succeed',
      'model.upload',
    ]) {
      expect(log, action).toContain(action);
    }
    expect(log).toContain(email);
    const exported = await admin.request.get(`${t.url}/api/v1/audit/export?action=predict`);
    expect((await exported.text()).split('\n')[0]).toMatch(/^id,at,actor/);
    expect(errors).toEqual([]);
  }, 240_000);

  it('refuses the result page before any prediction, and keeps pending users out', async () => {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    const res = await page.goto(`${t.url}/result`);
    expect(res?.status()).toBe(409);
    await page.getByText('There is no prediction to show yet').waitFor();
    const anon = await (await browser.newContext()).newPage();
    await anon.goto(`${t.url}/predict`);
    expect(anon.url()).toContain('/login?next=%2Fpredict');
  });
});
