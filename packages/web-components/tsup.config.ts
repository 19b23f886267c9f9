import { defineConfig } from 'tsup';

// One subpath export per element, plus the message table and the predict API contract.
export const entries = {
  index: 'src/index.ts',
  'risk-form': 'src/risk-form.ts',
  'risk-result': 'src/risk-result.ts',
  contributions: 'src/contributions.ts',
  'model-card': 'src/model-card.ts',
  'prediction-widget': 'src/prediction-widget.ts',
  messages: 'src/messages.ts',
  'predict-api': 'src/predict-api.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  platform: 'browser',
});
