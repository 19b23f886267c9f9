// Predict page: the generated form (cairn-risk-form), optional FHIR loading, and the prediction call.
import { api, pageData, problemText, say } from './common.js';

const data = pageData();
const status = document.getElementById('predict-status');
await customElements.whenDefined('cairn-risk-form');
const form = document.getElementById('risk-form');
form.features = data.features;

form.addEventListener('cairn-submit', async (event) => {
  form.disabled = true;
  say(status, 'Predicting…');
  const inputs = event.detail.values;
  try {
    const response = await api(`/api/v1/models/${encodeURIComponent(data.model.id)}/predict`, { method: 'POST', json: { inputs } });
    // The result page reads the prediction from this tab's storage: the server keeps no patient values.
    sessionStorage.setItem(
      'cairn:last-prediction',
      JSON.stringify({ modelId: data.model.id, inputs, response, at: new Date().toISOString() }),
    );
    location.assign('/result');
  } catch (error) {
    say(status, problemText(error), 'error');
    form.disabled = false;
  }
});

const fhirForm = document.getElementById('fhir-form');
const summary = document.getElementById('fhir-summary');

async function loadPatient(patientId) {
  say(summary, `Reading patient ${patientId}…`);
  try {
    const extraction = await api(`/api/v1/models/${encodeURIComponent(data.model.id)}/fhir/patients/${encodeURIComponent(patientId)}`);
    form.values = extraction.record;
    const missing = extraction.missing.map((m) => {
      const f = data.features.find((x) => x.name === m.feature);
      return `${f?.label ?? m.feature} (${m.reason})`;
    });
    say(
      summary,
      missing.length
        ? `Loaded. Please complete: ${missing.join(', ')}.`
        : 'Loaded: every value came from the record. Check them before predicting.',
      missing.length ? 'info' : 'success',
    );
  } catch (error) {
    say(summary, problemText(error), 'error');
  }
}

fhirForm?.addEventListener('submit', (event) => {
  event.preventDefault();
  const id = new FormData(fhirForm).get('patientId');
  if (typeof id === 'string' && id) void loadPatient(id);
});
if (fhirForm && data.smartPatientId) void loadPatient(data.smartPatientId);
