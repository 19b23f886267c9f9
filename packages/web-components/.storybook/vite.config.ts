import { defineConfig } from 'vite';

// Storybook's own Vite config: keeps the standalone build's settings (vite.config.ts beside
// package.json) out of Storybook; main.ts adds what the stories need.
export default defineConfig({});
