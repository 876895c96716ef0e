import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Each type module registers its reader on import (registry.ts), so `decodeState` can find it:
 * an import for its side effect. package.json must declare those modules in `sideEffects`, or a
 * bundler that trusts the field drops a type the app never names and decoding it then fails.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('package.json sideEffects', () => {
  it('lists every module that registers a type on import, as source and as build output', () => {
    const declared = new Set(
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).sideEffects as string[],
    );
    const registering = sources(join(root, 'src'))
      .filter((file) => /^registerType\(/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(registering.length).toBeGreaterThanOrEqual(6);
    for (const src of registering) {
      expect(declared, src).toContain(`./${src}`);
      expect(declared, src).toContain(
        `./${src.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')}`,
      );
    }
    // Nothing else: every declared module is one that registers.
    expect(declared.size).toBe(2 * registering.length);
  });
});
