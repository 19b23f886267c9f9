// biome-ignore-all lint/suspicious/noExplicitAny: parsed YAML is loosely typed
// The deployment files cannot be run here (no Docker engine, no cluster): they are checked by reading.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig, REPO_ROOT } from './config.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');

function docs(file: string): any[] {
  const parsed = parseAllDocuments(readFileSync(join(K8S, file), 'utf8'));
  for (const d of parsed) expect(d.errors, file).toEqual([]);
  return parsed.map((d) => d.toJS());
}

const all = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => docs(f).map((d) => ({ file: f, doc: d })));
const find = (kind: string) => all.find((x) => x.doc?.kind === kind)?.doc;

describe('Kubernetes manifests', () => {
  it('parse, and every object has an apiVersion, kind and name', () => {
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const { file, doc } of all) {
      expect(typeof doc.apiVersion, file).toBe('string');
      expect(typeof doc.kind, file).toBe('string');
      if (doc.kind !== 'Kustomization') expect(doc.metadata?.name, file).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it('run several non-root replicas with probes on the health endpoints and secret-based configuration', () => {
    const d = find('Deployment');
    expect(d.spec.replicas).toBeGreaterThan(1);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.envFrom.map((e: any) => Object.keys(e)[0]).sort()).toEqual(['configMapRef', 'secretRef']);
    expect(c.envFrom.find((e: any) => e.secretRef).secretRef.name).toBe(find('Secret').metadata.name);
    expect(c.envFrom.find((e: any) => e.configMapRef).configMapRef.name).toBe(find('ConfigMap').metadata.name);
    // Shutdown: the grace period outlasts the server's own shutdown timeout.
    const config = find('ConfigMap').data;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(config.SHUTDOWN_TIMEOUT_SECONDS) + 5);
    // The bundle volume is mounted where the server keeps bundles, and /tmp is writable.
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    expect(config.BUNDLE_DIR.startsWith(Object.keys(mounts).find((p) => config.BUNDLE_DIR.startsWith(p)) as string)).toBe(true);
    expect(mounts['/tmp']).toBeDefined();
    for (const name of Object.values(mounts)) expect(pod.volumes.map((v: any) => v.name)).toContain(name);
    expect(c.ports[0].containerPort).toBe(Number(config.PORT));
  });

  it('wire the Service to the pods and the Ingress to the Service', () => {
    const d = find('Deployment');
    const svc = find('Service');
    const ing = find('Ingress');
    const labels = d.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    expect(svc.spec.ports[0].targetPort).toBe(d.spec.template.spec.containers[0].ports[0].name);
    const backend = ing.spec.rules[0].http.paths[0].backend.service;
    expect(backend.name).toBe(svc.metadata.name);
    expect(backend.port.name).toBe(svc.spec.ports[0].name);
    expect(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
  });

  it('configure only variables the server knows, with values it accepts', () => {
    const config = find('ConfigMap').data;
    const secret = find('Secret').stringData;
    for (const key of [...Object.keys(config), ...Object.keys(secret)]) expect(CONFIG_VARIABLES, key).toContain(key);
    expect(() => loadConfig({ ...config, ...secret })).not.toThrow();
  });

  it('lists every manifest in the kustomization (except the example secret)', () => {
    const k = find('Kustomization');
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !f.includes('example'));
    expect([...k.resources].sort()).toEqual(files.sort());
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => !l.trim().startsWith('#'));

  it('builds in stages and runs the built server as an unprivileged user', () => {
    expect(lines.filter((l) => /^FROM\s/.test(l)).length).toBeGreaterThanOrEqual(2);
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/\nUSER\s+10001/);
    expect(runtime).toMatch(/EXPOSE 8080/);
    expect(runtime).toMatch(/HEALTHCHECK .*\n?.*\/healthz/);
    expect(runtime).toMatch(/CMD \["node", "reference-server\/dist\/main\.js"\]/);
    expect(existsSync(join(REPO_ROOT, 'reference-server', 'tsup.config.ts'))).toBe(true);
  });

  it('copies files that exist, including every workspace manifest (npm ci needs them)', () => {
    const sources = lines
      .filter((l) => /^COPY\s/.test(l) && !l.includes('--from='))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+/, '')
          .split(/\s+/)
          .slice(0, -1),
      );
    for (const s of sources) expect(existsSync(join(REPO_ROOT, s)), s).toBe(true);
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const manifests = root.workspaces.flatMap((w) =>
      w.endsWith('/*')
        ? readdirSync(join(REPO_ROOT, w.slice(0, -2)))
            .map((d) => `${w.slice(0, -2)}/${d}/package.json`)
            .filter((p) => existsSync(join(REPO_ROOT, p)))
        : [`${w}/package.json`],
    );
    for (const m of manifests) expect(sources, m).toContain(m);
  });
});
