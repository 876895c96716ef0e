import type { HeliosClient } from '@helios/client';
import { BoundedCounter, InsufficientRightsError } from '@helios/core';
import { act, render, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { countListeners, startRelay, testClient, until } from './test-support/helpers.js';
import { type BoundedCounterView, useBoundedCounter } from './use-bounded-counter.js';

function Stock({ renders }: { renders?: { count: number } }) {
  const { value, available, localRights, leased } = useBoundedCounter('stock');
  if (renders) renders.count++;
  return <output>{`${value} ${available} ${localRights} ${leased}`}</output>;
}

function Seen({ seen }: { seen: BoundedCounterView[] }) {
  seen.push(useBoundedCounter('stock'));
  return null;
}

function app(client: HeliosClient, children: React.ReactNode) {
  const container = document.body.appendChild(document.createElement('div'));
  render(<HeliosProvider client={client}>{children}</HeliosProvider>, { container });
  return within(container);
}

/** "value available localRights leased" as the component shows it. */
const shown = (screen: ReturnType<typeof app>) => screen.getByRole('status').textContent;

async function online(...clients: HeliosClient[]): Promise<void> {
  await until(() => clients.every((c) => c.status.connection === 'online'), 'online');
}

describe('useBoundedCounter', () => {
  it('shows the value and this client’s rights; a refused decrement changes nothing', async () => {
    const client = testClient();
    const seen: BoundedCounterView[] = [];
    const screen = app(
      client,
      <>
        <Stock />
        <Seen seen={seen} />
      </>,
    );
    const stock = client.open('stock', BoundedCounter);
    await act(() => stock.loaded);
    expect(shown(screen)).toBe('0 0 0 0');

    act(() => {
      seen.at(-1)!.increment(5);
    });
    expect(shown(screen)).toBe('5 5 5 0');
    let refused: ReturnType<BoundedCounterView['decrement']> | undefined;
    act(() => {
      refused = seen.at(-1)!.decrement(6);
    });
    expect(refused?.error).toBeInstanceOf(InsufficientRightsError);
    expect(shown(screen)).toBe('5 5 5 0');
    act(() => {
      seen.at(-1)!.decrement(2);
    });
    expect(shown(screen)).toBe('3 3 3 0');
    // The mutators keep their identity; the handle is the client's.
    expect(new Set(seen.map((s) => s.take)).size).toBe(1);
    expect(seen.at(-1)!.handle).toBe(stock);
  });

  it('re-renders when only rights move: a transfer leaves the value as it was', async () => {
    const url = await startRelay();
    const owner = testClient([url]);
    const till = testClient([url]);
    const renders = { count: 0 };
    const screen = app(till, <Stock renders={renders} />);
    const mine = owner.open('stock', BoundedCounter);
    const theirs = till.open('stock', BoundedCounter);
    await act(() => Promise.all([mine.loaded, theirs.loaded]));
    await online(owner, till);

    act(() => {
      mine.increment(4);
    });
    await waitFor(() => expect(shown(screen)).toBe('4 0 0 0'), { timeout: 10_000 });
    const before = renders.count;
    act(() => {
      mine.transfer(till.replica!, 3);
    });
    await waitFor(() => expect(shown(screen)).toBe('4 3 3 0'), { timeout: 10_000 });
    expect(theirs.value).toBe(4);
    expect(renders.count).toBeGreaterThan(before);
  });

  it('counts the region relay’s rights as available, and a take’s lease as leased', async () => {
    const url = await startRelay();
    const owner = testClient([url]);
    const buyer = testClient([url]);
    const seen: BoundedCounterView[] = [];
    const screen = app(
      buyer,
      <>
        <Stock />
        <Seen seen={seen} />
      </>,
    );
    const mine = owner.open('stock', BoundedCounter);
    await act(() => Promise.all([mine.loaded, buyer.open('stock', BoundedCounter).loaded]));
    await online(owner, buyer);

    await act(async () => {
      mine.increment(6);
      await (await mine.deposit(6)).wait('relay');
    });
    // The relay holds all six: the buyer may take them, though it holds none itself.
    await waitFor(() => expect(shown(screen)).toBe('6 6 0 0'), { timeout: 10_000 });

    let error: Error | undefined = new Error('not run');
    await act(async () => {
      error = (await seen.at(-1)!.take(1, 2)).error;
    });
    expect(error).toBeUndefined();
    // One sold, two leased to the buyer, three left with the relay.
    await waitFor(() => expect(shown(screen)).toBe('5 5 2 2'), { timeout: 10_000 });

    act(() => {
      seen.at(-1)!.release();
    });
    await waitFor(() => expect(shown(screen)).toBe('5 5 0 0'), { timeout: 10_000 });
  });

  it('removes its listeners on unmount', async () => {
    const client = testClient();
    const stock = client.open('stock', BoundedCounter);
    const listeners = countListeners(stock);
    const { unmount } = render(
      <HeliosProvider client={client}>
        <Stock />
      </HeliosProvider>,
    );
    await act(() => stock.loaded);
    expect(listeners.active).toBeGreaterThan(0);
    unmount();
    expect(listeners.active).toBe(0);
  });
});
