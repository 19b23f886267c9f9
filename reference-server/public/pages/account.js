// Account page: API tokens.
import { api, problemText, say } from './common.js';

const table = document.querySelector('#tokens tbody');
const secret = document.getElementById('token-secret');
const day = (iso) => (iso ? iso.slice(0, 10) : '–');

async function load() {
  const { tokens } = await api('/api/v1/tokens');
  table.replaceChildren(
    ...tokens.map((t) => {
      const tr = document.createElement('tr');
      for (const text of [t.name, t.role, day(t.createdAt), day(t.expiresAt), day(t.lastUsedAt)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      if (t.revokedAt) td.textContent = 'revoked';
      else {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'secondary';
        b.textContent = 'Revoke';
        b.addEventListener('click', async () => {
          await api(`/api/v1/tokens/${t.id}`, { method: 'DELETE' });
          await load();
        });
        td.append(b);
      }
      tr.append(td);
      return tr;
    }),
  );
}

document.getElementById('token-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  try {
    const created = await api('/api/v1/tokens', {
      method: 'POST',
      json: { name: f.name.value, role: f.role.value, ...(f.expiresInDays.value ? { expiresInDays: Number(f.expiresInDays.value) } : {}) },
    });
    secret.className = 'secret';
    secret.textContent = `Copy this token now; it is not shown again: ${created.token}`;
    secret.hidden = false;
    event.target.reset();
    await load();
  } catch (error) {
    say(secret, problemText(error), 'error');
  }
});

await load();
