import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);

/** Copies the report fonts (DejaVu Sans) beside the standalone bundle, where its default fonts-base-url points. */
function reportFonts(): Plugin {
  return {
    name: 'cairn-report-fonts',
    // The entry's code may land in a chunk under chunks/: the way back to the bundle's folder depends on where.
    renderChunk(code, chunk) {
      if (!code.includes('__CAIRN_STANDALONE_ROOT__')) return null;
      return { code: code.replaceAll('__CAIRN_STANDALONE_ROOT__', JSON.stringify(chunk.fileName.includes('/') ? '../' : './')), map: null };
    },
    generateBundle() {
      const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
      for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
        this.emitFile({ type: 'asset', fileName: `fonts/${file}`, source: readFileSync(join(dir, file)) });
      }
    },
  };
}

/**
 * The standalone widget bundle: one ES module (`cairn-widget.js`) that defines every element, with
 * onnxruntime-web, pdf-lib, uPlot and the FHIR adapter in chunks loaded on first use.
 */
export default defineConfig({
  // Chunks are found relative to the entry module, wherever the host serves it.
  base: './',
  // Always the production builds of dependencies (Lit's dev mode warns in the host's console).
  mode: 'production',
  resolve: { conditions: ['@cairn/source', 'module', 'browser', 'production'] },
  build: {
    outDir: join(import.meta.dirname, 'dist/standalone'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    // Vite's preload helper would add <link rel="modulepreload"> to the host's document: the widget leaves it alone.
    modulePreload: false,
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      input: { 'cairn-widget': join(import.meta.dirname, 'src/standalone.ts') },
      preserveEntrySignatures: 'exports-only',
      output: {
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  plugins: [reportFonts()],
});
