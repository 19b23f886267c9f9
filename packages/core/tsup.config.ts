import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/pdf.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  platform: 'neutral',
});
