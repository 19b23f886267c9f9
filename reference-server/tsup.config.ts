import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts', 'training-worker': 'src/training/worker.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  dts: false,
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  splitting: false,
});
