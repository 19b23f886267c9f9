// The API suite on embedded PGlite (the default database).
import { describe } from 'vitest';
import { API_SUITE_ENV, apiSuite } from './__fixtures__/api-suite.js';
import { startTestServer } from './__fixtures__/server.js';

describe('API on PGlite', () => {
  apiSuite(() => startTestServer({ ...API_SUITE_ENV }));
});
