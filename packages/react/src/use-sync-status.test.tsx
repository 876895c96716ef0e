import type { ClientStatus } from '@helios/client';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { startRelay, testClient } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { useSyncStatus } from './use-sync-status.js';

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

function Record({ seen }: { seen: ClientStatus[] }) {
  seen.push(useSyncStatus());
  return null;
}

describe('useSyncStatus', () => {
  it('shows writes pending while offline, then 0 once online', async () => {
    const url = await startRelay();
    const client = testClient([url], { offline: true });
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

  it('returns the same status object until the status changes, and unsubscribes on unmount', async () => {
    const client = testClient();
    await client.ready;
    const real = client.status$;
    let active = 0;
    // Counts subscriptions to `status$` (an rxjs Observable) without importing rxjs here.
    vi.spyOn(client, 'status$', 'get').mockReturnValue({
      subscribe(next: (status: ClientStatus) => void) {
        active++;
        const subscription = real.subscribe(next);
        return {
          unsubscribe() {
            active--;
            subscription.unsubscribe();
          },
        };
      },
    } as unknown as typeof real);
    const seen: ClientStatus[] = [];
    const ui = () => (
      <HeliosProvider client={client}>
        <Record seen={seen} />
      </HeliosProvider>
    );
    const { rerender, unmount } = render(ui());
    rerender(ui());
    rerender(ui());
    expect(seen.length).toBe(3);
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBe(client.status);
    expect(active).toBe(1);
    unmount();
    expect(active).toBe(0);
  });
});
