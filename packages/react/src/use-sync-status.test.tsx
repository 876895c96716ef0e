import type { ClientStatus } from '@helios/client';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { startRelay, testClient } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { useSyncStatus } from './use-sync-status.js';

describe('useSyncStatus', () => {
  it('shows writes pending while offline, then 0 once online', async () => {
    const url = await startRelay();
    const client = testClient([url], { offline: true });
    function Status() {
      const { connection, pendingTotal, pending } = useSyncStatus();
      return (
        <output>
          {connection} {pendingTotal} {pending.likes ?? 0}
        </output>
      );
    }
    function Like() {
      const { increment } = useCounter('likes');
      return (
        <button type="button" onClick={() => increment()}>
          like
        </button>
      );
    }
    render(
      <HeliosProvider client={client}>
        <Status />
        <Like />
      </HeliosProvider>,
    );
    expect(screen.getByRole('status').textContent).toBe('offline 0 0');
    await act(() => client.counter('likes').loaded);
    fireEvent.click(screen.getByText('like'));
    fireEvent.click(screen.getByText('like'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('offline 2 2'));

    act(() => client.setOnline(true));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('online 0 0'), {
      timeout: 10_000,
    });
  });

  it('returns the same status object until the status changes', async () => {
    const client = testClient();
    await client.ready;
    const seen: ClientStatus[] = [];
    let rerender: () => void = () => {};
    function Status() {
      const [, setTick] = useState(0);
      rerender = () => setTick((t) => t + 1);
      seen.push(useSyncStatus());
      return null;
    }
    const { unmount } = render(
      <HeliosProvider client={client}>
        <Status />
      </HeliosProvider>,
    );
    act(() => rerender());
    act(() => rerender());
    expect(seen.length).toBe(3);
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBe(client.status);
    unmount();
  });
});
