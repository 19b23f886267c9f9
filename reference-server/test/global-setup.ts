// Starts one PostgreSQL server for every test file of this project (they create their own databases).
import type { TestProject } from 'vitest/node';
import { findPostgres, startPostgres, type TestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Maintenance URL of the test PostgreSQL server; empty when it is unavailable. */
    postgresUrl: string;
    /** Why PostgreSQL tests are skipped, when they are. */
    postgresSkip: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = findPostgres();
  let pg: TestPostgres | undefined;
  let skip = '';
  if ('missing' in found) skip = found.missing;
  else {
    // Binaries present but failing to start is an error, not a reason to skip.
    pg = await startPostgres(found.bin);
  }
  if (skip) process.stderr.write(`\n[@cairn/reference-server] PostgreSQL tests skipped: ${skip}\n`);
  project.provide('postgresUrl', pg?.url ?? '');
  project.provide('postgresSkip', skip);
  return async () => {
    await pg?.stop();
  };
}
