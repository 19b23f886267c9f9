import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { SERVER_ROOT } from '../config.js';

/** Where the web components' standalone bundle is (built by `npm run build -w @cairn/web-components`), if it is built. */
export function widgetsDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@cairn/web-components/package.json');
    const dir = join(dirname(pkg), 'dist', 'standalone');
    return existsSync(join(dir, 'cairn-widget.js')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Serves the page scripts and styles at /static/ and the web components at /widgets/ (public, cacheable). */
export async function serveStatic(app: FastifyInstance): Promise<{ widgets: boolean }> {
  const widgets = widgetsDir();
  await app.register(async (scope) => {
    scope.addHook('onRoute', (r) => {
      r.config = { ...(r.config ?? {}), access: 'public' };
    });
    await scope.register(fastifyStatic, { root: join(SERVER_ROOT, 'public'), prefix: '/static/', index: false, maxAge: '1h' });
    if (widgets) {
      await scope.register(fastifyStatic, { root: widgets, prefix: '/widgets/', decorateReply: false, index: false, maxAge: '1h' });
    }
  });
  return { widgets: widgets !== undefined };
}
