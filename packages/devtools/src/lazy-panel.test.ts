import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/** The modules `file` imports when it runs: static imports only, not `import type`. */
function staticImports(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms)) {
    const names = m[0].match(/\{([^}]*)\}/)?.[1];
    // `import { type A, type B } from` is erased as a whole, as TypeScript does.
    const typesOnly = names
      ?.split(',')
      .every((n) => n.trim() === '' || n.trim().startsWith('type '));
    if (typesOnly === true) continue;
    out.push(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const next of staticImports(file)) visit(next);
  };
  visit(entry);
  return seen;
}

it('the package entry does not import the panel: only installDevtools loads it, on demand', () => {
  const up = reachable('index.ts');
  expect(up).toContain('install.ts');
  for (const panelPart of ['mount-devtools.ts', 'trace-store.ts', 'styles.ts', 'views/index.ts']) {
    expect(up).not.toContain(panelPart);
  }
  // The panel's own entry does reach them (the check sees imports at all).
  expect(reachable('panel.ts')).toContain('styles.ts');
  expect(readFileSync(join(SRC, 'install.ts'), 'utf8')).toContain("import('./mount-devtools.js')");
});
