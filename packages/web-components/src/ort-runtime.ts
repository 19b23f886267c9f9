import type { OrtRuntime } from '@cairn/core';

/** How onnxruntime-web is set up in the page. */
export interface OrtSettings {
  /**
   * Where the host serves onnxruntime-web's WASM files (`ort-wasm-simd-threaded.wasm`); sets
   * `ort.env.wasm.wasmPaths`. Unset: onnxruntime-web's own default (next to its module).
   */
  readonly wasmBaseUrl?: string | undefined;
  /**
   * Threads: 1 unless the page is cross-origin isolated (SharedArrayBuffer needs COOP/COEP,
   * which EHR iframes rarely have), then up to 4.
   */
  readonly numThreads?: number | undefined;
}

/** The part of the onnxruntime-web module the widget configures. */
interface OrtWebModule extends OrtRuntime {
  readonly env: { wasm: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean } };
}

let loading: Promise<OrtWebModule> | undefined;

/** Threads to use: single-threaded unless the page is cross-origin isolated. */
export function defaultThreads(
  scope: { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } } = globalThis,
): number {
  if (!scope.crossOriginIsolated) return 1;
  const cores = scope.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, cores));
}

/** Makes a base URL end in `/` and resolves it against the page, as onnxruntime-web expects a prefix. */
export function wasmPrefix(baseUrl: string, documentBase?: string): string {
  const resolved = documentBase ? new URL(baseUrl, documentBase).href : baseUrl;
  return resolved.endsWith('/') ? resolved : `${resolved}/`;
}

/**
 * Loads onnxruntime-web (the WASM build) on first use and applies the settings; the settings of
 * the first call win, because onnxruntime-web initialises its WASM once per page.
 */
export function loadOrt(settings: OrtSettings = {}): Promise<OrtRuntime> {
  if (!loading) {
    loading = import('onnxruntime-web/wasm').then((mod) => {
      const ort = (
        (mod as { default?: unknown }).default && !(mod as { InferenceSession?: unknown }).InferenceSession
          ? (mod as { default: unknown }).default
          : mod
      ) as OrtWebModule;
      ort.env.wasm.numThreads = settings.numThreads ?? defaultThreads();
      ort.env.wasm.proxy = false;
      if (settings.wasmBaseUrl) {
        const base = typeof document === 'undefined' ? undefined : document.baseURI;
        ort.env.wasm.wasmPaths = wasmPrefix(settings.wasmBaseUrl, base);
      }
      return ort;
    });
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}
