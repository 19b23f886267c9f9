// Manage models: upload, promote, archive and restore.
import { api, problemText, say } from './common.js';

const status = document.getElementById('upload-status');
const form = document.getElementById('upload-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const fd = new FormData();
  const file = form.elements.bundle.files[0];
  if (!file) return;
  fd.append('bundle', file, file.name);
  const button = form.querySelector('button');
  button.disabled = true;
  say(status, 'Uploading and checking…');
  try {
    const r = await api(`/api/v1/models${form.elements.activate.checked ? '?activate=true' : ''}`, { method: 'POST', body: fd });
    say(status, `Installed ${r.modelId} ${r.version}.${r.warnings.length ? ` Note: ${r.warnings.join(' ')}` : ''}`, 'success');
    setTimeout(() => location.reload(), 800);
  } catch (error) {
    say(status, problemText(error), 'error');
  } finally {
    button.disabled = false;
  }
});

document.querySelector('table.manage')?.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const id = button.closest('tr').dataset.model;
  const action = button.dataset.action;
  const path =
    action === 'promote'
      ? `/api/v1/models/${encodeURIComponent(id)}/versions/${encodeURIComponent(button.dataset.version)}/promote`
      : `/api/v1/models/${encodeURIComponent(id)}/${action}`;
  button.disabled = true;
  try {
    await api(path, { method: 'POST' });
    location.reload();
  } catch (error) {
    say(status, problemText(error), 'error');
    button.disabled = false;
  }
});
