import type { HeliosClient } from '@helios/client';
import { act, render, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { startRelay, testClient, until } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { usePresence } from './use-presence.js';

// A type alias, not an interface: presence states are `Value`s, which need an index signature.
type Device = { readonly device: string };

function Cart({ device }: Device) {
  useCounter('cart'); // the document is open: the relay takes presence from its subscribers
  const { others, set } = usePresence<Device>('cart', { device });
  return (
    <div>
      <output>{others.map((o) => `${o.state.device}@${o.region}`).join(',')}</output>
      <button type="button" onClick={() => set({ device: `${device}!` })}>
        rename
      </button>
    </div>
  );
}

function app(client: HeliosClient, device: string) {
  const container = document.body.appendChild(document.createElement('div'));
  const view = render(
    <HeliosProvider client={client}>
      <Cart device={device} />
    </HeliosProvider>,
    { container },
  );
  return { screen: within(container), unmount: view.unmount };
}

const shown = (screen: ReturnType<typeof within>) => screen.getByRole('status').textContent;

describe('usePresence through a relay', () => {
  it('shows the other devices on a document, their changes, and their leaving', async () => {
    const url = await startRelay('eu-west-1');
    const [a, b] = [testClient([url]), testClient([url])];
    // Mounted once online: each state is set before its document is subscribed, and goes after.
    await until(() => a.status.connection === 'online' && b.status.connection === 'online', 'up');
    const phone = app(a, 'phone');
    const laptop = app(b, 'laptop');
    await waitFor(() => expect(shown(phone.screen)).toBe('laptop@eu-west-1'), { timeout: 10_000 });
    await waitFor(() => expect(shown(laptop.screen)).toBe('phone@eu-west-1'), { timeout: 10_000 });

    act(() => laptop.screen.getByRole('button').click());
    await waitFor(() => expect(shown(phone.screen)).toBe('laptop!@eu-west-1'), {
      timeout: 10_000,
    });
    // Unmounting clears the component's presence: the others see it leave.
    laptop.unmount();
    await waitFor(() => expect(shown(phone.screen)).toBe(''), { timeout: 10_000 });
  });

  it('shows a device again after its connection came back, and drops it when its client closes', async () => {
    const url = await startRelay('eu-west-1');
    const [a, b] = [testClient([url]), testClient([url])];
    const phone = app(a, 'phone');
    app(b, 'laptop');
    await waitFor(() => expect(shown(phone.screen)).toBe('laptop@eu-west-1'), { timeout: 10_000 });
    // b goes offline: its entry goes with its connection; back online, b sends it again.
    act(() => b.setOnline(false));
    await waitFor(() => expect(shown(phone.screen)).toBe(''), { timeout: 10_000 });
    act(() => b.setOnline(true));
    await waitFor(() => expect(shown(phone.screen)).toBe('laptop@eu-west-1'), { timeout: 10_000 });
    await act(() => b.close());
    await waitFor(() => expect(shown(phone.screen)).toBe(''), { timeout: 10_000 });
  });
});
