import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('.', import.meta.url).pathname;

function libraryFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === '__fixtures__' ? [] : libraryFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

// The web widget bundles this package: library code must not need Node.
describe('browser safety', () => {
  const files = libraryFiles(root);

  it('scans the library sources', () => {
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining(['index.ts', 'extract.ts', 'smart.ts', 'cds-hooks/service.ts']),
    );
  });

  for (const file of files) {
    it(`${relative(root, file)} uses no Node built-ins or Node-only packages statically`, () => {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/from ['"](node:|fs|path|os|crypto|http|https|child_process)['"]/);
      expect(text).not.toMatch(/\b(process\.|Buffer\.|__dirname|require\()/);
      // Node-only packages are loaded lazily, on first use, never at import.
      expect(text).not.toMatch(/^import (?!type)[^;]*from ['"](fhir-kit-client|@medplum\/definitions)['"]/m);
    });
  }
});
