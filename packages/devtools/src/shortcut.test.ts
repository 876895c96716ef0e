import { describe, expect, it } from 'vitest';
import { DevtoolsError } from './devtools-error.js';
import { matchesShortcut, parseShortcut } from './shortcut.js';

const key = (init: KeyboardEventInit) => new KeyboardEvent('keydown', init);

describe('shortcuts', () => {
  it('reads modifiers in any case and order', () => {
    expect(parseShortcut('shift+MOD+h')).toEqual({
      key: 'h',
      ctrl: false,
      meta: false,
      mod: true,
      shift: true,
      alt: false,
    });
    expect(parseShortcut('Control + Option + F12')).toMatchObject({
      key: 'f12',
      ctrl: true,
      alt: true,
    });
    expect(parseShortcut('Cmd+K')).toMatchObject({ key: 'k', meta: true, ctrl: false });
  });

  it('refuses what it cannot read, with a typed error', () => {
    for (const text of ['', 'H', 'Shift+', 'Ctrl+Shift', 'Super+H', 'Mod+Ctrl+H']) {
      expect(() => parseShortcut(text)).toThrow(DevtoolsError);
    }
  });

  it('Mod is Ctrl or Cmd, not both; other modifiers must match exactly', () => {
    const mod = parseShortcut('Mod+Shift+H');
    expect(matchesShortcut(key({ key: 'H', ctrlKey: true, shiftKey: true }), mod)).toBe(true);
    expect(matchesShortcut(key({ key: 'H', metaKey: true, shiftKey: true }), mod)).toBe(true);
    expect(
      matchesShortcut(key({ key: 'H', ctrlKey: true, metaKey: true, shiftKey: true }), mod),
    ).toBe(false);
    expect(matchesShortcut(key({ key: 'H', shiftKey: true }), mod)).toBe(false);
    expect(matchesShortcut(key({ key: 'H', ctrlKey: true }), mod)).toBe(false);
    const ctrl = parseShortcut('Ctrl+Alt+D');
    expect(matchesShortcut(key({ key: 'd', ctrlKey: true, altKey: true }), ctrl)).toBe(true);
    expect(matchesShortcut(key({ key: 'd', metaKey: true, altKey: true }), ctrl)).toBe(false);
    expect(
      matchesShortcut(key({ key: 'd', ctrlKey: true, altKey: true, shiftKey: true }), ctrl),
    ).toBe(false);
  });
});
