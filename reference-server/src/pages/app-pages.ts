import type { Manifest, PopulationSummary } from '@cairn/node';
import { pipelines } from '@cairn/pipelines';
import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/audit.js';
import { can } from '../auth/access.js';
import { listUsers } from '../auth/accounts.js';
import { principalOf, type ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { notFound } from '../http/problem.js';
import type { ModelSummary, VersionSummary } from '../models/registry.js';
import { type AuditQuery, auditPage, auditQuery, auditView } from '../routes/audit.js';
import { smartContextOf } from '../routes/fhir.js';
import { shapSummaryOf } from '../routes/models.js';
import { monitoringReport } from '../routes/monitoring.js';
import { ROLE_LABELS } from './auth-pages.js';
import { barChart, binBars, columnChart, curveChart } from './charts.js';
import { type Html, html } from './html.js';
import { notice, page } from './layout.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const pct = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '–');
const num = (v: unknown, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? String(Number(v.toFixed(digits))) : '–');
const when = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) : '–');

function metricRow(m: Manifest['metrics'][number]): Html {
  return html`<tr><th scope="row">${m.name}</th><td class="num">${num(m.value)}</td><td>${m.ci ? `${num(m.ci[0])} – ${num(m.ci[1])}` : ''}</td><td>${m.dataset ?? ''}</td></tr>`;
}

function modelPicker(models: readonly ModelSummary[], selected: string | undefined, action: string): Html {
  return html`<form method="get" action="${action}" class="row">
    <label>Model <select name="model" data-autosubmit>
      ${models.map((m) => html`<option value="${m.id}"${m.id === selected ? html` selected` : ''}>${m.name} (${m.activeVersion})</option>`)}
    </select></label>
    <noscript><button type="submit">Choose</button></noscript>
  </form>`;
}

/** The clinician and data-science pages: predict, result, models, manage, train, admin, audit, monitoring. */
export function appPages(route: Route, ctx: ServerContext): void {
  const send = (reply: { type(t: string): { send(b: string): unknown } }, body: string) =>
    reply.type('text/html; charset=utf-8').send(body);

  route<unknown, { model?: string; smart?: string }, unknown>({
    method: 'GET',
    url: '/predict',
    access: 'predict',
    page: true,
    summary: 'Predict page',
    handler: async (request, reply) => {
      const models = await ctx.models.list();
      if (models.length === 0) {
        return send(
          reply,
          page(request, {
            title: 'Predict',
            active: '/predict',
            body: notice('info', 'No model is installed yet. A data scientist can upload or train one.'),
          }),
        );
      }
      const id = models.some((m) => m.id === request.query.model) ? (request.query.model as string) : (models[0] as ModelSummary).id;
      const model = await ctx.models.active(id);
      const m = model.bundle.manifest;
      const smart = await smartContextOf(ctx, request.principal?.sessionHash);
      const fhir = model.mapping && (smart || ctx.config.fhir);
      return send(
        reply,
        page(request, {
          title: 'Predict',
          active: '/predict',
          widgets: true,
          script: 'predict.js',
          data: { model: { id: m.id, name: m.name, version: m.version }, features: m.features, smartPatientId: smart?.patientId ?? null },
          body: html`${modelPicker(models, id, '/predict')}
          <p class="lead">${m.name} <span class="muted">version ${m.version}</span> — ${m.intendedUse}</p>
          ${
            fhir
              ? html`<form id="fhir-form" class="card row">
              <label>Patient id (${smart ? `EHR: ${smart.fhirBaseUrl}` : `FHIR server ${ctx.config.fhir?.baseUrl}`}) <input name="patientId" pattern="[A-Za-z0-9.\\-]{1,64}" required value="${smart?.patientId ?? ''}"></label>
              <button type="submit">Load patient</button>
            </form>
            <div id="fhir-summary" hidden></div>`
              : ''
          }
          <div id="predict-status" role="status" aria-live="polite"></div>
          <cairn-risk-form id="risk-form"></cairn-risk-form>`,
        }),
      );
    },
  });

  route({
    method: 'GET',
    url: '/result',
    access: 'predict',
    page: true,
    summary: 'Result page',
    handler: async (request, reply) => {
      const p = principalOf(request);
      const { rows } = await ctx.db.query<{ last: { modelId: string; version: string; at: string } | null }>(
        "select data->'lastPrediction' as last from sessions where id_hash = $1",
        [p.sessionHash ?? ''],
      );
      const last = rows[0]?.last;
      if (!last) {
        // Nothing to show before a prediction: the page is refused, not shown empty.
        return reply
          .code(409)
          .type('text/html; charset=utf-8')
          .send(
            page(request, {
              title: 'Result',
              active: '/predict',
              body: html`${notice('error', 'There is no prediction to show yet: make one first.')}<p><a class="button" href="/predict">Go to Predict</a></p>`,
            }),
          );
      }
      const { manifest } = await ctx.models.manifest(last.modelId, last.version).catch(() => ({ manifest: undefined }));
      return send(
        reply,
        page(request, {
          title: 'Result',
          active: '/predict',
          widgets: true,
          script: 'result.js',
          data: { last, riskBands: manifest?.riskBands ?? null, modelName: manifest?.name ?? last.modelId },
          body: html`<div id="result-missing" hidden>${notice('info', html`The details of this prediction are no longer in this browser tab. <a href="/predict?model=${last.modelId}">Predict again</a>.`)}</div>
          <div id="result" hidden>
            <div class="grid2">
              <section class="card"><h2>Risk</h2><cairn-risk-result id="risk-result"></cairn-risk-result></section>
              <section class="card"><h2>What drove it</h2><cairn-contributions id="contributions"></cairn-contributions><p id="narrative" class="narrative"></p></section>
            </div>
            <section class="card"><h2>Data used</h2><table id="data-used"><thead><tr><th>Feature</th><th>Value</th><th>Unit</th><th>Contribution</th></tr></thead><tbody></tbody></table><div id="warnings"></div></section>
            <p class="row"><button id="download-pdf" type="button">Download PDF report</button> <a class="button secondary" href="/predict?model=${last.modelId}">New prediction</a></p>
          </div>`,
        }),
      );
    },
  });

  route({
    method: 'GET',
    url: '/models',
    access: 'models:read',
    page: true,
    summary: 'Models page',
    handler: async (request, reply) => {
      const models = await ctx.models.list();
      return send(
        reply,
        page(request, {
          title: 'Models',
          active: '/models',
          body: models.length
            ? html`<div class="cards">${models.map((m) => {
                const v = m.versions.find((x) => x.active);
                const auc = v?.metrics.find((x) => x.name === 'roc_auc');
                return html`<a class="card model" href="/models/${m.id}"><h2>${m.name}</h2><p class="muted">${m.id} · version ${m.activeVersion} · ${m.versions.length} version${m.versions.length === 1 ? '' : 's'}</p>${auc ? html`<p>ROC AUC ${num(auc.value)}</p>` : ''}<p class="muted">${v?.description ?? ''}</p></a>`;
              })}</div>`
            : notice('info', 'No models yet.'),
        }),
      );
    },
  });

  const TABS = [
    ['metrics', 'Metrics'],
    ['plots', 'Plots'],
    ['report', 'Classification report'],
    ['card', 'Model card'],
    ['versions', 'Versions'],
  ] as const;

  route<unknown, { version?: string; tab?: string }, { id: string }>({
    method: 'GET',
    url: '/models/:id',
    access: 'models:read',
    page: true,
    summary: 'Model page',
    params: z.strictObject({ id: z.string().max(128) }),
    query: z.object({ version: z.string().max(64).optional(), tab: z.enum(['metrics', 'plots', 'report', 'card', 'versions']).optional() }),
    handler: async (request, reply) => {
      const model = await ctx.models.get(request.params.id);
      if (model.status === 'archived' && !can(principalOf(request), 'models:manage')) throw notFound(`Model '${model.id}'`);
      const { version, manifest } = await ctx.models.manifest(model.id, request.query.version);
      const tab = request.query.tab ?? 'metrics';
      const card = (manifest.modelCard ?? {}) as {
        plots?: {
          roc?: Array<{ x: number; y: number }>;
          pr?: Array<{ x: number; y: number }>;
          calibration?: Array<{ meanPredicted: number; observed: number }>;
          shapSummary?: PopulationSummary;
        };
        performance?: {
          n?: number;
          prevalence?: number;
          atThreshold?: Record<string, unknown> & { confusion?: { tp: number; fp: number; tn: number; fn: number } };
        };
        fairness?: { subgroups?: Array<Record<string, unknown>> };
      };
      let content: Html;
      if (tab === 'metrics') {
        content = manifest.metrics.length
          ? html`<table><thead><tr><th>Metric</th><th>Value</th><th>95 % interval</th><th>Data</th></tr></thead><tbody>${manifest.metrics.map(metricRow)}</tbody></table>`
          : notice('info', 'This bundle records no metrics.');
      } else if (tab === 'plots') {
        const loaded = await ctx.models.load(model.id, version);
        let shap = card.plots?.shapSummary;
        if (!shap && loaded.explainer && loaded.bundle.reference) {
          shap = (await shapSummaryOf(loaded)) ?? undefined;
        }
        content = html`<div class="charts">
          ${card.plots?.roc ? curveChart('ROC curve', card.plots.roc, { xLabel: 'False positive rate', yLabel: 'True positive rate', diagonal: true }) : notice('info', 'No ROC curve recorded.')}
          ${card.plots?.pr ? curveChart('Precision–recall curve', card.plots.pr, { xLabel: 'Recall', yLabel: 'Precision' }) : ''}
          ${
            card.plots?.calibration
              ? curveChart(
                  'Calibration',
                  card.plots.calibration.map((b) => ({ x: b.meanPredicted, y: b.observed })),
                  { xLabel: 'Predicted', yLabel: 'Observed', diagonal: true, dots: true },
                )
              : ''
          }
        </div>
        ${
          shap
            ? barChart(
                'SHAP summary: mean |contribution| per feature',
                shap.features.map((f) => ({ label: f.label, value: f.meanAbsContribution })),
              )
            : notice('info', 'No SHAP summary is available for this model.')
        }`;
      } else if (tab === 'report') {
        const at = card.performance?.atThreshold;
        const c = at?.confusion;
        content = at
          ? html`<p>At the threshold ${num(manifest.threshold)} on ${card.performance?.n ?? '?'} test patients (prevalence ${pct(card.performance?.prevalence)}):</p>
          <div class="grid2">
            <table class="confusion"><caption>Confusion matrix</caption><tr><td></td><th>Predicted positive</th><th>Predicted negative</th></tr>
              <tr><th>Actually positive</th><td class="num">${c?.tp ?? '–'}</td><td class="num">${c?.fn ?? '–'}</td></tr>
              <tr><th>Actually negative</th><td class="num">${c?.fp ?? '–'}</td><td class="num">${c?.tn ?? '–'}</td></tr></table>
            <table><caption>Classification report</caption><tbody>
              ${(['accuracy', 'sensitivity', 'specificity', 'ppv', 'npv', 'f1', 'f2'] as const).map((k) => html`<tr><th scope="row">${k}</th><td class="num">${pct(at[k])}</td></tr>`)}
            </tbody></table>
          </div>
          ${
            card.fairness?.subgroups?.length
              ? html`<h2>By subgroup</h2><table><thead><tr><th>Group</th><th>n</th><th>ROC AUC</th><th>Sensitivity</th><th>Specificity</th></tr></thead><tbody>
              ${card.fairness.subgroups.map((g) => html`<tr><td>${String(g.attribute ?? '')} ${String(g.group ?? g.label ?? '')}</td><td class="num">${String(g.n ?? '')}</td><td class="num">${num((g.rocAuc as { value?: number } | undefined)?.value ?? g.rocAuc)}</td><td class="num">${pct(g.recall ?? g.sensitivity)}</td><td class="num">${pct(g.specificity)}</td></tr>`)}
              </tbody></table>`
              : ''
          }`
          : notice('info', 'This bundle records no classification report.');
      } else if (tab === 'card') {
        content = html`<section class="card"><h2>Intended use</h2><p>${manifest.intendedUse}</p><h2>Limitations</h2><ul>${manifest.limitations.map((l) => html`<li>${l}</li>`)}</ul></section>
          <cairn-model-card id="model-card"></cairn-model-card>`;
      } else {
        content = versionsTable(model.versions);
      }
      return send(
        reply,
        page(request, {
          title: manifest.name,
          active: '/models',
          widgets: tab === 'card',
          script: tab === 'card' ? 'model-card.js' : undefined,
          data: tab === 'card' ? { manifest } : undefined,
          body: html`<p class="muted">${model.id} · showing version ${version}${version === model.activeVersion ? ' (active)' : ''}${model.status === 'archived' ? ' · archived' : ''} · <a href="/predict?model=${model.id}">predict</a></p>
          <form method="get" class="row"><input type="hidden" name="tab" value="${tab}"><label>Version <select name="version" data-autosubmit>${model.versions.map((v) => html`<option value="${v.version}"${v.version === version ? html` selected` : ''}>${v.version}${v.active ? ' (active)' : ''}</option>`)}</select></label><noscript><button>Show</button></noscript></form>
          <nav class="tabs" aria-label="Model views">${TABS.map(([id, label]) => html`<a href="/models/${model.id}?tab=${id}&amp;version=${version}"${id === tab ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
          <section class="tab">${content}</section>`,
        }),
      );
    },
  });

  route({
    method: 'GET',
    url: '/manage',
    access: 'models:manage',
    page: true,
    summary: 'Model management page',
    handler: async (request, reply) => {
      const models = await ctx.models.list({ includeArchived: true });
      return send(
        reply,
        page(request, {
          title: 'Manage models',
          active: '/manage',
          script: 'manage.js',
          body: html`<section class="card">
            <h2>Upload a bundle</h2>
            <p>A <code>.cairn</code> archive (at most ${Math.round(ctx.config.limits.bundleBytes / 1048576)} MiB). It is checked completely before it is stored: archive safety, checksums, manifest against the model graph, ${ctx.config.trustedKeyPaths.length ? 'its signature, ' : ''}a test prediction.</p>
            <form id="upload-form" class="row"><input type="file" name="bundle" accept=".cairn,.zip,application/zip" required><label class="check"><input type="checkbox" name="activate"> make it the active version</label><button type="submit">Upload</button></form>
            <div id="upload-status" role="status" aria-live="polite"></div>
          </section>
          <table class="manage"><thead><tr><th>Model</th><th>Status</th><th>Versions</th><th></th></tr></thead><tbody>
          ${models.map(
            (m) => html`<tr data-model="${m.id}"><td><a href="/models/${m.id}">${m.name}</a><br><span class="muted">${m.id}</span></td>
              <td><span class="status status-${m.status}">${m.status}</span></td>
              <td><ul class="versions">${m.versions.map(
                (
                  v,
                ) => html`<li>${v.version} <span class="muted">${v.source}, ${when(v.uploadedAt)}${v.uploadedBy ? `, ${v.uploadedBy}` : ''}</span>
                ${v.active ? html`<strong>active</strong>` : html`<button type="button" data-action="promote" data-version="${v.version}">Promote</button>`}
                <a href="/api/v1/models/${m.id}/versions/${v.version}/bundle">download</a></li>`,
              )}</ul></td>
              <td>${m.status === 'archived' ? html`<button type="button" data-action="restore">Restore</button>` : html`<button type="button" data-action="archive" class="secondary">Archive</button>`}</td></tr>`,
          )}</tbody></table>`,
        }),
      );
    },
  });

  route({
    method: 'GET',
    url: '/train',
    access: 'training',
    page: true,
    summary: 'Training page',
    handler: async (request, reply) => {
      const runs = await ctx.training.list(30);
      const defaults = Object.fromEntries(pipelines.map((p) => [p.id, p.params.parse({})]));
      return send(
        reply,
        page(request, {
          title: 'Train a model',
          active: '/train',
          script: 'train.js',
          data: { defaults },
          body: html`<form id="train-form" class="card">
            <div class="grid2">
              <fieldset><legend>Data</legend>
                <label>Training data (CSV) <input type="file" name="train" accept=".csv,text/csv" required></label>
                <label>Test data (CSV, optional) <input type="file" name="test" accept=".csv,text/csv"></label>
                <label>Target column <input name="target" required></label>
                <label>Positive when (e.g. <code>num &gt; 0</code>, <code>Outcome == 1</code>) <input name="positive"></label>
                <label>Missing values, comma-separated (default: empty, ?, NA, NaN, null) <input name="missing"></label>
                <label>Missing per column (JSON, e.g. <code>{"Glucose":[0]}</code>) <input name="columnMissing"></label>
              </fieldset>
              <fieldset><legend>Model</legend>
                <label>Model id <input name="modelId" required pattern="[A-Za-z_][A-Za-z0-9_.\\-]*"></label>
                <label>Name <input name="modelName" required></label>
                <label>Intended use <textarea name="intendedUse" required rows="2"></textarea></label>
                <label>Limitations (one per line) <textarea name="limitations" required rows="2"></textarea></label>
                <label>Pipeline <select name="pipeline">${pipelines.map((p) => html`<option value="${p.id}"${p.id === 'gbdt' ? html` selected` : ''}>${p.label}</option>`)}</select></label>
                <label>Parameters (JSON) <textarea name="params" rows="4" class="code"></textarea></label>
                <label class="check"><input type="checkbox" name="activate"> make it the active version</label>
              </fieldset>
            </div>
            <button type="submit">Start training</button>
            <div id="train-status" role="status" aria-live="polite"></div>
          </form>
          <h2>Recent runs</h2>
          <table><thead><tr><th>Started</th><th>By</th><th>Model</th><th>Pipeline</th><th>Status</th></tr></thead><tbody>
          ${runs.map((r) => html`<tr><td><a href="/train/${r.id}">${when(r.createdAt)}</a></td><td>${r.createdBy.email ?? ''}</td><td>${r.spec.model.id}${r.result ? ` ${r.result.version}` : ''}</td><td>${r.pipeline}</td><td><span class="status status-${r.status}">${r.status}</span></td></tr>`)}
          </tbody></table>`,
        }),
      );
    },
  });

  route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/train/:id',
    access: 'training',
    page: true,
    summary: 'Training run page',
    params: z.strictObject({ id: z.uuid() }),
    handler: async (request, reply) => {
      const run = await ctx.training.get(request.params.id);
      return send(
        reply,
        page(request, {
          title: `Training ${run.spec.model.name}`,
          active: '/train',
          script: 'run.js',
          data: { run },
          body: html`<section class="card">
            <dl class="facts"><dt>Model</dt><dd>${run.spec.model.id}</dd><dt>Pipeline</dt><dd>${run.pipeline}</dd><dt>Started by</dt><dd>${run.createdBy.email ?? ''}</dd><dt>Created</dt><dd>${when(run.createdAt)}</dd>
            <dt>Status</dt><dd><span id="run-status" class="status status-${run.status}">${run.status}</span></dd></dl>
            <ol id="stages" class="stages"></ol>
            <progress id="run-progress" max="1" value="0"></progress>
            <div id="run-message" role="status" aria-live="polite"></div>
            <p><button id="cancel-run" type="button" class="secondary">Cancel</button> <a id="run-model" hidden class="button" href="#">See the model</a></p>
          </section>`,
        }),
      );
    },
  });

  route({
    method: 'GET',
    url: '/admin',
    access: 'admin',
    page: true,
    summary: 'Administration page',
    handler: async (request, reply) => {
      const users = await listUsers(ctx);
      const settings = await ctx.settings.get();
      const pending = users.filter((u) => u.status === 'pending');
      const roleBoxes = (selected: readonly string[], name: string) =>
        html`${Object.entries(ROLE_LABELS).map(([r, label]) => html`<label class="check"><input type="checkbox" name="${name}" value="${r}"${selected.includes(r) ? html` checked` : ''}> ${label}</label>`)}`;
      return send(
        reply,
        page(request, {
          title: 'Administration',
          active: '/admin',
          script: 'admin.js',
          body: html`<section class="card"><h2>Pending registrations</h2>
          ${
            pending.length
              ? html`<table><thead><tr><th>Name</th><th>Email</th><th>Registered</th><th>Roles</th><th></th></tr></thead><tbody>${pending.map(
                  (
                    u,
                  ) => html`<tr data-user="${u.id}" data-email="${u.email}"><td>${u.name}</td><td>${u.email}</td><td>${when(u.createdAt)}</td><td>${roleBoxes(u.requestedRole ? [u.requestedRole] : ['clinician'], 'roles')}</td>
                  <td><button type="button" data-action="approve">Approve</button> <button type="button" data-action="reject" class="secondary">Reject</button></td></tr>`,
                )}</tbody></table>`
              : html`<p>No registrations waiting.</p>`
          }</section>
          <section class="card"><h2>Users</h2><table><thead><tr><th>Name</th><th>Email</th><th>Status</th><th>Roles</th><th></th></tr></thead><tbody>
          ${users
            .filter((u) => u.status !== 'pending')
            .map(
              (
                u,
              ) => html`<tr data-user="${u.id}" data-email="${u.email}"><td>${u.name}${u.sso ? html` <span class="muted">(SSO)</span>` : ''}</td><td>${u.email}</td><td><span class="status status-${u.status}">${u.status}</span>${u.lockedUntil ? html` <span class="muted">locked until ${when(u.lockedUntil)}</span>` : ''}</td>
              <td>${u.status === 'active' ? roleBoxes(u.roles, 'roles') : u.roles.join(', ')}</td>
              <td>${u.status === 'active' ? html`<button type="button" data-action="roles">Save roles</button> <button type="button" data-action="disable" class="secondary">Disable</button>` : u.status === 'disabled' || u.status === 'rejected' ? html`<button type="button" data-action="approve">Re-activate</button>` : ''}</td></tr>`,
            )}</tbody></table></section>
          <section class="card"><h2>Settings</h2>
            <label class="check"><input type="checkbox" id="store-inputs"${settings.storePatientInputs ? html` checked` : ''}> Store patient inputs in audit records (off: only a keyed hash of the inputs is kept)</label>
          </section>
          <div id="admin-status" role="status" aria-live="polite"></div>`,
        }),
      );
    },
  });

  route<unknown, AuditQuery, unknown>({
    method: 'GET',
    url: '/audit',
    access: 'audit',
    page: true,
    summary: 'Audit page',
    query: auditQuery,
    handler: async (request, reply) => {
      const q = request.query;
      const rows = await auditPage(ctx, q);
      const data = {
        records: rows.map(auditView) as Array<Record<string, unknown>>,
        next: rows.length === q.limit ? Number(rows[rows.length - 1]?.id) : null,
        actions: AUDIT_ACTIONS as readonly string[],
      };
      const filters = new URLSearchParams(
        Object.entries({ from: q.from, to: q.to, actor: q.actor, action: q.action, model: q.model, outcome: q.outcome }).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
        ),
      );
      return send(
        reply,
        page(request, {
          title: 'Audit log',
          active: '/audit',
          body: html`<form method="get" class="row filters">
            <label>Action <select name="action"><option value="">any</option>${['auth', 'user', 'token', 'model', 'predict', 'training', 'fhir', 'cds', 'settings', ...data.actions].map((a) => html`<option${a === q.action ? html` selected` : ''}>${a}</option>`)}</select></label>
            <label>Who <input name="actor" value="${q.actor ?? ''}"></label>
            <label>Model <input name="model" value="${q.model ?? ''}"></label>
            <label>Outcome <select name="outcome"><option value="">any</option>${['success', 'failure', 'denied'].map((o) => html`<option${o === q.outcome ? html` selected` : ''}>${o}</option>`)}</select></label>
            <label>From <input name="from" type="text" placeholder="2026-01-01T00:00:00Z" value="${q.from ?? ''}"></label>
            <label>To <input name="to" type="text" value="${q.to ?? ''}"></label>
            <button type="submit">Filter</button> <a class="button secondary" href="/api/v1/audit/export?${filters.toString()}" download>Export CSV</a>
          </form>
          <table class="audit"><thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Outcome</th><th>Target</th><th>Model</th><th>Inputs hash</th><th>Details</th></tr></thead><tbody>
          ${data.records.map(
            (
              r,
            ) => html`<tr><td>${when(String(r.at))}</td><td>${String(r.actor)}</td><td>${String(r.action)}</td><td><span class="status status-${String(r.outcome)}">${String(r.outcome)}</span></td>
              <td>${r.targetType ? `${String(r.targetType)} ${String(r.targetId ?? '')}` : ''}</td><td>${r.modelId ? `${String(r.modelId)} ${String(r.modelVersion ?? '')}` : ''}</td>
              <td><code title="${String(r.inputsHash ?? '')}">${r.inputsHash ? `${String(r.inputsHash).slice(0, 12)}…` : ''}</code></td><td class="details">${JSON.stringify(r.details ?? {})}</td></tr>`,
          )}</tbody></table>
          ${data.next ? html`<p><a href="/audit?${filters.toString()}&amp;before=${data.next}">Older records</a></p>` : ''}`,
        }),
      );
    },
  });

  route({
    method: 'GET',
    url: '/monitoring',
    access: 'monitoring',
    page: true,
    summary: 'Monitoring overview page',
    handler: async (request, reply) => {
      const models = await ctx.models.list();
      return send(
        reply,
        page(request, {
          title: 'Monitoring',
          active: '/monitoring',
          body: html`<ul class="plain">${models.map((m) => html`<li><a href="/monitoring/${m.id}">${m.name}</a> <span class="muted">(${m.id}, active ${m.activeVersion})</span></li>`)}</ul>`,
        }),
      );
    },
  });

  route<unknown, { version?: string; hours: number }, { id: string }>({
    method: 'GET',
    url: '/monitoring/:id',
    access: 'monitoring',
    page: true,
    summary: 'Monitoring page of a model',
    params: z.strictObject({ id: z.string().max(128) }),
    query: z.object({
      version: z.string().max(64).optional(),
      hours: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 366)
        .default(24 * 7),
    }),
    handler: async (request, reply) => {
      const model = await ctx.models.get(request.params.id);
      const r = await monitoringReport(ctx, model.id, request.query.version, request.query.hours);
      return send(
        reply,
        page(request, {
          title: `Monitoring: ${model.name}`,
          active: '/monitoring',
          body: html`<form method="get" class="row"><label>Version <select name="version">${model.versions.map((v) => html`<option${v.version === r.version ? html` selected` : ''}>${v.version}</option>`)}</select></label>
            <label>Period <select name="hours">${[24, 24 * 7, 24 * 30, 24 * 365].map((h) => html`<option value="${h}"${h === r.hours ? html` selected` : ''}>${h < 48 ? 'last day' : h < 200 ? 'last week' : h < 1000 ? 'last 30 days' : 'last year'}</option>`)}</select></label><button>Show</button></form>
          <div class="cards">
            <div class="card"><h2>${r.totals.count}</h2><p>predictions</p></div>
            <div class="card"><h2>${pct(r.totals.positiveRate)}</h2><p>above the threshold</p></div>
            <div class="card"><h2>${r.totals.latencyP50Ms ?? '–'} / ${r.totals.latencyP95Ms ?? '–'} ms</h2><p>latency p50 / p95 (bucket bounds)</p></div>
          </div>
          ${columnChart(
            'Predictions per hour',
            r.series.map((s) => ({ label: s.bucket, value: s.count })),
          )}
          <h2>Input drift</h2>
          ${
            r.driftUnavailable
              ? notice('info', `Drift is unavailable: ${r.driftUnavailable}.`)
              : html`<p>Population stability index of each input against the bundle's reference data, from hourly histograms (no patient rows are stored). Below 0.1: stable; 0.1–0.25: moderate shift; above 0.25: major shift.</p>
            <table class="drift"><thead><tr><th>Feature</th><th>Observations</th><th>PSI</th><th>Status</th><th>Distribution</th></tr></thead><tbody>
            ${r.drift.map((d) => html`<tr><td>${d.label}</td><td class="num">${d.observations}</td><td class="num">${num(d.psi)}</td><td>${d.status ? html`<span class="status status-${d.status}">${d.status}</span>` : '–'}</td><td><details><summary>bins</summary>${binBars(d.bins)}</details></td></tr>`)}
            </tbody></table>`
          }`,
        }),
      );
    },
  });
}

function versionsTable(versions: readonly VersionSummary[]): Html {
  const names = [...new Set(versions.flatMap((v) => v.metrics.map((m) => m.name)))];
  return html`<table class="side-by-side"><thead><tr><th></th>${versions.map((v) => html`<th>${v.version}${v.active ? ' (active)' : ''}</th>`)}</tr></thead><tbody>
    <tr><th scope="row">source</th>${versions.map((v) => html`<td>${v.source}</td>`)}</tr>
    <tr><th scope="row">added</th>${versions.map((v) => html`<td>${when(v.uploadedAt)}</td>`)}</tr>
    <tr><th scope="row">by</th>${versions.map((v) => html`<td>${v.uploadedBy ?? 'system'}</td>`)}</tr>
    <tr><th scope="row">signed</th>${versions.map((v) => html`<td>${v.signature ? 'yes' : 'no'}</td>`)}</tr>
    <tr><th scope="row">model SHA-256</th>${versions.map((v) => html`<td><code>${v.modelSha256.slice(0, 12)}…</code></td>`)}</tr>
    ${names.map((n) => html`<tr><th scope="row">${n}</th>${versions.map((v) => html`<td class="num">${num(v.metrics.find((m) => m.name === n)?.value)}</td>`)}</tr>`)}
  </tbody></table>`;
}
