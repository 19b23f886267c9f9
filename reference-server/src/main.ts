#!/usr/bin/env node
import { ConfigError, loadConfig, type ServerConfig } from './config.js';
import { startServer } from './server.js';

let config: ServerConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\nSee reference-server/README.md for every setting.\n`);
    process.exit(1);
  }
  throw error;
}

const server = await startServer(config).catch((error: unknown) => {
  process.stderr.write(`Cairn could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
server.app.log.info({ url: server.url, instance: config.instanceId, database: config.database.kind }, 'Cairn reference server listening');

let stopping = false;
async function shutdown(signal: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
  const timer = setTimeout(() => {
    server.app.log.error('shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs + 5000);
  timer.unref();
  try {
    await server.close();
  } catch (error) {
    server.app.log.error({ err: error }, 'shutdown failed');
    code = 1;
  }
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (reason) => server.app.log.error({ err: reason }, 'unhandled rejection'));
process.on('uncaughtException', (error) => {
  server.app.log.fatal({ err: error }, 'uncaught exception');
  void shutdown('uncaughtException', 1);
});
