import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DevtoolsError } from './devtools-error.js';
import { type InstalledDevtools, installDevtools } from './install.js';
import { FakeSource, ManualFrames, shadow } from './test-support/fake-source.js';

// Counts the times the panel's module is evaluated: installing must not load it, opening must.
const panelModule = vi.hoisted(() => ({ loads: 0 }));
vi.mock('./mount-devtools.js', async (importOriginal) => {
  panelModule.loads++;
  return importOriginal();
});

let source: FakeSource;
let installed: InstalledDevtools | undefined;

beforeEach(() => {
  source = new FakeSource();
});
afterEach(() => {
  installed?.uninstall();
  installed = undefined;
  document.body.replaceChildren();
  history.replaceState(null, '', '/');
});

function install(options: Parameters<typeof installDevtools>[1] = {}): InstalledDevtools {
  installed = installDevtools(source, { scheduleFrame: new ManualFrames().schedule, ...options });
  return installed;
}

function press(init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  document.body.dispatchEvent(event);
  return event;
}

const host = () => document.querySelector<HTMLElement>('[data-helios-devtools]');
/** Waits for the panel's module to load and the panel to be shown (or hidden). */
const shown = (visible: boolean) =>
  vi.waitFor(() => expect(host()?.hidden).toBe(!visible), { timeout: 20_000, interval: 5 });

describe('installDevtools', () => {
  it('loads the panel only when it is first opened, then once', async () => {
    install();
    expect(panelModule.loads).toBe(0);
    expect(host()).toBeNull();
    press({ key: 'H', ctrlKey: true, shiftKey: true });
    await shown(true);
    expect(panelModule.loads).toBe(1);
    expect(source.listeners.size).toBe(1);
    await installed!.toggle();
    expect(source.listeners.size).toBe(0);
    expect(panelModule.loads).toBe(1);
  });

  it('Ctrl+Shift+H and Cmd+Shift+H open and close it; other keys do not', async () => {
    install();
    for (const init of [
      { key: 'h', ctrlKey: true },
      { key: 'H', shiftKey: true },
      { key: 'H', ctrlKey: true, metaKey: true, shiftKey: true },
      { key: 'H', ctrlKey: true, altKey: true, shiftKey: true },
      { key: 'J', ctrlKey: true, shiftKey: true },
    ]) {
      expect(press(init).defaultPrevented).toBe(false);
    }
    expect(host()).toBeNull();
    expect(press({ key: 'H', metaKey: true, shiftKey: true }).defaultPrevented).toBe(true);
    await shown(true);
    press({ key: 'H', ctrlKey: true, shiftKey: true });
    await shown(false);
    expect(source.listeners.size).toBe(0);
  });

  it('takes another shortcut, or none', async () => {
    install({ shortcut: 'Alt+D' });
    press({ key: 'H', ctrlKey: true, shiftKey: true });
    press({ key: 'd', altKey: true });
    await shown(true);
    installed!.uninstall();
    install({ shortcut: false });
    press({ key: 'H', ctrlKey: true, shiftKey: true });
    expect(host()).toBeNull();
    await installed!.open();
    expect(host()?.hidden).toBe(false);
  });

  it('the URL flag opens it on load', async () => {
    history.replaceState(null, '', '/?region=eu-west-1&helios-devtools');
    install();
    await shown(true);
    expect(shadow().querySelector('[role="dialog"]')).not.toBeNull();
  });

  it('another URL flag, or none', async () => {
    history.replaceState(null, '', '/?helios-devtools');
    install({ urlFlag: false });
    history.replaceState(null, '', '/?debug');
    install({ urlFlag: 'debug' });
    await shown(true);
    expect(document.querySelectorAll('[data-helios-devtools]')).toHaveLength(1);
  });

  it('uninstall() removes the shortcut and the panel, also one still loading', async () => {
    history.replaceState(null, '', '/?helios-devtools');
    const first = install();
    const loading = first.open();
    first.uninstall();
    const panel = await loading;
    expect(panel.isOpen).toBe(false);
    expect(host()).toBeNull();
    expect(source.listeners.size).toBe(0);
    press({ key: 'H', ctrlKey: true, shiftKey: true });
    expect(host()).toBeNull();
  });

  it('refuses a client without an event stream and options it cannot use, installing nothing', () => {
    const add = vi.spyOn(window, 'addEventListener');
    try {
      expect(() => installDevtools({} as never)).toThrow(DevtoolsError);
      expect(() => install({ shortcut: 'H' })).toThrow(/needs at least one modifier/);
      expect(() => install({ shortcut: 'Ctrl+Shift' })).toThrow(/must end with a key/);
      expect(() => install({ shortcut: 'Hyper+H' })).toThrow(/"hyper" is not a modifier/);
      expect(() => install({ limit: -1 })).toThrow(/limit/);
      expect(add).not.toHaveBeenCalled();
    } finally {
      add.mockRestore();
    }
  });
});
