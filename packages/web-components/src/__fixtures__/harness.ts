// Browser test harness (Node only): builds the standalone widget once (cached by content hash),
// serves it with bundles, a FHIR server and a predict endpoint on 127.0.0.1, and drives Debian's
// Chromium through playwright-core. Never downloads a browser.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** The package folder (packages/web-components). */
export const PACKAGE_DIR = join(import.meta.dirname, '../..');
const REPO_DIR = join(PACKAGE_DIR, '../..');

/** Debian's Chromium; browser tests skip when it is absent. */
export const CHROMIUM = '/usr/bin/chromium';

/** True when the browser tests can run here. */
export const chromiumAvailable = existsSync(CHROMIUM);

/** Launches headless Chromium with the flags a sandboxed CI machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

function listFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listFiles(p, out);
    else if (!name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Hash of everything the standalone build reads from this repository. */
function sourceHash(): string {
  const h = createHash('sha256');
  const dirs = ['packages/web-components/src', 'packages/core/src', 'packages/fhir-adapter/src'].map((d) => join(REPO_DIR, d));
  for (const file of [...dirs.flatMap((d) => listFiles(d)), join(PACKAGE_DIR, 'vite.config.ts')].sort()) {
    h.update(relative(REPO_DIR, file));
    h.update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

let built: Promise<string> | undefined;

/**
 * Builds the standalone widget bundle with the package's Vite config, into a cache folder named by
 * the hash of the sources (so test files, the bench and the screenshot script share one build).
 */
export function buildStandalone(): Promise<string> {
  built ??= (async () => {
    const cache = join(REPO_DIR, 'node_modules/.cache/cairn-web-components');
    const dir = join(cache, `standalone-${sourceHash()}`);
    if (existsSync(join(dir, 'cairn-widget.js'))) return dir;
    mkdirSync(cache, { recursive: true });
    for (const old of readdirSync(cache)) {
      const p = join(cache, old);
      // Builds of older sources; an hour's grace for a test run still serving one.
      if (p !== dir && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
    }
    const tmp = join(tmpdir(), `cairn-wc-build-${process.pid}-${Date.now()}`);
    const { build } = await import('vite');
    await build({
      configFile: join(PACKAGE_DIR, 'vite.config.ts'),
      root: PACKAGE_DIR,
      logLevel: 'error',
      build: { outDir: tmp, emptyOutDir: true, sourcemap: false },
    });
    try {
      renameSync(tmp, dir);
    } catch {
      // Another test file built the same sources first.
      rmSync(tmp, { recursive: true, force: true });
    }
    return dir;
  })();
  return built;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
  '.cairn': 'application/octet-stream',
  '.css': 'text/css',
};

/** A route: return true when it answered. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => boolean | Promise<boolean>;

/** The test server. */
export interface TestServer {
  readonly origin: string;
  /** Registers a page at `/pages/<name>.html` and returns its URL. */
  page(name: string, html: string): string;
  /** Serves bytes at a path. */
  file(path: string, bytes: Uint8Array | string, type?: string): string;
  /** JSON or file requests seen, for assertions. */
  readonly requests: Array<{ method: string; path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Folder of the standalone build, served at /widget/. */
  readonly widgetDir: string;
  readonly routes?: readonly Route[];
  /** Serve pages with COOP/COEP so they are cross-origin isolated. */
  readonly isolated?: boolean;
}

function sendFile(res: ServerResponse, file: string, headers: Record<string, string>): boolean {
  if (!existsSync(file) || !statSync(file).isFile()) return false;
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
  res.end(readFileSync(file));
  return true;
}

/** Starts a static server on 127.0.0.1 with an ephemeral port: /widget/, /ort/, /fonts/, /example/, pages, files and routes. */
export async function startServer(options: ServerOptions): Promise<TestServer> {
  const mounts: Array<[string, string]> = [
    ['/widget/', options.widgetDir],
    // The example page loads ../dist/standalone/cairn-widget.js.
    ['/dist/standalone/', options.widgetDir],
    ['/ort/', dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))],
    ['/fonts/', join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf')],
    ['/example/', join(PACKAGE_DIR, 'example')],
  ];
  const memory = new Map<string, { bytes: Uint8Array | string; type: string }>();
  const requests: TestServer['requests'] = [];
  const isolation: Record<string, string> = options.isolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });
        const body = Buffer.concat(chunks).toString('utf8');
        for (const route of options.routes ?? []) if (await route(req, res, url, body)) return;
        const mem = memory.get(url.pathname);
        if (mem) {
          res.writeHead(200, { 'content-type': mem.type, ...isolation });
          res.end(mem.bytes);
          return;
        }
        for (const [prefix, dir] of mounts) {
          if (!url.pathname.startsWith(prefix)) continue;
          const file = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html'));
          if (!file.startsWith(dir + sep) && file !== dir) break;
          if (sendFile(res, file, isolation)) return;
        }
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    page(name, html) {
      memory.set(`/pages/${name}.html`, { bytes: html, type: 'text/html; charset=utf-8' });
      return `${origin}/pages/${name}.html`;
    },
    file(path, bytes, type) {
      memory.set(path, { bytes, type: type ?? TYPES[extname(path)] ?? 'application/octet-stream' });
      return `${origin}${path}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * A host page with the widget: attributes as given, a host button that must keep working, and
 * every `cairn-prediction` / `cairn-error` event recorded in `window.cairnEvents`.
 */
export function widgetPage(attributes: Readonly<Record<string, string>>, options: { head?: string; script?: string } = {}): string {
  const attrs = Object.entries(attributes)
    .map(([k, v]) => `${k}="${escapeAttr(v)}"`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cairn widget test page</title>
<style>body { font: 16px serif; color: #000; margin: 16px; } input { all: unset; } h2 { color: red; }</style>
${options.head ?? ''}
<script>
  window.cairnEvents = [];
  for (const type of ['cairn-prediction', 'cairn-error']) {
    document.addEventListener(type, (e) => window.cairnEvents.push({ type, detail: JSON.parse(JSON.stringify(e.detail, (k, v) => (k === 'cause' ? undefined : v))) }));
  }
</script>
<script type="module" src="/widget/cairn-widget.js"></script>
</head>
<body>
<main>
<h1>Host page</h1>
<button id="host-button" type="button" onclick="this.nextElementSibling.textContent = String(Number(this.nextElementSibling.textContent) + 1)">Host button</button><output id="host-count">0</output>
<cairn-prediction-widget ${attrs}></cairn-prediction-widget>
</main>
${options.script ? `<script type="module">${options.script}</script>` : ''}
</body>
</html>`;
}

/** Reads the text of a PDF with pdfjs-dist, page by page. */
export async function pdfText(bytes: Uint8Array): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: false }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(content.items.map((it) => ('str' in it ? it.str : '')).join(' '));
  }
  await doc.destroy();
  return pages;
}

/** The entry and every chunk it imports statically: what a page downloads before the widget renders. */
export function staticClosure(dir: string, entry = 'cairn-widget.js'): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const code = readFileSync(join(dir, path), 'utf8');
    for (const m of code.matchAll(/(?:import|export)\s*(?:[^'"()]*?from\s*)?["']\.\.?\/((?:chunks\/)?[\w.-]+\.js)["']/g)) {
      const target = path.startsWith('chunks/') && !m[1]?.startsWith('chunks/') ? `chunks/${m[1]}` : (m[1] as string);
      visit(target);
    }
  };
  visit(entry);
  return [...seen];
}
