import { defaultThreads, wasmPrefix } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';

describe('onnxruntime-web settings', () => {
  it('runs single-threaded unless the page is cross-origin isolated', () => {
    expect(defaultThreads({ crossOriginIsolated: false, navigator: { hardwareConcurrency: 8 } })).toBe(1);
    expect(defaultThreads({ navigator: { hardwareConcurrency: 8 } })).toBe(1);
    expect(defaultThreads({ crossOriginIsolated: true, navigator: { hardwareConcurrency: 8 } })).toBe(4);
    expect(defaultThreads({ crossOriginIsolated: true, navigator: { hardwareConcurrency: 2 } })).toBe(2);
  });

  it('turns the wasm base URL into the absolute prefix onnxruntime-web expects', () => {
    expect(wasmPrefix('/ort', 'https://ehr.example.org/app/page.html')).toBe('https://ehr.example.org/ort/');
    expect(wasmPrefix('static/ort/', 'https://ehr.example.org/app/page.html')).toBe('https://ehr.example.org/app/static/ort/');
    expect(wasmPrefix('https://cdn.example.org/ort')).toBe('https://cdn.example.org/ort/');
  });
});
