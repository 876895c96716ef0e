import type { HeliosClient } from '@helios/client';
import { type DevtoolsSource, installDevtools, isDevtoolsSource } from '@helios/devtools';

/**
 * The client's event stream must be the one the panel reads: once `HeliosClient` has `events`,
 * this fails to compile unless the client is a `DevtoolsSource` (issue #18's contract); before,
 * it holds trivially.
 */
type ClientFitsPanel = HeliosClient extends { readonly events: unknown }
  ? HeliosClient extends DevtoolsSource
    ? true
    : false
  : true;
const clientFitsPanel: ClientFitsPanel = true;
void clientFitsPanel;

/**
 * Installs the devtools panel (Ctrl+Shift+H, Cmd+Shift+H, or `?helios-devtools`; loaded only
 * when opened) on a client that has the event stream; returns what uninstalls it.
 */
export function installShopDevtools(client: HeliosClient): () => void {
  if (!isDevtoolsSource(client)) return () => {};
  const devtools = installDevtools(client);
  return () => devtools.uninstall();
}
