// Helpers shared by the page scripts: CSRF-protected fetch, problem documents, page data.

/** The CSRF token of the page (the session's, or the anonymous double-submit token). */
export const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/** The JSON the server embedded for this page. */
export function pageData() {
  const el = document.getElementById('page-data');
  return el ? JSON.parse(el.textContent ?? 'null') : null;
}

/** An error carrying the server's problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `The server answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API with the session cookie and CSRF token; JSON in, JSON (or a Response for non-JSON) out. */
export async function api(path, { method = 'GET', json, body, raw = false } = {}) {
  const headers = { 'x-csrf-token': csrfToken(), accept: 'application/json' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: json !== undefined ? JSON.stringify(json) : body, credentials: 'same-origin' });
  if (!res.ok) {
    let problem;
    try {
      problem = await res.json();
    } catch {
      problem = undefined;
    }
    throw new ApiError(res.status, problem);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

/** Shows a message in a status element (text only). */
export function say(el, text, kind = 'info') {
  if (!el) return;
  el.className = `notice ${kind}`;
  el.textContent = text;
  el.hidden = false;
}

/** A problem's detail with its issues, as text. */
export function problemText(error) {
  const issues = error?.problem?.issues ?? [];
  const list = issues.filter((i) => i.severity !== 'warning').map((i) => `${i.field || i.path?.join('.') || ''}: ${i.message}`);
  return [error.message, ...list.slice(0, 5)].join('\n');
}

// Selects marked data-autosubmit submit their form when changed.
for (const select of document.querySelectorAll('select[data-autosubmit]')) {
  select.addEventListener('change', () => select.form?.submit());
}
