// Result page: probability, band, contribution chart, narrative, the data used, and the PDF report.
import { api, pageData, problemText } from './common.js';

const data = pageData();
const stored = JSON.parse(sessionStorage.getItem('cairn:last-prediction') ?? 'null');
if (!stored || stored.modelId !== data.last.modelId) {
  document.getElementById('result-missing').hidden = false;
} else {
  await Promise.all(['cairn-risk-result', 'cairn-contributions'].map((t) => customElements.whenDefined(t)));
  const { prediction, explanation, narrative } = stored.response;
  const result = document.getElementById('risk-result');
  result.prediction = prediction;
  if (data.riskBands) result.riskBands = data.riskBands;
  result.modelName = data.modelName;
  document.getElementById('contributions').explanation = explanation;
  document.getElementById('narrative').textContent = narrative?.text ?? (explanation ? '' : 'No explanation is available for this model.');
  const body = document.querySelector('#data-used tbody');
  const rows =
    explanation?.contributions ?? Object.entries(prediction.values).map(([feature, value]) => ({ feature, label: feature, value }));
  for (const c of rows) {
    const tr = document.createElement('tr');
    const value =
      c.value === null ? 'missing' : typeof c.value === 'boolean' ? (c.value ? 'yes' : 'no') : (c.valueLabel ?? String(c.value));
    for (const text of [c.label, value, c.unit ?? '', typeof c.contribution === 'number' ? c.contribution.toFixed(3) : '']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  const warnings = prediction.warnings ?? [];
  if (warnings.length) {
    const list = document.createElement('ul');
    for (const w of warnings) {
      const li = document.createElement('li');
      li.textContent = `${w.path?.join('.') ?? ''}: ${w.message}`;
      list.append(li);
    }
    document.getElementById('warnings').append(list);
  }
  document.getElementById('result').hidden = false;

  const button = document.getElementById('download-pdf');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const res = await api(`/api/v1/models/${encodeURIComponent(stored.modelId)}/report`, {
        method: 'POST',
        json: { inputs: stored.inputs },
        raw: true,
      });
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `cairn-report-${stored.modelId}-${prediction.modelVersion}.pdf`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      alert(problemText(error));
    } finally {
      button.disabled = false;
    }
  });
}
