import { render, screen } from '@testing-library/react';
import { Component, type ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { HeliosProvider, useHeliosClient } from './helios-provider.js';
import { HeliosReactError } from './react-error.js';
import { testClient } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';

class Catch extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: undefined as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    const { error } = this.state;
    if (error instanceof HeliosReactError) return <p>{`${error.code}: ${error.message}`}</p>;
    return error === undefined ? this.props.children : <p>other error</p>;
  }
}

function Probe({ onClient }: { onClient: (client: unknown) => void }) {
  onClient(useHeliosClient());
  return null;
}

function Likes() {
  return <span>{useCounter('likes').value}</span>;
}

describe('HeliosProvider', () => {
  it('gives the hooks below it the client', () => {
    const client = testClient();
    let seen: unknown;
    render(
      <HeliosProvider client={client}>
        <Probe onClient={(c) => (seen = c)} />
      </HeliosProvider>,
    );
    expect(seen).toBe(client);
  });

  it('a hook outside a provider throws a HeliosReactError that says what to do', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <Catch>
        <Likes />
      </Catch>,
    );
    expect(screen.getByText(/^no-provider: no Helios client here/).textContent).toContain(
      '<HeliosProvider client={client}>',
    );
  });
});
