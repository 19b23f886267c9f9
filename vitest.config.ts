import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', '{reference-server,examples/*}/vitest.config.ts'],
    reporters: process.env.CI ? ['default', './scripts/summary-reporter.ts'] : ['default'],
  },
});
