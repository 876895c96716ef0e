// The small part an app loads up front: the shortcut and the URL flag. The panel itself (its
// views, styles, trace store) is a separate module, imported the first time it is opened, so an
// app whose users never open it does not download or parse it.
import { DevtoolsError } from './devtools-error.js';
import type { DevtoolsPanel } from './mount-devtools.js';
import { type PanelOptions, resolvePanelOptions } from './panel-options.js';
import { DEFAULT_SHORTCUT, matchesShortcut, parseShortcut } from './shortcut.js';
import { checkSource, type DevtoolsSource } from './source.js';

/** The default URL flag: `?helios-devtools` opens the panel on load. */
export const DEFAULT_URL_FLAG = 'helios-devtools';

/** How the panel is installed: what opens it, and how it is mounted then. */
export interface InstallOptions extends PanelOptions {
  /**
   * The key combination that opens and closes the panel (default `'Mod+Shift+H'`: Ctrl+Shift+H,
   * Cmd+Shift+H on a Mac); `false` for none.
   */
  readonly shortcut?: string | false;
  /** The query parameter that opens the panel on load (default `'helios-devtools'`); `false` for none. */
  readonly urlFlag?: string | false;
}

/** The installed panel: it loads on the first open. */
export interface InstalledDevtools {
  /** Loads the panel if needed, and opens it. */
  open(): Promise<DevtoolsPanel>;
  /** Loads the panel if needed, and opens or closes it. */
  toggle(): Promise<DevtoolsPanel>;
  /** Removes the shortcut, and the panel if it was loaded. */
  uninstall(): void;
}

/** How the panel's module is loaded: by a dynamic `import()`, so bundlers split it off. */
const loadPanel = () => import('./mount-devtools.js');

/**
 * Installs the devtools panel for `client`: the shortcut opens and closes it, the URL flag opens
 * it on load. Nothing of the panel is loaded before that.
 *
 * @throws DevtoolsError `invalid-source` if `client` has no event stream, `invalid-shortcut` for
 * a shortcut it cannot read, `invalid-option` for a bad limit or view, or where there is no
 * window (on a server). Nothing is installed then.
 */
export function installDevtools(
  client: DevtoolsSource,
  options: InstallOptions = {},
): InstalledDevtools {
  const { shortcut = DEFAULT_SHORTCUT, urlFlag = DEFAULT_URL_FLAG, ...rest } = options;
  const win = globalThis.window as Window | undefined;
  if (win === undefined) {
    throw new DevtoolsError(
      'invalid-option',
      'installDevtools runs in a browser: there is no window here',
    );
  }
  const source = checkSource(client, 'installDevtools');
  // Checked now, not at the first open: a mistake shows when the app starts.
  const panelOptions = resolvePanelOptions(rest);
  const keys = shortcut === false ? undefined : parseShortcut(shortcut);

  let loading: Promise<DevtoolsPanel> | undefined;
  let mounted: DevtoolsPanel | undefined;
  let uninstalled = false;
  const panel = (): Promise<DevtoolsPanel> => {
    loading ??= loadPanel().then(
      ({ mountDevtools }) => {
        mounted = mountDevtools(source, panelOptions);
        // Uninstalled while it loaded: it goes at once, never shown.
        if (uninstalled) mounted.destroy();
        return mounted;
      },
      (error: unknown) => {
        loading = undefined; // a chunk that failed to download may load on the next try
        throw error;
      },
    );
    return loading;
  };
  const act = (what: 'open' | 'toggle') => async () => {
    const shown = await panel();
    shown[what]();
    return shown;
  };
  const open = act('open');
  const toggle = act('toggle');

  const onKey = (event: KeyboardEvent) => {
    if (keys === undefined || !matchesShortcut(event, keys)) return;
    event.preventDefault();
    toggle().catch(report);
  };
  win.addEventListener('keydown', onKey, { capture: true });
  if (urlFlag !== false && new URLSearchParams(win.location.search).has(urlFlag))
    open().catch(report);

  return {
    open,
    toggle,
    uninstall() {
      if (uninstalled) return;
      uninstalled = true;
      win.removeEventListener('keydown', onKey, { capture: true });
      mounted?.destroy();
    },
  };
}

/** A panel opened by a key press has no caller to tell: the console does. */
function report(error: unknown): void {
  console.error('Helios devtools could not open:', error);
}
