import type { FastifyRequest } from 'fastify';
import { can, type Permission, type Principal } from '../auth/access.js';
import type { Problem } from '../http/problem.js';
import { type Html, html, jsonData } from './html.js';

/** What a page shows. */
export interface PageOptions {
  readonly title: string;
  readonly body: Html;
  /** A module in /static/pages/ that makes the page interactive. */
  readonly script?: string;
  /** Data for the script, embedded as JSON. */
  readonly data?: unknown;
  /** Load the Cairn web components. */
  readonly widgets?: boolean;
  /** CSRF token for forms of anonymous visitors (signed-in pages use the session's). */
  readonly csrf?: string;
  readonly active?: string;
}

const NAV: ReadonlyArray<{ href: string; label: string; permission: Permission }> = [
  { href: '/predict', label: 'Predict', permission: 'predict' },
  { href: '/models', label: 'Models', permission: 'models:read' },
  { href: '/manage', label: 'Manage models', permission: 'models:manage' },
  { href: '/train', label: 'Train', permission: 'training' },
  { href: '/monitoring', label: 'Monitoring', permission: 'monitoring' },
  { href: '/audit', label: 'Audit', permission: 'audit' },
  { href: '/admin', label: 'Admin', permission: 'admin' },
];

function nav(p: Principal | undefined, active: string | undefined): Html {
  if (!p) return html`<nav aria-label="Main"><a href="/login">Sign in</a><a href="/register">Register</a></nav>`;
  const items = NAV.filter((n) => can(p, n.permission));
  return html`<nav aria-label="Main">
    ${items.map((n) => html`<a href="${n.href}"${n.href === active ? html` aria-current="page"` : ''}>${n.label}</a>`)}
    <a href="/api/docs">API</a>
    <span class="spacer"></span>
    <a href="/account"${active === '/account' ? html` aria-current="page"` : ''}>${p.name}</a>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${p.csrfToken ?? ''}"><button class="link" type="submit">Sign out</button></form>
  </nav>`;
}

/** Renders a full page around its body. */
export function page(request: FastifyRequest, o: PageOptions): string {
  const p = request.principal;
  const csrf = p?.csrfToken ?? o.csrf ?? '';
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${csrf}">
<title>${o.title} · Cairn</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
${o.widgets ? html`<script type="module" src="/widgets/cairn-widget.js"></script>` : ''}
<script type="module" src="/static/pages/${o.script ?? 'common.js'}"></script>
</head>
<body>
<header class="top"><a class="brand" href="/">Cairn</a>${nav(p, o.active)}</header>
<main id="main">
<h1>${o.title}</h1>
${o.body}
</main>
${o.data !== undefined ? html`<script type="application/json" id="page-data">${jsonData(o.data)}</script>` : ''}
<footer>Cairn reference server · decision support only: predictions inform, they do not replace clinical judgement.</footer>
</body>
</html>`}`;
}

/** An error page (access refused, not found, failures) in the same layout. */
export function errorPage(request: FastifyRequest, problem: Problem): string {
  const pending = request.principal && request.principal.status !== 'active';
  return page(request, {
    title: problem.status === 404 ? 'Not found' : problem.status === 403 ? 'Not allowed' : problem.title,
    body: html`<div class="notice error" role="alert"><p>${problem.detail}</p>
      ${problem.issues.length > 0 ? html`<ul>${problem.issues.map((i) => html`<li>${i.field ? html`<code>${i.field}</code>: ` : ''}${i.message}</li>`)}</ul>` : ''}
    </div>
    <p>${pending ? html`<a href="/account">See your account status</a>` : html`<a href="/">Back to the start</a>`}</p>`,
  });
}

/** A short notice box. */
export function notice(kind: 'info' | 'error' | 'success', text: string | Html): Html {
  return html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>`;
}
