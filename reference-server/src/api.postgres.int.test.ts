// The API suite on a real PostgreSQL server (started by the test setup; skipped only when its binaries are absent).
import { describe, inject } from 'vitest';
import { createDatabase } from '../test/postgres.js';
import { API_SUITE_ENV, apiSuite } from './__fixtures__/api-suite.js';
import { startTestServer } from './__fixtures__/server.js';

const url = inject('postgresUrl');
const skip = inject('postgresSkip');

describe.skipIf(!url)(`API on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  apiSuite(async () => startTestServer({ ...API_SUITE_ENV, DATABASE_URL: await createDatabase(url, `api_${process.pid}_${Date.now()}`) }));
});
