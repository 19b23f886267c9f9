// Admin page: approve or reject registrations, change roles, disable users, settings.
import { api, problemText, say } from './common.js';

const status = document.getElementById('admin-status');

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const row = button.closest('tr');
  const id = row.dataset.user;
  const roles = [...row.querySelectorAll('input[name="roles"]:checked')].map((i) => i.value);
  const action = button.dataset.action;
  button.disabled = true;
  try {
    if (action === 'approve')
      await api(`/api/v1/users/${id}/approve`, { method: 'POST', json: { roles: roles.length ? roles : ['clinician'] } });
    else if (action === 'reject') await api(`/api/v1/users/${id}/reject`, { method: 'POST' });
    else if (action === 'roles') await api(`/api/v1/users/${id}/roles`, { method: 'PUT', json: { roles } });
    else if (action === 'disable') await api(`/api/v1/users/${id}/disable`, { method: 'POST' });
    location.reload();
  } catch (error) {
    say(status, problemText(error), 'error');
    button.disabled = false;
  }
});

document.getElementById('store-inputs').addEventListener('change', async (event) => {
  try {
    await api('/api/v1/settings', { method: 'PUT', json: { storePatientInputs: event.target.checked } });
    say(
      status,
      event.target.checked ? 'Patient inputs will be stored in audit records.' : 'Patient inputs will no longer be stored.',
      'success',
    );
  } catch (error) {
    say(status, problemText(error), 'error');
  }
});
