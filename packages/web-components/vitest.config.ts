import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@cairn/source'] },
  ssr: { resolve: { conditions: ['@cairn/source'] } },
  test: {
    name: '@cairn/web-components',
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
