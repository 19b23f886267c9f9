import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to PGlite in ./data and port 8080', () => {
    const c = loadConfig({}, '/srv/cairn');
    expect(c.port).toBe(8080);
    expect(c.database).toEqual({ kind: 'pglite', dir: '/srv/cairn/data/pglite' });
    expect(c.bundleDir).toBe('/srv/cairn/data/bundles');
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.cookieSecure).toBe(true);
    expect(c.hsts).toBe(false);
    expect(c.oidc).toBeUndefined();
  });

  it('switches to PostgreSQL with DATABASE_URL', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/cairn', PUBLIC_URL: 'https://cairn.example.org/' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/cairn' });
    expect(c.publicUrl).toBe('https://cairn.example.org');
    expect(c.hsts).toBe(true);
  });

  it('lists every bad variable with the rule it broke', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        COOKIE_SECURE: 'maybe',
        ADMIN_PASSWORD: 'short',
        OIDC_ROLE_MAP: 'admins=superuser',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const vars = error?.problems.map((p) => p.split(':')[0]).sort();
    expect(vars).toEqual(['ADMIN_PASSWORD', 'COOKIE_SECURE', 'DATABASE_URL', 'OIDC_ROLE_MAP', 'PORT']);
    expect(error?.message).toMatch(/PORT: must be a whole number/);
    expect(error?.message).toMatch(/DATABASE_URL: must start with postgres:\/\//);
  });

  it('checks settings that depend on each other', () => {
    expect(() => loadConfig({ OIDC_CLIENT_ID: 'cairn' })).toThrow(/OIDC_ISSUER: required when OIDC_CLIENT_ID is set/);
    expect(() => loadConfig({ SMART_CLIENT_ID: 'cairn' })).toThrow(/SMART_ALLOWED_ISSUERS/);
    const c = loadConfig({
      OIDC_ISSUER: 'https://idp.example.org/',
      OIDC_CLIENT_ID: 'cairn',
      OIDC_SCOPES: 'email',
      OIDC_ROLE_MAP: 'doctors=clinician, ds=data_scientist, admins=admin, ds=clinician',
    });
    expect(c.oidc).toMatchObject({ issuer: 'https://idp.example.org', scopes: 'openid email' });
    expect(c.oidc?.roleMap).toEqual({ doctors: ['clinician'], ds: ['data_scientist', 'clinician'], admins: ['admin'] });
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).database.kind).toBe('pglite');
  });

  it('documents every variable in the README', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const missing = CONFIG_VARIABLES.filter((v) => !readme.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });
});
