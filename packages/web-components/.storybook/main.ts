import type { StorybookConfig } from '@storybook/web-components-vite';
import { mergeConfig } from 'vite';

const config: StorybookConfig = {
  stories: ['../stories/*.stories.ts'],
  framework: { name: '@storybook/web-components-vite', options: {} },
  core: {
    disableTelemetry: true,
    disableWhatsNewNotifications: true,
    builder: { name: '@storybook/builder-vite', options: { viteConfigPath: '.storybook/vite.config.ts' } },
  },
  async viteFinal(base) {
    return mergeConfig(base, {
      // Stories run the packages' sources, so they need no build of @cairn/core first.
      resolve: { conditions: ['@cairn/source', 'module', 'browser', 'development|production'] },
      // Pre-bundling onnxruntime-web would move its WASM loader away from the files it fetches.
      optimizeDeps: { exclude: ['onnxruntime-web'] },
    });
  },
};

export default config;
