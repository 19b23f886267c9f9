// Training run page: live progress over server-sent events, cancellation, and the result.
import { api, pageData, problemText, say } from './common.js';

let { run } = pageData();
const statusEl = document.getElementById('run-status');
const stagesEl = document.getElementById('stages');
const progress = document.getElementById('run-progress');
const message = document.getElementById('run-message');
const cancel = document.getElementById('cancel-run');
const modelLink = document.getElementById('run-model');
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

function render() {
  statusEl.textContent = run.status;
  statusEl.className = `status status-${run.status}`;
  const stages = run.progress.stages ?? [];
  const current = stages.indexOf(run.progress.stage);
  stagesEl.replaceChildren(
    ...stages.map((s, i) => {
      const li = document.createElement('li');
      li.textContent = s;
      if (run.status === 'succeeded' || i < current) li.className = 'done';
      else if (i === current && run.status === 'running') li.className = 'current';
      return li;
    }),
  );
  const overall = run.status === 'succeeded' ? 1 : current < 0 ? 0 : (current + (run.progress.fraction ?? 0)) / Math.max(1, stages.length);
  progress.value = overall;
  progress.setAttribute('aria-valuetext', `${Math.round(overall * 100)} %`);
  cancel.hidden = TERMINAL.includes(run.status) || run.cancelRequested;
  if (run.status === 'succeeded' && run.result) {
    modelLink.href = `/models/${encodeURIComponent(run.result.modelId)}?version=${encodeURIComponent(run.result.version)}`;
    modelLink.textContent = `See ${run.result.modelId} ${run.result.version} under Models`;
    modelLink.hidden = false;
    say(message, 'Training finished; the model was checked and installed.', 'success');
  } else if (run.status === 'failed' || run.status === 'cancelled') {
    say(message, run.error?.message ?? run.status, run.status === 'failed' ? 'error' : 'info');
  } else if (run.status === 'running') {
    say(message, `Running on ${run.instance}: ${run.progress.stage ?? ''} ${Math.round((run.progress.fraction ?? 0) * 100)} %`);
  } else say(message, 'Queued: waiting for a server to take the run.');
}

render();
if (!TERMINAL.includes(run.status)) {
  const events = new EventSource(`/api/v1/training-runs/${run.id}/events`);
  events.addEventListener('run', (event) => {
    run = JSON.parse(event.data);
    render();
    if (TERMINAL.includes(run.status)) events.close();
  });
}

cancel.addEventListener('click', async () => {
  cancel.disabled = true;
  try {
    ({ run } = await api(`/api/v1/training-runs/${run.id}/cancel`, { method: 'POST' }));
    render();
  } catch (error) {
    say(message, problemText(error), 'error');
    cancel.disabled = false;
  }
});
