import { type DurabilityLevel, type Receipt, RefusedWriteError } from '@helios/client';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { countListeners, startRelay, testClient, until } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { useReceipt } from './use-receipt.js';

const ORDER: (DurabilityLevel | 'none')[] = ['none', 'pending', 'local', 'relay', 'global'];

/** A like button that shows how far its last write has travelled. */
function Like({ rendered, onWrite }: { rendered: string[]; onWrite: (r: Receipt) => void }) {
  const { increment } = useCounter('likes');
  const [receipt, setReceipt] = useState<Receipt>();
  const level = useReceipt(receipt) ?? 'none';
  if (rendered.at(-1) !== level) rendered.push(level);
  const write = () => {
    const r = increment();
    onWrite(r);
    setReceipt(r);
  };
  return (
    <button type="button" onClick={write}>
      {level}
    </button>
  );
}

function Level({ receipt }: { receipt: Receipt }) {
  return <span>{useReceipt(receipt)}</span>;
}

describe('useReceipt', () => {
  it("follows a write from 'pending' through 'local' to 'relay'", async () => {
    const url = await startRelay();
    const client = testClient([url]);
    const rendered: string[] = [];
    let lastReceipt: Receipt | undefined;
    render(
      <HeliosProvider client={client}>
        <Like rendered={rendered} onWrite={(r) => (lastReceipt = r)} />
      </HeliosProvider>,
    );
    await act(() => client.counter('likes').loaded);
    await until(() => client.status.connection === 'online', 'online');
    expect(screen.getByRole('button').textContent).toBe('none');

    fireEvent.click(screen.getByRole('button'));
    expect(screen.getByRole('button').textContent).toBe('pending');
    await waitFor(
      () => expect(['relay', 'global']).toContain(screen.getByRole('button').textContent),
      {
        timeout: 10_000,
      },
    );
    // Levels only move forward, and 'relay' is reached ('global' may follow on the same tick).
    expect(rendered.slice(0, 2)).toEqual(['none', 'pending']);
    const ranks = rendered.map((l) => ORDER.indexOf(l as DurabilityLevel));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(ranks.at(-1)).toBeGreaterThanOrEqual(ORDER.indexOf('relay'));
    expect(lastReceipt!.level).toBe(screen.getByRole('button').textContent);
  });

  it("shows 'failed' when the relay refuses the write, with the relay's reason", async () => {
    // The relay takes at most 100 per counter step: a +1000 is refused for good.
    const url = await startRelay('us-east-1', { maxCounterStep: 100 });
    const client = testClient([url]);
    await client.counter('big').loaded;
    await until(() => client.status.connection === 'online', 'online');
    const receipt = client.counter('big').increment(1000);
    render(<Level receipt={receipt} />);
    await waitFor(() => expect(screen.getByText('failed')).toBeTruthy(), { timeout: 10_000 });
    expect(receipt.error).toBeInstanceOf(RefusedWriteError);
    expect((receipt.error as RefusedWriteError).relayCode).toBe('counter-increment');
    expect(client.counter('big').value).toBe(1000); // it stays applied locally
  });

  it('unsubscribes from the old receipt when given a new one, and on unmount', async () => {
    const client = testClient();
    await client.counter('n').loaded;
    const first = client.counter('n').increment();
    const second = client.counter('n').increment();
    const firstListeners = countListeners(first);
    const secondListeners = countListeners(second);
    const { rerender, unmount } = render(<Level receipt={first} />);
    expect(firstListeners.active).toBe(1);
    rerender(<Level receipt={second} />);
    expect(firstListeners.active).toBe(0);
    expect(secondListeners.active).toBe(1);
    await act(() => second.wait('local'));
    expect(screen.getByText('local')).toBeTruthy();
    unmount();
    expect(secondListeners.active).toBe(0);
  });
});
