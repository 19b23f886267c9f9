// Train page: builds the run request from the form and follows it on its own page.
import { api, pageData, problemText, say } from './common.js';

const { defaults } = pageData();
const form = document.getElementById('train-form');
const status = document.getElementById('train-status');
const params = form.elements.params;
const fillDefaults = () => {
  params.value = JSON.stringify(defaults[form.elements.pipeline.value] ?? {}, null, 2);
};
form.elements.pipeline.addEventListener('change', fillDefaults);
fillDefaults();

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = form.elements;
  const list = (text) =>
    text
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean);
  let columnMissing;
  let parsedParams;
  try {
    columnMissing = f.columnMissing.value.trim() ? JSON.parse(f.columnMissing.value) : undefined;
    parsedParams = f.params.value.trim() ? JSON.parse(f.params.value) : {};
  } catch (error) {
    say(status, `Parameters and missing-per-column must be JSON: ${error.message}`, 'error');
    return;
  }
  // Only parameters that differ from the pipeline's defaults are sent.
  const base = defaults[f.pipeline.value] ?? {};
  const changed = Object.fromEntries(Object.entries(parsedParams).filter(([k, v]) => JSON.stringify(base[k]) !== JSON.stringify(v)));
  const spec = {
    target: f.target.value.trim(),
    ...(f.positive.value.trim() ? { positive: f.positive.value.trim() } : {}),
    ...(f.missing.value.trim() ? { missing: list(f.missing.value) } : {}),
    ...(columnMissing ? { columnMissing } : {}),
    model: {
      id: f.modelId.value.trim(),
      name: f.modelName.value.trim(),
      intendedUse: f.intendedUse.value.trim(),
      limitations: list(f.limitations.value),
    },
    ...(f.activate.checked ? { activate: true } : {}),
  };
  const fd = new FormData();
  fd.append('pipeline', f.pipeline.value);
  fd.append('params', JSON.stringify(changed));
  fd.append('spec', JSON.stringify(spec));
  fd.append('train', f.train.files[0], f.train.files[0].name);
  if (f.test.files[0]) fd.append('test', f.test.files[0], f.test.files[0].name);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  say(status, 'Uploading and checking the data…');
  try {
    const { run } = await api('/api/v1/training-runs', { method: 'POST', body: fd });
    location.assign(`/train/${run.id}`);
  } catch (error) {
    say(status, problemText(error), 'error');
    button.disabled = false;
  }
});
