import type { HeliosClient } from '@helios/client';
import { createContext, type ReactElement, type ReactNode, useContext } from 'react';
import { HeliosReactError } from './react-error.js';

const HeliosContext = createContext<HeliosClient | null>(null);

/** Props of {@link HeliosProvider}. */
export interface HeliosProviderProps {
  /** The client the hooks below read from; create it once, outside render, with `createClient`. */
  readonly client: HeliosClient;
  /** The components that use the hooks. */
  readonly children?: ReactNode;
}

/**
 * Makes a {@link HeliosClient} available to the hooks below it. The provider does not own the
 * client: close it yourself when the app is done with it.
 *
 * @example
 * const client = createClient({ relays: ['wss://relay.example.com'] });
 * root.render(<HeliosProvider client={client}><App /></HeliosProvider>);
 */
export function HeliosProvider({ client, children }: HeliosProviderProps): ReactElement {
  return <HeliosContext.Provider value={client}>{children}</HeliosContext.Provider>;
}

/**
 * The client of the nearest {@link HeliosProvider}.
 *
 * @throws {HeliosReactError} `no-provider` when there is no provider above the component.
 */
export function useHeliosClient(): HeliosClient {
  const client = useContext(HeliosContext);
  if (client === null) {
    throw new HeliosReactError(
      'no-provider',
      'no Helios client here: wrap the component tree in <HeliosProvider client={client}>',
    );
  }
  return client;
}
