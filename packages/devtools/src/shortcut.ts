import { DevtoolsError } from './devtools-error.js';

/** The default shortcut: Ctrl+Shift+H, or Cmd+Shift+H on a Mac (`Mod` is either). */
export const DEFAULT_SHORTCUT = 'Mod+Shift+H';

/** A parsed shortcut: the key and which modifiers must be held. */
export interface Shortcut {
  readonly key: string;
  readonly ctrl: boolean;
  readonly meta: boolean;
  /** Ctrl or Meta, whichever (`Mod`). */
  readonly mod: boolean;
  readonly shift: boolean;
  readonly alt: boolean;
}

const MODIFIERS = new Set(['ctrl', 'control', 'meta', 'cmd', 'mod', 'shift', 'alt', 'option']);

/**
 * Parses `'Mod+Shift+H'`-style text: modifiers (`Ctrl`, `Meta`/`Cmd`, `Mod`, `Shift`,
 * `Alt`/`Option`, any case) joined by `+`, then one key. At least one modifier is required, so
 * that typing in the page never opens the panel.
 */
export function parseShortcut(text: string): Shortcut {
  const parts = text.split('+').map((p) => p.trim().toLowerCase());
  const key = parts.pop() ?? '';
  const bad = (why: string) => new DevtoolsError('invalid-shortcut', `Shortcut "${text}": ${why}`);
  if (key === '' || MODIFIERS.has(key)) throw bad('it must end with a key, e.g. "Mod+Shift+H"');
  const unknown = parts.find((p) => !MODIFIERS.has(p));
  if (unknown !== undefined) throw bad(`"${unknown}" is not a modifier`);
  if (parts.length === 0) throw bad('it needs at least one modifier');
  const has = (...names: string[]) => parts.some((p) => names.includes(p));
  const mod = has('mod');
  const ctrl = has('ctrl', 'control');
  const meta = has('meta', 'cmd');
  if (mod && (ctrl || meta)) throw bad('"Mod" already means Ctrl or Cmd');
  return {
    key,
    ctrl,
    meta,
    mod,
    shift: has('shift'),
    alt: has('alt', 'option'),
  };
}

/** Whether a key press is `shortcut`: the key (any case) with exactly its modifiers. */
export function matchesShortcut(event: KeyboardEvent, shortcut: Shortcut): boolean {
  if (event.key.toLowerCase() !== shortcut.key) return false;
  if (event.shiftKey !== shortcut.shift || event.altKey !== shortcut.alt) return false;
  // `Mod` is one of Ctrl and Cmd, not both: Ctrl+Cmd+Shift+H is some other shortcut.
  if (shortcut.mod) return event.ctrlKey !== event.metaKey;
  return event.ctrlKey === shortcut.ctrl && event.metaKey === shortcut.meta;
}
