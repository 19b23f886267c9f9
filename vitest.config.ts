import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'reference-server', 'examples/*'],
    reporters: process.env.CI ? ['default', './scripts/summary-reporter.ts'] : ['default'],
  },
});
