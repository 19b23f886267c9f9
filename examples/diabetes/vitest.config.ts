import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@cairn/source'] },
  ssr: { resolve: { conditions: ['@cairn/source'] } },
  test: { name: '@cairn/example-diabetes', include: ['*.test.ts'], testTimeout: 120_000 },
});
