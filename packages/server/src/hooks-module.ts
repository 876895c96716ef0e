import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HeliosError } from '@helios/core';
import type { Authenticate, Authorize } from './auth.js';

/**
 * What a hooks module exports: the ES module that `helios-relay --hooks <file>` (or
 * `HELIOS_HOOKS`) loads at start-up, giving the CLI the hooks `createRelay` takes in code.
 * Export either hook by name, or both, and nothing else.
 *
 * @example
 * // hooks.mjs
 * export const authorize = (user, doc) => doc.startsWith(`user:${user.id}:`);
 */
export interface RelayHooks {
  /** Replaces the CLI's JWT verification: do not combine with `--jwt-*` or `--anonymous`. */
  readonly authenticate?: Authenticate;
  /** Checked on every subscribe and push, as `RelayOptions.authorize`. */
  readonly authorize?: Authorize;
}

/** Why a hooks module was refused at start-up. */
export type HooksModuleErrorCode =
  | 'missing'
  | 'load-failed'
  | 'unknown-export'
  | 'no-hooks'
  | 'not-a-function'
  | 'authentication-conflict';

/** The hooks module is missing, does not load, or exports something other than the hooks. */
export class HooksModuleError extends HeliosError<HooksModuleErrorCode> {}

const HOOK_NAMES: readonly string[] = ['authenticate', 'authorize'] satisfies (keyof RelayHooks)[];

/**
 * Imports the hooks module at `path` (relative to `cwd`) and checks its exports. Unknown
 * exports are refused rather than ignored: a misspelt `authorise` would otherwise leave every
 * document open to every user without a word.
 */
export async function loadHooksModule(path: string, cwd = process.cwd()): Promise<RelayHooks> {
  const file = resolve(cwd, path);
  const found = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!found) throw new HooksModuleError('missing', `--hooks: no such file ${file}`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new HooksModuleError(
      'load-failed',
      `--hooks: ${file} failed to load: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const names = Object.keys(exports);
  const unknown = names.filter((name) => !HOOK_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new HooksModuleError(
      'unknown-export',
      `--hooks: ${file} exports ${unknown.join(', ')}; a hooks module exports only ` +
        'authenticate and/or authorize, by name',
    );
  }
  if (names.length === 0) {
    throw new HooksModuleError(
      'no-hooks',
      `--hooks: ${file} exports neither authenticate nor authorize`,
    );
  }
  for (const name of names) {
    if (typeof exports[name] !== 'function') {
      throw new HooksModuleError(
        'not-a-function',
        `--hooks: ${file} exports ${name} as ${typeof exports[name]}, not a function`,
      );
    }
  }
  return exports as RelayHooks;
}
